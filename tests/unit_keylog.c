/* unit_keylog.c - NSS key log parsing (analyzer/tls/keylog.c): every label,
 * comments and blank lines, CRLF, a last line without newline, bad lines
 * counted and located, conflicts, RSA lines, many entries through the
 * index, and a file that cannot be read. */
#include <stdint.h>
#include <stdio.h>

#include "../analyzer/tls/keylog.h"
#include "tap.h"

static void cr_of(uint8_t cr[32], unsigned seed)
{
	for (int i = 0; i < 32; i++)
		cr[i] = (uint8_t)(seed * 131u + (unsigned)i * 17u + (seed >> 8) * 7u);
}

static void hex(char *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static void test_labels(void)
{
	struct keylog *kl = keylog_new();
	uint8_t cr[32], ms[48];
	cr_of(cr, 1);
	for (int i = 0; i < 48; i++)
		ms[i] = (uint8_t)i;
	char crh[65], msh[97], line[400], text[4096] = "# a comment\n\n";
	hex(crh, cr, 32);
	hex(msh, ms, 48);
	snprintf(line, sizeof line, "CLIENT_RANDOM %s %s\r\n", crh, msh);
	strcat(text, line);
	/* TLS 1.3, SHA-256 secrets (32 bytes), upper-case hex, tabs */
	uint8_t cr2[32];
	cr_of(cr2, 2);
	char cr2h[65];
	hex(cr2h, cr2, 32);
	for (char *c = cr2h; *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 'a' + 'A');
	const char *l13[] = { "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
			      "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET" };
	for (int k = 0; k < 5; k++) {
		snprintf(line, sizeof line, "%s\t%s  %064x\n", l13[k], cr2h, k + 1);
		strcat(text, line);
	}
	snprintf(line, sizeof line, "ECH_SECRET %s %064x\n", cr2h, 9); /* a label not used here */
	strcat(text, line);
	snprintf(line, sizeof line, "SERVER_TRAFFIC_SECRET_0 %s %096x", cr2h, 7); /* no newline at the end */
	strcat(text, line);
	keylog_add_text(kl, "t.keys", text, strlen(text));
	const struct keylog_stats *st = keylog_stats(kl);
	struct keylog_entry *e = keylog_find(kl, cr);
	CHECK(e && e->len[KL_CLIENT_RANDOM] == 48 && memcmp(e->secret[KL_CLIENT_RANDOM], ms, 48) == 0,
	      "CLIENT_RANDOM: the 48-byte master secret (CRLF line)");
	e = keylog_find(kl, cr2);
	CHECK(e && e->len[KL_CLIENT_HANDSHAKE_TRAFFIC_SECRET] == 32 && e->len[KL_SERVER_TRAFFIC_SECRET_0] == 32 &&
		      e->secret[KL_CLIENT_TRAFFIC_SECRET_0][31] == 3 && e->len[KL_EXPORTER_SECRET] == 32 &&
		      !e->len[KL_CLIENT_EARLY_TRAFFIC_SECRET],
	      "TLS 1.3 secrets by label, upper-case hex and tabs");
	CHECK(st->entries == 2 && st->unknown_labels == 1 && st->bad_lines == 0, "two client randoms, one unknown label");
	CHECK(st->conflicts == 1 && e->secret[KL_SERVER_TRAFFIC_SECRET_0][31] == 4,
	      "a second, different secret for the same label is a conflict; the first is kept");
	CHECK(st->lines == 10, "lines counted, the last one without a newline too (%llu)", (unsigned long long)st->lines);
	uint8_t other[32];
	cr_of(other, 3);
	CHECK(keylog_find(kl, other) == NULL, "an unknown client random is not found");
	keylog_free(kl);
}

static void test_bad_lines(void)
{
	struct keylog *kl = keylog_new();
	char cr[65];
	memset(cr, 'a', 64);
	cr[64] = 0;
	char text[2048];
	snprintf(text, sizeof text,
		 "CLIENT_RANDOM %s\n"              /* two fields */
		 "CLIENT_RANDOM %.62s %096d\n"     /* short client random */
		 "CLIENT_RANDOM %s %095d\n"        /* odd secret */
		 "CLIENT_RANDOM %s %094d\n"        /* 47 bytes */
		 "CLIENT_TRAFFIC_SECRET_0 %s %040d\n" /* 20 bytes */
		 "CLIENT_RANDOM %s zz%094d\n"      /* not hex */
		 "CLIENT_RANDOM %s %096d extra\n"  /* four fields */
		 "RSA 0011 %096d\n"                /* short RSA prefix */
		 "RSA 0011223344556677 %096d\n",   /* good RSA line */
		 cr, cr, 0, cr, 0, cr, 0, cr, 0, cr, 0, cr, 0, 0, 0);
	keylog_add_text(kl, "bad.keys", text, strlen(text));
	const struct keylog_stats *st = keylog_stats(kl);
	CHECK(st->bad_lines == 8 && st->entries == 0 && st->rsa == 1, "8 bad lines, no entry, one RSA line (%llu bad)",
	      (unsigned long long)st->bad_lines);
	CHECK(st->nproblems == 8 && strncmp(st->problems[0], "bad.keys:1: ", 12) == 0 &&
		      strncmp(st->problems[7], "bad.keys:8: ", 12) == 0,
	      "each bad line located by source and line number");
	uint8_t pre[8] = { 0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77 }, nope[8] = { 1 };
	CHECK(keylog_find_rsa(kl, pre) != NULL && keylog_find_rsa(kl, nope) == NULL, "RSA pre-master secret by prefix");
	/* more bad lines than are described */
	for (int i = 0; i < 20; i++)
		keylog_add_text(kl, "bad.keys", "garbage\n", 8);
	CHECK(st->bad_lines == 28 && st->nproblems == KEYLOG_MAX_PROBLEMS, "bad lines all counted, the first few described");
	/* binary garbage with NUL bytes */
	const char bin[] = "\x00\x01\xff CLIENT_RANDOM\n\x00";
	keylog_add_text(kl, "bin", bin, sizeof bin);
	CHECK(st->bad_lines == 30, "binary bytes are bad lines, not a crash");
	keylog_free(kl);
}

static void test_many(void)
{
	struct keylog *kl = keylog_new();
	char line[256];
	for (unsigned i = 0; i < 20000; i++) {
		uint8_t cr[32];
		cr_of(cr, i);
		memcpy(cr, &i, sizeof i); /* unique */
		char crh[65];
		hex(crh, cr, 32);
		int n = snprintf(line, sizeof line, "CLIENT_RANDOM %s %096x\n", crh, i);
		keylog_add_text(kl, "many", line, (size_t)n);
	}
	unsigned found = 0;
	for (unsigned i = 0; i < 20000; i++) {
		uint8_t cr[32];
		cr_of(cr, i);
		memcpy(cr, &i, sizeof i);
		struct keylog_entry *e = keylog_find(kl, cr);
		found += e && e->secret[KL_CLIENT_RANDOM][47] == (uint8_t)i && e->secret[KL_CLIENT_RANDOM][46] == (uint8_t)(i >> 8);
	}
	CHECK(found == 20000 && keylog_stats(kl)->entries == 20000, "20000 entries through the index (%u found)", found);
	keylog_free(kl);
}

static void test_file(void)
{
	struct keylog *kl = keylog_new();
	char err[256] = "";
	CHECK(!keylog_add_file(kl, "/nonexistent/x.keys", err, sizeof err) && strstr(err, "/nonexistent/x.keys") &&
		      strstr(err, "No such file"),
	      "a missing file: false with the path and the reason (%s)", err);
	char path[] = "/tmp/unit_keylog_XXXXXX";
	int fd = mkstemp(path);
	char cr[65];
	memset(cr, 'b', 64);
	cr[64] = 0;
	char text[256];
	int n = snprintf(text, sizeof text, "CLIENT_RANDOM %s %096d\n", cr, 5);
	CHECK(fd >= 0 && write(fd, text, (size_t)n) == n, "temporary key log written");
	close(fd);
	CHECK(keylog_add_file(kl, path, err, sizeof err) && keylog_stats(kl)->entries == 1, "a key log file read");
	unlink(path);
	keylog_free(kl);
}

int main(void)
{
	test_labels();
	test_bad_lines();
	test_many();
	test_file();
	return tap_done();
}
