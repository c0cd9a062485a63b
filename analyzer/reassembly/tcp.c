/* tcp.c - TCP reassembly per direction (RFC 9293 §3.4 sequence space):
 * out-of-order segments are held until the hole fills, retransmissions and
 * overlaps are trimmed (first copy wins), streams may start without a SYN,
 * holes that never fill become reported gaps, FIN/RST end a direction.
 * Connections idle for TCP_IDLE seconds of capture time are released. */
#include <stdlib.h>
#include <string.h>

#include "reassembly.h"
#include "stream.h"
#include "xalloc.h"

#define TCP_IDLE 600                /* seconds of capture time */
#define TCP_LINGER 60               /* closed connections kept to absorb retransmissions */
#define TCP_OOO_CAP (1u << 20)      /* out-of-order bytes held per direction */
#define TCP_OOO_MAX_SEGS 1024

enum { TH_FIN = 0x01, TH_SYN = 0x02, TH_RST = 0x04, TH_ACK = 0x10 };

struct seg {
	struct seg *next;
	uint32_t seq, len;
	uint64_t frame;
	int64_t ts_sec;
	uint32_t ts_nsec;
	uint8_t data[];
};

struct half {
	bool init, fin, done;
	bool syn;          /* the SYN was seen: isn is this direction's */
	uint32_t next_seq, fin_seq, isn;
	struct seg *ooo; /* sorted by seq */
	size_t ooo_bytes;
	unsigned ooo_count;
	struct stream s;
};

struct conn {
	struct conn *hnext;
	struct conn *older, *newer; /* idle list, least recently used first */
	struct endpoint ep[2];      /* ep[0] sent the first segment we saw */
	struct half h[2];
	int64_t last_sec;
	struct tls_flow *tls; /* TLS state once a direction starts with a record */
	uint32_t hash;
	/* Carrier recording: frames that set the connection up (SYN of each
	 * direction, WebSocket upgrade request and response), exported with
	 * its messages so a reader can follow the stream. */
	uint64_t setup[4];
};

struct tcp_table {
	struct conn **bucket;
	size_t nbuckets, count;
	struct conn *oldest, *newest;
	int64_t last_expire;
};

static inline int32_t seq_diff(uint32_t a, uint32_t b) { return (int32_t)(a - b); }

struct tcp_table *tcp_table_new(void)
{
	struct tcp_table *t = xcalloc(1, sizeof *t);
	t->nbuckets = 1024;
	t->bucket = xcalloc(t->nbuckets, sizeof *t->bucket);
	return t;
}

static uint32_t conn_hash(const struct endpoint *a, const struct endpoint *b)
{
	/* symmetric: both directions hash alike */
	uint32_t x = hash_bytes(a->ip, 16, a->port), y = hash_bytes(b->ip, 16, b->port);
	return x ^ y ^ (x < y ? x : y) * 0x9e3779b1u;
}

static void free_half(struct half *h)
{
	struct seg *s = h->ooo;
	while (s) {
		struct seg *n = s->next;
		free(s);
		s = n;
	}
	stream_release(&h->s);
}

static void conn_unlink(struct tcp_table *t, struct conn *c)
{
	struct conn **pp = &t->bucket[c->hash & (t->nbuckets - 1)];
	while (*pp != c)
		pp = &(*pp)->hnext;
	*pp = c->hnext;
	if (c->older)
		c->older->newer = c->newer;
	else
		t->oldest = c->newer;
	if (c->newer)
		c->newer->older = c->older;
	else
		t->newest = c->older;
	t->count--;
	free_half(&c->h[0]);
	free_half(&c->h[1]);
	stream_tls_free(&c->tls);
	free(c);
}

void tcp_table_free(struct tcp_table *t)
{
	if (!t)
		return;
	while (t->oldest)
		conn_unlink(t, t->oldest);
	free(t->bucket);
	free(t);
}

static void info_for(struct conn *c, int d, struct stream_conn_info *ci)
{
	memset(ci, 0, sizeof *ci);
	ci->fm.src = c->ep[d];
	ci->fm.dst = c->ep[!d];
	ci->fm.transport = TRANSPORT_TCP;
	ci->tls = &c->tls;
	ci->dir = d;
	ci->setup = c->setup;
}

static void deliver(struct analyzer *an, struct conn *c, int d, const uint8_t *p, size_t len)
{
	struct stream_conn_info ci;
	info_for(c, d, &ci);
	stream_data(an, &c->h[d].s, &ci, p, len);
}

/* Delivers held segments that are now in order. own_time: after a gap,
 * each held segment is dated by its own frame; after a hole filled, by the
 * frame that filled it (the later one). */
static void drain(struct analyzer *an, struct conn *c, int d, bool own_time)
{
	struct half *h = &c->h[d];
	while (h->ooo && seq_diff(h->ooo->seq, h->next_seq) <= 0) {
		struct seg *s = h->ooo;
		h->ooo = s->next;
		h->ooo_bytes -= s->len;
		h->ooo_count--;
		int32_t skip = seq_diff(h->next_seq, s->seq);
		if ((uint32_t)skip < s->len) {
			uint64_t saved = an->frame;
			int64_t saved_sec = an->ts_sec;
			uint32_t saved_nsec = an->ts_nsec;
			if (own_time || s->frame > an->frame) {
				an->frame = s->frame;
				an->ts_sec = s->ts_sec;
				an->ts_nsec = s->ts_nsec;
			}
			an->seg_frame = s->frame;
			deliver(an, c, d, s->data + skip, s->len - (uint32_t)skip);
			an->seg_frame = 0;
			an->frame = saved;
			an->ts_sec = saved_sec;
			an->ts_nsec = saved_nsec;
			h->next_seq = s->seq + s->len;
		}
		free(s);
	}
}

/* Skips the hole before the first held segment. */
static void skip_gap(struct analyzer *an, struct conn *c, int d)
{
	struct half *h = &c->h[d];
	if (!h->ooo)
		return;
	struct stream_conn_info ci;
	info_for(c, d, &ci);
	stream_gap(an, &h->s, &ci, (uint32_t)seq_diff(h->ooo->seq, h->next_seq));
	h->next_seq = h->ooo->seq;
	drain(an, c, d, true);
}

static void end_half(struct analyzer *an, struct conn *c, int d, const char *how)
{
	struct half *h = &c->h[d];
	if (h->done)
		return;
	while (h->ooo)
		skip_gap(an, c, d);
	struct stream_conn_info ci;
	info_for(c, d, &ci);
	stream_end(an, &h->s, &ci, how);
	h->done = true;
}

static void hold(struct analyzer *an, struct conn *c, int d, uint32_t seq, const uint8_t *p, size_t len)
{
	struct half *h = &c->h[d];
	struct seg **pp = &h->ooo;
	while (*pp && seq_diff((*pp)->seq, seq) < 0)
		pp = &(*pp)->next;
	if (*pp && (*pp)->seq == seq && (*pp)->len >= len)
		return; /* retransmission of a held segment */
	struct seg *s = xmalloc(sizeof *s + len);
	s->seq = seq;
	s->len = (uint32_t)len;
	s->frame = an->frame;
	s->ts_sec = an->ts_sec;
	s->ts_nsec = an->ts_nsec;
	memcpy(s->data, p, len);
	s->next = *pp;
	*pp = s;
	h->ooo_bytes += len;
	h->ooo_count++;
	/* A hole that holds back too much is a loss, not a reordering. */
	while (h->ooo && (h->ooo_bytes > TCP_OOO_CAP || h->ooo_count > TCP_OOO_MAX_SEGS))
		skip_gap(an, c, d);
}

static struct conn *lookup(struct analyzer *an, const struct endpoint *src, const struct endpoint *dst, int *dir,
			   bool create)
{
	struct tcp_table *t = an->tcp;
	uint32_t hv = conn_hash(src, dst);
	struct conn *c = t->bucket[hv & (t->nbuckets - 1)];
	for (; c; c = c->hnext) {
		if (c->hash != hv)
			continue;
		if (endpoint_eq(&c->ep[0], src) && endpoint_eq(&c->ep[1], dst)) {
			*dir = 0;
			break;
		}
		if (endpoint_eq(&c->ep[1], src) && endpoint_eq(&c->ep[0], dst)) {
			*dir = 1;
			break;
		}
	}
	if (c) { /* most recently used goes last */
		if (c != t->newest) {
			if (c->older)
				c->older->newer = c->newer;
			else
				t->oldest = c->newer;
			c->newer->older = c->older;
			c->older = t->newest;
			c->newer = NULL;
			t->newest->newer = c;
			t->newest = c;
		}
		return c;
	}
	if (!create)
		return NULL;
	if (t->count >= t->nbuckets) { /* grow and rehash */
		size_t nb = t->nbuckets * 2;
		struct conn **b = xcalloc(nb, sizeof *b);
		for (size_t i = 0; i < t->nbuckets; i++) {
			struct conn *x = t->bucket[i];
			while (x) {
				struct conn *n = x->hnext;
				x->hnext = b[x->hash & (nb - 1)];
				b[x->hash & (nb - 1)] = x;
				x = n;
			}
		}
		free(t->bucket);
		t->bucket = b;
		t->nbuckets = nb;
	}
	c = xcalloc(1, sizeof *c);
	c->ep[0] = *src;
	c->ep[1] = *dst;
	c->hash = hv;
	c->hnext = t->bucket[hv & (t->nbuckets - 1)];
	t->bucket[hv & (t->nbuckets - 1)] = c;
	c->older = t->newest;
	if (t->newest)
		t->newest->newer = c;
	else
		t->oldest = c;
	t->newest = c;
	t->count++;
	*dir = 0;
	return c;
}

void tcp_expire(struct analyzer *an, bool flush)
{
	struct tcp_table *t = an->tcp;
	while (t->oldest && (flush || t->oldest->last_sec +
						 (t->oldest->h[0].done && t->oldest->h[1].done ? TCP_LINGER : TCP_IDLE) < an->now)) {
		struct conn *c = t->oldest;
		const char *how = flush ? "capture ended" : "connection idle for 10 minutes";
		end_half(an, c, 0, how);
		end_half(an, c, 1, how);
		stream_tls_end(an, &c->tls, c->setup);
		conn_unlink(t, c);
	}
	t->last_expire = an->now;
}

void tcp_segment(struct analyzer *an, const struct endpoint *src, const struct endpoint *dst,
		 uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *p, size_t len)
{
	if (an->now > an->tcp->last_expire)
		tcp_expire(an, false);
	int d;
	/* A bare ACK or FIN of a connection we don't track carries nothing. */
	struct conn *c = lookup(an, src, dst, &d, len > 0 || (flags & TH_SYN));
	if (!c)
		return;
	struct half *h = &c->h[d];
	c->last_sec = an->now;

	if (flags & TH_SYN) {
		/* A SYN with another initial sequence number than this direction's
		 * is a new connection on the same addresses and ports (RFC 9293
		 * §3.4.1), even if the old one was never seen to close (a peer
		 * that died silently, a lost FIN): nothing of the old byte stream
		 * may run into the new one. Between two hosts that both use port
		 * 5060 every reconnection has the same four addresses and ports. */
		if (h->init && !h->done && !(h->syn && h->isn == seq)) {
			end_half(an, c, d, "connection reopened");
			if (!(flags & TH_ACK) && c->h[!d].init && !c->h[!d].done) {
				/* the other direction starts again with its SYN-ACK,
				 * or mid-stream if that was not captured */
				end_half(an, c, !d, "connection reopened");
				free_half(&c->h[!d]);
				memset(&c->h[!d], 0, sizeof c->h[!d]);
			}
		}
		/* a new connection: the old one's TLS session is over */
		if (c->tls && !(flags & TH_ACK) && (!h->init || h->done || !(h->syn && h->isn == seq)))
			stream_tls_end(an, &c->tls, c->setup);
		if (an->record_carriers && (!h->init || h->done || !(h->syn && h->isn == seq))) {
			c->setup[d] = an->frame;
			if (!(flags & TH_ACK))
				c->setup[!d] = c->setup[2] = c->setup[3] = 0;
		}
		if (!h->init || h->done) {
			if (h->done) { /* port reuse: a new connection in this direction */
				free_half(h);
				memset(h, 0, sizeof *h);
			}
			h->init = true;
			h->s.from_start = true;
			h->syn = true;
			h->isn = seq;
		}
		h->next_seq = seq + 1;
		seq++; /* data, if any, follows the SYN */
	} else if (!h->init) {
		if (len == 0 && !(flags & (TH_FIN | TH_RST))) {
			/* A segment without data does not tell where a direction's
			 * bytes stand: a keep-alive probe carries the sequence
			 * number one below the next byte (RFC 9293 §3.8.4), so
			 * starting there would hold every later segment behind a
			 * hole that never fills. The first data segment starts it. */
			return;
		}
		h->init = true; /* mid-stream start */
		h->next_seq = seq;
	}
	/* The peer acknowledges bytes beyond a hole in the other direction:
	 * it received them, the capture did not (Wireshark's "ACKed segment
	 * that wasn't captured"). Waiting for them is pointless: skip the hole
	 * now, so what follows it keeps its place among the other messages
	 * (a lossy capture, or one call written out of a shared connection). */
	struct half *o = &c->h[!d];
	if ((flags & TH_ACK) && o->init && !o->done && o->ooo && seq_diff(ack, o->ooo->seq) > 0 &&
	    seq_diff(ack, o->next_seq) > 0)
		skip_gap(an, c, !d);
	if (h->done)
		return;

	if (len) {
		int32_t off = seq_diff(seq, h->next_seq);
		if (off > 0) {
			hold(an, c, d, seq, p, len);
		} else if (0u - (uint32_t)off < len) { /* new bytes, maybe after an overlap */
			deliver(an, c, d, p + (0u - (uint32_t)off), len - (0u - (uint32_t)off));
			h->next_seq = seq + (uint32_t)len;
			drain(an, c, d, false);
		} /* else: pure retransmission */
	}
	if (flags & TH_FIN) {
		h->fin = true;
		h->fin_seq = seq + (uint32_t)len;
	}
	if (flags & TH_RST) {
		end_half(an, c, 0, "connection reset");
		end_half(an, c, 1, "connection reset");
	} else if (h->fin && seq_diff(h->next_seq, h->fin_seq) >= 0) {
		end_half(an, c, d, "connection closed");
	}
	/* A closed connection is not freed here: it lingers (TIME-WAIT-like,
	 * TCP_LINGER) so a late retransmission is recognised as one and not
	 * read as a new mid-stream connection; tcp_expire releases it. */
}
