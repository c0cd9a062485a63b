/* prack.c - prack: reliable provisional responses (RFC 3262) gone wrong:
 *  - a provisional sent reliably (Require: 100rel, RSeq) that no PRACK
 *    acknowledged while the UAS retransmitted it (§3: at T1, 2T1, ... until
 *    a PRACK comes; after 64*T1 the UAS rejects the INVITE with a 5xx);
 *  - a PRACK whose RAck (RSeq, CSeq number and method) matches no reliable
 *    provisional of the dialog (§7.2: answered 481).
 * One pass over the call's messages; the reliable provisionals are kept in
 * a small array (a call has a handful). */
#include <stdio.h>
#include <stdlib.h>

#include "../analyzer/xalloc.h"
#include "rule.h"

struct relprov {
	int32_t idx;      /* first copy */
	int32_t txn;
	int32_t dialog;
	uint32_t rseq, cseq;
	uint32_t copies;  /* on the first copy's hop */
	int32_t last;     /* last copy */
	bool pracked;
};

/* Require or Supported (hdr) lists the option tag 100rel */
static bool has_100rel(const struct sip_msg *m, enum sip_hdr_id hdr)
{
	struct sv v;
	struct sip_hdr_iter it = sip_hdr_iter(m, hdr);
	while (sip_hdr_next(&it, &v))
		if (sv_eq_cstr_ci(sv_trim(v), "100rel"))
			return true;
	return false;
}

/* "RAck: 1 1 INVITE" */
static bool parse_rack(struct sv v, uint32_t *rseq, uint32_t *cseq, struct sv *method)
{
	v = sv_trim(v);
	size_t i = 0;
	uint64_t a = 0, b = 0;
	size_t s = i;
	while (i < v.len && v.p[i] >= '0' && v.p[i] <= '9' && a < 0x100000000ULL)
		a = a * 10 + (uint64_t)(v.p[i++] - '0');
	if (i == s || i >= v.len || !sv_is_ws(v.p[i]))
		return false;
	while (i < v.len && sv_is_ws(v.p[i]))
		i++;
	s = i;
	while (i < v.len && v.p[i] >= '0' && v.p[i] <= '9' && b < 0x100000000ULL)
		b = b * 10 + (uint64_t)(v.p[i++] - '0');
	if (i == s || i >= v.len || !sv_is_ws(v.p[i]) || a > 0xffffffffULL || b > 0xffffffffULL)
		return false;
	while (i < v.len && sv_is_ws(v.p[i]))
		i++;
	*rseq = (uint32_t)a;
	*cseq = (uint32_t)b;
	*method = sv_trim(sv_make(v.p + i, v.len - i));
	return method->len > 0;
}

static void missing(struct rule_ctx *ctx, const struct call *c, const struct relprov *p)
{
	const struct txn *t = &c->txns[p->txn];
	const struct sip_msg *m = c->msgs[p->idx].m;
	struct finding *f = finding_new(ctx, c, SEV_WARNING);
	if (p->dialog >= 0)
		finding_dialog(f, &c->dialogs[p->dialog]);
	finding_msg(f, c, t->req);
	for (int32_t k = p->last; k >= 0; k = c->msgs[k].prev_in_txn) {
		const struct sip_msg *o = c->msgs[k].m;
		if (!o->start.is_request && o->start.status == m->start.status && c->msgs[k].dialog == p->dialog &&
		    c->msgs[k].to_tag_hash == c->msgs[p->idx].to_tag_hash)
			finding_msg(f, c, k);
	}
	if (t->final >= 0)
		finding_msg(f, c, t->final);
	finding_key(f, c, p->idx);
	char label[96], from[ENDPOINT_STRLEN], to[ENDPOINT_STRLEN], fin[96] = "";
	msg_label(label, sizeof label, c, p->idx);
	endpoint_format(&m->src, from, sizeof from);
	endpoint_format(&m->dst, to, sizeof to);
	double span = (double)(msg_ns(c->msgs[p->last].m) - msg_ns(m)) / 1e9;
	if (t->final >= 0 && msg_ns(c->msgs[t->final].m) >= msg_ns(m)) {
		char r[96];
		msg_label(r, sizeof r, c, t->final);
		snprintf(fin, sizeof fin, "; the INVITE then ended with %s", r);
	}
	finding_summary(f, "reliable %s (RSeq %u) was never PRACKed: sent %u times over %.1f s%s", label, p->rseq,
			p->copies, span, fin);
	finding_explain(f,
			"%s sent the provisional reliably (Require: 100rel, RSeq %u) and retransmits it at T1, 2T1, "
			"... until a PRACK acknowledges it (RFC 3262 §3); after 64*T1 = 32 s without one the UAS "
			"rejects the INVITE with a 5xx. %s did not send a PRACK with RAck: %u %u INVITE%s, or it "
			"did not arrive: early media, the SDP answer in the provisional and the call itself depend "
			"on it.",
			from, p->rseq, to, p->rseq, p->cseq,
			t->req >= 0 && has_100rel(c->msgs[t->req].m, SIP_H_SUPPORTED) ? " although its INVITE said Supported"
										       : "");
	finding_hint(f, "Check whether %s supports 100rel at all (it must not list it in Supported or Require "
			"if it cannot PRACK), whether its PRACK goes to the provisional's Contact through the "
			"Record-Route set, and whether a NAT or firewall drops it. Disabling 100rel on %s is "
			"the usual workaround.",
		     to, from);
	finding_host(f, &m->dst);
	finding_group(f, "reliable provisional not PRACKed by %s", f->host);
	finding_emit(ctx, f);
}

static void unmatched(struct rule_ctx *ctx, const struct call *c, int32_t pi, uint32_t rseq, uint32_t cseq,
		      struct sv method, const struct relprov *rp, size_t nrp)
{
	const struct call_msg *cm = &c->msgs[pi];
	struct finding *f = finding_new(ctx, c, SEV_WARNING);
	if (cm->dialog >= 0)
		finding_dialog(f, &c->dialogs[cm->dialog]);
	finding_key(f, c, pi);
	int32_t resp = cm->txn >= 0 ? c->txns[cm->txn].final : -1;
	if (resp >= 0)
		finding_msg(f, c, resp);
	char have[160] = "";
	size_t o = 0;
	for (size_t i = 0; i < nrp && o + 1 < sizeof have; i++)
		if (rp[i].dialog == cm->dialog) {
			finding_msg(f, c, rp[i].idx);
			/* each RAck once: the same provisional relayed by a proxy is
			 * another transaction with the same RSeq and CSeq */
			bool listed = false;
			for (size_t j = 0; j < i && !listed; j++)
				listed = rp[j].dialog == cm->dialog && rp[j].rseq == rp[i].rseq && rp[j].cseq == rp[i].cseq;
			if (!listed)
				o += (size_t)snprintf(have + o, sizeof have - o, "%s%u %u INVITE", o ? ", " : "",
						      rp[i].rseq, rp[i].cseq);
		}
	char label[96], rl[96] = "", meth[24];
	msg_label(label, sizeof label, c, pi);
	sv_print(meth, sizeof meth, method);
	if (resp >= 0) {
		char r[80];
		msg_label(r, sizeof r, c, resp);
		snprintf(rl, sizeof rl, ", answered %s", r);
	}
	finding_summary(f, "%s carries RAck: %u %u %s, which matches no reliable provisional%s", label, rseq, cseq, meth,
			rl);
	bool lenient = resp >= 0 && c->msgs[resp].m->start.status >= 200 && c->msgs[resp].m->start.status < 300;
	finding_explain(f,
			"A PRACK acknowledges one reliable provisional: its RAck holds that response's RSeq, then "
			"the CSeq number and method of the INVITE it answered (RFC 3262 §7.2). The reliable "
			"provisionals of this dialog were %s; a PRACK that names none of them is answered 481 "
			"(§3) and the provisional it meant stays unacknowledged.%s",
			have[0] ? have : "none in the capture",
			lenient ? " This UAS accepted it anyway; a strict one (or the next hop) refuses it." : "");
	finding_hint(f, "Check how the UAC builds RAck: the RSeq must be the provisional's own (it starts anywhere "
			"and grows by one per reliable provisional), the CSeq the INVITE's.");
	finding_host(f, &cm->m->src);
	finding_group(f, "PRACK with an RAck matching nothing from %s", f->host);
	finding_emit(ctx, f);
}

static void check(struct rule_ctx *ctx, const struct call *c)
{
	if (c->kind != KIND_CALL)
		return;
	struct relprov *rp = NULL, bad[16];
	size_t nrp = 0, cap = 0, nbad = 0;
	for (uint32_t i = 0; i < c->nmsgs; i++) {
		const struct call_msg *cm = &c->msgs[i];
		struct sip_msg *m = cm->m;
		if (!m->start.is_request) {
			int st = m->start.status;
			if (st <= 100 || st >= 200 || cm->txn < 0 || c->txns[cm->txn].method != M_INVITE ||
			    (cm->flags & CM_DUPLICATE))
				continue;
			int64_t rseq = sip_msg_int(m, SIP_H_RSEQ);
			if (rseq < 0 || rseq > 0xffffffffLL || !has_100rel(m, SIP_H_REQUIRE))
				continue;
			size_t k = 0;
			while (k < nrp && !(rp[k].txn == cm->txn && rp[k].rseq == (uint32_t)rseq &&
					    rp[k].dialog == cm->dialog))
				k++;
			if (k == nrp) {
				if (nrp == cap) {
					cap = cap ? cap * 2 : 4;
					rp = xrealloc(rp, cap * sizeof *rp);
				}
				rp[nrp++] = (struct relprov){(int32_t)i, cm->txn, cm->dialog, (uint32_t)rseq,
							     c->txns[cm->txn].cseq, 0, (int32_t)i, false};
			}
			if (endpoint_eq(&m->src, &c->msgs[rp[k].idx].m->src) &&
			    endpoint_eq(&m->dst, &c->msgs[rp[k].idx].m->dst))
				rp[k].copies++;
			rp[k].last = (int32_t)i;
			continue;
		}
		if (cm->method != M_PRACK || (cm->flags & (CM_RETRANS | CM_DUPLICATE)))
			continue;
		struct sv v = sip_msg_hdr(m, SIP_H_RACK), method;
		uint32_t rseq, cseq;
		if (!v.p || !parse_rack(v, &rseq, &cseq, &method))
			continue; /* no RAck: malformed's to say */
		bool match = false;
		for (size_t k = 0; k < nrp; k++)
			if (rp[k].rseq == rseq && rp[k].cseq == cseq && sv_eq_cstr_ci(method, "INVITE") &&
			    (rp[k].dialog == cm->dialog || cm->dialog < 0)) {
				rp[k].pracked = true;
				match = true;
			}
		/* it names nothing seen: judged when refused 481, or when the
		 * dialog's reliable provisionals are in the capture (else the
		 * capture may have missed the one it names) */
		bool seen = false;
		for (size_t k = 0; k < nrp && !seen; k++)
			seen = rp[k].dialog == cm->dialog;
		/* one finding per dialog and RAck: the same PRACK forwarded by a proxy is not another */
		bool told = false;
		for (size_t k = 0; k < nbad && !told; k++)
			told = bad[k].dialog == cm->dialog && bad[k].rseq == rseq && bad[k].cseq == cseq;
		if (!match && !told && ((cm->txn >= 0 && c->txns[cm->txn].status == 481) || seen)) {
			if (nbad < sizeof bad / sizeof *bad)
				bad[nbad++] = (struct relprov){.dialog = cm->dialog, .rseq = rseq, .cseq = cseq};
			unmatched(ctx, c, (int32_t)i, rseq, cseq, method, rp, nrp);
		}
	}
	for (size_t k = 0; k < nrp; k++)
		if (!rp[k].pracked && rp[k].copies >= 2)
			missing(ctx, c, &rp[k]);
	free(rp);
}

const struct rule rule_prack = {
	.id = "prack",
	.severity = SEV_WARNING,
	.summary = "a reliable provisional never PRACKed, or a PRACK whose RAck matches nothing",
	.reference = "RFC 3262 §3, §7.2",
	.check_call = check,
};
