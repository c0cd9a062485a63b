/* internal.h - the ingest context shared by the rooms that turn bytes into
 * SIP messages (not for cmd/ or rules/). Bottom-up: capture/ (capture.c
 * reads the file, decode.c takes link, IP and tunnels apart, hep.c) →
 * reassembly/ (ipfrag.c, tcp.c, sctp.c hold back what is not whole;
 * stream.c tells SIP, WebSocket and TLS apart on a byte stream; tls/
 * decrypts) → reassembly/sipframe.c (message boundaries) → sip/ (parsing).
 * Each layer hands bytes to the next one down; the two hand-backs finish a
 * step (ipfrag.c gives a whole datagram to decode_l4, tls/ its plaintext
 * to stream.c), and nothing above the framing calls back down. Each
 * room's functions are declared in its own header (decode.h,
 * reassembly.h, sipframe.h, stream.h, tls.h). */
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

#endif
