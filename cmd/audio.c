/* audio.c - placeholder until the WAV exporter lands: says so and writes
 * nothing. */
#include <stdlib.h>

#include "audio.h"

struct audio {
	FILE *log;
};

struct audio *audio_new(const char *dir, FILE *log)
{
	(void)dir;
	fprintf(log, "sipaudit: error: --audio is not built yet\n");
	return NULL;
}

int32_t audio_add_call(struct audio *au, const struct call *c)
{
	(void)au;
	(void)c;
	return -1;
}

void audio_packet(struct audio *au, int32_t call, uint32_t stream, const struct media_pkt *p)
{
	(void)au;
	(void)call;
	(void)stream;
	(void)p;
}

bool audio_finish(struct audio *au)
{
	(void)au;
	return false;
}

void audio_free(struct audio *au)
{
	free(au);
}
