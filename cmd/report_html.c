/* report_html.c - the HTML report (--format html): the summary of each
 * input with its triage, the findings grouped by cause as the text report
 * groups them, and the calls table (paged in the page) where each call opens
 * its ladder. Calls arrive one at a time and are freed right after: their
 * rows and ladders go to temporary files and the page is assembled at the
 * end, so memory stays flat. The embedded ladders are bounded by
 * HTML_LADDER_BUDGET (html.h); rows are always all there. */
#include <stdlib.h>
#include <string.h>

#include "../analyzer/xalloc.h"
#include "html.h"

#ifndef SIPAUDIT_VERSION
#define SIPAUDIT_VERSION "0"
#endif

struct html_report {
	FILE *rows, *ladders;
	uint64_t nrows;
	long ladders_len;      /* bytes of ladders kept in the ladders file */
	uint64_t embedded, embedded_findings_only, skipped;
	/* a ladder did not fit: no more of calls without findings (any_full)
	 * or of any call (all_full), so no call is drawn only to be dropped */
	bool any_full, all_full;
	bool failed;
};

/* At most this many findings listed under a group's first one (the text
 * report's GROUP_LINES), and hosts in the triage. */
#define HTML_GROUP_LINES 20
#define HTML_HOSTS 10
/* From and To in the rows are cut to this many bytes. */
#define HTML_PARTY_MAX 80

static struct html_report *state(struct report *r)
{
	if (!r->html) {
		struct html_report *h = xcalloc(1, sizeof *h);
		h->rows = tmpfile();
		h->ladders = tmpfile();
		if (!h->rows || !h->ladders)
			h->failed = true;
		r->html = h;
	}
	return r->html;
}

static json_t *party(const struct call *c, bool to)
{
	const struct sip_nameaddr *na = call_party(c, to);
	if (!na || !na->uri.p)
		return json_string("");
	size_t n = na->uri.len;
	if (n > HTML_PARTY_MAX)
		n = HTML_PARTY_MAX;
	return report_json_bytes(na->uri.p, n);
}

/* Writes the ladder of c if the budget allows; true when it did. */
static bool add_ladder(struct html_report *h, const struct call *c, struct finding *const *f,
		       size_t nf)
{
	long limit = nf ? (long)HTML_LADDER_BUDGET : (long)HTML_LADDER_BUDGET / 2;
	if (h->all_full || (!nf && h->any_full))
		return false;
	struct callview *v = callview_new(c, true);
	for (size_t i = 0; i < nf; i++)
		callview_add_finding(v, f[i]);
	if (fseek(h->ladders, h->ladders_len, SEEK_SET) < 0) {
		callview_free(v);
		h->failed = true;
		return false;
	}
	int head = fprintf(h->ladders, "<script type=\"application/json\" id=\"sa-c%llu\">", (unsigned long long)v->number);
	long body = html_dump(h->ladders, html_call_json(v, c));
	int tail = fputs("</script>\n", h->ladders);
	callview_free(v);
	if (head < 0 || body < 0 || tail < 0) {
		h->failed = true;
		return false;
	}
	long len = head + body + 10;
	if (h->ladders_len + len > limit) {
		/* overwritten by the next one, never copied */
		if (nf)
			h->all_full = true;
		h->any_full = true;
		return false;
	}
	h->ladders_len += len;
	return true;
}

void report_html_call(struct report *r, const struct call *c, struct finding *const *f, size_t nf)
{
	struct html_report *h = state(r);
	if (h->failed)
		return;
	int worst = -1;
	for (size_t i = 0; i < nf; i++)
		if ((int)f[i]->severity > worst)
			worst = (int)f[i]->severity;
	double loss = -1, mos = -1;
	for (uint32_t i = 0; i < c->nmedia; i++) {
		const struct media_stream *s = &c->media[i];
		double l = s->expected ? 100.0 * (double)s->lost / (double)s->expected : 0;
		if (l > loss)
			loss = l;
		if (s->mos >= 0 && (mos < 0 || s->mos < mos))
			mos = s->mos;
	}
	bool lad = add_ladder(h, c, f, nf);
	if (lad) {
		h->embedded++;
		if (h->ladders_len > (long)HTML_LADDER_BUDGET / 2)
			h->embedded_findings_only++;
	} else {
		h->skipped++;
	}
	/* [number, input, start ms, from, to, kind, state, status, duration s,
	 *  findings, worst severity, streams, worst loss %, lowest MOS,
	 *  ladder embedded, Call-ID, B2BUA legs] */
	json_t *row = json_array();
	json_array_append_new(row, json_integer((json_int_t)call_number(c->seq)));
	json_array_append_new(row, json_integer(c->input));
	json_array_append_new(row, json_integer((json_int_t)(c->start_ns / 1000000)));
	json_array_append_new(row, party(c, false));
	json_array_append_new(row, party(c, true));
	json_array_append_new(row, json_string(call_kind_name(c->kind)));
	json_array_append_new(row, json_string(call_state_name(c->state)));
	json_array_append_new(row, json_integer(c->final_status));
	json_array_append_new(row, c->duration_ns >= 0 ? json_real((double)(c->duration_ns / 1000000) / 1e3) : json_null());
	json_array_append_new(row, json_integer((json_int_t)nf));
	json_array_append_new(row, json_integer(worst));
	json_array_append_new(row, json_integer(c->nmedia));
	json_array_append_new(row, loss >= 0 ? json_real((double)(long long)(loss * 10 + 0.5) / 10) : json_null());
	json_array_append_new(row, mos >= 0 ? json_real((double)(long long)(mos * 100 + 0.5) / 100) : json_null());
	json_array_append_new(row, json_integer(lad));
	json_array_append_new(row, report_json_bytes(c->call_id, strlen(c->call_id)));
	json_t *legs = json_array();
	for (uint32_t i = 0; i < c->nlinks; i++)
		json_array_append_new(legs, json_integer((json_int_t)call_number(c->links[i].peer_seq)));
	json_array_append_new(row, legs);
	if (h->nrows++)
		fputc(',', h->rows);
	if (html_dump(h->rows, row) < 0)
		h->failed = true;
}

/* ---- findings grouped by cause, as the text report does ---- */

struct member {
	const struct finding *f;
	size_t pos;
};

static const char *group_of(const struct finding *f)
{
	return f->group ? f->group : "";
}

static int by_cause(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	if (x->f->input != y->f->input)
		return x->f->input < y->f->input ? -1 : 1;
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
	return x->input == y->input && x->severity == y->severity && !strcmp(x->rule, y->rule) &&
	       !strcmp(group_of(x), group_of(y));
}

struct group {
	size_t start, n, first;
};

static int by_first(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first;
}

static json_t *groups_json(struct report *r)
{
	size_t n = r->nfindings;
	json_t *out = json_array();
	if (!n)
		return out;
	struct member *m = xmalloc(n * sizeof *m);
	for (size_t i = 0; i < n; i++)
		m[i] = (struct member){ r->findings[i], i };
	qsort(m, n, sizeof *m, by_cause);
	struct group *g = xmalloc(n * sizeof *g);
	size_t ng = 0;
	for (size_t i = 0; i < n; i++) {
		if (i && same_cause(m[i - 1].f, m[i].f)) {
			g[ng - 1].n++;
			continue;
		}
		g[ng++] = (struct group){ i, 1, m[i].pos };
	}
	qsort(g, ng, sizeof *g, by_first);
	for (size_t k = 0; k < ng; k++) {
		const struct member *gm = m + g[k].start;
		json_t *o = json_object();
		json_object_set_new(o, "input", json_integer(gm[0].f->input));
		json_object_set_new(o, "sev", json_integer(gm[0].f->severity));
		json_object_set_new(o, "rule", json_string(gm[0].f->rule));
		json_object_set_new(o, "group", report_json_bytes(group_of(gm[0].f), strlen(group_of(gm[0].f))));
		json_object_set_new(o, "n", json_integer((json_int_t)g[k].n));
		json_object_set_new(o, "first", html_finding_json(gm[0].f));
		json_t *more = json_array();
		for (size_t i = 1; i < g[k].n && i <= HTML_GROUP_LINES; i++) {
			const struct finding *x = gm[i].f;
			json_t *e = json_array();
			json_array_append_new(e, x->call_seq != FINDING_NO_CALL ? json_integer((json_int_t)call_number(x->call_seq))
										 : json_null());
			json_array_append_new(e, json_integer((json_int_t)x->frame));
			json_array_append_new(e, report_json_bytes(x->summary, strlen(x->summary)));
			json_array_append_new(more, e);
		}
		json_object_set_new(o, "more", more);
		json_array_append_new(out, o);
	}
	free(g);
	free(m);
	return out;
}

static int by_host(const void *a, const void *b)
{
	return strcmp((*(struct finding *const *)a)->host, (*(struct finding *const *)b)->host);
}

/* The hosts most findings point at: [[host, errors, warnings, info], ...] */
static json_t *hosts_json(struct report *r)
{
	size_t n = r->nfindings, nh = 0;
	json_t *out = json_array();
	struct finding **h = xmalloc((n ? n : 1) * sizeof *h);
	for (size_t i = 0; i < n; i++)
		if (r->findings[i]->host[0])
			h[nh++] = r->findings[i];
	qsort(h, nh, sizeof *h, by_host);
	struct hc {
		const char *host;
		uint64_t n[3];
	} *hc = xmalloc((nh ? nh : 1) * sizeof *hc);
	size_t nhc = 0;
	for (size_t i = 0; i < nh; i++) {
		if (!nhc || strcmp(hc[nhc - 1].host, h[i]->host))
			hc[nhc++] = (struct hc){ h[i]->host, { 0, 0, 0 } };
		hc[nhc - 1].n[h[i]->severity]++;
	}
	/* most affected first: errors, then warnings, then info */
	for (size_t k = 0; k < nhc && k < HTML_HOSTS; k++) {
		size_t best = k;
		for (size_t j = k + 1; j < nhc; j++) {
			int s;
			for (s = SEV_ERROR; s >= SEV_INFO && hc[j].n[s] == hc[best].n[s]; s--)
				;
			if (s >= SEV_INFO && hc[j].n[s] > hc[best].n[s])
				best = j;
		}
		struct hc t = hc[k];
		hc[k] = hc[best];
		hc[best] = t;
		json_t *e = json_array();
		json_array_append_new(e, json_string(hc[k].host));
		for (int s = SEV_ERROR; s >= SEV_INFO; s--)
			json_array_append_new(e, json_integer((json_int_t)hc[k].n[s]));
		json_array_append_new(out, e);
	}
	free(hc);
	free(h);
	return out;
}

static json_t *inputs_json(struct report *r)
{
	json_t *a = json_array();
	for (size_t i = 0; i < r->ninputs; i++) {
		const struct input_stats *st = &r->inputs[i];
		const struct input_tally *t = &r->tally[i];
		json_t *o = json_object();
		json_object_set_new(o, "path", report_json_bytes(st->path, strlen(st->path)));
		json_object_set_new(o, "packets", json_integer((json_int_t)st->packets));
		json_object_set_new(o, "bytes", json_integer((json_int_t)st->bytes));
		json_object_set_new(o, "sip", json_integer((json_int_t)st->sip_messages));
		json_object_set_new(o, "malformed", json_integer((json_int_t)st->malformed));
		json_object_set_new(o, "tls", json_integer((json_int_t)st->tls_flows));
		json_object_set_new(o, "rtp", json_integer((json_int_t)st->rtp_packets));
		json_object_set_new(o, "rtcp", json_integer((json_int_t)st->rtcp_packets));
		json_object_set_new(o, "calls", json_integer((json_int_t)t->calls));
		json_t *k = json_object();
		for (int x = 0; x < KIND_COUNT; x++)
			if (t->by_kind[x])
				json_object_set_new(k, call_kind_name((enum call_kind)x), json_integer((json_int_t)t->by_kind[x]));
		json_object_set_new(o, "kinds", k);
		json_t *s = json_object();
		for (int x = 0; x < STATE_COUNT; x++)
			if (t->by_state[x])
				json_object_set_new(s, call_state_name((enum call_state)x), json_integer((json_int_t)t->by_state[x]));
		json_object_set_new(o, "states", s);
		json_t *p = json_array();
		if (st->fatal)
			json_array_append_new(p, report_json_bytes(st->fatal, strlen(st->fatal)));
		for (unsigned e = 0; e < st->nerrors; e++)
			json_array_append_new(p, report_json_bytes(st->errors[e], strlen(st->errors[e])));
		json_object_set_new(o, "problems", p);
		json_object_set_new(o, "problemsDropped", json_integer((json_int_t)st->errors_dropped));
		uint64_t um = r->orphans_unlisted ? r->orphans_unlisted[i] : 0;
		for (size_t x = 0; x < r->norphans; x++)
			if (r->orphans[x].input == i)
				um++;
		json_object_set_new(o, "unmatchedMedia", json_integer((json_int_t)um));
		json_array_append_new(a, o);
	}
	return a;
}

/* ---- KPIs: the page's "kpis" (sets as compact objects, the PDD histogram) ---- */

static json_t *quant_json(const struct kpi_dist *d)
{
	struct kpi_quant q;
	kpi_dist_quant(d, &q);
	if (!q.n)
		return json_null();
	return json_pack("[f,f,f,I]", (double)q.p50 / 1e3, (double)q.p95 / 1e3, (double)q.max / 1e3, (json_int_t)q.n);
}

static json_t *kset_json(const struct kpi_set *s)
{
	json_t *o = json_object();
	double v;
	json_object_set_new(o, "att", json_integer((json_int_t)s->attempted));
	json_object_set_new(o, "ans", json_integer((json_int_t)s->answered));
	json_object_set_new(o, "prog", json_integer((json_int_t)s->in_progress));
	json_object_set_new(o, "asr", kpi_asr(s, &v) ? json_real(v) : json_null());
	json_object_set_new(o, "ner", kpi_ner(s, &v) ? json_real(v) : json_null());
	json_object_set_new(o, "acd", kpi_acd(s, &v) ? json_real(v) : json_null());
	json_object_set_new(o, "pdd", quant_json(&s->pdd));
	json_object_set_new(o, "setup", quant_json(&s->setup));
	json_t *codes = json_object();
	for (uint32_t i = 0; i < s->ncodes; i++) {
		char b[8];
		snprintf(b, sizeof b, "%u", (unsigned)s->codes[i].code);
		json_object_set_new(codes, b, json_integer((json_int_t)s->codes[i].n));
	}
	json_object_set_new(o, "codes", codes);
	json_object_set_new(o, "cancelled", json_integer((json_int_t)s->cancelled));
	json_object_set_new(o, "noResponse", json_integer((json_int_t)s->no_response));
	json_object_set_new(o, "regAtt", json_integer((json_int_t)s->reg_attempted));
	json_object_set_new(o, "regOk", json_integer((json_int_t)s->reg_successful));
	json_object_set_new(o, "msgs", json_integer((json_int_t)s->messages));
	json_object_set_new(o, "retr", json_integer((json_int_t)s->retransmitted));
	return o;
}

/* PDD histogram edges, ms */
static const int64_t pdd_edges_ms[] = {100, 250, 500, 1000, 2000, 3000, 5000, 10000};
#define PDD_EDGES (sizeof pdd_edges_ms / sizeof *pdd_edges_ms)
#define KPI_PEERS_SHOWN 50

static json_t *kpis_page_json(struct report *r)
{
	json_t *o = json_object();
	if (!r->kpis)
		return o;
	json_object_set_new(o, "total", kset_json(kpis_total(r->kpis)));
	json_t *in = json_array();
	for (size_t i = 0; i < r->ninputs; i++)
		json_array_append_new(in, kset_json(kpis_input(r->kpis, (uint32_t)i)));
	json_object_set_new(o, "inputs", in);
	const struct kpi_group *const *g;
	size_t n = kpis_groups(r->kpis, KPI_PEER, &g);
	json_t *peers = json_array();
	for (size_t i = 0; i < n && i < KPI_PEERS_SHOWN; i++) {
		if (!g[i]->k.attempted && !g[i]->k.reg_attempted)
			continue;
		char b[ENDPOINT_STRLEN];
		if (g[i]->others)
			snprintf(b, sizeof b, "(others)");
		else
			endpoint_format_ip(&g[i]->a, b, sizeof b);
		json_t *e = kset_json(&g[i]->k);
		json_object_set_new(e, "key", json_string(b));
		json_array_append_new(peers, e);
	}
	json_object_set_new(o, "peers", peers);
	json_object_set_new(o, "peersNotShown", json_integer(n > KPI_PEERS_SHOWN ? (json_int_t)(n - KPI_PEERS_SHOWN) : 0));
	int64_t edges[PDD_EDGES];
	uint64_t counts[PDD_EDGES + 1];
	json_t *e = json_array(), *c = json_array();
	for (size_t i = 0; i < PDD_EDGES; i++) {
		edges[i] = pdd_edges_ms[i] * 1000;
		json_array_append_new(e, json_integer((json_int_t)pdd_edges_ms[i]));
	}
	kpi_dist_bins(&kpis_total(r->kpis)->pdd, edges, PDD_EDGES, counts);
	for (size_t i = 0; i <= PDD_EDGES; i++)
		json_array_append_new(c, json_integer((json_int_t)counts[i]));
	json_object_set_new(o, "pddEdges", e);
	json_object_set_new(o, "pddBins", c);
	return o;
}

static int copy_bytes(FILE *from, FILE *to, long len)
{
	char buf[65536];
	rewind(from);
	while (len > 0) {
		size_t want = len < (long)sizeof buf ? (size_t)len : sizeof buf;
		size_t n = fread(buf, 1, want, from);
		if (!n || fwrite(buf, 1, n, to) != n)
			return -1;
		len -= (long)n;
	}
	return 0;
}

void report_html_end(struct report *r)
{
	struct html_report *h = state(r);
	FILE *out = r->out;
	report_sort_by_severity(r);
	char title[300];
	snprintf(title, sizeof title, "sipaudit report: %s%s", r->ninputs ? r->inputs[0].path : "",
		 r->ninputs > 1 ? " ..." : "");
	html_head(out, title);
	json_t *page = json_object();
	json_object_set_new(page, "page", json_string("report"));
	json_object_set_new(page, "version", json_string(SIPAUDIT_VERSION));
	json_object_set_new(page, "inputs", inputs_json(r));
	json_t *sum = json_object();
	json_object_set_new(sum, "calls", json_integer((json_int_t)r->calls_written));
	json_object_set_new(sum, "error", json_integer((json_int_t)r->nsev[SEV_ERROR]));
	json_object_set_new(sum, "warning", json_integer((json_int_t)r->nsev[SEV_WARNING]));
	json_object_set_new(sum, "info", json_integer((json_int_t)r->nsev[SEV_INFO]));
	json_object_set_new(page, "summary", sum);
	json_object_set_new(page, "groups", groups_json(r));
	json_object_set_new(page, "hosts", hosts_json(r));
	json_object_set_new(page, "kpis", kpis_page_json(r));
	json_t *b = json_object();
	json_object_set_new(b, "limit", json_integer(HTML_LADDER_BUDGET));
	json_object_set_new(b, "bytes", json_integer(h->ladders_len));
	json_object_set_new(b, "embedded", json_integer((json_int_t)h->embedded));
	json_object_set_new(b, "findingsOnly", json_integer((json_int_t)h->embedded_findings_only));
	json_object_set_new(b, "skipped", json_integer((json_int_t)h->skipped));
	json_object_set_new(page, "budget", b);
	json_t *args = json_array();
	for (size_t i = 0; i < r->ninputs; i++)
		json_array_append_new(args, report_json_bytes(r->inputs[i].path, strlen(r->inputs[i].path)));
	json_object_set_new(page, "args", args);
	fputs("<script type=\"application/json\" id=\"sa-page\">", out);
	if (html_dump(out, page) < 0)
		r->err = -1;
	fputs("</script>\n<script type=\"application/json\" id=\"sa-rows\">[", out);
	long rows_len = h->rows ? ftell(h->rows) : 0;
	if (h->failed || rows_len < 0 || copy_bytes(h->rows, out, rows_len) < 0)
		h->failed = true;
	fputs("]</script>\n", out);
	if (!h->failed && copy_bytes(h->ladders, out, h->ladders_len) < 0)
		h->failed = true;
	html_tail(out);
	if (h->failed) {
		fputs("sipaudit: error: the HTML report's calls could not be kept in temporary files\n", stderr);
		r->err = -1;
	}
}

void report_html_free(struct report *r)
{
	struct html_report *h = r->html;
	if (!h)
		return;
	if (h->rows)
		fclose(h->rows);
	if (h->ladders)
		fclose(h->ladders);
	free(h);
	r->html = NULL;
}
