/*
 * bsk_match.c - a builder's view of its base's sketches, so that an update
 * never copies them: the new snapshot keeps the base's segments (skview.c)
 * and masks out what changed.
 *
 * One bit per base record (over all segments, by a flat index) says:
 * - for a delta (kept == 0): the record is dead now, deleted or replaced by
 *   a put (the put itself goes to the builder's pools);
 * - for a complete file (kept == 1): the file repeated it exactly, so it
 *   stays; every live base record not repeated dies, and sketches that
 *   differ go to the pools. Exactly means engine, id, algo, metadata, bytes
 *   and the same anchors: anchors are compared as an order-free hash of the
 *   distinct anchors (the anchor index keeps each once, dropped over-shared
 *   ones included), computed for the base's records once per build into a
 *   temporary array (8 bytes a record), at the first comparison. A complete
 *   file equal to the live set thus yields the base's very segments and
 *   dead handles; one 1% different adds a segment of 1% and a few dead.
 *
 * The order sketches arrive in does not matter.
 *
 * Not for: the builder's own sketches (bsketch.c), bounding the view
 * (skcompact.c).
 */
#include <stdlib.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "sigdb_int.h"

static uint64_t kb_mix(uint64_t x)
{
	x ^= 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void sigdb_skbase_init(struct sigdb_skbase *kb, const struct sigdb_skview *v)
{
	memset(kb, 0, sizeof(*kb));
	if (v == NULL || v->n_seg == 0)
		return;
	kb->v = v;
	for (unsigned s = 0; s < v->n_seg; s++)
		kb->start[s + 1] = kb->start[s] + v->seg[s]->count;
}

void sigdb_skbase_free(struct sigdb_skbase *kb)
{
	free(kb->mark);
	free(kb->ahash);
	memset(kb, 0, sizeof(*kb));
}

static size_t kb_flat(const struct sigdb_skbase *kb, uint32_t h)
{
	return kb->start[h >> SIGDB_IDX_BITS] + (h & SIGDB_IDX_MASK);
}

static size_t kb_total(const struct sigdb_skbase *kb)
{
	return kb->start[kb->v->n_seg];
}

int sigdb_skbase_find(const struct sigdb_skbase *kb, uint8_t engine, uint64_t id, uint32_t *h)
{
	return kb->v != NULL && sigdb_skview_find(kb->v, engine, id, h);
}

int sigdb_skbase_marked(const struct sigdb_skbase *kb, uint32_t h)
{
	size_t f = kb_flat(kb, h);
	return kb->mark != NULL && (kb->mark[f / 64] >> (f % 64) & 1);
}

int sigdb_skbase_mark(struct sigdb_skbase *kb, uint32_t h, int on)
{
	size_t f = kb_flat(kb, h);
	if (kb->mark == NULL) {
		if (!on)
			return 0;
		kb->mark = calloc(kb_total(kb) / 64 + 1, sizeof(*kb->mark));
		if (kb->mark == NULL)
			return WHORL_ENOMEM;
	}
	uint64_t bit = 1ull << (f % 64);
	if (!(kb->mark[f / 64] & bit) != !on) {
		kb->mark[f / 64] ^= bit;
		kb->n_marked += on ? 1 : (size_t)-1;
	}
	return 0;
}

static void kb_hash_anchor(void *ctx, uint32_t h, uint32_t anchor)
{
	struct sigdb_skbase *kb = ctx;
	kb->ahash[kb_flat(kb, h)] += kb_mix(anchor);
}

static int kb_hashes(struct sigdb_skbase *kb)
{
	if (kb->ahash != NULL)
		return 0;
	kb->ahash = calloc(kb_total(kb) ? kb_total(kb) : 1, sizeof(*kb->ahash));
	if (kb->ahash == NULL)
		return WHORL_ENOMEM;
	for (unsigned s = 0; s < kb->v->n_seg; s++)
		sigdb_anchors_each(kb->v->seg[s], s, kb_hash_anchor, kb);
	return 0;
}

/* The order-free hash of the distinct anchors of one sketch. */
static uint64_t anchors_hash(const uint32_t *anchors, size_t n)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < i && anchors[j] != anchors[i])
			j++;
		if (j == i)
			sum += kb_mix(anchors[i]);
	}
	return sum;
}

int sigdb_skbase_same(struct sigdb_skbase *kb, uint32_t h, uint8_t algo, const uint8_t *bytes,
                      size_t len, const uint32_t *anchors, size_t n_anchors,
                      const struct sigdb_meta *m)
{
	const struct sigdb_sketches *s = kb->v->seg[h >> SIGDB_IDX_BITS];
	const struct sigdb_sketch_rec *r = &s->recs[h & SIGDB_IDX_MASK];
	if (r->algo != algo || r->len != len || memcmp(&r->meta, m, sizeof(*m)) != 0 ||
	    (len != 0 && memcmp(s->store + r->offset, bytes, len) != 0))
		return 0;
	int rc = kb_hashes(kb);
	if (rc != 0)
		return rc;
	return kb->ahash[kb_flat(kb, h)] == anchors_hash(anchors, n_anchors);
}

/* Appends to out the handles of segment s that die: marked ones (kept ==
 * 0) or unmarked ones not already dead (kept). */
static void kb_new_dead(const struct sigdb_skbase *kb, int kept, unsigned s, uint32_t *out,
                        size_t *n)
{
	const struct sigdb_skview *v = kb->v;
	for (uint32_t i = 0; i < v->seg[s]->count; i++) {
		uint32_t h = sigdb_handle(s, i);
		int m = sigdb_skbase_marked(kb, h);
		if (kept ? !m && !sigdb_skview_is_dead(v, h) : m)
			out[(*n)++] = h;
	}
}

/* Merges sorted a[0..na) and b[0..nb) (disjoint) into out. */
static size_t merge_sorted(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                           uint32_t *out)
{
	size_t i = 0, j = 0, n = 0;
	while (i < na || j < nb)
		out[n++] = j == nb || (i < na && a[i] < b[j]) ? a[i++] : b[j++];
	return n;
}

int sigdb_skbase_view(const struct sigdb_skbase *kb, int kept, struct sigdb_skview *v)
{
	const struct sigdb_skview *base = kb->v;
	uint32_t *fresh = NULL;
	size_t n_fresh = 0;
	int rc = WHORL_ENOMEM;
	memset(v, 0, sizeof(*v));
	if (base == NULL)
		return 0;
	size_t want = kept ? base->count - (size_t)kb->n_marked : kb->n_marked;
	if (want == 0)
		return sigdb_skview_copy(v, base);
	fresh = malloc(want * sizeof(*fresh));
	v->dead = malloc((want + base->n_dead) * sizeof(*v->dead));
	if (fresh == NULL || v->dead == NULL)
		goto out;
	for (unsigned s = 0; s < base->n_seg; s++)
		kb_new_dead(kb, kept, s, fresh, &n_fresh);
	v->n_dead = (uint32_t)merge_sorted(base->dead, base->n_dead, fresh, n_fresh, v->dead);
	v->n_seg = base->n_seg;
	for (unsigned s = 0; s < base->n_seg; s++) {
		v->seg[s] = base->seg[s];
		sigdb_sketches_ref(v->seg[s]);
	}
	sigdb_skview_recount(v);
	rc = 0;
out:
	free(fresh);
	if (rc != 0)
		sigdb_skview_release(v);
	return rc;
}
