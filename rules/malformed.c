/* malformed.c - malformed: a message that does not parse, lacks a mandatory
 * header, or whose Content-Length disagrees with its body (RFC 3261 §7.3,
 * §8.1.1, §18.3, §20.14). One finding per call and reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule.h"

#define MAX_REASONS 8

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
		if (m->malformed) {
			reason = m->malformed_reason ? m->malformed_reason : "does not parse";
			sev = SEV_ERROR;
		} else if (m->nonconformance && strstr(m->nonconformance, "Max-Forwards")) {
			/* A mandatory header missing (§8.1.1.6): an error, as FAULTS.md
			 * says — except on ACK, which is never answered and which many
			 * phones send without it: there it breaks nothing (warning). */
			reason = m->nonconformance;
			sev = c->msgs[i].method == M_ACK ? SEV_WARNING : SEV_ERROR;
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
		if (!strstr(g[k].reason, "Max-Forwards")) {
			finding_explain(f, "A receiver must reject or drop a message it cannot parse or that lacks a "
					   "mandatory header (Via, From, To, Call-ID, CSeq): the request fails or the "
					   "response is lost, and the call or registration breaks at this point.");
			finding_hint(f, "Fix the sender's message construction (or the SIP ALG / proxy rewriting it); "
					"check the exact bytes of the frame in the capture.");
		} else {
			finding_explain(f, "Requests must carry Max-Forwards (RFC 3261 §8.1.1.6); strict servers answer "
					   "400 or 483 and loops go undetected. On an ACK (never answered) it breaks "
					   "nothing in practice, hence only a warning there.");
			finding_hint(f, "Make the sending UA or B2BUA add 'Max-Forwards: 70' to every request, ACK "
					"and CANCEL included.");
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
