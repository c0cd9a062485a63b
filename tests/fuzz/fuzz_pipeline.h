/* fuzz_pipeline.h - the rest of the pipeline for the packet and file
 * harnesses: messages go into the call store, finalised calls through every
 * rule, findings are built and dropped. */
#ifndef SIPAUDIT_FUZZ_PIPELINE_H
#define SIPAUDIT_FUZZ_PIPELINE_H

#include "../../analyzer/model.h"
#include "../../rules/rule.h"
#include "fuzz_common.h"

struct fuzz_pipeline {
	struct callstore *cs;
	struct ruleset rs;
};

static inline void fuzz_finding(void *ud, struct finding *f)
{
	(void)ud;
	finding_free(f);
}

static inline void fuzz_call(void *ud, struct call *c)
{
	struct fuzz_pipeline *p = ud;
	rules_run_call(&p->rs, c, fuzz_finding, NULL);
}

static inline void fuzz_lapse(void *ud, const struct binding *b, uint32_t input, uint64_t late_frame, int64_t late_ns)
{
	struct fuzz_pipeline *p = ud;
	rules_run_binding(&p->rs, b, input, late_frame, late_ns, fuzz_finding, NULL);
}

static inline void fuzz_pipeline_sink(void *ud, struct sip_msg *m)
{
	struct fuzz_pipeline *p = ud;
	fuzz_touch(m);
	callstore_add(p->cs, m);
}

static inline void fuzz_pipeline_init(struct fuzz_pipeline *p)
{
	ruleset_default(&p->rs);
	p->cs = callstore_new(fuzz_call, fuzz_lapse, p);
}

static inline void fuzz_pipeline_end(struct fuzz_pipeline *p, int64_t end_ns)
{
	callstore_end_input(p->cs, 0, end_ns);
	callstore_free(p->cs);
}

#endif
