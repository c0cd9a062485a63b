/* slow_setup.c - slow-setup: the caller waited too long for a sign of life.
 *  - post-dial delay (the INVITE's first copy to the first 180-189) over a
 *    threshold (--pdd-threshold, default 5 s): the caller hears silence;
 *    the hop blamed is the last one captured that was over the threshold
 *    (an upstream proxy only relays the wait of the one after it);
 *  - an INVITE over UDP retransmitted before any response: a stateful
 *    element answers 100 Trying within 200 ms (RFC 3261 §17.2.1), so the
 *    next hop is slow or its 100 was lost.
 * Not for a callee that rings long before answering (ringing is not setup),
 * nor for an INVITE that never got any response (no-response says that). */
#include <stdio.h>

#include "rule.h"

/* The first 180-189 of transaction ti, -1 none. */
static int32_t first_18x(const struct call *c, uint32_t ti)
{
	const struct txn *t = &c->txns[ti];
	int32_t best = -1;
	for (int32_t k = t->last_msg; k >= 0; k = c->msgs[k].prev_in_txn) {
		const struct sip_msg *m = c->msgs[k].m;
		if (!m->start.is_request && m->start.status >= 180 && m->start.status <= 189)
			best = k; /* the chain runs newest first: the last seen is the earliest */
	}
	return best;
}

static void pdd_check(struct rule_ctx *ctx, const struct call *c)
{
	int64_t limit = ctx->params ? ctx->params->pdd_ns : RULE_PDD_DEFAULT_NS;
	int32_t blame = -1, ring = -1, first = -1, first_ring = -1;
	int64_t first_pdd = 0;
	for (uint32_t i = 0; i < c->ntxns; i++) {
		const struct txn *t = &c->txns[i];
		if (!txn_initial_invite(c, t))
			continue;
		int32_t r = first_18x(c, i);
		if (r < 0)
			continue;
		int64_t pdd = msg_ns(c->msgs[r].m) - msg_ns(c->msgs[t->req].m);
		if (pdd <= limit)
			continue;
		if (first < 0) {
			first = (int32_t)i;
			first_ring = r;
			first_pdd = pdd;
		}
		/* the hop sent last: the furthest downstream */
		if (blame < 0 || t->start_ns >= c->txns[blame].start_ns) {
			blame = (int32_t)i;
			ring = r;
		}
	}
	if (blame < 0)
		return;
	const struct txn *t = &c->txns[blame];
	const struct sip_msg *inv = c->msgs[t->req].m, *rm = c->msgs[ring].m;
	double pdd = (double)(msg_ns(rm) - msg_ns(inv)) / 1e9;
	struct finding *f = finding_new(ctx, c, SEV_WARNING);
	finding_msg(f, c, t->req);
	if (t->first_resp >= 0 && t->first_resp != ring)
		finding_msg(f, c, t->first_resp);
	finding_key(f, c, ring);
	if (first >= 0 && first != blame) {
		finding_msg(f, c, c->txns[first].req);
		finding_msg(f, c, first_ring);
	}
	char to[ENDPOINT_STRLEN], from[ENDPOINT_STRLEN], reason[64];
	endpoint_format(&inv->dst, to, sizeof to);
	endpoint_format(&inv->src, from, sizeof from);
	sv_print(reason, sizeof reason, rm->start.reason);
	finding_summary(f, "post-dial delay %.1f s: %d %s came %.1f s after the INVITE from %s to %s", pdd,
			rm->start.status, reason, pdd, from, to);
	char upstream[160] = "";
	if (first >= 0 && first != blame)
		snprintf(upstream, sizeof upstream, " The caller's own hop waited %.1f s.", (double)first_pdd / 1e9);
	finding_explain(f,
			"The caller heard silence for %.1f s after dialling, more than the %.1f s this run allows "
			"(--pdd-threshold): the first ringing or session-progress response (18x) is what tells the "
			"caller the call is on its way. %s had the INVITE and sent no 18x for that long: routing "
			"(DNS, ENUM, a number lookup), an overloaded element, failover to a second route after a "
			"timeout, or a callee device slow to start ringing.%s",
			pdd, (double)limit / 1e9, to, upstream);
	finding_hint(f, "Look at what %s does between receiving the INVITE and ringing: its routing lookups and "
			"timeouts, a first route that fails over, CPU load. A 100 Trying does not end the wait for "
			"the caller; a 180 or 183 does.",
		     to);
	finding_host(f, &inv->dst);
	finding_group(f, "post-dial delay over %.0f s at %s", (double)limit / 1e9, f->host);
	finding_emit(ctx, f);
}

static void trying_check(struct rule_ctx *ctx, const struct call *c)
{
	for (uint32_t i = 0; i < c->ntxns; i++) {
		const struct txn *t = &c->txns[i];
		if (!txn_initial_invite(c, t) || t->first_resp < 0 || t->req_count < 2)
			continue;
		const struct sip_msg *inv = c->msgs[t->req].m;
		if (inv->transport != TRANSPORT_UDP)
			continue;
		int64_t resp_ns = msg_ns(c->msgs[t->first_resp].m);
		/* the first retransmission on the first hop, before any response */
		int32_t re = -1;
		uint32_t before = 0;
		for (int32_t k = t->last_msg; k >= 0; k = c->msgs[k].prev_in_txn) {
			const struct call_msg *cm = &c->msgs[k];
			if (!cm->m->start.is_request || cm->method != M_INVITE || !(cm->flags & CM_RETRANS) ||
			    !endpoint_eq(&cm->m->src, &inv->src) || !endpoint_eq(&cm->m->dst, &inv->dst) ||
			    msg_ns(cm->m) >= resp_ns)
				continue;
			re = k;
			before++;
		}
		if (re < 0)
			continue;
		const struct sip_msg *first_resp = c->msgs[t->first_resp].m;
		double wait = (double)(resp_ns - msg_ns(inv)) / 1e9;
		struct finding *f = finding_new(ctx, c, SEV_WARNING);
		finding_key(f, c, re);
		finding_msg(f, c, t->req);
		finding_msg(f, c, t->first_resp);
		char to[ENDPOINT_STRLEN], reason[64];
		endpoint_format(&inv->dst, to, sizeof to);
		sv_print(reason, sizeof reason, first_resp->start.reason);
		finding_summary(f, "INVITE to %s retransmitted %u time%s before any response; the first, %d %s, came "
				   "after %.2f s",
				to, before, before == 1 ? "" : "s", first_resp->start.status, reason, wait);
		finding_explain(f,
				"Over UDP the caller retransmits the INVITE at T1 = 500 ms, 1 s, 2 s... until a "
				"response arrives (RFC 3261 §17.1.1.2). A stateful proxy or UA answers 100 Trying "
				"within 200 ms (§17.2.1) so that this does not happen; here the first response came "
				"%.2f s after the INVITE. Each retransmission costs the next hop work while it is "
				"already slow, and the caller's setup time grows.",
				wait);
		finding_hint(f, "Check %s: is it stateless (a proxy that forwards without 100 Trying), overloaded, "
				"or is its 100 lost on the way back (a firewall, NAT or asymmetric route)? A capture at "
				"%s itself tells which.",
			     to, to);
		finding_host(f, &inv->dst);
		finding_group(f, "INVITE retransmitted before any response from %s", f->host);
		finding_emit(ctx, f);
	}
}

static void check(struct rule_ctx *ctx, const struct call *c)
{
	if (c->kind != KIND_CALL)
		return;
	trying_check(ctx, c);
	pdd_check(ctx, c);
}

const struct rule rule_slow_setup = {
	.id = "slow-setup",
	.severity = SEV_WARNING,
	.summary = "post-dial delay over a threshold, or an INVITE retransmitted before any response",
	.reference = "RFC 3261 §17.2.1, §17.1.1.2; ITU-T E.431 (post-selection delay)",
	.check_call = check,
};
