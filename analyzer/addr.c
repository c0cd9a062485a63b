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

bool ip_private(int family, const uint8_t *a)
{
	if (family == 4)
		return a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168) ||
		       (a[0] == 100 && (a[1] & 0xc0) == 64) || (a[0] == 169 && a[1] == 254) || a[0] == 127;
	/* fc00::/7 unique local, fe80::/10 link-local, fec0::/10 deprecated site-local, ::1 */
	return (a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0x80) == 0x80) ||
	       (memcmp(a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0);
}

bool ip_unspecified(int family, const uint8_t *a)
{
	static const uint8_t z[16];
	return memcmp(a, z, family == 4 ? 4 : 16) == 0;
}

int ip_parse(const char *p, size_t n, uint8_t out[16])
{
	char buf[64];
	if (n == 0 || n >= sizeof buf)
		return 0;
	if (p[0] == '[' && n > 2 && p[n - 1] == ']') {
		p++;
		n -= 2;
	}
	memcpy(buf, p, n);
	buf[n] = 0;
	memset(out, 0, 16);
	if (inet_pton(AF_INET, buf, out) == 1)
		return 4;
	if (inet_pton(AF_INET6, buf, out) == 1)
		return 6;
	return 0;
}

const char *transport_name(enum transport t)
{
	static const char *const names[TRANSPORT_COUNT] = { "udp", "tcp", "sctp", "ws", "tls", "wss" };
	return (unsigned)t < TRANSPORT_COUNT ? names[t] : "?";
}
