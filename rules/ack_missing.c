/* ack_missing.c - ack-missing: a 2xx to INVITE retransmitted and never
 * ACKed (RFC 3261 §13.3.1.4): the UAS gives up after 64*T1 and ends the call.
 * An ACK with the wrong CSeq is ack-cseq's finding, not this one. */
#include <stdio.h>

#include "rule.h"

static bool acked(const struct call *c, int32_t d, uint32_t num, int64_t after, bool *any_ack)
{
	for (uint32_t i = 0; i < c->nmsgs; i++) {
		const struct call_msg *cm = &c->msgs[i];
		if (cm->method != M_ACK || !cm->m->start.is_request || cm->dialog != d || msg_ns(cm->m) < after)
			continue;
		*any_ack = true;
		const struct sip_cseq *cs = sip_msg_cseq(cm->m);
		if (cs->valid && cs->num == num)
			return true;
	}
	return false;
}

static void check(struct rule_ctx *ctx, const struct call *c)
{
	bool done[64] = { false };
	for (uint32_t i = 0; i < c->ntxns; i++) {
		const struct txn *t = &c->txns[i];
		if (t->method != M_INVITE || t->status < 200 || t->status >= 300 || t->final < 0)
			continue;
		int32_t d = c->msgs[t->final].dialog;
		if (d < 0 || (d < 64 && done[d]))
			continue;
		uint32_t copies = 0;
		for (int32_t k = t->last_msg; k >= 0; k = c->msgs[k].prev_in_txn)
			if (!c->msgs[k].m->start.is_request && c->msgs[k].m->start.status >= 200 &&
			    c->msgs[k].dialog == d && !(c->msgs[k].flags & CM_DUPLICATE))
				copies++;
		if (copies < 2)
			continue;
		bool any_ack = false;
		if (acked(c, d, t->cseq, msg_ns(c->msgs[t->final].m), &any_ack) || any_ack)
			continue;
		if (d < 64)
			done[d] = true;
		struct finding *f = finding_new(ctx, c, SEV_ERROR);
		finding_dialog(f, &c->dialogs[d]);
		finding_msg(f, c, t->req);
		finding_key(f, c, t->final);
		for (int32_t k = t->last_msg; k >= 0; k = c->msgs[k].prev_in_txn)
			if (!c->msgs[k].m->start.is_request && c->msgs[k].m->start.status >= 200 && c->msgs[k].dialog == d)
				finding_msg(f, c, k);
		/* the BYE that usually follows when the UAS gives up */
		int32_t bye = c->dialogs[d].end_req;
		if (bye >= 0)
			finding_msg(f, c, bye);
		char label[96], who[ENDPOINT_STRLEN];
		msg_label(label, sizeof label, c, t->final);
		endpoint_format(&c->msgs[t->final].m->dst, who, sizeof who);
		double span = (double)(t->end_ns - msg_ns(c->msgs[t->final].m)) / 1e9;
		finding_summary(f, "%s was sent %u times over %.1f s and never ACKed", label, copies, span);
		finding_explain(f, "The UAS retransmits its 2xx until the ACK arrives (T1 doubling up to T2, RFC "
				   "3261 §13.3.1.4) and gives up after 64*T1 = 32 s, usually ending the call with a "
				   "BYE: callers hear the call drop about 32 s after answer. Here no ACK came back "
				   "in this dialog.");
		finding_hint(f, "Check why %s does not send (or the path does not carry) the ACK: the 2xx's "
				"Contact or Record-Route pointing to an unreachable (private) address, a NAT, or a "
				"proxy not in the route set.",
			     who);
		/* the party that never ACKs */
		finding_host(f, &c->msgs[t->final].m->dst);
		finding_group(f, "2xx not ACKed by %s", f->host);
		finding_emit(ctx, f);
	}
}

const struct rule rule_ack_missing = {
	.id = "ack-missing",
	.severity = SEV_ERROR,
	.summary = "2xx to INVITE retransmitted and never ACKed",
	.reference = "RFC 3261 §13.3.1.4",
	.check_call = check,
};
