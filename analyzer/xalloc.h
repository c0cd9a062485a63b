/* xalloc.h - allocation that aborts with a message instead of returning NULL. */
#ifndef SIPAUDIT_XALLOC_H
#define SIPAUDIT_XALLOC_H

#include <stddef.h>

/* Out of memory: message on stderr, exit status 3. */
void xalloc_die(size_t n) __attribute__((noreturn));
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a fresh heap string; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
