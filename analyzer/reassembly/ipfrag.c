/* ipfrag.c - IPv4 and IPv6 fragment reassembly (RFC 791 §3.2, RFC 8200 §4.5).
 * Fragments may come in any order and overlap; the first copy of a byte wins
 * (overlaps with different bytes are reported, RFC 5722). Datagrams that do
 * not complete within FRAG_TIMEOUT seconds of capture time, or are evicted
 * by the memory cap, are counted and reported, never dropped silently. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "internal.h"
#include "reassembly.h"
#include "xalloc.h"

#define FRAG_TIMEOUT 30          /* seconds of capture time */
#define FRAG_MEM_CAP (64u << 20) /* bytes buffered across all datagrams */
#define FRAG_MAX_DATAGRAM 65535u + 8u
#define FRAG_MAX_IV 64           /* received ranges tracked per datagram */
#define FRAG_BUCKETS 65536       /* one per datagram at FRAG_MAX_COUNT */
#define FRAG_MAX_COUNT 65536     /* datagrams in reassembly at once */

struct fragdg {
	struct fragdg *hnext;
	struct fragdg *older, *newer; /* age list, oldest first */
	uint8_t family, proto;
	uint8_t src[16], dst[16];
	uint32_t id;
	uint8_t *buf;
	uint32_t cap;
	uint32_t total; /* known once the last fragment came; else 0 */
	uint32_t have;  /* bytes received (union of ranges) */
	struct { uint32_t s, e; } iv[FRAG_MAX_IV];
	unsigned niv;
	unsigned nfrags;
	bool conflict;
	uint64_t first_frame;
	int64_t first_sec;
	uint64_t *frames; /* every fragment's frame, when recording carriers */
	unsigned nframes, frames_cap;
};

struct ipfrag {
	struct fragdg *bucket[FRAG_BUCKETS];
	struct fragdg *oldest, *newest;
	size_t mem;
	unsigned count;
};

struct ipfrag *ipfrag_new(void)
{
	return xcalloc(1, sizeof(struct ipfrag));
}

static uint32_t key_hash(uint8_t family, const uint8_t *src, const uint8_t *dst, uint32_t id)
{
	size_t n = family == 4 ? 4 : 16;
	uint32_t h = hash_bytes(src, n, family);
	h = hash_bytes(dst, n, h) ^ id;
	/* FNV's low bits only mix from below: finish (murmur3's fmix32) so
	 * that every bit of the id and the addresses picks the bucket */
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h & (FRAG_BUCKETS - 1);
}

static void unlink_dg(struct ipfrag *f, struct fragdg *d)
{
	struct fragdg **pp = &f->bucket[key_hash(d->family, d->src, d->dst, d->id)];
	while (*pp && *pp != d)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = d->hnext;
	if (d->older)
		d->older->newer = d->newer;
	else
		f->oldest = d->newer;
	if (d->newer)
		d->newer->older = d->older;
	else
		f->newest = d->older;
	f->mem -= d->cap;
	f->count--;
	free(d->buf);
	free(d->frames);
	free(d);
}

void ipfrag_free(struct ipfrag *f)
{
	if (!f)
		return;
	while (f->oldest)
		unlink_dg(f, f->oldest);
	free(f);
}

enum incomplete { INC_TIMEOUT, INC_END, INC_EVICTED, INC_TOO_MANY };

/* One message format per reason: each is a kind of its own in the input's
 * problem list, so a flood of evictions does not hide the others. */
static void report_incomplete(struct analyzer *an, struct fragdg *d, enum incomplete why)
{
	struct endpoint s = { .family = d->family }, t = { .family = d->family };
	memcpy(s.ip, d->src, 16);
	memcpy(t.ip, d->dst, 16);
	char a[ENDPOINT_STRLEN], b[ENDPOINT_STRLEN];
	endpoint_format_ip(&s, a, sizeof a);
	endpoint_format_ip(&t, b, sizeof b);
	an->st->frag_incomplete++;
	unsigned long long fr = d->first_frame;
#define INC(reason)                                                                                                   \
	do {                                                                                                          \
		if (d->total)                                                                                         \
			input_error(an->st, "frame %llu: IPv%u datagram id 0x%x %s -> %s never completed (" reason    \
					    "): %u of %u bytes in %u fragments",                                     \
				    fr, d->family, d->id, a, b, d->have, d->total, d->nfrags);                        \
		else                                                                                                  \
			input_error(an->st, "frame %llu: IPv%u datagram id 0x%x %s -> %s never completed (" reason    \
					    "): last fragment missing, %u bytes in %u fragments",                    \
				    fr, d->family, d->id, a, b, d->have, d->nfrags);                                  \
	} while (0)
	switch (why) {
	case INC_TIMEOUT: INC("timed out"); break;
	case INC_END: INC("capture ended"); break;
	case INC_EVICTED: INC("evicted by the reassembly memory cap"); break;
	case INC_TOO_MANY: INC("too many fragments"); break;
	}
#undef INC
}

void ipfrag_expire(struct analyzer *an, bool flush)
{
	struct ipfrag *f = an->frag;
	while (f->oldest && (flush || f->oldest->first_sec + FRAG_TIMEOUT < an->now)) {
		report_incomplete(an, f->oldest, flush ? INC_END : INC_TIMEOUT);
		unlink_dg(f, f->oldest);
	}
}

/* Adds [s,e) to the sorted, merged range list; copies only bytes not yet
 * covered (first copy wins) and notes conflicting overlaps. */
static bool add_range(struct fragdg *d, uint32_t s, uint32_t e, const uint8_t *p)
{
	uint32_t pos = s;
	for (unsigned i = 0; i <= d->niv && pos < e; i++) {
		uint32_t gap_end = i < d->niv ? d->iv[i].s : UINT32_MAX;
		if (gap_end > pos) { /* uncovered: copy */
			uint32_t ce = gap_end < e ? gap_end : e;
			memcpy(d->buf + pos, p + (pos - s), ce - pos);
			pos = ce;
		}
		if (i < d->niv && pos < e && pos < d->iv[i].e) { /* covered: compare */
			uint32_t ce = d->iv[i].e < e ? d->iv[i].e : e;
			if (memcmp(d->buf + pos, p + (pos - s), ce - pos) != 0)
				d->conflict = true;
			pos = ce;
		}
	}
	/* merge the new range into the list */
	unsigned i = 0;
	while (i < d->niv && d->iv[i].e < s)
		i++;
	unsigned j = i;
	uint32_t ns = s, ne = e;
	while (j < d->niv && d->iv[j].s <= e) {
		if (d->iv[j].s < ns)
			ns = d->iv[j].s;
		if (d->iv[j].e > ne)
			ne = d->iv[j].e;
		j++;
	}
	if (i == j) { /* insert */
		if (d->niv == FRAG_MAX_IV)
			return false;
		memmove(&d->iv[i + 1], &d->iv[i], (d->niv - i) * sizeof d->iv[0]);
		d->niv++;
	} else if (j > i + 1) { /* collapse i..j-1 into i */
		memmove(&d->iv[i + 1], &d->iv[j], (d->niv - j) * sizeof d->iv[0]);
		d->niv -= j - i - 1;
	}
	d->iv[i].s = ns;
	d->iv[i].e = ne;
	d->have = 0;
	for (unsigned k = 0; k < d->niv; k++)
		d->have += d->iv[k].e - d->iv[k].s;
	return true;
}

/* Makes room for `need` more bytes (and one more datagram) under the caps
 * by evicting the oldest datagrams, reported; never `keep`, the one that
 * needs the room: a flood of datagrams that never complete must not starve
 * the ones still arriving. */
static void evict(struct analyzer *an, struct ipfrag *f, size_t need, struct fragdg *keep)
{
	while (f->mem + need > FRAG_MEM_CAP || (!keep && f->count >= FRAG_MAX_COUNT)) {
		struct fragdg *o = f->oldest == keep ? keep->newer : f->oldest;
		if (!o)
			return;
		report_incomplete(an, o, INC_EVICTED);
		unlink_dg(f, o);
	}
}

void ipfrag_add(struct analyzer *an, int depth, uint8_t family, const uint8_t *src, const uint8_t *dst,
		uint32_t id, uint8_t proto, uint32_t offset, bool more, const uint8_t *p, size_t len)
{
	struct ipfrag *f = an->frag;
	size_t alen = family == 4 ? 4 : 16;
	uint32_t end = offset + (uint32_t)len;
	if (end > FRAG_MAX_DATAGRAM) {
		an->st->invalid_packets++;
		input_error(an->st, "frame %llu: IP fragment beyond 64 KiB (offset %u, length %zu)",
			    (unsigned long long)an->frame, offset, len);
		return;
	}
	ipfrag_expire(an, false);

	uint32_t h = key_hash(family, src, dst, id);
	struct fragdg *d = f->bucket[h];
	while (d && !(d->family == family && d->id == id && memcmp(d->src, src, alen) == 0 &&
		      memcmp(d->dst, dst, alen) == 0 && (family == 6 || d->proto == proto)))
		d = d->hnext;
	if (!d) {
		evict(an, f, 2048, NULL);
		d = xcalloc(1, sizeof *d);
		d->family = family;
		d->proto = proto;
		memcpy(d->src, src, alen);
		memcpy(d->dst, dst, alen);
		d->id = id;
		d->first_frame = an->frame;
		d->first_sec = an->now;
		d->hnext = f->bucket[h];
		f->bucket[h] = d;
		d->older = f->newest;
		if (f->newest)
			f->newest->newer = d;
		else
			f->oldest = d;
		f->newest = d;
		f->count++;
	}
	if (offset == 0)
		d->proto = proto; /* IPv6: the first fragment's next header counts */
	if (end > d->cap) {
		uint32_t ncap = d->cap ? d->cap : 2048;
		while (ncap < end)
			ncap *= 2;
		if (ncap > FRAG_MAX_DATAGRAM)
			ncap = FRAG_MAX_DATAGRAM;
		evict(an, f, ncap - d->cap, d);
		if (f->mem + (ncap - d->cap) > FRAG_MEM_CAP) {
			an->st->frag_dropped++;
			input_error(an->st, "frame %llu: IP fragment dropped: reassembly memory cap reached",
				    (unsigned long long)an->frame);
			return;
		}
		d->buf = xrealloc(d->buf, ncap);
		f->mem += ncap - d->cap;
		d->cap = ncap;
	}
	if (!more) {
		if (d->total && d->total != end)
			d->conflict = true;
		d->total = end;
	}
	d->nfrags++;
	if (an->record_carriers && (!d->nframes || d->frames[d->nframes - 1] != an->frame)) {
		if (d->nframes == d->frames_cap) {
			d->frames_cap = d->frames_cap ? d->frames_cap * 2 : 8;
			d->frames = xrealloc(d->frames, d->frames_cap * sizeof *d->frames);
		}
		d->frames[d->nframes++] = an->frame;
	}
	if (!add_range(d, offset, end, p)) {
		report_incomplete(an, d, INC_TOO_MANY);
		unlink_dg(f, d);
		return;
	}
	if (!(d->total && d->niv == 1 && d->iv[0].s == 0 && d->iv[0].e >= d->total))
		return;

	if (d->conflict)
		input_error(an->st, "frame %llu: IPv%u fragments overlap with different data (first copy kept)",
			    (unsigned long long)an->frame, family);
	/* Complete: decode from a detached buffer, then free it. */
	uint64_t saved_first = an->first_frame;
	bool saved_frag = an->ip_fragmented;
	uint8_t fam = d->family, pr = d->proto, s[16], t[16];
	memcpy(s, d->src, 16);
	memcpy(t, d->dst, 16);
	uint8_t *buf = d->buf;
	uint32_t total = d->total;
	an->first_frame = d->first_frame;
	an->ip_fragmented = true;
	const uint64_t *saved_ff = an->frag_frames;
	unsigned saved_nff = an->nfrag_frames;
	uint64_t *frames = d->frames;
	an->frag_frames = frames;
	an->nfrag_frames = d->nframes;
	d->frames = NULL;
	d->buf = NULL;
	f->mem -= d->cap;
	d->cap = 0;
	unlink_dg(f, d);
	decode_l4(an, depth, pr, fam, s, t, buf, total, false);
	free(buf);
	free(frames);
	an->frag_frames = saved_ff;
	an->nfrag_frames = saved_nff;
	an->first_frame = saved_first;
	an->ip_fragmented = saved_frag;
}
