/* forked_2xx.c - forked-2xx: one INVITE answered by 2xx from several
 * dialogs (different To tags); each must be ACKed and the unwanted ones
 * ended with BYE (RFC 3261 §13.2.2.4, §16.7 point 5). */
#include <stdio.h>
#include <string.h>

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
		int32_t dtx[16]; /* the transaction each dialog's first 2xx answered */
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
				dtx[nd] = cm->txn;
				nd++;
			}
		}
		if (nd < 2)
			continue;
		/* Forking answers one request through several branches. Two 2xx
		 * answering two different requests that reached the same UAS
		 * (another source port or a new branch: a NAT or container network
		 * sending the INVITE twice) mean a duplicate INVITE, each copy
		 * answered with its own dialog. */
		unsigned dupx = 0, origx = 0;
		for (unsigned x = 1; x < nd && !dupx; x++)
			for (unsigned y = 0; y < x; y++) {
				const struct txn *a = &c->txns[dtx[y]], *b = &c->txns[dtx[x]];
				/* a copy, not a fork: same UAS, another source, the same
				 * Request-URI (a fork retargets it) */
				if (dtx[x] != dtx[y] && a->req >= 0 && b->req >= 0 && endpoint_eq(&a->dst, &b->dst) &&
				    !endpoint_eq(&a->src, &b->src) && !sv_eq(a->branch, b->branch) &&
				    sv_eq(c->msgs[a->req].m->start.uri, c->msgs[b->req].m->start.uri)) {
					dupx = x, origx = y;
					break;
				}
			}
		struct finding *f = finding_new(ctx, c, SEV_WARNING);
		finding_msg(f, c, t->req);
		if (dupx) {
			finding_msg(f, c, c->txns[dtx[origx]].req);
			finding_msg(f, c, c->txns[dtx[dupx]].req);
		}
		for (unsigned x = 0; x < nd; x++) {
			if (x == (dupx ? dupx : 1))
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
		if (dupx) {
			const struct txn *a = &c->txns[dtx[origx]], *b = &c->txns[dtx[dupx]];
			const struct sip_msg *dm = c->msgs[b->req].m;
			char dst[ENDPOINT_STRLEN], src[ENDPOINT_STRLEN], osrc[ENDPOINT_STRLEN], tag[64];
			endpoint_format(&b->dst, dst, sizeof dst);
			endpoint_format(&b->src, src, sizeof src);
			endpoint_format(&a->src, osrc, sizeof osrc);
			sv_print(tag, sizeof tag, c->dialogs[dlg[dupx]].callee_tag);
			finding_summary(f, "%s reached %s twice: a duplicate at frame %llu came from %s with a new branch "
					   "(the original from %s), and the UAS answered each copy, so the second dialog "
					   "(To tag %s, frame %llu) came from the duplicate",
					label, dst, (unsigned long long)dm->frame, src, osrc, tag,
					(unsigned long long)c->msgs[first_ok[dupx]].m->frame);
			finding_explain(f, "Not forking: the same INVITE (Call-ID, From tag, CSeq) arrived again by a second "
					   "path — another source address or port and a new Via branch, as a NAT, a container "
					   "network or a misrouted copy produces — so it looked like a new transaction. A UAS "
					   "should detect the merged request (RFC 3261 §8.2.2.2) and answer the copy 482 Loop "
					   "Detected; this one set up a second dialog instead. The caller sees %u 2xx with "
					   "different To tags and must ACK and BYE the extra one; media may go to the wrong leg.",
					nd);
			finding_hint(f, "Find why the INVITE travels twice (NAT or bridge duplicating packets, two routes to "
					"the UAS, an SBC resending with a new branch) and make the UAS reject merged "
					"requests with 482.");
			finding_host(f, &b->src);
			finding_group(f, "duplicate INVITE by a second path to %s", dst);
			finding_emit(ctx, f);
			continue;
		}
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
