/* sip.c - zero-copy SIP start line and header parser (RFC 3261 §7.1-7.3, §25.1).
 * Contract (picohttpparser's): returns bytes consumed, PARTIAL or INVALID;
 * outputs reset on entry; the caller owns the arrays; never allocates. */
#include "sip.h"

#include <stdint.h>

const char sip_err_head_too_long[] = "header section longer than 64 KiB";

struct hdr_def {
	const char *name;
	size_t len;
	char compact;
	bool multi;
};

static const struct hdr_def hdr_defs[SIP_H_COUNT] = {
	[SIP_H_OTHER] = { "", 0, 0, false },
#define X(e, n, c, m) [SIP_H_##e] = { n, sizeof(n) - 1, c, m },
#include "sip_headers.def"
#undef X
};

#define HDR_NAME_MAX 32 /* the longest name known, padded (hdr_lname) */
#define X(e, n, c, m) _Static_assert(sizeof(n) - 1 <= HDR_NAME_MAX, "raise HDR_NAME_MAX for " n);
#include "sip_headers.def"
#undef X

/* RFC 3261 token characters (§25.1): alphanum / "-" / "." / "!" / "%" /
 * "*" / "_" / "+" / "`" / "'" / "~". */
static const bool token_chars[256] = {
	['a' ... 'z'] = true, ['A' ... 'Z'] = true, ['0' ... '9'] = true,
	['-'] = true, ['.'] = true, ['!'] = true, ['%'] = true, ['*'] = true,
	['_'] = true, ['+'] = true, ['`'] = true, ['\''] = true, ['~'] = true,
};

static inline bool is_token(unsigned char c)
{
	return token_chars[c];
}

/* (four bytes a step while all four are token characters) */
static inline size_t token_len(const char *p, size_t max)
{
	size_t i = 0;
	while (i + 4 <= max && ((unsigned)is_token((unsigned char)p[i]) & is_token((unsigned char)p[i + 1]) &
				is_token((unsigned char)p[i + 2]) & is_token((unsigned char)p[i + 3])))
		i += 4;
	while (i < max && is_token((unsigned char)p[i]))
		i++;
	return i;
}

size_t sip_token_len(const char *p, size_t max)
{
	return token_len(p, max);
}

/* Header names by length and first letter (folded: & 31 maps 'A' and 'a'
 * alike), full or compact: filled once, before main (a constructor),
 * read-only after. No two names known share more than HDR_CAND places;
 * sv_eq_fold_n decides among them. */
#define HDR_CAND 4
static uint8_t hdr_cand[HDR_NAME_MAX + 1][32][HDR_CAND]; /* ids, 0 ends */
static uint8_t hdr_compact[256];     /* lowercase compact letter -> id */
/* Each name in lowercase: only the name read is folded (sv_eq_fold_n). */
static char hdr_lname[SIP_H_COUNT][HDR_NAME_MAX];

__attribute__((constructor)) static void hdr_table_init(void)
{
	_Static_assert(SIP_H_COUNT < 256, "header ids fit a byte");
	for (int i = 1; i < SIP_H_COUNT; i++) {
		const struct hdr_def *d = &hdr_defs[i];
		for (size_t k = 0; k < d->len; k++)
			hdr_lname[i][k] = (char)sv_lower((unsigned char)d->name[k]);
		uint8_t *c = hdr_cand[d->len][(unsigned char)d->name[0] & 31];
		int k = 0;
		while (k < HDR_CAND && c[k])
			k++;
		if (k < HDR_CAND) /* (full: tests/unit_sip finds the name unknown) */
			c[k] = (uint8_t)i;
		if (d->compact && !hdr_compact[(unsigned char)d->compact])
			hdr_compact[(unsigned char)d->compact] = (uint8_t)i;
	}
}

__attribute__((always_inline)) static inline enum sip_hdr_id header_lookup(const char *name, size_t len)
{
	if (len - 2 <= HDR_NAME_MAX - 2) { /* 2 to HDR_NAME_MAX */
		const uint8_t *c = hdr_cand[len][(unsigned char)name[0] & 31];
		for (int k = 0; k < HDR_CAND && c[k]; k++)
			if (sv_eq_fold_n(name, hdr_lname[c[k]], len, true))
				return (enum sip_hdr_id)c[k];
		return SIP_H_OTHER;
	}
	if (len == 1)
		return (enum sip_hdr_id)hdr_compact[sv_lower((unsigned char)name[0])];
	return SIP_H_OTHER;
}

enum sip_hdr_id sip_header_lookup(const char *name, size_t len)
{
	return header_lookup(name, len);
}

const char *sip_header_name(enum sip_hdr_id id)
{
	return (unsigned)id < SIP_H_COUNT ? hdr_defs[id].name : "";
}

bool sip_header_is_multi(enum sip_hdr_id id)
{
	return (unsigned)id < SIP_H_COUNT && hdr_defs[id].multi;
}

/* Line end: returns the index of '\n' at or after from, or -1. The line's
 * content excludes a CR before it. */
static ptrdiff_t line_end(const char *buf, size_t len, size_t from)
{
	if (from >= len)
		return -1;
	const char *q = memchr(buf + from, '\n', len - from);
	return q ? q - buf : -1;
}

static size_t content_end(const char *buf, size_t from, size_t nl)
{
	size_t e = nl;
	if (e > from && buf[e - 1] == '\r')
		e--;
	return e;
}

static bool is_sip_version(struct sv v)
{
	/* SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT, case-insensitive. */
	if (v.len < 7 || !sv_starts_ci(v, "SIP/"))
		return false;
	size_t i = 4, d1 = 0, d2 = 0;
	while (i < v.len && v.p[i] >= '0' && v.p[i] <= '9') { i++; d1++; }
	if (i >= v.len || v.p[i] != '.')
		return false;
	i++;
	while (i < v.len && v.p[i] >= '0' && v.p[i] <= '9') { i++; d2++; }
	return d1 && d2 && i == v.len;
}

/* strict: also reject control characters in the reason phrase; the lenient
 * form only recognises SIP, the strict one decides whether it is well formed. */
bool sip_parse_start(struct sv line, struct sip_start *st, const char **err, bool strict)
{
	st->line = line;
	if (sv_starts_ci(line, "SIP/")) {
		ptrdiff_t sp = sv_find(line, ' ');
		if (sp < 0) {
			*err = "bad status line: no status code";
			return false;
		}
		st->version = sv_make(line.p, (size_t)sp);
		if (!is_sip_version(st->version)) {
			*err = "bad status line: bad SIP version";
			return false;
		}
		size_t i = (size_t)sp;
		while (i < line.len && line.p[i] == ' ')
			i++;
		if (line.len - i < 3) {
			*err = "bad status line: no status code";
			return false;
		}
		int code = 0;
		for (int k = 0; k < 3; k++) {
			char c = line.p[i + k];
			if (c < '0' || c > '9') {
				*err = "bad status line: status code is not 3 digits";
				return false;
			}
			code = code * 10 + (c - '0');
		}
		i += 3;
		if (i < line.len && line.p[i] != ' ' && line.p[i] != '\t') {
			*err = "bad status line: status code is not 3 digits";
			return false;
		}
		if (code < 100 || code > 699) {
			*err = "bad status line: status code out of range 100-699";
			return false;
		}
		st->is_request = false;
		st->status = code;
		st->reason = sv_trim(sv_make(line.p + i, line.len - i));
		for (size_t k = 0; strict && k < st->reason.len; k++) {
			unsigned char c = (unsigned char)st->reason.p[k];
			if ((c < 0x20 && c != '\t') || c == 0x7f) {
				*err = "bad status line: control character in reason phrase";
				return false;
			}
		}
		return true;
	}
	size_t i = 0;
	while (i < line.len && is_token((unsigned char)line.p[i]))
		i++;
	if (i == 0 || i >= line.len || line.p[i] != ' ') {
		*err = "bad request line: method is not a token";
		return false;
	}
	st->method = sv_make(line.p, i);
	size_t u = ++i;
	while (i < line.len && line.p[i] != ' ') {
		if ((unsigned char)line.p[i] < 0x21 || line.p[i] == 0x7f) {
			*err = "bad request line: control character in Request-URI";
			return false;
		}
		i++;
	}
	if (i == u || i >= line.len) {
		*err = "bad request line: missing Request-URI or SIP version";
		return false;
	}
	st->uri = sv_make(line.p + u, i - u);
	st->version = sv_make(line.p + i + 1, line.len - i - 1);
	if (!is_sip_version(st->version)) {
		*err = "bad request line: bad SIP version";
		return false;
	}
	st->is_request = true;
	return true;
}

bool sip_start_prefix_plausible(const char *buf, size_t len)
{
	static const char ver[] = "SIP/2.0 ";
	if (len > SIP_MAX_LINE)
		return false;
	size_t n = len < 8 ? len : 8;
	if (sv_eq_ci(sv_make(buf, n), sv_make(ver, n)))
		return true; /* a status line so far */
	size_t i = 0;
	while (i < len && is_token((unsigned char)buf[i]))
		i++;
	if (i == len)
		return true; /* method so far */
	if (i == 0 || buf[i] != ' ')
		return false;
	for (i++; i < len && buf[i] != ' '; i++)
		if ((unsigned char)buf[i] < 0x21 || buf[i] == 0x7f)
			return buf[i] == '\r' && i + 1 == len;
	if (i == len)
		return true; /* Request-URI so far */
	size_t v = ++i, k = len - v < 7 ? len - v : 7;
	return sv_eq_ci(sv_make(buf + v, k), sv_make("SIP/2.0", k));
}

bool sip_looks_like_start(const char *buf, size_t len)
{
	if (len < 12)
		return false;
	size_t lim = len < SIP_MAX_LINE ? len : SIP_MAX_LINE;
	const char *nl = memchr(buf, '\n', lim);
	size_t e = nl ? (size_t)(nl - buf) : lim;
	if (e && buf[e - 1] == '\r')
		e--;
	struct sip_start st;
	const char *err;
	memset(&st, 0, sizeof st);
	if (!nl && len < SIP_MAX_LINE) {
		/* First line incomplete: judge by its beginning. */
		if (sv_starts_ci(sv_make(buf, e), "SIP/2.0 "))
			return true;
	}
	return sip_parse_start(sv_make(buf, e), &st, &err, false);
}

/* Keeps what the parse has read so far in *hs as offsets from buf. */
static void head_save(struct sip_head_state *hs, const char *buf, size_t pos, const struct sip_header *hdrs,
		      size_t n, size_t total, bool has_last, bool done)
{
	if (n > SIP_HEAD_STATE_MAX || pos > UINT32_MAX)
		return;
	for (size_t i = 0; i < n; i++) {
		hs->h[i].name = (uint32_t)(hdrs[i].name.p - buf);
		hs->h[i].name_len = (uint32_t)hdrs[i].name.len;
		hs->h[i].value = (uint32_t)(hdrs[i].value.p - buf);
		hs->h[i].value_len = (uint32_t)hdrs[i].value.len;
		hs->h[i].id = hdrs[i].id;
	}
	hs->n = (uint32_t)n;
	hs->total = (uint32_t)total;
	hs->has_last = has_last;
	hs->done = done;
	hs->pos = (uint32_t)pos;
}

/* The parse, for sip_parse_head (hs NULL, the hot path: the compiler
 * drops every use of hs) and sip_parse_head_resume. */
static inline __attribute__((always_inline)) int parse_head(const char *buf, size_t len, struct sip_start *start,
							    struct sip_header *hdrs, size_t *nhdrs, size_t *ntotal,
							    const char **err, struct sip_head_state *hs)
{
	size_t cap = *nhdrs, n = 0, total = 0;
	/* what an earlier parse of the same first bytes read (hs->pos of them) */
	size_t from = 0;
	if (hs) {
		if (hs->pos && hs->pos <= len && hs->n <= cap)
			from = hs->pos;
		hs->pos = 0;
	}
	memset(start, 0, sizeof *start);
	*nhdrs = 0;
	if (ntotal)
		*ntotal = 0;
	*err = NULL;

	ptrdiff_t nl = line_end(buf, len, 0);
	if (nl < 0) {
		if (len > SIP_MAX_LINE) {
			*err = "start line too long";
			return SIP_PARSE_INVALID;
		}
		return SIP_PARSE_PARTIAL;
	}
	/* A start line that is recognisable but not well formed (control bytes
	 * in the reason) still lets us read the headers; report it at the end. */
	const char *late = NULL;
	struct sv sl = sv_make(buf, content_end(buf, 0, (size_t)nl));
	if (!sip_parse_start(sl, start, err, true)) {
		late = *err;
		if (!sip_parse_start(sl, start, err, false))
			return SIP_PARSE_INVALID;
		*err = NULL;
	}

	size_t pos = (size_t)nl + 1;
	struct sip_header *last = NULL;
	if (from > (size_t)nl) {
		const struct sip_head_state *k = hs;
		for (size_t i = 0; i < k->n; i++) {
			hdrs[i].name = sv_make(buf + k->h[i].name, k->h[i].name_len);
			hdrs[i].value = sv_make(buf + k->h[i].value, k->h[i].value_len);
			hdrs[i].id = k->h[i].id;
		}
		n = *nhdrs = k->n;
		total = k->total;
		last = k->has_last ? &hdrs[n - 1] : NULL;
		if (k->done) { /* the same head, whole (kept only from a head without late): nothing left to read */
			if (ntotal)
				*ntotal = total;
			hs->pos = (uint32_t)from; /* kept as it was */
			return (int)from;
		}
		pos = from;
	}
	for (;; *nhdrs = n) {
		/* The whole head, its blank line included, within SIP_MAX_HEAD:
		 * a line running past it (or not ended by then) is too long. */
		nl = line_end(buf, len < SIP_MAX_HEAD ? len : SIP_MAX_HEAD, pos);
		if (nl < 0) {
			if (len < SIP_MAX_HEAD) {
				if (hs) /* the lines before pos are read for good */
					head_save(hs, buf, pos, hdrs, n, total, last != NULL, false);
				return SIP_PARSE_PARTIAL;
			}
			*err = sip_err_head_too_long;
			return SIP_PARSE_INVALID;
		}
		size_t ce = content_end(buf, pos, (size_t)nl);
		if (ce == pos) { /* blank line: end of head */
			*nhdrs = n;
			if (ntotal)
				*ntotal = total;
			if (late) {
				*err = late;
				return SIP_PARSE_INVALID;
			}
			return (int)((size_t)nl + 1);
		}
		char c0 = buf[pos];
		if (c0 == ' ' || c0 == '\t') { /* folded continuation (§7.3.1) */
			if (!total) {
				*err = "continuation line before any header";
				return SIP_PARSE_INVALID;
			}
			if (last) {
				const char *vs = last->value.len ? last->value.p : buf + pos;
				last->value = sv_trim(sv_make(vs, ce - (size_t)(vs - buf)));
			}
			pos = (size_t)nl + 1;
			continue;
		}
		size_t i = pos + token_len(buf + pos, ce - pos);
		size_t name_end = i;
		while (i < ce && (buf[i] == ' ' || buf[i] == '\t'))
			i++;
		if (name_end == pos || i >= ce || buf[i] != ':') {
			*err = name_end == pos ? "header line does not start with a name"
					       : "header line without a colon";
			return SIP_PARSE_INVALID;
		}
		total++;
		if (n < cap) {
			last = &hdrs[n++];
			last->name = sv_make(buf + pos, name_end - pos);
			last->id = header_lookup(last->name.p, last->name.len);
			struct sv v = sv_trim(sv_make(buf + i + 1, ce - i - 1));
			/* An empty value keeps its position for folding. */
			last->value = v.len ? v : sv_make(buf + ce, 0);
		} else {
			last = NULL;
		}
		pos = (size_t)nl + 1;
	}
}

int sip_parse_head(const char *buf, size_t len, struct sip_start *start, struct sip_header *hdrs, size_t *nhdrs,
		   size_t *ntotal, const char **err)
{
	return parse_head(buf, len, start, hdrs, nhdrs, ntotal, err, NULL);
}

void sip_head_keep(struct sip_head_state *hs, const char *buf, int head_len, const struct sip_header *hdrs,
		   size_t n, size_t ntotal)
{
	hs->pos = 0;
	if (head_len > 0)
		head_save(hs, buf, (size_t)head_len, hdrs, n, ntotal, false, true);
}

int sip_parse_head_resume(const char *buf, size_t len, struct sip_start *start, struct sip_header *hdrs,
			  size_t *nhdrs, size_t *ntotal, const char **err, struct sip_head_state *hs)
{
	return parse_head(buf, len, start, hdrs, nhdrs, ntotal, err, hs);
}

/* Index of the first `stop` (';' or ',') at or after i that is outside
 * quoted strings and <...>, or v.len. */
static inline size_t skip_to(struct sv v, size_t i, char stop)
{
	if (i >= v.len || v.p[i] == stop)
		return i;
	/* Most values have no quote and no '<' before the stop: then the
	 * first stop is the answer ('>' outside <> changes nothing). */
	const char *s = v.p + i, *q = memchr(s, stop, v.len - i);
	if (!q) /* no stop at all: quotes and <> change nothing */
		return v.len;
	size_t lim = (size_t)(q - s);
	if (!memchr(s, '"', lim) && !memchr(s, '<', lim))
		return i + lim;
	static const bool special[256] = { ['"'] = true, ['<'] = true, ['>'] = true, [';'] = true, [','] = true };
	int angle = 0;
	while (i < v.len) {
		unsigned char c = (unsigned char)v.p[i];
		if (!special[c]) {
			i++;
		} else if (c == '"') { /* to the closing quote, past escapes */
			for (i++; i < v.len && v.p[i] != '"'; i++)
				if (v.p[i] == '\\' && i + 1 < v.len)
					i++;
			if (i < v.len)
				i++;
		} else if (c == '<') {
			angle++;
			i++;
		} else if (c == '>') {
			if (angle)
				angle--;
			i++;
		} else if (c == (unsigned char)stop && !angle) {
			break;
		} else {
			i++;
		}
	}
	return i;
}

int sip_head_content_length(const struct sip_header *h, size_t n, uint64_t *clen)
{
	for (size_t i = 0; i < n; i++)
		if (h[i].id == SIP_H_CONTENT_LENGTH)
			return sv_to_u64(sv_trim(h[i].value), UINT32_MAX, clen) ? 1 : -1;
	return 0;
}

bool sip_list_next(struct sv value, size_t *pos, struct sv *elem)
{
	size_t i = *pos;
	while (i < value.len && (sv_is_ws((unsigned char)value.p[i]) || value.p[i] == ','))
		i++;
	if (i >= value.len) {
		*pos = i;
		return false;
	}
	size_t start = i;
	i = skip_to(value, i, ',');
	*elem = sv_trim(sv_make(value.p + start, i - start));
	*pos = i;
	return true;
}

/* A parameter value's end: ';', ',', '>' or white space (sv_is_ws). */
static const bool vstop[256] = { [';'] = true, [','] = true, ['>'] = true, [' '] = true,
				 ['\t'] = true, ['\r'] = true, ['\n'] = true };

/* The value after a parameter's '=' at *i (white space, then a quoted
 * string or a token); *i: past it. */
static inline struct sv param_value(struct sv params, size_t *pi)
{
	const char *p = params.p;
	size_t len = params.len, i = *pi;
	struct sv v;
	while (i < len && sv_is_ws((unsigned char)p[i]))
		i++;
	size_t vs = i;
	if (i < len && p[i] == '"') {
		vs = ++i;
		while (i < len && p[i] != '"') {
			if (p[i] == '\\' && i + 1 < len)
				i++;
			i++;
		}
		v = sv_make(p + vs, i - vs);
		if (i < len)
			i++;
	} else {
		/* four bytes a step while none of them ends it */
		while (i + 4 <= len && !(vstop[(unsigned char)p[i]] | vstop[(unsigned char)p[i + 1]] |
					 vstop[(unsigned char)p[i + 2]] | vstop[(unsigned char)p[i + 3]]))
			i += 4;
		while (i < len && !vstop[(unsigned char)p[i]])
			i++;
		v = sv_make(p + vs, i - vs);
	}
	*pi = i;
	return v;
}

unsigned sip_params_sv(struct sv params, const struct sv *names, unsigned n, struct sv *values)
{
	if (n > 8)
		return 0;
	unsigned found = 0, all = (1u << n) - 1;
	const char *p = params.p;
	size_t len = params.len, i = 0;
	while (i < len && found != all) {
		i = skip_to(params, i, ';'); /* the next ';' outside quotes and <> */
		if (i >= len)
			break;
		i++;
		while (i < len && sv_is_ws((unsigned char)p[i]))
			i++;
		size_t ns = i;
		while (i < len && is_token((unsigned char)p[i]))
			i++;
		size_t nl = i - ns;
		while (i < len && sv_is_ws((unsigned char)p[i]))
			i++;
		int match = -1;
		for (unsigned k = 0; k < n; k++)
			if (!(found & (1u << k)) && nl == names[k].len && sv_eq_fold_n(p + ns, names[k].p, nl, true)) {
				match = (int)k;
				break;
			}
		struct sv v = sv_make(p + i, 0);
		if (i < len && p[i] == '=') {
			i++;
			v = param_value(params, &i);
		}
		if (match >= 0) {
			values[match] = v;
			found |= 1u << match;
		}
	}
	return found;
}

bool sip_param_n(struct sv params, const char *name, size_t name_len, struct sv *value)
{
	/* The first parameter is the one asked for, written plainly (";tag="
	 * on From and To, twice a message): what the walk below finds, without
	 * the walk. (Its name is tokens and '=' is not one: the name ends there.) */
	const char *p = params.p;
	if (name_len && params.len > name_len + 1 && p[0] == ';' && p[1 + name_len] == '=' &&
	    sv_eq_fold_n(p + 1, name, name_len, true)) {
		size_t i = name_len + 2;
		*value = param_value(params, &i);
		return true;
	}
	struct sv nv = sv_make(name, name_len);
	return sip_params_sv(params, &nv, 1, value) != 0;
}
