/* hash.h - the hash functions shared by the ingest layers, the model and
 * the rules: arithmetic on bytes and integers only (no capture, no model
 * state), so rules/ may include it. For hash tables, not for security. */
#ifndef SIPAUDIT_HASH_H
#define SIPAUDIT_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* FNV-1a, 32 bits, seeded (the seed is xored into the offset basis) */
static inline uint32_t hash_bytes(const void *p, size_t n, uint32_t seed)
{
	const uint8_t *b = p;
	uint32_t h = 2166136261u ^ seed;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return h;
}

/* For hash tables that compare keys (a chain or a probe ends on equal
 * keys, so only speed and spread matter): eight bytes a step, where FNV-1a
 * takes one; the last 1 to 7 bytes as one word, the length mixed in, and a
 * fmix64 finaliser (below) so that every byte reaches the low bits. Not
 * for tables whose slots are the keys (a collision there loses an entry:
 * what was lost would change with the function), which keep hash_bytes. */
static inline uint32_t hash_words(const void *p, size_t n, uint32_t seed);

/* FNV-1a, 64 bits, seeded likewise */
static inline uint64_t hash_bytes64(const void *p, size_t n, uint64_t seed)
{
	const uint8_t *b = p;
	uint64_t h = 1469598103934665603ULL ^ seed;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* 64-bit finaliser (MurmurHash3 fmix64): every input bit reaches the low
 * bits that pick a bucket (FNV's low bits only mix from below). */
static inline uint64_t hash_mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static inline uint32_t hash_words(const void *p, size_t n, uint32_t seed)
{
	const uint8_t *b = p;
	uint64_t h = ((uint64_t)seed << 32 | seed) ^ (n * 0x9E3779B97F4A7C15ULL);
	for (; n >= 8; n -= 8, b += 8) {
		uint64_t w;
		memcpy(&w, b, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 29;
	}
	if (n) {
		uint64_t w = 0;
		memcpy(&w, b, n);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
	}
	h = hash_mix64(h);
	return (uint32_t)(h ^ h >> 32);
}

#endif
