/* decode.c - link layers, VLAN/MPLS/PPPoE, IPv4/IPv6, tunnels (IP-in-IP, GRE,
 * ERSPAN I/II/III, VXLAN, GTP-U), UDP and SCTP, down to SIP payloads.
 * Every read goes through a bounds check; a header cut short by the snap
 * length counts as truncated, a header that contradicts itself as invalid. */
#include <string.h>

#include "cursor.h"
#include "decode.h"
#include "internal.h"
#include "reassembly.h"
#include "sipframe.h"

#define MAX_DEPTH 8 /* nested tunnels before we call it a loop */

enum {
	ET_IPV4 = 0x0800,
	ET_IPV6 = 0x86dd,
	ET_VLAN = 0x8100,
	ET_QINQ = 0x88a8,
	ET_QINQ_OLD = 0x9100,
	ET_QINQ_OLD2 = 0x9200,
	ET_MPLS = 0x8847,
	ET_MPLS_MC = 0x8848,
	ET_PPPOE = 0x8864,
	ET_TEB = 0x6558,     /* transparent Ethernet bridging (gretap) */
	ET_ERSPAN2 = 0x88be, /* ERSPAN type I or II */
	ET_ERSPAN3 = 0x22eb,
	ET_PPP = 0x880b,
};

static void decode_ip(struct analyzer *an, int depth, const uint8_t *p, size_t len);
static void decode_ether(struct analyzer *an, int depth, const uint8_t *p, size_t len);

static void truncated(struct analyzer *an, const char *what)
{
	an->st->truncated_packets++;
	input_error(an->st, "frame %llu: %s header truncated", (unsigned long long)an->frame, what);
}

static void invalid(struct analyzer *an, const char *what)
{
	an->st->invalid_packets++;
	input_error(an->st, "frame %llu: invalid %s", (unsigned long long)an->frame, what);
}

static void decode_ethertype(struct analyzer *an, int depth, uint16_t type, const uint8_t *p, size_t len)
{
	if (++depth > MAX_DEPTH) {
		invalid(an, "encapsulation: nested too deep");
		return;
	}
	switch (type) {
	case ET_IPV4:
	case ET_IPV6:
		decode_ip(an, depth, p, len);
		break;
	case ET_VLAN:
	case ET_QINQ:
	case ET_QINQ_OLD:
	case ET_QINQ_OLD2:
		if (len < 4) {
			truncated(an, "802.1Q");
			return;
		}
		decode_ethertype(an, depth, rd_be16(p + 2), p + 4, len - 4);
		break;
	case ET_MPLS:
	case ET_MPLS_MC: {
		size_t off = 0;
		for (;;) { /* pop labels until bottom of stack */
			if (len - off < 4) {
				truncated(an, "MPLS");
				return;
			}
			bool bottom = p[off + 2] & 1;
			off += 4;
			if (bottom)
				break;
		}
		if (off < len && (p[off] >> 4 == 4 || p[off] >> 4 == 6))
			decode_ip(an, depth, p + off, len - off);
		break;
	}
	case ET_PPPOE: /* session: ver/type, code, session id, length, PPP protocol */
		if (len < 8) {
			truncated(an, "PPPoE");
			return;
		}
		if (rd_be16(p + 6) == 0x0021 || rd_be16(p + 6) == 0x0057)
			decode_ip(an, depth, p + 8, len - 8);
		break;
	case ET_TEB:
		decode_ether(an, depth, p, len);
		break;
	default:
		break; /* ARP, LLDP...: not ours */
	}
}

static void decode_ether(struct analyzer *an, int depth, const uint8_t *p, size_t len)
{
	if (len < 14) {
		truncated(an, "Ethernet");
		return;
	}
	uint16_t type = rd_be16(p + 12);
	if (type <= 1500)
		return; /* 802.3 length field: LLC frames, not IP */
	decode_ethertype(an, depth, type, p + 14, len - 14);
}

/* ERF (Endace) record header, RFC-less: see wiretap/erf.h. */
static void decode_erf(struct analyzer *an, const uint8_t *p, size_t len)
{
	if (len < 16) {
		truncated(an, "ERF");
		return;
	}
	uint8_t type = p[8];
	size_t off = 16;
	if (type & 0x80) { /* extension headers, 8 bytes each, chained by bit 7 */
		for (;;) {
			if (len < off + 8) {
				truncated(an, "ERF extension");
				return;
			}
			bool more = p[off] & 0x80;
			off += 8;
			if (!more)
				break;
		}
	}
	switch (type & 0x7f) {
	case 2:  /* ETH */
	case 16: /* COLOR_ETH */
	case 18: /* COLOR_HASH_ETH */
	case 19: /* DSM_COLOR_ETH */
		if (len < off + 2) {
			truncated(an, "ERF Ethernet");
			return;
		}
		decode_ether(an, 0, p + off + 2, len - off - 2);
		break;
	case 22: /* IPV4 */
	case 23: /* IPV6 */
		decode_ip(an, 0, p + off, len - off);
		break;
	default:
		an->st->unknown_linktype_packets++;
		break;
	}
}

void decode_link(struct analyzer *an, int linktype, const uint8_t *p, size_t len)
{
	switch (linktype) {
	case LT_ETHERNET:
		decode_ether(an, 0, p, len);
		break;
	case LT_LINUX_SLL: /* 16-byte cooked header, protocol last */
		if (len < 16) {
			truncated(an, "Linux cooked (SLL)");
			return;
		}
		decode_ethertype(an, 0, rd_be16(p + 14), p + 16, len - 16);
		break;
	case LT_LINUX_SLL2: /* 20-byte cooked header, protocol first */
		if (len < 20) {
			truncated(an, "Linux cooked (SLL2)");
			return;
		}
		decode_ethertype(an, 0, rd_be16(p), p + 20, len - 20);
		break;
	case LT_RAW:
	case LT_IPV4:
	case LT_IPV6:
		decode_ip(an, 0, p, len);
		break;
	case LT_NULL:
	case LT_LOOP: {
		if (len < 4) {
			truncated(an, "loopback");
			return;
		}
		/* Address family in the capturing host's order (NULL) or network
		 * order (LOOP); accept either, as tcpdump does. */
		uint32_t fam = linktype == LT_LOOP ? rd_be32(p) : rd_le32(p);
		if (fam > 0xffff)
			fam = linktype == LT_LOOP ? rd_le32(p) : rd_be32(p);
		if (fam == 2 || fam == 24 || fam == 28 || fam == 30 || fam == 10)
			decode_ip(an, 0, p + 4, len - 4);
		break;
	}
	case LT_ERF:
		decode_erf(an, p, len);
		break;
	default:
		an->st->unknown_linktype_packets++;
		break;
	}
}

static void decode_ipv4(struct analyzer *an, int depth, const uint8_t *p, size_t len)
{
	if (len < 20) {
		truncated(an, "IPv4");
		return;
	}
	size_t ihl = (size_t)(p[0] & 15) * 4;
	if (ihl < 20) {
		invalid(an, "IPv4 header length");
		return;
	}
	if (len < ihl) {
		truncated(an, "IPv4");
		return;
	}
	size_t tot = rd_be16(p + 2);
	bool trunc = false;
	if (tot == 0) {
		tot = len; /* TSO / offloaded capture: length unknown */
	} else if (tot < ihl) {
		invalid(an, "IPv4 total length");
		return;
	}
	if (tot > len) {
		trunc = true; /* cut by the snap length */
		an->st->truncated_packets++;
		tot = len;
	}
	uint16_t fl = rd_be16(p + 6);
	bool more = fl & 0x2000;
	uint32_t off = (uint32_t)(fl & 0x1fff) * 8;
	if (more || off) {
		if (trunc) {
			input_error(an->st, "frame %llu: IPv4 fragment cut short by the snap length",
				    (unsigned long long)an->frame);
			an->st->frag_dropped++;
			return;
		}
		ipfrag_add(an, depth, 4, p + 12, p + 16, rd_be16(p + 4), p[9], off, more, p + ihl, tot - ihl);
		return;
	}
	decode_l4(an, depth, p[9], 4, p + 12, p + 16, p + ihl, tot - ihl, trunc);
}

static void decode_ipv6(struct analyzer *an, int depth, const uint8_t *p, size_t len)
{
	if (len < 40) {
		truncated(an, "IPv6");
		return;
	}
	size_t plen = rd_be16(p + 4);
	bool trunc = false;
	if (plen == 0)
		plen = len - 40; /* jumbogram or offload */
	if (plen > len - 40) {
		trunc = true;
		an->st->truncated_packets++;
		plen = len - 40;
	}
	const uint8_t *src = p + 8, *dst = p + 24;
	uint8_t nh = p[6];
	size_t off = 40, end = 40 + plen;
	for (;;) {
		switch (nh) {
		case 0:   /* hop-by-hop */
		case 43:  /* routing */
		case 60:  /* destination options */
		case 135: /* mobility */
			if (end - off < 8) {
				truncated(an, "IPv6 extension");
				return;
			}
			nh = p[off];
			off += ((size_t)p[off + 1] + 1) * 8;
			if (off > end) {
				truncated(an, "IPv6 extension");
				return;
			}
			continue;
		case 51: /* AH: length in 4-octet units minus 2 */
			if (end - off < 8) {
				truncated(an, "IPv6 AH");
				return;
			}
			nh = p[off];
			off += ((size_t)p[off + 1] + 2) * 4;
			if (off > end) {
				truncated(an, "IPv6 AH");
				return;
			}
			continue;
		case 44: { /* fragment */
			if (end - off < 8) {
				truncated(an, "IPv6 fragment");
				return;
			}
			uint16_t fo = rd_be16(p + off + 2);
			uint32_t id = rd_be32(p + off + 4);
			uint8_t next = p[off];
			off += 8;
			uint32_t foff = (uint32_t)(fo & 0xfff8);
			bool more = fo & 1;
			if (!more && foff == 0) { /* atomic fragment (RFC 6946) */
				nh = next;
				continue;
			}
			if (trunc) {
				input_error(an->st, "frame %llu: IPv6 fragment cut short by the snap length",
					    (unsigned long long)an->frame);
				an->st->frag_dropped++;
				return;
			}
			ipfrag_add(an, depth, 6, src, dst, id, next, foff, more, p + off, end - off);
			return;
		}
		case 59: /* no next header */
			return;
		default:
			decode_l4(an, depth, nh, 6, src, dst, p + off, end - off, trunc);
			return;
		}
	}
}

static void decode_ip(struct analyzer *an, int depth, const uint8_t *p, size_t len)
{
	if (len < 1) {
		truncated(an, "IP");
		return;
	}
	switch (p[0] >> 4) {
	case 4:
		decode_ipv4(an, depth, p, len);
		break;
	case 6:
		decode_ipv6(an, depth, p, len);
		break;
	default:
		invalid(an, "IP version");
		break;
	}
}

static void set_endpoint(struct endpoint *e, uint8_t family, const uint8_t *ip, uint16_t port)
{
	memset(e, 0, sizeof *e);
	e->family = family;
	memcpy(e->ip, ip, family == 4 ? 4 : 16);
	e->port = port;
}

/* GRE (RFC 2784, 2890; PPTP's enhanced GRE, RFC 2637) and ERSPAN. */
static void decode_gre(struct analyzer *an, int depth, const uint8_t *p, size_t len)
{
	struct cur c = cur_make(p, len);
	uint16_t flags = cur_be16(&c);
	uint16_t proto = cur_be16(&c);
	int ver = flags & 7;
	if (flags & 0x8000) /* checksum present (with reserved1) */
		cur_skip(&c, 4);
	if (flags & 0x2000) /* key */
		cur_skip(&c, 4);
	if (flags & 0x1000) /* sequence number */
		cur_skip(&c, 4);
	if (ver == 1 && (flags & 0x0080)) /* enhanced GRE acknowledgment */
		cur_skip(&c, 4);
	if (c.trunc) {
		truncated(an, "GRE");
		return;
	}
	const uint8_t *q = cur_ptr(&c);
	size_t n = cur_left(&c);
	switch (proto) {
	case ET_ERSPAN2:
		if (!(flags & 0x1000)) { /* type I: no ERSPAN header */
			decode_ether(an, depth, q, n);
			return;
		}
		if (n < 8) {
			truncated(an, "ERSPAN II");
			return;
		}
		decode_ether(an, depth, q + 8, n - 8);
		return;
	case ET_ERSPAN3: {
		if (n < 12) {
			truncated(an, "ERSPAN III");
			return;
		}
		size_t h = 12 + ((q[11] & 1) ? 8 : 0); /* O flag: platform subheader */
		if (n < h) {
			truncated(an, "ERSPAN III");
			return;
		}
		decode_ether(an, depth, q + h, n - h);
		return;
	}
	case ET_PPP: {
		size_t o = 0;
		if (n >= 2 && q[0] == 0xff && q[1] == 0x03)
			o = 2;
		if (n < o + 1)
			return;
		uint16_t pp = q[o];
		if (!(pp & 1)) { /* two-byte protocol field */
			if (n < o + 2)
				return;
			pp = rd_be16(q + o);
			o += 2;
		} else {
			o += 1;
		}
		if (pp == 0x21 || pp == 0x57)
			decode_ip(an, depth, q + o, n - o);
		return;
	}
	default:
		decode_ethertype(an, depth, proto, q, n);
		return;
	}
}

/* GTP-U (3GPP TS 29.281): G-PDU carrying user IP packets. */
static bool decode_gtpu(struct analyzer *an, int depth, const uint8_t *p, size_t len)
{
	if (len < 8 || (p[0] >> 5) != 1 || !(p[0] & 0x10) || p[1] != 0xff)
		return false;
	size_t off = 8;
	if (p[0] & 0x07) { /* E, S or PN: 4 more bytes, then extension headers */
		if (len < 12)
			return false;
		uint8_t next = p[11];
		off = 12;
		while (next) {
			if (len < off + 1 || p[off] == 0)
				return false;
			size_t el = (size_t)p[off] * 4;
			if (len < off + el)
				return false;
			next = p[off + el - 1];
			off += el;
		}
	}
	if (off < len && (p[off] >> 4 == 4 || p[off] >> 4 == 6)) {
		decode_ip(an, depth, p + off, len - off);
		return true;
	}
	return false;
}

/* RTP or RTCP by its header (RFC 5761 §4 tells them apart); false when it
 * is neither, so SIP framing gets its chance. */
static bool decode_media(struct analyzer *an, uint8_t family, const uint8_t *src, const uint8_t *dst,
			 uint16_t sport, uint16_t dport, const uint8_t *q, size_t n)
{
	struct media_pkt mp;
	mp.rtcp = rtcp_type(q);
	if (mp.rtcp ? !rtcp_parse(q, n, &mp.u.rtcp) : !rtp_parse(q, n, &mp.u.rtp))
		return false;
	if (mp.rtcp)
		an->st->rtcp_packets++;
	else
		an->st->rtp_packets++;
	mp.input = an->input;
	mp.data = q;
	mp.len = n;
	mp.frame = an->first_frame;
	mp.ns = an->ts_sec * 1000000000LL + an->ts_nsec;
	set_endpoint(&mp.src, family, src, sport);
	set_endpoint(&mp.dst, family, dst, dport);
	an->media(an->media_ud, &mp);
	return true;
}

static void decode_udp(struct analyzer *an, int depth, uint8_t family, const uint8_t *src,
		       const uint8_t *dst, const uint8_t *p, size_t len, bool trunc)
{
	if (len < 8) {
		truncated(an, "UDP");
		return;
	}
	uint16_t sport = rd_be16(p), dport = rd_be16(p + 2);
	size_t ulen = rd_be16(p + 4);
	if (ulen == 0 && family == 6)
		ulen = len; /* jumbogram */
	if (ulen < 8) {
		invalid(an, "UDP length");
		return;
	}
	if (ulen > len) { /* cut datagram: shows up as a Content-Length beyond the data */
		if (!trunc)
			an->st->truncated_packets++;
		ulen = len;
	}
	const uint8_t *q = p + 8;
	size_t n = ulen - 8;
	if (n == 0)
		return;
	if ((dport == 4789 || sport == 4789) && n >= 8 && (q[0] & 0x08)) { /* VXLAN */
		if (depth + 1 <= MAX_DEPTH)
			decode_ether(an, depth + 1, q + 8, n - 8);
		return;
	}
	if ((dport == 2152 || sport == 2152) && depth + 1 <= MAX_DEPTH && decode_gtpu(an, depth + 1, q, n))
		return;
	if (hep_magic(q, n) || dport == 9060 || sport == 9060) {
		if (hep_decode(an, q, n))
			return;
	}
	if (an->media && rtp_version2(q, n) && decode_media(an, family, src, dst, sport, dport, q, n))
		return;
	struct flowmeta fm;
	memset(&fm, 0, sizeof fm);
	set_endpoint(&fm.src, family, src, sport);
	set_endpoint(&fm.dst, family, dst, dport);
	fm.transport = TRANSPORT_UDP;
	fm.first_frame = an->first_frame;
	fm.ip_fragmented = an->ip_fragmented;
	sipframe_datagram(an, &fm, q, n);
}

void decode_l4(struct analyzer *an, int depth, uint8_t proto, uint8_t family, const uint8_t *src,
	       const uint8_t *dst, const uint8_t *p, size_t len, bool trunc)
{
	switch (proto) {
	case 17:
		decode_udp(an, depth, family, src, dst, p, len, trunc);
		break;
	case 6: {
		if (len < 20) {
			truncated(an, "TCP");
			return;
		}
		size_t doff = (size_t)(p[12] >> 4) * 4;
		if (doff < 20) {
			invalid(an, "TCP data offset");
			return;
		}
		if (doff > len) {
			truncated(an, "TCP");
			return;
		}
		struct endpoint s, d;
		set_endpoint(&s, family, src, rd_be16(p));
		set_endpoint(&d, family, dst, rd_be16(p + 2));
		if (trunc && len > doff)
			input_error(an->st, "frame %llu: TCP segment cut short by the snap length",
				    (unsigned long long)an->frame);
		tcp_segment(an, &s, &d, rd_be32(p + 4), rd_be32(p + 8), p[13], p + doff, len - doff);
		break;
	}
	case 132:
		sctp_decode(an, family, src, dst, p, len);
		break;
	case 4:  /* IPv4 in IP */
	case 41: /* IPv6 in IP */
		if (depth + 1 > MAX_DEPTH) {
			invalid(an, "encapsulation: nested too deep");
			return;
		}
		decode_ip(an, depth + 1, p, len);
		break;
	case 47:
		if (depth + 1 > MAX_DEPTH) {
			invalid(an, "encapsulation: nested too deep");
			return;
		}
		decode_gre(an, depth + 1, p, len);
		break;
	default:
		break; /* ICMP (quoted SIP is not a message), ESP, OSPF... */
	}
}
