/* tlshello.c - ClientHello and ServerHello parsing (see tlshello.h). Every
 * length is checked against what contains it; nothing is copied but the
 * fixed-size fields. */
#include <string.h>

#include "tlshello.h"

/* SHA-256("HelloRetryRequest"): the random of a HelloRetryRequest */
static const uint8_t hrr_random[32] = {
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
	0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

enum { EXT_ETM = 22, EXT_EMS = 23, EXT_SESSION_TICKET = 35, EXT_PSK = 41, EXT_SUPPORTED_VERSIONS = 43 };

struct rd {
	const uint8_t *p;
	size_t len, off;
	bool bad;
};

static unsigned u8(struct rd *r)
{
	if (r->off + 1 > r->len) {
		r->bad = true;
		return 0;
	}
	return r->p[r->off++];
}

static unsigned u16(struct rd *r)
{
	unsigned a = u8(r);
	return a << 8 | u8(r);
}

static const uint8_t *take(struct rd *r, size_t n)
{
	if (r->bad || n > r->len - r->off) {
		r->bad = true;
		return NULL;
	}
	const uint8_t *p = r->p + r->off;
	r->off += n;
	return p;
}

uint64_t tls_ticket_hash(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h | 1; /* never 0 */
}

static void extension(struct tls_hello *h, bool server, unsigned type, const uint8_t *p, size_t len)
{
	switch (type) {
	case EXT_ETM:
		h->etm = true;
		break;
	case EXT_EMS:
		h->ems = true;
		break;
	case EXT_SESSION_TICKET:
		h->ticket = server || len > 0; /* a client's empty one only asks for a ticket */
		if (!server && len)
			h->ticket_hash = tls_ticket_hash(p, len);
		break;
	case EXT_PSK:
		h->psk = true;
		break;
	case EXT_SUPPORTED_VERSIONS:
		if (server) {
			if (len == 2)
				h->version = (uint16_t)(p[0] << 8 | p[1]);
		} else if (len >= 1 && p[0] + 1u <= len) {
			for (size_t i = 1; i + 1 < 1u + p[0]; i += 2) {
				uint16_t v = (uint16_t)(p[i] << 8 | p[i + 1]);
				if ((v & 0x0f0f) != 0x0a0a && v > h->version && v <= 0x0304) /* GREASE values left out */
					h->version = v;
			}
		}
		break;
	default:
		break;
	}
}

bool tls_parse_hello(const uint8_t *body, size_t len, bool server, struct tls_hello *h)
{
	memset(h, 0, sizeof *h);
	struct rd r = { body, len, 0, false };
	h->legacy_version = (uint16_t)u16(&r);
	const uint8_t *rnd = take(&r, 32);
	if (!rnd)
		return false;
	memcpy(h->random, rnd, 32);
	unsigned sid = u8(&r);
	const uint8_t *s = take(&r, sid);
	if (!s || sid > 32)
		return false;
	memcpy(h->session_id, s, sid);
	h->session_id_len = (uint8_t)sid;
	if (server) {
		h->suite = (uint16_t)u16(&r);
		u8(&r); /* compression */
		h->hrr = memcmp(h->random, hrr_random, 32) == 0;
	} else {
		unsigned n = u16(&r);
		if (n % 2 || !take(&r, n))
			return false;
		unsigned c = u8(&r);
		if (!take(&r, c))
			return false;
	}
	if (r.bad)
		return false;
	h->version = server ? h->legacy_version : 0;
	if (r.off < len) { /* extensions */
		unsigned total = u16(&r);
		const uint8_t *e = take(&r, total);
		if (!e || r.off != len)
			return false;
		struct rd x = { e, total, 0, false };
		while (x.off < total) {
			unsigned type = u16(&x), elen = u16(&x);
			const uint8_t *ep = take(&x, elen);
			if (x.bad)
				return false;
			extension(h, server, type, ep, elen);
		}
	}
	if (!server && !h->version)
		h->version = h->legacy_version;
	return true;
}
