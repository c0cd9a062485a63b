/* baseline.h - accepted findings, the way linters let a team adopt a gate
 * on an existing corpus: --write-baseline FILE records the findings of a
 * run; --baseline FILE marks the findings it holds as "baselined": they are
 * reported, and do not fail the run; new ones do.
 *
 * A finding is known by its input (the FILE argument as given), its rule
 * and its cause (the finding's group: "486 Busy Here from 192.0.2.7",
 * numbers of frames never in it), with the number of such findings
 * accepted and, for people, their Call-IDs. Matching counts: the first
 * COUNT findings of an (input, rule, cause) are baselined, one more is new;
 * renumbered frames or new Call-IDs (a lab re-running its tests) change
 * nothing. */
#ifndef SIPAUDIT_BASELINE_H
#define SIPAUDIT_BASELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "../rules/rule.h"

struct baseline;

/* Reads FILE (JSON, schema "sipaudit.baseline/1"); NULL and the reason in
 * err when it cannot be read or is not a baseline. */
struct baseline *baseline_load(const char *path, char *err, size_t errsize);
/* The same from text in memory (name for messages). */
struct baseline *baseline_parse(const char *text, size_t len, const char *name, char *err, size_t errsize);
/* An empty one, for --write-baseline. */
struct baseline *baseline_new(void);
/* Is f (a finding of the input named input) accepted? Consumes one. */
bool baseline_match(struct baseline *b, const char *input, const struct finding *f);
/* Records f (for --write-baseline). */
void baseline_add(struct baseline *b, const char *input, const struct finding *f);
/* Writes the recorded findings; false with errno set on failure. */
bool baseline_write(const struct baseline *b, const char *path);
size_t baseline_entries(const struct baseline *b);
void baseline_free(struct baseline *b);

#endif
