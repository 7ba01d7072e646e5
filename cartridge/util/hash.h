/*
 * hash.h - the 64-bit hash every fingerprint is built from.
 *
 * whorl_hash64() is a fixed, seeded, endian-independent hash. Fingerprints
 * published by one build are matched by every other build, so its output for
 * a given input and seed must never change: tests/unit/test_hash.c holds
 * golden vectors. Not cryptographic; not for secrets or integrity.
 */
#ifndef WHORL_HASH_H
#define WHORL_HASH_H

#include <stddef.h>
#include <stdint.h>

/* Hash of p[0..n) under seed. */
uint64_t whorl_hash64(const void *p, size_t n, uint64_t seed);

/* Mixes one 64-bit value into a well-distributed 64-bit value (bijective). */
static inline uint64_t whorl_mix64(uint64_t x)
{
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ull;
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ull;
	x ^= x >> 32;
	return x;
}

/* Combines a running hash with one more 64-bit value (order-dependent). */
static inline uint64_t whorl_hash_combine(uint64_t h, uint64_t v)
{
	return whorl_mix64(h ^ (v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2)));
}

/* Tags a raw 64-bit value with its engine so that keys of different engines
 * never collide in one table. */
static inline uint64_t whorl_fp_key(unsigned engine, uint64_t raw)
{
	return whorl_mix64(raw ^ ((uint64_t)engine * 0xa0761d6478bd642full));
}

#endif
