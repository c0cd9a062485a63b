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

#include <stdlib.h>

#include "../analyzer/xalloc.h"
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

/* One logical request: its transactions on every hop (and every fork
 * branch) share method, From tag and CSeq. Sorting the candidates by that
 * key groups them in O(n log n), whatever the number of transactions. */
struct reqkey {
	const struct txn *t;
	uint32_t idx;
};

static int cmp_reqkey(const void *x, const void *y)
{
	const struct txn *a = ((const struct reqkey *)x)->t, *b = ((const struct reqkey *)y)->t;
	if (a->method != b->method)
		return a->method < b->method ? -1 : 1;
	if (a->from_tag.len != b->from_tag.len)
		return a->from_tag.len < b->from_tag.len ? -1 : 1;
	int r = a->from_tag.len ? memcmp(a->from_tag.p, b->from_tag.p, a->from_tag.len) : 0;
	if (r)
		return r;
	if (a->cseq != b->cseq)
		return a->cseq < b->cseq ? -1 : 1;
	if (a->start_ns != b->start_ns)
		return a->start_ns < b->start_ns ? -1 : 1;
	return ((const struct reqkey *)x)->idx < ((const struct reqkey *)y)->idx ? -1 : 1;
}

static bool same_sender(const struct txn *a, const struct txn *b)
{
	return a->method == b->method && sv_eq(a->from_tag, b->from_tag);
}

/* Failed requests other than the call's INVITE: one finding per method and
 * status, citing each request and its response. A request counts as failed
 * when no copy of it (another hop, another fork branch, a failover) got a
 * 2xx, judged by the status on its first hop; a challenge counts only when
 * the sender never came back with credentials. */
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
	size_t ng = 0, n = 0;
	struct reqkey *v = NULL;
	for (uint32_t i = 0; i < c->ntxns; i++) {
		const struct txn *t = &c->txns[i];
		if (t->req < 0 || t->method == M_INVITE || t->method == M_ACK || t->method == M_CANCEL ||
		    t->method == M_REGISTER)
			continue;
		if (!v)
			v = xmalloc((c->ntxns - i) * sizeof *v);
		v[n++] = (struct reqkey){ t, i };
	}
	if (!n)
		return;
	qsort(v, n, sizeof *v, cmp_reqkey);
	for (size_t s = 0; s < n;) {
		/* one sender and method: the latest request with credentials */
		size_t e = s;
		int64_t cred_ns = INT64_MIN;
		while (e < n && same_sender(v[e].t, v[s].t)) {
			if (v[e].t->start_ns > cred_ns && msg_has_credentials(c->msgs[v[e].t->req].m))
				cred_ns = v[e].t->start_ns;
			e++;
		}
		for (size_t q = s; q < e;) {
			size_t r = q;
			bool ok = false;
			const struct txn *first = NULL; /* earliest copy with a final response */
			while (r < e && v[r].t->cseq == v[q].t->cseq) {
				const struct txn *t = v[r].t;
				if (t->status >= 200 && t->status < 300)
					ok = true;
				if (t->final >= 0 && !first)
					first = t;
				r++;
			}
			const struct txn *t = first;
			q = r;
			if (ok || !t || !msg_is_first(c, t->req))
				continue;
			int st = t->status;
			if (st < 400 || st == 481 || st == 491 || st == 487)
				continue;
			if ((st == 401 || st == 407) && cred_ns > t->start_ns)
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
			} else if (c->msgs[t->req].m->frame < c->msgs[g[k].first].m->frame) {
				g[k].first = t->req;
			}
			finding_msg(g[k].f, c, t->req);
			finding_msg(g[k].f, c, t->final);
			g[k].n++;
		}
		s = e;
	}
	free(v);
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
