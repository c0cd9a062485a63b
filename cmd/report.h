/* report.h - renderers: they read the analysed inputs, finalised calls and
 * findings, never parse and never decide what is a fault. Calls arrive one
 * at a time as the store finalises them (and are freed right after), so a
 * renderer writes or summarises each call at once. */
#ifndef SIPAUDIT_REPORT_H
#define SIPAUDIT_REPORT_H

#include <stdio.h>

#include "../analyzer/analyzer.h"
#include "../analyzer/model.h"
#include "../rules/rule.h"

/* Per-input tallies kept by the driver for summaries. */
struct input_tally {
	uint64_t calls;
	uint64_t by_kind[KIND_COUNT];
	uint64_t by_state[STATE_COUNT];
};

struct report {
	FILE *out;
	struct input_stats *inputs; /* filled as inputs are read */
	struct input_tally *tally;
	size_t ninputs;
	/* Findings of all inputs, owned here, in emission order until
	 * report_sort_findings. */
	struct finding **findings;
	size_t nfindings, findings_cap;
	uint64_t calls_written;
	int err;
};

/* RFC 3339 UTC with microseconds: 2024-01-02T03:04:05.123456Z */
void report_time(char *buf, size_t size, int64_t sec, uint32_t nsec);
void report_time_ns(char *buf, size_t size, int64_t ns);
/* Orders findings by input, then the first frame they cite, then rule. */
void report_sort_findings(struct report *r);

/* JSON document (report_json.c): begin, one call at a time, end. */
void report_json_begin(struct report *r);
void report_json_call(struct report *r, const struct call *c);
void report_json_end(struct report *r);

/* Plain message listing (report_messages.c), one message at a time. */
void report_messages_msg(struct report *r, const struct sip_msg *m);

/* Text (report_text.c): per-input summary and findings. */
void report_text_end(struct report *r);

#endif
