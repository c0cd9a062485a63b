/* stream.h - what flows in one direction of a TCP connection once it is in
 * order: SIP (RFC 3261 §18.3 framing), SIP over WebSocket (RFC 7118 on
 * RFC 6455 frames), TLS (decrypted with a key log when it can be, its
 * plaintext framed again as SIP or WebSocket: tls.c), or other. */
#ifndef SIPAUDIT_STREAM_H
#define SIPAUDIT_STREAM_H

#include "internal.h"

enum stream_mode {
	SM_UNKNOWN = 0, /* nothing seen yet */
	SM_SIP,
	SM_RESYNC,      /* lost our place: look for the next SIP start line */
	SM_WS,          /* WebSocket frames after a successful Upgrade */
	SM_TLS,
	SM_IGNORE,      /* not SIP */
	SM_SKIP,        /* the rest of an oversized SIP message, then SIP again */
};

/* An oversized SIP message being skipped (its first bytes were delivered as
 * one malformed message): to the end of its head, found without buffering,
 * then the Content-Length of its body. */
struct stream_skip {
	bool in_body;       /* the head has ended: skipping `left` body bytes */
	bool have_clen;
	bool line_cut;      /* the current head line is longer than `line` */
	uint8_t nline;
	uint8_t line[48];   /* the start of the current head line */
	uint64_t clen, left;
	uint64_t skipped;   /* bytes skipped so far */
	uint64_t frame;     /* the message's first frame */
};

struct stream {
	enum stream_mode mode;
	bool from_start;   /* the SYN was seen: the first byte is the first byte */
	bool ws_capable;   /* resync may look for WebSocket frames */
	bool tls_capable;  /* resync may look for TLS records (a mid-stream start) */
	uint8_t *buf;      /* pending bytes not yet framed (owned) */
	size_t len, cap;
	size_t want;       /* total bytes needed for the pending message, if known */
	uint64_t buf_first_frame;
	uint64_t scanned;  /* bytes searched while resyncing */
	/* WebSocket message being assembled from fragments (owned). */
	uint8_t *wsmsg;
	size_t wslen, wscap;
	bool ws_in_msg;
	uint64_t ws_first_frame;
	/* Carrier log (analyzer_record_carriers): the frames of the bytes not
	 * yet consumed, with their stream positions (bytes delivered before
	 * them), so each message gets the segments that carried it. */
	struct carrier { uint64_t frame, start, end; } *clog;
	uint32_t nclog, clog_cap, ccur;
	uint64_t pos;          /* bytes delivered so far */
	uint64_t cbase;        /* position of cp0[0] while process() runs */
	const uint8_t *cp0;
	uint64_t ws_start;     /* position of the WebSocket message being assembled */
	struct stream_skip skip; /* SM_SKIP */
	uint64_t serial;       /* the analyzer's number for it, given when first needed (0: none yet) */
};

struct tls_flow;

struct stream_conn_info {
	struct flowmeta fm; /* src/dst of this direction */
	struct tls_flow **tls; /* the connection's TLS state, shared by both directions; NULL: none possible */
	int dir;            /* this direction's index in the connection (0, 1) */
	uint64_t *setup;    /* the connection's set-up frames (SYNs, WebSocket upgrade), 0 none */
};

/* Feeds in-order bytes. */
void stream_data(struct analyzer *an, struct stream *s, const struct stream_conn_info *ci,
		 const uint8_t *p, size_t len);
/* Bytes were lost before the next data: drop what is pending, resync. */
void stream_gap(struct analyzer *an, struct stream *s, const struct stream_conn_info *ci, uint64_t lost);
/* The direction ended (FIN, RST, expiry or end of capture). */
void stream_end(struct analyzer *an, struct stream *s, const struct stream_conn_info *ci, const char *how);
void stream_release(struct stream *s);
/* The connection ended: what became of its TLS (counted in the input's
 * summary, a note when it was not decrypted), its frames handed to the
 * export (setup: the connection's SYN frames, may be NULL), its state freed. */
void stream_tls_end(struct analyzer *an, struct tls_flow **tf, const uint64_t *setup);
/* Frees TLS state without reporting (the analyzer is being torn down). */
void stream_tls_free(struct tls_flow **tf);

#endif
