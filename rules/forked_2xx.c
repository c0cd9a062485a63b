/* forked_2xx.c - forked-2xx: one INVITE answered by 2xx from several
 * dialogs (different To tags); each must be ACKed and the unwanted ones
 * ended with BYE (RFC 3261 §13.2.2.4, §16.7 point 5). */
#include <stdio.h>

#include "rule.h"

static void check(struct rule_ctx *ctx, const struct call *c)
{
	/* Group by the caller's INVITE: CSeq and From tag (same across hops). */
	for (uint32_t i = 0; i < c->ntxns; i++) {
		const struct txn *t = &c->txns[i];
		if (t->method != M_INVITE || t->in_dialog)
			continue;
		bool seen = false;
		for (uint32_t j = 0; j < i && !seen; j++)
			seen = c->txns[j].method == M_INVITE && !c->txns[j].in_dialog && c->txns[j].cseq == t->cseq &&
			       sv_eq(c->txns[j].from_tag, t->from_tag);
		if (seen)
			continue;
		int32_t dlg[16];
		int32_t first_ok[16];
		unsigned nd = 0;
		for (uint32_t k = 0; k < c->nmsgs; k++) {
			const struct call_msg *cm = &c->msgs[k];
			const struct sip_msg *m = cm->m;
			if (m->start.is_request || m->start.status < 200 || m->start.status >= 300 ||
			    cm->method != M_INVITE || cm->txn < 0 || cm->dialog < 0)
				continue;
			const struct txn *kt = &c->txns[cm->txn];
			if (kt->in_dialog || kt->cseq != t->cseq || !sv_eq(kt->from_tag, t->from_tag))
				continue;
			unsigned x;
			for (x = 0; x < nd; x++)
				if (dlg[x] == cm->dialog)
					break;
			if (x == nd && nd < 16) {
				dlg[nd] = cm->dialog;
				first_ok[nd] = (int32_t)k;
				nd++;
			}
		}
		if (nd < 2)
			continue;
		struct finding *f = finding_new(ctx, c, SEV_WARNING);
		finding_msg(f, c, t->req);
		for (unsigned x = 0; x < nd; x++) {
			if (x == 1)
				finding_key(f, c, first_ok[x]); /* the second answer */
			finding_msg(f, c, first_ok[x]);
			/* what the caller did with each answer: ACK, BYE */
			for (uint32_t k = 0; k < c->nmsgs; k++) {
				const struct call_msg *cm = &c->msgs[k];
				if (cm->dialog == dlg[x] && cm->m->start.is_request && msg_is_first(c, (int32_t)k) &&
				    (cm->method == M_ACK || cm->method == M_BYE))
					finding_msg(f, c, (int32_t)k);
			}
		}
		char label[96];
		msg_label(label, sizeof label, c, t->req >= 0 ? t->req : first_ok[0]);
		finding_summary(f, "%s was answered by %u different dialogs (2xx with %u To tags)", label, nd, nd);
		finding_explain(f, "A forking proxy sent the INVITE to several devices and more than one answered. "
				   "The caller must ACK every 2xx and then end the unwanted dialogs with BYE; callers "
				   "that only handle one answer leave the others retransmitting 200 OK until they drop, "
				   "or connect media to the wrong device.");
		finding_hint(f, "Make the caller ACK and BYE the extra answers, or have the forking proxy CANCEL "
				"the other branches promptly (and, if the caller cannot cope, drop late 2xx at the proxy).");
		finding_emit(ctx, f);
	}
}

const struct rule rule_forked_2xx = {
	.id = "forked-2xx",
	.severity = SEV_WARNING,
	.summary = "several 2xx with different To tags for one INVITE",
	.reference = "RFC 3261 §13.2.2.4, §16.7",
	.check_call = check,
};
