/* unit_audio.c - the audio exporter (cmd/audio.c) through its interface:
 * synthetic calls and RTP packets in, WAV files read back. G.711 against
 * reference values (the tables below are the G.711 decoder outputs as
 * Python's audioop, an independent implementation, gives them), the RIFF
 * header, silence for lost packets, the reorder window, duplicates and late
 * packets, comfort noise, talkspurts and timestamp resets, sequence
 * restarts, many streams with few open files, the stereo mix, and G.722
 * (spandsp) and stereo Opus (libopus) round trips with the libraries'
 * encoders. */
#include <math.h>
#include <opus.h>
#include <spandsp.h>
#include <sys/stat.h>

#include "../cmd/audio.h"
#include "tap.h"

static const int16_t ref_ulaw[256] = {
	-32124, -31100, -30076, -29052, -28028, -27004, -25980, -24956, -23932, -22908, -21884, -20860,
	-19836, -18812, -17788, -16764, -15996, -15484, -14972, -14460, -13948, -13436, -12924, -12412,
	-11900, -11388, -10876, -10364, -9852, -9340, -8828, -8316, -7932, -7676, -7420, -7164,
	-6908, -6652, -6396, -6140, -5884, -5628, -5372, -5116, -4860, -4604, -4348, -4092,
	-3900, -3772, -3644, -3516, -3388, -3260, -3132, -3004, -2876, -2748, -2620, -2492,
	-2364, -2236, -2108, -1980, -1884, -1820, -1756, -1692, -1628, -1564, -1500, -1436,
	-1372, -1308, -1244, -1180, -1116, -1052, -988, -924, -876, -844, -812, -780,
	-748, -716, -684, -652, -620, -588, -556, -524, -492, -460, -428, -396,
	-372, -356, -340, -324, -308, -292, -276, -260, -244, -228, -212, -196,
	-180, -164, -148, -132, -120, -112, -104, -96, -88, -80, -72, -64,
	-56, -48, -40, -32, -24, -16, -8, 0, 32124, 31100, 30076, 29052,
	28028, 27004, 25980, 24956, 23932, 22908, 21884, 20860, 19836, 18812, 17788, 16764,
	15996, 15484, 14972, 14460, 13948, 13436, 12924, 12412, 11900, 11388, 10876, 10364,
	9852, 9340, 8828, 8316, 7932, 7676, 7420, 7164, 6908, 6652, 6396, 6140,
	5884, 5628, 5372, 5116, 4860, 4604, 4348, 4092, 3900, 3772, 3644, 3516,
	3388, 3260, 3132, 3004, 2876, 2748, 2620, 2492, 2364, 2236, 2108, 1980,
	1884, 1820, 1756, 1692, 1628, 1564, 1500, 1436, 1372, 1308, 1244, 1180,
	1116, 1052, 988, 924, 876, 844, 812, 780, 748, 716, 684, 652,
	620, 588, 556, 524, 492, 460, 428, 396, 372, 356, 340, 324,
	308, 292, 276, 260, 244, 228, 212, 196, 180, 164, 148, 132,
	120, 112, 104, 96, 88, 80, 72, 64, 56, 48, 40, 32,
	24, 16, 8, 0,
};

static const int16_t ref_alaw[256] = {
	-5504, -5248, -6016, -5760, -4480, -4224, -4992, -4736, -7552, -7296, -8064, -7808,
	-6528, -6272, -7040, -6784, -2752, -2624, -3008, -2880, -2240, -2112, -2496, -2368,
	-3776, -3648, -4032, -3904, -3264, -3136, -3520, -3392, -22016, -20992, -24064, -23040,
	-17920, -16896, -19968, -18944, -30208, -29184, -32256, -31232, -26112, -25088, -28160, -27136,
	-11008, -10496, -12032, -11520, -8960, -8448, -9984, -9472, -15104, -14592, -16128, -15616,
	-13056, -12544, -14080, -13568, -344, -328, -376, -360, -280, -264, -312, -296,
	-472, -456, -504, -488, -408, -392, -440, -424, -88, -72, -120, -104,
	-24, -8, -56, -40, -216, -200, -248, -232, -152, -136, -184, -168,
	-1376, -1312, -1504, -1440, -1120, -1056, -1248, -1184, -1888, -1824, -2016, -1952,
	-1632, -1568, -1760, -1696, -688, -656, -752, -720, -560, -528, -624, -592,
	-944, -912, -1008, -976, -816, -784, -880, -848, 5504, 5248, 6016, 5760,
	4480, 4224, 4992, 4736, 7552, 7296, 8064, 7808, 6528, 6272, 7040, 6784,
	2752, 2624, 3008, 2880, 2240, 2112, 2496, 2368, 3776, 3648, 4032, 3904,
	3264, 3136, 3520, 3392, 22016, 20992, 24064, 23040, 17920, 16896, 19968, 18944,
	30208, 29184, 32256, 31232, 26112, 25088, 28160, 27136, 11008, 10496, 12032, 11520,
	8960, 8448, 9984, 9472, 15104, 14592, 16128, 15616, 13056, 12544, 14080, 13568,
	344, 328, 376, 360, 280, 264, 312, 296, 472, 456, 504, 488,
	408, 392, 440, 424, 88, 72, 120, 104, 24, 8, 56, 40,
	216, 200, 248, 232, 152, 136, 184, 168, 1376, 1312, 1504, 1440,
	1120, 1056, 1248, 1184, 1888, 1824, 2016, 1952, 1632, 1568, 1760, 1696,
	688, 656, 752, 720, 560, 528, 624, 592, 944, 912, 1008, 976,
	816, 784, 880, 848,
};


static char dir[256];

/* ---- building calls and packets ---- */

static struct media_stream mk_stream(const char *codec, uint8_t pt, uint32_t ssrc, int8_t from_caller, uint64_t last)
{
	struct media_stream m;
	memset(&m, 0, sizeof m);
	snprintf(m.codec, sizeof m.codec, "%s", codec);
	snprintf(m.media, sizeof m.media, "audio");
	m.pt = pt;
	m.ssrc = ssrc;
	m.from_caller = from_caller;
	m.dialog = 0;
	m.sdp_msg = -1;
	m.mline = -1;
	m.last_frame = last;
	m.src.family = m.dst.family = 4;
	m.src.ip[0] = 192;
	m.src.ip[3] = (uint8_t)(from_caller ? 10 : 20);
	m.dst.ip[0] = 192;
	m.dst.ip[3] = (uint8_t)(from_caller ? 20 : 10);
	m.src.port = m.dst.port = 6000;
	return m;
}

static struct call mk_call(uint64_t seq, struct media_stream *m, uint32_t n)
{
	struct call c;
	memset(&c, 0, sizeof c);
	c.seq = seq;
	c.kind = KIND_CALL;
	c.call_id = "unit";
	c.media = m;
	c.nmedia = n;
	return c;
}

static uint8_t pkt[4096];
static uint64_t frame_no;

static void send_pkt(struct audio *au, int32_t h, uint32_t stream, uint32_t ssrc, uint8_t pt, uint16_t seq,
		     uint32_t ts, int64_t ns, const uint8_t *payload, size_t n)
{
	pkt[0] = 0x80;
	pkt[1] = pt;
	pkt[2] = (uint8_t)(seq >> 8);
	pkt[3] = (uint8_t)seq;
	for (int i = 0; i < 4; i++) {
		pkt[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
		pkt[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
	}
	memcpy(pkt + 12, payload, n);
	struct media_pkt p;
	memset(&p, 0, sizeof p);
	p.frame = ++frame_no;
	p.ns = ns;
	p.data = pkt;
	p.len = 12 + n;
	p.u.rtp = (struct rtp_hdr){ .pt = pt, .seq = seq, .ts = ts, .ssrc = ssrc, .payload_len = (uint32_t)n,
				    .payload_off = 12 };
	audio_packet(au, h, stream, &p);
}

/* ---- reading WAV files back ---- */

struct wav {
	bool ok;
	unsigned channels, rate, bits;
	uint32_t riff, data;
	size_t frames;
	int16_t *s;
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static struct wav wav_read(const char *name)
{
	struct wav w;
	memset(&w, 0, sizeof w);
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return w;
	static uint8_t buf[1 << 24];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	if (n < 44 || memcmp(buf, "RIFF", 4) || memcmp(buf + 8, "WAVEfmt ", 8) || le32(buf + 16) != 16 ||
	    buf[20] != 1 || memcmp(buf + 36, "data", 4))
		return w;
	w.riff = le32(buf + 4);
	w.channels = buf[22];
	w.rate = le32(buf + 24);
	w.bits = buf[34];
	w.data = le32(buf + 40);
	if (w.riff != 36 + w.data || w.data + 44 != n || le32(buf + 28) != w.rate * w.channels * 2 ||
	    buf[32] != w.channels * 2)
		return w;
	w.frames = w.data / (2 * w.channels);
	w.s = malloc(w.data + 2);
	for (size_t i = 0; i < w.data / 2; i++)
		w.s[i] = (int16_t)(buf[44 + 2 * i] | buf[45 + 2 * i] << 8);
	w.ok = true;
	return w;
}

static bool all_zero(const struct wav *w, size_t from, size_t to)
{
	for (size_t i = from * w->channels; i < to * w->channels && i < w->frames * w->channels; i++)
		if (w->s[i])
			return false;
	return true;
}
static bool none_zero(const struct wav *w, size_t from, size_t to)
{
	for (size_t i = from * w->channels; i < to * w->channels && i < w->frames * w->channels; i++)
		if (!w->s[i])
			return false;
	return true;
}

/* the longest run of zero samples (silence written where nothing was) */
static size_t zero_run(const struct wav *w, size_t from, size_t to)
{
	size_t run = 0, best = 0;
	for (size_t i = from * w->channels; i < to * w->channels && i < w->frames * w->channels; i++) {
		run = w->s[i] ? 0 : run + 1;
		if (run > best)
			best = run;
	}
	return best;
}

static char logbuf[1 << 16];
static FILE *open_log(void)
{
	memset(logbuf, 0, sizeof logbuf);
	return fmemopen(logbuf, sizeof logbuf - 1, "w");
}

/* a 20 ms G.711 payload (any non-silent byte pattern) */
static uint8_t ul[160];

/* ---- tests ---- */

static void test_g711(void)
{
	FILE *log = open_log();
	struct audio *au = audio_new(dir, log);
	struct media_stream m[2] = { mk_stream("PCMU/8000", 0, 0x11, 1, 0), mk_stream("PCMA/8000", 8, 0x22, 0, 0) };
	struct call c = mk_call(0, m, 2);
	int32_t h = audio_add_call(au, &c);
	uint8_t all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	send_pkt(au, h, 0, 0x11, 0, 1, 0, 0, all, 256);
	send_pkt(au, h, 1, 0x22, 8, 1, 0, 0, all, 256);
	CHECK(audio_finish(au), "g711: finish");
	audio_free(au);
	fclose(log);
	struct wav u = wav_read("1-caller-00000011.wav"), a = wav_read("1-callee-00000022.wav");
	CHECK(u.ok && u.rate == 8000 && u.channels == 1 && u.bits == 16 && u.frames == 256,
	      "PCMU file: 8 kHz mono 16-bit, 256 frames, RIFF and data sizes consistent");
	CHECK(a.ok && a.rate == 8000 && a.channels == 1 && a.frames == 256, "PCMA file: 8 kHz mono, 256 frames");
	int bad_u = 0, bad_a = 0;
	for (int i = 0; u.ok && a.ok && i < 256; i++) {
		bad_u += u.s[i] != ref_ulaw[i];
		bad_a += a.s[i] != ref_alaw[i];
	}
	CHECK(u.ok && !bad_u, "mu-law: all 256 codes decode to the G.711 values (%d differ)", bad_u);
	CHECK(a.ok && !bad_a, "A-law: all 256 codes decode to the G.711 values (%d differ)", bad_a);
	CHECK(u.ok && u.s[0x00] == -32124 && u.s[0x80] == 32124 && u.s[0xFF] == 0 && u.s[0x7F] == 0,
	      "mu-law extremes: 0x00 -32124, 0x80 +32124, 0xFF and 0x7F zero");
	CHECK(a.ok && a.s[0xD5] == 8 && a.s[0x55] == -8 && a.s[0xAA] == 32256 && a.s[0x2A] == -32256,
	      "A-law: 0xD5 +8, 0x55 -8, 0xAA +32256, 0x2A -32256");
	CHECK(strstr(logbuf, "1-caller-00000011.wav: ") && strstr(logbuf, "1 packets, 0.032 s at 8000 Hz; 0 lost"),
	      "log line per stream: %s", strtok(logbuf, "\n"));
	free(u.s);
	free(a.s);
}

/* 20 packets of 20 ms, seq 100.., ts 1000.., sent in the order given */
static struct wav run_seq(const char *tag, const int *order, size_t n, uint64_t ssrc)
{
	FILE *log = open_log();
	struct audio *au = audio_new(dir, log);
	struct media_stream m = mk_stream("PCMU/8000", 0, (uint32_t)ssrc, 1, 0);
	struct call c = mk_call(1, &m, 1);
	int32_t h = audio_add_call(au, &c);
	for (size_t i = 0; i < n; i++) {
		int k = order[i];
		send_pkt(au, h, 0, (uint32_t)ssrc, 0, (uint16_t)(65530 + k), (uint32_t)(4294967000u + 160u * (unsigned)k),
			 20000000LL * k + (int64_t)i * 1000, ul, 160);
	}
	bool ok = audio_finish(au);
	audio_free(au);
	fclose(log);
	char name[64];
	snprintf(name, sizeof name, "2-caller-%08llx.wav", (unsigned long long)ssrc);
	struct wav w = wav_read(name);
	w.ok = w.ok && ok;
	(void)tag;
	return w;
}

static void test_loss_reorder(void)
{
	/* seq and timestamp wrap inside (65530 + k, 2^32 - 296 + 160 k) */
	int inorder[20], lossy[18], shuffled[21], late[20];
	for (int i = 0; i < 20; i++)
		inorder[i] = i;
	for (int i = 0, j = 0; i < 20; i++)
		if (i != 4 && i != 5)
			lossy[j++] = i;
	struct wav a = run_seq("in order", inorder, 20, 0xA1);
	CHECK(a.ok && a.frames == 3200 && none_zero(&a, 0, 3200), "in order: 20 packets, 3200 frames, no silence");
	struct wav b = run_seq("lossy", lossy, 18, 0xA2);
	CHECK(b.ok && b.frames == 3200, "two lost packets: still 3200 frames (%zu)", b.frames);
	CHECK(b.ok && all_zero(&b, 640, 960) && none_zero(&b, 0, 640) && none_zero(&b, 960, 3200),
	      "lost packets 4 and 5 are silence exactly at frames 640..959, audio elsewhere");
	CHECK(strstr(logbuf, "18 packets, 0.400 s at 8000 Hz; 2 lost, 0.040 s of silence written") != NULL,
	      "log counts 2 lost, 40 ms filled: %s", logbuf);
	/* reordered within the window, with a duplicate */
	int sh[21] = { 0, 1, 3, 2, 4, 5, 9, 6, 7, 8, 10, 11, 11, 12, 14, 13, 15, 16, 17, 19, 18 };
	memcpy(shuffled, sh, sizeof sh);
	struct wav c = run_seq("shuffled", shuffled, 21, 0xA3);
	CHECK(c.ok && a.ok && c.frames == a.frames && memcmp(c.s, a.s, a.data) == 0,
	      "reordered (3 swaps, one 4 back) and a duplicate: the same samples as in order");
	CHECK(strstr(logbuf, "0 lost") && strstr(logbuf, "1 duplicates dropped"), "log: 0 lost, 1 duplicate: %s", logbuf);
	/* packet 2 arrives after 18 more: beyond the window, given up, then late */
	for (int i = 0, j = 0; i < 20; i++)
		if (i != 2)
			late[j++] = i;
	late[19] = 2;
	struct wav d = run_seq("late", late, 20, 0xA4);
	CHECK(d.ok && d.frames == 3200 && all_zero(&d, 320, 480) && none_zero(&d, 480, 3200),
	      "a packet later than the window: silence in its place");
	CHECK(strstr(logbuf, "1 lost") && strstr(logbuf, "1 late"), "log: 1 lost, 1 late dropped: %s", logbuf);
	free(a.s);
	free(b.s);
	free(c.s);
	free(d.s);
}

static void test_timeline(void)
{
	FILE *log = open_log();
	struct audio *au = audio_new(dir, log);
	struct media_stream m[3] = { mk_stream("PCMU/8000", 0, 0xB1, 1, 0), mk_stream("PCMU/8000", 0, 0xB2, 1, 0),
				     mk_stream("PCMU/8000", 0, 0xB3, 0, 0) };
	struct call c = mk_call(2, m, 3);
	int32_t h = audio_add_call(au, &c);
	uint8_t cn = 40;
	/* B1: 5 packets, comfort noise (PT 13) for 1 s, then a talkspurt
	 * (marker) whose timestamp jumped by the same 1 s */
	for (int i = 0; i < 5; i++)
		send_pkt(au, h, 0, 0xB1, 0, (uint16_t)i, 160u * (unsigned)i, 20000000LL * i, ul, 160);
	send_pkt(au, h, 0, 0xB1, 13, 5, 800, 100000000LL, &cn, 1);
	for (int i = 0; i < 5; i++)
		send_pkt(au, h, 0, 0xB1, 0, (uint16_t)(6 + i), 800 + 8000 + 160u * (unsigned)i,
			 1100000000LL + 20000000LL * i, ul, 160);
	/* B2: the timestamp resets to a random value 20 ms later (the capture
	 * clock contradicts the jump): re-anchored, no hours of silence; then
	 * the sequence jumps by 20000: a restart, not 20000 losses */
	for (int i = 0; i < 5; i++)
		send_pkt(au, h, 1, 0xB2, 0, (uint16_t)i, 160u * (unsigned)i, 20000000LL * i, ul, 160);
	for (int i = 0; i < 5; i++)
		send_pkt(au, h, 1, 0xB2, 0, (uint16_t)(5 + i), 123456789u + 160u * (unsigned)i,
			 100000000LL + 20000000LL * i, ul, 160);
	for (int i = 0; i < 5; i++)
		send_pkt(au, h, 1, 0xB2, 0, (uint16_t)(20010 + i), 123456789u + 800 + 160u * (unsigned)i,
			 200000000LL + 20000000LL * i, ul, 160);
	/* B3: the callee, starting 0.5 s after the caller, 10 packets */
	for (int i = 0; i < 10; i++)
		send_pkt(au, h, 2, 0xB3, 0, (uint16_t)i, 160u * (unsigned)i, 500000000LL + 20000000LL * i, ul, 160);
	CHECK(audio_finish(au), "timeline: finish");
	audio_free(au);
	fclose(log);
	struct wav a = wav_read("3-caller-000000b1.wav");
	CHECK(a.ok && a.frames == 800 + 8000 + 800 && none_zero(&a, 0, 800) && all_zero(&a, 800, 8800) &&
		      none_zero(&a, 8800, 9600),
	      "comfort noise then a talkspurt 1 s on: 0.1 s audio, 1 s silence, 0.1 s audio (%zu frames)", a.frames);
	CHECK(strstr(logbuf, "3-caller-000000b1.wav") && strstr(logbuf, "0 lost, 1.000 s of silence written") &&
		      strstr(logbuf, "1 comfort noise packets"),
	      "log: comfort noise, no loss, 1 s silence");
	struct wav b = wav_read("3-caller-000000b2.wav");
	CHECK(b.ok && b.frames == 2400 && none_zero(&b, 0, 2400),
	      "timestamp reset and sequence restart: 15 packets back to back, 2400 frames (%zu)", b.frames);
	CHECK(strstr(logbuf, "1 sequence restarts") && strstr(logbuf, "1 timestamp jumps re-anchored"),
	      "log: 1 restart, 1 re-anchoring");
	struct wav x = wav_read("3-mix.wav");
	/* the caller's streams both start at 0 and are summed; the callee at 0.5 s */
	CHECK(x.ok && x.channels == 2 && x.rate == 8000 && x.frames == 9600, "mix: stereo 8 kHz, as long as the longest (%zu)",
	      x.frames);
	bool right_ok = x.ok, left_ok = x.ok;
	for (size_t i = 0; x.ok && i < x.frames; i++) {
		bool r_on = i >= 4000 && i < 5600;
		if ((x.s[2 * i + 1] != 0) != r_on)
			right_ok = false;
		bool l_on = i < 2400 || (i >= 8800 && i < 9600);
		if ((x.s[2 * i] != 0) != l_on)
			left_ok = false;
	}
	CHECK(right_ok, "mix right: the callee exactly from frame 4000 (0.5 s) to 5600");
	CHECK(left_ok, "mix left: the caller's two streams where they have audio, silence between");
	CHECK(x.ok && x.s[0] == (int16_t)(a.s[0] + b.s[0] > 32767 ? 32767 : a.s[0] + b.s[0] < -32768 ? -32768 : a.s[0] + b.s[0]),
	      "overlapping streams of one direction are summed");
	free(a.s);
	free(b.s);
	free(x.s);
}

static void test_many_streams(void)
{
	enum { N = 40 };
	FILE *log = open_log();
	struct audio *au = audio_new(dir, log);
	struct media_stream m[N];
	for (int i = 0; i < N; i++)
		m[i] = mk_stream("PCMU/8000", 0, 0xC000u + (unsigned)i, (int8_t)(i & 1), 0);
	struct call c = mk_call(3, m, N);
	int32_t h = audio_add_call(au, &c);
	/* interleaved: every packet goes to another file than the last */
	for (int k = 0; k < 300; k++)
		for (int i = 0; i < N; i++)
			send_pkt(au, h, (uint32_t)i, 0xC000u + (unsigned)i, 0, (uint16_t)k, 160u * (unsigned)k,
				 20000000LL * k, ul, 160);
	CHECK(audio_finish(au), "40 streams: finish");
	audio_free(au);
	fclose(log);
	int good = 0;
	for (int i = 0; i < N; i++) {
		char name[64];
		snprintf(name, sizeof name, "4-%s-%08x.wav", i & 1 ? "caller" : "callee", 0xC000u + (unsigned)i);
		struct wav w = wav_read(name);
		good += w.ok && w.frames == 300 * 160 && none_zero(&w, 0, w.frames);
		free(w.s);
	}
	CHECK(good == N, "40 streams written in turn through 16 open files: all %d complete (%d)", N, good);
}

static void test_g722(void)
{
	/* 1 s of a 1 kHz tone at 16 kHz, G.722 64 kbit/s: 160 bytes per 20 ms,
	 * RTP timestamps advance 160 per packet (8000 Hz clock, RFC 3551) */
	g722_encode_state_t *enc = g722_encode_init(NULL, 64000, 0);
	int16_t pcm[320];
	uint8_t code[160];
	FILE *log = open_log();
	struct audio *au = audio_new(dir, log);
	struct media_stream m = mk_stream("G722/8000", 9, 0xD1, 1, 0);
	struct call c = mk_call(4, &m, 1);
	int32_t h = audio_add_call(au, &c);
	for (int k = 0; k < 50; k++) {
		for (int i = 0; i < 320; i++)
			pcm[i] = (int16_t)(10000 * sin(2 * M_PI * 1000 * (k * 320 + i) / 16000.0));
		int n = g722_encode(enc, code, pcm, 320);
		send_pkt(au, h, 0, 0xD1, 9, (uint16_t)k, 160u * (unsigned)k, 20000000LL * k, code, (size_t)n);
	}
	g722_encode_free(enc);
	CHECK(audio_finish(au), "g722: finish");
	audio_free(au);
	fclose(log);
	struct wav w = wav_read("5-caller-000000d1.wav");
	int crossings = 0;
	for (size_t i = 1000; w.ok && i < w.frames; i++)
		crossings += (w.s[i - 1] < 0) != (w.s[i] < 0);
	/* 1 kHz: 2 crossings per ms over (16000 - 1000) / 16 ms */
	CHECK(w.ok && w.rate == 16000 && w.frames == 16000, "G.722: 16 kHz, 1 s = 16000 frames (%zu)", w.frames);
	CHECK(w.ok && abs(crossings - 1875) <= 4, "G.722: decoded tone is 1 kHz (%d zero crossings in 0.9375 s)", crossings);
	free(w.s);
}

/* G.722 from a sender whose timestamps count 16 kHz samples (320 per
 * 20 ms, against RFC 3551): recognised, no gaps, still 1 s */
static void test_g722_16k_ts(void)
{
	g722_encode_state_t *enc = g722_encode_init(NULL, 64000, 0);
	int16_t pcm[320];
	uint8_t code[160];
	FILE *log = open_log();
	struct audio *au = audio_new(dir, log);
	struct media_stream m = mk_stream("G722/8000", 9, 0xD2, 1, 0);
	struct call c = mk_call(9, &m, 1);
	int32_t h = audio_add_call(au, &c);
	for (int k = 0; k < 50; k++) {
		for (int i = 0; i < 320; i++)
			pcm[i] = (int16_t)(10000 * sin(2 * M_PI * 1000 * (k * 320 + i) / 16000.0));
		int n = g722_encode(enc, code, pcm, 320);
		send_pkt(au, h, 0, 0xD2, 9, (uint16_t)k, 320u * (unsigned)k, 20000000LL * k, code, (size_t)n);
	}
	g722_encode_free(enc);
	CHECK(audio_finish(au), "g722 16 kHz timestamps: finish");
	audio_free(au);
	fclose(log);
	struct wav w = wav_read("10-caller-000000d2.wav");
	CHECK(w.ok && w.frames == 16000 && zero_run(&w, 100, 16000) < 4 && strstr(logbuf, "count 16000 per second"),
	      "G.722 with 16 kHz timestamps: 1 s, no silence between packets (longest zero run %zu), noted (%zu frames)",
	      w.ok ? zero_run(&w, 100, 16000) : 0, w.frames);
	free(w.s);
}

/* Mixes per dialog: a stream tied to no dialog joins the call's only one;
 * two dialogs (forked early media) give two mixes; streams whose sender is
 * unknown are named a / b by address and mixed a left, b right. */
static void test_dialogs(void)
{
	FILE *log = open_log();
	struct audio *au = audio_new(dir, log);
	struct media_stream m[2] = { mk_stream("PCMU/8000", 0, 0x71, 1, 0), mk_stream("PCMU/8000", 0, 0x72, 0, 0) };
	m[0].dialog = -1;
	struct media_stream f[3] = { mk_stream("PCMU/8000", 0, 0x73, 1, 0), mk_stream("PCMU/8000", 0, 0x74, 0, 0),
				     mk_stream("PCMU/8000", 0, 0x75, 0, 0) };
	f[2].dialog = 1;
	f[2].src.ip[3] = 30;
	struct media_stream u[2] = { mk_stream("PCMU/8000", 0, 0x76, -1, 0), mk_stream("PCMU/8000", 0, 0x77, -1, 0) };
	u[1].src.ip[3] = 10; /* u[0]: .10 -> .20 (a); u[1]: .20 -> .10 (b) */
	u[1].dst.ip[3] = 10;
	u[1].src.ip[3] = 20;
	struct call c1 = mk_call(10, m, 2), c2 = mk_call(11, f, 3), c3 = mk_call(12, u, 2);
	int32_t h1 = audio_add_call(au, &c1), h2 = audio_add_call(au, &c2), h3 = audio_add_call(au, &c3);
	for (int k = 0; k < 10; k++) {
		for (uint32_t i = 0; i < 2; i++)
			send_pkt(au, h1, i, m[i].ssrc, 0, (uint16_t)k, 160u * (unsigned)k, 20000000LL * k, ul, 160);
		for (uint32_t i = 0; i < 3; i++)
			send_pkt(au, h2, i, f[i].ssrc, 0, (uint16_t)k, 160u * (unsigned)k, 20000000LL * k, ul, 160);
		for (uint32_t i = 0; i < 2; i++)
			send_pkt(au, h3, i, u[i].ssrc, 0, (uint16_t)k, 160u * (unsigned)k, 20000000LL * k, ul, 160);
	}
	CHECK(audio_finish(au), "dialogs: finish");
	audio_free(au);
	fclose(log);
	struct wav a = wav_read("11-mix.wav");
	CHECK(a.ok && a.frames == 1600 && none_zero(&a, 0, 1600), "a stream tied to no dialog joins the only dialog's mix");
	struct wav d1 = wav_read("12-mix-dialog1.wav"), d2 = wav_read("12-mix-dialog2.wav");
	bool left2 = d2.ok, right2 = d2.ok;
	for (size_t i = 0; d2.ok && i < d2.frames; i++) {
		left2 &= d2.s[2 * i] == 0;
		right2 &= d2.s[2 * i + 1] != 0;
	}
	CHECK(d1.ok && d2.ok && left2 && right2 && none_zero(&d1, 0, 1600),
	      "two dialogs: two mixes; dialog 2 has only its callee (left silent)");
	struct wav ua = wav_read("13-a-00000076.wav"), ub = wav_read("13-b-00000077.wav"), um = wav_read("13-mix.wav");
	CHECK(ua.ok && ub.ok && um.ok && none_zero(&um, 0, 1600), "unknown sender: a / b by address, both in the mix");
	free(a.s);
	free(d1.s);
	free(d2.s);
	free(ua.s);
	free(ub.s);
	free(um.s);
}

static void test_opus(void)
{
	/* stereo Opus, 20 ms frames: 440 Hz left, 1 kHz right */
	int err;
	OpusEncoder *enc = opus_encoder_create(48000, 2, OPUS_APPLICATION_AUDIO, &err);
	opus_encoder_ctl(enc, OPUS_SET_BITRATE(64000));
	int16_t pcm[960 * 2];
	uint8_t code[1500];
	FILE *log = open_log();
	struct audio *au = audio_new(dir, log);
	struct media_stream m = mk_stream("opus/48000", 111, 0xE1, 0, 0);
	struct call c = mk_call(5, &m, 1);
	int32_t h = audio_add_call(au, &c);
	for (int k = 0; k < 50; k++) {
		for (int i = 0; i < 960; i++) {
			double t = (k * 960 + i) / 48000.0;
			pcm[2 * i] = (int16_t)(8000 * sin(2 * M_PI * 440 * t));
			pcm[2 * i + 1] = (int16_t)(8000 * sin(2 * M_PI * 1000 * t));
		}
		int n = opus_encode(enc, pcm, 960, code, sizeof code);
		if (k != 20 && k != 21) /* two lost */
			send_pkt(au, h, 0, 0xE1, 111, (uint16_t)k, 960u * (unsigned)k, 20000000LL * k, code, (size_t)n);
	}
	opus_encoder_destroy(enc);
	CHECK(audio_finish(au), "opus: finish");
	audio_free(au);
	fclose(log);
	struct wav w = wav_read("6-callee-000000e1.wav");
	CHECK(w.ok && w.rate == 48000 && w.channels == 2 && w.frames == 48000, "Opus: 48 kHz stereo, 1 s (%zu frames)",
	      w.frames);
	int cl = 0, cr = 0;
	for (size_t i = 4800; w.ok && i < 19200; i++) { /* 0.1..0.4 s */
		cl += (w.s[2 * i - 2] < 0) != (w.s[2 * i] < 0);
		cr += (w.s[2 * i - 1] < 0) != (w.s[2 * i + 1] < 0);
	}
	CHECK(w.ok && abs(cl - 264) <= 4 && abs(cr - 600) <= 4, "Opus: left 440 Hz (%d crossings), right 1 kHz (%d) in 0.3 s",
	      cl, cr);
	CHECK(w.ok && all_zero(&w, 20 * 960, 22 * 960), "Opus: two lost packets are 40 ms of silence at 0.4 s");
	CHECK(strstr(logbuf, "2 lost") && strstr(logbuf, "stereo"), "Opus log: %s", logbuf);
	free(w.s);
}

static void test_skips(void)
{
	FILE *log = open_log();
	struct audio *au = audio_new(dir, log);
	struct media_stream m[4] = { mk_stream("G729/8000", 18, 0xF1, 1, 0), mk_stream("", 96, 0xF2, 0, 0),
				     mk_stream("H264/90000", 97, 0xF3, 0, 0), mk_stream("telephone-event/8000", 101, 0xF4, 1, 0) };
	snprintf(m[2].media, sizeof m[2].media, "video");
	struct call c = mk_call(6, m, 4);
	CHECK(audio_add_call(au, &c) == -1, "nothing decodable: no handle");
	int handles = 0;
	for (int i = 0; i < 12; i++) {
		struct call e = mk_call(100 + (uint64_t)i, NULL, 0);
		handles += audio_add_call(au, &e) != -1;
	}
	CHECK(handles == 0, "calls without RTP: no handle (%d)", handles);
	CHECK(audio_finish(au), "skips: finish");
	audio_free(au);
	fclose(log);
	CHECK(strstr(logbuf, "G729/8000, PT 18) skipped: codec not decoded") &&
		      strstr(logbuf, "PT 96) skipped: payload type not mapped") && strstr(logbuf, "skipped: not audio") &&
		      strstr(logbuf, "PT 101) skipped: telephone events only") &&
		      strstr(logbuf, "call 7: no stream to decode") &&
		      strstr(logbuf, "12 calls without RTP in the capture, no file: 101, 102, 103, 104, 105, 106, 107, 108, ...\n"),
	      "one line per skipped stream:\n%s", logbuf);
	struct stat st;
	char p[300];
	/* a directory that cannot be made: a file is in the way */
	snprintf(p, sizeof p, "%s/7-mix.wav", dir);
	FILE *f = fopen(p, "w");
	if (f)
		fclose(f);
	char sub[400];
	snprintf(sub, sizeof sub, "%s/sub", p);
	log = open_log();
	CHECK(f && audio_new(sub, log) == NULL, "a DIR that cannot be created: no exporter");
	fclose(log);
	CHECK(strstr(logbuf, "sipaudit: error: audio: ") && strstr(logbuf, "Not a directory"), "and why: %s", logbuf);
	remove(p);
	snprintf(p, sizeof p, "%s/7-mix.wav", dir);
	CHECK(stat(p, &st) != 0, "no file for a call with nothing to decode");
}

/* Garbage: random sequence numbers, timestamps, payload types and lengths
 * on G.711, G.722 and Opus streams, with random sequence restarts and
 * timestamp jumps. Nothing may crash (run under ASan too), every file must
 * be a valid WAV, and no file may run more than a second past the capture
 * time the packets span. */
static void test_garbage(void)
{
	FILE *log = open_log();
	struct audio *au = audio_new(dir, log);
	struct media_stream m[3] = { mk_stream("PCMU/8000", 0, 0x61, 1, 0), mk_stream("G722/8000", 9, 0x62, 0, 0),
				     mk_stream("opus/48000", 111, 0x63, 1, 0) };
	struct call c = mk_call(7, m, 3);
	int32_t h = audio_add_call(au, &c);
	uint32_t x = 12345;
#define RND() (x = x * 1103515245u + 12345u, x >> 8)
	static uint8_t junk[1600];
	uint16_t seq[3] = { 0, 0, 0 };
	uint32_t ts[3] = { 0, 0, 0 };
	const uint8_t pts[] = { 0, 8, 9, 13, 19, 101, 111, 96, 3 };
	int64_t ns = 0;
	for (int i = 0; i < 3000; i++) {
		unsigned k = RND() % 3;
		ns += (int64_t)(RND() % 30) * 1000000;
		unsigned r = RND() % 100;
		if (r < 2)
			seq[k] = (uint16_t)RND();
		else if (r < 10)
			seq[k] = (uint16_t)(seq[k] - RND() % 20);
		else
			seq[k] = (uint16_t)(seq[k] + (r > 95 ? 2u : 1u));
		ts[k] = r < 4 ? (uint32_t)RND() << 8 : ts[k] + (r < 20 ? RND() % 20000 : 160);
		size_t n = RND() % 100 < 3 ? RND() % sizeof junk : RND() % 300;
		for (size_t j = 0; j < n; j++)
			junk[j] = (uint8_t)RND();
		uint8_t pt = RND() % 4 ? m[k].pt : pts[RND() % sizeof pts];
		send_pkt(au, h, k, 0x61 + k, pt, seq[k], ts[k], ns, junk, n);
	}
	CHECK(audio_finish(au), "garbage: finish");
	audio_free(au);
	fclose(log);
	const char *names[3] = { "8-caller-00000061.wav", "8-callee-00000062.wav", "8-caller-00000063.wav" };
	const unsigned rates[3] = { 8000, 16000, 48000 };
	for (int k = 0; k < 3; k++) {
		struct wav w = wav_read(names[k]);
		CHECK(w.ok && w.rate == rates[k] && (double)w.frames / w.rate <= (double)ns / 1e9 + 1.0,
		      "garbage: %s is a valid WAV no longer than the capture span + 1 s (%.1f s, span %.1f s)", names[k],
		      w.ok ? (double)w.frames / w.rate : -1.0, (double)ns / 1e9);
		free(w.s);
	}
	struct wav x2 = wav_read("8-mix.wav");
	CHECK(x2.ok && x2.channels == 2 && x2.rate == 48000, "garbage: the mix is a valid stereo WAV");
	free(x2.s);
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/unit_audio.%d/out", (int)getpid());
	for (int i = 0; i < 160; i++)
		ul[i] = (uint8_t)(0x20 + (i % 7)); /* loud, never the zero codes */
	test_g711();
	test_loss_reorder();
	test_timeline();
	test_many_streams();
	test_g722();
	test_opus();
	test_skips();
	test_garbage();
	test_g722_16k_ts();
	test_dialogs();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf /tmp/unit_audio.%d", (int)getpid());
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return tap_done();
}
