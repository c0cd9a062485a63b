/* unit_emodel.c - the G.107 E-model of emodel.c without the media table:
 * MOS from R and the R media_quality gives a stream, against values worked
 * out by hand.
 *
 * Formulas (ITU-T G.107, as emodel.h documents its simplification):
 *   MOS_CQE (Annex B, B.4) = 1 for R < 0, 4.5 for R > 100, else
 *       1 + 0.035 R + R (R - 60) (100 - R) 7e-6
 *   R = 93.2 - Id - Ie,eff (the default Ro - Is of 93.2, A = 0)
 *   d = ptime + jitter buffer, the buffer 2 x mean jitter (20 ms when the
 *       mean is 10 ms or less)
 *   Id = 0.024 d + 0.11 (d - 177.3) H(d - 177.3)
 *   Ie,eff = Ie + (95 - Ie) Ppl / (Ppl / BurstR + Bpl) (G.107 (7-29)),
 *       Ie and Bpl from G.113 Appendix I: G.711 0 and 25.1, G.729 11 and 19
 *   BurstR = 1 / (p + q), p = loss runs / received, q = loss runs / lost */
#include <math.h>

#include "../analyzer/media/emodel.h"
#include "../analyzer/media/media.h"
#include "tap.h"

static bool near(double a, double b, double eps)
{
	return fabs(a - b) <= eps;
}

static void test_mos(void)
{
	/* 1 + 3.262 + 93.2 * 33.2 * 6.8 * 7e-6 = 4.262 + 0.14729 = 4.40929 */
	CHECK(near(emodel_mos(93.2), 4.40929, 1e-4), "MOS(93.2) = 4.409 (%.5f)", emodel_mos(93.2));
	/* 1 + 3.2284 + 92.24 * 32.24 * 7.76 * 7e-6 = 4.2284 + 0.16154 = 4.38994 */
	CHECK(near(emodel_mos(92.24), 4.38994, 1e-4), "MOS(92.24) = 4.390 (%.5f)", emodel_mos(92.24));
	/* 1 + 1.75 + 50 * -10 * 50 * 7e-6 = 2.75 - 0.175 = 2.575 */
	CHECK(near(emodel_mos(50), 2.575, 1e-9), "MOS(50) = 2.575 (%.6f)", emodel_mos(50));
	/* R = 60: the cubic term vanishes, 1 + 2.1 */
	CHECK(near(emodel_mos(60), 3.1, 1e-12), "MOS(60) = 3.1 exactly (%.6f)", emodel_mos(60));
	CHECK(emodel_mos(-1) == 1 && emodel_mos(-1000) == 1 && emodel_mos(0) == 1, "R < 0 (and 0): MOS 1");
	CHECK(emodel_mos(NAN) == 1, "R NaN: MOS 1");
	CHECK(emodel_mos(100.5) == 4.5 && emodel_mos(1e9) == 4.5, "R > 100: MOS 4.5");
	/* at R = 100: 1 + 3.5 + 0 = 4.5 */
	CHECK(near(emodel_mos(100), 4.5, 1e-12), "MOS(100) = 4.5 (%.6f)", emodel_mos(100));
	CHECK(emodel_mos(3.1) == 1, "the cubic's dip below 1 near R 3.1 held at 1");
	bool mono = true;
	double prev = emodel_mos(-10), worst = -10;
	for (int i = -999; i <= 11000; i++) {
		double r = i / 100.0, m = emodel_mos(r);
		if (m < prev) {
			mono = false;
			worst = r;
		}
		prev = m;
	}
	CHECK(mono, "MOS does not decrease with R over -10..110 (first fall at %.2f)", worst);
	CHECK(media_mos(93.2) == emodel_mos(93.2) && media_mos(-3) == 1, "media_mos is emodel_mos");
}

static struct media_stream g711(uint64_t expected, uint64_t lost, double jitter_mean_ms, double burst)
{
	struct media_stream s;
	memset(&s, 0, sizeof s);
	snprintf(s.codec, sizeof s.codec, "PCMU/8000");
	snprintf(s.media, sizeof s.media, "audio");
	s.pt = 0;
	s.clock = 8000;
	s.expected = expected;
	s.lost = lost;
	s.jitter_mean_ms = jitter_mean_ms;
	s.burst_ratio = burst;
	return s;
}

static void test_quality(void)
{
	/* no loss, no jitter, 20 ms: d = 20 + 20 = 40, Id = 0.96, R = 92.24 */
	struct media_stream s = g711(1000, 0, 0, 1);
	media_quality(&s, 20);
	CHECK(near(s.r_factor, 92.24, 1e-9), "G.711, no loss: R 92.24 (%.6f)", s.r_factor);
	CHECK(near(s.mos, 4.38994, 1e-4), "G.711, no loss: MOS 4.390 (%.5f)", s.mos);
	/* 2 % random loss: Ie,eff = 95 * 2 / (2 + 25.1) = 7.01107, R = 92.24 - 7.01107 */
	s = g711(100, 2, 0, 1);
	media_quality(&s, 20);
	CHECK(near(s.r_factor, 85.22893, 1e-4), "G.711, 2 %% loss: R 85.229 (%.5f)", s.r_factor);
	/* the same loss in bursts, BurstR 2: Ie,eff = 190 / (1 + 25.1) = 7.27969 */
	s = g711(100, 2, 0, 2);
	media_quality(&s, 20);
	CHECK(near(s.r_factor, 84.96031, 1e-4), "G.711, 2 %% loss, BurstR 2: R 84.960 (%.5f)", s.r_factor);
	/* a burst ratio unknown (0) is random loss */
	s = g711(100, 2, 0, 0);
	media_quality(&s, 20);
	CHECK(near(s.r_factor, 85.22893, 1e-4), "BurstR 0 taken as 1 (%.5f)", s.r_factor);
	/* jitter 30 ms: buffer 60, d = 80, Id = 1.92, R = 91.28 */
	s = g711(1000, 0, 30, 1);
	media_quality(&s, 20);
	CHECK(near(s.r_factor, 91.28, 1e-9), "G.711, jitter 30 ms: R 91.28 (%.6f)", s.r_factor);
	/* jitter 10 ms is within the 20 ms buffer: R as with none */
	s = g711(1000, 0, 10, 1);
	media_quality(&s, 20);
	CHECK(near(s.r_factor, 92.24, 1e-9), "G.711, jitter 10 ms: the 20 ms buffer (%.6f)", s.r_factor);
	/* jitter 100 ms: d = 220 > 177.3, Id = 5.28 + 0.11 * 42.7 = 9.977, R = 83.223 */
	s = g711(1000, 0, 100, 1);
	media_quality(&s, 20);
	CHECK(near(s.r_factor, 83.223, 1e-9), "G.711, jitter 100 ms: delay past 177.3 ms, R 83.223 (%.6f)", s.r_factor);
	/* the delay term starts past 177.3 ms: jitter 79.15 ms, d = 20 + 158.3 =
	 * 178.3, Id = 0.024 * 178.3 + 0.11 * 1 = 4.3892, R = 88.8108 */
	s = g711(1000, 0, 79.15, 1);
	media_quality(&s, 20);
	CHECK(near(s.r_factor, 88.8108, 1e-9), "G.711, d 178.3 ms: R 88.8108 (%.6f)", s.r_factor);
	/* d = 177.3 exactly: 0.024 * 177.3 = 4.2552 only, R = 88.9448 */
	s = g711(1000, 0, 78.65, 1);
	media_quality(&s, 20);
	CHECK(near(s.r_factor, 88.9448, 1e-9), "G.711, d 177.3 ms: R 88.9448 (%.6f)", s.r_factor);
	/* loss and jitter: 92.24 - 0.96 - 7.01107 (d = 80) */
	s = g711(100, 2, 30, 1);
	media_quality(&s, 20);
	CHECK(near(s.r_factor, 84.26893, 1e-4), "G.711, 2 %% loss and jitter 30 ms: R 84.269 (%.5f)", s.r_factor);
	/* G.729, 20 ms, no loss: Ie 11, R = 93.2 - 0.96 - 11 = 81.24 */
	s = g711(1000, 0, 0, 1);
	snprintf(s.codec, sizeof s.codec, "g729/8000");
	s.pt = 18;
	media_quality(&s, 20);
	CHECK(near(s.r_factor, 81.24, 1e-9), "G.729 (case ignored): R 81.24 (%.6f)", s.r_factor);
	/* all lost: Ie,eff = 95 * 100 / 125.1 = 75.94, R = 16.30 */
	s = g711(100, 100, 0, 1);
	media_quality(&s, 20);
	CHECK(near(s.r_factor, 92.24 - 9500 / 125.1, 1e-9), "G.711, all lost: R 16.30 (%.4f)", s.r_factor);
	s = g711(1000, 0, 0, 1);
	snprintf(s.media, sizeof s.media, "video");
	media_quality(&s, 20);
	CHECK(s.r_factor == -1 && s.mos == -1, "video: not estimated");
	s = g711(0, 0, 0, 1);
	media_quality(&s, 20);
	CHECK(s.r_factor == -1 && s.mos == -1, "nothing expected: not estimated");
}

static void test_parts(void)
{
	double ie, bpl;
	emodel_codec("GSM/8000", &ie, &bpl);
	CHECK(ie == 20 && bpl == 10, "GSM: Ie 20, Bpl 10");
	emodel_codec("opus/48000/2", &ie, &bpl);
	CHECK(ie == 0 && bpl == 25.1, "unknown codec: G.711's figures");
	/* 10 lost in 2 runs, 90 received: p = 2/90, q = 2/10, 1 / 0.2222 = 4.5 */
	CHECK(near(emodel_burst_ratio(10, 2, 90), 4.5, 1e-12), "BurstR 4.5 (%.6f)", emodel_burst_ratio(10, 2, 90));
	/* 10 lost one at a time among 90: p = 1/9, q = 1, BurstR 0.9 (< 1: more scattered than random) */
	CHECK(near(emodel_burst_ratio(10, 10, 90), 0.9, 1e-12), "BurstR 0.9 (%.6f)", emodel_burst_ratio(10, 10, 90));
	CHECK(emodel_burst_ratio(0, 0, 100) == 1 && emodel_burst_ratio(5, 0, 100) == 1 && emodel_burst_ratio(5, 1, 0) == 1,
	      "BurstR 1 without loss, runs or received packets");
	CHECK(emodel_r(0, 25.1, 0, 1, 0, 20) == emodel_r(0, 25.1, 0, 1, 0, 20) &&
		      near(emodel_r(0, 25.1, 0, 1, 0, 20), 92.24, 1e-9),
	      "emodel_r alone: 92.24");
	CHECK(emodel_r(95, 25.1, 50, 1, 500, 20) == 0, "R held at 0");
}

int main(void)
{
	test_mos();
	test_quality();
	test_parts();
	return tap_done();
}
