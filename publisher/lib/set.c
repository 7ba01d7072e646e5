/*
 * set.c - a publisher's set of records in memory: exact fingerprints and
 * sketches keyed by (kind, engine, key), in one array with an
 * open-addressing index, so a million records cost no per-entry malloc
 * (sketch bytes aside).
 *
 * Not for: file formats (cartridge/update/payload.c) or writing (write.c).
 */
#include <stdlib.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "../../cartridge/util/hash.h"
#include "pub_internal.h"

#define SET_MIN_SLOTS 1024

struct publish_set *publish_set_new(void)
{
	return calloc(1, sizeof(struct publish_set));
}

void publish_set_free(struct publish_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->recs[i].bytes);
	free(s->recs);
	free(s->slots);
	free(s);
}

static size_t slot_of(uint8_t tag, uint8_t engine, uint64_t key, size_t n_slots)
{
	return whorl_hash_combine(whorl_mix64(key), (uint64_t)tag << 8 | engine) & (n_slots - 1);
}

struct pub_rec *pub_set_find(const struct publish_set *s, uint8_t tag, uint8_t engine, uint64_t key)
{
	if (!s->n_slots)
		return NULL;
	for (size_t i = slot_of(tag, engine, key, s->n_slots);; i = (i + 1) & (s->n_slots - 1)) {
		struct pub_rec *r;
		if (!s->slots[i])
			return NULL;
		r = &s->recs[s->slots[i] - 1];
		if (r->key == key && r->tag == tag && r->engine == engine)
			return r;
	}
}

static int set_grow_slots(struct publish_set *s)
{
	size_t n = s->n_slots ? 2 * s->n_slots : SET_MIN_SLOTS;
	uint32_t *slots = calloc(n, sizeof *slots);

	if (!slots)
		return WHORL_ENOMEM;
	for (size_t k = 0; k < s->n; k++) {
		const struct pub_rec *r = &s->recs[k];
		size_t i = slot_of(r->tag, r->engine, r->key, n);
		while (slots[i])
			i = (i + 1) & (n - 1);
		slots[i] = (uint32_t)(k + 1);
	}
	free(s->slots);
	s->slots = slots;
	s->n_slots = n;
	return 0;
}

static int set_append(struct publish_set *s, const struct pub_rec *r)
{
	size_t i;

	if (s->n == PUBLISH_MAX_RECORDS)
		return WHORL_ELIMIT;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		struct pub_rec *recs = realloc(s->recs, cap * sizeof *recs);
		if (!recs)
			return WHORL_ENOMEM;
		s->recs = recs;
		s->cap = cap;
	}
	if ((s->n + 1) * 2 > s->n_slots && set_grow_slots(s) != 0)
		return WHORL_ENOMEM;
	s->recs[s->n] = *r;
	for (i = slot_of(r->tag, r->engine, r->key, s->n_slots); s->slots[i];
	     i = (i + 1) & (s->n_slots - 1))
		;
	s->slots[i] = (uint32_t)(++s->n);
	return 0;
}

int pub_set_put(struct publish_set *s, const struct pub_rec *r)
{
	struct pub_rec *old = pub_set_find(s, r->tag, r->engine, r->key);
	uint8_t *bytes = NULL;
	int rc;

	if (r->len) {
		if (!(bytes = malloc(r->len)))
			return WHORL_ENOMEM;
		memcpy(bytes, r->bytes, r->len);
	}
	if (old) {
		free(old->bytes);
		s->n_live += !old->live;
		*old = *r;
		old->bytes = bytes;
		old->live = 1;
		return 0;
	}
	struct pub_rec copy = *r;
	copy.bytes = bytes;
	copy.live = 1;
	if ((rc = set_append(s, &copy)) != 0) {
		free(bytes);
		return rc;
	}
	s->n_live++;
	return 0;
}

static int set_remove(struct publish_set *s, uint8_t tag, uint8_t engine, uint64_t key)
{
	struct pub_rec *r = pub_set_find(s, tag, engine, key);

	if (!r || !r->live)
		return 0;
	r->live = 0;
	s->n_live--;
	return 1;
}

int publish_set_add_fp(struct publish_set *s, uint64_t key, uint8_t engine, uint8_t algo,
                       const struct sigdb_meta *m)
{
	struct pub_rec r = {
		.tag = UPDATE_REC_FP_PUT, .engine = engine, .algo = algo, .key = key, .meta = *m
	};

	if (engine == 0 || engine > WHORL_FP_ENGINE_MAX || m->confidence > 100 ||
	    (m->flags & ~SIGDB_F_LEGIT))
		return WHORL_EINVAL;
	/* One record per key: a gateway's table is keyed by key alone. */
	for (uint8_t e = 1; e <= WHORL_FP_ENGINE_MAX; e++)
		if (e != engine)
			set_remove(s, UPDATE_REC_FP_PUT, e, key);
	return pub_set_put(s, &r);
}

int publish_set_add_sketch(struct publish_set *s, uint8_t engine, uint8_t algo,
                           const uint8_t *bytes, size_t len, const struct sigdb_meta *m)
{
	struct pub_rec r = { .tag = UPDATE_REC_SK_PUT,
		             .engine = engine,
		             .algo = algo,
		             .meta = *m,
		             .bytes = (uint8_t *)bytes,
		             .len = (uint16_t)len };

	if (engine == 0 || engine > WHORL_FP_ENGINE_MAX || len == 0 ||
	    len > UPDATE_MAX_SKETCH_BYTES || m->confidence > 100 || (m->flags & ~SIGDB_F_LEGIT))
		return WHORL_EINVAL;
	r.key = update_sketch_id(bytes, len);
	return pub_set_put(s, &r);
}

int publish_set_remove_fp(struct publish_set *s, uint8_t engine, uint64_t key)
{
	return set_remove(s, UPDATE_REC_FP_PUT, engine, key);
}

int publish_set_remove_sketch(struct publish_set *s, uint8_t engine, uint64_t id)
{
	return set_remove(s, UPDATE_REC_SK_PUT, engine, id);
}

int publish_set_get_fp(const struct publish_set *s, uint8_t engine, uint64_t key,
                       struct sigdb_meta *m)
{
	const struct pub_rec *r = pub_set_find(s, UPDATE_REC_FP_PUT, engine, key);

	if (!r || !r->live)
		return 0;
	if (m)
		*m = r->meta;
	return 1;
}

size_t publish_set_count(const struct publish_set *s)
{
	return s->n_live;
}

/* The order of records in every sigs file (docs/FORMATS.md §2.5): exact
 * fingerprints first in ascending key order whatever their engine (keys are
 * engine-tagged and unique in a set, see publish_set_add_fp), then sketches
 * by (engine, id). Gateways streaming a complete file into a sharded table
 * rely on it for speed only, never for correctness. */
static int rec_order(const void *a, const void *b)
{
	const struct pub_rec *x = *(const struct pub_rec *const *)a;
	const struct pub_rec *y = *(const struct pub_rec *const *)b;

	if (x->tag != y->tag)
		return x->tag < y->tag ? -1 : 1;
	if (x->tag == UPDATE_REC_SK_PUT && x->engine != y->engine)
		return x->engine < y->engine ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->engine < y->engine ? -1 : x->engine > y->engine;
}

const struct pub_rec **pub_set_sorted(const struct publish_set *s, size_t *n)
{
	const struct pub_rec **v = malloc((s->n_live ? s->n_live : 1) * sizeof *v);
	size_t k = 0;

	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		if (s->recs[i].live)
			v[k++] = &s->recs[i];
	qsort(v, k, sizeof *v, rec_order);
	*n = k;
	return v;
}

int pub_rec_same(const struct pub_rec *a, const struct pub_rec *b)
{
	return a->algo == b->algo && a->len == b->len &&
	       memcmp(&a->meta, &b->meta, sizeof a->meta) == 0 &&
	       (a->len == 0 || memcmp(a->bytes, b->bytes, a->len) == 0);
}
