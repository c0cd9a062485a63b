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
	analyzer_set_keylog(an, fuzz_keylog());
	/* half the inputs: the carrier frames recorded and the calls written
	 * out again by the export pass (into /dev/null, linked legs together) */
	if (size && (data[size - 1] & 1)) {
		struct export_opts eo = { .write = "/dev/null", .with_linked = true, .quiet = true };
		pl.ex = export_new(&eo);
		analyzer_record_carriers(an, true);
	}
	struct input_stats st;
	memset(&st, 0, sizeof st);
	st.path = path;
	analyzer_read_file(an, path, 0, &st);
	analyzer_free(an);
	int64_t last_ns = st.last_ns;
	if (pl.ex) {
		callstore_end_input(pl.cs, 0, last_ns); /* finalise the calls before the second pass */
		const char *paths[1] = { path };
		export_run(pl.ex, paths, &st, 1);
		export_free(pl.ex);
		pl.ex = NULL;
	}
	fuzz_pipeline_end(&pl, last_ns, &st);
	input_stats_release(&st);
	close(fd);
	return 0;
}
