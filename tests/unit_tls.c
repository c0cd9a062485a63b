/* unit_tls.c - TLS connections followed and decrypted (analyzer/tls/tls.c) on
 * byte streams made by real OpenSSL through Python's ssl module
 * (tests/tls/mkfixtures.py: TLS 1.3 with each of its three suites, TLS 1.2
 * with AES-GCM, ChaCha20-Poly1305 and AES-CBC/HMAC; a SIP INVITE and a
 * 20 kB MESSAGE one way, a 200 OK the other): the decrypted bytes equal
 * what each side sent, whole or fed one byte at a time; without a key log,
 * with another connection's keys, from mid-stream, and with a corrupted
 * record the connection says why (and the rest still decrypts). */
#include <stdint.h>
#include <stdio.h>

#include "../analyzer/tls/tls.h"
#include "tap.h"

struct chunk {
	int dir;
	uint8_t *p;
	size_t n;
};

struct fixture {
	struct chunk c[64];
	size_t nc;
	uint8_t *want[2];
	size_t wantn[2];
};

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *b = NULL;
	size_t cap = 0;
	*n = 0;
	for (;;) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 65536;
			b = realloc(b, cap);
		}
		size_t r = fread(b + *n, 1, cap - *n, f);
		if (!r)
			break;
		*n += r;
	}
	fclose(f);
	return b;
}

static bool load(const char *name, struct fixture *fx)
{
	char path[256];
	size_t n;
	memset(fx, 0, sizeof *fx);
	snprintf(path, sizeof path, "tests/tls/%s.bin", name);
	uint8_t *b = slurp(path, &n);
	if (!b)
		return false;
	for (size_t o = 0; o + 5 <= n && fx->nc < 64;) {
		size_t l = (size_t)b[o + 1] << 24 | (size_t)b[o + 2] << 16 | (size_t)b[o + 3] << 8 | b[o + 4];
		fx->c[fx->nc].dir = b[o];
		fx->c[fx->nc].p = malloc(l ? l : 1);
		memcpy(fx->c[fx->nc].p, b + o + 5, l);
		fx->c[fx->nc++].n = l;
		o += 5 + l;
	}
	free(b);
	snprintf(path, sizeof path, "tests/tls/%s.c2s", name);
	fx->want[0] = slurp(path, &fx->wantn[0]);
	snprintf(path, sizeof path, "tests/tls/%s.s2c", name);
	fx->want[1] = slurp(path, &fx->wantn[1]);
	return fx->want[0] && fx->want[1];
}

static void unload(struct fixture *fx)
{
	for (size_t i = 0; i < fx->nc; i++)
		free(fx->c[i].p);
	free(fx->want[0]);
	free(fx->want[1]);
}

struct got {
	uint8_t *b[2];
	size_t n[2];
	unsigned problems;
};

static void on_plain(void *ud, int dir, const uint8_t *p, size_t len)
{
	struct got *g = ud;
	g->b[dir] = realloc(g->b[dir], g->n[dir] + len);
	memcpy(g->b[dir] + g->n[dir], p, len);
	g->n[dir] += len;
}

static void on_problem(void *ud, int dir, const char *what)
{
	(void)dir;
	(void)what;
	((struct got *)ud)->problems++;
}

/* Feeds the fixture (from chunk `from`, `step` bytes at a time, 0 whole
 * chunks) through a connection with key log kl. */
static void run(const struct fixture *fx, struct keylog *kl, size_t from, size_t step, struct got *g,
		struct tls_conn *t)
{
	memset(g, 0, sizeof *g);
	tls_conn_init(t, kl, NULL);
	for (size_t i = from; i < fx->nc; i++) {
		const struct chunk *c = &fx->c[i];
		if (!step) {
			tls_conn_data(t, c->dir, c->p, c->n, on_plain, on_problem, g);
			continue;
		}
		for (size_t o = 0; o < c->n; o += step)
			tls_conn_data(t, c->dir, c->p + o, c->n - o < step ? c->n - o : step, on_plain, on_problem, g);
	}
}

static bool same(const struct got *g, const struct fixture *fx)
{
	return g->n[0] == fx->wantn[0] && g->n[1] == fx->wantn[1] && memcmp(g->b[0], fx->want[0], g->n[0]) == 0 &&
	       memcmp(g->b[1], fx->want[1], g->n[1]) == 0;
}

static void drop(struct got *g)
{
	free(g->b[0]);
	free(g->b[1]);
}

int main(void)
{
	static const char *const names[] = { "tls13-aes128gcm", "tls13-aes256gcm", "tls13-chacha20", "tls12-aes128gcm",
					     "tls12-aes256gcm", "tls12-chacha20", "tls12-cbc-sha", "tls12-cbc-sha384" };
	struct keylog *other = keylog_new();
	char err[300];
	keylog_add_file(other, "tests/tls/tls12-aes128gcm.keys", err, sizeof err);
	for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
		struct fixture fx;
		if (!load(names[k], &fx)) {
			CHECK(false, "%s: fixture in tests/tls/ (run from the repository root)", names[k]);
			continue;
		}
		char path[256];
		snprintf(path, sizeof path, "tests/tls/%s.keys", names[k]);
		struct keylog *kl = keylog_new();
		CHECK(keylog_add_file(kl, path, err, sizeof err), "%s: key log read", names[k]);
		struct tls_conn t;
		struct got g;
		run(&fx, kl, 0, 0, &g, &t);
		CHECK(t.status == TLS_ST_DECRYPTING && same(&g, &fx) && !g.problems && t.client == 0,
		      "%s: both directions decrypted (%zu and %zu bytes, status %s, suite 0x%04x)", names[k], g.n[0], g.n[1],
		      tls_status_text(t.status), t.suite_id);
		tls_conn_release(&t);
		drop(&g);
		run(&fx, kl, 0, 1, &g, &t);
		CHECK(same(&g, &fx) && !g.problems, "%s: the same fed one byte at a time", names[k]);
		tls_conn_release(&t);
		drop(&g);
		run(&fx, kl, 0, 1000, &g, &t);
		CHECK(same(&g, &fx), "%s: the same in 1000-byte pieces", names[k]);
		tls_conn_release(&t);
		drop(&g);
		run(&fx, NULL, 0, 0, &g, &t);
		CHECK(t.status == TLS_ST_NO_KEYLOG && g.n[0] == 0 && g.n[1] == 0, "%s: no key log: nothing, and said", names[k]);
		tls_conn_release(&t);
		drop(&g);
		if (k != 3) {
			run(&fx, other, 0, 0, &g, &t);
			CHECK(t.status == TLS_ST_NO_KEY && g.n[0] == 0, "%s: another connection's key log: no key for it",
			      names[k]);
			tls_conn_release(&t);
			drop(&g);
		}
		run(&fx, kl, 2, 0, &g, &t);
		CHECK(t.status == TLS_ST_MIDSTREAM && g.n[0] == 0 && g.n[1] == 0,
		      "%s: capture started after the handshake: said so (%s)", names[k], tls_status_text(t.status));
		tls_conn_release(&t);
		drop(&g);
		/* corrupt the last byte of the last client chunk (the MESSAGE's last record's tag) */
		size_t last = fx.nc;
		while (last-- > 0 && fx.c[last].dir != 0)
			;
		fx.c[last].p[fx.c[last].n - 1] ^= 0x40;
		run(&fx, kl, 0, 0, &g, &t);
		CHECK(g.problems == 1 && t.bad_records == 1 && g.n[1] == fx.wantn[1] && g.n[0] < fx.wantn[0] &&
			      g.n[0] >= fx.wantn[0] - 16384 && memcmp(g.b[0], fx.want[0], g.n[0]) == 0,
		      "%s: a corrupted record is one problem; everything else decrypted (%zu of %zu)", names[k], g.n[0],
		      fx.wantn[0]);
		tls_conn_release(&t);
		drop(&g);
		keylog_free(kl);
		unload(&fx);
	}
	keylog_free(other);
	return tap_done();
}
