/* session_timer.c - session-timer: a negotiated session timer (RFC 4028)
 * that explains a call's end or a failed refresh:
 *  - no refresh (a re-INVITE or UPDATE answered 2xx) came before the
 *    session expired, and the dialog was then ended by a BYE (§10: the side
 *    that is not the refresher sends BYE at expiry minus min(32, interval/3)
 *    s; a refresher that never refreshes may hang up itself): the call
 *    dropped because nobody refreshed, and the text says which side ended it;
 *  - a refresh was refused (481, 408, 5xx...: not the 491 of glare, not the
 *    422 that asks for a longer interval, not a challenge): the refresher
 *    cannot keep the session, and it ends at expiry.
 * A 422 answered by a retry with a larger interval is the negotiation
 * working (§6), never a finding. One pass over the call's messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../analyzer/xalloc.h"
#include "rule.h"

struct timer {
	int64_t interval_ns;   /* 0: no timer in force */
	int64_t since_ns;      /* the 2xx that started the current interval */
	int32_t negotiated;    /* that 2xx */
	int32_t request;       /* its request */
	bool refresher_uac;    /* refresher=uac (of the transaction that set it) */
	bool refresher_known;
	struct endpoint uac, uas; /* that transaction's sender and answerer */
	uint32_t refreshes;
	bool reported;
};

/* Session-Expires: 1800;refresher=uac */
static bool timer_of(const struct sip_msg *m, int64_t *secs, bool *uac, bool *known)
{
	uint64_t n;
	struct sv r;
	if (!session_expires(m, &n, &r) || n == 0)
		return false;
	*secs = (int64_t)n;
	*known = r.p && (sv_eq_cstr_ci(r, "uac") || sv_eq_cstr_ci(r, "uas"));
	*uac = r.p && sv_eq_cstr_ci(r, "uac");
	return true;
}

static void who(char *buf, size_t size, const struct timer *t)
{
	char a[ENDPOINT_STRLEN];
	if (!t->refresher_known) {
		snprintf(buf, size, "the refresher (the 2xx named none)");
		return;
	}
	endpoint_format(t->refresher_uac ? &t->uac : &t->uas, a, sizeof a);
	snprintf(buf, size, "%s (refresher=%s)", a, t->refresher_uac ? "uac" : "uas");
}

static bool same_host(const struct endpoint *a, const struct endpoint *b)
{
	return a->family == b->family && memcmp(a->ip, b->ip, 16) == 0;
}

static void expired(struct rule_ctx *ctx, const struct call *c, int32_t d, struct timer *t, int32_t bye)
{
	t->reported = true;
	const struct sip_msg *b = c->msgs[bye].m;
	double after = (double)(msg_ns(b) - t->since_ns) / 1e9, iv = (double)t->interval_ns / 1e9;
	struct finding *f = finding_new(ctx, c, SEV_WARNING);
	finding_dialog(f, &c->dialogs[d]);
	if (t->request >= 0)
		finding_msg(f, c, t->request);
	finding_msg(f, c, t->negotiated);
	finding_key(f, c, bye);
	char r[120], from[ENDPOINT_STRLEN], reason[160] = "";
	who(r, sizeof r, t);
	endpoint_format(&b->src, from, sizeof from);
	struct sv rs = sip_msg_hdr(b, SIP_H_REASON);
	if (rs.p) {
		char q[128];
		sv_print(q, sizeof q, rs);
		snprintf(reason, sizeof reason, " (Reason: %s)", q);
	}
	finding_summary(f, "session timer of %.0f s ran out with no refresh: BYE from %s %.0f s after the %s%s", iv, from,
			after, t->refreshes ? "last refresh" : "2xx", reason);
	/* who ended it: the refresher itself, or the side waiting for its
	 * refresh (by host: the BYE may leave from another port) */
	const struct endpoint *rf = t->refresher_uac ? &t->uac : &t->uas, *other = t->refresher_uac ? &t->uas : &t->uac;
	char host[ENDPOINT_STRLEN], ended[400];
	endpoint_format_ip(&b->src, host, sizeof host);
	const char *since = t->refreshes ? "the last refresh" : "the 2xx that set it";
	if (t->refresher_known && same_host(&b->src, rf))
		snprintf(ended, sizeof ended,
			 "The BYE came from %s, the refresher itself: it let the session run out instead of refreshing "
			 "it and then ended the call (RFC 4028 §10: it is the one that must refresh; a refresher that "
			 "treats the interval as a call-length limit, or whose refreshes failed out of sight, hangs up "
			 "like this)",
			 host);
	else if (t->refresher_known && same_host(&b->src, other))
		snprintf(ended, sizeof ended,
			 "The BYE came from %s, the side that is not the refresher: with no refresh before expiry it "
			 "tears the session down, as RFC 4028 §10 asks (at the interval minus min(32, interval/3) s)",
			 host);
	else if (t->refresher_known)
		snprintf(ended, sizeof ended,
			 "The BYE came from %s, neither the refresher nor its peer as captured (a proxy or B2BUA "
			 "between them ended the call at expiry)",
			 host);
	else
		snprintf(ended, sizeof ended,
			 "The BYE came from %s; the 2xx named no refresher, so whether it was the side that should have "
			 "refreshed or the one tearing the session down at expiry (RFC 4028 §10) is not known",
			 host);
	finding_explain(f,
			"The session timer was negotiated (Session-Expires: %.0f, RFC 4028): %s must refresh the "
			"session with a re-INVITE or UPDATE before it expires, usually at half the interval (§10). "
			"None came after %s, so the call dropped after a fixed time. %s.",
			iv, r, since, ended);
	finding_host(f, t->refresher_known ? (t->refresher_uac ? &t->uac : &t->uas) : &b->dst);
	finding_group(f, "session timer expired without refresh from %s", f->host);
	finding_emit(ctx, f);
}

static void refused(struct rule_ctx *ctx, const struct call *c, int32_t d, struct timer *t, const struct txn *x)
{
	t->reported = true;
	struct finding *f = finding_new(ctx, c, SEV_WARNING);
	finding_dialog(f, &c->dialogs[d]);
	finding_msg(f, c, t->negotiated);
	finding_msg(f, c, x->req);
	finding_key(f, c, x->final);
	char label[96], resp[96], to[ENDPOINT_STRLEN];
	msg_label(label, sizeof label, c, x->req);
	msg_label(resp, sizeof resp, c, x->final);
	endpoint_format(&c->msgs[x->req].m->dst, to, sizeof to);
	double at = (double)(x->start_ns - t->since_ns) / 1e9, iv = (double)t->interval_ns / 1e9;
	finding_summary(f, "session refresh %s got %s, %.0f s into a %.0f s session interval", label, resp, at, iv);
	finding_explain(f,
			"The refresh of a session timer (Session-Expires: %.0f, RFC 4028 §10) is an ordinary "
			"re-INVITE or UPDATE; refused with a final response other than 491 (glare: retry) or 422 "
			"(ask again with a longer interval), it did not refresh the session, which ends at "
			"expiry. %s",
			iv,
			c->msgs[x->final].m->start.status == 481 ?
				"481 says the far end no longer has the dialog at all (bye-481 explains why)." :
				"The far end refused to extend the session.");
	finding_hint(f, "Look at why %s refused the refresh; if it lost the dialog, at what restarted or timed out "
			"there.",
		     to);
	finding_host(f, &c->msgs[x->final].m->src);
	finding_group(f, "session refresh refused by %s", f->host);
	finding_emit(ctx, f);
}

static void check(struct rule_ctx *ctx, const struct call *c)
{
	if (c->kind != KIND_CALL || !c->ndialogs)
		return;
	struct timer *tm = xcalloc(c->ndialogs, sizeof *tm);
	for (uint32_t i = 0; i < c->nmsgs; i++) {
		const struct call_msg *cm = &c->msgs[i];
		int32_t d = cm->dialog;
		if (d < 0 || (cm->flags & (CM_RETRANS | CM_DUPLICATE)) || cm->txn < 0)
			continue;
		struct timer *t = &tm[d];
		const struct txn *x = &c->txns[cm->txn];
		const struct sip_msg *m = cm->m;
		if (m->start.is_request) {
			if (cm->method == M_BYE && t->interval_ns && !t->reported) {
				int64_t iv = t->interval_ns, margin = iv / 3 < 32000000000LL ? iv / 3 : 32000000000LL;
				/* 2 s of slack for clocks and the capture point */
				if (msg_ns(m) >= t->since_ns + iv - margin - 2000000000LL)
					expired(ctx, c, d, t, (int32_t)i);
				t->interval_ns = 0;
			}
			continue;
		}
		int st = m->start.status;
		if (st < 200 || (x->method != M_INVITE && x->method != M_UPDATE) || x->req < 0)
			continue;
		if (st >= 300) {
			/* a refresh refused while a timer is in force */
			if (x->in_dialog && t->interval_ns && !t->reported && st != 491 && st != 422 && st != 401 &&
			    st != 407 && x->final == (int32_t)i)
				refused(ctx, c, d, t, x);
			continue;
		}
		int64_t secs;
		bool uac = false, known = false;
		if (!timer_of(m, &secs, &uac, &known)) {
			/* a 2xx without Session-Expires: no timer from here on (§9) */
			t->interval_ns = 0;
			continue;
		}
		if (t->interval_ns)
			t->refreshes++;
		t->interval_ns = secs * 1000000000LL;
		t->since_ns = msg_ns(m);
		t->negotiated = (int32_t)i;
		t->request = x->req;
		t->refresher_uac = uac;
		t->refresher_known = known;
		t->uac = c->msgs[x->req].m->src;
		t->uas = c->msgs[x->req].m->dst;
	}
	free(tm);
}

const struct rule rule_session_timer = {
	.id = "session-timer",
	.severity = SEV_WARNING,
	.summary = "a session timer ran out with no refresh, or a refresh was refused",
	.reference = "RFC 4028 §9, §10",
	.check_call = check,
};
