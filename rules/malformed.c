/* malformed.c - malformed: a message that does not parse, lacks a mandatory
 * header, or whose Content-Length disagrees with its body (RFC 3261 §7.3,
 * §8.1.1, §18.3, §20.14). One finding per call and reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule.h"

#define MAX_REASONS 8

/* Final status of the transaction of request idx, 0 when none was seen. */
static int request_final(const struct call *c, int32_t idx)
{
	int32_t t = c->msgs[idx].txn;
	return t >= 0 && c->txns[t].final >= 0 ? c->txns[t].status : 0;
}

/* Does the 400 to request idx blame Max-Forwards, or nothing in particular
 * (the bare phrase)? A 400 whose reason or Warning names another defect
 * says nothing about this one. */
static bool rejected_for_max_forwards(const struct call *c, int32_t idx)
{
	int32_t t = c->msgs[idx].txn;
	const struct sip_msg *fin = c->msgs[c->txns[t].final].m;
	struct sv why = sv_trim(fin->start.reason);
	return sv_contains_ci(why, "max-forwards") || sv_contains_ci(why, "max forwards") ||
	       sv_contains_ci(sip_msg_hdr(fin, SIP_H_WARNING), "max-forwards") || sv_eq_ci(why, SV_LIT("Bad Request")) ||
	       why.len == 0;
}

static void check(struct rule_ctx *ctx, const struct call *c)
{
	struct {
		const char *reason;
		enum severity sev;
		struct finding *f;
		uint32_t n;
		int32_t first;
	} g[MAX_REASONS];
	size_t ng = 0;
	for (uint32_t i = 0; i < c->nmsgs; i++) {
		const struct sip_msg *m = c->msgs[i].m;
		const char *reason;
		enum severity sev;
		struct sip_msg *mm = c->msgs[i].m;
		if (m->malformed) {
			reason = m->malformed_reason ? m->malformed_reason : "does not parse";
			sev = SEV_ERROR;
		} else if (m->nonconformance && strstr(m->nonconformance, "Max-Forwards")) {
			/* A mandatory header missing (§8.1.1.6). Severity follows the
			 * evidence: the peer rejecting it (400, 483) makes it an error;
			 * a peer that accepted it shows it broke nothing here, so it is
			 * an interoperability warning (nathelper keep-alives); ACK is
			 * never answered and many phones omit it there. */
			int st = request_final(c, (int32_t)i);
			if (st == 400 && !rejected_for_max_forwards(c, (int32_t)i))
				st = -1; /* a 400 that names another defect: not evidence about this one */
			if (c->msgs[i].method == M_ACK)
				reason = "ACK without Max-Forwards (RFC 3261 §8.1.1.6)", sev = SEV_WARNING;
			else if (st == 400 || st == 483)
				reason = "request without Max-Forwards, rejected for it (RFC 3261 §8.1.1.6)", sev = SEV_ERROR;
			else if (st < 0)
				reason = "request without Max-Forwards, rejected 400 for another reason (RFC 3261 §8.1.1.6)",
				sev = SEV_WARNING;
			else if (st > 0)
				reason = "request without Max-Forwards, accepted by the peer (RFC 3261 §8.1.1.6)", sev = SEV_WARNING;
			else
				reason = "request without Max-Forwards, unanswered (RFC 3261 §8.1.1.6)", sev = SEV_WARNING;
		} else if (m->start.is_request && sip_msg_cseq(mm)->valid && sip_msg_cseq(mm)->digits > 32) {
			/* 1*DIGIT allows any number of leading zeros; only a peer
			 * with a fixed-size field would choke on it. */
			reason = "CSeq number field over 32 digits long (valid ABNF: leading zeros)";
			sev = SEV_WARNING;
		} else {
			continue; /* bytes after the body on UDP are legal (§18.3) */
		}
		if (c->msgs[i].flags & (CM_RETRANS | CM_DUPLICATE))
			continue;
		size_t k;
		for (k = 0; k < ng; k++)
			if ((g[k].reason == reason || strcmp(g[k].reason, reason) == 0) && g[k].sev == sev)
				break;
		if (k == ng) {
			if (ng == MAX_REASONS)
				k = ng - 1; /* fold the rest into the last group */
			else {
				g[ng] = (typeof(g[0])){ reason, sev, finding_new(ctx, c, sev), 0, (int32_t)i };
				ng++;
			}
		}
		finding_msg(g[k].f, c, (int32_t)i);
		g[k].n++;
	}
	for (size_t k = 0; k < ng; k++) {
		struct finding *f = g[k].f;
		char what[120];
		const struct sip_msg *m = c->msgs[g[k].first].m;
		if (m->start.line.len) {
			char line[80];
			sv_print(line, sizeof line, m->start.line);
			snprintf(what, sizeof what, "'%s'", line);
		} else {
			snprintf(what, sizeof what, "a message");
		}
		if (g[k].n == 1)
			finding_summary(f, "%s: %s", what, g[k].reason);
		else
			finding_summary(f, "%u messages (first %s): %s", g[k].n, what, g[k].reason);
		if (strstr(g[k].reason, "CSeq number field over")) {
			finding_explain(f, "The CSeq number is 1*DIGIT (RFC 3261 §25.1), so leading zeros are valid and "
					   "the value is within range; but a receiver that copies the field into a "
					   "fixed-size buffer, or parses it as at most 10 digits, may reject or "
					   "mis-read it.");
			finding_hint(f, "Harmless where the peer answered normally; make the sender write the number "
					"without leading zeros if a peer rejects it.");
		} else if (!strstr(g[k].reason, "Max-Forwards")) {
			finding_explain(f, "A receiver must reject or drop a message it cannot parse or that lacks a "
					   "mandatory header (Via, From, To, Call-ID, CSeq): the request fails or the "
					   "response is lost, and the call or registration breaks at this point.");
			finding_hint(f, "Fix the sender's message construction (or the SIP ALG / proxy rewriting it); "
					"check the exact bytes of the frame in the capture.");
		} else if (g[k].sev == SEV_ERROR) {
			finding_explain(f, "Requests must carry Max-Forwards (RFC 3261 §8.1.1.6), and this peer enforces "
					   "it: it rejected the request (400/483), so the request failed because of it.");
			finding_hint(f, "Make the sending UA or B2BUA add 'Max-Forwards: 70' to every request, ACK "
					"and CANCEL included.");
		} else {
			finding_explain(f, "Requests must carry Max-Forwards (RFC 3261 §8.1.1.6). %s",
					strstr(g[k].reason, "accepted") ?
					"This peer accepted it and answered normally (keep-alive OPTIONS from Kamailio's "
					"nathelper are typical), so nothing broke here; a stricter peer answers 400 or 483, "
					"and loops go undetected." :
					strstr(g[k].reason, "unanswered") ?
					"No response to it is in the capture (see no-response if it was retransmitted): a "
					"strict peer may drop it, though nothing here proves that was the reason." :
					strstr(g[k].reason, "another reason") ?
					"The peer rejected it with 400, but its reason names another defect, so the missing "
					"header is not shown to be the cause; a stricter peer answers 400 or 483 for it." :
					"An ACK is never answered, so it breaks nothing in practice; a strict proxy may "
					"still drop it.");
			finding_hint(f, "Make the sending UA or B2BUA add 'Max-Forwards: 70' to every request, ACK "
					"and CANCEL included, before it meets a stricter peer.");
		}
		finding_group(f, "%s", g[k].reason); /* the defect kind (a fixed text) */
		finding_emit(ctx, f);
	}
}

const struct rule rule_malformed = {
	.id = "malformed",
	.severity = SEV_ERROR,
	.summary = "a message that does not parse or lacks a mandatory header",
	.reference = "RFC 3261 §8.1.1, §7.3, §20.14",
	.check_call = check,
};
