/* audio.h - --audio DIR: the RTP streams of the selected calls as WAV files
 * (one per stream, DIR/<number>-<direction>-<ssrc>.wav) and, per dialog, a
 * stereo mix (caller left, callee right) aligned on capture time. Lost
 * packets are silence. G.711 is decoded here; G.722 through spandsp, Opus
 * through libopus; other codecs and SRTP are skipped with one line each.
 *
 * Two passes: while the capture is analysed, each selected call is handed
 * over once it is finalised (audio_add_call copies what it needs of its
 * streams); then the export pass (export.c) reads the capture again and
 * hands over each RTP packet of those streams, in capture order. */
#ifndef SIPAUDIT_AUDIO_H
#define SIPAUDIT_AUDIO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../analyzer/model/model.h"
#include "../analyzer/media/rtp.h"

struct audio;

/* dir is created when missing; log receives the one-line notes (files
 * written, packets lost, streams skipped and why). */
struct audio *audio_new(const char *dir, FILE *log);
/* A selected call, finalised (pass 1). Returns its handle for
 * audio_packet, or -1 when it has no stream to decode (the reason is
 * logged). */
int32_t audio_add_call(struct audio *au, const struct call *c);
/* Pass 2: packet p belongs to stream `stream` (index into c->media as it
 * was at audio_add_call) of call handle `call`. p->data/p->len hold the
 * whole RTP packet during the call only. */
void audio_packet(struct audio *au, int32_t call, uint32_t stream, const struct media_pkt *p);
/* After pass 2: finishes the files and writes the mixes. False when a file
 * could not be written (the reason is logged). */
bool audio_finish(struct audio *au);
void audio_free(struct audio *au);

#endif
