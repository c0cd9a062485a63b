/* report_messages.c - the plain listing, one line per SIP message in capture
 * order: frame(s), UTC time, src -> dst, transport, start line, Call-ID, CSeq. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"

void report_time(char *buf, size_t size, int64_t sec, uint32_t nsec)
{
	time_t t = (time_t)sec;
	struct tm tm;
	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, size, "?");
		return;
	}
	char d[32];
	strftime(d, sizeof d, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%06uZ", d, nsec / 1000);
}

void report_time_ns(char *buf, size_t size, int64_t ns)
{
	report_time(buf, size, ns / 1000000000LL, (uint32_t)(ns % 1000000000LL));
}

static int by_input_frame(const void *a, const void *b)
{
	const struct finding *x = *(struct finding *const *)a, *y = *(struct finding *const *)b;
	if (x->input != y->input)
		return x->input < y->input ? -1 : 1;
	uint64_t fx = x->nframes ? x->frames[0] : 0, fy = y->nframes ? y->frames[0] : 0;
	if (fx != fy)
		return fx < fy ? -1 : 1;
	int c = strcmp(x->rule, y->rule);
	if (c)
		return c;
	return x->call_seq < y->call_seq ? -1 : x->call_seq > y->call_seq;
}

void report_sort_findings(struct report *r)
{
	if (r->nfindings)
		qsort(r->findings, r->nfindings, sizeof *r->findings, by_input_frame);
}

/* Prints a slice with control bytes shown as '.', so junk can't drive the terminal. */
static void put_clean(FILE *out, struct sv s)
{
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		fputc(c < 0x20 || c == 0x7f ? '.' : c, out);
	}
}

void report_messages_msg(struct report *r, const struct sip_msg *m)
{
	FILE *out = r->out;
	char t[64], a[ENDPOINT_STRLEN], b[ENDPOINT_STRLEN];
	if (r->ninputs > 1 && (r->calls_written == 0 || r->calls_written - 1 != m->input)) {
		fprintf(out, "# %s\n", r->inputs[m->input].path);
		r->calls_written = m->input + 1; /* reused here as "last input headed + 1" */
	}
	report_time(t, sizeof t, m->ts_sec, m->ts_nsec);
	endpoint_format(&m->src, a, sizeof a);
	endpoint_format(&m->dst, b, sizeof b);
	if (m->first_frame != m->frame)
		fprintf(out, "%llu-%llu", (unsigned long long)m->first_frame, (unsigned long long)m->frame);
	else
		fprintf(out, "%llu", (unsigned long long)m->frame);
	fprintf(out, " %s %s -> %s %s%s ", t, a, b, transport_name(m->transport), m->encap == ENCAP_HEP ? "/hep" : "");
	put_clean(out, m->start.line);
	fputs(" | ", out);
	put_clean(out, sip_msg_call_id(m));
	fputs(" | ", out);
	put_clean(out, sv_trim(sip_msg_hdr(m, SIP_H_CSEQ)));
	if (m->malformed)
		fprintf(out, " | malformed: %s", m->malformed_reason);
	fputc('\n', out);
}
