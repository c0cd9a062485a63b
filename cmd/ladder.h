/* ladder.h - the layout of a call ladder, shared by the text ladder
 * (ladder.c, --ladder) and the interactive viewer (view.c): where each
 * host's vertical line goes, and the rows of one message drawn into a
 * character grid with a colour class per cell. Each renderer then only maps
 * the classes to its own attributes (ANSI escapes, curses attributes), so
 * both draw the same picture. */
#ifndef SIPAUDIT_LADDER_H
#define SIPAUDIT_LADDER_H

#include <stddef.h>
#include <stdint.h>

#include "callview.h"

/* Cell classes: the low bits are a colour, the high bits emphasis. */
enum {
	LC_PLAIN = 0,
	LC_REQUEST,  /* requests */
	LC_1XX,
	LC_2XX,
	LC_3XX,
	LC_FAIL,     /* 4xx-6xx */
	LC_INFO,     /* finding markers by severity */
	LC_WARNING,
	LC_ERROR,
	LC_MEDIA,    /* RTP streams */
	LC_MASK = 0x0f,
	LC_DIM = 0x10,  /* retransmissions and duplicates */
	LC_BOLD = 0x20, /* messages cited by a finding, key-frame markers */
};

/* Minimum distance between two host lines; below it labels do not fit. */
#define LADDER_MIN_SPACING 22

/* Owned by whoever called ladder_layout_init; valid while the callview is
 * unchanged (the viewer rebuilds it when the terminal is resized). */
struct ladder_layout {
	int width;      /* columns the ladder uses (>= the width asked for when the hosts need it) */
	int tw, fw;     /* widths of the time offset and of "#frame" in the gutter */
	int spacing;    /* distance between adjacent host lines */
	size_t ncols;
	int *x;         /* the vertical line of each host (owned) */
	char (*name)[ENDPOINT_STRLEN]; /* host names, shortened to fit the spacing (owned) */
	int64_t t0;     /* time of the first message: offsets count from it */
};

/* One row of the drawing, as wide as the layout: text (NUL-terminated,
 * trailing spaces kept) and a class per cell. */
struct ladder_row {
	char *text;
	uint8_t *cls;
	int len;
};

/* Lays v out for a screen width columns wide (0: 80). Free with
 * ladder_layout_free. */
void ladder_layout_init(struct ladder_layout *L, const struct callview *v, int width);
void ladder_layout_free(struct ladder_layout *L);

/* Rows sized for L (owned by the caller: free with ladder_rows_free). */
void ladder_rows_new(const struct ladder_layout *L, struct ladder_row *rows, size_t n);
void ladder_rows_free(struct ladder_row *rows, size_t n);

/* The row of host names, and a row of bare vertical lines. */
void ladder_row_names(const struct ladder_layout *L, struct ladder_row *r);
void ladder_row_lines(const struct ladder_layout *L, struct ladder_row *r);

/* The rows of message i (label, arrow with CSeq and finding markers, SDP
 * when carried), written to rows[0..n); returns n (2 or 3). */
#define LADDER_MSG_ROWS 3
int ladder_rows_msg(const struct ladder_layout *L, const struct callview *v, size_t i,
		    struct ladder_row rows[LADDER_MSG_ROWS]);
/* The rows of stream j: "RTP PCMU 250 pkts" above a double arrow
 * (=====>) from its sender's column to its receiver's with its time span
 * and finding markers, its loss, jitter and MOS under it; returns 3. */
int ladder_rows_stream(const struct ladder_layout *L, const struct callview *v, size_t j,
		       struct ladder_row rows[LADDER_MSG_ROWS]);
/* The rows of item k (v->items): a message or a stream. */
int ladder_rows_item(const struct ladder_layout *L, const struct callview *v, size_t k,
		     struct ladder_row rows[LADDER_MSG_ROWS]);

/* Colour class of a finding's severity. */
uint8_t ladder_severity_class(enum severity s);

/* Time offset of capture time ns from the first message: "+1.234". */
void ladder_offset(char *buf, size_t size, const struct ladder_layout *L, int64_t ns);

/* A stream's codec without its clock ("PCMU"), or its payload type
 * ("pt 96") when not known. */
void ladder_codec(char *buf, size_t size, const struct media_stream *s);

/* "2024-01-02T03:04:05.123Z" */
void ladder_time(char *buf, size_t size, int64_t ns);
/* "12.345 s", "-" when negative (not answered) */
void ladder_duration(char *buf, size_t size, int64_t ns);

/* Word wrapping: the number of bytes of s that fit on a line of width
 * columns (breaking after a space when it can; at least one byte). */
size_t ladder_wrap(const char *s, size_t width);

/* ---- shared by the text ladder and the exporters (ladder_svg.c,
 * ladder_mermaid.c) ---- */

/* Colour class of a message: its kind (request, status class). */
uint8_t ladder_msg_class(const struct cv_msg *m);
/* "CSeq 2" for a request of its own CSeq method, "CSeq 2 INVITE" otherwise
 * (method: say the method when it differs); "" when the message has none. */
void ladder_cseq(char *buf, size_t size, const struct cv_msg *m, bool method);
/* The header's lines: "call, completed, final 200 OK, 2 RTP streams" and
 * "start 2024-...Z, duration 8.004 s, 7 messages, 2 hosts". */
void ladder_state_line(char *buf, size_t size, const struct callview *v);
void ladder_span_line(char *buf, size_t size, const struct callview *v);
/* The length (1-4) of the well-formed UTF-8 character at p (no overlong
 * forms, no surrogates), 0 when p does not start one. p is NUL-terminated. */
size_t ladder_utf8_len(const unsigned char *p);

/* The exporters of --ladder --format svg and --format mermaid. */
void ladder_svg(FILE *out, const struct callview *v);
void ladder_mermaid(FILE *out, const struct callview *v);

#endif
