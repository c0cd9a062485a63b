/* model.c - one call's transactions (RFC 3261 §17.1.3, §17.2.3), dialogs
 * (§12) and SDP offer/answer exchanges (RFC 3264), built message by message. */
#include "model.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "sdp.h"
#include "xalloc.h"

static const char *const method_names[] = {
	[M_OTHER] = "", [M_INVITE] = "INVITE", [M_ACK] = "ACK", [M_BYE] = "BYE",
	[M_CANCEL] = "CANCEL", [M_REGISTER] = "REGISTER", [M_OPTIONS] = "OPTIONS",
	[M_INFO] = "INFO", [M_UPDATE] = "UPDATE", [M_PRACK] = "PRACK",
	[M_SUBSCRIBE] = "SUBSCRIBE", [M_NOTIFY] = "NOTIFY", [M_REFER] = "REFER",
	[M_MESSAGE] = "MESSAGE", [M_PUBLISH] = "PUBLISH",
};

enum sip_method sip_method_of(struct sv name)
{
	/* Methods are case-sensitive (RFC 3261 §7.1). */
	for (size_t i = 1; i < sizeof method_names / sizeof *method_names; i++) {
		size_t n = strlen(method_names[i]);
		if (name.len == n && memcmp(name.p, method_names[i], n) == 0)
			return (enum sip_method)i;
	}
	return M_OTHER;
}

const char *sip_method_name(enum sip_method m)
{
	return method_names[m];
}

const char *call_kind_name(enum call_kind k)
{
	static const char *const n[] = { "call", "registration", "subscription", "message", "options", "other" };
	return n[k];
}

const char *call_state_name(enum call_state s)
{
	static const char *const n[] = { "trying", "ringing", "answered", "completed", "cancelled",
					 "redirected", "rejected", "failed", "no-response", "registered",
					 "unregistered", "unknown" };
	return n[s];
}

const char *dialog_state_name(enum dialog_state s)
{
	static const char *const n[] = { "early", "confirmed", "terminated" };
	return n[s];
}

/* Arrays of a call grow one element at a time while small (most calls
 * hold a handful of messages and transactions: slack there is most of a
 * waiting call's memory), then by half. */
#define GROW(arr, n, cap, init)                                                        \
	do {                                                                           \
		if ((n) == (cap)) {                                                    \
			(cap) = (cap) ? ((cap) < 8 ? (cap) + 1 : (cap) + (cap) / 2) : (init); \
			(arr) = xrealloc((arr), (size_t)(cap) * sizeof *(arr));          \
		}                                                                      \
	} while (0)

void call_init(struct call *c, uint32_t input, struct sv call_id)
{
	memset(c, 0, sizeof *c);
	c->input = input;
	c->call_id = xstrndup(call_id.p ? call_id.p : "", call_id.len);
	c->call_id_len = call_id.len;
	c->kind = KIND_OTHER;
	c->state = ST_UNKNOWN;
	c->main_txn = -1;
	c->answer_ns = c->hangup_ns = c->setup_ns = -1;
	c->link_close_ns = INT64_MIN;
	c->duration_ns = c->capture_end_ns = -1;
}

const char *call_until_name(enum call_until u)
{
	static const char *const names[] = { "none", "bye", "last_rtp", "last_message", "capture_end" };
	return u <= UNTIL_CAPTURE_END ? names[u] : "none";
}

/* How long an answered call was up: to its first BYE; without one, to the
 * last sign of life the capture holds — its last RTP packet or message —
 * or, when the capture holds no media of it, to the end of the capture
 * (a port-5060 capture cannot tell a live call from a lost BYE). */
static void call_duration(struct call *c)
{
	c->duration_ns = -1;
	c->until = UNTIL_NONE;
	if (c->answer_ns < 0)
		return;
	int64_t until = c->end_ns;
	c->until = UNTIL_LAST_MESSAGE;
	if (c->hangup_ns >= 0) {
		until = c->hangup_ns;
		c->until = UNTIL_BYE;
	} else if (c->nmedia) {
		for (uint32_t i = 0; i < c->nmedia; i++)
			if (c->media[i].end_ns > until) {
				until = c->media[i].end_ns;
				c->until = UNTIL_LAST_RTP;
			}
	} else if (c->ended_input && c->capture_end_ns > until && !c->media_visible) {
		until = c->capture_end_ns;
		c->until = UNTIL_CAPTURE_END;
	}
	c->duration_ns = until > c->answer_ns ? until - c->answer_ns : 0;
}

void call_release(struct call *c)
{
	for (uint32_t i = 0; i < c->nmsgs; i++)
		sip_msg_free(c->msgs[i].m);
	for (uint32_t i = 0; i < c->nlinks; i++)
		free(c->links[i].call_id);
	free(c->msgs);
	free(c->txns);
	free(c->txn_tab);
	free(c->dlg_tab);
	free(c->copy_tab);
	free(c->dialogs);
	free(c->sdp);
	free(c->links);
	free(c->media);
	free(c->call_id);
}

static bool is_dialog_creating(enum sip_method m)
{
	return m == M_INVITE || m == M_SUBSCRIBE || m == M_REFER || m == M_NOTIFY;
}

static int kind_rank(enum sip_method m, enum call_kind *k)
{
	switch (m) {
	case M_INVITE: *k = KIND_CALL; return 5;
	case M_ACK: case M_BYE: case M_CANCEL: case M_PRACK: case M_UPDATE: case M_INFO: case M_REFER:
		*k = KIND_CALL; return 4;
	case M_REGISTER: *k = KIND_REGISTRATION; return 3;
	case M_SUBSCRIBE: case M_NOTIFY: *k = KIND_SUBSCRIPTION; return 3;
	case M_MESSAGE: *k = KIND_MESSAGE; return 2;
	case M_OPTIONS: *k = KIND_OPTIONS; return 2;
	default: *k = KIND_OTHER; return 1;
	}
}

/* ---- transactions ---- */

static bool magic_branch(struct sv b)
{
	return b.len > 7 && memcmp(b.p, "z9hG4bK", 7) == 0;
}

struct txn_key {
	enum sip_method method;
	struct sv branch, sent_by, from_tag;
	uint16_t sent_port;
	uint32_t cseq;
	bool rfc2543;
};

static void txn_key_of(struct sip_msg *m, enum sip_method method, struct txn_key *k)
{
	const struct sip_via *v = sip_msg_via(m);
	const struct sip_cseq *cs = sip_msg_cseq(m);
	const struct sip_tag *f = sip_msg_from_tag(m);
	memset(k, 0, sizeof *k);
	k->method = method;
	if (v->valid) {
		k->branch = v->branch;
		k->sent_by = v->host;
		k->sent_port = v->port;
	}
	k->from_tag = f->valid ? f->tag : SV_NULL;
	k->cseq = cs->valid ? cs->num : 0;
	k->rfc2543 = !magic_branch(k->branch);
}

static bool txn_matches(const struct txn *t, const struct txn_key *k)
{
	if (t->method != k->method || t->rfc2543 != k->rfc2543)
		return false;
	if (!sv_eq(t->branch, k->branch) || !sv_eq_ci(t->sent_by, k->sent_by) || t->sent_port != k->sent_port)
		return false;
	/* A new CSeq is a new transaction even when a broken UA reuses its
	 * branch (some softphones do so for re-INVITEs). */
	if (t->cseq != k->cseq)
		return false;
	if (k->rfc2543) /* §17.2.3: RFC 2543 matching by CSeq, From tag, top Via */
		return sv_eq(t->from_tag, k->from_tag);
	return true;
}

static uint32_t txn_hash(const struct txn_key *k)
{
	uint32_t h = hash_words(k->branch.p, k->branch.len, (uint32_t)k->method);
	h = (h ^ k->cseq) * 16777619u;
	return h ? h : 1;
}

/* The newest transaction matching k, -1 none. */
static int32_t txn_find(const struct call *c, const struct txn_key *k)
{
	uint32_t h = txn_hash(k), mask = c->txn_tab_size - 1;
	int32_t best = -1;
	if (!c->txn_tab) { /* a few transactions: no index (TXN_INDEX_MIN) */
		for (uint32_t ti = 0; ti < c->ntxns; ti++)
			if (c->txns[ti].khash == h && txn_matches(&c->txns[ti], k))
				best = (int32_t)ti;
		return best;
	}
	for (uint32_t i = h & mask; c->txn_tab[i]; i = (i + 1) & mask) {
		int32_t ti = (int32_t)c->txn_tab[i] - 1;
		if (ti > best && c->txns[ti].khash == h && txn_matches(&c->txns[ti], k))
			best = ti;
	}
	return best;
}

static void txn_tab_put(struct call *c, uint32_t ti)
{
	uint32_t mask = c->txn_tab_size - 1;
	uint32_t i = c->txns[ti].khash & mask;
	while (c->txn_tab[i])
		i = (i + 1) & mask;
	c->txn_tab[i] = ti + 1;
}

/* Transactions a call holds before it gets an index: most calls have
 * two or three, which a scan finds as fast as a table, for no memory. */
#define TXN_INDEX_MIN 8

static void txn_index(struct call *c, uint32_t ti)
{
	if (ti + 1 < TXN_INDEX_MIN)
		return;
	if ((ti + 1) * 2 > c->txn_tab_size) { /* at most half full */
		free(c->txn_tab);
		c->txn_tab_size = c->txn_tab_size ? c->txn_tab_size * 2 : 16;
		c->txn_tab = xcalloc(c->txn_tab_size, sizeof *c->txn_tab);
		for (uint32_t i = 0; i < ti; i++)
			txn_tab_put(c, i);
	}
	txn_tab_put(c, ti);
}

/* What a transaction counts for in call_activity: 0 not open, 1 open, 2
 * an open INVITE with a provisional response. */
static int txn_weight(const struct txn *t)
{
	if (t->method == M_ACK || t->status || t->req < 0)
		return 0;
	return t->method == M_INVITE && t->first_prov >= 0 ? 2 : 1;
}

static void txn_reweigh(struct call *c, int before, const struct txn *t)
{
	int after = txn_weight(t);
	c->open_txns += (after > 0) - (before > 0);
	c->ringing_txns += (after == 2) - (before == 2);
}

static void dialog_state(struct call *c, struct dialog *d, enum dialog_state st)
{
	bool was = d->kind == M_INVITE && d->state == DLG_CONFIRMED, is = d->kind == M_INVITE && st == DLG_CONFIRMED;
	c->live_dialogs += is - was;
	d->state = st;
}

static int32_t txn_new(struct call *c, const struct txn_key *k, const struct sip_msg *m)
{
	GROW(c->txns, c->ntxns, c->txns_cap, 1);
	struct txn *t = &c->txns[c->ntxns];
	memset(t, 0, sizeof *t);
	t->method = k->method;
	t->branch = k->branch;
	t->sent_by = k->sent_by;
	t->sent_port = k->sent_port;
	t->from_tag = k->from_tag;
	t->cseq = k->cseq;
	t->rfc2543 = k->rfc2543;
	t->req = t->first_resp = t->first_prov = t->final = t->ack = -1;
	t->cancel = t->cancels = t->offer = -1;
	t->last_msg = -1;
	t->start_ns = t->end_ns = msg_ns(m);
	t->src = m->start.is_request ? m->src : m->dst;
	t->dst = m->start.is_request ? m->dst : m->src;
	t->khash = txn_hash(k);
	txn_index(c, c->ntxns);
	return (int32_t)c->ntxns++;
}

static void copy_put(struct call *c, int32_t idx);

static void txn_link(struct call *c, int32_t ti, int32_t idx)
{
	struct txn *t = &c->txns[ti];
	c->msgs[idx].txn = ti;
	c->msgs[idx].prev_in_txn = t->last_msg;
	t->last_msg = idx;
	t->end_ns = msg_ns(c->msgs[idx].m);
	if (c->copy_tab)
		copy_put(c, idx);
}

static bool same_bytes(const struct sip_msg *a, const struct sip_msg *b)
{
	return a->raw_len == b->raw_len && memcmp(a->raw, b->raw, a->raw_len) == 0;
}

/* Two copies of one message less than this apart, byte for byte identical
 * on the same hop, are one packet captured twice (e.g. -i any on a bridge),
 * not a retransmission: SIP timers never fire that fast. */
#define DUP_WINDOW_NS 5000000LL

/* Is message o the same message as cm (same request method, or same
 * status and To tag)? */
static bool is_twin(const struct call_msg *o, const struct call_msg *cm)
{
	if (o->m->start.is_request != cm->m->start.is_request)
		return false;
	if (cm->m->start.is_request)
		return o->method == cm->method;
	if (o->m->start.status != cm->m->start.status || o->to_tag_hash != cm->to_tag_hash)
		return false;
	return sv_eq(sip_msg_to_tag(o->m)->tag, sip_msg_to_tag(cm->m)->tag);
}

static bool same_hop(const struct sip_msg *a, const struct sip_msg *b)
{
	return endpoint_eq(&a->src, &b->src) && endpoint_eq(&a->dst, &b->dst);
}

/* ---- the index of copies ----
 *
 * mark_copy wants, of the earlier messages of the transaction that are the
 * same message (twins), the first, and the latest on the same hop. The
 * transaction's chain has them, at the cost of its length per message: a
 * transaction answered 100,000 times (each a new To tag: a forking flood)
 * made that quadratic. A call one of whose transactions passes
 * COPY_INDEX_MIN messages gets an index instead: per transaction and twin
 * class, the class's first message (hash with the low bit clear); per class
 * and hop, its latest (low bit set). Open addressing, at most half full;
 * keys are checked on the messages themselves, not only their hashes. */
#define COPY_INDEX_MIN 32

static uint32_t mix32(uint32_t h, uint32_t v)
{
	h = (h ^ v) * 0x9e3779b1u;
	return h ^ (h >> 16);
}

static uint32_t copy_class_hash(const struct call_msg *cm, int32_t ti)
{
	uint32_t h = mix32(0x811c9dc5u, (uint32_t)ti);
	if (cm->m->start.is_request)
		h = mix32(h, 0x10000u | (uint32_t)cm->method);
	else
		h = mix32(mix32(h, (uint32_t)cm->m->start.status), cm->to_tag_hash);
	return h & ~1u;
}

static uint32_t copy_hop_hash(uint32_t class_hash, const struct sip_msg *m)
{
	uint32_t h = hash_bytes(m->src.ip, sizeof m->src.ip, mix32(class_hash, (uint32_t)m->src.family << 16 | m->src.port));
	h = hash_bytes(m->dst.ip, sizeof m->dst.ip, mix32(h, (uint32_t)m->dst.family << 16 | m->dst.port));
	return h | 1u;
}

/* The slot of cm's class (hop false) or class and hop in transaction ti,
 * or the empty slot where it would go. */
static uint32_t copy_find(const struct call *c, int32_t ti, const struct call_msg *cm, uint32_t h, bool hop)
{
	uint32_t mask = c->copy_tab_size - 1;
	for (uint32_t i = h & mask;; i = (i + 1) & mask) {
		const struct copy_slot *s = &c->copy_tab[i];
		if (!s->msg)
			return i;
		if (s->hash != h)
			continue;
		const struct call_msg *o = &c->msgs[s->msg - 1];
		if (o->txn == ti && is_twin(o, cm) && (!hop || same_hop(o->m, cm->m)))
			return i;
	}
}

static void copy_grow(struct call *c)
{
	struct copy_slot *old = c->copy_tab;
	uint32_t n = c->copy_tab_size;
	c->copy_tab_size = n ? n * 2 : 64;
	c->copy_tab = xcalloc(c->copy_tab_size, sizeof *c->copy_tab);
	uint32_t mask = c->copy_tab_size - 1;
	for (uint32_t k = 0; k < n; k++) {
		if (!old[k].msg)
			continue;
		uint32_t i = old[k].hash & mask;
		while (c->copy_tab[i].msg)
			i = (i + 1) & mask;
		c->copy_tab[i] = old[k];
	}
	free(old);
}

/* Message idx, just linked to its transaction, into the index: the first
 * of its class stays, it is the latest on its hop. */
static void copy_put(struct call *c, int32_t idx)
{
	const struct call_msg *cm = &c->msgs[idx];
	if ((c->copy_tab_n + 2) * 2 > c->copy_tab_size)
		copy_grow(c);
	uint32_t ch = copy_class_hash(cm, cm->txn), hh = copy_hop_hash(ch, cm->m);
	uint32_t i = copy_find(c, cm->txn, cm, ch, false);
	if (!c->copy_tab[i].msg) {
		c->copy_tab[i] = (struct copy_slot){ ch, (uint32_t)idx + 1 };
		c->copy_tab_n++;
	}
	i = copy_find(c, cm->txn, cm, hh, true);
	if (!c->copy_tab[i].msg)
		c->copy_tab_n++;
	c->copy_tab[i] = (struct copy_slot){ hh, (uint32_t)idx + 1 };
}

/* The index, of every message linked so far, in their order. */
static void copy_index(struct call *c)
{
	for (uint32_t i = 0; i < c->nmsgs; i++)
		if (c->msgs[i].txn >= 0)
			copy_put(c, (int32_t)i);
}

/* Marks message idx of transaction ti as a retransmission (an earlier copy
 * on the same hop) or a duplicate (the same message seen at another hop,
 * or captured twice). Returns false when it is the first copy. */
static bool mark_copy(struct call *c, int32_t ti, int32_t idx)
{
	struct call_msg *cm = &c->msgs[idx];
	struct sip_msg *m = cm->m;
	int32_t first = -1, hop = -1;
	if (c->copy_tab) {
		uint32_t ch = copy_class_hash(cm, ti);
		uint32_t i = copy_find(c, ti, cm, ch, false);
		first = (int32_t)c->copy_tab[i].msg - 1;
		if (first >= 0) {
			i = copy_find(c, ti, cm, copy_hop_hash(ch, m), true);
			hop = (int32_t)c->copy_tab[i].msg - 1;
		}
	} else {
		uint32_t steps = 0;
		for (int32_t i = c->txns[ti].last_msg; i >= 0; i = c->msgs[i].prev_in_txn, steps++) {
			if (!is_twin(&c->msgs[i], cm))
				continue;
			first = i;
			if (hop < 0 && same_hop(c->msgs[i].m, m))
				hop = i;
		}
		if (steps >= COPY_INDEX_MIN)
			copy_index(c);
	}
	if (first < 0)
		return false;
	while (c->msgs[first].flags & (CM_RETRANS | CM_DUPLICATE))
		first = (int32_t)c->msgs[first].dup_of;
	cm->dup_of = (uint32_t)first;
	if (hop < 0 || (msg_ns(m) - msg_ns(c->msgs[hop].m) < DUP_WINDOW_NS && same_bytes(c->msgs[hop].m, m)))
		cm->flags |= CM_DUPLICATE;
	else
		cm->flags |= CM_RETRANS;
	return true;
}

/* ---- dialogs ---- */

/* Dialogs a call holds before they get an index (a forking flood may
 * bring thousands; most calls have one). */
#define DLG_INDEX_MIN 8

/* Of a tag pair, either way round. */
static uint32_t dlg_hash(struct sv a, struct sv b)
{
	uint32_t h = hash_words(a.p, a.len, 0) + hash_words(b.p, b.len, 0);
	return h ? h : 1;
}

static bool dlg_is(const struct dialog *d, struct sv a, struct sv b)
{
	return (sv_eq(d->caller_tag, a) && sv_eq(d->callee_tag, b)) || (sv_eq(d->caller_tag, b) && sv_eq(d->callee_tag, a));
}

/* The newest dialog with these tags, -1 none. */
static int32_t dialog_find(const struct call *c, struct sv a, struct sv b)
{
	if (!c->dlg_tab) {
		for (int32_t i = (int32_t)c->ndialogs - 1; i >= 0; i--)
			if (dlg_is(&c->dialogs[i], a, b))
				return i;
		return -1;
	}
	uint32_t mask = c->dlg_tab_size - 1, h = dlg_hash(a, b);
	int32_t best = -1;
	for (uint32_t i = h & mask; c->dlg_tab[i]; i = (i + 1) & mask) {
		int32_t di = (int32_t)c->dlg_tab[i] - 1;
		if (di > best && dlg_is(&c->dialogs[di], a, b))
			best = di;
	}
	return best;
}

static void dlg_tab_put(struct call *c, uint32_t di)
{
	uint32_t mask = c->dlg_tab_size - 1;
	uint32_t i = dlg_hash(c->dialogs[di].caller_tag, c->dialogs[di].callee_tag) & mask;
	while (c->dlg_tab[i])
		i = (i + 1) & mask;
	c->dlg_tab[i] = di + 1;
}

static void dlg_index(struct call *c, uint32_t di)
{
	if (di + 1 < DLG_INDEX_MIN)
		return;
	if ((di + 1) * 2 > c->dlg_tab_size) { /* at most half full */
		free(c->dlg_tab);
		c->dlg_tab_size = c->dlg_tab_size ? c->dlg_tab_size * 2 : 16;
		c->dlg_tab = xcalloc(c->dlg_tab_size, sizeof *c->dlg_tab);
		for (uint32_t i = 0; i < di; i++)
			dlg_tab_put(c, i);
	}
	dlg_tab_put(c, di);
}

static int32_t dialog_new(struct call *c, struct sv caller, struct sv callee, enum sip_method kind)
{
	GROW(c->dialogs, c->ndialogs, c->dialogs_cap, 1);
	struct dialog *d = &c->dialogs[c->ndialogs];
	memset(d, 0, sizeof *d);
	d->caller_tag = caller;
	d->callee_tag = callee;
	d->kind = kind;
	d->state = DLG_EARLY;
	d->create_txn = d->confirm_msg = d->end_msg = d->end_req = d->remote_target = -1;
	d->offer = d->answer = -1;
	d->confirm_ns = d->end_ns = -1;
	dlg_index(c, c->ndialogs);
	return (int32_t)c->ndialogs++;
}

static void dialog_end(struct call *c, int32_t di, int32_t msg)
{
	struct dialog *d = &c->dialogs[di];
	if (d->state == DLG_TERMINATED)
		return;
	dialog_state(c, d, DLG_TERMINATED);
	d->end_msg = msg;
	d->end_ns = msg_ns(c->msgs[msg].m);
}

/* ---- SDP offer/answer ---- */

static bool has_sdp(const struct sip_msg *m)
{
	struct sv s;
	return !m->malformed && m->body.len && sip_msg_sdp(m, &s);
}

static void sdp_exchange(struct call *c, int32_t ti, int32_t di, int32_t offer, int32_t answer)
{
	for (uint32_t i = 0; i < c->nsdp; i++)
		if (c->sdp[i].txn == ti && c->sdp[i].dialog == di)
			return;
	GROW(c->sdp, c->nsdp, c->sdp_cap, 1);
	c->sdp[c->nsdp++] = (struct sdp_exchange){ ti, di, offer, answer };
	if (di >= 0) {
		c->dialogs[di].offer = offer;
		c->dialogs[di].answer = answer;
	}
}

static void on_sdp(struct call *c, int32_t idx)
{
	struct call_msg *cm = &c->msgs[idx];
	struct sip_msg *m = cm->m;
	if (cm->flags & (CM_RETRANS | CM_DUPLICATE) || cm->txn < 0)
		return;
	struct txn *t = &c->txns[cm->txn];
	bool sdp = has_sdp(m);
	if (m->start.is_request) {
		if (cm->method == M_ACK) {
			/* late offer: the ACK answers an offer made in a 2xx */
			if (!sdp)
				return;
			for (int32_t i = (int32_t)c->ntxns - 1; i >= 0; i--) {
				struct txn *it = &c->txns[i];
				if (it->method == M_INVITE && it->cseq == t->cseq && it->offer >= 0 &&
				    !c->msgs[it->offer].m->start.is_request) {
					sdp_exchange(c, i, cm->dialog, it->offer, idx);
					it->offer = -1;
					return;
				}
			}
			return;
		}
		if ((cm->method == M_INVITE || cm->method == M_UPDATE || cm->method == M_PRACK) && sdp && t->offer < 0)
			t->offer = idx;
		return;
	}
	int st = m->start.status;
	if (t->method != M_INVITE && t->method != M_UPDATE && t->method != M_PRACK)
		return;
	if (st >= 300) {
		if (t->offer >= 0 && c->msgs[t->offer].m->start.is_request)
			sdp_exchange(c, cm->txn, cm->dialog, t->offer, -1); /* rejected offer */
		return;
	}
	if (st <= 100 || !sdp)
		return;
	if (t->offer >= 0 && c->msgs[t->offer].m->start.is_request) {
		sdp_exchange(c, cm->txn, cm->dialog, t->offer, idx);
		/* keep t->offer: a forked 2xx answers it again in another dialog */
	} else if (t->offer < 0 && t->req >= 0 && st < 300 && st >= 200) {
		t->offer = idx; /* late offer in the 2xx, answered by the ACK */
	}
}

/* ---- the message entry point ---- */

static void on_request(struct call *c, int32_t idx)
{
	struct call_msg *cm = &c->msgs[idx];
	struct sip_msg *m = cm->m;
	struct txn_key k;
	enum sip_method meth = cm->method;
	int32_t ti = -1;

	if (meth == M_ACK) {
		txn_key_of(m, M_INVITE, &k);
		int32_t inv = txn_find(c, &k);
		if (inv >= 0 && c->txns[inv].status >= 300) {
			/* §17.1.1.3: the ACK of a non-2xx is part of the INVITE transaction */
			ti = inv;
			if (!mark_copy(c, inv, idx))
				c->txns[inv].ack = idx;
		}
	}
	if (ti < 0) {
		txn_key_of(m, meth, &k);
		ti = txn_find(c, &k);
		if (ti >= 0) {
			if (!mark_copy(c, ti, idx) && c->txns[ti].req < 0) {
				int w = txn_weight(&c->txns[ti]);
				c->txns[ti].req = idx; /* responses came first */
				txn_reweigh(c, w, &c->txns[ti]);
			}
		} else {
			ti = txn_new(c, &k, m);
			c->txns[ti].req = idx;
			txn_reweigh(c, 0, &c->txns[ti]);
		}
	}
	struct txn *t = &c->txns[ti];
	const struct sip_tag *to = sip_msg_to_tag(m), *from = sip_msg_from_tag(m);
	if (meth == t->method) /* not the ACK of a non-2xx, which carries the To tag */
		t->in_dialog = t->in_dialog || (to->valid && to->tag.len);
	if (!(cm->flags & CM_DUPLICATE) && endpoint_eq(&m->src, &t->src) && endpoint_eq(&m->dst, &t->dst) &&
	    meth == t->method)
		t->req_count++;
	txn_link(c, ti, idx);

	if (meth == M_CANCEL) {
		txn_key_of(m, M_INVITE, &k);
		int32_t inv = txn_find(c, &k);
		if (inv >= 0) {
			c->txns[inv].cancel = ti;
			t->cancels = inv;
		}
	}

	/* Dialog membership by tags (§12.2); the ACK of a non-2xx belongs
	 * to its INVITE transaction, not to a dialog. */
	if (meth == M_ACK && t->method == M_INVITE) {
		cm->caller_dir = true;
	} else if (to->valid && to->tag.len && from->valid) {
		int32_t di = dialog_find(c, from->tag, to->tag);
		if (di < 0 && meth != M_CANCEL) {
			di = dialog_new(c, from->tag, to->tag,
					meth == M_NOTIFY || meth == M_SUBSCRIBE ? M_SUBSCRIBE : M_INVITE);
			c->dialogs[di].inferred = true;
			dialog_state(c, &c->dialogs[di], DLG_CONFIRMED);
			c->dialogs[di].confirmed_once = true;
			c->dialogs[di].confirm_msg = idx;
			c->dialogs[di].confirm_ns = msg_ns(m);
		}
		if (di >= 0) {
			cm->dialog = di;
			cm->caller_dir = sv_eq(from->tag, c->dialogs[di].caller_tag);
			if (meth == M_BYE && !(cm->flags & (CM_RETRANS | CM_DUPLICATE))) {
				struct dialog *d = &c->dialogs[di];
				if (d->end_req < 0 && d->state != DLG_TERMINATED)
					d->end_req = idx;
				dialog_end(c, di, idx);
			}
		}
	} else {
		cm->caller_dir = true; /* a CANCEL ends nothing by itself: the 487 does */
	}
}

static void on_response(struct call *c, int32_t idx)
{
	struct call_msg *cm = &c->msgs[idx];
	struct sip_msg *m = cm->m;
	struct txn_key k;
	txn_key_of(m, cm->method, &k);
	int32_t ti = txn_find(c, &k);
	if (ti < 0)
		ti = txn_new(c, &k, m);
	int st = m->start.status;
	mark_copy(c, ti, idx);
	txn_link(c, ti, idx);
	struct txn *t = &c->txns[ti];
	bool copy = cm->flags & (CM_RETRANS | CM_DUPLICATE);
	int w = txn_weight(t);
	if (t->first_resp < 0)
		t->first_resp = idx;
	if (st > 100 && st < 200 && t->first_prov < 0)
		t->first_prov = idx;
	if (st >= 200) {
		if (t->final < 0) {
			t->final = idx;
			t->status = st;
		}
		if (!(cm->flags & CM_DUPLICATE) && st == t->status)
			t->final_count++;
	}
	txn_reweigh(c, w, t);

	const struct sip_tag *to = sip_msg_to_tag(m), *from = sip_msg_from_tag(m);
	if (!to->valid || !from->valid)
		return;
	int32_t di = -1;
	if (to->tag.len)
		di = dialog_find(c, from->tag, to->tag);
	if (!t->in_dialog && is_dialog_creating(t->method) && to->tag.len && st > 100) {
		if (di < 0 && st < 300) {
			di = dialog_new(c, from->tag, to->tag, t->method == M_INVITE ? M_INVITE : M_SUBSCRIBE);
			c->dialogs[di].create_txn = ti;
		}
		if (di >= 0) {
			struct dialog *d = &c->dialogs[di];
			if (d->inferred && d->create_txn < 0) {
				/* a NOTIFY came before the SUBSCRIBE's 2xx: fix the roles */
				d->caller_tag = from->tag;
				d->callee_tag = to->tag;
				d->create_txn = ti;
				d->inferred = false;
			}
			if (st >= 200 && st < 300 && d->state == DLG_EARLY && !copy) {
				dialog_state(c, d, DLG_CONFIRMED);
				d->confirmed_once = true;
				d->confirm_msg = idx;
				d->confirm_ns = msg_ns(m);
				d->remote_target = idx;
				d->callee_addr = m->src;
			}
		}
		if (st >= 300 && !copy) {
			/* a failure ends every early dialog of this INVITE (§12.3) */
			for (uint32_t i = 0; i < c->ndialogs; i++)
				if (c->dialogs[i].create_txn == ti && c->dialogs[i].state == DLG_EARLY)
					dialog_end(c, (int32_t)i, idx);
		}
	} else if (di >= 0 && !copy) {
		struct dialog *d = &c->dialogs[di];
		/* a 481 to a PRACK says its RAck matched no reliable provisional
		 * (RFC 3262 §3), not that the dialog is gone */
		if (st >= 200 && (t->method == M_BYE || ((st == 481 || st == 408) && t->method != M_PRACK))) {
			if (d->state != DLG_TERMINATED)
				dialog_end(c, di, idx);
			else if (t->method == M_BYE && d->end_msg == d->end_req)
				d->end_msg = idx; /* the BYE's response */
		}
		/* A target refresh (re-INVITE/UPDATE 2xx) updates the remote target. */
		if (st >= 200 && st < 300 && (t->method == M_INVITE || t->method == M_UPDATE) &&
		    sip_msg_has(m, SIP_H_CONTACT))
			d->remote_target = idx;
	}
	/* caller_dir of a response is its request's direction */
	if (di >= 0) {
		cm->dialog = di;
		cm->caller_dir = sv_eq(from->tag, c->dialogs[di].caller_tag);
	}
}

void call_add_msg(struct call *c, struct sip_msg *m)
{
	GROW(c->msgs, c->nmsgs, c->msgs_cap, 2);
	int32_t idx = (int32_t)c->nmsgs++;
	struct call_msg *cm = &c->msgs[idx];
	memset(cm, 0, sizeof *cm);
	cm->m = m;
	cm->txn = cm->dialog = cm->prev_in_txn = -1;
	int64_t ns = msg_ns(m);
	if (idx == 0 || ns < c->start_ns)
		c->start_ns = ns;
	if (ns > c->end_ns)
		c->end_ns = ns;
	if (m->malformed && m->start.line.len == 0)
		return;
	if (m->start.is_request) {
		cm->method = sip_method_of(m->start.method);
	} else {
		const struct sip_cseq *cs = sip_msg_cseq(m);
		cm->method = cs->valid ? sip_method_of(cs->method) : M_OTHER;
	}
	struct sv tt = sip_msg_to_tag(m)->tag;
	cm->to_tag_hash = hash_words(tt.p, tt.len, 0);
	if (m->malformed && (!sip_msg_cseq(m)->valid || !sip_msg_has(m, SIP_H_VIA)))
		return; /* cannot be placed in a transaction */
	/* The kind follows the most telling method seen (INVITE first). */
	enum call_kind k;
	int rank = kind_rank(cm->method, &k);
	if (!m->start.is_request)
		rank = rank > 1 ? 1 : 0; /* a response alone says little */
	if (rank > c->kind_rank) {
		c->kind = k;
		c->kind_rank = (uint8_t)rank;
	}
	if (m->start.is_request)
		on_request(c, idx);
	else
		on_response(c, idx);
	on_sdp(c, idx);
}

/* ---- summary ---- */

static bool main_method(const struct call *c, enum sip_method m)
{
	switch (c->kind) {
	case KIND_CALL: return m == M_INVITE;
	case KIND_REGISTRATION: return m == M_REGISTER;
	case KIND_SUBSCRIPTION: return m == M_SUBSCRIBE;
	case KIND_MESSAGE: return m == M_MESSAGE;
	case KIND_OPTIONS: return m == M_OPTIONS;
	default: return m != M_ACK;
	}
}

static bool reg_is_removal(struct call *c, const struct txn *t)
{
	if (t->final < 0)
		return false;
	struct sip_msg *ok = c->msgs[t->final].m;
	if (!sip_msg_has(ok, SIP_H_CONTACT))
		return true; /* no bindings left */
	struct sip_msg *req = t->req >= 0 ? c->msgs[t->req].m : NULL;
	if (req) {
		const struct sip_contact *ct = sip_msg_contact(req);
		if (ct->valid && ct->star)
			return true;
		if (ct->valid && ct->expires == 0)
			return true;
		if (ct->valid && ct->expires < 0 && sip_msg_int(req, SIP_H_EXPIRES) == 0)
			return true;
	}
	return false;
}

void call_finish(struct call *c)
{
	int32_t mt = -1;
	for (int32_t i = (int32_t)c->ntxns - 1; i >= 0; i--) {
		const struct txn *t = &c->txns[i];
		if (main_method(c, t->method) && !(c->kind == KIND_CALL && t->in_dialog) &&
		    !(t->method == M_INVITE && t->req >= 0 && c->msgs[t->req].method == M_ACK)) {
			mt = i;
			break;
		}
	}
	c->main_txn = mt;
	c->final_status = mt >= 0 ? c->txns[mt].status : 0;
	c->answer_ns = c->hangup_ns = c->setup_ns = -1;
	bool confirmed = false, byed = false;
	for (uint32_t i = 0; i < c->ndialogs; i++) {
		const struct dialog *d = &c->dialogs[i];
		if (d->kind != M_INVITE || !d->confirmed_once)
			continue;
		confirmed = true;
		if (d->end_req >= 0) {
			byed = true;
			int64_t t = msg_ns(c->msgs[d->end_req].m);
			if (c->hangup_ns < 0 || t < c->hangup_ns)
				c->hangup_ns = t;
		}
		if (!d->inferred && (c->answer_ns < 0 || d->confirm_ns < c->answer_ns))
			c->answer_ns = d->confirm_ns;
	}
	call_duration(c);
	if (mt < 0) {
		if (c->kind == KIND_CALL && confirmed)
			c->state = byed ? ST_COMPLETED : ST_ANSWERED;
		else
			c->state = ST_UNKNOWN;
		return;
	}
	struct txn *t = &c->txns[mt];
	int st = t->status;
	if (t->method == M_INVITE && t->req >= 0) {
		int32_t r = t->first_prov >= 0 ? t->first_prov : (st >= 200 && st < 300 ? t->final : -1);
		if (r >= 0)
			c->setup_ns = msg_ns(c->msgs[r].m) - msg_ns(c->msgs[t->req].m);
	}
	if (st == 0) {
		if (t->first_prov >= 0)
			c->state = ST_RINGING;
		else if (t->first_resp >= 0)
			c->state = ST_TRYING;
		else
			c->state = t->req >= 0 && t->end_ns - t->start_ns >= SIP_T1_NS ? ST_NO_RESPONSE : ST_TRYING;
		if (t->cancel >= 0)
			c->state = ST_CANCELLED;
	} else if (st < 300) {
		if (c->kind == KIND_CALL)
			c->state = byed ? ST_COMPLETED : ST_ANSWERED;
		else if (c->kind == KIND_REGISTRATION)
			c->state = reg_is_removal(c, t) ? ST_UNREGISTERED : ST_REGISTERED;
		else
			c->state = ST_COMPLETED;
	} else if (st == 487 || (t->cancel >= 0 && c->txns[t->cancel].status < 300)) {
		c->state = ST_CANCELLED;
	} else if (st < 400) {
		c->state = ST_REDIRECTED;
	} else if (st == 408 || (st >= 500 && st < 600)) {
		c->state = ST_FAILED;
	} else {
		c->state = ST_REJECTED;
	}
}

int call_activity(const struct call *c)
{
	return c->live_dialogs ? 3 : c->ringing_txns ? 2 : c->open_txns ? 1 : 0;
}

bool txn_initial_invite(const struct call *c, const struct txn *t)
{
	return t->method == M_INVITE && !t->in_dialog && t->req >= 0 && c->msgs[t->req].method == M_INVITE &&
	       c->msgs[t->req].m->start.is_request;
}

int32_t call_first_invite(const struct call *c)
{
	for (uint32_t i = 0; i < c->ntxns; i++)
		if (txn_initial_invite(c, &c->txns[i]))
			return (int32_t)i;
	return -1;
}

const struct sip_nameaddr *call_party(const struct call *c, bool to)
{
	int32_t idx = c->main_txn >= 0 ? c->txns[c->main_txn].req : -1;
	if (idx < 0)
		idx = 0;
	if ((uint32_t)idx >= c->nmsgs || c->msgs[idx].m->malformed)
		return NULL;
	const struct sip_nameaddr *na = to ? sip_msg_to(c->msgs[idx].m) : sip_msg_from(c->msgs[idx].m);
	return na->valid ? na : NULL;
}
