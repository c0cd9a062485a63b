/* auth_failed.c - auth-failed: a request (not REGISTER: registration-failed
 * covers it) challenged with 401/407, resent with credentials, and refused
 * with 403 or challenged again (RFC 3261 §22.2, §22.3). */
#include <stdio.h>

#include "rule.h"

static void check(struct rule_ctx *ctx, const struct call *c)
{
	int32_t challenge = -1; /* first transaction challenged */
	for (uint32_t i = 0; i < c->ntxns; i++) {
		const struct txn *t = &c->txns[i];
		if (t->req < 0 || t->method == M_REGISTER || t->method == M_ACK || t->method == M_CANCEL)
			continue;
		struct sip_msg *req = c->msgs[t->req].m;
		if ((t->status == 401 || t->status == 407) && !msg_has_credentials(req)) {
			if (challenge < 0)
				challenge = (int32_t)i;
			continue;
		}
		if (challenge < 0 || !msg_has_credentials(req) || t->method != c->txns[challenge].method)
			continue;
		if (t->status != 403 && t->status != 401 && t->status != 407)
			continue;
		const struct txn *ch = &c->txns[challenge];
		struct finding *f = finding_new(ctx, c, SEV_ERROR);
		finding_msg(f, c, ch->req);
		finding_msg(f, c, ch->final);
		finding_msg(f, c, t->req);
		finding_key(f, c, t->final);
		char label[96], resp[96], cr[96];
		msg_label(label, sizeof label, c, t->req);
		msg_label(resp, sizeof resp, c, t->final);
		msg_label(cr, sizeof cr, c, ch->final);
		struct sip_auth a;
		char user[80] = "?", realm[80] = "?";
		if (sip_msg_auth(req, sip_msg_has(req, SIP_H_PROXY_AUTHORIZATION) ? SIP_H_PROXY_AUTHORIZATION : SIP_H_AUTHORIZATION, &a)) {
			sv_print(user, sizeof user, a.username);
			sv_print(realm, sizeof realm, a.realm);
		}
		finding_summary(f, "%s with credentials (user %s, realm %s) was refused: %s after %s", label, user,
				realm, resp, cr);
		if (t->status == 403)
			finding_explain(f, "The server challenged the request, the client answered with credentials "
					   "and the server refused them: wrong password, unknown user, or the account may "
					   "not make this request (e.g. calls to this destination).");
		else
			finding_explain(f, "The server challenged again after credentials: it did not accept them (wrong "
					   "realm or username, wrong password, or a stale nonce).");
		finding_hint(f, "Check the credentials configured for user %s in realm %s, and the server's "
				"permissions for this account.",
			     user, realm);
		finding_group(f, "%d from %s for realm %s", t->status, f->host, realm); /* who refused, which realm */
		finding_emit(ctx, f);
		return; /* one finding per call */
	}
}

const struct rule rule_auth_failed = {
	.id = "auth-failed",
	.severity = SEV_ERROR,
	.summary = "request challenged, resent with credentials, and refused",
	.reference = "RFC 3261 §22.2, §22.3",
	.check_call = check,
};
