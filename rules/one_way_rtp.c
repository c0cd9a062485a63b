/* one_way_rtp.c - one-way-rtp: what the media in the capture shows about an
 * answered call: RTP in one direction only or none at all while both sides
 * agreed to send (RFC 3264 §5.1, §6.1), RTP arriving from an address other
 * than the sender's SDP with no symmetric RTP on the other side (RFC 4961,
 * "comedia" RFC 4145), RTP sent to a private SDP address from the public
 * side of a NAT. Hold (sendonly/recvonly/inactive) and early media that
 * stops at the answer are not faults. */
#include <stdio.h>
#include <string.h>

#include "../analyzer/sip/sdp.h"
#include "rule.h"

/* Two-way negotiated time shorter than this is not judged: media may not
 * have started (immediate hang-up, hold right after the answer). */
#define MIN_TWO_WAY_NS 2000000000LL

/* Direction of the first RTP/AVP m= line an SDP exchange agreed on:
 * 3 both ways, 1 the offerer sends only, 2 the answerer sends only, 0 none;
 * -1 when the exchange has no RTP media line. */
static int agreed(const struct call *c, const struct sdp_exchange *x)
{
	const struct sdp *o = sip_msg_sdp_get(c->msgs[x->offer].m), *a = o ? sip_msg_sdp_get(c->msgs[x->answer].m) : NULL;
	if (!a)
		return -1;
	for (unsigned k = 0; k < o->nmedia && k < a->nmedia; k++) {
		const struct sdp_media *om = &o->media[k], *am = &a->media[k];
		if (!sv_eq_cstr_ci(om->type, "audio") && !sv_eq_cstr_ci(om->type, "video"))
			continue;
		if (!om->port || !am->port)
			return 0;
		bool osend = om->dir != SDP_RECVONLY && om->dir != SDP_INACTIVE;
		bool orecv = om->dir != SDP_SENDONLY && om->dir != SDP_INACTIVE;
		bool asend = am->dir != SDP_RECVONLY && am->dir != SDP_INACTIVE;
		bool arecv = am->dir != SDP_SENDONLY && am->dir != SDP_INACTIVE;
		return (osend && arecv ? 1 : 0) | (asend && orecv ? 2 : 0);
	}
	return -1;
}

/* Capture time during which both sides of dialog di had agreed to send,
 * between its answer and end. */
static int64_t two_way_time(const struct call *c, int32_t di, int64_t start, int64_t end)
{
	int64_t total = 0, since = -1;
	bool any = false;
	for (uint32_t i = 0; i < c->nsdp; i++) {
		const struct sdp_exchange *x = &c->sdp[i];
		if (x->answer < 0 || (x->dialog >= 0 && x->dialog != di))
			continue;
		int d = agreed(c, x);
		if (d < 0)
			continue;
		any = true;
		int64_t t = msg_ns(c->msgs[x->answer].m);
		if (t < start)
			t = start;
		if (since >= 0 && t > since)
			total += t - since;
		since = d == 3 ? t : -1;
	}
	if (since >= 0 && end > since)
		total += end - since;
	return any ? total : -1;
}

static const char *who(bool caller)
{
	return caller ? "caller" : "callee";
}

/* Does some stream in the other direction go to address e? */
static const struct media_stream *sent_to(const struct call *c, int8_t from_caller, const struct endpoint *e)
{
	for (uint32_t i = 0; i < c->nmedia; i++) {
		const struct media_stream *s = &c->media[i];
		if (s->from_caller == from_caller && endpoint_eq(&s->dst, e))
			return s;
	}
	return NULL;
}

static void nat_check(struct rule_ctx *ctx, const struct call *c, int32_t ans)
{
	for (int pass = 0; pass < 2; pass++)
	for (uint32_t i = 0; i < c->nmedia; i++) {
		const struct media_stream *s = &c->media[i];
		if (s->from_caller < 0)
			continue;
		char a[ENDPOINT_STRLEN], b[ENDPOINT_STRLEN], d[ENDPOINT_STRLEN];
		int8_t back = (int8_t)!s->from_caller;
		if (pass == 0 && s->src_differs) {
			endpoint_format(&s->src, a, sizeof a);
			endpoint_format(&s->sdp_src, b, sizeof b);
			const struct media_stream *latched = sent_to(c, back, &s->src);
			const struct media_stream *to_sdp = sent_to(c, back, &s->sdp_src);
			if (!latched && !to_sdp)
				continue; /* nothing comes back at all: the one-way finding says it */
			struct finding *f = finding_new(ctx, c, latched ? SEV_INFO : SEV_ERROR);
			finding_msg(f, c, s->sdp_msg);
			finding_msg(f, c, ans);
			finding_key_frame(f, s->first_frame);
			if (latched) {
				finding_frame(f, latched->first_frame);
				finding_summary(f, "the %s's RTP comes from %s, not its SDP address %s; the %s answers there "
						   "(symmetric RTP)", who(s->from_caller), a, b, who(!s->from_caller));
				finding_explain(f, "The %s's media leaves through a NAT (or another interface) that rewrites "
						   "its address: the SDP says %s, the packets arrive from %s. The %s sends "
						   "its own RTP back to the address the packets come from (symmetric RTP, "
						   "comedia), so the audio works both ways.",
						who(s->from_caller), b, a, who(!s->from_caller));
				finding_hint(f, "Nothing to fix while symmetric RTP stays on; an endpoint without it would "
						"send to %s and the audio would be one-way.", b);
			} else {
				finding_frame(f, to_sdp->first_frame);
				endpoint_format(&to_sdp->src, d, sizeof d);
				finding_summary(f, "the %s's RTP comes from %s, not its SDP address %s, but the %s keeps "
						   "sending to %s: one-way audio", who(s->from_caller), a, b,
						who(!s->from_caller), b);
				finding_explain(f, "The %s's media arrives from %s although its SDP announced %s (a NAT "
						   "rewrote the address). The %s (%s) sends its RTP to the SDP address %s "
						   "instead of where the packets come from, so the %s never hears the %s%s.",
						who(s->from_caller), a, b, who(!s->from_caller), d, b, who(s->from_caller),
						who(!s->from_caller),
						to_sdp->sdp_dst_private ? " (that address is private: unreachable from here)" : "");
				finding_hint(f, "Turn on symmetric RTP / comedia on the %s (Asterisk: direct_media=no, "
						"rtp_symmetric=yes; FreeSWITCH: NDLB-force-rport / media latching; "
						"Kamailio: rtpengine with SIP-source-address), or fix the %s's SDP "
						"(STUN, ICE, a SIP ALG that works, or an SBC).",
						who(!s->from_caller), who(s->from_caller));
			}
			/* the party whose RTP comes from elsewhere (its NAT), and whether the far end latched */
			finding_host(f, &s->src);
			finding_group(f, "RTP from %s, not its SDP address; %s", f->host,
				      latched ? "the far end latched (symmetric RTP)" : "the far end sends to the SDP address");
			finding_emit(ctx, f);
			return;
		}
		if (pass == 1 && s->sdp_dst_private) {
			endpoint_format(&s->dst, a, sizeof a);
			endpoint_format(&s->src, b, sizeof b);
			struct finding *f = finding_new(ctx, c, SEV_ERROR);
			finding_msg(f, c, s->sdp_msg);
			finding_msg(f, c, ans);
			finding_key_frame(f, s->first_frame);
			finding_summary(f, "the %s sends RTP from %s to the private SDP address %s, which is not where "
					   "the %s's signalling comes from: media lost", who(s->from_caller), b, a,
					who(!s->from_caller));
			finding_explain(f, "The %s's SDP announced %s, a private address, but its SIP messages arrive "
					   "from another address: it is behind a NAT and the capture is on the public "
					   "side, where %s leads nowhere. Its media never arrives: one-way audio.",
					who(!s->from_caller), a, a);
			finding_hint(f, "Make the %s send back to the source of the %s's packets (symmetric RTP / "
					"comedia), or have the %s announce a reachable address (STUN, ICE, SBC).",
					who(s->from_caller), who(!s->from_caller), who(!s->from_caller));
			finding_host(f, &s->src); /* the sender that follows the private SDP address */
			finding_group(f, "RTP from %s to a private SDP address", f->host);
			finding_emit(ctx, f);
			return;
		}
	}
}

static void check_dialog(struct rule_ctx *ctx, const struct call *c, int32_t di, bool only)
{
	const struct dialog *d = &c->dialogs[di];
	int64_t end = d->end_msg >= 0 ? d->end_ns : c->end_ns;
	if (d->end_msg < 0)
		for (uint32_t i = 0; i < c->nmedia; i++)
			if (c->media[i].end_ns > end)
				end = c->media[i].end_ns;
	int64_t both = two_way_time(c, di, d->confirm_ns, end);
	if (both < MIN_TWO_WAY_NS)
		return;
	uint64_t pk[2] = { 0, 0 };
	const struct media_stream *first[2] = { NULL, NULL };
	for (uint32_t i = 0; i < c->nmedia; i++) {
		const struct media_stream *s = &c->media[i];
		if (s->from_caller < 0 || !s->answered_packets || s->end_ns < d->confirm_ns)
			continue;
		if (s->dialog != di && !(s->dialog < 0 && only))
			continue;
		/* a relay's second leg carries the same packets again */
		if (s->leg == 2)
			continue;
		pk[s->from_caller] += s->answered_packets;
		if (!first[s->from_caller])
			first[s->from_caller] = s;
	}
	if (pk[0] && pk[1])
		return;
	struct finding *f = finding_new(ctx, c, SEV_ERROR);
	finding_dialog(f, d);
	finding_key(f, c, d->confirm_msg);
	double secs = (double)both / 1e9;
	if (!pk[0] && !pk[1]) {
		finding_summary(f, "answered call with no RTP in either direction (%.1f s agreed two-way)", secs);
		finding_explain(f, "Both sides agreed in SDP to send media, and the capture holds RTP of both "
				   "parties' SDP addresses, yet no RTP of this call was seen after the answer: the "
				   "media went elsewhere (wrong or private SDP address, a firewall, media bypassing "
				   "this capture point) or was never sent.");
		finding_hint(f, "Compare the c= and m= lines of the offer and answer with where the endpoints "
				"really are; check firewalls and NAT between them.");
	} else {
		bool sender = pk[1] != 0; /* true: the caller sends, the callee does not */
		const struct media_stream *s = first[sender];
		char a[ENDPOINT_STRLEN], b[ENDPOINT_STRLEN];
		endpoint_format(&s->src, a, sizeof a);
		endpoint_format(&s->dst, b, sizeof b);
		finding_key_frame(f, s->first_frame);
		finding_summary(f, "one-way audio: RTP only from the %s (%s -> %s, %llu packets), none from the %s",
				who(sender), a, b, (unsigned long long)pk[sender], who(!sender));
		/* the silent party: the one that sent no RTP to the one that did */
		finding_host(f, &s->dst);
		finding_group(f, "one-way audio: no RTP from %s", f->host);
		finding_explain(f, "Both sides agreed in SDP to send media for %.1f s after the answer, but only "
				   "the %s's RTP is in the capture; the %s sent nothing this capture saw, or sent "
				   "it somewhere else (its SDP address unreachable, NAT, firewall).",
				secs, who(sender), who(!sender));
		finding_hint(f, "Check the %s's SDP address and port against where it really is (NAT: symmetric "
				"RTP / comedia on the far side, STUN/ICE or an SBC), and firewalls on the %s's side.",
				who(!sender), who(!sender));
	}
	finding_emit(ctx, f);
}

static void check(struct rule_ctx *ctx, const struct call *c)
{
	if (c->kind != KIND_CALL || c->answer_ns < 0 || !c->media_visible)
		return;
	unsigned answered = 0;
	int32_t ans = -1;
	for (uint32_t i = 0; i < c->ndialogs; i++)
		if (c->dialogs[i].kind == M_INVITE && c->dialogs[i].confirmed_once && !c->dialogs[i].inferred) {
			answered++;
			if (ans < 0)
				ans = c->dialogs[i].confirm_msg;
		}
	nat_check(ctx, c, ans);
	for (uint32_t i = 0; i < c->ndialogs; i++)
		if (c->dialogs[i].kind == M_INVITE && c->dialogs[i].confirmed_once && !c->dialogs[i].inferred)
			check_dialog(ctx, c, (int32_t)i, answered == 1);
}

const struct rule rule_one_way_rtp = {
	.id = "one-way-rtp",
	.severity = SEV_ERROR,
	.summary = "answered call whose RTP flows one way, not at all, or from/to an address the SDP did not give",
	.reference = "RFC 3264 §5.1, RFC 4961",
	.check_call = check,
};
