/* hash.h - the hash functions shared by the ingest layers, the model and
 * the rules: arithmetic on bytes and integers only (no capture, no model
 * state), so rules/ may include it. For hash tables, not for security. */
#ifndef SIPAUDIT_HASH_H
#define SIPAUDIT_HASH_H

#include <stddef.h>
#include <stdint.h>

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

#endif
