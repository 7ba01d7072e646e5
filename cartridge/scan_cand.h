/*
 * scan_cand.h - the candidates of one query sketch, counted by how many of
 * its anchors each shares, and the order they are verified in (scan.c).
 *
 * A small open-addressing set on the stack: the slot of a candidate is
 * fixed by its handle's mix and by what was added before it, and the
 * verification order (most-shared first, ties in slot order) follows the
 * slots, so that the same message always verifies the same candidates at
 * the cut-off. `used` marks the occupied slots, so that walking them costs
 * per candidate, not per slot. Header-only (static inline) so that
 * test_scan_cand can compare the walk with the one it replaced.
 *
 * Not for: finding candidates (sigdb) or verifying them (scan.c).
 */
#ifndef WHORL_SCAN_CAND_H
#define WHORL_SCAN_CAND_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fp/fp.h"
#include "util/hash.h"

#define SCAN_CAND_SLOTS 1024                /* distinct candidates counted per query (power of 2) */
#define SCAN_CAND_MAX (SCAN_CAND_SLOTS / 2) /* past this, new candidates are dropped */
/* Candidates verified per query (scan.c), most-shared first. Text
 * sketches: 64 (at 256 a legitimate mail of hard-ham-1 met a weak fuzzy
 * match past the first 64 and flagged: docs/BENCHMARKS.md). Image
 * sketches: every candidate counted. A published picture adds up to
 * IMG_MAX_CROPS near sketches, and the pictures of one template (every
 * invoice of a campaign's layout) have region hashes a few bits apart, so
 * a copy's true match can share fewer anchors than hundreds of its
 * siblings' crops; at 256 a banner copy of an invoice was cut off that way
 * (docs/BENCHMARKS.md "Tile evidence"). Its tiles tell the siblings apart. */
#define SCAN_MAX_VERIFIED 64
#define SCAN_MAX_VERIFIED_IMAGE SCAN_CAND_MAX

struct cand_set {
	uint32_t idx[SCAN_CAND_SLOTS];
	uint16_t hits[SCAN_CAND_SLOTS];
	uint64_t used[SCAN_CAND_SLOTS / 64];
	size_t n;
};

static inline void cand_set_init(struct cand_set *cs)
{
	memset(cs->hits, 0, sizeof(cs->hits));
	memset(cs->used, 0, sizeof(cs->used));
	cs->n = 0;
}

/* Counts one more anchor shared with candidate idx. */
static inline void cand_add(struct cand_set *cs, uint32_t idx)
{
	size_t h = (size_t)(whorl_mix64(idx) & (SCAN_CAND_SLOTS - 1));
	while (cs->hits[h] != 0) {
		if (cs->idx[h] == idx) {
			cs->hits[h]++;
			return;
		}
		h = (h + 1) & (SCAN_CAND_SLOTS - 1);
	}
	if (cs->n >= SCAN_CAND_MAX)
		return; /* full enough: later single-anchor candidates are dropped */
	cs->idx[h] = idx;
	cs->hits[h] = 1;
	cs->used[h / 64] |= 1ull << (h % 64);
	cs->n++;
}

/* The candidates to verify, at most cap, into order; returns how many.
 * The share count from which cap candidates are taken comes from a
 * histogram (counts are small), the occupied slots from one walk of
 * `used`; then those above that count, then those at it, each in slot
 * order. */
static inline size_t cand_order(const struct cand_set *cs, size_t cap, uint32_t *order)
{
	uint16_t slots[SCAN_CAND_MAX];
	size_t n_slots = 0;
	size_t hist[FP_MAX_QUERY_ANCHORS + 1] = { 0 };
	for (size_t w = 0; w < SCAN_CAND_SLOTS / 64; w++)
		for (uint64_t bits = cs->used[w]; bits != 0; bits &= bits - 1) {
			size_t h = w * 64 + (size_t)__builtin_ctzll(bits);
			slots[n_slots++] = (uint16_t)h;
			hist[cs->hits[h] > FP_MAX_QUERY_ANCHORS ? FP_MAX_QUERY_ANCHORS
			                                        : cs->hits[h]]++;
		}
	unsigned cutoff = FP_MAX_QUERY_ANCHORS;
	size_t taken = hist[cutoff];
	while (cutoff > 1 && taken < cap)
		taken += hist[--cutoff];
	size_t n = 0;
	for (size_t k = 0; k < n_slots && n < cap; k++)
		if (cs->hits[slots[k]] > cutoff)
			order[n++] = cs->idx[slots[k]];
	for (size_t k = 0; k < n_slots && n < cap; k++)
		if (cs->hits[slots[k]] == cutoff)
			order[n++] = cs->idx[slots[k]];
	return n;
}

#endif
