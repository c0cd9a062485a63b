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

static void check(struct rule_ctx *ctx, const struct call *c)
{
	check_initial(ctx, c);
	for (uint32_t ri = 0; ri < c->ntxns; ri++) {
		const struct txn *r = &c->txns[ri];
		if (r->method != M_INVITE || !r->in_dialog || r->req < 0)
			continue;
		const struct sip_msg *rm = c->msgs[r->req].m;
		int32_t d = c->msgs[r->req].dialog;
		if (d < 0)
			continue;
		int64_t tr = msg_ns(rm);
		int32_t busy = -1;
		const char *why = NULL;
		for (uint32_t ti = 0; ti < c->ntxns && busy < 0; ti++) {
			const struct txn *t = &c->txns[ti];
			if (ti == ri || t->method != M_INVITE || t->req < 0 || t->start_ns >= tr)
				continue;
			if (t->cseq == r->cseq && sv_eq(t->from_tag, r->from_tag))
				continue; /* the same request on another hop */
			if (!in_dialog(c, t, d))
				continue;
			int64_t fin = t->final >= 0 ? msg_ns(c->msgs[t->final].m) : INT64_MAX;
			if (endpoint_eq(&t->src, &rm->src) && fin > tr) {
				busy = (int32_t)ti;
				why = "its own earlier INVITE had no final response yet";
			} else if (endpoint_eq(&t->dst, &rm->src) &&
				   (fin > tr || (t->status >= 200 && t->status < 300 && !acked_at(c, d, t->cseq, &rm->src, tr)))) {
				busy = (int32_t)ti;
				why = fin > tr ? "it had not yet answered the other side's INVITE"
					       : "it had answered the other side's INVITE with 2xx but the ACK had not arrived";
			}
		}
		if (busy < 0)
			continue;
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
}

const struct rule rule_invite_overlap = {
	.id = "invite-overlap",
	.severity = SEV_WARNING,
	.summary = "new INVITE in a dialog while another INVITE transaction is in progress",
	.reference = "RFC 3261 §14.1",
	.check_call = check,
};
