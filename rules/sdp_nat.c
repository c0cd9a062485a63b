/* sdp_nat.c - sdp-nat: an SDP (or Contact) address that is private while the
 * message crossed into public address space — media goes nowhere, audio is
 * one-way or absent (RFC 3264 §5, RFC 6314 NAT traversal, RFC 8445 ICE,
 * RFC 3581 rport). Never for hold (sendonly/recvonly/inactive), nor when the
 * signalling and the SDP stay in one private network.
 *
 * The evidence of the capture decides how bad it is: when the call's RTP
 * shows the private party's media flowing both ways, the far end's sent
 * back to where that party's packets come from (latching: symmetric RTP,
 * comedia, an SBC or relay doing it), the risk was mitigated and the SDP
 * finding is an info; without RTP of the call in the capture it stays a
 * warning, and a one-way call is one-way-rtp's error. Likewise a private
 * Contact whose party did receive in-dialog requests (answered) was
 * reached through the NAT: info; otherwise the warning stands. Media never
 * speaks for signalling, nor signalling for media. */
#include <stdio.h>
#include <string.h>

#include "../analyzer/sip/sdp.h"
#include "rule.h"

static int parse_ip(struct sv s, uint8_t out[16])
{
	return ip_parse(s.p, s.len, out);
}

static bool ep_private(const struct endpoint *e)
{
	return ip_private(e->family, e->ip);
}

/* Host part of a SIP URI: between '@' (or the scheme) and ':' ';' '>' or '?'. */
static struct sv uri_host(struct sv u)
{
	ptrdiff_t at = sv_find(u, '@');
	const char *p = at >= 0 ? u.p + at + 1 : u.p, *e = u.p + u.len;
	if (at < 0) {
		ptrdiff_t colon = sv_find(u, ':');
		if (colon >= 0)
			p = u.p + colon + 1;
	}
	const char *q = p;
	if (q < e && *q == '[') {
		while (q < e && *q != ']')
			q++;
		if (q < e)
			q++;
	} else {
		while (q < e && *q != ':' && *q != ';' && *q != '>' && *q != '?')
			q++;
	}
	return sv_make(p, (size_t)(q - p));
}

/* The private party's (caller or callee) RTP and the far end's RTP sent
 * back to exactly where that party's packets come from: the far end
 * latched. Both after the answer. */
static bool latched(const struct call *c, bool caller, const struct media_stream **out,
		    const struct media_stream **back)
{
	if (!c->media_visible)
		return false;
	for (uint32_t i = 0; i < c->nmedia; i++) {
		const struct media_stream *s = &c->media[i];
		if (s->from_caller != (caller ? 1 : 0) || !s->answered_packets)
			continue;
		for (uint32_t j = 0; j < c->nmedia; j++) {
			const struct media_stream *r = &c->media[j];
			if (r->from_caller == s->from_caller || r->from_caller < 0 || !r->answered_packets)
				continue;
			if (endpoint_eq(&r->dst, &s->src)) {
				*out = s;
				*back = r;
				return true;
			}
		}
	}
	return false;
}

static bool same_ip(const struct endpoint *a, const struct endpoint *b)
{
	return a->family == b->family && memcmp(a->ip, b->ip, 16) == 0;
}

/* A final response that says the request reached the UA (not one a proxy
 * makes up when it could not: 408, 480, 503). */
static bool reached_status(int st)
{
	return st >= 200 && st != 408 && st != 480 && st != 503;
}

/* An in-dialog request from the other party sent to where this party's
 * signalling comes from (via: the source address the NAT gave it) and
 * answered from there: the party was reachable for in-dialog requests.
 * (A request between two other hops answered by a proxy proves nothing.) */
static int32_t reached(const struct call *c, bool caller, const struct endpoint *via)
{
	for (uint32_t i = 0; i < c->nmsgs; i++) {
		const struct call_msg *cm = &c->msgs[i];
		if (!cm->m->start.is_request || cm->dialog < 0 || cm->txn < 0 || cm->method == M_ACK ||
		    cm->caller_dir == caller || !c->txns[cm->txn].in_dialog)
			continue;
		if (same_ip(&cm->m->dst, via)) {
			/* its response from the party's address, same CSeq */
			const struct sip_cseq *q = sip_msg_cseq(cm->m);
			for (uint32_t j = i + 1; q->valid && j < c->nmsgs && j < i + 64; j++) {
				struct sip_msg *r = c->msgs[j].m;
				if (r->start.is_request || r->malformed || !same_ip(&r->src, via) ||
				    !reached_status(r->start.status))
					continue;
				const struct sip_cseq *rq = sip_msg_cseq(r);
				if (rq->valid && rq->num == q->num && sv_eq(rq->method, q->method))
					return (int32_t)i;
			}
		}
	}
	return -1;
}

static void check(struct rule_ctx *ctx, const struct call *c)
{
	struct finding *f = NULL, *sig = NULL;
	enum severity worst = SEV_INFO;
	int32_t first = -1, sig_first = -1;
	char addr[64] = "", sig_addr[64] = "";
	bool lan_side = false, party = true, sig_party = true;
	for (uint32_t i = 0; i < c->nmsgs; i++) {
		const struct call_msg *cm = &c->msgs[i];
		struct sip_msg *m = cm->m;
		if (m->malformed || !msg_is_first(c, (int32_t)i) || m->src.family == 0)
			continue;
		bool src_priv = ep_private(&m->src), dst_priv = ep_private(&m->dst);
		const struct sdp *s = sip_msg_sdp_get(m);
		if (s) {
			for (unsigned k = 0; k < s->nmedia; k++) {
				const struct sdp_media *md = &s->media[k];
				if (md->port == 0 || md->dir == SDP_SENDONLY || md->dir == SDP_RECVONLY || md->dir == SDP_INACTIVE)
					continue;
				uint8_t ip[16];
				int fam = parse_ip(md->conn.addr, ip);
				if (!fam || ip_unspecified(fam, ip) || !ip_private(fam, ip))
					continue;
				bool from_other = fam != m->src.family || memcmp(ip, m->src.ip, fam == 4 ? 4 : 16) != 0;
				bool nat = !src_priv && from_other;
				bool lan = src_priv && !dst_priv && m->dst.family;
				if (!nat && !lan)
					continue;
				/* ICE srflx/relay candidates may still find a path: info */
				enum severity sev = md->cand_srflx + md->cand_relay ? SEV_INFO : SEV_WARNING;
				if (!f)
					f = finding_new(ctx, c, sev);
				/* the summary names the first message of the worst kind */
				if (first < 0 || sev > worst) {
					first = (int32_t)i;
					sv_print(addr, sizeof addr, md->conn.addr);
					lan_side = lan && !nat;
					/* requests come from the side their From tag
					 * names, responses from the other */
					party = m->start.is_request ? cm->caller_dir
								    : (cm->dialog >= 0 ? !cm->caller_dir : false);
				}
				if (sev > worst)
					worst = sev;
				f->severity = worst;
				finding_msg(f, c, (int32_t)i);
				break;
			}
		}
		/* Signalling: a private Contact on a request that reached public space without rport. */
		if (m->start.is_request && sip_msg_has(m, SIP_H_CONTACT) && !src_priv &&
		    (cm->method == M_INVITE || cm->method == M_REGISTER || cm->method == M_SUBSCRIBE)) {
			const struct sip_contact *ct = sip_msg_contact(m);
			const struct sip_via *v = sip_msg_via(m);
			uint8_t ip[16];
			int fam = ct->valid && !ct->star ? parse_ip(uri_host(ct->uri), ip) : 0;
			if (fam && ip_private(fam, ip) && v->valid && !v->has_rport && sip_msg_hdr_count(m, SIP_H_VIA) == 1) {
				if (!sig) {
					sig = finding_new(ctx, c, SEV_WARNING);
					sig_first = (int32_t)i;
					sig_party = cm->caller_dir;
					sv_print(sig_addr, sizeof sig_addr, uri_host(ct->uri));
				}
				finding_msg(sig, c, (int32_t)i);
			}
		}
	}
	const struct media_stream *out = NULL, *back = NULL;
	if (f && worst == SEV_WARNING && latched(c, party, &out, &back)) {
		char label[96], src[ENDPOINT_STRLEN], from[ENDPOINT_STRLEN], to[ENDPOINT_STRLEN];
		msg_label(label, sizeof label, c, first);
		endpoint_format(&c->msgs[first].m->src, src, sizeof src);
		endpoint_format(&out->src, from, sizeof from);
		endpoint_format(&back->src, to, sizeof to);
		f->severity = SEV_INFO;
		finding_frame(f, out->first_frame);
		finding_frame(f, back->first_frame);
		if (lan_side)
			finding_summary(f, "SDP in %s offers private address %s for media, sent from %s to a public "
					   "address; RTP flows both ways all the same (the far end latched)",
					label, addr, src);
		else
			finding_summary(f, "SDP in %s offers private address %s for media, but the message came from %s; "
					   "the far end latched: RTP flows both ways",
					label, addr, src);
		finding_explain(f, "A far end that trusted the SDP would send its RTP to %s, which is not routable "
				   "across the NAT, and the audio would be one-way or absent. In this call it did not: "
				   "the %s's RTP comes from %s (%llu packets after the answer) and %s sends its RTP "
				   "back to exactly that address (%llu packets): symmetric RTP / comedia latching (or "
				   "an SBC or media relay doing it) mitigated the private address.",
				addr, party ? "caller" : "callee", from, (unsigned long long)out->answered_packets, to,
				(unsigned long long)back->answered_packets);
		finding_hint(f, "Nothing to fix while the far end latches; an endpoint or server without symmetric "
				"RTP would leave this call one-way. To remove the dependence: the UA's public address "
				"via STUN/ICE, an SBC/PBX rewriting the SDP, no SIP ALG on the router.");
		finding_emit(ctx, f);
		f = NULL;
	}
	if (f) {
		char label[96], src[ENDPOINT_STRLEN], dst[ENDPOINT_STRLEN];
		const struct sip_msg *m = c->msgs[first].m;
		msg_label(label, sizeof label, c, first);
		endpoint_format(&m->src, src, sizeof src);
		endpoint_format(&m->dst, dst, sizeof dst);
		if (lan_side)
			finding_summary(f, "SDP in %s offers private address %s for media, sent from %s to the public address %s",
					label, addr, src, dst);
		else
			finding_summary(f, "SDP in %s offers private address %s for media, but the message came from %s",
					label, addr, src);
		finding_explain(f, "The far side will send its RTP to %s, which is not routable across the NAT "
				   "between them: audio is one-way or absent unless the far side latches onto the "
				   "address the RTP comes from (the classic NAT / SIP ALG failure; some servers answer "
				   "488 'Private IP address').%s%s",
				addr,
				worst == SEV_INFO ? " ICE candidates (srflx/relay) are present, so ICE may still find a path."
						  : "",
				worst == SEV_INFO                  ? ""
				: !c->media_visible || !c->nmedia ? " No RTP of this call is in the capture to tell."
								  : " The RTP in the capture does not show it flowing back "
								    "to the party.");
		finding_hint(f, "Configure the UA with its public address or STUN/ICE, let the SBC/PBX rewrite SDP "
				"(Asterisk: direct_media=no, rtp_symmetric, rewrite_contact; Kamailio: rtpengine / "
				"fix_nated_sdp), and disable the router's SIP ALG.");
		finding_host(f, &m->src);
		finding_group(f, "private media address in SDP from %s", f->host);
		finding_emit(ctx, f);
	}
	if (sig) {
		char label[96], src[ENDPOINT_STRLEN];
		msg_label(label, sizeof label, c, sig_first);
		endpoint_format(&c->msgs[sig_first].m->src, src, sizeof src);
		int32_t in = reached(c, sig_party, &c->msgs[sig_first].m->src);
		if (in >= 0) {
			char rl[96];
			msg_label(rl, sizeof rl, c, in);
			sig->severity = SEV_INFO;
			finding_msg(sig, c, in);
			finding_summary(sig, "%s has a private Contact %s, came from %s, and its Via asks for no rport; "
					     "in-dialog requests reached it all the same (%s was answered)",
					label, sig_addr, src, rl);
			finding_explain(sig, "Requests for this UA sent to its private Contact or Via address could not "
					     "cross the NAT, but %s reached it and was answered: the server sends to "
					     "the packet's source address (NAT fix-up of the Contact, or symmetric "
					     "signalling). Incoming calls still depend on that and on NAT keep-alives.",
					rl);
		} else {
			finding_summary(sig, "%s has a private Contact %s, came from %s, and its Via asks for no rport",
					label, sig_addr, src);
			finding_explain(sig, "Requests and responses for this UA will be sent to its private Contact or "
					     "Via address, which cannot be reached through the NAT: in-dialog requests and "
					     "incoming calls get lost unless the server uses the packet's source address "
					     "(RFC 3581 rport, RFC 5626 outbound). The capture shows no in-dialog request "
					     "to it that was answered.");
		}
		finding_hint(sig, "Enable rport and NAT keep-alives on the UA, or make the server fix the contact "
				  "(Asterisk: force_rport, rewrite_contact; Kamailio: fix_nated_contact/nathelper).");
		finding_host(sig, &c->msgs[sig_first].m->src);
		finding_group(sig, "private Contact and no rport from %s", sig->host);
		finding_emit(ctx, sig);
	}
}

const struct rule rule_sdp_nat = {
	.id = "sdp-nat",
	.severity = SEV_WARNING,
	.summary = "private SDP or Contact address across a NAT",
	.reference = "RFC 3264 §5, RFC 3581, RFC 6314",
	.check_call = check,
};
