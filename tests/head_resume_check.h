/* head_resume_check.h - a head parse resumed across cuts (a TCP message
 * split over segments, sip_parse_head_resume) against one parse of the
 * whole: for unit_sip and fuzz_sip. */
#ifndef SIPAUDIT_TESTS_HEAD_RESUME_CHECK_H
#define SIPAUDIT_TESTS_HEAD_RESUME_CHECK_H

#include <stdlib.h>
#include <string.h>

#include "../analyzer/sip/sip.h"

#define HRC_CAP 80 /* more than SIP_HEAD_STATE_MAX: heads too big to keep are covered */

struct hrc_parse {
	int r;
	const char *err;
	size_t nh, ntotal;
	struct sip_start st;
	struct sip_header h[HRC_CAP];
};

/* Slices compare by length and offset (none: -1), not by address. */
static inline int hrc_sv_differs(struct sv a, const char *ba, struct sv b, const char *bb)
{
	return a.len != b.len || (a.p ? a.p - ba : -1) != (b.p ? b.p - bb : -1);
}

/* 0 when the two parses (of the same bytes at ba and bb) agree. */
static inline int hrc_differs(const struct hrc_parse *a, const char *ba, const struct hrc_parse *b, const char *bb)
{
	if (a->r != b->r || a->err != b->err)
		return 1;
	if (a->r == SIP_PARSE_PARTIAL) /* nothing else is promised then */
		return 0;
	if (a->nh != b->nh || a->ntotal != b->ntotal)
		return 2;
	if (a->st.is_request != b->st.is_request || a->st.status != b->st.status ||
	    hrc_sv_differs(a->st.method, ba, b->st.method, bb) || hrc_sv_differs(a->st.uri, ba, b->st.uri, bb) ||
	    hrc_sv_differs(a->st.reason, ba, b->st.reason, bb) || hrc_sv_differs(a->st.line, ba, b->st.line, bb))
		return 3;
	for (size_t i = 0; i < a->nh; i++)
		if (a->h[i].id != b->h[i].id || hrc_sv_differs(a->h[i].name, ba, b->h[i].name, bb) ||
		    hrc_sv_differs(a->h[i].value, ba, b->h[i].value, bb))
			return 4;
	return 0;
}

/* Parses p[0..len) whole, and again as it arrives: p[0..cut1), then
 * p[0..cut2), then all of it, each time from a fresh copy (the bytes move,
 * as a stream's buffer does) resuming the state the last parse left. A
 * whole head found before the end is kept as the framing keeps it when the
 * body is still to come. Returns 0 when every step's final answer agrees
 * with the whole parse. */
static inline int head_resume_differs(const char *p, size_t len, size_t cut1, size_t cut2)
{
	struct hrc_parse *whole = malloc(sizeof *whole), *step = malloc(sizeof *step);
	struct sip_head_state *hs = malloc(sizeof *hs);
	char *wb = malloc(len ? len : 1);
	memcpy(wb, p, len);
	whole->nh = HRC_CAP;
	whole->r = sip_parse_head(wb, len, &whole->st, whole->h, &whole->nh, &whole->ntotal, &whole->err);
	hs->pos = 0;
	size_t cuts[3] = { cut1 < len ? cut1 : len, cut2 < len ? cut2 : len, len };
	int bad = 0;
	for (int k = 0; k < 3 && !bad; k++) {
		size_t n = cuts[k];
		char *b = malloc(n ? n : 1); /* exact size: ASan sees a read past the cut */
		memcpy(b, p, n);
		step->nh = HRC_CAP;
		step->r = sip_parse_head_resume(b, n, &step->st, step->h, &step->nh, &step->ntotal, &step->err, hs);
		if (step->r > 0)
			sip_head_keep(hs, b, step->r, step->h, step->nh, step->ntotal);
		if (k == 2) {
			bad = hrc_differs(whole, wb, step, b);
		} else if (step->r != SIP_PARSE_PARTIAL && n < len) {
			/* a prefix that already has the whole head (or is bad) answers
			 * as the whole does */
			struct hrc_parse *pre = malloc(sizeof *pre);
			pre->nh = HRC_CAP;
			pre->r = sip_parse_head(b, n, &pre->st, pre->h, &pre->nh, &pre->ntotal, &pre->err);
			bad = hrc_differs(pre, b, step, b) ? 10 + hrc_differs(pre, b, step, b) : 0;
			free(pre);
		}
		free(b);
	}
	free(wb);
	free(hs);
	free(step);
	free(whole);
	return bad;
}

#endif
