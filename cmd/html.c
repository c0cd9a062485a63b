/* html.c - the data of the HTML pages (one call as JSON, findings), the page
 * around them, and the HTML ladder of --ladder CALL --format html. */
#include <stdlib.h>
#include <string.h>

#include "../analyzer/sip/sdp.h"
#include "../analyzer/sip/sipmsg.h"
#include "../analyzer/xalloc.h"
#include "html.h"
#include "ladder.h"

/* Milliseconds from t0, rounded to the microsecond. */
static json_t *ms_json(int64_t ns, int64_t t0)
{
	return json_real((double)((ns - t0) / 1000) / 1000.0);
}

static json_t *str_json(const char *s)
{
	return report_json_bytes(s, strlen(s));
}

static json_t *fig(double v, double scale)
{
	return v < 0 ? json_null() : json_real((double)(long long)(v * scale + 0.5) / scale);
}

json_t *html_finding_json(const struct finding *f)
{
	json_t *o = json_object();
	json_object_set_new(o, "rule", json_string(f->rule));
	json_object_set_new(o, "sev", json_integer(f->severity));
	json_object_set_new(o, "input", json_integer(f->input));
	json_object_set_new(o, "call", f->call_seq != FINDING_NO_CALL ? json_integer((json_int_t)call_number(f->call_seq))
								     : json_null());
	json_object_set_new(o, "frame", json_integer((json_int_t)f->frame));
	json_t *fr = json_array();
	for (size_t i = 0; i < f->nframes; i++)
		json_array_append_new(fr, json_integer((json_int_t)f->frames[i]));
	json_object_set_new(o, "frames", fr);
	json_object_set_new(o, "summary", str_json(f->summary));
	if (f->explanation)
		json_object_set_new(o, "why", str_json(f->explanation));
	if (f->hint)
		json_object_set_new(o, "hint", str_json(f->hint));
	json_object_set_new(o, "ref", json_string(f->reference ? f->reference : ""));
	if (f->host[0])
		json_object_set_new(o, "host", json_string(f->host));
	return o;
}

/* The findings of v citing item k: [index, ...], key ones negative - 1. */
static json_t *cites_json(const struct callview *v, size_t k)
{
	json_t *a = NULL;
	for (size_t i = 0; i < v->nfindings; i++) {
		bool key = false;
		if (!callview_item_cites(v, k, v->findings[i], &key))
			continue;
		if (!a)
			a = json_array();
		json_array_append_new(a, json_integer(key ? -(json_int_t)i - 1 : (json_int_t)i));
	}
	return a;
}

static json_t *series_json(const struct media_series *t, int64_t t0)
{
	json_t *o = json_object();
	json_object_set_new(o, "t0", ms_json(t->t0_ns, t0));
	json_object_set_new(o, "w", json_real((double)t->width_ns / 1e6));
	json_t *b = json_array();
	for (uint32_t i = 0; i < t->nbins && i < MEDIA_BINS; i++) {
		const struct media_bin *x = &t->bin[i];
		json_t *r = json_array();
		json_array_append_new(r, json_integer(x->packets));
		json_array_append_new(r, json_integer(x->lost));
		json_array_append_new(r, x->jitter_n ? fig(x->jitter_sum_ms / x->jitter_n, 100) : json_null());
		json_array_append_new(r, x->jitter_n ? fig(x->jitter_max_ms, 100) : json_null());
		json_array_append_new(b, r);
	}
	json_object_set_new(o, "b", b);
	return o;
}

/* Is the SDP of m putting the media on hold (RFC 3264 §8.4: sendonly or
 * inactive, or the old c=0.0.0.0)? -1: no SDP or no media. */
static int sdp_hold(const struct sip_msg *m)
{
	struct sdp s;
	if (!sip_msg_sdp_parse(m, &s) || !s.nmedia)
		return -1;
	for (unsigned k = 0; k < s.nmedia; k++) {
		const struct sdp_media *md = &s.media[k];
		if (!md->port)
			continue;
		bool zero = md->conn.addr.len == 7 && !memcmp(md->conn.addr.p, "0.0.0.0", 7);
		if (md->dir == SDP_SENDONLY || md->dir == SDP_INACTIVE || zero)
			return 1;
	}
	return 0;
}

static void event(json_t *a, int64_t ns, int64_t t0, const char *what, uint64_t frame)
{
	json_t *e = json_object();
	json_object_set_new(e, "t", ms_json(ns, t0));
	json_object_set_new(e, "l", json_string(what));
	json_object_set_new(e, "f", json_integer((json_int_t)frame));
	json_array_append_new(a, e);
}

/* Signalling events for the charts: answer, re-INVITE, hold / resume,
 * CANCEL, BYE (first copies only). */
static json_t *events_json(const struct call *c, int64_t t0)
{
	json_t *a = json_array();
	bool answered = false, held = false;
	for (uint32_t i = 0; i < c->nmsgs; i++) {
		const struct call_msg *cm = &c->msgs[i];
		struct sip_msg *m = cm->m;
		if (cm->flags & (CM_RETRANS | CM_DUPLICATE))
			continue;
		int64_t ns = (int64_t)m->ts_sec * 1000000000 + m->ts_nsec;
		bool req = m->start.is_request;
		if (!req && cm->method == M_INVITE && m->start.status >= 200 && m->start.status < 300 && !answered) {
			answered = true;
			event(a, ns, t0, "answer", m->frame);
		} else if (req && cm->method == M_INVITE) {
			const struct sip_nameaddr *to = sip_msg_to(m);
			if (to && to->tag.len)
				event(a, ns, t0, "re-INVITE", m->frame);
		} else if (req && cm->method == M_BYE) {
			event(a, ns, t0, "BYE", m->frame);
		} else if (req && cm->method == M_CANCEL) {
			event(a, ns, t0, "CANCEL", m->frame);
		}
		if (answered || req) {
			int h = sdp_hold(m);
			if (h == 1 && !held) {
				held = true;
				event(a, ns, t0, "hold", m->frame);
			} else if (h == 0 && held) {
				held = false;
				event(a, ns, t0, "resume", m->frame);
			}
		}
	}
	return a;
}

json_t *html_call_json(const struct callview *v, const struct call *c)
{
	int64_t t0 = v->nmsgs ? v->msgs[0].ns : v->start_ns;
	json_t *o = json_object();
	json_object_set_new(o, "n", json_integer((json_int_t)v->number));
	json_object_set_new(o, "input", json_integer(v->input));
	json_object_set_new(o, "callId", str_json(v->call_id));
	json_object_set_new(o, "from", str_json(v->from));
	json_object_set_new(o, "to", str_json(v->to));
	json_object_set_new(o, "legs", str_json(v->legs));
	json_object_set_new(o, "kind", json_string(call_kind_name(v->kind)));
	json_object_set_new(o, "state", json_string(call_state_name(v->state)));
	json_object_set_new(o, "status", v->final_status ? json_integer(v->final_status) : json_null());
	json_object_set_new(o, "t0", json_integer((json_int_t)(t0 / 1000000)));
	json_object_set_new(o, "end", ms_json(v->end_ns, t0));
	json_object_set_new(o, "dur", v->duration_ns >= 0 ? json_real((double)(v->duration_ns / 1000) / 1e6) : json_null());
	json_t *h = json_array();
	for (size_t i = 0; i < v->nhosts; i++) {
		json_t *x = json_object();
		json_object_set_new(x, "name", json_string(v->hosts[i].name));
		if (v->hosts[i].media)
			json_object_set_new(x, "media", json_true());
		json_array_append_new(h, x);
	}
	json_object_set_new(o, "hosts", h);
	json_t *ms = json_array();
	for (size_t i = 0; i < v->nmsgs; i++) {
		const struct cv_msg *m = &v->msgs[i];
		json_t *x = json_object();
		json_object_set_new(x, "f", json_integer((json_int_t)m->frame));
		json_object_set_new(x, "t", ms_json(m->ns, t0));
		json_object_set_new(x, "s", json_integer(m->src));
		json_object_set_new(x, "d", json_integer(m->dst));
		json_object_set_new(x, "tr", json_string(transport_name(m->transport)));
		json_object_set_new(x, "l", json_string(m->label));
		if (m->request)
			json_object_set_new(x, "req", json_true());
		else
			json_object_set_new(x, "st", json_integer(m->status));
		if (m->cseq)
			json_object_set_new(x, "cs", json_integer(m->cseq));
		json_object_set_new(x, "cm", json_string(m->cseq_method));
		if (m->flags & CM_RETRANS)
			json_object_set_new(x, "re", json_true());
		if (m->flags & CM_DUPLICATE)
			json_object_set_new(x, "dup", json_true());
		if (m->malformed)
			json_object_set_new(x, "bad", json_true());
		if (m->sdp)
			json_object_set_new(x, "sdp", json_string(m->sdp_brief));
		if (m->raw)
			json_object_set_new(x, "raw", report_json_bytes(m->raw, m->raw_len));
		json_array_append_new(ms, x);
	}
	json_object_set_new(o, "msgs", ms);
	json_t *ss = json_array();
	for (size_t j = 0; j < v->nstreams; j++) {
		const struct cv_stream *st = &v->streams[j];
		const struct media_stream *s = &st->s;
		json_t *x = json_object();
		char b[32];
		json_object_set_new(x, "s", json_integer(st->src));
		json_object_set_new(x, "d", json_integer(st->dst));
		json_object_set_new(x, "sn", json_string(st->src_name));
		json_object_set_new(x, "dn", json_string(st->dst_name));
		ladder_codec(b, sizeof b, s);
		json_object_set_new(x, "codec", json_string(b));
		snprintf(b, sizeof b, "0x%08x", s->ssrc);
		json_object_set_new(x, "ssrc", json_string(b));
		json_object_set_new(x, "t", ms_json(s->start_ns, t0));
		json_object_set_new(x, "e", ms_json(s->end_ns, t0));
		json_object_set_new(x, "ff", json_integer((json_int_t)s->first_frame));
		json_object_set_new(x, "lf", json_integer((json_int_t)s->last_frame));
		json_object_set_new(x, "pkts", json_integer((json_int_t)s->packets));
		json_object_set_new(x, "lost", json_integer((json_int_t)s->lost));
		json_object_set_new(x, "loss", fig(s->expected ? 100.0 * (double)s->lost / (double)s->expected : 0, 100));
		json_object_set_new(x, "jm", fig(s->jitter_mean_ms, 100));
		json_object_set_new(x, "jx", fig(s->jitter_max_ms, 100));
		json_object_set_new(x, "gap", fig(s->max_delta_ms, 10));
		json_object_set_new(x, "mos", fig(s->mos, 100));
		if (s->from_caller >= 0)
			json_object_set_new(x, "dir", json_string(s->from_caller ? "caller to callee" : "callee to caller"));
		if (st->sdp_frame)
			json_object_set_new(x, "sdpf", json_integer((json_int_t)st->sdp_frame));
		json_object_set_new(x, "series", series_json(&s->series, t0));
		json_array_append_new(ss, x);
	}
	json_object_set_new(o, "streams", ss);
	json_t *it = json_array();
	for (size_t k = 0; k < v->nitems; k++) {
		json_t *x = json_array();
		json_array_append_new(x, json_string(v->items[k].kind == CV_MSG ? "m" : "s"));
		json_array_append_new(x, json_integer(v->items[k].i));
		json_t *ci = cites_json(v, k);
		if (ci)
			json_array_append_new(x, ci);
		json_array_append_new(it, x);
	}
	json_object_set_new(o, "items", it);
	json_t *fs = json_array();
	for (size_t i = 0; i < v->nfindings; i++)
		json_array_append_new(fs, html_finding_json(v->findings[i]));
	json_object_set_new(o, "findings", fs);
	json_object_set_new(o, "events", c ? events_json(c, t0) : json_array());
	return o;
}

struct dump_ctx {
	FILE *out;
	long n;
};

static int dump_cb(const char *buf, size_t size, void *data)
{
	struct dump_ctx *d = data;
	size_t from = 0;
	for (size_t i = 0; i < size; i++) {
		if (buf[i] != '<')
			continue;
		if (fwrite(buf + from, 1, i - from, d->out) != i - from || fputs("\\u003c", d->out) < 0)
			return -1;
		d->n += (long)(i - from) + 6;
		from = i + 1;
	}
	if (fwrite(buf + from, 1, size - from, d->out) != size - from)
		return -1;
	d->n += (long)(size - from);
	return 0;
}

long html_dump(FILE *out, json_t *j)
{
	struct dump_ctx d = { out, 0 };
	int rc = json_dump_callback(j, dump_cb, &d, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
	json_decref(j);
	return rc < 0 ? -1 : d.n;
}

static void put_escaped(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\t')
				fputc(*s, out);
		}
	}
}

void html_head(FILE *out, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      /* no network: nothing but what is inline, whatever the data says */
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta name=\"color-scheme\" content=\"light dark\">\n<title>", out);
	put_escaped(out, title);
	fputs("</title>\n<style>\n", out);
	fputs(html_asset_css, out);
	fputs("</style>\n</head>\n<body>\n<noscript>This page draws its ladders with JavaScript; "
	      "its data are in the page source.</noscript>\n<div id=\"app\"></div>\n", out);
}

void html_tail(FILE *out)
{
	fputs("<script>\n", out);
	fputs(html_asset_js, out);
	fputs("</script>\n</body>\n</html>\n", out);
}

/* ---- --ladder CALL --format html ---- */

struct html_ladder {
	FILE *tmp;         /* the calls' JSON blocks, until the page is written */
	json_t *numbers;   /* the calls shown, in order */
	json_t *late;      /* findings raised after their call ended */
};

static struct html_ladder *ladder_state(struct report *r)
{
	if (!r->html) {
		struct html_ladder *h = xcalloc(1, sizeof *h);
		h->tmp = tmpfile();
		h->numbers = json_array();
		h->late = json_array();
		if (!h->tmp)
			r->err = -1;
		r->html = h;
	}
	return r->html;
}

void html_ladder_call(struct report *r, const struct call *c, struct finding *const *f, size_t nf)
{
	struct html_ladder *h = ladder_state(r);
	if (!h->tmp)
		return;
	struct callview *v = callview_new(c, true);
	for (size_t i = 0; i < nf; i++)
		callview_add_finding(v, f[i]);
	fprintf(h->tmp, "<script type=\"application/json\" id=\"sa-c%llu\">", (unsigned long long)v->number);
	if (html_dump(h->tmp, html_call_json(v, c)) < 0)
		r->err = -1;
	fputs("</script>\n", h->tmp);
	json_array_append_new(h->numbers, json_integer((json_int_t)v->number));
	callview_free(v);
}

void html_ladder_late(struct report *r, const struct finding *f)
{
	struct html_ladder *h = ladder_state(r);
	json_array_append_new(h->late, html_finding_json(f));
}

static int copy_file(FILE *from, FILE *to)
{
	char buf[65536];
	size_t n;
	rewind(from);
	while ((n = fread(buf, 1, sizeof buf, from)) > 0)
		if (fwrite(buf, 1, n, to) != n)
			return -1;
	return ferror(from) ? -1 : 0;
}

void html_ladder_end(struct report *r)
{
	struct html_ladder *h = r->html;
	if (!h || !h->tmp || !json_array_size(h->numbers))
		return;
	char title[300];
	snprintf(title, sizeof title, "sipaudit ladder: %s", r->opt->ladder);
	html_head(r->out, title);
	json_t *page = json_object();
	json_object_set_new(page, "page", json_string("ladder"));
	json_object_set_new(page, "calls", json_incref(h->numbers));
	json_object_set_new(page, "late", json_incref(h->late));
	json_t *in = json_array();
	for (size_t i = 0; i < r->ninputs; i++)
		json_array_append_new(in, str_json(r->inputs[i].path));
	json_object_set_new(page, "inputs", in);
	fputs("<script type=\"application/json\" id=\"sa-page\">", r->out);
	if (html_dump(r->out, page) < 0)
		r->err = -1;
	fputs("</script>\n", r->out);
	if (copy_file(h->tmp, r->out) < 0)
		r->err = -1;
	html_tail(r->out);
}

void html_ladder_free(struct report *r)
{
	struct html_ladder *h = r->html;
	if (!h)
		return;
	if (h->tmp)
		fclose(h->tmp);
	json_decref(h->numbers);
	json_decref(h->late);
	free(h);
	r->html = NULL;
}
