/* fuzz_tls.c - libFuzzer harness for the TLS layer alone (analyzer/tls/tls.c,
 * tlshello.c, tlscrypto.c): records cut anywhere, hellos, key schedules,
 * decryption, key updates, gaps. Input: the chunks of a connection as in
 * the .bin files of tests/tls, DIR (1 byte: bit 0 the direction; bit 1 a gap before
 * this chunk) LEN (4 bytes, big-endian) BYTES; the key logs of tests/tls
 * are loaded, so the fixtures (the seeds) decrypt and mutations of them
 * reach every stage. Decrypted bytes are checked to lie in the buffer they
 * were handed in (ASan) and summed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../analyzer/tls/keylog.h"
#include "../../analyzer/tls/tls.h"
#include "fuzz_common.h"

static struct keylog *keys(void)
{
	static struct keylog *kl;
	if (!kl)
		kl = fuzz_keylog_dir("tests/tls");
	return kl;
}

static void on_plain(void *ud, int dir, const uint8_t *p, size_t len)
{
	volatile uint8_t *sum = ud;
	for (size_t i = 0; i < len; i++)
		sum[dir & 1] ^= p[i];
}

static void on_problem(void *ud, int dir, const char *what)
{
	(void)ud;
	(void)dir;
	volatile size_t n = strlen(what);
	(void)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_conn t;
	uint8_t sum[2] = { 0, 0 };
	tls_conn_init(&t, keys(), NULL);
	for (size_t o = 0; o + 5 <= size;) {
		uint8_t flags = data[o];
		size_t l = (size_t)data[o + 1] << 24 | (size_t)data[o + 2] << 16 | (size_t)data[o + 3] << 8 | data[o + 4];
		o += 5;
		if (l > size - o)
			l = size - o;
		if (flags & 2)
			tls_conn_gap(&t, flags & 1, 100);
		uint8_t *chunk = malloc(l ? l : 1); /* exact size: over-reads trap */
		memcpy(chunk, data + o, l);
		tls_conn_data(&t, flags & 1, chunk, l, on_plain, on_problem, sum);
		free(chunk);
		o += l;
	}
	volatile const char *s = tls_status_text(t.status);
	(void)s;
	tls_conn_release(&t);
	return 0;
}
