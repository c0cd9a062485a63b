/* pipeline.c - reader threads build the calls, the report's thread judges
 * and reports them in serial order (pipeline.h). */
#include "pipeline.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../analyzer/xalloc.h"

enum ev_kind { EV_CALL, EV_LAPSE, EV_ORPHAN, EV_END };

struct ev {
	enum ev_kind kind;
	union {
		struct call *c;
		struct {
			struct binding b; /* aor and call_id owned copies */
			uint64_t late_frame;
			int64_t late_ns;
		} lapse;
		struct media_stream s;
		struct {
			bool ok;
			uint64_t seq_end; /* the store's next seq when the input ended */
		} end;
	} u;
};

/* Events go over in batches: one lock per EV_BATCH events. */
#define EV_BATCH 128
/* What a reader may queue ahead of the report's thread on the input it
 * gives (pipeline_conf.queue_bytes for later inputs). */
#define NEAR_BYTES ((size_t)1 << 20)
/* A batch is given as soon as its calls hold this much. */
#define BATCH_BYTES ((size_t)256 << 10)

struct batch {
	struct batch *next;
	struct reader *r; /* that filled it: it gets it back to free its calls */
	size_t n;
	size_t bytes; /* what its calls hold */
	struct ev ev[EV_BATCH];
};

/* One input's queue. */
struct inq {
	struct batch *head, *tail;
	size_t bytes;  /* queued */
	uint64_t seq0; /* the reader's next seq when it took the input */
};

struct reader {
	struct pipeline *p;
	pthread_t th;
	bool started;
	struct analyzer *an;
	struct callstore *cs;
	uint32_t input;     /* being read */
	struct batch *cur;  /* being filled, for input */
	/* Batches the report's thread is done with, given back so that the
	 * calls are freed where they were allocated (a free on another
	 * thread contends for this thread's malloc arena), and kept for
	 * reuse (under the pipeline's lock). */
	struct batch *dead;
	struct batch *spare; /* emptied, to fill again (this thread's) */
};

struct pipeline {
	struct pipeline_conf conf;
	struct pipeline_sink sink;
	pthread_mutex_t mu;
	pthread_cond_t published; /* a batch was queued */
	pthread_cond_t taken;     /* a batch was taken off a queue */
	pthread_mutex_t progress_mu;
	struct inq *q;            /* per input */
	size_t next;              /* next input to take */
	size_t queued;            /* bytes in all queues */
	_Atomic uint32_t waiting; /* the input the report's thread waits for */
	struct reader *r;
	size_t nreaders;
	pthread_t drain_th; /* gives the events to the sink */
};

static void *drain_main(void *arg);

/* ---- reader side ---- */

static void free_event(struct ev *e)
{
	if (e->kind == EV_LAPSE) {
		free(e->u.lapse.b.aor);
		free(e->u.lapse.b.call_id);
	} else if (e->kind == EV_CALL) {
		call_free(e->u.c);
	}
}

/* Frees what the batches given back hold; keeps them for reuse. */
static void bury(struct reader *r, struct batch *dead)
{
	while (dead) {
		struct batch *b = dead;
		dead = b->next;
		for (size_t k = 0; k < b->n; k++)
			free_event(&b->ev[k]);
		b->next = r->spare;
		r->spare = b;
	}
}

static void publish(struct reader *r)
{
	struct pipeline *p = r->p;
	struct batch *b = r->cur;
	r->cur = NULL;
	if (!b)
		return;
	struct inq *q = &p->q[r->input];
	pthread_mutex_lock(&p->mu);
	/* the input being given: a few batches ahead, so that the memory
	 * comes back while it is still in the caches; later ones: all the
	 * queues together up to the bound */
	for (;;) {
		bool near = atomic_load(&p->waiting) == r->input;
		if (near ? !q->bytes || q->bytes + b->bytes <= NEAR_BYTES
			 : !p->queued || p->queued + b->bytes <= p->conf.queue_bytes)
			break;
		if (r->dead) { /* while waiting: free what came back */
			struct batch *dead = r->dead;
			r->dead = NULL;
			pthread_mutex_unlock(&p->mu);
			bury(r, dead);
			pthread_mutex_lock(&p->mu);
			continue;
		}
		pthread_cond_wait(&p->taken, &p->mu);
	}
	if (q->tail)
		q->tail->next = b;
	else
		q->head = b;
	q->tail = b;
	q->bytes += b->bytes;
	p->queued += b->bytes;
	pthread_cond_broadcast(&p->published);
	struct batch *dead = r->dead;
	r->dead = NULL;
	pthread_mutex_unlock(&p->mu);
	bury(r, dead);
}

static struct ev *push(struct reader *r, enum ev_kind kind)
{
	if (r->cur && r->cur->n == EV_BATCH)
		publish(r);
	if (!r->cur) {
		if (r->spare) {
			r->cur = r->spare;
			r->spare = r->cur->next;
		} else {
			r->cur = xmalloc(sizeof *r->cur);
		}
		r->cur->next = NULL;
		r->cur->r = r;
		r->cur->n = 0;
		r->cur->bytes = 0;
	}
	struct ev *e = &r->cur->ev[r->cur->n++];
	e->kind = kind;
	r->cur->bytes += sizeof *e; /* a lapse or an orphan stream holds this much too */
	return e;
}

static void on_message(void *ud, struct sip_msg *m)
{
	struct reader *r = ud;
	callstore_add(r->cs, m);
}

static void on_media(void *ud, const struct media_pkt *p)
{
	struct reader *r = ud;
	callstore_media(r->cs, p);
}

static void on_call(void *ud, struct call *c)
{
	struct reader *r = ud;
	struct ev *e = push(r, EV_CALL);
	e->u.c = c;
	r->cur->bytes += sizeof *c + c->mem;
	/* big calls (a long subscription in parts, calls cut by the memory
	 * bound) go at once: a batch holds a bounded number of bytes too */
	if (r->cur->bytes >= BATCH_BYTES)
		publish(r);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void on_lapse(void *ud, const struct binding *b, uint32_t input, uint64_t late_frame, int64_t late_ns)
{
	struct reader *r = ud;
	(void)input; /* the input being read */
	struct ev *e = push(r, EV_LAPSE);
	e->u.lapse.b = *b;
	e->u.lapse.b.aor = dup_or_null(b->aor);
	e->u.lapse.b.call_id = dup_or_null(b->call_id);
	r->cur->bytes += (b->aor ? strlen(b->aor) + 1 : 0) + (b->call_id ? strlen(b->call_id) + 1 : 0);
	e->u.lapse.b.next = NULL;
	e->u.lapse.b.onext = NULL;
	e->u.lapse.late_frame = late_frame;
	e->u.lapse.late_ns = late_ns;
}

static void on_orphan(void *ud, uint32_t input, const struct media_stream *s)
{
	struct reader *r = ud;
	(void)input;
	struct ev *e = push(r, EV_ORPHAN);
	e->u.s = *s;
}

static void on_progress(void *ud, uint64_t done, uint64_t total)
{
	struct reader *r = ud;
	struct pipeline *p = r->p;
	if (!p->sink.progress || atomic_load(&p->waiting) != r->input)
		return;
	pthread_mutex_lock(&p->progress_mu);
	p->sink.progress(p->sink.ud, r->input, done, total);
	pthread_mutex_unlock(&p->progress_mu);
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	struct pipeline *p = r->p;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		if (p->next == p->conf.ninputs) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		size_t i = p->next++;
		p->q[i].seq0 = callstore_next_seq(r->cs);
		pthread_mutex_unlock(&p->mu);
		r->input = (uint32_t)i;
		struct input_stats *st = &p->conf.stats[i];
		bool ok = analyzer_read_file(r->an, p->conf.paths[i], (uint32_t)i, st);
		callstore_end_input(r->cs, (uint32_t)i, st->last_ns);
		struct ev *e = push(r, EV_END);
		e->u.end.ok = ok;
		e->u.end.seq_end = callstore_next_seq(r->cs);
		publish(r);
	}
	sip_msg_thread_end();
	return NULL;
}

/* ---- set-up, the report's thread ---- */

struct pipeline *pipeline_start(const struct pipeline_conf *conf, const struct pipeline_sink *sink)
{
	struct pipeline *p = xcalloc(1, sizeof *p);
	p->conf = *conf;
	p->sink = *sink;
	if (!p->conf.queue_bytes)
		p->conf.queue_bytes = 1;
	pthread_mutex_init(&p->mu, NULL);
	pthread_mutex_init(&p->progress_mu, NULL);
	pthread_cond_init(&p->published, NULL);
	pthread_cond_init(&p->taken, NULL);
	p->q = xcalloc(conf->ninputs ? conf->ninputs : 1, sizeof *p->q);
	size_t n = conf->readers;
	if (n > conf->ninputs)
		n = conf->ninputs;
	if (!n)
		n = 1;
	p->r = xcalloc(n, sizeof *p->r);
	p->nreaders = n;
	atomic_store(&p->waiting, 0);
	for (size_t k = 0; k < n; k++) {
		struct reader *r = &p->r[k];
		r->p = p;
		r->cs = callstore_new(on_call, on_lapse, r);
		callstore_hand_over(r->cs, true);
		callstore_set_max_memory(r->cs, conf->max_memory);
		for (size_t h = 0; h < conf->nlink_headers; h++) {
			char err[400];
			callstore_link_header(r->cs, conf->link_headers[h], err, sizeof err); /* checked by options_parse */
		}
		callstore_set_media_orphan(r->cs, on_orphan);
		r->an = analyzer_new(on_message, r);
		analyzer_set_keylog(r->an, conf->keylog);
		analyzer_set_media(r->an, on_media, r);
		analyzer_set_progress(r->an, on_progress, r);
	}
	/* the first reader is the calling thread (pipeline_run): the reading
	 * side does nearly all the allocating, and in the main malloc arena
	 * the peak memory is that of one thread's run; the sink's side gets
	 * a thread and a small arena of its own */
	if (pthread_create(&p->drain_th, NULL, drain_main, p) != 0) {
		pipeline_free(p); /* the caller reads serially */
		return NULL;
	}
	for (size_t k = 1; k < n; k++) {
		if (pthread_create(&p->r[k].th, NULL, reader_main, &p->r[k]) != 0)
			break; /* fewer readers: inputs go to whichever is free */
		p->r[k].started = true;
	}
	return p;
}

void pipeline_run(struct pipeline *p)
{
	reader_main(&p->r[0]);
	pthread_join(p->drain_th, NULL);
}

static void drain(struct pipeline *p);

static void *drain_main(void *arg)
{
	drain(arg);
	sip_msg_thread_end(); /* the indexes the rules built, compacted per call already */
	return NULL;
}

static void drain(struct pipeline *p)
{
	uint64_t base = 0; /* the seq a single store would give the input's first call */
	for (size_t i = 0; i < p->conf.ninputs; i++) {
		struct inq *q = &p->q[i];
		/* a reader of input i may be waiting on the bound for inputs
		 * ahead: under the lock, so that it cannot miss the change */
		pthread_mutex_lock(&p->mu);
		atomic_store(&p->waiting, (uint32_t)i);
		pthread_cond_broadcast(&p->taken);
		pthread_mutex_unlock(&p->mu);
		bool end = false;
		while (!end) {
			pthread_mutex_lock(&p->mu);
			while (!q->head)
				pthread_cond_wait(&p->published, &p->mu);
			struct batch *b = q->head;
			q->head = b->next;
			if (!q->head)
				q->tail = NULL;
			uint64_t seq0 = q->seq0;
			pthread_mutex_unlock(&p->mu);
			uint64_t delta = base - seq0; /* modulo 2^64: seq + delta renumbers */
			for (size_t k = 0; k < b->n; k++) {
				struct ev *e = &b->ev[k];
				switch (e->kind) {
				case EV_CALL: {
					struct call *c = e->u.c;
					c->seq += delta;
					if (c->continues)
						c->continues += delta;
					for (uint32_t l = 0; l < c->nlinks; l++)
						c->links[l].peer_seq += delta;
					call_finish(c); /* here, off the reader (callstore_hand_over) */
					p->sink.call(p->sink.ud, c);
					call_compact_listed(c); /* what this thread expanded: the reader frees the rest */
					break;
				}
				case EV_LAPSE:
					e->u.lapse.b.call_seq += delta;
					p->sink.lapse(p->sink.ud, &e->u.lapse.b, (uint32_t)i, e->u.lapse.late_frame,
						      e->u.lapse.late_ns);
					break;
				case EV_ORPHAN:
					p->sink.orphan(p->sink.ud, (uint32_t)i, &e->u.s);
					break;
				case EV_END:
					base += e->u.end.seq_end - seq0;
					p->sink.input_end(p->sink.ud, (uint32_t)i, e->u.end.ok);
					end = true; /* the last event of the input */
					break;
				}
			}
			/* back to its reader, which frees what it holds */
			pthread_mutex_lock(&p->mu);
			q->bytes -= b->bytes;
			p->queued -= b->bytes;
			b->next = b->r->dead;
			b->r->dead = b;
			pthread_cond_broadcast(&p->taken);
			pthread_mutex_unlock(&p->mu);
		}
	}
}

void pipeline_stop(struct pipeline *p)
{
	for (size_t k = 0; k < p->nreaders; k++)
		analyzer_stop(p->r[k].an);
}

void pipeline_free(struct pipeline *p)
{
	if (!p)
		return;
	for (size_t k = 0; k < p->nreaders; k++)
		if (p->r[k].started)
			pthread_join(p->r[k].th, NULL);
	for (size_t k = 0; k < p->nreaders; k++) {
		bury(&p->r[k], p->r[k].dead);
		while (p->r[k].spare) {
			struct batch *b = p->r[k].spare;
			p->r[k].spare = b->next;
			free(b);
		}
		analyzer_free(p->r[k].an);
		callstore_free(p->r[k].cs);
		if (p->r[k].cur) {
			for (size_t e = 0; e < p->r[k].cur->n; e++)
				free_event(&p->r[k].cur->ev[e]);
			free(p->r[k].cur);
		}
	}
	pthread_mutex_destroy(&p->mu);
	pthread_mutex_destroy(&p->progress_mu);
	pthread_cond_destroy(&p->published);
	pthread_cond_destroy(&p->taken);
	free(p->q);
	free(p->r);
	free(p);
}
