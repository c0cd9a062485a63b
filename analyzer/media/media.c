/* media.c - the media table: RTP/RTCP packets gathered into flows and
 * streams, tied to the calls whose SDP announced their addresses (RFC 3264
 * offer/answer, RFC 8839 candidates). Each stream's RFC 3550 figures (A.1
 * sequence accounting, A.8 interarrival jitter, the series) are kept by
 * rtpstats.c, its G.107 quality estimate made by emodel.c.
 *
 * Memory: a flow per (src, dst) pair, a few per call, freed when the call is
 * finalised; flows no SDP explains are reported and freed after 30 s of
 * silence (capture time). Nothing is allocated per packet. */
#include "media.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emodel.h"
#include "hash.h"
#include "internal.h"
#include "model.h"
#include "rtpstats.h"
#include "sdp.h"
#include "xalloc.h"

#define ORPHAN_IDLE_NS 30000000000LL
#define MAX_SSRC_PER_FLOW 16
#define MIN_SEQUENTIAL 4 /* in-order packets before a stream without SDP counts as RTP */
#define ANN_MAX_KEYS (2 + SDP_MAX_CAND)
#define FLOW_MAX_CALLS 4 /* calls one flow may belong to */
#define MATCH_INTERVAL_NS 200000000LL
/* An SDP's addresses belong to its call from the SDP's message until the
 * call ends (its last INVITE dialog ended and no INVITE pending), give or
 * take this much: RTP in flight at the BYE, media that overtakes the SDP
 * (RTP sent directly, SIP through proxies). */
#define SPAN_GRACE_NS 2000000000LL

const char *media_match_name(enum media_match m)
{
	static const char *const n[] = { "heuristic", "sdp", "sdp-source", "reverse" };
	return n[m];
}

/* ---- SDP announcements ---- */

struct media_ann;

struct media_key {
	struct endpoint ep;
	uint32_t input, hash;
	struct media_ann *ann;
	struct media_key *hnext;
};

/* One m= line announced by one party in one message. */
struct media_ann {
	struct call *call;
	int32_t msg, dialog;
	int16_t mline;
	bool caller;      /* announced by the caller */
	enum sdp_dir dir;
	struct endpoint rtp; /* c= address and m= port; family 0 when none */
	int64_t ns;
	struct media_key keys[ANN_MAX_KEYS];
	unsigned nkeys;
	struct media_ann *next; /* the call's announcements, newest first */
};

struct rtcp_rec {
	uint32_t ssrc;
	struct media_rtcp r;
	uint32_t jitter_max; /* timestamp units */
};

struct mflow;

struct media_call {
	struct media_ann *anns;
	struct mflow **flows;
	uint32_t nflows, flows_cap;
	int64_t answer_ns; /* the first 2xx to the initial INVITE, -1 */
	int64_t end_ns;    /* when the call's media ended (INT64_MAX while open) */
	uint32_t nanns;    /* announcements so far */
	bool bye_refused;  /* the latest BYE got a failure response */
	uint32_t pending_invites; /* INVITE transactions without a final response */
	struct rtcp_rec *rtcp;
	uint32_t nrtcp, rtcp_cap;
};

/* ---- flows and streams ---- */

struct rtp_live {
	struct media_stream s;
	struct rtp_seq seq;    /* RFC 3550 A.1 (rtpstats.c) */
	struct rtp_jitter jit; /* A.8, of cur_pt and with its clock */
	int64_t last_ns;       /* previous packet (any payload type) */
	bool valid, noted, after_cn;
	uint8_t cur_pt;        /* the payload type the timing figures follow */
	uint8_t cand_pt, cand_run; /* another one seen in a row */
	uint8_t pts[MEDIA_MAX_PTS]; /* payload types seen, with their packets */
	uint64_t ptn[MEDIA_MAX_PTS];
	unsigned npts;
	uint64_t answered[FLOW_MAX_CALLS]; /* per member: packets after its answer */
	int64_t pt_ns[MEDIA_MAX_PTS]; /* when each of pts[] was first seen */
	uint64_t pt_frame[MEDIA_MAX_PTS]; /* and in which frame */
	uint8_t owners;        /* bit i: the stream is member i's (its span covered it) */
	bool sealed;           /* ended by a span boundary: later packets start another */
	bool from_seal;        /* started when a span boundary sealed the previous one */
};

#define FLOW_MAX_MAP 12

struct fmember {
	struct call *call;
	const struct media_ann *ann;
	enum media_match match;
	int8_t from_caller;
	int64_t from_ns; /* the span starts (the matching SDP less the grace) */
};

struct pt_map {
	uint8_t pt;
	bool event;
	uint32_t clock;
	char name[24];
};

struct mflow {
	struct pt_map map[FLOW_MAX_MAP];
	unsigned nmap;
	char media[12];
	struct endpoint src, dst;
	uint32_t input, hash;
	struct mflow *hnext;
	struct mflow *oprev, *onext; /* unmatched flows, least recently active first */
	bool in_lru;
	/* The calls the flow belongs to: several when their SDPs share the
	 * addresses (B2BUA legs with direct media after a re-INVITE). A slot
	 * whose call was finalised keeps its place (call NULL). */
	struct fmember mem[FLOW_MAX_CALLS];
	unsigned nmem, nlive;
	uint32_t gen;
	int64_t match_ns; /* when the addresses were last looked up */
	uint32_t map_key; /* the members' announcements the map was made from */
	int64_t last_ns;
	struct rtp_live *st;
	uint32_t nst, stcap;
};

struct seen_ip {
	uint32_t input, hash;
	uint8_t family, ip[16];
	struct seen_ip *next;
};

struct media_table {
	media_orphan_fn orphan;
	void *ud;
	struct mflow **fb;
	size_t nfb, nflows;
	struct media_key **kb;
	size_t nkb, nkeys;
	struct seen_ip **sb;
	size_t nsb, nseen;
	struct mflow *ohead, *otail;
	uint32_t gen;
	int64_t now;
};

static uint32_t mix(uint32_t h)
{
	return (uint32_t)hash_mix64(h);
}

static uint32_t ep_hash(const struct endpoint *e, uint32_t input)
{
	uint64_t a, b;
	memcpy(&a, e->ip, 8);
	memcpy(&b, e->ip + 8, 8);
	uint64_t c = (uint64_t)e->port | (uint64_t)e->family << 16 | (uint64_t)input << 32;
	return (uint32_t)hash_mix64(a * 0x9E3779B97F4A7C15ULL ^ hash_mix64(b ^ c * 0xD6E8FEB86659FD93ULL));
}

static uint32_t flow_hash(const struct endpoint *s, const struct endpoint *d, uint32_t input)
{
	return (uint32_t)hash_mix64((uint64_t)ep_hash(s, input) << 32 | ep_hash(d, input));
}

void media_table_set_orphan(struct media_table *mt, media_orphan_fn orphan, void *ud)
{
	mt->orphan = orphan;
	mt->ud = ud;
}

struct media_table *media_table_new(void)
{
	struct media_table *mt = xcalloc(1, sizeof *mt);
	mt->nfb = 1024;
	mt->fb = xcalloc(mt->nfb, sizeof *mt->fb);
	mt->nkb = 1024;
	mt->kb = xcalloc(mt->nkb, sizeof *mt->kb);
	mt->nsb = 256;
	mt->sb = xcalloc(mt->nsb, sizeof *mt->sb);
	mt->now = INT64_MIN;
	return mt;
}

/* ---- the address index ---- */

/* Doubles a chained hash table (tab, n buckets) whose entries keep their
 * hash in ->hash and their chain link in ->LINK. */
#define REHASH(tab, n, type, link)                                                 \
	do {                                                                       \
		size_t nb_ = (n) * 2;                                              \
		type **b_ = xcalloc(nb_, sizeof *b_);                              \
		for (size_t i_ = 0; i_ < (n); i_++) {                              \
			type *e_ = (tab)[i_], *x_;                                 \
			for (; e_; e_ = x_) {                                      \
				x_ = e_->link;                                     \
				e_->link = b_[e_->hash & (nb_ - 1)];               \
				b_[e_->hash & (nb_ - 1)] = e_;                     \
			}                                                          \
		}                                                                  \
		free(tab);                                                         \
		(tab) = b_;                                                        \
		(n) = nb_;                                                         \
	} while (0)

static void ann_key(struct media_table *mt, struct media_ann *a, const struct endpoint *ep, uint32_t input)
{
	if (!ep->family || !ep->port || ip_unspecified(ep->family, ep->ip))
		return;
	for (unsigned i = 0; i < a->nkeys; i++)
		if (endpoint_eq(&a->keys[i].ep, ep))
			return;
	if (a->nkeys == ANN_MAX_KEYS)
		return;
	if (mt->nkeys >= mt->nkb)
		REHASH(mt->kb, mt->nkb, struct media_key, hnext);
	struct media_key *k = &a->keys[a->nkeys++];
	k->ep = *ep;
	k->input = input;
	k->hash = ep_hash(ep, input);
	k->ann = a;
	k->hnext = mt->kb[k->hash & (mt->nkb - 1)];
	mt->kb[k->hash & (mt->nkb - 1)] = k;
	mt->nkeys++;
}

static void ann_unindex(struct media_table *mt, struct media_ann *a)
{
	for (unsigned i = 0; i < a->nkeys; i++) {
		struct media_key *k = &a->keys[i];
		struct media_key **pp = &mt->kb[k->hash & (mt->nkb - 1)];
		while (*pp && *pp != k)
			pp = &(*pp)->hnext;
		if (*pp) {
			*pp = k->hnext;
			mt->nkeys--;
		}
	}
	a->nkeys = 0;
}

static bool sv_to_ep(struct sv addr, uint16_t port, struct endpoint *e)
{
	memset(e, 0, sizeof *e);
	int fam = ip_parse(addr.p, addr.len, e->ip);
	if (!fam)
		return false;
	e->family = (uint8_t)fam;
	e->port = port;
	return true;
}

static struct media_call *live_of(struct call *c)
{
	if (!c->media_live) {
		c->media_live = xcalloc(1, sizeof *c->media_live);
		c->media_live->answer_ns = -1;
		c->media_live->end_ns = INT64_MAX;
	}
	return c->media_live;
}

static bool proto_is_rtp(struct sv proto)
{
	for (size_t i = 0; i + 3 <= proto.len; i++)
		if (memcmp(proto.p + i, "RTP", 3) == 0)
			return true;
	return false;
}

void media_on_msg(struct media_table *mt, struct call *c, int32_t idx)
{
	struct call_msg *cm = &c->msgs[idx];
	struct sip_msg *m = cm->m;
	if (m->malformed || cm->flags & (CM_RETRANS | CM_DUPLICATE))
		return;
	bool req = m->start.is_request;
	if (!req && m->start.status >= 200 && m->start.status < 300 && cm->method == M_INVITE && cm->txn >= 0 &&
	    !c->txns[cm->txn].in_dialog) {
		struct media_call *mc = live_of(c);
		if (mc->answer_ns < 0)
			mc->answer_ns = msg_ns(m);
	}
	/* the media span: open while an INVITE dialog is up or an INVITE is
	 * pending; a BYE, CANCEL's 487, a failure closes it, a later INVITE or
	 * 2xx (a race, a new offer) opens it again */
	if (cm->method == M_INVITE || cm->method == M_BYE || cm->method == M_CANCEL) {
		struct media_call *mc = live_of(c);
		/* a BYE refused (500, 403: not 481/408, which say the dialog is
		 * gone) ended nothing: the media goes on until the next BYE */
		if (cm->method == M_BYE)
			mc->bye_refused = !req && m->start.status >= 300 && m->start.status != 481 &&
					  m->start.status != 408;
		/* INVITE transactions waiting for their final response, kept
		 * as a count (a call of many re-INVITEs stays linear) */
		if (cm->method == M_INVITE && cm->txn >= 0) {
			const struct txn *t = &c->txns[cm->txn];
			if (req && t->req == idx)
				mc->pending_invites++;
			else if (!req && m->start.status >= 200 && t->final == idx && t->req >= 0 &&
				 mc->pending_invites)
				mc->pending_invites--;
		}
		bool open = mc->bye_refused || mc->pending_invites;
		for (uint32_t i = 0; i < c->ndialogs && !open; i++)
			open = c->dialogs[i].kind == M_INVITE && c->dialogs[i].state != DLG_TERMINATED;
		if (open)
			mc->end_ns = INT64_MAX;
		else if (mc->end_ns == INT64_MAX)
			mc->end_ns = msg_ns(m);
	}
	const struct sdp *sdp = sip_msg_sdp_get(m);
	if (!sdp)
		return;
	/* Requests are sent by the side their From tag names; responses by the
	 * other side. A response outside any dialog answers the caller. */
	bool caller = req ? cm->caller_dir : (cm->dialog >= 0 ? !cm->caller_dir : false);
	struct media_call *mc = live_of(c);
	for (unsigned k = 0; k < sdp->nmedia; k++) {
		const struct sdp_media *md = &sdp->media[k];
		if (!md->port || !proto_is_rtp(md->proto))
			continue;
		struct media_ann *a = xcalloc(1, sizeof *a);
		a->call = c;
		a->msg = idx;
		a->dialog = cm->dialog;
		a->mline = (int16_t)k;
		a->caller = caller;
		a->dir = md->dir;
		a->ns = msg_ns(m);
		if (!sv_to_ep(md->conn.addr, md->port, &a->rtp))
			memset(&a->rtp, 0, sizeof a->rtp);
		ann_key(mt, a, &a->rtp, c->input);
		if (!md->rtcp_mux && a->rtp.family) {
			struct endpoint r = a->rtp;
			if (md->rtcp_port) {
				r.port = md->rtcp_port;
				struct endpoint rc;
				if (md->rtcp_conn.family && sv_to_ep(md->rtcp_conn.addr, md->rtcp_port, &rc))
					r = rc;
			} else if (a->rtp.port < 65535) {
				r.port = (uint16_t)(a->rtp.port + 1);
			}
			ann_key(mt, a, &r, c->input);
		}
		for (unsigned i = 0; i < md->ncand; i++) {
			struct endpoint ce;
			if (sv_to_ep(md->cand[i].addr, md->cand[i].port, &ce))
				ann_key(mt, a, &ce, c->input);
		}
		a->next = mc->anns;
		mc->anns = a;
		mc->nanns++;
		mt->gen++;
	}
}

/* ---- seen addresses ---- */

static uint32_t ip_hash(uint32_t input, uint8_t family, const uint8_t *ip)
{
	return mix(hash_bytes(ip, 16, input * 2654435761u ^ family));
}

static void seen_add(struct media_table *mt, uint32_t input, const struct endpoint *e)
{
	uint32_t h = ip_hash(input, e->family, e->ip);
	for (struct seen_ip *s = mt->sb[h & (mt->nsb - 1)]; s; s = s->next)
		if (s->input == input && s->family == e->family && memcmp(s->ip, e->ip, 16) == 0)
			return;
	if (mt->nseen >= mt->nsb)
		REHASH(mt->sb, mt->nsb, struct seen_ip, next);
	struct seen_ip *s = xmalloc(sizeof *s);
	s->hash = h;
	s->input = input;
	s->family = e->family;
	memcpy(s->ip, e->ip, 16);
	s->next = mt->sb[h & (mt->nsb - 1)];
	mt->sb[h & (mt->nsb - 1)] = s;
	mt->nseen++;
}

/* Did the input carry RTP to or from this address (any port)? */
static bool media_addr_seen(const struct media_table *mt, uint32_t input, const struct endpoint *e)
{
	uint32_t h = ip_hash(input, e->family, e->ip);
	for (struct seen_ip *s = mt->sb[h & (mt->nsb - 1)]; s; s = s->next)
		if (s->input == input && s->family == e->family && memcmp(s->ip, e->ip, 16) == 0)
			return true;
	return false;
}

static void seen_clear(struct media_table *mt, uint32_t input)
{
	for (size_t i = 0; i < mt->nsb; i++) {
		struct seen_ip **pp = &mt->sb[i];
		while (*pp) {
			if ((*pp)->input == input) {
				struct seen_ip *s = *pp;
				*pp = s->next;
				free(s);
				mt->nseen--;
			} else {
				pp = &(*pp)->next;
			}
		}
	}
}

/* ---- flows ---- */

static void lru_unlink(struct media_table *mt, struct mflow *f)
{
	if (!f->in_lru)
		return;
	if (f->oprev)
		f->oprev->onext = f->onext;
	else
		mt->ohead = f->onext;
	if (f->onext)
		f->onext->oprev = f->oprev;
	else
		mt->otail = f->oprev;
	f->oprev = f->onext = NULL;
	f->in_lru = false;
}

static void lru_append(struct media_table *mt, struct mflow *f)
{
	f->onext = NULL;
	f->oprev = mt->otail;
	if (mt->otail)
		mt->otail->onext = f;
	else
		mt->ohead = f;
	mt->otail = f;
	f->in_lru = true;
}

static struct mflow *flow_find(const struct media_table *mt, uint32_t input, const struct endpoint *s,
			       const struct endpoint *d, uint32_t h)
{
	for (struct mflow *f = mt->fb[h & (mt->nfb - 1)]; f; f = f->hnext)
		if (f->hash == h && f->input == input && endpoint_eq(&f->src, s) && endpoint_eq(&f->dst, d))
			return f;
	return NULL;
}

static void flow_remove(struct media_table *mt, struct mflow *f)
{
	struct mflow **pp = &mt->fb[f->hash & (mt->nfb - 1)];
	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	mt->nflows--;
	lru_unlink(mt, f);
	free(f->st);
	free(f);
}

/* The newest announcement of one party for one m= line made at or before
 * t (else the oldest one after it). */
static const struct media_ann *party_ann(const struct media_call *mc, bool caller, int mline, int64_t t)
{
	const struct media_ann *after = NULL;
	for (const struct media_ann *a = mc->anns; a; a = a->next) {
		if (a->caller != caller || a->mline != mline)
			continue;
		if (a->ns <= t)
			return a;
		after = a;
	}
	return after;
}

static bool ann_has(const struct media_ann *a, const struct endpoint *e)
{
	for (unsigned i = 0; i < a->nkeys; i++)
		if (endpoint_eq(&a->keys[i].ep, e))
			return true;
	return false;
}

/* Copies of one SDP on several hops (a proxy or relay rewriting c=/m= on
 * the way) arrive within this much of each other. */
#define HOP_NS 1000000000LL

/* Does the SDP of a's party in force with a name e, on any hop: a or
 * another announcement of the same party and m= line made just before it? */
static bool party_names(const struct media_call *mc, const struct media_ann *a, const struct endpoint *e)
{
	for (const struct media_ann *b = mc->anns; b; b = b->next)
		if (b->caller == a->caller && b->mline == a->mline && b->ns <= a->ns && b->ns >= a->ns - HOP_NS &&
		    ann_has(b, e))
			return true;
	return false;
}

static bool flow_has_call(const struct mflow *f, const struct call *c)
{
	for (unsigned i = 0; i < f->nmem; i++)
		if (f->mem[i].call == c)
			return true;
	return false;
}

static void flow_attach(struct media_table *mt, struct mflow *f, const struct media_ann *a, enum media_match how,
			int8_t from_caller)
{
	if (f->nmem == FLOW_MAX_CALLS || flow_has_call(f, a->call))
		return;
	struct media_call *mc = live_of(a->call);
	f->mem[f->nmem++] = (struct fmember){ a->call, a, how, from_caller, a->ns - SPAN_GRACE_NS };
	f->nlive++;
	if (mc->nflows == mc->flows_cap) {
		mc->flows_cap = mc->flows_cap ? mc->flows_cap * 2 : 4;
		mc->flows = xrealloc(mc->flows, mc->flows_cap * sizeof *mc->flows);
	}
	mc->flows[mc->nflows++] = f;
	lru_unlink(mt, f);
	mt->gen++; /* the opposite flow may match by reversal now */
}

/* Every call whose SDP announced the flow's destination (it receives) or
 * source (it sends) takes the flow; failing both, the calls of the
 * opposite flow do (the far end latched onto a NAT's address). */
static void flow_match(struct media_table *mt, struct mflow *f)
{
	f->gen = mt->gen;
	for (int end = 0; end < 2; end++) {
		const struct endpoint *e = end ? &f->src : &f->dst;
		uint32_t h = ep_hash(e, f->input);
		for (struct media_key *k = mt->kb[h & (mt->nkb - 1)]; k; k = k->hnext)
			if (k->hash == h && k->input == f->input && endpoint_eq(&k->ep, e))
				flow_attach(mt, f, k->ann, end ? MATCH_SDP_SRC : MATCH_SDP_DST,
					    (int8_t)(end ? k->ann->caller : !k->ann->caller));
	}
	if (f->nmem)
		return;
	uint32_t h = flow_hash(&f->dst, &f->src, f->input);
	struct mflow *rev = flow_find(mt, f->input, &f->dst, &f->src, h);
	for (unsigned i = 0; rev && i < rev->nmem; i++) {
		const struct fmember *m = &rev->mem[i];
		if (m->call && m->match != MATCH_REVERSE)
			flow_attach(mt, f, m->ann, MATCH_REVERSE, m->from_caller < 0 ? -1 : (int8_t)!m->from_caller);
	}
}

/* The payload types of a flow from the receiver's SDP (RFC 3264 §5.1:
 * payload type numbers are those the receiver announced), else the
 * sender's; the static table (RFC 3551) for the rest. */
static void flow_map(struct mflow *f, int64_t t)
{
	f->nmap = 0;
	f->media[0] = 0;
	const struct fmember *fm = NULL;
	for (unsigned i = 0; i < f->nmem && !fm; i++)
		if (f->mem[i].call)
			fm = &f->mem[i];
	if (!fm || !fm->call->media_live)
		return;
	const struct media_call *mc = fm->call->media_live;
	const struct media_ann *a = NULL;
	if (fm->from_caller >= 0)
		a = party_ann(mc, !fm->from_caller, fm->ann->mline, t);
	if (!a)
		a = fm->ann;
	struct sdp sdp;
	if (!sip_msg_sdp_parse(fm->call->msgs[a->msg].m, &sdp) || a->mline >= (int)sdp.nmedia)
		return;
	const struct sdp_media *md = &sdp.media[a->mline];
	size_t n = md->type.len < sizeof f->media - 1 ? md->type.len : sizeof f->media - 1;
	memcpy(f->media, md->type.p, n);
	f->media[n] = 0;
	for (unsigned i = 0; i < md->nmap && f->nmap < FLOW_MAX_MAP; i++) {
		struct pt_map *m = &f->map[f->nmap++];
		m->pt = (uint8_t)md->map[i].pt;
		m->clock = md->map[i].clock;
		m->event = md->map[i].encoding.len == 15 &&
			   strncasecmp(md->map[i].encoding.p, "telephone-event", 15) == 0;
		int e = (int)(md->map[i].encoding.len < 20 ? md->map[i].encoding.len : 20);
		snprintf(m->name, sizeof m->name, "%.*s/%u", e, md->map[i].encoding.p, m->clock);
	}
}

/* Clock rate of a payload type on a flow (0 unknown); *event for RFC 4733
 * telephone events, whose timestamps do not advance. */
static uint32_t pt_clock(const struct mflow *f, uint8_t pt, bool *event)
{
	*event = false;
	for (unsigned i = 0; i < f->nmap; i++)
		if (f->map[i].pt == pt) {
			*event = f->map[i].event;
			return f->map[i].clock;
		}
	return rtp_static_clock(pt);
}

static void pt_name(const struct mflow *f, uint8_t pt, char *buf, size_t size)
{
	for (unsigned i = 0; i < f->nmap; i++)
		if (f->map[i].pt == pt) {
			snprintf(buf, size, "%s", f->map[i].name);
			return;
		}
	const char *n = rtp_static_name(pt);
	if (n)
		snprintf(buf, size, "%s/%u", n, rtp_static_clock(pt));
	else
		buf[0] = 0;
}

/* Does member m's span cover time t: from its SDP (less the grace) until
 * its call ended (plus the grace)? A finalised member covers nothing. */
static bool member_covers(const struct fmember *m, int64_t t)
{
	if (!m->call || t < m->from_ns)
		return false;
	const struct media_call *mc = m->call->media_live;
	return !mc || mc->end_ns == INT64_MAX || t - SPAN_GRACE_NS <= mc->end_ns;
}

/* Had member m's call ended by t (only its grace left)? */
static bool member_ended(const struct fmember *m, int64_t t)
{
	if (!m->call)
		return true;
	const struct media_call *mc = m->call->media_live;
	return mc && mc->end_ns != INT64_MAX && mc->end_ns <= t;
}

/* The members a stream starting at t belongs to: those whose span covers
 * t; when a call that has not ended is among them, the ended ones (in
 * their grace) are left out: the new stream is the new call's. */
static uint8_t span_mask(const struct mflow *f, int64_t t)
{
	uint8_t cover = 0, live = 0;
	for (unsigned i = 0; i < f->nmem; i++)
		if (member_covers(&f->mem[i], t)) {
			cover |= (uint8_t)(1u << i);
			if (!member_ended(&f->mem[i], t))
				live |= (uint8_t)(1u << i);
		}
	return live ? live : cover;
}

/* The stream of an SSRC on a flow at time t. A stream is per SSRC and per
 * call span: when the calls whose span covers t are no longer the ones the
 * stream started under (its call ended and another call's SDP names the
 * same addresses, or nobody's does), the stream is sealed and the packet
 * starts a new one (port reuse by the next call; SIPp even reuses the
 * SSRC). A call joining a stream whose calls are still up shares it (B2BUA
 * legs with direct media); a stream from before any SDP is adopted. */
static struct rtp_live *stream_of(struct mflow *f, uint32_t ssrc, int64_t t)
{
	uint8_t now = f->nmem ? span_mask(f, t) : 0;
	bool sealed = false;
	for (uint32_t i = 0; i < f->nst; i++) {
		struct rtp_live *L = &f->st[i];
		if (L->s.ssrc != ssrc || L->sealed)
			continue;
		uint8_t gone = (uint8_t)(L->owners & ~now), joined = (uint8_t)(now & ~L->owners);
		if (!gone && !joined)
			return L;
		uint8_t keep = L->owners & now;
		bool seal;
		if (keep) {
			bool ended = true;
			for (unsigned j = 0; j < f->nmem; j++)
				if (keep >> j & 1 && !member_ended(&f->mem[j], t))
					ended = false;
			seal = joined && ended;
		} else {
			seal = L->owners || L->from_seal;
		}
		if (!seal) {
			/* a call that was the stream's keeps it: its copy
			 * is taken when the call is finalised */
			L->owners |= joined;
			return L;
		}
		L->sealed = true;
		sealed = true;
		break;
	}
	if (f->nst == MAX_SSRC_PER_FLOW)
		return NULL;
	if (f->nst == f->stcap) {
		f->stcap = f->stcap ? f->stcap * 2 : 1;
		f->st = xrealloc(f->st, f->stcap * sizeof *f->st);
	}
	struct rtp_live *L = &f->st[f->nst++];
	memset(L, 0, sizeof *L);
	L->s.ssrc = ssrc;
	L->owners = now;
	L->from_seal = sealed;
	return L;
}

static void pt_count(struct rtp_live *L, uint8_t pt, int64_t ns, uint64_t frame)
{
	for (unsigned i = 0; i < L->npts; i++)
		if (L->pts[i] == pt) {
			L->ptn[i]++;
			return;
		}
	if (L->npts < MEDIA_MAX_PTS) {
		L->pts[L->npts] = pt;
		L->pt_ns[L->npts] = ns;
		L->pt_frame[L->npts] = frame;
		L->ptn[L->npts++] = 1;
	}
}

static void rtp_update(struct media_table *mt, struct mflow *f, struct rtp_live *L, const struct media_pkt *p)
{
	struct media_stream *s = &L->s;
	const struct rtp_hdr *h = &p->u.rtp;
	bool first = s->packets == 0;
	bool event;
	uint32_t clock = pt_clock(f, h->pt, &event);
	/* comfort noise (RFC 3389) and telephone events ride along the media */
	bool aside = h->pt == 13 || h->pt == 19 || event;
	if (first) {
		s->src = f->src;
		s->dst = f->dst;
		s->pt = h->pt;
		s->first_frame = p->frame;
		s->start_ns = p->ns;
		s->end_ns = p->ns;
		s->jitter_mean_ms = s->jitter_max_ms = -1;
		rtp_seq_init(&L->seq, h->seq);
		L->cur_pt = h->pt;
		rtp_jitter_init(&L->jit, clock);
	} else if (h->pt != L->cur_pt && !aside) {
		/* a payload type switch once three packets in a row carry it */
		L->cand_run = h->pt == L->cand_pt ? L->cand_run + 1 : 1;
		L->cand_pt = h->pt;
		if (L->cand_run >= 3) {
			L->cur_pt = h->pt;
			rtp_jitter_restart(&L->jit, clock);
		}
	} else if (h->pt == L->cur_pt) {
		L->cand_run = 0;
	}
	pt_count(L, h->pt, p->ns, p->frame);
	bool same_pt = h->pt == L->cur_pt;
	bool fresh = true;
	/* Like Wireshark's analysis, the figures leave out a talkspurt's first
	 * packet (marker) and comfort noise with the packet after it: their
	 * gaps are silence, not delay. */
	bool cn = h->pt == 13 || h->pt == 19;
	bool regular = !h->marker && !cn && !L->after_cn;
	L->after_cn = cn;
	if (!first) {
		int64_t delta = p->ns - L->last_ns;
		if (delta > 0 && regular && delta / 1e6 > s->max_delta_ms) {
			s->max_delta_ms = delta / 1e6;
			s->max_delta_frame = p->frame;
		}
		L->seq.gap = 0;
		L->seq.late = false;
		fresh = rtp_seq_update(&L->seq, h->seq, same_pt);
	}
	double jsample = -1;
	L->last_ns = p->ns;
	s->packets++;
	s->bytes += h->payload_len;
	s->last_frame = p->frame;
	if (p->ns > s->end_ns)
		s->end_ns = p->ns;
	for (unsigned i = 0; i < f->nmem; i++) {
		const struct call *c = f->mem[i].call;
		if (c && L->owners >> i & 1 && c->media_live && c->media_live->answer_ns >= 0 && p->ns >= c->media_live->answer_ns)
			L->answered[i]++;
	}
	/* RFC 3550 A.8 on the main payload type's packets */
	if (same_pt && fresh)
		jsample = rtp_jitter_update(&L->jit, p->ns, h->ts, h->seq, regular);
	if (first)
		s->series.t0_ns = p->ns;
	media_series_add(&s->series, p->ns, L->seq.gap, L->seq.late, jsample);
	if (!L->valid && (f->nmem || L->seq.probation + 1 >= MIN_SEQUENTIAL))
		L->valid = true;
	if (L->valid && !L->noted) {
		L->noted = true;
		seen_add(mt, f->input, &f->src);
		seen_add(mt, f->input, &f->dst);
	}
}

static struct rtcp_rec *rtcp_rec(struct media_call *mc, uint32_t ssrc)
{
	for (uint32_t i = 0; i < mc->nrtcp; i++)
		if (mc->rtcp[i].ssrc == ssrc)
			return &mc->rtcp[i];
	if (mc->nrtcp >= 64)
		return NULL;
	if (mc->nrtcp == mc->rtcp_cap) {
		mc->rtcp_cap = mc->rtcp_cap ? mc->rtcp_cap * 2 : 4;
		mc->rtcp = xrealloc(mc->rtcp, mc->rtcp_cap * sizeof *mc->rtcp);
	}
	struct rtcp_rec *r = &mc->rtcp[mc->nrtcp++];
	memset(r, 0, sizeof *r);
	r->ssrc = ssrc;
	return r;
}

static void rtcp_update(struct media_call *mc, const struct rtcp_info *in)
{
	struct rtcp_rec *r;
	if (in->sr && (r = rtcp_rec(mc, in->ssrc))) {
		r->r.sr++;
		r->r.sender_packets = in->pkt_count;
		r->r.sender_octets = in->octet_count;
	}
	for (unsigned i = 0; i < in->nblocks; i++) {
		const struct rtcp_block *b = &in->blocks[i];
		if (!(r = rtcp_rec(mc, b->ssrc)))
			continue;
		r->r.rr++;
		double pct = b->fraction * 100.0 / 256;
		if (pct > r->r.fraction_lost_max)
			r->r.fraction_lost_max = pct;
		r->r.cum_lost = b->cum_lost;
		if (b->jitter > r->jitter_max)
			r->jitter_max = b->jitter;
	}
}

static void expire_orphans(struct media_table *mt, bool all, uint32_t input);

void media_packet(struct media_table *mt, const struct media_pkt *p)
{
	if (p->ns > mt->now) {
		bool tick = mt->now == INT64_MIN || p->ns / 1000000000 != mt->now / 1000000000;
		mt->now = p->ns;
		if (tick)
			expire_orphans(mt, false, 0);
	}
	uint32_t h = flow_hash(&p->src, &p->dst, p->input);
	struct mflow *f = flow_find(mt, p->input, &p->src, &p->dst, h);
	if (!f) {
		if (mt->nflows >= mt->nfb)
			REHASH(mt->fb, mt->nfb, struct mflow, hnext);
		f = xcalloc(1, sizeof *f);
		f->src = p->src;
		f->dst = p->dst;
		f->input = p->input;
		f->hash = h;
		f->gen = mt->gen - 1;
		f->match_ns = INT64_MIN;
		f->hnext = mt->fb[h & (mt->nfb - 1)];
		mt->fb[h & (mt->nfb - 1)] = f;
		mt->nflows++;
		lru_append(mt, f);
	}
	/* new SDP since the last look: look again, at most every 200 ms of
	 * capture time (a flow's figures do not depend on when it is tied) */
	if (f->gen != mt->gen &&
	    (f->match_ns == INT64_MIN || p->ns - f->match_ns >= MATCH_INTERVAL_NS || p->ns < f->match_ns)) {
		f->match_ns = p->ns;
		if (f->nmem < FLOW_MAX_CALLS)
			flow_match(mt, f);
		f->gen = mt->gen;
		uint32_t key = f->nmem;
		for (unsigned i = 0; i < f->nmem; i++)
			if (f->mem[i].call && f->mem[i].call->media_live)
				key = key * 31 + f->mem[i].call->media_live->nanns;
		if (f->nmem && key != f->map_key) {
			/* the payload types in force now (a re-INVITE may have
			 * renegotiated them) */
			f->map_key = key;
			flow_map(f, p->ns);
			for (uint32_t i = 0; i < f->nst; i++) {
				bool ev;
				uint32_t clock = pt_clock(f, f->st[i].cur_pt, &ev);
				if (clock != f->st[i].jit.clock)
					rtp_jitter_restart(&f->st[i].jit, clock);
			}
		}
	}
	f->last_ns = p->ns;
	if (f->in_lru) {
		lru_unlink(mt, f);
		lru_append(mt, f);
	}
	if (p->rtcp) {
		for (unsigned i = 0; i < f->nmem; i++)
			if (f->mem[i].call)
				rtcp_update(live_of(f->mem[i].call), &p->u.rtcp);
		return;
	}
	struct rtp_live *L = stream_of(f, p->u.rtp.ssrc, p->ns);
	if (L)
		rtp_update(mt, f, L, p);
}

/* ---- final figures ---- */

/* The encoding of payload type pt as the SDP of ann a maps it (RFC 4566
 * a=rtpmap); false when that SDP does not map it. */
static bool ann_rtpmap(const struct call *c, const struct media_ann *a, uint8_t pt, char *buf, size_t size,
		       uint32_t *clock)
{
	struct sdp sdp;
	if (!a || !sip_msg_sdp_parse(c->msgs[a->msg].m, &sdp) || a->mline >= (int)sdp.nmedia)
		return false;
	const struct sdp_media *md = &sdp.media[a->mline];
	for (unsigned i = 0; i < md->nmap; i++)
		if (md->map[i].pt == pt) {
			int e = (int)(md->map[i].encoding.len < 20 ? md->map[i].encoding.len : 20);
			snprintf(buf, size, "%.*s/%u", e, md->map[i].encoding.p, md->map[i].clock);
			*clock = md->map[i].clock;
			return true;
		}
	return false;
}

/* The final figures of a stream as member k of the flow sees them (k < 0:
 * no call). */
static void stream_final(struct mflow *f, struct rtp_live *L, int k)
{
	const struct fmember *fm = k >= 0 ? &f->mem[k] : NULL;
	struct media_stream *s = &L->s;
	/* the stream's payload type: the one most packets carried, comfort
	 * noise and events aside */
	unsigned top = 0;
	bool top_aside = true;
	for (unsigned i = 0; i < L->npts; i++) {
		bool ev;
		pt_clock(f, L->pts[i], &ev);
		bool aside = L->pts[i] == 13 || L->pts[i] == 19 || ev;
		if (i == 0 || (top_aside && !aside) || (aside == top_aside && L->ptn[i] > L->ptn[top])) {
			top = i;
			top_aside = aside;
		}
	}
	if (L->npts) {
		bool ev;
		s->pt = L->pts[top];
		s->clock = pt_clock(f, s->pt, &ev);
		s->other_pt_packets = s->packets - L->ptn[top];
	}
	s->npts = (uint8_t)L->npts;
	for (unsigned i = 0; i < L->npts; i++)
		s->pts[i] = (struct media_pt){ L->pts[i], L->ptn[i], L->pt_frame[i], L->pt_ns[i] };
	pt_name(f, s->pt, s->codec, sizeof s->codec);
	/* a dynamic payload type means what the offer/answer in force when its
	 * packets flowed said (the receiver's SDP, RFC 3264 §5.1, else the
	 * sender's): a re-INVITE may have renegotiated it since */
	if (fm && fm->call && fm->call->media_live && L->npts && s->pt >= 96) {
		const struct media_call *mc = fm->call->media_live;
		int64_t t = L->pt_ns[top];
		uint32_t clock = 0;
		bool ok = false;
		if (fm->from_caller >= 0) {
			ok = ann_rtpmap(fm->call, party_ann(mc, !fm->from_caller, fm->ann->mline, t), s->pt, s->codec,
					sizeof s->codec, &clock) ||
			     ann_rtpmap(fm->call, party_ann(mc, fm->from_caller, fm->ann->mline, t), s->pt, s->codec,
					sizeof s->codec, &clock);
		} else {
			ok = ann_rtpmap(fm->call, fm->ann, s->pt, s->codec, sizeof s->codec, &clock);
		}
		if (ok && clock)
			s->clock = clock;
	}
	memcpy(s->media, f->media, sizeof s->media);
	s->match = fm ? fm->match : MATCH_NONE;
	s->from_caller = fm ? fm->from_caller : -1;
	s->dialog = fm ? fm->ann->dialog : -1;
	s->sdp_msg = fm ? fm->ann->msg : -1;
	s->mline = fm ? fm->ann->mline : -1;
	s->answered_packets = fm ? L->answered[k] : 0;
	s->src_differs = s->dst_differs = s->sdp_dst_private = s->has_rtcp = false;
	s->leg = 0;
	s->relay_in_sdp = false;
	memset(&s->relay, 0, sizeof s->relay);
	memset(&s->rtcp, 0, sizeof s->rtcp);
	s->duplicates = L->seq.duplicates;
	s->out_of_order = L->seq.out_of_order;
	s->seq_restarts = L->seq.restarts;
	s->expected = rtp_seq_expected(&L->seq);
	uint64_t received = s->packets - s->duplicates - L->seq.ignored;
	s->lost = s->expected > received ? s->expected - received : 0;
	s->jitter_mean_ms = rtp_jitter_mean_ms(&L->jit);
	s->jitter_max_ms = !L->jit.clock ? -1 : L->jit.max_ms < 0 ? 0 : L->jit.max_ms;
	s->burst_ratio = emodel_burst_ratio(s->lost, L->seq.loss_runs, received);
	double ptime = L->jit.clock && L->jit.ts_step ? L->jit.ts_step * 1000.0 / L->jit.clock : 20;
	media_quality(s, ptime);

	if (!fm || !fm->call->media_live || fm->from_caller < 0)
		return;
	const struct media_call *mc = fm->call->media_live;
	struct call *c = fm->call;
	const struct media_ann *snd = party_ann(mc, fm->from_caller, fm->ann->mline, s->start_ns);
	const struct media_ann *rcv = party_ann(mc, !fm->from_caller, fm->ann->mline, s->start_ns);
	if (snd && snd->rtp.family && !party_names(mc, snd, &s->src)) {
		s->src_differs = true;
		s->sdp_src = snd->rtp;
	}
	/* an initial INVITE's SDP belongs to no dialog yet: the answer's does */
	if (s->dialog < 0)
		s->dialog = rcv && rcv->dialog >= 0 ? rcv->dialog : snd && snd->dialog >= 0 ? snd->dialog : -1;
	if (rcv && rcv->rtp.family && !party_names(mc, rcv, &s->dst)) {
		s->dst_differs = true;
		s->sdp_dst = rcv->rtp;
	}
	/* sent to a private address the receiver announced, from a public one,
	 * while the receiver's signalling came from another address: the
	 * capture is on the public side, where that address leads nowhere */
	if (rcv && !s->dst_differs && ip_private(s->dst.family, s->dst.ip) && !ip_private(s->src.family, s->src.ip)) {
		const struct sip_msg *m = c->msgs[rcv->msg].m;
		if (m->src.family && (m->src.family != s->dst.family || memcmp(m->src.ip, s->dst.ip, 16) != 0))
			s->sdp_dst_private = true;
	}
	for (uint32_t i = 0; i < mc->nrtcp; i++) {
		const struct rtcp_rec *r = &mc->rtcp[i];
		if (r->ssrc != s->ssrc)
			continue;
		s->has_rtcp = true;
		s->rtcp = r->r;
		s->rtcp.jitter_max_ms = s->clock ? r->jitter_max * 1000.0 / s->clock : -1;
	}
}

static void orphan_report(struct media_table *mt, struct mflow *f, struct rtp_live *L)
{
	if (!L->valid)
		return;
	stream_final(f, L, -1);
	if (mt->orphan)
		mt->orphan(mt->ud, f->input, &L->s);
}

/* A flow none of whose calls is left: its streams no call's span covered
 * are reported apart, then it goes. */
static void flow_retire(struct media_table *mt, struct mflow *f)
{
	for (uint32_t i = 0; i < f->nst; i++)
		if (!f->st[i].owners)
			orphan_report(mt, f, &f->st[i]);
	flow_remove(mt, f);
}

/* After a member's call was finalised: the streams only finalised calls
 * owned are done with, and so are those calls' slots (a port reused call
 * after call keeps one flow, with a few members and streams at a time). */
static void flow_compact(struct mflow *f)
{
	uint8_t live = 0;
	for (unsigned k = 0; k < f->nmem; k++)
		if (f->mem[k].call)
			live |= (uint8_t)(1u << k);
	uint32_t n = 0;
	for (uint32_t i = 0; i < f->nst; i++) {
		struct rtp_live *L = &f->st[i];
		if (L->owners && !(L->owners & live))
			continue;
		L->owners &= live;
		if (n != i)
			f->st[n] = *L;
		n++;
	}
	f->nst = n;
	unsigned map[FLOW_MAX_CALLS], m = 0;
	for (unsigned k = 0; k < f->nmem; k++) {
		map[k] = m;
		if (f->mem[k].call)
			f->mem[m++] = f->mem[k];
	}
	if (m == f->nmem)
		return;
	for (uint32_t i = 0; i < f->nst; i++) {
		struct rtp_live *L = &f->st[i];
		uint8_t o = 0;
		uint64_t ans[FLOW_MAX_CALLS] = { 0 };
		for (unsigned k = 0; k < f->nmem; k++) /* old numbering */
			if (live >> k & 1) {
				if (L->owners >> k & 1)
					o |= (uint8_t)(1u << map[k]);
				ans[map[k]] = L->answered[k];
			}
		L->owners = o;
		memcpy(L->answered, ans, sizeof ans);
	}
	f->nmem = m;
}

static bool same_ip(const struct endpoint *a, const struct endpoint *b)
{
	return a->family == b->family && memcmp(a->ip, b->ip, 16) == 0;
}

/* Media relays: one SSRC in one direction sent into an address (leg 1) and
 * out of the same IP address to another (leg 2) at the same time is one
 * stream relayed, not two senders: each leg is counted on its own and the
 * shared address is the relay. Streams sorted by start. */
#define RELAY_MAX_STREAMS 256
static void find_relays(struct call *c)
{
	if (c->nmedia > RELAY_MAX_STREAMS)
		return;
	for (uint32_t i = 0; i < c->nmedia; i++) {
		struct media_stream *s = &c->media[i];
		for (uint32_t j = 0; j < c->nmedia; j++) {
			struct media_stream *r = &c->media[j];
			if (i == j || r->ssrc != s->ssrc || r->from_caller != s->from_caller || r->leg || s->leg == 1)
				continue;
			if (!same_ip(&s->dst, &r->src) || same_ip(&s->src, &r->dst) || same_ip(&s->src, &s->dst))
				continue;
			/* the relayed copy leaves while the original arrives */
			if (r->start_ns + HOP_NS < s->start_ns || r->start_ns > s->end_ns + HOP_NS)
				continue;
			s->leg = 1;
			s->relay = s->dst;
			r->leg = 2;
			r->relay = r->src;
			break;
		}
	}
	const struct media_call *mc = c->media_live;
	for (uint32_t i = 0; i < c->nmedia; i++) {
		struct media_stream *s = &c->media[i];
		for (const struct media_ann *a = mc->anns; s->leg && a && !s->relay_in_sdp; a = a->next)
			for (unsigned k = 0; k < a->nkeys && !s->relay_in_sdp; k++)
				s->relay_in_sdp = same_ip(&a->keys[k].ep, &s->relay);
	}
}

static int cmp_stream(const void *a, const void *b)
{
	const struct media_stream *x = a, *y = b;
	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	return x->first_frame < y->first_frame ? -1 : x->first_frame > y->first_frame;
}

void media_finish_call(struct media_table *mt, struct call *c)
{
	struct media_call *mc = c->media_live;
	if (!mc)
		return;
	size_t n = 0;
	for (uint32_t j = 0; j < mc->nflows; j++)
		n += mc->flows[j]->nst;
	c->media = n ? xmalloc(n * sizeof *c->media) : NULL;
	c->nmedia = 0;
	for (uint32_t j = 0; j < mc->nflows; j++) {
		struct mflow *f = mc->flows[j];
		int k = 0;
		while ((unsigned)k < f->nmem && f->mem[k].call != c)
			k++;
		for (uint32_t i = 0; i < f->nst; i++) {
			/* only the streams that started within the call's span */
			if ((unsigned)k >= f->nmem || !(f->st[i].owners >> k & 1))
				continue;
			stream_final(f, &f->st[i], k);
			c->media[c->nmedia++] = f->st[i].s;
		}
	}
	if (c->nmedia > 1)
		qsort(c->media, c->nmedia, sizeof *c->media, cmp_stream);
	find_relays(c);
	/* The capture point would see this call's media if it saw RTP of both
	 * parties' SDP addresses (media between two others bypasses it). */
	bool seen[2] = { false, false };
	for (struct media_ann *a = mc->anns; a; a = a->next)
		if (a->rtp.family && media_addr_seen(mt, c->input, &a->rtp))
			seen[a->caller] = true;
	c->media_visible = c->nmedia > 0 || (seen[0] && seen[1]);
	for (uint32_t j = 0; j < mc->nflows; j++) {
		struct mflow *f = mc->flows[j];
		for (unsigned k = 0; k < f->nmem; k++)
			if (f->mem[k].call == c) {
				f->mem[k].call = NULL;
				f->nlive--;
			}
		if (!f->nlive)
			flow_retire(mt, f);
		else
			flow_compact(f);
	}
	free(mc->flows);
	struct media_ann *a, *anext;
	for (a = mc->anns; a; a = anext) {
		anext = a->next;
		ann_unindex(mt, a);
		free(a);
	}
	free(mc->rtcp);
	free(mc);
	c->media_live = NULL;
}

/* Reports the RTP streams of an unmatched flow and frees it. */
static void orphan_flush(struct media_table *mt, struct mflow *f)
{
	for (uint32_t i = 0; i < f->nst; i++) {
		struct rtp_live *L = &f->st[i];
		if (!L->valid)
			continue;
		stream_final(f, L, -1);
		if (mt->orphan)
			mt->orphan(mt->ud, f->input, &L->s);
	}
	flow_remove(mt, f);
}

static void expire_orphans(struct media_table *mt, bool all, uint32_t input)
{
	if (all) {
		struct mflow *f, *next;
		for (f = mt->ohead; f; f = next) {
			next = f->onext;
			if (f->input == input)
				orphan_flush(mt, f);
		}
		return;
	}
	while (mt->ohead && mt->ohead->last_ns + ORPHAN_IDLE_NS < mt->now)
		orphan_flush(mt, mt->ohead);
}

void media_end_input(struct media_table *mt, uint32_t input)
{
	expire_orphans(mt, true, input);
	seen_clear(mt, input);
	mt->now = INT64_MIN;
}

void media_table_free(struct media_table *mt)
{
	if (!mt)
		return;
	for (size_t i = 0; i < mt->nfb; i++) {
		struct mflow *f = mt->fb[i], *next;
		for (; f; f = next) {
			next = f->hnext;
			free(f->st);
			free(f);
		}
	}
	for (size_t i = 0; i < mt->nsb; i++) {
		struct seen_ip *s = mt->sb[i], *next;
		for (; s; s = next) {
			next = s->next;
			free(s);
		}
	}
	free(mt->fb);
	free(mt->kb);
	free(mt->sb);
	free(mt);
}
