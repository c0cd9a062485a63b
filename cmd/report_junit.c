/* report_junit.c - JUnit XML for CI systems that show test results
 * natively: a testsuite per input file, a testcase per enabled rule, a
 * failure per finding at or above the --fail-on level (findings below it are
 * listed in the testcase's system-out, so nothing is hidden). */
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* XML 1.0 text: escapes markup, drops bytes XML cannot carry (control
 * characters), keeps UTF-8 as is. */
static void xml_text(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&apos;", out); break;
		default:
			if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
				fputc('?', out);
			else
				fputc(*p, out);
		}
	}
}

static void finding_body(FILE *out, const struct input_stats *st, const struct finding *f)
{
	char b[64];
	snprintf(b, sizeof b, "%llu", (unsigned long long)f->frame);
	xml_text(out, st->path);
	fprintf(out, ":%s: %s[%s]: ", b, severity_name(f->severity), f->rule);
	xml_text(out, f->summary);
	fputs("\nframes:", out);
	for (size_t k = 0; k < f->nframes; k++)
		fprintf(out, " %llu", (unsigned long long)f->frames[k]);
	fputs("\ncall: ", out);
	if (f->call_seq != FINDING_NO_CALL)
		fprintf(out, "#%llu ", (unsigned long long)call_number(f->call_seq));
	xml_text(out, f->call_id ? f->call_id : "-");
	if (f->explanation) {
		fputs("\nwhy: ", out);
		xml_text(out, f->explanation);
	}
	if (f->hint) {
		fputs("\nhint: ", out);
		xml_text(out, f->hint);
	}
	fputs("\nsee: ", out);
	xml_text(out, f->reference);
	fputc('\n', out);
}

static int by_input_rule(const void *a, const void *b)
{
	const struct finding *x = *(struct finding *const *)a, *y = *(struct finding *const *)b;
	if (x->input != y->input)
		return x->input < y->input ? -1 : 1;
	int ix = rule_index(x->rule), iy = rule_index(y->rule);
	if (ix != iy)
		return ix < iy ? -1 : 1;
	if (x->frame != y->frame)
		return x->frame < y->frame ? -1 : 1;
	return x->call_seq < y->call_seq ? -1 : x->call_seq > y->call_seq;
}

void report_junit_end(struct report *r)
{
	FILE *out = r->out;
	const struct options *o = r->opt;
	if (r->nfindings)
		qsort(r->findings, r->nfindings, sizeof *r->findings, by_input_rule);
	size_t nrules = 0;
	for (size_t k = 0; k < rule_count; k++)
		if (o->rs.enabled[k] && (!o->filter.any_rule || o->filter.rules[k]))
			nrules++;
	uint64_t total_fail = 0;
	for (size_t i = 0; i < r->nfindings; i++)
		if ((int)r->findings[i]->severity >= o->fail_on && !r->findings[i]->baselined)
			total_fail++;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	fprintf(out, "<testsuites name=\"sipaudit\" tests=\"%zu\" failures=\"%llu\" errors=\"0\">\n", nrules * r->ninputs,
		(unsigned long long)total_fail);
	size_t fi = 0;
	for (size_t i = 0; i < r->ninputs; i++) {
		const struct input_stats *st = &r->inputs[i];
		size_t first = fi;
		while (fi < r->nfindings && r->findings[fi]->input == i)
			fi++;
		uint64_t fails = 0;
		for (size_t k = first; k < fi; k++)
			if ((int)r->findings[k]->severity >= o->fail_on && !r->findings[k]->baselined)
				fails++;
		bool unreadable = !st->opened;
		fputs("  <testsuite name=\"", out);
		xml_text(out, st->path);
		fprintf(out, "\" tests=\"%zu\" failures=\"%llu\" errors=\"%d\" skipped=\"0\">\n", nrules + unreadable,
			(unsigned long long)fails, unreadable ? 1 : 0);
		fprintf(out, "    <properties><property name=\"packets\" value=\"%llu\"/>"
			     "<property name=\"sip_messages\" value=\"%llu\"/><property name=\"calls\" value=\"%llu\"/></properties>\n",
			(unsigned long long)st->packets, (unsigned long long)st->sip_messages,
			(unsigned long long)r->tally[i].calls);
		if (unreadable) {
			fputs("    <testcase classname=\"sipaudit.input\" name=\"read\"><error message=\"", out);
			xml_text(out, st->fatal ? st->fatal : "unreadable");
			fputs("\"/></testcase>\n", out);
		}
		size_t k = first;
		for (size_t ri = 0; ri < rule_count; ri++) {
			if (!o->rs.enabled[ri] || (o->filter.any_rule && !o->filter.rules[ri]))
				continue;
			const struct rule *rule = rule_registry[ri];
			size_t rs = k;
			while (k < fi && rule_index(r->findings[k]->rule) == (int)ri)
				k++;
			fprintf(out, "    <testcase classname=\"sipaudit.rules\" name=\"%s\">", rule->id);
			if (rs == k) {
				fputs("</testcase>\n", out);
				continue;
			}
			fputc('\n', out);
			bool below = false;
			for (size_t x = rs; x < k; x++) {
				const struct finding *f = r->findings[x];
				if ((int)f->severity < o->fail_on || f->baselined) {
					below = true;
					continue;
				}
				fputs("      <failure type=\"", out);
				fputs(severity_name(f->severity), out);
				fputs("\" message=\"", out);
				xml_text(out, f->summary);
				fputs("\">", out);
				finding_body(out, st, f);
				fputs("</failure>\n", out);
			}
			if (below) {
				fputs("      <system-out>", out);
				for (size_t x = rs; x < k; x++)
					if ((int)r->findings[x]->severity < o->fail_on || r->findings[x]->baselined)
						finding_body(out, st, r->findings[x]);
				fputs("</system-out>\n", out);
			}
			fputs("    </testcase>\n", out);
		}
		fputs("  </testsuite>\n", out);
	}
	fputs("</testsuites>\n", out);
}
