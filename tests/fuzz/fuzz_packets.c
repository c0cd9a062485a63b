/* fuzz_packets.c - libFuzzer harness for the whole decoder below the file
 * reader: link layers, IP, fragments, tunnels, TCP reassembly, WebSocket,
 * HEP, SCTP, framing, and on to calls and rules. Input: one byte picking the link type, then records of
 * [2-byte length][1-byte time step][bytes]. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../analyzer/analyzer.h"
#include "fuzz_pipeline.h"

static const int linktypes[] = { 0, 1, 101, 108, 113, 197, 228, 229, 276 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct fuzz_pipeline pl;
	fuzz_pipeline_init(&pl);
	struct analyzer *an = analyzer_new(fuzz_pipeline_sink, &pl);
	analyzer_set_media(an, fuzz_pipeline_media, &pl);
	analyzer_set_keylog(an, fuzz_keylog());
	struct input_stats st;
	memset(&st, 0, sizeof st);
	st.path = "fuzz";
	analyzer_begin_input(an, 0, &st);
	int lt = linktypes[data[0] % (sizeof linktypes / sizeof linktypes[0])];
	size_t off = 1;
	uint64_t frame = 0;
	int64_t t = 1000;
	while (size - off >= 3) {
		size_t n = (size_t)data[off] << 8 | data[off + 1];
		t += data[off + 2];
		off += 3;
		if (n > size - off)
			n = size - off;
		uint8_t *pkt = malloc(n ? n : 1); /* exact size: over-reads trap */
		memcpy(pkt, data + off, n);
		analyzer_packet(an, ++frame, t, 0, lt, pkt, (uint32_t)n, (uint32_t)n);
		free(pkt);
		off += n;
	}
	analyzer_end_input(an);
	analyzer_free(an);
	fuzz_pipeline_end(&pl, st.last_ns, &st);
	input_stats_release(&st);
	return 0;
}
