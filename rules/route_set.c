/* route_set.c - route-set: an in-dialog request that ignores the dialog's
 * route set or its remote target (RFC 3261 §12.2.1.1), the cause of the
 * 403/481 a proxy or UA that admits in-dialog requests only through the
 * proxy answers.
 *
 * Judged: each in-dialog request of an INVITE dialog set up in the capture,
 * as the UA that owns the dialog sent it — the copy with a single Via; a
 * proxy's forwarded copy legitimately lost the proxy's own Route entry —
 * against what that UA was told:
 *  - the route set: the Record-Route of the 2xx (of the 1xx for a request in
 *    the early dialog), reversed at the caller, taken from the copy of the
 *    response delivered to it (single Via, to its address; §12.1.2), in
 *    order at the callee, from the copy it sent (§12.1.1); less the leading
 *    entries that name the sender itself (a B2BUA or SBC that record-routes
 *    itself leaves its own entry out, as a proxy does, §16.4) and, at the
 *    caller, the entries it put in its own INVITE (no proxy added them);
 *  - the remote target: a Contact of the other side — its 2xx or 1xx, for
 *    the callee the INVITE delivered to it, then each target refresh
 *    (re-INVITE, UPDATE; §12.2.1.2, §12.2.2); the last few are accepted, and
 *    so is one rewritten to the address its message came from (NAT:
 *    Asterisk's rewrite_contact, Kamailio's fix_nated_contact).
 * Loose routing (Route = the route set, Request-URI = the remote target) and
 * strict routing (Request-URI = the first route, Route = the rest with the
 * remote target last) are both accepted, whatever ;lr says; routes the UA
 * puts in front of the route set (an outbound proxy) are tolerated, and so
 * is no Route when every route names the other UA and the request went to
 * it. Faults, one finding per dialog, side and kind, citing the first:
 *  - bypass: no Route although the route set is not empty, or the right
 *    Route sent straight to the remote target's address, not the first
 *    route's (the proxy never sees it);
 *  - route: a Route that is not the route set (not reversed, entries
 *    missing, other URIs, strict routing without the remote target);
 *  - target: the route set followed, but the Request-URI (strict: the last
 *    Route) is not the remote target; with no route set, only when the
 *    request went elsewhere than the other UA (when it reached that UA, a
 *    481 for it is bye-481's to explain).
 * Error when one of them was rejected (a final response of 300 or more
 * other than a 401/407 challenge), else warning. When the copy of the
 * response the UA received (caller) or sent (callee) is not in the capture,
 * only "no Route although every copy of the response had a Record-Route" is
 * judged. Linear in the call's messages: per message a bounded amount of
 * work (a few response copies, a few Contacts, at most MAXR routes). A call
 * the memory bound cut in parts is judged in its first part only (the
 * parts after it have no 2xx to judge against). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../analyzer/xalloc.h"
#include "rule.h"

#define NCOPY 4 /* copies (hops) of the dialog-creating response kept */
#define NRING 4 /* Contacts of each side kept (target refreshes) */
#define NINV 8  /* out-of-dialog INVITE copies kept (the callee's first target) */
#define MAXR 16 /* routes judged; a longer route set is not judged */

enum fault { F_NONE, F_TARGET, F_ROUTE, F_BYPASS, F_COUNT };
enum sub { S_NONE, S_NO_ROUTE, S_STRAIGHT, S_REVERSED, S_PARTIAL, S_OTHER, S_STRICT_NO_TARGET };

/* Contacts one side of a dialog advertised, newest last. */
struct ring {
	int32_t idx[NRING];
	uint8_t n, pos;
	int32_t last; /* the latest message that (re)stated one, -1 */
};

struct dstate {
	int32_t copy[2][NCOPY]; /* [0] 1xx, [1] 2xx of the dialog-creating INVITE, one per hop */
	uint8_t ncopy[2];
	struct ring ring[2];    /* [0] Contacts sent by the caller, [1] by the callee */
	uint32_t agg[2][F_COUNT]; /* [0] caller's requests, [1] callee's: index into the aggregates + 1 */
};

/* One finding in the making: the requests of one side of a dialog with one
 * kind of fault. */
struct agg {
	int32_t dialog;
	bool caller;
	enum fault fault;
	enum sub sub;
	bool fallback;   /* judged against a copy of the response the UA did not get */
	int32_t first;   /* the first such request */
	int32_t copy;    /* the response whose Record-Route is the route set */
	int32_t target;  /* the message whose Contact is the remote target, -1 */
	uint32_t count;
	int32_t rej;     /* the first rejected one, -1 */
};

/* ---- URIs ---- */

struct uri {
	struct sv scheme, user, host, params; /* params from the ';' after the host */
	uint16_t port;                        /* 0 when absent */
};

static struct sv unbracket(struct sv u)
{
	u = sv_trim(u);
	if (u.len >= 2 && u.p[0] == '<' && u.p[u.len - 1] == '>')
		u = sv_trim(sv_make(u.p + 1, u.len - 2));
	return u;
}

static bool uri_split(struct sv u, struct uri *o)
{
	memset(o, 0, sizeof *o);
	u = unbracket(u);
	ptrdiff_t colon = sv_find(u, ':');
	if (colon <= 0)
		return false;
	o->scheme = sv_make(u.p, (size_t)colon);
	struct sv r = sv_make(u.p + colon + 1, u.len - (size_t)colon - 1);
	ptrdiff_t q = sv_find(r, '?');
	if (q >= 0)
		r.len = (size_t)q;
	struct sv hp = r;
	for (size_t i = r.len; i > 0; i--)
		if (r.p[i - 1] == '@') { /* the user part ends at the last '@' */
			o->user = sv_make(r.p, i - 1);
			hp = sv_make(r.p + i, r.len - i);
			break;
		}
	size_t i = 0;
	if (hp.len && hp.p[0] == '[') {
		while (i < hp.len && hp.p[i] != ']')
			i++;
		if (i == hp.len)
			return false;
		i++;
	} else {
		while (i < hp.len && hp.p[i] != ':' && hp.p[i] != ';')
			i++;
	}
	o->host = sv_make(hp.p, i);
	if (i < hp.len && hp.p[i] == ':') {
		size_t s = ++i;
		while (i < hp.len && hp.p[i] != ';')
			i++;
		uint64_t port;
		if (!sv_to_u64(sv_make(hp.p + s, i - s), 65535, &port))
			return false;
		o->port = (uint16_t)port;
	}
	o->params = sv_make(hp.p + i, hp.len - i);
	return o->host.len > 0;
}

/* A port left out means 5060 (5061 for TLS): either is taken as equal. */
static bool port_eq(uint16_t a, uint16_t b)
{
	if (a == b)
		return true;
	if (!a)
		return b == 5060 || b == 5061;
	if (!b)
		return a == 5060 || a == 5061;
	return false;
}

/* Same scheme, user, host and port (parameters aside; case ignored). */
static bool uri_same(struct sv a, struct sv b)
{
	struct uri x, y;
	if (!uri_split(a, &x) || !uri_split(b, &y))
		return sv_eq_ci(unbracket(a), unbracket(b));
	return sv_eq_ci(x.scheme, y.scheme) && sv_eq_ci(x.user, y.user) && sv_eq_ci(x.host, y.host) &&
	       port_eq(x.port, y.port);
}

static bool uri_lr(struct sv u)
{
	struct uri x;
	struct sv v;
	return uri_split(u, &x) && sip_param(x.params, "lr", &v);
}

/* The address a URI with an IP literal host leads to (RFC 3263 §4.2: the
 * port defaults to 5060, 5061 over TLS). */
static bool uri_endpoint(struct sv u, struct endpoint *e)
{
	struct uri x;
	memset(e, 0, sizeof *e);
	if (!uri_split(u, &x))
		return false;
	int fam = ip_parse(x.host.p, x.host.len, e->ip);
	if (!fam)
		return false;
	e->family = (uint8_t)fam;
	struct sv t;
	bool tls = sv_eq_cstr_ci(x.scheme, "sips") || (sip_param(x.params, "transport", &t) && sv_eq_cstr_ci(t, "tls"));
	e->port = x.port ? x.port : tls ? 5061 : 5060;
	return true;
}

static bool same_addr(const struct endpoint *a, const struct endpoint *b)
{
	return a->family == b->family && a->port == b->port && memcmp(a->ip, b->ip, sizeof a->ip) == 0;
}

static bool same_ip(const struct endpoint *a, const struct endpoint *b)
{
	return a->family == b->family && memcmp(a->ip, b->ip, sizeof a->ip) == 0;
}

/* "host[:port]" of a URI, for the texts. */
static void uri_hostport(char *buf, size_t size, struct sv u)
{
	struct uri x;
	if (!uri_split(u, &x)) {
		sv_print(buf, size, unbracket(u));
		return;
	}
	char h[80];
	sv_print(h, sizeof h, x.host);
	if (x.port)
		snprintf(buf, size, "%s:%u", h, (unsigned)x.port);
	else
		snprintf(buf, size, "%s", h);
}

/* ---- route lists ---- */

struct rlist {
	struct sv u[MAXR]; /* URIs with their parameters */
	size_t n;
};

/* A Route / Record-Route value's URI, its parameters included (a bare
 * addr-spec keeps them too: ";lr" is meant for the URI there). */
static struct sv route_uri(struct sv v)
{
	v = sv_trim(v);
	struct sip_nameaddr na;
	if (sv_find(v, '<') >= 0 && sip_parse_nameaddr(v, &na))
		return na.uri;
	return v;
}

/* The values of header id of m, reversed if asked; false when over MAXR. */
static bool rlist_of(struct sip_msg *m, enum sip_hdr_id id, bool reverse, struct rlist *l)
{
	size_t n = sip_msg_hdr_count(m, id);
	if (n > MAXR)
		return false;
	l->n = n;
	struct sv v;
	struct sip_hdr_iter it = sip_hdr_iter(m, id);
	for (size_t i = 0; i < n; i++) {
		if (!sip_hdr_next(&it, &v))
			return false;
		l->u[reverse ? n - 1 - i : i] = route_uri(v);
	}
	return true;
}

/* Drops from l the routes that are in x. */
static void rlist_drop(struct rlist *l, const struct rlist *x)
{
	size_t o = 0;
	for (size_t i = 0; i < l->n; i++) {
		bool in = false;
		for (size_t j = 0; j < x->n && !in; j++)
			in = uri_same(l->u[i], x->u[j]);
		if (!in)
			l->u[o++] = l->u[i];
	}
	l->n = o;
}

/* a[from..from+n) == b[bfrom..bfrom+n) */
static bool run_eq(const struct rlist *a, size_t from, const struct rlist *b, size_t bfrom, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!uri_same(a->u[from + i], b->u[bfrom + i]))
			return false;
	return true;
}

static void rlist_print(char *buf, size_t size, const struct rlist *l, size_t from)
{
	size_t o = 0;
	buf[0] = 0;
	for (size_t i = from; i < l->n && o + 8 < size; i++) {
		char u[160];
		sv_print(u, sizeof u, l->u[i]);
		o += (size_t)snprintf(buf + o, size - o, "%s<%s>", i > from ? ", " : "", u);
	}
	if (o >= size && size > 4)
		memcpy(buf + size - 4, "...", 4);
}

/* How request routes rt and Request-URI ruri follow route set rs. *tgt gets
 * what must be the remote target (and *alt another candidate, or SV_NULL),
 * *hop the URI of the first hop (SV_NULL none). */
static enum fault judge_route(const struct rlist *rs, const struct rlist *rt, struct sv ruri, struct sv *tgt,
			      struct sv *alt, struct sv *hop, enum sub *sub)
{
	*sub = S_NONE;
	*tgt = ruri;
	*alt = *hop = SV_NULL;
	if (rs->n == 0) {
		/* no route set: Request-URI = the remote target; a Route the UA
		 * adds (an outbound proxy, maybe strict) is not this rule's */
		if (rt->n) {
			*alt = rt->u[rt->n - 1];
			*hop = rt->u[0];
		}
		return F_NONE;
	}
	/* loose: the Route ends with the route set */
	if (rt->n >= rs->n && run_eq(rt, rt->n - rs->n, rs, 0, rs->n)) {
		*hop = rt->u[0];
		return F_NONE;
	}
	/* strict: Request-URI = the first route, Route = the rest, then the target */
	if (uri_same(ruri, rs->u[0])) {
		*hop = ruri;
		if (rt->n >= rs->n && run_eq(rt, rt->n - rs->n, rs, 1, rs->n - 1)) {
			*tgt = rt->u[rt->n - 1];
			return F_NONE;
		}
		if (rt->n >= rs->n - 1 && run_eq(rt, rt->n - (rs->n - 1), rs, 1, rs->n - 1)) {
			*sub = S_STRICT_NO_TARGET;
			return F_ROUTE;
		}
	}
	if (rt->n == 0) {
		*sub = S_NO_ROUTE;
		return F_BYPASS;
	}
	if (rt->n == rs->n && rs->n >= 2) {
		bool rev = true;
		for (size_t i = 0; i < rs->n && rev; i++)
			rev = uri_same(rt->u[i], rs->u[rs->n - 1 - i]);
		if (rev) {
			*sub = S_REVERSED;
			return F_ROUTE;
		}
	}
	if (rt->n < rs->n) {
		bool sub_of = true;
		for (size_t i = 0; i < rt->n && sub_of; i++) {
			bool in = false;
			for (size_t j = 0; j < rs->n && !in; j++)
				in = uri_same(rt->u[i], rs->u[j]);
			sub_of = in;
		}
		if (sub_of) {
			*sub = S_PARTIAL;
			return F_ROUTE;
		}
	}
	*sub = S_OTHER;
	return F_ROUTE;
}

/* ---- what the walk keeps ---- */

static void ring_add(const struct call *c, struct ring *r, int32_t idx)
{
	const struct sip_contact *ct = sip_msg_contact(c->msgs[idx].m);
	if (!ct->valid || ct->star)
		return;
	r->last = idx;
	for (uint8_t k = 0; k < r->n; k++) {
		const struct sip_contact *o = sip_msg_contact(c->msgs[r->idx[k]].m);
		if (uri_same(o->uri, ct->uri)) {
			r->idx[k] = idx; /* the latest statement of it */
			return;
		}
	}
	r->idx[r->pos] = idx;
	r->pos = (uint8_t)((r->pos + 1) % NRING);
	if (r->n < NRING)
		r->n++;
}

/* A copy of the dialog-creating response: the first on each hop. */
static void copy_add(const struct call *c, struct dstate *s, int cls, int32_t idx)
{
	const struct sip_msg *m = c->msgs[idx].m;
	for (uint8_t k = 0; k < s->ncopy[cls]; k++) {
		const struct sip_msg *o = c->msgs[s->copy[cls][k]].m;
		if (endpoint_eq(&o->src, &m->src) && endpoint_eq(&o->dst, &m->dst))
			return;
	}
	if (s->ncopy[cls] < NCOPY)
		s->copy[cls][s->ncopy[cls]++] = idx;
}

/* The copies of the response that the UA sending request r received
 * (caller: single Via, to r's address) or sent (callee: from r's address),
 * exact address first, then the same IP; none of them: every copy, and
 * *fallback. Returns how many. */
static int pick(const struct call *c, const struct dstate *s, int cls, bool caller, const struct sip_msg *r,
		int32_t out[NCOPY], bool *fallback)
{
	int n = 0;
	*fallback = false;
	for (int pass = 0; pass < 2 && !n; pass++)
		for (uint8_t k = 0; k < s->ncopy[cls]; k++) {
			const struct sip_msg *o = c->msgs[s->copy[cls][k]].m;
			const struct endpoint *e = caller ? &o->dst : &o->src;
			if (caller && sip_msg_hdr_count(o, SIP_H_VIA) != 1)
				continue;
			if (pass == 0 ? endpoint_eq(e, &r->src) : same_ip(e, &r->src))
				out[n++] = s->copy[cls][k];
		}
	if (!n) {
		*fallback = true;
		for (uint8_t k = 0; k < s->ncopy[cls]; k++)
			out[n++] = s->copy[cls][k];
	}
	return n;
}

static bool rejected(const struct call *c, int32_t ti)
{
	const struct txn *t = &c->txns[ti];
	return t->final >= 0 && t->status >= 300 && t->status != 401 && t->status != 407;
}

/* Does route URI u name the sender of request r (its Via sent-by, or its
 * address)? An element removes a Route naming itself (RFC 3261 §16.4): a
 * UA that record-routed itself, as some B2BUAs and SBCs do, rightly leaves
 * its own entry out. */
static bool names_sender(struct sv u, struct sip_msg *r)
{
	struct uri x;
	if (!uri_split(u, &x))
		return false;
	const struct sip_via *v = sip_msg_via(r);
	if (v->valid && sv_eq_ci(x.host, v->host) && port_eq(x.port, v->port))
		return true;
	struct endpoint e;
	return uri_endpoint(u, &e) && same_addr(&e, &r->src);
}

/* The route set that the UA sending r has from response copy idx: its
 * Record-Route, reversed at the caller, less the leading entries that name
 * the UA itself. */
static bool side_rs(const struct call *c, int32_t idx, bool caller, struct sip_msg *r, struct rlist *rs)
{
	if (!rlist_of(c->msgs[idx].m, SIP_H_RECORD_ROUTE, caller, rs))
		return false;
	size_t skip = 0;
	while (skip < rs->n && names_sender(rs->u[skip], r))
		skip++;
	if (skip) {
		memmove(rs->u, rs->u + skip, (rs->n - skip) * sizeof rs->u[0]);
		rs->n -= skip;
	}
	return true;
}

/* Does every route of rs name the host and port of ruri (the other UA
 * record-routed itself, and the request went to it)? */
static bool peer_only(const struct rlist *rs, struct sv ruri)
{
	struct uri t, x;
	if (!rs->n || !uri_split(ruri, &t))
		return false;
	for (size_t i = 0; i < rs->n; i++)
		if (!uri_split(rs->u[i], &x) || !sv_eq_ci(x.host, t.host) || !port_eq(x.port, t.port))
			return false;
	return true;
}

/* Is u the Contact of one of messages tg, or that Contact with its host and
 * port replaced by the address the message came from (a Contact rewritten
 * for NAT: Asterisk's rewrite_contact, Kamailio's fix_nated_contact)? */
static bool in_targets(const struct call *c, const int32_t *tg, int ntg, struct sv u)
{
	struct uri x, y;
	struct endpoint e;
	bool split = uri_split(u, &x), ep = uri_endpoint(u, &e);
	for (int k = 0; k < ntg; k++) {
		const struct sip_msg *o = c->msgs[tg[k]].m;
		struct sv cu = sip_msg_contact(c->msgs[tg[k]].m)->uri;
		if (uri_same(cu, u))
			return true;
		if (split && ep && same_addr(&e, &o->src) && uri_split(cu, &y) && sv_eq_ci(x.scheme, y.scheme) &&
		    sv_eq_ci(x.user, y.user))
			return true;
	}
	return false;
}

/* ---- the finding ---- */

static void emit(struct rule_ctx *ctx, const struct call *c, const struct agg *a)
{
	const struct dialog *dl = &c->dialogs[a->dialog];
	struct sip_msg *req = c->msgs[a->first].m;
	const char *side = a->caller ? "caller" : "callee";
	struct finding *f = finding_new(ctx, c, a->rej >= 0 ? SEV_ERROR : SEV_WARNING);
	finding_dialog(f, dl);
	finding_msg(f, c, a->copy);
	if (a->target >= 0 && a->fault == F_TARGET)
		finding_msg(f, c, a->target);
	int32_t fin = -1;
	if (a->rej >= 0) {
		fin = c->txns[c->msgs[a->rej].txn].final;
		finding_msg(f, c, a->rej);
		finding_msg(f, c, fin);
	} else if (c->msgs[a->first].txn >= 0) {
		fin = c->txns[c->msgs[a->first].txn].final;
	}
	finding_key(f, c, a->first);

	char label[96], from[ENDPOINT_STRLEN], to[ENDPOINT_STRLEN], cplabel[96];
	msg_label(label, sizeof label, c, a->first);
	msg_label(cplabel, sizeof cplabel, c, a->copy);
	endpoint_format(&req->src, from, sizeof from);
	endpoint_format(&req->dst, to, sizeof to);

	struct rlist rs = { .n = 0 }, rt = { .n = 0 };
	side_rs(c, a->copy, a->caller, req, &rs);
	rlist_of(req, SIP_H_ROUTE, false, &rt);
	char rstxt[600] = "(none)", rttxt[600] = "(none)", first[120] = "";
	if (rs.n)
		rlist_print(rstxt, sizeof rstxt, &rs, 0);
	if (rt.n)
		rlist_print(rttxt, sizeof rttxt, &rt, 0);
	if (rs.n)
		uri_hostport(first, sizeof first, rs.u[0]);
	bool strict = rs.n && !uri_lr(rs.u[0]);
	const char *gets = a->caller ? "reversed" : "in order";

	/* the remote target and where it leads */
	char tgt[200] = "", tgtat[48] = "";
	struct endpoint te, fe;
	bool to_target = false, to_first = rs.n && uri_endpoint(rs.u[0], &fe) && same_addr(&fe, &req->dst);
	if (a->target >= 0) {
		struct sv tu = sip_msg_contact(c->msgs[a->target].m)->uri;
		sv_print(tgt, sizeof tgt, tu);
		snprintf(tgtat, sizeof tgtat, " (Contact at frame %llu)", (unsigned long long)c->msgs[a->target].m->frame);
		to_target = uri_endpoint(tu, &te) && same_addr(&te, &req->dst);
	}

	char more[64] = "";
	if (a->count > 1)
		snprintf(more, sizeof more, " (and %u more request%s of this dialog)", a->count - 1, a->count > 2 ? "s" : "");
	char outcome[240] = "", outcome_why[400] = "";
	if (fin >= 0) {
		const struct sip_msg *r = c->msgs[fin].m;
		char reason[96];
		sv_print(reason, sizeof reason, r->start.reason);
		if (a->rej >= 0) {
			char rl[96], rq[96];
			msg_label(rl, sizeof rl, c, fin);
			if (a->rej != a->first) {
				msg_label(rq, sizeof rq, c, a->rej);
				snprintf(outcome, sizeof outcome, "; %s was rejected with %s", rq, rl);
			} else {
				snprintf(outcome, sizeof outcome, "; rejected with %s", rl);
			}
			snprintf(outcome_why, sizeof outcome_why, " It was rejected with %d %s%s", r->start.status, reason,
				 a->fault == F_BYPASS ? ": the far end refuses in-dialog requests that do not come through the "
							"proxy, or the element the request reached does not know the dialog."
				 : a->fault == F_TARGET ? ": the element the Request-URI led to does not take it as the dialog's."
							: ".");
		} else if (r->start.status >= 200 && r->start.status < 300) {
			snprintf(outcome_why, sizeof outcome_why, " It was accepted (%d)%s", r->start.status,
				 a->fault == F_BYPASS ? " anyway, so the call went on, but the proxy missed it: its dialog state, "
							"accounting and any NAT or media anchoring it does are left behind."
				 : a->fault == F_TARGET ? " by the UA the Request-URI reached."
							: " all the same.");
		}
	}
	char fallback[200] = "";
	if (a->fallback)
		snprintf(fallback, sizeof fallback,
			 " (the copy of that response this UA %s is not in the capture; every copy that is carries a Record-Route)",
			 a->caller ? "received" : "sent");
	const char *rfc_rs = a->caller ? "§12.1.2: the caller takes the Record-Route of the 2xx in reverse order"
				       : "§12.1.1: the callee takes the Record-Route of the INVITE, as its 2xx repeats it, in order";
	const char *strict_txt = strict ? " The first route has no ;lr (a strict router): the Request-URI is then that route "
					  "and the remote target goes last in Route."
					: "";

	switch (a->fault) {
	case F_BYPASS:
		if (a->sub == S_STRAIGHT) {
			finding_summary(f, "%s from the %s carries the route set but was sent from %s straight to the remote "
					   "target's address %s, bypassing the first route %s%s%s",
					label, side, from, to, first, outcome, more);
		} else {
			char where[200];
			if (to_target)
				snprintf(where, sizeof where,
					 "sent from %s straight to the remote target's address %s, bypassing the proxy %s", from, to,
					 first);
			else if (to_first)
				snprintf(where, sizeof where, "sent from %s to the first route %s itself, but without the Route header",
					 from, to);
			else
				snprintf(where, sizeof where, "sent from %s to %s, not through the first route %s", from, to, first);
			finding_summary(f, "%s from the %s ignores the dialog's route set: no Route header, %s%s%s", label, side,
					where, outcome, more);
		}
		finding_explain(f, "The dialog was set up through %s: %s carries Record-Route, so the %s's route set is %s "
				   "(RFC 3261 %s)%s. Every request inside the dialog must carry it as Route headers and go to "
				   "its first entry, with the remote target in the Request-URI (§12.2.1.1).%s %s%s",
				rs.n > 1 ? "record-routing proxies" : "a record-routing proxy", cplabel, side, rstxt, rfc_rs, fallback,
				strict_txt,
				a->sub == S_STRAIGHT ? "This request has the Route but went straight to the other UA, so the proxy "
						       "never sees it."
				: to_first ? "This request has no Route at all: the proxy gets it but cannot tell that it belongs "
					     "to the dialog (loose routing finds no Route naming it) and handles it as a new request."
					   : "This request has no Route at all, so the proxy never sees it.",
				outcome_why);
		finding_hint(f, "Have %s build in-dialog requests from the dialog state: the Route from the Record-Route of "
				"the %s (%s), sent to the first route. An outbound-proxy or \"direct\" setting, or a NAT "
				"shortcut that sends in-dialog requests straight to the Contact, is the usual cause.",
			     f->host, a->caller ? "2xx" : "INVITE", gets);
		finding_group(f, "in-dialog requests from %s bypass the record-routing proxy %s", f->host, first);
		break;
	case F_ROUTE: {
		const char *what = a->sub == S_REVERSED	      ? ": the Record-Route taken in the wrong order"
				   : a->sub == S_PARTIAL	      ? ": entries of the route set are missing"
				   : a->sub == S_STRICT_NO_TARGET ? ": strict-routed without the remote target as last Route"
								  : "";
		if (a->sub == S_STRICT_NO_TARGET)
			finding_summary(f, "%s from the %s is strict-routed to the first route %s but does not carry the remote "
					   "target as its last Route (Route %s)%s%s",
					label, side, first, rttxt, outcome, more);
		else
			finding_summary(f, "%s from the %s carries Route %s, not the dialog's route set %s%s%s%s", label, side,
					rttxt, rstxt, what, outcome, more);
		finding_explain(f, "The route set of a dialog is fixed when it is set up (RFC 3261 %s): here %s, from %s%s. "
				   "Every request inside the dialog must carry exactly these routes as Route headers "
				   "(§12.2.1.1).%s This one's Route is %s, so the proxies route it otherwise than the dialog "
				   "was set up, or cannot route it at all.%s",
				rfc_rs, rstxt, cplabel, fallback, strict_txt, rttxt, outcome_why);
		finding_hint(f, "Fix the route set handling of %s: the Route of in-dialog requests is the Record-Route of "
				"the %s, %s, unchanged.",
			     f->host, a->caller ? "2xx" : "INVITE", gets);
		finding_group(f, "in-dialog requests from %s carry a wrong Route", f->host);
		break;
	}
	case F_TARGET:
	default: {
		char ruri[200], what[80] = "";
		struct sv used = req->start.uri;
		if (rs.n && rt.n && uri_same(req->start.uri, rs.u[0]) && !uri_same(req->start.uri, rt.u[rt.n - 1]))
			used = rt.u[rt.n - 1]; /* strict routing: the target is the last Route */
		const char *field = used.p == req->start.uri.p ? "Request-URI" : "last Route";
		sv_print(ruri, sizeof ruri, unbracket(used));
		const struct sip_nameaddr *tohdr = sip_msg_to(req);
		int32_t inv = dl->create_txn >= 0 ? c->txns[dl->create_txn].req : -1;
		bool is_to = tohdr->valid && uri_same(used, tohdr->uri);
		bool is_inv = a->caller && inv >= 0 && uri_same(used, c->msgs[inv].m->start.uri);
		if (is_to || is_inv)
			snprintf(what, sizeof what, " (%s%s%s)", is_inv ? "the INVITE's Request-URI" : "",
				 is_inv && is_to ? " and " : "", is_to ? "its To URI" : "");
		struct uri x, y;
		bool same_place = a->target >= 0 && uri_split(used, &x) &&
				  uri_split(sip_msg_contact(c->msgs[a->target].m)->uri, &y) && sv_eq_ci(x.host, y.host) &&
				  port_eq(x.port, y.port);
		if (rs.n)
			finding_summary(f, "%s from the %s follows the route set but its %s is %s%s, not the remote target %s%s%s%s",
					label, side, field, ruri, what, tgt, tgtat, outcome, more);
		else
			finding_summary(f, "%s from the %s has %s %s%s, not the remote target %s%s, and went to %s%s%s", label,
					side, field, ruri, what, tgt, tgtat, to, outcome, more);
		char led[160];
		snprintf(led, sizeof led, "with no route set the UA sends it where that URI leads: here %s, not the UA that answered",
			 to);
		finding_explain(f, "A request inside a dialog goes to the remote target: the Contact the other side gave in "
				   "its %s, replaced by each target refresh (re-INVITE, UPDATE) (RFC 3261 §12.2.1.1, "
				   "§12.2.1.2), here %s. This one's %s is %s%s: %s%s.%s",
				a->caller ? "2xx" : "INVITE", tgt, field, ruri, what,
				rs.n ? "the last proxy forwards it there, not necessarily to the UA instance that answered" : led,
				rs.n && same_place ? " (here the host and port are the same, so it reached the same device, which "
						     "may or may not take it as the dialog's)"
						   : "",
				outcome_why);
		finding_hint(f, "Have %s put the remote target (the latest Contact of the other side) in the Request-URI of "
				"in-dialog requests, not the To URI or the original Request-URI.",
			     f->host);
		finding_group(f, "in-dialog requests from %s not sent to the remote target", f->host);
		break;
	}
	}
	finding_emit(ctx, f);
}

/* ---- the walk ---- */

static void check(struct rule_ctx *ctx, const struct call *c)
{
	bool any = false;
	for (uint32_t i = 0; i < c->ndialogs && !any; i++)
		any = c->dialogs[i].kind == M_INVITE && !c->dialogs[i].inferred && c->dialogs[i].create_txn >= 0;
	if (!any)
		return;
	struct dstate *ds = xcalloc(c->ndialogs, sizeof *ds);
	for (uint32_t i = 0; i < c->ndialogs; i++)
		ds[i].ring[0].last = ds[i].ring[1].last = -1;
	uint8_t *judged = xcalloc(c->ntxns + 1, 1);
	int32_t inv[NINV];
	uint32_t ninv = 0;
	struct agg *ag = NULL;
	size_t nag = 0, agcap = 0;

	for (uint32_t i = 0; i < c->nmsgs; i++) {
		const struct call_msg *cm = &c->msgs[i];
		struct sip_msg *m = cm->m;
		if (m->malformed || (cm->flags & CM_RETRANS))
			continue;
		bool req = m->start.is_request;
		if (cm->dialog < 0) {
			/* the INVITE's copies: the callee's first remote target */
			if (req && cm->method == M_INVITE && cm->txn >= 0 && !c->txns[cm->txn].in_dialog &&
			    sip_msg_has(m, SIP_H_CONTACT))
				inv[ninv++ % NINV] = (int32_t)i;
			continue;
		}
		const struct dialog *dl = &c->dialogs[cm->dialog];
		if (dl->kind != M_INVITE || dl->inferred || dl->create_txn < 0)
			continue;
		struct dstate *s = &ds[cm->dialog];
		bool by_caller = req ? cm->caller_dir : !cm->caller_dir;
		int st = req ? 0 : m->start.status;
		if (!req && !by_caller && cm->method == M_INVITE && st > 100 && st < 300) {
			const struct sip_cseq *cs = sip_msg_cseq(m);
			if (cs->valid && cs->num == c->txns[dl->create_txn].cseq)
				copy_add(c, s, st >= 200, (int32_t)i);
		}
		if ((cm->method == M_INVITE || cm->method == M_UPDATE) && (req || (st > 100 && st < 300)) &&
		    sip_msg_has(m, SIP_H_CONTACT))
			ring_add(c, &s->ring[by_caller ? 0 : 1], (int32_t)i);

		/* the request as its UA sent it, once per transaction */
		if (!req || cm->method == M_CANCEL || cm->txn < 0 || judged[cm->txn] || sip_msg_hdr_count(m, SIP_H_VIA) != 1)
			continue;
		judged[cm->txn] = 1;
		int cls = s->ncopy[1] ? 1 : s->ncopy[0] ? 0 : -1;
		if (cls < 0)
			continue;
		bool caller = cm->caller_dir;
		int32_t cand[NCOPY];
		bool fallback;
		int nc = pick(c, s, cls, caller, m, cand, &fallback);
		struct rlist rt;
		if (!rlist_of(m, SIP_H_ROUTE, false, &rt))
			continue;
		struct sv ruri = m->start.uri;
		enum fault fault = F_NONE;
		enum sub sub = S_NONE;
		int32_t used = cand[0], target = -1;

		if (fallback) {
			target = s->ring[caller ? 1 : 0].last; /* for the text only */
			/* only: no Route although every copy had a Record-Route (and
			 * not strict-routed to the first route without one) */
			bool all = nc > 0 && rt.n == 0;
			for (int k = 0; k < nc && all; k++) {
				struct rlist rs;
				all = side_rs(c, cand[k], caller, m, &rs) && rs.n > 0 && !uri_same(ruri, rs.u[0]) &&
				      !peer_only(&rs, ruri);
			}
			if (all) {
				fault = F_BYPASS;
				sub = S_NO_ROUTE;
			}
		} else {
			/* the remote target as this UA knows it: the other side's
			 * Contacts (for the callee, also its INVITE as delivered) */
			int32_t tg[NRING + NINV];
			int ntg = 0;
			bool known = false;
			const struct ring *peer = &s->ring[caller ? 1 : 0];
			for (uint8_t k = 0; k < peer->n; k++)
				tg[ntg++] = peer->idx[k];
			target = peer->last;
			if (caller)
				known = peer->n > 0;
			else
				for (uint32_t k = 0; k < ninv && k < NINV; k++) {
					struct sip_msg *o = c->msgs[inv[k]].m;
					if (!same_ip(&o->dst, &m->src) || !sv_eq(sip_msg_from(o)->tag, dl->caller_tag))
						continue;
					known = true;
					tg[ntg++] = inv[k];
					if (peer->last < 0 && inv[k] > target)
						target = inv[k];
				}

			/* Record-Route entries the caller put in its own INVITE name no
			 * proxy on the path (a UAC does not record-route): neither
			 * their place nor their order is judged */
			struct rlist own = { .n = 0 }, rto = rt;
			if (caller) {
				int32_t mine = -1;
				for (uint32_t k = 0; k < ninv && k < NINV; k++) {
					struct sip_msg *o = c->msgs[inv[k]].m;
					if (inv[k] > mine && same_ip(&o->src, &m->src) && sip_msg_hdr_count(o, SIP_H_VIA) == 1 &&
					    sv_eq(sip_msg_from(o)->tag, dl->caller_tag))
						mine = inv[k];
				}
				if (mine >= 0 && !rlist_of(c->msgs[mine].m, SIP_H_RECORD_ROUTE, false, &own))
					own.n = 0;
				rlist_drop(&rto, &own);
			}
			enum fault best = F_COUNT;
			struct sv tgt = SV_NULL, alt = SV_NULL, hop = SV_NULL;
			size_t rsn = 0;
			for (int k = 0; k < nc && best != F_NONE; k++) {
				struct rlist rs;
				struct sv tk, ak, hk;
				enum sub sk;
				if (!side_rs(c, cand[k], caller, m, &rs))
					break; /* too long to judge */
				rlist_drop(&rs, &own);
				enum fault fk = judge_route(&rs, &rto, ruri, &tk, &ak, &hk, &sk);
				if (fk == F_BYPASS && peer_only(&rs, ruri))
					fk = F_NONE; /* the other UA record-routed itself, and it went there */
				if (fk < best) {
					best = fk;
					sub = sk;
					tgt = tk;
					alt = ak;
					hop = hk;
					rsn = rs.n;
					used = cand[k];
				}
			}
			fault = best == F_COUNT ? F_NONE : best;
			if (fault == F_NONE && rsn && hop.p && target >= 0) {
				/* the right Route, sent straight to the remote target */
				struct endpoint he, te;
				if (uri_endpoint(hop, &he) && !same_addr(&he, &m->dst) &&
				    uri_endpoint(sip_msg_contact(c->msgs[target].m)->uri, &te) && same_addr(&te, &m->dst) &&
				    !same_addr(&he, &te)) {
					fault = F_BYPASS;
					sub = S_STRAIGHT;
				}
			}
			/* A wrong target. With no route set the UA itself resolves the
			 * Request-URI: when it still went to the remote target's address
			 * (or to where the other UA's messages come from), it reached
			 * the UA that owns the dialog, and what that UA made of the
			 * Request-URI is bye-481's to explain. */
			bool elsewhere = false;
			if (!rsn && target >= 0) {
				const struct sip_msg *tm = c->msgs[target].m;
				struct endpoint te;
				elsewhere = uri_endpoint(sip_msg_contact(c->msgs[target].m)->uri, &te) && !same_addr(&te, &m->dst) &&
					    !same_addr(&tm->src, &m->dst);
			}
			if (fault == F_NONE && known && (rsn || elsewhere) && !in_targets(c, tg, ntg, tgt) &&
			    !(alt.p && in_targets(c, tg, ntg, alt)))
				fault = F_TARGET;
		}
		if (fault == F_NONE)
			continue;
		uint32_t *slot = &s->agg[caller ? 0 : 1][fault];
		if (!*slot) {
			if (nag == agcap) {
				agcap = agcap ? agcap * 2 : 4;
				ag = xrealloc(ag, agcap * sizeof *ag);
			}
			ag[nag] = (struct agg){ .dialog = cm->dialog, .caller = caller, .fault = fault, .sub = sub,
						.fallback = fallback, .first = (int32_t)i, .copy = used, .target = target,
						.count = 0, .rej = -1 };
			*slot = (uint32_t)++nag;
		}
		struct agg *a = &ag[*slot - 1];
		a->count++;
		if (a->rej < 0 && rejected(c, cm->txn))
			a->rej = (int32_t)i;
	}
	for (size_t k = 0; k < nag; k++)
		emit(ctx, c, &ag[k]);
	free(ag);
	free(judged);
	free(ds);
}

const struct rule rule_route_set = {
	.id = "route-set",
	.severity = SEV_ERROR,
	.summary = "in-dialog request that ignores the route set or the remote target",
	.reference = "RFC 3261 §12.2.1.1",
	.check_call = check,
};
