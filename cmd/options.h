/* options.h - what the user asked for: command line and .sipaudit.conf. */
#ifndef SIPAUDIT_OPTIONS_H
#define SIPAUDIT_OPTIONS_H

#define DEFAULT_MAX_MEMORY ((size_t)128 << 20) /* --max-memory */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../analyzer/model/model.h"
#include "../rules/rule.h"

enum format { FMT_TEXT, FMT_JSON, FMT_JSONL, FMT_JUNIT, FMT_MESSAGES, FMT_HTML,
	      FMT_SVG, FMT_MERMAID /* --ladder only */ };
enum when { WHEN_AUTO, WHEN_ALWAYS, WHEN_NEVER };

#define FAIL_NEVER 3 /* above every severity */

/* Which calls and findings are reported. Empty lists select everything;
 * the lists are ANDed together, the values within a list ORed. */
struct filter {
	char **call_ids;   /* glob patterns (fnmatch) on the Call-ID */
	size_t ncall_ids;
	char **users;      /* glob patterns on the user part of From or To */
	size_t nusers;
	char **methods;    /* a request of this method in the call */
	size_t nmethods;
	int (*statuses)[2]; /* [lo, hi]: a response with a status in range */
	size_t nstatuses;
	bool rules[64];    /* findings of these rules only (by registry index) */
	bool any_rule;
	unsigned kinds;    /* bit per enum call_kind; 0 = all */
};

struct options {
	enum format format;
	bool view;          /* `sipaudit view`: the interactive ladder */
	bool quiet;
	const char *output; /* NULL: stdout */
	const char *ladder; /* --ladder CALL: a Call-ID or a call number */
	enum when colour, progress;
	bool table;         /* the calls table in the text report */
	bool each;          /* --each: every finding in full, not grouped */
	bool kpis_only;     /* --kpis: text: only the KPIs */
	int fail_on;        /* severity, or FAIL_NEVER */
	bool list_rules;
	struct ruleset rs;
	struct filter filter;
	/* Sharing calls (export.c, audio.c) */
	const char *write;      /* --write FILE: the selected calls' packets ("-": stdout) */
	const char *split;      /* --split DIR: one capture file per call */
	bool with_linked;       /* --with-linked: B2BUA legs go with the call */
	const char *audio;      /* --audio DIR: RTP streams as WAV */
	size_t max_memory;      /* --max-memory: bound on the calls in progress, 0 none */
	unsigned jobs;          /* -j: threads reading inputs, 0 the number of cores */
	const char **keylogs;   /* --keylog FILE..., NULL: $SSLKEYLOGFILE */
	size_t nkeylogs;
	const char *baseline, *write_baseline; /* --baseline, --write-baseline FILE */
	const char **includes, **excludes; /* --include/--exclude GLOB: files found in directories */
	size_t nincludes, nexcludes;
	char **link_headers; /* --link-header / link-header = specs, in order */
	size_t nlink_headers;
	char **inputs;
	size_t ninputs;
};

/* Parses the configuration file (./.sipaudit.conf unless --config or
 * --no-config says otherwise) and then the command line over it.
 * Returns 0 to go on, -1 when done (--help, --version printed), or an
 * exit status (2) after printing the problem on stderr. */
int options_parse(struct options *o, int argc, char **argv);
void options_free(struct options *o);
void options_usage(FILE *f, bool view);

/* filter.c: does call c pass the call filters (all but --rule)? */
bool filter_call(const struct filter *f, const struct call *c);
/* Does a finding of rule pass --rule? */
bool filter_finding(const struct filter *f, const struct finding *x);
/* Is any call filter given (all but --rule)? */
bool filter_calls_active(const struct filter *f);

#endif
