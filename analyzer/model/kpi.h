/* kpi.h - call and registration KPIs over finalised calls: per input, for
 * all inputs, and grouped by peer host, host pair and User-Agent/Server.
 *
 * Definitions (the man page's "KPIs" section says the same for users):
 *  - a call attempt is a call (Call-ID) whose first out-of-dialog INVITE
 *    was captured; a call that continues one cut by the memory bound is not
 *    a new attempt. Its INVITE time is that INVITE's first copy.
 *  - answered: an INVITE dialog of it was confirmed by a 2xx.
 *  - in progress: no final response and not answered, when it was cut by
 *    the memory bound or its input ended less than 32 s (timer B) after its
 *    last message: its outcome is not known. completed = attempted - in
 *    progress; ASR = answered / completed; NER (ITU-T E.425) = effective /
 *    completed, effective = answered, user busy (486, 600), terminal
 *    rejection or unavailability (603, 480), or ring-no-answer (487, 408
 *    or a CANCEL after an 18x).
 *  - ACD: mean of answer -> first BYE over answered calls ended by a BYE.
 *  - PDD: INVITE time -> first 180-189; setup: INVITE time -> first 2xx.
 *    Nearest-rank percentiles: exact up to KPI_EXACT samples, beyond that
 *    from a log histogram within 1.6 % (streaming, memory bounded).
 *  - codes: the final status of each completed attempt's deciding INVITE.
 *  - a registration attempt is a REGISTER transaction (one per CSeq: the
 *    same request forwarded on another hop is not another attempt) that is
 *    not the credentialed retry of a 401/407 in the same Call-ID; it is
 *    successful when its last transaction got a 2xx. Refresh interval:
 *    between successive successful registrations of one AoR.
 *  - retransmissions: SIP messages per hop (source -> destination host)
 *    and how many were retransmissions; copies of one message captured
 *    on another hop or twice are not counted.
 * Groups: a peer is each host that sent or received a call's (or a
 * registration's) first request; a pair is that request's source ->
 * destination; an agent is the User-Agent of the first request or the
 * Server (else User-Agent) of the final response. At most KPI_GROUPS_MAX
 * of each kind are kept; later keys count in one "others" group. */
#ifndef SIPAUDIT_KPI_H
#define SIPAUDIT_KPI_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "model.h"

#define KPI_EXACT 512
#define KPI_GROUPS_MAX 1000
#define KPI_AGENT_MAX 96

/* A distribution of durations (microseconds). */
struct kpi_dist {
	uint64_t n;
	int64_t max;
	int64_t *v;      /* the first KPI_EXACT samples, then NULL */
	uint32_t nv, cap;
	uint32_t *hist;  /* beyond KPI_EXACT samples: log buckets */
};

struct kpi_quant {
	uint64_t n;
	int64_t p50, p95, max; /* microseconds; meaningless when n == 0 */
};
void kpi_dist_add(struct kpi_dist *d, int64_t us);
void kpi_dist_quant(const struct kpi_dist *d, struct kpi_quant *q);
void kpi_dist_free(struct kpi_dist *d);
/* Counts of samples in [edges[i-1], edges[i]) for i in 0..n (edges[-1] = 0,
 * the last bin open-ended): counts has n + 1 entries. Exact while the
 * samples are kept; from the histogram's bucket middles beyond. */
void kpi_dist_bins(const struct kpi_dist *d, const int64_t *edges, size_t n, uint64_t *counts);

struct kpi_code {
	uint16_t code;
	uint64_t n;
};

struct kpi_set {
	uint64_t attempted, answered, in_progress, effective;
	uint64_t cancelled, no_response, no_final;
	uint64_t acd_calls;
	int64_t acd_sum_ns;
	struct kpi_dist pdd, setup;
	struct kpi_code *codes; /* sorted by code */
	uint32_t ncodes, codes_cap;
	uint64_t reg_attempted, reg_successful;
	struct kpi_dist refresh;
	uint64_t messages, retransmitted;
};

enum kpi_group_kind { KPI_PEER, KPI_PAIR, KPI_AGENT, KPI_GROUP_KINDS };

/* One group: its key (what the renderers print) and its KPIs. */
struct kpi_group {
	bool others;                 /* the group of keys beyond KPI_GROUPS_MAX */
	struct endpoint a, b;        /* peer: a; pair: a -> b (ports 0) */
	bool server;                 /* agent: from a response's Server header */
	char agent[KPI_AGENT_MAX + 1];
	struct kpi_set k;
};

struct kpis;
struct kpis *kpis_new(uint32_t ninputs);
void kpis_free(struct kpis *k);
/* Counts a finalised call (any kind: only calls and registrations make
 * attempts; every message counts for the retransmission rate). */
void kpis_add_call(struct kpis *k, const struct call *c);

const struct kpi_set *kpis_input(const struct kpis *k, uint32_t input);
const struct kpi_set *kpis_total(const struct kpis *k);
/* The groups of a kind, ordered by call attempts, then registration
 * attempts, then messages (most first), then key; "others" last. The
 * array is the store's: valid until kpis_free. */
size_t kpis_groups(struct kpis *k, enum kpi_group_kind kind, const struct kpi_group *const **out);

/* Derived figures; false when undefined (nothing completed). */
bool kpi_asr(const struct kpi_set *s, double *out);
bool kpi_ner(const struct kpi_set *s, double *out);
/* Mean answered duration in seconds; false when no call ended by BYE. */
bool kpi_acd(const struct kpi_set *s, double *out);
/* Whether the set has anything to say. */
bool kpi_set_empty(const struct kpi_set *s);

#endif
