/* report_text.c - the default report: a summary line per input, then the
 * findings, most severe first, as compiler-style lines with the explanation
 * and hint indented below. */
#include <stdlib.h>
#include <string.h>

#include "report.h"

static void put_wrapped(FILE *out, const char *label, const char *text)
{
	/* indent 4, wrap at 100 columns on spaces */
	size_t col = (size_t)fprintf(out, "    %s: ", label);
	const char *p = text;
	while (*p) {
		const char *sp = strchr(p, ' ');
		size_t w = sp ? (size_t)(sp - p) : strlen(p);
		if (col + w > 100 && col > 8) {
			fputs("\n      ", out);
			col = 6;
		}
		fwrite(p, 1, w, out);
		col += w;
		p += w;
		if (*p == ' ') {
			fputc(' ', out);
			col++;
			p++;
		}
	}
	fputc('\n', out);
}

static int by_severity(const void *a, const void *b)
{
	const struct finding *x = *(struct finding *const *)a, *y = *(struct finding *const *)b;
	if (x->input != y->input)
		return x->input < y->input ? -1 : 1;
	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	uint64_t fx = x->nframes ? x->frames[0] : 0, fy = y->nframes ? y->frames[0] : 0;
	if (fx != fy)
		return fx < fy ? -1 : 1;
	return strcmp(x->rule, y->rule);
}

void report_text_end(struct report *r)
{
	FILE *out = r->out;
	if (r->nfindings)
		qsort(r->findings, r->nfindings, sizeof *r->findings, by_severity);
	size_t fi = 0;
	for (size_t i = 0; i < r->ninputs; i++) {
		const struct input_stats *st = &r->inputs[i];
		const struct input_tally *t = &r->tally[i];
		fprintf(out, "%s: %llu packets, %llu SIP messages, %llu malformed, %llu calls", st->path,
			(unsigned long long)st->packets, (unsigned long long)st->sip_messages,
			(unsigned long long)st->malformed, (unsigned long long)t->calls);
		bool open = false;
		for (int k = 0; k < KIND_COUNT; k++)
			if (t->by_kind[k]) {
				fprintf(out, "%s%llu %s", open ? ", " : " (", (unsigned long long)t->by_kind[k],
					call_kind_name((enum call_kind)k));
				open = true;
			}
		if (open)
			fputc(')', out);
		if (st->tls_flows)
			fprintf(out, ", %llu TLS flows not decrypted", (unsigned long long)st->tls_flows);
		fputc('\n', out);
		if (st->nerrors || st->fatal)
			fprintf(out, "  %u problems reported on stderr\n", st->nerrors + (st->fatal ? 1 : 0));
		for (; fi < r->nfindings && r->findings[fi]->input == i; fi++) {
			const struct finding *f = r->findings[fi];
			fprintf(out, "%s:%llu: %s[%s]: %s\n", st->path,
				(unsigned long long)(f->nframes ? f->frames[0] : 0), severity_name(f->severity), f->rule,
				f->summary);
			fputs("    frames:", out);
			for (size_t k = 0; k < f->nframes; k++)
				fprintf(out, " %llu", (unsigned long long)f->frames[k]);
			fprintf(out, "  call %s\n", f->call_id ? f->call_id : "-");
			if (f->explanation)
				put_wrapped(out, "why", f->explanation);
			if (f->hint)
				put_wrapped(out, "hint", f->hint);
			fprintf(out, "    see: %s\n", f->reference);
		}
	}
}
