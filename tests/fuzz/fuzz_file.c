/* fuzz_file.c - libFuzzer harness for the capture file readers (pcap through
 * libpcap, our pcapng reader, gzip) and everything after them: decoding, calls, rules. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../analyzer/analyzer.h"
#include "fuzz_pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("capture", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	struct fuzz_pipeline pl;
	fuzz_pipeline_init(&pl);
	struct analyzer *an = analyzer_new(fuzz_pipeline_sink, &pl);
	analyzer_set_media(an, fuzz_pipeline_media, &pl);
	struct input_stats st;
	memset(&st, 0, sizeof st);
	st.path = path;
	analyzer_read_file(an, path, 0, &st);
	analyzer_free(an);
	fuzz_pipeline_end(&pl, st.last_ns, &st);
	input_stats_release(&st);
	close(fd);
	return 0;
}
