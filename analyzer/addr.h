/* addr.h - transport endpoints (IPv4/IPv6 address and port) and their text form. */
#ifndef SIPAUDIT_ADDR_H
#define SIPAUDIT_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct endpoint {
	uint8_t family; /* 4 or 6; 0 = unknown */
	uint8_t ip[16]; /* IPv4 in the first 4 bytes, the rest zero */
	uint16_t port;
};

/* "1.2.3.4:5060" or "[2001:db8::1]:5060" */
#define ENDPOINT_STRLEN 56
void endpoint_format(const struct endpoint *e, char *buf, size_t size);
/* Address only, no port. */
void endpoint_format_ip(const struct endpoint *e, char *buf, size_t size);
bool endpoint_eq(const struct endpoint *a, const struct endpoint *b);
int endpoint_cmp(const struct endpoint *a, const struct endpoint *b);

/* RFC 1918, RFC 6598 CGNAT, RFC 3927 link-local, loopback; fc00::/7,
 * fe80::/10, ::1 for IPv6. */
bool ip_private(int family, const uint8_t *ip);
bool ip_unspecified(int family, const uint8_t *ip);
/* Parses an address literal (IPv6 may be bracketed) into out; returns the
 * family (4, 6), or 0 for anything else (a host name). */
int ip_parse(const char *p, size_t n, uint8_t out[16]);

enum transport {
	TRANSPORT_UDP,
	TRANSPORT_TCP,
	TRANSPORT_SCTP,
	TRANSPORT_WS,
	TRANSPORT_TLS, /* SIP over TLS, decrypted (RFC 3261 §26.2, sips) */
	TRANSPORT_WSS, /* SIP over WebSocket over TLS (RFC 7118), decrypted */
	TRANSPORT_COUNT
};
const char *transport_name(enum transport t);

#endif
