/* sip_scan.c - sip-scan: scanning, extension enumeration and password
 * guessing from one source host, judged over all the calls of an input and
 * reported once per source when the input ends:
 *  - sweep: out-of-dialog OPTIONS/INVITE (or other requests) to at least
 *    SWEEP_HOSTS hosts that have no standing with the source (never had a
 *    request to it answered 2xx: a registrar's keep-alives go to contacts
 *    that registered with it), most of them silent or refusing - or any
 *    such sweep from a known scanner's User-Agent. Not a sweep: OPTIONS
 *    only from a host seen accepting registrations (2xx to a REGISTER) -
 *    a registrar's keep-alives to contacts that registered before the
 *    capture began, many of them gone;
 *  - enumeration: requests for at least ENUM_USERS users of which most were
 *    only told they do not exist (404, 484, 604) or only challenged (a
 *    challenge never answered with credentials): an office behind one NAT
 *    address registers many users too, but each of them succeeds; a trunk
 *    whose calls are refused busy or by a server error is no enumeration;
 *  - password guessing: GUESS_FAILS credentialed requests for one AoR
 *    refused (401, 403, 407) within GUESS_WINDOW; error when a credentialed
 *    request for it then got a 2xx.
 * Known scanner User-Agents are supporting evidence, never a finding alone.
 * Memory is bounded: at most MAX_SOURCES sources, each with at most
 * MAX_SET hosts, users and AoRs remembered, MAX_ENTRIES in all (counts go
 * on beyond; the report says when). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../analyzer/hash.h"
#include "../analyzer/xalloc.h"
#include "rule.h"

#define SWEEP_HOSTS 10
#define ENUM_USERS 10
#define GUESS_FAILS 5
#define GUESS_WINDOW_NS (60 * 1000000000LL)
#define MAX_SOURCES 4096
#define MAX_SET 1024      /* per source and kind */
#define MAX_ENTRIES 65536 /* over all sources: the memory bound (about 14 MB) */
#define MAX_STANDING 65536
#define UA_MAX 64

/* A remembered key (host, user or AoR) with what happened to it. */
struct ent {
	uint64_t key; /* 0: empty */
	uint32_t requests;
	uint8_t silent, refused, ok, challenged_only, notfound; /* booleans */
	uint32_t fails;       /* AoR: refused credentialed requests */
	int64_t fail_ns[GUESS_FAILS]; /* AoR: the latest failures (ring) */
	bool burst;           /* AoR: GUESS_FAILS within GUESS_WINDOW_NS */
	bool cracked;         /* AoR: 2xx to credentials after a burst */
	uint64_t crack_frame;
	char name[40];        /* host, user or AoR, for the report (cut) */
};

struct set {
	struct ent *e;
	uint32_t n, size;
	uint64_t overflow; /* keys not remembered */
	uint32_t *budget;  /* entries left over all sources */
};

struct source {
	struct endpoint host;
	uint64_t requests, with_credentials, calls;
	uint64_t by_method[M_PUBLISH + 1];
	uint64_t codes[7]; /* responses by class (final status / 100) */
	uint64_t silent;   /* requests no response came to */
	uint64_t first_frame, last_frame;
	int64_t first_ns, last_ns;
	char ua[UA_MAX + 1];
	bool scanner_ua;
	struct set hosts, users, aors;
};

struct state {
	struct source **src;
	uint32_t nsrc, size;
	uint64_t untracked;
	uint64_t *standing; /* hash(a -> b) of requests answered 2xx */
	uint32_t nstanding;
	uint32_t budget;    /* set entries left (MAX_ENTRIES in all) */
};

/* never 0: 0 marks an empty slot */
static uint64_t mix(uint64_t h)
{
	h = hash_mix64(h);
	return h ? h : 1;
}

static uint64_t hash_mem(const void *p, size_t n, uint64_t seed)
{
	return mix(hash_bytes64(p, n, seed));
}

static uint64_t host_key(const struct endpoint *e)
{
	return hash_mem(e->ip, 16, e->family);
}

static struct ent *set_get(struct set *s, uint64_t key, bool *fresh)
{
	*fresh = false;
	if (s->n * 2 >= s->size) {
		if (s->n >= MAX_SET || !*s->budget) {
			/* full: only keys already there */
			for (uint32_t j = (uint32_t)(key & (s->size - 1));; j = (j + 1) & (s->size - 1)) {
				if (!s->e[j].key)
					break;
				if (s->e[j].key == key)
					return &s->e[j];
			}
			s->overflow++;
			return NULL;
		}
		uint32_t size = s->size ? s->size * 2 : 16;
		struct ent *e = xcalloc(size, sizeof *e);
		for (uint32_t i = 0; i < s->size; i++)
			if (s->e[i].key) {
				uint32_t j = (uint32_t)(s->e[i].key & (size - 1));
				while (e[j].key)
					j = (j + 1) & (size - 1);
				e[j] = s->e[i];
			}
		free(s->e);
		s->e = e;
		s->size = size;
	}
	uint32_t j = (uint32_t)(key & (s->size - 1));
	for (; s->e[j].key; j = (j + 1) & (s->size - 1))
		if (s->e[j].key == key)
			return &s->e[j];
	if (!*s->budget) {
		s->overflow++;
		return NULL;
	}
	(*s->budget)--;
	s->e[j].key = key;
	s->n++;
	*fresh = true;
	return &s->e[j];
}

static void standing_add(struct state *st, uint64_t h)
{
	if (st->nstanding >= MAX_STANDING / 2)
		return;
	if (!st->standing)
		st->standing = xcalloc(MAX_STANDING, sizeof *st->standing);
	uint32_t j = (uint32_t)(h & (MAX_STANDING - 1));
	for (; st->standing[j]; j = (j + 1) & (MAX_STANDING - 1))
		if (st->standing[j] == h)
			return;
	st->standing[j] = h;
	st->nstanding++;
}

static bool standing_has(const struct state *st, uint64_t h)
{
	if (!st->standing)
		return false;
	for (uint32_t j = (uint32_t)(h & (MAX_STANDING - 1)); st->standing[j]; j = (j + 1) & (MAX_STANDING - 1))
		if (st->standing[j] == h)
			return true;
	return false;
}

/* the standing table also holds the hosts that answered a REGISTER 2xx */
static uint64_t registrar_key(const struct endpoint *e)
{
	return mix(host_key(e) ^ 0x5245474953544552ULL);
}

static uint64_t pair_keyk(uint64_t a, uint64_t b)
{
	return mix(a * 31 + b);
}

static uint64_t pair_key(const struct endpoint *a, const struct endpoint *b)
{
	return pair_keyk(host_key(a), host_key(b));
}

static struct source *source_of(struct state *st, const struct endpoint *e)
{
	uint64_t key = host_key(e);
	if (st->nsrc * 2 >= st->size) {
		if (st->nsrc >= MAX_SOURCES) {
			for (uint32_t j = (uint32_t)(key & (st->size - 1)); st->src[j]; j = (j + 1) & (st->size - 1))
				if (memcmp(st->src[j]->host.ip, e->ip, 16) == 0 && st->src[j]->host.family == e->family)
					return st->src[j];
			st->untracked++;
			return NULL;
		}
		uint32_t size = st->size ? st->size * 2 : 64;
		struct source **n = xcalloc(size, sizeof *n);
		for (uint32_t i = 0; i < st->size; i++)
			if (st->src[i]) {
				uint32_t j = (uint32_t)(host_key(&st->src[i]->host) & (size - 1));
				while (n[j])
					j = (j + 1) & (size - 1);
				n[j] = st->src[i];
			}
		free(st->src);
		st->src = n;
		st->size = size;
	}
	uint32_t j = (uint32_t)(key & (st->size - 1));
	for (; st->src[j]; j = (j + 1) & (st->size - 1))
		if (memcmp(st->src[j]->host.ip, e->ip, 16) == 0 && st->src[j]->host.family == e->family)
			return st->src[j];
	struct source *s = xcalloc(1, sizeof *s);
	s->host = *e;
	s->host.port = 0;
	s->hosts.budget = s->users.budget = s->aors.budget = &st->budget;
	st->src[j] = s;
	st->nsrc++;
	return s;
}

static void source_free(struct source *s)
{
	free(s->hosts.e);
	free(s->users.e);
	free(s->aors.e);
	free(s);
}

static void *state_new(void)
{
	struct state *st = xcalloc(1, sizeof *st);
	st->budget = MAX_ENTRIES;
	return st;
}

static void state_clear(struct state *st)
{
	for (uint32_t i = 0; i < st->size; i++)
		if (st->src[i])
			source_free(st->src[i]);
	free(st->src);
	free(st->standing);
	memset(st, 0, sizeof *st);
	st->budget = MAX_ENTRIES;
}

static void state_free(void *p)
{
	state_clear(p);
	free(p);
}

static bool scanner_agent(struct sv ua)
{
	static const char *const names[] = {"friendly-scanner", "sipvicious", "sipcli", "vaxsipuseragent", "sundayddr",
					     "iwar", "sivus", "smap", "sip-scan", "pplsip"};
	char b[UA_MAX + 1];
	size_t n = ua.len < UA_MAX ? ua.len : UA_MAX;
	memcpy(b, ua.p, n);
	b[n] = 0;
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strcasestr(b, names[i]))
			return true;
	return false;
}

/* One out-of-dialog request transaction of the call. */
static void observe_txn(struct state *st, const struct call *c, const struct txn *t)
{
	struct sip_msg *req = c->msgs[t->req].m;
	bool ok = t->status >= 200 && t->status < 300;
	if (ok)
		standing_add(st, pair_key(&t->src, &t->dst));
	if (ok && t->method == M_REGISTER)
		standing_add(st, registrar_key(&t->dst));
	struct source *s = source_of(st, &t->src);
	if (!s)
		return;
	int64_t ns = msg_ns(req);
	if (!s->requests || req->frame < s->first_frame) {
		s->first_frame = req->frame;
		s->first_ns = ns;
	}
	if (req->frame > s->last_frame) {
		s->last_frame = req->frame;
		s->last_ns = ns;
	}
	s->requests++;
	if ((size_t)t->method < sizeof s->by_method / sizeof *s->by_method)
		s->by_method[t->method]++;
	bool creds = sip_msg_has(req, SIP_H_AUTHORIZATION) || sip_msg_has(req, SIP_H_PROXY_AUTHORIZATION);
	s->with_credentials += creds;
	bool silent = t->first_resp < 0;
	s->silent += silent;
	if (t->status >= 100 && t->status < 700)
		s->codes[t->status / 100]++;
	bool refused = t->status >= 400 && !(t->status == 401 || t->status == 407 || t->status == 487);
	bool challenged = t->status == 401 || t->status == 407;
	if (!s->ua[0]) {
		struct sv ua = sip_msg_hdr(req, SIP_H_USER_AGENT);
		if (ua.p && ua.len) {
			sv_print(s->ua, sizeof s->ua, ua);
			s->scanner_ua = scanner_agent(ua);
		}
	}
	bool fresh;
	struct ent *h = set_get(&s->hosts, host_key(&t->dst), &fresh);
	if (h) {
		if (fresh) {
			char b[ENDPOINT_STRLEN];
			endpoint_format_ip(&t->dst, b, sizeof b);
			snprintf(h->name, sizeof h->name, "%s", b);
			h->silent = 1;
		}
		h->requests++;
		if (!silent)
			h->silent = 0;
		if (ok)
			h->ok = 1;
		if (refused)
			h->refused = 1;
	}
	const struct sip_nameaddr *to = sip_msg_to(req);
	struct sv user = to && to->valid && to->user.len ? to->user : sip_uri_user(req->start.uri);
	if (user.len) {
		struct ent *u = set_get(&s->users, hash_mem(user.p, user.len, 7), &fresh);
		if (u) {
			if (fresh) {
				sv_print(u->name, sizeof u->name, user);
				u->challenged_only = 1;
			}
			u->requests++;
			if (ok)
				u->ok = 1;
			if (refused)
				u->refused = 1;
			if (t->status == 404 || t->status == 484 || t->status == 604)
				u->notfound = 1;
			if (!challenged)
				u->challenged_only = 0;
		}
	}
	if (creds && to && to->valid && to->uri.len) {
		struct ent *a = set_get(&s->aors, hash_mem(to->uri.p, to->uri.len, 9), &fresh);
		if (a) {
			if (fresh)
				sv_print(a->name, sizeof a->name, to->uri);
			a->requests++;
			if (t->status == 401 || t->status == 403 || t->status == 407) {
				a->fail_ns[a->fails % GUESS_FAILS] = ns;
				a->fails++;
				if (a->fails >= GUESS_FAILS && ns - a->fail_ns[a->fails % GUESS_FAILS] <= GUESS_WINDOW_NS)
					a->burst = true;
			} else if (ok && a->burst && !a->cracked) {
				a->cracked = true;
				a->crack_frame = t->final >= 0 ? c->msgs[t->final].m->frame : req->frame;
			}
		}
	}
}

static void check(struct rule_ctx *ctx, const struct call *c)
{
	struct state *st = ctx->state;
	if (!st)
		return;
	bool counted = false;
	for (uint32_t i = 0; i < c->ntxns; i++) {
		const struct txn *t = &c->txns[i];
		if (t->req < 0 || t->in_dialog || t->method == M_ACK || t->method == M_CANCEL ||
		    !c->msgs[t->req].m->start.is_request || c->msgs[t->req].method == M_ACK)
			continue;
		observe_txn(st, c, t);
		if (!counted) {
			struct source *s = source_of(st, &t->src);
			if (s)
				s->calls++;
			counted = true;
		}
	}
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct ent *)a)->name, ((const struct ent *)b)->name);
}

/* up to max names of the set's entries that pass keep, sorted, into buf */
static void names(char *buf, size_t size, const struct set *s, bool (*keep)(const struct ent *), size_t max)
{
	struct ent *v = xmalloc((s->n ? s->n : 1) * sizeof *v);
	size_t n = 0;
	for (uint32_t i = 0; i < s->size; i++)
		if (s->e[i].key && keep(&s->e[i]))
			v[n++] = s->e[i];
	qsort(v, n, sizeof *v, by_name);
	size_t o = 0;
	buf[0] = 0;
	for (size_t i = 0; i < n && i < max && o + 1 < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? ", " : "", v[i].name);
	if (n > max && o + 1 < size)
		snprintf(buf + o, size - o, ", ... (%zu)", n);
	free(v);
}

static bool host_answered(const struct ent *e)
{
	return !e->silent;
}

/* probed: told it does not exist, or only challenged (never answered with
 * credentials) - what an enumeration gets; busy, unavailable or a server
 * error are not */
static bool user_probed(const struct ent *e)
{
	return !e->ok && (e->notfound || e->challenged_only);
}

static bool user_exists(const struct ent *e)
{
	/* answered something other than "no such user" */
	return !e->notfound && e->requests;
}

static void report_source(struct rule_ctx *ctx, struct state *st, struct source *s, uint32_t input)
{
	/* sweep: hosts without standing with the source, mostly silent or refusing */
	uint32_t hosts = 0, quiet = 0;
	for (uint32_t i = 0; i < s->hosts.size; i++) {
		const struct ent *e = &s->hosts.e[i];
		if (!e->key)
			continue;
		/* standing: the target's own requests to the source were
		 * answered 2xx (a contact that registered, a trunk peer) */
		if (standing_has(st, pair_keyk(e->key, host_key(&s->host))))
			continue;
		hosts++;
		if (e->silent || (e->refused && !e->ok))
			quiet++;
	}
	uint32_t users = s->users.n, failed_users = 0;
	for (uint32_t i = 0; i < s->users.size; i++)
		if (s->users.e[i].key && user_probed(&s->users.e[i]))
			failed_users++;
	/* a registrar pinging its contacts (nathelper, Asterisk's qualify):
	 * those registered before the capture have no standing, and the ones
	 * gone offline stay silent */
	bool keepalive = !s->scanner_ua && s->requests && s->by_method[M_OPTIONS] == s->requests &&
			 standing_has(st, registrar_key(&s->host));
	bool sweep = !keepalive && hosts >= SWEEP_HOSTS && (2 * quiet >= hosts || s->scanner_ua);
	bool enumeration = users >= ENUM_USERS && 2 * failed_users >= users;
	const struct ent *guessed = NULL, *cracked = NULL;
	for (uint32_t i = 0; i < s->aors.size; i++) {
		const struct ent *e = &s->aors.e[i];
		if (!e->key || !e->burst)
			continue;
		if (!guessed || e->fails > guessed->fails)
			guessed = e;
		if (e->cracked && !cracked)
			cracked = e;
	}
	if (!sweep && !enumeration && !guessed)
		return;
	struct finding *f = finding_new(ctx, NULL, cracked ? SEV_ERROR : SEV_WARNING);
	f->input = input;
	finding_key_frame(f, s->first_frame);
	finding_frame(f, s->last_frame);
	if (cracked)
		finding_frame(f, cracked->crack_frame);
	f->frame = cracked ? cracked->crack_frame : s->first_frame;
	f->ts_ns = s->first_ns;
	char src[ENDPOINT_STRLEN];
	endpoint_format_ip(&s->host, src, sizeof src);
	char what[200] = "";
	size_t o = 0;
	if (sweep)
		o += (size_t)snprintf(what + o, sizeof what - o, "%ssweep of %u hosts", o ? ", " : "", hosts);
	if (enumeration)
		o += (size_t)snprintf(what + o, sizeof what - o, "%senumeration of %u users", o ? ", " : "", users);
	if (guessed)
		o += (size_t)snprintf(what + o, sizeof what - o, "%spassword guessing for %s", o ? ", " : "",
				      guessed->name);
	double span = (double)(s->last_ns - s->first_ns) / 1e9;
	char methods[160] = "";
	o = 0;
	for (int m = 0; m <= M_PUBLISH; m++)
		if (s->by_method[m] && o + 1 < sizeof methods)
			o += (size_t)snprintf(methods + o, sizeof methods - o, "%s%llu %s", o ? ", " : "",
					      (unsigned long long)s->by_method[m], sip_method_name((enum sip_method)m));
	char answers[160] = "";
	o = 0;
	for (int k = 1; k < 7; k++)
		if (s->codes[k] && o + 1 < sizeof answers)
			o += (size_t)snprintf(answers + o, sizeof answers - o, "%s%llu %dxx", o ? ", " : "",
					      (unsigned long long)s->codes[k], k);
	if (s->silent && o + 1 < sizeof answers)
		snprintf(answers + o, sizeof answers - o, "%s%llu unanswered", o ? ", " : "", (unsigned long long)s->silent);
	if (cracked)
		finding_summary(f, "%s: %s, and a guessed password for %s was accepted (2xx) after %u refusals", src,
				what, cracked->name, cracked->fails);
	else
		finding_summary(f, "%s: %s (%llu requests in %.1f s)", src, what, (unsigned long long)s->requests, span);
	char detail[1200], list[400];
	o = (size_t)snprintf(detail, sizeof detail, "From %s, frames %llu to %llu over %.1f s: %llu requests (%s; %llu with "
				"credentials) in %llu calls; responses: %s.",
			     src, (unsigned long long)s->first_frame, (unsigned long long)s->last_frame, span,
			     (unsigned long long)s->requests, methods, (unsigned long long)s->with_credentials,
			     (unsigned long long)s->calls, answers[0] ? answers : "none");
	if (sweep) {
		names(list, sizeof list, &s->hosts, host_answered, 8);
		o += (size_t)snprintf(detail + o, sizeof detail - o,
				      " Sweep: %u hosts probed, %u silent or refusing; answering: %s.", hosts, quiet,
				      list[0] ? list : "none");
	}
	if (enumeration) {
		names(list, sizeof list, &s->users, user_exists, 10);
		o += (size_t)snprintf(detail + o, sizeof detail - o,
				      " Enumeration: %u users tried, %u only told they do not exist or challenged; answered otherwise "
				      "(the extensions that exist): %s.",
				      users, failed_users, list[0] ? list : "none");
	}
	if (guessed)
		o += (size_t)snprintf(detail + o, sizeof detail - o,
				      " Guessing: %u credentialed requests for %s refused, at least %d within %d s.",
				      guessed->fails, guessed->name, GUESS_FAILS, (int)(GUESS_WINDOW_NS / 1000000000LL));
	if (s->scanner_ua)
		o += (size_t)snprintf(detail + o, sizeof detail - o, " Its User-Agent, \"%s\", is a known scanner's.",
				      s->ua);
	if (s->hosts.overflow || s->users.overflow || s->aors.overflow)
		snprintf(detail + o, sizeof detail - o, " (Beyond %d of each, hosts, users and AoRs were counted, not kept.)",
			 MAX_SET);
	finding_explain(f,
			"%s Attackers scan the Internet for SIP servers (OPTIONS or INVITE to every address), "
			"find which extensions exist from how the server answers (404 against 401/407), then "
			"guess their passwords to register and place toll fraud calls. A phone that mistypes "
			"its password does not send a burst of refused credentials; an office behind one NAT "
			"address registers many users, but each succeeds.",
			detail);
	if (cracked)
		finding_hint(f, "The password of %s was guessed: change it now, look for calls placed with it, and "
				"block %s. Use long random SIP passwords and rate-limit or block sources that fail "
				"authentication (fail2ban, pike, an SBC).",
			     cracked->name, src);
	else
		finding_hint(f, "Block %s at the edge (fail2ban, pike, an SBC's blacklist); answer unknown users the "
				"same way as known ones (401 before 404) so extensions cannot be enumerated, and use "
				"long random SIP passwords.",
			     src);
	finding_host(f, &s->host);
	char kinds[64];
	snprintf(kinds, sizeof kinds, "%s%s%s%s", sweep ? " sweep" : "", enumeration ? " enumeration" : "",
		 guessed ? " guessing" : "", cracked ? " succeeded" : "");
	finding_group(f, "%s from %s", kinds + 1, f->host);
	finding_emit(ctx, f);
}

static int by_first(const void *a, const void *b)
{
	const struct source *x = *(const struct source *const *)a, *y = *(const struct source *const *)b;
	return (x->first_frame > y->first_frame) - (x->first_frame < y->first_frame);
}

static void input_end(struct rule_ctx *ctx, uint32_t input, int64_t end_ns)
{
	(void)end_ns;
	struct state *st = ctx->state;
	struct source **v = xmalloc((st->nsrc ? st->nsrc : 1) * sizeof *v);
	size_t n = 0;
	for (uint32_t i = 0; i < st->size; i++)
		if (st->src[i])
			v[n++] = st->src[i];
	qsort(v, n, sizeof *v, by_first);
	for (size_t i = 0; i < n; i++)
		report_source(ctx, st, v[i], input);
	free(v);
	state_clear(st);
}

const struct rule rule_sip_scan = {
	.id = "sip-scan",
	.severity = SEV_WARNING,
	.summary = "scanning, extension enumeration or password guessing from one source",
	.reference = "RFC 3261 §22, §26.1",
	.check_call = check,
	.state_new = state_new,
	.state_free = state_free,
	.input_end = input_end,
};
