/* calls.c - the call store: messages grouped by (input, Call-ID), calls
 * finalised once quiet (capture time), B2BUA legs linked, registration
 * bindings tracked per AoR (RFC 3261 §10.2.4, §10.3). */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
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

struct sdp_key {
	char *key;
	uint32_t hash;
	struct call *call;
	struct sdp_key *next;
};

struct callstore {
	call_done_fn done;
	binding_lapse_fn lapse;
	void *ud;
	struct call **bucket;
	size_t nbuckets, ncalls;
	struct list lists[L_COUNT];
	uint64_t seq;
	int64_t now;
	struct sdp_key **kbucket; /* B2BUA index: SDP origin+media → call */
	size_t nkbuckets, nkeys;
	struct binding **bbucket; /* AoR → binding */
	size_t nbbuckets;
	uint32_t binput; /* input the bindings belong to */
	struct media_table *media;
	/* Media is looked at once the input shows its first RTP/RTCP packet:
	 * then the SDP of every open call is indexed, and later SDP as it
	 * comes. A capture without media costs nothing. */
	bool media_on;
};

static void list_unlink(struct callstore *cs, struct call *c)
{
	struct list *l = &cs->lists[c->list];
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
	c->lnext = NULL;
	c->lprev = l->tail;
	if (l->tail)
		l->tail->lnext = c;
	else
		l->head = c;
	l->tail = c;
}

struct callstore *callstore_new(call_done_fn done, binding_lapse_fn lapse, void *ud)
{
	struct callstore *cs = xcalloc(1, sizeof *cs);
	cs->done = done;
	cs->lapse = lapse;
	cs->ud = ud;
	cs->now = INT64_MIN;
	cs->nbuckets = 1024;
	cs->bucket = xcalloc(cs->nbuckets, sizeof *cs->bucket);
	cs->nkbuckets = 256;
	cs->kbucket = xcalloc(cs->nkbuckets, sizeof *cs->kbucket);
	cs->nbbuckets = 256;
	cs->bbucket = xcalloc(cs->nbbuckets, sizeof *cs->bbucket);
	cs->media = media_table_new();
	return cs;
}

static uint32_t call_hash(const char *p, size_t n, uint32_t input)
{
	return hash_bytes(p ? p : "", n, input);
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

/* ---- B2BUA links ---- */

static struct call_link *link_to(struct call *c, const char *id, size_t len)
{
	for (uint32_t i = 0; i < c->nlinks; i++)
		if (strlen(c->links[i].call_id) == len && memcmp(c->links[i].call_id, id, len) == 0)
			return &c->links[i];
	return NULL;
}

static void link_add(struct call *c, struct call *peer, const char *how)
{
	struct call_link *l = link_to(c, peer->call_id, peer->call_id_len);
	if (l) {
		/* the same Call-ID again (a later segment of a finalised call):
		 * point at the live one so finalising clears this pointer */
		l->peer = peer;
		return;
	}
	if (c->nlinks == c->links_cap) {
		c->links_cap = c->links_cap ? c->links_cap * 2 : 2;
		c->links = xrealloc(c->links, c->links_cap * sizeof *c->links);
	}
	c->links[c->nlinks++] = (struct call_link){ .call_id = xstrdup(peer->call_id), .how = how, .peer = peer };
}

static void link_pair(struct call *a, struct call *b, const char *how)
{
	if (a == b)
		return;
	link_add(a, b, how);
	link_add(b, a, how);
}

/* Key of an SDP for B2BUA matching: the origin (user, session id, version,
 * address) and the first media port: a B2BUA that passes the body through
 * unchanged produces the same key on both legs. */
static char *sdp_key_of(const struct sip_msg *m)
{
	struct sdp s;
	if (!sip_msg_sdp_parse(m, &s) || !s.o_sess_id.len || !s.nmedia)
		return NULL;
	size_t n = s.o_user.len + s.o_sess_id.len + s.o_sess_version.len + s.o_conn.addr.len + 32;
	char *k = xmalloc(n);
	snprintf(k, n, "%.*s %.*s %.*s %.*s %u", (int)s.o_user.len, s.o_user.p, (int)s.o_sess_id.len, s.o_sess_id.p,
		 (int)s.o_sess_version.len, s.o_sess_version.p, (int)s.o_conn.addr.len, s.o_conn.addr.p,
		 s.media[0].port);
	return k;
}

static void sdp_rehash(struct callstore *cs)
{
	size_t nb = cs->nkbuckets * 2;
	struct sdp_key **b = xcalloc(nb, sizeof *b);
	for (size_t i = 0; i < cs->nkbuckets; i++) {
		struct sdp_key *e = cs->kbucket[i], *next;
		for (; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
		}
	}
	free(cs->kbucket);
	cs->kbucket = b;
	cs->nkbuckets = nb;
}

static void sdp_index(struct callstore *cs, struct call *c, const struct sip_msg *m)
{
	if (c->nsdp_keys >= 2)
		return;
	char *k = sdp_key_of(m);
	if (!k)
		return;
	uint32_t h = hash_bytes(k, strlen(k), c->input);
	struct sdp_key **slot = &cs->kbucket[h & (cs->nkbuckets - 1)];
	for (struct sdp_key *e = *slot; e; e = e->next) {
		if (e->hash == h && strcmp(e->key, k) == 0) {
			if (e->call != c && e->call->input == c->input)
				link_pair(c, e->call, "same SDP");
			free(k);
			return;
		}
	}
	struct sdp_key *e = xmalloc(sizeof *e);
	*e = (struct sdp_key){ k, h, c, *slot };
	*slot = e;
	c->sdp_key_hash[c->nsdp_keys++] = h;
	if (++cs->nkeys > cs->nkbuckets)
		sdp_rehash(cs);
}

static void sdp_unindex(struct callstore *cs, struct call *c)
{
	for (unsigned i = 0; i < c->nsdp_keys; i++) {
		struct sdp_key **pp = &cs->kbucket[c->sdp_key_hash[i] & (cs->nkbuckets - 1)];
		while (*pp) {
			if ((*pp)->call == c) {
				struct sdp_key *e = *pp;
				*pp = e->next;
				free(e->key);
				free(e);
				cs->nkeys--;
			} else {
				pp = &(*pp)->next;
			}
		}
	}
	c->nsdp_keys = 0;
}

static void on_links(struct callstore *cs, struct call *c, struct call_msg *cm)
{
	struct sip_msg *m = cm->m;
	if (!m->start.is_request || cm->flags & (CM_RETRANS | CM_DUPLICATE))
		return;
	if (cm->method == M_INVITE && cm->dialog < 0) {
		static const enum sip_hdr_id ids[] = { SIP_H_X_CALL_ID, SIP_H_X_CID };
		static const char *const how[] = { "X-Call-ID", "X-CID" };
		for (int i = 0; i < 2; i++) {
			struct sv v = sv_trim(sip_msg_hdr(m, ids[i]));
			if (!v.len)
				continue;
			uint32_t h = call_hash(v.p, v.len, c->input);
			struct call *peer = call_lookup(cs, c->input, v, h);
			if (peer)
				link_pair(c, peer, how[i]);
		}
	}
	if ((cm->method == M_INVITE && cm->dialog < 0) || cm->method == M_ACK)
		sdp_index(cs, c, m);
	/* A leg's BYE is news for the legs linked to it. */
	if (cm->method == M_BYE) {
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

static void on_answer_sdp(struct callstore *cs, struct call *c, struct call_msg *cm)
{
	struct sip_msg *m = cm->m;
	if (m->start.is_request || cm->flags & (CM_RETRANS | CM_DUPLICATE) || cm->method != M_INVITE)
		return;
	if (m->start.status >= 200 && m->start.status < 300 && cm->txn >= 0 && !c->txns[cm->txn].in_dialog)
		sdp_index(cs, c, m);
}

/* ---- registration bindings ---- */

static void bindings_clear(struct callstore *cs)
{
	for (size_t i = 0; i < cs->nbbuckets; i++) {
		struct binding *b = cs->bbucket[i], *next;
		for (; b; b = next) {
			next = b->next;
			free(b->aor);
			free(b->call_id);
			free(b);
		}
		cs->bbucket[i] = NULL;
	}
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
	size_t n = sip_msg_hdr_count(ok, SIP_H_CONTACT);
	for (size_t i = 0; i < n; i++) {
		struct sv v;
		struct sip_contact ct;
		if (!sip_msg_hdr_value(ok, SIP_H_CONTACT, i, &v) || !sip_parse_contact(v, &ct) || ct.star)
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
		if (strlen(b->aor) == aor.len && strncasecmp(b->aor, aor.p, aor.len) == 0)
			break;
	int64_t now = msg_ns(m);
	int64_t req_ns = req ? msg_ns(req) : now;
	if (b && b->expires_ns >= 0 && req_ns > b->expires_ns + 1000000000LL && cs->lapse)
		cs->lapse(cs->ud, b, c->input, req ? req->frame : m->frame, req_ns);
	if (!b) {
		b = xcalloc(1, sizeof *b);
		b->aor = xstrndup(aor.p, aor.len);
		b->next = *slot;
		*slot = b;
	}
	free(b->call_id);
	b->call_id = xstrdup(c->call_id);
	b->call_seq = c->seq;
	b->req_frame = req ? req->frame : 0;
	b->ok_frame = m->frame;
	b->ok_ns = now;
	b->expires_ns = exp > 0 ? now + exp * 1000000000LL : -1; /* 0: unregistered */
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
	sdp_unindex(cs, c);
	media_finish_call(cs->media, c);
	call_finish(c);
	cs->done(cs->ud, c);
	for (uint32_t i = 0; i < c->nlinks; i++) {
		struct call *peer = c->links[i].peer;
		struct call_link *back = peer ? link_to(peer, c->call_id, c->call_id_len) : NULL;
		if (back)
			back->peer = NULL;
	}
	call_release(c);
	free(c);
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

static int list_for(const struct call *c)
{
	switch (call_activity(c)) {
	case 3: return L_LIVE;
	case 2: return L_RINGING;
	case 1: return L_PENDING;
	default: return c->kind == KIND_CALL ? L_DONE_INVITE : L_DONE_OTHER;
	}
}

void callstore_add(struct callstore *cs, struct sip_msg *m)
{
	int64_t ns = msg_ns(m);
	if (ns > cs->now)
		cs->now = ns;
	struct sv id = m->malformed && !m->first[SIP_H_CALL_ID] ? SV_NULL : sip_msg_call_id(m);
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
	}
	call_add_msg(c, m);
	struct call_msg *cm = &c->msgs[c->nmsgs - 1];
	on_links(cs, c, cm);
	on_answer_sdp(cs, c, cm);
	on_register(cs, c, cm);
	if (cs->media_on)
		media_on_msg(cs->media, c, (int32_t)c->nmsgs - 1);
	list_unlink(cs, c);
	list_append(cs, c, list_for(c));
	expire(cs);
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
		for (size_t i = 0; i < cs->nbbuckets; i++)
			for (struct binding *b = cs->bbucket[i]; b; b = b->next)
				if (b->expires_ns >= 0 && b->expires_ns + 1000000000LL < end_ns && cs->lapse)
					cs->lapse(cs->ud, b, input, 0, end_ns);
		bindings_clear(cs);
	}
	media_end_input(cs->media, input);
	cs->media_on = false;
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
	}
	media_packet(cs->media, p);
}

void callstore_set_media_orphan(struct callstore *cs, media_orphan_fn fn)
{
	media_table_set_orphan(cs->media, fn, cs->ud);
}

void callstore_free(struct callstore *cs)
{
	if (!cs)
		return;
	for (int l = 0; l < L_COUNT; l++) {
		struct call *c, *next;
		for (c = cs->lists[l].head; c; c = next) {
			next = c->lnext;
			media_finish_call(cs->media, c);
			call_release(c);
			free(c);
		}
	}
	for (size_t i = 0; i < cs->nkbuckets; i++) {
		struct sdp_key *e = cs->kbucket[i], *next;
		for (; e; e = next) {
			next = e->next;
			free(e->key);
			free(e);
		}
	}
	bindings_clear(cs);
	media_table_free(cs->media);
	free(cs->kbucket);
	free(cs->bbucket);
	free(cs->bucket);
	free(cs);
}
