/* baseline.c - accepted findings (see baseline.h), read and written with
 * jansson; looked up by a hash of (input, rule, cause). */
#include "baseline.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../analyzer/xalloc.h"

#define BASELINE_SCHEMA "sipaudit.baseline/1"
#define CALL_IDS_MAX 20 /* Call-IDs written per entry, for people */

struct entry {
	char *input, *rule, *cause;
	uint64_t count, left;
	char **call_ids;
	size_t ncall_ids;
	uint32_t hash, next; /* chain: index + 1 */
};

struct baseline {
	struct entry *e;
	size_t n, cap;
	uint32_t *bucket; /* index + 1 */
	size_t nbuckets;
};

static uint32_t hash3(const char *a, const char *b, const char *c)
{
	uint32_t h = 2166136261u;
	for (const char *s[3] = { a, b, c }, **p = s; p < s + 3; p++) {
		for (const char *q = *p; *q; q++)
			h = (h ^ (uint8_t)*q) * 16777619u;
		h = (h ^ 0xff) * 16777619u;
	}
	return h;
}

static const char *cause_of(const struct finding *f)
{
	return f->group ? f->group : f->summary ? f->summary : "";
}

struct baseline *baseline_new(void)
{
	struct baseline *b = xcalloc(1, sizeof *b);
	b->nbuckets = 256;
	b->bucket = xcalloc(b->nbuckets, sizeof *b->bucket);
	return b;
}

static struct entry *find(const struct baseline *b, const char *input, const char *rule, const char *cause, uint32_t h)
{
	for (uint32_t i = b->bucket[h & (b->nbuckets - 1)]; i; i = b->e[i - 1].next) {
		struct entry *e = &b->e[i - 1];
		if (e->hash == h && strcmp(e->input, input) == 0 && strcmp(e->rule, rule) == 0 && strcmp(e->cause, cause) == 0)
			return e;
	}
	return NULL;
}

static struct entry *add(struct baseline *b, const char *input, const char *rule, const char *cause, uint32_t h)
{
	if (b->n * 2 >= b->nbuckets) {
		b->nbuckets *= 2;
		free(b->bucket);
		b->bucket = xcalloc(b->nbuckets, sizeof *b->bucket);
		for (size_t i = 0; i < b->n; i++) {
			size_t k = b->e[i].hash & (b->nbuckets - 1);
			b->e[i].next = b->bucket[k];
			b->bucket[k] = (uint32_t)i + 1;
		}
	}
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->e = xrealloc(b->e, b->cap * sizeof *b->e);
	}
	struct entry *e = &b->e[b->n];
	memset(e, 0, sizeof *e);
	e->input = xstrdup(input);
	e->rule = xstrdup(rule);
	e->cause = xstrdup(cause);
	e->hash = h;
	size_t k = h & (b->nbuckets - 1);
	e->next = b->bucket[k];
	b->bucket[k] = (uint32_t)++b->n;
	return e;
}

static const char *str_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The baseline in a parsed document (taken over), path for messages. */
static struct baseline *from_json(json_t *root, const char *path, char *err, size_t errsize)
{
	const char *schema = str_of(root, "schema");
	json_t *list = json_object_get(root, "findings");
	if (!schema || strcmp(schema, BASELINE_SCHEMA) != 0 || !json_is_array(list)) {
		snprintf(err, errsize, "%s: not a sipaudit baseline (\"schema\": \"%s\" and a \"findings\" array wanted)", path,
			 BASELINE_SCHEMA);
		json_decref(root);
		return NULL;
	}
	struct baseline *b = baseline_new();
	size_t i;
	json_t *x;
	json_array_foreach(list, i, x) {
		const char *in = str_of(x, "input"), *rule = str_of(x, "rule"), *cause = str_of(x, "cause");
		json_t *cnt = json_object_get(x, "count");
		if (!in || !rule || !cause || !json_is_integer(cnt) || json_integer_value(cnt) < 1) {
			snprintf(err, errsize, "%s: findings[%zu]: \"input\", \"rule\", \"cause\" (strings) and \"count\" (1 or more) wanted",
				 path, i);
			baseline_free(b);
			json_decref(root);
			return NULL;
		}
		uint32_t h = hash3(in, rule, cause);
		struct entry *e = find(b, in, rule, cause, h);
		if (!e)
			e = add(b, in, rule, cause, h);
		json_int_t c = json_integer_value(cnt);
		e->count = (uint64_t)c > UINT64_MAX - e->count ? UINT64_MAX : e->count + (uint64_t)c;
		e->left = e->count;
	}
	json_decref(root);
	return b;
}

struct baseline *baseline_load(const char *path, char *err, size_t errsize)
{
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	if (!root) {
		if (je.line < 1)
			snprintf(err, errsize, "%s: %s", path, je.text);
		else
			snprintf(err, errsize, "%s:%d: not JSON: %s", path, je.line, je.text);
		return NULL;
	}
	return from_json(root, path, err, errsize);
}

struct baseline *baseline_parse(const char *text, size_t len, const char *name, char *err, size_t errsize)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, 0, &je);
	if (!root) {
		snprintf(err, errsize, "%s:%d: not JSON: %s", name, je.line, je.text);
		return NULL;
	}
	return from_json(root, name, err, errsize);
}

bool baseline_match(struct baseline *b, const char *input, const struct finding *f)
{
	const char *cause = cause_of(f);
	struct entry *e = find(b, input, f->rule, cause, hash3(input, f->rule, cause));
	if (!e || !e->left)
		return false;
	e->left--;
	return true;
}

void baseline_add(struct baseline *b, const char *input, const struct finding *f)
{
	const char *cause = cause_of(f);
	uint32_t h = hash3(input, f->rule, cause);
	struct entry *e = find(b, input, f->rule, cause, h);
	if (!e)
		e = add(b, input, f->rule, cause, h);
	e->count++;
	if (f->call_id && e->ncall_ids < CALL_IDS_MAX) {
		e->call_ids = xrealloc(e->call_ids, (e->ncall_ids + 1) * sizeof *e->call_ids);
		e->call_ids[e->ncall_ids++] = xstrdup(f->call_id);
	}
}

static int by_key(const void *a, const void *b)
{
	const struct entry *x = *(const struct entry *const *)a, *y = *(const struct entry *const *)b;
	int c = strcmp(x->input, y->input);
	if (!c)
		c = strcmp(x->rule, y->rule);
	return c ? c : strcmp(x->cause, y->cause);
}

bool baseline_write(const struct baseline *b, const char *path)
{
	const struct entry **v = xmalloc((b->n ? b->n : 1) * sizeof *v);
	for (size_t i = 0; i < b->n; i++)
		v[i] = &b->e[i];
	qsort(v, b->n, sizeof *v, by_key);
	json_t *root = json_object(), *list = json_array();
	json_object_set_new(root, "schema", json_string(BASELINE_SCHEMA));
	for (size_t i = 0; i < b->n; i++) {
		json_t *x = json_object();
		json_object_set_new(x, "input", json_string(v[i]->input));
		json_object_set_new(x, "rule", json_string(v[i]->rule));
		json_object_set_new(x, "cause", json_string(v[i]->cause));
		json_object_set_new(x, "count", json_integer((json_int_t)v[i]->count));
		json_t *ids = json_array();
		for (size_t k = 0; k < v[i]->ncall_ids; k++)
			json_array_append_new(ids, json_string(v[i]->call_ids[k]));
		json_object_set_new(x, "call_ids", ids);
		json_array_append_new(list, x);
	}
	json_object_set_new(root, "findings", list);
	free(v);
	errno = 0;
	int rc = json_dump_file(root, path, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	json_decref(root);
	if (rc != 0 && !errno)
		errno = EIO;
	return rc == 0;
}

size_t baseline_entries(const struct baseline *b)
{
	return b->n;
}

void baseline_free(struct baseline *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++) {
		free(b->e[i].input);
		free(b->e[i].rule);
		free(b->e[i].cause);
		for (size_t k = 0; k < b->e[i].ncall_ids; k++)
			free(b->e[i].call_ids[k]);
		free(b->e[i].call_ids);
	}
	free(b->e);
	free(b->bucket);
	free(b);
}
