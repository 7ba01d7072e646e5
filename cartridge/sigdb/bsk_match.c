/*
 * bsk_match.c - the sketches of a complete file compared, as they arrive,
 * with the sketch part of the snapshot it replaces, so that a complete file
 * repeating the live sketches (the publisher's scheduled full download)
 * shares that part without ever copying it.
 *
 * The publisher writes sketches in (engine, id) order, the order a frozen
 * part keeps them in. While the k-th incoming sketch equals the base's k-th
 * record (engine, id, algo, metadata, bytes), its bytes are not stored:
 * only k grows and its anchors are kept (4 bytes each, and a count; the
 * loader's hook computed them, so they may differ from the base's). At the
 * end the base's part is shared when all of its records were repeated and
 * the anchors, as two order-free sums of (index, anchor) pairs, equal those
 * of its anchor index (which keeps every anchor it was built with,
 * over-shared ones included). On the first difference the builder copies
 * the base's first k sketches with the kept anchors and goes on as usual
 * (builder.c), so the result never depends on this.
 *
 * Not for: deltas (a delta builder shares the base's part until it changes
 * a sketch).
 */
#include <stdlib.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "sigdb_int.h"

static uint64_t skm_mix(uint64_t x, uint64_t salt)
{
	x ^= salt;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static void skm_add(uint64_t sum[2], uint32_t idx, uint32_t anchor)
{
	uint64_t pair = (uint64_t)idx << 32 | anchor;
	sum[0] += skm_mix(pair, 0x9e3779b97f4a7c15ull);
	sum[1] += skm_mix(pair, 0xc2b2ae3d27d4eb4full);
}

void sigdb_skmatch_init(struct sigdb_skmatch *mt, const struct sigdb *base)
{
	memset(mt, 0, sizeof(*mt));
	mt->base = base != NULL && base->sk != NULL && base->sk->count != 0 ? base : NULL;
}

void sigdb_skmatch_free(struct sigdb_skmatch *mt)
{
	free(mt->counts);
	free(mt->anchors);
	memset(mt, 0, sizeof(*mt));
}

static int skm_grow(void **p, size_t *cap, size_t want, size_t size)
{
	if (want <= *cap)
		return 0;
	size_t n = *cap < 256 ? 256 : *cap;
	while (n < want)
		n += n / 2;
	void *q = realloc(*p, n * size);
	if (q == NULL)
		return WHORL_ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

int sigdb_skmatch_put(struct sigdb_skmatch *mt, uint8_t engine, uint8_t algo, uint64_t id,
                      const uint8_t *bytes, size_t len, const uint32_t *anchors,
                      size_t n_anchors, const struct sigdb_meta *m)
{
	const struct sigdb_sketches *sk = mt->base->sk;
	if (mt->n >= sk->count || n_anchors > UINT8_MAX)
		return 0;
	const struct sigdb_sketch_rec *r = &sk->recs[mt->n];
	if (r->engine != engine || r->id != id || r->algo != algo || r->len != len ||
	    memcmp(&r->meta, m, sizeof(*m)) != 0 || memcmp(sk->store + r->offset, bytes, len) != 0)
		return 0;
	if (skm_grow((void **)&mt->counts, &mt->cap_n, mt->n + 1, sizeof(*mt->counts)) != 0 ||
	    skm_grow((void **)&mt->anchors, &mt->cap_anchors, mt->n_anchors + n_anchors,
	             sizeof(*mt->anchors)) != 0)
		return WHORL_ENOMEM;
	if (n_anchors != 0)
		memcpy(mt->anchors + mt->n_anchors, anchors, n_anchors * sizeof(*anchors));
	mt->n_anchors += n_anchors;
	mt->counts[mt->n++] = (uint8_t)n_anchors;
	return 1;
}

struct skm_sum {
	uint64_t sum[2];
	size_t n;
};

static void skm_base_add(void *ctx, uint32_t idx, uint32_t anchor)
{
	struct skm_sum *bs = ctx;
	skm_add(bs->sum, idx, anchor);
	bs->n++;
}

int sigdb_skmatch_whole(const struct sigdb_skmatch *mt)
{
	struct skm_sum in = { { 0, 0 }, 0 }, base = { { 0, 0 }, 0 };
	if (mt->base == NULL || mt->n != mt->base->sk->count)
		return 0;
	for (uint32_t i = 0, at = 0; i < mt->n; i++)
		for (unsigned a = 0; a < mt->counts[i]; a++)
			skm_base_add(&in, i, mt->anchors[at++]);
	sigdb_anchors_each(mt->base, skm_base_add, &base);
	return base.n == in.n && base.sum[0] == in.sum[0] && base.sum[1] == in.sum[1];
}
