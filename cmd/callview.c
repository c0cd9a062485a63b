/* callview.c - snapshots of finalised calls for the ladder renderers. */
#include <stdlib.h>
#include <string.h>

#include "../analyzer/sip/sdp.h"
#include "../analyzer/xalloc.h"
#include "callview.h"

/* Printable copy of v: control bytes and non-ASCII become '?'. */
static void printable(char *dst, size_t size, struct sv v)
{
	size_t n = 0;
	for (size_t i = 0; v.p && i < v.len && n + 1 < size; i++) {
		unsigned char ch = (unsigned char)v.p[i];
		dst[n++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	dst[n] = 0;
}

static uint32_t host_of(struct callview *v, const struct endpoint *e)
{
	for (size_t i = 0; i < v->nhosts; i++)
		if (endpoint_eq(&v->hosts[i].ep, e))
			return (uint32_t)i;
	v->hosts = xrealloc(v->hosts, (v->nhosts + 1) * sizeof *v->hosts);
	struct cv_host *h = &v->hosts[v->nhosts];
	h->ep = *e;
	h->media = false;
	endpoint_format(e, h->name, sizeof h->name);
	return (uint32_t)v->nhosts++;
}

static bool same_ip(const struct endpoint *a, const struct endpoint *b)
{
	return a->family == b->family && memcmp(a->ip, b->ip, sizeof a->ip) == 0;
}

/* A media address an SDP announced, and the column of the message's sender. */
struct announced {
	struct endpoint ep;
	uint32_t col;
};

struct announcements {
	struct announced *a;
	size_t n, cap;
};

static void announce(struct announcements *A, const struct sdp *s, uint32_t col)
{
	for (unsigned k = 0; k < s->nmedia; k++) {
		const struct sdp_media *md = &s->media[k];
		struct endpoint e = { 0 };
		int fam = md->conn.addr.p ? ip_parse(md->conn.addr.p, md->conn.addr.len, e.ip) : 0;
		if (!fam || !md->port)
			continue;
		e.family = (uint8_t)fam;
		e.port = md->port;
		if (A->n == A->cap) {
			A->cap = A->cap ? A->cap * 2 : 8;
			A->a = xrealloc(A->a, A->cap * sizeof *A->a);
		}
		A->a[A->n++] = (struct announced){ e, col };
	}
}

/* The column of a stream end: a SIP host with its address (the one that
 * announced exactly this address, else the sender of the SDP that tied the
 * stream, else one that announced media at all, else the first), else a
 * media column with its address, else a new media column. */
static uint32_t stream_host(struct callview *v, const struct announcements *A, const struct endpoint *e,
			    int64_t sdp_col)
{
	for (size_t k = 0; k < A->n; k++)
		if (endpoint_eq(&A->a[k].ep, e) && same_ip(&v->hosts[A->a[k].col].ep, e))
			return A->a[k].col;
	if (sdp_col >= 0 && same_ip(&v->hosts[sdp_col].ep, e))
		return (uint32_t)sdp_col;
	for (size_t k = 0; k < A->n; k++)
		if (same_ip(&v->hosts[A->a[k].col].ep, e))
			return A->a[k].col;
	for (size_t i = 0; i < v->nhosts; i++) /* SIP hosts first: media columns come after them */
		if (same_ip(&v->hosts[i].ep, e))
			return (uint32_t)i;
	uint32_t h = host_of(v, e);
	v->hosts[h].media = true;
	return h;
}

static void sdp_brief(char *buf, size_t size, const struct sdp *s)
{
	buf[0] = 0;
	if (!s->nmedia)
		return;
	const struct sdp_media *md = &s->media[0];
	char type[16], addr[48], codec[24] = "";
	printable(type, sizeof type, md->type);
	printable(addr, sizeof addr, md->conn.addr);
	for (unsigned j = 0; md->nfmt && j < md->nmap; j++)
		if (md->map[j].pt == md->fmt[0])
			printable(codec, sizeof codec, md->map[j].encoding);
	if (!codec[0] && md->nfmt)
		printable(codec, sizeof codec, md->fmt_token[0]);
	const char *dir = md->dir == SDP_SENDONLY ? " sendonly" : md->dir == SDP_RECVONLY ? " recvonly"
						  : md->dir == SDP_INACTIVE ? " inactive" : "";
	if (strchr(addr, ':'))
		snprintf(buf, size, "%s [%s]:%u %s%s", type, addr, md->port, codec, dir);
	else
		snprintf(buf, size, "%s %s:%u %s%s", type, addr[0] ? addr : "-", md->port, codec, dir);
}

struct callview *callview_new(const struct call *c, bool keep_raw)
{
	struct callview *v = xcalloc(1, sizeof *v);
	v->number = c->seq + 1;
	v->input = c->input;
	v->call_id = xstrdup(c->call_id);
	const struct sip_nameaddr *na = call_party(c, false);
	if (na)
		printable(v->from, sizeof v->from, na->uri);
	na = call_party(c, true);
	if (na)
		printable(v->to, sizeof v->to, na->uri);
	size_t ll = 0;
	for (uint32_t i = 0; i < c->nlinks; i++) {
		int n = snprintf(v->legs + ll, sizeof v->legs - ll, "%s#%llu by %s", i ? ", " : "",
				 (unsigned long long)(c->links[i].peer_seq + 1), c->links[i].how);
		if (n < 0 || (size_t)n >= sizeof v->legs - ll) {
			v->legs[ll] = 0;
			break;
		}
		ll += (size_t)n;
	}
	v->kind = c->kind;
	v->state = c->state;
	v->final_status = c->final_status;
	v->start_ns = c->start_ns;
	v->end_ns = c->end_ns;
	v->duration_ns = c->duration_ns;
	v->msgs = xcalloc(c->nmsgs ? c->nmsgs : 1, sizeof *v->msgs);
	v->nmsgs = c->nmsgs;
	struct announcements ann = { 0 };
	for (uint32_t i = 0; i < c->nmsgs; i++) {
		const struct call_msg *cm = &c->msgs[i];
		struct sip_msg *m = cm->m;
		struct cv_msg *x = &v->msgs[i];
		x->frame = m->frame;
		x->ns = msg_ns(m);
		x->src = host_of(v, &m->src);
		x->dst = host_of(v, &m->dst);
		x->transport = m->transport;
		x->request = m->start.is_request;
		x->flags = cm->flags;
		x->malformed = m->malformed;
		if (m->start.is_request) {
			printable(x->label, sizeof x->label, m->start.method);
		} else if (m->start.status) {
			x->status = m->start.status;
			char reason[40];
			printable(reason, sizeof reason, m->start.reason);
			snprintf(x->label, sizeof x->label, "%d %s", m->start.status, reason);
		}
		if (!x->label[0])
			snprintf(x->label, sizeof x->label, "%s", m->malformed ? "(malformed)" : "?");
		if (!m->malformed) {
			const struct sip_cseq *cs = sip_msg_cseq(m);
			if (cs->valid) {
				x->cseq = cs->num;
				printable(x->cseq_method, sizeof x->cseq_method, cs->method);
			}
			struct sdp sd;
			if (sip_msg_sdp_parse(m, &sd)) {
				sdp_brief(x->sdp_brief, sizeof x->sdp_brief, &sd);
				announce(&ann, &sd, x->src);
			}
			x->sdp = x->sdp_brief[0] != 0;
		}
		if (keep_raw) {
			x->raw = xmalloc(m->raw_len + 1);
			memcpy(x->raw, m->raw, m->raw_len);
			x->raw[m->raw_len] = 0;
			x->raw_len = m->raw_len;
		}
	}

	v->streams = xcalloc(c->nmedia ? c->nmedia : 1, sizeof *v->streams);
	v->nstreams = c->nmedia;
	for (uint32_t j = 0; j < c->nmedia; j++) {
		struct cv_stream *st = &v->streams[j];
		st->s = c->media[j];
		/* texts from SDP: printable, terminated */
		const struct media_stream *ms = &c->media[j];
		printable(st->s.codec, sizeof st->s.codec,
			  (struct sv){ ms->codec, strnlen(ms->codec, sizeof ms->codec) });
		printable(st->s.media, sizeof st->s.media,
			  (struct sv){ ms->media, strnlen(ms->media, sizeof ms->media) });
		endpoint_format(&st->s.src, st->src_name, sizeof st->src_name);
		endpoint_format(&st->s.dst, st->dst_name, sizeof st->dst_name);
		int64_t sdp_col = -1;
		if (st->s.sdp_msg >= 0 && (uint32_t)st->s.sdp_msg < c->nmsgs) {
			st->sdp_frame = v->msgs[st->s.sdp_msg].frame;
			sdp_col = v->msgs[st->s.sdp_msg].src;
		}
		st->src = stream_host(v, &ann, &st->s.src, sdp_col);
		st->dst = stream_host(v, &ann, &st->s.dst, sdp_col);
	}
	free(ann.a);

	v->nitems = v->nmsgs + v->nstreams;
	v->items = xcalloc(v->nitems ? v->nitems : 1, sizeof *v->items);
	size_t n = 0, j = 0;
	for (size_t i = 0; i < v->nmsgs; i++) {
		while (j < v->nstreams && v->streams[j].s.start_ns < v->msgs[i].ns)
			v->items[n++] = (struct cv_item){ CV_STREAM, (uint32_t)j++ };
		v->items[n++] = (struct cv_item){ CV_MSG, (uint32_t)i };
	}
	while (j < v->nstreams)
		v->items[n++] = (struct cv_item){ CV_STREAM, (uint32_t)j++ };
	return v;
}

void callview_add_finding(struct callview *v, const struct finding *f)
{
	if (v->nfindings == v->findings_cap) {
		v->findings_cap = v->findings_cap ? v->findings_cap * 2 : 4;
		v->findings = xrealloc(v->findings, v->findings_cap * sizeof *v->findings);
	}
	v->findings[v->nfindings++] = f;
}

static bool has_frame(const struct finding *f, uint64_t frame)
{
	size_t lo = 0, hi = f->nframes;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (f->frames[mid] < frame)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < f->nframes && f->frames[lo] == frame;
}

bool callview_cites(const struct callview *v, size_t i, const struct finding *f)
{
	return i < v->nmsgs && has_frame(f, v->msgs[i].frame);
}

bool callview_stream_cites(const struct callview *v, size_t j, const struct finding *f, bool *key)
{
	if (key)
		*key = false;
	if (j >= v->nstreams)
		return false;
	const struct media_stream *s = &v->streams[j].s;
	uint64_t fr[3] = { s->first_frame, s->last_frame, s->max_delta_frame };
	bool cites = false;
	for (int k = 0; k < 3; k++) {
		if (!fr[k])
			continue;
		if (has_frame(f, fr[k]) || f->frame == fr[k])
			cites = true;
		if (key && f->frame == fr[k])
			*key = true;
	}
	return cites;
}

bool callview_item_cites(const struct callview *v, size_t k, const struct finding *f, bool *key)
{
	if (key)
		*key = false;
	if (k >= v->nitems)
		return false;
	const struct cv_item *it = &v->items[k];
	if (it->kind == CV_STREAM)
		return callview_stream_cites(v, it->i, f, key);
	bool c = callview_cites(v, it->i, f);
	if (c && key)
		*key = f->frame == v->msgs[it->i].frame;
	return c;
}

uint64_t callview_item_frame(const struct callview *v, size_t k)
{
	if (k >= v->nitems)
		return 0;
	const struct cv_item *it = &v->items[k];
	return it->kind == CV_STREAM ? v->streams[it->i].s.first_frame : v->msgs[it->i].frame;
}

int64_t callview_item_ns(const struct callview *v, size_t k)
{
	if (k >= v->nitems)
		return 0;
	const struct cv_item *it = &v->items[k];
	return it->kind == CV_STREAM ? v->streams[it->i].s.start_ns : v->msgs[it->i].ns;
}

void callview_free(struct callview *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->nmsgs; i++)
		free(v->msgs[i].raw);
	free(v->msgs);
	free(v->streams);
	free(v->items);
	free(v->hosts);
	free(v->findings);
	free(v->call_id);
	free(v);
}
