/*
 * hash.c - whorl_hash64, a multiply-fold hash over 8-byte words.
 *
 * Reads input as little-endian words whatever the host byte order, so every
 * build produces the same values (see the golden vectors in the tests).
 */
#include "hash.h"

#define HASH_P0 0xa0761d6478bd642full
#define HASH_P1 0xe7037ed1a0b428dbull
#define HASH_P2 0x8ebc6af09c88c6e3ull

static inline uint64_t load64_le(const unsigned char *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
	       (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
	       (uint64_t)p[7] << 56;
}

static inline uint64_t load32_le(const unsigned char *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24;
}

/* The last 1 to 7 bytes p[i..n) as a little-endian word padded with zero
 * bytes, read without copying and within p[0..n): the 8 bytes that end at
 * n shifted down when there are 8, else (then i is 0) two overlapping
 * 4-byte loads or three single bytes, whose overlaps agree. */
static inline uint64_t load_tail(const unsigned char *p, size_t i, size_t n)
{
	size_t k = n - i;
	if (n >= 8)
		return load64_le(p + n - 8) >> (8 * (8 - k));
	if (k >= 4)
		return load32_le(p) | load32_le(p + k - 4) << (8 * (k - 4));
	return (uint64_t)p[0] | (uint64_t)p[k / 2] << (8 * (k / 2)) |
	       (uint64_t)p[k - 1] << (8 * (k - 1));
}

/* 64x64->128 multiply, folded to 64 bits by xor of the halves. */
static inline uint64_t fold_mul(uint64_t a, uint64_t b)
{
	unsigned __int128 r = (unsigned __int128)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

uint64_t whorl_hash64(const void *data, size_t n, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = seed ^ HASH_P0 ^ ((uint64_t)n * HASH_P2);
	size_t i = 0;
	for (; i + 16 <= n; i += 16)
		h = fold_mul(load64_le(p + i) ^ HASH_P1 ^ h, load64_le(p + i + 8) ^ HASH_P2);
	if (i + 8 <= n) {
		h = fold_mul(load64_le(p + i) ^ HASH_P1, h ^ HASH_P0);
		i += 8;
	}
	if (i < n)
		h = fold_mul(load_tail(p, i, n) ^ HASH_P2, h ^ HASH_P1);
	return fold_mul(h ^ HASH_P1, HASH_P2 ^ (uint64_t)n);
}
