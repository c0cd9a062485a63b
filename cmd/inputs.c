/* inputs.c - FILE arguments that are directories: every capture below them,
 * for CI jobs that check what a test lab produced. Files are taken by what
 * they hold, not their names: pcap (every magic), pcapng, gzip holding
 * either, and the capture formats sipaudit names and refuses (so a capture
 * it cannot read still fails the run). Everything else (notes, key logs,
 * gzip of other things) is skipped and counted. Order: by path, each
 * directory's entries sorted, so a run is the same on every machine. */
#include "inputs.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "../analyzer/capture/capformat.h"
#include "../analyzer/xalloc.h"

#define DIR_DEPTH_MAX 64

struct walk {
	struct input_list *l;
	const struct options *o;
	const char *root;
	uint64_t skipped;
	char *first_skipped;
	uint64_t dev_ino[DIR_DEPTH_MAX][2]; /* the directories being walked: no loop through a link */
	int depth;
};

static void push(struct input_list *l, char *path)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->paths = xrealloc(l->paths, l->cap * sizeof *l->paths);
		l->owned = xrealloc(l->owned, l->cap * sizeof *l->owned);
	}
	l->owned[l->n] = true;
	l->paths[l->n++] = path;
}

/* Something sipaudit reads, or a format it names and refuses. */
static bool capture_magic(const uint8_t *p, size_t n)
{
	enum capfmt_kind k;
	return capfmt_magic(p, n) != CAPFMT_OTHER || capfmt_identify(p, n, &k) != NULL;
}

/* Does the file hold a capture (maybe gzipped)? */
static bool is_capture(const char *path)
{
	uint8_t b[128];
	FILE *f = fopen(path, "rb");
	if (!f)
		return true; /* let the reader say why it cannot be opened */
	size_t n = fread(b, 1, sizeof b, f);
	fclose(f);
	if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
		gzFile g = gzopen(path, "rb");
		if (!g)
			return true;
		int k = gzread(g, b, sizeof b);
		gzclose(g);
		return k > 0 && capture_magic(b, (size_t)k);
	}
	return capture_magic(b, n);
}

static bool matches(const char *const *globs, size_t n, const char *rel, const char *base)
{
	for (size_t i = 0; i < n; i++)
		if (fnmatch(globs[i], rel, 0) == 0 || fnmatch(globs[i], base, 0) == 0)
			return true;
	return false;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk_dir(struct walk *w, const char *dir, FILE *err)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(err, "sipaudit: warning: %s: %s\n", dir, strerror(errno));
		w->l->unreadable++;
		return;
	}
	char **names = NULL;
	size_t nn = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (nn == cap) {
			cap = cap ? cap * 2 : 32;
			names = xrealloc(names, cap * sizeof *names);
		}
		names[nn++] = xstrdup(e->d_name);
	}
	closedir(d);
	qsort(names, nn, sizeof *names, by_name);
	size_t rootlen = strlen(w->root);
	for (size_t i = 0; i < nn; i++) {
		size_t len = strlen(dir) + 1 + strlen(names[i]) + 1;
		char *path = xmalloc(len);
		snprintf(path, len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", names[i]);
		const char *rel = path + rootlen;
		while (*rel == '/')
			rel++;
		struct stat sb;
		if (stat(path, &sb) != 0) {
			fprintf(err, "sipaudit: warning: %s: %s\n", path, strerror(errno));
			w->l->unreadable++;
			free(path);
		} else if (S_ISDIR(sb.st_mode)) {
			bool loop = w->depth >= DIR_DEPTH_MAX;
			for (int k = 0; k < w->depth && !loop; k++)
				loop = w->dev_ino[k][0] == (uint64_t)sb.st_dev && w->dev_ino[k][1] == (uint64_t)sb.st_ino;
			if (loop || (w->o->nexcludes && matches((const char *const *)w->o->excludes, w->o->nexcludes, rel, names[i]))) {
				free(path);
			} else {
				w->dev_ino[w->depth][0] = (uint64_t)sb.st_dev;
				w->dev_ino[w->depth][1] = (uint64_t)sb.st_ino;
				w->depth++;
				walk_dir(w, path, err);
				w->depth--;
				free(path);
			}
		} else if (!S_ISREG(sb.st_mode) ||
			   (w->o->nincludes && !matches((const char *const *)w->o->includes, w->o->nincludes, rel, names[i])) ||
			   (w->o->nexcludes && matches((const char *const *)w->o->excludes, w->o->nexcludes, rel, names[i]))) {
			free(path);
		} else if (!is_capture(path)) {
			if (!w->skipped++)
				w->first_skipped = xstrdup(rel);
			free(path);
		} else {
			push(w->l, path);
		}
		free(names[i]);
	}
	free(names);
}

bool inputs_expand(const struct options *o, struct input_list *l, FILE *err)
{
	memset(l, 0, sizeof *l);
	for (size_t i = 0; i < o->ninputs; i++) {
		const char *a = o->inputs[i];
		struct stat sb;
		if (strcmp(a, "-") == 0 || stat(a, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			push(l, (char *)a);
			l->owned[l->n - 1] = false;
			continue;
		}
		struct walk w = { .l = l, .o = o, .root = a };
		w.dev_ino[0][0] = (uint64_t)sb.st_dev;
		w.dev_ino[0][1] = (uint64_t)sb.st_ino;
		w.depth = 1;
		size_t before = l->n;
		walk_dir(&w, a, err);
		l->dirs++;
		if (w.skipped && !o->quiet)
			fprintf(err, "sipaudit: warning: %s: %llu file%s skipped, not captures (pcap, pcapng, gzip): %s%s\n", a,
				(unsigned long long)w.skipped, w.skipped == 1 ? "" : "s", w.first_skipped,
				w.skipped > 1 ? ", ..." : "");
		free(w.first_skipped);
		l->skipped += w.skipped;
		if (l->n == before) {
			fprintf(err, "sipaudit: error: %s: no capture in this directory%s\n", a,
				o->nincludes || o->nexcludes ? " (after --include/--exclude)" : "");
			l->empty_dirs++;
		}
	}
	return l->n > 0;
}

void inputs_free(struct input_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->owned[i])
			free(l->paths[i]);
	free(l->paths);
	free(l->owned);
	memset(l, 0, sizeof *l);
}
