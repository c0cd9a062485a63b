/* report.h - renderers: they read the analysed inputs and calls, never parse. */
#ifndef SIPAUDIT_REPORT_H
#define SIPAUDIT_REPORT_H

#include <stdio.h>

#include "../analyzer/analyzer.h"
#include "../analyzer/calls.h"

struct report {
	struct input_stats *inputs;
	size_t ninputs;
	const struct callstore *calls;
};

/* RFC 3339 UTC with microseconds: 2024-01-02T03:04:05.123456Z */
void report_time(char *buf, size_t size, int64_t sec, uint32_t nsec);

int report_json(FILE *out, const struct report *r);
int report_messages(FILE *out, const struct report *r);
int report_text(FILE *out, const struct report *r);

#endif
