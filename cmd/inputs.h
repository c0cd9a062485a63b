/* inputs.h - the FILE arguments as files to read: directories expanded
 * (recursively, by content, --include/--exclude globs). */
#ifndef SIPAUDIT_INPUTS_H
#define SIPAUDIT_INPUTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "options.h"

struct input_list {
	char **paths;     /* files to read, in order */
	bool *owned;      /* paths[i] was made here (else it is an argument) */
	size_t n, cap;
	size_t dirs;      /* directory arguments */
	size_t empty_dirs;/* of which held no capture (an error) */
	uint64_t skipped; /* files in them that are not captures */
	uint64_t unreadable; /* entries that could not be read (said on err) */
};

/* Problems go to err. False when there is nothing to read at all. */
bool inputs_expand(const struct options *o, struct input_list *l, FILE *err);
void inputs_free(struct input_list *l);

#endif
