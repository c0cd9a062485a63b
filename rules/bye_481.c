/* bye_481.c - bye-481: 481 Call/Transaction Does Not Exist to BYE or another
 * in-dialog request, classified (seeds/003): the dialog had already ended
 * (benign, info); the request matches no dialog seen (sender built it wrong);
 * or the dialog was live and the far end lost it — with what the capture
 * shows about why (RFC 3261 §12.2.1.1, §12.2.2, §15.1.2; RFC 4028). */
#include <stdio.h>
#include <string.h>

#include "rule.h"

/* URI without parameters and brackets, for comparing targets. */
static struct sv uri_core(struct sv u)
{
	u = sv_trim(u);
	ptrdiff_t semi = sv_find(u, ';');
	if (semi >= 0)
		u.len = (size_t)semi;
	return u;
}

/* Did dialog d end before message idx (not by this very request or a copy
 * of it on another hop)? Returns the ending message or -1. */
static int32_t ended_before(const struct call *c, int32_t d, int32_t idx)
{
	const struct dialog *dl = &c->dialogs[d];
	struct sip_msg *m = c->msgs[idx].m;
	const struct sip_cseq *cs = sip_msg_cseq(m);
	/* any earlier final response to a BYE (or failure) in this dialog */
	for (int32_t i = 0; i < idx; i++) {
		const struct call_msg *o = &c->msgs[i];
		if (o->dialog != d || o->m->start.is_request || o->m->start.status < 200)
			continue;
		if (o->method == M_BYE) {
			const struct sip_cseq *ocs = sip_msg_cseq(o->m);
			/* the same BYE seen on another hop is not "earlier" */
			if (ocs->valid && cs->valid && ocs->num == cs->num && c->msgs[idx].method == M_BYE &&
			    c->msgs[i].caller_dir == c->msgs[idx].caller_dir)
				continue;
			return i;
		}
	}
	if (dl->state == DLG_TERMINATED && dl->end_msg >= 0 && dl->end_msg < idx && dl->end_req < 0)
		return dl->end_msg; /* ended by a failure or CANCEL */
	return -1;
}

/* BYE glare (RFC 5407 §3.2.3): a BYE from the other side of dialog d sent
 * before the far end answered request idx with 481 (final) — both ends were
 * hanging up at once. Returns that BYE or -1. */
static int32_t crossing_bye(const struct call *c, int32_t d, int32_t idx, int32_t final)
{
	if (c->msgs[idx].method != M_BYE || final < 0)
		return -1;
	/* The other BYE was in flight when ours was sent: sent before our 481
	 * came back, not answered before ours left, and not a BYE given up
	 * long ago (its transaction times out after 64*T1). */
	int64_t sent = msg_ns(c->msgs[idx].m), until = msg_ns(c->msgs[final].m);
	for (uint32_t i = 0; i < c->nmsgs; i++) {
		const struct call_msg *o = &c->msgs[i];
		if (msg_ns(o->m) > until)
			break;
		if (o->dialog != d || o->method != M_BYE || !o->m->start.is_request ||
		    o->caller_dir == c->msgs[idx].caller_dir || msg_ns(o->m) < sent - SIP_TIMER_B_NS)
			continue;
		int32_t ot = o->txn;
		if (ot >= 0 && c->txns[ot].final >= 0 && msg_ns(c->msgs[c->txns[ot].final].m) < sent)
			continue; /* answered before ours left: the dialog had ended */
		return (int32_t)i;
	}
	return -1;
}

static void check(struct rule_ctx *ctx, const struct call *c)
{
	bool have_invite = false;
	for (uint32_t i = 0; i < c->ntxns; i++)
		if (c->txns[i].method == M_INVITE && !c->txns[i].in_dialog && c->txns[i].req >= 0)
			have_invite = true;

	for (uint32_t ti = 0; ti < c->ntxns; ti++) {
		const struct txn *t = &c->txns[ti];
		/* a 481 to a PRACK: its RAck matched nothing (RFC 3262 §3), prack's finding */
		if (t->status != 481 || t->req < 0 || !t->in_dialog || t->method == M_ACK || t->method == M_CANCEL ||
		    t->method == M_PRACK)
			continue;
		int32_t idx = t->req, d = c->msgs[idx].dialog;
		struct sip_msg *req = c->msgs[idx].m;
		/* one finding per logical request: skip copies on later hops */
		bool dup = false;
		for (uint32_t tj = 0; tj < ti && !dup; tj++)
			dup = c->txns[tj].status == 481 && c->txns[tj].req >= 0 && c->txns[tj].cseq == t->cseq &&
			      c->txns[tj].method == t->method && c->msgs[c->txns[tj].req].dialog == d &&
			      sv_eq(c->txns[tj].from_tag, t->from_tag);
		if (dup)
			continue;
		char label[96], resp[96];
		msg_label(label, sizeof label, c, idx);
		msg_label(resp, sizeof resp, c, t->final);
		const struct dialog *dl = d >= 0 ? &c->dialogs[d] : NULL;
		int32_t ended = d >= 0 ? ended_before(c, d, idx) : -1;
		int32_t glare = d >= 0 && ended < 0 ? crossing_bye(c, d, idx, t->final) : -1;
		struct finding *f;

		/* A subscription lives for its Expires (RFC 6665 §4.1.2.1): a
		 * refresh or NOTIFY after that meets a forgotten dialog. */
		int32_t expired = -1;
		if (dl && ended < 0 && dl->kind == M_SUBSCRIBE) {
			int64_t until = -1;
			for (int32_t k = 0; k < idx; k++) {
				const struct call_msg *cm = &c->msgs[k];
				if (cm->m->start.is_request || cm->method != M_SUBSCRIBE || cm->m->start.status >= 300 ||
				    cm->m->start.status < 200 || (cm->dialog != d && !(dl->create_txn >= 0 && cm->txn == dl->create_txn)))
					continue;
				int64_t e = sip_msg_int(cm->m, SIP_H_EXPIRES);
				if (e > 315360000)
					e = 315360000;
				if (e >= 0) {
					until = msg_ns(cm->m) + e * 1000000000LL;
					expired = k;
				}
			}
			if (until < 0 || msg_ns(req) <= until)
				expired = -1;
		}
		if (dl && expired >= 0) {
			f = finding_new(ctx, c, SEV_INFO);
			finding_dialog(f, dl);
			finding_msg(f, c, expired);
			finding_msg(f, c, idx);
			finding_key(f, c, t->final);
			finding_summary(f, "%s got %s after the subscription had expired", label, resp);
			finding_explain(f, "The subscription was granted for the Expires of its last 2xx and not refreshed in "
					   "time, so the notifier had forgotten it (RFC 6665 §4.1.2.1); 481 is the expected answer.");
			finding_hint(f, "Refresh subscriptions before they expire, or subscribe anew.");
		} else if (dl && glare >= 0) {
			f = finding_new(ctx, c, SEV_INFO);
			finding_dialog(f, dl);
			finding_msg(f, c, glare);
			int32_t gt = c->msgs[glare].txn;
			if (gt >= 0 && c->txns[gt].final >= 0)
				finding_msg(f, c, c->txns[gt].final);
			finding_msg(f, c, idx);
			finding_key(f, c, t->final);
			char g[96];
			msg_label(g, sizeof g, c, glare);
			finding_summary(f, "%s got %s because the other side's %s crossed it: both ends hung up at once (BYE glare)",
					label, resp, g);
			finding_explain(f, "Each side sent BYE before it received the other's (RFC 5407 §3.2.3). Whichever BYE is "
					   "processed first ends the dialog, so the other may be answered 481; both sides "
					   "were ending the dialog anyway and nothing is lost.");
			finding_hint(f, "No action needed.");
			finding_group(f, "BYE glare: both ends hung up at once");
		} else if (dl && ended >= 0) {
			f = finding_new(ctx, c, SEV_INFO);
			finding_dialog(f, dl);
			finding_msg(f, c, ended);
			if (c->msgs[ended].txn >= 0)
				finding_msg(f, c, c->txns[c->msgs[ended].txn].req);
			finding_msg(f, c, idx);
			finding_key(f, c, t->final);
			char e[96];
			msg_label(e, sizeof e, c, ended);
			finding_summary(f, "%s got %s after the dialog had already ended (%s): a harmless duplicate",
					label, resp, e);
			finding_explain(f, "Once a dialog is ended, the far end forgets it and answers 481 to anything "
					   "sent in it (RFC 3261 §12.2.2). Two BYEs for one call (both sides hanging up "
					   "at once, or an application resending) produce exactly this; nothing is lost.");
			finding_hint(f, "No action needed unless the second request carried something that mattered.");
		} else if (!dl || (dl->inferred && dl->confirm_msg == idx && have_invite)) {
			f = finding_new(ctx, c, SEV_ERROR);
			if (dl)
				finding_dialog(f, dl);
			finding_msg(f, c, idx);
			finding_key(f, c, t->final);
			const struct sip_nameaddr *fr = sip_msg_from(req), *to = sip_msg_to(req);
			char ft[64], tt[64];
			sv_print(ft, sizeof ft, fr->tag);
			sv_print(tt, sizeof tt, to->tag);
			finding_summary(f, "%s got %s: its tags (From tag %s, To tag %s) match no dialog in this call",
					label, resp, ft, tt);
			finding_group(f, "%s's tags match no dialog (481 from %s)", sip_method_name(c->msgs[idx].method),
				      f->host);
			finding_explain(f, "A request inside a dialog must carry the dialog's Call-ID and both tags "
					   "(RFC 3261 §12.2.1.1). None of the dialogs set up in this call has these tags, so "
					   "the far end rightly answers 481: the sender built the request wrong (missing, "
					   "stale or swapped To tag, or a tag from another fork).");
			finding_hint(f, "Fix the sender's dialog state (or the B2BUA/SBC that rewrites tags between "
					"legs) so in-dialog requests reuse the tags from the 2xx.");
		} else if (dl && dl->inferred) {
			f = finding_new(ctx, c, SEV_INFO);
			finding_dialog(f, dl);
			finding_msg(f, c, idx);
			finding_key(f, c, t->final);
			finding_summary(f, "%s got %s for a dialog set up before the capture began", label, resp);
			finding_explain(f, "The far end has no such dialog; the capture does not show how the dialog "
					   "was set up, so it cannot tell whether the request or the far end is wrong.");
			finding_hint(f, "Capture from before the call starts to classify this 481.");
		} else {
			f = finding_new(ctx, c, SEV_ERROR);
			finding_dialog(f, dl);
			if (dl->create_txn >= 0)
				finding_msg(f, c, c->txns[dl->create_txn].req);
			finding_msg(f, c, dl->confirm_msg);
			finding_msg(f, c, idx);
			finding_key(f, c, t->final);
			char why[900] = "";
			size_t o = 0;
			/* 0. The far end had sent its own BYE earlier, unanswered here:
			 * it ended the dialog on its side, the BYE got lost. */
			for (int32_t k = 0; k < idx && o < sizeof why; k++) {
				const struct call_msg *cm = &c->msgs[k];
				if (cm->dialog == d && cm->method == M_BYE && cm->m->start.is_request &&
				    cm->caller_dir != c->msgs[idx].caller_dir && msg_is_first(c, k)) {
					o += (size_t)snprintf(why + o, sizeof why - o,
							      " The other side had sent its own BYE at frame %llu, which got no answer in the capture: "
							      "it ended the dialog then, and its BYE was lost on the way.",
							      (unsigned long long)cm->m->frame);
					finding_msg(f, c, k);
					break;
				}
			}
			/* 1. Request-URI vs the remote target (Contact of the 2xx or of the INVITE). */
			int32_t tgt = -1;
			if (c->msgs[idx].caller_dir)
				tgt = dl->remote_target;
			else if (dl->create_txn >= 0)
				tgt = c->txns[dl->create_txn].req;
			if (tgt >= 0) {
				const struct sip_contact *ct = sip_msg_contact(c->msgs[tgt].m);
				if (ct->valid && !ct->star && !sv_eq_ci(uri_core(ct->uri), uri_core(req->start.uri))) {
					char a[120], b[120];
					sv_print(a, sizeof a, uri_core(req->start.uri));
					sv_print(b, sizeof b, uri_core(ct->uri));
					o += (size_t)snprintf(why + o, sizeof why - o,
							      " The Request-URI %s is not the remote target %s (Contact at frame %llu).",
							      a, b, (unsigned long long)c->msgs[tgt].m->frame);
					finding_msg(f, c, tgt);
				}
			}
			/* 2. Session timer (RFC 4028) expired with no refresh. */
			int64_t se = -1, refresh_ns = dl->confirm_ns;
			int32_t se_msg = -1, refreshes = 0;
			char refresher[8] = "";
			for (uint32_t k = 0; k < c->nmsgs && (int32_t)k < idx; k++) {
				const struct call_msg *cm = &c->msgs[k];
				if (cm->dialog != d && !(dl->create_txn >= 0 && cm->txn == dl->create_txn))
					continue;
				uint64_t n;
				struct sv who;
				if (session_expires(cm->m, &n, &who) && n <= 86400 * 7) {
					se = (int64_t)n;
					se_msg = (int32_t)k;
					refresher[0] = 0;
					if (who.p)
						sv_print(refresher, sizeof refresher, who);
				}
				/* a re-INVITE or UPDATE answered 2xx in the dialog is a refresh;
				 * the initial INVITE's 2xx relayed on another hop is not */
				if (!cm->m->start.is_request && cm->m->start.status >= 200 && cm->m->start.status < 300 &&
				    (cm->method == M_INVITE || cm->method == M_UPDATE) && msg_is_first(c, (int32_t)k) &&
				    cm->txn >= 0 && c->txns[cm->txn].in_dialog && msg_ns(cm->m) > dl->confirm_ns) {
					refreshes++;
					refresh_ns = msg_ns(cm->m);
				}
			}
			if (se > 0 && msg_ns(req) > refresh_ns + se * 1000000000LL && o < sizeof why) {
				char who[80] = "";
				if (refresher[0])
					snprintf(who, sizeof who, " (refresher=%s: the %s was to refresh)", refresher,
						 strcmp(refresher, "uac") == 0 ? "caller" : strcmp(refresher, "uas") == 0 ? "callee" : "named party");
				if (refreshes == 0)
					o += (size_t)snprintf(why + o, sizeof why - o,
							      " Session-Expires was %lld s%s and no refresh (re-INVITE or UPDATE) was ever sent: "
							      "the session expired %lld s after the answer and this request came %.0f s after the answer (RFC 4028).",
							      (long long)se, who, (long long)se,
							      (double)(msg_ns(req) - refresh_ns) / 1e9);
				else
					o += (size_t)snprintf(why + o, sizeof why - o,
							      " Session-Expires was %lld s%s and the last refresh was answered %.0f s before this "
							      "request: the session timer expired (RFC 4028).",
							      (long long)se, who, (double)(msg_ns(req) - refresh_ns) / 1e9);
				if (se_msg >= 0)
					finding_msg(f, c, se_msg);
			}
			/* 3. A different destination than the dialog's earlier requests in this direction. */
			for (int32_t k = idx - 1; k >= 0 && o < sizeof why; k--) {
				const struct call_msg *cm = &c->msgs[k];
				if (!cm->m->start.is_request || cm->caller_dir != c->msgs[idx].caller_dir ||
				    (cm->dialog != d && !(cm->txn == dl->create_txn && dl->create_txn >= 0)))
					continue;
				if (!endpoint_eq(&cm->m->src, &req->src))
					continue;
				if (!endpoint_eq(&cm->m->dst, &req->dst)) {
					char a[ENDPOINT_STRLEN], b[ENDPOINT_STRLEN];
					endpoint_format(&req->dst, a, sizeof a);
					endpoint_format(&cm->m->dst, b, sizeof b);
					o += (size_t)snprintf(why + o, sizeof why - o,
							      " It went to %s, while the dialog's earlier requests from this side went to %s (frame %llu).",
							      a, b, (unsigned long long)cm->m->frame);
					finding_msg(f, c, k);
				}
				break;
			}
			/* 4. The B2BUA's other leg ended first. */
			for (uint32_t k = 0; k < c->nlinks && o < sizeof why; k++) {
				const struct call_link *l = &c->links[k];
				if (l->peer_ended && l->peer_end_ns <= msg_ns(req)) {
					char id[100];
					sv_print(id, sizeof id, sv_make(l->call_id, l->call_id_len));
					o += (size_t)snprintf(why + o, sizeof why - o,
							      " The linked call %s (%s) was already torn down at frame %llu: the B2BUA forgot this leg with it.",
							      id, l->how, (unsigned long long)l->peer_end_frame);
					finding_frame(f, l->peer_end_frame);
				}
			}
			finding_summary(f, "%s got %s although the dialog was confirmed and live", label, resp);
			finding_explain(f, "The dialog was set up (2xx and ACK) and not ended, yet the far end no longer "
					   "knows it: it lost the dialog state (restart, failover, timeout) or the request "
					   "reached an element that never had it.%s",
					why[0] ? why : " The capture shows no Request-URI, session-timer, address or linked-leg anomaly.");
			finding_hint(f, "Send in-dialog requests to the remote target (Contact of the 2xx) through the "
					"Record-Route set; refresh sessions before Session-Expires; on a B2BUA, check why it "
					"released this leg.");
		}
		finding_emit(ctx, f);
	}
}

const struct rule rule_bye_481 = {
	.id = "bye-481",
	.severity = SEV_ERROR,
	.summary = "481 to BYE or another in-dialog request, classified",
	.reference = "RFC 3261 §12.2.2, §15.1.2",
	.check_call = check,
};
