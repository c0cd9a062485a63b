/* forked_2xx.c - forked-2xx: one INVITE answered by 2xx from several
 * dialogs (different To tags); each must be ACKed and the unwanted ones
 * ended with BYE (RFC 3261 §13.2.2.4, §16.7 point 5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../analyzer/xalloc.h"
#include "rule.h"

/* The caller's INVITEs grouped by CSeq and From tag (the same across hops),
 * each with the dialogs its 2xx created. */
struct group {
	uint32_t cseq;
	struct sv from_tag;
	uint32_t t; /* its first transaction */
	unsigned nd;
	int32_t dlg[16];
	int32_t first_ok[16];
	int32_t dtx[16]; /* the transaction each dialog's first 2xx answered */
};

static uint32_t group_hash(uint32_t cseq, struct sv tag)
{
	uint32_t h = 2166136261u ^ cseq;
	for (size_t i = 0; i < tag.len; i++)
		h = (h ^ (uint8_t)tag.p[i]) * 16777619u;
	return h;
}

/* The group of (cseq, tag) in an open-addressed table of nslot (a power of
 * two) entries holding group numbers + 1, created for transaction t when
 * t >= 0; -1 when absent. */
static int32_t group_find(struct group *g, uint32_t *ng, int32_t *slot, uint32_t nslot, uint32_t cseq, struct sv tag,
			  int32_t t)
{
	for (uint32_t i = group_hash(cseq, tag) & (nslot - 1);; i = (i + 1) & (nslot - 1)) {
		if (!slot[i]) {
			if (t < 0)
				return -1;
			g[*ng] = (struct group){ .cseq = cseq, .from_tag = tag, .t = (uint32_t)t };
			slot[i] = (int32_t)++*ng;
			return (int32_t)*ng - 1;
		}
		const struct group *x = &g[slot[i] - 1];
		if (x->cseq == cseq && sv_eq(x->from_tag, tag))
			return slot[i] - 1;
	}
}

static void check(struct rule_ctx *ctx, const struct call *c)
{
	/* One pass over the transactions and one over the messages, however
	 * many INVITEs the call has (a flood of branches or tags must not
	 * make this quadratic). */
	uint32_t ninv = 0;
	for (uint32_t i = 0; i < c->ntxns; i++)
		ninv += c->txns[i].method == M_INVITE && !c->txns[i].in_dialog;
	if (!ninv)
		return;
	uint32_t nslot = 16;
	while (nslot < 2 * ninv)
		nslot *= 2;
	int32_t *slot = xcalloc(nslot, sizeof *slot);
	struct group *groups = xmalloc(ninv * sizeof *groups);
	uint32_t ngroups = 0;
	for (uint32_t i = 0; i < c->ntxns; i++) {
		const struct txn *t = &c->txns[i];
		if (t->method == M_INVITE && !t->in_dialog)
			group_find(groups, &ngroups, slot, nslot, t->cseq, t->from_tag, (int32_t)i);
	}
	/* the caller's ACK and BYE of each dialog, in message order */
	int32_t *ab_head = xmalloc((c->ndialogs ? c->ndialogs : 1) * sizeof *ab_head);
	int32_t *ab_tail = xmalloc((c->ndialogs ? c->ndialogs : 1) * sizeof *ab_tail);
	int32_t *ab_next = xmalloc((c->nmsgs ? c->nmsgs : 1) * sizeof *ab_next);
	for (uint32_t d = 0; d < c->ndialogs; d++)
		ab_head[d] = ab_tail[d] = -1;
	for (uint32_t k = 0; k < c->nmsgs; k++) {
		const struct call_msg *cm = &c->msgs[k];
		const struct sip_msg *m = cm->m;
		ab_next[k] = -1;
		if (cm->dialog >= 0 && (uint32_t)cm->dialog < c->ndialogs && m->start.is_request &&
		    (cm->method == M_ACK || cm->method == M_BYE) && msg_is_first(c, (int32_t)k)) {
			if (ab_tail[cm->dialog] >= 0)
				ab_next[ab_tail[cm->dialog]] = (int32_t)k;
			else
				ab_head[cm->dialog] = (int32_t)k;
			ab_tail[cm->dialog] = (int32_t)k;
		}
		if (m->start.is_request || m->start.status < 200 || m->start.status >= 300 || cm->method != M_INVITE ||
		    cm->txn < 0 || cm->dialog < 0)
			continue;
		const struct txn *kt = &c->txns[cm->txn];
		if (kt->in_dialog)
			continue;
		int32_t gi = group_find(groups, &ngroups, slot, nslot, kt->cseq, kt->from_tag, -1);
		if (gi < 0)
			continue;
		struct group *g = &groups[gi];
		unsigned x;
		for (x = 0; x < g->nd; x++)
			if (g->dlg[x] == cm->dialog)
				break;
		if (x == g->nd && g->nd < 16) {
			g->dlg[g->nd] = cm->dialog;
			g->first_ok[g->nd] = (int32_t)k;
			g->dtx[g->nd] = cm->txn;
			g->nd++;
		}
	}
	for (uint32_t gi = 0; gi < ngroups; gi++) {
		const struct group *g = &groups[gi];
		const struct txn *t = &c->txns[g->t];
		unsigned nd = g->nd;
		const int32_t *dlg = g->dlg, *first_ok = g->first_ok, *dtx = g->dtx;
		if (nd < 2)
			continue;
		/* Forking answers one request through several branches. Two 2xx
		 * answering two different requests that reached the same UAS
		 * (another source port or a new branch: a NAT or container network
		 * sending the INVITE twice) mean a duplicate INVITE, each copy
		 * answered with its own dialog. */
		unsigned dupx = 0, origx = 0;
		for (unsigned x = 1; x < nd && !dupx; x++)
			for (unsigned y = 0; y < x; y++) {
				const struct txn *a = &c->txns[dtx[y]], *b = &c->txns[dtx[x]];
				/* a copy, not a fork: same UAS, another source, the same
				 * Request-URI (a fork retargets it) */
				if (dtx[x] != dtx[y] && a->req >= 0 && b->req >= 0 && endpoint_eq(&a->dst, &b->dst) &&
				    !endpoint_eq(&a->src, &b->src) && !sv_eq(a->branch, b->branch) &&
				    sv_eq(c->msgs[a->req].m->start.uri, c->msgs[b->req].m->start.uri)) {
					dupx = x, origx = y;
					break;
				}
			}
		struct finding *f = finding_new(ctx, c, SEV_WARNING);
		finding_msg(f, c, t->req);
		if (dupx) {
			finding_msg(f, c, c->txns[dtx[origx]].req);
			finding_msg(f, c, c->txns[dtx[dupx]].req);
		}
		for (unsigned x = 0; x < nd; x++) {
			if (x == (dupx ? dupx : 1))
				finding_key(f, c, first_ok[x]); /* the second answer */
			finding_msg(f, c, first_ok[x]);
			/* what the caller did with each answer: ACK, BYE */
			for (int32_t k = ab_head[dlg[x]]; k >= 0; k = ab_next[k])
				finding_msg(f, c, k);
		}
		char label[96];
		msg_label(label, sizeof label, c, t->req >= 0 ? t->req : first_ok[0]);
		if (dupx) {
			const struct txn *a = &c->txns[dtx[origx]], *b = &c->txns[dtx[dupx]];
			const struct sip_msg *dm = c->msgs[b->req].m;
			char dst[ENDPOINT_STRLEN], src[ENDPOINT_STRLEN], osrc[ENDPOINT_STRLEN], tag[64];
			endpoint_format(&b->dst, dst, sizeof dst);
			endpoint_format(&b->src, src, sizeof src);
			endpoint_format(&a->src, osrc, sizeof osrc);
			sv_print(tag, sizeof tag, c->dialogs[dlg[dupx]].callee_tag);
			finding_summary(f, "%s reached %s twice: a duplicate at frame %llu came from %s with a new branch "
					   "(the original from %s), and the UAS answered each copy, so the second dialog "
					   "(To tag %s, frame %llu) came from the duplicate",
					label, dst, (unsigned long long)dm->frame, src, osrc, tag,
					(unsigned long long)c->msgs[first_ok[dupx]].m->frame);
			finding_explain(f, "Not forking: the same INVITE (Call-ID, From tag, CSeq) arrived again by a second "
					   "path — another source address or port and a new Via branch, as a NAT, a container "
					   "network or a misrouted copy produces — so it looked like a new transaction. A UAS "
					   "should detect the merged request (RFC 3261 §8.2.2.2) and answer the copy 482 Loop "
					   "Detected; this one set up a second dialog instead. The caller sees %u 2xx with "
					   "different To tags and must ACK and BYE the extra one; media may go to the wrong leg.",
					nd);
			finding_hint(f, "Find why the INVITE travels twice (NAT or bridge duplicating packets, two routes to "
					"the UAS, an SBC resending with a new branch) and make the UAS reject merged "
					"requests with 482.");
			finding_host(f, &b->src);
			finding_group(f, "duplicate INVITE by a second path to %s", dst);
			finding_emit(ctx, f);
			continue;
		}
		finding_summary(f, "%s was answered by %u different dialogs (2xx with %u To tags)", label, nd, nd);
		finding_explain(f, "A forking proxy sent the INVITE to several devices and more than one answered. "
				   "The caller must ACK every 2xx and then end the unwanted dialogs with BYE; callers "
				   "that only handle one answer leave the others retransmitting 200 OK until they drop, "
				   "or connect media to the wrong device.");
		finding_hint(f, "Make the caller ACK and BYE the extra answers, or have the forking proxy CANCEL "
				"the other branches promptly (and, if the caller cannot cope, drop late 2xx at the proxy).");
		finding_emit(ctx, f);
	}
	free(ab_head);
	free(ab_tail);
	free(ab_next);
	free(groups);
	free(slot);
}

const struct rule rule_forked_2xx = {
	.id = "forked-2xx",
	.severity = SEV_WARNING,
	.summary = "several 2xx with different To tags for one INVITE",
	.reference = "RFC 3261 §13.2.2.4, §16.7",
	.check_call = check,
};
