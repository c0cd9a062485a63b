/* callview.h - a self-contained snapshot of one finalised call, made for the
 * renderers that draw call flows (the text ladder of --ladder, the ncurses
 * `view`). The call store frees a call right after it is finalised, so what
 * a ladder needs is copied out here: hosts as columns, one row per message,
 * one per RTP stream, and the findings that concern the call.
 *
 * Findings are not owned: they belong to the report (struct report) and
 * outlive every view. */
#ifndef SIPAUDIT_CALLVIEW_H
#define SIPAUDIT_CALLVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../analyzer/model/model.h"
#include "../rules/rule.h"

struct cv_host {
	struct endpoint ep;
	char name[ENDPOINT_STRLEN]; /* "192.0.2.10:5060", "[2001:db8::1]:5060" */
	bool media;                 /* only RTP: no SIP message of the call came from or went to its address */
};

struct cv_msg {
	uint64_t frame;
	int64_t ns;              /* capture time */
	uint32_t src, dst;       /* indices into hosts */
	enum transport transport;
	bool request;
	int status;              /* responses: status code; requests: 0 */
	char label[48];          /* "INVITE", "180 Ringing" (printable, truncated) */
	uint32_t cseq;           /* 0 when missing */
	char cseq_method[16];
	uint32_t flags;          /* CM_RETRANS, CM_DUPLICATE (model.h) */
	bool malformed;
	bool sdp;                /* carries an SDP body */
	char sdp_brief[64];      /* "audio 192.0.2.10:40000 PCMU" when sdp */
	char *raw;               /* the message bytes, NUL-terminated; NULL unless kept */
	size_t raw_len;
};

/* An RTP stream of the call: the analyzer's figures, copied, and the
 * columns it is drawn between. An end goes to the column of a SIP host with
 * the same IP address (the one whose SDP announced it when several have
 * it), else to a column of its own (media set). */
struct cv_stream {
	struct media_stream s;
	uint32_t src, dst;       /* indices into hosts */
	char src_name[ENDPOINT_STRLEN], dst_name[ENDPOINT_STRLEN]; /* where the packets went: s.src, s.dst */
	uint64_t sdp_frame;      /* frame of the SDP that tied it to the call, 0 none */
};

/* The rows of a ladder in time order: the messages in arrival order, each
 * stream before the first message that came after its first packet. */
enum cv_kind { CV_MSG, CV_STREAM };
struct cv_item {
	enum cv_kind kind;
	uint32_t i;              /* index into msgs or streams */
};

struct callview {
	uint64_t number;         /* the call's number in the calls table (seq + 1) */
	uint32_t input;
	char *call_id;
	char from[96], to[96];   /* From/To URIs of the main request ("" unknown) */
	char legs[160];          /* B2BUA legs: "#2 by same SDP, ..." ("" none) */
	enum call_kind kind;
	enum call_state state;
	int final_status;        /* 0 none */
	int64_t start_ns, end_ns;
	int64_t duration_ns;     /* answer to hang-up, -1 when not answered */
	struct cv_host *hosts;   /* in order of first appearance */
	size_t nhosts;
	struct cv_msg *msgs;     /* arrival order */
	size_t nmsgs;
	struct cv_stream *streams; /* in order of their first packet */
	size_t nstreams;
	struct cv_item *items;   /* messages and streams, nmsgs + nstreams */
	size_t nitems;
	const struct finding **findings; /* not owned */
	size_t nfindings, findings_cap;
};

/* Snapshot of c; keep_raw copies each message's bytes (for `view`). */
struct callview *callview_new(const struct call *c, bool keep_raw);
void callview_add_finding(struct callview *v, const struct finding *f);
/* Does finding f cite message i of v (by frame)? */
bool callview_cites(const struct callview *v, size_t i, const struct finding *f);
/* Does f cite stream j (its first or last packet, or the one that ended its
 * longest gap)? key: f's key frame is one of them. */
bool callview_stream_cites(const struct callview *v, size_t j, const struct finding *f, bool *key);
/* The same for item k: a message or a stream. */
bool callview_item_cites(const struct callview *v, size_t k, const struct finding *f, bool *key);
/* Frame and capture time of item k (a stream's first packet). */
uint64_t callview_item_frame(const struct callview *v, size_t k);
int64_t callview_item_ns(const struct callview *v, size_t k);
void callview_free(struct callview *v);

/* The text ladder of --ladder (ladder.c): a header (call number, Call-ID,
 * from → to, kind, state), one column per host, one arrow per message with
 * method or status and CSeq, one double arrow (=====>) per RTP stream with
 * its codec, packets, time span and quality, time offsets from the first
 * message, retransmissions marked, findings marked on the arrows that prove
 * them and listed below. width: terminal width to fit (0: 80); wider when the hosts
 * need it. colour: ANSI colours. */
void ladder_print(FILE *out, const struct callview *v, int width, bool colour);

/* Saves call `number` (and its linked legs) to a capture file for the
 * viewer's w key; msg receives the file name or why it failed. */
typedef bool (*view_save_fn)(void *ud, uint64_t number, char *msg, size_t size);

/* The interactive viewer (view.c): takes the calls (and frees them).
 * save may be NULL (no w key). Returns 0, or 3 when the terminal could
 * not be used. */
int view_run(struct callview **calls, size_t ncalls, const char *title, view_save_fn save, void *save_ud);

#endif
