/* unit_tlscrypto.c - TLS key schedules and record decryption
 * (analyzer/tls/tlscrypto.c). The KDF outputs are checked against values
 * computed by an independent implementation (Python's hmac and hashlib:
 * P_hash of RFC 5246 §5, HKDF-Expand-Label of RFC 8446 §7.1). Records are
 * sealed here with EVP and the layout of the RFCs (TLS 1.3 §5.2, TLS 1.2
 * GCM RFC 5288, ChaCha20 RFC 7905, CBC RFC 5246 §6.2.3.2), then opened by
 * tls_decrypt: the right plaintext and inner type, the sequence advancing,
 * a flipped bit rejected as a bad tag. */
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "../analyzer/tls/tlscrypto.h"
#include "tap.h"

static void unhex(const char *h, uint8_t *out)
{
	for (size_t i = 0; h[2 * i]; i++) {
		unsigned v;
		sscanf(h + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

static bool eqhex(const uint8_t *p, const char *h)
{
	uint8_t b[128];
	unhex(h, b);
	return memcmp(p, b, strlen(h) / 2) == 0;
}

static void seq8(uint8_t b[8], uint64_t s)
{
	for (int i = 7; i >= 0; i--, s >>= 8)
		b[i] = (uint8_t)s;
}

/* AEAD seal: out = ciphertext || tag */
static size_t seal(const EVP_CIPHER *c, const uint8_t *key, const uint8_t nonce[12], const uint8_t *aad, size_t aadlen,
		   const uint8_t *pt, size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, f = 0;
	EVP_EncryptInit_ex(ctx, c, NULL, NULL, NULL);
	EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL);
	EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce);
	EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aadlen);
	EVP_EncryptUpdate(ctx, out, &n, pt, (int)len);
	EVP_EncryptFinal_ex(ctx, out + n, &f);
	EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, out + len);
	EVP_CIPHER_CTX_free(ctx);
	return len + 16;
}

static void test_kdf(void)
{
	uint8_t master[48], cr[32], sr[32], seed[64], out[80];
	for (int i = 0; i < 48; i++)
		master[i] = (uint8_t)i;
	for (int i = 0; i < 32; i++) {
		cr[i] = (uint8_t)i;
		sr[i] = (uint8_t)(100 + i);
	}
	memcpy(seed, sr, 32);
	memcpy(seed + 32, cr, 32);
	CHECK(tls12_prf("SHA256", master, 48, "key expansion", seed, 64, out, 40) &&
		      eqhex(out, "13a017bd1db30204b7a3289db92c331efb7c1581f221de059d0a2f6f57307a0baa2de235554920d4"),
	      "TLS 1.2 PRF with SHA-256");
	CHECK(tls12_prf("SHA384", master, 48, "key expansion", seed, 64, out, 72) &&
		      eqhex(out, "a7792bb4690f5249ea8f544503bd8662bd58f6a0178b40cc4059b6391fab94c0ad37b18b30637bfaaa9718f5645c3eba"
				 "bb31add8fa5608daf1861e4d1259b66ab6ca20afb85b002b"),
	      "TLS 1.2 PRF with SHA-384");
	uint8_t sec[32], sec48[48];
	for (int i = 0; i < 32; i++)
		sec[i] = (uint8_t)(200 + i);
	for (int i = 0; i < 48; i++)
		sec48[i] = (uint8_t)i;
	struct tls_keys k = { 0 };
	CHECK(tls13_keys(tls_suite_find(0x1301), sec, 32, &k) && eqhex(k.key, "77281f7d4463f957ee0227516fea73f1") &&
		      eqhex(k.iv, "63958fe40f7c5fd0529de9c9"),
	      "TLS 1.3 key and iv from a traffic secret (HKDF-Expand-Label)");
	CHECK(tls13_key_update(&k) && eqhex(k.secret, "a326dd6315effa19ae184e33b0d25b32bf95bc4c231e475a8c64dbc066de0ef5") &&
		      eqhex(k.key, "447bc161b7ecb89129e4bb083808d88d") && k.seq == 0,
	      "TLS 1.3 KeyUpdate: the next secret and its key");
	CHECK(tls13_keys(tls_suite_find(0x1302), sec48, 48, &k) &&
		      eqhex(k.key, "6877d022f1c61d24ebb7487c16752d9a4798e40431c75b39320e537c90e23225"),
	      "TLS 1.3 with SHA-384 (AES-256-GCM key)");
	CHECK(!tls13_keys(tls_suite_find(0x1302), sec, 32, &k), "a secret of the wrong length for the suite is refused");
	tls_keys_release(&k);
	CHECK(tls_suite_find(0xC02F) && !tls_suite_find(0xC02F)->tls13 && tls_suite_find(0x0005) == NULL,
	      "suite table: ECDHE-RSA-AES128-GCM known, RC4 not");
}

static void test_tls13_record(void)
{
	struct tls_keys k = { 0 };
	uint8_t sec[32];
	for (int i = 0; i < 32; i++)
		sec[i] = (uint8_t)(i * 3);
	const struct tls_suite *suites[2] = { tls_suite_find(0x1301), tls_suite_find(0x1303) };
	for (int si = 0; si < 2; si++) {
		tls13_keys(suites[si], sec, 32, &k);
		const char *msg = "OPTIONS sip:a@b SIP/2.0\r\n\r\n";
		size_t ml = strlen(msg);
		uint8_t pt[128], rec[256], out[256];
		for (uint64_t s = 0; s < 3; s++) {
			memcpy(pt, msg, ml);
			pt[ml] = 23;              /* application_data */
			memset(pt + ml + 1, 0, 5); /* padding */
			size_t ptlen = ml + 6, clen = ptlen + 16;
			uint8_t nonce[12], aad[5] = { 23, 3, 3, (uint8_t)(clen >> 8), (uint8_t)clen }, sq[8];
			memcpy(nonce, k.iv, 12);
			seq8(sq, s);
			for (int i = 0; i < 8; i++)
				nonce[4 + i] ^= sq[i];
			seal(si ? EVP_chacha20_poly1305() : EVP_aes_128_gcm(), k.key, nonce, aad, 5, pt, ptlen, rec);
			size_t olen = 0;
			uint8_t inner = 0;
			enum tls_decrypt_result r = tls_decrypt(&k, 23, 0x0303, rec, clen, out, &olen, &inner);
			CHECK(r == TLS_OK && olen == ml && memcmp(out, msg, ml) == 0 && inner == 23 && k.seq == s + 1,
			      "TLS 1.3 %s record %llu opened, padding and inner type stripped", suites[si]->name,
			      (unsigned long long)s);
		}
		uint8_t bad[64] = { 0 };
		size_t olen;
		uint8_t inner;
		CHECK(tls_decrypt(&k, 23, 0x0303, bad, 40, bad, &olen, &inner) == TLS_BAD_TAG && k.seq == 3,
		      "TLS 1.3 %s: a record that does not authenticate is a bad tag; seq unchanged", suites[si]->name);
		CHECK(tls_decrypt(&k, 23, 0x0303, bad, 10, bad, &olen, &inner) == TLS_BAD_RECORD, "a record shorter than a tag");
	}
	tls_keys_release(&k);
}

static void test_tls12_records(void)
{
	uint8_t master[48], cr[32], sr[32];
	for (int i = 0; i < 48; i++)
		master[i] = (uint8_t)(i ^ 0x5a);
	for (int i = 0; i < 32; i++) {
		cr[i] = (uint8_t)(i + 1);
		sr[i] = (uint8_t)(i + 77);
	}
	const char *msg = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
	size_t ml = strlen(msg);
	uint16_t ids[] = { 0xC02F, 0xC030, 0xCCA8, 0xC013, 0xC027, 0xC028 };
	for (size_t t = 0; t < sizeof ids / sizeof *ids; t++) {
		const struct tls_suite *s = tls_suite_find(ids[t]);
		struct tls_keys c, sv;
		CHECK(tls12_keys(s, master, cr, sr, &c, &sv), "%s: key block", s->name);
		/* the client's key block layout, recomputed here */
		uint8_t seed[64], kb[256];
		memcpy(seed, sr, 32);
		memcpy(seed + 32, cr, 32);
		tls12_prf(s->prf, master, 48, "key expansion", seed, 64, kb, 2u * (s->mac_len + s->key_len + s->iv_len));
		const uint8_t *mac = kb, *key = kb + 2 * s->mac_len, *iv = kb + 2 * s->mac_len + 2 * s->key_len;
		CHECK(memcmp(c.key, key, s->key_len) == 0 && memcmp(c.mac_key, mac, s->mac_len) == 0 &&
			      memcmp(c.iv, iv, s->iv_len) == 0 && memcmp(sv.key, key + s->key_len, s->key_len) == 0,
		      "%s: client and server keys where RFC 5246 §6.3 puts them", s->name);
		uint8_t rec[256], out[256], aad[13];
		size_t len;
		for (uint64_t q = 0; q < 2; q++) {
			seq8(aad, q);
			aad[8] = 23;
			aad[9] = 3;
			aad[10] = 3;
			if (s->kind == TLS_GCM) {
				uint8_t nonce[12];
				memcpy(nonce, c.iv, 4);
				for (int i = 0; i < 8; i++)
					rec[i] = nonce[4 + i] = (uint8_t)(0xA0 + i + q); /* explicit nonce */
				aad[11] = (uint8_t)(ml >> 8);
				aad[12] = (uint8_t)ml;
				len = 8 + seal(s->key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(), c.key, nonce, aad, 13,
					       (const uint8_t *)msg, ml, rec + 8);
			} else if (s->kind == TLS_CHACHA) {
				uint8_t nonce[12];
				memcpy(nonce, c.iv, 12);
				for (int i = 0; i < 8; i++)
					nonce[4 + i] ^= aad[i];
				aad[11] = (uint8_t)(ml >> 8);
				aad[12] = (uint8_t)ml;
				len = seal(EVP_chacha20_poly1305(), c.key, nonce, aad, 13, (const uint8_t *)msg, ml, rec);
			} else {
				/* MAC-then-encrypt: IV || E(content || MAC || padding) */
				uint8_t pt[256], md[64];
				unsigned mdlen = 0;
				aad[11] = (uint8_t)(ml >> 8);
				aad[12] = (uint8_t)ml;
				uint8_t macin[256];
				memcpy(macin, aad, 13);
				memcpy(macin + 13, msg, ml);
				HMAC(EVP_get_digestbyname(s->mac), c.mac_key, s->mac_len, macin, 13 + ml, md, &mdlen);
				memcpy(pt, msg, ml);
				memcpy(pt + ml, md, mdlen);
				size_t n = ml + mdlen, pad = 15 - n % 16;
				memset(pt + n, (int)pad, pad + 1);
				n += pad + 1;
				for (int i = 0; i < 16; i++)
					rec[i] = (uint8_t)(i * 7 + q);
				EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
				int o = 0, f = 0;
				EVP_EncryptInit_ex(ctx, s->key_len == 16 ? EVP_aes_128_cbc() : EVP_aes_256_cbc(), NULL, c.key, rec);
				EVP_CIPHER_CTX_set_padding(ctx, 0);
				EVP_EncryptUpdate(ctx, rec + 16, &o, pt, (int)n);
				EVP_EncryptFinal_ex(ctx, rec + 16 + o, &f);
				EVP_CIPHER_CTX_free(ctx);
				len = 16 + n;
			}
			size_t olen = 0;
			uint8_t inner = 0;
			enum tls_decrypt_result r = tls_decrypt(&c, 23, 0x0303, rec, len, out, &olen, &inner);
			CHECK(r == TLS_OK && olen == ml && memcmp(out, msg, ml) == 0 && c.seq == q + 1,
			      "%s: record %llu opened", s->name, (unsigned long long)q);
		}
		rec[len / 2] ^= 1;
		c.seq = 1;
		size_t olen;
		uint8_t inner;
		CHECK(tls_decrypt(&c, 23, 0x0303, rec, len, out, &olen, &inner) == TLS_BAD_TAG && c.seq == 1,
		      "%s: a flipped bit is a bad tag (or MAC, or padding)", s->name);
		tls_keys_release(&c);
		tls_keys_release(&sv);
	}
}

int main(void)
{
	test_kdf();
	test_tls13_record();
	test_tls12_records();
	return tap_done();
}
