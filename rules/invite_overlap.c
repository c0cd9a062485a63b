/* invite_overlap.c - invite-overlap: a new INVITE in a dialog while another
 * INVITE transaction is in progress in either direction (RFC 3261 §14.1):
 * the cause of 491 Request Pending and "500 Race condition" (seeds/001).
 * Judged from the new INVITE's sender: its own INVITE client transaction
 * without a final response, or its INVITE server transaction not yet
 * confirmed by the ACK. Also several initial INVITEs on one Call-ID and
 * From tag in flight at once (FAULTS.md). */
#include <stdio.h>

#include <stdlib.h>

#include "../analyzer/xalloc.h"
#include "rule.h"

static bool acked_at(const struct call *c, int32_t d, uint32_t cseq, const struct endpoint *to, int64_t before)
{
	for (uint32_t i = 0; i < c->nmsgs; i++) {
		const struct call_msg *cm = &c->msgs[i];
		if (cm->method != M_ACK || !cm->m->start.is_request || cm->dialog != d)
			continue;
		if (msg_ns(cm->m) > before)
			break;
		const struct sip_cseq *cs = sip_msg_cseq(cm->m);
		if (cs->valid && cs->num == cseq && endpoint_eq(&cm->m->dst, to))
			return true;
	}
	return false;
}

static bool in_dialog(const struct call *c, const struct txn *t, int32_t d)
{
	if (t->in_dialog)
		return t->req >= 0 && c->msgs[t->req].dialog == d;
	/* an initial INVITE belongs to the dialogs its responses created */
	for (int32_t k = t->last_msg; k >= 0; k = c->msgs[k].prev_in_txn)
		if (c->msgs[k].dialog == d)
			return true;
	return false;
}

/* Several initial INVITEs on one Call-ID and From tag (new CSeq, new
 * branch) sent from one address while an earlier one had no final response:
 * each is a transaction of its own, the UAS may answer every one with its own
 * dialog, and the CANCELs of the extra ones race their 2xx. One finding per
 * call, citing every overlapping INVITE, the CANCELs and the 2xx. */
static void check_initial(struct rule_ctx *ctx, const struct call *c)
{
	struct finding *f = NULL;
	int32_t first = -1, busy_first = -1;
	uint32_t n = 0, seen[64], nseen = 0;
	/* The initial INVITEs still in progress, in order: one that ended is
	 * dropped at the next INVITE after its end, so the scan stays as short
	 * as the number of INVITEs really in flight together. */
	struct { uint32_t ti; int64_t fin; } *pend = NULL;
	size_t npend = 0, cap = 0;
	for (uint32_t ri = 0; ri < c->ntxns; ri++) {
		const struct txn *r = &c->txns[ri];
		if (r->method != M_INVITE || r->in_dialog || r->req < 0 || !msg_is_first(c, r->req))
			continue;
		const struct sip_msg *rm = c->msgs[r->req].m;
		int64_t tr = msg_ns(rm);
		int32_t busy = -1;
		size_t keep = 0;
		for (size_t p = 0; p < npend; p++) {
			if (pend[p].fin <= tr)
				continue; /* over before this one: never busy again */
			pend[keep++] = pend[p];
			const struct txn *t = &c->txns[pend[p].ti];
			if (busy < 0 && t->cseq != r->cseq && t->start_ns < tr && sv_eq(t->from_tag, r->from_tag) &&
			    endpoint_eq(&t->src, &rm->src) && endpoint_eq(&t->dst, &rm->dst))
				busy = (int32_t)pend[p].ti;
		}
		npend = keep;
		if (npend == cap)
			pend = xrealloc(pend, (cap = cap ? cap * 2 : 8) * sizeof *pend);
		/* without a final response it timed out: after Timer B with no
		 * provisional response, Timer C (3 min) once ringing */
		pend[npend].ti = ri;
		pend[npend++].fin = r->final >= 0 ? msg_ns(c->msgs[r->final].m)
				   : r->start_ns + (r->first_prov >= 0 ? 180 * 1000000000LL : SIP_TIMER_B_NS);
		if (busy < 0)
			continue;
		if (!f) {
			f = finding_new(ctx, c, SEV_WARNING);
			first = r->req;
			busy_first = c->txns[busy].req;
			finding_msg(f, c, busy_first);
			finding_key(f, c, r->req);
		}
		finding_msg(f, c, r->req);
		/* count logical INVITEs, not their copies on a proxy's other hops */
		bool again = false;
		for (uint32_t k = 0; k < nseen && !again; k++)
			again = seen[k] == r->cseq;
		if (!again) {
			if (nseen < sizeof seen / sizeof seen[0])
				seen[nseen++] = r->cseq;
			n++;
		}
		/* what came of them: CANCELs and 2xx */
		const int32_t tx[2] = { (int32_t)ri, busy };
		for (int k = 0; k < 2; k++) {
			const struct txn *x = &c->txns[tx[k]];
			if (x->final >= 0)
				finding_msg(f, c, x->final);
			if (x->cancel >= 0 && c->txns[x->cancel].req >= 0)
				finding_msg(f, c, c->txns[x->cancel].req);
		}
	}
	free(pend);
	if (!f)
		return;
	unsigned ok = 0;
	for (uint32_t i = 0; i < c->ndialogs; i++)
		if (c->dialogs[i].kind == M_INVITE && c->dialogs[i].confirmed_once && !c->dialogs[i].inferred)
			ok++;
	char rl[96], bl[96], more[120] = "";
	msg_label(rl, sizeof rl, c, first);
	msg_label(bl, sizeof bl, c, busy_first);
	if (n > 1)
		snprintf(more, sizeof more, " (%u INVITEs overlapped an earlier one)", n);
	finding_summary(f, "%s was sent while the initial %s on the same Call-ID and From tag had no final response%s; %u dialog%s answered",
			rl, bl, more, ok, ok == 1 ? "" : "s");
	finding_explain(f, "Each of these INVITEs has its own CSeq and branch, so it is a transaction of its own "
			   "(RFC 3261 §17.2.3) and the UAS may answer every one with its own dialog; a UAS that "
			   "compares Call-ID and From tag alone takes them for merged requests (§8.2.2.2) and "
			   "rejects them 482. A UAC must not start a new INVITE while its earlier one is pending "
			   "(§14.1 applies the same rule inside a dialog): CANCELs sent to undo the extras race the "
			   "2xx, and each extra dialog must be ACKed and ended with BYE.");
	finding_hint(f, "Make the UAC wait for the final response (or CANCEL and its 487) before sending another "
			"INVITE on the Call-ID; a fresh call attempt needs a new Call-ID.");
	finding_host(f, &c->msgs[first].m->src);
	finding_group(f, "initial INVITEs in parallel on one Call-ID from %s", f->host);
	finding_emit(ctx, f);
}

static void report(struct rule_ctx *ctx, const struct call *c, const struct txn *r, int32_t d, int32_t busy,
		   const char *why)
{
	const struct txn *b = &c->txns[busy];
	struct finding *f = finding_new(ctx, c, SEV_WARNING);
	finding_dialog(f, &c->dialogs[d]);
	finding_msg(f, c, b->req);
	finding_msg(f, c, b->final);
	finding_key(f, c, r->req);
	finding_msg(f, c, r->final);
	char rl[96], bl[96], resp[96] = "";
	msg_label(rl, sizeof rl, c, r->req);
	msg_label(bl, sizeof bl, c, b->req);
	if (r->final >= 0) {
		char l[96];
		msg_label(l, sizeof l, c, r->final);
		snprintf(resp, sizeof resp, ", answered %s", l);
	}
	finding_summary(f, "%s was sent while %s was still in progress (%s)%s", rl, bl, why, resp);
	finding_explain(f, "RFC 3261 §14.1: a UA must not start an INVITE transaction in a dialog while "
			   "another is in progress in either direction — its own until the final response, the "
			   "peer's until the ACK. The receiver answers 491 Request Pending (or 500, 'Race "
			   "condition') and the re-INVITE has to be retried.");
	finding_hint(f, "Make the sender wait for the final response and the ACK before re-INVITEing; on "
			"491, retry after the random delay of §14.1.");
	finding_emit(ctx, f);
}

/* Is transaction t (not r) an INVITE of dialog d in progress when r starts
 * at tr, as seen by r's sender? why: how. acked(t): whether its 2xx had
 * been ACKed by then. */
static bool busy_for(const struct call *c, const struct txn *r, const struct sip_msg *rm, int64_t tr,
		     const struct txn *t, bool (*acked)(const struct call *, const struct txn *, int32_t, const struct sip_msg *, int64_t, void *),
		     int32_t d, void *ud, const char **why)
{
	if (t == r || t->method != M_INVITE || t->req < 0 || t->start_ns >= tr)
		return false;
	if (t->cseq == r->cseq && sv_eq(t->from_tag, r->from_tag))
		return false; /* the same request on another hop */
	int64_t fin = t->final >= 0 ? msg_ns(c->msgs[t->final].m) : INT64_MAX;
	if (endpoint_eq(&t->src, &rm->src) && fin > tr) {
		*why = "its own earlier INVITE had no final response yet";
		return true;
	}
	if (endpoint_eq(&t->dst, &rm->src) &&
	    (fin > tr || (t->status >= 200 && t->status < 300 && !acked(c, t, d, rm, tr, ud)))) {
		*why = fin > tr ? "it had not yet answered the other side's INVITE"
			       : "it had answered the other side's INVITE with 2xx but the ACK had not arrived";
		return true;
	}
	return false;
}

static bool acked_scan(const struct call *c, const struct txn *t, int32_t d, const struct sip_msg *rm, int64_t tr,
		       void *ud)
{
	(void)ud;
	return acked_at(c, d, t->cseq, &rm->src, tr);
}

/* The earliest ACK of each (dialog, CSeq number, destination): with the
 * call's messages in time order, "ACKed by tr" is "its earliest ACK is not
 * after tr". */
struct ackmap {
	uint32_t n; /* slots, a power of two */
	struct ackent { int32_t d; uint32_t cseq; struct endpoint to; int64_t ns; bool used; } *e;
};

static uint32_t ack_hash(int32_t d, uint32_t cseq, const struct endpoint *to)
{
	uint32_t h = 2166136261u ^ (uint32_t)d;
	h = (h ^ cseq) * 16777619u;
	for (size_t i = 0; i < sizeof to->ip; i++)
		h = (h ^ to->ip[i]) * 16777619u;
	h = (h ^ to->port) * 16777619u;
	h ^= h >> 15;
	return h * 0x2c1b3c6du;
}

static struct ackent *ack_slot(const struct ackmap *m, int32_t d, uint32_t cseq, const struct endpoint *to)
{
	for (uint32_t i = ack_hash(d, cseq, to) & (m->n - 1);; i = (i + 1) & (m->n - 1)) {
		struct ackent *x = &m->e[i];
		if (!x->used || (x->d == d && x->cseq == cseq && endpoint_eq(&x->to, to)))
			return x;
	}
}

static bool acked_map(const struct call *c, const struct txn *t, int32_t d, const struct sip_msg *rm, int64_t tr,
		      void *ud)
{
	(void)c;
	const struct ackent *x = ack_slot(ud, d, t->cseq, &rm->src);
	return x->used && x->ns <= tr;
}

/* The end of t as a possible cause in dialog d: its final response, and for
 * a 2xx its ACK to where t went; INT64_MAX while either is missing. */
static int64_t txn_end(const struct call *c, const struct txn *t, int32_t d, const struct ackmap *am)
{
	int64_t fin = t->final >= 0 ? msg_ns(c->msgs[t->final].m) : INT64_MAX;
	if (fin == INT64_MAX || !(t->status >= 200 && t->status < 300))
		return fin;
	const struct ackent *x = ack_slot(am, d, t->cseq, &t->dst);
	return !x->used ? INT64_MAX : x->ns > fin ? x->ns : fin;
}

/* In-dialog INVITEs, each against the INVITEs of its dialog in progress
 * when it started. With the call's messages in time order (the rule),
 * transactions that can no longer be in progress are dropped as time goes
 * on, so a dialog of 10^4 re-INVITEs one after the other costs 10^4 steps,
 * not 10^8; otherwise every transaction is looked at for each. */
static void check_in_dialog(struct rule_ctx *ctx, const struct call *c)
{
	bool ordered = true;
	for (uint32_t i = 1; i < c->nmsgs && ordered; i++)
		ordered = msg_ns(c->msgs[i].m) >= msg_ns(c->msgs[i - 1].m);
	if (!ordered) {
		for (uint32_t ri = 0; ri < c->ntxns; ri++) {
			const struct txn *r = &c->txns[ri];
			if (r->method != M_INVITE || !r->in_dialog || r->req < 0)
				continue;
			const struct sip_msg *rm = c->msgs[r->req].m;
			int32_t d = c->msgs[r->req].dialog;
			if (d < 0)
				continue;
			int64_t tr = msg_ns(rm);
			const char *why = NULL;
			for (uint32_t ti = 0; ti < c->ntxns; ti++) {
				const struct txn *t = &c->txns[ti];
				if (t != r && t->method == M_INVITE && in_dialog(c, t, d) &&
				    busy_for(c, r, rm, tr, t, acked_scan, d, NULL, &why)) {
					report(ctx, c, r, d, (int32_t)ti, why);
					break;
				}
			}
		}
		return;
	}
	struct ackmap am = { 16, NULL };
	while (am.n < 2 * c->nmsgs)
		am.n *= 2;
	am.e = xcalloc(am.n, sizeof *am.e);
	for (uint32_t i = 0; i < c->nmsgs; i++) {
		const struct call_msg *cm = &c->msgs[i];
		if (cm->method != M_ACK || !cm->m->start.is_request || cm->dialog < 0)
			continue;
		const struct sip_cseq *cs = sip_msg_cseq(cm->m);
		if (!cs->valid)
			continue;
		struct ackent *x = ack_slot(&am, cm->dialog, cs->num, &cm->m->dst);
		if (!x->used)
			*x = (struct ackent){ cm->dialog, cs->num, cm->m->dst, msg_ns(cm->m), true };
	}
	/* per dialog, the INVITE transactions that may still be in progress, in
	 * transaction order (the first one found busy is the one reported) */
	struct live { int32_t *t; uint32_t n, cap; } *live = xcalloc(c->ndialogs ? c->ndialogs : 1, sizeof *live);
	int32_t *seen = xmalloc((c->ndialogs ? c->ndialogs : 1) * sizeof *seen);
	for (uint32_t k = 0; k < c->ndialogs; k++)
		seen[k] = -1;
	uint32_t next = 0;
	int64_t last_tr = INT64_MIN;
	for (uint32_t ri = 0; ri < c->ntxns; ri++) {
		const struct txn *r = &c->txns[ri];
		if (r->method != M_INVITE || !r->in_dialog || r->req < 0)
			continue;
		const struct sip_msg *rm = c->msgs[r->req].m;
		int32_t d = c->msgs[r->req].dialog;
		if (d < 0 || (uint32_t)d >= c->ndialogs)
			continue;
		int64_t tr = msg_ns(rm);
		if (tr < last_tr) { /* before one already judged: what was dropped may count */
			const char *why = NULL;
			for (uint32_t ti = 0; ti < c->ntxns; ti++) {
				const struct txn *t = &c->txns[ti];
				if (t != r && t->method == M_INVITE && in_dialog(c, t, d) &&
				    busy_for(c, r, rm, tr, t, acked_map, d, &am, &why)) {
					report(ctx, c, r, d, (int32_t)ti, why);
					break;
				}
			}
			continue;
		}
		last_tr = tr;
		for (; next < c->ntxns && c->txns[next].start_ns < tr; next++) {
			const struct txn *t = &c->txns[next];
			if (t->method != M_INVITE || t->req < 0)
				continue;
			/* the dialogs it belongs to: its request's, or those its responses made */
			for (int32_t k = t->in_dialog ? t->req : t->last_msg; k >= 0;
			     k = t->in_dialog ? -1 : c->msgs[k].prev_in_txn) {
				int32_t kd = c->msgs[k].dialog;
				if (kd < 0 || (uint32_t)kd >= c->ndialogs || seen[kd] == (int32_t)next)
					continue;
				seen[kd] = (int32_t)next;
				struct live *l = &live[kd];
				if (l->n == l->cap)
					l->t = xrealloc(l->t, (l->cap = l->cap ? l->cap * 2 : 8) * sizeof *l->t);
				l->t[l->n++] = (int32_t)next;
			}
		}
		struct live *l = &live[d];
		uint32_t keep = 0;
		int32_t busy = -1;
		const char *why = NULL;
		for (uint32_t j = 0; j < l->n; j++) {
			const struct txn *t = &c->txns[l->t[j]];
			if (txn_end(c, t, d, &am) <= tr)
				continue; /* over: never in progress again */
			l->t[keep++] = l->t[j];
			if (busy < 0 && busy_for(c, r, rm, tr, t, acked_map, d, &am, &why))
				busy = l->t[j];
		}
		l->n = keep;
		if (busy >= 0)
			report(ctx, c, r, d, busy, why);
	}
	for (uint32_t k = 0; k < c->ndialogs; k++)
		free(live[k].t);
	free(live);
	free(seen);
	free(am.e);
}

static void check(struct rule_ctx *ctx, const struct call *c)
{
	check_initial(ctx, c);
	check_in_dialog(ctx, c);
}

const struct rule rule_invite_overlap = {
	.id = "invite-overlap",
	.severity = SEV_WARNING,
	.summary = "new INVITE in a dialog while another INVITE transaction is in progress",
	.reference = "RFC 3261 §14.1",
	.check_call = check,
};
