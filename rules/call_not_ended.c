/* call_not_ended.c - call-not-ended: an answered call still up when the
 * capture ends (no BYE seen) (RFC 3261 §15). */
#include <stdio.h>
#include "rule.h"

static void check(struct rule_ctx *ctx, const struct call *c)
{
	if (!c->ended_input || c->early) /* early: its BYE may still come, in the call that continues it */
		return;
	for (uint32_t i = 0; i < c->ndialogs; i++) {
		const struct dialog *d = &c->dialogs[i];
		if (d->kind != M_INVITE || d->state != DLG_CONFIRMED)
			continue;
		struct finding *f = finding_new(ctx, c, SEV_INFO);
		finding_dialog(f, d);
		if (d->create_txn >= 0)
			finding_msg(f, c, c->txns[d->create_txn].req);
		finding_key(f, c, d->confirm_msg);
		/* the ACK of the answer */
		for (uint32_t k = 0; k < c->nmsgs; k++)
			if (c->msgs[k].dialog == (int32_t)i && c->msgs[k].method == M_ACK && msg_is_first(c, (int32_t)k)) {
				finding_msg(f, c, (int32_t)k);
				break;
			}
		/* up until the call's last sign of life (see call_duration) */
		int64_t until = c->answer_ns >= 0 && c->duration_ns >= 0 ? c->answer_ns + c->duration_ns : c->end_ns;
		if (until < c->end_ns)
			until = c->end_ns;
		double up = (double)(until - d->confirm_ns) / 1e9;
		const char *to = c->until == UNTIL_CAPTURE_END ? "to the end of the capture"
				 : c->until == UNTIL_LAST_RTP   ? "to its last RTP packet"
								: "to its last message";
		if (d->inferred)
			finding_summary(f, "a dialog already up when the capture began has no BYE by its end");
		else
			finding_summary(f, "answered call has no BYE by the end of the capture (up %.1f s, from the answer %s)",
					up, to);
		finding_explain(f, "The call was answered and never ended within the capture: either it was still "
				   "in progress when the capture stopped, or the BYE went another way (or was lost) "
				   "and one side may still consider the call up.");
		finding_hint(f, "If the capture ran past the hang-up, look for the BYE on another interface or "
				"port; a call that stays up for hours usually means a lost BYE or a missing session "
				"timer (RFC 4028).");
		finding_emit(ctx, f);
	}
}

const struct rule rule_call_not_ended = {
	.id = "call-not-ended",
	.severity = SEV_INFO,
	.summary = "answered call with no BYE by the end of the capture",
	.reference = "RFC 3261 §15",
	.check_call = check,
};
