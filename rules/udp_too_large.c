/* udp_too_large.c - udp-too-large: a request over UDP larger than 1300 bytes
 * or IP-fragmented should have gone over a congestion-controlled transport
 * (RFC 3261 §18.1.1); NATs and firewalls drop the fragments. */
#include <stdio.h>
#include "rule.h"

#define UDP_LIMIT 1300

static void check(struct rule_ctx *ctx, const struct call *c)
{
	struct finding *f = NULL;
	uint32_t n = 0;
	size_t biggest = 0;
	bool frag = false;
	int32_t first = -1;
	for (uint32_t i = 0; i < c->nmsgs; i++) {
		const struct sip_msg *m = c->msgs[i].m;
		if (!m->start.is_request || m->transport != TRANSPORT_UDP || !msg_is_first(c, (int32_t)i))
			continue;
		if (m->raw_len <= UDP_LIMIT && !m->ip_fragmented)
			continue;
		if (!f) {
			f = finding_new(ctx, c, SEV_WARNING);
			first = (int32_t)i;
		}
		finding_msg(f, c, (int32_t)i);
		n++;
		if (m->raw_len > biggest)
			biggest = m->raw_len;
		frag |= m->ip_fragmented;
	}
	if (!f)
		return;
	char label[96];
	msg_label(label, sizeof label, c, first);
	if (n == 1)
		finding_summary(f, "%s is %zu bytes over UDP%s", label, biggest, frag ? " and arrived in IP fragments" : "");
	else
		finding_summary(f, "%u requests over UDP exceed 1300 bytes (largest %zu bytes%s), first %s", n, biggest,
				frag ? ", IP-fragmented" : "", label);
	finding_explain(f, "RFC 3261 §18.1.1 requires a request larger than 1300 bytes (or within 200 bytes of "
			   "the path MTU) to be sent over a congestion-controlled transport such as TCP. Over UDP it "
			   "is fragmented, and NATs, firewalls and SBCs often drop fragments: the request silently "
			   "never arrives.");
	finding_hint(f, "Send large requests over TCP (or TLS); trim the SDP (fewer codecs, no unused ICE "
			"candidates) and headers; or enable the UA's automatic switch to TCP for large messages.");
	finding_group(f, "from %s", f->host[0] ? f->host : "?"); /* the sending host */
	finding_emit(ctx, f);
}

const struct rule rule_udp_too_large = {
	.id = "udp-too-large",
	.severity = SEV_WARNING,
	.summary = "a request over UDP larger than 1300 bytes or IP-fragmented",
	.reference = "RFC 3261 §18.1.1",
	.check_call = check,
};
