/* call_failed.c - call-failed: a call whose INVITE ended with a 4xx/5xx/6xx,
 * explained in plain words with the causes the far end gave (RFC 3261 §21,
 * RFC 3326 Reason, §20.43 Warning); and likewise any other request that
 * failed (489 to SUBSCRIBE, 405 to MESSAGE, 501 to INFO ...), except where
 * another rule owns the failure (REGISTER: registration-failed; 481:
 * bye-481; 491: invite-overlap) or it is routine (a challenge answered with
 * credentials, 487 after CANCEL). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "rescode.h"
#include "rule.h"

static const char *request_hint(enum sip_method m, int st)
{
	switch (st) {
	case 489:
		return "The notifier does not support the event package in the request's Event header (RFC 6665 "
		       "§8.3.2); see its Allow-Events. Subscribe only to packages it offers, or configure the "
		       "package (presence, dialog, message-summary) on the server.";
	case 405:
		return "The server does not allow this method here (RFC 3261 §21.4.6): its Allow header lists "
		       "what it accepts. Configure the UA not to send it to this peer, or enable it on the server.";
	case 501:
		return "The server does not implement this method (RFC 3261 §21.5.2): use another mechanism "
		       "(e.g. RFC 4733 telephone-events instead of SIP INFO for DTMF).";
	case 420:
	case 421:
		return "An option-tag in Require/Proxy-Require is not supported (see the response's Unsupported), "
		       "or one the server requires is missing: align the extensions both sides use.";
	case 401:
	case 407:
		return "The request was challenged and never resent with credentials: configure credentials for this "
		       "account on the sender.";
	case 403:
		return "The server refused the request: check the sender's permissions and credentials on that server.";
	case 404:
	case 480:
		return "The target is unknown or not reachable: check the Request-URI and the target's registration.";
	default:
		(void)m;
		return st >= 500 ? "A server failed: look at the server that answered (its Server header), its logs "
				    "and Retry-After."
				  : "Look at the server that sent the response (its Server/User-Agent header) and fix "
				    "the request accordingly.";
	}
}

/* Did a later request of the same method and sender carry credentials? */
static bool challenge_answered(const struct call *c, const struct txn *t)
{
	for (uint32_t i = 0; i < c->ntxns; i++) {
		const struct txn *o = &c->txns[i];
		if (o->req >= 0 && o->method == t->method && o->start_ns > t->start_ns && sv_eq(o->from_tag, t->from_tag) &&
		    msg_has_credentials(c->msgs[o->req].m))
			return true;
	}
	return false;
}

/* Failed requests other than the call's INVITE: one finding per method and
 * status, citing each request and its response (first hop). */
static void check_requests(struct rule_ctx *ctx, const struct call *c)
{
	enum { MAXG = 8 };
	struct {
		enum sip_method method;
		int status;
		struct finding *f;
		int32_t first;
		uint32_t n;
	} g[MAXG];
	size_t ng = 0;
	for (uint32_t i = 0; i < c->ntxns; i++) {
		const struct txn *t = &c->txns[i];
		int st = t->status;
		if (t->req < 0 || t->final < 0 || st < 400 || st == 481 || st == 491 || st == 487)
			continue;
		if (t->method == M_INVITE || t->method == M_ACK || t->method == M_CANCEL || t->method == M_REGISTER)
			continue;
		if (!msg_is_first(c, t->req))
			continue;
		if ((st == 401 || st == 407) && challenge_answered(c, t))
			continue;
		/* the same request on a later hop of a proxy */
		bool dup = false;
		for (uint32_t k = 0; k < i && !dup; k++)
			dup = c->txns[k].method == t->method && c->txns[k].cseq == t->cseq && c->txns[k].status == st &&
			      sv_eq(c->txns[k].from_tag, t->from_tag) && c->txns[k].req >= 0;
		if (dup)
			continue;
		size_t k;
		for (k = 0; k < ng; k++)
			if (g[k].method == t->method && g[k].status == st)
				break;
		if (k == ng) {
			if (ng == MAXG)
				continue;
			g[ng] = (typeof(g[0])){ t->method, st, finding_new(ctx, c, SEV_INFO), t->req, 0 };
			finding_key(g[ng].f, c, t->final);
			ng++;
		}
		finding_msg(g[k].f, c, t->req);
		finding_msg(g[k].f, c, t->final);
		g[k].n++;
	}
	for (size_t k = 0; k < ng; k++) {
		struct finding *f = g[k].f;
		const struct call_msg *cm = &c->msgs[g[k].first];
		const struct txn *t = &c->txns[cm->txn];
		const struct sip_msg *fin = c->msgs[t->final].m;
		char label[96], reason[80], causes[600] = "", extra[200] = "";
		msg_label(label, sizeof label, c, g[k].first);
		sv_print(reason, sizeof reason, fin->start.reason);
		quote_causes(causes, sizeof causes, fin);
		if (g[k].status == 489 || g[k].status == 405) {
			struct sv v = sip_msg_hdr(fin, g[k].status == 489 ? SIP_H_ALLOW_EVENTS : SIP_H_ALLOW);
			struct sv ev = sip_msg_hdr(cm->m, SIP_H_EVENT);
			char a[120] = "", e[60] = "";
			if (v.p)
				sv_print(a, sizeof a, v);
			if (g[k].status == 489 && ev.p)
				sv_print(e, sizeof e, ev);
			if (e[0] || a[0])
				snprintf(extra, sizeof extra, "%s%s%s%s%s", e[0] ? " (Event: " : "", e, e[0] ? ")" : "",
					 a[0] ? (g[k].status == 489 ? "; it allows events: " : "; it allows: ") : "", a);
		}
		const struct rescode *rc = rescode_lookup(g[k].status);
		finding_summary(f, "%s failed with %d %s%s%s%s%s", label, g[k].status, reason, extra,
				g[k].n > 1 ? " — and more like it" : "", causes[0] ? " — " : "", causes);
		finding_explain(f, "%d %s: %s", g[k].status, rc->phrase, rc->meaning);
		finding_hint(f, "%s", request_hint(g[k].method, g[k].status));
		finding_host(f, &fin->src);
		finding_group(f, "%s failed with %d %s from %s", sip_method_name(g[k].method), g[k].status, rc->phrase,
			      f->host); /* method, code and the host that answered */
		finding_emit(ctx, f);
	}
}

static void check(struct rule_ctx *ctx, const struct call *c)
{
	check_requests(ctx, c);
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
	.summary = "a call (or another request) ended with a 4xx/5xx/6xx response, explained",
	.reference = "RFC 3261 §21",
	.check_call = check,
};
