/* unit_rtpstats.c - a stream's RFC 3550 accounting (rtpstats.c) without
 * the media table: A.1 sequence numbers (in order, loss, duplicates,
 * reordering, wrap, a restart after a jump of MAX_DROPOUT or more), A.8
 * interarrival jitter on hand-computed arrivals and timestamps. */
#include <math.h>

#include "../analyzer/media/rtpstats.h"
#include "tap.h"

/* packets given to the accounting, and those it took as fresh */
struct run {
	struct rtp_seq q;
	uint64_t packets;
};

static void start(struct run *r, uint16_t seq)
{
	memset(r, 0, sizeof *r);
	rtp_seq_init(&r->q, seq);
	r->packets = 1;
}

static bool feed(struct run *r, uint16_t seq, bool same_pt)
{
	r->packets++;
	r->q.gap = 0;
	r->q.late = false;
	return rtp_seq_update(&r->q, seq, same_pt);
}

/* lost as media.c reckons it: expected less the packets counted */
static int64_t lost(const struct run *r)
{
	return (int64_t)rtp_seq_expected(&r->q) - (int64_t)(r->packets - r->q.duplicates - r->q.ignored);
}

static void test_in_order(void)
{
	struct run r;
	start(&r, 100);
	bool all = true;
	for (uint16_t s = 101; s < 110; s++)
		all &= feed(&r, s, true) && r.q.gap == 0 && !r.q.late;
	CHECK(all && rtp_seq_expected(&r.q) == 10 && lost(&r) == 0, "100..109 in order: 10 expected, none lost");
	CHECK(r.q.duplicates == 0 && r.q.out_of_order == 0 && r.q.restarts == 0 && r.q.loss_runs == 0,
	      "in order: no duplicates, reordering, restarts or loss runs");
	CHECK(r.q.probation == 9, "9 in-order packets after the first (probation %u)", r.q.probation);
}

static void test_gap(void)
{
	struct run r;
	start(&r, 1);
	feed(&r, 2, true);
	bool fresh = feed(&r, 5, true);
	CHECK(fresh && r.q.gap == 2 && r.q.loss_runs == 1, "2 then 5: a gap of 2 (gap %u)", r.q.gap);
	feed(&r, 6, true);
	feed(&r, 9, true);
	CHECK(rtp_seq_expected(&r.q) == 9 && lost(&r) == 4 && r.q.loss_runs == 2,
	      "1 2 5 6 9: 9 expected, 4 lost in 2 runs (lost %lld)", (long long)lost(&r));
	CHECK(r.q.probation == 0, "a gap ends the in-order run");
	/* the largest forward step still in sequence: MAX_DROPOUT - 1 */
	start(&r, 10);
	feed(&r, 10 + RTP_MAX_DROPOUT - 1, true);
	CHECK(r.q.gap == RTP_MAX_DROPOUT - 2 && r.q.ignored == 0 && lost(&r) == RTP_MAX_DROPOUT - 2,
	      "a step of MAX_DROPOUT - 1 is loss (%lld lost)", (long long)lost(&r));
}

static void test_duplicates(void)
{
	struct run r;
	start(&r, 1);
	feed(&r, 2, true);
	bool fresh = feed(&r, 2, true);
	CHECK(!fresh && r.q.duplicates == 1, "the same number twice: a duplicate");
	fresh = feed(&r, 2, false);
	CHECK(!fresh && r.q.duplicates == 1 && r.q.ignored == 1,
	      "repeated by another payload type (RFC 4733 end): left out, not a duplicate");
	feed(&r, 3, true);
	feed(&r, 4, true);
	fresh = feed(&r, 2, true);
	CHECK(!fresh && r.q.duplicates == 2 && r.q.out_of_order == 0, "an older number received before: a duplicate");
	CHECK(rtp_seq_expected(&r.q) == 4 && lost(&r) == 0, "duplicates neither lost nor received twice (lost %lld)",
	      (long long)lost(&r));
}

static void test_reorder(void)
{
	struct run r;
	start(&r, 1);
	feed(&r, 2, true);
	feed(&r, 4, true);
	CHECK(r.q.loss_runs == 1 && lost(&r) == 1, "1 2 4: one lost so far");
	bool fresh = feed(&r, 3, true);
	CHECK(fresh && r.q.late && r.q.out_of_order == 1 && r.q.gap == 0, "3 after 4: late, reordered");
	CHECK(r.q.loss_runs == 0 && lost(&r) == 0 && rtp_seq_expected(&r.q) == 4 && r.q.max_seq == 4,
	      "the late packet fills the gap: none lost, highest still 4");
	/* a late packet in the middle of a gap of 3 splits it in two runs */
	start(&r, 1);
	feed(&r, 5, true);
	feed(&r, 3, true);
	CHECK(r.q.loss_runs == 2 && lost(&r) == 2, "1 5 3: gap split, 2 lost in 2 runs (runs %llu)",
	      (unsigned long long)r.q.loss_runs);
	/* back by MAX_MISORDER - 1 is late, by MAX_MISORDER a jump */
	start(&r, 1000);
	feed(&r, 1000 - (RTP_MAX_MISORDER - 1), true);
	CHECK(r.q.out_of_order == 1 && r.q.ignored == 0, "back by MAX_MISORDER - 1: late");
	feed(&r, 1000 - RTP_MAX_MISORDER, true);
	CHECK(r.q.out_of_order == 1 && r.q.ignored == 1 && r.q.bad_seq == 1000 - RTP_MAX_MISORDER + 1,
	      "back by MAX_MISORDER: a jump, left out until confirmed");
}

static void test_wrap(void)
{
	struct run r;
	start(&r, 65533);
	bool all = feed(&r, 65534, true) && feed(&r, 65535, true) && feed(&r, 0, true) && feed(&r, 1, true);
	CHECK(all && r.q.cycles == 65536 && r.q.max_seq == 1, "65535 -> 0: one cycle (cycles %u)", r.q.cycles);
	CHECK(rtp_seq_expected(&r.q) == 5 && lost(&r) == 0 && r.q.out_of_order == 0, "across the wrap: 5 expected, none lost");
	/* loss across the wrap: 65534, 1 skips 65535 and 0 */
	start(&r, 65534);
	feed(&r, 1, true);
	CHECK(r.q.gap == 2 && rtp_seq_expected(&r.q) == 4 && lost(&r) == 2, "65534 then 1: 2 lost across the wrap");
	/* a late packet from before the wrap is not a new cycle */
	start(&r, 65535);
	feed(&r, 1, true);
	feed(&r, 0, true);
	CHECK(r.q.cycles == 65536 && r.q.out_of_order == 1 && lost(&r) == 0, "65535 1 0: 0 late, one cycle");
}

static void test_restart(void)
{
	struct run r;
	start(&r, 1);
	for (uint16_t s = 2; s <= 10; s++)
		feed(&r, s, true);
	/* a jump of MAX_DROPOUT: left out, a restart only if the next follows it */
	bool fresh = feed(&r, 10 + RTP_MAX_DROPOUT, true);
	CHECK(fresh && r.q.ignored == 1 && r.q.restarts == 0 && r.q.max_seq == 10 &&
		      r.q.bad_seq == 10 + RTP_MAX_DROPOUT + 1,
	      "a jump of MAX_DROPOUT: not yet a restart");
	feed(&r, 10 + RTP_MAX_DROPOUT + 1, true);
	/* segments 1..10 (10) and the two packets after the jump */
	CHECK(r.q.restarts == 1 && r.q.ignored == 0 && r.q.max_seq == 10 + RTP_MAX_DROPOUT + 1 &&
		      rtp_seq_expected(&r.q) == 12 && lost(&r) == 0,
	      "the next packet follows: a restart, 12 expected, none lost (expected %llu)",
	      (unsigned long long)rtp_seq_expected(&r.q));
	feed(&r, 10 + RTP_MAX_DROPOUT + 3, true);
	CHECK(rtp_seq_expected(&r.q) == 14 && lost(&r) == 1, "loss after the restart counts in the new segment");
	/* a jump the next packet does not confirm stays a stray */
	start(&r, 1);
	for (uint16_t s = 2; s <= 10; s++)
		feed(&r, s, true);
	feed(&r, 20000, true);
	feed(&r, 11, true);
	CHECK(r.q.restarts == 0 && r.q.ignored == 1 && rtp_seq_expected(&r.q) == 11 && lost(&r) == 0,
	      "a stray jump, then in sequence again: no restart, the stray left out");
	/* a restart across the wrap */
	start(&r, 40000);
	feed(&r, 40001, true);
	feed(&r, 5, true);
	feed(&r, 6, true);
	CHECK(r.q.restarts == 1 && r.q.cycles == 0 && rtp_seq_expected(&r.q) == 4 && lost(&r) == 0,
	      "40000 40001 then 5 6: a restart (expected %llu)", (unsigned long long)rtp_seq_expected(&r.q));
}

static bool near(double a, double b)
{
	return fabs(a - b) <= 1e-9;
}

static void test_jitter(void)
{
	/* 8 kHz, 20 ms packets (160 units). Arrivals (ms) 0 20 50 60 80,
	 * timestamps 0 160 320 480 640:
	 *   D(0,1) = 160 - 160 = 0      J = 0
	 *   D(1,2) = 240 - 160 = 80     J = 0 + (80 - 0) / 16 = 5          0.625 ms
	 *   D(2,3) = 80 - 160 = -80     J = 5 + (80 - 5) / 16 = 9.6875     1.2109375 ms
	 *   D(3,4) = 160 - 160 = 0      J = 9.6875 - 9.6875 / 16 = 9.08203125  1.13525390625 ms */
	struct rtp_jitter J;
	rtp_jitter_init(&J, 8000);
	static const int64_t ms[] = { 0, 20, 50, 60, 80 };
	double got[5];
	for (int i = 0; i < 5; i++)
		got[i] = rtp_jitter_update(&J, ms[i] * 1000000, (uint32_t)(160 * i), (uint16_t)(7 + i), true);
	CHECK(got[0] == -1, "the first packet gives no sample");
	CHECK(near(got[1], 0) && near(got[2], 0.625) && near(got[3], 1.2109375) && near(got[4], 1.13525390625),
	      "A.8 samples 0, 0.625, 1.2109375, 1.1352539 ms (%.9f %.9f %.9f %.9f)", got[1], got[2], got[3], got[4]);
	CHECK(near(J.j, 9.08203125), "J in timestamp units 9.08203125 (%.9f)", J.j);
	CHECK(J.n == 4 && near(rtp_jitter_mean_ms(&J), (0 + 0.625 + 1.2109375 + 1.13525390625) / 4) &&
		      near(J.max_ms, 1.2109375),
	      "mean 0.7428 ms, max 1.2109 ms (%.6f)", rtp_jitter_mean_ms(&J));
	CHECK(J.ts_step == 160, "timestamp step 160");
	/* a packet not counted (a talkspurt's first) moves J but gives no sample:
	 * at 110 ms with ts 800 (D = 240 - 160 = 80): J += (80 - J) / 16 */
	double j0 = J.j;
	double s = rtp_jitter_update(&J, 110000000, 800, 12, false);
	CHECK(s == -1 && J.n == 4 && near(J.j, j0 + (80 - j0) / 16), "not counted: J moves, no sample");
	/* the timestamp wraps: 0xFFFFFF60 then 0 is a step of 160 */
	rtp_jitter_init(&J, 8000);
	rtp_jitter_update(&J, 0, 0xFFFFFF60u, 1, true);
	s = rtp_jitter_update(&J, 20000000, 0, 2, true);
	CHECK(near(s, 0) && J.ts_step == 160, "timestamp wrap: no jitter");
	/* the timestamp goes back (a late packet): Sj - Si is negative, not a
	 * wrap. Arrivals 0 and 20 ms, timestamps 320 then 160: D = 160 + 160 =
	 * 320, J = 20 units, 2.5 ms */
	rtp_jitter_init(&J, 8000);
	rtp_jitter_update(&J, 0, 320, 3, true);
	s = rtp_jitter_update(&J, 20000000, 160, 2, true);
	CHECK(near(s, 2.5) && J.ts_step == 0, "timestamp back by 160: D 320, 2.5 ms (%.6f)", s);
	/* the timestamp step is taken from consecutive sequence numbers only */
	rtp_jitter_init(&J, 8000);
	rtp_jitter_update(&J, 0, 0, 1, true);
	rtp_jitter_update(&J, 40000000, 320, 3, true);
	CHECK(J.ts_step == 0, "no step from packets 1 and 3 (step %u)", J.ts_step);
	rtp_jitter_update(&J, 60000000, 480, 4, true);
	CHECK(J.ts_step == 160, "step 160 from 3 and 4");
	/* a transit jump of 2 s or more is a resync: no sample, J kept */
	rtp_jitter_init(&J, 8000);
	rtp_jitter_update(&J, 0, 0, 1, true);
	rtp_jitter_update(&J, 30000000, 160, 2, true); /* D = 80, J = 5 */
	s = rtp_jitter_update(&J, 3030000000LL, 320, 3, true);
	CHECK(s == -1 && near(J.j, 5) && J.n == 1, "a 3 s pause: no sample, J 5 kept");
	s = rtp_jitter_update(&J, 3050000000LL, 480, 4, true);
	CHECK(near(s, 5 * 15 / 16.0 * 1000 / 8000), "then on from the pause (%.6f ms)", s);
	/* a restart forgets the previous packet and J */
	rtp_jitter_restart(&J, 16000);
	s = rtp_jitter_update(&J, 3100000000LL, 5000, 5, true);
	CHECK(s == -1 && J.j == 0 && J.clock == 16000 && J.n == 2, "restart: no sample from the packet before");
	s = rtp_jitter_update(&J, 3120000000LL, 5320, 6, true);
	CHECK(near(s, 0), "16 kHz, 20 ms, 320 units: no jitter");
	/* no clock: no estimate */
	rtp_jitter_init(&J, 0);
	rtp_jitter_update(&J, 0, 0, 1, true);
	s = rtp_jitter_update(&J, 30000000, 160, 2, true);
	CHECK(s == -1 && rtp_jitter_mean_ms(&J) == -1 && !J.prev, "clock unknown: no estimate, mean -1");
	rtp_jitter_init(&J, 8000);
	CHECK(rtp_jitter_mean_ms(&J) == 0 && J.max_ms == -1, "no samples yet: mean 0, max -1");
}

int main(void)
{
	test_in_order();
	test_gap();
	test_duplicates();
	test_reorder();
	test_wrap();
	test_restart();
	test_jitter();
	return tap_done();
}
