/* kpi.c - call and registration KPIs (definitions in kpi.h). One pass over
 * each finalised call: no call is kept, distributions are streaming, the
 * groups are bounded. */
#include "kpi.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "xalloc.h"

/* ---- distributions ---- */

/* Log buckets: exact below 32 us, then 32 per power of two (a bucket is at
 * most 1/32 of its value wide: its middle is within 1.6 %). */
#define HIST_SUB 32
#define HIST_N (HIST_SUB + 58 * HIST_SUB)

static uint32_t bucket_of(int64_t v)
{
	if (v < HIST_SUB)
		return v < 0 ? 0 : (uint32_t)v;
	int e = 63 - __builtin_clzll((unsigned long long)v); /* >= 5 */
	uint32_t sub = (uint32_t)(v >> (e - 5)) & (HIST_SUB - 1);
	return HIST_SUB + (uint32_t)(e - 5) * HIST_SUB + sub;
}

static int64_t bucket_mid(uint32_t b)
{
	if (b < HIST_SUB)
		return b;
	int e = (int)((b - HIST_SUB) / HIST_SUB) + 5;
	int64_t sub = (b - HIST_SUB) % HIST_SUB;
	int64_t lo = (HIST_SUB + sub) << (e - 5), width = 1LL << (e - 5);
	return lo + width / 2;
}

void kpi_dist_add(struct kpi_dist *d, int64_t us)
{
	if (us < 0)
		us = 0;
	if (d->n == 0 || us > d->max)
		d->max = us;
	d->n++;
	if (!d->hist && d->nv < KPI_EXACT) {
		if (d->nv == d->cap) {
			d->cap = d->cap ? d->cap * 2 : 8;
			d->v = xrealloc(d->v, d->cap * sizeof *d->v);
		}
		d->v[d->nv++] = us;
		return;
	}
	if (!d->hist) {
		d->hist = xcalloc(HIST_N, sizeof *d->hist);
		for (uint32_t i = 0; i < d->nv; i++)
			d->hist[bucket_of(d->v[i])]++;
		free(d->v);
		d->v = NULL;
		d->nv = d->cap = 0;
	}
	d->hist[bucket_of(us)]++;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* nearest rank: the ceil(p/100 * n)-th smallest */
static uint64_t rank_of(uint64_t n, unsigned p)
{
	uint64_t r = (n * p + 99) / 100;
	return r ? r : 1;
}

void kpi_dist_quant(const struct kpi_dist *d, struct kpi_quant *q)
{
	memset(q, 0, sizeof *q);
	q->n = d->n;
	if (!d->n)
		return;
	q->max = d->max;
	const unsigned ps[2] = {50, 95};
	int64_t *out[2] = {&q->p50, &q->p95};
	if (!d->hist) {
		int64_t *s = xmalloc(d->nv * sizeof *s);
		memcpy(s, d->v, d->nv * sizeof *s);
		qsort(s, d->nv, sizeof *s, cmp_i64);
		for (int k = 0; k < 2; k++)
			*out[k] = s[rank_of(d->nv, ps[k]) - 1];
		free(s);
		return;
	}
	for (int k = 0; k < 2; k++) {
		uint64_t r = rank_of(d->n, ps[k]), cum = 0;
		for (uint32_t b = 0; b < HIST_N; b++) {
			cum += d->hist[b];
			if (cum >= r) {
				int64_t v = bucket_mid(b);
				*out[k] = v > d->max ? d->max : v;
				break;
			}
		}
	}
}

static size_t bin_of(int64_t v, const int64_t *edges, size_t n)
{
	size_t i = 0;
	while (i < n && v >= edges[i])
		i++;
	return i;
}

void kpi_dist_bins(const struct kpi_dist *d, const int64_t *edges, size_t n, uint64_t *counts)
{
	memset(counts, 0, (n + 1) * sizeof *counts);
	if (!d->hist) {
		for (uint32_t i = 0; i < d->nv; i++)
			counts[bin_of(d->v[i], edges, n)]++;
		return;
	}
	for (uint32_t b = 0; b < HIST_N; b++)
		if (d->hist[b])
			counts[bin_of(bucket_mid(b), edges, n)] += d->hist[b];
}

void kpi_dist_free(struct kpi_dist *d)
{
	free(d->v);
	free(d->hist);
	memset(d, 0, sizeof *d);
}

/* ---- sets ---- */

static void add_code(struct kpi_set *s, int code)
{
	uint32_t i = 0;
	while (i < s->ncodes && s->codes[i].code < code)
		i++;
	if (i < s->ncodes && s->codes[i].code == code) {
		s->codes[i].n++;
		return;
	}
	if (s->ncodes == s->codes_cap) {
		s->codes_cap = s->codes_cap ? s->codes_cap * 2 : 4;
		s->codes = xrealloc(s->codes, s->codes_cap * sizeof *s->codes);
	}
	memmove(s->codes + i + 1, s->codes + i, (s->ncodes - i) * sizeof *s->codes);
	s->codes[i].code = (uint16_t)code;
	s->codes[i].n = 1;
	s->ncodes++;
}

static void set_free(struct kpi_set *s)
{
	kpi_dist_free(&s->pdd);
	kpi_dist_free(&s->setup);
	kpi_dist_free(&s->refresh);
	free(s->codes);
}

bool kpi_asr(const struct kpi_set *s, double *out)
{
	uint64_t done = s->attempted - s->in_progress;
	if (!done)
		return false;
	*out = (double)s->answered / (double)done;
	return true;
}

bool kpi_ner(const struct kpi_set *s, double *out)
{
	uint64_t done = s->attempted - s->in_progress;
	if (!done)
		return false;
	*out = (double)s->effective / (double)done;
	return true;
}

bool kpi_acd(const struct kpi_set *s, double *out)
{
	if (!s->acd_calls)
		return false;
	*out = (double)s->acd_sum_ns / 1e9 / (double)s->acd_calls;
	return true;
}

bool kpi_set_empty(const struct kpi_set *s)
{
	return !s->attempted && !s->reg_attempted && !s->messages;
}

/* ---- groups ---- */

struct gtab {
	struct kpi_group **all; /* in order of creation */
	size_t n, cap;
	uint32_t *tab;          /* index + 1, 0 empty */
	size_t size;
	struct kpi_group *others;
	struct kpi_group **sorted;
	size_t nsorted;
};

struct aor_ent {
	uint64_t hash; /* 0: empty */
	uint32_t input;
	int64_t ok_ns;
};
#define AOR_SLOTS 65536

struct kpis {
	uint32_t ninputs;
	struct kpi_set *in;
	struct kpi_set total;
	struct gtab g[KPI_GROUP_KINDS];
	struct aor_ent *aor;
};

static uint32_t group_hash(enum kpi_group_kind kind, const struct kpi_group *key)
{
	uint32_t h = hash_words(&key->a, sizeof key->a, kind);
	if (kind == KPI_PAIR)
		h = hash_words(&key->b, sizeof key->b, h);
	if (kind == KPI_AGENT) {
		h = hash_words(&key->server, 1, h);
		h = hash_words(key->agent, strlen(key->agent), h);
	}
	return h;
}

static bool group_eq(enum kpi_group_kind kind, const struct kpi_group *x, const struct kpi_group *y)
{
	switch (kind) {
	case KPI_PEER:
		return endpoint_eq(&x->a, &y->a);
	case KPI_PAIR:
		return endpoint_eq(&x->a, &y->a) && endpoint_eq(&x->b, &y->b);
	default:
		return x->server == y->server && strcmp(x->agent, y->agent) == 0;
	}
}

static void gtab_grow(struct gtab *t, enum kpi_group_kind kind)
{
	size_t size = t->size ? t->size * 2 : 64;
	uint32_t *tab = xcalloc(size, sizeof *tab);
	for (size_t i = 0; i < t->n; i++) {
		size_t j = group_hash(kind, t->all[i]) & (size - 1);
		while (tab[j])
			j = (j + 1) & (size - 1);
		tab[j] = (uint32_t)i + 1;
	}
	free(t->tab);
	t->tab = tab;
	t->size = size;
}

static struct kpi_set *group(struct kpis *k, enum kpi_group_kind kind, const struct kpi_group *key)
{
	struct gtab *t = &k->g[kind];
	if (!t->size)
		gtab_grow(t, kind);
	size_t j = group_hash(kind, key) & (t->size - 1);
	for (; t->tab[j]; j = (j + 1) & (t->size - 1)) {
		struct kpi_group *g = t->all[t->tab[j] - 1];
		if (group_eq(kind, g, key))
			return &g->k;
	}
	if (t->n >= KPI_GROUPS_MAX) {
		if (!t->others) {
			t->others = xcalloc(1, sizeof *t->others);
			t->others->others = true;
		}
		return &t->others->k;
	}
	struct kpi_group *g = xcalloc(1, sizeof *g);
	g->a = key->a;
	g->b = key->b;
	g->server = key->server;
	memcpy(g->agent, key->agent, sizeof g->agent);
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->all = xrealloc(t->all, t->cap * sizeof *t->all);
	}
	t->all[t->n++] = g;
	t->tab[j] = (uint32_t)t->n;
	if (t->n * 2 > t->size)
		gtab_grow(t, kind);
	return &g->k;
}

static struct endpoint host_of(const struct endpoint *e)
{
	struct endpoint h = *e;
	h.port = 0;
	return h;
}

static struct kpi_set *peer(struct kpis *k, const struct endpoint *e)
{
	struct kpi_group key;
	memset(&key, 0, sizeof key);
	key.a = host_of(e);
	return group(k, KPI_PEER, &key);
}

static struct kpi_set *pair(struct kpis *k, const struct endpoint *s, const struct endpoint *d)
{
	struct kpi_group key;
	memset(&key, 0, sizeof key);
	key.a = host_of(s);
	key.b = host_of(d);
	return group(k, KPI_PAIR, &key);
}

/* The agent group of header h of message m (User-Agent, or Server falling
 * back to User-Agent), NULL when it has none. */
static struct kpi_set *agent(struct kpis *k, const struct sip_msg *m, bool server)
{
	if (!m)
		return NULL;
	struct sv v = server ? sip_msg_hdr(m, SIP_H_SERVER) : SV_NULL;
	if (!v.p || !v.len)
		v = sip_msg_hdr(m, SIP_H_USER_AGENT);
	if (!v.p || !v.len)
		return NULL;
	struct kpi_group key;
	memset(&key, 0, sizeof key);
	key.server = server;
	size_t n = 0;
	for (size_t i = 0; i < v.len && n < KPI_AGENT_MAX; i++) {
		unsigned char ch = (unsigned char)v.p[i];
		key.agent[n++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	key.agent[n] = 0;
	return group(k, KPI_AGENT, &key);
}

struct kpis *kpis_new(uint32_t ninputs)
{
	struct kpis *k = xcalloc(1, sizeof *k);
	k->ninputs = ninputs;
	k->in = xcalloc(ninputs ? ninputs : 1, sizeof *k->in);
	return k;
}

void kpis_free(struct kpis *k)
{
	if (!k)
		return;
	for (uint32_t i = 0; i < k->ninputs; i++)
		set_free(&k->in[i]);
	free(k->in);
	set_free(&k->total);
	for (int g = 0; g < KPI_GROUP_KINDS; g++) {
		struct gtab *t = &k->g[g];
		for (size_t i = 0; i < t->n; i++) {
			set_free(&t->all[i]->k);
			free(t->all[i]);
		}
		if (t->others) {
			set_free(&t->others->k);
			free(t->others);
		}
		free(t->all);
		free(t->tab);
		free(t->sorted);
	}
	free(k->aor);
	free(k);
}

const struct kpi_set *kpis_input(const struct kpis *k, uint32_t input)
{
	return &k->in[input];
}

const struct kpi_set *kpis_total(const struct kpis *k)
{
	return &k->total;
}

static int group_order(const void *a, const void *b)
{
	const struct kpi_group *x = *(const struct kpi_group *const *)a, *y = *(const struct kpi_group *const *)b;
	if (x->others != y->others)
		return x->others ? 1 : -1;
	if (x->k.attempted != y->k.attempted)
		return x->k.attempted > y->k.attempted ? -1 : 1;
	if (x->k.reg_attempted != y->k.reg_attempted)
		return x->k.reg_attempted > y->k.reg_attempted ? -1 : 1;
	if (x->k.messages != y->k.messages)
		return x->k.messages > y->k.messages ? -1 : 1;
	int c = endpoint_cmp(&x->a, &y->a);
	if (c)
		return c;
	c = endpoint_cmp(&x->b, &y->b);
	if (c)
		return c;
	if (x->server != y->server)
		return x->server ? 1 : -1;
	return strcmp(x->agent, y->agent);
}

size_t kpis_groups(struct kpis *k, enum kpi_group_kind kind, const struct kpi_group *const **out)
{
	struct gtab *t = &k->g[kind];
	free(t->sorted);
	t->nsorted = t->n + (t->others ? 1 : 0);
	t->sorted = xmalloc((t->nsorted ? t->nsorted : 1) * sizeof *t->sorted);
	if (t->n)
		memcpy(t->sorted, t->all, t->n * sizeof *t->sorted);
	if (t->others)
		t->sorted[t->n] = t->others;
	qsort(t->sorted, t->nsorted, sizeof *t->sorted, group_order);
	*out = (const struct kpi_group *const *)t->sorted;
	return t->nsorted;
}

/* ---- one call ---- */

/* What one call attempt contributes. */
struct attempt {
	bool answered, in_progress, effective, cancelled, no_response, no_final;
	int code;
	int64_t pdd_us, setup_us, acd_ns;
};

static void set_add_attempt(struct kpi_set *s, const struct attempt *a)
{
	if (!s)
		return;
	s->attempted++;
	s->answered += a->answered;
	s->in_progress += a->in_progress;
	s->effective += a->effective;
	s->cancelled += a->cancelled;
	s->no_response += a->no_response;
	s->no_final += a->no_final;
	if (a->code)
		add_code(s, a->code);
	if (a->pdd_us >= 0)
		kpi_dist_add(&s->pdd, a->pdd_us);
	if (a->setup_us >= 0)
		kpi_dist_add(&s->setup, a->setup_us);
	if (a->acd_ns >= 0) {
		s->acd_calls++;
		s->acd_sum_ns += a->acd_ns;
	}
}

/* Adds to every set of the call (sets may repeat: each counts once). */
static void add_to_sets(struct kpi_set **sets, size_t n, void (*fn)(struct kpi_set *, const void *), const void *arg)
{
	for (size_t i = 0; i < n; i++) {
		if (!sets[i])
			continue;
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = sets[j] == sets[i];
		if (!seen)
			fn(sets[i], arg);
	}
}

static void attempt_fn(struct kpi_set *s, const void *arg)
{
	set_add_attempt(s, arg);
}

static bool is_busy_or_terminal(int code)
{
	return code == 486 || code == 600 || code == 603 || code == 480;
}

static void add_invite(struct kpis *k, const struct call *c)
{
	int32_t first = call_first_invite(c);
	if (first < 0 || c->continues)
		return;
	const struct txn *ft = &c->txns[first];
	const struct sip_msg *inv = c->msgs[ft->req].m;
	int64_t t0 = msg_ns(inv);
	struct attempt a;
	memset(&a, 0, sizeof a);
	a.pdd_us = a.setup_us = a.acd_ns = -1;
	/* the first 18x to an out-of-dialog INVITE */
	bool rang = false;
	for (uint32_t i = 0; i < c->nmsgs && !rang; i++) {
		const struct call_msg *cm = &c->msgs[i];
		int st = cm->m->start.status;
		if (cm->m->start.is_request || st < 180 || st > 189 || cm->txn < 0)
			continue;
		const struct txn *t = &c->txns[cm->txn];
		if (t->method != M_INVITE || t->in_dialog)
			continue;
		rang = true;
		int64_t d = msg_ns(cm->m) - t0;
		a.pdd_us = d > 0 ? d / 1000 : 0;
	}
	a.answered = c->answer_ns >= 0;
	if (a.answered) {
		int64_t d = c->answer_ns - t0;
		a.setup_us = d > 0 ? d / 1000 : 0;
		if (c->until == UNTIL_BYE && c->duration_ns >= 0)
			a.acd_ns = c->duration_ns;
	}
	const struct txn *mt = c->main_txn >= 0 ? &c->txns[c->main_txn] : ft;
	a.code = c->final_status;
	a.cancelled = mt->cancel >= 0 || ft->cancel >= 0;
	if (!a.answered && !a.code && !a.cancelled &&
	    (c->early || (c->ended_input && c->capture_end_ns - c->end_ns < SIP_TIMER_B_NS)))
		a.in_progress = true;
	if (!a.in_progress && !a.answered && !a.code) {
		if (mt->first_resp < 0 && !a.cancelled)
			a.no_response = true;
		else
			a.no_final = true;
	}
	a.effective = !a.in_progress &&
		      (a.answered || is_busy_or_terminal(a.code) ||
		       (rang && (a.code == 487 || a.code == 408 || (a.cancelled && !a.code))));
	const struct sip_msg *resp = NULL;
	if (mt->final >= 0)
		resp = c->msgs[mt->final].m;
	else if (mt->first_resp >= 0)
		resp = c->msgs[mt->first_resp].m;
	struct kpi_set *sets[7] = {
		&k->in[c->input], &k->total, peer(k, &ft->src), peer(k, &ft->dst), pair(k, &ft->src, &ft->dst),
		agent(k, inv, false), agent(k, resp, true),
	};
	add_to_sets(sets, 7, attempt_fn, &a);
}

static bool has_credentials(const struct sip_msg *m)
{
	return sip_msg_has(m, SIP_H_AUTHORIZATION) || sip_msg_has(m, SIP_H_PROXY_AUTHORIZATION);
}

/* A REGISTER that removes bindings: Expires: 0 or every Contact expires=0. */
static bool is_removal(const struct sip_msg *m)
{
	if (sip_msg_int(m, SIP_H_EXPIRES) == 0)
		return true;
	struct sv v;
	struct sip_hdr_iter it = sip_hdr_iter(m, SIP_H_CONTACT);
	bool any = false;
	while (sip_hdr_next(&it, &v)) {
		struct sip_contact ct;
		if (!sip_parse_contact(v, &ct))
			return false;
		if (!ct.star && ct.expires != 0)
			return false;
		any = true;
	}
	return any;
}

struct reg_attempt {
	bool ok;
};

static void reg_fn(struct kpi_set *s, const void *arg)
{
	const struct reg_attempt *r = arg;
	s->reg_attempted++;
	s->reg_successful += r->ok;
}

static void refresh_add(struct kpis *k, const struct call *c, const struct sip_msg *req, int64_t ok_ns)
{
	const struct sip_nameaddr *to = sip_msg_to((struct sip_msg *)req);
	if (!to || !to->valid || !to->uri.len)
		return;
	uint64_t h = ((uint64_t)hash_bytes(to->uri.p, to->uri.len, 1) << 32) | hash_bytes(to->uri.p, to->uri.len, 2);
	h |= 1; /* never 0 */
	if (!k->aor)
		k->aor = xcalloc(AOR_SLOTS, sizeof *k->aor);
	struct aor_ent *e = &k->aor[h % AOR_SLOTS];
	bool removal = is_removal(req);
	if (e->hash == h && e->input == c->input && !removal && ok_ns > e->ok_ns) {
		int64_t us = (ok_ns - e->ok_ns) / 1000;
		kpi_dist_add(&k->in[c->input].refresh, us);
		kpi_dist_add(&k->total.refresh, us);
	}
	if (removal) {
		if (e->hash == h)
			e->hash = 0;
		return;
	}
	e->hash = h;
	e->input = c->input;
	e->ok_ns = ok_ns;
}

static void reg_done(struct kpis *k, const struct call *c, const struct txn *first, const struct txn *last)
{
	struct reg_attempt r = {.ok = last->status >= 200 && last->status < 300};
	const struct sip_msg *req = c->msgs[first->req].m;
	const struct sip_msg *resp = last->final >= 0 ? c->msgs[last->final].m : NULL;
	struct kpi_set *sets[7] = {
		&k->in[c->input], &k->total, peer(k, &first->src), peer(k, &first->dst), pair(k, &first->src, &first->dst),
		agent(k, req, false), agent(k, resp, true),
	};
	add_to_sets(sets, 7, reg_fn, &r);
	if (r.ok && last->req >= 0)
		refresh_add(k, c, c->msgs[last->req].m, msg_ns(c->msgs[last->final].m));
}

static void add_registers(struct kpis *k, const struct call *c)
{
	const struct txn *first = NULL, *last = NULL;
	for (uint32_t i = 0; i < c->ntxns; i++) {
		const struct txn *t = &c->txns[i];
		if (t->method != M_REGISTER || t->req < 0)
			continue;
		if (last && t->cseq == last->cseq) {
			/* the same request on another hop */
			if (t->status >= 200 && t->status < 300 && !(last->status >= 200 && last->status < 300))
				last = t;
			continue;
		}
		bool retry = last && (last->status == 401 || last->status == 407) && has_credentials(c->msgs[t->req].m);
		if (!retry) {
			if (first)
				reg_done(k, c, first, last);
			first = t;
		}
		last = t;
	}
	if (first)
		reg_done(k, c, first, last);
}

struct hop {
	uint64_t msgs, retrans;
};

static void hop_fn(struct kpi_set *s, const void *arg)
{
	const struct hop *h = arg;
	s->messages += h->msgs;
	s->retransmitted += h->retrans;
}

static void add_messages(struct kpis *k, const struct call *c)
{
	/* runs of messages on one hop are counted together */
	struct hop h = {0, 0};
	const struct sip_msg *run = NULL;
	for (uint32_t i = 0; i <= c->nmsgs; i++) {
		const struct call_msg *cm = i < c->nmsgs ? &c->msgs[i] : NULL;
		if (cm && (cm->flags & CM_DUPLICATE))
			continue;
		bool same = cm && run && run->src.family == cm->m->src.family && run->dst.family == cm->m->dst.family &&
			    memcmp(run->src.ip, cm->m->src.ip, 16) == 0 && memcmp(run->dst.ip, cm->m->dst.ip, 16) == 0;
		if (!same && run && h.msgs) {
			struct kpi_set *sets[4] = {&k->in[c->input], &k->total, pair(k, &run->src, &run->dst),
						   peer(k, &run->src)};
			add_to_sets(sets, 4, hop_fn, &h);
			h.msgs = h.retrans = 0;
		}
		if (!cm)
			break;
		run = cm->m;
		h.msgs++;
		h.retrans += (cm->flags & CM_RETRANS) != 0;
	}
}

void kpis_add_call(struct kpis *k, const struct call *c)
{
	if (c->input >= k->ninputs)
		return;
	add_messages(k, c);
	if (c->kind == KIND_CALL)
		add_invite(k, c);
	else if (c->kind == KIND_REGISTRATION)
		add_registers(k, c);
}
