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

static int by_frame(const void *a, const void *b)
{
	const struct sip_msg *x = *(struct sip_msg *const *)a, *y = *(struct sip_msg *const *)b;
	if (x->input != y->input)
		return x->input < y->input ? -1 : 1;
	if (x->frame != y->frame)
		return x->frame < y->frame ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Prints a slice with control bytes shown as '.', so junk can't drive the terminal. */
static void put_clean(FILE *out, struct sv s)
{
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		fputc(c < 0x20 || c == 0x7f ? '.' : c, out);
	}
}

/* Collects every message sorted by input and frame (arrival order within a frame). */
static struct sip_msg **sorted(const struct report *r, size_t *n)
{
	size_t total = 0;
	for (size_t i = 0; i < r->calls->ncalls; i++)
		total += r->calls->calls[i]->nmsgs;
	struct sip_msg **v = malloc((total ? total : 1) * sizeof *v);
	if (!v)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < r->calls->ncalls; i++)
		for (size_t j = 0; j < r->calls->calls[i]->nmsgs; j++)
			v[k++] = r->calls->calls[i]->msgs[j];
	qsort(v, total, sizeof *v, by_frame);
	*n = total;
	return v;
}

int report_messages(FILE *out, const struct report *r)
{
	size_t n;
	struct sip_msg **v = sorted(r, &n);
	if (!v)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct sip_msg *m = v[i];
		char t[64], a[ENDPOINT_STRLEN], b[ENDPOINT_STRLEN];
		if (r->ninputs > 1 && (i == 0 || v[i - 1]->input != m->input))
			fprintf(out, "# %s\n", r->inputs[m->input].path);
		report_time(t, sizeof t, m->ts_sec, m->ts_nsec);
		endpoint_format(&m->src, a, sizeof a);
		endpoint_format(&m->dst, b, sizeof b);
		if (m->first_frame != m->frame)
			fprintf(out, "%llu-%llu", (unsigned long long)m->first_frame, (unsigned long long)m->frame);
		else
			fprintf(out, "%llu", (unsigned long long)m->frame);
		fprintf(out, " %s %s -> %s %s%s ", t, a, b, transport_name(m->transport),
			m->encap == ENCAP_HEP ? "/hep" : "");
		put_clean(out, m->start.line);
		fputs(" | ", out);
		put_clean(out, sip_msg_call_id(m));
		fputs(" | ", out);
		put_clean(out, sv_trim(sip_msg_hdr(m, SIP_H_CSEQ)));
		if (m->malformed)
			fprintf(out, " | malformed: %s", m->malformed_reason);
		fputc('\n', out);
	}
	free(v);
	return 0;
}

int report_text(FILE *out, const struct report *r)
{
	for (size_t i = 0; i < r->ninputs; i++) {
		const struct input_stats *st = &r->inputs[i];
		fprintf(out, "%s: %llu packets, %llu SIP messages, %llu malformed", st->path,
			(unsigned long long)st->packets, (unsigned long long)st->sip_messages,
			(unsigned long long)st->malformed);
		size_t calls = 0;
		for (size_t k = 0; k < r->calls->ncalls; k++)
			calls += r->calls->calls[k]->input == i;
		fprintf(out, ", %zu Call-IDs", calls);
		if (st->tls_flows)
			fprintf(out, ", %llu TLS flows not decrypted", (unsigned long long)st->tls_flows);
		fputc('\n', out);
		if (st->nerrors || st->fatal)
			fprintf(out, "  %u problems reported on stderr\n", st->nerrors + (st->fatal ? 1 : 0));
	}
	return 0;
}
