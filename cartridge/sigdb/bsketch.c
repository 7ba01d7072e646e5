/*
 * bsketch.c - the sketches of a builder: a mutable set keyed by (engine, id),
 * frozen into a snapshot's sketch store and anchor index by
 * sigdb_bsketches_freeze().
 *
 * Entries are appended; replacing or deleting one marks it dead, and the
 * builder compacts once dead entries outnumber live ones, so pools stay
 * within twice what is live. The map is open addressing with linear probing
 * and backward-shift deletion (no tombstones).
 *
 * Not for: lookups at scan time (sketches.c).
 */
#include <stdlib.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "../util/hash.h"
#include "sigdb_int.h"

#define BSK_MAP_BITS_MIN 6
#define BSK_MAP_LOAD_PCT 70  /* the map grows past this load */
#define BSK_COMPACT_MIN 1024 /* dead entries tolerated whatever the live count */

static size_t bsk_home(uint8_t engine, uint64_t id, unsigned bits)
{
	return (size_t)(whorl_mix64(id ^ ((uint64_t)engine << 56 | engine)) >> (64 - bits));
}

/* The map slot holding (engine, id), or the empty slot where it would go. */
static size_t bsk_find(const struct sigdb_bsketches *s, uint8_t engine, uint64_t id)
{
	size_t mask = ((size_t)1 << s->map_bits) - 1;
	size_t i = bsk_home(engine, id, s->map_bits);
	for (;; i = (i + 1) & mask) {
		uint32_t e = s->map[i];
		if (e == 0 || (s->v[e - 1].id == id && s->v[e - 1].engine == engine))
			return i;
	}
}

static int bsk_map_resize(struct sigdb_bsketches *s, unsigned bits)
{
	uint32_t *map = calloc((size_t)1 << bits, sizeof(*map));
	if (map == NULL)
		return WHORL_ENOMEM;
	free(s->map);
	s->map = map;
	s->map_bits = bits;
	for (size_t e = 0; e < s->n; e++)
		if (s->v[e].live)
			s->map[bsk_find(s, s->v[e].engine, s->v[e].id)] = (uint32_t)(e + 1);
	return 0;
}

/* Room for one more entry in the map, the entries and the pools. */
static int bsk_reserve(struct sigdb_bsketches *s, size_t len, size_t n_anchors)
{
	if (s->map == NULL || (s->n_live + 1) * 100 > ((size_t)BSK_MAP_LOAD_PCT << s->map_bits)) {
		int rc = bsk_map_resize(s, s->map == NULL ? BSK_MAP_BITS_MIN : s->map_bits + 1);
		if (rc != 0)
			return rc;
	}
	if (s->n == s->v_cap) {
		size_t cap = s->v_cap ? 2 * s->v_cap : 64;
		void *v = realloc(s->v, cap * sizeof(*s->v));
		if (v == NULL)
			return WHORL_ENOMEM;
		s->v = v;
		s->v_cap = cap;
	}
	if (s->n_bytes + len > s->bytes_cap) {
		size_t cap = 2 * (s->n_bytes + len) + 4096;
		void *p = realloc(s->bytes, cap);
		if (p == NULL)
			return WHORL_ENOMEM;
		s->bytes = p;
		s->bytes_cap = cap;
	}
	if (s->n_anchors + n_anchors > s->anchors_cap) {
		size_t cap = 2 * (s->n_anchors + n_anchors) + 1024;
		void *p = realloc(s->anchors, cap * sizeof(*s->anchors));
		if (p == NULL)
			return WHORL_ENOMEM;
		s->anchors = p;
		s->anchors_cap = cap;
	}
	return 0;
}

static void bsk_kill(struct sigdb_bsketches *s, struct sigdb_bsketch *e)
{
	e->live = 0;
	s->n_live--;
	s->live_bytes -= e->len;
	s->live_anchors -= e->n_anchors;
}

/* Rebuilds s with its live entries only. */
static int bsk_compact(struct sigdb_bsketches *s)
{
	struct sigdb_bsketches fresh = { 0 };
	int rc = 0;
	for (size_t i = 0; i < s->n && rc == 0; i++) {
		const struct sigdb_bsketch *e = &s->v[i];
		if (e->live)
			rc = sigdb_bsketches_put(
			    &fresh, e->engine, e->algo, e->id, s->bytes + e->bytes_at, e->len,
			    s->anchors + e->anchors_at, e->n_anchors, &e->meta);
	}
	if (rc != 0) {
		sigdb_bsketches_free(&fresh);
		return rc;
	}
	sigdb_bsketches_free(s);
	*s = fresh;
	return 0;
}

static int bsk_maybe_compact(struct sigdb_bsketches *s)
{
	size_t dead = s->n - s->n_live;
	return dead > BSK_COMPACT_MIN && dead > s->n_live ? bsk_compact(s) : 0;
}

int sigdb_bsketches_put(struct sigdb_bsketches *s, uint8_t engine, uint8_t algo, uint64_t id,
                        const uint8_t *bytes, size_t len, const uint32_t *anchors, size_t n_anchors,
                        const struct sigdb_meta *m)
{
	if (m == NULL || (bytes == NULL && len != 0) || (anchors == NULL && n_anchors != 0))
		return WHORL_EINVAL;
	if (len > SIGDB_MAX_SKETCH_BYTES || n_anchors > SIGDB_MAX_SKETCH_ANCHORS)
		return WHORL_ELIMIT;
	int rc = bsk_maybe_compact(s);
	if (rc == 0)
		rc = bsk_reserve(s, len, n_anchors);
	if (rc != 0)
		return rc;
	size_t slot = bsk_find(s, engine, id);
	if (s->map[slot] != 0)
		bsk_kill(s, &s->v[s->map[slot] - 1]);
	else if (s->n_live >= SIGDB_MAX_SKETCHES || s->n >= UINT32_MAX - 1)
		return WHORL_ELIMIT;
	struct sigdb_bsketch *e = &s->v[s->n];
	*e = (struct sigdb_bsketch){ .id = id,
		                     .bytes_at = s->n_bytes,
		                     .anchors_at = s->n_anchors,
		                     .meta = *m,
		                     .len = (uint8_t)len,
		                     .engine = engine,
		                     .algo = algo,
		                     .n_anchors = (uint8_t)n_anchors,
		                     .live = 1 };
	if (len != 0)
		memcpy(s->bytes + s->n_bytes, bytes, len);
	if (n_anchors != 0)
		memcpy(s->anchors + s->n_anchors, anchors, n_anchors * sizeof(*anchors));
	s->n_bytes += len;
	s->n_anchors += n_anchors;
	s->map[slot] = (uint32_t)++s->n;
	s->n_live++;
	s->live_bytes += len;
	s->live_anchors += n_anchors;
	return 0;
}

/* Empties map slot i, moving later entries of its run back so that every
 * entry stays reachable from its home. */
static void bsk_map_remove(struct sigdb_bsketches *s, size_t i)
{
	size_t mask = ((size_t)1 << s->map_bits) - 1;
	for (size_t j = (i + 1) & mask; s->map[j] != 0; j = (j + 1) & mask) {
		const struct sigdb_bsketch *e = &s->v[s->map[j] - 1];
		size_t home = bsk_home(e->engine, e->id, s->map_bits);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			s->map[i] = s->map[j];
			i = j;
		}
	}
	s->map[i] = 0;
}

int sigdb_bsketches_del(struct sigdb_bsketches *s, uint8_t engine, uint64_t id)
{
	if (s->map == NULL)
		return WHORL_ENODATA;
	size_t slot = bsk_find(s, engine, id);
	if (s->map[slot] == 0)
		return WHORL_ENODATA;
	bsk_kill(s, &s->v[s->map[slot] - 1]);
	bsk_map_remove(s, slot);
	return 0;
}

void sigdb_bsketches_free(struct sigdb_bsketches *s)
{
	free(s->v);
	free(s->bytes);
	free(s->anchors);
	free(s->map);
	memset(s, 0, sizeof(*s));
}

static void bsk_freeze_entry(const struct sigdb_bsketches *s, const struct sigdb_bsketch *e,
                             struct sigdb_sketches *out, uint64_t *post, size_t *n_post)
{
	uint32_t idx = out->count++;
	out->recs[idx] = (struct sigdb_sketch_rec){ .id = e->id,
		                                    .offset = (uint32_t)out->store_len,
		                                    .len = e->len,
		                                    .engine = e->engine,
		                                    .algo = e->algo,
		                                    .meta = e->meta };
	memcpy(out->store + out->store_len, s->bytes + e->bytes_at, e->len);
	out->store_len += e->len;
	for (unsigned a = 0; a < e->n_anchors; a++)
		post[(*n_post)++] = sigdb_posting(
		    sigdb_anchor_key(e->engine, s->anchors[e->anchors_at + a]), e->engine, idx);
}

static int bsk_order_cmp(const void *a, const void *b, void *ctx)
{
	const struct sigdb_bsketch *v = ctx;
	const struct sigdb_bsketch *x = &v[*(const uint32_t *)a], *y = &v[*(const uint32_t *)b];
	if (x->engine != y->engine)
		return x->engine < y->engine ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* The live entries' indices sorted by (engine, id): the canonical order. */
static uint32_t *bsk_order(const struct sigdb_bsketches *s)
{
	uint32_t *order = malloc((s->n_live ? s->n_live : 1) * sizeof(*order));
	size_t n = 0;
	if (order == NULL)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].live)
			order[n++] = (uint32_t)i;
	qsort_r(order, n, sizeof(*order), bsk_order_cmp, s->v);
	return order;
}

int sigdb_bsketches_freeze(const struct sigdb_bsketches *s, struct sigdb_sketches *out)
{
	size_t n_post = 0;
	uint64_t *post = malloc((s->live_anchors ? s->live_anchors : 1) * sizeof(*post));
	uint32_t *order = bsk_order(s);
	out->recs = malloc((s->n_live ? s->n_live : 1) * sizeof(*out->recs));
	out->store = malloc(s->live_bytes ? s->live_bytes : 1);
	int rc = WHORL_ENOMEM;
	if (post == NULL || order == NULL || out->recs == NULL || out->store == NULL)
		goto out; /* the caller releases out */
	for (size_t i = 0; i < s->n_live; i++)
		bsk_freeze_entry(s, &s->v[order[i]], out, post, &n_post);
	rc = sigdb_sketches_index_engines(out);
	if (rc == 0)
		rc = sigdb_anchors_freeze(&out->anchors, post, n_post);
out:
	free(post);
	free(order);
	return rc;
}
