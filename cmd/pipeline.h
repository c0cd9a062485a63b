/* pipeline.h - the inputs read on reader threads, the calls judged and
 * reported on one thread, in the order a single thread would.
 *
 * Each reader thread has its own analyzer and call store and takes the
 * next input not yet taken: it decodes, reassembles, parses and builds
 * the calls, and hands every finalised call over (with the lapsed
 * registrations, the orphan streams and the end of the input) to the
 * input's queue. The report's thread empties the queues input by input,
 * so the sink sees what a serial run would have made it see, in the same
 * order, with call seqs renumbered as one store would have numbered them.
 * One input on one reader is a two-stage pipeline (reading | rules and
 * report); several readers read several inputs at once. */
#ifndef SIPAUDIT_PIPELINE_H
#define SIPAUDIT_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../analyzer/analyzer.h"
#include "../analyzer/media/media.h"
#include "../analyzer/model/model.h"

struct keylog;

/* Called on one thread of the pipeline, in input order (progress: on a
 * reader thread, one call at a time); the caller's thread touches nothing
 * the sink touches until pipeline_run returns. */
struct pipeline_sink {
	void *ud;
	/* a finalised call, seq renumbered (the pipeline frees it after) */
	void (*call)(void *ud, struct call *c);
	void (*lapse)(void *ud, const struct binding *b, uint32_t input, uint64_t late_frame, int64_t late_ns);
	void (*orphan)(void *ud, uint32_t input, const struct media_stream *s);
	/* the input's calls have all been given; ok as analyzer_read_file */
	void (*input_end)(void *ud, uint32_t input, bool ok);
	/* reading progress of the input the report's thread waits for, from
	 * a reader thread (one call at a time), or NULL */
	void (*progress)(void *ud, uint32_t input, uint64_t done, uint64_t total);
};

struct pipeline_conf {
	size_t readers;             /* reader threads (at least 1; no more than inputs) */
	size_t ninputs;
	const char *const *paths;   /* what to read */
	struct input_stats *stats;  /* per input, filled by the readers (path set by the caller) */
	size_t max_memory;          /* each reader's call store (callstore_set_max_memory) */
	const char *const *link_headers; /* --link-header specs, already checked */
	size_t nlink_headers;
	struct keylog *keylog;      /* read only */
	/* calls handed over and not yet given to the sink, all inputs
	 * together: a reader ahead of the report's thread waits beyond this
	 * many bytes */
	size_t queue_bytes;
};

struct pipeline;

/* NULL when a thread cannot be started (the caller reads serially). */
struct pipeline *pipeline_start(const struct pipeline_conf *conf, const struct pipeline_sink *sink);
/* Reads inputs on the calling thread too (as the first reader) while a
 * thread of the pipeline gives every input's events to the sink; returns
 * when all have ended. */
void pipeline_run(struct pipeline *p);
/* The reader threads stop reading (what is read is still given). */
void pipeline_stop(struct pipeline *p);
/* After pipeline_run (or a failed start): joins the reader threads, frees
 * the stores and analyzers. */
void pipeline_free(struct pipeline *p);

#endif
