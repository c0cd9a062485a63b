/* fuzz_audio.c - libFuzzer harness for the audio exporter (cmd/audio.c):
 * one call with a G.711, a G.722 and an Opus stream (plus one of a codec
 * chosen by the first byte), then records of
 * [stream][pt][seq 2][ts 4][time step][len][payload] handed over as RTP
 * packets; the files go to a scratch directory and the mix is built. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../cmd/audio.h"

static const char *codecs[] = { "PCMU/8000", "PCMA/8000", "G722/8000", "opus/48000", "G729/8000", "" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static char dir[64];
	if (!dir[0])
		snprintf(dir, sizeof dir, "/tmp/fuzz_audio.%d", (int)getpid());
	FILE *log = fopen("/dev/null", "w");
	struct audio *au = audio_new(dir, log);
	if (!au) {
		fclose(log);
		return 0;
	}
	struct media_stream m[4];
	memset(m, 0, sizeof m);
	const uint8_t pts[4] = { 0, 9, 111, (uint8_t)(data[0] >> 3) };
	for (int i = 0; i < 4; i++) {
		const char *c = i == 0 ? codecs[data[0] & 1] : i == 1 ? codecs[2] : i == 2 ? codecs[3] : codecs[data[0] % 6];
		snprintf(m[i].codec, sizeof m[i].codec, "%s", c);
		snprintf(m[i].media, sizeof m[i].media, "audio");
		m[i].pt = pts[i];
		m[i].ssrc = 0x100u + (unsigned)i;
		m[i].from_caller = (int8_t)(i & 1);
		m[i].dialog = (int32_t)(data[0] >> 7) - 1;
		m[i].sdp_msg = m[i].mline = -1;
		m[i].last_frame = UINT64_MAX;
		m[i].src.family = m[i].dst.family = 4;
		m[i].src.ip[3] = (uint8_t)(i & 1);
		m[i].dst.ip[3] = (uint8_t)!(i & 1);
	}
	struct call c;
	memset(&c, 0, sizeof c);
	c.kind = KIND_CALL;
	c.call_id = "fuzz";
	c.media = m;
	c.nmedia = 4;
	int32_t h = audio_add_call(au, &c);
	size_t off = 1;
	uint64_t frame = 0;
	int64_t ns = 0;
	while (h >= 0 && size - off >= 10) {
		const uint8_t *r = data + off;
		uint32_t k = r[0] % 4;
		size_t n = r[9];
		off += 10;
		if (n > size - off)
			n = size - off;
		uint8_t *pkt = malloc(12 + n); /* exact size: over-reads trap */
		pkt[0] = 0x80;
		pkt[1] = r[1] & 0x7F;
		memcpy(pkt + 2, r + 2, 6);
		for (int i = 0; i < 4; i++)
			pkt[8 + i] = (uint8_t)(m[k].ssrc >> (24 - 8 * i));
		memcpy(pkt + 12, data + off, n);
		off += n;
		ns += (int64_t)r[8] * 1000000;
		struct media_pkt p;
		memset(&p, 0, sizeof p);
		p.frame = ++frame;
		p.ns = ns;
		p.data = pkt;
		p.len = 12 + n;
		p.u.rtp = (struct rtp_hdr){ .pt = pkt[1], .seq = (uint16_t)(r[2] << 8 | r[3]),
					    .ts = (uint32_t)r[4] << 24 | (uint32_t)r[5] << 16 | (uint32_t)r[6] << 8 | r[7],
					    .ssrc = m[k].ssrc, .payload_len = (uint32_t)n, .payload_off = 12 };
		audio_packet(au, h, k, &p);
		free(pkt);
	}
	audio_finish(au);
	audio_free(au);
	fclose(log);
	return 0;
}
