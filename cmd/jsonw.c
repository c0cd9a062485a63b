/* jsonw.c - the streaming JSON writer: jansson 2.14's dump (dump.c,
 * strconv.c jsonp_dtostr) for compact, ASCII-only output, into one
 * reusable buffer (RFC 8259 text, RFC 3629 UTF-8 checked on the way). */
#include "jsonw.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../analyzer/xalloc.h"

/* A buffer that grew past this for one value is not kept for the next. */
#define JSONW_KEEP (1u << 24)

void jsonw_reset(struct jsonw *w)
{
	if (w->cap > JSONW_KEEP)
		jsonw_free(w);
	w->len = 0;
	w->comma = false;
}

void jsonw_free(struct jsonw *w)
{
	free(w->p);
	*w = (struct jsonw){ 0 };
}

/* Room for n more bytes at w->p + w->len. */
static inline void reserve(struct jsonw *w, size_t n)
{
	if (w->len + n <= w->cap)
		return;
	size_t cap = (w->len + n) * 2;
	w->cap = cap > 65536 ? cap : 65536;
	w->p = xrealloc(w->p, w->cap);
}

static inline void put(struct jsonw *w, const char *s, size_t n)
{
	reserve(w, n);
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

/* The ',' before a value or member when one precedes it at this level. */
static inline void sep(struct jsonw *w)
{
	if (w->comma) {
		reserve(w, 1);
		w->p[w->len++] = ',';
	}
}

static inline void put_value(struct jsonw *w, const char *s, size_t n)
{
	sep(w);
	put(w, s, n);
	w->comma = true;
}

void jsonw_raw(struct jsonw *w, const char *s, size_t n)
{
	put(w, s, n);
}

void jsonw_obj(struct jsonw *w)
{
	sep(w);
	put(w, "{", 1);
	w->comma = false;
}

void jsonw_obj_end(struct jsonw *w)
{
	put(w, "}", 1);
	w->comma = true;
}

void jsonw_arr(struct jsonw *w)
{
	sep(w);
	put(w, "[", 1);
	w->comma = false;
}

void jsonw_arr_end(struct jsonw *w)
{
	put(w, "]", 1);
	w->comma = true;
}

void jsonw_null(struct jsonw *w)
{
	put_value(w, "null", 4);
}

void jsonw_bool(struct jsonw *w, bool v)
{
	if (v)
		put_value(w, "true", 4);
	else
		put_value(w, "false", 5);
}

/* "%lld" without printf's parsing. */
void jsonw_int(struct jsonw *w, long long v)
{
	char b[24], *e = b + sizeof b, *q = e;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do {
		*--q = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--q = '-';
	put_value(w, q, (size_t)(e - q));
}

/* jsonp_dtostr with precision 10: "%.10g", ".0" added when the result has
 * neither '.' nor 'e' (so it reads back as a real), the exponent's '+' and
 * leading zeros removed: 1e21 -> "1e21", 1e-5 -> "1e-5". sipaudit never
 * calls setlocale, so the decimal point is '.' as jansson converts it to. */
bool jsonw_real(struct jsonw *w, double v)
{
	if (!isfinite(v)) /* json_real refuses them */
		return false;
	char b[48];
	int n = snprintf(b, sizeof b - 3, "%.10g", v);
	if (n < 0 || n >= (int)sizeof b - 3)
		return false;
	if (!strchr(b, '.') && !strchr(b, 'e')) {
		b[n++] = '.';
		b[n++] = '0';
		b[n] = '\0';
	}
	char *start = strchr(b, 'e');
	if (start) {
		start++;
		char *end = start + 1;
		if (*start == '-')
			start++;
		while (*end == '0')
			end++;
		if (end != start) {
			memmove(start, end, (size_t)n - (size_t)(end - b));
			n -= (int)(end - start);
		}
	}
	put_value(w, b, (size_t)n);
	return true;
}

size_t jsonw_utf8_seq(const unsigned char *p, size_t n, unsigned *cp)
{
	unsigned c = p[0];
	size_t len;
	unsigned min;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	unsigned v = c & (0xffu >> (len + 1));
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

/* How each ASCII byte is written: 0 as itself, 'u' as \u00XX, else as a
 * backslash and that letter. jansson escapes '"', '\\' and control bytes
 * only: '/' and DEL (0x7f) stay as they are. */
static const char esc[128] = {
	['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't',
	[0x00] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u', [0x04] = 'u', [0x05] = 'u',
	[0x06] = 'u', [0x07] = 'u', [0x0b] = 'u', [0x0e] = 'u', [0x0f] = 'u', [0x10] = 'u',
	[0x11] = 'u', [0x12] = 'u', [0x13] = 'u', [0x14] = 'u', [0x15] = 'u', [0x16] = 'u',
	[0x17] = 'u', [0x18] = 'u', [0x19] = 'u', [0x1a] = 'u', [0x1b] = 'u', [0x1c] = 'u',
	[0x1d] = 'u', [0x1e] = 'u', [0x1f] = 'u',
	['"'] = '"', ['\\'] = '\\',
};

/* \uXXXX with upper-case hex digits, as jansson's "\\u%04X". */
static inline char *put_u(char *o, unsigned v)
{
	static const char hex[] = "0123456789ABCDEF";
	o[0] = '\\';
	o[1] = 'u';
	o[2] = hex[v >> 12 & 15];
	o[3] = hex[v >> 8 & 15];
	o[4] = hex[v >> 4 & 15];
	o[5] = hex[v & 15];
	return o + 6;
}

/* A code point past ASCII: itself below U+10000, else a UTF-16 pair. */
static inline char *put_cp(char *o, unsigned cp)
{
	if (cp < 0x10000)
		return put_u(o, cp);
	cp -= 0x10000;
	o = put_u(o, 0xd800 | cp >> 10);
	return put_u(o, 0xdc00 | (cp & 0x3ff));
}

/* Eight bytes at p: a mark (0x80) in the byte of each that may need more
 * than a copy: a control byte, '"', '\\', or a byte past ASCII. The first
 * mark is exact (the lowest byte that needs a look); marks above it may be
 * false (a borrow), which costs a look, never a wrong copy. */
static inline uint64_t needs_look(const unsigned char *p)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	uint64_t x;
	memcpy(&x, p, 8);
	uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
	return (((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b) | x) & highs;
}

/* How many bytes of p come before the first mark of needs_look (which
 * has one). In memory order: the lowest byte on a little-endian machine;
 * elsewhere 0, and the byte path takes over. */
static inline size_t first_marked(uint64_t m)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (size_t)__builtin_ctzll(m) >> 3;
#else
	(void)m;
	return 0;
#endif
}

/* Whether any of the last k (1 to 7) of the eight bytes at p may need a
 * look (false marks from the bytes before them included: a look, never a
 * wrong copy). */
static inline bool needs_look_tail(const unsigned char *p, size_t k)
{
	uint64_t m = needs_look(p);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (m >> ((8 - k) * 8)) != 0;
#else
	return m != 0;
#endif
}

/* The quoted, escaped string. lossy: a byte that starts no valid sequence
 * is U+FFFD; else such a byte makes it false, with nothing written. */
static bool put_string(struct jsonw *w, const char *s, size_t n, bool lossy)
{
	struct jsonw_mark m = jsonw_mark(w);
	sep(w);
	/* worst case 6 bytes out per byte in (a control byte, or an invalid
	 * byte as \uFFFD; a 4-byte sequence gives 12), plus the quotes */
	reserve(w, n * 6 + 2);
	char *o = w->p + w->len;
	const unsigned char *u = (const unsigned char *)s;
	*o++ = '"';
	for (size_t i = 0; i < n;) {
		/* eight bytes a step while none needs a second look: no control
		 * byte, no '"' or '\\', nothing past ASCII (a raw SIP message is
		 * mostly such runs: byte by byte, the strings were a third of the
		 * jsonl report's thread) */
		while (n - i >= 8) {
			uint64_t look = needs_look(u + i);
			memcpy(o, u + i, 8); /* (room reserved: only the clean prefix counts) */
			if (look) { /* on to the first byte that needs a look */
				size_t k = first_marked(look);
				o += k;
				i += k;
				break;
			}
			o += 8;
			i += 8;
		}
		if (i >= n)
			break;
		if (n - i < 8 && n >= 8 && !needs_look_tail(u + n - 8, n - i)) {
			/* the last bytes, seen as the end of the last eight */
			memcpy(o, u + i, n - i);
			o += n - i;
			break;
		}
		unsigned c = u[i];
		if (c < 0x80) {
			char e = esc[c];
			if (!e)
				*o++ = (char)c;
			else if (e == 'u')
				o = put_u(o, c);
			else
				*o++ = '\\', *o++ = e;
			i++;
			continue;
		}
		unsigned cp;
		size_t l = jsonw_utf8_seq(u + i, n - i, &cp);
		if (!l) {
			if (!lossy) {
				jsonw_rewind(w, m);
				return false;
			}
			cp = 0xfffd;
			l = 1;
		}
		o = put_cp(o, cp);
		i += l;
	}
	*o++ = '"';
	w->len = (size_t)(o - w->p);
	w->comma = true;
	return true;
}

bool jsonw_strn(struct jsonw *w, const char *s, size_t n)
{
	return s && put_string(w, s, n, false);
}

bool jsonw_str(struct jsonw *w, const char *s)
{
	return s && put_string(w, s, strlen(s), false);
}

void jsonw_bytes(struct jsonw *w, const char *p, size_t n)
{
	put_string(w, p, n, true);
}

void jsonw_key(struct jsonw *w, const char *k)
{
	/* A key is a name: nearly always bytes written as they are, and some
	 * twenty a message in jsonl. Then the member's start is put together
	 * here, as put_string and put would write it. */
	size_t n = 0;
	while (k[n] && (unsigned char)k[n] < 0x80 && !esc[(unsigned char)k[n]]) /* as put_string writes it */
		n++;
	if (!k[n]) {
		reserve(w, n + 4);
		char *o = w->p + w->len;
		if (w->comma)
			*o++ = ',';
		*o++ = '"';
		memcpy(o, k, n);
		o += n;
		*o++ = '"';
		*o++ = ':';
		w->len = (size_t)(o - w->p);
		w->comma = false;
		return;
	}
	put_string(w, k, strlen(k), true);
	put(w, ":", 1);
	w->comma = false;
}

void jsonw_knull(struct jsonw *w, const char *k)
{
	jsonw_key(w, k);
	jsonw_null(w);
}

void jsonw_kbool(struct jsonw *w, const char *k, bool v)
{
	jsonw_key(w, k);
	jsonw_bool(w, v);
}

void jsonw_kint(struct jsonw *w, const char *k, long long v)
{
	jsonw_key(w, k);
	jsonw_int(w, v);
}

bool jsonw_kreal(struct jsonw *w, const char *k, double v)
{
	struct jsonw_mark m = jsonw_mark(w);
	jsonw_key(w, k);
	if (jsonw_real(w, v))
		return true;
	jsonw_rewind(w, m);
	return false;
}

bool jsonw_kstrn(struct jsonw *w, const char *k, const char *s, size_t n)
{
	struct jsonw_mark m = jsonw_mark(w);
	jsonw_key(w, k);
	if (jsonw_strn(w, s, n))
		return true;
	jsonw_rewind(w, m);
	return false;
}

bool jsonw_kstr(struct jsonw *w, const char *k, const char *s)
{
	return s ? jsonw_kstrn(w, k, s, strlen(s)) : false;
}

void jsonw_kbytes(struct jsonw *w, const char *k, const char *p, size_t n)
{
	jsonw_key(w, k);
	jsonw_bytes(w, p, n);
}
