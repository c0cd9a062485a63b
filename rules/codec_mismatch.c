/* codec_mismatch.c - codec-mismatch: an SDP answer that shares no codec with
 * its offer, every offered stream refused, or the offer refused outright
 * with 488/606/415 for its media (RFC 3264 §6, RFC 3261 §21.4.26, Warning
 * codes 304/305 of §20.43). Telephone-event, comfort noise and FEC formats
 * are not codecs: sharing only those is a mismatch. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../analyzer/sip/sdp.h"
#include "rule.h"

static const char *static_pt(int pt)
{
	static const char *const n[35] = {
		[0] = "pcmu/8000", [3] = "gsm/8000", [4] = "g723/8000", [5] = "dvi4/8000", [6] = "dvi4/16000",
		[7] = "lpc/8000", [8] = "pcma/8000", [9] = "g722/8000", [10] = "l16/44100", [11] = "l16/44100",
		[12] = "qcelp/8000", [13] = "cn/8000", [14] = "mpa/90000", [15] = "g728/8000",
		[16] = "dvi4/11025", [17] = "dvi4/22050", [18] = "g729/8000", [25] = "celb/90000",
		[26] = "jpeg/90000", [28] = "nv/90000", [31] = "h261/90000", [32] = "mpv/90000",
		[33] = "mp2t/90000", [34] = "h263/90000",
	};
	return pt >= 0 && pt < 35 ? n[pt] : NULL;
}

/* "name/clock" in lower case for format k of media md; "" when unknown. */
static void fmt_name(const struct sdp_media *md, unsigned k, char *buf, size_t size)
{
	int pt = md->fmt[k];
	buf[0] = 0;
	for (unsigned i = 0; i < md->nmap; i++)
		if (md->map[i].pt == pt) {
			/* "%.*s/%u" in lowercase, cut at size - 1 as snprintf cuts
			 * (by hand: share_codec asks for every pair of formats) */
			char tmp[20];
			const char *d = sv_utoa(tmp + sizeof tmp, md->map[i].clock);
			size_t o = 0;
			struct sv e = md->map[i].encoding;
			for (size_t k = 0; k < e.len && e.p[k] && o + 1 < size; k++) /* (%.*s stops at a NUL) */
				buf[o++] = (char)(e.p[k] >= 'A' && e.p[k] <= 'Z' ? e.p[k] + 32 : e.p[k]);
			if (o + 1 < size)
				buf[o++] = '/';
			for (; d < tmp + sizeof tmp && o + 1 < size; d++)
				buf[o++] = *d;
			buf[o] = 0;
			return;
		}
	const char *s = static_pt(pt);
	if (s)
		snprintf(buf, size, "%s", s);
	else if (pt < 0)
		snprintf(buf, size, "%.*s", (int)md->fmt_token[k].len, md->fmt_token[k].p);
}

static bool not_a_codec(const char *n)
{
	static const char *const skip[] = { "telephone-event/", "cn/", "red/", "ulpfec/", "flexfec", "rtx/", "comfort-noise" };
	for (size_t i = 0; i < sizeof skip / sizeof *skip; i++)
		if (strncmp(n, skip[i], strlen(skip[i])) == 0)
			return true;
	return false;
}

static void codec_list(const struct sdp_media *md, char *out, size_t size)
{
	size_t o = 0;
	out[0] = 0;
	for (unsigned k = 0; k < md->nfmt && o + 2 < size; k++) {
		char n[64];
		fmt_name(md, k, n, sizeof n);
		if (!n[0])
			snprintf(n, sizeof n, "%d", md->fmt[k]);
		int w = snprintf(out + o, size - o, "%s%s", o ? " " : "", n);
		if (w < 0)
			break;
		o += (size_t)w;
	}
	if (o >= size)
		out[size - 1] = 0;
}

/* True when offer and answer media share a real codec. */
static bool share_codec(const struct sdp_media *a, const struct sdp_media *b)
{
	for (unsigned i = 0; i < a->nfmt; i++) {
		char x[64];
		fmt_name(a, i, x, sizeof x);
		if (!x[0] || not_a_codec(x))
			continue;
		for (unsigned j = 0; j < b->nfmt; j++) {
			char y[64];
			fmt_name(b, j, y, sizeof y);
			if (strcasecmp(x, y) == 0 || (!y[0] && a->fmt[i] == b->fmt[j] && a->fmt[i] >= 0))
				return true;
			/* clock-less comparisons: "g729/8000" vs "g729/0" when rtpmap omitted it */
			size_t xl = strcspn(x, "/"), yl = strcspn(y, "/");
			if (xl == yl && strncasecmp(x, y, xl) == 0)
				return true;
		}
	}
	return false;
}

static void check(struct rule_ctx *ctx, const struct call *c)
{
	struct finding *f = NULL;
	char summary[400] = "";
	for (uint32_t x = 0; x < c->nsdp; x++) {
		const struct sdp_exchange *e = &c->sdp[x];
		if (e->answer < 0)
			continue;
		const struct sdp *o = sip_msg_sdp_get(c->msgs[e->offer].m), *a = o ? sip_msg_sdp_get(c->msgs[e->answer].m) : NULL;
		if (!a)
			continue;
		unsigned offered = 0, refused = 0;
		bool bad = false;
		char oc[160] = "", ac[160] = "";
		for (unsigned k = 0; k < o->nmedia && k < a->nmedia; k++) {
			const struct sdp_media *om = &o->media[k], *am = &a->media[k];
			if (om->port == 0 || (!sv_eq_cstr_ci(om->type, "audio") && !sv_eq_cstr_ci(om->type, "video")))
				continue;
			offered++;
			if (am->port == 0) {
				refused++;
				continue;
			}
			if (!share_codec(om, am) && !bad) {
				bad = true;
				codec_list(om, oc, sizeof oc);
				codec_list(am, ac, sizeof ac);
			}
		}
		if (!bad && !(offered && refused == offered))
			continue;
		if (!f)
			f = finding_new(ctx, c, SEV_WARNING);
		finding_msg(f, c, e->offer);
		finding_key(f, c, e->answer);
		if (!summary[0]) {
			char ol[96], al[96];
			msg_label(ol, sizeof ol, c, e->offer);
			msg_label(al, sizeof al, c, e->answer);
			if (bad)
				snprintf(summary, sizeof summary, "the answer in %s shares no codec with the offer in %s (offered: %s; answered: %s)",
					 al, ol, oc, ac);
			else
				snprintf(summary, sizeof summary, "the answer in %s refuses every media stream offered in %s (port 0)",
					 al, ol);
		}
	}
	/* The offer refused for its media. */
	for (uint32_t i = 0; i < c->ntxns; i++) {
		const struct txn *t = &c->txns[i];
		if (t->final < 0 || (t->status != 488 && t->status != 606 && t->status != 415 && t->status != 480) ||
		    (t->method != M_INVITE && t->method != M_UPDATE))
			continue;
		const struct sip_msg *r = c->msgs[t->final].m;
		struct sv warn = sip_msg_hdr(r, SIP_H_WARNING), reason = sip_msg_hdr(r, SIP_H_REASON);
		bool codec = sv_contains_ci(r->start.reason, "codec") || sv_contains_ci(warn, "codec") || sv_contains_ci(reason, "codec") ||
			     sv_contains_ci(r->start.reason, "incompatible") || (warn.p && (sv_starts_ci(sv_trim(warn), "304") ||
										sv_starts_ci(sv_trim(warn), "305")));
		/* a bare 488/606 means "the session description", usually codecs;
		 * a 488 that gives another reason (e.g. 'Private IP Address') is not ours */
		bool bare = (t->status == 488 || t->status == 606) && !warn.p && !reason.p &&
			    (sv_eq_cstr_ci(r->start.reason, "Not Acceptable Here") || sv_eq_cstr_ci(r->start.reason, "Not Acceptable"));
		if (!codec && !bare)
			continue;
		bool seen = false; /* one per logical INVITE (hops) */
		for (uint32_t j = 0; j < i && !seen; j++)
			seen = c->txns[j].cseq == t->cseq && c->txns[j].method == t->method && c->txns[j].status == t->status &&
			       sv_eq(c->txns[j].from_tag, t->from_tag);
		if (seen)
			continue;
		if (!f)
			f = finding_new(ctx, c, SEV_WARNING);
		finding_msg(f, c, t->req);
		finding_key(f, c, t->final);
		if (!summary[0]) {
			char rl[96], causes[400] = "";
			msg_label(rl, sizeof rl, c, t->final);
			quote_causes(causes, sizeof causes, r);
			const struct sdp *o = t->req >= 0 ? sip_msg_sdp_get(c->msgs[t->req].m) : NULL;
			char oc[160] = "";
			if (o && o->nmedia)
				codec_list(&o->media[0], oc, sizeof oc);
			snprintf(summary, sizeof summary, "the offer was refused with %s%s%s%s%s", rl, oc[0] ? " (offered: " : "",
				 oc, oc[0] ? ")" : "", causes[0] ? "" : "");
			if (causes[0]) {
				size_t l = strlen(summary);
				snprintf(summary + l, sizeof summary - l, " — %s", causes);
			}
		}
	}
	if (!f)
		return;
	finding_summary(f, "%s", summary);
	finding_explain(f, "Offer and answer must have at least one codec in common for media to flow (RFC 3264 "
			   "§6.1); otherwise the call fails (488 Not Acceptable Here) or connects with no audio. "
			   "DTMF (telephone-event) and comfort noise are not codecs.");
	finding_hint(f, "Align the codec lists (allow/disallow) on both ends or on the trunk; enable transcoding "
			"on the PBX/SBC if the ends cannot share a codec.");
	finding_emit(ctx, f);
}

const struct rule rule_codec_mismatch = {
	.id = "codec-mismatch",
	.severity = SEV_WARNING,
	.summary = "offer and answer share no codec, or the offer was refused for its media",
	.reference = "RFC 3264 §6.1, RFC 3261 §21.4.26",
	.check_call = check,
};
