/* hep.c - HEP (Homer Encapsulation Protocol) v1/v2 and v3 decapsulation:
 * the SIP message a capture agent mirrored, with its original addresses.
 * v3 chunks: vendor, type, length (sipcapture HEP3 spec); type 16 is a
 * zlib-compressed payload. */
#include <string.h>
#include <zlib.h>

#include "cursor.h"
#include "decode.h"
#include "internal.h"
#include "sipframe.h"

#define HEP_MAX_INFLATED (1u << 20)
/* A compressed payload may inflate to 64 times its size, plus 8 KiB: SIP
 * text deflates 3 to 10 times, and a payload beyond that (a bomb: 1 KB of
 * zeros for a 1 MB "message") costs no more than 64 bytes of inflating per
 * byte of the capture, instead of 1 MiB per packet. */
#define HEP_MAX_RATIO 64u
#define HEP_RATIO_SLACK (8u << 10)

bool hep_magic(const uint8_t *p, size_t len)
{
	return len >= 6 && memcmp(p, "HEP3", 4) == 0;
}

static void set_ep(struct endpoint *e, uint8_t fam, const uint8_t *ip, uint16_t port)
{
	memset(e, 0, sizeof *e);
	e->family = fam;
	memcpy(e->ip, ip, fam == 4 ? 4 : 16);
	e->port = port;
}

static enum transport hep_transport(uint8_t proto)
{
	return proto == 6 ? TRANSPORT_TCP : proto == 132 ? TRANSPORT_SCTP : TRANSPORT_UDP;
}

static bool hep3(struct analyzer *an, const uint8_t *p, size_t len)
{
	size_t total = rd_be16(p + 4);
	if (total < 6 || total > len) {
		an->st->invalid_packets++;
		input_error(an->st, "frame %llu: HEP3 length %zu does not fit the %zu-byte datagram",
			    (unsigned long long)an->frame, total, len);
		return true;
	}
	uint8_t fam = 0, proto = 17, ptype = 0;
	const uint8_t *s4 = NULL, *d4 = NULL, *s6 = NULL, *d6 = NULL;
	uint16_t sport = 0, dport = 0;
	const uint8_t *payload = NULL;
	size_t plen = 0;
	bool compressed = false;
	size_t off = 6;
	while (total - off >= 6) {
		uint16_t vendor = rd_be16(p + off), type = rd_be16(p + off + 2);
		size_t clen = rd_be16(p + off + 4);
		if (clen < 6 || clen > total - off) {
			an->st->invalid_packets++;
			input_error(an->st, "frame %llu: HEP3 chunk length %zu invalid", (unsigned long long)an->frame, clen);
			return true;
		}
		const uint8_t *v = p + off + 6;
		size_t vl = clen - 6;
		if (vendor == 0) {
			switch (type) {
			case 1: if (vl >= 1) fam = v[0]; break;
			case 2: if (vl >= 1) proto = v[0]; break;
			case 3: if (vl >= 4) s4 = v; break;
			case 4: if (vl >= 4) d4 = v; break;
			case 5: if (vl >= 16) s6 = v; break;
			case 6: if (vl >= 16) d6 = v; break;
			case 7: if (vl >= 2) sport = rd_be16(v); break;
			case 8: if (vl >= 2) dport = rd_be16(v); break;
			case 11: if (vl >= 1) ptype = v[0]; break;
			case 15: payload = v; plen = vl; compressed = false; break;
			case 16: payload = v; plen = vl; compressed = true; break;
			default: break;
			}
		}
		off += clen;
	}
	if (!payload)
		return true;
	if (ptype != 0 && ptype != 1)
		return true; /* RTCP reports, logs, ...: not SIP */
	struct flowmeta fm;
	memset(&fm, 0, sizeof fm);
	if ((fam == 10 || (!fam && s6)) && s6 && d6) {
		set_ep(&fm.src, 6, s6, sport);
		set_ep(&fm.dst, 6, d6, dport);
	} else if (s4 && d4) {
		set_ep(&fm.src, 4, s4, sport);
		set_ep(&fm.dst, 4, d4, dport);
	}
	fm.transport = hep_transport(proto);
	fm.encap = ENCAP_HEP;
	fm.first_frame = an->first_frame;
	if (compressed) {
		size_t lim = plen * HEP_MAX_RATIO + HEP_RATIO_SLACK;
		if (lim > HEP_MAX_INFLATED)
			lim = HEP_MAX_INFLATED;
		uint8_t *out = analyzer_scratch(an, lim + 1);
		z_stream z;
		memset(&z, 0, sizeof z);
		if (inflateInit2(&z, 15 + 32) != Z_OK) /* zlib or gzip header */
			return true;
		z.next_in = (Bytef *)payload;
		z.avail_in = (uInt)plen;
		z.next_out = out;
		z.avail_out = (uInt)lim + 1; /* one more byte tells "over the limit" from "exactly" */
		int r = inflate(&z, Z_FINISH);
		size_t n = lim + 1 - z.avail_out;
		inflateEnd(&z);
		if (r != Z_STREAM_END || n > lim) {
			an->st->invalid_packets++;
			if (n > lim && lim == HEP_MAX_INFLATED)
				input_error(an->st, "frame %llu: HEP3 compressed payload of %zu bytes inflates past 1 MiB; dropped",
					    (unsigned long long)an->frame, plen);
			else if (n > lim)
				input_error(an->st, "frame %llu: HEP3 compressed payload of %zu bytes inflates past %zu bytes, over 64 times its size (a compression bomb, not SIP); dropped",
					    (unsigned long long)an->frame, plen, lim);
			else
				input_error(an->st, "frame %llu: HEP3 compressed payload of %zu bytes does not inflate (%s); dropped",
					    (unsigned long long)an->frame, plen, r == Z_BUF_ERROR ? "cut short" : "corrupt");
			return true;
		}
		sipframe_datagram(an, &fm, out, n);
	} else {
		sipframe_datagram(an, &fm, payload, plen);
	}
	return true;
}

/* HEP v1/v2: fixed header; v2 adds timestamp and capture id. */
static bool hep12(struct analyzer *an, const uint8_t *p, size_t len)
{
	if (len < 4 || (p[0] != 1 && p[0] != 2))
		return false;
	uint8_t ver = p[0], hl = p[1], fam = p[2], proto = p[3];
	size_t alen = fam == 2 ? 4 : fam == 10 ? 16 : 0;
	if (!alen)
		return false;
	size_t need = 4 + 4 + 2 * alen + (ver == 2 ? 12 : 0);
	if (hl != need || len < need)
		return false;
	struct flowmeta fm;
	memset(&fm, 0, sizeof fm);
	uint8_t f = alen == 4 ? 4 : 6;
	set_ep(&fm.src, f, p + 8, rd_be16(p + 4));
	set_ep(&fm.dst, f, p + 8 + alen, rd_be16(p + 6));
	fm.transport = hep_transport(proto);
	fm.encap = ENCAP_HEP;
	fm.first_frame = an->first_frame;
	if (!sip_looks_like_start((const char *)p + need, len - need))
		return false;
	sipframe_datagram(an, &fm, p + need, len - need);
	return true;
}

bool hep_decode(struct analyzer *an, const uint8_t *p, size_t len)
{
	if (hep_magic(p, len))
		return hep3(an, p, len);
	return hep12(an, p, len);
}
