/* main.c - the sipaudit command line: options, inputs, exit statuses. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../analyzer/analyzer.h"
#include "../analyzer/model.h"
#include "../analyzer/xalloc.h"
#include "report.h"

#ifndef SIPAUDIT_VERSION
#define SIPAUDIT_VERSION "0"
#endif

enum exit_code {
	EXIT_OK = 0,
	EXIT_FINDINGS = 1,
	EXIT_USAGE = 2, /* usage error or unreadable input */
	EXIT_INTERNAL = 3,
};

enum format { FMT_TEXT, FMT_JSON, FMT_MESSAGES };

struct options {
	enum format format;
	bool quiet;
};

static void usage(FILE *f)
{
	fputs("Usage: sipaudit [OPTION]... FILE...\n"
	      "Analyse SIP in packet captures (pcap, pcapng, gzip-compressed; - for stdin).\n"
	      "\n"
	      "  -f, --format FMT   text (default), json, messages\n"
	      "  -q, --quiet        no error lines on stderr for damaged input\n"
	      "  -h, --help         this help\n"
	      "  -V, --version      version\n"
	      "\n"
	      "Exit status: 0 success, 2 usage error or unreadable input, 3 internal error.\n",
	      f);
}

struct app {
	struct options opt;
	struct ruleset rs;
	struct report rep;
	struct callstore *store;
};

static void on_finding(void *ud, struct finding *f)
{
	struct report *r = &((struct app *)ud)->rep;
	if (r->nfindings == r->findings_cap) {
		r->findings_cap = r->findings_cap ? r->findings_cap * 2 : 64;
		r->findings = xrealloc(r->findings, r->findings_cap * sizeof *r->findings);
	}
	r->findings[r->nfindings++] = f;
}

/* A call is final: run the rules, tally it, render it. */
static void on_call(void *ud, struct call *c)
{
	struct app *a = ud;
	size_t before = a->rep.nfindings;
	rules_run_call(&a->rs, c, on_finding, a);
	c->findings = (uint32_t)(a->rep.nfindings - before);
	struct input_tally *t = &a->rep.tally[c->input];
	t->calls++;
	t->by_kind[c->kind]++;
	t->by_state[c->state]++;
	if (a->opt.format == FMT_JSON)
		report_json_call(&a->rep, c);
}

static void on_lapse(void *ud, const struct binding *b, uint32_t input, uint64_t late_frame, int64_t late_ns)
{
	struct app *a = ud;
	rules_run_binding(&a->rs, b, input, late_frame, late_ns, on_finding, a);
}

static void on_message(void *ud, struct sip_msg *m)
{
	struct app *a = ud;
	if (a->opt.format == FMT_MESSAGES) {
		report_messages_msg(&a->rep, m);
		sip_msg_free(m);
		return;
	}
	callstore_add(a->store, m);
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "f:qhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "json") == 0)
				o->format = FMT_JSON;
			else if (strcmp(optarg, "text") == 0)
				o->format = FMT_TEXT;
			else if (strcmp(optarg, "messages") == 0)
				o->format = FMT_MESSAGES;
			else {
				fprintf(stderr, "sipaudit: error: unknown format '%s' (text, json, messages)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(stdout);
			return -1;
		case 'V':
			printf("sipaudit %s\n", SIPAUDIT_VERSION);
			return -1;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "sipaudit: error: no input file (try --help)\n");
		return EXIT_USAGE;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct app app = { .opt = { .format = FMT_TEXT } };
	int r = parse_args(argc, argv, &app.opt);
	if (r)
		return r < 0 ? (fclose(stdout) == 0 ? EXIT_OK : EXIT_INTERNAL) : r;

	ruleset_default(&app.rs);
	size_t ninputs = (size_t)(argc - optind);
	struct report *rep = &app.rep;
	rep->out = stdout;
	rep->ninputs = ninputs;
	rep->inputs = xcalloc(ninputs, sizeof *rep->inputs);
	rep->tally = xcalloc(ninputs, sizeof *rep->tally);
	app.store = callstore_new(on_call, on_lapse, &app);
	struct analyzer *an = analyzer_new(on_message, &app);
	if (app.opt.format == FMT_JSON)
		report_json_begin(rep);
	int status = EXIT_OK;
	for (size_t i = 0; i < ninputs; i++) {
		struct input_stats *st = &rep->inputs[i];
		st->path = argv[optind + (int)i];
		bool ok = analyzer_read_file(an, st->path, (uint32_t)i, st);
		callstore_end_input(app.store, (uint32_t)i, st->last_ns);
		if (!ok)
			status = EXIT_USAGE;
		if (st->fatal)
			fprintf(stderr, "sipaudit: error: %s: %s\n", st->path, st->fatal);
		if (!app.opt.quiet) {
			for (unsigned k = 0; k < st->nerrors; k++)
				fprintf(stderr, "sipaudit: warning: %s: %s\n", st->path, st->errors[k]);
			if (st->errors_dropped)
				fprintf(stderr, "sipaudit: warning: %s: %llu more problems not listed\n", st->path,
					(unsigned long long)st->errors_dropped);
		}
	}
	analyzer_free(an);

	switch (app.opt.format) {
	case FMT_JSON:
		report_sort_findings(rep);
		report_json_end(rep);
		break;
	case FMT_MESSAGES:
		break;
	default:
		report_text_end(rep);
		break;
	}
	if (rep->err < 0 || ferror(stdout) || fflush(stdout) != 0 || fclose(stdout) != 0) {
		fprintf(stderr, "sipaudit: error: writing the report: %s\n", errno ? strerror(errno) : "write error");
		status = EXIT_INTERNAL;
	}
	callstore_free(app.store);
	for (size_t i = 0; i < rep->nfindings; i++)
		finding_free(rep->findings[i]);
	free(rep->findings);
	for (size_t i = 0; i < ninputs; i++)
		input_stats_release(&rep->inputs[i]);
	free(rep->inputs);
	free(rep->tally);
	return status;
}
