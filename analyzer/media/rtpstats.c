/* rtpstats.c - RFC 3550 accounting of one RTP stream: A.1 sequence
 * numbers with duplicates told apart from late packets, A.8 interarrival
 * jitter, and the stream's series over time. Nothing here knows flows or
 * calls: the media table (media.c) keeps one state per stream. */
#include "rtpstats.h"

#include <math.h>
#include <string.h>

#include "media.h"

static void win_shift(uint64_t w[2], unsigned n)
{
	if (n >= 128) {
		w[0] = w[1] = 0;
	} else if (n >= 64) {
		w[1] = w[0] << (n - 64);
		w[0] = 0;
	} else if (n > 0) {
		w[1] = w[1] << n | w[0] >> (64 - n);
		w[0] <<= n;
	}
}

static bool win_get(const uint64_t w[2], unsigned i)
{
	return i < 128 && (w[i / 64] >> (i % 64) & 1);
}

static void win_set(uint64_t w[2], unsigned i)
{
	if (i < 128)
		w[i / 64] |= 1ULL << (i % 64);
}

void rtp_seq_init(struct rtp_seq *q, uint16_t seq)
{
	q->max_seq = seq;
	q->base_ext = seq;
	q->bad_seq = 0x10000;
	q->win[0] = 1;
}

/* RFC 3550 A.1, with duplicates told apart from late packets by a window
 * of the last 128 sequence numbers. Returns false for a duplicate. */
bool rtp_seq_update(struct rtp_seq *q, uint16_t seq, bool same_pt)
{
	uint16_t udelta = (uint16_t)(seq - q->max_seq);
	if (udelta == 0) {
		/* RFC 4733 §2.5.1.4: an event's end packet is sent three times
		 * with one sequence number; only the media counts as duplicated */
		if (same_pt)
			q->duplicates++;
		else
			q->ignored++;
		return false;
	}
	if (udelta < RTP_MAX_DROPOUT) {
		if (seq < q->max_seq)
			q->cycles += 65536;
		win_shift(q->win, udelta);
		win_set(q->win, 0);
		if (udelta > 1)
			q->loss_runs++;
		q->gap = (uint32_t)udelta - 1;
		q->max_seq = seq;
		q->probation = udelta == 1 && same_pt ? q->probation + 1 : 0;
		q->bad_seq = 0x10000;
		return true;
	}
	if (udelta <= 65536 - RTP_MAX_MISORDER) {
		/* a jump: taken as a restart when the next packet follows it */
		if (seq == q->bad_seq) {
			q->seg_expected += (uint64_t)q->cycles + q->max_seq - q->base_ext + 1;
			q->cycles = 0;
			q->base_ext = seq;
			q->max_seq = seq;
			q->win[0] = 1;
			q->win[1] = 0;
			q->restarts++;
			q->probation = 0;
			/* the packet that announced the jump was left out */
			q->ignored--;
			q->seg_expected++;
		} else {
			q->bad_seq = (uint32_t)((seq + 1) & 0xFFFF);
			q->ignored++;
		}
		return true;
	}
	unsigned back = (uint16_t)(q->max_seq - seq);
	if (win_get(q->win, back)) {
		if (same_pt)
			q->duplicates++;
		else
			q->ignored++;
		return false;
	}
	win_set(q->win, back);
	q->out_of_order++;
	q->late = true;
	/* a late packet changes the gaps: it fills a gap of one (both
	 * neighbours received), or splits a gap in two (neither) */
	if (back + 1 < 128) {
		bool after = win_get(q->win, back - 1), before = win_get(q->win, back + 1);
		if (after && before && q->loss_runs)
			q->loss_runs--;
		else if (!after && !before)
			q->loss_runs++;
	}
	return true;
}

uint64_t rtp_seq_expected(const struct rtp_seq *q)
{
	return q->seg_expected + (uint64_t)q->cycles + q->max_seq - q->base_ext + 1;
}

void rtp_jitter_init(struct rtp_jitter *J, uint32_t clock)
{
	memset(J, 0, sizeof *J);
	J->clock = clock;
	J->max_ms = -1;
}

void rtp_jitter_restart(struct rtp_jitter *J, uint32_t clock)
{
	J->clock = clock;
	J->prev = false;
	J->j = 0;
}

double rtp_jitter_update(struct rtp_jitter *J, int64_t ns, uint32_t ts, uint16_t seq, bool counted)
{
	if (!J->clock)
		return -1;
	double sample = -1;
	if (J->prev) {
		/* RFC 3550 A.8: D(i-1,i) = (Rj - Ri) - (Sj - Si) in timestamp units */
		double d = (double)(ns - J->prev_ns) * J->clock / 1e9 - (double)(int32_t)(ts - J->prev_ts);
		d = fabs(d);
		if (d < (double)J->clock * RTP_JITTER_RESYNC_S) {
			J->j += (d - J->j) / 16;
			double ms = J->j * 1000 / J->clock;
			if (counted) {
				sample = ms;
				J->sum_ms += ms;
				J->n++;
				if (ms > J->max_ms)
					J->max_ms = ms;
			}
		}
		uint32_t step = ts - J->prev_ts;
		if (step && step < J->clock && (uint16_t)(seq - J->prev_seq) == 1)
			J->ts_step = step;
	}
	J->prev = true;
	J->prev_ns = ns;
	J->prev_ts = ts;
	J->prev_seq = seq;
	return sample;
}

double rtp_jitter_mean_ms(const struct rtp_jitter *J)
{
	return !J->clock ? -1 : J->n ? J->sum_ms / (double)J->n : 0;
}
void media_series_add(struct media_series *t, int64_t ns, uint32_t gap, bool late, double jitter_ms)
{
	if (!t->width_ns)
		t->width_ns = MEDIA_BIN0_NS;
	int64_t off = ns > t->t0_ns ? ns - t->t0_ns : 0;
	while (off / t->width_ns >= MEDIA_BINS) {
		/* merge pairs: bin i becomes bins 2i and 2i+1 */
		for (uint32_t i = 0; i < MEDIA_BINS / 2; i++) {
			struct media_bin *a = &t->bin[2 * i], *b = &t->bin[2 * i + 1], m;
			m.packets = a->packets + b->packets;
			m.lost = a->lost + b->lost;
			m.jitter_n = a->jitter_n + b->jitter_n;
			m.jitter_sum_ms = a->jitter_sum_ms + b->jitter_sum_ms;
			m.jitter_max_ms = a->jitter_max_ms > b->jitter_max_ms ? a->jitter_max_ms : b->jitter_max_ms;
			t->bin[i] = m;
		}
		memset(&t->bin[MEDIA_BINS / 2], 0, sizeof t->bin / 2);
		t->width_ns *= 2;
		t->nbins = (t->nbins + 1) / 2;
	}
	uint32_t i = (uint32_t)(off / t->width_ns);
	struct media_bin *b = &t->bin[i];
	if (i + 1 > t->nbins)
		t->nbins = i + 1;
	b->packets++;
	if (UINT32_MAX - b->lost > gap)
		b->lost += gap;
	if (late) {
		/* it arrived after the gap was counted: take it back from the
		 * latest bin that counted one */
		for (uint32_t k = i + 1; k-- > 0;)
			if (t->bin[k].lost) {
				t->bin[k].lost--;
				break;
			}
	}
	if (jitter_ms >= 0) {
		b->jitter_n++;
		b->jitter_sum_ms += (float)jitter_ms;
		if ((float)jitter_ms > b->jitter_max_ms)
			b->jitter_max_ms = (float)jitter_ms;
	}
}

