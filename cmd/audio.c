/* audio.c - --audio DIR: each RTP stream of the selected calls as a 16-bit
 * PCM WAV file, and per dialog a stereo mix (caller left, callee right).
 *
 * Timeline. A stream's file starts at its first packet; every audio packet
 * is placed by its RTP timestamp (RFC 3550 §5.1) relative to that first
 * one, scaled to the output rate (G.722's RTP clock is 8000 while its audio
 * is 16 kHz, RFC 3551 §4.5.2). What the timestamps skip - lost packets,
 * silence suppression, comfort noise (RFC 3389), telephone events (RFC
 * 4733) - is written as silence of exactly that length; a packet that
 * overlaps what was already written is trimmed. A timestamp jump the
 * capture clock contradicts by more than AU_RESYNC_NS (or a step back)
 * re-anchors the stream on the capture clock instead, so a sender that
 * restarts its timestamps neither stops nor writes hours of silence; and no
 * packet is placed more than AU_RESYNC_NS after its capture time (since
 * the stream's first), which bounds a file by the capture's length.
 *
 * Order. Packets pass a reorder window of AU_WINDOW packets (by extended
 * sequence number, RFC 3550 A.1): one that arrives late but within the
 * window takes its place; duplicates are dropped; a packet that arrives
 * after its place was given up as lost is dropped and counted as late. A
 * sequence jump beyond MAX_DROPOUT (or back beyond MAX_MISORDER) is a
 * restart, not a loss.
 *
 * Resources. Per stream only a small descriptor is kept for the whole run;
 * the output buffer (8 KB) and the decoder (Opus: ~26 KB) exist from a
 * stream's first packet until its last one (the frame pass 1 saw last) or
 * audio_finish, and the window (24 KB) from its first packet out of order:
 * a packet in order is decoded straight from the capture's bytes.
 * At most AU_MAX_OPEN files are open at once (least recently used closed
 * first); each file is written with a placeholder header that is fixed when
 * the stream ends. Nothing is allocated per packet.
 *
 * The mix (audio_finish) is built from the stream files: per dialog, the
 * caller's streams on the left and the callee's on the right, each at its
 * first packet's capture time relative to the dialog's earliest stream, at
 * the highest rate among them (the others upsampled by linear
 * interpolation, stereo Opus folded to mono). Several streams in one
 * direction (a re-INVITE's new SSRC or port, forked early media) are all
 * placed at their own times and summed where they overlap; of a media
 * relay's two legs of one SSRC only the leg into the relay (the one nearer
 * the sender) is used, the other would double it. */
#include "audio.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <opus.h>
#include <spandsp.h>

#include "../analyzer/addr.h"
#include "../analyzer/sip/sdp.h"
#include "../analyzer/xalloc.h"
#include "report.h"

#define AU_WINDOW 16          /* reorder window, packets */
#define AU_SLOT 1500          /* the largest payload the window holds */
#define AU_OUTBUF 2048        /* frames buffered per stream before a write */
#define AU_MAX_OPEN 16        /* stream files open at once */
#define AU_MAX_MAP 16         /* payload types known per stream */
#define AU_RESYNC_NS 1000000000LL
#define AU_MAX_DROPOUT 3000   /* RFC 3550 A.1 */
#define AU_MAX_MISORDER 100
#define AU_HDR 44             /* RIFF + fmt + data chunk headers */
#define AU_MAX_DATA (0xFFFFFFFFu - 64u) /* what a RIFF size field can hold */
#define AU_SCRATCH (5760 * 2) /* 120 ms of 48 kHz stereo: the longest Opus packet */

enum codec { C_NONE, C_PCMU, C_PCMA, C_G722, C_OPUS };
enum ptkind { K_AUDIO, K_CN, K_EVENT, K_OTHER };

struct ptmap {
	uint8_t pt;
	uint8_t kind;  /* enum ptkind */
	uint8_t codec; /* enum codec, for K_AUDIO */
	uint32_t clock;
};

/* A packet as the timeline needs it. */
struct pktv {
	uint64_t seq;   /* extended */
	int64_t ns;
	uint32_t ts;
	uint32_t len;
	uint8_t pt;
	const uint8_t *data;
};

/* A packet waiting in the reorder window (its payload copied). */
struct slot {
	bool used;
	struct pktv v;
	uint8_t data[AU_SLOT];
};

/* What exists only while a stream is being written: the output buffer,
 * the decoder, and the window once a packet has come out of order (a
 * stream in order never needs it). */
struct live {
	struct slot *win;           /* AU_WINDOW slots, NULL until needed */
	uint8_t out[AU_OUTBUF * 4]; /* little-endian 16-bit, interleaved */
	size_t nout;                /* bytes */
	g722_decode_state_t *g722;
	OpusDecoder *opus;
};

struct astream {
	uint32_t call, media;       /* call handle, index in c->media */
	uint32_t input;
	uint64_t last_frame;
	uint32_t ssrc;
	int32_t dialog;
	int8_t leg;
	int8_t side;                /* 0 left (caller / a), 1 right (callee / b), -1 none */
	uint8_t pt;
	enum codec codec;
	uint32_t clock, rate;
	uint8_t channels;           /* 0 until known (Opus: its first packet) */
	struct ptmap map[AU_MAX_MAP];
	unsigned nmap;
	char name[96];              /* file name inside the directory */
	char desc[160];             /* for the log: addresses, SSRC, codec */

	bool started, ended, failed, capped;
	bool in_mix;                /* chosen for the mix being built */
	int32_t group;              /* the mix it belongs to (its dialog, see audio_finish) */
	int open;                   /* index in the open-file table, -1 */
	/* sequence and timeline */
	uint64_t next;              /* extended sequence number emitted next */
	uint64_t hi;                /* highest extended sequence number seen */
	uint64_t done_bits;         /* the AU_WINDOW*4 numbers below next: 1 emitted, 0 lost */
	bool have_audio;
	uint32_t last_ts;           /* RTP timestamp of the last audio packet emitted */
	int64_t ext_ts;             /* extended, from base */
	int64_t shift;              /* frames added by re-anchoring */
	int64_t last_ns;
	uint64_t last_seq;          /* extended sequence number of that packet */
	long last_n;                /* and the frames it decoded to */
	bool clock_checked;         /* G.722: timestamps at 8000 Hz or (wrongly) 16000 */
	int64_t last_end;           /* frame where the last audio packet ended */
	int64_t t0_ns;              /* capture time of frame 0 */
	uint64_t frames;            /* written */
	/* for the log */
	uint64_t packets, lost, late, dups, events, cn, other, restarts, resyncs, undecodable, oversize;
	uint64_t silence, trimmed;  /* frames */
	struct live *lv;
};

struct acall {
	uint64_t number;
	uint32_t first, n;          /* its streams: au->streams[first..first+n) */
	uint32_t nmedia;
	int32_t *slot;              /* per c->media index: stream index or -1 */
};

struct openfile {
	int32_t stream;
	FILE *f;
	uint64_t used;
};

struct audio {
	char *dir;
	FILE *log;
	struct acall *calls;
	size_t ncalls, calls_cap;
	struct astream *streams;
	size_t nstreams, streams_cap;
	struct openfile open[AU_MAX_OPEN];
	uint64_t tick;
	bool failed;
	uint64_t no_media;          /* selected calls without RTP: one line at the end */
	uint64_t no_media_list[8];
	int16_t scratch[AU_SCRATCH];
	int16_t ulaw[256], alaw[256];
};

/* ---- G.711 (ITU-T G.711 tables 1a/2a, the decoder's reconstruction
 * values scaled to 16 bits) ---- */

static int16_t ulaw_decode(uint8_t u)
{
	u = (uint8_t)~u;
	int t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4);
	return (int16_t)((u & 0x80) ? 0x84 - t : t - 0x84);
}

static int16_t alaw_decode(uint8_t a)
{
	a ^= 0x55;
	int t = (a & 0x0F) << 4;
	int seg = (a & 0x70) >> 4;
	if (seg == 0)
		t += 8;
	else
		t = (t + 0x108) << (seg - 1);
	return (int16_t)((a & 0x80) ? t : -t);
}

/* ---- WAV ---- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void wav_header(uint8_t h[AU_HDR], uint32_t rate, unsigned channels, uint32_t data_bytes)
{
	memcpy(h, "RIFF", 4);
	put32(h + 4, 36 + data_bytes);
	memcpy(h + 8, "WAVEfmt ", 8);
	put32(h + 16, 16);
	put16(h + 20, 1); /* PCM */
	put16(h + 22, (uint16_t)channels);
	put32(h + 24, rate);
	put32(h + 28, rate * channels * 2);
	put16(h + 32, (uint16_t)(channels * 2));
	put16(h + 34, 16);
	memcpy(h + 36, "data", 4);
	put32(h + 40, data_bytes);
}

/* ---- files ---- */

static int mkdirs(const char *dir)
{
	char buf[4096];
	size_t n = strlen(dir);
	if (n >= sizeof buf) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, dir, n + 1);
	for (size_t i = 1; i <= n; i++)
		if (buf[i] == '/' || buf[i] == 0) {
			char c = buf[i];
			buf[i] = 0;
			if (mkdir(buf, 0777) != 0 && errno != EEXIST)
				return -1;
			buf[i] = c;
		}
	struct stat st;
	if (stat(dir, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

static void path_of(const struct audio *au, const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", au->dir, name);
}

static void stream_fail(struct audio *au, struct astream *s, const char *what)
{
	if (!s->failed)
		fprintf(au->log, "sipaudit: error: audio: %s: %s: %s\n", s->name, what, strerror(errno ? errno : EIO));
	s->failed = true;
	au->failed = true;
}

static bool close_slot(struct audio *au, int i)
{
	struct openfile *o = &au->open[i];
	if (!o->f)
		return true;
	bool ok = fclose(o->f) == 0;
	if (o->stream >= 0) {
		struct astream *s = &au->streams[o->stream];
		s->open = -1;
		if (!ok)
			stream_fail(au, s, "writing");
	}
	o->f = NULL;
	o->stream = -1;
	return ok;
}

/* The stream's file, open for writing at its end (created when new). */
static FILE *stream_file(struct audio *au, struct astream *s)
{
	int32_t idx = (int32_t)(s - au->streams);
	if (s->open >= 0) {
		au->open[s->open].used = ++au->tick;
		return au->open[s->open].f;
	}
	int pick = 0;
	for (int i = 0; i < AU_MAX_OPEN; i++) {
		if (!au->open[i].f) {
			pick = i;
			break;
		}
		if (au->open[i].used < au->open[pick].used)
			pick = i;
	}
	close_slot(au, pick);
	char path[4096];
	path_of(au, s->name, path, sizeof path);
	errno = 0;
	FILE *f = fopen(path, s->started ? "r+b" : "w+b");
	if (f && s->started && fseek(f, 0, SEEK_END) != 0) {
		fclose(f);
		f = NULL;
	}
	if (!f) {
		stream_fail(au, s, "cannot open");
		return NULL;
	}
	setvbuf(f, NULL, _IONBF, 0); /* writes are whole buffers already */
	au->open[pick] = (struct openfile){ idx, f, ++au->tick };
	s->open = pick;
	return f;
}

static void out_flush(struct audio *au, struct astream *s)
{
	struct live *L = s->lv;
	if (!L || !L->nout || s->failed) {
		if (L)
			L->nout = 0;
		return;
	}
	FILE *f = stream_file(au, s);
	errno = 0;
	if (f && fwrite(L->out, 1, L->nout, f) != L->nout)
		stream_fail(au, s, "writing");
	L->nout = 0;
}

/* Appends frames (interleaved, s->channels each; pcm NULL: silence). */
static void out_frames(struct audio *au, struct astream *s, const int16_t *pcm, uint64_t frames)
{
	struct live *L = s->lv;
	size_t fb = (size_t)s->channels * 2;
	while (frames && !s->failed) {
		uint64_t room_total = (AU_MAX_DATA - 36) / fb - s->frames;
		if (!room_total) {
			if (!s->capped)
				fprintf(au->log, "sipaudit: audio: %s: 4 GiB WAV limit reached, the rest of the stream is not written\n",
					s->name);
			s->capped = true;
			return;
		}
		size_t room = (sizeof L->out - L->nout) / fb;
		if (!room) {
			out_flush(au, s);
			continue;
		}
		size_t n = frames < room ? (size_t)frames : room;
		if (n > room_total)
			n = (size_t)room_total;
		uint8_t *o = L->out + L->nout;
		if (pcm) {
			for (size_t i = 0; i < n * s->channels; i++)
				put16(o + 2 * i, (uint16_t)pcm[i]);
			pcm += n * s->channels;
		} else {
			memset(o, 0, n * fb);
		}
		L->nout += n * fb;
		s->frames += n;
		frames -= n;
	}
}

/* ---- streams ---- */

static enum codec codec_of(const char *enc, size_t len)
{
	if (len == 4 && strncasecmp(enc, "PCMU", 4) == 0)
		return C_PCMU;
	if (len == 4 && strncasecmp(enc, "PCMA", 4) == 0)
		return C_PCMA;
	if (len == 4 && strncasecmp(enc, "G722", 4) == 0)
		return C_G722;
	if (len == 4 && strncasecmp(enc, "opus", 4) == 0)
		return C_OPUS;
	return C_NONE;
}

static uint32_t codec_rate(enum codec c)
{
	return c == C_G722 ? 16000 : c == C_OPUS ? 48000 : 8000;
}

static void map_add(struct astream *s, unsigned pt, const char *enc, size_t len, uint32_t clock)
{
	for (unsigned i = 0; i < s->nmap; i++)
		if (s->map[i].pt == pt)
			return;
	if (s->nmap == AU_MAX_MAP || pt > 127)
		return;
	struct ptmap *m = &s->map[s->nmap++];
	m->pt = (uint8_t)pt;
	m->clock = clock;
	m->codec = (uint8_t)codec_of(enc, len);
	if (len == 15 && strncasecmp(enc, "telephone-event", 15) == 0)
		m->kind = K_EVENT;
	else if (len == 2 && strncasecmp(enc, "CN", 2) == 0)
		m->kind = K_CN;
	else
		m->kind = m->codec != C_NONE ? K_AUDIO : K_OTHER;
}

static const struct ptmap *map_find(const struct astream *s, unsigned pt)
{
	for (unsigned i = 0; i < s->nmap; i++)
		if (s->map[i].pt == pt)
			return &s->map[i];
	return NULL;
}

/* Payload types from one SDP media section; *srtp when it is secure. */
static void map_sdp(struct astream *s, const struct call *c, int32_t msg, int mline, bool *srtp)
{
	struct sdp sdp;
	if (msg < 0 || (uint32_t)msg >= c->nmsgs || mline < 0 || !sip_msg_sdp_parse(c->msgs[msg].m, &sdp) ||
	    mline >= (int)sdp.nmedia)
		return;
	const struct sdp_media *md = &sdp.media[mline];
	for (size_t i = 0; i + 4 <= md->proto.len; i++)
		if (strncasecmp(md->proto.p + i, "SAVP", 4) == 0)
			*srtp = true;
	if (md->crypto)
		*srtp = true;
	for (unsigned i = 0; i < md->nmap; i++)
		map_add(s, (unsigned)md->map[i].pt, md->map[i].encoding.p, md->map[i].encoding.len, md->map[i].clock);
}

static void describe(char *buf, size_t size, const struct media_stream *m)
{
	char a[64], b[64];
	endpoint_format(&m->src, a, sizeof a);
	endpoint_format(&m->dst, b, sizeof b);
	snprintf(buf, size, "%s -> %s SSRC 0x%08" PRIX32, a, b, m->ssrc);
}

static bool same_ip(const struct endpoint *x, const struct endpoint *y)
{
	return x->family == y->family && memcmp(x->ip, y->ip, x->family == 6 ? 16 : 4) == 0;
}

struct audio *audio_new(const char *dir, FILE *log)
{
	if (mkdirs(dir) != 0) {
		fprintf(log, "sipaudit: error: audio: %s: %s\n", dir, strerror(errno));
		return NULL;
	}
	struct audio *au = xcalloc(1, sizeof *au);
	au->dir = xstrdup(dir);
	au->log = log;
	for (int i = 0; i < AU_MAX_OPEN; i++)
		au->open[i].stream = -1;
	for (int i = 0; i < 256; i++) {
		au->ulaw[i] = ulaw_decode((uint8_t)i);
		au->alaw[i] = alaw_decode((uint8_t)i);
	}
	return au;
}

int32_t audio_add_call(struct audio *au, const struct call *c)
{
	uint64_t number = call_number(c->seq);
	if (!c->nmedia) {
		if (c->kind == KIND_CALL) {
			if (au->no_media < 8)
				au->no_media_list[au->no_media] = number;
			au->no_media++;
		}
		return -1;
	}
	if (au->ncalls == au->calls_cap) {
		au->calls_cap = au->calls_cap ? au->calls_cap * 2 : 64;
		au->calls = xrealloc(au->calls, au->calls_cap * sizeof *au->calls);
	}
	struct acall *ac = &au->calls[au->ncalls];
	*ac = (struct acall){ number, (uint32_t)au->nstreams, 0, c->nmedia, xcalloc(c->nmedia, sizeof(int32_t)) };
	/* streams whose direction is unknown: "a" sends from the first one's source */
	const struct endpoint *ref = NULL;
	for (uint32_t i = 0; i < c->nmedia; i++) {
		const struct media_stream *m = &c->media[i];
		ac->slot[i] = -1;
		char desc[160];
		describe(desc, sizeof desc, m);
		bool srtp = false;
		struct astream tmp = { 0 };
		map_sdp(&tmp, c, m->sdp_msg, m->mline, &srtp);
		for (uint32_t k = 0; k < c->nsdp; k++) {
			const struct sdp_exchange *x = &c->sdp[k];
			if (m->sdp_msg >= 0 && (x->offer == m->sdp_msg || x->answer == m->sdp_msg)) {
				map_sdp(&tmp, c, x->offer, m->mline, &srtp);
				map_sdp(&tmp, c, x->answer, m->mline, &srtp);
			}
		}
		const char *slash = strchr(m->codec, '/');
		size_t elen = slash ? (size_t)(slash - m->codec) : strlen(m->codec);
		enum codec codec = codec_of(m->codec, elen);
		const char *why = NULL;
		if (srtp)
			why = "SRTP (the SDP offers RTP/SAVP or a=crypto): the payload is encrypted";
		else if (strcmp(m->media, "video") == 0 || (m->media[0] && strcmp(m->media, "audio") != 0))
			why = "not audio";
		else if (!m->codec[0])
			why = "payload type not mapped by any SDP";
		else if (elen == 15 && strncasecmp(m->codec, "telephone-event", 15) == 0)
			why = "telephone events only (RFC 4733), no audio";
		else if (elen == 2 && strncasecmp(m->codec, "CN", 2) == 0)
			why = "comfort noise only (RFC 3389), no audio";
		else if (codec == C_NONE)
			why = "codec not decoded (sipaudit decodes G.711, G.722 and Opus)";
		if (why) {
			fprintf(au->log, "sipaudit: audio: call %" PRIu64 ": %s (%s, PT %u) skipped: %s\n", number, desc,
				m->codec[0] ? m->codec : "unknown codec", m->pt, why);
			continue;
		}
		if (au->nstreams == au->streams_cap) {
			au->streams_cap = au->streams_cap ? au->streams_cap * 2 : 64;
			au->streams = xrealloc(au->streams, au->streams_cap * sizeof *au->streams);
		}
		struct astream *s = &au->streams[au->nstreams];
		*s = tmp;
		s->call = (uint32_t)au->ncalls;
		s->media = i;
		s->input = c->input;
		s->last_frame = m->last_frame;
		s->ssrc = m->ssrc;
		s->dialog = m->dialog;
		s->leg = m->leg;
		s->pt = m->pt;
		s->codec = codec;
		s->rate = codec_rate(codec);
		s->clock = codec == C_OPUS ? 48000 : 8000; /* RFC 3551 §4.5.2, RFC 7587 §4.1 */
		s->channels = codec == C_OPUS ? 0 : 1;
		s->open = -1;
		map_add(s, m->pt, m->codec, elen, s->clock);
		const char *dir;
		if (m->from_caller >= 0) {
			dir = m->from_caller ? "caller" : "callee";
			s->side = m->from_caller ? 0 : 1;
		} else {
			if (!ref)
				ref = &m->src;
			if (same_ip(&m->src, ref)) {
				dir = "a";
				s->side = 0;
			} else if (same_ip(&m->dst, ref)) {
				dir = "b";
				s->side = 1;
			} else {
				dir = "unknown";
				s->side = -1;
			}
		}
		/* a relay's legs carry one SSRC twice: "-leg1"/"-leg2"; the same
		 * name again (one SSRC on two ports) gets "-2", "-3"... */
		char leg[16] = "";
		if (s->leg)
			snprintf(leg, sizeof leg, "-leg%d", s->leg);
		for (unsigned twin = 1;; twin++) {
			char dup[16] = "";
			if (twin > 1)
				snprintf(dup, sizeof dup, "-%u", twin);
			snprintf(s->name, sizeof s->name, "%" PRIu64 "-%s-%08" PRIx32 "%s%s.wav", number, dir, s->ssrc,
				 leg, dup);
			bool taken = false;
			for (uint32_t k = ac->first; k < au->nstreams && !taken; k++)
				taken = strcmp(au->streams[k].name, s->name) == 0;
			if (!taken)
				break;
		}
		snprintf(s->desc, sizeof s->desc, "%s (%s)", desc, m->codec);
		ac->slot[i] = (int32_t)au->nstreams;
		au->nstreams++;
		ac->n++;
	}
	if (!ac->n) {
		fprintf(au->log, "sipaudit: audio: call %" PRIu64 ": no stream to decode\n", number);
		free(ac->slot);
		return -1;
	}
	return (int32_t)au->ncalls++;
}

static bool stream_start(struct audio *au, struct astream *s)
{
	s->lv = xcalloc(1, sizeof *s->lv);
	if (s->codec == C_G722) {
		s->lv->g722 = g722_decode_init(NULL, 64000, 0);
		if (!s->lv->g722) {
			fprintf(au->log, "sipaudit: error: audio: %s: the G.722 decoder could not be set up\n", s->name);
			s->failed = au->failed = true;
			return false;
		}
	}
	/* placeholder header, fixed when the stream ends */
	uint8_t h[AU_HDR];
	wav_header(h, s->rate, s->channels ? s->channels : 1, 0);
	FILE *f = stream_file(au, s);
	s->started = true;
	errno = 0;
	if (!f)
		return false;
	if (fwrite(h, 1, sizeof h, f) != sizeof h) {
		stream_fail(au, s, "writing");
		return false;
	}
	return true;
}

/* Decodes one payload into au->scratch; frames per channel, -1 when it
 * cannot be decoded. */
static long decode(struct audio *au, struct astream *s, enum codec codec, const uint8_t *p, size_t n)
{
	size_t cap = AU_SCRATCH / (s->channels ? s->channels : 1);
	if (!n)
		return -1; /* nothing to decode (Opus would conceal a loss instead) */
	switch (codec) {
	case C_PCMU:
	case C_PCMA: {
		if (s->channels != 1 || n > cap)
			return -1;
		const int16_t *t = codec == C_PCMU ? au->ulaw : au->alaw;
		for (size_t i = 0; i < n; i++)
			au->scratch[i] = t[p[i]];
		return (long)n;
	}
	case C_G722:
		if (!s->lv->g722 || n * 2 > cap)
			return -1;
		return g722_decode(s->lv->g722, au->scratch, p, (int)n);
	case C_OPUS: {
		if (!s->lv->opus)
			return -1;
		int r = opus_decode(s->lv->opus, p, (opus_int32)n, au->scratch, (int)cap, 0);
		return r < 0 ? -1 : r;
	}
	default:
		return -1;
	}
}

/* A packet leaves the window in sequence order: placed on the timeline. */
static void emit(struct audio *au, struct astream *s, const struct pktv *k)
{
	const struct ptmap *m = map_find(s, k->pt);
	enum ptkind kind = m ? (enum ptkind)m->kind : k->pt == 13 || k->pt == 19 ? K_CN : K_OTHER;
	if (!m && k->pt < 35) {
		const char *n = rtp_static_name(k->pt);
		if (n && codec_of(n, strlen(n)) != C_NONE)
			kind = K_AUDIO;
	}
	if (kind == K_EVENT) {
		s->events++;
		return;
	}
	if (kind == K_CN) {
		s->cn++;
		return;
	}
	enum codec codec = C_NONE;
	if (kind == K_AUDIO) {
		if (m)
			codec = (enum codec)m->codec;
		else {
			const char *n = rtp_static_name(k->pt);
			codec = codec_of(n, strlen(n));
		}
		/* another codec in the same stream: G.711 both ways is the only
		 * switch that keeps rate and decoder state meaningful */
		if (codec != s->codec && !((codec == C_PCMU || codec == C_PCMA) && (s->codec == C_PCMU || s->codec == C_PCMA)))
			codec = C_NONE;
	}
	if (codec == C_NONE) {
		s->other++;
		return;
	}
	if (s->codec == C_OPUS && !s->lv->opus) {
		int ch = k->len ? opus_packet_get_nb_channels(k->data) : 1;
		s->channels = ch == 2 ? 2 : 1;
		int err = 0;
		s->lv->opus = opus_decoder_create(48000, s->channels, &err);
		if (!s->lv->opus || err != OPUS_OK) {
			fprintf(au->log, "sipaudit: error: audio: %s: the Opus decoder could not be set up: %s\n", s->name,
				opus_strerror(err));
			s->failed = au->failed = true;
			return;
		}
	}
	long n = decode(au, s, codec, k->data, k->len);
	if (n < 0) {
		s->undecodable++;
		return;
	}
	/* where it goes */
	int64_t target;
	if (!s->have_audio) {
		s->have_audio = true;
		s->ext_ts = 0;
		s->t0_ns = k->ns;
		target = 0;
	} else {
		int64_t dts = (int32_t)(k->ts - s->last_ts);
		/* G.722's RTP clock is 8000 Hz (RFC 3551 §4.5.2), but some
		 * senders count its 16 kHz samples: the first two consecutive
		 * packets tell */
		if (s->codec == C_G722 && !s->clock_checked && k->seq == s->last_seq + 1 && dts > 0) {
			s->clock_checked = true;
			if (dts == s->last_n && s->clock == 8000) {
				s->clock = 16000;
				fprintf(au->log, "sipaudit: audio: %s: G.722 timestamps count 16000 per second (RFC 3551 says 8000): "
					"taken as they are\n", s->name);
			}
		}
		int64_t ext = s->ext_ts + dts;
		target = ext * (int64_t)s->rate / (int64_t)s->clock + s->shift;
		int64_t step = dts * (int64_t)s->rate / (int64_t)s->clock;
		int64_t wall = (k->ns - s->last_ns) * (int64_t)s->rate / 1000000000LL;
		int64_t lim = (int64_t)s->rate * AU_RESYNC_NS / 1000000000LL;
		int64_t wall_pos = (k->ns - s->t0_ns) * (int64_t)s->rate / 1000000000LL;
		bool jump = step - wall > lim || wall - step > lim;
		if (jump || target > wall_pos + lim) {
			/* the capture clock says otherwise: re-anchor on it (a
			 * file never runs more than AU_RESYNC_NS ahead of the
			 * capture, however the timestamps jump) */
			int64_t prev_len = s->last_end - (s->ext_ts * (int64_t)s->rate / (int64_t)s->clock + s->shift);
			int64_t want = jump ? s->last_end + (wall > prev_len ? wall - prev_len : 0)
					    : (wall_pos > s->last_end ? wall_pos : s->last_end);
			s->shift += want - target;
			target = want;
			s->resyncs++;
		}
		s->ext_ts = ext;
	}
	s->last_ts = k->ts;
	s->last_ns = k->ns;
	s->last_seq = k->seq;
	s->last_n = n;
	int64_t pos = (int64_t)s->frames;
	const int16_t *pcm = au->scratch;
	if (target > pos) {
		s->silence += (uint64_t)(target - pos);
		out_frames(au, s, NULL, (uint64_t)(target - pos));
	} else if (target < pos) {
		int64_t cut = pos - target;
		if (cut >= n) {
			s->trimmed += (uint64_t)n;
			s->last_end = target + n > s->last_end ? target + n : s->last_end;
			return;
		}
		s->trimmed += (uint64_t)cut;
		pcm += cut * s->channels;
		n -= cut;
	}
	out_frames(au, s, pcm, (uint64_t)n);
	s->last_end = (int64_t)s->frames;
}

/* Sequence numbers below next that were emitted (1) or lost (0): for
 * telling a duplicate from a late packet. */
#define AU_HIST 64

static void mark_done(struct astream *s, bool emitted)
{
	s->done_bits = (s->done_bits << 1) | (emitted ? 1u : 0u);
	s->next++;
}

/* Emits what the window holds in order up to (not including) upto, the
 * missing ones counted as lost (unless restart). */
static void window_advance(struct audio *au, struct astream *s, uint64_t upto, bool count_lost)
{
	while (s->next < upto && !s->failed) {
		struct slot *k = s->lv->win ? &s->lv->win[s->next % AU_WINDOW] : NULL;
		if (k && k->used && k->v.seq == s->next) {
			emit(au, s, &k->v);
			k->used = false;
			mark_done(s, true);
		} else {
			if (count_lost)
				s->lost++;
			mark_done(s, false);
		}
	}
}

/* Everything still in the window goes out (the stream ended or restarts). */
static void window_flush(struct audio *au, struct astream *s)
{
	uint64_t top = s->next;
	for (unsigned i = 0; s->lv->win && i < AU_WINDOW; i++)
		if (s->lv->win[i].used && s->lv->win[i].v.seq + 1 > top)
			top = s->lv->win[i].v.seq + 1;
	window_advance(au, s, top, true);
}

static void stream_end(struct audio *au, struct astream *s)
{
	if (s->ended || !s->started)
		return;
	s->ended = true;
	if (s->lv && !s->failed)
		window_flush(au, s);
	out_flush(au, s);
	if (s->open >= 0)
		close_slot(au, s->open);
	if (!s->failed) {
		char path[4096];
		path_of(au, s->name, path, sizeof path);
		errno = 0;
		FILE *f = fopen(path, "r+b");
		uint8_t h[AU_HDR];
		unsigned ch = s->channels ? s->channels : 1;
		wav_header(h, s->rate, ch, (uint32_t)(s->frames * ch * 2));
		if (!f || fwrite(h, 1, sizeof h, f) != sizeof h) {
			stream_fail(au, s, "writing the header");
			if (f)
				fclose(f);
		} else if (fclose(f) != 0) {
			stream_fail(au, s, "writing the header");
		}
	}
	if (s->lv) {
		if (s->lv->g722)
			g722_decode_free(s->lv->g722);
		if (s->lv->opus)
			opus_decoder_destroy(s->lv->opus);
		free(s->lv->win);
		free(s->lv);
		s->lv = NULL;
	}
	if (s->failed)
		return;
	unsigned ch = s->channels ? s->channels : 1;
	fprintf(au->log,
		"sipaudit: audio: %s: %s, %" PRIu64 " packets, %.3f s at %u Hz%s; %" PRIu64 " lost, %.3f s of silence written",
		s->name, s->desc, s->packets, (double)s->frames / s->rate, s->rate, ch == 2 ? " stereo" : "", s->lost,
		(double)s->silence / s->rate);
	if (s->late)
		fprintf(au->log, ", %" PRIu64 " late (after their place was filled) dropped", s->late);
	if (s->dups)
		fprintf(au->log, ", %" PRIu64 " duplicates dropped", s->dups);
	if (s->events)
		fprintf(au->log, ", %" PRIu64 " telephone-event packets skipped", s->events);
	if (s->cn)
		fprintf(au->log, ", %" PRIu64 " comfort noise packets as silence", s->cn);
	if (s->other)
		fprintf(au->log, ", %" PRIu64 " packets of another payload type as silence", s->other);
	if (s->undecodable)
		fprintf(au->log, ", %" PRIu64 " packets the decoder refused", s->undecodable);
	if (s->oversize)
		fprintf(au->log, ", %" PRIu64 " packets over %d bytes dropped", s->oversize, AU_SLOT);
	if (s->restarts)
		fprintf(au->log, ", %" PRIu64 " sequence restarts", s->restarts);
	if (s->resyncs)
		fprintf(au->log, ", %" PRIu64 " timestamp jumps re-anchored on the capture clock", s->resyncs);
	if (s->trimmed)
		fprintf(au->log, ", %.3f s overlapping dropped", (double)s->trimmed / s->rate);
	fputc('\n', au->log);
}

void audio_packet(struct audio *au, int32_t call, uint32_t stream, const struct media_pkt *p)
{
	if (!au || call < 0 || (size_t)call >= au->ncalls || p->rtcp)
		return;
	struct acall *ac = &au->calls[call];
	if (stream >= ac->nmedia || ac->slot[stream] < 0)
		return;
	struct astream *s = &au->streams[ac->slot[stream]];
	const struct rtp_hdr *h = &p->u.rtp;
	if (s->ended || s->failed || h->ssrc != s->ssrc || !p->data ||
	    (size_t)h->payload_off + h->payload_len > p->len)
		return;
	if (!s->started && !stream_start(au, s))
		return;
	s->packets++;
	uint64_t seq;
	if (s->packets == 1) {
		seq = (1ull << 32) + h->seq;
		s->next = s->hi = seq;
	} else {
		int32_t d = (int16_t)(h->seq - (uint16_t)s->hi);
		seq = s->hi + (uint64_t)(int64_t)d;
		if (d > AU_MAX_DROPOUT || seq + AU_MAX_MISORDER < s->next) {
			/* a new sequence: what is waiting goes out, nothing lost in
			 * between; numbering goes on above everything seen */
			window_flush(au, s);
			s->restarts++;
			seq = (((s->hi >> 16) + 2) << 16) | h->seq;
			s->next = s->hi = seq;
			s->done_bits = 0;
		}
	}
	if (seq > s->hi)
		s->hi = seq;
	if (seq < s->next) {
		uint64_t back = s->next - seq;
		if (back <= AU_HIST && (s->done_bits >> (back - 1) & 1))
			s->dups++;
		else
			s->late++;
		goto done;
	}
	struct pktv v = { seq, p->ns, h->ts, h->payload_len, h->pt, p->data + h->payload_off };
	if (seq == s->next) {
		/* in order: out at once, no copy */
		emit(au, s, &v);
		mark_done(s, true);
	} else {
		if (h->payload_len > AU_SLOT) {
			s->oversize++;
			goto done;
		}
		if (seq >= s->next + AU_WINDOW)
			window_advance(au, s, seq - AU_WINDOW + 1, true);
		if (seq == s->next) {
			emit(au, s, &v);
			mark_done(s, true);
		} else {
			if (!s->lv->win)
				s->lv->win = xcalloc(AU_WINDOW, sizeof *s->lv->win);
			struct slot *k = &s->lv->win[seq % AU_WINDOW];
			if (k->used && k->v.seq == seq) {
				s->dups++;
				goto done;
			}
			k->used = true;
			k->v = v;
			memcpy(k->data, v.data, v.len);
			k->v.data = k->data;
		}
	}
	/* what waited for it follows */
	while (!s->failed && s->lv->win) {
		struct slot *n = &s->lv->win[s->next % AU_WINDOW];
		if (!n->used || n->v.seq != s->next)
			break;
		emit(au, s, &n->v);
		n->used = false;
		mark_done(s, true);
	}
done:
	if (p->input == s->input && p->frame == s->last_frame)
		stream_end(au, s);
}

/* ---- the mix ---- */

struct reader {
	FILE *f;
	unsigned channels;
	uint32_t rate;
	uint64_t frames;
};

static bool wav_open(struct reader *r, const char *path)
{
	r->f = fopen(path, "rb");
	uint8_t h[AU_HDR];
	if (!r->f || fread(h, 1, sizeof h, r->f) != sizeof h) {
		if (r->f)
			fclose(r->f);
		r->f = NULL;
		return false;
	}
	r->channels = (unsigned)(h[22] | h[23] << 8);
	r->rate = (uint32_t)h[24] | (uint32_t)h[25] << 8 | (uint32_t)h[26] << 16 | (uint32_t)h[27] << 24;
	uint32_t bytes = (uint32_t)h[40] | (uint32_t)h[41] << 8 | (uint32_t)h[42] << 16 | (uint32_t)h[43] << 24;
	r->frames = r->channels ? bytes / (2 * r->channels) : 0;
	return r->channels == 1 || r->channels == 2;
}

static int16_t sat16(int32_t v)
{
	return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
}

/* Adds the stream file at path to channel ch of the mix from frame off,
 * upsampled by the integer factor up. */
static bool mix_add(struct audio *au, FILE *mix, const char *path, unsigned ch, uint64_t off, unsigned up)
{
	struct reader r;
	if (!wav_open(&r, path))
		return false;
	enum { CHUNK = 1024 };
	uint8_t in[CHUNK * 4];
	uint8_t io[CHUNK * 8 * 4]; /* up to 8x (see the caller) */
	int32_t prev = 0;
	bool have_prev = false;
	uint64_t done = 0, pos = off; /* source frames read, mix frame of the next output */
	bool ok = true;
	(void)au;
	while (done < r.frames && ok) {
		size_t want = r.frames - done < CHUNK ? (size_t)(r.frames - done) : CHUNK;
		if (fread(in, 2 * r.channels, want, r.f) != want) {
			ok = false;
			break;
		}
		done += want;
		/* mono samples of this chunk; output frame j interpolates between
		 * the previous sample and the current */
		size_t nout = want * up;
		if (fseek(mix, (long)(AU_HDR + pos * 4), SEEK_SET) != 0 || fread(io, 4, nout, mix) != nout) {
			ok = false;
			break;
		}
		for (size_t i = 0; i < want; i++) {
			int32_t x = (int16_t)(in[i * 2 * r.channels] | in[i * 2 * r.channels + 1] << 8);
			if (r.channels == 2)
				x = (x + (int16_t)(in[i * 4 + 2] | in[i * 4 + 3] << 8)) / 2;
			int32_t a = have_prev ? prev : x;
			for (unsigned m = 0; m < up; m++) {
				/* sample i sits at output (i*up); frames before it lean on the previous one */
				int32_t v = up == 1 ? x : a + (x - a) * (int32_t)(m + 1) / (int32_t)up;
				uint8_t *o = io + (i * up + m) * 4 + ch * 2;
				int32_t cur = (int16_t)(o[0] | o[1] << 8);
				put16(o, (uint16_t)sat16(cur + v));
			}
			prev = x;
			have_prev = true;
		}
		if (fseek(mix, (long)(AU_HDR + pos * 4), SEEK_SET) != 0 || fwrite(io, 4, nout, mix) != nout) {
			ok = false;
			break;
		}
		pos += nout;
	}
	fclose(r.f);
	return ok;
}

static bool mix_dialog(struct audio *au, struct acall *ac, int32_t dialog, bool several)
{
	/* the streams that go in */
	uint32_t rate = 0;
	int64_t t0 = INT64_MAX;
	unsigned n = 0;
	for (uint32_t i = ac->first; i < ac->first + ac->n; i++) {
		struct astream *s = &au->streams[i];
		s->in_mix = false;
		if (s->group != dialog || s->failed || !s->frames || s->side < 0)
			continue;
		if (s->leg == 2) {
			bool into = false;
			for (uint32_t k = ac->first; k < ac->first + ac->n; k++)
				if (au->streams[k].leg == 1 && au->streams[k].ssrc == s->ssrc &&
				    au->streams[k].side == s->side && au->streams[k].frames)
					into = true;
			if (into)
				continue;
		}
		s->in_mix = true;
		if (s->rate > rate)
			rate = s->rate;
		if (s->t0_ns < t0)
			t0 = s->t0_ns;
		n++;
	}
	if (!n) {
		bool unknown = false;
		for (uint32_t i = ac->first; i < ac->first + ac->n; i++)
			unknown |= au->streams[i].group == dialog && au->streams[i].frames && au->streams[i].side < 0;
		if (unknown)
			fprintf(au->log, "sipaudit: audio: call %" PRIu64 ": no mix: which party sends which stream is not known\n",
				ac->number);
		return true;
	}
	char name[96], path[4096];
	if (!several)
		snprintf(name, sizeof name, "%" PRIu64 "-mix.wav", ac->number);
	else if (dialog < 0)
		snprintf(name, sizeof name, "%" PRIu64 "-mix-nodialog.wav", ac->number);
	else
		snprintf(name, sizeof name, "%" PRIu64 "-mix-dialog%d.wav", ac->number, dialog + 1);
	uint64_t total = 0;
	for (uint32_t i = ac->first; i < ac->first + ac->n; i++) {
		struct astream *s = &au->streams[i];
		if (!s->in_mix)
			continue;
		uint64_t off = (uint64_t)((s->t0_ns - t0) * (int64_t)rate / 1000000000LL);
		uint64_t end = off + s->frames * (rate / s->rate);
		if (end > total)
			total = end;
	}
	if (total > (AU_MAX_DATA - 36) / 4) {
		fprintf(au->log, "sipaudit: audio: %s: longer than a WAV file can hold, not written\n", name);
		return true;
	}
	path_of(au, name, path, sizeof path);
	errno = 0;
	FILE *mix = fopen(path, "w+b");
	bool ok = mix != NULL;
	uint8_t h[AU_HDR];
	wav_header(h, rate, 2, (uint32_t)(total * 4));
	if (ok)
		ok = fwrite(h, 1, sizeof h, mix) == sizeof h;
	static const uint8_t zero[4096];
	for (uint64_t left = total * 4; ok && left;) {
		size_t k = left < sizeof zero ? (size_t)left : sizeof zero;
		ok = fwrite(zero, 1, k, mix) == k;
		left -= k;
	}
	char parts[2][256] = { "", "" };
	for (uint32_t i = ac->first; ok && i < ac->first + ac->n; i++) {
		struct astream *s = &au->streams[i];
		if (!s->in_mix)
			continue;
		unsigned up = rate / s->rate;
		if (rate % s->rate || up > 8) {
			fprintf(au->log, "sipaudit: audio: %s: %s left out (rate %u Hz does not divide %u Hz)\n", name, s->name,
				s->rate, rate);
			continue;
		}
		uint64_t off = (uint64_t)((s->t0_ns - t0) * (int64_t)rate / 1000000000LL);
		char sp[4096];
		path_of(au, s->name, sp, sizeof sp);
		ok = mix_add(au, mix, sp, (unsigned)s->side, off, up);
		char *pp = parts[s->side];
		size_t used = strlen(pp);
		snprintf(pp + used, sizeof parts[0] - used, "%s%s at +%.3f s", used ? ", " : "", s->name,
			 (double)(s->t0_ns - t0) / 1e9);
	}
	if (mix && fclose(mix) != 0)
		ok = false;
	if (!ok) {
		fprintf(au->log, "sipaudit: error: audio: %s: %s\n", name, strerror(errno ? errno : EIO));
		return false;
	}
	fprintf(au->log, "sipaudit: audio: %s: stereo %u Hz, %.3f s; left (caller): %s; right (callee): %s\n", name, rate,
		(double)total / rate, parts[0][0] ? parts[0] : "silent", parts[1][0] ? parts[1] : "silent");
	return true;
}

bool audio_finish(struct audio *au)
{
	if (!au)
		return false;
	for (size_t i = 0; i < au->nstreams; i++) {
		struct astream *s = &au->streams[i];
		if (!s->started && !s->failed)
			fprintf(au->log, "sipaudit: audio: %s: %s: no packet of the stream was handed over, not written\n", s->name,
				s->desc);
		stream_end(au, s);
	}
	for (int i = 0; i < AU_MAX_OPEN; i++)
		close_slot(au, i);
	if (au->no_media) {
		fprintf(au->log, "sipaudit: audio: %" PRIu64 " call%s without RTP in the capture, no file: ", au->no_media,
			au->no_media == 1 ? "" : "s");
		for (uint64_t i = 0; i < au->no_media && i < 8; i++)
			fprintf(au->log, "%s%" PRIu64, i ? ", " : "", au->no_media_list[i]);
		fprintf(au->log, "%s\n", au->no_media > 8 ? ", ..." : "");
	}
	for (size_t c = 0; c < au->ncalls; c++) {
		struct acall *ac = &au->calls[c];
		/* its dialogs, in the order their streams come; streams tied to
		 * no dialog (their SDP came before any) join the call's only
		 * dialog when it has one */
		int32_t seen[64];
		unsigned nseen = 0;
		int32_t only = -1;
		bool multi = false;
		for (uint32_t i = ac->first; i < ac->first + ac->n; i++) {
			int32_t d = au->streams[i].dialog;
			if (d >= 0 && only < 0)
				only = d;
			else if (d >= 0 && d != only)
				multi = true;
		}
		for (uint32_t i = ac->first; i < ac->first + ac->n; i++) {
			struct astream *s = &au->streams[i];
			s->group = !multi && only >= 0 ? only : s->dialog;
			bool dup = false;
			for (unsigned k = 0; k < nseen; k++)
				dup |= seen[k] == s->group;
			if (!dup && nseen < 64)
				seen[nseen++] = s->group;
			else if (!dup)
				fprintf(au->log, "sipaudit: audio: %s: not mixed (more than 64 dialogs in the call)\n", s->name);
		}
		for (unsigned k = 0; k < nseen; k++)
			if (!mix_dialog(au, ac, seen[k], nseen > 1))
				au->failed = true;
	}
	fflush(au->log);
	return !au->failed;
}

void audio_free(struct audio *au)
{
	if (!au)
		return;
	for (int i = 0; i < AU_MAX_OPEN; i++)
		if (au->open[i].f)
			fclose(au->open[i].f);
	for (size_t i = 0; i < au->nstreams; i++) {
		struct live *L = au->streams[i].lv;
		if (L) {
			if (L->g722)
				g722_decode_free(L->g722);
			if (L->opus)
				opus_decoder_destroy(L->opus);
			free(L->win);
			free(L);
		}
	}
	for (size_t i = 0; i < au->ncalls; i++)
		free(au->calls[i].slot);
	free(au->calls);
	free(au->streams);
	free(au->dir);
	free(au);
}
