/* sctp.c - SCTP DATA chunks (RFC 9260 §3.3.1) to SIP messages (RFC 4168):
 * a complete chunk (B and E set) is one message; fragmented user messages
 * are reassembled per association and stream from consecutive TSNs. */
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "internal.h"
#include "reassembly.h"
#include "sipframe.h"
#include "xalloc.h"

#define SCTP_SLOTS 64
#define SCTP_MAX_MESSAGE (1u << 20)

struct sctp_partial {
	bool used;
	struct endpoint src, dst;
	uint16_t sid;
	bool unordered;
	uint32_t next_tsn;
	uint8_t *buf;
	size_t len, cap;
	uint64_t first_frame;
	uint64_t stamp; /* for replacing the least recently used slot */
};

struct sctp_state {
	struct sctp_partial slot[SCTP_SLOTS];
	uint64_t clock;
};

static struct sctp_state *state(struct analyzer *an)
{
	if (!an->sctp)
		an->sctp = xcalloc(1, sizeof(struct sctp_state));
	return an->sctp;
}

static void drop(struct analyzer *an, struct sctp_partial *p, const char *why)
{
	if (p->used && p->len)
		input_error(an->st, "frame %llu: fragmented SCTP message from frame %llu lost (%s)",
			    (unsigned long long)an->frame, (unsigned long long)p->first_frame, why);
	free(p->buf);
	memset(p, 0, sizeof *p);
}

void sctp_release(struct analyzer *an, bool report)
{
	struct sctp_state *s = an->sctp;
	if (!s)
		return;
	for (int i = 0; i < SCTP_SLOTS; i++)
		if (s->slot[i].used) {
			if (report)
				drop(an, &s->slot[i], "capture ended before its last fragment");
			else {
				free(s->slot[i].buf);
				memset(&s->slot[i], 0, sizeof s->slot[i]);
			}
		}
	free(s);
	an->sctp = NULL;
}

static void fragment(struct analyzer *an, const struct flowmeta *fm, uint8_t flags, uint32_t tsn, uint16_t sid,
		     const uint8_t *p, size_t len)
{
	struct sctp_state *s = state(an);
	bool unordered = flags & 4;
	struct sctp_partial *slot = NULL, *lru = &s->slot[0];
	for (int i = 0; i < SCTP_SLOTS; i++) {
		struct sctp_partial *x = &s->slot[i];
		if (x->used && x->sid == sid && x->unordered == unordered && endpoint_eq(&x->src, &fm->src) &&
		    endpoint_eq(&x->dst, &fm->dst)) {
			slot = x;
			break;
		}
		if (!x->used || (lru->used && x->stamp < lru->stamp))
			lru = x;
	}
	if (flags & 2) { /* B: first fragment */
		if (slot)
			drop(an, slot, "a new message began before it ended");
		else {
			slot = lru;
			if (slot->used)
				drop(an, slot, "too many partial SCTP messages");
		}
		slot->used = true;
		slot->src = fm->src;
		slot->dst = fm->dst;
		slot->sid = sid;
		slot->unordered = unordered;
		slot->first_frame = an->frame;
		slot->len = 0;
	} else if (!slot || tsn != slot->next_tsn) {
		if (slot)
			drop(an, slot, "a fragment is missing");
		input_error(an->st, "frame %llu: SCTP fragment without its beginning skipped", (unsigned long long)an->frame);
		return;
	}
	slot->stamp = ++s->clock;
	slot->next_tsn = tsn + 1;
	if (slot->len + len > SCTP_MAX_MESSAGE) {
		drop(an, slot, "message over 1 MiB");
		return;
	}
	if (slot->len + len > slot->cap) {
		slot->cap = (slot->len + len) * 2;
		slot->buf = xrealloc(slot->buf, slot->cap);
	}
	memcpy(slot->buf + slot->len, p, len);
	slot->len += len;
	if (flags & 1) { /* E: last fragment */
		struct flowmeta m = *fm;
		m.first_frame = slot->first_frame;
		uint8_t *buf = slot->buf;
		size_t n = slot->len;
		slot->buf = NULL;
		memset(slot, 0, sizeof *slot);
		sipframe_datagram(an, &m, buf, n);
		free(buf);
	}
}

void sctp_decode(struct analyzer *an, uint8_t family, const uint8_t *src, const uint8_t *dst,
		 const uint8_t *p, size_t len)
{
	if (len < 12) {
		an->st->truncated_packets++;
		input_error(an->st, "frame %llu: SCTP header truncated", (unsigned long long)an->frame);
		return;
	}
	struct flowmeta fm;
	memset(&fm, 0, sizeof fm);
	fm.src.family = fm.dst.family = family;
	memcpy(fm.src.ip, src, family == 4 ? 4 : 16);
	memcpy(fm.dst.ip, dst, family == 4 ? 4 : 16);
	fm.src.port = rd_be16(p);
	fm.dst.port = rd_be16(p + 2);
	fm.transport = TRANSPORT_SCTP;
	fm.first_frame = an->first_frame;
	size_t off = 12;
	while (len - off >= 4) {
		uint8_t type = p[off], flags = p[off + 1];
		size_t clen = rd_be16(p + off + 2);
		if (clen < 4) {
			an->st->invalid_packets++;
			input_error(an->st, "frame %llu: invalid SCTP chunk length", (unsigned long long)an->frame);
			return;
		}
		if (clen > len - off) {
			an->st->truncated_packets++;
			input_error(an->st, "frame %llu: SCTP chunk truncated", (unsigned long long)an->frame);
			return;
		}
		if (type == 0 && clen >= 16) {
			const uint8_t *d = p + off + 16;
			size_t dl = clen - 16;
			if ((flags & 3) == 3)
				sipframe_datagram(an, &fm, d, dl);
			else
				fragment(an, &fm, flags, rd_be32(p + off + 4), rd_be16(p + off + 8), d, dl);
		}
		off += (clen + 3) & ~(size_t)3;
		if (off > len)
			break;
	}
}
