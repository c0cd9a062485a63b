/* sv.h - string views: a pointer and a length into someone else's bytes. */
#ifndef SIPAUDIT_SV_H
#define SIPAUDIT_SV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A borrowed slice; never NUL-terminated, never owns its bytes. */
struct sv {
	const char *p;
	size_t len;
};

#define SV_NULL ((struct sv){ NULL, 0 })
#define SV_LIT(s) ((struct sv){ (s), sizeof(s) - 1 })

static inline struct sv sv_make(const char *p, size_t len)
{
	return (struct sv){ p, len };
}

static inline bool sv_empty(struct sv s) { return s.len == 0; }

static inline int sv_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

static inline bool sv_is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static inline bool sv_eq(struct sv a, struct sv b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* sv_lower on each byte of a word (SWAR): a byte in 'A'..'Z' gains 0x20,
 * every other byte, those with the high bit set included, is kept. */
static inline uint64_t sv_fold8(uint64_t x)
{
	const uint64_t hi = 0x8080808080808080ULL;
	uint64_t low7 = x & ~hi;                         /* no carry out of a byte below */
	uint64_t ge_a = low7 + 0x3f3f3f3f3f3f3f3fULL;    /* bit 7: byte >= 'A' (0x41) */
	uint64_t gt_z = low7 + 0x2525252525252525ULL;    /* bit 7: byte > 'Z' (0x5a) */
	uint64_t upper = ge_a & ~gt_z & ~x & hi;         /* and the byte itself < 0x80 */
	return x | upper >> 2;                           /* 0x80 >> 2 == 0x20 */
}

static inline uint64_t sv_load8(const char *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline uint64_t sv_load4(const char *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

/* a[0..n) and b[0..n) equal ignoring ASCII case, eight bytes at a time,
 * the last word overlapping the one before it; b_lower: b is known to be
 * lowercase already, and only a is folded (a constant at each caller). */
__attribute__((always_inline)) static inline bool sv_eq_fold_n(const char *a, const char *b, size_t n, bool b_lower)
{
#define SV_FOLD_B(w) (b_lower ? (w) : sv_fold8(w))
	if (n >= 8) {
		for (size_t i = 0; i + 8 < n; i += 8)
			if (sv_fold8(sv_load8(a + i)) != SV_FOLD_B(sv_load8(b + i)))
				return false;
		return sv_fold8(sv_load8(a + n - 8)) == SV_FOLD_B(sv_load8(b + n - 8));
	}
	if (n >= 4)
		return sv_fold8(sv_load4(a) | sv_load4(a + n - 4) << 32) ==
		       SV_FOLD_B(sv_load4(b) | sv_load4(b + n - 4) << 32);
	if (n) /* 1 to 3 bytes: first, middle and last in one word */
		return sv_fold8((uint64_t)(unsigned char)a[0] | (uint64_t)(unsigned char)a[n / 2] << 8 |
				(uint64_t)(unsigned char)a[n - 1] << 16) ==
		       SV_FOLD_B((uint64_t)(unsigned char)b[0] | (uint64_t)(unsigned char)b[n / 2] << 8 |
				 (uint64_t)(unsigned char)b[n - 1] << 16);
#undef SV_FOLD_B
	return true;
}

/* Equal ignoring ASCII case (header names, parameter names and schemes
 * are compared this way on every message). */
/* (Always inlined: with a literal, n is known at the call and the compare
 * is a load or two; called, it was some fifty instructions a time.) */
__attribute__((always_inline)) static inline bool sv_eq_ci(struct sv a, struct sv b)
{
	/* b.len: the literal's, when one is, so that its branch alone is kept */
	return a.len == b.len && sv_eq_fold_n(a.p, b.p, b.len, false);
}

__attribute__((always_inline)) static inline bool sv_eq_cstr_ci(struct sv a, const char *s)
{
	return sv_eq_ci(a, sv_make(s, strlen(s)));
}

__attribute__((always_inline)) static inline bool sv_starts_ci(struct sv a, const char *s)
{
	size_t n = strlen(s);
	return a.len >= n && sv_eq_ci(sv_make(a.p, n), sv_make(s, n));
}

/* Does a contain s anywhere, ignoring ASCII case? */
static inline bool sv_contains_ci(struct sv a, const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; a.len >= n && i <= a.len - n; i++) {
		size_t k = 0; /* byte-wise: a search for a short word in free text */
		while (k < n && sv_lower((unsigned char)a.p[i + k]) == sv_lower((unsigned char)s[k]))
			k++;
		if (k == n)
			return true;
	}
	return false;
}

/* v in decimal, written backwards to end[-1]: where it starts (at most 20
 * digits). The few places that write numbers by hand, where snprintf cost
 * more than the digits, share it. */
static inline char *sv_utoa(char *end, uint64_t v)
{
	do
		*--end = (char)('0' + v % 10);
	while (v /= 10);
	return end;
}

/* Strips spaces, tabs, CR and LF (folded header lines) at both ends. */
static inline struct sv sv_trim(struct sv s)
{
	while (s.len && sv_is_ws((unsigned char)s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && sv_is_ws((unsigned char)s.p[s.len - 1]))
		s.len--;
	return s;
}

/* Index of the first c in s, or -1. */
static inline ptrdiff_t sv_find(struct sv s, char c)
{
	const char *q = s.len ? memchr(s.p, c, s.len) : NULL;
	return q ? q - s.p : -1;
}

/* Parses an unsigned decimal of the whole view; false on empty, junk or
 * overflow beyond max. */
static inline bool sv_to_u64(struct sv s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	/* 1*DIGIT: leading zeros are valid however many (RFC 3261 §25.1) */
	while (s.len > 1 && s.p[0] == '0')
		s.p++, s.len--;
	if (s.len == 0 || s.len > 20)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		unsigned d = (unsigned char)s.p[i] - '0';
		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

#endif
