/* addr.c - endpoint formatting and comparison. */
#include "addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

void endpoint_format_ip(const struct endpoint *e, char *buf, size_t size)
{
	if (e->family == 4) {
		if (!inet_ntop(AF_INET, e->ip, buf, (socklen_t)size))
			snprintf(buf, size, "?");
	} else if (e->family == 6) {
		if (!inet_ntop(AF_INET6, e->ip, buf, (socklen_t)size))
			snprintf(buf, size, "?");
	} else {
		snprintf(buf, size, "?");
	}
}

void endpoint_format(const struct endpoint *e, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];
	endpoint_format_ip(e, ip, sizeof ip);
	if (e->family == 6)
		snprintf(buf, size, "[%s]:%u", ip, e->port);
	else
		snprintf(buf, size, "%s:%u", ip, e->port);
}

bool endpoint_eq(const struct endpoint *a, const struct endpoint *b)
{
	return a->family == b->family && a->port == b->port &&
	       memcmp(a->ip, b->ip, 16) == 0;
}

int endpoint_cmp(const struct endpoint *a, const struct endpoint *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	int c = memcmp(a->ip, b->ip, 16);
	if (c)
		return c;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return 0;
}

const char *transport_name(enum transport t)
{
	static const char *const names[TRANSPORT_COUNT] = { "udp", "tcp", "sctp", "ws" };
	return (unsigned)t < TRANSPORT_COUNT ? names[t] : "?";
}
