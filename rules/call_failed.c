/* call_failed.c - call-failed: a call whose INVITE ended with a 4xx/5xx/6xx,
 * explained in plain words with the causes the far end gave (RFC 3261 §21,
 * RFC 3326 Reason, §20.43 Warning). */
#include <stdio.h>
#include <string.h>

#include "rescode.h"
#include "rule.h"

static void check(struct rule_ctx *ctx, const struct call *c)
{
	if (c->kind != KIND_CALL || c->main_txn < 0)
		return;
	const struct txn *t = &c->txns[c->main_txn];
	int st = t->status;
	/* 487 after CANCEL is the caller hanging up, not a failure. */
	if (st < 400 || c->state == ST_CANCELLED || t->final < 0)
		return;
	const struct sip_msg *fin = c->msgs[t->final].m;
	struct finding *f = finding_new(ctx, c, SEV_INFO);
	finding_msg(f, c, t->req);
	finding_key(f, c, t->final);
	const struct rescode *rc = rescode_lookup(st);
	char reason[80], causes[600] = "";
	sv_print(reason, sizeof reason, fin->start.reason);
	quote_causes(causes, sizeof causes, fin);
	finding_summary(f, "call failed with %d %s%s%s", st, reason, causes[0] ? " — " : "", causes);
	finding_explain(f, "%d %s: %s", st, rc->phrase, rc->meaning);
	const char *hint;
	switch (st / 100) {
	case 4:
		hint = st == 401 || st == 407 ? "The caller never answered the challenge: configure credentials for this account."
		       : st == 404 || st == 484 || st == 604 ? "Check the dialled number and the dial plan / routing on the server that answered."
		       : st == 480 || st == 408 ? "Check that the callee is registered and reachable (registration, NAT keep-alive)."
		       : st == 486 || st == 600 || st == 603 ? "The callee refused or was busy: not a network fault."
		       : "Look at the server that sent the response (its Server/User-Agent header) and its logs.";
		break;
	case 5:
		hint = "A server or gateway failed: check trunk and route status on the server that answered, and the Reason/Retry-After it gave.";
		break;
	default:
		hint = "The callee's side declined globally: not a network fault.";
		break;
	}
	finding_hint(f, "%s", hint);
	finding_group(f, "%d %s from %s", st, rc->phrase, f->host); /* code and the host that answered */
	finding_emit(ctx, f);
}

const struct rule rule_call_failed = {
	.id = "call-failed",
	.severity = SEV_INFO,
	.summary = "a call ended with a 4xx/5xx/6xx response, explained",
	.reference = "RFC 3261 §21",
	.check_call = check,
};
