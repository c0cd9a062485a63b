/* tap.h - a minimal TAP-style harness: "ok N name" / "not ok N name". */
#ifndef SIPAUDIT_TAP_H
#define SIPAUDIT_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int tap_n, tap_failed;

#define CHECK(cond, ...)                                                  \
	do {                                                              \
		tap_n++;                                                  \
		if (cond) {                                               \
			printf("ok %d ", tap_n);                          \
		} else {                                                  \
			tap_failed++;                                     \
			printf("not ok %d (%s:%d) ", tap_n, __FILE__, __LINE__); \
		}                                                         \
		printf(__VA_ARGS__);                                      \
		putchar('\n');                                            \
	} while (0)

static inline int tap_done(void)
{
	printf("# %d tests, %d failed\n", tap_n, tap_failed);
	return tap_failed ? 1 : 0;
}

/* The guard-page trick (picohttpparser's test): place the bytes right before
 * a PROT_NONE page so any read past the end faults at once. Returns a
 * pointer valid until guarded_free. */
struct guarded {
	void *map;
	size_t maplen;
	char *p;
};

static inline struct guarded guarded_copy(const void *src, size_t n)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t data_pages = (n + (size_t)pg - 1) / (size_t)pg;
	if (data_pages == 0)
		data_pages = 1;
	size_t len = (data_pages + 1) * (size_t)pg;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		perror("mmap");
		exit(99);
	}
	char *guard = m + data_pages * (size_t)pg;
	mprotect(guard, (size_t)pg, PROT_NONE);
	char *p = guard - n;
	memcpy(p, src, n);
	mprotect(m, data_pages * (size_t)pg, PROT_READ); /* and never written */
	return (struct guarded){ m, len, p };
}

static inline void guarded_free(struct guarded g)
{
	munmap(g.map, g.maplen);
}

#endif
