/*
 * skview.c - the sketches of a snapshot as one live set over its segments.
 *
 * A view is a few immutable segments (sketches.c), oldest first, and a
 * sorted array of dead handles: sketches deleted, or replaced by a newer
 * segment, but still in an older one that other snapshots share. An update
 * that changes a few sketches adds one small segment and a few dead handles
 * instead of copying the whole set (builder.c, bsk_match.c); skcompact.c
 * keeps the segments and the dead few.
 *
 * Queries (candidates, get) are lock-free and allocation-free: a candidate
 * is looked up in each segment's anchor index and dropped when dead (one
 * bit test: a finished view is sealed with a bitmap of its dead, one bit per
 * record, 12.5 KB per 100,000 sketches; builders use the sorted array, a
 * binary search). Iteration
 * (digest, foreach, merges) is a merge over the segments by (engine, id),
 * skipping the dead, so it never depends on how the snapshot was built.
 *
 * Not for: building segments (bsketch.c), bounding them (skcompact.c).
 */
#include <stdlib.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "sigdb_int.h"

#define KEY_LOW_MASK 0xffffffu /* the 24 key bits a posting stores */

void sigdb_skview_release(struct sigdb_skview *v)
{
	for (unsigned s = 0; s < v->n_seg; s++)
		sigdb_sketches_unref(v->seg[s]);
	free(v->dead);
	free(v->dead_bits);
	memset(v, 0, sizeof(*v));
}

int sigdb_skview_seal(struct sigdb_skview *v)
{
	uint32_t total = 0;
	free(v->dead_bits);
	v->dead_bits = NULL;
	for (unsigned s = 0; s < v->n_seg; s++) {
		v->seg_first[s] = total;
		total += v->seg[s]->count;
	}
	v->seg_first[v->n_seg] = total;
	if (v->n_dead == 0)
		return 0;
	v->dead_bits = calloc(((size_t)total + 63) / 64, sizeof(*v->dead_bits));
	if (v->dead_bits == NULL)
		return WHORL_ENOMEM;
	for (uint32_t d = 0; d < v->n_dead; d++) {
		uint32_t g =
		    v->seg_first[v->dead[d] >> SIGDB_IDX_BITS] + (v->dead[d] & SIGDB_IDX_MASK);
		v->dead_bits[g / 64] |= 1ull << (g % 64);
	}
	return 0;
}

/* The scan path's test: one bit of a sealed view. */
static inline int dead_bit(const struct sigdb_skview *v, unsigned s, uint32_t i)
{
	if (v->dead_bits == NULL)
		return 0;
	uint32_t g = v->seg_first[s] + i;
	return (int)(v->dead_bits[g / 64] >> (g % 64) & 1);
}

int sigdb_skview_copy(struct sigdb_skview *dst, const struct sigdb_skview *src)
{
	*dst = *src;
	dst->dead = NULL;
	dst->dead_bits = NULL;
	if (src->n_dead != 0) {
		dst->dead = malloc(src->n_dead * sizeof(*dst->dead));
		if (dst->dead == NULL) {
			memset(dst, 0, sizeof(*dst));
			return WHORL_ENOMEM;
		}
		memcpy(dst->dead, src->dead, src->n_dead * sizeof(*dst->dead));
	}
	for (unsigned s = 0; s < dst->n_seg; s++)
		sigdb_sketches_ref(dst->seg[s]);
	if (sigdb_skview_seal(dst) != 0) {
		sigdb_skview_release(dst);
		return WHORL_ENOMEM;
	}
	return 0;
}

/* The first position in dead holding a handle >= h. */
static uint32_t dead_lower(const struct sigdb_skview *v, uint32_t h)
{
	uint32_t lo = 0, hi = v->n_dead;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (v->dead[mid] < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* On the scan path: a binary search without branches on the data (the
 * compiler makes the step a conditional move), as hits are unpredictable. */
static inline int dead_has(const struct sigdb_skview *v, uint32_t h)
{
	const uint32_t *p = v->dead;
	uint32_t n = v->n_dead;
	if (n == 0)
		return 0;
	while (n > 1) {
		uint32_t half = n / 2;
		p = p[half] <= h ? p + half : p;
		n -= half;
	}
	return *p == h;
}

int sigdb_skview_is_dead(const struct sigdb_skview *v, uint32_t h)
{
	return dead_has(v, h);
}

static int rec_cmp(uint8_t engine, uint64_t id, const struct sigdb_sketch_rec *r)
{
	if (engine != r->engine)
		return engine < r->engine ? -1 : 1;
	return id < r->id ? -1 : id > r->id;
}

/* Binary search by (engine, id) in a segment; its index, or -1. */
static int64_t seg_find(const struct sigdb_sketches *s, uint8_t engine, uint64_t id)
{
	uint32_t lo = 0, hi = s->count;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = rec_cmp(engine, id, &s->recs[mid]);
		if (c == 0)
			return mid;
		if (c > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int sigdb_skview_find(const struct sigdb_skview *v, uint8_t engine, uint64_t id, uint32_t *h)
{
	for (unsigned s = v->n_seg; s-- > 0;) {
		int64_t i = seg_find(v->seg[s], engine, id);
		if (i >= 0 && !sigdb_skview_is_dead(v, sigdb_handle(s, (uint32_t)i))) {
			*h = sigdb_handle(s, (uint32_t)i);
			return 1;
		}
	}
	return 0;
}

/* A segment's cursor in a merge: next record and next dead entry. */
struct each_cur {
	uint32_t i, d;
};

/* Moves c past dead records of segment s; 1 when a record remains. */
static int cur_settle(const struct sigdb_skview *v, unsigned s, struct each_cur *c)
{
	const struct sigdb_sketches *seg = v->seg[s];
	while (c->i < seg->count) {
		uint32_t h = sigdb_handle(s, c->i);
		while (c->d < v->n_dead && v->dead[c->d] < h)
			c->d++;
		if (c->d == v->n_dead || v->dead[c->d] != h)
			return 1;
		c->i++;
	}
	return 0;
}

void sigdb_skview_each(const struct sigdb_skview *v, unsigned from, unsigned to,
                       void (*fn)(void *ctx, uint32_t h, const struct sigdb_sketches *s,
                                  const struct sigdb_sketch_rec *r),
                       void *ctx)
{
	struct each_cur cur[SIGDB_MAX_SEGS + 1];
	for (unsigned s = from; s < to; s++)
		cur[s] = (struct each_cur){ 0, v->n_dead ? dead_lower(v, sigdb_handle(s, 0)) : 0 };
	for (;;) {
		int best = -1;
		for (unsigned s = from; s < to; s++) {
			if (!cur_settle(v, s, &cur[s]))
				continue;
			const struct sigdb_sketch_rec *r = &v->seg[s]->recs[cur[s].i];
			if (best < 0 ||
			    rec_cmp(r->engine, r->id, &v->seg[best]->recs[cur[best].i]) < 0)
				best = (int)s;
		}
		if (best < 0)
			return;
		const struct sigdb_sketches *seg = v->seg[best];
		fn(ctx, sigdb_handle((unsigned)best, cur[best].i), seg, &seg->recs[cur[best].i]);
		cur[best].i++;
	}
}

size_t sigdb_skview_recs(const struct sigdb_skview *v)
{
	size_t n = 0;
	for (unsigned s = 0; s < v->n_seg; s++)
		n += v->seg[s]->count;
	return n;
}

size_t sigdb_skview_bytes(const struct sigdb_skview *v)
{
	size_t n = v->n_dead != 0 ? sigdb_heap_bytes(v->n_dead * sizeof(*v->dead)) : 0;
	if (v->dead_bits != NULL)
		n += sigdb_heap_bytes(((size_t)v->seg_first[v->n_seg] + 63) / 64 *
		                      sizeof(*v->dead_bits));
	for (unsigned s = 0; s < v->n_seg; s++)
		n += sigdb_sketches_bytes(v->seg[s]);
	return n;
}

void sigdb_skview_recount(struct sigdb_skview *v)
{
	v->count = (uint32_t)(sigdb_skview_recs(v) - v->n_dead);
}

/* Candidates of one segment, appended to idx[*n..cap). */
static void seg_candidates(const struct sigdb_skview *v, unsigned s, uint8_t engine, uint32_t key,
                           uint32_t *idx, size_t *n, size_t cap)
{
	const struct sigdb_sketches *seg = v->seg[s];
	const struct sigdb_anchors *a = &seg->anchors;
	if (a->n_post == 0)
		return;
	uint32_t low = key & KEY_LOW_MASK;
	uint32_t b = key >> (32 - a->dir_bits);
	/* The engine's records: one range, so no record is read here. */
	uint32_t first = seg->engine_first[engine], span = seg->engine_first[engine + 1] - first;
	for (uint32_t p = a->dir[b]; p < a->dir[b + 1] && *n < cap; p++) {
		uint32_t hi = a->post_hi[p];
		uint32_t stored = (hi >> SIGDB_IDX_BITS) << 16 | a->post_lo[p];
		if (stored < low)
			continue;
		if (stored > low)
			break; /* postings ascend by key within a bucket */
		uint32_t i = hi & SIGDB_IDX_MASK;
		if (i - first < span && !dead_bit(v, s, i))
			idx[(*n)++] = sigdb_handle(s, i);
	}
}

void sigdb_sketch_prefetch_anchors(const struct sigdb *db, uint8_t engine, const uint32_t *anchors,
                                   size_t n)
{
	if (db == NULL)
		return;
	for (unsigned s = 0; s < db->skv.n_seg; s++) {
		const struct sigdb_anchors *a = &db->skv.seg[s]->anchors;
		if (a->n_post == 0)
			continue;
		/* Each anchor's directory load is independent of the others', so
		 * their misses overlap; the postings are then asked for. */
		for (size_t k = 0; k < n; k++) {
			uint32_t p =
			    a->dir[sigdb_anchor_key(engine, anchors[k]) >> (32 - a->dir_bits)];
			__builtin_prefetch(&a->post_hi[p]);
			__builtin_prefetch(&a->post_lo[p]);
		}
	}
}

size_t sigdb_sketch_candidates(const struct sigdb *db, uint8_t engine, uint32_t anchor,
                               uint32_t *idx, size_t cap)
{
	if (db == NULL)
		return 0;
	uint32_t key = sigdb_anchor_key(engine, anchor);
	size_t n = 0;
	for (unsigned s = 0; s < db->skv.n_seg && n < cap; s++)
		seg_candidates(&db->skv, s, engine, key, idx, &n, cap);
	return n;
}

const uint8_t *sigdb_sketch_get(const struct sigdb *db, uint32_t h, size_t *len, uint8_t *algo,
                                struct sigdb_meta *m)
{
	uint32_t s = h >> SIGDB_IDX_BITS, i = h & SIGDB_IDX_MASK;
	if (db == NULL || s >= db->skv.n_seg || i >= db->skv.seg[s]->count)
		return NULL;
	const struct sigdb_sketches *seg = db->skv.seg[s];
	const struct sigdb_sketch_rec *r = &seg->recs[i];
	if (len != NULL)
		*len = r->len;
	if (algo != NULL)
		*algo = r->algo;
	if (m != NULL)
		*m = r->meta;
	return seg->store + r->offset;
}

void sigdb_sketch_prefetch_recs(const struct sigdb *db, const uint32_t *h, size_t n)
{
	if (db == NULL)
		return;
	for (size_t k = 0; k < n; k++) {
		uint32_t s = h[k] >> SIGDB_IDX_BITS, i = h[k] & SIGDB_IDX_MASK;
		if (s < db->skv.n_seg && i < db->skv.seg[s]->count)
			__builtin_prefetch(&db->skv.seg[s]->recs[i]);
	}
}

void sigdb_sketch_prefetch(const struct sigdb *db, uint32_t h)
{
	uint32_t s = h >> SIGDB_IDX_BITS, i = h & SIGDB_IDX_MASK;
	if (db == NULL || s >= db->skv.n_seg || i >= db->skv.seg[s]->count)
		return;
	const struct sigdb_sketches *seg = db->skv.seg[s];
	const struct sigdb_sketch_rec *r = &seg->recs[i];
	/* Every cache line the bytes touch: a sketch is a few lines long. */
	const uint8_t *p = seg->store + r->offset, *end = p + r->len;
	for (uintptr_t a = (uintptr_t)p & ~(uintptr_t)63; a < (uintptr_t)end; a += 64)
		__builtin_prefetch((const void *)a);
}

uint64_t sigdb_sketch_id(const struct sigdb *db, uint32_t h)
{
	uint32_t s = h >> SIGDB_IDX_BITS, i = h & SIGDB_IDX_MASK;
	if (db == NULL || s >= db->skv.n_seg || i >= db->skv.seg[s]->count)
		return 0;
	return db->skv.seg[s]->recs[i].id;
}
