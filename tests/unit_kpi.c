/* unit_kpi.c - the KPI distributions: nearest-rank percentiles, exact while
 * small, within 1.6 % once they are a histogram, bounded memory whatever the
 * number of samples. (The KPIs of calls are checked on captures against an
 * independent count: tests/kpi_check.py.) */
#include <math.h>

#include "../analyzer/model/kpi.h"
#include "tap.h"

static bool near(int64_t got, double want, double rel)
{
	return fabs((double)got - want) <= rel * want + 1;
}

static void test_exact(void)
{
	struct kpi_dist d = {0};
	struct kpi_quant q;
	kpi_dist_quant(&d, &q);
	CHECK(q.n == 0, "empty: n 0");
	for (int v = 10; v >= 1; v--)
		kpi_dist_add(&d, v * 1000);
	kpi_dist_quant(&d, &q);
	CHECK(q.n == 10 && q.p50 == 5000 && q.p95 == 10000 && q.max == 10000,
	      "1..10 ms: p50 5 ms (5th), p95 10 ms (ceil 9.5 = 10th), max 10 ms (got %lld %lld %lld)",
	      (long long)q.p50, (long long)q.p95, (long long)q.max);
	kpi_dist_free(&d);
	kpi_dist_add(&d, 7);
	kpi_dist_quant(&d, &q);
	CHECK(q.n == 1 && q.p50 == 7 && q.p95 == 7 && q.max == 7, "one sample is every percentile");
	kpi_dist_add(&d, -5);
	kpi_dist_quant(&d, &q);
	CHECK(q.p50 == 0 && q.max == 7, "a negative duration (clock step) counts as 0");
	kpi_dist_free(&d);
	for (int i = 0; i < 20; i++)
		kpi_dist_add(&d, i < 19 ? 100 : 6000000);
	kpi_dist_quant(&d, &q);
	CHECK(q.p95 == 100 && q.max == 6000000, "19 fast and 1 slow of 20: p95 is the 19th (fast), max the slow one");
	kpi_dist_free(&d);
}

static void test_histogram(void)
{
	struct kpi_dist d = {0};
	struct kpi_quant q;
	/* 1..200000 us in a scrambled order */
	const int64_t n = 200000;
	for (int64_t i = 0; i < n; i++)
		kpi_dist_add(&d, (i * 7919) % n + 1);
	kpi_dist_quant(&d, &q);
	CHECK(d.hist && !d.v, "past %d samples the distribution is a histogram", KPI_EXACT);
	CHECK(q.n == (uint64_t)n && q.max == n, "n and max are exact (%lld)", (long long)q.max);
	CHECK(near(q.p50, 100000, 0.016), "p50 of 1..200000 within 1.6 %% of 100000 (got %lld)", (long long)q.p50);
	CHECK(near(q.p95, 190000, 0.016), "p95 within 1.6 %% of 190000 (got %lld)", (long long)q.p95);
	kpi_dist_free(&d);
	/* hours, and a spread over nine decades */
	for (int i = 0; i < 1000; i++)
		kpi_dist_add(&d, i < 500 ? 3 : 3600LL * 1000000 * 5);
	kpi_dist_quant(&d, &q);
	CHECK(q.p50 == 3, "small values stay exact in the histogram (got %lld)", (long long)q.p50);
	CHECK(near(q.p95, 3600.0 * 1e6 * 5, 0.016) && q.p95 <= q.max, "5 hours within 1.6 %% (got %lld)",
	      (long long)q.p95);
	kpi_dist_free(&d);
	int64_t worst = 0;
	for (int64_t v = 1; v < (1LL << 40); v = v * 3 / 2 + 1) {
		struct kpi_dist e = {0};
		for (int i = 0; i <= KPI_EXACT; i++)
			kpi_dist_add(&e, v);
		kpi_dist_add(&e, v + 1);
		kpi_dist_quant(&e, &q);
		int64_t err = llabs(q.p50 - v) * 10000 / v;
		if (err > worst)
			worst = err;
		kpi_dist_free(&e);
	}
	CHECK(worst <= 160, "every magnitude from 1 us to 12 days within 1.6 %% (worst %.2f %%)", (double)worst / 100);
}

int main(void)
{
	test_exact();
	test_histogram();
	return tap_done();
}
