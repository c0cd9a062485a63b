/* ack_cseq.c - ack-cseq: an ACK whose CSeq number is not the INVITE's it
 * acknowledges (RFC 3261 §13.2.2.4 for 2xx, §17.1.1.3 for non-2xx). The UAS
 * discards it, keeps retransmitting its 2xx and drops the call (seeds/002). */
#include <stdio.h>
#include <stdlib.h>

#include "../analyzer/xalloc.h"
#include "rule.h"

/* Index of a request (first copy) in dialog d with CSeq number num and not
 * an ACK, preferring the hop of msg at. */
static int32_t carrier(const struct call *c, int32_t d, uint32_t num, const struct sip_msg *at)
{
	int32_t any = -1;
	for (uint32_t i = 0; i < c->nmsgs; i++) {
		const struct call_msg *cm = &c->msgs[i];
		struct sip_msg *m = cm->m;
		if (!m->start.is_request || cm->method == M_ACK || cm->method == M_CANCEL || !msg_is_first(c, (int32_t)i))
			continue;
		if (cm->dialog != d && !(cm->dialog < 0 && cm->txn >= 0 && d >= 0 && c->dialogs[d].create_txn >= 0 &&
					 c->txns[c->dialogs[d].create_txn].cseq == num))
			continue;
		const struct sip_cseq *cs = sip_msg_cseq(m);
		if (!cs->valid || cs->num != num)
			continue;
		if (endpoint_eq(&m->src, &at->src) && endpoint_eq(&m->dst, &at->dst))
			return (int32_t)i;
		if (any < 0)
			any = (int32_t)i;
	}
	return any;
}

/* The (dialog, CSeq number) pairs of the INVITEs that got a 2xx: the ACK of
 * a 2xx looks its number up here first, so a dialog of 10^4 re-INVITEs is
 * not 10^8 steps; only an ACK that matches none scans for the INVITE it
 * should have matched. */
struct okset {
	uint32_t n; /* slots, a power of two */
	struct okent { int32_t d; uint32_t cseq; bool used; } *e;
};

static struct okent *ok_slot(const struct okset *o, int32_t d, uint32_t cseq)
{
	uint32_t h = ((uint32_t)d * 0x9e3779b1u) ^ (cseq * 0x85ebca6bu);
	h ^= h >> 16;
	for (uint32_t i = h & (o->n - 1);; i = (i + 1) & (o->n - 1))
		if (!o->e[i].used || (o->e[i].d == d && o->e[i].cseq == cseq))
			return &o->e[i];
}

static void ok_add(struct okset *o, int32_t d, uint32_t cseq)
{
	if (d < 0)
		return;
	struct okent *x = ok_slot(o, d, cseq);
	*x = (struct okent){ d, cseq, true };
}

static void check(struct rule_ctx *ctx, const struct call *c)
{
	struct finding *f[16] = { 0 };
	int32_t first_ack[16], expected[16], carried[16];
	uint32_t nbad[16] = { 0 };
	struct okset oks = { 16, NULL };
	while (oks.n < 4 * c->ntxns)
		oks.n *= 2;
	oks.e = xcalloc(oks.n, sizeof *oks.e);
	for (uint32_t k = 0; k < c->ntxns; k++) {
		const struct txn *it = &c->txns[k];
		if (it->method != M_INVITE || it->status < 200 || it->status >= 300 || it->final < 0)
			continue;
		if (it->in_dialog && it->req >= 0)
			ok_add(&oks, c->msgs[it->req].dialog, it->cseq);
		ok_add(&oks, c->msgs[it->final].dialog, it->cseq);
	}

	for (uint32_t i = 0; i < c->nmsgs; i++) {
		const struct call_msg *cm = &c->msgs[i];
		struct sip_msg *m = cm->m;
		if (!m->start.is_request || cm->method != M_ACK || !msg_is_first(c, (int32_t)i) || cm->txn < 0)
			continue;
		const struct sip_cseq *cs = sip_msg_cseq(m);
		if (!cs->valid)
			continue;
		const struct txn *t = &c->txns[cm->txn];
		int32_t exp = -1, d = cm->dialog;
		if (t->method == M_INVITE) {
			/* ACK of a non-2xx: same transaction, same number */
			if (cs->num == t->cseq)
				continue;
			exp = t->req;
		} else {
			if (d < 0 || c->dialogs[d].inferred)
				continue; /* the INVITE is not in the capture */
			/* Any INVITE of this dialog (any hop) with this number that got a 2xx? */
			if (ok_slot(&oks, d, cs->num)->used)
				continue;
			bool ok = false;
			int32_t pending = -1;
			for (uint32_t k = 0; k < c->ntxns && !ok; k++) {
				const struct txn *it = &c->txns[k];
				if (it->method != M_INVITE || it->status < 200 || it->status >= 300 || it->final < 0)
					continue;
				bool mine = (it->in_dialog && it->req >= 0 && c->msgs[it->req].dialog == d) ||
					    c->msgs[it->final].dialog == d;
				if (!mine)
					continue;
				if (it->cseq == cs->num)
					ok = true;
				else if (msg_ns(c->msgs[it->final].m) <= msg_ns(m) && it->req >= 0 &&
					 (pending < 0 || (endpoint_eq(&c->msgs[it->req].m->src, &m->src) &&
							  endpoint_eq(&c->msgs[it->req].m->dst, &m->dst))))
					pending = it->req;
			}
			if (ok || pending < 0)
				continue;
			exp = pending;
		}
		unsigned slot = d >= 0 ? (unsigned)d % 16 : 15;
		if (!f[slot]) {
			f[slot] = finding_new(ctx, c, SEV_ERROR);
			if (d >= 0)
				finding_dialog(f[slot], &c->dialogs[d]);
			first_ack[slot] = (int32_t)i;
			finding_key(f[slot], c, (int32_t)i);
			expected[slot] = exp;
			carried[slot] = carrier(c, d, cs->num, m);
			finding_msg(f[slot], c, exp);
			finding_msg(f[slot], c, carried[slot]);
			/* the 2xx of the INVITE it should have matched, and its
			 * retransmissions: they prove the ACK was not accepted */
			int32_t et = c->msgs[exp].txn;
			if (et >= 0)
				for (int32_t k = c->txns[et].last_msg; k >= 0; k = c->msgs[k].prev_in_txn)
					if (!c->msgs[k].m->start.is_request && c->msgs[k].m->start.status >= 200)
						finding_msg(f[slot], c, k);
		}
		finding_msg(f[slot], c, (int32_t)i);
		nbad[slot]++;
	}
	for (unsigned s = 0; s < 16; s++) {
		if (!f[s])
			continue;
		char ack[96], exp[96], car[96] = "";
		msg_label(ack, sizeof ack, c, first_ack[s]);
		msg_label(exp, sizeof exp, c, expected[s]);
		if (carried[s] >= 0) {
			char l[96];
			msg_label(l, sizeof l, c, carried[s]);
			snprintf(car, sizeof car, "; its number is that of %s", l);
		}
		uint32_t retrans = 0;
		int32_t et = c->msgs[expected[s]].txn;
		if (et >= 0)
			for (int32_t k = c->txns[et].last_msg; k >= 0; k = c->msgs[k].prev_in_txn)
				if (c->msgs[k].flags & CM_RETRANS && !c->msgs[k].m->start.is_request)
					retrans++;
		finding_summary(f[s], "%s does not acknowledge %s%s%s", ack, exp, car,
				nbad[s] > 1 ? " (and more ACKs like it)" : "");
		if (retrans)
			finding_explain(f[s], "The ACK for a 2xx must carry the CSeq number of the INVITE it "
					      "acknowledges (RFC 3261 §13.2.2.4). The UAS discarded it: its 2xx was "
					      "retransmitted %u more time(s), and without a matching ACK the UAS "
					      "drops the call after 64*T1 = 32 s.",
					retrans);
		else
			finding_explain(f[s], "The ACK for a 2xx must carry the CSeq number of the INVITE it "
					      "acknowledges (RFC 3261 §13.2.2.4); a UAS that matches strictly "
					      "discards it, retransmits its 2xx and drops the call after 32 s.");
		finding_hint(f[s], "Find the element that builds this ACK (often a proxy or B2BUA that renumbers "
				   "CSeq and then takes the number of the last request it forwarded, e.g. an UPDATE "
				   "sent right after the re-INVITE) and make it use the INVITE's number.");
		finding_emit(ctx, f[s]);
	}
	free(oks.e);
}

const struct rule rule_ack_cseq = {
	.id = "ack-cseq",
	.severity = SEV_ERROR,
	.summary = "ACK does not carry the CSeq number of the INVITE it acknowledges",
	.reference = "RFC 3261 §13.2.2.4, §17.1.1.3",
	.check_call = check,
};
