/* tls.h - one TLS connection followed through its records (RFC 5246,
 * RFC 8446): records reassembled per direction, the hellos read, keys set
 * up from the key log when it has the client random, application data
 * decrypted and handed on in order. Why a connection cannot be decrypted
 * is kept (status), for the summary. */
#ifndef SIPAUDIT_TLS_H
#define SIPAUDIT_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keylog.h"
#include "tlscrypto.h"
#include "tlshello.h"

enum tls_status {
	TLS_ST_HANDSHAKE,   /* hellos not both seen yet */
	TLS_ST_DECRYPTING,  /* keys known: records are being decrypted */
	TLS_ST_NO_KEYLOG,   /* no key material given at all */
	TLS_ST_NO_KEY,      /* the key log has nothing for this client random */
	TLS_ST_UNSUPPORTED, /* a cipher suite or version not decrypted here */
	TLS_ST_MIDSTREAM,   /* the capture started after the handshake */
	TLS_ST_NOT_TLS,     /* bytes that are not TLS records */
};
const char *tls_status_text(enum tls_status s);

#define TLS_RECORD_MAX (5 + (1u << 14) + 2048)

struct tls_side {
	uint8_t *rec;                /* a record cut by the segment boundary, being completed (owned) */
	size_t rlen, rcap;
	uint8_t *hs;                 /* handshake bytes not yet a whole message */
	size_t hslen, hscap;
	struct tls_keys keys;
	bool keyed;                  /* keys set: type-23 records (TLS 1.2: after CCS, all) are decrypted */
	bool ccs;                    /* TLS 1.2: ChangeCipherSpec seen */
	bool app;                    /* TLS 1.3: application keys in use */
	bool update_pending;         /* TLS 1.3: a KeyUpdate ends this record */
	bool finished_pending;       /* TLS 1.3: the Finished ends the handshake keys */
	bool lost;                   /* bytes went missing: record boundaries and sequence numbers are gone */
};

/* TLS 1.2 resumption (RFC 5246 §7.4.1.2 session IDs, RFC 5077 tickets):
 * the master secret of a decrypted connection, kept under its session ID
 * and the tickets issued on it, so a resumed connection decrypts even when
 * the key log lacks its own line. Direct-mapped, a fixed size: the newest
 * entry wins a slot. */
#define TLS_CACHE_SLOTS 4096
struct tls_cache {
	struct { uint64_t key; uint8_t master[48]; } slot[TLS_CACHE_SLOTS];
	uint64_t hits;
};

struct tls_conn {
	struct keylog *kl, *kl2;     /* the user's and the capture's own (borrowed, may be NULL) */
	struct tls_cache *cache;     /* borrowed, may be NULL */
	uint8_t master[48];          /* TLS 1.2: the master secret in use */
	bool have_master;
	bool resumed;                /* TLS 1.2: keys from the resumption cache */
	struct tls_side side[2];
	int client;                  /* the direction that sent the ClientHello, -1 not seen */
	struct tls_hello ch, sh;
	bool have_ch, have_sh, tls13;
	bool key_found;              /* the key log has the client random */
	const struct tls_suite *suite;
	uint16_t suite_id;
	enum tls_status status;
	uint64_t records, decrypted, bad_records;
	uint64_t lost_bytes;         /* missing from the capture (both directions) */
	uint8_t *plain;              /* decryption buffer, TLS_RECORD_MAX bytes (owned unless plain_borrowed) */
	bool plain_borrowed;         /* the caller's, shared by its connections (the plaintext is handed on at once) */
};

/* Receives decrypted application data of direction dir, in order. */
typedef void (*tls_plain_fn)(void *ud, int dir, const uint8_t *p, size_t len);
/* Receives a problem with a record (bad tag, malformed record): the rest
 * of the connection goes on. */
typedef void (*tls_problem_fn)(void *ud, int dir, const char *what);

void tls_conn_init(struct tls_conn *t, struct keylog *kl, struct keylog *kl2);
void tls_conn_release(struct tls_conn *t);
/* In-order bytes of direction dir (0 or 1: which one is the client is
 * learnt from the ClientHello). */
void tls_conn_data(struct tls_conn *t, int dir, const uint8_t *p, size_t len, tls_plain_fn plain,
		   tls_problem_fn problem, void *ud);

/* The key log lines that decrypt this connection (NSS format, into buf), 0
 * when it was not decrypted or they do not fit: what a written-out capture
 * carries so it decrypts on its own. */
size_t tls_conn_secrets(const struct tls_conn *t, char *buf, size_t size);
/* Bytes of direction dir went missing (a hole in the TCP stream): that
 * direction cannot be followed any more (record boundaries and sequence
 * numbers are lost). */
void tls_conn_gap(struct tls_conn *t, int dir, uint64_t lost);

#endif
