/*
 * sketches.c - the sketch store of a snapshot and its anchor index.
 *
 * Store: all sketch bytes back to back in one array, plus one 24-byte record
 * per sketch (offset, length, engine, algo, id, metadata), sorted by (engine,
 * id) so that the same content always freezes to the same arrays. A
 * segment is one reference-counted object, shared by every snapshot whose
 * view holds it (skview.c).
 *
 * Anchor index, a multimap (engine, anchor) -> sketch index. Each pair maps
 * to a 32-bit key, a bijection of the anchor per engine (sigdb_anchor_key).
 * Postings are sorted by key and cut into 2^dir_bits buckets by the key's
 * top bits; dir[b] is the first posting of bucket b. A bucket holds ~4-8
 * postings, so a lookup reads one directory entry and one short contiguous
 * run. As the bucket fixes the top >= 8 key bits, a posting stores only the
 * low 24 bits beside a 24-bit sketch index (SIGDB_MAX_SKETCHES = 2^24): 6
 * bytes, at load 1.0, with no key lost. That is what keeps a sketch of 136
 * bytes with 12 anchors under 256 bytes all included; an open-addressing
 * table of 8-byte slots at load 0.8 would alone cost 120 bytes per sketch.
 * Two engines may share a key; candidates are filtered on the record's engine.
 *
 * Anchors shared by more than SIGDB_MAX_ANCHOR_FANOUT sketches identify
 * nothing and are left out of the index. The rule holds per segment: an
 * anchor shared by 40 sketches in each of two segments stays indexed in
 * both, and dead sketches still count in theirs, until a compaction merges
 * them (skcompact.c); a weakening bounded by SIGDB_MAX_SEGS times the cap.
 * Their postings are kept aside (sorted, 8 bytes each) only so that a
 * merge of segments can rebuild them when deletes thin them out.
 *
 * Not for: comparing sketches (fp/), building the records (bsketch.c), the
 * view over segments (skview.c).
 */
#include <stdlib.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "sigdb_int.h"

#define KEY_LOW_MASK 0xffffffu /* the 24 key bits a posting stores */

/* Inverse of a multiplication by an odd a modulo 2^32 (Newton's method). */
static uint32_t inv32(uint32_t a)
{
	uint32_t x = a; /* correct to 3 bits for odd a */
	for (int i = 0; i < 4; i++)
		x *= 2u - a * x;
	return x;
}

uint32_t sigdb_anchor_from_key(uint8_t engine, uint32_t key)
{
	uint32_t x = key;
	x ^= x >> 16;
	x *= inv32(0x846ca68bu);
	x ^= (x >> 15) ^ (x >> 30);
	x *= inv32(0x7feb352du);
	x ^= x >> 16;
	return x ^ (engine * SIGDB_ANCHOR_SALT);
}

/* Removes duplicates from sorted post; returns the new length. */
static size_t posts_unique(uint64_t *post, size_t n)
{
	size_t out = 0;
	for (size_t i = 0; i < n; i++)
		if (out == 0 || post[out - 1] != post[i])
			post[out++] = post[i];
	return out;
}

/* Moves the groups (same key and engine) larger than the fan-out cap to the
 * end of post, keeping order on both sides; returns how many stay. */
static size_t posts_split_fanout(uint64_t *post, size_t n, uint64_t *dropped, size_t *n_dropped)
{
	size_t keep = 0, drop = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && post[j] >> SIGDB_IDX_BITS == post[i] >> SIGDB_IDX_BITS)
			j++;
		if (j - i > SIGDB_MAX_ANCHOR_FANOUT) {
			memcpy(dropped + drop, post + i, (j - i) * sizeof(*post));
			drop += j - i;
		} else {
			memmove(post + keep, post + i, (j - i) * sizeof(*post));
			keep += j - i;
		}
		i = j;
	}
	*n_dropped = drop;
	return keep;
}

static unsigned dir_bits_for(size_t n)
{
	unsigned bits = SIGDB_DIR_BITS_MIN;
	while (bits < SIGDB_DIR_BITS_MAX && ((size_t)SIGDB_BUCKET_TARGET << (bits + 1)) <= n)
		bits++;
	return bits;
}

static void anchors_fill(struct sigdb_anchors *a, const uint64_t *post, size_t n)
{
	unsigned shift = 32 - a->dir_bits;
	size_t n_dir = (size_t)1 << a->dir_bits;
	size_t p = 0;
	for (size_t b = 0; b < n_dir; b++) {
		a->dir[b] = (uint32_t)p;
		while (p < n && (uint32_t)(post[p] >> 32) >> shift == b)
			p++;
	}
	a->dir[n_dir] = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		uint32_t key = (uint32_t)(post[i] >> 32);
		uint32_t idx = (uint32_t)post[i] & SIGDB_IDX_MASK;
		a->post_hi[i] = idx | (key >> 16 & 0xffu) << SIGDB_IDX_BITS;
		a->post_lo[i] = (uint16_t)key;
	}
	a->n_post = (uint32_t)n;
}

int sigdb_anchors_freeze(struct sigdb_anchors *a, uint64_t *post, size_t n)
{
	uint64_t *dropped = NULL;
	size_t n_dropped = 0;
	int rc = sigdb_sort_u64(post, n);
	if (rc != 0)
		goto out;
	n = posts_unique(post, n);
	rc = WHORL_ENOMEM;
	dropped = malloc((n ? n : 1) * sizeof(*dropped));
	if (dropped == NULL)
		goto out;
	size_t keep = posts_split_fanout(post, n, dropped, &n_dropped);
	a->dir_bits = dir_bits_for(keep);
	a->dir = malloc((((size_t)1 << a->dir_bits) + 1) * sizeof(*a->dir));
	a->post_hi = malloc((keep ? keep : 1) * sizeof(*a->post_hi));
	a->post_lo = malloc((keep ? keep : 1) * sizeof(*a->post_lo));
	if (a->dir == NULL || a->post_hi == NULL || a->post_lo == NULL)
		goto out; /* the caller releases what was set */
	if (n_dropped != 0) {
		uint64_t *shrunk = realloc(dropped, n_dropped * sizeof(*dropped));
		a->dropped = shrunk != NULL ? shrunk : dropped;
		a->n_dropped = (uint32_t)n_dropped;
		dropped = NULL;
	}
	anchors_fill(a, post, keep);
	rc = 0;
out:
	free(dropped);
	return rc;
}

int sigdb_sketches_index_engines(struct sigdb_sketches *s)
{
	uint32_t i = 0;
	for (unsigned e = 0; e <= SIGDB_ENGINE_VALUES; e++) {
		s->engine_first[e] = i;
		while (i < s->count && s->recs[i].engine == e)
			i++;
	}
	return i == s->count ? 0 : WHORL_EINVAL; /* short of the end: not sorted */
}

struct sigdb_sketches *sigdb_sketches_new(void)
{
	struct sigdb_sketches *s = calloc(1, sizeof(*s));
	if (s != NULL)
		atomic_init(&s->refs, 1);
	return s;
}

void sigdb_sketches_ref(struct sigdb_sketches *s)
{
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
}

void sigdb_sketches_unref(struct sigdb_sketches *s)
{
	if (s == NULL || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
		return;
	free(s->recs);
	free(s->store);
	free(s->anchors.dir);
	free(s->anchors.post_hi);
	free(s->anchors.post_lo);
	free(s->anchors.dropped);
	free(s);
}

size_t sigdb_sketches_bytes(const struct sigdb_sketches *s)
{
	const struct sigdb_anchors *a = &s->anchors;
	size_t n = sizeof(*s) + (size_t)s->count * sizeof(*s->recs) + s->store_len;
	if (a->dir != NULL)
		n += (((size_t)1 << a->dir_bits) + 1) * sizeof(*a->dir);
	n += (size_t)a->n_post * (sizeof(*a->post_hi) + sizeof(*a->post_lo));
	n += (size_t)a->n_dropped * sizeof(*a->dropped);
	return n;
}

void sigdb_anchors_each(const struct sigdb_sketches *s, unsigned seg,
                        void (*fn)(void *ctx, uint32_t h, uint32_t anchor), void *ctx)
{
	const struct sigdb_anchors *a = &s->anchors;
	unsigned shift = 32 - a->dir_bits;
	for (uint32_t b = 0; a->n_post != 0 && b < (1u << a->dir_bits); b++) {
		for (uint32_t p = a->dir[b]; p < a->dir[b + 1]; p++) {
			uint32_t hi = a->post_hi[p];
			uint32_t key = b << shift | (hi >> SIGDB_IDX_BITS) << 16 | a->post_lo[p];
			uint32_t i = hi & SIGDB_IDX_MASK;
			fn(ctx, sigdb_handle(seg, i),
			   sigdb_anchor_from_key(s->recs[i].engine, key));
		}
	}
	for (uint32_t d = 0; d < a->n_dropped; d++) {
		uint32_t i = (uint32_t)a->dropped[d] & SIGDB_IDX_MASK;
		uint32_t key = (uint32_t)(a->dropped[d] >> 32);
		fn(ctx, sigdb_handle(seg, i), sigdb_anchor_from_key(s->recs[i].engine, key));
	}
}
