/* main.c - the sipaudit command line: inputs in, calls finalised one at a
 * time, rules run on each, findings filtered and handed to the renderer the
 * user chose; the exit status gates CI. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../analyzer/analyzer.h"
#include "../analyzer/tls/keylog.h"
#include "../analyzer/model/model.h"
#include "../analyzer/xalloc.h"
#include "audio.h"
#include "baseline.h"
#include "callview.h"
#include "export.h"
#include "html.h"
#include "inputs.h"
#include "pipeline.h"
#include "ladder.h"
#include "options.h"
#include "report.h"

enum exit_code {
	EXIT_OK = 0,
	EXIT_FINDINGS = 1,
	EXIT_USAGE = 2, /* usage error or unreadable input */
	EXIT_INTERNAL = 3,
};

struct bitset {
	uint8_t *v;
	size_t bytes;
};

struct app {
	struct options opt;
	struct report rep;
	struct callstore *store;
	struct analyzer *an;

	/* Findings of the call whose rules are running. */
	struct finding **cur;
	size_t ncur, cur_cap;
	bool in_call;
	bool out_failed; /* the report's output failed: nothing more is judged */

	/* Per call seq: finalised, passed the call filters, reported. They
	 * judge findings that arrive apart from their call's rules (lapsed
	 * registrations); such a finding about a call not yet finalised waits
	 * in pending and joins that call's findings. */
	struct bitset finalised, passed, shown;
	struct finding **pending;
	size_t npending, pending_cap;

	/* --ladder */
	uint64_t ladder_number; /* 0: match by Call-ID */
	unsigned ladders;

	/* --write, --split, --audio; the viewer's save key */
	struct export *ex;
	struct audio *audio;
	char **paths;  /* what to read for each input (stdin spooled to a file when exporting) */
	char **spools; /* those temporary files, to remove */

	/* --baseline (accepted findings, consumed as they match) and
	 * --write-baseline (this run's findings) */
	struct baseline *baseline, *new_baseline;

	/* TLS secrets: --keylog, $SSLKEYLOGFILE, and the captures' own */
	struct keylog *keylog;

	/* view */
	struct callview **views;
	size_t nviews, views_cap;

	/* -j: the inputs read on reader threads (NULL: all on this one) */
	struct pipeline *pipe;
	bool read_failed; /* an input could not be read (exit status 2) */

	/* progress */
	uint32_t progress_input;
	bool progress;
	const char *progress_path;
	struct timespec progress_start, progress_last;
	bool progress_shown;
};

/* The report cannot be written any more: stop reading. */
static void stop_reading(struct app *a)
{
	if (a->pipe)
		pipeline_stop(a->pipe);
	else
		analyzer_stop(a->an);
}

static void bit_set(struct bitset *b, uint64_t seq)
{
	size_t byte = (size_t)(seq / 8);
	if (byte >= b->bytes) {
		size_t n = b->bytes ? b->bytes : 1024;
		while (n <= byte)
			n *= 2;
		b->v = xrealloc(b->v, n);
		memset(b->v + b->bytes, 0, n - b->bytes);
		b->bytes = n;
	}
	b->v[byte] |= (uint8_t)(1u << (seq % 8));
}

static bool bit_get(const struct bitset *b, uint64_t seq)
{
	size_t byte = (size_t)(seq / 8);
	return seq != FINDING_NO_CALL && byte < b->bytes && (b->v[byte] & (1u << (seq % 8)));
}

/* A reported finding meets the baseline: accepted or new. */
static void judge(struct app *a, struct finding *f)
{
	if (a->baseline)
		f->baselined = baseline_match(a->baseline, a->rep.inputs[f->input].path, f);
}

static void keep_finding(struct app *a, struct finding *f)
{
	struct report *r = &a->rep;
	r->nsev[f->severity]++;
	if (f->baselined)
		r->nbaselined[f->severity]++;
	if (a->new_baseline)
		baseline_add(a->new_baseline, r->inputs[f->input].path, f);
	if (a->opt.format == FMT_JSONL) {
		finding_free(f);
		return;
	}
	if (r->nfindings == r->findings_cap) {
		r->findings_cap = r->findings_cap ? r->findings_cap * 2 : 64;
		r->findings = xrealloc(r->findings, r->findings_cap * sizeof *r->findings);
	}
	r->findings[r->nfindings++] = f;
}

/* --ladder as svg or mermaid: one document, drawn at the end (with the
 * findings raised after its call ended) from the calls kept in views. */
static bool ladder_export(const struct app *a)
{
	return a->opt.ladder && (a->opt.format == FMT_SVG || a->opt.format == FMT_MERMAID);
}

static struct callview *view_of_number(struct app *a, uint64_t number)
{
	for (size_t i = a->nviews; i-- > 0;)
		if (a->views[i]->number == number)
			return a->views[i];
	return NULL;
}

static void on_finding(void *ud, struct finding *f)
{
	struct app *a = ud;
	if (a->in_call) {
		if (a->ncur == a->cur_cap) {
			a->cur_cap = a->cur_cap ? a->cur_cap * 2 : 16;
			a->cur = xrealloc(a->cur, a->cur_cap * sizeof *a->cur);
		}
		a->cur[a->ncur++] = f;
		return;
	}
	/* A finding made apart from its call's rules (a registration that
	 * lapsed). About a call still open: it waits for that call. */
	if (f->call_seq != FINDING_NO_CALL && !bit_get(&a->finalised, f->call_seq)) {
		if (a->npending == a->pending_cap) {
			a->pending_cap = a->pending_cap ? a->pending_cap * 2 : 8;
			a->pending = xrealloc(a->pending, a->pending_cap * sizeof *a->pending);
		}
		a->pending[a->npending++] = f;
		return;
	}
	/* About a call already finalised: it passes when its call passed the
	 * call filters (with --rule, that call may have had nothing to show
	 * then); a ladder shows it after the ladders. */
	const struct filter *flt = &a->opt.filter;
	bool pass = filter_finding(flt, f);
	if (pass && filter_calls_active(flt))
		pass = bit_get(&a->passed, f->call_seq);
	if (pass && a->opt.ladder)
		pass = bit_get(&a->shown, f->call_seq);
	if (!pass) {
		finding_free(f);
		return;
	}
	judge(a, f);
	if (a->opt.ladder && a->opt.format == FMT_HTML) {
		html_ladder_late(&a->rep, f);
	} else if (a->opt.ladder && !ladder_export(a)) {
		fprintf(a->rep.out, "\nfinding about call #%llu raised after the call ended:\n",
			(unsigned long long)call_number(f->call_seq));
		report_text_finding(&a->rep, f, 80);
	}
	if (a->opt.format == FMT_JSONL)
		report_json_finding(&a->rep, f);
	if (a->opt.format == FMT_TEXT)
		report_text_late_finding(&a->rep, f);
	if ((a->opt.view || ladder_export(a)) && f->call_seq != FINDING_NO_CALL) {
		struct callview *v = view_of_number(a, call_number(f->call_seq));
		if (v)
			callview_add_finding(v, f);
	}
	keep_finding(a, f);
}

static bool ladder_matches(const struct app *a, const struct call *c)
{
	if (a->ladder_number)
		return call_number(c->seq) == a->ladder_number;
	return strcmp(c->call_id, a->opt.ladder) == 0;
}

/* A call is final: run the rules, tally it, filter it, render it. */
static void on_call(void *ud, struct call *c)
{
	struct app *a = ud;
	struct report *r = &a->rep;
	/* The reader of the report has gone: reading stopped, and the calls
	 * still queued behind this one (reader threads run ahead) are not
	 * judged for a report nobody reads. */
	if (a->out_failed)
		return;
	a->ncur = 0;
	a->in_call = true;
	rules_run_call(&a->opt.rs, c, on_finding, a);
	/* findings about this call made before it was final */
	for (size_t i = 0; i < a->npending;) {
		if (a->pending[i]->call_seq == c->seq) {
			on_finding(a, a->pending[i]);
			a->pending[i] = a->pending[--a->npending];
		} else {
			i++;
		}
	}
	a->in_call = false;
	bit_set(&a->finalised, c->seq);

	struct input_tally *t = &r->tally[c->input];
	t->calls++;
	t->by_kind[c->kind]++;
	t->by_state[c->state]++;
	t->early += c->early;
	t->t4_cut += c->t4_cut;

	bool show = filter_call(&a->opt.filter, c);
	if (show) {
		bit_set(&a->passed, c->seq);
		kpis_add_call(r->kpis, c);
	}
	size_t nkeep = 0;
	for (size_t i = 0; i < a->ncur; i++) {
		if (show && filter_finding(&a->opt.filter, a->cur[i]))
			a->cur[nkeep++] = a->cur[i];
		else
			finding_free(a->cur[i]);
	}
	if (a->opt.filter.any_rule && !nkeep)
		show = false;
	if (show && a->opt.ladder && !ladder_matches(a, c))
		show = false;
	if (a->ex)
		export_call(a->ex, c, show);
	if (!show) {
		for (size_t i = 0; i < nkeep; i++)
			finding_free(a->cur[i]);
		return;
	}
	c->findings = (uint32_t)nkeep;
	for (size_t i = 0; i < nkeep; i++)
		judge(a, a->cur[i]);
	bit_set(&a->shown, c->seq);
	r->calls_written++;

	if (a->opt.ladder && a->opt.format == FMT_HTML) {
		a->ladders++;
		html_ladder_call(r, c, a->cur, nkeep);
	} else if (a->opt.ladder || a->opt.view) {
		struct callview *v = callview_new(c, a->opt.view);
		for (size_t i = 0; i < nkeep; i++)
			callview_add_finding(v, a->cur[i]);
		if (a->opt.view || ladder_export(a)) {
			a->ladders++;
			if (a->nviews == a->views_cap) {
				a->views_cap = a->views_cap ? a->views_cap * 2 : 256;
				a->views = xrealloc(a->views, a->views_cap * sizeof *a->views);
			}
			a->views[a->nviews++] = v;
		} else {
			if (a->ladders++)
				fputc('\n', r->out);
			ladder_print(r->out, v, isatty(fileno(r->out)) ? 0 : 80, r->colour);
			callview_free(v);
		}
	}
	switch (a->opt.format) {
	case FMT_JSON:
	case FMT_JSONL:
		report_json_call(r, c, a->cur, nkeep);
		break;
	case FMT_TEXT:
		if (!a->opt.ladder && !a->opt.view && a->opt.table)
			report_text_call(r, c, a->cur, nkeep);
		break;
	case FMT_HTML:
		if (!a->opt.ladder)
			report_html_call(r, c, a->cur, nkeep);
		break;
	default:
		break;
	}
	for (size_t i = 0; i < nkeep; i++)
		keep_finding(a, a->cur[i]);
	/* the reader of the report has gone (closed pipe, full disk): stop */
	if (ferror(r->out)) {
		if (!r->werrno)
			r->werrno = errno;
		a->out_failed = true;
		stop_reading(a);
	}
}

static void on_lapse(void *ud, const struct binding *b, uint32_t input, uint64_t late_frame, int64_t late_ns)
{
	struct app *a = ud;
	rules_run_binding(&a->opt.rs, b, input, late_frame, late_ns, on_finding, a);
}

static void on_message(void *ud, struct sip_msg *m)
{
	struct app *a = ud;
	if (a->opt.format == FMT_MESSAGES) {
		report_messages_msg(&a->rep, m);
		sip_msg_free(m);
		if (ferror(a->rep.out)) {
			if (!a->rep.werrno)
				a->rep.werrno = errno;
			analyzer_stop(a->an);
		}
		return;
	}
	callstore_add(a->store, m);
}

static void on_media(void *ud, const struct media_pkt *p)
{
	struct app *a = ud;
	callstore_media(a->store, p);
}

/* A stream no SDP explained: kept for the inputs' part of the report. */
static void on_orphan(void *ud, uint32_t input, const struct media_stream *s)
{
	struct app *a = ud;
	report_add_orphan(&a->rep, input, s, ORPHANS_MAX);
}

/* ---- progress on stderr ---- */

static double since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void on_progress(void *ud, uint64_t done, uint64_t total)
{
	struct app *a = ud;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	bool end = total && done >= total;
	if (end) {
		if (a->progress_shown)
			fputs("\r\033[K", stderr);
		a->progress_shown = false;
		return;
	}
	/* only for files that take a while, at most 5 updates a second */
	if (since(&a->progress_start, &now) < 1.0 || (a->progress_shown && since(&a->progress_last, &now) < 0.2))
		return;
	a->progress_last = now;
	a->progress_shown = true;
	if (total)
		fprintf(stderr, "\r\033[Ksipaudit: %s: %3.0f%% (%.0f of %.0f MB)", a->progress_path,
			100.0 * (double)done / (double)total, (double)done / 1e6, (double)total / 1e6);
	else
		fprintf(stderr, "\r\033[Ksipaudit: %s: %.0f MB", a->progress_path, (double)done / 1e6);
	fflush(stderr);
}

static void tls_warning(const struct input_stats *st);

/* An input has been read and its calls finalised: the rules that judge
 * the input as a whole, then its problems on standard error. */
static void input_done(struct app *a, uint32_t i, bool ok)
{
	struct input_stats *st = &a->rep.inputs[i];
	rules_input_end(&a->opt.rs, i, st->last_ns, on_finding, a);
	if (!ok)
		a->read_failed = true;
	if (st->fatal)
		fprintf(stderr, "sipaudit: error: %s: %s\n", st->path, st->fatal);
	if (!a->opt.quiet) {
		for (unsigned k = 0; k < st->nerrors; k++)
			fprintf(stderr, "sipaudit: warning: %s: %s\n", st->path, st->errors[k]);
		if (st->errors_dropped)
			fprintf(stderr, "sipaudit: warning: %s: %llu more problems not listed\n", st->path,
				(unsigned long long)st->errors_dropped);
		tls_warning(st);
	}
}

/* ---- -j: the inputs read on reader threads (pipeline.h) ---- */

/* Finished calls a reader may have queued ahead of this thread, without
 * --max-memory (with it: an eighth of it). */
#define QUEUE_BYTES_UNBOUNDED ((size_t)16 << 20)

static void pipe_input_end(void *ud, uint32_t input, bool ok)
{
	input_done(ud, input, ok);
}

static void pipe_progress(void *ud, uint32_t input, uint64_t done, uint64_t total)
{
	struct app *a = ud;
	if (!a->progress_path || a->progress_input != input) {
		a->progress_input = input;
		a->progress_path = a->rep.inputs[input].path;
		clock_gettime(CLOCK_MONOTONIC, &a->progress_start);
	}
	on_progress(ud, done, total);
}

/* The cores this process may run on. */
static unsigned cores(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

static void list_rules(const struct options *o)
{
	for (size_t i = 0; i < rule_count; i++) {
		const struct rule *r = rule_registry[i];
		int sev = o->rs.severity[i] >= 0 ? o->rs.severity[i] : (int)r->severity;
		printf("%-20s %-8s %s%s\n", r->id, severity_name((enum severity)sev), r->summary,
		       o->rs.enabled[i] ? "" : " (disabled)");
	}
}

static bool use_colour(const struct options *o, FILE *out)
{
	if (o->colour == WHEN_ALWAYS)
		return true;
	if (o->colour == WHEN_NEVER)
		return false;
	const char *nc = getenv("NO_COLOR");
	if (nc && *nc)
		return false;
	const char *term = getenv("TERM");
	if (term && strcmp(term, "dumb") == 0)
		return false;
	return isatty(fileno(out));
}

/* Standard input read twice (the export pass reads the inputs again): kept
 * in a temporary file. NULL when it could not be. */
static char *spool_stdin(void)
{
	const char *dir = getenv("TMPDIR");
	char *path = NULL;
	if (asprintf(&path, "%s/sipaudit-stdin-XXXXXX", dir && *dir ? dir : "/tmp") < 0)
		return NULL;
	int fd = mkstemp(path);
	if (fd < 0) {
		fprintf(stderr, "sipaudit: error: cannot keep standard input in %s: %s\n", path, strerror(errno));
		free(path);
		return NULL;
	}
	char buf[65536];
	ssize_t n;
	bool ok = true;
	while ((n = read(STDIN_FILENO, buf, sizeof buf)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ok = false;
			break;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				ok = false;
				break;
			}
			off += w;
		}
		if (!ok)
			break;
	}
	if (close(fd) != 0)
		ok = false;
	if (!ok) {
		fprintf(stderr, "sipaudit: error: cannot keep standard input in %s: %s\n", path, strerror(errno));
		unlink(path);
		free(path);
		return NULL;
	}
	return path;
}

/* The viewer's w key: the call and its legs to a file in the current directory. */
static bool view_save(void *ud, uint64_t number, char *msg, size_t size)
{
	struct app *a = ud;
	return export_save_call(a->ex, number, (const char *const *)a->paths, a->rep.inputs, a->rep.ninputs, msg, size);
}

/* --ladder CALL --format svg|mermaid: one document, so one call: the
 * lowest-numbered that matched (a Call-ID found in several inputs); the
 * others are named on standard error. The exit status judges the call
 * drawn. */
static void draw_export(struct app *a)
{
	struct callview *v = a->views[0];
	for (size_t i = 1; i < a->nviews; i++)
		if (a->views[i]->number < v->number)
			v = a->views[i];
	if (a->opt.format == FMT_SVG)
		ladder_svg(a->rep.out, v);
	else
		ladder_mermaid(a->rep.out, v);
	memset(a->rep.nsev, 0, sizeof a->rep.nsev);
	for (size_t i = 0; i < v->nfindings; i++)
		a->rep.nsev[v->findings[i]->severity]++;
	if (a->nviews < 2)
		return;
	fflush(a->rep.out); /* the note after the document, also when both are the terminal */
	fprintf(stderr, "sipaudit: note: %zu calls match %s; drew call #%llu, the others are", a->nviews, a->opt.ladder,
		(unsigned long long)v->number);
	size_t listed = 0;
	for (size_t i = 0; i < a->nviews && listed < 10; i++)
		if (a->views[i] != v)
			fprintf(stderr, "%s #%llu", listed++ ? "," : "", (unsigned long long)a->views[i]->number);
	fprintf(stderr, "%s (draw one with --ladder NUMBER)\n", a->nviews - 1 > listed ? ", ..." : "");
}

static void parse_ladder(struct app *a)
{
	const char *s = a->opt.ladder;
	if (*s == '#')
		s++;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);
	if (*s >= '0' && *s <= '9' && !*end && !errno && n > 0)
		a->ladder_number = n;
}

static void on_tls_conn(void *ud, uint32_t input, uint32_t conn, const uint64_t *frames, size_t n, const char *secrets,
			size_t slen)
{
	struct app *a = ud;
	export_tls_conn(a->ex, input, conn, frames, n, secrets, slen);
}

/* TLS the user cannot see into is said on stderr too (a CI log shows it):
 * one line per input, the flows by reason. */
static void tls_warning(const struct input_stats *st)
{
	uint64_t nd = st->tls_flows - st->tls_decrypted;
	if (!st->tls_flows || !nd)
		return;
	fprintf(stderr, "sipaudit: warning: %s: %llu of %llu TLS flow%s not decrypted from start to end (", st->path, (unsigned long long)nd,
		(unsigned long long)st->tls_flows, st->tls_flows == 1 ? "" : "s");
	bool open = false;
	if (st->tls_partial) {
		fprintf(stderr, "%llu in part", (unsigned long long)st->tls_partial);
		open = true;
	}
	report_tls_outcomes(stderr, st, open);
	fputs("): what they carried is not all analysed\n", stderr);
}

/* Reads the key logs the user gave (--keylog, else $SSLKEYLOGFILE). A
 * --keylog file that cannot be read is a usage error; an environment
 * variable naming a file not written yet is only worth a warning. */
static int load_keylogs(struct app *app)
{
	app->keylog = keylog_new();
	const struct options *o = &app->opt;
	const char *env = getenv("SSLKEYLOGFILE");
	char err[600];
	int status = EXIT_OK;
	if (o->nkeylogs) {
		for (size_t i = 0; i < o->nkeylogs; i++)
			if (!keylog_add_file(app->keylog, o->keylogs[i], err, sizeof err)) {
				fprintf(stderr, "sipaudit: error: --keylog %s\n", err);
				status = EXIT_USAGE;
			}
	} else if (env && *env) {
		if (!keylog_add_file(app->keylog, env, err, sizeof err))
			fprintf(stderr, "sipaudit: warning: SSLKEYLOGFILE: %s\n", err);
	} else {
		return EXIT_OK;
	}
	const struct keylog_stats *ks = keylog_stats(app->keylog);
	if (!o->quiet) {
		for (unsigned i = 0; i < ks->nproblems; i++)
			fprintf(stderr, "sipaudit: warning: key log %s\n", ks->problems[i]);
		if (ks->bad_lines > ks->nproblems)
			fprintf(stderr, "sipaudit: warning: key log: %llu more lines that are not key log lines\n",
				(unsigned long long)(ks->bad_lines - ks->nproblems));
		if (!ks->entries && status == EXIT_OK)
			fprintf(stderr, "sipaudit: warning: key log %s holds no TLS secrets\n",
				o->nkeylogs ? o->keylogs[0] : env);
	}
	return status;
}

int main(int argc, char **argv)
{
	/* A closed pipe must be an error we report (exit 3), not a silent kill. */
	signal(SIGPIPE, SIG_IGN);

	struct app app = { 0 };
	int status = options_parse(&app.opt, argc, argv);
	if (status) {
		options_free(&app.opt);
		return status < 0 ? (fclose(stdout) == 0 ? EXIT_OK : EXIT_INTERNAL) : status;
	}
	if (app.opt.list_rules) {
		list_rules(&app.opt);
		options_free(&app.opt);
		return fclose(stdout) == 0 ? EXIT_OK : EXIT_INTERNAL;
	}

	if (app.opt.baseline) {
		char err[600];
		app.baseline = baseline_load(app.opt.baseline, err, sizeof err);
		if (!app.baseline) {
			fprintf(stderr, "sipaudit: error: --baseline %s\n", err);
			options_free(&app.opt);
			return EXIT_USAGE;
		}
	}
	if (app.opt.write_baseline)
		app.new_baseline = baseline_new();

	/* directories: every capture below them */
	struct input_list inputs;
	if (!inputs_expand(&app.opt, &inputs, stderr)) {
		inputs_free(&inputs);
		options_free(&app.opt);
		return EXIT_USAGE;
	}
	if (inputs.empty_dirs || inputs.unreadable)
		status = EXIT_USAGE;
	app.opt.inputs = inputs.paths;
	app.opt.ninputs = inputs.n;

	struct report *rep = &app.rep;
	rep->opt = &app.opt;
	rep->out = stdout;
	bool write_stdout = app.opt.write && strcmp(app.opt.write, "-") == 0;
	if (write_stdout && !app.opt.output)
		rep->out = stderr; /* the packets go to standard output */
	if (app.opt.output) {
		rep->out = fopen(app.opt.output, "w");
		if (!rep->out) {
			fprintf(stderr, "sipaudit: error: %s: %s\n", app.opt.output, strerror(errno));
			inputs_free(&inputs);
			options_free(&app.opt);
			return EXIT_USAGE;
		}
	}
	if (app.opt.ladder)
		parse_ladder(&app);
	rep->colour = app.opt.format == FMT_TEXT && !app.opt.view && use_colour(&app.opt, rep->out);
	size_t ninputs = app.opt.ninputs;
	rep->ninputs = ninputs;
	rep->inputs = xcalloc(ninputs, sizeof *rep->inputs);
	rep->tally = xcalloc(ninputs, sizeof *rep->tally);
	rep->kpis = kpis_new((uint32_t)ninputs);
	app.store = callstore_new(on_call, on_lapse, &app);
	callstore_set_max_memory(app.store, app.opt.max_memory);
	for (size_t i = 0; i < app.opt.nlink_headers; i++) {
		char err[400];
		if (!callstore_link_header(app.store, app.opt.link_headers[i], err, sizeof err))
			fprintf(stderr, "sipaudit: error: %s\n", err); /* checked by options_parse already */
	}
	app.an = analyzer_new(on_message, &app);
	if (load_keylogs(&app) != EXIT_OK)
		status = EXIT_USAGE;
	analyzer_set_keylog(app.an, app.keylog);
	rep->keylog = app.keylog;
	app.paths = xcalloc(ninputs, sizeof *app.paths);
	app.spools = xcalloc(ninputs, sizeof *app.spools);
	for (size_t i = 0; i < ninputs; i++)
		app.paths[i] = app.opt.inputs[i];
	if (app.opt.audio) {
		app.audio = audio_new(app.opt.audio, stderr);
		if (!app.audio)
			status = EXIT_USAGE;
	}
	if (app.opt.write || app.opt.split || app.audio || app.opt.view) {
		struct export_opts eo = { .write = app.opt.write, .split_dir = app.opt.split,
					  .with_linked = app.opt.with_linked, .audio = app.audio,
					  .all_calls = app.opt.view, .quiet = app.opt.quiet };
		app.ex = export_new(&eo);
		analyzer_record_carriers(app.an, export_needs_carriers(app.ex));
		if (export_needs_carriers(app.ex))
			analyzer_set_tls_conn_sink(app.an, on_tls_conn, &app);
		for (size_t i = 0; i < ninputs; i++)
			if (strcmp(app.paths[i], "-") == 0) {
				app.spools[i] = spool_stdin();
				if (app.spools[i])
					app.paths[i] = app.spools[i];
				break; /* standard input can be read once */
			}
	}
	rep->orphans_unlisted = xcalloc(ninputs, sizeof *rep->orphans_unlisted);
	if (app.opt.format != FMT_MESSAGES) {
		analyzer_set_media(app.an, on_media, &app);
		callstore_set_media_orphan(app.store, on_orphan);
	}
	app.progress = app.opt.progress == WHEN_ALWAYS ||
		       (app.opt.progress == WHEN_AUTO && !app.opt.quiet && isatty(STDERR_FILENO));
	if (app.progress)
		analyzer_set_progress(app.an, on_progress, &app);
	if (app.opt.format == FMT_JSON || app.opt.format == FMT_JSONL)
		report_json_begin(rep);
	rules_begin(&app.opt.rs);

	for (size_t i = 0; i < ninputs; i++)
		rep->inputs[i].path = app.opt.inputs[i];
	unsigned jobs = app.opt.jobs ? app.opt.jobs : cores();
	/* exporting follows frames in a second pass, the viewer and ladders
	 * keep calls: those read on this thread */
	if (jobs > 1 && !app.ex && !app.opt.view && !app.opt.ladder && app.opt.format != FMT_MESSAGES) {
		size_t stdins = 0;
		for (size_t i = 0; i < ninputs; i++)
			stdins += strcmp(app.paths[i], "-") == 0;
		struct pipeline_conf pc = {
			/* a key log: TLS sessions resumed in a later input are
			 * found in the one reader's session cache; standard input
			 * named twice is read once, then found empty */
			.readers = keylog_stats(app.keylog)->entries || stdins > 1 ? 1 : jobs,
			.ninputs = ninputs,
			.paths = (const char *const *)app.paths,
			.stats = rep->inputs,
			.max_memory = app.opt.max_memory,
			.link_headers = (const char *const *)app.opt.link_headers,
			.nlink_headers = app.opt.nlink_headers,
			.keylog = app.keylog,
			.queue_bytes = app.opt.max_memory ? app.opt.max_memory / 8 : QUEUE_BYTES_UNBOUNDED,
		};
		struct pipeline_sink sk = {
			.ud = &app,
			.call = on_call,
			.lapse = on_lapse,
			.orphan = on_orphan,
			.input_end = pipe_input_end,
			.progress = app.progress ? pipe_progress : NULL,
		};
		app.pipe = pipeline_start(&pc, &sk);
	}
	if (app.pipe) {
		pipeline_run(app.pipe);
		pipeline_free(app.pipe);
		app.pipe = NULL;
	} else {
		for (size_t i = 0; i < ninputs; i++) {
			struct input_stats *st = &rep->inputs[i];
			app.progress_path = st->path;
			clock_gettime(CLOCK_MONOTONIC, &app.progress_start);
			bool ok = analyzer_read_file(app.an, app.paths[i], (uint32_t)i, st);
			callstore_end_input(app.store, (uint32_t)i, st->last_ns);
			input_done(&app, (uint32_t)i, ok);
		}
	}
	if (app.read_failed)
		status = EXIT_USAGE;
	analyzer_free(app.an);

	if (app.opt.view) {
		if (app.opt.colour == WHEN_NEVER)
			setenv("NO_COLOR", "1", 1); /* the viewer's one switch for colour */
		char title[256];
		snprintf(title, sizeof title, "%s%s", app.opt.inputs[0], ninputs > 1 ? " ..." : "");
		int vs = view_run(app.views, app.nviews, title, view_save, &app);
		app.views = NULL;
		app.nviews = 0;
		if (vs)
			status = vs;
	} else if (app.opt.ladder) {
		if (app.nviews && ladder_export(&app))
			draw_export(&app);
		if (app.opt.format == FMT_HTML)
			html_ladder_end(rep);
		if (!app.ladders) {
			fprintf(stderr, "sipaudit: error: no call %s%s in the input (numbers are those of the calls table)\n",
				app.ladder_number ? "number " : "with Call-ID ", app.opt.ladder);
			if (status == EXIT_OK)
				status = EXIT_USAGE;
		}
	} else {
		switch (app.opt.format) {
		case FMT_JSON:
			report_sort_findings(rep);
			report_json_end(rep);
			break;
		case FMT_JSONL:
			report_json_end(rep);
			break;
		case FMT_JUNIT:
			report_junit_end(rep);
			break;
		case FMT_MESSAGES:
			break;
		case FMT_HTML:
			report_html_end(rep);
			break;
		default:
			report_text_end(rep);
			break;
		}
	}
	bool export_failed = false;
	if (app.ex && !app.opt.view) {
		fflush(rep->out);
		if (!export_run(app.ex, (const char *const *)app.paths, rep->inputs, ninputs))
			export_failed = true;
		if (app.audio && !audio_finish(app.audio))
			export_failed = true;
	}
	if (status == EXIT_OK && app.opt.fail_on != FAIL_NEVER && !app.opt.view)
		for (int s = app.opt.fail_on; s <= SEV_ERROR; s++)
			if (rep->nsev[s] > rep->nbaselined[s])
				status = EXIT_FINDINGS;

	errno = 0;
	bool werr = rep->err < 0 || ferror(rep->out);
	if (rep->werrno)
		errno = rep->werrno;
	if (fflush(rep->out) != 0)
		werr = true;
	int saved = errno;
	bool to_stderr = rep->out == stderr;
	if (!to_stderr && fclose(rep->out) != 0)
		werr = true;
	if (!saved)
		saved = errno;
	if (rep->out != stdout && fclose(stdout) != 0)
		werr = true;
	if (werr) {
		fprintf(stderr, "sipaudit: error: writing the report to %s: %s\n",
			app.opt.output ? app.opt.output : to_stderr ? "standard error" : "standard output",
			saved ? strerror(saved) : "write error");
		status = EXIT_INTERNAL;
	}
	if (export_failed)
		status = EXIT_INTERNAL;
	if (app.new_baseline) {
		if (!baseline_write(app.new_baseline, app.opt.write_baseline)) {
			fprintf(stderr, "sipaudit: error: --write-baseline %s: %s\n", app.opt.write_baseline, strerror(errno));
			status = EXIT_INTERNAL;
		} else if (!app.opt.quiet) {
			fprintf(stderr, "sipaudit: wrote baseline %s: %zu kinds of findings (input, rule, cause)\n",
				app.opt.write_baseline, baseline_entries(app.new_baseline));
		}
	}
	baseline_free(app.baseline);
	baseline_free(app.new_baseline);
	export_free(app.ex);
	audio_free(app.audio);
	keylog_free(app.keylog);
	for (size_t i = 0; i < ninputs; i++)
		if (app.spools[i]) {
			unlink(app.spools[i]);
			free(app.spools[i]);
		}
	free(app.spools);
	free(app.paths);
	callstore_free(app.store);
	rules_end(&app.opt.rs);
	for (size_t i = 0; i < app.nviews; i++)
		callview_free(app.views[i]);
	free(app.views);
	free(app.cur);
	free(app.finalised.v);
	free(app.passed.v);
	free(app.shown.v);
	for (size_t i = 0; i < app.npending; i++)
		finding_free(app.pending[i]);
	free(app.pending);
	report_text_free(rep);
	report_json_free(rep);
	if (app.opt.ladder)
		html_ladder_free(rep);
	else
		report_html_free(rep);
	for (size_t i = 0; i < rep->nfindings; i++)
		finding_free(rep->findings[i]);
	free(rep->findings);
	for (size_t i = 0; i < ninputs; i++)
		input_stats_release(&rep->inputs[i]);
	free(rep->inputs);
	free(rep->tally);
	kpis_free(rep->kpis);
	free(rep->orphans);
	free(rep->orphans_unlisted);
	options_free(&app.opt);
	inputs_free(&inputs);
	sip_msg_thread_end(); /* this thread's kept index blocks (the serial path, views, what pipeline_free left) */
	return status;
}
