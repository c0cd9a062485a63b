/* sdp_nat.c - sdp-nat: an SDP (or Contact) address that is private while the
 * message crossed into public address space — media goes nowhere, audio is
 * one-way or absent (RFC 3264 §5, RFC 6314 NAT traversal, RFC 8445 ICE,
 * RFC 3581 rport). Never for hold (sendonly/recvonly/inactive), nor when the
 * signalling and the SDP stay in one private network. */
#include <stdio.h>
#include <string.h>

#include "../analyzer/sdp.h"
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

static void check(struct rule_ctx *ctx, const struct call *c)
{
	struct finding *f = NULL, *sig = NULL;
	enum severity worst = SEV_INFO;
	int32_t first = -1, sig_first = -1;
	char addr[64] = "", sig_addr[64] = "";
	bool lan_side = false;
	for (uint32_t i = 0; i < c->nmsgs; i++) {
		const struct call_msg *cm = &c->msgs[i];
		struct sip_msg *m = cm->m;
		if (m->malformed || !msg_is_first(c, (int32_t)i) || m->src.family == 0)
			continue;
		bool src_priv = ep_private(&m->src), dst_priv = ep_private(&m->dst);
		struct sdp s;
		if (m->body.len && sip_msg_sdp_parse(m, &s)) {
			for (unsigned k = 0; k < s.nmedia; k++) {
				const struct sdp_media *md = &s.media[k];
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
				}
				if (sev > worst)
					worst = sev;
				f->severity = worst;
				finding_msg(f, c, (int32_t)i);
				break;
			}
		}
		/* Signalling: a private Contact on a request that reached public space without rport. */
		if (m->start.is_request && m->first[SIP_H_CONTACT] && !src_priv &&
		    (cm->method == M_INVITE || cm->method == M_REGISTER || cm->method == M_SUBSCRIBE)) {
			const struct sip_contact *ct = sip_msg_contact(m);
			const struct sip_via *v = sip_msg_via(m);
			uint8_t ip[16];
			int fam = ct->valid && !ct->star ? parse_ip(uri_host(ct->uri), ip) : 0;
			if (fam && ip_private(fam, ip) && v->valid && !v->has_rport && sip_msg_hdr_count(m, SIP_H_VIA) == 1) {
				if (!sig) {
					sig = finding_new(ctx, c, SEV_WARNING);
					sig_first = (int32_t)i;
					sv_print(sig_addr, sizeof sig_addr, uri_host(ct->uri));
				}
				finding_msg(sig, c, (int32_t)i);
			}
		}
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
				   "between them: audio is one-way or absent (the classic NAT / SIP ALG failure; some "
				   "servers answer 488 'Private IP address').%s",
				addr, worst == SEV_INFO ? " ICE candidates (srflx/relay) are present, so ICE may still "
							  "find a path."
							: "");
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
		finding_summary(sig, "%s has a private Contact %s, came from %s, and its Via asks for no rport",
				label, sig_addr, src);
		finding_explain(sig, "Requests and responses for this UA will be sent to its private Contact or Via "
				     "address, which cannot be reached through the NAT: in-dialog requests and incoming "
				     "calls get lost unless the server uses the packet's source address (RFC 3581 "
				     "rport, RFC 5626 outbound).");
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
