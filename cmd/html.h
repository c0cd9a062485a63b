/* html.h - the HTML ladder (--ladder CALL --format html) and the HTML report
 * (--format html): self-contained pages whose data are JSON blocks
 * (<script type="application/json">) drawn by one embedded script
 * (cmd/html/sipaudit.js, with sipaudit.css, compiled into the binary).
 * Nothing is fetched: a page opens from a mail attachment. */
#ifndef SIPAUDIT_HTML_H
#define SIPAUDIT_HTML_H

#include <jansson.h>
#include <stdio.h>

#include "callview.h"
#include "report.h"

/* Embedded assets (generated from cmd/html/ at build time). */
extern const char html_asset_js[];
extern const char html_asset_css[];

/* SIP bytes as a JSON string, invalid UTF-8 as U+FFFD (report_json.c). */
json_t *report_json_bytes(const char *p, size_t n);

/* One call for the renderer: hosts, messages (raw bytes when v kept them),
 * streams with their series, findings and which arrows they are on, the
 * signalling events of the call (from c) for the charts' time axis. */
json_t *html_call_json(const struct callview *v, const struct call *c);
/* A finding as the renderer reads it. */
json_t *html_finding_json(const struct finding *f);
/* Writes j compactly, safe inside <script>: every '<' as \u003c. Consumes j.
 * Returns the bytes written, -1 on error. */
long html_dump(FILE *out, json_t *j);
/* The page around the data: head (title, CSS) and tail (script). */
void html_head(FILE *out, const char *title);
void html_tail(FILE *out);

/* --ladder CALL --format html: each matching call as it is finalised,
 * findings raised after their call ended, then the page. */
void html_ladder_call(struct report *r, const struct call *c, struct finding *const *f, size_t nf);
void html_ladder_late(struct report *r, const struct finding *f);
void html_ladder_end(struct report *r);
void html_ladder_free(struct report *r);

/* Byte budget of the ladders embedded in the HTML report (see the man page):
 * any call while they total under half of it, calls with findings until it
 * is spent, then none (the row says how to draw it). */
#define HTML_LADDER_BUDGET (16u << 20)

/* --format html (report_html.c): calls as they are finalised (rows and
 * ladders in temporary files), then the page. */
void report_html_call(struct report *r, const struct call *c, struct finding *const *f, size_t nf);
void report_html_end(struct report *r);
void report_html_free(struct report *r);

#endif
