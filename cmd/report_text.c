/* report_text.c - the default report, for a person reading a customer's
 * capture: per input a summary line, the findings (most severe first) as
 * compiler-style lines with the explanation and hint indented below, then a
 * compact table of the calls; a closing line with the totals.
 *
 * Calls are freed as they are finalised, so their table rows go to a
 * temporary file (with a small index to put them back in call order):
 * memory stays flat on captures of millions of calls. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../analyzer/xalloc.h"
#include "../analyzer/tls/tls.h"
#include "report.h"

/* ANSI SGR sequences, empty when colour is off. */
struct pal {
	const char *bold, *off, *sev[3], *good, *bad, *warn, *dim;
};

static struct pal palette(const struct report *r)
{
	if (!r->colour)
		return (struct pal){ "", "", { "", "", "" }, "", "", "", "" };
	return (struct pal){ "\033[1m", "\033[0m", { "\033[1;36m", "\033[1;35m", "\033[1;31m" },
			     "\033[32m", "\033[31m", "\033[33m", "\033[2m" };
}

struct row_ref {
	uint32_t input;
	uint32_t nmedia; /* stream lines that follow the call's line */
	bool no_bye;     /* answered, no BYE: duration shown with '+' */
	uint64_t number;
	long off;
};

struct text_table {
	FILE *tmp;
	long woff;      /* bytes written to tmp: the next row's offset (ftell would lseek per call) */
	long rpos;      /* where reading stands (-1: unknown): rows read in file order need no seek */
	/* The rows' references: in memory up to ROWS_CHUNK of them; beyond,
	 * each full chunk goes sorted to runs (a temporary file) and the end
	 * merges the runs into sorted (another), read through a window: the
	 * report's memory does not grow with the number of calls. */
	struct row_ref *rows;
	size_t nrows, nmem, cap; /* all rows, those in rows[], its size */
	FILE *runs, *sorted;
	size_t *run_at;          /* first row of each run */
	size_t nruns;
	size_t win_start, win_n; /* rows[] holds sorted rows [win_start, +win_n) */
	int wfrom, wto; /* widest from/to seen, capped */
	uint64_t nstreams;
	bool failed;
	/* findings that came after their call's row was written (lapsed
	 * registrations), folded in when the table is printed */
	struct late { uint64_t number; int severity; } *late;
	size_t nlate;
};

#define PARTY_MAX 32

/* URI without the scheme, printable, shortened to max with a '~'. */
static void party(char *buf, size_t size, const struct call *c, bool to)
{
	const struct sip_nameaddr *na = call_party(c, to);
	if (!na) {
		snprintf(buf, size, "-");
		return;
	}
	struct sv u = na->uri;
	if (u.len > 4 && strncasecmp(u.p, "sip:", 4) == 0)
		u.p += 4, u.len -= 4;
	else if (u.len > 5 && strncasecmp(u.p, "sips:", 5) == 0)
		u.p += 5, u.len -= 5;
	/* drop URI parameters: ;transport=udp etc. */
	for (size_t i = 0; i < u.len; i++)
		if (u.p[i] == ';') {
			u.len = i;
			break;
		}
	size_t n = 0;
	for (size_t i = 0; i < u.len && n + 1 < size; i++) {
		unsigned char ch = (unsigned char)u.p[i];
		buf[n++] = ch > 0x20 && ch < 0x7f && ch != '\t' ? (char)ch : '?';
	}
	buf[n] = 0;
	if (n > PARTY_MAX) {
		buf[PARTY_MAX - 1] = '~';
		buf[PARTY_MAX] = 0;
	}
}

static void duration(char *buf, size_t size, int64_t ns)
{
	if (ns < 0) {
		snprintf(buf, size, "-");
		return;
	}
	double s = (double)ns / 1e9;
	if (s < 60)
		snprintf(buf, size, "%.1fs", s);
	else if (s < 3600)
		snprintf(buf, size, "%dm%02ds", (int)(s / 60), (int)s % 60);
	else
		snprintf(buf, size, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
}

/* One RTP stream as the tab-separated fields of a media table line:
 * src, dst, codec, packets, lost, jitter, MOS, notes. */
static int media_fields(FILE *out, const struct media_stream *s)
{
	char src[ENDPOINT_STRLEN], dst[ENDPOINT_STRLEN], lost[40], jit[32] = "-", mos[16] = "-", note[160] = "";
	endpoint_format(&s->src, src, sizeof src);
	endpoint_format(&s->dst, dst, sizeof dst);
	snprintf(lost, sizeof lost, "%llu (%.1f%%)", (unsigned long long)s->lost,
		 s->expected ? 100.0 * (double)s->lost / (double)s->expected : 0.0);
	if (s->jitter_mean_ms >= 0)
		snprintf(jit, sizeof jit, "%.1f/%.1f", s->jitter_mean_ms, s->jitter_max_ms);
	if (s->mos >= 0)
		snprintf(mos, sizeof mos, "%.2f", s->mos);
	size_t n = 0;
#define NOTE(...)                                                                              \
	do {                                                                                   \
		if (n < sizeof note)                                                           \
			n += (size_t)snprintf(note + n, sizeof note - n, "%s", n ? "; " : ""); \
		if (n < sizeof note)                                                           \
			n += (size_t)snprintf(note + n, sizeof note - n, __VA_ARGS__);        \
	} while (0)
	if (s->from_caller >= 0)
		NOTE("%s", s->from_caller ? "caller->callee" : "callee->caller");
	if (s->match == MATCH_REVERSE)
		NOTE("latched");
	if (s->src_differs) {
		char b[ENDPOINT_STRLEN];
		endpoint_format(&s->sdp_src, b, sizeof b);
		NOTE("SDP said from %s", b);
	}
	if (s->dst_differs) {
		char b[ENDPOINT_STRLEN];
		endpoint_format(&s->sdp_dst, b, sizeof b);
		NOTE("SDP said to %s", b);
	}
	if (s->sdp_dst_private)
		NOTE("private SDP address");
	if (s->leg) {
		char b[ENDPOINT_STRLEN];
		endpoint_format(&s->relay, b, sizeof b);
		NOTE("relay leg %d: %s relay %s%s", s->leg, s->leg == 1 ? "into" : "out of", b,
		     s->relay_in_sdp ? "" : " (in no SDP)");
	}
	if (s->has_rtcp)
		NOTE("RTCP %u SR/%u RR", s->rtcp.sr, s->rtcp.rr);
	if (s->packets && !s->answered_packets && s->match != MATCH_NONE)
		NOTE("before answer");
#undef NOTE
	return fprintf(out, "%s\t%s\t%s\t%llu\t%s\t%s\t%s\t%s\n", src, dst, s->codec[0] ? s->codec : "?",
		       (unsigned long long)s->packets, lost, jit, mos, note);
}

#ifndef ROWS_CHUNK
#define ROWS_CHUNK 16384 /* tests build with a tiny one: every table through the runs */
#endif

static int by_row(const void *a, const void *b);

/* v in decimal, ending at buf[size - 1] (size 21 or more): where it starts. */
static const char *decimal(char *buf, size_t size, uint64_t v)
{
	buf[size - 1] = 0;
	return sv_utoa(buf + size - 1, v);
}

/* A full chunk of row references, sorted, to the runs file. */
static void spill_rows(struct text_table *t)
{
	if (!t->runs && !(t->runs = tmpfile())) {
		t->failed = true;
		return;
	}
	qsort(t->rows, t->nmem, sizeof *t->rows, by_row);
	if (fwrite(t->rows, sizeof *t->rows, t->nmem, t->runs) != t->nmem)
		t->failed = true;
	t->run_at = xrealloc(t->run_at, (t->nruns + 1) * sizeof *t->run_at);
	t->run_at[t->nruns++] = t->nrows - t->nmem;
	t->nmem = 0;
}

/* The runs merged into one sorted file (a heap of the runs' next rows,
 * each run read through a small buffer). */
#define RUN_BUF 64
struct run_cur {
	size_t pos, end; /* rows of the run not yet taken */
	struct row_ref buf[RUN_BUF];
	size_t bi, bn;
};

static bool run_next(struct text_table *t, struct run_cur *c, struct row_ref *out)
{
	if (c->bi == c->bn) {
		if (c->pos == c->end)
			return false;
		size_t n = c->end - c->pos < RUN_BUF ? c->end - c->pos : RUN_BUF;
		if (fseeko(t->runs, (off_t)(c->pos * sizeof *out), SEEK_SET) != 0 ||
		    fread(c->buf, sizeof *out, n, t->runs) != n) {
			t->failed = true;
			return false;
		}
		c->pos += n;
		c->bi = 0;
		c->bn = n;
	}
	*out = c->buf[c->bi++];
	return true;
}

static void merge_rows(struct text_table *t)
{
	if (t->nmem)
		spill_rows(t);
	if (t->failed || fflush(t->runs) != 0 || !(t->sorted = tmpfile())) {
		t->failed = true;
		return;
	}
	size_t k = t->nruns;
	struct run_cur *cur = xcalloc(k, sizeof *cur);
	struct row_ref *head = xmalloc(k * sizeof *head);
	size_t *heap = xmalloc(k * sizeof *heap), nh = 0;
	for (size_t i = 0; i < k; i++) {
		cur[i].pos = t->run_at[i];
		cur[i].end = i + 1 < k ? t->run_at[i + 1] : t->nrows;
		if (run_next(t, &cur[i], &head[i]))
			heap[nh++] = i;
	}
	/* a binary heap of run indexes by their head row */
#define LESS(a, b) (by_row(&head[heap[a]], &head[heap[b]]) < 0)
	for (size_t i = nh / 2; i-- > 0;)
		for (size_t j = i;;) {
			size_t l = 2 * j + 1, m = j;
			if (l < nh && LESS(l, m)) m = l;
			if (l + 1 < nh && LESS(l + 1, m)) m = l + 1;
			if (m == j) break;
			size_t x = heap[j]; heap[j] = heap[m]; heap[m] = x; j = m;
		}
	while (nh && !t->failed) {
		size_t r = heap[0];
		if (fwrite(&head[r], sizeof head[r], 1, t->sorted) != 1)
			t->failed = true;
		if (!run_next(t, &cur[r], &head[r]))
			heap[0] = heap[--nh];
		for (size_t j = 0;;) {
			size_t l = 2 * j + 1, m = j;
			if (l < nh && LESS(l, m)) m = l;
			if (l + 1 < nh && LESS(l + 1, m)) m = l + 1;
			if (m == j) break;
			size_t x = heap[j]; heap[j] = heap[m]; heap[m] = x; j = m;
		}
	}
#undef LESS
	free(cur);
	free(head);
	free(heap);
	if (fflush(t->sorted) != 0)
		t->failed = true;
	t->win_start = t->win_n = 0;
}

/* The k-th row in (input, number) order. */
static const struct row_ref *row_at(struct text_table *t, size_t k)
{
	if (!t->sorted)
		return &t->rows[k];
	if (k < t->win_start || k >= t->win_start + t->win_n) {
		size_t n = t->nrows - k < t->cap ? t->nrows - k : t->cap;
		if (fseeko(t->sorted, (off_t)(k * sizeof *t->rows), SEEK_SET) != 0 ||
		    fread(t->rows, sizeof *t->rows, n, t->sorted) != n) {
			t->failed = true;
			static const struct row_ref none = { UINT32_MAX, 0, false, 0, 0 };
			return &none;
		}
		t->win_start = k;
		t->win_n = n;
	}
	return &t->rows[k - t->win_start];
}

void report_text_call(struct report *r, const struct call *c, struct finding *const *f, size_t nf)
{
	struct text_table *t = r->table;
	if (!t) {
		t = r->table = xcalloc(1, sizeof *t);
		t->tmp = tmpfile();
		t->rpos = -1;
		t->wfrom = t->wto = 4;
		if (!t->tmp)
			t->failed = true;
	}
	if (t->failed)
		return;
	char from[PARTY_MAX + 8], to[PARTY_MAX + 8], start[40], dur[24], code[8] = "-";
	party(from, sizeof from, c, false);
	party(to, sizeof to, c, true);
	if ((int)strlen(from) > t->wfrom)
		t->wfrom = (int)strlen(from);
	if ((int)strlen(to) > t->wto)
		t->wto = (int)strlen(to);
	report_time_ns(start, sizeof start, c->start_ns);
	/* time of day with milliseconds: 2024-01-02T03:04:05.123456Z → 03:04:05.123 */
	char *tpos = strchr(start, 'T');
	char tod[16] = "-";
	if (tpos && strlen(tpos) >= 13) {
		memcpy(tod, tpos + 1, 12);
		tod[12] = 0;
	}
	duration(dur, sizeof dur, c->duration_ns);
	if (c->duration_ns >= 0 && c->until != UNTIL_BYE)
		strcat(dur, "+"); /* no BYE: up at least this long (legend under the table) */
	if (c->final_status)
		snprintf(code, sizeof code, "%d", c->final_status);
	int worst = -1;
	for (size_t i = 0; i < nf; i++)
		if ((int)f[i]->severity > worst)
			worst = (int)f[i]->severity;
	if (t->nmem == ROWS_CHUNK)
		spill_rows(t);
	if (t->nmem == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->rows = xrealloc(t->rows, t->cap * sizeof *t->rows);
	}
	struct row_ref *ref = &t->rows[t->nmem++];
	t->nrows++;
	ref->input = c->input;
	ref->number = call_number(c->seq);
	ref->off = t->woff;
	/* B2BUA legs: "#2 by same SDP, #5 by Session-ID" (numbers, not Call-IDs) */
	char legs[256] = "";
	size_t ll = 0;
	for (uint32_t i = 0; i < c->nlinks && ll < sizeof legs; i++) {
		const char *how = c->links[i].how; /* a header name at most: printable */
		int n = snprintf(legs + ll, sizeof legs - ll, "%s#%llu by %s", i ? ", " : "",
				 (unsigned long long)call_number(c->links[i].peer_seq), how);
		if (n < 0 || (size_t)n >= sizeof legs - ll) {
			legs[ll] = 0;
			break;
		}
		ll += (size_t)n;
	}
	/* the memory bound cut it, or it continues a call that was cut */
	char note[96] = "";
	if (c->continues)
		snprintf(note, sizeof note, "continues #%llu%s", (unsigned long long)call_number(c->continues - 1),
			 c->early ? "; " : "");
	if (c->early)
		strcat(note, "finalised early under the memory bound");
	/* "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%zu\t%d\t%s\t%s\n", put together by hand
	 * (fprintf was most of this function, once per call) */
	char nfs[24], ws[16], line[1024];
	snprintf(ws, sizeof ws, "%d", worst);
	const char *cells[] = { tod, from, to, call_kind_name(c->kind), call_state_name(c->state), code, dur,
				decimal(nfs, sizeof nfs, nf), ws, legs, note };
	enum { NCELLS = sizeof cells / sizeof cells[0] };
	size_t len[NCELLS], total = 0;
	for (size_t i = 0; i < NCELLS; i++)
		total += (len[i] = strlen(cells[i])) + 1;
	if (total > sizeof line) { /* (the cells are bounded well under it) */
		t->failed = true;
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < NCELLS; i++) {
		memcpy(line + n, cells[i], len[i]);
		n += len[i];
		line[n++] = i + 1 < NCELLS ? '\t' : '\n';
	}
	if (fwrite(line, 1, n, t->tmp) != n)
		t->failed = true;
	else
		t->woff += (long)n;
	ref->nmedia = c->nmedia;
	ref->no_bye = c->duration_ns >= 0 && c->until != UNTIL_BYE;
	t->nstreams += c->nmedia;
	for (uint32_t i = 0; i < c->nmedia; i++) {
		int m = media_fields(t->tmp, &c->media[i]);
		if (m < 0)
			t->failed = true;
		else
			t->woff += m;
	}
}

void report_text_late_finding(struct report *r, const struct finding *f)
{
	struct text_table *t = r->table;
	if (!t || f->call_seq == FINDING_NO_CALL)
		return;
	t->late = xrealloc(t->late, (t->nlate + 1) * sizeof *t->late);
	t->late[t->nlate].number = call_number(f->call_seq);
	t->late[t->nlate].severity = (int)f->severity;
	t->nlate++;
}

static int by_late(const void *a, const void *b)
{
	const struct late *x = a, *y = b;
	return x->number < y->number ? -1 : x->number > y->number;
}

static int by_row(const void *a, const void *b)
{
	const struct row_ref *x = a, *y = b;
	if (x->input != y->input)
		return x->input < y->input ? -1 : 1;
	return x->number < y->number ? -1 : x->number > y->number;
}

static const char *state_colour(const struct pal *p, const char *state)
{
	if (!strcmp(state, "failed") || !strcmp(state, "rejected") || !strcmp(state, "no-response"))
		return p->bad;
	if (!strcmp(state, "cancelled") || !strcmp(state, "redirected") || !strcmp(state, "trying") ||
	    !strcmp(state, "ringing") || !strcmp(state, "unknown"))
		return p->warn;
	return p->good;
}

static void split(char *line, char **f, int n)
{
	char *s = line;
	for (int i = 0; i < n; i++) {
		f[i] = s;
		s = strchr(s, '\t');
		if (s)
			*s++ = 0;
		else
			s = f[i] + strlen(f[i]);
	}
}

static void media_header(FILE *out, const struct pal *p)
{
	fprintf(out, "%s%6s  %-21s    %-21s  %-11s %6s  %-12s %-9s %4s  %s%s\n", p->bold, "#", "RTP from", "to", "codec",
		"pkts", "lost", "jitter ms", "MOS", "notes", p->off);
}

static void media_line(FILE *out, const struct pal *p, const char *number, char *line)
{
	char *f[8];
	split(line, f, 8);
	double lost = 0;
	const char *paren = strchr(f[4], '(');
	if (paren)
		lost = atof(paren + 1);
	double mos = f[6][0] == '-' ? 5 : atof(f[6]);
	const char *lc = lost > 1 ? p->warn : "", *mc = mos < 3.6 ? p->warn : "";
	fprintf(out, "%6s  %-21s -> %-21s  %-11s %6s  %s%-12s%s %-9s %s%4s%s%s%s\n", number, f[0], f[1], f[2], f[3], lc,
		f[4], lc[0] ? p->off : "", f[5], mc, f[6], mc[0] ? p->off : "", f[7][0] ? "  " : "", f[7]);
}

void report_add_orphan(struct report *r, uint32_t input, const struct media_stream *s, size_t max)
{
	if (r->norphans >= max) {
		r->orphans_unlisted[input]++;
		return;
	}
	if (r->norphans == r->orphans_cap) {
		r->orphans_cap = r->orphans_cap ? r->orphans_cap * 2 : 64;
		r->orphans = xrealloc(r->orphans, r->orphans_cap * sizeof *r->orphans);
	}
	r->orphans[r->norphans].input = input;
	r->orphans[r->norphans++].s = *s;
}

/* Reading the kept rows back: a seek only where the next line is not the
 * one after the last read (glibc's fseek is an lseek each time). */
static char *row_line(struct text_table *t, long off, char *line, size_t size)
{
	if (off >= 0 && t->rpos != off) {
		if (fseek(t->tmp, off, SEEK_SET) != 0) {
			t->rpos = -1;
			return NULL;
		}
		t->rpos = off;
	}
	char *l = fgets(line, (int)size, t->tmp);
	t->rpos = l ? t->rpos + (long)strlen(l) : -1;
	return l;
}

/* The RTP streams of the input's calls (lines kept after each call's row),
 * then the streams no call explained. */
static void print_media(struct report *r, uint32_t input, size_t from, size_t to)
{
	struct text_table *t = r->table;
	struct pal p = palette(r);
	FILE *out = r->out;
	bool head = false;
	char line[1024];
	for (size_t k = from; t && !t->failed && k < to; k++) {
		const struct row_ref *ref = row_at(t, k);
		if (!ref->nmedia)
			continue;
		if (!row_line(t, ref->off, line, sizeof line)) {
			r->err = -1;
			return;
		}
		if (!head) {
			fputc('\n', out);
			media_header(out, &p);
			head = true;
		}
		char num[24];
		snprintf(num, sizeof num, "%llu", (unsigned long long)ref->number);
		for (uint32_t i = 0; i < ref->nmedia; i++) {
			if (!row_line(t, -1, line, sizeof line)) {
				r->err = -1;
				return;
			}
			line[strcspn(line, "\n")] = 0;
			media_line(out, &p, i ? "" : num, line);
		}
	}
	uint64_t unlisted = r->orphans_unlisted ? r->orphans_unlisted[input] : 0;
	bool any = unlisted;
	for (size_t k = 0; k < r->norphans && !any; k++)
		any = r->orphans[k].input == input;
	if (!any)
		return;
	fprintf(out, "\n%sRTP streams no SDP in the capture explains%s\n", p.bold, p.off);
	media_header(out, &p);
	for (size_t k = 0; k < r->norphans; k++) {
		if (r->orphans[k].input != input)
			continue;
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		if (!m)
			continue;
		media_fields(m, &r->orphans[k].s);
		fclose(m);
		buf[strcspn(buf, "\n")] = 0;
		media_line(out, &p, "-", buf);
		free(buf);
	}
	if (unlisted)
		fprintf(out, "%6s  %llu more not listed\n", "", (unsigned long long)unlisted);
}

/* s padded with spaces to width bytes (as printf's %-*s, or %*s when not
 * left), at row[n]: the new length. A row is at most a table line (512
 * bytes, its fields) and the two party widths (PARTY_MAX + 8 each) and
 * the constant parts: print_table's buffer has room for it. */
static size_t put_cell(char *row, size_t n, const char *s, size_t width, bool left)
{
	/* byte loops: the cells are a few bytes, where a call to strlen,
	 * memcpy and memset costs more than the bytes */
	size_t l = 0;
	while (s[l])
		l++;
	size_t pad = l < width ? width - l : 0;
	if (!left)
		for (; pad; pad--)
			row[n++] = ' ';
	for (size_t i = 0; i < l; i++)
		row[n++] = s[i];
	for (; pad; pad--)
		row[n++] = ' ';
	return n;
}

static void print_table(struct report *r, uint32_t input, size_t *next)
{
	struct text_table *t = r->table;
	if (!t || t->failed || *next >= t->nrows || row_at(t, *next)->input != input)
		return;
	struct pal p = palette(r);
	FILE *out = r->out;
	fprintf(out, "\n%s%6s  %-12s  %-*s    %-*s  %-12s  %-11s  %4s  %8s  %s%s\n", p.bold, "#", "start", t->wfrom,
		"from", t->wto, "to", "kind", "state", "code", "duration", "findings", p.off);
	char line[512];
	bool open = false;
	for (; *next < t->nrows && row_at(t, *next)->input == input; (*next)++) {
		const struct row_ref *ref = row_at(t, *next);
		if (!row_line(t, ref->off, line, sizeof line)) {
			r->err = -1;
			return;
		}
		line[strcspn(line, "\n")] = 0;
		char *f[11];
		split(line, f, 11);
		unsigned long long nf = strtoull(f[7], NULL, 10);
		int worst = atoi(f[8]);
		struct late key = { ref->number, 0 };
		struct late *l = t->nlate ? bsearch(&key, t->late, t->nlate, sizeof *t->late, by_late) : NULL;
		while (l && l > t->late && l[-1].number == ref->number)
			l--;
		for (; l && l < t->late + t->nlate && l->number == ref->number; l++) {
			nf++;
			if (l->severity > worst)
				worst = l->severity;
		}
		char fnd[24] = "-";
		if (nf && worst >= 0 && worst <= 2)
			snprintf(fnd, sizeof fnd, "%llu %c", nf, "IWE"[worst]);
		const char *fc = nf && worst >= 0 && worst <= 2 ? p.sev[worst] : "";
		/* "%6llu  %-12s  %-*s -> %-*s  %-12s  %s%-11s%s  %4s  %8s  %s%s%s\n", put
		 * together by hand: fprintf was most of the time the table took
		 * (once per call, after the last input was read) */
		char row[1024 + 4 * PARTY_MAX], num[24];
		size_t n = put_cell(row, 0, decimal(num, sizeof num, ref->number), 6, false);
		n = put_cell(row, n, "  ", 0, true);
		n = put_cell(row, n, f[0], 12, true);
		n = put_cell(row, n, "  ", 0, true);
		n = put_cell(row, n, f[1], (size_t)t->wfrom, true);
		n = put_cell(row, n, " -> ", 0, true);
		n = put_cell(row, n, f[2], (size_t)t->wto, true);
		n = put_cell(row, n, "  ", 0, true);
		n = put_cell(row, n, f[3], 12, true);
		n = put_cell(row, n, "  ", 0, true);
		n = put_cell(row, n, state_colour(&p, f[4]), 0, true);
		n = put_cell(row, n, f[4], 11, true);
		n = put_cell(row, n, p.off, 0, true);
		n = put_cell(row, n, "  ", 0, true);
		n = put_cell(row, n, f[5], 4, false);
		n = put_cell(row, n, "  ", 0, true);
		n = put_cell(row, n, f[6], 8, false);
		n = put_cell(row, n, "  ", 0, true);
		n = put_cell(row, n, fc, 0, true);
		n = put_cell(row, n, fnd, 0, true);
		n = put_cell(row, n, fc[0] ? p.off : "", 0, true);
		row[n++] = '\n';
		fwrite(row, 1, n, out);
		open |= ref->no_bye;
		if (f[9][0])
			fprintf(out, "%6s  %sleg of %s%s\n", "", p.dim, f[9], p.off);
		if (f[10][0])
			fprintf(out, "%6s  %s%s%s\n", "", p.dim, f[10], p.off);
	}
	if (open)
		fprintf(out, "%6s  duration+: no BYE in the capture; measured from the answer to the call's last RTP packet or\n"
			     "%6s  message, or to the end of the capture when it holds no media of the call\n", "", "");
}

/* "    label: text", wrapped on spaces at width columns, continued with an
 * indent of 6 (label NULL: no indent, continued with 4). */
static void put_wrapped(FILE *out, const char *label, const char *text, size_t width)
{
	size_t col = label ? (size_t)fprintf(out, "    %s: ", label) : 0;
	const char *cont = label ? "\n      " : "\n    ";
	size_t contw = label ? 6 : 4;
	bool space = false; /* a space is owed before the next word */
	for (const char *p = text; *p;) {
		if (*p == ' ') {
			space = true;
			p++;
			continue;
		}
		const char *sp = strchr(p, ' ');
		size_t w = sp ? (size_t)(sp - p) : strlen(p);
		if (col + space + w > width && col > contw + 2) {
			fputs(cont, out);
			col = contw;
		} else if (space) {
			fputc(' ', out);
			col++;
		}
		space = false;
		fwrite(p, 1, w, out);
		col += w;
		p += w;
	}
	fputc('\n', out);
}

void report_text_finding(struct report *r, const struct finding *f, size_t width)
{
	FILE *out = r->out;
	struct pal p = palette(r);
	const char *path = f->input < r->ninputs ? r->inputs[f->input].path : "?";
	if (width) {
		/* narrow (under a ladder): the headline wrapped too */
		char *head = NULL;
		if (asprintf(&head, "%s:%llu: %s[%s]%s: %s", path, (unsigned long long)f->frame, severity_name(f->severity),
			     f->rule, f->baselined ? " (baselined)" : "", f->summary) < 0)
			return;
		put_wrapped(out, NULL, head, width);
		free(head);
	} else {
		fprintf(out, "%s%s:%llu:%s %s%s%s[%s]%s: %s\n", p.bold, path, (unsigned long long)f->frame, p.off,
			p.sev[f->severity], severity_name(f->severity), p.off, f->rule, f->baselined ? " (baselined)" : "",
			f->summary);
	}
	size_t w = width ? width : 100;
	fputs("    frames:", out);
	for (size_t k = 0; k < f->nframes; k++)
		fprintf(out, " %llu", (unsigned long long)f->frames[k]);
	if (f->call_seq != FINDING_NO_CALL)
		fprintf(out, "  call #%llu", (unsigned long long)call_number(f->call_seq));
	else
		fputs("  call", out);
	fprintf(out, " %s\n", f->call_id ? f->call_id : "-");
	if (f->explanation)
		put_wrapped(out, "why", f->explanation, w);
	if (f->hint)
		put_wrapped(out, "hint", f->hint, w);
	fprintf(out, "    see: %s\n", f->reference);
}

static int by_severity(const void *a, const void *b)
{
	const struct finding *x = *(struct finding *const *)a, *y = *(struct finding *const *)b;
	if (x->input != y->input)
		return x->input < y->input ? -1 : 1;
	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	if (x->frame != y->frame)
		return x->frame < y->frame ? -1 : 1;
	int c = strcmp(x->rule, y->rule);
	if (c)
		return c;
	return x->call_seq < y->call_seq ? -1 : x->call_seq > y->call_seq;
}

void report_sort_by_severity(struct report *r)
{
	if (r->nfindings)
		qsort(r->findings, r->nfindings, sizeof *r->findings, by_severity);
}

/* ---- grouping: findings of one rule, severity and cause (finding->group) ---- */

/* A finding and its place in the report's order. */
struct member {
	const struct finding *f;
	size_t pos;
};

static const char *group_of(const struct finding *f)
{
	return f->group ? f->group : "";
}

/* Severity (most severe first), rule, cause, then report order. */
static int by_cause(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	if (x->f->severity != y->f->severity)
		return x->f->severity > y->f->severity ? -1 : 1;
	int c = strcmp(x->f->rule, y->f->rule);
	if (!c)
		c = strcmp(group_of(x->f), group_of(y->f));
	if (c)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static bool same_cause(const struct finding *x, const struct finding *y)
{
	return x->severity == y->severity && !strcmp(x->rule, y->rule) && !strcmp(group_of(x), group_of(y));
}

/* A run of members with one cause: m[start .. start+n). */
struct group {
	size_t start, n;
	size_t first; /* report position of its first finding */
};

/* Sorts m[0..n) by cause and returns its groups (*ng of them), most
 * severe first. */
static struct group *make_groups(struct member *m, size_t n, size_t *ng)
{
	qsort(m, n, sizeof *m, by_cause);
	struct group *g = xmalloc((n ? n : 1) * sizeof *g);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (i && same_cause(m[i - 1].f, m[i].f)) {
			g[k - 1].n++;
			continue;
		}
		g[k++] = (struct group){ i, 1, m[i].pos };
	}
	*ng = k;
	return g;
}

static int by_first(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* At most this many one-line entries under a group's first finding, and
 * at most this many bytes of each one's summary. */
#define GROUP_LINES 20
#define ONE_LINE_SUMMARY 120

/* s into buf, cut (at a character boundary) with '~' beyond max bytes
 * (size > max + 1). */
static void cut(char *buf, size_t size, const char *s, size_t max)
{
	snprintf(buf, size, "%s", s);
	if (strlen(buf) <= max)
		return;
	while (max > 0 && ((unsigned char)buf[max] & 0xc0) == 0x80)
		max--;
	buf[max] = '~';
	buf[max + 1] = 0;
}

/* Findings of one input (in report order), grouped by cause: each group
 * where its first finding is, that one in full, the others one line each. */
static void print_groups(struct report *r, struct finding **f, size_t n)
{
	FILE *out = r->out;
	struct pal p = palette(r);
	struct member *m = xmalloc((n ? n : 1) * sizeof *m);
	for (size_t i = 0; i < n; i++)
		m[i] = (struct member){ f[i], i };
	size_t ng;
	struct group *g = make_groups(m, n, &ng);
	qsort(g, ng, sizeof *g, by_first);
	for (size_t k = 0; k < ng; k++) {
		const struct member *gm = m + g[k].start;
		report_text_finding(r, gm[0].f, 0);
		if (g[k].n == 1)
			continue;
		fprintf(out, "    %ssame rule and cause (%s): %zu findings, the other %zu:%s\n", p.bold,
			group_of(gm[0].f), g[k].n, g[k].n - 1, p.off);
		size_t shown = g[k].n - 1 > GROUP_LINES ? GROUP_LINES : g[k].n - 1;
		for (size_t i = 1; i <= shown; i++) {
			const struct finding *x = gm[i].f;
			const char *path = x->input < r->ninputs ? r->inputs[x->input].path : "?";
			char call[32] = "call -";
			if (x->call_seq != FINDING_NO_CALL)
				snprintf(call, sizeof call, "call #%llu", (unsigned long long)call_number(x->call_seq));
			char sum[ONE_LINE_SUMMARY + 8];
			cut(sum, sizeof sum, x->summary, ONE_LINE_SUMMARY);
			fprintf(out, "      %s:%llu: %s%s: %s\n", path, (unsigned long long)x->frame, call,
				x->baselined ? " (baselined)" : "", sum);
		}
		if (g[k].n - 1 > shown)
			fprintf(out, "      ... and %zu more (--each to list all)\n", g[k].n - 1 - shown);
	}
	free(g);
	free(m);
}

/* "rule cause" into buf, cut as cut() does. */
static void label_cut(char *buf, size_t size, const char *rule, const char *group, size_t max)
{
	char *s = NULL;
	if (asprintf(&s, "%s %s", rule, group && *group ? group : "-") < 0) {
		cut(buf, size, rule, max);
		return;
	}
	cut(buf, size, s, max);
	free(s);
}

static int by_count(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* A host and the findings that point at it, by severity. */
struct host_count {
	const char *host;
	uint64_t n[3];
};

static int by_host(const void *a, const void *b)
{
	return strcmp((*(struct finding *const *)a)->host, (*(struct finding *const *)b)->host);
}

static int by_affected(const void *a, const void *b)
{
	const struct host_count *x = a, *y = b;
	for (int s = SEV_ERROR; s >= SEV_INFO; s--)
		if (x->n[s] != y->n[s])
			return x->n[s] > y->n[s] ? -1 : 1;
	return strcmp(x->host, y->host);
}

static const char *sev_words(int s, uint64_t n)
{
	if (s == SEV_INFO)
		return "info";
	if (s == SEV_ERROR)
		return n == 1 ? "error" : "errors";
	return n == 1 ? "warning" : "warnings";
}

#define TRIAGE_GROUPS 3
#define TRIAGE_HOSTS 3
#define TRIAGE_LABEL 72

/* The report's opening lines (at most five): what is wrong, by severity,
 * with the largest groups of each, and the hosts most findings point at. */
static void print_triage(struct report *r)
{
	FILE *out = r->out;
	struct pal p = palette(r);
	size_t n = r->nfindings;
	if (!n) {
		fprintf(out, "%striage:%s no findings\n", p.bold, p.off);
		return;
	}
	struct member *m = xmalloc(n * sizeof *m);
	for (size_t i = 0; i < n; i++)
		m[i] = (struct member){ r->findings[i], i };
	size_t ng;
	struct group *g = make_groups(m, n, &ng);
	fprintf(out, "%striage:%s ", p.bold, p.off);
	bool open = false;
	for (int s = SEV_ERROR; s >= SEV_INFO; s--) {
		if (!r->nsev[s])
			continue;
		fprintf(out, "%s%s%llu %s%s", open ? ", " : "", p.sev[s], (unsigned long long)r->nsev[s],
			sev_words(s, r->nsev[s]), p.off);
		open = true;
	}
	fprintf(out, " in %zu group%s\n", ng, ng == 1 ? "" : "s");
	/* the groups come most severe first: one slice per severity */
	for (size_t a = 0; a < ng;) {
		int s = (int)m[g[a].start].f->severity;
		size_t b = a;
		uint64_t nf = 0;
		while (b < ng && (int)m[g[b].start].f->severity == s)
			nf += g[b++].n;
		qsort(g + a, b - a, sizeof *g, by_count);
		fprintf(out, "  %s%s%s: %zu group%s, %llu finding%s:", p.sev[s], s == SEV_INFO ? "info" : sev_words(s, 2),
			p.off, b - a, b - a == 1 ? "" : "s", (unsigned long long)nf, nf == 1 ? "" : "s");
		for (size_t k = a; k < b && k < a + TRIAGE_GROUPS; k++) {
			char label[TRIAGE_LABEL + 8];
			const struct finding *x = m[g[k].start].f;
			label_cut(label, sizeof label, x->rule, x->group, TRIAGE_LABEL);
			fprintf(out, "%s %s (%zu)", k > a ? "," : "", label, g[k].n);
		}
		if (b - a > TRIAGE_GROUPS)
			fprintf(out, ", %zu more group%s", b - a - TRIAGE_GROUPS, b - a - TRIAGE_GROUPS == 1 ? "" : "s");
		fputc('\n', out);
		a = b;
	}
	free(g);
	free(m);

	/* hosts: the findings sorted by the host they point at */
	struct finding **h = xmalloc(n * sizeof *h);
	size_t nh = 0;
	for (size_t i = 0; i < n; i++)
		if (r->findings[i]->host[0])
			h[nh++] = r->findings[i];
	qsort(h, nh, sizeof *h, by_host);
	struct host_count *hc = xmalloc((nh ? nh : 1) * sizeof *hc);
	size_t nhc = 0;
	for (size_t i = 0; i < nh; i++) {
		if (!nhc || strcmp(hc[nhc - 1].host, h[i]->host))
			hc[nhc++] = (struct host_count){ h[i]->host, { 0, 0, 0 } };
		hc[nhc - 1].n[h[i]->severity]++;
	}
	qsort(hc, nhc, sizeof *hc, by_affected);
	if (nhc) {
		fputs("  most affected hosts:", out);
		for (size_t k = 0; k < nhc && k < TRIAGE_HOSTS; k++) {
			fprintf(out, "%s %s (", k ? "," : "", hc[k].host);
			bool o2 = false;
			for (int s = SEV_ERROR; s >= SEV_INFO; s--)
				if (hc[k].n[s]) {
					fprintf(out, "%s%llu %s", o2 ? ", " : "", (unsigned long long)hc[k].n[s],
						sev_words(s, hc[k].n[s]));
					o2 = true;
				}
			fputc(')', out);
		}
		if (nhc > TRIAGE_HOSTS)
			fprintf(out, ", %zu more", nhc - TRIAGE_HOSTS);
		fputc('\n', out);
	}
	free(hc);
	free(h);
}

static void plural(FILE *out, bool *open, uint64_t n, const char *what)
{
	fprintf(out, "%s%llu %s", *open ? ", " : "", (unsigned long long)n, what);
	*open = true;
}

void report_tls_outcomes(FILE *out, const struct input_stats *st, bool open)
{
	for (unsigned k = 0; k < TLS_OUTCOMES; k++)
		if (k != TLS_ST_DECRYPTING && st->tls_by_status[k]) {
			fprintf(out, "%s%s: %llu", open ? ", " : "", tls_outcome_name(k),
				(unsigned long long)st->tls_by_status[k]);
			open = true;
		}
}

/* One line per TLS flow not (wholly) decrypted, and why. */
#define TLS_TEXT_LINES 10
static void tls_lines(struct report *r, const struct input_stats *st)
{
	FILE *out = r->out;
	for (unsigned i = 0; i < st->ntls_notes && i < TLS_TEXT_LINES; i++) {
		const struct tls_note *n = &st->tls_notes[i];
		char a[ENDPOINT_STRLEN], b[ENDPOINT_STRLEN], why[400], sb[32];
		endpoint_format(&n->client, a, sizeof a);
		endpoint_format(&n->server, b, sizeof b);
		tls_note_reason(st, n, why, sizeof why);
		const char *v = tls_version_name(n->version);
		fprintf(out, "  TLS %s -> %s (frames %llu-%llu", a, b, (unsigned long long)n->first_frame,
			(unsigned long long)n->last_frame);
		if (n->version && v && n->status != TLS_ST_UNSUPPORTED)
			fprintf(out, ", %s %s", v, tls_suite_name(n->suite, sb, sizeof sb));
		fprintf(out, "): %s\n", why);
	}
	uint64_t more = st->tls_notes_dropped + (st->ntls_notes > TLS_TEXT_LINES ? st->ntls_notes - TLS_TEXT_LINES : 0);
	if (more) {
		fprintf(out, "  and %llu more TLS flows not wholly decrypted (", (unsigned long long)more);
		report_tls_outcomes(out, st, false);
		fputs(" in all; --format json lists them)\n", out);
	}
}

static void summary_line(struct report *r, size_t i)
{
	FILE *out = r->out;
	struct pal p = palette(r);
	const struct input_stats *st = &r->inputs[i];
	const struct input_tally *t = &r->tally[i];
	fprintf(out, "%s%s%s: %llu packets, %llu SIP messages, %llu malformed, %llu call%s", p.bold, st->path, p.off,
		(unsigned long long)st->packets, (unsigned long long)st->sip_messages,
		(unsigned long long)st->malformed, (unsigned long long)t->calls, t->calls == 1 ? "" : "s");
	if (t->calls) {
		bool open = false;
		fputs(" (by kind: ", out);
		for (int k = 0; k < KIND_COUNT; k++)
			if (t->by_kind[k])
				plural(out, &open, t->by_kind[k], call_kind_name((enum call_kind)k));
		fputs("; by state: ", out);
		open = false;
		for (int k = 0; k < STATE_COUNT; k++)
			if (t->by_state[k])
				plural(out, &open, t->by_state[k], call_state_name((enum call_state)k));
		fputc(')', out);
		if (t->early)
			fprintf(out, ", %llu finalised early under the memory bound", (unsigned long long)t->early);
		if (t->t4_cut)
			fprintf(out, ", %llu closed before T4 ran out (memory bound)", (unsigned long long)t->t4_cut);
	}
	if (st->tls_flows) {
		uint64_t dec = st->tls_decrypted, part = st->tls_partial, nd = st->tls_flows - dec - part;
		fprintf(out, ", %llu TLS flow%s", (unsigned long long)st->tls_flows, st->tls_flows == 1 ? "" : "s");
		if (dec == st->tls_flows)
			fputs(" decrypted", out);
		else if (part == st->tls_flows)
			fputs(" decrypted in part", out);
		else if (nd == st->tls_flows)
			fputs(" not decrypted", out);
		else
			fprintf(out, " (%llu decrypted, %llu in part, %llu not)", (unsigned long long)dec,
				(unsigned long long)part, (unsigned long long)nd);
	}
	if (st->rtp_packets || st->rtcp_packets)
		fprintf(out, ", %llu RTP and %llu RTCP packets", (unsigned long long)st->rtp_packets,
			(unsigned long long)st->rtcp_packets);
	fputc('\n', out);
	tls_lines(r, st);
	if (st->nerrors || st->fatal)
		fprintf(out, "  %u problems %s\n", st->nerrors + (st->fatal ? 1 : 0),
			r->opt && r->opt->quiet && !st->fatal ? "in the input (not shown: -q)" : "reported on stderr");
}

/* ---- KPIs ---- */

/* "0.4 ms", "120 ms", "6.4 s", "3600 s" */
static void dur_us(char *b, size_t n, int64_t us)
{
	if (us < 10000)
		snprintf(b, n, "%.1f ms", (double)us / 1e3);
	else if (us < 1000000)
		snprintf(b, n, "%.0f ms", (double)us / 1e3);
	else if (us < 100000000)
		snprintf(b, n, "%.1f s", (double)us / 1e6);
	else
		snprintf(b, n, "%.0f s", (double)us / 1e6);
}

static void quant_text(FILE *out, const char *label, const struct kpi_dist *d)
{
	struct kpi_quant q;
	kpi_dist_quant(d, &q);
	char a[32], b[32], c[32];
	dur_us(a, sizeof a, q.p50);
	dur_us(b, sizeof b, q.p95);
	dur_us(c, sizeof c, q.max);
	fprintf(out, "%s p50 %s, p95 %s, max %s (%llu)", label, a, b, c, (unsigned long long)q.n);
}

static double pct(uint64_t a, uint64_t b)
{
	return b ? 100.0 * (double)a / (double)b : 0;
}

/* The KPI block of one set: nothing when it has no call, registration or
 * retransmission to speak of (all: every line, even empty). */
static void kpi_block(FILE *out, const struct kpi_set *s, bool all)
{
	double v;
	if (s->attempted || all) {
		uint64_t done = s->attempted - s->in_progress;
		fprintf(out, "  calls: %llu attempted, %llu answered", (unsigned long long)s->attempted,
			(unsigned long long)s->answered);
		if (s->in_progress)
			fprintf(out, ", %llu in progress", (unsigned long long)s->in_progress);
		if (kpi_asr(s, &v))
			fprintf(out, ": ASR %.1f %%", 100 * v);
		if (kpi_ner(s, &v))
			fprintf(out, ", NER %.1f %%", 100 * v);
		if (kpi_acd(s, &v))
			fprintf(out, ", ACD %.1f s (%llu ended by BYE)", v, (unsigned long long)s->acd_calls);
		if (s->cancelled)
			fprintf(out, ", %llu cancelled (%.1f %%)", (unsigned long long)s->cancelled, pct(s->cancelled, done));
		fputc('\n', out);
		if (s->pdd.n || s->setup.n) {
			fputs("    ", out);
			if (s->pdd.n)
				quant_text(out, "post-dial delay", &s->pdd);
			if (s->pdd.n && s->setup.n)
				fputs("; ", out);
			if (s->setup.n)
				quant_text(out, "setup", &s->setup);
			fputc('\n', out);
		}
		if (s->ncodes || s->no_response || s->no_final) {
			fputs("    final responses:", out);
			for (uint32_t i = 0; i < s->ncodes; i++)
				fprintf(out, "%s %u (%llu)", i ? "," : "", (unsigned)s->codes[i].code,
					(unsigned long long)s->codes[i].n);
			if (s->no_response)
				fprintf(out, "%s no response (%llu)", s->ncodes ? "," : "", (unsigned long long)s->no_response);
			if (s->no_final)
				fprintf(out, "%s provisional only (%llu)", s->ncodes || s->no_response ? "," : "",
					(unsigned long long)s->no_final);
			fputc('\n', out);
		}
	}
	if (s->reg_attempted || all) {
		fprintf(out, "  registrations: %llu attempted, %llu successful", (unsigned long long)s->reg_attempted,
			(unsigned long long)s->reg_successful);
		if (s->refresh.n) {
			fputs("; ", out);
			quant_text(out, "refresh interval", &s->refresh);
		}
		fputc('\n', out);
	}
	if (s->retransmitted || all)
		fprintf(out, "  retransmissions: %llu of %llu messages (%.1f %%)\n", (unsigned long long)s->retransmitted,
			(unsigned long long)s->messages, pct(s->retransmitted, s->messages));
}

static void ratio_col(FILE *out, bool ok, double v)
{
	if (ok)
		fprintf(out, " %6.1f%%", 100 * v);
	else
		fprintf(out, " %7s", "-");
}

static void dur_col(FILE *out, const struct kpi_dist *d, bool p95)
{
	struct kpi_quant q;
	kpi_dist_quant(d, &q);
	char b[32] = "-";
	if (q.n)
		dur_us(b, sizeof b, p95 ? q.p95 : q.p50);
	fprintf(out, " %9s", b);
}

static void kpi_table(struct report *r, enum kpi_group_kind kind)
{
	FILE *out = r->out;
	static const char *const title[KPI_GROUP_KINDS] = {"by peer host", "by host pair (first request's hop)",
							   "by agent (User-Agent of the request, Server of the response)"};
	const struct kpi_group *const *g;
	size_t n = kpis_groups(r->kpis, kind, &g);
	if (!n)
		return;
	fprintf(out, "\n%s:\n", title[kind]);
	int kw = kind == KPI_AGENT ? 48 : kind == KPI_PAIR ? 36 : 24;
	fprintf(out, "  %-*s %8s %8s %7s %7s %9s %9s %9s %8s %9s %8s\n", kw, kind == KPI_AGENT ? "agent" : "host",
		"attempts", "answered", "ASR", "NER", "PDD p50", "PDD p95", "setup p50", "ACD", "reg ok", "retrans");
	for (size_t i = 0; i < n; i++) {
		const struct kpi_set *s = &g[i]->k;
		char key[160], a[ENDPOINT_STRLEN], b[ENDPOINT_STRLEN];
		if (g[i]->others) {
			snprintf(key, sizeof key, "(others)");
		} else if (kind == KPI_PEER) {
			endpoint_format_ip(&g[i]->a, key, sizeof key);
		} else if (kind == KPI_PAIR) {
			endpoint_format_ip(&g[i]->a, a, sizeof a);
			endpoint_format_ip(&g[i]->b, b, sizeof b);
			snprintf(key, sizeof key, "%s -> %s", a, b);
		} else {
			snprintf(key, sizeof key, "%s: %s", g[i]->server ? "Server" : "UA", g[i]->agent);
		}
		if ((int)strlen(key) > kw)
			key[kw] = 0;
		double v;
		fprintf(out, "  %-*s %8llu %8llu", kw, key, (unsigned long long)s->attempted,
			(unsigned long long)s->answered);
		bool ok = kpi_asr(s, &v);
		ratio_col(out, ok, v);
		ok = kpi_ner(s, &v);
		ratio_col(out, ok, v);
		dur_col(out, &s->pdd, false);
		dur_col(out, &s->pdd, true);
		dur_col(out, &s->setup, false);
		char acd[32] = "-";
		if (kpi_acd(s, &v))
			snprintf(acd, sizeof acd, "%.1f s", v);
		fprintf(out, " %8s", acd);
		char reg[48] = "-";
		if (s->reg_attempted)
			snprintf(reg, sizeof reg, "%llu/%llu", (unsigned long long)s->reg_successful,
				 (unsigned long long)s->reg_attempted);
		fprintf(out, " %9s", reg);
		if (s->messages)
			fprintf(out, " %7.1f%%\n", pct(s->retransmitted, s->messages));
		else
			fprintf(out, " %8s\n", "-");
	}
}

/* --kpis: per input, over all of them, then the groups. */
static void kpis_only(struct report *r)
{
	FILE *out = r->out;
	struct pal p = palette(r);
	for (size_t i = 0; i < r->ninputs; i++) {
		fprintf(out, "%s%s%s:\n", p.bold, r->inputs[i].path, p.off);
		kpi_block(out, kpis_input(r->kpis, (uint32_t)i), true);
	}
	if (r->ninputs > 1) {
		fprintf(out, "%sall %zu inputs%s:\n", p.bold, r->ninputs, p.off);
		kpi_block(out, kpis_total(r->kpis), true);
	}
	for (int k = 0; k < KPI_GROUP_KINDS; k++)
		kpi_table(r, (enum kpi_group_kind)k);
}

void report_text_end(struct report *r)
{
	FILE *out = r->out;
	report_sort_by_severity(r);
	if (r->table && r->table->runs)
		merge_rows(r->table);
	else if (r->table && r->table->nrows)
		qsort(r->table->rows, r->table->nrows, sizeof *r->table->rows, by_row);
	if (r->table && r->table->nlate)
		qsort(r->table->late, r->table->nlate, sizeof *r->table->late, by_late);
	size_t fi = 0, ti = 0;
	bool each = r->opt && r->opt->each;
	if (r->opt && r->opt->kpis_only) {
		kpis_only(r);
		return;
	}
	print_triage(r);
	fputc('\n', out);
	for (size_t i = 0; i < r->ninputs; i++) {
		if (i)
			fputc('\n', out);
		summary_line(r, i);
		if (r->kpis)
			kpi_block(out, kpis_input(r->kpis, (uint32_t)i), false);
		size_t from = fi;
		for (; fi < r->nfindings && r->findings[fi]->input == i; fi++)
			if (each)
				report_text_finding(r, r->findings[fi], 0);
		if (!each && fi > from)
			print_groups(r, r->findings + from, fi - from);
		size_t trow = ti;
		print_table(r, (uint32_t)i, &ti);
		print_media(r, (uint32_t)i, trow, ti);
	}
	if (r->table && r->table->failed) {
		fputs("sipaudit: error: the calls table could not be kept in a temporary file\n", stderr);
		r->err = -1;
	}
	uint64_t e = r->nsev[SEV_ERROR], w = r->nsev[SEV_WARNING];
	fprintf(out, "\n%llu error%s, %llu warning%s, %llu info in %llu call%s", (unsigned long long)e, e == 1 ? "" : "s",
		(unsigned long long)w, w == 1 ? "" : "s", (unsigned long long)r->nsev[SEV_INFO],
		(unsigned long long)r->calls_written, r->calls_written == 1 ? "" : "s");
	if (r->ninputs > 1)
		fprintf(out, " from %zu files", r->ninputs);
	uint64_t b = r->nbaselined[SEV_ERROR] + r->nbaselined[SEV_WARNING] + r->nbaselined[SEV_INFO];
	if (r->opt && r->opt->baseline)
		fprintf(out, "; %llu baselined (accepted in %s: they do not fail the run)", (unsigned long long)b,
			r->opt->baseline);
	fputc('\n', out);
}

void report_text_free(struct report *r)
{
	if (!r->table)
		return;
	if (r->table->tmp)
		fclose(r->table->tmp);
	if (r->table->runs)
		fclose(r->table->runs);
	if (r->table->sorted)
		fclose(r->table->sorted);
	free(r->table->run_at);
	free(r->table->rows);
	free(r->table->late);
	free(r->table);
	r->table = NULL;
}
