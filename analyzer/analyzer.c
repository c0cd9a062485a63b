/* analyzer.c - the ingest context: per-input state, packet entry point,
 * scratch memory and user-facing error collection. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode.h"
#include "internal.h"
#include "keylog.h"
#include "reassembly.h"
#include "xalloc.h"

struct analyzer *analyzer_new(analyzer_sink_fn sink, void *ud)
{
	struct analyzer *an = xcalloc(1, sizeof *an);
	an->sink = sink;
	an->sink_ud = ud;
	return an;
}

void analyzer_set_keylog(struct analyzer *an, struct keylog *kl)
{
	an->keylog = kl;
}

void analyzer_set_tls_conn_sink(struct analyzer *an, analyzer_tls_conn_fn fn, void *ud)
{
	an->tls_conn_sink = fn;
	an->tls_conn_ud = ud;
}

void analyzer_secrets(struct analyzer *an, uint32_t type, const uint8_t *data, size_t len)
{
	struct input_stats *st = an->st;
	if (type != 0x544c534bu) { /* 'TLSK': NSS key log; WireGuard, ZigBee... keys are not for us */
		input_error(st, "decryption secrets block after frame %llu: secrets of type 0x%08x ignored (only TLS key logs are used)",
			    (unsigned long long)an->frame, type);
		return;
	}
	if (!an->capture_keylog)
		an->capture_keylog = keylog_new();
	char src[512];
	snprintf(src, sizeof src, "%s: decryption secrets block", st && st->path ? st->path : "capture");
	const struct keylog_stats *ks = keylog_stats(an->capture_keylog);
	uint64_t before = ks->entries, bad = ks->bad_lines;
	keylog_add_text(an->capture_keylog, src, (const char *)data, len);
	if (st) {
		st->tls_keys = true;
		st->tls_dsb_secrets += ks->entries - before;
		if (ks->bad_lines > bad)
			input_error(st, "decryption secrets block after frame %llu: %llu lines that are not key log lines",
				    (unsigned long long)an->frame, (unsigned long long)(ks->bad_lines - bad));
	}
}

void analyzer_set_media(struct analyzer *an, analyzer_media_fn fn, void *ud)
{
	an->media = fn;
	an->media_ud = ud;
}

void analyzer_record_carriers(struct analyzer *an, bool on)
{
	an->record_carriers = on;
}

void analyzer_set_frame_hook(struct analyzer *an, const struct frame_hook *hook)
{
	an->hook = hook;
}

void analyzer_carrier(struct analyzer *an, uint64_t frame)
{
	if (an->ncarriers && an->carriers[an->ncarriers - 1] == frame)
		return;
	if (an->ncarriers == an->carriers_cap) {
		an->carriers_cap = an->carriers_cap ? an->carriers_cap * 2 : 16;
		an->carriers = xrealloc(an->carriers, an->carriers_cap * sizeof *an->carriers);
	}
	an->carriers[an->ncarriers++] = frame;
}

void analyzer_set_progress(struct analyzer *an, analyzer_progress_fn fn, void *ud)
{
	an->progress = fn;
	an->progress_ud = ud;
}

void analyzer_stop(struct analyzer *an)
{
	an->stop = true;
}

void analyzer_free(struct analyzer *an)
{
	if (!an)
		return;
	ipfrag_free(an->frag);
	tcp_table_free(an->tcp);
	keylog_free(an->capture_keylog);
	free(an->tls_cache);
	free(an->tls_plain);
	sctp_release(an, false);
	free(an->scratch);
	free(an->carriers);
	free(an);
}

uint8_t *analyzer_scratch(struct analyzer *an, size_t n)
{
	if (n > an->scratch_cap) {
		an->scratch_cap = n < 65536 ? 65536 : n;
		free(an->scratch);
		an->scratch = xmalloc(an->scratch_cap);
	}
	return an->scratch;
}

struct input_error_kind {
	const char *fmt;
	unsigned listed;
	uint64_t more;
	char last[320]; /* the latest one not listed */
};

void input_error(struct input_stats *st, const char *fmt, ...)
{
	struct input_error_kind *k = NULL;
	if (!st->error_kinds)
		st->error_kinds = xcalloc(INPUT_ERROR_KINDS, sizeof *st->error_kinds);
	for (unsigned i = 0; i < INPUT_ERROR_KINDS; i++)
		if (st->error_kinds[i].fmt == fmt || !st->error_kinds[i].fmt) {
			k = &st->error_kinds[i];
			k->fmt = fmt;
			break;
		}
	va_list ap;
	va_start(ap, fmt);
	if (st->nerrors >= INPUT_MAX_ERRORS || (k && k->listed >= INPUT_ERRORS_PER_KIND)) {
		st->errors_dropped++;
		if (k) {
			k->more++;
			vsnprintf(k->last, sizeof k->last, fmt, ap);
		}
		va_end(ap);
		return;
	}
	char *s;
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s) {
		st->errors[st->nerrors++] = s;
		if (k)
			k->listed++;
	}
}

void input_error_summary(struct input_stats *st)
{
	for (unsigned i = 0; st->error_kinds && i < INPUT_ERROR_KINDS; i++) {
		struct input_error_kind *k = &st->error_kinds[i];
		if (!k->more || st->nerrors >= INPUT_MAX_ERRORS + INPUT_ERROR_KINDS)
			continue;
		char *s;
		if (asprintf(&s, "%s (the last of %llu like this not listed)", k->last, (unsigned long long)k->more) >= 0)
			st->errors[st->nerrors++] = s;
		k->more = 0;
	}
}

void input_stats_release(struct input_stats *st)
{
	for (unsigned i = 0; i < st->nerrors; i++)
		free(st->errors[i]);
	st->nerrors = 0;
	free(st->error_kinds);
	st->error_kinds = NULL;
	free(st->tls_notes);
	st->tls_notes = NULL;
	st->ntls_notes = 0;
	free(st->fatal);
	st->fatal = NULL;
}

void analyzer_begin_input(struct analyzer *an, uint32_t input, struct input_stats *st)
{
	an->st = st;
	an->input = input;
	an->frame = 0;
	an->ts_sec = 0;
	an->ts_nsec = 0;
	an->now = 0;
	an->prev_frame = 0;
	if (!an->frag)
		an->frag = ipfrag_new();
	if (!an->tcp)
		an->tcp = tcp_table_new();
	st->tls_keys = an->keylog && keylog_stats(an->keylog)->entries > 0;
}

/* Time stamps that go back more than this are said: a clock stepped (or a
 * packet dated years away), which timeouts cannot take for elapsed time. */
#define TIME_BACK_WARN 3600

static void utc(int64_t sec, char *buf, size_t size)
{
	time_t t = (time_t)sec;
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "%lld s", (long long)sec);
}

static void time_back(struct analyzer *an, int64_t sec)
{
	int64_t d = an->prev_sec - sec;
	char span[64], from[40], to[40];
	if (d >= 2 * 86400)
		snprintf(span, sizeof span, "%lld days (%.1f years)", (long long)(d / 86400), (double)d / (365.25 * 86400));
	else
		snprintf(span, sizeof span, "%lld:%02lld:%02lld", (long long)(d / 3600), (long long)(d / 60 % 60),
			 (long long)(d % 60));
	utc(an->prev_sec, from, sizeof from);
	utc(sec, to, sizeof to);
	input_error(an->st, "frame %llu: time goes back %s, to %s from %s at frame %llu: the capture's clock jumped; timeouts keep to the latest time",
		    (unsigned long long)an->frame, span, to, from, (unsigned long long)an->prev_frame);
}

static void note_linktype(struct input_stats *st, int lt)
{
	for (unsigned i = 0; i < st->nlinktypes; i++)
		if (st->linktypes[i] == lt)
			return;
	if (st->nlinktypes < INPUT_MAX_LINKTYPES)
		st->linktypes[st->nlinktypes++] = lt;
}

void analyzer_packet(struct analyzer *an, uint64_t frame, int64_t ts_sec, uint32_t ts_nsec, int linktype,
		     const uint8_t *data, uint32_t caplen, uint32_t wirelen)
{
	struct input_stats *st = an->st;
	if (an->hook && !an->hook->before(an->hook->ud, frame, ts_sec, ts_nsec, linktype, data, caplen, wirelen))
		return;
	st->packets++;
	st->bytes += caplen;
	note_linktype(st, linktype);
	an->frame = frame;
	/* Capture time in ns must fit int64 with room for timers: clamp absurd
	 * stamps (damaged files) to years 1685..2255. */
	if (ts_sec > TS_SEC_MAX)
		ts_sec = TS_SEC_MAX;
	if (ts_sec < -TS_SEC_MAX)
		ts_sec = -TS_SEC_MAX;
	if (ts_nsec > 999999999u)
		ts_nsec = 999999999u;
	an->ts_sec = ts_sec;
	an->ts_nsec = ts_nsec;
	int64_t ns = ts_sec * 1000000000LL + ts_nsec;
	if (ns > st->last_ns)
		st->last_ns = ns;
	if (an->prev_frame && ts_sec < an->prev_sec - TIME_BACK_WARN)
		time_back(an, ts_sec);
	an->prev_sec = ts_sec;
	an->prev_frame = frame;
	if (ts_sec > an->now) /* timeouts never run backwards */
		an->now = ts_sec;
	an->first_frame = frame;
	an->ip_fragmented = false;
	(void)wirelen;
	decode_link(an, linktype, data, caplen);
	if (an->hook)
		an->hook->after(an->hook->ud);
}

void analyzer_end_input(struct analyzer *an)
{
	if (an->tcp)
		tcp_expire(an, true);
	if (an->frag)
		ipfrag_expire(an, true);
	sctp_release(an, true);
	input_error_summary(an->st);
	keylog_free(an->capture_keylog); /* the TLS flows that used it have ended */
	an->capture_keylog = NULL;
	an->st = NULL;
}

const char *linktype_name(int lt)
{
	switch (lt) {
	case LT_NULL: return "null";
	case LT_ETHERNET: return "ether";
	case LT_RAW: return "rawip";
	case LT_IPV4: return "rawip4";
	case LT_IPV6: return "rawip6";
	case LT_LOOP: return "loop";
	case LT_LINUX_SLL: return "linux-sll";
	case LT_LINUX_SLL2: return "linux-sll2";
	case LT_ERF: return "erf";
	default: return NULL;
	}
}
