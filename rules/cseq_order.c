/* cseq_order.c - cseq-order: CSeq numbers that do not increase in one
 * direction of a dialog (RFC 3261 §12.2.1.1, §12.2.2), or between requests of
 * one UAC outside a dialog (§10.2.4, §22.2); out of range or naming another
 * method (§8.1.1.5).
 *
 * A CSeq space is one sender's requests on one hop: From tag, To tag (empty
 * outside a dialog, where each method counts apart: §10.2.4 and §22.2 speak
 * of REGISTERs and of a request resent with credentials) and the source and
 * destination addresses. Keying by hop
 * keeps a proxy that renumbers (seeds/002) and the two copies of a proxied
 * request out of each other's way; the initial INVITE seeds the caller's
 * space inside the dialogs it creates. */
#include <stdio.h>
#include <string.h>

#include "rule.h"

#define MAX_SPACES 32

struct space {
	struct sv from_tag, to_tag;
	enum sip_method method; /* outside dialogs: one space per method */
	const struct endpoint *src, *dst;
	uint32_t num;
	int32_t last; /* message that set num */
	struct finding *f;
	uint32_t bad;
	int32_t first_bad, floor;
	/* outside a dialog: the number of a finished request reused by a new
	 * one (new branch) that the peer did not reject for it — a warning */
	struct finding *reuse;
	uint32_t nreuse;
	int32_t first_reuse, reused;
};

static struct space *space_get(struct space *sp, size_t *n, const struct sip_msg *m, struct sv ftag, struct sv ttag,
			       enum sip_method method)
{
	if (ttag.len)
		method = M_OTHER;
	for (size_t i = 0; i < *n; i++)
		if (sv_eq(sp[i].to_tag, ttag) && (ttag.len == 0 || sv_eq(sp[i].from_tag, ftag)) && sp[i].method == method &&
		    endpoint_eq(sp[i].src, &m->src) && endpoint_eq(sp[i].dst, &m->dst))
			return &sp[i];
	if (*n == MAX_SPACES)
		return NULL;
	struct space *s = &sp[(*n)++];
	memset(s, 0, sizeof *s);
	s->from_tag = ftag;
	s->to_tag = ttag;
	s->method = method;
	s->src = &m->src;
	s->dst = &m->dst;
	s->last = s->first_bad = s->floor = s->first_reuse = s->reused = -1;
	return s;
}

static void add_with_final(struct finding *f, const struct call *c, int32_t idx)
{
	finding_msg(f, c, idx);
	int32_t t = c->msgs[idx].txn;
	if (t >= 0 && c->txns[t].final >= 0)
		finding_msg(f, c, c->txns[t].final);
}

static void check(struct rule_ctx *ctx, const struct call *c)
{
	struct space sp[MAX_SPACES];
	size_t nsp = 0;
	struct finding *range = NULL, *meth = NULL;
	int32_t range_first = -1, meth_first = -1;

	for (uint32_t i = 0; i < c->nmsgs; i++) {
		const struct call_msg *cm = &c->msgs[i];
		struct sip_msg *m = cm->m;
		if (!m->start.is_request || m->malformed || !msg_is_first(c, (int32_t)i))
			continue;
		const struct sip_cseq *cs = sip_msg_cseq(m);
		if (!cs->valid)
			continue;
		if (cs->num >= 0x80000000u) {
			if (!range)
				range = finding_new(ctx, c, SEV_ERROR), range_first = (int32_t)i;
			finding_msg(range, c, (int32_t)i);
		}
		if (!sv_eq(cs->method, m->start.method)) {
			if (!meth)
				meth = finding_new(ctx, c, SEV_ERROR), meth_first = (int32_t)i;
			add_with_final(meth, c, (int32_t)i);
		}
		if (cm->method == M_ACK || cm->method == M_CANCEL)
			continue; /* they reuse the INVITE's number */
		const struct sip_nameaddr *from = sip_msg_from(m), *to = sip_msg_to(m);
		struct sv ftag = from->valid ? from->tag : SV_NULL;
		struct sv ttag = to->valid ? to->tag : SV_NULL;
		size_t before = nsp;
		struct space *s = space_get(sp, &nsp, m, ftag, ttag, cm->method);
		if (!s)
			continue;
		if (nsp > before && ttag.len) {
			/* a new in-dialog space starts from the sender's requests
			 * outside the dialog on this hop (the initial INVITE) */
			for (size_t k = 0; k < before; k++)
				if (!sp[k].to_tag.len && sp[k].method == M_INVITE && sp[k].last >= 0 && endpoint_eq(sp[k].src, &m->src) &&
				    endpoint_eq(sp[k].dst, &m->dst) &&
				    sv_eq(sip_msg_from(c->msgs[sp[k].last].m)->tag, ftag)) {
					s->num = sp[k].num;
					s->last = sp[k].last;
				}
		}
		if (s->last < 0) {
			s->num = cs->num;
			s->last = (int32_t)i;
			continue;
		}
		const struct call_msg *prev = &c->msgs[s->last];
		bool bad = false, reuse = false;
		if (cs->num < s->num)
			bad = true;
		else if (cs->num == s->num) {
			if (prev->method != cm->method)
				bad = true;
			else if (prev->txn != cm->txn && prev->txn >= 0 && c->txns[prev->txn].final >= 0 &&
				 msg_ns(c->msgs[c->txns[prev->txn].final].m) <= msg_ns(m))
				reuse = true; /* a finished request's number reused by a new one */
		}
		if (reuse) {
			/* Outside a dialog a new request with a new branch is a new
			 * transaction even with the old number (§17.2.3), so it works
			 * unless the peer takes it for a merged request (§8.2.2.2:
			 * 482) or rejects the number (400/500): only then an error. */
			int32_t t = cm->txn;
			int st = t >= 0 ? c->txns[t].status : 0;
			if (ttag.len || st == 482 || st == 400 || st == 500)
				bad = true;
			else {
				if (!s->reuse) {
					s->reuse = finding_new(ctx, c, SEV_WARNING);
					s->first_reuse = (int32_t)i;
					s->reused = s->last;
					add_with_final(s->reuse, c, s->last);
					finding_key(s->reuse, c, (int32_t)i);
				}
				add_with_final(s->reuse, c, (int32_t)i);
				s->nreuse++;
				s->last = (int32_t)i;
				continue;
			}
		}
		if (!bad) {
			s->num = cs->num;
			s->last = (int32_t)i;
			continue;
		}
		if (!s->f) {
			s->f = finding_new(ctx, c, SEV_ERROR);
			s->first_bad = (int32_t)i;
			s->floor = s->last;
			if (cm->dialog >= 0)
				finding_dialog(s->f, &c->dialogs[cm->dialog]);
			add_with_final(s->f, c, s->last);
			finding_key(s->f, c, (int32_t)i);
		}
		add_with_final(s->f, c, (int32_t)i);
		s->bad++;
	}

	for (size_t k = 0; k < nsp; k++) {
		struct space *s = &sp[k];
		if (s->reuse) {
			char re[96], orig[96], ans[96] = "";
			msg_label(re, sizeof re, c, s->first_reuse);
			msg_label(orig, sizeof orig, c, s->reused);
			int32_t t = c->msgs[s->first_reuse].txn;
			if (t >= 0 && c->txns[t].final >= 0) {
				char r[80];
				msg_label(r, sizeof r, c, c->txns[t].final);
				snprintf(ans, sizeof ans, "; answered %s", r);
			}
			finding_summary(s->reuse, "%s reuses the CSeq of the finished %s with a new branch (same UAC and Call-ID, outside a dialog)%s%s",
					re, orig, ans, s->nreuse > 1 ? " — and more" : "");
			finding_explain(s->reuse, "A new request with the same Call-ID should get a higher CSeq (RFC 3261 §8.1.1.5, "
						  "§10.2.4). With a new branch it is still a new transaction and this peer "
						  "handled it, but a peer that detects merged requests by From tag, Call-ID and "
						  "CSeq (§8.2.2.2) answers 482 Loop Detected, and a registrar may reject the "
						  "number.");
			finding_hint(s->reuse, "Make the UA increment CSeq for every new request on the Call-ID (an "
					       "un-SUBSCRIBE after a failure is a new request too), or use a new Call-ID.");
			finding_host(s->reuse, &c->msgs[s->first_reuse].m->src);
			finding_group(s->reuse, "%s reuses a finished request's CSeq (outside a dialog) from %s",
				      sip_method_name(c->msgs[s->first_reuse].method), s->reuse->host);
			finding_emit(ctx, s->reuse);
		}
		if (!s->f)
			continue;
		char bad[96], floor[96], resp[96] = "";
		msg_label(bad, sizeof bad, c, s->first_bad);
		msg_label(floor, sizeof floor, c, s->floor);
		int32_t t = c->msgs[s->first_bad].txn;
		if (t >= 0 && c->txns[t].final >= 0 && c->txns[t].status >= 300) {
			char r[80];
			msg_label(r, sizeof r, c, c->txns[t].final);
			snprintf(resp, sizeof resp, "; answered %s", r);
		}
		bool in_dialog = s->to_tag.len > 0;
		finding_summary(s->f, "%s does not increase on %s (%s)%s%s", bad, floor,
				in_dialog ? "same sender, same dialog" : "same UAC and Call-ID, outside a dialog", resp,
				s->bad > 1 ? " — and more" : "");
		if (in_dialog)
			finding_explain(s->f, "Within a dialog each direction numbers its requests with strictly "
					      "increasing CSeq values (RFC 3261 §12.2.1.1); the receiver rejects a "
					      "lower or repeated number as out of order (often 500), so the request "
					      "fails. Gaps are fine (§12.2.2) and the other direction has its own "
					      "numbers.");
		else
			finding_explain(s->f, "A UAC must give each new request with the same Call-ID a higher "
					      "CSeq (RFC 3261 §10.2.4 for REGISTER, §22.2 for a request resent with "
					      "credentials); a registrar or UAS may reject a repeated or lower number.");
		finding_hint(s->f, "Fix the sender's CSeq handling: keep one counter per dialog direction, "
				   "starting above the INVITE's number, and never reuse it — or the proxy/B2BUA that "
				   "rewrites CSeq between the two hops.");
		finding_host(s->f, &c->msgs[s->first_bad].m->src);
		finding_group(s->f, "%s CSeq does not increase (%s) from %s", sip_method_name(c->msgs[s->first_bad].method),
			      in_dialog ? "same dialog" : "same Call-ID, outside a dialog", s->f->host);
		finding_emit(ctx, s->f);
	}
	if (range) {
		char l[96];
		msg_label(l, sizeof l, c, range_first);
		finding_summary(range, "%s has a CSeq number of 2^31 or more", l);
		finding_explain(range, "RFC 3261 §8.1.1.5: the CSeq number must be less than 2^31; larger values "
				       "overflow 32-bit signed counters in receivers.");
		finding_hint(range, "Start CSeq counters at a small random value.");
		finding_emit(ctx, range);
	}
	if (meth) {
		char l[96];
		msg_label(l, sizeof l, c, meth_first);
		finding_summary(meth, "%s: the CSeq method differs from the request method", l);
		finding_explain(meth, "RFC 3261 §8.1.1.5: the method in CSeq must match the request's method; "
				      "transaction matching depends on it.");
		finding_hint(meth, "Fix the sender (or the proxy rewriting the start line or CSeq).");
		finding_emit(ctx, meth);
	}
}

const struct rule rule_cseq_order = {
	.id = "cseq-order",
	.severity = SEV_ERROR,
	.summary = "CSeq not increasing within a dialog direction or for one UAC",
	.reference = "RFC 3261 §12.2.1.1, §8.1.1.5, §10.2.4",
	.check_call = check,
};
