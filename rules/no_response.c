/* no_response.c - no-response: a request retransmitted with no response at
 * all (Timer A/E firing until Timer B/F, RFC 3261 §17.1.1.2, §17.1.2.2).
 * REGISTER is left to registration-failed, which explains it in context. */
#include <stdio.h>

#include "rule.h"

static void check(struct rule_ctx *ctx, const struct call *c)
{
	struct finding *f = NULL;
	uint32_t n = 0, copies = 0;
	int32_t first = -1;
	double span = 0;
	for (uint32_t i = 0; i < c->ntxns; i++) {
		const struct txn *t = &c->txns[i];
		if (t->req < 0 || t->first_resp >= 0 || t->method == M_ACK || t->method == M_REGISTER)
			continue;
		const struct sip_msg *req = c->msgs[t->req].m;
		bool reliable = req->transport != TRANSPORT_UDP;
		/* Unreliable transports prove it by retransmissions; reliable
		 * ones by Timer B/F passing with the call still in the capture. */
		if (t->req_count < 2 && !(reliable && c->end_ns - t->start_ns >= SIP_TIMER_B_NS))
			continue;
		/* finalised early by the memory bound: a response could still come */
		if (c->early && c->capture_end_ns - t->start_ns < SIP_TIMER_B_NS)
			continue;
		if (!f)
			f = finding_new(ctx, c, SEV_ERROR);
		for (int32_t k = t->last_msg; k >= 0; k = c->msgs[k].prev_in_txn)
			finding_msg(f, c, k);
		if (first < 0)
			first = t->req;
		n++;
		copies += t->req_count;
		double s = (double)(t->end_ns - t->start_ns) / 1e9;
		if (s > span)
			span = s;
	}
	if (!f)
		return;
	char label[96], dst[ENDPOINT_STRLEN];
	msg_label(label, sizeof label, c, first);
	endpoint_format(&c->msgs[first].m->dst, dst, sizeof dst);
	if (n == 1)
		finding_summary(f, "%s to %s got no response (%u copies over %.1f s)", label, dst, copies, span);
	else
		finding_summary(f, "%u requests got no response, first %s to %s", n, label, dst);
	finding_explain(f, "The sender retransmitted the request (T1 doubling, RFC 3261 §17.1) and nothing ever "
			   "answered, not even 100 Trying: the request is lost on the way, the destination is down "
			   "or filtered, or its responses go elsewhere. After 64*T1 = 32 s the transaction times out "
			   "(408 to the user).");
	finding_hint(f, "Check reachability of %s: firewall or fail2ban blocks, a wrong port or transport, NAT "
			"without rport, or responses sent to an address the sender does not listen on.",
		     dst);
	/* the method and the host that did not answer */
	finding_host(f, &c->msgs[first].m->dst);
	finding_group(f, "%s to %s", sip_method_name(c->msgs[first].method), f->host);
	finding_emit(ctx, f);
}

const struct rule rule_no_response = {
	.id = "no-response",
	.severity = SEV_ERROR,
	.summary = "a request retransmitted with no response at all",
	.reference = "RFC 3261 §17.1.1.2, §17.1.2.2",
	.check_call = check,
};
