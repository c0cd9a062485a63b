/* report_json.c - the JSON report, schema "sipaudit.report/1", written one
 * call at a time (so the whole document never sits in memory) straight
 * into the report's JSON writer (jsonw.c), as jansson used to dump it. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../analyzer/sip/sdp.h"
#include "../analyzer/xalloc.h"
#include "../analyzer/tls/tls.h"
#include "html.h"
#include "jsonw.h"
#include "report.h"

#ifndef SIPAUDIT_VERSION
#define SIPAUDIT_VERSION "0"
#endif

/* Length of a valid UTF-8 sequence at p (RFC 3629), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned cp;
	return p[0] < 0x80 ? 1 : jsonw_utf8_seq(p, n, &cp);
}

/* SIP bytes as a jansson string for the HTML page's trees: invalid UTF-8
 * becomes U+FFFD, as Wireshark shows it, so a corrupt byte never drops a
 * field. jsonw_bytes writes the same; tests/unit_jsonw.c compares them. */
json_t *report_json_bytes(const char *p, size_t n)
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

/* The members below follow the jansson trees this file used to build, key
 * for key: jsonw_kstr drops a member whose string is not valid UTF-8 as
 * json_object_set_new dropped json_string's NULL, and so on. */

static void kcstr(struct jsonw *w, const char *k, const char *s)
{
	jsonw_kbytes(w, k, s, strlen(s));
}

static void ksv(struct jsonw *w, const char *k, struct sv s)
{
	if (s.p)
		jsonw_kbytes(w, k, s.p, s.len);
	else
		jsonw_knull(w, k);
}

static void ktime(struct jsonw *w, const char *k, int64_t ns)
{
	char b[64];
	if (ns < 0) {
		jsonw_knull(w, k);
		return;
	}
	report_time_ns(b, sizeof b, ns);
	jsonw_kstr(w, k, b);
}

static void ksecs(struct jsonw *w, const char *k, int64_t ns)
{
	if (ns < 0)
		jsonw_knull(w, k);
	else
		jsonw_kreal(w, k, (double)(ns / 1000) / 1e6);
}

/* Rounded to 3 decimals so reports are stable; null when unknown (< 0). */
static void kfig(struct jsonw *w, const char *k, double v)
{
	if (v < 0)
		jsonw_knull(w, k);
	else
		jsonw_kreal(w, k, round(v * 1000) / 1000);
}

static char *put_dec(char *o, unsigned v)
{
	char t[10];
	int n = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*o++ = t[--n];
	return o;
}

/* endpoint_format's text; IPv4 ("%u.%u.%u.%u:%u", as inet_ntop) without
 * its two printf calls: the two endpoints of every message were 3 % of a
 * jsonl run once the writer was in. */
static void ep_text(const struct endpoint *e, char *b, size_t size)
{
	if (e->family != 4 || size < 22) {
		endpoint_format(e, b, size);
		return;
	}
	char *o = b;
	for (int i = 0; i < 4; i++) {
		o = put_dec(o, e->ip[i]);
		*o++ = i < 3 ? '.' : ':';
	}
	o = put_dec(o, e->port);
	*o = '\0';
}

/* null when the capture does not say (HEP without address chunks) */
static void kep(struct jsonw *w, const char *k, const struct endpoint *e)
{
	char b[ENDPOINT_STRLEN];
	if (!e->family) {
		jsonw_knull(w, k);
		return;
	}
	ep_text(e, b, sizeof b);
	jsonw_kstr(w, k, b);
}

static void tls_note_json(struct jsonw *w, const struct input_stats *st, const struct tls_note *n)
{
	char a[ENDPOINT_STRLEN], b[ENDPOINT_STRLEN], why[400], sb[32], hex[65];
	endpoint_format(&n->client, a, sizeof a);
	endpoint_format(&n->server, b, sizeof b);
	tls_note_reason(st, n, why, sizeof why);
	jsonw_obj(w);
	jsonw_kstr(w, "client", a);
	jsonw_kstr(w, "server", b);
	jsonw_kint(w, "first_frame", (long long)n->first_frame);
	jsonw_kint(w, "last_frame", (long long)n->last_frame);
	jsonw_kstr(w, "outcome", tls_outcome_name(n->status));
	jsonw_kstr(w, "reason", why);
	jsonw_kbool(w, "decrypted_in_part", n->partial);
	jsonw_kbool(w, "bytes_missing", n->lost);
	const char *v = tls_version_name(n->version);
	if (n->version && v)
		jsonw_kstr(w, "version", v);
	else
		jsonw_knull(w, "version");
	if (n->version)
		jsonw_kstr(w, "cipher_suite", tls_suite_name(n->suite, sb, sizeof sb));
	else
		jsonw_knull(w, "cipher_suite");
	if (n->have_random) {
		for (int k = 0; k < 32; k++)
			snprintf(hex + 2 * k, 3, "%02x", n->client_random[k]);
		jsonw_kstr(w, "client_random", hex);
	} else {
		jsonw_knull(w, "client_random");
	}
	jsonw_kint(w, "records", (long long)n->records);
	jsonw_kint(w, "records_decrypted", (long long)n->decrypted);
	jsonw_obj_end(w);
}

static void tls_json(struct jsonw *w, const struct input_stats *st)
{
	jsonw_obj(w);
	jsonw_kint(w, "flows", (long long)st->tls_flows);
	jsonw_kint(w, "decrypted", (long long)st->tls_decrypted);
	jsonw_kint(w, "decrypted_in_part", (long long)st->tls_partial);
	jsonw_kbool(w, "keys", st->tls_keys);
	jsonw_kint(w, "keys_from_capture", (long long)st->tls_dsb_secrets);
	jsonw_kint(w, "flows_with_key", (long long)st->tls_keyed);
	jsonw_kint(w, "bad_records", (long long)st->tls_bad_records);
	jsonw_key(w, "by_outcome");
	jsonw_obj(w);
	for (unsigned k = 0; k < TLS_OUTCOMES; k++)
		if (st->tls_by_status[k])
			jsonw_kint(w, tls_outcome_name(k), (long long)st->tls_by_status[k]);
	jsonw_obj_end(w);
	jsonw_key(w, "not_decrypted");
	jsonw_arr(w);
	for (unsigned i = 0; i < st->ntls_notes; i++)
		tls_note_json(w, st, &st->tls_notes[i]);
	jsonw_arr_end(w);
	jsonw_kint(w, "not_decrypted_not_listed", (long long)st->tls_notes_dropped);
	jsonw_obj_end(w);
}

static void decode_json(struct jsonw *w, const struct input_stats *st)
{
	jsonw_obj(w);
	jsonw_kint(w, "truncated_packets", (long long)st->truncated_packets);
	jsonw_kint(w, "invalid_packets", (long long)st->invalid_packets);
	jsonw_kint(w, "unknown_linktype_packets", (long long)st->unknown_linktype_packets);
	jsonw_kint(w, "ip_fragments_incomplete", (long long)st->frag_incomplete);
	jsonw_kint(w, "ip_fragments_dropped", (long long)st->frag_dropped);
	jsonw_kint(w, "tcp_gaps", (long long)st->tcp_gaps);
	jsonw_kint(w, "tcp_gap_bytes", (long long)st->tcp_gap_bytes);
	jsonw_kint(w, "tcp_partial_messages", (long long)st->tcp_partial_messages);
	jsonw_kint(w, "tcp_capped_streams", (long long)st->tcp_capped);
	jsonw_obj_end(w);
}

/* The input's own members; inputs_json adds the call tallies and closes. */
static void input_json(struct jsonw *w, const struct input_stats *st)
{
	jsonw_obj(w);
	kcstr(w, "path", st->path);
	jsonw_key(w, "link_types");
	jsonw_arr(w);
	for (unsigned i = 0; i < st->nlinktypes; i++) {
		const char *n = linktype_name(st->linktypes[i]);
		if (n)
			jsonw_str(w, n);
		else
			jsonw_int(w, st->linktypes[i]);
	}
	jsonw_arr_end(w);
	jsonw_kint(w, "packets", (long long)st->packets);
	jsonw_kint(w, "bytes", (long long)st->bytes);
	jsonw_kint(w, "sip_messages", (long long)st->sip_messages);
	jsonw_kint(w, "malformed", (long long)st->malformed);
	jsonw_kint(w, "tls_flows", (long long)st->tls_flows);
	jsonw_key(w, "tls");
	tls_json(w, st);
	jsonw_kbool(w, "complete", st->complete);
	jsonw_key(w, "decode");
	decode_json(w, st);
	jsonw_key(w, "errors");
	jsonw_arr(w);
	if (st->fatal)
		jsonw_str(w, st->fatal);
	for (unsigned i = 0; i < st->nerrors; i++)
		jsonw_str(w, st->errors[i]);
	if (st->errors_dropped) {
		char b[64];
		snprintf(b, sizeof b, "%llu more errors not listed", (unsigned long long)st->errors_dropped);
		jsonw_str(w, b);
	}
	jsonw_arr_end(w);
}

static void sdp_media_json(struct jsonw *w, const struct sdp_media *m)
{
	jsonw_obj(w);
	ksv(w, "type", m->type);
	jsonw_kint(w, "port", m->port);
	ksv(w, "proto", m->proto);
	if (m->conn.family)
		ksv(w, "addr", m->conn.addr);
	else
		jsonw_knull(w, "addr");
	jsonw_kstr(w, "direction", sdp_dir_name(m->dir));
	jsonw_key(w, "formats");
	jsonw_arr(w);
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
		jsonw_bytes(w, b, strlen(b));
	}
	jsonw_arr_end(w);
	if (m->candidates)
		jsonw_kint(w, "ice_candidates", m->candidates);
	jsonw_obj_end(w);
}

static void sdp_json(struct jsonw *w, const struct sdp *s)
{
	jsonw_obj(w);
	ksv(w, "session_id", s->o_sess_id);
	ksv(w, "session_version", s->o_sess_version);
	jsonw_key(w, "media");
	jsonw_arr(w);
	for (unsigned i = 0; i < s->nmedia; i++)
		sdp_media_json(w, &s->media[i]);
	jsonw_arr_end(w);
	jsonw_obj_end(w);
}

static void message_json(struct jsonw *w, const struct call *c, uint32_t i)
{
	const struct call_msg *cm = &c->msgs[i];
	struct sip_msg *m = cm->m;
	char b[64];
	jsonw_obj(w);
	jsonw_kint(w, "frame", (long long)m->frame);
	if (m->first_frame != m->frame)
		jsonw_kint(w, "first_frame", (long long)m->first_frame);
	report_time(b, sizeof b, m->ts_sec, m->ts_nsec);
	jsonw_kstr(w, "time", b);
	kep(w, "src", &m->src);
	kep(w, "dst", &m->dst);
	jsonw_kstr(w, "transport", transport_name(m->transport));
	if (m->encap == ENCAP_HEP)
		jsonw_kstr(w, "encap", "hep");
	if (m->ip_fragmented)
		jsonw_kbool(w, "ip_fragmented", true);
	bool req = m->start.is_request;
	if (req)
		ksv(w, "method", m->start.method);
	else
		jsonw_knull(w, "method");
	if (!req && m->start.status) {
		jsonw_kint(w, "status", m->start.status);
		ksv(w, "reason", m->start.reason);
	} else {
		jsonw_knull(w, "status");
		jsonw_knull(w, "reason");
	}
	const struct sip_cseq *cs = sip_msg_cseq(m);
	if (cs->valid) {
		jsonw_kint(w, "cseq", cs->num);
		ksv(w, "cseq_method", cs->method);
	} else {
		jsonw_knull(w, "cseq");
		jsonw_knull(w, "cseq_method");
	}
	jsonw_kint(w, "size", (long long)m->raw_len);
	jsonw_kbool(w, "retransmission", cm->flags & CM_RETRANS);
	if (cm->flags & CM_DUPLICATE)
		jsonw_kint(w, "duplicate_of", (long long)c->msgs[cm->dup_of].m->frame);
	if (cm->dialog >= 0)
		jsonw_kint(w, "dialog", cm->dialog);
	struct sdp sdp;
	if (sip_msg_sdp_parse(m, &sdp)) {
		jsonw_key(w, "sdp");
		sdp_json(w, &sdp);
	}
	if (m->nonconformance)
		jsonw_kstr(w, "nonconformance", m->nonconformance);
	if (m->malformed) {
		jsonw_kbool(w, "malformed", true);
		jsonw_kstr(w, "malformed_reason", m->malformed_reason);
	}
	jsonw_obj_end(w);
}

/* The party of the call: From/To URI of the main request, else the first message. */
static void kparty(struct jsonw *w, const char *k, const struct call *c, bool to)
{
	const struct sip_nameaddr *na = call_party(c, to);
	if (na)
		ksv(w, k, na->uri);
	else
		jsonw_knull(w, k);
}

static void rtcp_json(struct jsonw *w, const struct media_stream *s)
{
	jsonw_obj(w);
	jsonw_kint(w, "sender_reports", s->rtcp.sr);
	if (s->rtcp.sr) {
		jsonw_kint(w, "sender_packets", s->rtcp.sender_packets);
		jsonw_kint(w, "sender_octets", s->rtcp.sender_octets);
	} else {
		jsonw_knull(w, "sender_packets");
		jsonw_knull(w, "sender_octets");
	}
	jsonw_kint(w, "receiver_reports", s->rtcp.rr);
	if (s->rtcp.rr) {
		kfig(w, "fraction_lost_max_percent", s->rtcp.fraction_lost_max);
		jsonw_kint(w, "cumulative_lost", s->rtcp.cum_lost);
		kfig(w, "jitter_max_ms", s->rtcp.jitter_max_ms);
	} else {
		jsonw_knull(w, "fraction_lost_max_percent");
		jsonw_knull(w, "cumulative_lost");
		jsonw_knull(w, "jitter_max_ms");
	}
	jsonw_obj_end(w);
}

static void media_json(struct jsonw *w, const struct call *c, const struct media_stream *s)
{
	char b[16];
	jsonw_obj(w);
	kep(w, "src", &s->src);
	kep(w, "dst", &s->dst);
	snprintf(b, sizeof b, "0x%08x", s->ssrc);
	jsonw_kstr(w, "ssrc", b);
	jsonw_kint(w, "payload_type", s->pt);
	if (s->codec[0])
		jsonw_kstr(w, "codec", s->codec);
	else
		jsonw_knull(w, "codec");
	if (s->media[0])
		jsonw_kstr(w, "media", s->media);
	else
		jsonw_knull(w, "media");
	if (s->from_caller < 0)
		jsonw_knull(w, "direction");
	else
		jsonw_kstr(w, "direction", s->from_caller ? "caller-to-callee" : "callee-to-caller");
	jsonw_kstr(w, "matched_by", media_match_name(s->match));
	if (s->dialog >= 0)
		jsonw_kint(w, "dialog", s->dialog);
	else
		jsonw_knull(w, "dialog");
	if (c && s->sdp_msg >= 0)
		jsonw_kint(w, "sdp_frame", (long long)c->msgs[s->sdp_msg].m->frame);
	else
		jsonw_knull(w, "sdp_frame");
	jsonw_kint(w, "first_frame", (long long)s->first_frame);
	jsonw_kint(w, "last_frame", (long long)s->last_frame);
	ktime(w, "start", s->start_ns);
	ktime(w, "end", s->end_ns);
	jsonw_kint(w, "packets", (long long)s->packets);
	jsonw_kint(w, "bytes", (long long)s->bytes);
	jsonw_kint(w, "other_payload_packets", (long long)s->other_pt_packets);
	jsonw_kint(w, "expected", (long long)s->expected);
	jsonw_kint(w, "lost", (long long)s->lost);
	kfig(w, "loss_percent", s->expected ? 100.0 * (double)s->lost / (double)s->expected : 0);
	jsonw_kint(w, "duplicates", (long long)s->duplicates);
	jsonw_kint(w, "out_of_order", (long long)s->out_of_order);
	jsonw_kint(w, "sequence_restarts", s->seq_restarts);
	jsonw_kint(w, "answered_packets", (long long)s->answered_packets);
	kfig(w, "jitter_mean_ms", s->jitter_mean_ms);
	kfig(w, "jitter_max_ms", s->jitter_max_ms);
	kfig(w, "max_delta_ms", s->max_delta_ms);
	if (s->max_delta_frame)
		jsonw_kint(w, "max_delta_frame", (long long)s->max_delta_frame);
	else
		jsonw_knull(w, "max_delta_frame");
	kfig(w, "burst_ratio", s->burst_ratio);
	kfig(w, "r_factor", s->r_factor);
	kfig(w, "mos", s->mos);
	if (s->src_differs)
		kep(w, "sdp_src", &s->sdp_src);
	else
		jsonw_knull(w, "sdp_src");
	if (s->dst_differs)
		kep(w, "sdp_dst", &s->sdp_dst);
	else
		jsonw_knull(w, "sdp_dst");
	jsonw_kbool(w, "private_dst", s->sdp_dst_private);
	jsonw_key(w, "relay");
	if (s->leg) {
		jsonw_obj(w);
		kep(w, "address", &s->relay);
		jsonw_kint(w, "leg", s->leg);
		jsonw_kbool(w, "in_sdp", s->relay_in_sdp);
		jsonw_obj_end(w);
	} else {
		jsonw_null(w);
	}
	jsonw_key(w, "rtcp");
	if (s->has_rtcp)
		rtcp_json(w, s);
	else
		jsonw_null(w);
	jsonw_obj_end(w);
}

static void dialog_json(struct jsonw *w, const struct call *c, const struct dialog *d)
{
	jsonw_obj(w);
	ksv(w, "from_tag", d->caller_tag);
	ksv(w, "to_tag", d->callee_tag);
	jsonw_kstr(w, "state", dialog_state_name(d->state));
	jsonw_kstr(w, "kind", d->kind == M_INVITE ? "invite" : "subscription");
	if (d->inferred)
		jsonw_kbool(w, "before_capture", true);
	if (d->offer >= 0)
		jsonw_kint(w, "offer_frame", (long long)c->msgs[d->offer].m->frame);
	else
		jsonw_knull(w, "offer_frame");
	if (d->answer >= 0)
		jsonw_kint(w, "answer_frame", (long long)c->msgs[d->answer].m->frame);
	else
		jsonw_knull(w, "answer_frame");
	jsonw_obj_end(w);
}

static void call_json(struct jsonw *w, const struct call *c)
{
	jsonw_obj(w);
	jsonw_kint(w, "number", (long long)call_number(c->seq));
	kcstr(w, "call_id", c->call_id);
	jsonw_kint(w, "input", c->input);
	jsonw_kstr(w, "kind", call_kind_name(c->kind));
	jsonw_kstr(w, "state", call_state_name(c->state));
	if (c->final_status)
		jsonw_kint(w, "final_status", c->final_status);
	else
		jsonw_knull(w, "final_status");
	ktime(w, "start", c->start_ns);
	ktime(w, "end", c->end_ns);
	ksecs(w, "setup_time", c->setup_ns);
	ksecs(w, "duration", c->duration_ns);
	if (c->duration_ns >= 0)
		jsonw_kstr(w, "duration_until", call_until_name(c->until));
	else
		jsonw_knull(w, "duration_until");
	kparty(w, "from", c, false);
	kparty(w, "to", c, true);
	jsonw_key(w, "dialogs");
	jsonw_arr(w);
	for (uint32_t i = 0; i < c->ndialogs; i++)
		dialog_json(w, c, &c->dialogs[i]);
	jsonw_arr_end(w);
	jsonw_key(w, "linked_calls");
	jsonw_arr(w);
	for (uint32_t i = 0; i < c->nlinks; i++) {
		jsonw_obj(w);
		jsonw_kbytes(w, "call_id", c->links[i].call_id, c->links[i].call_id_len);
		jsonw_kstr(w, "by", c->links[i].how);
		jsonw_obj_end(w);
	}
	jsonw_arr_end(w);
	/* the memory bound (--max-memory): present only when it acted */
	if (c->early)
		jsonw_kbool(w, "finalised_early", true);
	if (c->continues)
		jsonw_kint(w, "continues_call", (long long)call_number(c->continues - 1));
	jsonw_kint(w, "findings", c->findings);
	jsonw_kbool(w, "media_in_capture", c->media_visible);
	jsonw_key(w, "media");
	jsonw_arr(w);
	for (uint32_t i = 0; i < c->nmedia; i++)
		media_json(w, c, &c->media[i]);
	jsonw_arr_end(w);
	jsonw_key(w, "messages");
	jsonw_arr(w);
	for (uint32_t i = 0; i < c->nmsgs; i++)
		message_json(w, c, i);
	jsonw_arr_end(w);
	jsonw_obj_end(w);
}

/* "<severity> <rule> <cause>": equal for the findings the text report
 * shows as one block */
static void kgroup(struct jsonw *w, const struct finding *f)
{
	char *g = NULL;
	const char *cause = f->group ? f->group : "";
	if (asprintf(&g, "%s %s %s", severity_name(f->severity), f->rule, cause) < 0)
		g = NULL;
	if (g)
		kcstr(w, "group", g);
	else
		jsonw_kstr(w, "group", f->rule);
	free(g);
}

static void kopt_bytes(struct jsonw *w, const char *k, const char *s)
{
	if (s)
		kcstr(w, k, s);
	else
		jsonw_knull(w, k);
}

static void finding_json(struct jsonw *w, const struct report *r, const struct finding *f)
{
	jsonw_obj(w);
	jsonw_kstr(w, "rule", f->rule);
	jsonw_kstr(w, "severity", severity_name(f->severity));
	jsonw_kint(w, "input", f->input);
	if (f->call_seq != FINDING_NO_CALL)
		jsonw_kint(w, "call", (long long)call_number(f->call_seq));
	else
		jsonw_knull(w, "call");
	kopt_bytes(w, "call_id", f->call_id);
	if (f->from_tag) {
		kcstr(w, "from_tag", f->from_tag);
		kcstr(w, "to_tag", f->to_tag);
	}
	jsonw_kint(w, "frame", (long long)f->frame);
	jsonw_key(w, "frames");
	jsonw_arr(w);
	for (size_t i = 0; i < f->nframes; i++)
		jsonw_int(w, (long long)f->frames[i]);
	jsonw_arr_end(w);
	ktime(w, "time", f->ts_ns);
	kcstr(w, "summary", f->summary);
	kopt_bytes(w, "explanation", f->explanation);
	kopt_bytes(w, "hint", f->hint);
	jsonw_kstr(w, "reference", f->reference);
	kgroup(w, f);
	if (f->host[0])
		jsonw_kstr(w, "host", f->host);
	else
		jsonw_knull(w, "host");
	if (r->opt && r->opt->baseline)
		jsonw_kbool(w, "baselined", f->baselined);
	jsonw_obj_end(w);
}

/* The report's writer, emptied for the next value (one per report: the
 * state of a report being written lives in the report, not in a static). */
static struct jsonw *writer(struct report *r)
{
	if (!r->json)
		r->json = xcalloc(1, sizeof *r->json);
	jsonw_reset(r->json);
	return r->json;
}

/* Writes what the writer holds with one fwrite. */
static void flush(struct report *r)
{
	const struct jsonw *w = r->json;
	if (w->len && fwrite(w->p, w->len, 1, r->out) != 1)
		r->err = -1;
}

void report_json_free(struct report *r)
{
	if (!r->json)
		return;
	jsonw_free(r->json);
	free(r->json);
	r->json = NULL;
}

#define SCHEMA_ID "sipaudit.report/1"

/* A jsonl line: {"schema":..., "type":..., then the caller's members. */
static struct jsonw *line_json(struct report *r, const char *type)
{
	struct jsonw *w = writer(r);
	jsonw_obj(w);
	jsonw_kstr(w, "schema", SCHEMA_ID);
	jsonw_kstr(w, "type", type);
	return w;
}

static void line_end(struct report *r)
{
	jsonw_obj_end(r->json);
	jsonw_raw(r->json, "\n", 1);
	flush(r);
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
		struct jsonw *w = line_json(r, "call");
		jsonw_key(w, "call");
		call_json(w, c);
		jsonw_key(w, "findings");
		jsonw_arr(w);
		for (size_t i = 0; i < nf; i++)
			finding_json(w, r, f[i]);
		jsonw_arr_end(w);
		line_end(r);
	} else {
		struct jsonw *w = writer(r);
		if (r->calls_written > 1)
			jsonw_raw(w, ",\n", 2);
		call_json(w, c);
		flush(r);
	}
}

void report_json_finding(struct report *r, const struct finding *f)
{
	struct jsonw *w = line_json(r, "finding");
	jsonw_key(w, "finding");
	finding_json(w, r, f);
	line_end(r);
}

static void kpi_json(struct jsonw *w, const char *k, const struct kpi_set *s);

static void input_full_json(struct jsonw *w, const struct report *r, size_t i)
{
	input_json(w, &r->inputs[i]);
	jsonw_kint(w, "calls", (long long)r->tally[i].calls);
	jsonw_key(w, "calls_by_kind");
	jsonw_obj(w);
	for (int x = 0; x < KIND_COUNT; x++)
		if (r->tally[i].by_kind[x])
			jsonw_kint(w, call_kind_name((enum call_kind)x), (long long)r->tally[i].by_kind[x]);
	jsonw_obj_end(w);
	jsonw_key(w, "calls_by_state");
	jsonw_obj(w);
	for (int x = 0; x < STATE_COUNT; x++)
		if (r->tally[i].by_state[x])
			jsonw_kint(w, call_state_name((enum call_state)x), (long long)r->tally[i].by_state[x]);
	jsonw_obj_end(w);
	if (r->tally[i].early)
		jsonw_kint(w, "calls_finalised_early", (long long)r->tally[i].early);
	if (r->tally[i].t4_cut)
		jsonw_kint(w, "calls_closed_before_t4", (long long)r->tally[i].t4_cut);
	jsonw_kint(w, "rtp_packets", (long long)r->inputs[i].rtp_packets);
	jsonw_kint(w, "rtcp_packets", (long long)r->inputs[i].rtcp_packets);
	jsonw_key(w, "unmatched_media");
	jsonw_arr(w);
	for (size_t k = 0; k < r->norphans; k++)
		if (r->orphans[k].input == i)
			media_json(w, NULL, &r->orphans[k].s);
	jsonw_arr_end(w);
	jsonw_kint(w, "unmatched_media_not_listed", r->orphans_unlisted ? (long long)r->orphans_unlisted[i] : 0);
	if (r->kpis)
		kpi_json(w, "kpis", kpis_input(r->kpis, (uint32_t)i));
	jsonw_obj_end(w);
}

/* ---- KPIs (analyzer/model/kpi.h) ---- */

static void kratio(struct jsonw *w, const char *k, bool ok, double v)
{
	if (ok)
		jsonw_kreal(w, k, round(v * 10000) / 10000);
	else
		jsonw_knull(w, k);
}

/* {"n", "p50", "p95", "max"} in unit us_per (1000: ms, 1e6: s), 3 decimals */
static void kquant(struct jsonw *w, const char *k, const struct kpi_dist *d, double us_per)
{
	struct kpi_quant q;
	kpi_dist_quant(d, &q);
	jsonw_key(w, k);
	jsonw_obj(w);
	jsonw_kint(w, "n", (long long)q.n);
	const char *names[3] = {"p50", "p95", "max"};
	int64_t v[3] = {q.p50, q.p95, q.max};
	for (int i = 0; i < 3; i++)
		if (q.n)
			jsonw_kreal(w, names[i], round((double)v[i] / us_per * 1000) / 1000);
		else
			jsonw_knull(w, names[i]);
	jsonw_obj_end(w);
}

static void kpi_members(struct jsonw *w, const struct kpi_set *s)
{
	double v;
	jsonw_kint(w, "calls_attempted", (long long)s->attempted);
	jsonw_kint(w, "calls_answered", (long long)s->answered);
	jsonw_kint(w, "calls_in_progress", (long long)s->in_progress);
	bool ok = kpi_asr(s, &v);
	kratio(w, "asr", ok, v);
	ok = kpi_ner(s, &v);
	kratio(w, "ner", ok, v);
	if (kpi_acd(s, &v))
		jsonw_kreal(w, "acd_s", round(v * 1000) / 1000);
	else
		jsonw_knull(w, "acd_s");
	jsonw_kint(w, "acd_calls", (long long)s->acd_calls);
	kquant(w, "pdd_ms", &s->pdd, 1000);
	kquant(w, "setup_ms", &s->setup, 1000);
	jsonw_key(w, "codes");
	jsonw_obj(w);
	uint64_t classes[7] = {0};
	for (uint32_t i = 0; i < s->ncodes; i++) {
		char b[8];
		snprintf(b, sizeof b, "%u", (unsigned)s->codes[i].code);
		jsonw_kint(w, b, (long long)s->codes[i].n);
		if (s->codes[i].code / 100 < 7)
			classes[s->codes[i].code / 100] += s->codes[i].n;
	}
	jsonw_obj_end(w);
	jsonw_key(w, "classes");
	jsonw_obj(w);
	for (int c = 1; c < 7; c++)
		if (classes[c]) {
			char b[8];
			snprintf(b, sizeof b, "%dxx", c);
			jsonw_kint(w, b, (long long)classes[c]);
		}
	jsonw_obj_end(w);
	jsonw_kint(w, "no_response", (long long)s->no_response);
	jsonw_kint(w, "no_final", (long long)s->no_final);
	jsonw_kint(w, "cancelled", (long long)s->cancelled);
	uint64_t done = s->attempted - s->in_progress;
	kratio(w, "cancel_share", done > 0, done ? (double)s->cancelled / (double)done : 0);
	jsonw_key(w, "registrations");
	jsonw_obj(w);
	jsonw_kint(w, "attempted", (long long)s->reg_attempted);
	jsonw_kint(w, "successful", (long long)s->reg_successful);
	kquant(w, "refresh_s", &s->refresh, 1e6);
	jsonw_obj_end(w);
	jsonw_key(w, "retransmissions");
	jsonw_obj(w);
	jsonw_kint(w, "messages", (long long)s->messages);
	jsonw_kint(w, "retransmitted", (long long)s->retransmitted);
	kratio(w, "rate", s->messages > 0, s->messages ? (double)s->retransmitted / (double)s->messages : 0);
	jsonw_obj_end(w);
}

static void kpi_json(struct jsonw *w, const char *k, const struct kpi_set *s)
{
	jsonw_key(w, k);
	jsonw_obj(w);
	kpi_members(w, s);
	jsonw_obj_end(w);
}

static void kpi_groups_json(struct jsonw *w, struct kpis *k, enum kpi_group_kind kind)
{
	static const char *const names[KPI_GROUP_KINDS] = {"kpis_by_peer", "kpis_by_pair", "kpis_by_agent"};
	const struct kpi_group *const *g;
	size_t n = kpis_groups(k, kind, &g);
	jsonw_key(w, names[kind]);
	jsonw_arr(w);
	for (size_t i = 0; i < n; i++) {
		char b[ENDPOINT_STRLEN];
		jsonw_obj(w);
		if (g[i]->others) {
			jsonw_kbool(w, "others", true);
		} else if (kind == KPI_PEER) {
			endpoint_format_ip(&g[i]->a, b, sizeof b);
			jsonw_kstr(w, "host", b);
		} else if (kind == KPI_PAIR) {
			endpoint_format_ip(&g[i]->a, b, sizeof b);
			jsonw_kstr(w, "src", b);
			endpoint_format_ip(&g[i]->b, b, sizeof b);
			jsonw_kstr(w, "dst", b);
		} else {
			jsonw_kstr(w, "agent", g[i]->agent);
			jsonw_kstr(w, "header", g[i]->server ? "Server" : "User-Agent");
		}
		kpi_members(w, &g[i]->k);
		jsonw_obj_end(w);
	}
	jsonw_arr_end(w);
}

static void sev_json(struct jsonw *w, const uint64_t *n)
{
	jsonw_obj(w);
	jsonw_kint(w, "error", (long long)n[SEV_ERROR]);
	jsonw_kint(w, "warning", (long long)n[SEV_WARNING]);
	jsonw_kint(w, "info", (long long)n[SEV_INFO]);
	jsonw_obj_end(w);
}

static void summary_json(struct jsonw *w, const struct report *r)
{
	jsonw_obj(w);
	jsonw_kint(w, "calls", (long long)r->calls_written);
	jsonw_key(w, "findings");
	sev_json(w, r->nsev);
	if (r->opt && r->opt->baseline) {
		jsonw_key(w, "baselined");
		sev_json(w, r->nbaselined);
	}
	if (r->kpis) {
		kpi_json(w, "kpis", kpis_total(r->kpis));
		for (int k = 0; k < KPI_GROUP_KINDS; k++)
			kpi_groups_json(w, r->kpis, (enum kpi_group_kind)k);
	}
	jsonw_obj_end(w);
}

static void jsonl_end(struct report *r)
{
	struct jsonw *w = line_json(r, "summary");
	jsonw_key(w, "tool");
	jsonw_obj(w);
	jsonw_kstr(w, "name", "sipaudit");
	jsonw_kstr(w, "version", SIPAUDIT_VERSION);
	jsonw_obj_end(w);
	jsonw_key(w, "inputs");
	jsonw_arr(w);
	for (size_t i = 0; i < r->ninputs; i++)
		input_full_json(w, r, i);
	jsonw_arr_end(w);
	jsonw_key(w, "summary");
	summary_json(w, r);
	line_end(r);
}

void report_json_end(struct report *r)
{
	if (jsonl(r)) {
		jsonl_end(r);
		return;
	}
	fputs("],\n\"inputs\":[\n", r->out);
	for (size_t i = 0; i < r->ninputs; i++) {
		struct jsonw *w = writer(r);
		if (i > 0)
			jsonw_raw(w, ",\n", 2);
		input_full_json(w, r, i);
		flush(r);
	}
	fputs("],\n\"findings\":[\n", r->out);
	for (size_t i = 0; i < r->nfindings; i++) {
		struct jsonw *w = writer(r);
		if (i > 0)
			jsonw_raw(w, ",\n", 2);
		finding_json(w, r, r->findings[i]);
		flush(r);
	}
	fputs("],\n\"summary\":", r->out);
	summary_json(writer(r), r);
	flush(r);
	fputs("}\n", r->out);
}
