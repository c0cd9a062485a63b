/* report.h - renderers: they read the analysed inputs, finalised calls and
 * findings, never parse and never decide what is a fault. Calls arrive one
 * at a time as the store finalises them (and are freed right after), so a
 * renderer writes or summarises each call at once. */
#ifndef SIPAUDIT_REPORT_H
#define SIPAUDIT_REPORT_H

#include <stdio.h>

#include "../analyzer/analyzer.h"
#include "../analyzer/model/kpi.h"
#include "../analyzer/model/model.h"
#include "../rules/rule.h"
#include "options.h"

/* Per-input tallies kept by the driver for summaries. */
struct input_tally {
	uint64_t calls;
	uint64_t by_kind[KIND_COUNT];
	uint64_t by_state[STATE_COUNT];
	uint64_t early;  /* finalised early under the memory bound */
	uint64_t t4_cut; /* over, closed by the bound before T4 ran out */
};

struct text_table;
struct jsonw;

/* An RTP stream no call's SDP explained, kept for the end of the report. */
struct orphan_stream {
	uint32_t input;
	struct media_stream s;
};
/* At most this many are kept (and listed); the rest are counted. */
#define ORPHANS_MAX 10000

struct report {
	FILE *out;
	const struct options *opt;
	bool colour;                /* ANSI colours in the text report */
	struct input_stats *inputs; /* filled as inputs are read */
	struct input_tally *tally;  /* every call, filtered or not */
	struct kpis *kpis;          /* of the calls the call filters select */
	size_t ninputs;
	/* Reported findings (those that passed the filters) of all inputs,
	 * owned here, in emission order until sorted. jsonl writes them with
	 * their call and keeps none. */
	struct finding **findings;
	size_t nfindings, findings_cap;
	uint64_t nsev[3];           /* reported findings by severity */
	uint64_t nbaselined[3];     /* of which accepted by --baseline */
	uint64_t calls_written;     /* calls that passed the filters */
	struct text_table *table;   /* report_text.c: rows of the calls table */
	struct orphan_stream *orphans; /* in the order they went idle */
	size_t norphans, orphans_cap;
	uint64_t *orphans_unlisted;  /* per input: beyond ORPHANS_MAX */
	struct keylog *keylog;      /* TLS secrets in use (their statistics), never NULL when reading */
	void *html;                 /* html.c / report_html.c: temporary files of the HTML page */
	struct jsonw *json;         /* report_json.c: the writer of the value being written, owned */
	int err;
	int werrno; /* errno of the first failed write, 0 */
};

/* Keeps a stream no call explained for the end of the report (at most
 * max of them; beyond, r->orphans_unlisted[input] counts). */
void report_add_orphan(struct report *r, uint32_t input, const struct media_stream *s, size_t max);

/* The input's TLS flows not decrypted, by outcome: "no_key: 2, midstream: 1"
 * (open: something was already written, start with ", "). */
void report_tls_outcomes(FILE *out, const struct input_stats *st, bool open);

/* RFC 3339 UTC with microseconds: 2024-01-02T03:04:05.123456Z */
void report_time(char *buf, size_t size, int64_t sec, uint32_t nsec);
void report_time_ns(char *buf, size_t size, int64_t ns);
/* Orders findings by input, then the first frame they cite, then rule. */
void report_sort_findings(struct report *r);

/* A call's number in the calls table, as --ladder and JSON give it. */
static inline uint64_t call_number(uint64_t seq)
{
	return seq + 1;
}

/* JSON document (report_json.c): begin, one call at a time, end. With
 * --format jsonl, each call is one line with its findings (f[0..nf)), a
 * finding not written with a call is a line of its own, and the end is
 * the summary line. */
void report_json_begin(struct report *r);
void report_json_call(struct report *r, const struct call *c, struct finding *const *f, size_t nf);
void report_json_finding(struct report *r, const struct finding *f);
void report_json_end(struct report *r);
/* Frees the JSON writer (r->json); NULL-safe, for every format. */
void report_json_free(struct report *r);

/* JUnit XML (report_junit.c), written at the end from the findings. */
void report_junit_end(struct report *r);

/* Plain message listing (report_messages.c), one message at a time. */
void report_messages_msg(struct report *r, const struct sip_msg *m);

/* Text (report_text.c): per input, a summary line, the findings, the
 * calls table (rows kept in a temporary file, so memory stays flat). */
void report_text_call(struct report *r, const struct call *c, struct finding *const *f, size_t nf);
void report_text_late_finding(struct report *r, const struct finding *f);
/* One finding as a compiler-style line with frames, why, hint, see. */
void report_text_finding(struct report *r, const struct finding *f, size_t width);
void report_text_end(struct report *r);
void report_text_free(struct report *r);
/* Sorts findings by input, severity (most severe first), key frame, rule. */
void report_sort_by_severity(struct report *r);

#endif
