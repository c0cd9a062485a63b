/* sipmsg.c - SIP message objects and typed header accessors (RFC 3261 §20).
 * Each message owns exactly one copy of its bytes; every slice points into it. */
#include "sipmsg.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "xalloc.h"

#define MAX_HDRS 256

static struct sv rebase(struct sv s, const char *from, const char *to)
{
	if (!s.p)
		return s;
	return sv_make(to + (s.p - from), s.len);
}


struct bcache;

/* What a message holds only while it is being looked at (sipmsg.h): where
 * the first header of each id is in the kept index (m->hidx, which is the
 * header index itself), and the typed headers parsed so far. */
struct sip_msg_x {
	uint32_t cached;
	bool derived_known;
	uint32_t derived_size; /* bytes held (the block may be larger than asked) */
	void *derived; /* sip_msg_derived */
	const struct bcache *derived_home; /* the dcache of the thread that allocated it */
	uint32_t cap;                      /* bytes of this block */
	const struct bcache *home;         /* the xcache of the thread that allocated it */
	uint16_t first[SIP_H_COUNT]; /* index+1 of the first header of each id */
	struct sip_cseq cseq_c;
	struct sip_nameaddr from_c, to_c;
	struct sip_tag from_tag_c, to_tag_c;
	struct sip_via via_c;
	struct sip_contact contact_c;
};

/* Bytes kept by sip_msg_derived_keep on all threads (a block may be freed
 * by another thread than the one that kept it). */
static _Atomic size_t derived_bytes;

/* Blocks dropped by the thread that allocated them, kept for its next
 * ones. The reader makes the header caches of every message and drops
 * them a moment later, once the call store has taken the message in; it
 * parses the SDP of every SDP message (B2BUA key, media) and drops it with
 * them. A 2 KB SDP block is past malloc's per-thread cache: a few blocks
 * of the thread's own save the allocator's slow path twice per message. */
#if defined(__SANITIZE_ADDRESS__)
#define BCACHE_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BCACHE_OFF 1
#endif
#endif
/* Under ASan no block is kept: a pointer into caches dropped would
 * read another message's headers instead of freed memory. Under Valgrind
 * a kept block is no-access until it is handed out again. */
#ifdef BCACHE_OFF
#define BCACHE_N 0
#else
#define BCACHE_N 8
#endif
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#endif
#endif
#ifndef VALGRIND_MAKE_MEM_NOACCESS
#define VALGRIND_MAKE_MEM_NOACCESS(p, n) ((void)(p), (void)(n))
#define VALGRIND_MAKE_MEM_UNDEFINED(p, n) ((void)(p), (void)(n))
#endif
struct bcache {
	struct {
		void *p;
		uint32_t cap;
	} b[BCACHE_N + 1]; /* + 1: no zero-length array when off */
	unsigned n;
};
static _Thread_local struct bcache xcache, dcache; /* header indexes, derived blocks */

static void bcache_put(struct bcache *c, void *p, uint32_t cap, const struct bcache *home)
{
#if BCACHE_N > 0 /* (n < 0 on an unsigned n is a warning) */
	if (home == c && c->n < BCACHE_N) {
		VALGRIND_MAKE_MEM_NOACCESS(p, cap);
		c->b[c->n].p = p;
		c->b[c->n].cap = cap;
		c->n++;
		return;
	}
#else
	(void)c, (void)cap, (void)home;
#endif
	free(p);
}

/* A block of n bytes or more: a cached one that wastes at most half of
 * itself, or a new one. */
static void *bcache_get(struct bcache *c, size_t n, uint32_t *cap)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->b[i].cap >= n && c->b[i].cap / 2 <= n) {
			void *p = c->b[i].p;
			*cap = c->b[i].cap;
			c->b[i] = c->b[--c->n];
			VALGRIND_MAKE_MEM_UNDEFINED(p, *cap);
			return p;
		}
	*cap = (uint32_t)n;
	return xmalloc(n);
}

static void bcache_free(struct bcache *c)
{
	while (c->n)
		free(c->b[--c->n].p);
}

/* This thread's expanded messages, so that they can be compacted at once. */
static _Thread_local struct sip_msg **xlist;
static _Thread_local size_t xlist_n, xlist_cap;

#define XSLOT_NONE UINT32_MAX

/* The caches of m, with where the first header of each id is (from the
 * kept index, unless fill is false: the caller fills x->first). */
static struct sip_msg_x *x_new(struct sip_msg *m, bool fill)
{
	uint32_t cap;
	struct sip_msg_x *x = bcache_get(&xcache, sizeof *x, &cap);
	x->cap = cap;
	x->home = &xcache;
	x->cached = 0;
	x->derived_known = false;
	x->derived_size = 0;
	x->derived = NULL;
	x->derived_home = NULL;
	memset(x->first, 0, sizeof x->first);
	for (uint32_t i = fill ? m->nhidx : 0; i-- > 0;)
		x->first[m->hidx[i].id] = (uint16_t)(i + 1);
	m->x = x;
	m->xslot = XSLOT_NONE;
	return x;
}

/* Puts m on this thread's list (an expansion on demand). A new message's
 * caches are not listed: the message may be handed to another thread (the
 * reader decodes, the analysis runs elsewhere), which drops them with
 * sip_msg_compact once it has taken the message in. */
static void x_list(struct sip_msg *m)
{
	if (xlist_n == xlist_cap) {
		xlist_cap = xlist_cap ? xlist_cap * 2 : 64;
		xlist = xrealloc(xlist, xlist_cap * sizeof *xlist);
	}
	m->xslot = (uint32_t)xlist_n;
	xlist[xlist_n++] = m;
}

_Static_assert(SIP_MAX_HEAD <= UINT16_MAX + 1, "offsets in a head fit struct sip_hidx");
_Static_assert(SIP_H_COUNT <= UINT8_MAX + 1, "a header id fits struct sip_hidx");

/* The kept index of a new message, from the parse's headers (slices into
 * from, the bytes raw is a copy of): offsets from the start, which are the
 * same in both. Every header the parse finds lies within the first
 * SIP_MAX_HEAD bytes, so 16 bits reach it; a name of SIP_HIDX_LONG_NAME
 * bytes or more is measured again when asked for (sip_msg_header). */
static void hidx_fill(struct sip_hidx *hx, uint16_t *first, const struct sip_header *tmp, size_t nh,
		      const char *from)
{
	for (size_t i = nh; i-- > 0;)
		first[tmp[i].id] = (uint16_t)(i + 1);
	for (size_t i = 0; i < nh; i++) {
		size_t no = (size_t)(tmp[i].name.p - from), vo = (size_t)(tmp[i].value.p - from);
		size_t nl = tmp[i].name.len < SIP_HIDX_LONG_NAME ? tmp[i].name.len : SIP_HIDX_LONG_NAME;
		hx[i] = (struct sip_hidx){ .name_off = (uint16_t)no, .value_off = (uint16_t)vo,
					   .value_len = (uint16_t)tmp[i].value.len, .name_len = (uint8_t)nl,
					   .id = (uint8_t)tmp[i].id };
	}
}

static void x_drop(struct sip_msg *m)
{
	if (!m->x)
		return;
	if (m->x->derived) {
		atomic_fetch_sub_explicit(&derived_bytes, m->x->derived_size, memory_order_relaxed);
		bcache_put(&dcache, m->x->derived, m->x->derived_size, m->x->derived_home);
	}
	bcache_put(&xcache, m->x, m->x->cap, m->x->home);
	m->x = NULL;
	if (m->xslot == XSLOT_NONE)
		return;
	struct sip_msg *last = xlist[--xlist_n];
	xlist[m->xslot] = last;
	last->xslot = m->xslot;
}

void sip_msg_compact(struct sip_msg *m)
{
	x_drop(m);
}

size_t sip_msg_kept_bytes(const struct sip_msg *m)
{
	return sizeof *m + m->nhidx * sizeof *m->hidx + m->raw_len + 1 + (size_t)m->ncarriers * sizeof *m->carriers;
}

size_t sip_msg_index_bytes(const struct sip_msg *m)
{
	return m->x ? m->x->cap + m->x->derived_size : 0;
}

void sip_msg_unlist(struct sip_msg *m)
{
	if (!m->x || m->xslot == XSLOT_NONE)
		return;
	struct sip_msg *last = xlist[--xlist_n];
	xlist[m->xslot] = last;
	last->xslot = m->xslot;
	m->xslot = XSLOT_NONE;
}

void sip_msg_compact_listed(struct sip_msg *m)
{
	if (m->x && m->xslot != XSLOT_NONE)
		x_drop(m);
}

/* The caches of a message, made when first asked for. */
static struct sip_msg_x *expand(const struct sip_msg *cm)
{
	struct sip_msg *m = (struct sip_msg *)cm; /* a cache: logically const */
	if (m->x)
		return m->x;
	struct sip_msg_x *x = x_new(m, true);
	x_list(m);
	return x;
}

void sip_msg_compact_all(void)
{
	while (xlist_n)
		x_drop(xlist[xlist_n - 1]);
	if (xlist_cap > 4096) { /* a burst (a big call finalised): give it back */
		free(xlist);
		xlist = NULL;
		xlist_cap = 0;
	}
}

void sip_msg_thread_end(void)
{
	sip_msg_compact_all();
	bcache_free(&xcache);
	bcache_free(&dcache);
	free(xlist);
	xlist = NULL;
	xlist_cap = 0;
}

enum {
	C_CSEQ = 1 << 0,
	C_FROM = 1 << 1,
	C_TO = 1 << 2,
	C_VIA = 1 << 3,
	C_CONTACT = 1 << 4,
	C_FROM_TAG = 1 << 5,
	C_TO_TAG = 1 << 6,
};

/* tmp: the parse's headers, slices into from (the bytes m->raw copies). */
static const char *check_mandatory(struct sip_msg *m, const struct sip_header *tmp, const char *from)
{
	static const struct {
		enum sip_hdr_id id;
		const char *missing;
		bool request_only;
	} mand[] = {
		{ SIP_H_VIA, "missing mandatory header Via", false },
		{ SIP_H_FROM, "missing mandatory header From", false },
		{ SIP_H_TO, "missing mandatory header To", false },
		{ SIP_H_CALL_ID, "missing mandatory header Call-ID", false },
		{ SIP_H_CSEQ, "missing mandatory header CSeq", false },
	};
	for (size_t i = 0; i < sizeof mand / sizeof mand[0]; i++) {
		if (mand[i].request_only && !m->start.is_request)
			continue;
		if (!m->x->first[mand[i].id])
			return mand[i].missing;
	}
	const uint16_t *first = m->x->first;
	if (sv_trim(tmp[first[SIP_H_CALL_ID] - 1].value).len == 0)
		return "empty Call-ID";
	struct sip_cseq *cs = &m->x->cseq_c; /* sip_msg_cseq's cache */
	bool cs_ok = sip_parse_cseq(tmp[first[SIP_H_CSEQ] - 1].value, cs);
	cs->method = rebase(cs->method, from, m->raw);
	m->x->cached |= C_CSEQ;
	if (!cs_ok)
		return "bad CSeq: not a number and a method";
	uint64_t v;
	if (first[SIP_H_CONTENT_LENGTH] &&
	    !sv_to_u64(sv_trim(tmp[first[SIP_H_CONTENT_LENGTH] - 1].value), UINT32_MAX, &v))
		return "bad Content-Length: not a number";
	return NULL;
}

static struct sip_msg *build(const char *p, size_t len, bool truncated_body, int r, struct sip_start st,
			     const struct sip_header *tmp, size_t nh, size_t ntotal, const char *err);

struct sip_msg *sip_msg_new(const char *p, size_t len, bool truncated_body)
{
	struct sip_header tmp[MAX_HDRS];
	size_t nh = MAX_HDRS, ntotal = 0;
	struct sip_start st;
	const char *err = NULL;
	int r = sip_parse_head(p, len, &st, tmp, &nh, &ntotal, &err);
	if (r < 0 && !sip_looks_like_start(p, len))
		return NULL;
	return build(p, len, truncated_body, r, st, tmp, nh, ntotal, err);
}

struct sip_msg *sip_msg_new_head(const char *p, size_t len, int r, const struct sip_start *st,
				 const struct sip_header *h, size_t nh, size_t ntotal)
{
	return build(p, len, false, r, *st, h, nh, ntotal, NULL);
}

struct sip_msg *sip_msg_new_garbled(const char *p, size_t len)
{
	struct sip_start st;
	memset(&st, 0, sizeof st);
	struct sip_msg *m = build(p, len, false, SIP_PARSE_INVALID, st, NULL, 0, 0, "bad start line");
	m->garbled = true;
	return m;
}

struct sip_msg *sip_msg_new_datagram(const char *p, size_t avail, size_t *consumed)
{
	struct sip_header tmp[MAX_HDRS];
	size_t nh = MAX_HDRS, ntotal = 0;
	struct sip_start st;
	const char *err = NULL;
	int r = sip_parse_head(p, avail, &st, tmp, &nh, &ntotal, &err);
	*consumed = avail;
	/* Not SIP: what sip_looks_like_start says. A head parsed has a start
	 * line it recognises, unless that line runs past the SIP_MAX_LINE
	 * bytes sip_looks_like_start reads. */
	if ((r < 0 || st.line.len + 2 > SIP_MAX_LINE) && !sip_looks_like_start(p, avail))
		return NULL;
	size_t len = avail;
	bool trunc = false;
	uint64_t clen;
	if (r >= 0 && sip_head_content_length(tmp, nh, &clen) == 1) {
		if ((uint64_t)r + clen > avail)
			trunc = true;
		else
			len = (size_t)r + (size_t)clen;
	}
	*consumed = len;
	return build(p, len, trunc, r, st, tmp, nh, ntotal, err);
}

static struct sip_msg *build(const char *p, size_t len, bool truncated_body, int r, struct sip_start st,
			     const struct sip_header *tmp, size_t nh, size_t ntotal, const char *err)
{
	/* The kept index (8 bytes a header), then the bytes. */
	size_t ib = nh * sizeof(struct sip_hidx);
	char *block = xmalloc(sizeof(struct sip_msg) + ib + len + 1);
	struct sip_msg *m = (struct sip_msg *)block;
	memset(m, 0, sizeof *m);
	char *raw = block + sizeof *m + ib;
	memcpy(raw, p, len);
	raw[len] = 0; /* convenience for debuggers only; slices carry lengths */
	m->raw = raw;
	m->raw_len = len;

	m->start = st;
	m->start.method = rebase(st.method, p, raw);
	m->start.uri = rebase(st.uri, p, raw);
	m->start.reason = rebase(st.reason, p, raw);
	m->start.version = rebase(st.version, p, raw);
	m->start.line = rebase(st.line, p, raw);
	struct sip_hidx *hx = (struct sip_hidx *)(block + sizeof *m);
	m->hidx = hx;
	m->nhidx = (uint32_t)nh;
	/* The caches, for the call store (sip_msg_compact drops them). What
	 * build reads is read from the parse's headers (p's bytes, in the
	 * cache), not from the copy just written, which waits on its lines. */
	struct sip_msg_x *x = x_new(m, false);
	hidx_fill(hx, x->first, tmp, nh, p);
	if (r < 0) {
		m->malformed = true;
		m->malformed_reason = r == SIP_PARSE_PARTIAL ? "header section not terminated by a blank line" : err;
		/* Keep what the start line says, for listings and grouping. */
		const char *nl = memchr(raw, '\n', len);
		size_t l = nl ? (size_t)(nl - raw) : len;
		if (l && raw[l - 1] == '\r')
			l--;
		const char *e2;
		if (!sip_parse_start(sv_make(raw, l), &m->start, &e2, false))
			memset(&m->start, 0, sizeof m->start);
		m->start.line = sv_make(raw, l);
		m->head_len = len;
		m->body = sv_make(raw + len, 0);
		return m;
	}
	m->head_len = (size_t)r;
	m->body = sv_make(raw + r, len - (size_t)r);

	const char *bad = check_mandatory(m, tmp, p);
	if (!bad && truncated_body)
		bad = "Content-Length beyond the end of the data";
	if (!bad && ntotal > nh)
		bad = "more than 256 header fields";
	if (m->start.is_request && !m->x->first[SIP_H_MAX_FORWARDS])
		m->nonconformance = "request without Max-Forwards (RFC 3261 §8.1.1)";
	if (bad) {
		m->malformed = true;
		m->malformed_reason = bad;
	}
	return m;
}

void sip_msg_free(struct sip_msg *m)
{
	if (!m)
		return;
	x_drop(m);
	free(m->carriers);
	free(m); /* one block: struct and bytes */
}

static struct sv hvalue(const struct sip_msg *m, size_t i)
{
	return sv_make(m->raw + m->hidx[i].value_off, m->hidx[i].value_len);
}

struct sv sip_msg_hdr(const struct sip_msg *m, enum sip_hdr_id id)
{
	const struct sip_msg_x *x = expand(m);
	unsigned i = x->first[id];
	return i ? hvalue(m, i - 1) : SV_NULL;
}

const void *sip_msg_derived(const struct sip_msg *m, bool *known)
{
	struct sip_msg_x *x = expand(m);
	*known = x->derived_known;
	return x->derived;
}

void *sip_msg_derived_keep(const struct sip_msg *m, size_t n)
{
	struct sip_msg_x *x = expand(m);
	if (x->derived_known)
		return NULL; /* kept once: the deriver asks only when not known */
	if (n == 0) {
		x->derived_known = true;
		return NULL;
	}
	if (n > UINT32_MAX)
		return NULL;
	if (atomic_fetch_add_explicit(&derived_bytes, n, memory_order_relaxed) + n > SIP_DERIVED_BUDGET) {
		atomic_fetch_sub_explicit(&derived_bytes, n, memory_order_relaxed);
		return NULL;
	}
	uint32_t cap;
	x->derived = bcache_get(&dcache, n, &cap);
	if (cap > n) /* the budget counts what is held */
		atomic_fetch_add_explicit(&derived_bytes, cap - n, memory_order_relaxed);
	x->derived_home = &dcache;
	x->derived_size = cap;
	x->derived_known = true;
	return x->derived;
}

bool sip_msg_has(const struct sip_msg *m, enum sip_hdr_id id)
{
	return expand(m)->first[id] != 0;
}

size_t sip_msg_nhdrs(const struct sip_msg *m)
{
	return m->nhidx;
}

struct sip_header sip_msg_header(const struct sip_msg *m, size_t i)
{
	const struct sip_hidx *h = &m->hidx[i];
	const char *name = m->raw + h->name_off;
	size_t nl = h->name_len < SIP_HIDX_LONG_NAME ? h->name_len : sip_token_len(name, m->raw_len - h->name_off);
	return (struct sip_header){ .name = sv_make(name, nl), .value = hvalue(m, i), .id = (enum sip_hdr_id)h->id };
}

struct sip_hdr_iter sip_hdr_iter(const struct sip_msg *m, enum sip_hdr_id id)
{
	const struct sip_msg_x *x = expand(m);
	unsigned first = x->first[id];
	return (struct sip_hdr_iter){ .m = m, .id = id, .h = first ? first - 1 : m->nhidx, .pos = 0 };
}

bool sip_hdr_next(struct sip_hdr_iter *it, struct sv *out)
{
	const struct sip_msg *m = it->m;
	for (; it->h < m->nhidx; it->h++, it->pos = 0) {
		if (m->hidx[it->h].id != it->id)
			continue;
		if (!sip_header_is_multi(it->id)) {
			*out = hvalue(m, it->h);
			it->h++;
			return true;
		}
		if (sip_list_next(hvalue(m, it->h), &it->pos, out))
			return true;
	}
	return false;
}

bool sip_msg_hdr_value(const struct sip_msg *m, enum sip_hdr_id id, size_t idx, struct sv *out)
{
	struct sip_hdr_iter it = sip_hdr_iter(m, id);
	struct sv v;
	while (sip_hdr_next(&it, &v))
		if (idx-- == 0) {
			*out = v;
			return true;
		}
	return false;
}

size_t sip_msg_hdr_count(const struct sip_msg *m, enum sip_hdr_id id)
{
	size_t n = 0;
	struct sv v;
	struct sip_hdr_iter it = sip_hdr_iter(m, id);
	while (sip_hdr_next(&it, &v))
		n++;
	return n;
}

struct sv sip_msg_call_id(const struct sip_msg *m)
{
	return sv_trim(sip_msg_hdr(m, SIP_H_CALL_ID));
}

bool sip_parse_cseq(struct sv v, struct sip_cseq *out)
{
	memset(out, 0, sizeof *out);
	v = sv_trim(v);
	if (!v.len)
		return false;
	size_t i = 0;
	while (i < v.len && v.p[i] >= '0' && v.p[i] <= '9')
		i++;
	uint64_t n;
	if (!sv_to_u64(sv_make(v.p, i), UINT32_MAX, &n))
		return false;
	struct sv method = sv_trim(sv_make(v.p + i, v.len - i));
	if (method.len == 0 || i == 0 || !sv_is_ws((unsigned char)v.p[i]))
		return false;
	for (size_t k = 0; k < method.len; k++)
		if (sv_is_ws((unsigned char)method.p[k]))
			return false;
	out->valid = true;
	out->num = (uint32_t)n;
	out->digits = (uint32_t)i;
	out->method = method;
	return true;
}

const struct sip_cseq *sip_msg_cseq(struct sip_msg *m)
{
	struct sip_msg_x *x = expand(m);
	if (!(x->cached & C_CSEQ)) {
		sip_parse_cseq(sip_msg_hdr(m, SIP_H_CSEQ), &x->cseq_c);
		x->cached |= C_CSEQ;
	}
	return &x->cseq_c;
}

struct sv sip_uri_user(struct sv uri)
{
	size_t skip = 0;
	if (sv_starts_ci(uri, "sip:"))
		skip = 4;
	else if (sv_starts_ci(uri, "sips:"))
		skip = 5;
	else if (sv_starts_ci(uri, "tel:")) {
		struct sv t = sv_make(uri.p + 4, uri.len - 4);
		ptrdiff_t semi = sv_find(t, ';');
		return semi >= 0 ? sv_make(t.p, (size_t)semi) : t;
	} else
		return SV_NULL;
	struct sv rest = sv_make(uri.p + skip, uri.len - skip);
	ptrdiff_t at = sv_find(rest, '@');
	if (at < 0)
		return SV_NULL;
	struct sv user = sv_make(rest.p, (size_t)at);
	ptrdiff_t colon = sv_find(user, ':'); /* user:password */
	if (colon >= 0)
		user.len = (size_t)colon;
	ptrdiff_t semi = sv_find(user, ';'); /* user params */
	if (semi >= 0)
		user.len = (size_t)semi;
	return user;
}

/* A name-addr or addr-spec value (§20.10, §25.1): its URI and the header
 * parameters after it, and (display not NULL, and empty on entry) its
 * display name unquoted.
 * False when it is neither (empty, an open quote, a '<' without '>'). */
static bool nameaddr_split(struct sv v, struct sv *display, struct sv *uri, struct sv *params)
{
	v = sv_trim(v);
	if (!v.len)
		return false;
	size_t i = 0;
	if (v.p[0] == '"') { /* quoted display name */
		i = 1;
		while (i < v.len && v.p[i] != '"') {
			if (v.p[i] == '\\' && i + 1 < v.len)
				i++;
			i++;
		}
		if (i >= v.len)
			return false;
		if (display) /* (kept when a '<' without '>' fails it after) */
			*display = sv_make(v.p + 1, i - 1);
		i++;
	}
	ptrdiff_t lt = sv_find(sv_make(v.p + i, v.len - i), '<');
	if (lt >= 0) {
		size_t s = i + (size_t)lt + 1;
		ptrdiff_t gt = sv_find(sv_make(v.p + s, v.len - s), '>');
		if (gt < 0)
			return false;
		if (display && !display->len)
			*display = sv_trim(sv_make(v.p + i, (size_t)lt));
		*uri = sv_trim(sv_make(v.p + s, (size_t)gt));
		*params = sv_make(v.p + s + (size_t)gt + 1, v.len - s - (size_t)gt - 1);
	} else {
		/* addr-spec: the URI runs to the first ';' (which starts header params) */
		struct sv rest = sv_trim(sv_make(v.p + i, v.len - i));
		ptrdiff_t semi = sv_find(rest, ';');
		*uri = semi >= 0 ? sv_make(rest.p, (size_t)semi) : rest;
		*params = semi >= 0 ? sv_make(rest.p + semi, rest.len - (size_t)semi) : SV_NULL;
	}
	return true;
}

bool sip_parse_nameaddr(struct sv v, struct sip_nameaddr *out)
{
	memset(out, 0, sizeof *out);
	struct sv params;
	if (!nameaddr_split(v, &out->display, &out->uri, &params))
		return false;
	sip_param(params, "tag", &out->tag);
	out->user = sip_uri_user(out->uri);
	out->valid = out->uri.len > 0;
	return out->valid;
}

/* sip_parse_nameaddr's valid and tag alone. */
static void parse_tag(struct sv v, struct sip_tag *out)
{
	struct sv uri, params;
	out->valid = false;
	out->tag = SV_NULL;
	if (!nameaddr_split(v, NULL, &uri, &params))
		return;
	sip_param(params, "tag", &out->tag);
	out->valid = uri.len > 0;
}

const struct sip_nameaddr *sip_msg_from(struct sip_msg *m)
{
	struct sip_msg_x *x = expand(m);
	if (!(x->cached & C_FROM)) {
		sip_parse_nameaddr(sip_msg_hdr(m, SIP_H_FROM), &x->from_c);
		x->cached |= C_FROM;
	}
	return &x->from_c;
}

const struct sip_nameaddr *sip_msg_to(struct sip_msg *m)
{
	struct sip_msg_x *x = expand(m);
	if (!(x->cached & C_TO)) {
		sip_parse_nameaddr(sip_msg_hdr(m, SIP_H_TO), &x->to_c);
		x->cached |= C_TO;
	}
	return &x->to_c;
}

/* From the whole parse when it is cached, else parsed alone (and cached). */
static const struct sip_tag *tag_of(struct sip_msg *m, enum sip_hdr_id id, unsigned whole, unsigned alone,
				    const struct sip_nameaddr *na, struct sip_tag *t)
{
	struct sip_msg_x *x = expand(m);
	if (!(x->cached & alone)) {
		if (x->cached & whole)
			*t = (struct sip_tag){ .valid = na->valid, .tag = na->tag };
		else
			parse_tag(sip_msg_hdr(m, id), t);
		x->cached |= alone;
	}
	return t;
}

const struct sip_tag *sip_msg_from_tag(struct sip_msg *m)
{
	struct sip_msg_x *x = expand(m);
	return tag_of(m, SIP_H_FROM, C_FROM, C_FROM_TAG, &x->from_c, &x->from_tag_c);
}

const struct sip_tag *sip_msg_to_tag(struct sip_msg *m)
{
	struct sip_msg_x *x = expand(m);
	return tag_of(m, SIP_H_TO, C_TO, C_TO_TAG, &x->to_c, &x->to_tag_c);
}

bool sip_parse_via(struct sv v, struct sip_via *out)
{
	/* Via: SIP / 2.0 / UDP host[:port] *(;param) (§20.42, §25.1) */
	memset(out, 0, sizeof *out);
	v = sv_trim(v);
	if (!v.len)
		return false;
	size_t i = 0;
	int slashes = 0;
	size_t tstart = 0;
	for (; i < v.len && slashes < 2; i++)
		slashes += v.p[i] == '/';
	if (slashes < 2)
		return false;
	while (i < v.len && sv_is_ws((unsigned char)v.p[i]))
		i++;
	tstart = i;
	while (i < v.len && !sv_is_ws((unsigned char)v.p[i]))
		i++;
	out->transport = sv_make(v.p + tstart, i - tstart);
	while (i < v.len && sv_is_ws((unsigned char)v.p[i]))
		i++;
	size_t hs = i;
	if (i < v.len && v.p[i] == '[') {
		while (i < v.len && v.p[i] != ']')
			i++;
		if (i < v.len)
			i++;
	} else {
		/* to ':', ';' or white space (sv_is_ws) */
		static const bool hstop[256] = { [':'] = true, [';'] = true, [' '] = true,
						 ['\t'] = true, ['\r'] = true, ['\n'] = true };
		while (i < v.len && !hstop[(unsigned char)v.p[i]])
			i++;
	}
	out->host = sv_make(v.p + hs, i - hs);
	while (i < v.len && sv_is_ws((unsigned char)v.p[i]))
		i++;
	if (i < v.len && v.p[i] == ':') {
		i++;
		while (i < v.len && sv_is_ws((unsigned char)v.p[i]))
			i++;
		size_t ps = i;
		while (i < v.len && v.p[i] >= '0' && v.p[i] <= '9')
			i++;
		uint64_t port;
		if (sv_to_u64(sv_make(v.p + ps, i - ps), 65535, &port))
			out->port = (uint16_t)port;
	}
	static const struct sv names[] = { SV_LIT("branch"), SV_LIT("received"), SV_LIT("rport") };
	struct sv vals[3];
	unsigned got = sip_params_sv(sv_make(v.p + i, v.len - i), names, 3, vals);
	if (got & 1)
		out->branch = vals[0];
	if (got & 2)
		out->received = vals[1];
	out->has_rport = got & 4;
	if (out->has_rport)
		out->rport = vals[2];
	out->valid = out->transport.len && out->host.len;
	return out->valid;
}

bool sip_msg_via_at(const struct sip_msg *m, size_t i, struct sip_via *out)
{
	struct sv v;
	if (!sip_msg_hdr_value(m, SIP_H_VIA, i, &v)) {
		memset(out, 0, sizeof *out);
		return false;
	}
	return sip_parse_via(v, out);
}

const struct sip_via *sip_msg_via(struct sip_msg *m)
{
	struct sip_msg_x *x = expand(m);
	if (!(x->cached & C_VIA)) {
		/* the first element of the first Via, as sip_msg_via_at(m, 0)
		 * finds it when that header has one (it looks further if not) */
		unsigned f = x->first[SIP_H_VIA];
		struct sv e;
		size_t pos = 0;
		if (f && sip_list_next(hvalue(m, f - 1), &pos, &e))
			sip_parse_via(e, &x->via_c);
		else
			sip_msg_via_at(m, 0, &x->via_c);
		x->cached |= C_VIA;
	}
	return &x->via_c;
}

bool sip_parse_contact(struct sv v, struct sip_contact *out)
{
	memset(out, 0, sizeof *out);
	out->expires = -1;
	v = sv_trim(v);
	if (v.len == 1 && v.p[0] == '*') {
		out->star = out->valid = true;
		return true;
	}
	struct sip_nameaddr na;
	if (!sip_parse_nameaddr(v, &na))
		return false;
	out->uri = na.uri;
	/* header params follow the URI (after '>' when bracketed) */
	ptrdiff_t gt = sv_find(v, '>');
	struct sv params = gt >= 0 ? sv_make(v.p + gt + 1, v.len - (size_t)gt - 1)
				   : sv_make(na.uri.p + na.uri.len, (size_t)(v.p + v.len - (na.uri.p + na.uri.len)));
	struct sv e;
	uint64_t n;
	if (sip_param(params, "expires", &e) && sv_to_u64(e, UINT32_MAX, &n))
		out->expires = (int64_t)n;
	out->valid = true;
	return true;
}

const struct sip_contact *sip_msg_contact(struct sip_msg *m)
{
	struct sip_msg_x *x = expand(m);
	if (!(x->cached & C_CONTACT)) {
		struct sv v;
		if (sip_msg_hdr_value(m, SIP_H_CONTACT, 0, &v)) {
			sip_parse_contact(v, &x->contact_c);
		} else { /* the index block is not zeroed: every field, here too */
			memset(&x->contact_c, 0, sizeof x->contact_c);
			x->contact_c.expires = -1;
		}
		x->cached |= C_CONTACT;
	}
	return &x->contact_c;
}

int64_t sip_msg_int(const struct sip_msg *m, enum sip_hdr_id id)
{
	struct sv v = sv_trim(sip_msg_hdr(m, id));
	size_t i = 0;
	while (i < v.len && v.p[i] >= '0' && v.p[i] <= '9')
		i++; /* Session-Expires: 1800;refresher=uac */
	uint64_t n;
	if (!sv_to_u64(sv_make(v.p, i), INT64_MAX, &n))
		return -1;
	return (int64_t)n;
}

/* auth-param list: name=value or name="value", comma separated (§25.1). */
static bool auth_param(struct sv list, const char *name, struct sv *out)
{
	size_t pos = 0;
	struct sv e;
	while (sip_list_next(list, &pos, &e)) {
		ptrdiff_t eq = sv_find(e, '=');
		if (eq < 0)
			continue;
		struct sv n = sv_trim(sv_make(e.p, (size_t)eq));
		if (!sv_eq_cstr_ci(n, name))
			continue;
		struct sv v = sv_trim(sv_make(e.p + eq + 1, e.len - (size_t)eq - 1));
		if (v.len >= 2 && v.p[0] == '"' && v.p[v.len - 1] == '"')
			v = sv_make(v.p + 1, v.len - 2);
		*out = v;
		return true;
	}
	return false;
}

bool sip_parse_auth(struct sv v, struct sip_auth *out)
{
	memset(out, 0, sizeof *out);
	v = sv_trim(v);
	size_t i = 0;
	while (i < v.len && !sv_is_ws((unsigned char)v.p[i]))
		i++;
	if (!i)
		return false;
	out->scheme = sv_make(v.p, i);
	struct sv rest = sv_make(v.p + i, v.len - i);
	auth_param(rest, "realm", &out->realm);
	auth_param(rest, "username", &out->username);
	auth_param(rest, "nonce", &out->nonce);
	out->valid = true;
	return true;
}

bool sip_msg_auth(const struct sip_msg *m, enum sip_hdr_id id, struct sip_auth *out)
{
	struct sv v = sip_msg_hdr(m, id);
	if (!v.p) {
		memset(out, 0, sizeof *out);
		return false;
	}
	return sip_parse_auth(v, out);
}
