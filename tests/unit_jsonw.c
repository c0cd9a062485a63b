/* unit_jsonw.c - the streaming JSON writer (cmd/jsonw.c) against jansson
 * 2.14's dump of the same values under the JSON report's flags: every byte
 * and byte pair, every code point, invalid UTF-8, reals and integers at
 * their edges, random trees (tests/jsonw_diff.h); and report_time's fast
 * path against gmtime_r + strftime. */
#include <float.h>
#include <limits.h>

#include "jsonw_diff.h"
#include "tap.h"

static struct jsonw w;

/* v in [null, v, {"a":0,"k":v,"after":1}] both ways: the value, the member,
 * and the commas around one jansson drops. 0 when equal. */
static size_t one(const struct jd_scalar *v)
{
	json_t *a = json_array(), *o = json_object();
	jsonw_reset(&w);
	jsonw_arr(&w);
	jsonw_null(&w);
	json_array_append_new(a, json_null());
	json_t *x = jd_scalar_json(v);
	bool wrote = jd_scalar_write(&w, v);
	if (x)
		json_array_append_new(a, x);
	jsonw_obj(&w);
	jsonw_kint(&w, "a", 0);
	json_object_set_new(o, "a", json_integer(0));
	json_t *y = jd_scalar_json(v);
	bool wrote2 = jd_member_write(&w, "k", v);
	if (y)
		json_object_set_new(o, "k", y);
	jsonw_kint(&w, "after", 1);
	json_object_set_new(o, "after", json_integer(1));
	jsonw_obj_end(&w);
	json_array_append_new(a, o);
	jsonw_arr_end(&w);
	size_t bad = jd_compare(&w, a);
	if (!bad && (wrote != (x != NULL) || wrote2 != (y != NULL))) {
		fprintf(stderr, "# written %d/%d, jansson %d/%d\n", wrote, wrote2, x != NULL, y != NULL);
		bad = 1;
	}
	json_decref(a);
	return bad;
}

/* The bytes p[0..n) as a counted string, as wire bytes, and (when they
 * hold no NUL and fit) as a C string. */
static size_t text(const char *p, size_t n)
{
	struct jd_scalar v = { .type = JD_STRN };
	size_t bad = 0;
	if (n >= sizeof v.s) { /* long: straight through the writer */
		for (int lossy = 0; lossy < 2; lossy++) {
			jsonw_reset(&w);
			json_t *x = lossy ? report_json_bytes(p, n) : json_stringn(p, n);
			json_t *a = json_array();
			jsonw_arr(&w);
			if (lossy)
				jsonw_bytes(&w, p, n);
			else if (jsonw_strn(&w, p, n) != (x != NULL))
				bad++;
			if (x)
				json_array_append_new(a, x);
			jsonw_arr_end(&w);
			bad += jd_compare(&w, a) != 0;
			json_decref(a);
		}
		return bad;
	}
	memcpy(v.s, p, n);
	v.n = n;
	v.sp = v.s;
	bad += one(&v) != 0;
	v.type = JD_BYTES;
	bad += one(&v) != 0;
	if (!memchr(p, 0, n)) {
		v.type = JD_STR;
		v.s[n] = '\0';
		bad += one(&v) != 0;
	}
	return bad;
}

static size_t real(double d)
{
	struct jd_scalar v = { .type = JD_REAL, .d = d };
	return one(&v);
}

static size_t integer(long long i)
{
	struct jd_scalar v = { .type = JD_INT, .i = i };
	return one(&v);
}

static void test_bytes(void)
{
	size_t bad = 0;
	for (int b = 0; b < 256; b++) {
		char c = (char)b;
		bad += text(&c, 1);
	}
	CHECK(bad == 0, "every byte alone (%zu differ)", bad);
	bad = 0;
	for (int b = 0; b < 65536; b++) {
		char c[2] = { (char)(b >> 8), (char)b };
		bad += text(c, 2);
	}
	CHECK(bad == 0, "every two-byte string (%zu differ)", bad);
	char all[256];
	for (int b = 0; b < 256; b++)
		all[b] = (char)b;
	bad = text(all, 255) + text(all + 1, 255) + text(all, 256);
	CHECK(bad == 0, "all bytes in one string");
	bad = text("", 0) + text("\0", 1) + text("a\0b", 3) + text("\0\0\0", 3) + text("\xc3\0\xa9", 3);
	CHECK(bad == 0, "empty strings and NUL bytes");
	/* runs of plain bytes broken by one that needs a second look at every
	 * place within and around an eight-byte step: the writer takes clean
	 * runs eight bytes at a time */
	static const char *const odd[] = { "\"", "\\", "\x1f", "\n", "\x7f", "\x80", "\xc3\xa9", "\xe2\x82\xac",
					   "\xf0\x9f\x98\x80", "\xff", " ", "~", "\0" };
	bad = 0;
	size_t runs = 0;
	for (size_t k = 0; k < sizeof odd / sizeof *odd; k++)
		for (size_t len = 0; len <= 40; len++)
			for (size_t at = 0; at <= len; at++, runs++) {
				char buf[64];
				size_t ol = k == sizeof odd / sizeof *odd - 1 ? 1 : strlen(odd[k]);
				memset(buf, 'a' + (int)(len % 26), len + ol);
				memcpy(buf + at, odd[k], ol); /* over len + ol plain bytes */
				bad += text(buf, len + ol);
			}
	unsigned seed = 12345;
	for (int r = 0; r < 20000; r++, runs++) { /* a few specials scattered in longer plain text */
		char buf[200];
		size_t len = (size_t)(rand_r(&seed) % 200);
		for (size_t i = 0; i < len; i++) {
			unsigned x = (unsigned)rand_r(&seed) % 64;
			buf[i] = x < 60 ? (char)(0x20 + (x * 7) % 95) : odd[x % (sizeof odd / sizeof *odd)][0];
		}
		bad += text(buf, len);
	}
	CHECK(bad == 0, "plain runs with a byte to escape or check anywhere, %zu strings (%zu differ)", runs, bad);
}

static void test_code_points(void)
{
	/* each code point once, 256 to a string, surrogates apart */
	size_t bad = 0, n = 0;
	char s[256 * 4];
	char *big = malloc(0x110000 * 4);
	size_t bn = 0;
	for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		n += jd_utf8(s + n, cp);
		bn += jd_utf8(big + bn, cp);
		if ((cp & 0xff) == 0xff || cp == 0x10ffff) {
			bad += text(s, n);
			n = 0;
		}
	}
	CHECK(bad == 0, "every code point, 256 to a string (%zu differ)", bad);
	bad = text(big, bn);
	CHECK(bad == 0, "every code point in one string of %zu bytes", bn);
	free(big);
	bad = 0;
	for (uint32_t cp = 0xd800; cp <= 0xdfff; cp++) {
		n = jd_utf8(s, cp);
		s[n++] = 'x';
		bad += text(s, n);
	}
	static const char *const odd[] = {
		"\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xe0\x9f\xbf", "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf",
		"\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80", "\xfe", "\xff", "\xe2\x82", "\xe2\x82x",
		"\xf0\x9f\x98", "a\xf0\x9f\x98", "\xf0\x9f\x98\x80\xf0", "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbd",
		"\xf4\x8f\xbf\xbf", "\x80", "\xbf\x80", "\xc2", "\xc2\xc2\xa9",
	};
	for (size_t i = 0; i < sizeof odd / sizeof *odd; i++)
		bad += text(odd[i], strlen(odd[i]));
	CHECK(bad == 0, "surrogates, overlong, out-of-range and cut sequences (%zu differ)", bad);
}

static void test_numbers(void)
{
	static const double d[] = {
		0.0, -0.0, 1, -1, 0.1, -0.1, 0.5, 0.001, 0.0005, 1e-4, 1e-5, 1e-7, 1e-10, 1.5e-300, 5e-324,
		DBL_MIN, DBL_MAX, -DBL_MAX, 1e9, 1e10, 1e15, 1e16, 1e17, 1e20, 1e21, 1e22, 1e100, 1e300,
		123456789, 1234567890, 12345678901, 123456789012.5, 0.1 + 0.2, 1.0 / 3, 2.0 / 3, 99.9995,
		4.321, 4.4, 100, 42.5, 3.14159265358979, NAN, -NAN, INFINITY, -INFINITY,
	};
	size_t bad = 0;
	for (size_t i = 0; i < sizeof d / sizeof *d; i++)
		bad += real(d[i]);
	CHECK(bad == 0, "reals at their edges (%zu differ)", bad);
	struct jd_src src = { .rng = 0x9e3779b97f4a7c15ULL };
	bad = 0;
	for (int i = 0; i < 200000; i++)
		bad += real(jd_real(&src));
	for (int i = 0; i < 100000; i++) /* figures as fig_json rounds them */
		bad += real(round((double)(jd_u64(&src) % 100000000) / 7919.0 * 1000) / 1000);
	CHECK(bad == 0, "300,000 random reals, bits and rounded figures (%zu differ)", bad);
	static const long long n[] = { 0, 1, -1, 9, 10, -10, 99, 100, INT_MAX, INT_MIN, UINT_MAX, LLONG_MAX, LLONG_MIN,
				       LLONG_MIN + 1, (long long)UINT64_MAX };
	bad = 0;
	for (size_t i = 0; i < sizeof n / sizeof *n; i++)
		bad += integer(n[i]);
	for (int i = 0; i < 100000; i++)
		bad += integer((long long)(jd_u64(&src) >> (jd_byte(&src) % 64)) * (i & 1 ? -1 : 1));
	CHECK(bad == 0, "integers: int64 extremes and 100,000 random (%zu differ)", bad);
}

static void test_trees(void)
{
	struct jd_src src = { .rng = 0x2545f4914f6cdd1dULL };
	size_t bad = 0;
	for (int i = 0; i < 50000; i++)
		bad += jd_case(&src, &w) != 0;
	CHECK(bad == 0, "50,000 random trees of objects, arrays, strings and numbers (%zu differ)", bad);
}

/* A value past the writer's 16 MiB keep limit, then small ones again. */
static void test_reuse(void)
{
	size_t n = 3u << 20;
	char *p = malloc(n);
	memset(p, 1, n); /* \u0001: 6 bytes each, 18 MiB */
	size_t bad = text(p, n);
	free(p);
	struct jsonw_mark m = jsonw_mark(&w);
	jsonw_reset(&w);
	bool freed = w.cap == 0 && m.len > (1u << 24);
	bad += text("\xe2\x82\xac", 3);
	CHECK(bad == 0 && freed, "a huge value's buffer dropped on reset, the writer reused");
}

static void test_time(void)
{
	static const int64_t s[] = { 0, 1, 59, 86399, 86400, 951782400, 951868799, 4107542400, 253402300799,
				     253402300800, -1, -86400, INT64_MIN, INT64_MAX, 1700000000 };
	static const uint32_t ns[] = { 0, 999, 1000, 999999999, 1000000000, UINT32_MAX };
	size_t bad = 0;
	for (size_t i = 0; i < sizeof s / sizeof *s; i++)
		for (size_t k = 0; k < sizeof ns / sizeof *ns; k++)
			bad += !jd_time_same(s[i], ns[k]);
	struct jd_src src = { .rng = 0xdeadbeefcafef00dULL };
	for (int i = 0; i < 1000000; i++) {
		uint64_t u = jd_u64(&src);
		int64_t sec = i & 1 ? (int64_t)(u % 253402300800ULL) : (int64_t)(u % 4000000000ULL);
		bad += !jd_time_same(sec, (uint32_t)jd_u64(&src) % 1000000000u);
	}
	CHECK(bad == 0, "report_time: edges and 1,000,000 random times as gmtime_r + strftime give them (%zu differ)",
	      bad);
}

int main(void)
{
	test_bytes();
	test_code_points();
	test_numbers();
	test_trees();
	test_reuse();
	test_time();
	jsonw_free(&w);
	return tap_done();
}
