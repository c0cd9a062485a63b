/* unit_rtp.c - RTP/RTCP header parsing and the media table's stream figures
 * (RFC 3550 A.1 sequence accounting, A.8 jitter, G.107 estimate) on
 * synthetic packets whose right answers are worked out by hand. */
#include <math.h>

#include "../analyzer/media/media.h"
#include "../analyzer/media/rtp.h"
#include "tap.h"

static size_t rtp_bytes(uint8_t *b, uint8_t pt, bool marker, uint16_t seq, uint32_t ts, uint32_t ssrc, size_t payload)
{
	b[0] = 0x80;
	b[1] = (uint8_t)(pt | (marker ? 0x80 : 0));
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	b[4] = (uint8_t)(ts >> 24);
	b[5] = (uint8_t)(ts >> 16);
	b[6] = (uint8_t)(ts >> 8);
	b[7] = (uint8_t)ts;
	b[8] = (uint8_t)(ssrc >> 24);
	b[9] = (uint8_t)(ssrc >> 16);
	b[10] = (uint8_t)(ssrc >> 8);
	b[11] = (uint8_t)ssrc;
	memset(b + 12, 0xd5, payload);
	return 12 + payload;
}

static void test_rtp_parse(void)
{
	uint8_t b[256];
	struct rtp_hdr h;
	size_t n = rtp_bytes(b, 0, true, 65535, 160, 0xCAFEBABE, 160);
	struct guarded g = guarded_copy((const char *)b, n);
	CHECK(rtp_parse((const uint8_t *)g.p, n, &h) && h.pt == 0 && h.marker && h.seq == 65535 && h.ts == 160 &&
		      h.ssrc == 0xCAFEBABE && h.payload_len == 160, "fixed header");
	guarded_free(g);
	/* two CSRCs, an extension of one word, 4 bytes of padding */
	n = rtp_bytes(b, 8, false, 1, 2, 3, 0);
	b[0] = 0x80 | 0x20 | 0x10 | 2;
	memset(b + 12, 0, 8);              /* CSRCs */
	memcpy(b + 20, "\xbe\xde\x00\x01", 4); /* extension header, length 1 */
	memset(b + 24, 0, 4);
	memset(b + 28, 0xaa, 10);          /* payload */
	memcpy(b + 38, "\0\0\0\4", 4);     /* padding, count 4 */
	n = 42;
	g = guarded_copy((const char *)b, n);
	CHECK(rtp_parse((const uint8_t *)g.p, n, &h) && h.payload_len == 10, "CSRCs, extension and padding skipped");
	CHECK(!rtp_parse((const uint8_t *)g.p, 30, &h), "extension beyond the end refused");
	guarded_free(g);
	b[41] = 200; /* padding longer than the packet */
	CHECK(!rtp_parse(b, n, &h), "absurd padding refused");
	n = rtp_bytes(b, 72, false, 1, 2, 3, 20);
	b[1] = 200;
	CHECK(!rtp_parse(b, n, &h) && rtcp_type(b), "packet type 200 is RTCP, not RTP");
	b[0] = 0x40;
	CHECK(!rtp_parse(b, n, &h), "version 1 refused");
}

static void test_rtcp_parse(void)
{
	/* SR with one report block, then SDES with a CNAME, then BYE */
	uint8_t b[] = {
		0x81, 200, 0x00, 0x0c, 0x11, 0x11, 0x11, 0x11,          /* SR, RC 1, length 12 words */
		0xe0, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00,         /* NTP */
		0x00, 0x00, 0x03, 0x20, 0x00, 0x00, 0x01, 0xf4,         /* RTP ts 800, 500 packets */
		0x00, 0x01, 0x38, 0x80,                                 /* 80000 octets */
		0x22, 0x22, 0x22, 0x22, 0x40, 0xff, 0xff, 0xfe,         /* block: fraction 64, cum -2 */
		0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x50,         /* ext seq 4096, jitter 80 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,         /* LSR, DLSR */
		0x81, 202, 0x00, 0x02, 0x11, 0x11, 0x11, 0x11, 0x01, 0x01, 'x', 0x00, /* SDES CNAME "x" */
		0x81, 203, 0x00, 0x01, 0x11, 0x11, 0x11, 0x11,          /* BYE */
	};
	struct rtcp_info r;
	struct guarded g = guarded_copy((const char *)b, sizeof b);
	CHECK(rtcp_parse((const uint8_t *)g.p, sizeof b, &r), "compound SR+SDES+BYE parses");
	CHECK(r.sr && r.ssrc == 0x11111111 && r.pkt_count == 500 && r.octet_count == 80000 && r.rtp_ts == 800,
	      "sender info");
	CHECK(r.nblocks == 1 && r.blocks[0].ssrc == 0x22222222 && r.blocks[0].fraction == 64 &&
		      r.blocks[0].cum_lost == -2 && r.blocks[0].ext_seq == 4096 && r.blocks[0].jitter == 80,
	      "report block, cumulative lost sign-extended");
	CHECK(r.bye, "BYE seen");
	CHECK(!rtcp_parse((const uint8_t *)g.p, sizeof b - 1, &r), "a length beyond the packet is refused");
	guarded_free(g);
	b[3] = 0x0d;
	CHECK(!rtcp_parse(b, sizeof b, &r), "a length field that does not add up is refused");
	b[3] = 0x0c;
	b[1] = 202; /* a compound must start with SR or RR; a lone SDES is accepted (RFC 5506) */
	CHECK(rtcp_parse(b, 52, &r) && !r.sr, "reduced-size packet starting with SDES");
}

/* ---- the media table, on a flow no SDP explains ---- */

static struct media_stream got[8];
static int ngot;

static void on_orphan(void *ud, uint32_t input, const struct media_stream *s)
{
	(void)ud;
	(void)input;
	if (ngot < 8)
		got[ngot++] = *s;
}

struct feed {
	struct media_table *mt;
	struct media_pkt p;
	uint64_t frame;
};

static void feed_start(struct feed *f)
{
	memset(f, 0, sizeof *f);
	f->mt = media_table_new();
	media_table_set_orphan(f->mt, on_orphan, NULL);
	f->p.src = (struct endpoint){ 4, { 192, 0, 2, 10 }, 6000 };
	f->p.dst = (struct endpoint){ 4, { 192, 0, 2, 20 }, 6002 };
	ngot = 0;
}

/* One PCMU packet: seq, timestamp, arrival in ms. */
static void feed(struct feed *f, uint16_t seq, uint32_t ts, double ms, bool marker)
{
	f->p.frame = ++f->frame;
	f->p.ns = 1700000000000000000LL + (int64_t)llround(ms * 1e6);
	f->p.rtcp = false;
	f->p.u.rtp = (struct rtp_hdr){ .pt = 0, .marker = marker, .seq = seq, .ts = ts, .ssrc = 0x1234, .payload_len = 160 };
	media_packet(f->mt, &f->p);
}

static void feed_end(struct feed *f)
{
	media_end_input(f->mt, 0);
	media_table_free(f->mt);
}

static void test_sequence(void)
{
	struct feed f;
	/* 100 packets across the 16-bit wrap, 20 ms apart: nothing lost */
	feed_start(&f);
	for (int i = 0; i < 100; i++)
		feed(&f, (uint16_t)(65500 + i), (uint32_t)(i * 160), i * 20.0, false);
	feed_end(&f);
	CHECK(ngot == 1 && got[0].packets == 100 && got[0].expected == 100 && got[0].lost == 0, "wrap: 100 of 100");
	CHECK(ngot == 1 && got[0].jitter_mean_ms == 0 && fabs(got[0].max_delta_ms - 20) < 1e-6,
	      "regular spacing: no jitter, max delta 20 ms");
	CHECK(ngot == 1 && got[0].mos > 4.3 && got[0].mos <= 4.5 && got[0].match == MATCH_NONE && got[0].from_caller < 0,
	      "clean G.711: MOS about 4.4 (%.2f), heuristic stream", ngot ? got[0].mos : 0);

	/* seq 10..59 with 20, 21, 22 missing, 30 twice, 40 and 41 swapped */
	feed_start(&f);
	double t = 0;
	for (int s = 10; s < 60; s++) {
		if (s >= 20 && s <= 22)
			continue;
		int q = s == 40 ? 41 : s == 41 ? 40 : s;
		feed(&f, (uint16_t)q, (uint32_t)(q * 160), t, false);
		t += 20;
		if (s == 30)
			feed(&f, 30, 30 * 160, t - 19, false);
	}
	feed_end(&f);
	CHECK(ngot == 1 && got[0].expected == 50 && got[0].lost == 3 && got[0].duplicates == 1 && got[0].out_of_order == 1 &&
		      got[0].packets == 48,
	      "3 lost, 1 duplicate, 1 out of order (got %llu/%llu/%llu/%llu)", ngot ? (unsigned long long)got[0].lost : 0,
	      ngot ? (unsigned long long)got[0].duplicates : 0, ngot ? (unsigned long long)got[0].out_of_order : 0,
	      ngot ? (unsigned long long)got[0].expected : 0);
	uint64_t sp = 0, sl = 0;
	for (uint32_t i = 0; ngot == 1 && i < got[0].series.nbins; i++)
		sp += got[0].series.bin[i].packets, sl += got[0].series.bin[i].lost;
	CHECK(ngot == 1 && sp == 48 && sl == 3 && got[0].series.nbins == 4 && got[0].series.bin[0].lost == 3,
	      "series: 48 packets and 3 lost (the swap taken back) in 4 bins of 250 ms (got %llu/%llu)",
	      (unsigned long long)sp, (unsigned long long)sl);
	CHECK(ngot == 1 && fabs(got[0].burst_ratio - 1 / (1.0 / 47 + 1.0 / 3)) < 1e-9,
	      "BurstR from one gap of 3: 1/(p+q), p = 1/47, q = 1/3");

	/* fewer than 4 in sequence: not taken for RTP without SDP */
	feed_start(&f);
	feed(&f, 1, 0, 0, false);
	feed(&f, 2, 160, 20, false);
	feed(&f, 3, 320, 40, false);
	feed_end(&f);
	CHECK(ngot == 0, "3 packets without SDP: no stream");
}

static void test_jitter(void)
{
	/* arrivals alternate 10 ms early / on time against a 20 ms clock:
	 * |D| = 80 timestamp units (10 ms) for every packet after the first,
	 * J(i) = J(i-1) + (80 - J(i-1))/16 */
	struct feed f;
	feed_start(&f);
	double j = 0, sum = 0, max = 0;
	for (int i = 0; i < 200; i++) {
		feed(&f, (uint16_t)i, (uint32_t)(i * 160), i * 20.0 - (i % 2 ? 10 : 0), false);
		if (i) {
			j += (80 - j) / 16;
			sum += j / 8;
			if (j / 8 > max)
				max = j / 8;
		}
	}
	feed_end(&f);
	CHECK(ngot == 1 && fabs(got[0].jitter_mean_ms - sum / 199) < 1e-6 && fabs(got[0].jitter_max_ms - max) < 1e-6,
	      "RFC 3550 A.8 jitter: mean %.4f max %.4f (want %.4f %.4f)", ngot ? got[0].jitter_mean_ms : 0,
	      ngot ? got[0].jitter_max_ms : 0, sum / 199, max);

	/* a talkspurt after 2 s of silence: the marker packet's gap is not a delay */
	feed_start(&f);
	for (int i = 0; i < 10; i++)
		feed(&f, (uint16_t)i, (uint32_t)(i * 160), i * 20.0, false);
	for (int i = 10; i < 20; i++)
		feed(&f, (uint16_t)i, (uint32_t)(i * 160 + 16000), i * 20.0 + 2000, i == 10);
	feed_end(&f);
	CHECK(ngot == 1 && fabs(got[0].max_delta_ms - 20) < 1e-6 && got[0].jitter_max_ms < 0.001,
	      "marker packet left out of max delta and jitter (max delta %.1f)", ngot ? got[0].max_delta_ms : 0);
}

static void test_quality(void)
{
	struct media_stream s;
	memset(&s, 0, sizeof s);
	snprintf(s.codec, sizeof s.codec, "PCMU/8000");
	snprintf(s.media, sizeof s.media, "audio");
	s.expected = 1000;
	s.burst_ratio = 1;
	s.jitter_mean_ms = 1;
	media_quality(&s, 20);
	/* d = 20 + 20 = 40 ms: Id = 0.96; Ie,eff = 0: R = 92.24 */
	CHECK(fabs(s.r_factor - 92.24) < 1e-9 && fabs(s.mos - (1 + 0.035 * 92.24 + 7e-6 * 92.24 * 32.24 * 7.76)) < 1e-9,
	      "G.711 without loss: R 92.24");
	s.lost = 50;
	media_quality(&s, 20);
	/* Ppl 5 %: Ie,eff = 95 * 5 / (5 + 25.1) = 15.78 */
	CHECK(fabs(s.r_factor - (92.24 - 95.0 * 5 / 30.1)) < 1e-9 && s.mos < 4.0, "G.711 with 5 %% random loss: R %.2f",
	      s.r_factor);
	/* G.107 Annex B: the cubic falls below 1 for 0 < R < 6.5; MOS stays 1..4.5 */
	CHECK(media_mos(-5) == 1 && media_mos(0) == 1 && media_mos(3.1) == 1 && media_mos(6) >= 1 &&
		      media_mos(101) == 4.5 && media_mos(100) <= 4.5,
	      "MOS held within 1..4.5 (R 3.1: %.4f)", media_mos(3.1));
	/* 98 % loss with BurstR 1.237: R = 92.24 - 95 * 98 / (98 / 1.237 + 25.1) = 3.0,
	 * where the cubic alone would give 0.99 */
	s.lost = 980;
	s.burst_ratio = 1.237;
	snprintf(s.media, sizeof s.media, "audio");
	media_quality(&s, 20);
	CHECK(s.r_factor > 2.5 && s.r_factor < 3.5 && s.mos == 1,
	      "98 %% loss: R %.3f in 0..100, MOS %.3f in 1..4.5", s.r_factor, s.mos);
	s.lost = 50;
	s.burst_ratio = 1;
	snprintf(s.media, sizeof s.media, "video");
	media_quality(&s, 20);
	CHECK(s.r_factor < 0 && s.mos < 0, "no estimate for video");
}

/* A stream longer than the bins: pairs merge, widths double, nothing is lost. */
static void test_series(void)
{
	struct media_series t;
	memset(&t, 0, sizeof t);
	t.t0_ns = 1000000000LL;
	uint64_t n = 0;
	for (int i = 0; i < 30000; i++, n++) /* 10 minutes at 50 packets a second */
		media_series_add(&t, t.t0_ns + (int64_t)i * 20000000, i == 29999 ? 5 : 0, false, i == 7000 ? 42.5 : 1.0);
	uint64_t sp = 0, sl = 0, sj = 0;
	float jx = 0;
	for (uint32_t i = 0; i < MEDIA_BINS; i++) {
		sp += t.bin[i].packets, sl += t.bin[i].lost, sj += t.bin[i].jitter_n;
		if (t.bin[i].jitter_max_ms > jx)
			jx = t.bin[i].jitter_max_ms;
	}
	CHECK(t.width_ns == 16000000000LL && t.nbins == 38, "10 minutes: bins of 16 s (%lld ns), 38 in use (%u)",
	      (long long)t.width_ns, t.nbins);
	CHECK(sp == n && sl == 5 && sj == n && jx == 42.5f && t.bin[37].lost == 5 && t.bin[7000 * 20 / 16000].jitter_max_ms == 42.5f,
	      "merged bins keep every packet, loss and jitter sample in place");
	CHECK(t.bin[0].packets == 800 && fabsf(t.bin[0].jitter_sum_ms - 800) < 1e-3, "a 16 s bin holds 800 packets");
	/* a packet before the first one (reordered capture) goes to bin 0 */
	media_series_add(&t, 0, 0, false, -1);
	CHECK(t.bin[0].packets == 801 && t.bin[0].jitter_n == 800, "an earlier packet counts in bin 0, no jitter sample");
}

int main(void)
{
	test_rtp_parse();
	test_rtcp_parse();
	test_sequence();
	test_jitter();
	test_quality();
	test_series();
	return tap_done();
}
