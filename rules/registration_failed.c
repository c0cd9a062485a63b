/* registration_failed.c - registration-failed: a REGISTER flow that ends
 * without a binding (no response, 403 after credentials, repeated
 * challenges, 404, 423 loops, 4xx/5xx with a cause), or a binding that
 * lapses without refresh (RFC 3261 §10.2, §10.3, §22). seeds/000: a
 * registrar rejecting the CSeq+1 retry after a challenge is at fault. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../analyzer/xalloc.h"
#include "rescode.h"
#include "rule.h"

static void check(struct rule_ctx *ctx, const struct call *c)
{
	/* The REGISTER transactions of this call, first hop only: group by CSeq. */
	int32_t regs[64];
	unsigned n = 0;
	for (uint32_t i = 0; i < c->ntxns && n < 64; i++) {
		const struct txn *t = &c->txns[i];
		if (t->method != M_REGISTER || t->req < 0)
			continue;
		bool copy = false;
		for (unsigned k = 0; k < n && !copy; k++)
			copy = c->txns[regs[k]].cseq == t->cseq;
		if (!copy)
			regs[n++] = (int32_t)i;
	}
	if (!n)
		return;
	const struct txn *last = &c->txns[regs[n - 1]];
	int st = last->status;
	if (st >= 200 && st < 300)
		return;
	struct sip_msg *req = c->msgs[last->req].m;
	bool creds = msg_has_credentials(req);
	unsigned challenges = 0;
	for (unsigned k = 0; k < n; k++)
		if (c->txns[regs[k]].status == 401 || c->txns[regs[k]].status == 407)
			challenges++;

	char label[96], resp[96] = "", causes[600] = "";
	bool valid_400 = false; /* a 400 to a REGISTER with nothing wrong in it */
	msg_label(label, sizeof label, c, last->req);
	const char *summary_fmt = NULL;
	const char *explain = NULL, *hint = NULL;
	char buf[600];
	struct sip_msg *fin = last->final >= 0 ? c->msgs[last->final].m : NULL;
	if (fin) {
		msg_label(resp, sizeof resp, c, last->final);
		quote_causes(causes, sizeof causes, fin);
	}

	if (st == 0) {
		if (last->first_resp >= 0)
			return; /* provisional only: still in progress */
		bool reliable = req->transport != TRANSPORT_UDP;
		if (last->req_count < 2 && !(reliable && c->end_ns - last->start_ns >= SIP_TIMER_B_NS))
			return; /* the capture ended too soon to tell */
		if (c->early && c->capture_end_ns - last->start_ns < SIP_TIMER_B_NS)
			return; /* finalised early by the memory bound: an answer could still come */
		char dst[ENDPOINT_STRLEN];
		endpoint_format(&req->dst, dst, sizeof dst);
		snprintf(buf, sizeof buf, "%s to %s got no response at all (%u copies)", label, dst, last->req_count);
		summary_fmt = buf;
		explain = "The registrar never answered, not even 100 Trying: the REGISTER is lost on the way, "
			  "filtered, or the registrar's answers go elsewhere. The UA stays unregistered and "
			  "cannot receive calls.";
		hint = "Check the registrar address, port and transport; firewalls and fail2ban bans (a UA with a "
		       "wrong password is often banned after a few failures); NAT without rport.";
	} else if (st == 403 && challenges && creds) {
		snprintf(buf, sizeof buf, "%s with credentials was refused: %s", label, resp);
		summary_fmt = buf;
		explain = "The registrar challenged, the UA answered with credentials, and the registrar refused "
			  "them: the password is wrong, or the account/endpoint is unknown (Asterisk challenges "
			  "unknown users too, then answers 403), or the user may not register from here.";
		hint = "Check the username, auth username and password configured on the UA against the registrar's account.";
	} else if ((st == 401 || st == 407) && creds) {
		snprintf(buf, sizeof buf, "%s was challenged again although it carried credentials (%u challenges)",
			 label, challenges);
		summary_fmt = buf;
		explain = "A second challenge after credentials means the registrar did not accept them: wrong "
			  "realm or username, a password mismatch, or a stale nonce the UA keeps reusing.";
		hint = "Compare the realm and username in Authorization with the challenge; check the password; if "
		       "the challenge says stale=true, the UA must retry with the new nonce.";
	} else if (st == 401 || st == 407) {
		if (c->end_ns - msg_ns(fin) < 5000000000LL ||
		    (c->early && c->capture_end_ns - msg_ns(fin) < 5000000000LL))
			return; /* the UA may be about to answer the challenge */
		snprintf(buf, sizeof buf, "%s was challenged (%s) and the UA never answered with credentials", label, resp);
		summary_fmt = buf;
		explain = "The registrar requires authentication and the UA did not retry with credentials: it has "
			  "none configured, or does not support the challenge's algorithm or scheme.";
		hint = "Configure credentials for this account on the UA.";
	} else if (st == 400 && n >= 2 && c->txns[regs[n - 2]].status >= 400 && c->txns[regs[n - 2]].status < 408 &&
		   last->cseq == c->txns[regs[n - 2]].cseq + 1 &&
		   (sv_contains_ci(fin->start.reason, "cseq") || sv_contains_ci(sip_msg_hdr(fin, SIP_H_P_REGISTRAR_ERROR), "cseq") ||
		    sv_contains_ci(sip_msg_hdr(fin, SIP_H_WARNING), "cseq"))) {
		snprintf(buf, sizeof buf, "registrar rejected the CSeq of %s (%s) although the UA incremented it by one",
			 label, resp);
		summary_fmt = buf;
		explain = "RFC 3261 §10.2.4: a UA MUST increment CSeq by one for each REGISTER with the same Call-ID, "
			  "which is exactly what it did after the challenge. The registrar is at fault: it rejects a "
			  "correct retry (it apparently expects a new Call-ID per registration).";
		hint = "Report it to the registrar's operator; as a workaround make the UA use a new Call-ID for "
		       "each registration attempt (e.g. a 'new Call-ID per REGISTER' switch).";
	} else if (st == 400 && !req->malformed && !(req->nonconformance && strstr(req->nonconformance, "Max-Forwards")) &&
		   sip_msg_cseq(req)->valid && sip_msg_cseq(req)->digits <= 32) {
		/* A 400 to a REGISTER in which nothing is wrong: every mandatory
		 * header present and well formed, Content-Length consistent. */
		valid_400 = true;
		bool trailing = req->nonconformance && strstr(req->nonconformance, "after the Content-Length");
		snprintf(buf, sizeof buf, "registrar answered %s to %s, a valid request%s", resp, label,
			 trailing ? " (bytes after its body over UDP, which the receiver must discard)" : "");
		summary_fmt = buf;
		explain = trailing
				  ? "The REGISTER is well formed: every mandatory header is present and parses, and its "
				    "Content-Length is right. The bytes after the body are legal over UDP: RFC 3261 §18.3 "
				    "says the receiver MUST discard them. The registrar is at fault: its parser rejects a "
				    "valid request."
				  : "The REGISTER is well formed as far as the capture shows: every mandatory header is "
				    "present and parses, Content-Length matches the body. 400 means the registrar could "
				    "not parse it or judged a header invalid, so the fault is most likely the registrar's "
				    "(see its reason above, if it gave one).";
		hint = trailing ? "Report it to the registrar's operator; as a workaround stop whatever adds bytes after the "
				  "message (a SIP ALG, a keep-alive sharing the datagram, padding) or use TCP."
				: "Ask the registrar's operator what it rejects (its logs name the header); compare with a "
				  "REGISTER it accepts from another UA.";
	} else if (st == 423) {
		struct sv min = sip_msg_hdr(fin, SIP_H_MIN_EXPIRES);
		char mv[32];
		sv_print(mv, sizeof mv, min);
		snprintf(buf, sizeof buf, "%s was refused as too brief (%s, Min-Expires %s) and not retried with a longer expiry",
			 label, resp, min.p ? mv : "absent");
		summary_fmt = buf;
		explain = "423 Interval Too Brief asks the UA to retry with an expiry of at least Min-Expires (RFC 3261 "
			  "§10.3 step 7); a UA that keeps its short value loops or gives up unregistered.";
		hint = "Raise the UA's registration interval to at least Min-Expires.";
	} else {
		const struct rescode *rc = rescode_lookup(st);
		snprintf(buf, sizeof buf, "%s failed: %s", label, resp);
		summary_fmt = buf;
		explain = rc->meaning;
		hint = st == 404 ? "The AoR (To URI) is unknown to the registrar: check the username and domain."
		       : st >= 500 ? "The registrar or something behind it failed: check its status and logs; "
				     "honour Retry-After."
				   : "See the registrar's reason (quoted above) and fix the request accordingly.";
	}

	struct finding *f = finding_new(ctx, c, SEV_ERROR);
	for (unsigned k = 0; k < n; k++) {
		const struct txn *t = &c->txns[regs[k]];
		finding_msg(f, c, t->req);
		if (t->final >= 0)
			finding_key(f, c, t->final);
	}
	if (st == 0)
		for (int32_t k = last->last_msg; k >= 0; k = c->msgs[k].prev_in_txn)
			finding_msg(f, c, k);
	if (causes[0])
		finding_summary(f, "%s — %s", summary_fmt, causes);
	else
		finding_summary(f, "%s", summary_fmt);
	finding_explain(f, "%s", explain);
	finding_hint(f, "%s", hint);
	/* the code (and whether credentials were refused) and the registrar */
	if (st == 0) {
		finding_host(f, &req->dst);
		finding_group(f, "no response from %s", f->host);
	} else {
		finding_host(f, &fin->src);
		finding_group(f, "%d %s%s from %s", st, rescode_lookup(st)->phrase,
			      st == 401 || st == 407 ? (creds ? " to credentials" : " not answered")
			      : valid_400 ? " to a valid REGISTER" : "", f->host);
	}
	finding_emit(ctx, f);
}

static void check_binding(struct rule_ctx *ctx, const struct binding *b, uint32_t input, uint64_t late_frame,
			  int64_t late_ns)
{
	struct finding *f = finding_new(ctx, NULL, SEV_ERROR);
	f->input = input;
	f->call_id = xstrdup(b->call_id);
	f->call_seq = b->call_seq;
	finding_frame(f, b->req_frame);
	finding_frame(f, b->ok_frame);
	f->frame = b->ok_frame;
	f->ts_ns = b->ok_ns;
	double granted = (double)(b->expires_ns - b->ok_ns) / 1e9;
	double late = (double)(late_ns - b->expires_ns) / 1e9;
	if (late_frame) {
		finding_frame(f, late_frame);
		f->frame = late_frame;
		finding_group(f, "binding refreshed after it expired");
		finding_summary(f, "registration of %s lapsed: granted %.0f s at frame %llu, refreshed only %.0f s after it expired (frame %llu)",
				b->aor, granted, (unsigned long long)b->ok_frame, late, (unsigned long long)late_frame);
	} else {
		finding_group(f, "binding expired with no refresh");
		finding_summary(f, "registration of %s expired %.0f s before the capture ended with no refresh (granted %.0f s at frame %llu)",
				b->aor, late, granted, (unsigned long long)b->ok_frame);
	}
	finding_explain(f, "A binding lives for the expiry the registrar granted (RFC 3261 §10.2.1, §10.3); the UA "
			   "must refresh it before then. Between the expiry and the next successful REGISTER the "
			   "user cannot be reached: incoming calls get 404/480.");
	finding_hint(f, "The phone went offline, or its refreshes were lost: a NAT binding that times out before the "
			"refresh is the usual cause — use a shorter registration interval or keep-alives (RFC 5626).");
	finding_emit(ctx, f);
}

const struct rule rule_registration_failed = {
	.id = "registration-failed",
	.severity = SEV_ERROR,
	.summary = "REGISTER rejected, unanswered, or binding lapsed without refresh",
	.reference = "RFC 3261 §10.2, §10.3",
	.check_call = check,
	.check_binding = check_binding,
};
