/* sdp.c - SDP (RFC 8866) and multipart bodies (RFC 2046 §5.1, RFC 5621). */
#include "sdp.h"

#include <stddef.h>
#include <string.h>

#include "xalloc.h"

static bool next_line(struct sv body, size_t *pos, struct sv *line)
{
	if (*pos >= body.len)
		return false;
	const char *s = body.p + *pos;
	const char *nl = memchr(s, '\n', body.len - *pos);
	size_t n = nl ? (size_t)(nl - s) : body.len - *pos;
	*pos += n + (nl ? 1 : 0);
	if (n && s[n - 1] == '\r')
		n--;
	*line = sv_make(s, n);
	return true;
}

/* Splits off the next space-separated field. */
static struct sv field(struct sv *rest)
{
	if (!rest->p)
		return SV_NULL; /* never compute NULL + 0 */
	size_t i = 0;
	while (i < rest->len && rest->p[i] == ' ')
		i++;
	size_t s = i;
	while (i < rest->len && rest->p[i] != ' ')
		i++;
	struct sv f = sv_make(rest->p + s, i - s);
	*rest = sv_make(rest->p + i, rest->len - i);
	return f;
}

static bool parse_u16(struct sv s, uint16_t *out)
{
	uint64_t v;
	if (!sv_to_u64(s, 65535, &v))
		return false;
	*out = (uint16_t)v;
	return true;
}

/* "IN IP4 192.0.2.1[/ttl]" */
static void parse_conn(struct sv v, struct sdp_conn *c)
{
	struct sv net = field(&v), at = field(&v), addr = field(&v);
	if (!sv_eq_cstr_ci(net, "IN"))
		return;
	ptrdiff_t slash = sv_find(addr, '/');
	if (slash >= 0)
		addr.len = (size_t)slash;
	c->family = sv_eq_cstr_ci(at, "IP6") ? 6 : sv_eq_cstr_ci(at, "IP4") ? 4 : 0;
	c->addr = addr;
}

static enum sdp_dir dir_attr(struct sv a)
{
	if (sv_eq_cstr_ci(a, "sendrecv"))
		return SDP_SENDRECV;
	if (sv_eq_cstr_ci(a, "sendonly"))
		return SDP_SENDONLY;
	if (sv_eq_cstr_ci(a, "recvonly"))
		return SDP_RECVONLY;
	if (sv_eq_cstr_ci(a, "inactive"))
		return SDP_INACTIVE;
	return SDP_DIR_UNSET;
}

static struct sdp_rtpmap *map_for(struct sdp_media *m, int pt, bool create)
{
	for (unsigned i = 0; i < m->nmap; i++)
		if (m->map[i].pt == pt)
			return &m->map[i];
	if (!create || m->nmap == SDP_MAX_RTPMAP)
		return NULL;
	struct sdp_rtpmap *r = &m->map[m->nmap++];
	memset(r, 0, sizeof *r);
	r->pt = pt;
	return r;
}

static void media_attr(struct sdp_media *m, struct sv name, struct sv val)
{
	uint64_t n;
	if (sv_eq_cstr_ci(name, "rtpmap")) { /* <pt> <enc>/<clock>[/<params>] */
		struct sv pt = field(&val);
		struct sv enc = sv_trim(val);
		if (!sv_to_u64(pt, 127, &n))
			return;
		struct sdp_rtpmap *r = map_for(m, (int)n, true);
		if (!r)
			return;
		ptrdiff_t s1 = sv_find(enc, '/');
		r->encoding = s1 >= 0 ? sv_make(enc.p, (size_t)s1) : enc;
		if (s1 >= 0) {
			struct sv rest = sv_make(enc.p + s1 + 1, enc.len - (size_t)s1 - 1);
			ptrdiff_t s2 = sv_find(rest, '/');
			struct sv clock = s2 >= 0 ? sv_make(rest.p, (size_t)s2) : rest;
			if (sv_to_u64(clock, UINT32_MAX, &n))
				r->clock = (uint32_t)n;
			if (s2 >= 0)
				r->params = sv_make(rest.p + s2 + 1, rest.len - (size_t)s2 - 1);
		}
	} else if (sv_eq_cstr_ci(name, "fmtp")) {
		struct sv pt = field(&val);
		if (!sv_to_u64(pt, 127, &n))
			return;
		struct sdp_rtpmap *r = map_for(m, (int)n, true);
		if (r)
			r->fmtp = sv_trim(val);
	} else if (sv_eq_cstr_ci(name, "rtcp")) { /* RFC 3605: port [nettype addrtype addr] */
		struct sv port = field(&val);
		parse_u16(port, &m->rtcp_port);
		parse_conn(val, &m->rtcp_conn);
	} else if (sv_eq_cstr_ci(name, "rtcp-mux")) {
		m->rtcp_mux = true;
	} else if (sv_eq_cstr_ci(name, "crypto")) { /* RFC 4568 SDES keys: SRTP */
		m->crypto = true;
	} else if (sv_eq_cstr_ci(name, "candidate")) { /* ... typ host|srflx|prflx|relay */
		m->candidates++;
		/* foundation component transport priority address port typ type ... */
		struct sv found = field(&val), comp = field(&val), transport = field(&val);
		struct sv prio = field(&val), addr = field(&val), port = field(&val);
		(void)found;
		(void)prio;
		struct sdp_cand c = { .addr = addr, .type = CAND_OTHER };
		uint16_t component = 0;
		bool ok = parse_u16(comp, &component) && parse_u16(port, &c.port) && addr.len;
		c.component = component > 255 ? 0 : (uint8_t)component;
		struct sv f;
		while ((f = field(&val)).len) {
			if (sv_eq_cstr_ci(f, "typ")) {
				struct sv t = field(&val);
				if (sv_eq_cstr_ci(t, "host")) {
					m->cand_host++;
					c.type = CAND_HOST;
				} else if (sv_eq_cstr_ci(t, "srflx") || sv_eq_cstr_ci(t, "prflx")) {
					m->cand_srflx++;
					c.type = sv_eq_cstr_ci(t, "srflx") ? CAND_SRFLX : CAND_PRFLX;
				} else if (sv_eq_cstr_ci(t, "relay")) {
					m->cand_relay++;
					c.type = CAND_RELAY;
				}
				break;
			}
		}
		if (ok && sv_eq_cstr_ci(transport, "udp") && m->ncand < SDP_MAX_CAND)
			m->cand[m->ncand++] = c;
	}
}

/* The next "x=value" line after the v= line: 1 (type and value), 0 at
 * the end, -1 when the body is not SDP. The body may start with blank
 * lines; the first real line must be v=; junk lines after it are
 * tolerated. */
static int typed_line(struct sv body, size_t *pos, bool *seen_v, char *type, struct sv *val)
{
	struct sv line;
	while (next_line(body, pos, &line)) {
		if (line.len == 0)
			continue;
		if (line.len < 2 || line.p[1] != '=') {
			if (!*seen_v)
				return -1;
			continue;
		}
		*type = line.p[0];
		*val = sv_make(line.p + 2, line.len - 2);
		if (*seen_v)
			return 1;
		if (*type != 'v')
			return -1;
		*seen_v = true;
	}
	return *seen_v ? 0 : -1;
}

/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <addr> */
static void origin_line(struct sv val, struct sv *user, struct sv *id, struct sv *version, struct sdp_conn *conn)
{
	*user = field(&val);
	*id = field(&val);
	*version = field(&val);
	parse_conn(val, conn);
}

/* m=<media> <port>[/<n>] <proto> <fmt>...: the media, port, number of
 * ports; rest: from the proto on. */
static void media_line(struct sv val, struct sv *type, uint16_t *port, uint16_t *nports, struct sv *rest)
{
	*type = field(&val);
	struct sv p = field(&val);
	ptrdiff_t slash = sv_find(p, '/');
	*nports = 1;
	if (slash >= 0) {
		parse_u16(sv_make(p.p + slash + 1, p.len - (size_t)slash - 1), nports);
		p.len = (size_t)slash;
	}
	parse_u16(p, port);
	*rest = val;
}

bool sdp_parse_origin(struct sv body, struct sdp_origin *o)
{
	memset(o, 0, sizeof *o);
	size_t pos = 0;
	bool seen_v = false;
	char type;
	struct sv val;
	int r;
	while ((r = typed_line(body, &pos, &seen_v, &type, &val)) > 0) {
		if (type == 'o') {
			origin_line(val, &o->user, &o->sess_id, &o->sess_version, &o->conn);
		} else if (type == 'm' && !o->has_media) {
			struct sv t, rest;
			uint16_t nports;
			media_line(val, &t, &o->port, &nports, &rest);
			o->has_media = true;
		}
	}
	return r == 0;
}

bool sdp_parse(struct sv body, struct sdp *s)
{
	memset(s, 0, offsetof(struct sdp, media));
	size_t pos = 0;
	bool seen_v = false;
	struct sdp_media *m = NULL;
	char type;
	struct sv val;
	int r;
	while ((r = typed_line(body, &pos, &seen_v, &type, &val)) > 0) {
		switch (type) {
		case 'o':
			origin_line(val, &s->o_user, &s->o_sess_id, &s->o_sess_version, &s->o_conn);
			break;
		case 'c':
			parse_conn(val, m ? &m->conn : &s->conn);
			break;
		case 'm': {
			s->media_total++;
			if (s->nmedia == SDP_MAX_MEDIA) {
				m = NULL;
				break;
			}
			m = &s->media[s->nmedia++];
			memset(m, 0, sizeof *m);
			media_line(val, &m->type, &m->port, &m->nports, &val);
			m->proto = field(&val);
			struct sv f;
			while ((f = field(&val)).len && m->nfmt < SDP_MAX_FORMATS) {
				uint64_t pt;
				m->fmt_token[m->nfmt] = f;
				m->fmt[m->nfmt++] = sv_to_u64(f, 127, &pt) ? (int)pt : -1;
			}
			break;
		}
		case 'a': {
			ptrdiff_t colon = sv_find(val, ':');
			struct sv name = colon >= 0 ? sv_make(val.p, (size_t)colon) : val;
			struct sv v = colon >= 0 ? sv_make(val.p + colon + 1, val.len - (size_t)colon - 1)
					       : sv_make(val.p + val.len, 0);
			enum sdp_dir d = colon < 0 ? dir_attr(name) : SDP_DIR_UNSET;
			if (d != SDP_DIR_UNSET) {
				if (m)
					m->dir = d;
				else
					s->dir = d;
			} else if (m) {
				media_attr(m, name, v);
			} else if (sv_eq_cstr_ci(name, "candidate")) {
				/* session-level candidates are not meaningful; ignore */
			}
			break;
		}
		default:
			break;
		}
	}
	if (r < 0)
		return false;
	for (unsigned i = 0; i < s->nmedia; i++) {
		struct sdp_media *x = &s->media[i];
		if (!x->conn.family)
			x->conn = s->conn;
		if (x->dir == SDP_DIR_UNSET)
			x->dir = s->dir != SDP_DIR_UNSET ? s->dir : SDP_SENDRECV;
	}
	return true;
}

static size_t sdp_size(const struct sdp *s)
{
	return offsetof(struct sdp, media) + s->nmedia * sizeof s->media[0];
}

/* SDPs parsed but not kept (over SIP_DERIVED_BUDGET): a caller holds at
 * most two at once (an offer and its answer). */
#define SDP_RING 4

/* No SDP, without expanding the index to say so. */
static bool no_sdp(const struct sip_msg *m)
{
	return m->malformed || !m->body.len;
}

const struct sdp *sip_msg_sdp_get(const struct sip_msg *m)
{
	static _Thread_local struct sdp ring[SDP_RING];
	static _Thread_local unsigned next;
	if (no_sdp(m))
		return NULL;
	bool known;
	const struct sdp *kept = sip_msg_derived(m, &known);
	if (known)
		return kept;
	struct sdp *s = &ring[next];
	struct sv body;
	if (!sip_msg_sdp(m, &body) || !sdp_parse(body, s)) {
		sip_msg_derived_keep(m, 0);
		return NULL;
	}
	size_t n = sdp_size(s);
	void *k = sip_msg_derived_keep(m, n);
	if (k)
		return memcpy(k, s, n);
	next = (next + 1) % SDP_RING;
	return s;
}

bool sip_msg_sdp_origin(const struct sip_msg *m, bool whole, struct sdp_origin *o)
{
	if (no_sdp(m))
		return false;
	bool known = true;
	const struct sdp *s = whole ? sip_msg_sdp_get(m) : sip_msg_derived(m, &known);
	if (!known) { /* not parsed yet, and not wanted whole */
		struct sv body;
		return sip_msg_sdp(m, &body) && sdp_parse_origin(body, o);
	}
	if (!s)
		return false;
	*o = (struct sdp_origin){ s->o_user, s->o_sess_id, s->o_sess_version, s->o_conn, s->nmedia > 0,
				  s->nmedia ? s->media[0].port : 0 };
	return true;
}

bool sip_msg_sdp_parse(const struct sip_msg *m, struct sdp *out)
{
	const struct sdp *s = sip_msg_sdp_get(m);
	if (!s)
		return false;
	memcpy(out, s, sdp_size(s));
	return true;
}

const char *sdp_dir_name(enum sdp_dir d)
{
	switch (d) {
	case SDP_SENDRECV: return "sendrecv";
	case SDP_SENDONLY: return "sendonly";
	case SDP_RECVONLY: return "recvonly";
	case SDP_INACTIVE: return "inactive";
	default: return "unset";
	}
}

/* type/subtype of a Content-Type value, without parameters. */
static struct sv media_type(struct sv ct)
{
	ct = sv_trim(ct);
	ptrdiff_t semi = sv_find(ct, ';');
	return sv_trim(semi >= 0 ? sv_make(ct.p, (size_t)semi) : ct);
}

static bool find_sdp_part(struct sv body, struct sv boundary, struct sv *out)
{
	/* Parts are delimited by CRLF "--" boundary; the first may lack the CRLF. */
	size_t pos = 0;
	for (;;) {
		const char *b = NULL;
		for (size_t i = pos; i + 2 + boundary.len <= body.len; i++) {
			if (body.p[i] == '-' && body.p[i + 1] == '-' && (i == 0 || body.p[i - 1] == '\n') &&
			    memcmp(body.p + i + 2, boundary.p, boundary.len) == 0) {
				b = body.p + i;
				break;
			}
		}
		if (!b)
			return false;
		size_t after = (size_t)(b - body.p) + 2 + boundary.len;
		if (after + 2 <= body.len && body.p[after] == '-' && body.p[after + 1] == '-')
			return false; /* closing delimiter */
		/* part headers run to a blank line */
		size_t hp = after;
		struct sv line;
		struct sv ct = SV_NULL;
		next_line(body, &hp, &line); /* rest of the delimiter line */
		while (next_line(body, &hp, &line) && line.len) {
			ptrdiff_t colon = sv_find(line, ':');
			if (colon > 0 && (sv_eq_cstr_ci(sv_trim(sv_make(line.p, (size_t)colon)), "Content-Type") ||
					  sv_eq_cstr_ci(sv_trim(sv_make(line.p, (size_t)colon)), "c")))
				ct = sv_make(line.p + colon + 1, line.len - (size_t)colon - 1);
		}
		/* content runs to the next delimiter */
		size_t end = body.len;
		for (size_t i = hp; i + 2 + boundary.len <= body.len; i++) {
			if (body.p[i] == '-' && body.p[i + 1] == '-' && i > 0 && body.p[i - 1] == '\n' &&
			    memcmp(body.p + i + 2, boundary.p, boundary.len) == 0) {
				end = i;
				break;
			}
		}
		if (sv_eq_cstr_ci(media_type(ct), "application/sdp")) {
			*out = sv_make(body.p + hp, end - hp);
			return true;
		}
		pos = end;
		if (end >= body.len)
			return false;
	}
}

bool sip_msg_sdp(const struct sip_msg *m, struct sv *sdp)
{
	if (m->malformed || m->body.len == 0)
		return false;
	struct sv ct = sip_msg_hdr(m, SIP_H_CONTENT_TYPE);
	struct sv mt = media_type(ct);
	if (sv_eq_cstr_ci(mt, "application/sdp")) {
		*sdp = m->body;
		return true;
	}
	if (sv_starts_ci(mt, "multipart/")) {
		struct sv boundary;
		if (!sip_param(ct, "boundary", &boundary) || boundary.len == 0 || boundary.len > 70)
			return false;
		return find_sdp_part(m->body, boundary, sdp);
	}
	return false;
}
