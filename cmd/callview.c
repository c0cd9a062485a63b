/* callview.c - snapshots of finalised calls for the ladder renderers. */
#include <stdlib.h>
#include <string.h>

#include "../analyzer/sdp.h"
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
	endpoint_format(e, h->name, sizeof h->name);
	return (uint32_t)v->nhosts++;
}

static void sdp_brief(char *buf, size_t size, const struct sip_msg *m)
{
	struct sdp s;
	buf[0] = 0;
	if (!sip_msg_sdp_parse(m, &s) || !s.nmedia)
		return;
	const struct sdp_media *md = &s.media[0];
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
	v->kind = c->kind;
	v->state = c->state;
	v->final_status = c->final_status;
	v->start_ns = c->start_ns;
	v->end_ns = c->end_ns;
	v->duration_ns = c->answer_ns >= 0 ? (c->hangup_ns >= 0 ? c->hangup_ns : c->end_ns) - c->answer_ns : -1;
	v->msgs = xcalloc(c->nmsgs ? c->nmsgs : 1, sizeof *v->msgs);
	v->nmsgs = c->nmsgs;
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
			sdp_brief(x->sdp_brief, sizeof x->sdp_brief, m);
			x->sdp = x->sdp_brief[0] != 0;
		}
		if (keep_raw) {
			x->raw = xmalloc(m->raw_len + 1);
			memcpy(x->raw, m->raw, m->raw_len);
			x->raw[m->raw_len] = 0;
			x->raw_len = m->raw_len;
		}
	}
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

bool callview_cites(const struct callview *v, size_t i, const struct finding *f)
{
	if (i >= v->nmsgs)
		return false;
	uint64_t frame = v->msgs[i].frame;
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

void callview_free(struct callview *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->nmsgs; i++)
		free(v->msgs[i].raw);
	free(v->msgs);
	free(v->hosts);
	free(v->findings);
	free(v->call_id);
	free(v);
}
