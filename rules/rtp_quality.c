/* rtp_quality.c - rtp-quality: an RTP stream of the call that lost over 1 %
 * of its packets (sequence gaps, RFC 3550 A.3), had a mean interarrival
 * jitter over 30 ms (RFC 3550 A.8), or an estimated MOS under 3.6
 * (ITU-T G.107 E-model), as seen at the capture point; also when the
 * receiver's RTCP reports say it lost over 1 % (the loss happened after the
 * capture point). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule.h"

/* One second of 20 ms packets: a shorter stream is not judged. A stream of
 * fewer received packets is judged when its sequence numbers say at least
 * that many were sent and the loss is spread over many gaps (G.107 BurstR
 * under MAX_SPREAD_BURST): 19 of 864 packets arriving one here, one there
 * is the worst case of loss, not too little to tell; whereas a few packets
 * on each side of one long hole is an outage or a capture with a gap. */
#define MIN_PACKETS 50
#define MAX_SPREAD_BURST 4.0
#define LOSS_PCT 1.0
#define JITTER_MS 30.0
#define MOS_MIN 3.6

static void check(struct rule_ctx *ctx, const struct call *c)
{
	for (uint32_t i = 0; i < c->nmedia; i++) {
		const struct media_stream *s = &c->media[i];
		if (s->packets < MIN_PACKETS && !(s->expected >= MIN_PACKETS && s->burst_ratio < MAX_SPREAD_BURST))
			continue;
		double loss = s->expected ? 100.0 * (double)s->lost / (double)s->expected : 0;
		double rloss = -1;
		if (s->has_rtcp && s->rtcp.rr && s->rtcp.cum_lost > 0)
			rloss = 100.0 * s->rtcp.cum_lost / (double)(s->expected + (uint64_t)s->rtcp.cum_lost);
		bool bad_loss = loss > LOSS_PCT, bad_rloss = rloss > LOSS_PCT;
		bool bad_jitter = s->jitter_mean_ms > JITTER_MS;
		bool bad_mos = s->mos >= 0 && s->mos < MOS_MIN;
		if (!bad_loss && !bad_rloss && !bad_jitter && !bad_mos)
			continue;
		char src[ENDPOINT_STRLEN], dst[ENDPOINT_STRLEN], what[160] = "";
		endpoint_format(&s->src, src, sizeof src);
		endpoint_format(&s->dst, dst, sizeof dst);
		size_t n = 0;
		if (bad_loss)
			n += (size_t)snprintf(what + n, sizeof what - n, "%sloss %.1f %%", n ? ", " : "", loss);
		if (bad_rloss && n < sizeof what)
			n += (size_t)snprintf(what + n, sizeof what - n, "%sreceiver reports loss %.1f %%", n ? ", " : "",
					      rloss);
		if (bad_jitter && n < sizeof what)
			n += (size_t)snprintf(what + n, sizeof what - n, "%sjitter %.1f ms", n ? ", " : "",
					      s->jitter_mean_ms);
		if (bad_mos && n < sizeof what)
			snprintf(what + n, sizeof what - n, "%sMOS %.2f", n ? ", " : "", s->mos);
		struct finding *f = finding_new(ctx, c, SEV_WARNING);
		if (s->sdp_msg >= 0)
			finding_msg(f, c, s->sdp_msg);
		finding_key_frame(f, s->first_frame);
		if (s->max_delta_frame)
			finding_frame(f, s->max_delta_frame);
		const char *dir = s->from_caller < 0 ? "" : s->from_caller ? " caller -> callee" : " callee -> caller";
		finding_summary(f, "poor RTP%s %s -> %s (%s): %s", dir, src, dst, s->codec[0] ? s->codec : "?", what);
		/* the sending host, and what is poor (without its figures) */
		finding_host(f, &s->src);
		char *kind = finding_strip_numbers(what);
		finding_group(f, "from %s: %s", f->host, kind);
		free(kind);
		char mos[48] = "not estimated";
		if (s->mos >= 0)
			snprintf(mos, sizeof mos, "R %.1f, MOS %.2f", s->r_factor, s->mos);
		char rtcp[160] = "";
		if (s->has_rtcp && s->rtcp.rr)
			snprintf(rtcp, sizeof rtcp, " The receiver's RTCP: %u reports, worst interval %.1f %% lost, "
						    "%d lost in all, jitter up to %.1f ms.",
				 s->rtcp.rr, s->rtcp.fraction_lost_max, s->rtcp.cum_lost, s->rtcp.jitter_max_ms);
		finding_explain(f, "SSRC 0x%08x: %llu packets of %llu expected, %llu lost (%.2f %%), %llu duplicated, "
				   "%llu out of order; mean jitter %.2f ms (max %.2f), longest gap %.1f ms; %s. "
				   "Figures are as seen at the capture point.%s",
				s->ssrc, (unsigned long long)s->packets, (unsigned long long)s->expected,
				(unsigned long long)s->lost, loss, (unsigned long long)s->duplicates,
				(unsigned long long)s->out_of_order, s->jitter_mean_ms < 0 ? 0 : s->jitter_mean_ms,
				s->jitter_max_ms < 0 ? 0 : s->jitter_max_ms, s->max_delta_ms, mos, rtcp);
		finding_hint(f, "Loss and jitter come from the network between the sender and the capture point "
				"(or, for loss reported by RTCP, beyond it): look for congestion, Wi-Fi, a shaping "
				"or policing limit, or missing QoS (DSCP EF) on that path.");
		finding_emit(ctx, f);
	}
}

const struct rule rule_rtp_quality = {
	.id = "rtp-quality",
	.severity = SEV_WARNING,
	.summary = "RTP stream with loss over 1 %, jitter over 30 ms or MOS under 3.6",
	.reference = "RFC 3550 §6.4.1, A.8; ITU-T G.107",
	.check_call = check,
};
