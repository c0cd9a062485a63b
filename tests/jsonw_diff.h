/* jsonw_diff.h - the streaming JSON writer (cmd/jsonw.c) against jansson:
 * one generator builds each value both ways, from a byte source (the
 * fuzzer's input, or a seeded PRNG), and the two texts must be equal byte
 * for byte under the report's dump flags. Shared by tests/unit_jsonw.c and
 * tests/fuzz/fuzz_jsonw.c. */
#ifndef SIPAUDIT_JSONW_DIFF_H
#define SIPAUDIT_JSONW_DIFF_H

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../cmd/html.h"
#include "../cmd/jsonw.h"
#include "../cmd/report.h"

/* What cmd/report_json.c dumped with before the writer. */
#define JD_FLAGS (JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10))

/* Bytes to build values from: the fuzzer's input (zeros once it is used
 * up, which ends every container), or xorshift64 when p is NULL. */
struct jd_src {
	const uint8_t *p;
	size_t n, i;
	uint64_t rng;
};

static inline uint8_t jd_byte(struct jd_src *s)
{
	if (!s->p) {
		s->rng ^= s->rng << 13;
		s->rng ^= s->rng >> 7;
		s->rng ^= s->rng << 17;
		return (uint8_t)(s->rng >> 24);
	}
	return s->i < s->n ? s->p[s->i++] : 0;
}

static inline uint64_t jd_u64(struct jd_src *s)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | jd_byte(s);
	return v;
}

static inline bool jd_more(const struct jd_src *s)
{
	return !s->p || s->i < s->n;
}

/* One scalar as both sides take it. */
enum jd_type { JD_NULL, JD_TRUE, JD_FALSE, JD_INT, JD_REAL, JD_STRN, JD_STR, JD_BYTES, JD_NTYPES };

struct jd_scalar {
	enum jd_type type;
	long long i;
	double d;
	char s[300]; /* JD_STR: NUL-terminated; sp NULL for the NULL string */
	const char *sp;
	size_t n;
};

/* UTF-8 of code point cp (any value up to 0x1fffff, surrogates too: the
 * encoder is the test's, so invalid sequences can be made on purpose). */
static inline size_t jd_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18 & 7));
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Text for a string: raw bytes (mostly invalid UTF-8), or code points of
 * every width (mostly valid, some surrogates and overlong forms), or ASCII
 * with every escape. */
static inline size_t jd_text(struct jd_src *s, char *o, size_t cap)
{
	size_t len = jd_byte(s) % 48, n = 0;
	int mode = jd_byte(s) % 3;
	for (size_t k = 0; k < len && n + 4 <= cap; k++) {
		uint8_t b = jd_byte(s);
		if (mode == 0) {
			o[n++] = (char)b;
		} else if (mode == 1) {
			uint32_t cp;
			switch (b % 6) {
			case 0: cp = jd_byte(s) & 0x7f; break;
			case 1: cp = 0x80 + (uint32_t)(jd_u64(s) % 0x780); break;
			case 2: cp = 0x800 + (uint32_t)(jd_u64(s) % 0xf800); break; /* surrogates too */
			case 3: cp = 0x10000 + (uint32_t)(jd_u64(s) % 0x100000); break;
			case 4: cp = 0xfff0 + (jd_byte(s) & 0x1f); break;
			default: cp = 0x10fff0 + (jd_byte(s) & 0x1f); break; /* past U+10FFFF too */
			}
			n += jd_utf8(o + n, cp);
			if (b % 17 == 0 && n) /* cut a sequence short */
				n--;
		} else {
			static const char a[] = "\"\\/\b\f\n\r\t\x01\x1f\x7f aZ09~";
			o[n++] = b % 4 ? a[b % (sizeof a - 1)] : (char)(b & 0x7f);
		}
	}
	return n;
}

/* A real as the report makes them (figures rounded to 3 decimals,
 * seconds from nanoseconds), or any bit pattern (NaN and infinities too). */
static inline double jd_real(struct jd_src *s)
{
	uint64_t u = jd_u64(s);
	double d;
	switch (jd_byte(s) % 5) {
	case 0:
		memcpy(&d, &u, sizeof d);
		return d;
	case 1:
		return round((double)(int64_t)u / 1e6 * 1000) / 1000;
	case 2:
		return round((double)(u % 100000000) / 1e5 * 1000) / 1000;
	case 3:
		return (double)((int64_t)(u >> 1) / 1000) / 1e6;
	default:
		return ldexp((double)(u >> 11), (int)(jd_byte(s) % 160) - 80 - 53) * (u & 1 ? -1 : 1);
	}
}

static inline void jd_scalar_gen(struct jd_src *s, struct jd_scalar *v)
{
	v->type = (enum jd_type)(jd_byte(s) % JD_NTYPES);
	v->sp = v->s;
	switch (v->type) {
	case JD_INT:
		v->i = (long long)jd_u64(s);
		if (jd_byte(s) & 1)
			v->i >>= jd_byte(s) % 64;
		break;
	case JD_REAL:
		v->d = jd_real(s);
		break;
	case JD_STRN:
	case JD_BYTES:
		v->n = jd_text(s, v->s, sizeof v->s);
		break;
	case JD_STR:
		v->n = jd_text(s, v->s, sizeof v->s - 1);
		v->s[v->n] = '\0';
		if (v->n == 0 && jd_byte(s) % 4 == 0)
			v->sp = NULL;
		break;
	default:
		break;
	}
}

/* The jansson value (NULL where jansson refuses it). */
static inline json_t *jd_scalar_json(const struct jd_scalar *v)
{
	switch (v->type) {
	case JD_NULL: return json_null();
	case JD_TRUE: return json_true();
	case JD_FALSE: return json_false();
	case JD_INT: return json_integer(v->i);
	case JD_REAL: return json_real(v->d);
	case JD_STRN: return json_stringn(v->s, v->n);
	case JD_STR: return json_string(v->sp);
	case JD_BYTES: return report_json_bytes(v->s, v->n);
	default: return NULL;
	}
}

/* The writer's value; false where it wrote nothing. */
static inline bool jd_scalar_write(struct jsonw *w, const struct jd_scalar *v)
{
	switch (v->type) {
	case JD_NULL: jsonw_null(w); return true;
	case JD_TRUE: jsonw_bool(w, true); return true;
	case JD_FALSE: jsonw_bool(w, false); return true;
	case JD_INT: jsonw_int(w, v->i); return true;
	case JD_REAL: return jsonw_real(w, v->d);
	case JD_STRN: return jsonw_strn(w, v->s, v->n);
	case JD_STR: return jsonw_str(w, v->sp);
	case JD_BYTES: jsonw_bytes(w, v->s, v->n); return true;
	default: return false;
	}
}

/* The writer's member k; false where it wrote nothing. */
static inline bool jd_member_write(struct jsonw *w, const char *k, const struct jd_scalar *v)
{
	switch (v->type) {
	case JD_NULL: jsonw_knull(w, k); return true;
	case JD_TRUE: jsonw_kbool(w, k, true); return true;
	case JD_FALSE: jsonw_kbool(w, k, false); return true;
	case JD_INT: jsonw_kint(w, k, v->i); return true;
	case JD_REAL: return jsonw_kreal(w, k, v->d);
	case JD_STRN: return jsonw_kstrn(w, k, v->s, v->n);
	case JD_STR: return jsonw_kstr(w, k, v->sp);
	case JD_BYTES: jsonw_kbytes(w, k, v->s, v->n); return true;
	default: return false;
	}
}

/* Set when the writer's answer (written or not) differed from jansson's. */
static int jd_disagree;

static json_t *jd_value(struct jd_src *s, struct jsonw *w, int depth);

static inline json_t *jd_array(struct jd_src *s, struct jsonw *w, int depth)
{
	json_t *a = json_array();
	size_t n = jd_byte(s) % 8;
	jsonw_arr(w);
	for (size_t i = 0; i < n && jd_more(s); i++) {
		json_t *x = jd_value(s, w, depth + 1);
		if (x)
			json_array_append_new(a, x);
	}
	jsonw_arr_end(w);
	return a;
}

/* Members with valid, distinct names (jansson would replace a repeated
 * one in place, which a stream cannot): random text made valid, then
 * "#index". Through the jsonw_k* calls for scalars. */
static inline json_t *jd_object(struct jd_src *s, struct jsonw *w, int depth)
{
	json_t *o = json_object();
	size_t n = jd_byte(s) % 8;
	jsonw_obj(w);
	for (size_t i = 0; i < n && jd_more(s); i++) {
		char raw[64], k[80];
		size_t rn = jd_text(s, raw, 40), kn = 0;
		json_t *kj = report_json_bytes(raw, rn); /* the text made valid */
		const char *ks = json_string_value(kj);
		for (size_t j = 0; ks && ks[j] && kn < 60; j++)
			k[kn++] = ks[j];
		json_decref(kj);
		while (kn && ((unsigned char)k[kn - 1] & 0xc0) == 0x80) /* whole sequences only */
			kn--;
		if (kn && (unsigned char)k[kn - 1] >= 0xc0)
			kn--;
		snprintf(k + kn, sizeof k - kn, "#%zu", i);
		if (jd_byte(s) % 3 == 0) {
			struct jsonw_mark m = jsonw_mark(w);
			jsonw_key(w, k);
			json_t *x = jd_value(s, w, depth + 1);
			if (x)
				json_object_set_new(o, k, x);
			else
				jsonw_rewind(w, m);
		} else {
			struct jd_scalar v;
			jd_scalar_gen(s, &v);
			json_t *x = jd_scalar_json(&v);
			if (jd_member_write(w, k, &v) != (x != NULL))
				jd_disagree++;
			if (x)
				json_object_set_new(o, k, x);
		}
	}
	jsonw_obj_end(w);
	return o;
}

/* One value written by w and returned as jansson's tree, or NULL (with
 * nothing written) where jansson refuses it. */
static json_t *jd_value(struct jd_src *s, struct jsonw *w, int depth)
{
	uint8_t b = jd_byte(s);
	if (depth < 8 && b % 8 == 6)
		return jd_array(s, w, depth);
	if (depth < 8 && b % 8 == 7)
		return jd_object(s, w, depth);
	struct jd_scalar v;
	jd_scalar_gen(s, &v);
	json_t *x = jd_scalar_json(&v);
	if (jd_scalar_write(w, &v) != (x != NULL))
		jd_disagree++;
	return x;
}

/* The writer's text of root's values against json_dumps of the tree:
 * 0 when equal, else the first offset that differs + 1 (printed). */
static inline size_t jd_compare(const struct jsonw *w, const json_t *root)
{
	char *ref = json_dumps(root, JD_FLAGS);
	size_t rn = ref ? strlen(ref) : 0, i = 0;
	while (i < rn && i < w->len && ref[i] == w->p[i])
		i++;
	size_t bad = (ref && i == rn && i == w->len) ? 0 : i + 1;
	if (bad) {
		size_t from = i > 40 ? i - 40 : 0;
		size_t ra = rn > from ? rn - from : 0, wa = w->len > from ? w->len - from : 0;
		fprintf(stderr, "# jsonw and jansson differ at byte %zu:\n#  jansson: %.*s\n#  jsonw:   %.*s\n", i,
			(int)(ra < 80 ? ra : 80), ref && ra ? ref + from : "", (int)(wa < 80 ? wa : 80), wa ? w->p + from : "");
	}
	free(ref);
	return bad;
}

/* One differential case: an array of values from s. 0 when both agree. */
static inline size_t jd_case(struct jd_src *s, struct jsonw *w)
{
	jsonw_reset(w);
	jd_disagree = 0;
	json_t *root = jd_array(s, w, 0);
	size_t bad = jd_compare(w, root);
	json_decref(root);
	if (!bad && jd_disagree) {
		fprintf(stderr, "# jsonw wrote a value jansson refused, or the reverse\n");
		bad = 1;
	}
	return bad;
}

/* report_time as it was (gmtime_r, strftime, snprintf), for its fast path. */
static inline void jd_time_ref(char *buf, size_t size, int64_t sec, uint32_t nsec)
{
	time_t t = (time_t)sec;
	struct tm tm;
	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, size, "?");
		return;
	}
	char d[32];
	strftime(d, sizeof d, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%06uZ", d, nsec / 1000);
}

/* report_time against the reference: true when equal. */
static inline bool jd_time_same(int64_t sec, uint32_t nsec)
{
	char a[64], b[64];
	report_time(a, sizeof a, sec, nsec);
	jd_time_ref(b, sizeof b, sec, nsec);
	if (strcmp(a, b) == 0)
		return true;
	fprintf(stderr, "# report_time(%lld, %u): \"%s\", strftime: \"%s\"\n", (long long)sec, nsec, a, b);
	return false;
}

#endif
