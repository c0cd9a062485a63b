/* options.c - the command line and the configuration file.
 *
 * The configuration file (.sipaudit.conf in the current directory, or
 * --config FILE) holds rule selection, severity overrides and the failure
 * threshold for a project, so a CI job and a person at a terminal judge the
 * same captures the same way. Lines are `key = value`; `#` starts a comment:
 *
 *     fail-on = warning
 *     disable = call-failed, udp-too-large
 *     enable = udp-too-large
 *     severity sdp-nat = error
 *     link-header = X-Corr=id=([0-9a-f]+)
 *
 * The command line is applied after the file, so it wins. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../analyzer/xalloc.h"
#include "options.h"

#ifndef SIPAUDIT_VERSION
#define SIPAUDIT_VERSION "0"
#endif

#define CONFIG_NAME ".sipaudit.conf"

void options_usage(FILE *f, bool view)
{
	if (view) {
		fputs("Usage: sipaudit view [OPTION]... FILE...\n"
		      "Browse the calls of the captures in an interactive ladder (ncurses).\n"
		      "The rule, filter and configuration options of sipaudit apply.\n",
		      f);
		return;
	}
	fputs("Usage: sipaudit [OPTION]... FILE...\n"
	      "       sipaudit view [OPTION]... FILE...\n"
	      "Analyse SIP in packet captures (pcap, pcapng, gzip-compressed; - for stdin):\n"
	      "group messages into calls, diagnose protocol faults, report them.\n"
	      "A FILE that is a directory stands for every capture below it (by content).\n"
	      "\n"
	      "Output:\n"
	      "  -f, --format FMT      text (default), json, jsonl, junit, messages, html\n"
	      "                        (html: one self-contained page: summary, findings,\n"
	      "                        calls table opening each call's ladder; with\n"
	      "                        --ladder, the ladder with raw messages and RTP charts);\n"
	      "                        with --ladder: text (default), html, svg, mermaid\n"
	      "  -o, --output FILE     write the report to FILE instead of standard output\n"
	      "  -l, --ladder CALL     print the ladder of CALL (a Call-ID or its number in\n"
	      "                        the calls table) instead of the report; svg and\n"
	      "                        mermaid draw one call (the lowest-numbered match)\n"
	      "      --no-table        text: leave out the calls table\n"
	      "      --each            text: every finding in full (by default findings of\n"
	      "                        one rule and cause are one block: the first in\n"
	      "                        full, the others one line each)\n"
	      "      --kpis            text: only the KPIs (per input, then by peer host,\n"
	      "                        host pair and agent); JSON has them in summary\n"
	      "      --color WHEN      auto (default: on a terminal, unless NO_COLOR is set),\n"
	      "                        always, never\n"
	      "      --progress WHEN   auto (default: on a terminal unless -q), always, never\n"
	      "  -q, --quiet           no warnings about damaged input on standard error\n"
	      "\n"
	      "Rules and the CI gate:\n"
	      "      --fail-on LEVEL   exit 1 when a finding is at LEVEL or above:\n"
	      "                        error (default), warning, info, never\n"
	      "      --disable RULES   do not run these rules (comma-separated; all)\n"
	      "      --enable RULES    run these rules; --disable and --enable apply in\n"
	      "                        order, after the config file\n"
	      "      --severity RULE=LEVEL  report every finding of RULE at LEVEL\n"
	      "      --pdd-threshold SECONDS  slow-setup: post-dial delay over SECONDS\n"
	      "                        (default 5)\n"
	      "      --baseline FILE   findings FILE holds are reported as baselined and do\n"
	      "                        not fail the run; new ones do\n"
	      "      --write-baseline FILE  write this run's findings to FILE (JSON), to accept\n"
	      "                        them with --baseline\n"
	      "      --list-rules      list the rules (id, severity, summary) and exit\n"
	      "      --config FILE     read FILE instead of ./.sipaudit.conf\n"
	      "      --no-config       read no configuration file\n"
	      "\n"
	      "B2BUA legs (calls linked as one; see also X-Call-ID, Session-ID, ...):\n"
	      "      --link-header NAME[=REGEX]\n"
	      "                        calls set up at the same time whose header NAME\n"
	      "                        is equal (or REGEX's first group in it, else its\n"
	      "                        whole match; POSIX extended) are legs of one\n"
	      "                        call; repeatable, also link-header = in the config\n"
	      "\n"
	      "Sharing calls (the calls the filters and --ladder select):\n"
	      "      --write FILE      write their packets to FILE: every frame that carried\n"
	      "                        their SIP, and their RTP/RTCP, in capture order (pcap;\n"
	      "                        pcapng when link types differ; - for standard output,\n"
	      "                        the report then goes to standard error)\n"
	      "      --split DIR       one capture per call: DIR/NUMBER-CALLID.pcap\n"
	      "      --with-linked     with --write/--split: their linked B2BUA legs too\n"
	      "                        (--split: one file per set of legs)\n"
	      "      --audio DIR       their RTP streams as WAV (G.711, G.722, Opus) and a\n"
	      "                        stereo mix per dialog\n"
	      "\n"
	      "Directories (FILE arguments that are directories, walked recursively):\n"
	      "      --include GLOB    only files whose name or path below the directory\n"
	      "                        matches GLOB (repeatable: any may match)\n"
	      "      --exclude GLOB    not files or directories that match GLOB (repeatable)\n"
	      "\n"
	      "Threads:\n"
	      "  -j, --jobs N          N threads read inputs (default: the number of cores;\n"
	      "                        1: everything on one thread). One input is read on\n"
	      "                        one thread while the calls are judged and reported\n"
	      "                        on another; several inputs are read at once. The\n"
	      "                        report is the same whatever N\n"
	      "\n"
	      "Memory (the calls in progress; the rest of sipaudit holds a few MB):\n"
	      "      --max-memory SIZE  at most SIZE bytes (K, M, G: binary units; default\n"
	      "                        128M; 0: no bound). Calls that are over may hold a\n"
	      "                        quarter while they wait out T4 for retransmissions\n"
	      "                        (beyond, they are closed, and counted); over SIZE,\n"
	      "                        the least recently active calls are finalised early\n"
	      "                        (marked, counted); one call may hold a sixteenth\n"
	      "                        when it rests, a quarter in any case. A\n"
	      "                        later message of such a call starts one that\n"
	      "                        continues it\n"
	      "\n"
	      "TLS (SIP over TLS and secure WebSocket, decrypted when the keys are known):\n"
	      "      --keylog FILE     TLS secrets in NSS key log format (what SSLKEYLOGFILE\n"
	      "                        makes GnuTLS, OpenSSL, browsers write); repeatable.\n"
	      "                        Without it: $SSLKEYLOGFILE, and always the capture's\n"
	      "                        own pcapng decryption secrets blocks\n"
	      "\n"
	      "Filters (each may be repeated or given a comma-separated list; values of one\n"
	      "filter are alternatives, different filters must all match):\n"
	      "      --call-id ID      calls whose Call-ID matches ID (glob: * ? [...])\n"
	      "      --user USER       calls whose From or To user part matches USER (glob)\n"
	      "      --method METHOD   calls with a request of METHOD\n"
	      "      --status CODE     calls with a response CODE (486) or class (4xx)\n"
	      "      --rule RULE       only findings of RULE, and the calls that have them\n"
	      "      --only KIND       only calls of KIND: calls, registrations,\n"
	      "                        subscriptions, messages, options, other\n"
	      "\n"
	      "  -h, --help            this help\n"
	      "  -V, --version         version\n"
	      "\n"
	      "Exit status: 0 no finding at or above the --fail-on level; 1 findings at or\n"
	      "above it; 2 usage error or unreadable input; 3 internal error (including\n"
	      "a report that could not be written).\n"
	      "See sipaudit(1).\n",
	      f);
}

static int usage_error(const char *fmt, const char *arg)
{
	fputs("sipaudit: error: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (try --help)\n", stderr);
	return 2;
}

static void push(char ***v, size_t *n, const char *s, size_t len)
{
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[(*n)++] = xstrndup(s, len);
}

/* Calls fn for each comma-separated item of list (spaces trimmed). */
static int each_item(const char *list, int (*fn)(struct options *, const char *, void *), struct options *o,
		     void *arg)
{
	const char *p = list;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len) {
			char *item = xstrndup(p, len);
			int r = fn(o, item, arg);
			free(item);
			if (r)
				return r;
		}
		if (!e)
			return 0;
		p = e + 1;
	}
}

static int set_rule(struct options *o, const char *id, void *on)
{
	if (strcmp(id, "all") == 0) {
		for (size_t i = 0; i < rule_count; i++)
			o->rs.enabled[i] = on != NULL;
		return 0;
	}
	int i = rule_index(id);
	if (i < 0)
		return usage_error("unknown rule '%s' (see --list-rules)", id);
	o->rs.enabled[i] = on != NULL;
	return 0;
}

static int parse_level(const char *s, bool never_ok)
{
	if (never_ok && strcmp(s, "never") == 0)
		return FAIL_NEVER;
	return severity_parse(s);
}

static int set_severity(struct options *o, const char *spec, void *unused)
{
	(void)unused;
	const char *eq = strchr(spec, '=');
	if (!eq)
		return usage_error("--severity wants RULE=LEVEL, not '%s'", spec);
	char *id = xstrndup(spec, (size_t)(eq - spec));
	int i = rule_index(id);
	int r = 0;
	if (i < 0)
		r = usage_error("unknown rule '%s' (see --list-rules)", id);
	else {
		int lv = parse_level(eq + 1, false);
		if (lv < 0)
			r = usage_error("unknown severity '%s' (error, warning, info)", eq + 1);
		else
			o->rs.severity[i] = lv;
	}
	free(id);
	return r;
}

static int add_call_id(struct options *o, const char *s, void *u)
{
	(void)u;
	push(&o->filter.call_ids, &o->filter.ncall_ids, s, strlen(s));
	return 0;
}

/* A repeatable option's value (the argument itself, not a copy). */
static void push_arg(const char ***list, size_t *n, const char *arg)
{
	*list = xrealloc(*list, (*n + 1) * sizeof **list);
	(*list)[(*n)++] = arg;
}

static int add_link_header(struct options *o, const char *s)
{
	char err[400];
	if (!link_header_check(s, err, sizeof err))
		return usage_error("%s", err);
	o->link_headers = xrealloc(o->link_headers, (o->nlink_headers + 1) * sizeof *o->link_headers);
	o->link_headers[o->nlink_headers++] = xstrdup(s);
	return 0;
}

static int add_user(struct options *o, const char *s, void *u)
{
	(void)u;
	push(&o->filter.users, &o->filter.nusers, s, strlen(s));
	return 0;
}

static int add_method(struct options *o, const char *s, void *u)
{
	(void)u;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '-' || *p == '_' || *p == '.'))
			return usage_error("'%s' is not a SIP method", s);
	push(&o->filter.methods, &o->filter.nmethods, s, strlen(s));
	return 0;
}

static int add_status(struct options *o, const char *s, void *u)
{
	(void)u;
	int lo, hi;
	size_t n = strlen(s);
	if (n == 3 && s[0] >= '1' && s[0] <= '6' && (s[1] == 'x' || s[1] == 'X') && (s[2] == 'x' || s[2] == 'X')) {
		lo = (s[0] - '0') * 100;
		hi = lo + 99;
	} else if (n == 3 && s[0] >= '1' && s[0] <= '6' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9') {
		lo = hi = atoi(s);
	} else
		return usage_error("'%s' is not a status code (486) or class (4xx)", s);
	struct filter *f = &o->filter;
	f->statuses = xrealloc(f->statuses, (f->nstatuses + 1) * sizeof *f->statuses);
	f->statuses[f->nstatuses][0] = lo;
	f->statuses[f->nstatuses][1] = hi;
	f->nstatuses++;
	return 0;
}

static int add_rule_filter(struct options *o, const char *id, void *u)
{
	(void)u;
	int i = rule_index(id);
	if (i < 0)
		return usage_error("unknown rule '%s' (see --list-rules)", id);
	o->filter.rules[i] = true;
	o->filter.any_rule = true;
	return 0;
}

static int add_kind(struct options *o, const char *s, void *u)
{
	(void)u;
	size_t n = strlen(s);
	for (int k = 0; k < KIND_COUNT; k++) {
		const char *name = call_kind_name((enum call_kind)k);
		size_t l = strlen(name);
		/* "call" or "calls"; "other" */
		if (strncasecmp(s, name, l) == 0 && (n == l || (n == l + 1 && (s[l] == 's' || s[l] == 'S')))) {
			o->filter.kinds |= 1u << k;
			return 0;
		}
	}
	return usage_error("unknown kind '%s' (calls, registrations, subscriptions, messages, options, other)", s);
}

static int parse_when(const char *opt, const char *s, enum when *w)
{
	if (strcmp(s, "auto") == 0)
		*w = WHEN_AUTO;
	else if (strcmp(s, "always") == 0 || strcmp(s, "yes") == 0)
		*w = WHEN_ALWAYS;
	else if (strcmp(s, "never") == 0 || strcmp(s, "no") == 0)
		*w = WHEN_NEVER;
	else {
		fprintf(stderr, "sipaudit: error: %s wants auto, always or never, not '%s' (try --help)\n", opt, s);
		return 2;
	}
	return 0;
}

/* "5", "2.5", "8s": seconds (0.1 to 3600) into ns. */
static bool parse_seconds(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno)
		return false;
	if (*end == 's')
		end++;
	if (*end || !(v >= 0.1 && v <= 3600))
		return false;
	*out = (int64_t)(v * 1e9 + 0.5);
	return true;
}

/* ---- configuration file ---- */

static int config_error(const char *path, unsigned line, const char *what)
{
	fprintf(stderr, "sipaudit: error: %s:%u: %s\n", path, line, what);
	return 2;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = 0;
	return s;
}

static int read_config(struct options *o, const char *path, bool must_exist)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		if (!must_exist && errno == ENOENT)
			return 0;
		fprintf(stderr, "sipaudit: error: %s: %s\n", path, strerror(errno));
		return 2;
	}
	char buf[4096];
	unsigned line = 0;
	int r = 0;
	while (!r && fgets(buf, sizeof buf, f)) {
		line++;
		char *hash = strchr(buf, '#');
		if (hash)
			*hash = 0;
		char *s = trim(buf);
		if (!*s)
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			r = config_error(path, line, "expected 'key = value'");
			break;
		}
		*eq = 0;
		char *key = trim(s), *val = trim(eq + 1);
		if (!*val) {
			r = config_error(path, line, "empty value");
		} else if (strcmp(key, "fail-on") == 0) {
			int lv = parse_level(val, true);
			if (lv < 0)
				r = config_error(path, line, "fail-on wants error, warning, info or never");
			else
				o->fail_on = lv;
		} else if (strcmp(key, "link-header") == 0) {
			char err[400];
			if (!link_header_check(val, err, sizeof err))
				r = config_error(path, line, err);
			else
				r = add_link_header(o, val);
		} else if (strcmp(key, "pdd-threshold") == 0) {
			if (!parse_seconds(val, &o->rs.params.pdd_ns))
				r = config_error(path, line, "pdd-threshold wants seconds, 0.1 to 3600");
		} else if (strcmp(key, "disable") == 0) {
			r = each_item(val, set_rule, o, NULL);
		} else if (strcmp(key, "enable") == 0) {
			r = each_item(val, set_rule, o, o);
		} else if (strncmp(key, "severity", 8) == 0 && (key[8] == ' ' || key[8] == '\t' || key[8] == '.')) {
			char *id = trim(key + 9);
			char spec[512];
			snprintf(spec, sizeof spec, "%s=%s", id, val);
			r = set_severity(o, spec, NULL);
		} else {
			char msg[300];
			snprintf(msg, sizeof msg, "unknown key '%.200s' (fail-on, disable, enable, severity RULE, link-header, pdd-threshold)", key);
			r = config_error(path, line, msg);
		}
		if (r)
			fprintf(stderr, "sipaudit: error: in %s, line %u\n", path, line);
	}
	if (!r && ferror(f))
		r = config_error(path, line, strerror(errno));
	fclose(f);
	return r;
}

/* "128M", "1G", "65536", "512KiB": bytes, binary units. */
static bool parse_size(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || errno || *s == '-')
		return false;
	unsigned shift = 0;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: break;
	}
	if (shift && (*end == 'i' || *end == 'I'))
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end || v > (SIZE_MAX >> shift))
		return false;
	*out = (size_t)v << shift;
	return true;
}

/* ---- command line ---- */

enum {
	OPT_NO_TABLE = 256, OPT_EACH, OPT_COLOR, OPT_PROGRESS, OPT_FAIL_ON, OPT_DISABLE, OPT_ENABLE, OPT_SEVERITY,
	OPT_LIST_RULES, OPT_CONFIG, OPT_NO_CONFIG, OPT_CALL_ID, OPT_USER, OPT_METHOD, OPT_STATUS, OPT_RULE,
	OPT_ONLY, OPT_LINK_HEADER, OPT_WRITE, OPT_SPLIT, OPT_WITH_LINKED, OPT_AUDIO, OPT_KEYLOG, OPT_INCLUDE, OPT_EXCLUDE, OPT_BASELINE, OPT_WRITE_BASELINE,
	OPT_MAX_MEMORY, OPT_KPIS, OPT_PDD,
};

static const struct option longopts[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ "ladder", required_argument, NULL, 'l' },
	{ "no-table", no_argument, NULL, OPT_NO_TABLE },
	{ "each", no_argument, NULL, OPT_EACH },
	{ "kpis", no_argument, NULL, OPT_KPIS },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "progress", required_argument, NULL, OPT_PROGRESS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
	{ "disable", required_argument, NULL, OPT_DISABLE },
	{ "enable", required_argument, NULL, OPT_ENABLE },
	{ "severity", required_argument, NULL, OPT_SEVERITY },
	{ "list-rules", no_argument, NULL, OPT_LIST_RULES },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "no-config", no_argument, NULL, OPT_NO_CONFIG },
	{ "call-id", required_argument, NULL, OPT_CALL_ID },
	{ "user", required_argument, NULL, OPT_USER },
	{ "method", required_argument, NULL, OPT_METHOD },
	{ "status", required_argument, NULL, OPT_STATUS },
	{ "rule", required_argument, NULL, OPT_RULE },
	{ "only", required_argument, NULL, OPT_ONLY },
	{ "link-header", required_argument, NULL, OPT_LINK_HEADER },
	{ "write", required_argument, NULL, OPT_WRITE },
	{ "split", required_argument, NULL, OPT_SPLIT },
	{ "with-linked", no_argument, NULL, OPT_WITH_LINKED },
	{ "audio", required_argument, NULL, OPT_AUDIO },
	{ "keylog", required_argument, NULL, OPT_KEYLOG },
	{ "include", required_argument, NULL, OPT_INCLUDE },
	{ "baseline", required_argument, NULL, OPT_BASELINE },
	{ "write-baseline", required_argument, NULL, OPT_WRITE_BASELINE },
	{ "exclude", required_argument, NULL, OPT_EXCLUDE },
	{ "max-memory", required_argument, NULL, OPT_MAX_MEMORY },
	{ "jobs", required_argument, NULL, 'j' },
	{ "pdd-threshold", required_argument, NULL, OPT_PDD },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};
static const char shortopts[] = "+f:o:l:j:qhV";

int options_parse(struct options *o, int argc, char **argv)
{
	memset(o, 0, sizeof *o);
	o->format = FMT_TEXT;
	o->max_memory = DEFAULT_MAX_MEMORY;
	o->table = true;
	o->fail_on = SEV_ERROR;
	ruleset_default(&o->rs);

	int first = 1;
	if (argc > 1 && strcmp(argv[1], "view") == 0) {
		o->view = true;
		first = 2;
	}
	int ac = argc - first + 1;
	char **av = argv + first - 1;

	/* First pass: only where the configuration comes from, so the
	 * command line can then override it. */
	const char *config = NULL;
	bool no_config = false;
	opterr = 0;
	optind = 1;
	int c;
	while ((c = getopt_long(ac, av, shortopts, longopts, NULL)) != -1) {
		if (c == OPT_CONFIG)
			config = optarg, no_config = false;
		else if (c == OPT_NO_CONFIG)
			no_config = true, config = NULL;
	}
	if (!no_config) {
		int r = read_config(o, config ? config : CONFIG_NAME, config != NULL);
		if (r)
			return r;
	}

	opterr = 1;
	optind = 1;
	int r = 0;
	while (!r && (c = getopt_long(ac, av, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "json") == 0)
				o->format = FMT_JSON;
			else if (strcmp(optarg, "jsonl") == 0)
				o->format = FMT_JSONL;
			else if (strcmp(optarg, "junit") == 0)
				o->format = FMT_JUNIT;
			else if (strcmp(optarg, "text") == 0)
				o->format = FMT_TEXT;
			else if (strcmp(optarg, "messages") == 0)
				o->format = FMT_MESSAGES;
			else if (strcmp(optarg, "html") == 0)
				o->format = FMT_HTML;
			else if (strcmp(optarg, "svg") == 0)
				o->format = FMT_SVG;
			else if (strcmp(optarg, "mermaid") == 0)
				o->format = FMT_MERMAID;
			else
				r = usage_error("unknown format '%s' (text, json, jsonl, junit, messages, html; svg, mermaid with --ladder)",
						optarg);
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'l':
			o->ladder = optarg;
			break;
		case OPT_NO_TABLE:
			o->table = false;
			break;
		case OPT_EACH:
			o->each = true;
			break;
		case OPT_KPIS:
			o->kpis_only = true;
			break;
		case OPT_COLOR:
			r = parse_when("--color", optarg, &o->colour);
			break;
		case OPT_PROGRESS:
			r = parse_when("--progress", optarg, &o->progress);
			break;
		case 'q':
			o->quiet = true;
			break;
		case OPT_FAIL_ON: {
			int lv = parse_level(optarg, true);
			if (lv < 0)
				r = usage_error("--fail-on wants error, warning, info or never, not '%s'", optarg);
			else
				o->fail_on = lv;
			break;
		}
		case OPT_DISABLE:
			r = each_item(optarg, set_rule, o, NULL);
			break;
		case OPT_ENABLE:
			r = each_item(optarg, set_rule, o, o);
			break;
		case OPT_SEVERITY:
			r = each_item(optarg, set_severity, o, NULL);
			break;
		case OPT_LIST_RULES:
			o->list_rules = true;
			break;
		case OPT_CONFIG:
		case OPT_NO_CONFIG:
			break;
		case OPT_CALL_ID:
			r = each_item(optarg, add_call_id, o, NULL);
			break;
		case OPT_USER:
			r = each_item(optarg, add_user, o, NULL);
			break;
		case OPT_METHOD:
			r = each_item(optarg, add_method, o, NULL);
			break;
		case OPT_STATUS:
			r = each_item(optarg, add_status, o, NULL);
			break;
		case OPT_RULE:
			r = each_item(optarg, add_rule_filter, o, NULL);
			break;
		case OPT_ONLY:
			r = each_item(optarg, add_kind, o, NULL);
			break;
		case OPT_LINK_HEADER:
			r = add_link_header(o, optarg);
			break;
		case OPT_WRITE:
			o->write = optarg;
			break;
		case OPT_SPLIT:
			o->split = optarg;
			break;
		case OPT_WITH_LINKED:
			o->with_linked = true;
			break;
		case OPT_AUDIO:
			o->audio = optarg;
			break;
		case OPT_KEYLOG:
			push_arg(&o->keylogs, &o->nkeylogs, optarg);
			break;
		case OPT_BASELINE:
			o->baseline = optarg;
			break;
		case OPT_WRITE_BASELINE:
			o->write_baseline = optarg;
			break;
		case OPT_INCLUDE:
			push_arg(&o->includes, &o->nincludes, optarg);
			break;
		case OPT_EXCLUDE:
			push_arg(&o->excludes, &o->nexcludes, optarg);
			break;
		case OPT_PDD:
			if (!parse_seconds(optarg, &o->rs.params.pdd_ns))
				r = usage_error("--pdd-threshold: '%s' is not a number of seconds from 0.1 to 3600", optarg);
			break;
		case OPT_MAX_MEMORY:
			if (!parse_size(optarg, &o->max_memory))
				r = usage_error("--max-memory: '%s' is not a size (a number, then K, M or G)", optarg);
			break;
		case 'j': {
			char *end;
			errno = 0;
			unsigned long n = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || n < 1 || n > 256 || optarg[0] == '-')
				r = usage_error("--jobs: '%s' is not a number of threads from 1 to 256", optarg);
			else
				o->jobs = (unsigned)n;
			break;
		}
		case 'h':
			options_usage(stdout, o->view);
			return -1;
		case 'V':
			printf("sipaudit %s\n", SIPAUDIT_VERSION);
			return -1;
		default:
			options_usage(stderr, o->view);
			return 2;
		}
	}
	if (r)
		return r;
	if (o->list_rules)
		return 0;
	o->inputs = av + optind;
	o->ninputs = (size_t)(ac - optind);
	if (!o->ninputs)
		return usage_error("%s", "no input file");
	if (o->format == FMT_MESSAGES &&
	    (filter_calls_active(&o->filter) || o->filter.any_rule || o->ladder))
		return usage_error("%s", "--format messages lists every message; filters and --ladder work on calls");
	if ((o->format == FMT_SVG || o->format == FMT_MERMAID) && !o->ladder && !o->view)
		return usage_error("--format %s draws the ladder of one call: give it --ladder CALL",
				   o->format == FMT_SVG ? "svg" : "mermaid");
	if (o->ladder && o->format != FMT_TEXT && o->format != FMT_HTML && o->format != FMT_SVG && o->format != FMT_MERMAID)
		return usage_error("%s", "--ladder draws text, html, svg or mermaid; it cannot be combined with another --format");
	if (o->kpis_only && (o->format != FMT_TEXT || o->ladder || o->view))
		return usage_error("%s", "--kpis prints the KPIs as text; the JSON report has them in summary.kpis, with --ladder and view there is no report");
	if (o->view && (o->format != FMT_TEXT || o->ladder || o->output))
		return usage_error("%s", "view is interactive: --format, --ladder and --output do not apply");
	if (o->view && (o->write || o->split || o->audio))
		return usage_error("%s", "view saves a call with the w key; --write, --split and --audio do not apply");
	if (o->format == FMT_MESSAGES && (o->write || o->split || o->audio))
		return usage_error("%s", "--format messages lists messages; --write, --split and --audio work on calls");
	if (o->write && o->split)
		return usage_error("%s", "--write makes one file, --split one per call: choose one");
	if (o->with_linked && !o->write && !o->split)
		return usage_error("%s", "--with-linked goes with --write or --split");
	for (size_t i = 0; i < o->ninputs; i++)
		if (strcmp(o->inputs[i], "-") != 0 &&
		    ((o->write && strcmp(o->write, o->inputs[i]) == 0) || (o->output && strcmp(o->output, o->inputs[i]) == 0)))
			return usage_error("'%s' is an input: it would be overwritten", o->inputs[i]);
	return 0;
}

void options_free(struct options *o)
{
	struct filter *f = &o->filter;
	for (size_t i = 0; i < f->ncall_ids; i++)
		free(f->call_ids[i]);
	for (size_t i = 0; i < f->nusers; i++)
		free(f->users[i]);
	for (size_t i = 0; i < f->nmethods; i++)
		free(f->methods[i]);
	free(f->call_ids);
	free(f->users);
	free(f->methods);
	free(f->statuses);
	for (size_t i = 0; i < o->nlink_headers; i++)
		free(o->link_headers[i]);
	free(o->link_headers);
	free(o->keylogs);
	free(o->includes);
	free(o->excludes);
}
