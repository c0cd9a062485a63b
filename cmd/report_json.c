/* report_json.c - the JSON report, schema "sipaudit.report/1", built with
 * jansson one call at a time so the whole document never sits in memory. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../analyzer/sdp.h"
#include "../analyzer/xalloc.h"
#include "../analyzer/tls.h"
#include "html.h"
#include "report.h"

#ifndef SIPAUDIT_VERSION
#define SIPAUDIT_VERSION "0"
#endif

/* Length of a valid UTF-8 sequence at p (RFC 3629), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t len;
	unsigned min;
	if (c < 0x80)
		return 1;
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
	unsigned cp = c & (0xff >> (len + 1));
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* SIP bytes as a JSON string: invalid UTF-8 becomes U+FFFD, as Wireshark
 * shows it, so a corrupt byte never drops a field. */
static json_t *bytes_json(const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t i = 0;
	while (i < n) {
		size_t l = utf8_seq(u + i, n - i);
		if (!l)
			break;
		i += l;
	}
	if (i == n)
		return json_stringn(p, n);
	char *buf = malloc(n * 3 + 1);
	if (!buf)
		return json_null();
	size_t o = 0;
	for (i = 0; i < n;) {
		size_t l = utf8_seq(u + i, n - i);
		if (l) {
			memcpy(buf + o, p + i, l);
			o += l;
			i += l;
		} else {
			memcpy(buf + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	json_t *j = json_stringn(buf, o);
	free(buf);
	return j ? j : json_null();
}

json_t *report_json_bytes(const char *p, size_t n)
{
	return bytes_json(p, n);
}

static json_t *sv_json(struct sv s)
{
	return s.p ? bytes_json(s.p, s.len) : json_null();
}

static json_t *tls_json(const struct input_stats *st)
{
	json_t *o = json_object();
	json_object_set_new(o, "flows", json_integer((json_int_t)st->tls_flows));
	json_object_set_new(o, "decrypted", json_integer((json_int_t)st->tls_decrypted));
	json_object_set_new(o, "decrypted_in_part", json_integer((json_int_t)st->tls_partial));
	json_object_set_new(o, "keys", json_boolean(st->tls_keys));
	json_object_set_new(o, "keys_from_capture", json_integer((json_int_t)st->tls_dsb_secrets));
	json_object_set_new(o, "flows_with_key", json_integer((json_int_t)st->tls_keyed));
	json_object_set_new(o, "bad_records", json_integer((json_int_t)st->tls_bad_records));
	json_t *by = json_object();
	for (unsigned k = 0; k < TLS_OUTCOMES; k++)
		if (st->tls_by_status[k])
			json_object_set_new(by, tls_outcome_name(k), json_integer((json_int_t)st->tls_by_status[k]));
	json_object_set_new(o, "by_outcome", by);
	json_t *nd = json_array();
	for (unsigned i = 0; i < st->ntls_notes; i++) {
		const struct tls_note *n = &st->tls_notes[i];
		json_t *x = json_object();
		char a[ENDPOINT_STRLEN], b[ENDPOINT_STRLEN], why[400], sb[32], hex[65];
		endpoint_format(&n->client, a, sizeof a);
		endpoint_format(&n->server, b, sizeof b);
		tls_note_reason(st, n, why, sizeof why);
		json_object_set_new(x, "client", json_string(a));
		json_object_set_new(x, "server", json_string(b));
		json_object_set_new(x, "first_frame", json_integer((json_int_t)n->first_frame));
		json_object_set_new(x, "last_frame", json_integer((json_int_t)n->last_frame));
		json_object_set_new(x, "outcome", json_string(tls_outcome_name(n->status)));
		json_object_set_new(x, "reason", json_string(why));
		json_object_set_new(x, "decrypted_in_part", json_boolean(n->partial));
		json_object_set_new(x, "bytes_missing", json_boolean(n->lost));
		const char *v = tls_version_name(n->version);
		json_object_set_new(x, "version", n->version && v ? json_string(v) : json_null());
		json_object_set_new(x, "cipher_suite", n->version ? json_string(tls_suite_name(n->suite, sb, sizeof sb)) : json_null());
		if (n->have_random) {
			for (int k = 0; k < 32; k++)
				snprintf(hex + 2 * k, 3, "%02x", n->client_random[k]);
			json_object_set_new(x, "client_random", json_string(hex));
		} else {
			json_object_set_new(x, "client_random", json_null());
		}
		json_object_set_new(x, "records", json_integer((json_int_t)n->records));
		json_object_set_new(x, "records_decrypted", json_integer((json_int_t)n->decrypted));
		json_array_append_new(nd, x);
	}
	json_object_set_new(o, "not_decrypted", nd);
	json_object_set_new(o, "not_decrypted_not_listed", json_integer((json_int_t)st->tls_notes_dropped));
	return o;
}

static json_t *input_json(const struct input_stats *st)
{
	json_t *o = json_object();
	json_object_set_new(o, "path", bytes_json(st->path, strlen(st->path)));
	json_t *lts = json_array();
	for (unsigned i = 0; i < st->nlinktypes; i++) {
		const char *n = linktype_name(st->linktypes[i]);
		json_array_append_new(lts, n ? json_string(n) : json_integer(st->linktypes[i]));
	}
	json_object_set_new(o, "link_types", lts);
	json_object_set_new(o, "packets", json_integer((json_int_t)st->packets));
	json_object_set_new(o, "bytes", json_integer((json_int_t)st->bytes));
	json_object_set_new(o, "sip_messages", json_integer((json_int_t)st->sip_messages));
	json_object_set_new(o, "malformed", json_integer((json_int_t)st->malformed));
	json_object_set_new(o, "tls_flows", json_integer((json_int_t)st->tls_flows));
	json_object_set_new(o, "tls", tls_json(st));
	json_object_set_new(o, "complete", json_boolean(st->complete));
	json_t *dec = json_object();
	json_object_set_new(dec, "truncated_packets", json_integer((json_int_t)st->truncated_packets));
	json_object_set_new(dec, "invalid_packets", json_integer((json_int_t)st->invalid_packets));
	json_object_set_new(dec, "unknown_linktype_packets", json_integer((json_int_t)st->unknown_linktype_packets));
	json_object_set_new(dec, "ip_fragments_incomplete", json_integer((json_int_t)st->frag_incomplete));
	json_object_set_new(dec, "ip_fragments_dropped", json_integer((json_int_t)st->frag_dropped));
	json_object_set_new(dec, "tcp_gaps", json_integer((json_int_t)st->tcp_gaps));
	json_object_set_new(dec, "tcp_gap_bytes", json_integer((json_int_t)st->tcp_gap_bytes));
	json_object_set_new(dec, "tcp_partial_messages", json_integer((json_int_t)st->tcp_partial_messages));
	json_object_set_new(dec, "tcp_capped_streams", json_integer((json_int_t)st->tcp_capped));
	json_object_set_new(o, "decode", dec);
	json_t *errs = json_array();
	if (st->fatal)
		json_array_append_new(errs, json_string(st->fatal));
	for (unsigned i = 0; i < st->nerrors; i++)
		json_array_append_new(errs, json_string(st->errors[i]));
	if (st->errors_dropped) {
		char b[64];
		snprintf(b, sizeof b, "%llu more errors not listed", (unsigned long long)st->errors_dropped);
		json_array_append_new(errs, json_string(b));
	}
	json_object_set_new(o, "errors", errs);
	return o;
}

static json_t *sdp_json(const struct sdp *s)
{
	json_t *o = json_object();
	json_object_set_new(o, "session_id", sv_json(s->o_sess_id));
	json_object_set_new(o, "session_version", sv_json(s->o_sess_version));
	json_t *media = json_array();
	for (unsigned i = 0; i < s->nmedia; i++) {
		const struct sdp_media *m = &s->media[i];
		json_t *x = json_object();
		json_object_set_new(x, "type", sv_json(m->type));
		json_object_set_new(x, "port", json_integer(m->port));
		json_object_set_new(x, "proto", sv_json(m->proto));
		json_object_set_new(x, "addr", m->conn.family ? sv_json(m->conn.addr) : json_null());
		json_object_set_new(x, "direction", json_string(sdp_dir_name(m->dir)));
		json_t *fmts = json_array();
		for (unsigned k = 0; k < m->nfmt; k++) {
			char b[96];
			const struct sdp_rtpmap *r = NULL;
			for (unsigned j = 0; j < m->nmap; j++)
				if (m->map[j].pt == m->fmt[k])
					r = &m->map[j];
			if (r)
				snprintf(b, sizeof b, "%d %.*s/%u", r->pt, (int)(r->encoding.len > 40 ? 40 : r->encoding.len),
					 r->encoding.p, r->clock);
			else
				snprintf(b, sizeof b, "%.*s", (int)(m->fmt_token[k].len > 40 ? 40 : m->fmt_token[k].len),
					 m->fmt_token[k].p);
			json_array_append_new(fmts, bytes_json(b, strlen(b)));
		}
		json_object_set_new(x, "formats", fmts);
		if (m->candidates)
			json_object_set_new(x, "ice_candidates", json_integer(m->candidates));
		json_array_append_new(media, x);
	}
	json_object_set_new(o, "media", media);
	return o;
}

static json_t *message_json(const struct call *c, uint32_t i)
{
	const struct call_msg *cm = &c->msgs[i];
	struct sip_msg *m = cm->m;
	json_t *o = json_object();
	char b[64];
	json_object_set_new(o, "frame", json_integer((json_int_t)m->frame));
	if (m->first_frame != m->frame)
		json_object_set_new(o, "first_frame", json_integer((json_int_t)m->first_frame));
	report_time(b, sizeof b, m->ts_sec, m->ts_nsec);
	json_object_set_new(o, "time", json_string(b));
	/* null when the capture does not say (HEP without address chunks) */
	endpoint_format(&m->src, b, sizeof b);
	json_object_set_new(o, "src", m->src.family ? json_string(b) : json_null());
	endpoint_format(&m->dst, b, sizeof b);
	json_object_set_new(o, "dst", m->dst.family ? json_string(b) : json_null());
	json_object_set_new(o, "transport", json_string(transport_name(m->transport)));
	if (m->encap == ENCAP_HEP)
		json_object_set_new(o, "encap", json_string("hep"));
	if (m->ip_fragmented)
		json_object_set_new(o, "ip_fragmented", json_true());
	bool req = m->start.is_request;
	json_object_set_new(o, "method", req ? sv_json(m->start.method) : json_null());
	json_object_set_new(o, "status", !req && m->start.status ? json_integer(m->start.status) : json_null());
	json_object_set_new(o, "reason", !req && m->start.status ? sv_json(m->start.reason) : json_null());
	const struct sip_cseq *cs = sip_msg_cseq(m);
	json_object_set_new(o, "cseq", cs->valid ? json_integer(cs->num) : json_null());
	json_object_set_new(o, "cseq_method", cs->valid ? sv_json(cs->method) : json_null());
	json_object_set_new(o, "size", json_integer((json_int_t)m->raw_len));
	json_object_set_new(o, "retransmission", json_boolean(cm->flags & CM_RETRANS));
	if (cm->flags & CM_DUPLICATE)
		json_object_set_new(o, "duplicate_of",
				    json_integer((json_int_t)c->msgs[cm->dup_of].m->frame));
	if (cm->dialog >= 0)
		json_object_set_new(o, "dialog", json_integer(cm->dialog));
	struct sdp sdp;
	if (sip_msg_sdp_parse(m, &sdp))
		json_object_set_new(o, "sdp", sdp_json(&sdp));
	if (m->nonconformance)
		json_object_set_new(o, "nonconformance", json_string(m->nonconformance));
	if (m->malformed) {
		json_object_set_new(o, "malformed", json_true());
		json_object_set_new(o, "malformed_reason", json_string(m->malformed_reason));
	}
	return o;
}

static json_t *time_json(int64_t ns)
{
	char b[64];
	if (ns < 0)
		return json_null();
	report_time_ns(b, sizeof b, ns);
	return json_string(b);
}

static json_t *secs_json(int64_t ns)
{
	return ns < 0 ? json_null() : json_real((double)(ns / 1000) / 1e6);
}

/* The party of the call: From/To URI of the main request, else the first message. */
static json_t *party_json(const struct call *c, bool to)
{
	const struct sip_nameaddr *na = call_party(c, to);
	return na ? sv_json(na->uri) : json_null();
}

static json_t *ep_json(const struct endpoint *e)
{
	char b[ENDPOINT_STRLEN];
	if (!e->family)
		return json_null();
	endpoint_format(e, b, sizeof b);
	return json_string(b);
}

/* Rounded to 3 decimals so reports are stable; null when unknown (< 0). */
static json_t *fig_json(double v)
{
	return v < 0 ? json_null() : json_real(round(v * 1000) / 1000);
}

static json_t *media_json(const struct call *c, const struct media_stream *s)
{
	json_t *o = json_object();
	char b[16];
	json_object_set_new(o, "src", ep_json(&s->src));
	json_object_set_new(o, "dst", ep_json(&s->dst));
	snprintf(b, sizeof b, "0x%08x", s->ssrc);
	json_object_set_new(o, "ssrc", json_string(b));
	json_object_set_new(o, "payload_type", json_integer(s->pt));
	json_object_set_new(o, "codec", s->codec[0] ? json_string(s->codec) : json_null());
	json_object_set_new(o, "media", s->media[0] ? json_string(s->media) : json_null());
	json_object_set_new(o, "direction", s->from_caller < 0 ? json_null()
				: json_string(s->from_caller ? "caller-to-callee" : "callee-to-caller"));
	json_object_set_new(o, "matched_by", json_string(media_match_name(s->match)));
	json_object_set_new(o, "dialog", s->dialog >= 0 ? json_integer(s->dialog) : json_null());
	json_object_set_new(o, "sdp_frame", c && s->sdp_msg >= 0 ? json_integer((json_int_t)c->msgs[s->sdp_msg].m->frame)
								  : json_null());
	json_object_set_new(o, "first_frame", json_integer((json_int_t)s->first_frame));
	json_object_set_new(o, "last_frame", json_integer((json_int_t)s->last_frame));
	json_object_set_new(o, "start", time_json(s->start_ns));
	json_object_set_new(o, "end", time_json(s->end_ns));
	json_object_set_new(o, "packets", json_integer((json_int_t)s->packets));
	json_object_set_new(o, "bytes", json_integer((json_int_t)s->bytes));
	json_object_set_new(o, "other_payload_packets", json_integer((json_int_t)s->other_pt_packets));
	json_object_set_new(o, "expected", json_integer((json_int_t)s->expected));
	json_object_set_new(o, "lost", json_integer((json_int_t)s->lost));
	json_object_set_new(o, "loss_percent", fig_json(s->expected ? 100.0 * (double)s->lost / (double)s->expected : 0));
	json_object_set_new(o, "duplicates", json_integer((json_int_t)s->duplicates));
	json_object_set_new(o, "out_of_order", json_integer((json_int_t)s->out_of_order));
	json_object_set_new(o, "sequence_restarts", json_integer(s->seq_restarts));
	json_object_set_new(o, "answered_packets", json_integer((json_int_t)s->answered_packets));
	json_object_set_new(o, "jitter_mean_ms", fig_json(s->jitter_mean_ms));
	json_object_set_new(o, "jitter_max_ms", fig_json(s->jitter_max_ms));
	json_object_set_new(o, "max_delta_ms", fig_json(s->max_delta_ms));
	json_object_set_new(o, "max_delta_frame", s->max_delta_frame ? json_integer((json_int_t)s->max_delta_frame) : json_null());
	json_object_set_new(o, "burst_ratio", fig_json(s->burst_ratio));
	json_object_set_new(o, "r_factor", fig_json(s->r_factor));
	json_object_set_new(o, "mos", fig_json(s->mos));
	json_object_set_new(o, "sdp_src", s->src_differs ? ep_json(&s->sdp_src) : json_null());
	json_object_set_new(o, "sdp_dst", s->dst_differs ? ep_json(&s->sdp_dst) : json_null());
	json_object_set_new(o, "private_dst", json_boolean(s->sdp_dst_private));
	if (s->leg) {
		json_t *rl = json_object();
		json_object_set_new(rl, "address", ep_json(&s->relay));
		json_object_set_new(rl, "leg", json_integer(s->leg));
		json_object_set_new(rl, "in_sdp", json_boolean(s->relay_in_sdp));
		json_object_set_new(o, "relay", rl);
	} else {
		json_object_set_new(o, "relay", json_null());
	}
	if (s->has_rtcp) {
		json_t *r = json_object();
		json_object_set_new(r, "sender_reports", json_integer(s->rtcp.sr));
		json_object_set_new(r, "sender_packets", s->rtcp.sr ? json_integer(s->rtcp.sender_packets) : json_null());
		json_object_set_new(r, "sender_octets", s->rtcp.sr ? json_integer(s->rtcp.sender_octets) : json_null());
		json_object_set_new(r, "receiver_reports", json_integer(s->rtcp.rr));
		json_object_set_new(r, "fraction_lost_max_percent", s->rtcp.rr ? fig_json(s->rtcp.fraction_lost_max) : json_null());
		json_object_set_new(r, "cumulative_lost", s->rtcp.rr ? json_integer(s->rtcp.cum_lost) : json_null());
		json_object_set_new(r, "jitter_max_ms", s->rtcp.rr ? fig_json(s->rtcp.jitter_max_ms) : json_null());
		json_object_set_new(o, "rtcp", r);
	} else {
		json_object_set_new(o, "rtcp", json_null());
	}
	return o;
}

static json_t *call_json(const struct call *c)
{
	json_t *o = json_object();
	json_object_set_new(o, "number", json_integer((json_int_t)call_number(c->seq)));
	json_object_set_new(o, "call_id", bytes_json(c->call_id, strlen(c->call_id)));
	json_object_set_new(o, "input", json_integer(c->input));
	json_object_set_new(o, "kind", json_string(call_kind_name(c->kind)));
	json_object_set_new(o, "state", json_string(call_state_name(c->state)));
	json_object_set_new(o, "final_status", c->final_status ? json_integer(c->final_status) : json_null());
	json_object_set_new(o, "start", time_json(c->start_ns));
	json_object_set_new(o, "end", time_json(c->end_ns));
	json_object_set_new(o, "setup_time", secs_json(c->setup_ns));
	json_object_set_new(o, "duration", secs_json(c->duration_ns));
	json_object_set_new(o, "duration_until",
			    c->duration_ns >= 0 ? json_string(call_until_name(c->until)) : json_null());
	json_object_set_new(o, "from", party_json(c, false));
	json_object_set_new(o, "to", party_json(c, true));
	json_t *dl = json_array();
	for (uint32_t i = 0; i < c->ndialogs; i++) {
		const struct dialog *d = &c->dialogs[i];
		json_t *x = json_object();
		json_object_set_new(x, "from_tag", sv_json(d->caller_tag));
		json_object_set_new(x, "to_tag", sv_json(d->callee_tag));
		json_object_set_new(x, "state", json_string(dialog_state_name(d->state)));
		json_object_set_new(x, "kind", json_string(d->kind == M_INVITE ? "invite" : "subscription"));
		if (d->inferred)
			json_object_set_new(x, "before_capture", json_true());
		json_object_set_new(x, "offer_frame", d->offer >= 0 ? json_integer((json_int_t)c->msgs[d->offer].m->frame) : json_null());
		json_object_set_new(x, "answer_frame", d->answer >= 0 ? json_integer((json_int_t)c->msgs[d->answer].m->frame) : json_null());
		json_array_append_new(dl, x);
	}
	json_object_set_new(o, "dialogs", dl);
	json_t *links = json_array();
	for (uint32_t i = 0; i < c->nlinks; i++) {
		json_t *x = json_object();
		json_object_set_new(x, "call_id", bytes_json(c->links[i].call_id, c->links[i].call_id_len));
		json_object_set_new(x, "by", json_string(c->links[i].how));
		json_array_append_new(links, x);
	}
	json_object_set_new(o, "linked_calls", links);
	json_object_set_new(o, "findings", json_integer(c->findings));
	json_object_set_new(o, "media_in_capture", json_boolean(c->media_visible));
	json_t *media = json_array();
	for (uint32_t i = 0; i < c->nmedia; i++)
		json_array_append_new(media, media_json(c, &c->media[i]));
	json_object_set_new(o, "media", media);
	json_t *msgs = json_array();
	for (uint32_t i = 0; i < c->nmsgs; i++)
		json_array_append_new(msgs, message_json(c, i));
	json_object_set_new(o, "messages", msgs);
	return o;
}

static json_t *finding_json(const struct report *r, const struct finding *f)
{
	json_t *o = json_object();
	json_object_set_new(o, "rule", json_string(f->rule));
	json_object_set_new(o, "severity", json_string(severity_name(f->severity)));
	json_object_set_new(o, "input", json_integer(f->input));
	json_object_set_new(o, "call", f->call_seq != FINDING_NO_CALL ? json_integer((json_int_t)call_number(f->call_seq))
								     : json_null());
	json_object_set_new(o, "call_id", f->call_id ? bytes_json(f->call_id, strlen(f->call_id)) : json_null());
	if (f->from_tag) {
		json_object_set_new(o, "from_tag", bytes_json(f->from_tag, strlen(f->from_tag)));
		json_object_set_new(o, "to_tag", bytes_json(f->to_tag, strlen(f->to_tag)));
	}
	json_t *fr = json_array();
	for (size_t i = 0; i < f->nframes; i++)
		json_array_append_new(fr, json_integer((json_int_t)f->frames[i]));
	json_object_set_new(o, "frame", json_integer((json_int_t)f->frame));
	json_object_set_new(o, "frames", fr);
	json_object_set_new(o, "time", time_json(f->ts_ns));
	json_object_set_new(o, "summary", bytes_json(f->summary, strlen(f->summary)));
	json_object_set_new(o, "explanation", f->explanation ? bytes_json(f->explanation, strlen(f->explanation)) : json_null());
	json_object_set_new(o, "hint", f->hint ? bytes_json(f->hint, strlen(f->hint)) : json_null());
	json_object_set_new(o, "reference", json_string(f->reference));
	/* "<severity> <rule> <cause>": equal for the findings the text report
	 * shows as one block */
	char *g = NULL;
	const char *cause = f->group ? f->group : "";
	if (asprintf(&g, "%s %s %s", severity_name(f->severity), f->rule, cause) < 0)
		g = NULL;
	json_object_set_new(o, "group", g ? bytes_json(g, strlen(g)) : json_string(f->rule));
	free(g);
	json_object_set_new(o, "host", f->host[0] ? json_string(f->host) : json_null());
	if (r->opt && r->opt->baseline)
		json_object_set_new(o, "baselined", json_boolean(f->baselined));
	return o;
}

/* jansson hands a dump over in many small pieces: gather them in memory
 * and write each value with one fwrite (a stdio call per piece was an
 * eighth of a jsonl run). */
struct jbuf {
	char *p;
	size_t len, cap;
};

static int jbuf_put(const char *b, size_t n, void *ud)
{
	struct jbuf *j = ud;
	if (j->len + n > j->cap) {
		j->cap = (j->len + n) * 2 > 65536 ? (j->len + n) * 2 : 65536;
		j->p = xrealloc(j->p, j->cap);
	}
	memcpy(j->p + j->len, b, n);
	j->len += n;
	return 0;
}

static void dump(struct report *r, json_t *j, bool comma)
{
	static struct jbuf buf; /* reused: one report per run */
	buf.len = 0;
	if (comma)
		jbuf_put(",\n", 2, &buf);
	if (json_dump_callback(j, jbuf_put, &buf,
			       JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) < 0)
		r->err = -1;
	else if (buf.len && fwrite(buf.p, buf.len, 1, r->out) != 1)
		r->err = -1;
	json_decref(j);
	if (buf.cap > (1u << 24)) { /* a huge call once: do not keep its buffer */
		free(buf.p);
		buf = (struct jbuf){ 0 };
	}
}

#define SCHEMA_ID "sipaudit.report/1"

static json_t *tool_json(void)
{
	json_t *t = json_object();
	json_object_set_new(t, "name", json_string("sipaudit"));
	json_object_set_new(t, "version", json_string(SIPAUDIT_VERSION));
	return t;
}

static json_t *line_json(const char *type)
{
	json_t *o = json_object();
	json_object_set_new(o, "schema", json_string(SCHEMA_ID));
	json_object_set_new(o, "type", json_string(type));
	return o;
}

static bool jsonl(const struct report *r)
{
	return r->opt && r->opt->format == FMT_JSONL;
}

void report_json_begin(struct report *r)
{
	if (jsonl(r))
		return;
	fprintf(r->out, "{\"schema\":\"" SCHEMA_ID "\",\"tool\":{\"name\":\"sipaudit\",\"version\":\"%s\"},\n\"calls\":[\n",
		SIPAUDIT_VERSION);
}

void report_json_call(struct report *r, const struct call *c, struct finding *const *f, size_t nf)
{
	if (jsonl(r)) {
		json_t *o = line_json("call");
		json_object_set_new(o, "call", call_json(c));
		json_t *fa = json_array();
		for (size_t i = 0; i < nf; i++)
			json_array_append_new(fa, finding_json(r, f[i]));
		json_object_set_new(o, "findings", fa);
		dump(r, o, false);
		fputc('\n', r->out);
	} else {
		dump(r, call_json(c), r->calls_written > 1);
	}
}

void report_json_finding(struct report *r, const struct finding *f)
{
	json_t *o = line_json("finding");
	json_object_set_new(o, "finding", finding_json(r, f));
	dump(r, o, false);
	fputc('\n', r->out);
}

static json_t *inputs_json(const struct report *r)
{
	json_t *a = json_array();
	for (size_t i = 0; i < r->ninputs; i++) {
		json_t *o = input_json(&r->inputs[i]);
		json_t *k = json_object();
		for (int x = 0; x < KIND_COUNT; x++)
			if (r->tally[i].by_kind[x])
				json_object_set_new(k, call_kind_name((enum call_kind)x), json_integer((json_int_t)r->tally[i].by_kind[x]));
		json_object_set_new(o, "calls", json_integer((json_int_t)r->tally[i].calls));
		json_object_set_new(o, "calls_by_kind", k);
		json_t *s = json_object();
		for (int x = 0; x < STATE_COUNT; x++)
			if (r->tally[i].by_state[x])
				json_object_set_new(s, call_state_name((enum call_state)x), json_integer((json_int_t)r->tally[i].by_state[x]));
		json_object_set_new(o, "calls_by_state", s);
		json_object_set_new(o, "rtp_packets", json_integer((json_int_t)r->inputs[i].rtp_packets));
		json_object_set_new(o, "rtcp_packets", json_integer((json_int_t)r->inputs[i].rtcp_packets));
		json_t *um = json_array();
		for (size_t k = 0; k < r->norphans; k++)
			if (r->orphans[k].input == i)
				json_array_append_new(um, media_json(NULL, &r->orphans[k].s));
		json_object_set_new(o, "unmatched_media", um);
		json_object_set_new(o, "unmatched_media_not_listed",
				    json_integer(r->orphans_unlisted ? (json_int_t)r->orphans_unlisted[i] : 0));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *summary_json(const struct report *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "calls", json_integer((json_int_t)r->calls_written));
	json_t *f = json_object();
	json_object_set_new(f, "error", json_integer((json_int_t)r->nsev[SEV_ERROR]));
	json_object_set_new(f, "warning", json_integer((json_int_t)r->nsev[SEV_WARNING]));
	json_object_set_new(f, "info", json_integer((json_int_t)r->nsev[SEV_INFO]));
	json_object_set_new(o, "findings", f);
	if (r->opt && r->opt->baseline) {
		json_t *b = json_object();
		json_object_set_new(b, "error", json_integer((json_int_t)r->nbaselined[SEV_ERROR]));
		json_object_set_new(b, "warning", json_integer((json_int_t)r->nbaselined[SEV_WARNING]));
		json_object_set_new(b, "info", json_integer((json_int_t)r->nbaselined[SEV_INFO]));
		json_object_set_new(o, "baselined", b);
	}
	return o;
}

void report_json_end(struct report *r)
{
	if (jsonl(r)) {
		json_t *o = line_json("summary");
		json_object_set_new(o, "tool", tool_json());
		json_object_set_new(o, "inputs", inputs_json(r));
		json_object_set_new(o, "summary", summary_json(r));
		dump(r, o, false);
		fputc('\n', r->out);
		return;
	}
	fputs("],\n\"inputs\":[\n", r->out);
	json_t *in = inputs_json(r);
	for (size_t i = 0; i < json_array_size(in); i++)
		dump(r, json_incref(json_array_get(in, i)), i > 0);
	json_decref(in);
	fputs("],\n\"findings\":[\n", r->out);
	for (size_t i = 0; i < r->nfindings; i++)
		dump(r, finding_json(r, r->findings[i]), i > 0);
	fputs("],\n\"summary\":", r->out);
	dump(r, summary_json(r), false);
	fputs("}\n", r->out);
}
