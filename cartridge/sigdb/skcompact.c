/*
 * skcompact.c - keeps a sketch view (skview.c) small as updates stack up:
 * few segments, few dead handles. Run on every view a builder makes.
 *
 * 1. A segment whose records are all dead is dropped (no copy).
 * 2. More than SIGDB_MAX_SEGS segments: the newest ones (small, recent
 *    deltas) are merged into one; the oldest, largest, stays shared.
 * 3. When dead handles plus the records outside the oldest segment exceed
 *    1/SIGDB_DEAD_FRACTION of the oldest segment (which covers more than half
 *    of the records being dead), everything is rebuilt into one segment.
 *
 * A merge writes the records, bytes and postings of the live sketches
 * straight from the segments into the new one (no builder pools between).
 * Rule 3 is the one case where an update briefly holds the sketch part
 * twice (old segments, still shared with the live snapshot, and the new
 * one); it comes after deltas or complete files have changed a quarter of
 * the sketches, not at every update. Merging also restores the anchor
 * fan-out rule over the merged sketches (it holds per segment, sketches.c).
 *
 * Not for: queries (skview.c), builder state (bsk_match.c).
 */
#include <stdlib.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "sigdb_int.h"

/* Dead entries of segment s: [first, end). */
static void dead_range(const struct sigdb_skview *v, unsigned s, uint32_t *first, uint32_t *end)
{
	uint32_t lo = sigdb_handle(s, 0), hi = sigdb_handle(s + 1, 0);
	*first = *end = 0;
	while (*first < v->n_dead && v->dead[*first] < lo)
		(*first)++;
	*end = *first;
	while (*end < v->n_dead && v->dead[*end] < hi)
		(*end)++;
}

/* Removes segment s and its dead entries; later handles move down one. */
static void seg_remove(struct sigdb_skview *v, unsigned s)
{
	uint32_t first, end;
	dead_range(v, s, &first, &end);
	for (uint32_t d = end; d < v->n_dead; d++)
		v->dead[d - (end - first)] = v->dead[d] - sigdb_handle(1, 0);
	v->n_dead -= end - first;
	sigdb_sketches_unref(v->seg[s]);
	memmove(&v->seg[s], &v->seg[s + 1], (v->n_seg - s - 1) * sizeof(v->seg[0]));
	v->seg[--v->n_seg] = NULL;
}

static void drop_dead_segments(struct sigdb_skview *v)
{
	for (unsigned s = v->n_seg; s-- > 0;) {
		uint32_t first, end;
		dead_range(v, s, &first, &end);
		if (end - first == v->seg[s]->count)
			seg_remove(v, s);
	}
}

/* A merge in progress: the new segment and, per old segment, where each
 * live record went (UINT32_MAX: dead). */
struct merge {
	struct sigdb_sketches *out;
	uint32_t *map[SIGDB_MAX_SEGS + 1];
	size_t n, bytes;
	uint64_t *post;
	size_t n_post;
};

static void merge_count(void *ctx, uint32_t h, const struct sigdb_sketches *s,
                        const struct sigdb_sketch_rec *r)
{
	struct merge *mg = ctx;
	(void)h;
	(void)s;
	mg->n++;
	mg->bytes += r->len;
}

static void merge_write(void *ctx, uint32_t h, const struct sigdb_sketches *s,
                        const struct sigdb_sketch_rec *r)
{
	struct merge *mg = ctx;
	struct sigdb_sketches *out = mg->out;
	uint32_t idx = out->count++;
	out->recs[idx] = *r;
	out->recs[idx].offset = (uint32_t)out->store_len;
	memcpy(out->store + out->store_len, s->store + r->offset, r->len);
	out->store_len += r->len;
	mg->map[h >> SIGDB_IDX_BITS][h & SIGDB_IDX_MASK] = idx;
}

static void merge_anchor(void *ctx, uint32_t h, uint32_t anchor)
{
	struct merge *mg = ctx;
	uint32_t idx = mg->map[h >> SIGDB_IDX_BITS][h & SIGDB_IDX_MASK];
	if (idx == UINT32_MAX)
		return;
	uint8_t engine = mg->out->recs[idx].engine;
	mg->post[mg->n_post++] = sigdb_posting(sigdb_anchor_key(engine, anchor), engine, idx);
}

/* Fills mg->out with the live sketches of segments [from, n_seg). */
static int merge_fill(const struct sigdb_skview *v, unsigned from, struct merge *mg)
{
	size_t bound = 0;
	sigdb_skview_each(v, from, v->n_seg, merge_count, mg);
	if (mg->n > SIGDB_MAX_SKETCHES)
		return WHORL_ELIMIT;
	for (unsigned s = from; s < v->n_seg; s++) {
		const struct sigdb_sketches *seg = v->seg[s];
		bound += (size_t)seg->anchors.n_post + seg->anchors.n_dropped;
		mg->map[s] = malloc((seg->count ? seg->count : 1) * sizeof(uint32_t));
		if (mg->map[s] == NULL)
			return WHORL_ENOMEM;
		memset(mg->map[s], 0xff, seg->count * sizeof(uint32_t));
	}
	mg->out->recs = malloc((mg->n ? mg->n : 1) * sizeof(*mg->out->recs));
	mg->out->store = malloc(mg->bytes ? mg->bytes : 1);
	mg->post = malloc((bound ? bound : 1) * sizeof(*mg->post));
	if (mg->out->recs == NULL || mg->out->store == NULL || mg->post == NULL)
		return WHORL_ENOMEM;
	sigdb_skview_each(v, from, v->n_seg, merge_write, mg);
	for (unsigned s = from; s < v->n_seg; s++)
		sigdb_anchors_each(v->seg[s], s, merge_anchor, mg);
	int rc = sigdb_sketches_index_engines(mg->out);
	return rc != 0 ? rc : sigdb_anchors_freeze(&mg->out->anchors, mg->post, mg->n_post);
}

/* Replaces segments [from, n_seg) by one holding their live sketches. */
static int merge_tail(struct sigdb_skview *v, unsigned from)
{
	struct merge mg = { 0 };
	int rc = WHORL_ENOMEM;
	if ((mg.out = sigdb_sketches_new()) == NULL)
		goto out;
	if ((rc = merge_fill(v, from, &mg)) != 0)
		goto out;
	uint32_t first, end;
	dead_range(v, from, &first, &end);
	v->n_dead = first; /* the dead of [from, n_seg) are gone with them */
	for (unsigned s = from; s < v->n_seg; s++) {
		sigdb_sketches_unref(v->seg[s]);
		v->seg[s] = NULL;
	}
	v->n_seg = from;
	if (mg.out->count != 0)
		v->seg[v->n_seg++] = mg.out;
	else
		sigdb_sketches_unref(mg.out);
	mg.out = NULL;
	if (v->n_dead == 0) {
		free(v->dead);
		v->dead = NULL;
	}
out:
	for (unsigned s = 0; s <= SIGDB_MAX_SEGS; s++)
		free(mg.map[s]);
	free(mg.post);
	sigdb_sketches_unref(mg.out);
	return rc;
}

int sigdb_skview_compact(struct sigdb_skview *v)
{
	int rc = 0;
	drop_dead_segments(v);
	if (v->n_seg > SIGDB_MAX_SEGS)
		rc = merge_tail(v, SIGDB_MAX_SEGS - 1);
	if (rc == 0 && v->n_seg != 0) {
		size_t oldest = v->seg[0]->count;
		size_t newer = sigdb_skview_recs(v) - oldest;
		if ((v->n_dead + newer) * SIGDB_DEAD_FRACTION > oldest)
			rc = merge_tail(v, 0);
	}
	if (v->n_dead == 0 && v->dead != NULL) {
		free(v->dead);
		v->dead = NULL;
	}
	sigdb_skview_recount(v);
	return rc;
}
