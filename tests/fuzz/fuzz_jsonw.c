/* fuzz_jsonw.c - libFuzzer harness: the streaming JSON writer (cmd/jsonw.c)
 * against jansson's dump of the same values, built from the input by
 * tests/jsonw_diff.h (strings of any bytes, reals of any bits, nested
 * objects and arrays); and report_time's fast path against strftime on
 * the input's last 12 bytes. Any difference aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../jsonw_diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct jsonw w; /* reused across inputs, as the report reuses it */
	struct jd_src s = { .p = data, .n = size };
	if (jd_case(&s, &w))
		abort();
	if (size >= 12) {
		int64_t sec;
		uint32_t nsec;
		memcpy(&sec, data + size - 12, sizeof sec);
		memcpy(&nsec, data + size - 4, sizeof nsec);
		if (!jd_time_same(sec, nsec) || !jd_time_same(sec % 253402300800LL, nsec % 1000000000u))
			abort();
	}
	return 0;
}
