/* keylog.h - TLS key material from NSS key log files (what SSLKEYLOGFILE
 * makes browsers, GnuTLS, Python's ssl and OpenSSL's -keylogfile write, and
 * what a pcapng Decryption Secrets Block carries): lines
 *     LABEL <client random, 64 hex digits> <secret, hex>
 * indexed by client random, the key the TLS layer looks a connection up by
 * (its ClientHello's random). RSA lines are keyed by the first 8 bytes of
 * the encrypted pre-master secret instead.
 */
#ifndef SIPAUDIT_KEYLOG_H
#define SIPAUDIT_KEYLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum keylog_label {
	KL_CLIENT_RANDOM,                  /* TLS 1.0-1.2: the 48-byte master secret */
	KL_CLIENT_EARLY_TRAFFIC_SECRET,    /* TLS 1.3 (RFC 8446 §7.1) */
	KL_CLIENT_HANDSHAKE_TRAFFIC_SECRET,
	KL_SERVER_HANDSHAKE_TRAFFIC_SECRET,
	KL_CLIENT_TRAFFIC_SECRET_0,
	KL_SERVER_TRAFFIC_SECRET_0,
	KL_EARLY_EXPORTER_SECRET,
	KL_EXPORTER_SECRET,
	KL_COUNT
};
const char *keylog_label_name(enum keylog_label l);

#define KEYLOG_SECRET_MAX 64
#define KEYLOG_MAX_PROBLEMS 10

/* The secrets known for one client random. */
struct keylog_entry {
	uint8_t client_random[32];
	uint8_t secret[KL_COUNT][KEYLOG_SECRET_MAX];
	uint8_t len[KL_COUNT]; /* 0: not in the log */
};

/* Where the key material came from and what was wrong with it. */
struct keylog_stats {
	uint64_t lines, entries, rsa;  /* lines read, client randoms, RSA lines */
	uint64_t unknown_labels;       /* well-formed lines of labels not used here */
	uint64_t bad_lines;            /* lines that are not key log lines */
	uint64_t conflicts;            /* a second, different secret for a known one (first kept) */
	char *problems[KEYLOG_MAX_PROBLEMS]; /* "FILE:LINE: reason", owned */
	unsigned nproblems;
};

struct keylog;

struct keylog *keylog_new(void);
void keylog_free(struct keylog *kl);
/* Adds the lines of text[0..len) (source names it in problems: a file
 * name, "SSLKEYLOGFILE", "FILE: decryption secrets block"). A last line
 * without a newline counts. Never fails: bad lines are counted and the
 * first few described. */
void keylog_add_text(struct keylog *kl, const char *source, const char *text, size_t len);
/* Reads a key log file; false (reason in err) when it cannot be read. */
bool keylog_add_file(struct keylog *kl, const char *path, char *err, size_t errsize);
/* The secrets of a client random, NULL when the log has none. */
struct keylog_entry *keylog_find(struct keylog *kl, const uint8_t client_random[32]);
/* RSA key exchange: the 48-byte pre-master secret whose encrypted form
 * starts with these 8 bytes, NULL when unknown. */
const uint8_t *keylog_find_rsa(const struct keylog *kl, const uint8_t encrypted_prefix[8]);
const struct keylog_stats *keylog_stats(const struct keylog *kl);
/* Appends the key log lines of one client random's secrets (label, client
 * random, secret in hex) to buf[0..size); returns the length written (0
 * when they do not fit). */
size_t keylog_entry_lines(const struct keylog_entry *e, char *buf, size_t size);

#endif
