/* fuzz_file.c - libFuzzer harness for the capture file readers (pcap through
 * libpcap, our pcapng reader, gzip) and everything below them. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../analyzer/analyzer.h"
#include "fuzz_common.h"

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
	struct analyzer *an = analyzer_new(fuzz_sink, NULL);
	struct input_stats st;
	memset(&st, 0, sizeof st);
	st.path = path;
	analyzer_read_file(an, path, 0, &st);
	input_stats_release(&st);
	analyzer_free(an);
	close(fd);
	return 0;
}
