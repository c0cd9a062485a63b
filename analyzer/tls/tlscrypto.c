/* tlscrypto.c - TLS key schedules and record decryption on libcrypto (see
 * tlscrypto.h). Nothing here is written by hand that OpenSSL provides: the
 * PRF and HKDF are its KDFs, the ciphers its EVP ciphers, the MAC its HMAC. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include "tlscrypto.h"

#define SHA256 "SHA256"
#define SHA384 "SHA384"

static const struct tls_suite suites[] = {
	/* TLS 1.3 (RFC 8446 §B.4) */
	{ 0x1301, "TLS_AES_128_GCM_SHA256", true, TLS_GCM, 16, 12, 0, SHA256, NULL },
	{ 0x1302, "TLS_AES_256_GCM_SHA384", true, TLS_GCM, 32, 12, 0, SHA384, NULL },
	{ 0x1303, "TLS_CHACHA20_POLY1305_SHA256", true, TLS_CHACHA, 32, 12, 0, SHA256, NULL },
	/* TLS 1.2 AES-GCM (RFC 5288, RFC 5289) */
	{ 0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", false, TLS_GCM, 16, 4, 0, SHA256, NULL },
	{ 0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", false, TLS_GCM, 32, 4, 0, SHA384, NULL },
	{ 0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", false, TLS_GCM, 16, 4, 0, SHA256, NULL },
	{ 0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", false, TLS_GCM, 32, 4, 0, SHA384, NULL },
	{ 0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", false, TLS_GCM, 16, 4, 0, SHA256, NULL },
	{ 0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", false, TLS_GCM, 32, 4, 0, SHA384, NULL },
	{ 0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", false, TLS_GCM, 16, 4, 0, SHA256, NULL },
	{ 0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", false, TLS_GCM, 32, 4, 0, SHA384, NULL },
	/* TLS 1.2 ChaCha20-Poly1305 (RFC 7905) */
	{ 0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", false, TLS_CHACHA, 32, 12, 0, SHA256, NULL },
	{ 0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", false, TLS_CHACHA, 32, 12, 0, SHA256, NULL },
	{ 0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", false, TLS_CHACHA, 32, 12, 0, SHA256, NULL },
	/* TLS 1.2 AES-CBC with HMAC (RFC 5246, RFC 4492, RFC 5289); PRF SHA-256 unless SHA-384 */
	{ 0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", false, TLS_CBC, 16, 0, 20, SHA256, "SHA1" },
	{ 0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", false, TLS_CBC, 32, 0, 20, SHA256, "SHA1" },
	{ 0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", false, TLS_CBC, 16, 0, 32, SHA256, SHA256 },
	{ 0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", false, TLS_CBC, 32, 0, 32, SHA256, SHA256 },
	{ 0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", false, TLS_CBC, 16, 0, 20, SHA256, "SHA1" },
	{ 0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", false, TLS_CBC, 32, 0, 20, SHA256, "SHA1" },
	{ 0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", false, TLS_CBC, 16, 0, 20, SHA256, "SHA1" },
	{ 0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", false, TLS_CBC, 32, 0, 20, SHA256, "SHA1" },
	{ 0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", false, TLS_CBC, 16, 0, 32, SHA256, SHA256 },
	{ 0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", false, TLS_CBC, 32, 0, 48, SHA384, SHA384 },
	{ 0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", false, TLS_CBC, 16, 0, 32, SHA256, SHA256 },
	{ 0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", false, TLS_CBC, 32, 0, 48, SHA384, SHA384 },
};

const struct tls_suite *tls_suite_find(uint16_t id)
{
	for (size_t i = 0; i < sizeof suites / sizeof *suites; i++)
		if (suites[i].id == id)
			return &suites[i];
	return NULL;
}

size_t tls_md_len(const char *md)
{
	if (!md)
		return 0;
	if (strcmp(md, SHA256) == 0)
		return 32;
	if (strcmp(md, SHA384) == 0)
		return 48;
	if (strcmp(md, "SHA1") == 0)
		return 20;
	return 0;
}

static bool kdf_derive(const char *name, OSSL_PARAM *params, uint8_t *out, size_t outlen)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, name, NULL);
	if (!kdf)
		return false;
	EVP_KDF_CTX *kctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (!kctx)
		return false;
	bool ok = EVP_KDF_derive(kctx, out, outlen, params) > 0;
	EVP_KDF_CTX_free(kctx);
	return ok;
}

bool tls12_prf(const char *md, const uint8_t *secret, size_t slen, const char *label, const uint8_t *seed,
	       size_t seedlen, uint8_t *out, size_t outlen)
{
	uint8_t buf[256];
	size_t llen = strlen(label);
	if (llen + seedlen > sizeof buf)
		return false;
	memcpy(buf, label, llen);
	memcpy(buf + llen, seed, seedlen);
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)secret, slen),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, buf, llen + seedlen),
		OSSL_PARAM_construct_end(),
	};
	return kdf_derive("TLS1-PRF", params, out, outlen);
}

bool tls13_expand_label(const char *md, const uint8_t *secret, size_t slen, const char *label, const uint8_t *ctx,
			size_t ctxlen, uint8_t *out, size_t outlen)
{
	/* struct { uint16 length; opaque label<7..255> = "tls13 " + Label; opaque context<0..255>; } */
	uint8_t info[2 + 1 + 255 + 1 + 255];
	size_t llen = strlen(label);
	if (6 + llen > 255 || ctxlen > 255 || outlen > 0xffff)
		return false;
	size_t n = 0;
	info[n++] = (uint8_t)(outlen >> 8);
	info[n++] = (uint8_t)outlen;
	info[n++] = (uint8_t)(6 + llen);
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, llen);
	n += llen;
	info[n++] = (uint8_t)ctxlen;
	if (ctxlen)
		memcpy(info + n, ctx, ctxlen);
	n += ctxlen;
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, slen),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, n),
		OSSL_PARAM_construct_end(),
	};
	return kdf_derive("HKDF", params, out, outlen);
}

bool tls12_keys(const struct tls_suite *s, const uint8_t master[48], const uint8_t client_random[32],
		const uint8_t server_random[32], struct tls_keys *c, struct tls_keys *sv)
{
	if (s->tls13)
		return false;
	uint8_t seed[64], kb[2 * (48 + 32 + 16)];
	memcpy(seed, server_random, 32);
	memcpy(seed + 32, client_random, 32);
	size_t need = 2u * (s->mac_len + s->key_len + s->iv_len);
	if (!tls12_prf(s->prf, master, 48, "key expansion", seed, 64, kb, need))
		return false;
	memset(c, 0, sizeof *c);
	memset(sv, 0, sizeof *sv);
	c->s = sv->s = s;
	size_t o = 0;
	memcpy(c->mac_key, kb + o, s->mac_len);
	o += s->mac_len;
	memcpy(sv->mac_key, kb + o, s->mac_len);
	o += s->mac_len;
	memcpy(c->key, kb + o, s->key_len);
	o += s->key_len;
	memcpy(sv->key, kb + o, s->key_len);
	o += s->key_len;
	memcpy(c->iv, kb + o, s->iv_len);
	o += s->iv_len;
	memcpy(sv->iv, kb + o, s->iv_len);
	return true;
}

bool tls13_keys(const struct tls_suite *s, const uint8_t *secret, size_t slen, struct tls_keys *k)
{
	void *ctx = k->ctx;
	memset(k, 0, sizeof *k);
	k->ctx = ctx;
	if (!s->tls13 || slen != tls_md_len(s->prf) || slen > sizeof k->secret)
		return false;
	k->s = s;
	memcpy(k->secret, secret, slen);
	k->secret_len = slen;
	return tls13_expand_label(s->prf, secret, slen, "key", NULL, 0, k->key, s->key_len) &&
	       tls13_expand_label(s->prf, secret, slen, "iv", NULL, 0, k->iv, 12);
}

bool tls13_key_update(struct tls_keys *k)
{
	uint8_t next[48];
	if (!k->s || !k->s->tls13 ||
	    !tls13_expand_label(k->s->prf, k->secret, k->secret_len, "traffic upd", NULL, 0, next, k->secret_len))
		return false;
	return tls13_keys(k->s, next, k->secret_len, k);
}

void tls_keys_release(struct tls_keys *k)
{
	EVP_CIPHER_CTX_free(k->ctx);
	k->ctx = NULL;
}

static const EVP_CIPHER *cipher_of(const struct tls_suite *s)
{
	switch (s->kind) {
	case TLS_GCM:
		return s->key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
	case TLS_CHACHA:
		return EVP_chacha20_poly1305();
	default:
		return s->key_len == 16 ? EVP_aes_128_cbc() : EVP_aes_256_cbc();
	}
}

static void put_seq(uint8_t b[8], uint64_t seq)
{
	for (int i = 7; i >= 0; i--, seq >>= 8)
		b[i] = (uint8_t)seq;
}

/* AEAD open: nonce, aad; in = ciphertext || 16-byte tag. */
static bool aead_open(struct tls_keys *k, const uint8_t nonce[12], const uint8_t *aad, size_t aadlen,
		      const uint8_t *in, size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = k->ctx;
	if (len < 16)
		return false;
	size_t clen = len - 16;
	int n = 0, f = 0;
	return EVP_DecryptInit_ex(ctx, cipher_of(k->s), NULL, NULL, NULL) > 0 &&
	       EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) > 0 &&
	       EVP_DecryptInit_ex(ctx, NULL, NULL, k->key, nonce) > 0 &&
	       EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aadlen) > 0 &&
	       EVP_DecryptUpdate(ctx, out, &n, in, (int)clen) > 0 &&
	       EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, (void *)(in + clen)) > 0 &&
	       EVP_DecryptFinal_ex(ctx, out + n, &f) > 0;
}

static bool hmac_ok(const struct tls_keys *k, uint64_t seq, uint8_t type, uint16_t version, const uint8_t *data,
		    size_t len, const uint8_t *tag)
{
	uint8_t hdr[13], md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	put_seq(hdr, seq);
	hdr[8] = type;
	hdr[9] = (uint8_t)(version >> 8);
	hdr[10] = (uint8_t)version;
	hdr[11] = (uint8_t)(len >> 8);
	hdr[12] = (uint8_t)len;
	const EVP_MD *m = EVP_get_digestbyname(k->s->mac);
	if (!m)
		return false;
	/* HMAC over header || data, in one pass without a copy */
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *mctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	EVP_MAC_free(mac);
	if (!mctx)
		return false;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)k->s->mac, 0),
		OSSL_PARAM_construct_end(),
	};
	size_t outl = 0;
	bool ok = EVP_MAC_init(mctx, k->mac_key, k->s->mac_len, params) > 0 && EVP_MAC_update(mctx, hdr, 13) > 0 &&
		  EVP_MAC_update(mctx, data, len) > 0 && EVP_MAC_final(mctx, md, &outl, sizeof md) > 0;
	EVP_MAC_CTX_free(mctx);
	mdlen = (unsigned)outl;
	return ok && mdlen == k->s->mac_len && CRYPTO_memcmp(md, tag, mdlen) == 0;
}

enum tls_decrypt_result tls_decrypt(struct tls_keys *k, uint8_t type, uint16_t version, const uint8_t *in, size_t len,
				    uint8_t *out, size_t *outlen, uint8_t *inner)
{
	const struct tls_suite *s = k->s;
	if (!s || len > (1u << 14) + 2048)
		return TLS_BAD_RECORD;
	if (!k->ctx && !(k->ctx = EVP_CIPHER_CTX_new()))
		return TLS_BAD_RECORD;
	uint8_t nonce[12], aad[13];
	*inner = type;
	if (s->tls13) {
		memcpy(nonce, k->iv, 12);
		for (int i = 0; i < 8; i++)
			nonce[4 + i] ^= (uint8_t)(k->seq >> (56 - 8 * i));
		aad[0] = type;
		aad[1] = (uint8_t)(version >> 8);
		aad[2] = (uint8_t)version;
		aad[3] = (uint8_t)(len >> 8);
		aad[4] = (uint8_t)len;
		if (len < 17)
			return TLS_BAD_RECORD;
		if (!aead_open(k, nonce, aad, 5, in, len, out))
			return TLS_BAD_TAG;
		size_t n = len - 16;
		while (n && out[n - 1] == 0) /* padding zeros, then the real type */
			n--;
		if (!n)
			return TLS_BAD_RECORD;
		*inner = out[n - 1];
		*outlen = n - 1;
		k->seq++;
		return TLS_OK;
	}
	put_seq(aad, k->seq);
	aad[8] = type;
	aad[9] = (uint8_t)(version >> 8);
	aad[10] = (uint8_t)version;
	if (s->kind == TLS_GCM) {
		if (len < 8 + 16)
			return TLS_BAD_RECORD;
		memcpy(nonce, k->iv, 4);
		memcpy(nonce + 4, in, 8); /* explicit nonce */
		size_t plen = len - 8 - 16;
		aad[11] = (uint8_t)(plen >> 8);
		aad[12] = (uint8_t)plen;
		if (!aead_open(k, nonce, aad, 13, in + 8, len - 8, out))
			return TLS_BAD_TAG;
		*outlen = plen;
		k->seq++;
		return TLS_OK;
	}
	if (s->kind == TLS_CHACHA) {
		if (len < 16)
			return TLS_BAD_RECORD;
		memcpy(nonce, k->iv, 12);
		for (int i = 0; i < 8; i++)
			nonce[4 + i] ^= (uint8_t)(k->seq >> (56 - 8 * i));
		size_t plen = len - 16;
		aad[11] = (uint8_t)(plen >> 8);
		aad[12] = (uint8_t)plen;
		if (!aead_open(k, nonce, aad, 13, in, len, out))
			return TLS_BAD_TAG;
		*outlen = plen;
		k->seq++;
		return TLS_OK;
	}
	/* CBC: explicit IV, ciphertext; MAC-then-encrypt unless encrypt-then-MAC */
	size_t m = s->mac_len;
	const uint8_t *ct = in + 16;
	size_t ctlen = len - 16;
	if (len < 16 + 16 || (k->etm && len < 16 + 16 + m))
		return TLS_BAD_RECORD;
	if (k->etm) {
		ctlen -= m;
		if (!hmac_ok(k, k->seq, type, version, in, 16 + ctlen, in + 16 + ctlen))
			return TLS_BAD_TAG;
	}
	if (ctlen % 16)
		return TLS_BAD_RECORD;
	int n = 0, f = 0;
	EVP_CIPHER_CTX *ctx = k->ctx;
	if (EVP_DecryptInit_ex(ctx, cipher_of(s), NULL, k->key, in) <= 0 || EVP_CIPHER_CTX_set_padding(ctx, 0) <= 0 ||
	    EVP_DecryptUpdate(ctx, out, &n, ct, (int)ctlen) <= 0 || EVP_DecryptFinal_ex(ctx, out + n, &f) <= 0)
		return TLS_BAD_RECORD;
	size_t pad = out[ctlen - 1];
	if (pad + 1 > ctlen)
		return TLS_BAD_TAG;
	for (size_t i = 0; i <= pad; i++)
		if (out[ctlen - 1 - i] != pad)
			return TLS_BAD_TAG;
	size_t plen = ctlen - pad - 1;
	if (!k->etm) {
		if (plen < m)
			return TLS_BAD_TAG;
		plen -= m;
		if (!hmac_ok(k, k->seq, type, version, out, plen, out + plen))
			return TLS_BAD_TAG;
	}
	*outlen = plen;
	k->seq++;
	return TLS_OK;
}
