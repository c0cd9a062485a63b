/* main.c - the sipaudit command line: options, inputs, exit statuses. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../analyzer/analyzer.h"
#include "../analyzer/calls.h"
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

static void collect(void *ud, struct sip_msg *m)
{
	callstore_add(ud, m);
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
	struct options opt = { .format = FMT_TEXT };
	int r = parse_args(argc, argv, &opt);
	if (r)
		return r < 0 ? (fclose(stdout) == 0 ? EXIT_OK : EXIT_INTERNAL) : r;

	size_t ninputs = (size_t)(argc - optind);
	struct input_stats *inputs = xcalloc(ninputs, sizeof *inputs);
	struct callstore cs;
	callstore_init(&cs);
	struct analyzer *an = analyzer_new(collect, &cs);
	int status = EXIT_OK;
	for (size_t i = 0; i < ninputs; i++) {
		struct input_stats *st = &inputs[i];
		st->path = argv[optind + (int)i];
		bool ok = analyzer_read_file(an, st->path, (uint32_t)i, st);
		if (!ok)
			status = EXIT_USAGE;
		if (st->fatal)
			fprintf(stderr, "sipaudit: error: %s: %s\n", st->path, st->fatal);
		if (!opt.quiet) {
			for (unsigned k = 0; k < st->nerrors; k++)
				fprintf(stderr, "sipaudit: warning: %s: %s\n", st->path, st->errors[k]);
			if (st->errors_dropped)
				fprintf(stderr, "sipaudit: warning: %s: %llu more problems not listed\n", st->path,
					(unsigned long long)st->errors_dropped);
		}
	}
	analyzer_free(an);

	struct report rep = { inputs, ninputs, &cs };
	int w;
	switch (opt.format) {
	case FMT_JSON:
		w = report_json(stdout, &rep);
		break;
	case FMT_MESSAGES:
		w = report_messages(stdout, &rep);
		break;
	default:
		w = report_text(stdout, &rep);
		break;
	}
	if (w < 0 || ferror(stdout) || fflush(stdout) != 0 || fclose(stdout) != 0) {
		fprintf(stderr, "sipaudit: error: writing the report: %s\n", errno ? strerror(errno) : "write error");
		status = EXIT_INTERNAL;
	}
	callstore_release(&cs);
	for (size_t i = 0; i < ninputs; i++)
		input_stats_release(&inputs[i]);
	free(inputs);
	return status;
}
