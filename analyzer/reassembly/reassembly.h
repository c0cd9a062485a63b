/* reassembly.h - what the transport layers hold back until it is whole:
 * IP fragments (ipfrag.c), TCP byte streams (tcp.c, then stream.c's framing),
 * SCTP user messages (sctp.c). */
#ifndef SIPAUDIT_REASSEMBLY_H
#define SIPAUDIT_REASSEMBLY_H

#include "internal.h"

/* ipfrag.c - IPv4/IPv6 fragment reassembly (RFC 791, RFC 8200 §4.5). */
struct ipfrag *ipfrag_new(void);
void ipfrag_free(struct ipfrag *f);
/* Adds a fragment. When it completes a datagram, calls decode_l4 on the
 * reassembled payload (with an->first_frame set) and frees it. */
void ipfrag_add(struct analyzer *an, int depth, uint8_t family, const uint8_t *src, const uint8_t *dst,
		uint32_t id, uint8_t proto, uint32_t offset, bool more, const uint8_t *p, size_t len);
/* Expires datagrams older than the timeout (capture time); all when flush. */
void ipfrag_expire(struct analyzer *an, bool flush);

/* tcp.c - TCP reassembly per direction (RFC 9293). */
struct tcp_table *tcp_table_new(void);
void tcp_table_free(struct tcp_table *t);
void tcp_segment(struct analyzer *an, const struct endpoint *src, const struct endpoint *dst,
		 uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *p, size_t len);
void tcp_expire(struct analyzer *an, bool flush);

/* sctp.c - SCTP DATA chunks, fragmented user messages reassembled. */
void sctp_decode(struct analyzer *an, uint8_t family, const uint8_t *src, const uint8_t *dst,
		 const uint8_t *p, size_t len);
/* Drops partial messages (reporting them when report is set). */
void sctp_release(struct analyzer *an, bool report);

#endif
