/* rtpstats.h - RFC 3550 accounting of one RTP stream, apart from the media
 * table that feeds it: the sequence state of A.1 (loss, duplicates,
 * reordering, wrap, restarts), the interarrival jitter of A.8, and the
 * per-bin series (media_series_add, declared in media.h). Pure functions of
 * their state: unit tests call them with hand-made packets. */
#ifndef SIPAUDIT_RTPSTATS_H
#define SIPAUDIT_RTPSTATS_H

#include <stdbool.h>
#include <stdint.h>

/* RFC 3550 A.1: a jump forward of fewer than MAX_DROPOUT is in sequence
 * (the skipped numbers lost); one back by at most MAX_MISORDER is late; in
 * between, a jump is a restart once the packet after it follows it. */
#define RTP_MAX_DROPOUT 3000
#define RTP_MAX_MISORDER 100

struct rtp_seq {
	uint16_t max_seq;
	uint32_t cycles, base_ext, bad_seq;
	uint64_t seg_expected; /* expected packets of segments before a restart */
	uint64_t ignored;      /* packets left out of the sequence accounting */
	uint64_t win[2];       /* bit i: seq max_seq - i was received */
	uint64_t loss_runs;    /* runs of lost packets (for G.107 BurstR) */
	uint32_t gap;          /* sequence numbers the latest packet skipped */
	bool late;             /* the latest packet filled a gap */
	uint32_t probation;    /* in-order packets of the main payload type in a row */
	uint64_t duplicates, out_of_order;
	uint32_t restarts;     /* jumps taken as a new start */
};

/* The stream's first packet. */
void rtp_seq_init(struct rtp_seq *q, uint16_t seq);
/* A later packet; same_pt: it carries the stream's main payload type (a
 * repeated sequence number of another one, an RFC 4733 event's end sent
 * three times, is not a duplicate). Sets gap and late for this packet only
 * when the caller cleared them. Returns false for a duplicate. */
bool rtp_seq_update(struct rtp_seq *q, uint16_t seq, bool same_pt);
/* Packets expected from the first sequence number to the highest (A.3),
 * summed over the segments between restarts. */
uint64_t rtp_seq_expected(const struct rtp_seq *q);

/* A transit-time jump this large (in seconds) is a pause or a restart of
 * the sender's clock, not network jitter: that sample is left out. */
#define RTP_JITTER_RESYNC_S 2

/* RFC 3550 A.8 interarrival jitter of one payload type. */
struct rtp_jitter {
	uint32_t clock;        /* RTP clock rate, 0 unknown (no estimate) */
	bool prev;
	int64_t prev_ns;       /* previous packet's arrival */
	uint32_t prev_ts;
	uint16_t prev_seq;
	double j;              /* timestamp units */
	double sum_ms;         /* of the samples counted */
	uint64_t n;
	double max_ms;         /* -1 before any sample */
	uint32_t ts_step;      /* timestamp step between consecutive packets */
};

/* Before the first packet: no sample yet, max -1. */
void rtp_jitter_init(struct rtp_jitter *J, uint32_t clock);
/* The payload type followed changed, or its clock became known: the
 * estimate starts again (the samples counted so far stay). */
void rtp_jitter_restart(struct rtp_jitter *J, uint32_t clock);
/* A packet (arrival ns, RTP timestamp ts, sequence seq) that is neither a
 * duplicate nor of another payload type. J = J + (|D| - J) / 16 with
 * D = (Rj - Ri) - (Sj - Si) in timestamp units. The jitter in ms after it
 * is counted in the mean and the maximum when counted (a talkspurt's first
 * packet or the one after comfort noise is not); returns it, or -1 when no
 * sample was counted. */
double rtp_jitter_update(struct rtp_jitter *J, int64_t ns, uint32_t ts, uint16_t seq, bool counted);
/* Mean of the samples counted in ms, 0 when none, -1 when the clock is
 * unknown. */
double rtp_jitter_mean_ms(const struct rtp_jitter *J);

#endif
