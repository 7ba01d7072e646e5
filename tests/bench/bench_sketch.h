/*
 * bench_sketch.h - random fuzzy sketches in the fuzzy engine's stored
 * format (cartridge/fp/fuzzy.c), for the benchmark programs that publish
 * synthetic sets (gen_sigs.c, update_apply.c): format byte 2, flags 0, word
 * and gram counts above the engine's minimums, 2 x 64 random bin bytes and
 * 8 random non-zero (odd, as the engine's) anchors, so every sketch is
 * indexed. Deterministic from the splitmix64 state.
 *
 * Not for: realistic campaign structure (random sketches match nothing).
 */
#ifndef WHORL_BENCH_SKETCH_H
#define WHORL_BENCH_SKETCH_H

#include <stdint.h>
#include <string.h>

#define GEN_FUZZY_K 64      /* bins per view (fuzzy.c FUZZY_K) */
#define GEN_FUZZY_ANCHORS 4 /* per view (fuzzy.c FUZZY_STORED_ANCHORS) */
#define GEN_FUZZY_BYTES (6 + 2 * GEN_FUZZY_K + 2 * 4 * GEN_FUZZY_ANCHORS)
#define GEN_FUZZY_VERSION 2
#define GEN_FUZZY_FORMAT 2 /* byte 0 (fuzzy.c FUZZY_FORMAT) */

static inline uint64_t rng_next(uint64_t *state) /* splitmix64 */
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint32_t rng_below(uint64_t *state, uint32_t n)
{
	return (uint32_t)((rng_next(state) >> 32) * n >> 32);
}

static inline void put_le(uint8_t *p, uint32_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* One random sketch in the fuzzy engine's stored format. */
static inline void sketch_random(uint64_t *state, uint8_t *b)
{
	memset(b, 0, GEN_FUZZY_BYTES);
	b[0] = GEN_FUZZY_FORMAT;
	put_le(b + 2, 8 + rng_below(state, 2000), 2);   /* words >= FUZZY_MIN_WORDS */
	put_le(b + 4, 40 + rng_below(state, 20000), 2); /* grams >= FUZZY_MIN_GRAMS */
	for (size_t i = 0; i < 2 * GEN_FUZZY_K; i++)
		b[6 + i] = (uint8_t)rng_next(state);
	for (size_t i = 0; i < 2 * GEN_FUZZY_ANCHORS; i++)
		put_le(b + 6 + 2 * GEN_FUZZY_K + 4 * i, (uint32_t)rng_next(state) | 1u, 4);
}

#endif
