/* audio_drive.c - a stand-in for `sipaudit --audio DIR` until the export
 * pass (cmd/export.c) lands: pass 1 analyses the captures and hands every
 * finalised call with media to the audio exporter; pass 2 reads them again
 * and hands each RTP packet to the stream it belongs to (same input, source,
 * destination and SSRC, within the stream's first..last frame).
 *
 *   audio_drive DIR FILE...
 * The log goes to stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../analyzer/analyzer.h"
#include "../analyzer/model.h"
#include "../analyzer/xalloc.h"
#include "../cmd/audio.h"

struct want {
	int32_t call;
	uint32_t stream;
	uint32_t input;
	struct endpoint src, dst;
	uint32_t ssrc;
	uint64_t first, last;
};

static struct audio *au;
static struct callstore *store;
static struct want *wants;
static size_t nwants, wants_cap;

static void on_call(void *ud, struct call *c)
{
	(void)ud;
	if (!c->nmedia)
		return;
	int32_t h = audio_add_call(au, c);
	if (h < 0)
		return;
	for (uint32_t i = 0; i < c->nmedia; i++) {
		if (nwants == wants_cap) {
			wants_cap = wants_cap ? wants_cap * 2 : 64;
			wants = xrealloc(wants, wants_cap * sizeof *wants);
		}
		const struct media_stream *m = &c->media[i];
		wants[nwants++] = (struct want){ h, i, c->input, m->src, m->dst, m->ssrc, m->first_frame, m->last_frame };
	}
}

static void on_msg1(void *ud, struct sip_msg *m)
{
	(void)ud;
	callstore_add(store, m);
}
static void on_media1(void *ud, const struct media_pkt *p)
{
	(void)ud;
	callstore_media(store, p);
}
static void on_msg2(void *ud, struct sip_msg *m)
{
	(void)ud;
	sip_msg_free(m);
}
static void on_media2(void *ud, const struct media_pkt *p)
{
	(void)ud;
	if (p->rtcp)
		return;
	for (size_t i = 0; i < nwants; i++) {
		const struct want *w = &wants[i];
		if (w->input == p->input && w->ssrc == p->u.rtp.ssrc && p->frame >= w->first && p->frame <= w->last &&
		    endpoint_eq(&w->src, &p->src) && endpoint_eq(&w->dst, &p->dst)) {
			audio_packet(au, w->call, w->stream, p);
			return;
		}
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: audio_drive DIR FILE...\n");
		return 2;
	}
	au = audio_new(argv[1], stderr);
	if (!au)
		return 1;
	store = callstore_new(on_call, NULL, NULL);
	struct analyzer *an = analyzer_new(on_msg1, NULL);
	analyzer_set_media(an, on_media1, NULL);
	int n = argc - 2;
	struct input_stats *st = xcalloc((size_t)n, sizeof *st);
	for (int i = 0; i < n; i++) {
		st[i].path = argv[i + 2];
		if (!analyzer_read_file(an, argv[i + 2], (uint32_t)i, &st[i])) {
			fprintf(stderr, "audio_drive: %s: %s\n", argv[i + 2], st[i].fatal ? st[i].fatal : "unreadable");
			return 2;
		}
		callstore_end_input(store, (uint32_t)i, st[i].last_ns);
		input_stats_release(&st[i]);
	}
	analyzer_free(an);
	an = analyzer_new(on_msg2, NULL);
	analyzer_set_media(an, on_media2, NULL);
	for (int i = 0; i < n; i++) {
		memset(&st[i], 0, sizeof st[i]);
		st[i].path = argv[i + 2];
		analyzer_read_file(an, argv[i + 2], (uint32_t)i, &st[i]);
		input_stats_release(&st[i]);
	}
	analyzer_free(an);
	bool ok = audio_finish(au);
	audio_free(au);
	callstore_free(store);
	free(st);
	free(wants);
	return ok ? 0 : 1;
}
