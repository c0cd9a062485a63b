/* internal.h - state shared by the ingest layers (not for cmd/ or rules/).
 * Layers, bottom-up: capture.c → decode.c (link, IP, tunnels, UDP, SCTP)
 * → ipfrag.c / tcp.c (reassembly) → stream.c (TCP byte streams: SIP, WebSocket,
 * TLS detection) → sipframe.c (message boundaries) → sipmsg.c (parsing).
 * Nothing calls upward: each layer hands bytes to the next one down. */
#ifndef SIPAUDIT_INTERNAL_H
#define SIPAUDIT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer.h"
#include "hash.h" /* hash_bytes: flow and table hashing */

/* LINKTYPE_* values (tcpdump.org/linktypes.html); capture.c maps DLT_* to these. */
enum {
	LT_NULL = 0,
	LT_ETHERNET = 1,
	LT_RAW = 101,
	LT_LOOP = 108,
	LT_LINUX_SLL = 113,
	LT_ERF = 197,
	LT_IPV4 = 228,
	LT_IPV6 = 229,
	LT_LINUX_SLL2 = 276,
};

/* Where a payload came from, handed down with it. */
struct flowmeta {
	struct endpoint src, dst;
	enum transport transport;
	enum sip_encap encap;
	uint64_t first_frame;
	bool ip_fragmented;
	uint32_t tls_conn; /* decrypted from TLS connection number N (analyzer-wide), 0 none */
};

struct ipfrag;
struct tcp_table;
struct sctp_state;
struct keylog;
struct tls_cache;

struct analyzer {
	analyzer_sink_fn sink;
	void *sink_ud;
	analyzer_media_fn media;
	void *media_ud;
	analyzer_progress_fn progress;
	void *progress_ud;
	_Atomic bool stop; /* analyzer_stop (from any thread): the reader gives up at the next packet */
	struct input_stats *st;
	uint32_t input;

	/* The packet being decoded. */
	uint64_t frame;
	int64_t ts_sec;
	uint32_t ts_nsec;
	int64_t now; /* latest capture second seen: drives timeouts */
	int64_t prev_sec; /* the previous packet's time, to see the clock jump back */
	uint64_t prev_frame;
	uint64_t first_frame; /* first frame of a reassembled IP datagram */
	bool ip_fragmented;

	struct ipfrag *frag;
	struct tcp_table *tcp;
	/* TLS key material: the user's (analyzer_set_keylog, borrowed) and
	 * the input's own (pcapng Decryption Secrets Blocks, owned, freed at
	 * the end of the input); NULL when there is none. */
	struct keylog *keylog;
	struct keylog *capture_keylog;
	struct tls_cache *tls_cache; /* TLS 1.2 sessions, for resumption (kept across inputs) */
	uint32_t tls_conns;          /* TLS connections numbered so far */
	uint8_t *tls_plain;          /* decryption buffer shared by the connections */
	analyzer_tls_conn_fn tls_conn_sink;
	void *tls_conn_ud;
	struct sctp_state *sctp;

	/* Carrier frames (analyzer_record_carriers): the fragments of the
	 * datagram being decoded, the own frame of a held TCP segment being
	 * delivered, and the frames of the message being emitted. */
	bool record_carriers;
	const uint64_t *frag_frames;
	unsigned nfrag_frames;
	uint64_t seg_frame;
	uint64_t *carriers;
	uint32_t ncarriers, carriers_cap;

	/* Export pass: sees every frame before it is decoded. */
	const struct frame_hook *hook;

	/* Scratch for unmasking WebSocket payloads and inflating HEP chunks;
	 * valid until the next packet. */
	uint8_t *scratch;
	size_t scratch_cap;

	/* The head parse of the message at stream position head_at of the
	 * stream head_owner (its serial head_serial) that ran out of bytes:
	 * the next segment resumes it (stream.c). */
	const struct stream *head_owner;
	uint64_t head_serial, head_at;
	uint64_t stream_serials; /* serials given to streams so far */
	struct sip_head_state head_state;
};

uint8_t *analyzer_scratch(struct analyzer *an, size_t n);
/* Appends a carrier frame of the message about to be emitted. */
void analyzer_carrier(struct analyzer *an, uint64_t frame);

/* decode.c */
void decode_link(struct analyzer *an, int linktype, const uint8_t *p, size_t len);
/* proto: IP protocol number; payload of an IP datagram (maybe reassembled). */
void decode_l4(struct analyzer *an, int depth, uint8_t proto, uint8_t family,
	       const uint8_t *src, const uint8_t *dst, const uint8_t *p, size_t len, bool truncated);

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

/* hep.c - HEP v1/v2/v3 (HOMER) decapsulation. True if p was HEP. */
bool hep_decode(struct analyzer *an, const uint8_t *p, size_t len);
bool hep_magic(const uint8_t *p, size_t len);

/* sipframe.c - message boundaries. */
/* A datagram-like unit (UDP payload, SCTP chunk, WebSocket message, HEP
 * payload): one SIP message, or several back to back. */
void sipframe_datagram(struct analyzer *an, const struct flowmeta *fm, const uint8_t *p, size_t len);
/* Builds and delivers one message (bytes are copied). */
void sipframe_emit(struct analyzer *an, const struct flowmeta *fm, const uint8_t *p, size_t len,
		   bool truncated_body, const char *why_malformed);

enum frame_result { FRAME_MSG, FRAME_PARTIAL, FRAME_NOT_SIP, FRAME_TOO_LONG };
/* Finds the end of the SIP message starting at p on a stream transport.
 * FRAME_MSG: *msg_len set, and (m not NULL) *m the message built from that
 * one parse of its head (NULL when the head did not parse: the caller
 * builds it from the bytes, with sipframe_emit). FRAME_PARTIAL: *want is
 * the total length needed when known, else 0. FRAME_NOT_SIP: p does not
 * start with a SIP start line. FRAME_TOO_LONG: a SIP message whose head
 * does not end within SIP_MAX_HEAD bytes. *no_clen is set when the message
 * had no Content-Length. hs (may be NULL): the head parse resumes from it
 * and leaves its progress there (sip_parse_head_resume). */
enum frame_result sipframe_stream(const uint8_t *p, size_t len, size_t *msg_len, size_t *want, bool *no_clen,
				  struct sip_msg **m, struct sip_head_state *hs);
/* A message built by the caller (sipframe_stream), as sipframe_emit
 * delivers what it builds. */
void sipframe_deliver(struct analyzer *an, const struct flowmeta *fm, struct sip_msg *m, const char *why_malformed);
/* Offset of the first line in p that starts a SIP message, or -1. */
ptrdiff_t sipframe_find_start(const uint8_t *p, size_t len);
/* Leading CR/LF keep-alives (RFC 5626 §3.5.1) to skip. */
size_t sipframe_skip_crlf(const uint8_t *p, size_t len);

#endif
