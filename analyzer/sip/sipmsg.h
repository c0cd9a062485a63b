/* sipmsg.h - one SIP message as captured: owned bytes, where and when it was
 * seen, its parsed head, and typed header accessors parsed lazily and cached. */
#ifndef SIPAUDIT_SIPMSG_H
#define SIPAUDIT_SIPMSG_H

#include <stdint.h>

#include "addr.h"
#include "sip.h"

/* How the message reached the wire we captured. */
enum sip_encap {
	ENCAP_NONE = 0,
	ENCAP_HEP = 1, /* carried inside a HEP (HOMER) packet */
};

struct sip_cseq {
	bool valid;
	uint32_t num;
	uint32_t digits; /* length of the number field (leading zeros are valid) */
	struct sv method;
};

struct sip_nameaddr {
	bool valid;
	struct sv display; /* unquoted display name, may be empty */
	struct sv uri;     /* without <> */
	struct sv user;    /* user part of the URI, may be empty */
	struct sv tag;
};

/* A From or To header's tag, and whether the value is a name-addr or
 * addr-spec with a URI: sip_nameaddr's valid and tag, without the display
 * name and the URI's user part (what the call model reads of every
 * message). */
struct sip_tag {
	bool valid;
	struct sv tag;
};

struct sip_via {
	bool valid;
	struct sv transport; /* "UDP", "TCP", "WS"... */
	struct sv host;
	uint16_t port; /* 0 when absent */
	struct sv branch, received, rport;
	bool has_rport;
};

struct sip_contact {
	bool valid;
	bool star; /* "Contact: *" */
	struct sv uri;
	int64_t expires; /* -1 when absent */
};

struct sip_auth {
	bool valid;
	struct sv scheme, realm, username, nonce;
};

struct sip_msg_x;

/* One header of a message's kept index: where its name and value lie in
 * raw (the head is at most SIP_MAX_HEAD bytes, so 16 bits reach it). A
 * name_len of SIP_HIDX_LONG_NAME: that many bytes or more (the name is
 * measured again from the bytes). */
struct sip_hidx {
	uint16_t name_off, value_off, value_len;
	uint8_t name_len, id;
};
#define SIP_HIDX_LONG_NAME 255

struct sip_msg {
	/* Provenance */
	uint64_t frame;       /* frame that completed the message */
	uint64_t first_frame; /* frame of its first byte (== frame when whole) */
	int64_t ts_sec;       /* UTC, from the completing frame */
	uint32_t ts_nsec;
	struct endpoint src, dst;
	enum transport transport;
	enum sip_encap encap;
	bool ip_fragmented; /* arrived in IP fragments */
	/* Every frame that carried part of it (IP fragments, TCP segments),
	 * in capture order; only when the analyzer records carriers
	 * (analyzer_record_carriers) and more than `frame` did, else NULL. */
	uint64_t *carriers; /* owned */
	uint32_t ncarriers;
	uint32_t tls_conn;  /* decrypted from TLS connection N (analyzer_set_tls_conn_sink), 0 none */
	uint32_t input; /* index of the input file */

	/* Bytes: one owned copy, raw[0..raw_len); head and body slice into it. */
	const char *raw;
	size_t raw_len;
	size_t head_len;
	struct sv body;

	/* Parse results; when malformed is set, only the fields the parser got
	 * to are meaningful (start may be empty). */
	bool malformed;
	bool garbled; /* start line was garbage: no header index at all */
	const char *malformed_reason; /* static string */
	/* A MUST broken in a message that is otherwise understood (e.g. a
	 * request without Max-Forwards): rules judge it; it is not malformed. */
	const char *nonconformance; /* static string or NULL */
	struct sip_start start;

	/* The header index and the typed header caches: built with the message,
	 * dropped by sip_msg_compact_all() once the call store has taken what it
	 * needs (a message waiting in an open call is its bytes and this struct),
	 * rebuilt from the bytes when an accessor needs them again. Slices
	 * (struct sv) always point into raw; pointers to the caches returned by
	 * sip_msg_from() and friends live until the next compaction. */
	struct sip_msg_x *x;
	uint32_t xslot; /* place in this thread's list of expanded messages */
	/* The header index: where each header lies, in order, kept with the
	 * bytes (8 bytes a header, in the message's own block). The head is
	 * parsed once, when the message is made. */
	const struct sip_hidx *hidx;
	uint32_t nhidx; /* headers in it */
};

/* Builds a message from bytes p[0..len) that hold one SIP message (head and
 * body, as framed). Copies the bytes: p may be freed after the call.
 * clen_hint: body length as framed, or -1 for "rest of the data".
 * truncated_body: framing found the Content-Length beyond the data.
 * Always returns a message (malformed ones carry their reason); NULL only
 * when the bytes are not SIP at all. Caller frees with sip_msg_free. */
struct sip_msg *sip_msg_new(const char *p, size_t len, bool truncated_body);
/* Same, for a datagram-like unit holding one message and maybe more after
 * it: the message ends where its Content-Length says (or at the end of the
 * data when it has none). *consumed receives the message's length. */
struct sip_msg *sip_msg_new_datagram(const char *p, size_t avail, size_t *consumed);
/* A message whose head the caller parsed (sip_parse_head on p returned
 * r >= 0, with these headers, nh of ntotal kept): p[0..len) is the whole
 * message, head and body. As sip_msg_new(p, len, false), without the
 * second parse. */
struct sip_msg *sip_msg_new_head(const char *p, size_t len, int r, const struct sip_start *st,
				 const struct sip_header *h, size_t nh, size_t ntotal);
/* A message whose start line is garbage (the caller judged the rest to be
 * SIP): kept whole as malformed, "bad start line". */
struct sip_msg *sip_msg_new_garbled(const char *p, size_t len);
void sip_msg_free(struct sip_msg *m);
/* Drops the header index and caches of every message of this thread that
 * has them (they are rebuilt on demand): the call store calls it once a
 * message has been taken in, so that waiting calls hold only bytes. */
void sip_msg_compact_all(void);
/* Drops one message's header index and caches (rebuilt on demand); the
 * call store does it for each new message once it has taken it in (a new
 * message's index is not on any thread's list: sip_msg_compact_all does
 * not see it). */
void sip_msg_compact(struct sip_msg *m);
/* For a message given to another thread: takes its header index off this
 * thread's list (the index stays, freed with the message or by
 * sip_msg_compact)... */
void sip_msg_unlist(struct sip_msg *m);
/* What the message holds for as long as it lives: struct, bytes, kept
 * index and carriers (not the header index, which comes and goes). */
size_t sip_msg_kept_bytes(const struct sip_msg *m);
/* What its header index holds (0 when it has none). */
size_t sip_msg_index_bytes(const struct sip_msg *m);
/* ...and drops it only if it is on this thread's list (this thread built it). */
void sip_msg_compact_listed(struct sip_msg *m);
/* A thread that built or read messages ends: its list goes (compacting
 * what is on it). */
void sip_msg_thread_end(void);

/* What is derived from the message as a whole and kept with its header
 * index (its parsed SDP, sdp.h). sip_msg_derived: the block kept, NULL
 * with *known true when the deriver found nothing, *known false when
 * nothing was kept yet. sip_msg_derived_keep: a block of n bytes kept with
 * the index (freed when it is dropped); n == 0 keeps "nothing" (returns
 * NULL). NULL too when the blocks kept by all threads reach
 * SIP_DERIVED_BUDGET bytes: the deriver then works each time without
 * keeping (a call of 10^5 messages, each with eight m= lines, would
 * otherwise keep 1.7 GB while its rules run). */
#define SIP_DERIVED_BUDGET ((size_t)8 << 20)
const void *sip_msg_derived(const struct sip_msg *m, bool *known);
void *sip_msg_derived_keep(const struct sip_msg *m, size_t n);

/* Whether the message has a header of id. */
bool sip_msg_has(const struct sip_msg *m, enum sip_hdr_id id);
/* Headers in order: how many were indexed, and the i-th. */
size_t sip_msg_nhdrs(const struct sip_msg *m);
struct sip_header sip_msg_header(const struct sip_msg *m, size_t i);

/* First header of an id; SV_NULL if absent. */
struct sv sip_msg_hdr(const struct sip_msg *m, enum sip_hdr_id id);
/* Number of values across all headers of id (list headers split on commas). */
size_t sip_msg_hdr_count(const struct sip_msg *m, enum sip_hdr_id id);
/* i-th value across all instances of a (list) header. */
bool sip_msg_hdr_value(const struct sip_msg *m, enum sip_hdr_id id, size_t i, struct sv *out);
/* Every value across all instances of a (list) header, in order, in one
 * pass (sip_msg_hdr_value in a loop rescans from the first header):
 *   struct sip_hdr_iter it = sip_hdr_iter(m, id);
 *   while (sip_hdr_next(&it, &v)) ... */
struct sip_hdr_iter {
	const struct sip_msg *m;
	enum sip_hdr_id id;
	size_t h;   /* header index; nhdrs when done */
	size_t pos; /* within a list header's value */
};
struct sip_hdr_iter sip_hdr_iter(const struct sip_msg *m, enum sip_hdr_id id);
bool sip_hdr_next(struct sip_hdr_iter *it, struct sv *out);

struct sv sip_msg_call_id(const struct sip_msg *m);
const struct sip_cseq *sip_msg_cseq(struct sip_msg *m);
const struct sip_nameaddr *sip_msg_from(struct sip_msg *m);
const struct sip_nameaddr *sip_msg_to(struct sip_msg *m);
const struct sip_tag *sip_msg_from_tag(struct sip_msg *m); /* sip_msg_from's valid and tag */
const struct sip_tag *sip_msg_to_tag(struct sip_msg *m);
const struct sip_via *sip_msg_via(struct sip_msg *m); /* top Via */
bool sip_msg_via_at(const struct sip_msg *m, size_t i, struct sip_via *out);
const struct sip_contact *sip_msg_contact(struct sip_msg *m); /* first */
/* Integer headers: -1 when absent or not a number. */
int64_t sip_msg_int(const struct sip_msg *m, enum sip_hdr_id id);
/* Authorization-style headers (Authorization, Proxy-Authorization,
 * WWW-Authenticate, Proxy-Authenticate). */
bool sip_msg_auth(const struct sip_msg *m, enum sip_hdr_id id, struct sip_auth *out);

/* Parsers of single header values, usable without a message. */
bool sip_parse_cseq(struct sv v, struct sip_cseq *out);
bool sip_parse_nameaddr(struct sv v, struct sip_nameaddr *out);
bool sip_parse_via(struct sv v, struct sip_via *out);
bool sip_parse_contact(struct sv v, struct sip_contact *out);
bool sip_parse_auth(struct sv v, struct sip_auth *out);
/* user part of a sip:/sips:/tel: URI */
struct sv sip_uri_user(struct sv uri);

#endif
