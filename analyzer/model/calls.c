/* calls.c - the call store: messages grouped by (input, Call-ID), calls
 * finalised once quiet (capture time), B2BUA legs linked, registration
 * bindings tracked per AoR (RFC 3261 §10.2.4, §10.3). */
#include "model.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "sdp.h"
#include "xalloc.h"

/* How long a call stays after its last message, by what it is waiting for.
 * Complete calls (every transaction answered, no dialog up) wait T4 (5 s,
 * the longest a message lives in the network) for stray retransmissions:
 * 2xx/ACK retransmissions only happen while a dialog is up, and such calls
 * are live. Calls waiting for a response get Timer B/F on top; ringing
 * calls get Timer C (3 min, §16.6). Calls with a confirmed dialog stay to
 * the end. The linger bounds memory by the call rate, not the capture size. */
enum { L_DONE_INVITE, L_DONE_OTHER, L_PENDING, L_RINGING, L_LIVE, L_COUNT };
static const int64_t list_linger_ns[L_COUNT] = {
	5000000000LL,
	5000000000LL,
	2 * SIP_TIMER_B_NS,
	180000000000LL + SIP_TIMER_B_NS,
	-1,
};

struct list {
	struct call *head, *tail;
};

struct link_key;
struct link_ent;
struct link_header;

struct callstore {
	call_done_fn done;
	binding_lapse_fn lapse;
	void *ud;
	struct call **bucket;
	size_t nbuckets, ncalls;
	struct list lists[L_COUNT];
	/* Of L_PENDING, the calls that are one request and nothing else
	 * (struct call.lone), least recently active first: under the memory
	 * bound they go before any other call in progress. */
	struct call *lone_head, *lone_tail;
	uint64_t seq;
	int64_t now;
	struct link_key **lkbucket; /* B2BUA legs being set up, by value */
	size_t nlkbuckets, nlkeys;
	struct link_ent *lq_head, *lq_tail; /* entries by closing time */
	struct link_header *lheaders; /* --link-header */
	size_t nlheaders;
	struct binding **bbucket; /* AoR → binding (grows with them: one per bucket at most) */
	size_t nbbuckets, nbindings;
	struct binding *bfirst, *blast; /* in the order the AoRs were first bound */
	uint32_t binput; /* input the bindings belong to */
	struct media_table *media;
	/* Media is looked at once the input shows its first RTP/RTCP packet:
	 * then the SDP of every open call is indexed, and later SDP as it
	 * comes. A capture without media costs nothing. */
	bool media_on;
	/* The memory bound: what the calls in progress hold, the limit (0
	 * none), and the calls finalised early, remembered so that a later
	 * message of one starts a call that says it continues it. */
	size_t mem, max_mem, peak_mem;
	size_t list_mem[L_COUNT]; /* of mem, by list */
	uint64_t nearly, nt4;
	int64_t jump_ns; /* a message far ahead of now, waiting for another to agree (INT64_MIN none) */
	struct tomb *tombs; /* TOMBS entries, direct-mapped by hash */
	/* callstore_hand_over: done() keeps the calls (another thread may
	 * read them while this store goes on) */
	bool hand_over;
};

/* A call finalised early: until when a message of its Call-ID continues it. */
struct tomb {
	uint64_t key; /* hash of input and Call-ID, 0 empty */
	uint64_t seq;
	int64_t until_ns;
};
#define TOMBS 65536

/* A call is in the list of lone requests while it is one (c->lone) and
 * waiting for its response: the membership follows from both, which only
 * change between list_unlink and list_append. */
static bool in_lone(const struct call *c)
{
	return c->lone && c->list == L_PENDING;
}

static void list_unlink(struct callstore *cs, struct call *c)
{
	struct list *l = &cs->lists[c->list];
	cs->list_mem[c->list] -= c->mem;
	if (in_lone(c)) {
		if (c->fprev)
			c->fprev->fnext = c->fnext;
		else
			cs->lone_head = c->fnext;
		if (c->fnext)
			c->fnext->fprev = c->fprev;
		else
			cs->lone_tail = c->fprev;
		c->fprev = c->fnext = NULL;
	}
	if (c->lprev)
		c->lprev->lnext = c->lnext;
	else
		l->head = c->lnext;
	if (c->lnext)
		c->lnext->lprev = c->lprev;
	else
		l->tail = c->lprev;
	c->lprev = c->lnext = NULL;
}

static void list_append(struct callstore *cs, struct call *c, int which)
{
	struct list *l = &cs->lists[which];
	c->list = which;
	cs->list_mem[which] += c->mem;
	c->lnext = NULL;
	c->lprev = l->tail;
	if (l->tail)
		l->tail->lnext = c;
	else
		l->head = c;
	l->tail = c;
	if (in_lone(c)) {
		c->fnext = NULL;
		c->fprev = cs->lone_tail;
		if (cs->lone_tail)
			cs->lone_tail->fnext = c;
		else
			cs->lone_head = c;
		cs->lone_tail = c;
	}
}

struct callstore *callstore_new(call_done_fn done, binding_lapse_fn lapse, void *ud)
{
	struct callstore *cs = xcalloc(1, sizeof *cs);
	cs->done = done;
	cs->lapse = lapse;
	cs->ud = ud;
	cs->now = INT64_MIN;
	cs->jump_ns = INT64_MIN;
	cs->nbuckets = 1024;
	cs->bucket = xcalloc(cs->nbuckets, sizeof *cs->bucket);
	cs->nlkbuckets = 256;
	cs->lkbucket = xcalloc(cs->nlkbuckets, sizeof *cs->lkbucket);
	cs->nbbuckets = 256;
	cs->bbucket = xcalloc(cs->nbbuckets, sizeof *cs->bbucket);
	cs->media = media_table_new();
	return cs;
}

static uint32_t call_hash(const char *p, size_t n, uint32_t input)
{
	return hash_words(p ? p : "", n, input);
}

static void rehash(struct callstore *cs)
{
	size_t nb = cs->nbuckets * 2;
	struct call **b = xcalloc(nb, sizeof *b);
	for (size_t i = 0; i < cs->nbuckets; i++) {
		struct call *c = cs->bucket[i], *next;
		for (; c; c = next) {
			next = c->hnext;
			uint32_t h = call_hash(c->call_id, c->call_id_len, c->input);
			c->hnext = b[h & (nb - 1)];
			b[h & (nb - 1)] = c;
		}
	}
	free(cs->bucket);
	cs->bucket = b;
	cs->nbuckets = nb;
}

static struct call *call_lookup(struct callstore *cs, uint32_t input, struct sv id, uint32_t h)
{
	struct call *c = cs->bucket[h & (cs->nbuckets - 1)];
	while (c && !(c->input == input && c->call_id_len == id.len &&
		      (id.len == 0 || memcmp(c->call_id, id.p, id.len) == 0)))
		c = c->hnext;
	return c;
}

/* ---- B2BUA links ----
 *
 * Two calls are legs of one call through a B2BUA when the second leg is set
 * up while the first one is: the B2BUA sends leg 2's INVITE while leg 1's
 * INVITE is pending and relays leg 2's answer before leg 1 is answered. The
 * evidence is a header that names the other leg (X-Call-ID, X-CID), a value
 * both legs carry (Session-ID, P-Charging-Vector icid-value, --link-header)
 * or an SDP body passed through unchanged. Values other than a Call-ID are
 * looked up in an index that holds a leg only during its setup window: from
 * its initial INVITE until LINK_GRACE_NS after that INVITE's final response.
 * Calls that carry the same value over the same path (source address,
 * destination address and port), or requests to one destination, or
 * responses from one host, are parallel calls, not legs: SIPp's stock
 * scenarios send one SDP on every call, and phones behind NATs may all
 * write the same o= line. A value held by more than one candidate leg says
 * nothing about which one it is, so it links nothing (unless exactly one
 * of them went to the host that sent this one: the B2BUA). Every step is a hash lookup: the
 * cost per message does not grow with the number of calls sharing a value. */

/* "Only just answered": a B2BUA relays the answer of leg 2 to leg 1 within
 * milliseconds; the 2 s also cover the caller's ACK (one round trip) being
 * relayed to leg 2 with a delayed-offer answer. */
#define LINK_GRACE_NS 2000000000LL
#define LINK_PATHS 4     /* distinct paths one value may be seen on at once */
#define LINK_CALL_ENTS 16 /* index entries one call may own */
#define LINK_MAX 16      /* links one call may have */
#define LINK_KEY_MAX 512 /* longer values are not indexed */

struct link_path {
	struct endpoint src, dst; /* src.port is 0: a party may send from any port */
};

struct link_ent {
	struct link_key *k;
	unsigned slot;
	struct call *call;
	int64_t deadline;             /* INT64_MAX while the owner's INVITE is pending */
	struct link_ent *sprev, *snext; /* in its slot */
	struct link_ent *qprev, *qnext; /* in the closing queue (deadline set) */
	struct link_ent *cnext;         /* the owner's entries */
	bool queued;
};

struct link_key {
	uint32_t hash, input;
	const char *how;
	bool crowded; /* more paths than LINK_PATHS: ambiguous until emptied */
	struct {
		struct link_path path;
		uint32_t count;
		struct link_ent *head;
	} slot[LINK_PATHS];
	struct link_key *next;
	size_t len;
	char key[]; /* how's tag + value */
};

struct link_header {
	char *name, *how;
	enum sip_hdr_id id; /* SIP_H_OTHER: matched by name */
	bool has_re;
	regex_t re;
};

static struct call_link *link_to(struct call *c, const char *id, size_t len)
{
	for (uint32_t i = 0; i < c->nlinks; i++)
		if (c->links[i].call_id_len == len && memcmp(c->links[i].call_id, id, len) == 0)
			return &c->links[i];
	return NULL;
}

static void link_add(struct call *c, struct call *peer, const char *how)
{
	if (c->nlinks == c->links_cap) {
		c->links_cap = c->links_cap ? c->links_cap * 2 : 2;
		c->links = xrealloc(c->links, c->links_cap * sizeof *c->links);
	}
	c->links[c->nlinks++] = (struct call_link){ .call_id = xstrndup(peer->call_id, peer->call_id_len),
						  .call_id_len = peer->call_id_len, .how = how, .peer = peer,
						  .peer_seq = peer->seq };
}

static void link_pair(struct call *a, struct call *b, const char *how)
{
	if (a == b || a->input != b->input)
		return;
	struct call_link *la = link_to(a, b->call_id, b->call_id_len);
	struct call_link *lb = link_to(b, a->call_id, a->call_id_len);
	/* Links come in pairs, a to b and b to a, so that finalising either
	 * clears the other's pointer. The same Call-ID again (a later call
	 * reusing a finalised call's Call-ID) re-points the existing entry at
	 * the live call; a missing half is added, or nothing is linked. */
	if ((!la && a->nlinks >= LINK_MAX) || (!lb && b->nlinks >= LINK_MAX))
		return;
	if (la && la->peer == b && lb && lb->peer == a)
		return; /* linked already: the first method found says how */
	if (la)
		*la = (struct call_link){ .call_id = la->call_id, .call_id_len = la->call_id_len, .how = how, .peer = b,
					  .peer_seq = b->seq }; /* nothing of the old call kept */
	else
		link_add(a, b, how);
	if (lb)
		*lb = (struct call_link){ .call_id = lb->call_id, .call_id_len = lb->call_id_len, .how = how, .peer = a,
					  .peer_seq = a->seq };
	else
		link_add(b, a, how);
}

static void link_path_of(const struct sip_msg *m, struct link_path *p)
{
	p->src = m->src;
	p->src.port = 0;
	p->dst = m->dst;
}

static bool same_ip(const struct endpoint *a, const struct endpoint *b)
{
	return a->family == b->family && memcmp(a->ip, b->ip, sizeof a->ip) == 0;
}

static bool link_path_eq(const struct link_path *a, const struct link_path *b)
{
	return endpoint_eq(&a->src, &b->src) && endpoint_eq(&a->dst, &b->dst);
}

static void lq_remove(struct callstore *cs, struct link_ent *e)
{
	if (!e->queued)
		return;
	if (e->qprev)
		e->qprev->qnext = e->qnext;
	else
		cs->lq_head = e->qnext;
	if (e->qnext)
		e->qnext->qprev = e->qprev;
	else
		cs->lq_tail = e->qprev;
	e->qprev = e->qnext = NULL;
	e->queued = false;
}

static void lq_append(struct callstore *cs, struct link_ent *e)
{
	e->qnext = NULL;
	e->qprev = cs->lq_tail;
	if (cs->lq_tail)
		cs->lq_tail->qnext = e;
	else
		cs->lq_head = e;
	cs->lq_tail = e;
	e->queued = true;
}

static void lk_rehash(struct callstore *cs)
{
	size_t nb = cs->nlkbuckets * 2;
	struct link_key **b = xcalloc(nb, sizeof *b);
	for (size_t i = 0; i < cs->nlkbuckets; i++) {
		struct link_key *k = cs->lkbucket[i], *next;
		for (; k; k = next) {
			next = k->next;
			k->next = b[k->hash & (nb - 1)];
			b[k->hash & (nb - 1)] = k;
		}
	}
	free(cs->lkbucket);
	cs->lkbucket = b;
	cs->nlkbuckets = nb;
}

/* Removes one entry from the index (its slot, the queue, its owner's list). */
static void link_ent_free(struct callstore *cs, struct link_ent *e)
{
	struct link_key *k = e->k;
	if (e->sprev)
		e->sprev->snext = e->snext;
	else
		k->slot[e->slot].head = e->snext;
	if (e->snext)
		e->snext->sprev = e->sprev;
	k->slot[e->slot].count--;
	lq_remove(cs, e);
	for (struct link_ent **pp = &e->call->link_ents; *pp; pp = &(*pp)->cnext)
		if (*pp == e) {
			*pp = e->cnext;
			break;
		}
	e->call->nlink_ents--;
	free(e);
	for (unsigned i = 0; i < LINK_PATHS; i++)
		if (k->slot[i].count)
			return;
	struct link_key **kp = &cs->lkbucket[k->hash & (cs->nlkbuckets - 1)];
	while (*kp != k)
		kp = &(*kp)->next;
	*kp = k->next;
	cs->nlkeys--;
	free(k);
}

static void link_expire(struct callstore *cs)
{
	while (cs->lq_head && cs->lq_head->deadline < cs->now)
		link_ent_free(cs, cs->lq_head);
}

/* The call's INVITE got its final response: its entries close at t + grace. */
static void link_window_close(struct callstore *cs, struct call *c, int64_t t)
{
	c->link_close_ns = t + LINK_GRACE_NS;
	for (struct link_ent *e = c->link_ents; e; e = e->cnext)
		if (e->deadline == INT64_MAX) {
			e->deadline = c->link_close_ns;
			lq_append(cs, e);
		}
}

static void link_unindex(struct callstore *cs, struct call *c)
{
	while (c->link_ents)
		link_ent_free(cs, c->link_ents);
}

/* Message m of call c carries value v (tagged by how) while c is being set
 * up: link c to the one open leg holding v on another path, then hold v for
 * c until its setup window ends. */
static void link_value(struct callstore *cs, struct call *c, const struct sip_msg *m, const char *how,
		       const char *v, size_t vlen)
{
	int64_t now = msg_ns(m);
	if (!vlen || c->link_close_ns < now)
		return;
	size_t hl = strlen(how);
	if (hl + 1 + vlen > LINK_KEY_MAX)
		return;
	char key[LINK_KEY_MAX];
	memcpy(key, how, hl);
	key[hl] = 0;
	memcpy(key + hl + 1, v, vlen);
	size_t klen = hl + 1 + vlen;
	uint32_t h = hash_words(key, klen, c->input);
	struct link_path path;
	link_path_of(m, &path);

	struct link_key **slotp = &cs->lkbucket[h & (cs->nlkbuckets - 1)], *k;
	for (k = *slotp; k; k = k->next)
		if (k->hash == h && k->input == c->input && k->len == klen && memcmp(k->key, key, klen) == 0)
			break;
	int mine = -1;
	if (k) {
		/* Candidates: open legs holding v on a path a B2BUA could have
		 * relayed from. Two requests to the same destination, or two
		 * responses from the same host, are parallel calls (phones behind
		 * NATs with the same SDP calling one SBC), not legs. A leg sent by
		 * the host the candidate went to (the B2BUA relaying it) is
		 * preferred; without one (an SBC with an address per side), only a
		 * single candidate is taken. More than one: nothing is known. */
		bool req = m->start.is_request;
		uint32_t total = 0, direct = 0;
		struct link_ent *any = NULL, *via = NULL;
		for (unsigned i = 0; i < LINK_PATHS; i++) {
			if (!k->slot[i].count)
				continue;
			const struct link_path *q = &k->slot[i].path;
			if (link_path_eq(q, &path)) {
				mine = (int)i;
				continue;
			}
			if (req ? endpoint_eq(&q->dst, &path.dst) : same_ip(&q->src, &path.src))
				continue;
			struct link_ent *o = k->slot[i].head;
			if (k->slot[i].count == 1 && o->call == c)
				continue;
			total += k->slot[i].count;
			any = o;
			if (same_ip(&q->dst, &m->src)) {
				direct += k->slot[i].count;
				via = o;
			}
		}
		struct link_ent *o = direct == 1 ? via : direct == 0 && total == 1 ? any : NULL;
		if (!k->crowded && o && o->call != c && o->deadline >= now)
			link_pair(c, o->call, how);
	} else {
		if (cs->nlkeys >= cs->nlkbuckets)
			lk_rehash(cs), slotp = &cs->lkbucket[h & (cs->nlkbuckets - 1)];
		k = xcalloc(1, sizeof *k + klen);
		k->hash = h;
		k->input = c->input;
		k->how = how;
		k->len = klen;
		memcpy(k->key, key, klen);
		k->next = *slotp;
		*slotp = k;
		cs->nlkeys++;
	}

	int64_t deadline = c->link_close_ns;
	for (struct link_ent *e = c->link_ents; e; e = e->cnext)
		if (e->k == k) {
			/* held already (e.g. the INVITE again after a 401) */
			if (deadline == INT64_MAX && e->deadline != INT64_MAX) {
				lq_remove(cs, e);
				e->deadline = INT64_MAX;
			}
			return;
		}
	if (c->nlink_ents >= LINK_CALL_ENTS)
		goto done;
	if (mine < 0) {
		for (unsigned i = 0; i < LINK_PATHS && mine < 0; i++)
			if (!k->slot[i].count)
				mine = (int)i;
		if (mine < 0) {
			k->crowded = true;
			goto done;
		}
		k->slot[mine].path = path;
	}
	struct link_ent *e = xcalloc(1, sizeof *e);
	e->k = k;
	e->slot = (unsigned)mine;
	e->call = c;
	e->deadline = deadline;
	e->snext = k->slot[mine].head;
	if (e->snext)
		e->snext->sprev = e;
	k->slot[mine].head = e;
	k->slot[mine].count++;
	e->cnext = c->link_ents;
	c->link_ents = e;
	c->nlink_ents++;
	if (deadline != INT64_MAX)
		lq_append(cs, e);
done:
	/* a key node no entry holds (every slot empty) is not kept */
	for (unsigned i = 0; i < LINK_PATHS; i++)
		if (k->slot[i].count)
			return;
	struct link_key **kp = &cs->lkbucket[h & (cs->nlkbuckets - 1)];
	while (*kp != k)
		kp = &(*kp)->next;
	*kp = k->next;
	cs->nlkeys--;
	free(k);
}

/* Key of an SDP for B2BUA matching: the origin (user, session id, version,
 * address) and the first media port: a B2BUA that passes the body through
 * unchanged produces the same key on both legs. A body passes from request
 * to request and from response to response (kind 'q' INVITE, 'r' 18x/2xx,
 * 'a' ACK): an answer that echoes its offer ties nothing. */
static void link_sdp(struct callstore *cs, struct call *c, const struct sip_msg *m, char kind)
{
	/* Without media, nothing else on this thread wants the whole SDP:
	 * the origin and the first port are read alone. */
	struct sdp_origin o;
	if (!sip_msg_sdp_origin(m, cs->media_on, &o))
		return;
	if (!o.sess_id.len || !o.has_media)
		return;
	/* "K user sess-id version addr port", built by hand: this runs for
	 * every SDP message on the reading thread, where snprintf was 3 %.
	 * A key of LINK_KEY_MAX bytes or more is not made (as snprintf's
	 * truncation said before); link_value takes fewer still. */
	char digits[5]; /* 16 bits: five digits at most */
	const char *d = sv_utoa(digits + sizeof digits, o.port);
	size_t nd = (size_t)(digits + sizeof digits - d);
	const struct sv parts[] = { o.user, o.sess_id, o.sess_version, o.conn.addr };
	size_t total = 1 + 1 + nd;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		total += 1 + parts[i].len;
	char k[LINK_KEY_MAX];
	if (total >= sizeof k)
		return;
	size_t n = 0;
	k[n++] = kind;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		k[n++] = ' ';
		if (parts[i].len)
			memcpy(k + n, parts[i].p, parts[i].len);
		n += parts[i].len;
	}
	k[n++] = ' ';
	memcpy(k + n, d, nd);
	n += nd;
	link_value(cs, c, m, LINK_HOW_SDP, k, n);
}

static bool is_hex(int ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* RFC 7989 Session-ID: local-uuid *(SEMI sess-id-param). The INVITE's
 * local-uuid is the originating UA's, the same on every leg the session
 * passes through; the null uuid (32 zeros: not known yet) links nothing.
 * Hyphens of the RFC 4122 text form are tolerated; case does not matter. */
bool link_session_uuid(struct sv v, char out[33])
{
	v = sv_trim(v);
	ptrdiff_t semi = sv_find(v, ';');
	if (semi >= 0)
		v.len = (size_t)semi;
	v = sv_trim(v);
	size_t n = 0;
	bool null = true;
	for (size_t i = 0; i < v.len; i++) {
		int ch = (unsigned char)v.p[i];
		if (ch == '-')
			continue;
		if (!is_hex(ch) || n == 32)
			return false;
		out[n++] = (char)sv_lower(ch);
		if (ch != '0')
			null = false;
	}
	out[n] = 0;
	return n == 32 && !null;
}

/* RFC 7315 P-Charging-Vector: icid-value EQUAL gen-value *(SEMI charge-params),
 * gen-value = token / host / quoted-string. Returns the icid-value unquoted
 * in out (size LINK_KEY_MAX); the same value quoted or not is the same. */
size_t link_icid_value(struct sv v, char *out, size_t size)
{
	if (!v.len || !size)
		return 0;
	const char *p = v.p, *end = v.p + v.len;
	while (p < end) {
		while (p < end && (sv_is_ws(*p) || *p == ';'))
			p++;
		const char *name = p;
		while (p < end && *p != '=' && *p != ';' && !sv_is_ws(*p))
			p++;
		struct sv nm = sv_make(name, (size_t)(p - name));
		while (p < end && sv_is_ws(*p))
			p++;
		size_t n = 0;
		bool have = false;
		if (p < end && *p == '=') {
			p++;
			while (p < end && sv_is_ws(*p))
				p++;
			if (p < end && *p == '"') {
				p++;
				while (p < end && *p != '"') {
					if (*p == '\\' && p + 1 < end)
						p++;
					if (n + 1 < size)
						out[n++] = *p;
					else
						return 0;
					p++;
				}
				if (p == end)
					return 0; /* unterminated quoted-string */
				p++;
			} else {
				while (p < end && *p != ';' && !sv_is_ws(*p)) {
					if (n + 1 < size)
						out[n++] = *p;
					else
						return 0;
					p++;
				}
			}
			have = true;
		}
		while (p < end && *p != ';') {
			if (*p == '"') /* stray quote in a parameter we skip: give up */
				return 0;
			p++;
		}
		if (have && sv_eq_cstr_ci(nm, "icid-value")) {
			out[n] = 0;
			return n;
		}
	}
	return 0;
}

/* Value of a --link-header for message m: the header's value, or the
 * REGEX's first capture group (else its whole match) in it. */
static size_t link_header_value(const struct link_header *lh, const struct sip_msg *m, char *out, size_t size)
{
	struct sv v = SV_NULL;
	if (lh->id != SIP_H_OTHER) {
		v = sip_msg_hdr(m, lh->id);
	} else {
		size_t n = sip_msg_nhdrs(m);
		for (size_t i = 0; i < n; i++) {
			struct sip_header h = sip_msg_header(m, i);
			if (h.id == SIP_H_OTHER && sv_eq_cstr_ci(h.name, lh->name)) {
				v = h.value;
				break;
			}
		}
	}
	v = sv_trim(v);
	if (!v.len || v.len >= size)
		return 0;
	if (!lh->has_re) {
		memcpy(out, v.p, v.len);
		return v.len;
	}
	char buf[LINK_KEY_MAX];
	memcpy(buf, v.p, v.len);
	buf[v.len] = 0;
	regmatch_t mt[2];
	if (regexec(&lh->re, buf, 2, mt, 0) != 0)
		return 0;
	regmatch_t r = mt[1].rm_so >= 0 ? mt[1] : mt[0];
	size_t n = (size_t)(r.rm_eo - r.rm_so);
	memcpy(out, buf + r.rm_so, n);
	return n;
}

/* NAME or NAME=REGEX; NULL when fine, else what is wrong (in err). */
static const char *link_header_parse(const char *spec, struct link_header *lh, char *err, size_t errsize)
{
	memset(lh, 0, sizeof *lh);
	const char *eq = strchr(spec, '=');
	size_t nl = eq ? (size_t)(eq - spec) : strlen(spec);
	while (nl && (spec[nl - 1] == ' ' || spec[nl - 1] == '\t'))
		nl--;
	if (!nl) {
		snprintf(err, errsize, "--link-header wants NAME or NAME=REGEX, not '%s'", spec);
		return err;
	}
	for (size_t i = 0; i < nl; i++) {
		unsigned char ch = (unsigned char)spec[i];
		if (ch <= ' ' || ch >= 127 || strchr("()<>@,;:\\\"/[]?={}", ch)) {
			snprintf(err, errsize, "--link-header: '%.*s' is not a header name", (int)nl, spec);
			return err;
		}
	}
	if (eq) {
		const char *re = eq + 1;
		while (*re == ' ' || *re == '\t')
			re++;
		if (!*re) {
			snprintf(err, errsize, "--link-header %.*s=: empty regular expression", (int)nl, spec);
			return err;
		}
		int rc = regcomp(&lh->re, re, REG_EXTENDED);
		if (rc) {
			char msg[200];
			regerror(rc, &lh->re, msg, sizeof msg);
			snprintf(err, errsize, "--link-header %.*s: bad regular expression '%s': %s", (int)nl, spec, re, msg);
			return err;
		}
		lh->has_re = true;
	}
	lh->name = xstrndup(spec, nl);
	lh->id = sip_header_lookup(spec, nl);
	size_t n = nl + 8;
	lh->how = xmalloc(n);
	snprintf(lh->how, n, "header:%s", lh->name);
	return NULL;
}

static void link_header_free(struct link_header *lh)
{
	free(lh->name);
	free(lh->how);
	if (lh->has_re)
		regfree(&lh->re);
}

bool link_header_check(const char *spec, char *err, size_t errsize)
{
	struct link_header lh;
	if (link_header_parse(spec, &lh, err, errsize))
		return false;
	link_header_free(&lh);
	return true;
}

bool callstore_link_header(struct callstore *cs, const char *spec, char *err, size_t errsize)
{
	struct link_header lh;
	if (link_header_parse(spec, &lh, err, errsize))
		return false;
	cs->lheaders = xrealloc(cs->lheaders, (cs->nlheaders + 1) * sizeof *cs->lheaders);
	cs->lheaders[cs->nlheaders++] = lh;
	return true;
}

static void on_links(struct callstore *cs, struct call *c, struct call_msg *cm)
{
	struct sip_msg *m = cm->m;
	if (cm->flags & (CM_RETRANS | CM_DUPLICATE))
		return;
	int64_t now = msg_ns(m);
	const struct txn *t = cm->txn >= 0 ? &c->txns[cm->txn] : NULL;
	if (m->start.is_request && cm->method == M_INVITE && t && !t->in_dialog) {
		/* an initial INVITE: the call's setup window is open */
		c->link_close_ns = INT64_MAX;
		static const enum sip_hdr_id ids[] = { SIP_H_X_CALL_ID, SIP_H_X_CID };
		static const char *const how[] = { LINK_HOW_X_CALL_ID, LINK_HOW_X_CID };
		for (int i = 0; i < 2; i++) {
			struct sv v = sv_trim(sip_msg_hdr(m, ids[i]));
			if (!v.len)
				continue;
			uint32_t h = call_hash(v.p, v.len, c->input);
			struct call *peer = call_lookup(cs, c->input, v, h);
			if (peer)
				link_pair(c, peer, how[i]);
		}
		char buf[LINK_KEY_MAX];
		if (link_session_uuid(sip_msg_hdr(m, SIP_H_SESSION_ID), buf))
			link_value(cs, c, m, LINK_HOW_SESSION_ID, buf, 32);
		size_t n = link_icid_value(sv_trim(sip_msg_hdr(m, SIP_H_P_CHARGING_VECTOR)), buf, sizeof buf);
		if (n)
			link_value(cs, c, m, LINK_HOW_PCV, buf, n);
		for (size_t i = 0; i < cs->nlheaders; i++) {
			n = link_header_value(&cs->lheaders[i], m, buf, sizeof buf);
			if (n)
				link_value(cs, c, m, cs->lheaders[i].how, buf, n);
		}
		link_sdp(cs, c, m, 'q');
	} else if (!m->start.is_request && cm->method == M_INVITE && t && !t->in_dialog) {
		int st = m->start.status;
		if (st > 100 && st < 300)
			link_sdp(cs, c, m, 'r');
		if (st >= 200 && t->final == (int32_t)(cm - c->msgs) && c->link_close_ns == INT64_MAX)
			link_window_close(cs, c, now);
	} else if (m->start.is_request && cm->method == M_ACK && c->link_close_ns >= now) {
		link_sdp(cs, c, m, 'a'); /* the answer to an offer in the 2xx */
	}
	/* A leg's BYE is news for the legs linked to it. */
	if (m->start.is_request && cm->method == M_BYE) {
		for (uint32_t i = 0; i < c->nlinks; i++) {
			struct call *peer = c->links[i].peer;
			if (!peer)
				continue;
			struct call_link *back = link_to(peer, c->call_id, c->call_id_len);
			if (back && !back->peer_ended) {
				back->peer_ended = true;
				back->peer_end_frame = m->frame;
				back->peer_end_ns = msg_ns(m);
			}
		}
	}
}

/* ---- registration bindings ---- */

static void bindings_clear(struct callstore *cs)
{
	struct binding *b = cs->bfirst, *next;
	for (; b; b = next) {
		next = b->onext;
		free(b->aor);
		free(b->call_id);
		free(b);
	}
	cs->bfirst = cs->blast = NULL;
	cs->nbindings = 0;
	memset(cs->bbucket, 0, cs->nbbuckets * sizeof *cs->bbucket);
}

static void bindings_grow(struct callstore *cs)
{
	size_t n = cs->nbbuckets * 2;
	struct binding **nb = xcalloc(n, sizeof *nb);
	for (struct binding *b = cs->bfirst; b; b = b->onext) {
		struct binding **slot = &nb[hash_bytes(b->aor, b->aor_len, 0) & (n - 1)];
		b->next = *slot;
		*slot = b;
	}
	free(cs->bbucket);
	cs->bbucket = nb;
	cs->nbbuckets = n;
}

/* AoR: the To URI without parameters or brackets, scheme and host lowercased. */
static struct sv aor_of(struct sip_msg *m)
{
	const struct sip_nameaddr *to = sip_msg_to(m);
	if (!to->valid)
		return SV_NULL;
	struct sv u = to->uri;
	ptrdiff_t semi = sv_find(u, ';');
	if (semi >= 0)
		u.len = (size_t)semi;
	return u;
}

/* Granted expiry of a successful REGISTER, in seconds; -1 for none. */
static int64_t granted_expires(struct sip_msg *ok, struct sip_msg *req)
{
	int64_t best = -1;
	struct sv v;
	struct sip_hdr_iter it = sip_hdr_iter(ok, SIP_H_CONTACT);
	while (sip_hdr_next(&it, &v)) {
		struct sip_contact ct;
		if (!sip_parse_contact(v, &ct) || ct.star)
			continue;
		int64_t e = ct.expires >= 0 ? ct.expires : sip_msg_int(ok, SIP_H_EXPIRES);
		if (e < 0 && req)
			e = sip_msg_int(req, SIP_H_EXPIRES);
		if (e < 0)
			e = 3600; /* §10.2.1.1 default */
		if (e > 315360000)
			e = 315360000; /* ten years: keeps the arithmetic in range */
		if (e > best)
			best = e;
	}
	return best;
}

static void on_register(struct callstore *cs, struct call *c, struct call_msg *cm)
{
	struct sip_msg *m = cm->m;
	if (m->start.is_request || cm->method != M_REGISTER || cm->flags & (CM_RETRANS | CM_DUPLICATE) ||
	    m->start.status < 200 || m->start.status >= 300 || cm->txn < 0)
		return;
	struct txn *t = &c->txns[cm->txn];
	if (t->final != (int32_t)(cm - c->msgs))
		return;
	struct sip_msg *req = t->req >= 0 ? c->msgs[t->req].m : NULL;
	struct sv aor = aor_of(m);
	if (!aor.len)
		return;
	if (req && !sip_msg_contact(req)->valid)
		return; /* a query, not a (re)registration */
	int64_t exp = granted_expires(m, req);
	if (cs->binput != c->input) {
		bindings_clear(cs);
		cs->binput = c->input;
	}
	uint32_t h = hash_bytes(aor.p, aor.len, 0);
	struct binding **slot = &cs->bbucket[h & (cs->nbbuckets - 1)], *b;
	for (b = *slot; b; b = b->next)
		if (b->aor_len == aor.len && memcmp(b->aor, aor.p, aor.len) == 0)
			break;
	int64_t now = msg_ns(m);
	int64_t req_ns = req ? msg_ns(req) : now;
	if (b && b->expires_ns >= 0 && req_ns > b->expires_ns + 1000000000LL && cs->lapse)
		cs->lapse(cs->ud, b, c->input, req ? req->frame : m->frame, req_ns);
	if (!b) {
		if (cs->nbindings >= cs->nbbuckets) {
			bindings_grow(cs);
			slot = &cs->bbucket[h & (cs->nbbuckets - 1)];
		}
		b = xcalloc(1, sizeof *b);
		b->aor = xstrndup(aor.p, aor.len);
		b->aor_len = aor.len;
		b->next = *slot;
		*slot = b;
		if (cs->blast)
			cs->blast->onext = b;
		else
			cs->bfirst = b;
		cs->blast = b;
		cs->nbindings++;
	}
	free(b->call_id);
	b->call_id = xstrdup(c->call_id);
	b->call_seq = c->seq;
	b->req_frame = req ? req->frame : 0;
	b->ok_frame = m->frame;
	b->ok_ns = now;
	b->expires_ns = exp > 0 ? now + exp * 1000000000LL : -1; /* 0: unregistered */
}

/* ---- the memory bound ---- */

/* What a call holds, as the bound counts it: its arrays by capacity and
 * its messages (struct, bytes, allocator overhead); B2BUA index entries
 * and media state are small and bounded per call. */
static size_t call_mem(const struct call *c)
{
	return sizeof *c + c->call_id_len + 1 + (size_t)c->msgs_cap * sizeof *c->msgs +
	       (size_t)c->txns_cap * sizeof *c->txns + (size_t)c->txn_tab_size * sizeof *c->txn_tab +
	       (size_t)c->dialogs_cap * sizeof *c->dialogs + (size_t)c->dlg_tab_size * sizeof *c->dlg_tab +
	       (size_t)c->copy_tab_size * sizeof *c->copy_tab +
	       (size_t)c->sdp_cap * sizeof *c->sdp +
	       (size_t)c->links_cap * sizeof *c->links + c->msg_bytes;
}

static uint64_t tomb_key(const struct call *c)
{
	uint64_t h = ((uint64_t)call_hash(c->call_id, c->call_id_len, c->input) << 32) |
		     hash_bytes(c->call_id, c->call_id_len, c->input ^ 0x9e3779b9u);
	return h ? h : 1;
}

void callstore_set_max_memory(struct callstore *cs, size_t bytes)
{
	cs->max_mem = bytes;
}

uint64_t callstore_early_count(const struct callstore *cs)
{
	return cs->nearly;
}

uint64_t callstore_t4_cut_count(const struct callstore *cs)
{
	return cs->nt4;
}

size_t callstore_peak_memory(const struct callstore *cs)
{
	return cs->peak_mem;
}

/* ---- finalisation ---- */

static void finalise(struct callstore *cs, struct call *c)
{
	list_unlink(cs, c);
	uint32_t h = call_hash(c->call_id, c->call_id_len, c->input);
	struct call **pp = &cs->bucket[h & (cs->nbuckets - 1)];
	while (*pp != c)
		pp = &(*pp)->hnext;
	*pp = c->hnext;
	cs->ncalls--;
	cs->mem -= c->mem;
	link_unindex(cs, c);
	media_finish_call(cs->media, c);
	if (cs->hand_over) {
		/* call_finish (the outcome, from what the call holds alone) is
		 * the taker's: callstore_hand_over */
		/* nothing of the store may point at the call, nor the call at
		 * the store's calls, and its messages' header indexes are on no
		 * thread's list (they stay): done() may give it to another
		 * thread */
		for (uint32_t i = 0; i < c->nlinks; i++) {
			struct call *peer = c->links[i].peer;
			for (uint32_t k = 0; peer && k < peer->nlinks; k++)
				if (peer->links[k].peer == c)
					peer->links[k].peer = NULL;
			c->links[i].peer = NULL;
		}
		/* what the bound does not count goes with it: header indexes
		 * kept (built while finalising), the streams */
		c->mem += call_unlist(c) + (size_t)c->nmedia * sizeof *c->media;
		cs->done(cs->ud, c);
		return;
	}
	call_finish(c);
	cs->done(cs->ud, c);
	for (uint32_t i = 0; i < c->nlinks; i++) {
		/* every link of the other leg that points here, whatever its
		 * Call-ID says (a Call-ID reused by a later call): none may
		 * outlive this call */
		struct call *peer = c->links[i].peer;
		for (uint32_t k = 0; peer && k < peer->nlinks; k++)
			if (peer->links[k].peer == c)
				peer->links[k].peer = NULL;
	}
	call_free(c);
}

static void expire(struct callstore *cs)
{
	for (int l = 0; l < L_COUNT; l++) {
		if (list_linger_ns[l] < 0)
			continue;
		struct call *c;
		while ((c = cs->lists[l].head) && c->end_ns + list_linger_ns[l] < cs->now)
			finalise(cs, c);
	}
}

/* Finalises c before its time, because of the memory bound, and remembers
 * it until its messages could still come (the rest of its linger; a
 * confirmed dialog: to the end of the input), so that a later message of
 * its Call-ID starts a call that says it continues it. A call that is over
 * and only waiting out T4 for stray retransmissions is closed early: its
 * outcome is known. Any other is finalised early (marked: its rules do
 * not judge what had not happened yet). */
static void cut(struct callstore *cs, struct call *c, bool early)
{
	if (early) {
		c->early = true;
		c->capture_end_ns = cs->now;
		cs->nearly++;
	} else {
		c->t4_cut = true;
		cs->nt4++;
	}
	if (!cs->tombs)
		cs->tombs = xcalloc(TOMBS, sizeof *cs->tombs);
	uint64_t k = tomb_key(c);
	int64_t linger = list_linger_ns[c->list];
	struct tomb *t = &cs->tombs[k & (TOMBS - 1)];
	t->key = k;
	t->seq = c->seq;
	t->until_ns = linger < 0 ? INT64_MAX : (c->end_ns > cs->now ? c->end_ns : cs->now) + linger;
	finalise(cs, c);
}

static bool is_done_list(int l)
{
	return l == L_DONE_INVITE || l == L_DONE_OTHER;
}

/* Of the calls waiting out T4, the one whose wait ends first. */
static struct call *done_victim(struct callstore *cs)
{
	struct call *best = NULL;
	int64_t best_t = INT64_MAX;
	for (int l = L_DONE_INVITE; l <= L_DONE_OTHER; l++) {
		struct call *c = cs->lists[l].head;
		if (c && c->end_ns + list_linger_ns[l] < best_t) {
			best = c;
			best_t = c->end_ns + list_linger_ns[l];
		}
	}
	return best;
}

/* How long a lone request waits for its response before it counts as
 * unanswered: an INVITE server transaction sends 100 Trying within 200 ms
 * (RFC 3261 §17.2.1), and most servers answer anything else as fast. A
 * younger one is a call being set up, given up in its turn like any
 * other: SIPp calls under a tight bound came out in twice the pieces
 * (their INVITEs and BYEs cut before their answers) when every lone
 * request went first. */
#define LONE_AGE_NS 200000000LL

/* The call to give up first: one waiting out T4; else one that is a
 * single request left without any response (a flood is made of those,
 * and they would end unanswered anyway: nothing is lost in judging them
 * now), least recently active first; else the call in progress least
 * recently active. Each a list head: no scan. */
static struct call *bound_victim(struct callstore *cs)
{
	struct call *best = done_victim(cs);
	if (best)
		return best;
	if (cs->lone_head && cs->lone_head->end_ns + LONE_AGE_NS <= cs->now)
		return cs->lone_head;
	int64_t best_t = INT64_MAX;
	for (int l = L_PENDING; l < L_COUNT; l++) {
		struct call *c = cs->lists[l].head;
		if (c && c->end_ns < best_t) {
			best = c;
			best_t = c->end_ns;
		}
	}
	return best;
}

/* Calls waiting out T4 may hold a quarter of the bound (at thousands of
 * calls a second they would be most of it, and they are over); all calls
 * together, the bound. */
static void bound(struct callstore *cs)
{
	struct call *c;
	while (cs->list_mem[L_DONE_INVITE] + cs->list_mem[L_DONE_OTHER] > cs->max_mem / 4 && (c = done_victim(cs)))
		cut(cs, c, false);
	while (cs->mem > cs->max_mem && (c = bound_victim(cs)))
		cut(cs, c, !is_done_list(c->list));
}

static int list_for(const struct call *c)
{
	switch (call_activity(c)) {
	case 3: return L_LIVE;
	case 2: return L_RINGING;
	case 1: return L_PENDING;
	default: return c->kind == KIND_CALL ? L_DONE_INVITE : L_DONE_OTHER;
	}
}

/* A message dated far ahead of the clock moves it only when the next one
 * agrees: one packet stamped years away (a clock that jumped and came
 * back) would otherwise end every call in progress. */
#define CLOCK_JUMP_NS 3600000000000LL

void callstore_add(struct callstore *cs, struct sip_msg *m)
{
	int64_t ns = msg_ns(m);
	if (ns > cs->now) {
		if (cs->now == INT64_MIN || ns - cs->now <= CLOCK_JUMP_NS ||
		    (cs->jump_ns != INT64_MIN && ns >= cs->jump_ns - CLOCK_JUMP_NS && ns - cs->jump_ns <= CLOCK_JUMP_NS))
			cs->now = ns;
		cs->jump_ns = cs->now == ns ? INT64_MIN : ns;
	} else {
		cs->jump_ns = INT64_MIN;
	}
	link_expire(cs);
	struct sv id = m->malformed && !sip_msg_has(m, SIP_H_CALL_ID) ? SV_NULL : sip_msg_call_id(m);
	uint32_t h = call_hash(id.p, id.len, m->input);
	struct call *c = call_lookup(cs, m->input, id, h);
	if (!c) {
		if (cs->ncalls >= cs->nbuckets)
			rehash(cs);
		c = xmalloc(sizeof *c);
		call_init(c, m->input, id);
		c->seq = cs->seq++;
		c->hnext = cs->bucket[h & (cs->nbuckets - 1)];
		cs->bucket[h & (cs->nbuckets - 1)] = c;
		cs->ncalls++;
		list_append(cs, c, L_DONE_OTHER);
		if (cs->tombs) {
			uint64_t k = tomb_key(c);
			struct tomb *t = &cs->tombs[k & (TOMBS - 1)];
			if (t->key == k && ns <= t->until_ns) {
				c->continues = t->seq + 1;
				t->key = 0;
			}
		}
	}
	c->msg_bytes += sip_msg_kept_bytes(m) + 16;
	call_add_msg(c, m);
	struct call_msg *cm = &c->msgs[c->nmsgs - 1];
	on_links(cs, c, cm);
	on_register(cs, c, cm);
	if (cs->media_on)
		media_on_msg(cs->media, c, (int32_t)c->nmsgs - 1);
	sip_msg_compact(m); /* taken in: a waiting call keeps bytes, not header indexes */
	list_unlink(cs, c);
	/* one request, or copies of the one request it was (retransmissions) */
	c->lone = m->start.is_request && cm->txn == 0 &&
		  (c->nmsgs == 1 || (c->lone && (cm->flags & (CM_RETRANS | CM_DUPLICATE)) && cm->dup_of == 0));
	size_t mem = call_mem(c);
	cs->mem += mem - c->mem;
	c->mem = mem;
	list_append(cs, c, list_for(c));
	if (cs->mem > cs->peak_mem)
		cs->peak_mem = cs->mem;
	/* One call may not hold it all: past a sixteenth it is cut where it
	 * rests (nothing pending: a keep-alive's parts end answered), past a
	 * quarter wherever it is; the rest comes as a call that continues it.
	 * With the report on a thread of its own (-j), one part is judged
	 * while the next is built: two parts, an eighth together. */
	if (cs->max_mem && c->mem > cs->max_mem / 16 && (call_activity(c) == 0 || c->mem > cs->max_mem / 4))
		cut(cs, c, true);
	expire(cs);
	if (cs->max_mem)
		bound(cs);
	sip_msg_compact_all(); /* waiting calls keep bytes, not header indexes */
}

static int cmp_seq(const void *a, const void *b)
{
	const struct call *x = *(struct call *const *)a, *y = *(struct call *const *)b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void callstore_end_input(struct callstore *cs, uint32_t input, int64_t end_ns)
{
	size_t n = 0, cap = 64;
	struct call **v = xmalloc(cap * sizeof *v);
	for (int l = 0; l < L_COUNT; l++)
		for (struct call *c = cs->lists[l].head; c; c = c->lnext)
			if (c->input == input) {
				if (n == cap)
					v = xrealloc(v, (cap *= 2) * sizeof *v);
				v[n++] = c;
			}
	qsort(v, n, sizeof *v, cmp_seq);
	for (size_t i = 0; i < n; i++) {
		v[i]->ended_input = true;
		v[i]->capture_end_ns = end_ns;
		finalise(cs, v[i]);
	}
	free(v);
	if (cs->binput == input) {
		for (struct binding *b = cs->bfirst; b; b = b->onext)
			if (b->expires_ns >= 0 && b->expires_ns + 1000000000LL < end_ns && cs->lapse)
				cs->lapse(cs->ud, b, input, 0, end_ns);
		bindings_clear(cs);
	}
	media_end_input(cs->media, input);
	cs->media_on = false;
	if (cs->tombs)
		memset(cs->tombs, 0, TOMBS * sizeof *cs->tombs);
	/* every call of the input is final now; the next input has a clock
	 * of its own (it may well be older than this one) */
	cs->now = INT64_MIN;
}

void callstore_media(struct callstore *cs, const struct media_pkt *p)
{
	if (!cs->media_on) {
		cs->media_on = true;
		for (int l = 0; l < L_COUNT; l++)
			for (struct call *c = cs->lists[l].head; c; c = c->lnext)
				if (c->input == p->input)
					for (uint32_t i = 0; i < c->nmsgs; i++)
						media_on_msg(cs->media, c, (int32_t)i);
		sip_msg_compact_all();
	}
	media_packet(cs->media, p);
}

void callstore_set_media_orphan(struct callstore *cs, media_orphan_fn fn)
{
	media_table_set_orphan(cs->media, fn, cs->ud);
}

void callstore_hand_over(struct callstore *cs, bool on)
{
	cs->hand_over = on;
}

uint64_t callstore_next_seq(const struct callstore *cs)
{
	return cs->seq;
}

size_t call_unlist(struct call *c)
{
	size_t bytes = 0;
	for (uint32_t i = 0; i < c->nmsgs; i++) {
		sip_msg_unlist(c->msgs[i].m);
		bytes += sip_msg_index_bytes(c->msgs[i].m);
	}
	return bytes;
}

void call_compact_listed(struct call *c)
{
	for (uint32_t i = 0; i < c->nmsgs; i++)
		sip_msg_compact_listed(c->msgs[i].m);
}

void call_free(struct call *c)
{
	if (!c)
		return;
	call_release(c);
	free(c);
}

void callstore_free(struct callstore *cs)
{
	if (!cs)
		return;
	for (int l = 0; l < L_COUNT; l++) {
		struct call *c, *next;
		for (c = cs->lists[l].head; c; c = next) {
			next = c->lnext;
			link_unindex(cs, c);
			media_finish_call(cs->media, c);
			call_free(c);
		}
	}
	for (size_t i = 0; i < cs->nlheaders; i++)
		link_header_free(&cs->lheaders[i]);
	free(cs->lheaders);
	bindings_clear(cs);
	media_table_free(cs->media);
	free(cs->lkbucket);
	free(cs->bbucket);
	free(cs->bucket);
	free(cs->tombs);
	free(cs);
}
