/* report_messages.c - the plain listing, one line per SIP message in capture
 * order: frame(s), UTC time, src -> dst, transport, start line, Call-ID, CSeq. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"

/* Days since 1970-01-01 as a proleptic Gregorian date (H. Hinnant's
 * civil_from_days), for days >= 0. */
static void civil_date(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468;
	int64_t era = z / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static char *put_digits(char *o, unsigned v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		o[i] = (char)('0' + v % 10);
	return o + n;
}

/* What gmtime_r, strftime and snprintf below give for years 1970-9999,
 * without them: the JSON report writes a time per message, 2.5 % of a
 * jsonl run once the writer was in. tests/unit_jsonw.c holds the two
 * equal. */
static bool time_fast(char *buf, size_t size, int64_t sec, uint32_t nsec)
{
	if (sec < 0 || sec >= 253402300800LL || nsec >= 1000000000u || size < 28)
		return false;
	int64_t y;
	unsigned mo, d, s = (unsigned)(sec % 86400);
	civil_date(sec / 86400, &y, &mo, &d);
	char *o = put_digits(buf, (unsigned)y, 4);
	*o++ = '-';
	o = put_digits(o, mo, 2);
	*o++ = '-';
	o = put_digits(o, d, 2);
	*o++ = 'T';
	o = put_digits(o, s / 3600, 2);
	*o++ = ':';
	o = put_digits(o, s / 60 % 60, 2);
	*o++ = ':';
	o = put_digits(o, s % 60, 2);
	*o++ = '.';
	o = put_digits(o, nsec / 1000, 6);
	*o++ = 'Z';
	*o = '\0';
	return true;
}

void report_time(char *buf, size_t size, int64_t sec, uint32_t nsec)
{
	if (time_fast(buf, size, sec, nsec))
		return;
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
