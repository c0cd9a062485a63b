/* keylog.c - NSS key log files parsed into an open-addressing index by
 * client random (see keylog.h). Lines are read in one pass without
 * allocation per line; entries live in one growing array. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keylog.h"
#include "xalloc.h"

#define KEYLOG_FILE_MAX (256u << 20) /* a key log this big is not a key log */

static const char *const names[KL_COUNT] = {
	[KL_CLIENT_RANDOM] = "CLIENT_RANDOM",
	[KL_CLIENT_EARLY_TRAFFIC_SECRET] = "CLIENT_EARLY_TRAFFIC_SECRET",
	[KL_CLIENT_HANDSHAKE_TRAFFIC_SECRET] = "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
	[KL_SERVER_HANDSHAKE_TRAFFIC_SECRET] = "SERVER_HANDSHAKE_TRAFFIC_SECRET",
	[KL_CLIENT_TRAFFIC_SECRET_0] = "CLIENT_TRAFFIC_SECRET_0",
	[KL_SERVER_TRAFFIC_SECRET_0] = "SERVER_TRAFFIC_SECRET_0",
	[KL_EARLY_EXPORTER_SECRET] = "EARLY_EXPORTER_SECRET",
	[KL_EXPORTER_SECRET] = "EXPORTER_SECRET",
};

const char *keylog_label_name(enum keylog_label l)
{
	return (unsigned)l < KL_COUNT ? names[l] : "?";
}

struct rsa_entry {
	uint8_t prefix[8];
	uint8_t pms[48];
};

struct keylog {
	struct keylog_entry *e;
	size_t n, cap;
	uint32_t *slot; /* index+1 into e, 0 empty */
	size_t nslots;
	struct rsa_entry *rsa;
	size_t nrsa, rsa_cap;
	struct keylog_stats st;
};

struct keylog *keylog_new(void)
{
	return xcalloc(1, sizeof(struct keylog));
}

void keylog_free(struct keylog *kl)
{
	if (!kl)
		return;
	for (unsigned i = 0; i < kl->st.nproblems; i++)
		free(kl->st.problems[i]);
	free(kl->e);
	free(kl->slot);
	free(kl->rsa);
	free(kl);
}

static size_t slot_of(const uint8_t cr[32], size_t nslots)
{
	uint64_t h;
	memcpy(&h, cr + 8, sizeof h); /* random bytes: any 8 of them hash well */
	h ^= h >> 29;
	h *= 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 17) & (nslots - 1);
}

static void rehash(struct keylog *kl)
{
	size_t n = kl->nslots ? kl->nslots * 2 : 64;
	free(kl->slot);
	kl->slot = xcalloc(n, sizeof *kl->slot);
	kl->nslots = n;
	for (size_t i = 0; i < kl->n; i++) {
		size_t s = slot_of(kl->e[i].client_random, n);
		while (kl->slot[s])
			s = (s + 1) & (n - 1);
		kl->slot[s] = (uint32_t)(i + 1);
	}
}

struct keylog_entry *keylog_find(struct keylog *kl, const uint8_t cr[32])
{
	if (!kl || !kl->nslots)
		return NULL;
	for (size_t s = slot_of(cr, kl->nslots);; s = (s + 1) & (kl->nslots - 1)) {
		uint32_t i = kl->slot[s];
		if (!i)
			return NULL;
		if (memcmp(kl->e[i - 1].client_random, cr, 32) == 0)
			return &kl->e[i - 1];
	}
}

static struct keylog_entry *entry_for(struct keylog *kl, const uint8_t cr[32])
{
	struct keylog_entry *e = keylog_find(kl, cr);
	if (e)
		return e;
	if (kl->n == kl->cap) {
		kl->cap = kl->cap ? kl->cap * 2 : 64;
		kl->e = xrealloc(kl->e, kl->cap * sizeof *kl->e);
	}
	if ((kl->n + 1) * 2 > kl->nslots)
		rehash(kl);
	e = &kl->e[kl->n];
	memset(e, 0, sizeof *e);
	memcpy(e->client_random, cr, 32);
	size_t s = slot_of(cr, kl->nslots);
	while (kl->slot[s])
		s = (s + 1) & (kl->nslots - 1);
	kl->slot[s] = (uint32_t)(++kl->n);
	kl->st.entries++;
	return e;
}

const uint8_t *keylog_find_rsa(const struct keylog *kl, const uint8_t prefix[8])
{
	for (size_t i = 0; kl && i < kl->nrsa; i++) /* RSA key exchange is rare: a scan */
		if (memcmp(kl->rsa[i].prefix, prefix, 8) == 0)
			return kl->rsa[i].pms;
	return NULL;
}

const struct keylog_stats *keylog_stats(const struct keylog *kl)
{
	return &kl->st;
}

static void problem(struct keylog *kl, const char *source, uint64_t line, const char *why)
{
	kl->st.bad_lines++;
	if (kl->st.nproblems >= KEYLOG_MAX_PROBLEMS)
		return;
	char *s;
	if (asprintf(&s, "%s:%llu: %s", source, (unsigned long long)line, why) >= 0)
		kl->st.problems[kl->st.nproblems++] = s;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex digits p[0..n) into out; false unless all are hex and n is even and fits. */
static bool unhex(const char *p, size_t n, uint8_t *out, size_t max)
{
	if (n % 2 || n / 2 > max)
		return false;
	for (size_t i = 0; i < n; i += 2) {
		int a = hexval(p[i]), b = hexval(p[i + 1]);
		if (a < 0 || b < 0)
			return false;
		out[i / 2] = (uint8_t)(a << 4 | b);
	}
	return true;
}

static void one_line(struct keylog *kl, const char *source, uint64_t lineno, const char *p, size_t n)
{
	while (n && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	size_t i = 0;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i == n || p[i] == '#')
		return; /* blank or comment */
	const char *f[3];
	size_t fl[3], nf = 0;
	while (i < n && nf < 3) {
		size_t s = i;
		while (i < n && p[i] != ' ' && p[i] != '\t')
			i++;
		f[nf] = p + s;
		fl[nf++] = i - s;
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
	}
	if (nf < 3 || i < n) {
		problem(kl, source, lineno, "not LABEL CLIENT_RANDOM SECRET (three fields)");
		return;
	}
	if (fl[0] == 3 && memcmp(f[0], "RSA", 3) == 0) {
		struct rsa_entry r;
		if (!unhex(f[1], fl[1], r.prefix, 8) || fl[1] != 16 || !unhex(f[2], fl[2], r.pms, 48) || fl[2] != 96) {
			problem(kl, source, lineno, "RSA line: 16 and 96 hex digits expected");
			return;
		}
		if (keylog_find_rsa(kl, r.prefix))
			return;
		if (kl->nrsa == kl->rsa_cap) {
			kl->rsa_cap = kl->rsa_cap ? kl->rsa_cap * 2 : 8;
			kl->rsa = xrealloc(kl->rsa, kl->rsa_cap * sizeof *kl->rsa);
		}
		kl->rsa[kl->nrsa++] = r;
		kl->st.rsa++;
		return;
	}
	int label = -1;
	for (int k = 0; k < KL_COUNT; k++)
		if (strlen(names[k]) == fl[0] && memcmp(names[k], f[0], fl[0]) == 0)
			label = k;
	uint8_t cr[32], secret[KEYLOG_SECRET_MAX];
	if (fl[1] != 64 || !unhex(f[1], 64, cr, 32)) {
		problem(kl, source, lineno, "the client random is not 64 hex digits");
		return;
	}
	if (!fl[2] || !unhex(f[2], fl[2], secret, sizeof secret)) {
		problem(kl, source, lineno, "the secret is not hex (at most 64 bytes)");
		return;
	}
	if (label < 0) {
		kl->st.unknown_labels++; /* e.g. ECH_SECRET, CLIENT_TRAFFIC_SECRET_N */
		return;
	}
	size_t slen = fl[2] / 2;
	if (label == KL_CLIENT_RANDOM ? slen != 48 : (slen != 32 && slen != 48)) {
		problem(kl, source, lineno, label == KL_CLIENT_RANDOM ? "a master secret is 48 bytes"
								       : "a TLS 1.3 secret is 32 or 48 bytes");
		return;
	}
	struct keylog_entry *e = entry_for(kl, cr);
	if (e->len[label]) {
		if (e->len[label] != slen || memcmp(e->secret[label], secret, slen) != 0)
			kl->st.conflicts++;
		return;
	}
	memcpy(e->secret[label], secret, slen);
	e->len[label] = (uint8_t)slen;
}

void keylog_add_text(struct keylog *kl, const char *source, const char *text, size_t len)
{
	uint64_t lineno = 0;
	size_t off = 0;
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;
		lineno++;
		kl->st.lines++;
		one_line(kl, source, lineno, text + off, n);
		off += n + (nl != NULL);
	}
}

bool keylog_add_file(struct keylog *kl, const char *path, char *err, size_t errsize)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return false;
	}
	char *buf = NULL;
	size_t len = 0, cap = 0;
	bool ok = true;
	for (;;) {
		if (len == cap) {
			if (cap >= KEYLOG_FILE_MAX) {
				snprintf(err, errsize, "%s: larger than %u MiB: not a key log", path, KEYLOG_FILE_MAX >> 20);
				ok = false;
				break;
			}
			cap = cap ? cap * 2 : 65536;
			buf = xrealloc(buf, cap);
		}
		size_t r = fread(buf + len, 1, cap - len, f);
		len += r;
		if (r == 0) {
			if (ferror(f)) {
				snprintf(err, errsize, "%s: %s", path, strerror(errno));
				ok = false;
			}
			break;
		}
	}
	fclose(f);
	if (ok)
		keylog_add_text(kl, path, buf, len);
	free(buf);
	return ok;
}

/* bytes in lowercase hex at buf[n]; returns the new n */
static size_t put_hex(char *buf, size_t n, const uint8_t *bytes, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		buf[n++] = hex[bytes[i] >> 4];
		buf[n++] = hex[bytes[i] & 15];
	}
	return n;
}

size_t keylog_entry_lines(const struct keylog_entry *e, char *buf, size_t size)
{
	size_t n = 0;
	for (int l = 0; l < KL_COUNT; l++) {
		if (!e->len[l])
			continue;
		size_t need = strlen(names[l]) + 1 + 64 + 1 + 2u * e->len[l] + 1;
		if (n + need + 1 > size)
			return 0;
		size_t nl = strlen(names[l]);
		memcpy(buf + n, names[l], nl);
		n += nl;
		buf[n++] = ' ';
		n = put_hex(buf, n, e->client_random, 32);
		buf[n++] = ' ';
		n = put_hex(buf, n, e->secret[l], e->len[l]);
		buf[n++] = '\n';
		buf[n] = 0;
	}
	return n;
}
