/* dtmf_mismatch.c - dtmf-mismatch: DTMF sent in a way the session did not
 * negotiate (RFC 4733, RFC 3264 §6.1):
 *  - RFC 4733 events flow while only one of offer and answer (the exchange
 *    in force when they started) lists telephone-event: offered and not
 *    accepted, or answered without being offered. A payload type is events
 *    when the receiver's SDP maps it to telephone-event, or, when it does
 *    not map it at all, the sender's SDP does;
 *  - DTMF by SIP INFO (application/dtmf-relay, application/dtmf) in a dialog
 *    whose offer and answer both list telephone-event, the sender free to
 *    send RTP to its peer (not on hold towards it).
 * Not for telephone-event offered and refused with no events flowing (plain
 * negotiation), nor for offer and answer that number telephone-event
 * differently: each direction uses its receiver's number (RFC 3264 §6.1). */
#include <stdio.h>
#include <string.h>

#include "../analyzer/sip/sdp.h"
#include "rule.h"

static const char *who(bool caller)
{
	return caller ? "caller" : "callee";
}

/* Did the caller send message idx? A response comes from the other side
 * of its request; one outside any dialog answers the initial INVITE. */
static bool sent_by_caller(const struct call *c, int32_t idx)
{
	const struct call_msg *cm = &c->msgs[idx];
	if (cm->m->start.is_request)
		return cm->caller_dir;
	return cm->dialog >= 0 && !cm->caller_dir;
}

/* The offer/answer in force at time t in dialog di (-1: any): the latest
 * one completed by then; -1 none. */
static int32_t in_force(const struct call *c, int32_t di, int64_t t)
{
	int32_t best = -1;
	for (uint32_t i = 0; i < c->nsdp; i++) {
		const struct sdp_exchange *x = &c->sdp[i];
		if (x->answer < 0 || (di >= 0 && x->dialog >= 0 && x->dialog != di))
			continue;
		if (msg_ns(c->msgs[x->answer].m) <= t)
			best = (int32_t)i;
	}
	return best;
}

static bool load(const struct call *c, const struct sdp_exchange *x, const struct sdp **o, const struct sdp **a)
{
	return (*o = sip_msg_sdp_get(c->msgs[x->offer].m)) && (*a = sip_msg_sdp_get(c->msgs[x->answer].m));
}

/* What payload type pt is in media md: 1 telephone-event, -1 something
 * else (its rtpmap, or a static payload type), 0 not said. */
static int te_map(const struct sdp_media *md, int pt)
{
	for (unsigned i = 0; i < md->nmap; i++)
		if (md->map[i].pt == pt)
			return sv_eq_cstr_ci(md->map[i].encoding, "telephone-event") ? 1 : -1;
	return pt < 96 ? -1 : 0;
}

/* The first payload type md lists (m= line, port not 0) as
 * telephone-event, -1 none. */
static int te_listed(const struct sdp_media *md)
{
	if (!md->port)
		return -1;
	for (unsigned k = 0; k < md->nfmt; k++)
		if (md->fmt[k] >= 0 && te_map(md, md->fmt[k]) == 1)
			return md->fmt[k];
	return -1;
}

static bool is_audio(const struct sdp_media *md)
{
	return sv_eq_cstr_ci(md->type, "audio");
}

/* ---- RFC 4733 events without telephone-event negotiated ---- */

struct stray {
	const struct media_stream *s; /* the first stream that sent them */
	const struct media_pt *p;
	int32_t x;                    /* the offer/answer in force */
	int opt, apt;                 /* telephone-event of offer and answer, -1 */
	bool offerer_caller;
	uint64_t packets, streams;    /* all such events of the call */
};

/* Is payload type p of stream s RFC 4733 events that the offer/answer in
 * force did not negotiate? Fills st when it is the first. */
static void stray_check(const struct call *c, const struct media_stream *s, const struct media_pt *p,
			struct stray *st)
{
	if (p->pt < 35)
		return; /* a static payload type (RFC 3551) is a codec */
	int32_t xi = in_force(c, s->dialog, p->first_ns);
	if (xi < 0)
		return;
	const struct sdp_exchange *x = &c->sdp[xi];
	const struct sdp *o, *a;
	if (!load(c, x, &o, &a))
		return;
	/* offer and answer have the same m= lines (RFC 3264 §6) */
	int k = s->mline >= 0 && (unsigned)s->mline < o->nmedia && (unsigned)s->mline < a->nmedia ? s->mline : -1;
	for (unsigned i = 0; k < 0 && i < o->nmedia && i < a->nmedia; i++)
		if (is_audio(&o->media[i]))
			k = (int)i;
	if (k < 0)
		return;
	const struct sdp_media *om = &o->media[k], *am = &a->media[k];
	if (!om->port || !am->port)
		return;
	bool ocaller = sent_by_caller(c, x->offer);
	/* the payload types of a direction are its receiver's, else the
	 * sender's (RFC 3264 §5.1, §6.1): a number the receiver gives to
	 * another encoding is that encoding */
	int kind;
	if (s->from_caller >= 0) {
		bool snd_offer = (s->from_caller == 1) == ocaller;
		const struct sdp_media *rcv = snd_offer ? am : om, *snd = snd_offer ? om : am;
		kind = te_map(rcv, p->pt);
		if (!kind)
			kind = te_map(snd, p->pt);
	} else {
		int ko = te_map(om, p->pt), ka = te_map(am, p->pt);
		kind = ko < 0 || ka < 0 ? -1 : ko > 0 || ka > 0 ? 1 : 0;
	}
	if (kind != 1)
		return;
	int opt = te_listed(om), apt = te_listed(am);
	if (opt >= 0 && apt >= 0)
		return; /* negotiated, whatever the numbers */
	if (opt < 0 && apt < 0)
		return; /* neither lists it: an SDP maps it without listing it */
	st->packets += p->packets;
	st->streams++;
	if (st->s && st->p->first_frame <= p->first_frame)
		return;
	st->s = s;
	st->p = p;
	st->x = xi;
	st->opt = opt;
	st->apt = apt;
	st->offerer_caller = ocaller;
}

static void check_events(struct rule_ctx *ctx, const struct call *c)
{
	struct stray st = { .x = -1 };
	for (uint32_t i = 0; i < c->nmedia; i++) {
		const struct media_stream *s = &c->media[i];
		if (s->leg == 2)
			continue; /* a relay's second leg carries the same packets again */
		for (unsigned j = 0; j < s->npts && j < MEDIA_MAX_PTS; j++)
			stray_check(c, s, &s->pts[j], &st);
	}
	if (!st.s)
		return;
	const struct sdp_exchange *x = &c->sdp[st.x];
	const struct media_stream *s = st.s;
	char ol[96], al[96], src[ENDPOINT_STRLEN], dst[ENDPOINT_STRLEN], sender[ENDPOINT_STRLEN + 16];
	msg_label(ol, sizeof ol, c, x->offer);
	msg_label(al, sizeof al, c, x->answer);
	endpoint_format(&s->src, src, sizeof src);
	endpoint_format(&s->dst, dst, sizeof dst);
	if (s->from_caller >= 0)
		snprintf(sender, sizeof sender, "%s", who(s->from_caller == 1));
	else
		snprintf(sender, sizeof sender, "party at %s", src);
	bool offered = st.opt >= 0; /* else the answer has it, the offer not */
	struct finding *f = finding_new(ctx, c, SEV_WARNING);
	finding_msg(f, c, x->offer);
	finding_msg(f, c, x->answer);
	finding_key_frame(f, st.p->first_frame);
	char more[64] = "";
	if (st.streams > 1)
		snprintf(more, sizeof more, "; %llu event packets in %llu streams in all", (unsigned long long)st.packets,
			 (unsigned long long)st.streams);
	if (offered)
		finding_summary(f, "the %s sends RFC 4733 events (payload type %u, %llu packets, %s -> %s%s) although the "
				   "answer in %s did not accept the telephone-event offered in %s",
				sender, st.p->pt, (unsigned long long)st.p->packets, src, dst, more, al, ol);
	else
		finding_summary(f, "the %s sends RFC 4733 events (payload type %u, %llu packets, %s -> %s%s) although "
				   "telephone-event is only in the answer in %s, not in the offer in %s",
				sender, st.p->pt, (unsigned long long)st.p->packets, src, dst, more, al, ol);
	if (offered)
		finding_explain(f, "The %s offered telephone-event (payload type %d) and the %s's answer left it "
				   "out, so RFC 4733 DTMF was not negotiated for this stream (RFC 3264 §6.1); the %s "
				   "sends the digits as RTP events anyway. The receiver does not expect that payload "
				   "type: it drops the packets or plays them as noise, and the digits are lost.",
				who(st.offerer_caller), st.opt, who(!st.offerer_caller), sender);
	else
		finding_explain(f, "The %s's answer lists telephone-event (payload type %d) that the offer did not: "
				   "an answer may add formats, but nobody sends them until an offer lists them (RFC "
				   "3264 §6.1), so RFC 4733 DTMF was not negotiated; the %s sends the digits as RTP "
				   "events anyway. The receiver may drop the packets or play them as noise, and the "
				   "digits are lost.",
				who(!st.offerer_caller), st.apt, sender);
	finding_hint(f, "Use one DTMF method both ends accept: enable RFC 4733 (rfc2833, telephone-event) on the "
			"side that left it out, or switch the %s to the method its peer negotiated (SIP INFO or "
			"in-band).", sender);
	finding_host(f, &s->src);
	if (offered)
		finding_group(f, "RFC 4733 events from %s, telephone-event offered but not accepted", f->host);
	else
		finding_group(f, "RFC 4733 events from %s, telephone-event answered but not offered", f->host);
	finding_emit(ctx, f);
}

/* ---- DTMF by SIP INFO while RFC 4733 was negotiated ---- */

/* The DTMF content type of an INFO (static string), NULL when it is not one. */
static const char *dtmf_type(const struct sip_msg *m)
{
	struct sv ct = sv_trim(sip_msg_hdr(m, SIP_H_CONTENT_TYPE));
	ptrdiff_t semi = sv_find(ct, ';');
	if (semi >= 0)
		ct = sv_trim(sv_make(ct.p, (size_t)semi));
	if (sv_eq_cstr_ci(ct, "application/dtmf-relay"))
		return "application/dtmf-relay";
	if (sv_eq_cstr_ci(ct, "application/dtmf"))
		return "application/dtmf";
	return NULL;
}

static bool digit_char(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'D') || (ch >= 'a' && ch <= 'd') || ch == '*' ||
	       ch == '#';
}

/* Appends the digit an INFO body carries ("Signal=5" of dtmf-relay, the
 * body itself of application/dtmf) to out; nothing when there is none. */
static void info_digit(const struct sip_msg *m, bool relay, char *out, size_t size)
{
	struct sv b = m->body, v = { NULL, 0 };
	if (relay) {
		while (b.len) {
			ptrdiff_t nl = sv_find(b, '\n');
			struct sv line = sv_trim(sv_make(b.p, nl >= 0 ? (size_t)nl : b.len));
			b = nl >= 0 ? sv_make(b.p + nl + 1, b.len - (size_t)nl - 1) : sv_make(b.p, 0);
			ptrdiff_t eq = sv_find(line, '=');
			if (eq > 0 && sv_eq_cstr_ci(sv_trim(sv_make(line.p, (size_t)eq)), "signal")) {
				v = sv_trim(sv_make(line.p + eq + 1, line.len - (size_t)eq - 1));
				break;
			}
		}
	} else {
		v = sv_trim(b);
	}
	size_t n = strlen(out);
	if (v.len == 1 && digit_char(v.p[0]) && n + 1 < size) {
		out[n] = v.p[0];
		out[n + 1] = 0;
	} else if (v.len == 2 && v.p[0] == '1' && (v.p[1] == '0' || v.p[1] == '1') && n + 1 < size) {
		out[n] = v.p[1] == '0' ? '*' : '#'; /* RFC 4733 event codes 10 and 11 */
		out[n + 1] = 0;
	}
}

static bool sends(const struct sdp_media *md)
{
	return md->dir != SDP_RECVONLY && md->dir != SDP_INACTIVE;
}

static bool receives(const struct sdp_media *md)
{
	return md->dir != SDP_SENDONLY && md->dir != SDP_INACTIVE;
}

/* Did offer/answer x negotiate telephone-event on an audio stream the
 * caller (from_caller) or callee may send on? Its payload types in *opt, *apt. */
static bool negotiated(const struct call *c, const struct sdp_exchange *x, bool from_caller, int *opt, int *apt)
{
	const struct sdp *o, *a;
	if (!load(c, x, &o, &a))
		return false;
	bool snd_offer = from_caller == sent_by_caller(c, x->offer);
	for (unsigned k = 0; k < o->nmedia && k < a->nmedia; k++) {
		const struct sdp_media *om = &o->media[k], *am = &a->media[k];
		if (!is_audio(om))
			continue;
		const struct sdp_media *snd = snd_offer ? om : am, *rcv = snd_offer ? am : om;
		*opt = te_listed(om);
		*apt = te_listed(am);
		if (*opt >= 0 && *apt >= 0 && sends(snd) && receives(rcv))
			return true;
	}
	return false;
}

static void check_info(struct rule_ctx *ctx, const struct call *c)
{
	struct finding *f = NULL;
	int32_t first = -1, fx = -1;
	const char *type = NULL;
	bool mixed = false;
	int opt = -1, apt = -1;
	unsigned n = 0;
	char digits[24] = "";
	for (uint32_t i = 0; i < c->nmsgs; i++) {
		const struct call_msg *cm = &c->msgs[i];
		if (cm->method != M_INFO || !cm->m->start.is_request || !msg_is_first(c, (int32_t)i))
			continue;
		const char *t = dtmf_type(cm->m);
		if (!t)
			continue;
		int32_t xi = in_force(c, cm->dialog, msg_ns(cm->m));
		int po, pa;
		if (xi < 0 || !negotiated(c, &c->sdp[xi], cm->caller_dir, &po, &pa))
			continue;
		if (first >= 0 && cm->caller_dir != c->msgs[first].caller_dir)
			continue; /* one finding tells one sender */
		if (!f) {
			f = finding_new(ctx, c, SEV_WARNING);
			first = (int32_t)i;
			fx = xi;
			type = t;
			opt = po;
			apt = pa;
			finding_key(f, c, (int32_t)i);
			finding_msg(f, c, c->sdp[xi].offer);
			finding_msg(f, c, c->sdp[xi].answer);
		} else {
			finding_msg(f, c, (int32_t)i);
			mixed = mixed || strcmp(t, type) != 0;
		}
		n++;
		info_digit(cm->m, strcmp(t, "application/dtmf-relay") == 0, digits, sizeof digits);
	}
	if (!f)
		return;
	const struct call_msg *cm = &c->msgs[first];
	const struct sdp_exchange *x = &c->sdp[fx];
	char ol[96], al[96], resp[48] = "", dg[48] = "";
	msg_label(ol, sizeof ol, c, x->offer);
	msg_label(al, sizeof al, c, x->answer);
	if (cm->txn >= 0 && c->txns[cm->txn].status)
		snprintf(resp, sizeof resp, ", %sanswered %d", n > 1 ? "the first " : "", c->txns[cm->txn].status);
	if (digits[0])
		snprintf(dg, sizeof dg, ", digit%s %s", strlen(digits) > 1 ? "s" : "", digits);
	bool caller = cm->caller_dir;
	char pts[48];
	if (opt == apt)
		snprintf(pts, sizeof pts, "payload type %d", opt);
	else
		snprintf(pts, sizeof pts, "payload types %d and %d", opt, apt);
	finding_summary(f, "the %s sends DTMF by SIP INFO (%u request%s, %s%s%s) although the offer in %s and the "
			   "answer in %s both have RFC 4733 telephone-event (%s)",
			who(caller), n, n > 1 ? "s" : "", mixed ? "application/dtmf-relay and application/dtmf" : type,
			dg, resp, ol, al, pts);
	finding_explain(f, "Offer and answer both list telephone-event, so the %s expects DTMF as RFC 4733 events in "
			   "the RTP stream (RFC 4733, RFC 3264 §6.1); the %s sends the digits as SIP INFO instead, "
			   "a legacy method no INFO package negotiated (RFC 6086). A peer that listens to the media "
			   "for DTMF (an IVR, a gateway) may ignore the INFO and lose the digits; one that takes "
			   "both may see them twice.",
			who(!caller), who(caller));
	finding_hint(f, "Use one DTMF method per call: set the %s's DTMF mode to RFC 4733 (rfc2833) when "
			"telephone-event is negotiated, or leave telephone-event out of its SDP when it must use "
			"SIP INFO.", who(caller));
	finding_group(f, "DTMF by SIP INFO from %s although RFC 4733 was negotiated", f->host);
	finding_emit(ctx, f);
}

static void check(struct rule_ctx *ctx, const struct call *c)
{
	if (c->kind != KIND_CALL || !c->nsdp)
		return;
	check_events(ctx, c);
	check_info(ctx, c);
}

const struct rule rule_dtmf_mismatch = {
	.id = "dtmf-mismatch",
	.severity = SEV_WARNING,
	.summary = "RFC 4733 events sent without telephone-event negotiated, or SIP INFO DTMF where it was",
	.reference = "RFC 4733, RFC 3264 §6.1, RFC 6086",
	.check_call = check,
};
