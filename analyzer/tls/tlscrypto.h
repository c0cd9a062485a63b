/* tlscrypto.h - the cryptography TLS decryption needs, on OpenSSL's
 * libcrypto (EVP ciphers, the TLS1-PRF and HKDF KDFs): the cipher suites
 * understood, the key schedules that turn key-log secrets into record keys
 * (RFC 5246 §6.3 for TLS 1.2, RFC 8446 §7.1-7.3 for TLS 1.3), and record
 * decryption (RFC 5246 §6.2.3, RFC 5288, RFC 7905, RFC 8446 §5.2).
 */
#ifndef SIPAUDIT_TLSCRYPTO_H
#define SIPAUDIT_TLSCRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tls_cipher_kind { TLS_GCM, TLS_CHACHA, TLS_CBC };

struct tls_suite {
	uint16_t id;
	const char *name;    /* IANA name */
	bool tls13;
	enum tls_cipher_kind kind;
	uint8_t key_len;     /* bytes */
	uint8_t iv_len;      /* implicit IV: GCM 4 (TLS 1.2), ChaCha20 and TLS 1.3 12, CBC 16 (explicit per record) */
	uint8_t mac_len;     /* CBC: the HMAC key and tag length; AEAD: 0 */
	const char *prf;     /* digest of the PRF / HKDF: "SHA256" or "SHA384" */
	const char *mac;     /* CBC: HMAC digest ("SHA1", "SHA256", "SHA384"); else NULL */
};

/* The suites decrypted here, or NULL (the caller says "unsupported cipher
 * suite 0x...."). */
const struct tls_suite *tls_suite_find(uint16_t id);

/* TLS 1.2 PRF (RFC 5246 §5) with the suite's digest: out = PRF(secret,
 * label, seed)[0..outlen). */
bool tls12_prf(const char *md, const uint8_t *secret, size_t slen, const char *label, const uint8_t *seed,
	       size_t seedlen, uint8_t *out, size_t outlen);
/* TLS 1.3 HKDF-Expand-Label (RFC 8446 §7.1): label without the "tls13 "
 * prefix. */
bool tls13_expand_label(const char *md, const uint8_t *secret, size_t slen, const char *label, const uint8_t *ctx,
			size_t ctxlen, uint8_t *out, size_t outlen);
/* Digest length of "SHA256"/"SHA384" (32, 48), 0 otherwise. */
size_t tls_md_len(const char *md);

/* One direction's record protection. */
struct tls_keys {
	const struct tls_suite *s;
	uint8_t key[32], iv[16], mac_key[48];
	uint8_t secret[48];  /* TLS 1.3: the traffic secret (for KeyUpdate) */
	size_t secret_len;
	uint64_t seq;        /* records decrypted so far in this direction */
	void *ctx;           /* EVP_CIPHER_CTX, created on first use */
	bool etm;            /* RFC 7366 encrypt-then-MAC (CBC) */
};

/* TLS 1.2: both directions' keys from the master secret and the randoms
 * (key_block = PRF(master, "key expansion", server_random + client_random)). */
bool tls12_keys(const struct tls_suite *s, const uint8_t master[48], const uint8_t client_random[32],
		const uint8_t server_random[32], struct tls_keys *client, struct tls_keys *server);
/* TLS 1.3: one direction's keys from its traffic secret. */
bool tls13_keys(const struct tls_suite *s, const uint8_t *secret, size_t slen, struct tls_keys *k);
/* TLS 1.3 KeyUpdate: the next traffic secret and its keys, seq back to 0. */
bool tls13_key_update(struct tls_keys *k);
void tls_keys_release(struct tls_keys *k);

enum tls_decrypt_result { TLS_OK, TLS_BAD_RECORD, TLS_BAD_TAG };
/* Decrypts the record body in[0..len) of content type `type` (the outer
 * type: 23 for TLS 1.3) and record version `version`, into out (at least
 * len bytes). *outlen gets the plaintext length, *inner the real content
 * type (TLS 1.3: from the inner plaintext; else type). The sequence number
 * advances on success only. */
enum tls_decrypt_result tls_decrypt(struct tls_keys *k, uint8_t type, uint16_t version, const uint8_t *in, size_t len,
				    uint8_t *out, size_t *outlen, uint8_t *inner);

#endif
