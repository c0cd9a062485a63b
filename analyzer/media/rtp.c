/* rtp.c - RTP/RTCP header parsing (RFC 3550 §5.1, §6.4) and the RFC 3551
 * static payload type table. */
#include "rtp.h"

#include "cursor.h"

bool rtp_parse(const uint8_t *p, size_t len, struct rtp_hdr *h)
{
	if (len < 12 || (p[0] & 0xC0) != 0x80 || rtcp_type(p))
		return false;
	size_t hl = 12 + (size_t)(p[0] & 0x0F) * 4;
	if (hl > len)
		return false;
	if (p[0] & 0x10) { /* header extension: profile-defined id, length in words */
		if (hl + 4 > len)
			return false;
		hl += 4 + (size_t)((p[hl + 2] << 8) | p[hl + 3]) * 4;
		if (hl > len)
			return false;
	}
	size_t pad = 0;
	if (p[0] & 0x20) {
		pad = p[len - 1];
		if (pad == 0 || hl + pad > len)
			return false;
	}
	h->marker = p[1] & 0x80;
	h->pt = p[1] & 0x7F;
	h->seq = (uint16_t)((p[2] << 8) | p[3]);
	h->ts = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
	h->ssrc = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
	h->payload_len = (uint32_t)(len - hl - pad);
	h->payload_off = (uint32_t)hl;
	return true;
}

static void read_blocks(struct cur *c, unsigned count, struct rtcp_info *out)
{
	for (unsigned i = 0; i < count && !c->trunc; i++) {
		struct rtcp_block b;
		b.ssrc = cur_be32(c);
		uint32_t w = cur_be32(c);
		b.fraction = (uint8_t)(w >> 24);
		b.cum_lost = (int32_t)(w << 8) >> 8;
		b.ext_seq = cur_be32(c);
		b.jitter = cur_be32(c);
		b.lsr = cur_be32(c);
		b.dlsr = cur_be32(c);
		if (!c->trunc && out->nblocks < RTCP_MAX_BLOCKS)
			out->blocks[out->nblocks++] = b;
	}
}

bool rtcp_parse(const uint8_t *p, size_t len, struct rtcp_info *out)
{
	*out = (struct rtcp_info){ 0 };
	size_t off = 0;
	bool first = true, have_sender = false;
	while (off + 4 <= len) {
		const uint8_t *h = p + off;
		if ((h[0] & 0xC0) != 0x80 || !rtcp_type(h))
			return false;
		size_t plen = ((size_t)((h[2] << 8) | h[3]) + 1) * 4;
		if (off + plen > len)
			return false;
		/* padding only on the last packet of a compound (A.2) */
		if ((h[0] & 0x20) && off + plen != len)
			return false;
		unsigned count = h[0] & 0x1F;
		struct cur c = cur_make(h + 4, plen - 4);
		switch (h[1]) {
		case 200: /* SR */
		case 201: /* RR */ {
			uint32_t ssrc = cur_be32(&c);
			if (!have_sender) {
				out->ssrc = ssrc;
				have_sender = true;
			}
			if (h[1] == 200 && !out->sr) {
				uint32_t hi = cur_be32(&c), lo = cur_be32(&c);
				out->ntp = (uint64_t)hi << 32 | lo;
				out->rtp_ts = cur_be32(&c);
				out->pkt_count = cur_be32(&c);
				out->octet_count = cur_be32(&c);
				out->sr = !c.trunc;
			} else if (h[1] == 200) {
				cur_skip(&c, 20);
			}
			read_blocks(&c, count, out);
			if (c.trunc)
				return false;
			break;
		}
		case 203: /* BYE */
			out->bye = true;
			break;
		default: /* SDES, APP, feedback, XR: not needed */
			if (first && h[1] != 202 && h[1] != 205 && h[1] != 206 && h[1] != 207)
				return false;
			break;
		}
		first = false;
		off += plen;
	}
	return off == len && off > 0;
}

static const struct {
	const char *name;
	uint32_t clock;
} statics[35] = {
	[0] = { "PCMU", 8000 },   [3] = { "GSM", 8000 },    [4] = { "G723", 8000 },
	[5] = { "DVI4", 8000 },   [6] = { "DVI4", 16000 },  [7] = { "LPC", 8000 },
	[8] = { "PCMA", 8000 },   [9] = { "G722", 8000 },   [10] = { "L16", 44100 },
	[11] = { "L16", 44100 },  [12] = { "QCELP", 8000 }, [13] = { "CN", 8000 },
	[14] = { "MPA", 90000 },  [15] = { "G728", 8000 },  [16] = { "DVI4", 11025 },
	[17] = { "DVI4", 22050 }, [18] = { "G729", 8000 },  [25] = { "CelB", 90000 },
	[26] = { "JPEG", 90000 }, [28] = { "nv", 90000 },   [31] = { "H261", 90000 },
	[32] = { "MPV", 90000 },  [33] = { "MP2T", 90000 }, [34] = { "H263", 90000 },
};

const char *rtp_static_name(unsigned pt)
{
	return pt < 35 ? statics[pt].name : NULL;
}

uint32_t rtp_static_clock(unsigned pt)
{
	return pt < 35 ? statics[pt].clock : 0;
}
