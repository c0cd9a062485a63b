/* rule.h - the rule engine's contract: one rule per file, pure checks over
 * the call model that report findings through an emit call.
 *
 * Adding a rule:
 *   1. write rules/<id>.c exporting `const struct rule rule_<id>` (id as in
 *      FAULTS.md, default severity, one-line summary, RFC reference, check);
 *   2. add one line to rules/registry.c and the file to meson.build;
 *   3. add a trigger capture and its clean counterpart to testdata/ and the
 *      golden list.
 * Rules read the model (calls, dialogs, transactions, messages), never the
 * packets; they never print and never exit. */
#ifndef SIPAUDIT_RULE_H
#define SIPAUDIT_RULE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "../analyzer/model/model.h"

enum severity { SEV_INFO = 0, SEV_WARNING = 1, SEV_ERROR = 2 };
const char *severity_name(enum severity s);
/* -1 when unknown */
int severity_parse(const char *s);

/* A finding: owned by whoever receives it (free with finding_free). */
struct finding {
	const char *rule;       /* static rule id */
	enum severity severity;
	uint32_t input;
	uint64_t call_seq;      /* the call's creation order (call->seq), FINDING_NO_CALL */
	char *call_id;
	char *from_tag, *to_tag; /* when it concerns one dialog, else NULL */
	uint64_t frame;         /* key frame: the message that proves it (one of frames) */
	uint64_t *frames;       /* sorted, unique */
	size_t nframes, frames_cap;
	int64_t ts_ns;          /* time of the first message it cites */
	char *summary, *explanation, *hint;
	const char *reference;  /* static */
	/* The cause this finding shares with others of its rule and severity,
	 * e.g. "486 Busy Here from 192.0.2.7": findings of one rule, severity
	 * and group are one block of the text report (and one "group" in the
	 * JSON). Set by the rule (finding_group); by default the summary with
	 * its numbers replaced by N. */
	char *group;
	/* The host the finding points at (address only): the sender of the
	 * message that proves it, or the party that did not answer; "" when
	 * none (a finding about RTP only, a lapsed binding). */
	char host[ENDPOINT_STRLEN];
	/* Set by the driver: an accepted finding of --baseline (reported, does
	 * not fail the run). */
	bool baselined;
};

#define FINDING_NO_CALL UINT64_MAX

struct rule_ctx;

struct rule {
	const char *id;
	enum severity severity; /* default; a finding may say otherwise */
	const char *summary;
	const char *reference;
	void (*check_call)(struct rule_ctx *ctx, const struct call *c);
	/* optional: a registration binding lapsed (see binding_lapse_fn) */
	void (*check_binding)(struct rule_ctx *ctx, const struct binding *b, uint32_t input,
			      uint64_t late_frame, int64_t late_ns);
	/* optional, for a rule that judges many calls together (sip-scan):
	 * its state for the run (rules_begin makes it, rules_end frees it; a
	 * rule gets ctx->state NULL when rules_begin was not called and then
	 * judges nothing), check_call sees every finalised call, input_end
	 * reports when an input ends. */
	void *(*state_new)(void);
	void (*state_free)(void *state);
	void (*input_end)(struct rule_ctx *ctx, uint32_t input, int64_t end_ns);
};

typedef void (*finding_sink_fn)(void *ud, struct finding *f);

/* Thresholds of the rules that have one (--pdd-threshold and the
 * configuration file set them). */
struct rule_params {
	int64_t pdd_ns; /* slow-setup: post-dial delay over this (default 5 s) */
};
#define RULE_PDD_DEFAULT_NS 5000000000LL

struct rule_ctx {
	const struct rule *rule;
	finding_sink_fn sink;
	void *ud;
	const struct rule_params *params;
	void *state; /* the rule's own (struct rule.state_new), NULL none */
};

/* Building a finding (rules/finding.c). */
struct finding *finding_new(struct rule_ctx *ctx, const struct call *c, enum severity sev);
void finding_dialog(struct finding *f, const struct dialog *d);
/* Cites message idx of c (its frame; the first frame too when it spanned several). */
void finding_msg(struct finding *f, const struct call *c, int32_t idx);
void finding_frame(struct finding *f, uint64_t frame);
/* Cites message idx and makes it the key frame (the last call wins; without
 * one, the first frame cited is the key). */
void finding_key(struct finding *f, const struct call *c, int32_t idx);
/* Cites a frame that is not a SIP message of the call (an RTP packet) and
 * makes it the key frame. */
void finding_key_frame(struct finding *f, uint64_t frame);
void finding_summary(struct finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void finding_explain(struct finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void finding_hint(struct finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void finding_group(struct finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The host the finding points at (finding_msg and finding_key set the
 * sender of the first / key message; a rule says otherwise with this). */
void finding_host(struct finding *f, const struct endpoint *e);
/* A copy of s with each run of digits replaced by one 'N' (the default group). */
char *finding_strip_numbers(const char *s);
/* Hands the finding to the sink (which takes ownership). */
void finding_emit(struct rule_ctx *ctx, struct finding *f);
void finding_free(struct finding *f);

/* The registry (rules/registry.c). */
extern const struct rule *const rule_registry[];
extern const size_t rule_count;
const struct rule *rule_find(const char *id);
int rule_index(const char *id); /* -1 when unknown */

/* Which rules run and at what severity (rules/engine.c). */
struct ruleset {
	bool enabled[64];
	int severity[64]; /* -1: the rule's own */
	struct rule_params params;
	void *state[64];  /* of the rules that keep one, between rules_begin and rules_end */
};
void ruleset_default(struct ruleset *rs);
void rules_run_call(const struct ruleset *rs, const struct call *c, finding_sink_fn sink, void *ud);
/* Makes the state of the enabled rules that keep one (call before the
 * first call is judged), and frees it. */
void rules_begin(struct ruleset *rs);
void rules_end(struct ruleset *rs);
/* An input ended (after its calls were finalised): the rules that judge
 * many calls report. */
void rules_input_end(const struct ruleset *rs, uint32_t input, int64_t end_ns, finding_sink_fn sink, void *ud);
void rules_run_binding(const struct ruleset *rs, const struct binding *b, uint32_t input, uint64_t late_frame,
		       int64_t late_ns, finding_sink_fn sink, void *ud);

/* Helpers shared by rules (rules/util.c). */
/* A printable copy of a header value, at most max bytes, control bytes replaced. */
void sv_print(char *buf, size_t size, struct sv v);
/* Appends ", Reason: ..., Warning: ..., X-Asterisk-HangupCause: ..., P-Registrar-Error: ..."
 * quotes of message m into buf. Returns the number of quotes added. */
int quote_causes(char *buf, size_t size, const struct sip_msg *m);
/* Is the request message idx a first copy (not a retransmission or duplicate)? */
static inline bool msg_is_first(const struct call *c, int32_t idx)
{
	return !(c->msgs[idx].flags & (CM_RETRANS | CM_DUPLICATE));
}
/* Session-Expires (RFC 4028): its delta-seconds and refresher parameter
 * (SV_NULL when none); false when absent or not a number. */
bool session_expires(const struct sip_msg *m, uint64_t *secs, struct sv *refresher);
/* Does the request carry Authorization or Proxy-Authorization? */
bool msg_has_credentials(const struct sip_msg *m);
/* "INVITE (CSeq 5)" style label of message idx. */
void msg_label(char *buf, size_t size, const struct call *c, int32_t idx);

#endif
