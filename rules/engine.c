/* engine.c - runs the enabled rules over a finalised call or a lapsed
 * registration binding, applying severity overrides. */
#include <stdio.h>
#include <string.h>

#include "rule.h"

void ruleset_default(struct ruleset *rs)
{
	for (size_t i = 0; i < sizeof rs->enabled / sizeof *rs->enabled; i++) {
		rs->enabled[i] = true;
		rs->severity[i] = -1;
		rs->state[i] = NULL;
	}
	rs->params.pdd_ns = RULE_PDD_DEFAULT_NS;
}

struct relay {
	const struct ruleset *rs;
	size_t rule;
	finding_sink_fn sink;
	void *ud;
};

static void relay_sink(void *ud, struct finding *f)
{
	struct relay *r = ud;
	if (r->rs->severity[r->rule] >= 0)
		f->severity = (enum severity)r->rs->severity[r->rule];
	r->sink(r->ud, f);
}

void rules_run_call(const struct ruleset *rs, const struct call *c, finding_sink_fn sink, void *ud)
{
	for (size_t i = 0; i < rule_count; i++) {
		const struct rule *r = rule_registry[i];
		if (!rs->enabled[i] || !r->check_call)
			continue;
		struct relay rl = { rs, i, sink, ud };
		struct rule_ctx ctx = { r, relay_sink, &rl, &rs->params, rs->state[i] };
		r->check_call(&ctx, c);
	}
}

void rules_run_binding(const struct ruleset *rs, const struct binding *b, uint32_t input, uint64_t late_frame,
		       int64_t late_ns, finding_sink_fn sink, void *ud)
{
	for (size_t i = 0; i < rule_count; i++) {
		const struct rule *r = rule_registry[i];
		if (!rs->enabled[i] || !r->check_binding)
			continue;
		struct relay rl = { rs, i, sink, ud };
		struct rule_ctx ctx = { r, relay_sink, &rl, &rs->params, rs->state[i] };
		r->check_binding(&ctx, b, input, late_frame, late_ns);
	}
}

void rules_begin(struct ruleset *rs)
{
	for (size_t i = 0; i < rule_count; i++)
		if (rs->enabled[i] && rule_registry[i]->state_new && !rs->state[i])
			rs->state[i] = rule_registry[i]->state_new();
}

void rules_end(struct ruleset *rs)
{
	for (size_t i = 0; i < rule_count; i++)
		if (rs->state[i]) {
			rule_registry[i]->state_free(rs->state[i]);
			rs->state[i] = NULL;
		}
}

void rules_input_end(const struct ruleset *rs, uint32_t input, int64_t end_ns, finding_sink_fn sink, void *ud)
{
	for (size_t i = 0; i < rule_count; i++) {
		const struct rule *r = rule_registry[i];
		if (!rs->enabled[i] || !r->input_end || !rs->state[i])
			continue;
		struct relay rl = { rs, i, sink, ud };
		struct rule_ctx ctx = { r, relay_sink, &rl, &rs->params, rs->state[i] };
		r->input_end(&ctx, input, end_ns);
	}
}
