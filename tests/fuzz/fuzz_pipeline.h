/* fuzz_pipeline.h - the rest of the pipeline for the packet and file
 * harnesses: messages go into the call store, finalised calls through every
 * rule, and each call with its findings through the renderers that take
 * strings from the capture (JSON, jsonl, text table, ladder, JUnit, HTML) into
 * /dev/null. */
#ifndef SIPAUDIT_FUZZ_PIPELINE_H
#define SIPAUDIT_FUZZ_PIPELINE_H

#include <stdlib.h>

#include "../../analyzer/analyzer.h"
#include "../../analyzer/tls/keylog.h"
#include "../../analyzer/model/model.h"
#include "../../cmd/callview.h"
#include "../../cmd/export.h"
#include "../../cmd/html.h"
#include "../../cmd/report.h"
#include "../../rules/rule.h"
#include "fuzz_common.h"

struct fuzz_pipeline {
	struct callstore *cs;
	struct options opt;
	struct report rep;
	struct input_stats st;
	struct input_tally tally;
	struct finding *cur[256];
	size_t ncur;
	uint64_t unlisted;
	struct export *ex; /* fuzz_file: every call written out again, or NULL */
};

static inline void fuzz_finding(void *ud, struct finding *f)
{
	struct fuzz_pipeline *p = ud;
	if (p->ncur < sizeof p->cur / sizeof *p->cur)
		p->cur[p->ncur++] = f;
	else
		finding_free(f);
}

static inline void fuzz_render(struct fuzz_pipeline *p, struct call *c)
{
	struct report *r = &p->rep;
	r->calls_written++;
	c->findings = (uint32_t)p->ncur;
	p->opt.format = (c->seq & 1) ? FMT_JSONL : FMT_JSON;
	report_json_call(r, c, p->cur, p->ncur);
	report_text_call(r, c, p->cur, p->ncur);
	report_html_call(r, c, p->cur, p->ncur);
	struct callview *v = callview_new(c, true);
	for (size_t i = 0; i < p->ncur; i++)
		callview_add_finding(v, p->cur[i]);
	ladder_print(r->out, v, 80, c->seq & 2);
	callview_free(v);
	for (size_t i = 0; i < p->ncur; i++) {
		report_text_finding(r, p->cur[i], i & 1 ? 80 : 0);
		report_text_late_finding(r, p->cur[i]);
		report_json_finding(r, p->cur[i]);
	}
	/* keep a few for the end-of-input renderers */
	for (size_t i = 0; i < p->ncur; i++) {
		if (r->nfindings < 64) {
			if (r->nfindings == r->findings_cap) {
				r->findings_cap = r->findings_cap ? r->findings_cap * 2 : 16;
				r->findings = realloc(r->findings, r->findings_cap * sizeof *r->findings);
				if (!r->findings)
					abort();
			}
			r->nsev[p->cur[i]->severity]++;
			r->findings[r->nfindings++] = p->cur[i];
		} else {
			finding_free(p->cur[i]);
		}
	}
	p->ncur = 0;
}

static inline void fuzz_call(void *ud, struct call *c)
{
	struct fuzz_pipeline *p = ud;
	p->ncur = 0;
	rules_run_call(&p->opt.rs, c, fuzz_finding, p);
	kpis_add_call(p->rep.kpis, c);
	if (p->ex)
		export_call(p->ex, c, c->seq % 3 != 1);
	fuzz_render(p, c);
}

static inline void fuzz_lapse(void *ud, const struct binding *b, uint32_t input, uint64_t late_frame, int64_t late_ns)
{
	struct fuzz_pipeline *p = ud;
	size_t before = p->ncur;
	rules_run_binding(&p->opt.rs, b, input, late_frame, late_ns, fuzz_finding, p);
	for (size_t i = before; i < p->ncur; i++) {
		report_text_finding(&p->rep, p->cur[i], 0);
		report_json_finding(&p->rep, p->cur[i]);
		finding_free(p->cur[i]);
	}
	p->ncur = before;
}

static inline void fuzz_pipeline_sink(void *ud, struct sip_msg *m)
{
	struct fuzz_pipeline *p = ud;
	fuzz_touch(m);
	callstore_add(p->cs, m);
}

/* RTP/RTCP candidates go to the store's media table, as in main.c. */
static inline void fuzz_pipeline_media(void *ud, const struct media_pkt *m)
{
	struct fuzz_pipeline *p = ud;
	callstore_media(p->cs, m);
}

static inline void fuzz_pipeline_orphan(void *ud, uint32_t input, const struct media_stream *s)
{
	struct fuzz_pipeline *p = ud;
	report_add_orphan(&p->rep, input, s, 64);
}

/* The key logs of the TLS test captures (testdata/captures/tls, NAME.keys),
 * read once: their seeds then reach decryption, SIP framing of the
 * plaintext and everything after. */
static inline struct keylog *fuzz_keylog(void)
{
	static struct keylog *kl;
	if (!kl)
		kl = fuzz_keylog_dir("testdata/captures/tls");
	return kl;
}

static inline void fuzz_pipeline_init(struct fuzz_pipeline *p)
{
	memset(p, 0, sizeof *p);
	ruleset_default(&p->opt.rs);
	p->opt.fail_on = SEV_WARNING;
	p->rep.opt = &p->opt;
	p->rep.out = fopen("/dev/null", "w");
	if (!p->rep.out)
		abort();
	p->st.path = "fuzz<&\"input\">";
	p->rep.inputs = &p->st;
	p->rep.tally = &p->tally;
	p->rep.ninputs = 1;
	p->rep.orphans_unlisted = &p->unlisted;
	p->rep.kpis = kpis_new(1);
	rules_begin(&p->opt.rs);
	p->cs = callstore_new(fuzz_call, fuzz_lapse, p);
	callstore_set_media_orphan(p->cs, fuzz_pipeline_orphan);
}

/* st: the input's statistics as the reader left them (NULL: none). */
static inline void fuzz_pipeline_end(struct fuzz_pipeline *p, int64_t end_ns, const struct input_stats *st)
{
	callstore_end_input(p->cs, 0, end_ns);
	/* the rules over many calls report at the input's end, like a lapse */
	size_t before = p->ncur;
	rules_input_end(&p->opt.rs, 0, end_ns, fuzz_finding, p);
	for (size_t i = before; i < p->ncur; i++) {
		report_text_finding(&p->rep, p->cur[i], 0);
		report_json_finding(&p->rep, p->cur[i]);
		finding_free(p->cur[i]);
	}
	p->ncur = before;
	callstore_free(p->cs);
	rules_end(&p->opt.rs);
	struct report *r = &p->rep;
	if (st) {
		p->st = *st;
		p->st.path = "fuzz<&\"input\">";
	}
	report_text_end(r);
	report_junit_end(r);
	p->opt.format = FMT_JSON;
	report_json_end(r);
	report_html_end(r);
	report_html_free(r);
	report_text_free(r);
	report_json_free(r);
	for (size_t i = 0; i < r->nfindings; i++)
		finding_free(r->findings[i]);
	free(r->findings);
	free(r->orphans);
	kpis_free(r->kpis);
	fclose(r->out);
}

#endif
