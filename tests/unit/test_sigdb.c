/*
 * test_sigdb.c - snapshots: exact table, builder (puts, dels, deltas from a
 * base), sketches and their anchor index, serials, iteration, memory bounds.
 * Concurrency of sigdb_live_* is in test_sigdb_live.c.
 */
#include <check.h>

#include "check_main.h"
#include <stdlib.h>
#include <string.h>

#include "abi/whorl_cartridge.h"
#include "cartridge/sigdb/sigdb.h"
#include "cartridge/sigdb/sigdb_int.h"

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static struct sigdb_meta meta_for(uint64_t key)
{
	struct sigdb_meta m = { .category = (uint8_t)key,
		                .subcategory = (uint8_t)(key >> 8),
		                .confidence = (uint8_t)(key % 101),
		                .flags = (uint8_t)(key >> 16 & 1),
		                .first_seen = (uint16_t)(key >> 24),
		                .last_seen = (uint16_t)(key >> 40) };
	return m;
}

static int meta_eq(const struct sigdb_meta *a, const struct sigdb_meta *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

START_TEST(test_put_lookup_del)
{
	struct sigdb_builder *b = sigdb_builder_new(NULL);
	ck_assert_ptr_nonnull(b);
	for (uint64_t k = 1; k <= 1000; k++) {
		struct sigdb_meta m = meta_for(k * 7919);
		ck_assert_int_eq(sigdb_builder_put(b, k * 7919, &m), 0);
	}
	for (uint64_t k = 1; k <= 1000; k += 2)
		ck_assert_int_eq(sigdb_builder_del(b, k * 7919), 0);
	ck_assert_int_eq(sigdb_builder_del(b, 7919), WHORL_ENODATA);
	ck_assert_int_eq(sigdb_builder_del(b, 12345), WHORL_ENODATA);
	/* Replace: the last put wins. */
	struct sigdb_meta repl = { .category = 9, .confidence = 55 };
	ck_assert_int_eq(sigdb_builder_put(b, 2 * 7919, &repl), 0);
	struct sigdb *db = sigdb_builder_finish(b);
	ck_assert_ptr_nonnull(db);
	ck_assert_uint_eq(sigdb_count(db), 500);
	for (uint64_t k = 1; k <= 1000; k++) {
		struct sigdb_meta got, want = k == 2 ? repl : meta_for(k * 7919);
		sigdb_prefetch_key(db, k * 7919); /* a hint: the lookup finds the same */
		int found = sigdb_lookup(db, k * 7919, &got);
		ck_assert_int_eq(found, k % 2 == 0);
		if (found)
			ck_assert(meta_eq(&got, &want));
	}
	ck_assert_int_eq(sigdb_lookup(db, 0, NULL), 0);
	ck_assert_int_eq(sigdb_lookup(db, UINT64_MAX, NULL), 0);
	sigdb_unref(db);
}
END_TEST

/* A builder without base collects puts in a flat array (builder.c): with
 * repeated keys (the last wins), key 0, and with a delete turning it into
 * the map midway, it must give the same snapshot as a map-built one. */
static struct sigdb *build_puts(const struct sigdb *base, uint64_t seed, size_t n, int del_at)
{
	struct sigdb_builder *b = sigdb_builder_new(base);
	uint64_t s = seed;
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(sigdb_builder_reserve(b, n), 0);
	for (size_t i = 0; i < n; i++) {
		uint64_t k = rng_next(&s) % (n / 2) + (i % 97 == 0 ? 0 : 1); /* repeats, key 0 */
		struct sigdb_meta m = meta_for(k ^ i);
		m.confidence = (uint8_t)(i % 101);
		ck_assert_int_eq(sigdb_builder_put(b, k * 0x9e3779b97f4a7c15ull, &m), 0);
		if ((int)i == del_at)
			sigdb_builder_del(b, k * 0x9e3779b97f4a7c15ull);
	}
	return sigdb_builder_finish(b);
}

START_TEST(test_flat_matches_map)
{
	struct sigdb *empty = sigdb_empty();
	for (int del_at = -1; del_at < 5000; del_at += 2501) {
		struct sigdb *flat = build_puts(NULL, 42, 20000, del_at);
		struct sigdb *map = build_puts(empty, 42, 20000, del_at); /* a base: map mode */
		ck_assert_ptr_nonnull(flat);
		ck_assert_ptr_nonnull(map);
		ck_assert_uint_eq(sigdb_count(flat), sigdb_count(map));
		for (uint64_t k = 0; k <= 10001; k++) {
			struct sigdb_meta a, b;
			uint64_t key = k * 0x9e3779b97f4a7c15ull;
			int fa = sigdb_lookup(flat, key, &a), fb = sigdb_lookup(map, key, &b);
			ck_assert_int_eq(fa, fb);
			if (fa)
				ck_assert(meta_eq(&a, &b));
		}
		sigdb_unref(flat);
		sigdb_unref(map);
	}
	sigdb_unref(empty);
}
END_TEST

START_TEST(test_key_zero_and_extremes)
{
	struct sigdb_builder *b = sigdb_builder_new(NULL);
	struct sigdb_meta z = { .category = 3, .confidence = 99 }, x = { .category = 4 };
	ck_assert_int_eq(sigdb_builder_put(b, 0, &z), 0);
	ck_assert_int_eq(sigdb_builder_put(b, UINT64_MAX, &x), 0);
	ck_assert_int_eq(sigdb_builder_put(b, 1, &x), 0);
	struct sigdb *db = sigdb_builder_finish(b);
	struct sigdb_meta got;
	ck_assert_uint_eq(sigdb_count(db), 3);
	ck_assert_int_eq(sigdb_lookup(db, 0, &got), 1);
	ck_assert(meta_eq(&got, &z));
	ck_assert_int_eq(sigdb_lookup(db, UINT64_MAX, &got), 1);
	ck_assert_int_eq(sigdb_lookup(db, 1, &got), 1);
	ck_assert_int_eq(sigdb_lookup(db, 2, &got), 0);
	/* A delta removes key 0 again. */
	b = sigdb_builder_new(db);
	ck_assert_int_eq(sigdb_builder_del(b, 0), 0);
	ck_assert_int_eq(sigdb_builder_del(b, 0), WHORL_ENODATA);
	struct sigdb *db2 = sigdb_builder_finish(b);
	ck_assert_int_eq(sigdb_lookup(db2, 0, NULL), 0);
	ck_assert_int_eq(sigdb_lookup(db, 0, NULL), 1);
	ck_assert_uint_eq(sigdb_count(db2), 2);
	sigdb_unref(db);
	sigdb_unref(db2);
}
END_TEST

START_TEST(test_empty)
{
	struct sigdb *db = sigdb_empty();
	ck_assert_ptr_nonnull(db);
	ck_assert_uint_eq(sigdb_count(db), 0);
	ck_assert_int_eq(sigdb_lookup(db, 42, NULL), 0);
	ck_assert_int_eq(sigdb_lookup(db, 0, NULL), 0);
	uint32_t idx[4];
	ck_assert_uint_eq(sigdb_sketch_candidates(db, 1, 42, idx, 4), 0);
	ck_assert_ptr_null(sigdb_sketch_get(db, 0, NULL, NULL, NULL));
	/* Prefetch hints ignore handles out of range (ASan checks the reads). */
	const uint32_t bad[3] = { 0, 1u << SIGDB_IDX_BITS, UINT32_MAX };
	sigdb_sketch_prefetch_recs(db, bad, 3);
	sigdb_sketch_prefetch_recs(NULL, bad, 3);
	for (int k = 0; k < 3; k++) {
		sigdb_sketch_prefetch(db, bad[k]);
		sigdb_sketch_prefetch(NULL, bad[k]);
	}
	sigdb_sketch_prefetch_anchors(db, 1, bad, 3);
	sigdb_sketch_prefetch_anchors(NULL, 1, bad, 3);
	sigdb_prefetch_key(db, 42);
	sigdb_prefetch_key(NULL, 42);
	sigdb_unref(db);
	db = sigdb_builder_finish(sigdb_builder_new(NULL));
	ck_assert_int_eq(sigdb_lookup(db, 42, NULL), 0);
	ck_assert_int_eq(sigdb_lookup(NULL, 42, NULL), 0);
	sigdb_unref(db);
}
END_TEST

#define BIG_N 1000000

START_TEST(test_million)
{
	uint64_t seed = 1;
	struct sigdb_builder *b = sigdb_builder_new(NULL);
	for (size_t i = 0; i < BIG_N; i++) {
		uint64_t k = rng_next(&seed);
		struct sigdb_meta m = meta_for(k);
		ck_assert_int_eq(sigdb_builder_put(b, k, &m), 0);
	}
	struct sigdb *db = sigdb_builder_finish(b);
	ck_assert_ptr_nonnull(db);
	ck_assert_uint_eq(sigdb_count(db), BIG_N);
	seed = 1;
	for (size_t i = 0; i < BIG_N; i++) {
		uint64_t k = rng_next(&seed);
		struct sigdb_meta got, want = meta_for(k);
		ck_assert_int_eq(sigdb_lookup(db, k, &got), 1);
		ck_assert(meta_eq(&got, &want));
	}
	/* Another stream: none of these are in the table. */
	uint64_t other = 0xdeadbeef;
	size_t false_hits = 0;
	for (size_t i = 0; i < BIG_N; i++)
		false_hits += (size_t)sigdb_lookup(db, rng_next(&other), NULL);
	ck_assert_uint_eq(false_hits, 0);
	double per_key = (double)sigdb_memory_bytes(db) / BIG_N;
	ck_assert_msg(per_key <= 24.0, "%.2f bytes per fingerprint", per_key);
	sigdb_unref(db);
}
END_TEST

/* Random puts and dels on a small universe, checked against a plain array:
 * exercises growth and backward-shift deletion in the builder. */
START_TEST(test_builder_model)
{
	enum {
		U = 5000,
		OPS = 200000
	};
	static uint8_t present[U];
	static struct sigdb_meta model[U];
	memset(present, 0, sizeof(present));
	uint64_t seed = 7;
	struct sigdb_builder *b = sigdb_builder_new(NULL);
	for (int op = 0; op < OPS; op++) {
		uint64_t r = rng_next(&seed);
		size_t u = r % U;
		/* Keys clustered on purpose (small values share a home). */
		uint64_t key = u < 100 ? u : (uint64_t)u * 0x9e3779b97f4a7c15ull;
		if (r >> 63) {
			struct sigdb_meta m = meta_for(r);
			ck_assert_int_eq(sigdb_builder_put(b, key, &m), 0);
			present[u] = 1;
			model[u] = m;
		} else {
			ck_assert_int_eq(sigdb_builder_del(b, key), present[u] ? 0 : WHORL_ENODATA);
			present[u] = 0;
		}
	}
	struct sigdb *db = sigdb_builder_finish(b);
	size_t n = 0;
	for (size_t u = 0; u < U; u++) {
		uint64_t key = u < 100 ? u : (uint64_t)u * 0x9e3779b97f4a7c15ull;
		struct sigdb_meta got;
		ck_assert_int_eq(sigdb_lookup(db, key, &got), present[u]);
		if (present[u])
			ck_assert(meta_eq(&got, &model[u]));
		n += present[u];
	}
	ck_assert_uint_eq(sigdb_count(db), n);
	sigdb_unref(db);
}
END_TEST

START_TEST(test_delta_from_base)
{
	struct sigdb_builder *b = sigdb_builder_new(NULL);
	for (uint64_t k = 1; k <= 10000; k++) {
		struct sigdb_meta m = meta_for(k);
		sigdb_builder_put(b, k * 0x9e3779b97f4a7c15ull, &m);
	}
	sigdb_builder_set_serial(b, SIGDB_SRC_SIGS, 100, 0);
	sigdb_builder_set_serial(b, SIGDB_SRC_AWL, 7, 3);
	struct sigdb *base = sigdb_builder_finish(b);
	b = sigdb_builder_new(base);
	ck_assert_ptr_nonnull(b);
	for (uint64_t k = 1; k <= 10000; k += 3)
		ck_assert_int_eq(sigdb_builder_del(b, k * 0x9e3779b97f4a7c15ull), 0);
	for (uint64_t k = 10001; k <= 12000; k++) {
		struct sigdb_meta m = meta_for(k);
		sigdb_builder_put(b, k * 0x9e3779b97f4a7c15ull, &m);
	}
	sigdb_builder_set_serial(b, SIGDB_SRC_SIGS, 100, 1);
	struct sigdb *next = sigdb_builder_finish(b);
	ck_assert_uint_eq(sigdb_count(base), 10000);
	ck_assert_uint_eq(sigdb_count(next), 10000 - 3334 + 2000);
	for (uint64_t k = 1; k <= 12000; k++) {
		uint64_t key = k * 0x9e3779b97f4a7c15ull;
		ck_assert_int_eq(sigdb_lookup(base, key, NULL), k <= 10000);
		ck_assert_int_eq(sigdb_lookup(next, key, NULL), k > 10000 || k % 3 != 1);
	}
	uint64_t c, i;
	sigdb_serial(next, SIGDB_SRC_SIGS, &c, &i);
	ck_assert(c == 100 && i == 1);
	sigdb_serial(next, SIGDB_SRC_AWL, &c, &i);
	ck_assert(c == 7 && i == 3);
	sigdb_serial(base, SIGDB_SRC_SIGS, &c, &i);
	ck_assert(c == 100 && i == 0);
	sigdb_serial(base, SIGDB_SRC_CATS, &c, &i);
	ck_assert(c == 0 && i == 0);
	sigdb_unref(base);
	sigdb_unref(next);
}
END_TEST

START_TEST(test_anchor_key_inverse)
{
	uint64_t seed = 3;
	for (int i = 0; i < 100000; i++) {
		uint32_t a = (uint32_t)rng_next(&seed);
		uint8_t e = (uint8_t)i;
		ck_assert_uint_eq(sigdb_anchor_from_key(e, sigdb_anchor_key(e, a)), a);
	}
}
END_TEST

static int has_idx(const uint32_t *idx, size_t n, uint32_t want)
{
	for (size_t i = 0; i < n; i++)
		if (idx[i] == want)
			return 1;
	return 0;
}

/* Finds the index of sketch (engine, id) by iterating the store. */
static int64_t sketch_index(const struct sigdb *db, uint8_t engine, uint64_t id, uint8_t *bytes0)
{
	for (uint32_t i = 0; i < sigdb_sketch_count(db); i++) {
		size_t len;
		const uint8_t *p = sigdb_sketch_get(db, i, &len, NULL, NULL);
		if (len >= 9 && p[0] == engine && memcmp(p + 1, &id, 8) == 0) {
			if (bytes0 != NULL)
				*bytes0 = p[len - 1];
			return i;
		}
	}
	return -1;
}

static void put_sketch(struct sigdb_builder *b, uint8_t engine, uint64_t id, uint8_t tag,
                       const uint32_t *anchors, size_t n)
{
	uint8_t bytes[32] = { engine };
	memcpy(bytes + 1, &id, 8);
	bytes[31] = tag;
	struct sigdb_meta m = { .category = tag };
	ck_assert_int_eq(
	    sigdb_builder_put_sketch(b, engine, 2, id, bytes, sizeof(bytes), anchors, n, &m), 0);
}

START_TEST(test_sketches)
{
	struct sigdb_builder *b = sigdb_builder_new(NULL);
	uint32_t a1[] = { 10, 20, 30, 10 }; /* a duplicate anchor */
	uint32_t a2[] = { 20, 40 };
	put_sketch(b, 1, 100, 1, a1, 4);
	put_sketch(b, 1, 200, 2, a2, 2);
	put_sketch(b, 2, 100, 3, a2, 2); /* same id and anchors, other engine */
	put_sketch(b, 1, 300, 4, a2, 1);
	put_sketch(b, 1, 300, 5, a1, 1); /* replaces: now anchor 10 only */
	ck_assert_int_eq(sigdb_builder_del_sketch(b, 1, 999), WHORL_ENODATA);
	uint8_t big[SIGDB_MAX_SKETCH_BYTES + 1] = { 0 };
	uint32_t many[SIGDB_MAX_SKETCH_ANCHORS + 1] = { 0 };
	struct sigdb_meta m = { 0 };
	ck_assert_int_eq(sigdb_builder_put_sketch(b, 1, 2, 5, big, sizeof(big), a1, 1, &m),
	                 WHORL_ELIMIT);
	ck_assert_int_eq(
	    sigdb_builder_put_sketch(b, 1, 2, 5, big, 8, many, SIGDB_MAX_SKETCH_ANCHORS + 1, &m),
	    WHORL_ELIMIT);
	struct sigdb *db = sigdb_builder_finish(b);
	ck_assert_uint_eq(sigdb_sketch_count(db), 4);
	int64_t s100 = sketch_index(db, 1, 100, NULL), s200 = sketch_index(db, 1, 200, NULL);
	int64_t t100 = sketch_index(db, 2, 100, NULL);
	uint8_t tag = 0;
	int64_t s300 = sketch_index(db, 1, 300, &tag);
	ck_assert(s100 >= 0 && s200 >= 0 && t100 >= 0 && s300 >= 0);
	ck_assert_uint_eq(tag, 5);
	uint32_t idx[8];
	size_t n = sigdb_sketch_candidates(db, 1, 10, idx, 8);
	ck_assert_uint_eq(n, 2);
	ck_assert(has_idx(idx, n, (uint32_t)s100) && has_idx(idx, n, (uint32_t)s300));
	n = sigdb_sketch_candidates(db, 1, 20, idx, 8);
	ck_assert_uint_eq(n, 2);
	ck_assert(has_idx(idx, n, (uint32_t)s100) && has_idx(idx, n, (uint32_t)s200));
	n = sigdb_sketch_candidates(db, 2, 20, idx, 8);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(idx[0], (uint32_t)t100);
	ck_assert_uint_eq(sigdb_sketch_candidates(db, 2, 10, idx, 8), 0);
	ck_assert_uint_eq(sigdb_sketch_candidates(db, 1, 50, idx, 8), 0);
	ck_assert_uint_eq(sigdb_sketch_candidates(db, 1, 20, idx, 1), 1);
	size_t len;
	uint8_t algo;
	struct sigdb_meta got;
	ck_assert_ptr_nonnull(sigdb_sketch_get(db, (uint32_t)s200, &len, &algo, &got));
	ck_assert(len == 32 && algo == 2 && got.category == 2);
	ck_assert_ptr_null(sigdb_sketch_get(db, 4, &len, &algo, &got));
	/* A delta: delete one sketch, the rest (and its anchors) survive. */
	b = sigdb_builder_new(db);
	ck_assert_int_eq(sigdb_builder_del_sketch(b, 1, 100), 0);
	struct sigdb *db2 = sigdb_builder_finish(b);
	ck_assert_uint_eq(sigdb_sketch_count(db2), 3);
	s300 = sketch_index(db2, 1, 300, NULL);
	n = sigdb_sketch_candidates(db2, 1, 10, idx, 8);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(idx[0], (uint32_t)s300);
	n = sigdb_sketch_candidates(db2, 1, 40, idx, 8);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(idx[0], (uint32_t)sketch_index(db2, 1, 200, NULL));
	ck_assert_uint_eq(sigdb_sketch_candidates(db2, 2, 40, idx, 8), 1);
	sigdb_unref(db);
	sigdb_unref(db2);
}
END_TEST

/* Whether every segment's engine_first ranges hold exactly the records of
 * their engine: the test seg_candidates made on each record before. */
static void check_engine_ranges(const struct sigdb *db)
{
	for (unsigned s = 0; s < db->skv.n_seg; s++) {
		const struct sigdb_sketches *seg = db->skv.seg[s];
		ck_assert_uint_eq(seg->engine_first[256], seg->count);
		for (unsigned e = 0; e < 256; e++) {
			uint32_t first = seg->engine_first[e];
			uint32_t span = seg->engine_first[e + 1] - first;
			for (uint32_t i = 0; i < seg->count; i++)
				ck_assert_int_eq(seg->recs[i].engine == e, i - first < span);
		}
	}
}

/* Generations of random puts and deletes over a few engines (deltas make
 * segments, compactions merge them): the ranges always agree with the
 * records, and the candidates are those of their engine only. */
START_TEST(test_engine_ranges)
{
	static const uint8_t engines[] = { 0, 1, 2, 7, 255 };
	uint64_t seed = 5;
	struct sigdb *db = NULL;
	for (int gen = 0; gen < 12; gen++) {
		struct sigdb_builder *b = sigdb_builder_new(db);
		for (int k = 0; k < 300; k++) {
			uint64_t r = rng_next(&seed);
			uint8_t engine = engines[r % sizeof(engines)];
			uint64_t id = (r >> 8) % 500;
			if ((r >> 20) % 5 == 0) {
				sigdb_builder_del_sketch(b, engine, id);
				continue;
			}
			uint32_t anchors[2] = { (uint32_t)(id % 37) + 1, (uint32_t)(r >> 40) | 1 };
			put_sketch(b, engine, id, (uint8_t)gen, anchors, 2);
		}
		struct sigdb *next = sigdb_builder_finish(b);
		ck_assert_ptr_nonnull(next);
		sigdb_unref(db);
		db = next;
		check_engine_ranges(db);
		uint32_t idx[64];
		for (uint32_t a = 1; a <= 37; a++)
			for (size_t k = 0; k < sizeof(engines); k++) {
				size_t n = sigdb_sketch_candidates(db, engines[k], a, idx, 64);
				for (size_t c = 0; c < n; c++) {
					const struct sigdb_sketches *seg =
					    db->skv.seg[idx[c] >> SIGDB_IDX_BITS];
					ck_assert_uint_eq(seg->recs[idx[c] & SIGDB_IDX_MASK].engine,
					                  engines[k]);
				}
			}
	}
	sigdb_unref(db);
}
END_TEST

START_TEST(test_fanout_cap)
{
	struct sigdb_builder *b = sigdb_builder_new(NULL);
	for (uint64_t id = 0; id < SIGDB_MAX_ANCHOR_FANOUT + 1; id++) {
		uint32_t anchors[] = { 777, 1000 + (uint32_t)id, 555 };
		/* Anchor 555 is shared by exactly the cap. */
		put_sketch(b, 4, id, 0, anchors, id < SIGDB_MAX_ANCHOR_FANOUT ? 3 : 2);
	}
	struct sigdb *db = sigdb_builder_finish(b);
	uint32_t idx[128];
	ck_assert_uint_eq(sigdb_sketch_candidates(db, 4, 777, idx, 128), 0);
	ck_assert_uint_eq(sigdb_sketch_candidates(db, 4, 555, idx, 128), SIGDB_MAX_ANCHOR_FANOUT);
	ck_assert_uint_eq(sigdb_sketch_candidates(db, 4, 1003, idx, 128), 1);
	/* Deleting one of the 65 masks it out, but the rule holds per segment
	 * and a dead sketch still counts there: 777 stays out of the index... */
	b = sigdb_builder_new(db);
	ck_assert_int_eq(sigdb_builder_del_sketch(b, 4, 3), 0);
	struct sigdb *db2 = sigdb_builder_finish(b);
	ck_assert_uint_eq(sigdb_sketch_candidates(db2, 4, 777, idx, 128), 0);
	ck_assert_uint_eq(sigdb_sketch_candidates(db2, 4, 1003, idx, 128), 0);
	ck_assert_uint_eq(sigdb_sketch_count(db2), SIGDB_MAX_ANCHOR_FANOUT);
	/* ...until enough deletes compact the segments: then it is back. */
	b = sigdb_builder_new(db2);
	for (uint64_t id = 4; id < 20; id++)
		ck_assert_int_eq(sigdb_builder_del_sketch(b, 4, id), 0);
	ck_assert_int_eq(sigdb_builder_del_sketch(b, 4, 3), WHORL_ENODATA);
	struct sigdb *db3 = sigdb_builder_finish(b);
	ck_assert_uint_eq(db3->skv.n_seg, 1);
	ck_assert_uint_eq(db3->skv.n_dead, 0);
	ck_assert_uint_eq(sigdb_sketch_candidates(db3, 4, 777, idx, 128),
	                  SIGDB_MAX_ANCHOR_FANOUT + 1 - 17);
	ck_assert_uint_eq(sigdb_sketch_candidates(db3, 4, 1020, idx, 128), 1);
	sigdb_unref(db);
	sigdb_unref(db2);
	sigdb_unref(db3);
}
END_TEST

START_TEST(test_sketches_many)
{
	enum {
		N = 100000,
		A = 12,
		LEN = 136
	};
	uint64_t seed = 11;
	uint8_t bytes[LEN];
	uint32_t anchors[A];
	struct sigdb_meta m = { .category = 1 };
	struct sigdb_builder *b = sigdb_builder_new(NULL);
	for (uint64_t id = 0; id < N; id++) {
		for (int j = 0; j < LEN; j++)
			bytes[j] = (uint8_t)(id >> (8 * (j % 8)));
		for (int j = 0; j < A; j++)
			anchors[j] = (uint32_t)rng_next(&seed);
		ck_assert_int_eq(sigdb_builder_put_sketch(b, (uint8_t)(id % 3), 1, id, bytes, LEN,
		                                          anchors, A, &m),
		                 0);
	}
	struct sigdb *db = sigdb_builder_finish(b);
	ck_assert_uint_eq(sigdb_sketch_count(db), N);
	double per = (double)sigdb_memory_bytes(db) / N;
	ck_assert_msg(per <= 256.0, "%.1f bytes per sketch", per);
	seed = 11;
	uint32_t idx[8];
	/* Sketches are stored by (engine, id): engine id % 3, ids ascending. */
	const uint32_t first[3] = { 0, (N + 2) / 3, (N + 2) / 3 + (N + 1) / 3 };
	for (uint64_t id = 0; id < N; id++) {
		uint32_t at = first[id % 3] + (uint32_t)(id / 3);
		uint64_t again = seed;
		for (int j = 0; j < A; j++)
			anchors[j] = (uint32_t)rng_next(&again);
		sigdb_sketch_prefetch_anchors(db, (uint8_t)(id % 3), anchors, A); /* a hint */
		for (int j = 0; j < A; j++) {
			size_t n = sigdb_sketch_candidates(db, (uint8_t)(id % 3),
			                                   (uint32_t)rng_next(&seed), idx, 8);
			ck_assert(has_idx(idx, n, at));
		}
		size_t len;
		sigdb_sketch_prefetch_recs(db, &at, 1); /* hints: get reads the same */
		sigdb_sketch_prefetch(db, at);
		const uint8_t *p = sigdb_sketch_get(db, at, &len, NULL, NULL);
		ck_assert(len == LEN && p[0] == (uint8_t)id && p[9] == (uint8_t)(id >> 8));
	}
	sigdb_unref(db);
}
END_TEST

struct tally {
	size_t n_fp, n_sk;
	uint64_t key_sum, id_sum;
};

static void tally_fp(void *ctx, uint64_t key, const struct sigdb_meta *m)
{
	struct tally *t = ctx;
	struct sigdb_meta want = meta_for(key);
	ck_assert(meta_eq(m, &want));
	t->n_fp++;
	t->key_sum += key;
}

static void tally_sk(void *ctx, uint8_t engine, uint8_t algo, uint64_t id, const uint8_t *bytes,
                     size_t len, const struct sigdb_meta *m)
{
	struct tally *t = ctx;
	ck_assert(len == 32 && bytes[0] == engine && memcmp(bytes + 1, &id, 8) == 0 && algo == 2);
	t->n_sk++;
	t->id_sum += id;
}

START_TEST(test_foreach)
{
	struct sigdb_builder *b = sigdb_builder_new(NULL);
	uint64_t key_sum = 0, id_sum = 0;
	for (uint64_t k = 0; k < 3000; k++) {
		uint64_t key = k * 0x9e3779b97f4a7c15ull; /* k = 0 gives key 0 */
		struct sigdb_meta m = meta_for(key);
		sigdb_builder_put(b, key, &m);
		key_sum += key;
	}
	uint32_t anchor = 9;
	for (uint64_t id = 1; id <= 50; id++) {
		put_sketch(b, 6, id, 0, &anchor, 1);
		id_sum += id;
	}
	struct sigdb *db = sigdb_builder_finish(b);
	struct tally t = { 0 };
	sigdb_foreach(db, tally_fp, tally_sk, &t);
	ck_assert_uint_eq(t.n_fp, 3000);
	ck_assert_uint_eq(t.n_sk, 50);
	ck_assert_uint_eq(t.key_sum, key_sum);
	ck_assert_uint_eq(t.id_sum, id_sum);
	sigdb_unref(db);
}
END_TEST

START_TEST(test_refcount)
{
	struct sigdb *db = sigdb_empty();
	sigdb_ref(db);
	sigdb_unref(db);
	ck_assert_int_eq(sigdb_lookup(db, 1, NULL), 0); /* still alive (ASan would tell) */
	sigdb_unref(db);
	sigdb_ref(NULL);
	sigdb_unref(NULL);
}
END_TEST

/* The digest depends on content only: the same entries put in another
 * order give the same digest; one changed metadata byte or serial gives
 * another. */
static void digest_of(struct sigdb_builder *b, char *hex)
{
	struct sigdb *db = sigdb_builder_finish(b);
	ck_assert_ptr_nonnull(db);
	sigdb_digest_hex(db, hex, SIGDB_DIGEST_HEX);
	sigdb_unref(db);
}

static struct sigdb_builder *digest_set(int reversed, uint8_t conf, uint64_t serial)
{
	static const uint32_t a1[] = { 10, 20 };
	struct sigdb_builder *b = sigdb_builder_new(NULL);
	ck_assert_ptr_nonnull(b);
	for (uint64_t k = 1; k <= 500; k++) {
		uint64_t key = (reversed ? 501 - k : k) * 0x9e3779b97f4a7c15ull;
		struct sigdb_meta m = meta_for(key);
		if (key == 7 * 0x9e3779b97f4a7c15ull)
			m.confidence = conf;
		ck_assert_int_eq(sigdb_builder_put(b, key, &m), 0);
	}
	put_sketch(b, 1, reversed ? 200 : 100, 1, a1, 2);
	put_sketch(b, 1, reversed ? 100 : 200, 1, a1, 2);
	sigdb_builder_set_serial(b, SIGDB_SRC_SIGS, 1, serial);
	return b;
}

START_TEST(test_digest)
{
	char a[SIGDB_DIGEST_HEX], b[SIGDB_DIGEST_HEX], c[SIGDB_DIGEST_HEX], d[SIGDB_DIGEST_HEX];
	struct sigdb *e1 = sigdb_empty(), *e2 = sigdb_empty();
	digest_of(digest_set(0, 50, 1), a);
	digest_of(digest_set(1, 50, 1), b);
	ck_assert_str_eq(a, b);
	ck_assert_int_eq(strlen(a), 2 * SIGDB_DIGEST_BYTES);
	digest_of(digest_set(0, 51, 1), c);
	ck_assert_str_ne(a, c);
	digest_of(digest_set(0, 50, 2), d);
	ck_assert_str_ne(a, d);
	sigdb_digest_hex(e1, c, sizeof c);
	sigdb_digest_hex(e2, d, sizeof d);
	ck_assert_str_eq(c, d);
	ck_assert_str_ne(a, c);
	sigdb_unref(e1);
	sigdb_unref(e2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sigdb");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_put_lookup_del);
	tcase_add_test(tc, test_key_zero_and_extremes);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_million);
	tcase_add_test(tc, test_builder_model);
	tcase_add_test(tc, test_flat_matches_map);
	tcase_add_test(tc, test_delta_from_base);
	tcase_add_test(tc, test_anchor_key_inverse);
	tcase_add_test(tc, test_sketches);
	tcase_add_test(tc, test_digest);
	tcase_add_test(tc, test_fanout_cap);
	tcase_add_test(tc, test_engine_ranges);
	tcase_add_test(tc, test_sketches_many);
	tcase_add_test(tc, test_foreach);
	tcase_add_test(tc, test_refcount);
	suite_add_tcase(s, tc);
	return check_run(s);
}
