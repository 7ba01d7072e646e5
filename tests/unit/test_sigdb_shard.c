/*
 * test_sigdb_shard.c - the sharded exact table and what updates share:
 * a random differential test of every way to build a snapshot (delta on a
 * base, replacing builder with keys in order or not, with or without a base)
 * against a plain model; proof that a small delta and an unchanged complete
 * file share shards and the sketch part with their base; lifetimes of
 * snapshots that share parts; a complete file's sketches compared with the
 * base's as they arrive (bsk_match.c), shared only when all repeat it.
 */
#include <check.h>

#include "check_main.h"
#include <stdlib.h>
#include <string.h>

#include "abi/whorl_cartridge.h"
#include "cartridge/sigdb/sigdb.h"
#include "cartridge/sigdb/sigdb_int.h"

#define U 6000             /* key universe of the differential test */
#define U_CLUSTER 40       /* small keys: all in shard 0 */
#define N_SK 600           /* sketch universe */
#define SK_SHARED 5000000u /* an anchor every sketch has: over the fan-out cap */

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t key_of(size_t u)
{
	uint64_t s = u;
	return u < U_CLUSTER ? u : rng_next(&s);
}

static struct sigdb_meta meta_rand(uint64_t *seed)
{
	uint64_t r = rng_next(seed);
	struct sigdb_meta m = { .category = (uint8_t)r,
		                .subcategory = (uint8_t)(r >> 8),
		                .confidence = (uint8_t)(r >> 16),
		                .flags = (uint8_t)(r >> 24),
		                .first_seen = (uint16_t)(r >> 32),
		                .last_seen = (uint16_t)(r >> 48) };
	return m;
}

static int meta_eq(const struct sigdb_meta *a, const struct sigdb_meta *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* The model: which keys and sketches a snapshot should hold. */
struct model {
	uint8_t present[U];
	struct sigdb_meta meta[U];
	uint8_t sk_present[N_SK];
	uint8_t sk_tag[N_SK];
	uint64_t serial;
};

static void sketch_put(struct sigdb_builder *b, struct model *md, size_t i, uint8_t tag)
{
	uint8_t bytes[20];
	uint32_t anchors[3] = { (uint32_t)i, 100000u + tag, SK_SHARED };
	memset(bytes, tag, sizeof(bytes));
	struct sigdb_meta m = { .category = tag };
	ck_assert_int_eq(sigdb_builder_put_sketch(b, (uint8_t)(i % 3), 1, i * 1000003u, bytes,
	                                          sizeof(bytes), anchors, 3, &m),
	                 0);
	md->sk_present[i] = 1;
	md->sk_tag[i] = tag;
}

/* Sorted universe positions: keys ascending (the model's order). */
static size_t order[U];

static int cmp_key(const void *a, const void *b)
{
	uint64_t x = key_of(*(const size_t *)a), y = key_of(*(const size_t *)b);
	return x < y ? -1 : x > y;
}

static void order_init(void)
{
	for (size_t u = 0; u < U; u++)
		order[u] = u;
	qsort(order, U, sizeof(order[0]), cmp_key);
}

/* A from-scratch build of the model: keys in order, sketches, serial. */
static struct sigdb *model_build(const struct model *md)
{
	struct sigdb_builder *b = sigdb_builder_new_replace(NULL);
	struct model scratch;
	ck_assert_ptr_nonnull(b);
	for (size_t i = 0; i < U; i++)
		if (md->present[order[i]])
			ck_assert_int_eq(
			    sigdb_builder_put(b, key_of(order[i]), &md->meta[order[i]]), 0);
	for (size_t i = 0; i < N_SK; i++)
		if (md->sk_present[i])
			sketch_put(b, &scratch, i, md->sk_tag[i]);
	sigdb_builder_set_serial(b, SIGDB_SRC_SIGS, 1, md->serial);
	struct sigdb *db = sigdb_builder_finish(b);
	ck_assert_ptr_nonnull(db);
	return db;
}

struct walk {
	const struct model *md;
	size_t at; /* position in order[] */
	int first;
	uint64_t last;
};

static void walk_fp(void *ctx, uint64_t key, const struct sigdb_meta *m)
{
	struct walk *w = ctx;
	ck_assert(w->first || key > w->last);
	w->first = 0;
	w->last = key;
	while (w->at < U && !w->md->present[order[w->at]])
		w->at++;
	ck_assert_uint_lt(w->at, U);
	ck_assert(key == key_of(order[w->at]));
	ck_assert(meta_eq(m, &w->md->meta[order[w->at]]));
	w->at++;
}

/* Sketch i: engine i % 3, id i * 1000003. */
static size_t sk_of(uint8_t engine, uint64_t id)
{
	size_t i = (size_t)(id / 1000003u);
	ck_assert_uint_eq(id % 1000003u, 0);
	ck_assert_uint_lt(i, N_SK);
	ck_assert_uint_eq(i % 3, engine);
	return i;
}

struct sk_walk {
	const struct model *md;
	size_t n;
	int first;
	uint8_t last_engine;
	uint64_t last_id;
};

static void walk_sk(void *ctx, uint8_t engine, uint8_t algo, uint64_t id, const uint8_t *bytes,
                    size_t len, const struct sigdb_meta *m)
{
	struct sk_walk *w = ctx;
	ck_assert(w->first || engine > w->last_engine ||
	          (engine == w->last_engine && id > w->last_id));
	w->first = 0;
	w->last_engine = engine;
	w->last_id = id;
	size_t i = sk_of(engine, id);
	ck_assert(w->md->sk_present[i]);
	ck_assert_uint_eq(algo, 1);
	ck_assert_uint_eq(len, 20);
	ck_assert_uint_eq(bytes[0], w->md->sk_tag[i]);
	ck_assert_uint_eq(bytes[19], w->md->sk_tag[i]);
	ck_assert_uint_eq(m->category, w->md->sk_tag[i]);
	w->n++;
}

/* Sketches through every query: count, candidates and get, foreach. */
static void sketch_check(const struct sigdb *db, const struct model *md)
{
	size_t n_sk = 0;
	uint32_t idx[8];
	for (size_t i = 0; i < N_SK; i++) {
		n_sk += md->sk_present[i];
		size_t n = sigdb_sketch_candidates(db, (uint8_t)(i % 3), (uint32_t)i, idx, 8);
		ck_assert_uint_eq(n, md->sk_present[i]);
		if (n == 0)
			continue;
		size_t len;
		uint8_t algo;
		struct sigdb_meta m;
		const uint8_t *p = sigdb_sketch_get(db, idx[0], &len, &algo, &m);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq(len, 20);
		ck_assert_uint_eq(p[5], md->sk_tag[i]);
		ck_assert_uint_eq(m.category, md->sk_tag[i]);
		ck_assert_uint_eq(sigdb_sketch_candidates(db, (uint8_t)(i % 3),
		                                          100000u + md->sk_tag[i], idx, 8) >= 1,
		                  1);
	}
	ck_assert_uint_eq(sigdb_sketch_count(db), n_sk);
	struct sk_walk w = { md, 0, 1, 0, 0 };
	sigdb_foreach(db, NULL, walk_sk, &w);
	ck_assert_uint_eq(w.n, n_sk);
	ck_assert_uint_le(db->skv.n_seg, SIGDB_MAX_SEGS);
	ck_assert_uint_le(db->skv.n_dead, sigdb_skview_recs(&db->skv));
}

static void model_check(const struct sigdb *db, const struct model *md)
{
	size_t n = 0;
	for (size_t u = 0; u < U; u++) {
		struct sigdb_meta got;
		ck_assert_int_eq(sigdb_lookup(db, key_of(u), &got), md->present[u]);
		if (md->present[u])
			ck_assert(meta_eq(&got, &md->meta[u]));
		n += md->present[u];
		ck_assert_int_eq(sigdb_lookup(db, key_of(u) ^ 0x8000000000000001ull, NULL), 0);
	}
	ck_assert_uint_eq(sigdb_count(db), n);
	struct walk w = { md, 0, 1, 0 };
	sigdb_foreach(db, walk_fp, NULL, &w);
	while (w.at < U && !md->present[order[w.at]])
		w.at++;
	ck_assert_uint_eq(w.at, U);
	sketch_check(db, md);
	/* The same content built from scratch has the same digest. */
	char a[SIGDB_DIGEST_HEX], b[SIGDB_DIGEST_HEX];
	struct sigdb *ref = model_build(md);
	sigdb_digest_hex(db, a, sizeof a);
	sigdb_digest_hex(ref, b, sizeof b);
	ck_assert_str_eq(a, b);
	sigdb_unref(ref);
}

/* Random puts and dels (and sketch changes) on b, mirrored in md; dels
 * must say whether the key was there. */
static void random_changes(struct sigdb_builder *b, struct model *md, uint64_t *seed, size_t n,
                           int dels)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t r = rng_next(seed);
		size_t u = r % U;
		if (dels && (r >> 62) == 0) {
			ck_assert_int_eq(sigdb_builder_del(b, key_of(u)),
			                 md->present[u] ? 0 : WHORL_ENODATA);
			md->present[u] = 0;
		} else {
			struct sigdb_meta m = meta_rand(seed);
			ck_assert_int_eq(sigdb_builder_put(b, key_of(u), &m), 0);
			md->present[u] = 1;
			md->meta[u] = m;
		}
		if ((r >> 40) % 8 == 0) {
			size_t k = (r >> 20) % N_SK;
			if (dels && (r >> 30) & 1) {
				ck_assert_int_eq(
				    sigdb_builder_del_sketch(b, (uint8_t)(k % 3), k * 1000003u),
				    md->sk_present[k] ? 0 : WHORL_ENODATA);
				md->sk_present[k] = 0;
			} else {
				sketch_put(b, md, k, (uint8_t)(r >> 8));
			}
		}
	}
}

/* A complete file of the model after some changes: every key once (some
 * put twice, the second wins), in key order or shuffled. */
static struct sigdb_builder *complete_build(const struct sigdb *base, struct model *md,
                                            uint64_t *seed, int sorted, int hint)
{
	struct sigdb_builder *b = sigdb_builder_new_replace(base);
	static size_t perm[U];
	ck_assert_ptr_nonnull(b);
	for (size_t i = 0; i < U / 20; i++) { /* the content changes a little */
		size_t u = rng_next(seed) % U;
		md->present[u] = !md->present[u];
		md->meta[u] = meta_rand(seed);
	}
	size_t n = 0;
	for (size_t i = 0; i < U; i++)
		if (md->present[order[i]])
			perm[n++] = order[i];
	for (size_t i = n; !sorted && i > 1; i--) {
		size_t j = rng_next(seed) % i, t = perm[i - 1];
		perm[i - 1] = perm[j];
		perm[j] = t;
	}
	if (hint)
		ck_assert_int_eq(sigdb_builder_reserve(b, n), 0);
	for (size_t i = 0; i < n; i++) {
		size_t u = perm[i];
		if (rng_next(seed) % 16 == 0) {
			struct sigdb_meta other = meta_rand(seed);
			ck_assert_int_eq(sigdb_builder_put(b, key_of(u), &other), 0);
		}
		ck_assert_int_eq(sigdb_builder_put(b, key_of(u), &md->meta[u]), 0);
	}
	for (size_t i = 0; i < N_SK / 40; i++) { /* sketches too */
		uint64_t r = rng_next(seed);
		size_t k = r % N_SK;
		if ((r >> 32) & 1)
			md->sk_present[k] = !md->sk_present[k];
		else
			md->sk_tag[k] = (uint8_t)(r >> 40);
	}
	for (size_t i = 0; i < N_SK; i++) {
		size_t k = sorted ? i : (i * 7919) % N_SK;
		if (md->sk_present[k])
			sketch_put(b, md, k, md->sk_tag[k]);
	}
	return b;
}

START_TEST(test_differential)
{
	static struct model md;
	uint64_t seed = 1234 + (uint64_t)_i;
	struct sigdb *cur = NULL;
	size_t multi_seg = 0, with_dead = 0;
	order_init();
	memset(&md, 0, sizeof md);
	for (int round = 0; round < 40; round++) {
		int kind = (int)(rng_next(&seed) % 6);
		struct sigdb_builder *b;
		if (kind <= 1) { /* delta on cur (or on nothing) */
			b = sigdb_builder_new(kind == 0 ? cur : NULL);
			if (kind == 1) {
				memset(&md, 0, sizeof md);
			}
			random_changes(b, &md, &seed,
			               rng_next(&seed) % (round % 5 == 0 ? 8000 : 400), 1);
		} else { /* a complete file */
			const struct sigdb *base = kind % 2 ? cur : NULL;
			b = complete_build(base, &md, &seed, kind < 4, (int)(rng_next(&seed) & 1));
			if (kind == 5)
				random_changes(b, &md, &seed, 50,
				               1); /* deletes on a replacing builder */
		}
		md.serial = (uint64_t)round;
		sigdb_builder_set_serial(b, SIGDB_SRC_SIGS, 1, md.serial);
		struct sigdb *next = sigdb_builder_finish(b);
		ck_assert_ptr_nonnull(next);
		model_check(next, &md);
		multi_seg += next->skv.n_seg > 1;
		with_dead += next->skv.n_dead > 0;
		sigdb_unref(cur);
		cur = next;
	}
	/* the views were really segmented at times, not always rebuilt */
	ck_assert_uint_gt(multi_seg, 0);
	ck_assert_uint_gt(with_dead, 0);
	sigdb_unref(cur);
}
END_TEST

static struct sigdb *build_sorted(size_t n, uint64_t salt)
{
	struct sigdb_builder *b = sigdb_builder_new_replace(NULL);
	ck_assert_int_eq(sigdb_builder_reserve(b, n), 0);
	uint64_t step = UINT64_MAX / n;
	for (size_t i = 0; i < n; i++) {
		struct sigdb_meta m = { .category = (uint8_t)(i ^ salt), .confidence = 90 };
		ck_assert_int_eq(sigdb_builder_put(b, i * step + (salt % step), &m), 0);
	}
	uint32_t anchor = 5;
	uint8_t bytes[8] = { 1, 2, 3 };
	struct sigdb_meta m = { .category = 2 };
	ck_assert_int_eq(sigdb_builder_put_sketch(b, 1, 1, 42, bytes, sizeof bytes, &anchor, 1, &m),
	                 0);
	struct sigdb *db = sigdb_builder_finish(b);
	ck_assert_ptr_nonnull(db);
	return db;
}

static size_t nonempty_shards(const struct sigdb *db)
{
	size_t n = 0;
	for (size_t i = 0; i < ((size_t)1 << db->table.bits); i++)
		n += db->table.dir[i].s->n != 0;
	return n;
}

/* Long: one scenario (base, delta, complete file, reload) whose snapshots are
 * compared step by step; split, each part would rebuild the ones before. */
START_TEST(test_sharing)
{
	enum {
		N = 100000
	};
	uint64_t seed = 99;
	struct sigdb *base = build_sorted(N, 0);
	/* A 1% delta: half new keys, half deletes. */
	struct sigdb_builder *b = sigdb_builder_new(base);
	uint64_t step = UINT64_MAX / N;
	for (size_t i = 0; i < N / 100; i++) {
		struct sigdb_meta m = { .category = 7 };
		uint64_t r = rng_next(&seed);
		if (i % 2)
			ck_assert_int_eq(sigdb_builder_put(b, r | 1, &m), 0);
		else
			sigdb_builder_del(b, (r % N) * step);
	}
	struct sigdb *delta = sigdb_builder_finish(b);
	ck_assert_ptr_nonnull(delta);
	size_t shared = sigdb_shared_shards(base, delta), all = nonempty_shards(base);
	ck_assert_msg(shared * 100 >= all * 80, "%zu of %zu shards shared", shared, all);
	/* no sketch touched: the sketch segments are shared */
	ck_assert_uint_eq(delta->skv.n_seg, 1);
	ck_assert_ptr_eq(delta->skv.seg[0], base->skv.seg[0]);
	/* The delta's memory beyond its base is about what changed. */
	ck_assert_uint_lt(sigdb_table_bytes(&delta->table) - 0,
	                  3 * sigdb_table_bytes(&base->table));

	/* The same content as a complete file, in order: everything shared. */
	struct sigdb_builder *r = sigdb_builder_new_replace(base);
	ck_assert_int_eq(sigdb_builder_reserve(r, N), 0);
	for (size_t i = 0; i < N; i++) {
		struct sigdb_meta m = { .category = (uint8_t)i, .confidence = 90 };
		ck_assert_int_eq(sigdb_builder_put(r, i * step, &m), 0);
	}
	uint32_t anchor = 5;
	uint8_t bytes[8] = { 1, 2, 3 };
	struct sigdb_meta m = { .category = 2 };
	ck_assert_int_eq(sigdb_builder_put_sketch(r, 1, 1, 42, bytes, sizeof bytes, &anchor, 1, &m),
	                 0);
	struct sigdb *same = sigdb_builder_finish(r);
	ck_assert_ptr_nonnull(same);
	ck_assert_uint_eq(sigdb_shared_shards(base, same), all);
	ck_assert_uint_eq(same->skv.n_seg, 1);
	ck_assert_ptr_eq(same->skv.seg[0], base->skv.seg[0]);
	char a[SIGDB_DIGEST_HEX], c[SIGDB_DIGEST_HEX];
	sigdb_digest_hex(base, a, sizeof a);
	sigdb_digest_hex(same, c, sizeof c);
	ck_assert_str_eq(a, c);

	/* Shuffled, with one key changed: all shards but one shared. */
	r = sigdb_builder_new_replace(base);
	for (size_t i = 0; i < N; i++) {
		size_t j = (i * 7919) % N;
		struct sigdb_meta mm = { .category = (uint8_t)j, .confidence = j == 500 ? 1 : 90 };
		ck_assert_int_eq(sigdb_builder_put(r, j * step, &mm), 0);
	}
	struct sigdb *one = sigdb_builder_finish(r);
	ck_assert_ptr_nonnull(one);
	ck_assert_uint_eq(sigdb_shared_shards(base, one), all - 1);
	ck_assert_uint_eq(one->skv.n_seg, 0); /* its sketch set differs (empty) */
	ck_assert_uint_eq(sigdb_sketch_count(one), 0);
	sigdb_unref(one);
	sigdb_unref(same);
	sigdb_unref(delta);
	sigdb_unref(base);
}
END_TEST

START_TEST(test_memory_per_key)
{
	struct sigdb *db = build_sorted(1000000, 3);
	double per = (double)sigdb_table_bytes(&db->table) / (double)sigdb_count(db);
	ck_assert_msg(per <= 24.0, "%.2f bytes per fingerprint", per);
	ck_assert_msg(per >= 16.0, "%.2f bytes per fingerprint: accounting too low", per);
	sigdb_unref(db);
}
END_TEST

/* Snapshots sharing parts outlive each other in any order. */
START_TEST(test_lifetimes)
{
	static struct model m0, m1, m2;
	uint64_t seed = 5;
	order_init();
	memset(&m0, 0, sizeof m0);
	struct sigdb_builder *b = sigdb_builder_new(NULL);
	random_changes(b, &m0, &seed, 5000, 0);
	sigdb_builder_set_serial(b, SIGDB_SRC_SIGS, 1, 0); /* as model_build does */
	struct sigdb *s0 = sigdb_builder_finish(b);
	m1 = m0;
	b = sigdb_builder_new(s0);
	random_changes(b, &m1, &seed, 300, 1);
	struct sigdb *s1 = sigdb_builder_finish(b);
	sigdb_unref(s0); /* the base goes first */
	model_check(s1, &m1);
	m2 = m1;
	b = sigdb_builder_new(s1);
	random_changes(b, &m2, &seed, 300, 1);
	struct sigdb *s2 = sigdb_builder_finish(b);
	sigdb_unref(s2); /* the newer goes first */
	model_check(s1, &m1);
	b = sigdb_builder_new(s1); /* a builder keeps its base alive */
	sigdb_unref(s1);
	random_changes(b, &m1, &seed, 300, 1);
	s2 = sigdb_builder_finish(b);
	model_check(s2, &m1);
	sigdb_unref(s2);
}
END_TEST

/* ---- sketches of a complete file compared with the base's as they come ---- */

#define N_MATCH 200 /* sketches of the match tests */

/* Sketch i in (engine, id) order: engine 1, id i + 1; `tag` in its bytes
 * and category, `extra` as its third anchor. */
static void match_put(struct sigdb_builder *b, size_t i, uint8_t tag, uint32_t extra)
{
	uint8_t bytes[24];
	uint32_t anchors[3] = { (uint32_t)i * 7 + 1, 5000 + (uint32_t)i, extra };
	struct sigdb_meta m = { .category = tag, .confidence = 80 };
	memset(bytes, (int)(i & 0xff), sizeof(bytes));
	bytes[0] = tag;
	ck_assert_int_eq(
	    sigdb_builder_put_sketch(b, 1, 2, i + 1, bytes, sizeof(bytes), anchors, 3, &m), 0);
}

/* What a test feeds: n sketches; the one at `at` (if < n) with tag/extra. */
struct match_case {
	size_t n, at, dup_at;
	uint8_t tag;
	uint32_t extra;
	size_t held;   /* sketches the builder must hold before finishing */
	uint32_t dead; /* base sketches masked out in the result */
};

/* The sketches two snapshots give for anchor (engine 1), as ids and tags. */
static int cands_same(const struct sigdb *x, const struct sigdb *y, uint32_t anchor)
{
	uint32_t ix[64], iy[64];
	size_t nx = sigdb_sketch_candidates(x, 1, anchor, ix, 64);
	size_t ny = sigdb_sketch_candidates(y, 1, anchor, iy, 64);
	if (nx != ny)
		return 0;
	uint64_t sx = 0, sy = 0;
	for (size_t i = 0; i < nx; i++) {
		size_t lx, ly;
		struct sigdb_meta mx, my;
		const uint8_t *px = sigdb_sketch_get(x, ix[i], &lx, NULL, &mx);
		const uint8_t *py = sigdb_sketch_get(y, iy[i], &ly, NULL, &my);
		if (px == NULL || py == NULL || lx != ly)
			return 0;
		/* the sketch's index is in bytes[1..], its tag in bytes[0] */
		sx += (uint64_t)px[1] * 1000 + px[0] + (uint64_t)mx.category * 7;
		sy += (uint64_t)py[1] * 1000 + py[0] + (uint64_t)my.category * 7;
	}
	return sx == sy;
}

static struct sigdb *match_build(const struct sigdb *base, const struct match_case *c)
{
	struct sigdb_builder *b = sigdb_builder_new_replace(base);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(sigdb_builder_put(b, 42, &(struct sigdb_meta){ .category = 1 }), 0);
	for (size_t i = 0; i < c->n; i++) {
		match_put(b, i, i == c->at ? c->tag : 1, i == c->at ? c->extra : 3);
		if (i == c->dup_at)
			match_put(b, i, 9, 3); /* put twice: the second one wins */
	}
	/* Sketches repeating the base's bytes are not stored (yet). */
	ck_assert_uint_eq(sigdb_builder_held_sketches(b), base != NULL ? c->held : c->n);
	sigdb_builder_set_serial(b, SIGDB_SRC_SIGS, 1, 1);
	struct sigdb *db = sigdb_builder_finish(b);
	ck_assert_ptr_nonnull(db);
	return db;
}

START_TEST(test_sketch_match)
{
	const struct match_case same = { N_MATCH, N_MATCH, N_MATCH, 1, 3, 0, 0 };
	const struct match_case cases[] = {
		{ N_MATCH, 100, N_MATCH, 7, 3, 1, 1 },  /* one sketch's bytes and category differ */
		{ N_MATCH, 150, N_MATCH, 1, 99, 1, 1 }, /* same bytes, another anchor */
		{ N_MATCH - 30, N_MATCH, N_MATCH, 1, 3, 0, 30 }, /* fewer sketches: a prefix */
		{ N_MATCH, N_MATCH, 60, 1, 3, 1, 1 }, /* one put twice, the second differs */
		{ N_MATCH, 0, N_MATCH, 7, 3, 1, 1 },  /* the first differs */
	};
	struct sigdb *base = match_build(NULL, &same), *db;
	char want[SIGDB_DIGEST_HEX], got[SIGDB_DIGEST_HEX];

	db = match_build(base, &same);
	ck_assert_uint_eq(db->skv.n_seg, 1); /* shared, never copied */
	ck_assert_ptr_eq(db->skv.seg[0], base->skv.seg[0]);
	ck_assert_uint_eq(db->skv.n_dead, 0);
	sigdb_digest_hex(db, got, sizeof got);
	sigdb_digest_hex(base, want, sizeof want);
	ck_assert_str_eq(got, want);
	sigdb_unref(db);
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		struct sigdb *scratch = match_build(NULL, &cases[k]);
		db = match_build(base, &cases[k]);
		/* base's segment is shared, what differs masked out */
		ck_assert_ptr_eq(db->skv.seg[0], base->skv.seg[0]);
		ck_assert_uint_eq(db->skv.n_dead, cases[k].dead);
		ck_assert_uint_eq(sigdb_sketch_count(db), cases[k].n);
		sigdb_digest_hex(db, got, sizeof got);
		sigdb_digest_hex(scratch, want, sizeof want);
		ck_assert_msg(strcmp(got, want) == 0,
		              "case %zu: digest differs from a scratch build", k);
		for (uint32_t i = 0; i < N_MATCH + 1; i++) {
			/* not anchor 3, shared by all: over the fan-out cap in the
			 * base's segment, but not in the new one (the per-segment rule) */
			uint32_t anchors[] = { i * 7 + 1, 5000 + i, 99 };
			for (size_t a = 0; a < 3; a++)
				ck_assert_msg(cands_same(db, scratch, anchors[a]),
				              "case %zu anchor %u", k, anchors[a]);
		}
		sigdb_unref(scratch);
		sigdb_unref(db);
	}
	sigdb_unref(base);
}
END_TEST

/* ---- segmented sketch views: what deltas and complete files share ---- */

#define SEG_N 10000 /* sketches of the base */
#define SEG_U 20000 /* id universe */

/* Sketch id at version v (> 0): bytes, anchors and metadata from both. */
static void seg_put(struct sigdb_builder *b, uint64_t id, uint8_t v)
{
	uint8_t bytes[40];
	uint32_t anchors[8];
	uint64_t r = id * 31 + v;
	for (size_t i = 0; i < sizeof bytes; i++)
		bytes[i] = (uint8_t)rng_next(&r);
	for (size_t i = 0; i < 8; i++)
		anchors[i] = (uint32_t)rng_next(&r);
	struct sigdb_meta m = { .category = v, .confidence = 50 };
	ck_assert_int_eq(sigdb_builder_put_sketch(b, 1, 3, id, bytes, sizeof bytes, anchors, 8, &m),
	                 0);
}

static struct sigdb *seg_scratch(const uint8_t *ver)
{
	struct sigdb_builder *b = sigdb_builder_new_replace(NULL);
	for (uint64_t id = 0; id < SEG_U; id++)
		if (ver[id])
			seg_put(b, id, ver[id]);
	struct sigdb *db = sigdb_builder_finish(b);
	ck_assert_ptr_nonnull(db);
	return db;
}

static void seg_same_as_scratch(const struct sigdb *db, const uint8_t *ver)
{
	struct sigdb *ref = seg_scratch(ver);
	char a[SIGDB_DIGEST_HEX], c[SIGDB_DIGEST_HEX];
	sigdb_digest_hex(db, a, sizeof a);
	sigdb_digest_hex(ref, c, sizeof c);
	ck_assert_str_eq(a, c);
	ck_assert_uint_eq(sigdb_sketch_count(db), sigdb_sketch_count(ref));
	sigdb_unref(ref);
}

/* A delta on db: n_put new or replaced sketches, n_del deleted. */
static struct sigdb *seg_delta(struct sigdb *db, uint8_t *ver, uint64_t *seed, size_t n_put,
                               size_t n_del)
{
	struct sigdb_builder *b = sigdb_builder_new(db);
	for (size_t i = 0; i < n_put; i++) {
		uint64_t id = rng_next(seed) % SEG_U;
		ver[id] = (uint8_t)(ver[id] % 250 + 1);
		seg_put(b, id, ver[id]);
	}
	for (size_t i = 0; i < n_del; i++) {
		uint64_t id = rng_next(seed) % SEG_U;
		ck_assert_int_eq(sigdb_builder_del_sketch(b, 1, id), ver[id] ? 0 : WHORL_ENODATA);
		ver[id] = 0;
	}
	struct sigdb *next = sigdb_builder_finish(b);
	ck_assert_ptr_nonnull(next);
	return next;
}

/* Long: the segment life cycle in order (delta, complete file repeating it,
 * compaction) on one evolving set; each step's checks need the previous one. */
START_TEST(test_sketch_segments)
{
	static uint8_t ver[SEG_U], ver0[SEG_U];
	uint64_t seed = 77;
	for (uint64_t id = 0; id < SEG_N; id++)
		ver[id] = 1;
	struct sigdb *base = seg_scratch(ver);
	memcpy(ver0, ver, sizeof ver);
	ck_assert_uint_eq(base->skv.n_seg, 1);

	/* A delta adding 1%: base's segment shared, memory grows by the new one. */
	struct sigdb_builder *b = sigdb_builder_new(base);
	for (uint64_t id = SEG_N; id < SEG_N + SEG_N / 100; id++) {
		ver[id] = 1;
		seg_put(b, id, 1);
	}
	struct sigdb *d1 = sigdb_builder_finish(b);
	ck_assert_ptr_nonnull(d1);
	ck_assert_uint_eq(d1->skv.n_seg, 2);
	ck_assert_ptr_eq(d1->skv.seg[0], base->skv.seg[0]);
	ck_assert_uint_eq(d1->skv.n_dead, 0);
	ck_assert_uint_eq(sigdb_skview_bytes(&d1->skv) - sigdb_skview_bytes(&base->skv),
	                  sigdb_sketches_bytes(d1->skv.seg[1]));
	ck_assert_uint_lt(sigdb_sketches_bytes(d1->skv.seg[1]) * 50,
	                  sigdb_skview_bytes(&base->skv));
	seg_same_as_scratch(d1, ver);

	/* Deletes and replacements of base sketches: masked out, not copied. */
	b = sigdb_builder_new(d1);
	for (uint64_t id = 0; id < 100; id += 2) {
		ck_assert_int_eq(sigdb_builder_del_sketch(b, 1, id), 0);
		ck_assert_int_eq(sigdb_builder_del_sketch(b, 1, id), WHORL_ENODATA);
		ver[id] = 0;
		ver[id + 1] = 2;
		seg_put(b, id + 1, 2);
	}
	seg_put(b, SEG_U - 1, 1); /* put then deleted: gone */
	ck_assert_int_eq(sigdb_builder_del_sketch(b, 1, SEG_U - 1), 0);
	struct sigdb *d2 = sigdb_builder_finish(b);
	ck_assert_ptr_nonnull(d2);
	ck_assert_uint_eq(d2->skv.n_seg, 3);
	ck_assert_ptr_eq(d2->skv.seg[0], base->skv.seg[0]);
	ck_assert_ptr_eq(d2->skv.seg[1], d1->skv.seg[1]);
	ck_assert_uint_eq(d2->skv.n_dead, 100);
	ck_assert_uint_eq(d2->skv.seg[2]->count, 50);
	ck_assert_uint_eq(sigdb_memory_bytes(d2) - sigdb_table_bytes(&d2->table),
	                  sigdb_heap_bytes(sizeof(*d2)) + sigdb_skview_bytes(&d2->skv));
	seg_same_as_scratch(d2, ver);

	/* A complete file 1% different from base, shuffled: base's segment
	 * shared, the changed ones dead and in a small new segment. */
	uint8_t *vc = malloc(SEG_U);
	memcpy(vc, ver0, SEG_U);
	for (uint64_t id = 0; id < SEG_N; id += 100)
		vc[id] = 3;
	b = sigdb_builder_new_replace(base);
	for (uint64_t i = 0; i < SEG_U; i++) {
		uint64_t id = (i * 7919) % SEG_U;
		if (vc[id])
			seg_put(b, id, vc[id]);
	}
	ck_assert_uint_eq(sigdb_builder_held_sketches(b), SEG_N / 100);
	struct sigdb *c1 = sigdb_builder_finish(b);
	ck_assert_ptr_nonnull(c1);
	ck_assert_uint_eq(c1->skv.n_seg, 2);
	ck_assert_ptr_eq(c1->skv.seg[0], base->skv.seg[0]);
	ck_assert_uint_eq(c1->skv.n_dead, SEG_N / 100);
	seg_same_as_scratch(c1, vc);
	/* The same file again on c1: c1's view exactly. */
	b = sigdb_builder_new_replace(c1);
	for (uint64_t id = 0; id < SEG_U; id++)
		if (vc[id])
			seg_put(b, id, vc[id]);
	ck_assert_uint_eq(sigdb_builder_held_sketches(b), 0);
	struct sigdb *c2 = sigdb_builder_finish(b);
	ck_assert_uint_eq(c2->skv.n_seg, 2);
	ck_assert_ptr_eq(c2->skv.seg[0], c1->skv.seg[0]);
	ck_assert_ptr_eq(c2->skv.seg[1], c1->skv.seg[1]);
	ck_assert_uint_eq(c2->skv.n_dead, c1->skv.n_dead);
	sigdb_unref(c2);
	sigdb_unref(c1);
	free(vc);

	/* Many deltas: never more than SIGDB_MAX_SEGS segments; the newest
	 * are merged while the oldest stays shared, until the changes reach a
	 * quarter of it and everything is rebuilt into one. */
	struct sigdb *cur = d2;
	sigdb_ref(cur);
	int merged_newest = 0, rebuilt = 0;
	for (int round = 0; round < 40; round++) {
		struct sigdb *next = seg_delta(cur, ver, &seed, 60, 30);
		ck_assert_uint_le(next->skv.n_seg, SIGDB_MAX_SEGS);
		if (cur->skv.n_seg == SIGDB_MAX_SEGS && next->skv.n_seg == SIGDB_MAX_SEGS &&
		    next->skv.seg[0] == cur->skv.seg[0])
			merged_newest++;
		if (next->skv.n_seg == 1 && next->skv.seg[0] != cur->skv.seg[0]) {
			rebuilt++;
			ck_assert_uint_eq(next->skv.n_dead, 0);
		}
		seg_same_as_scratch(next, ver);
		sigdb_unref(cur);
		cur = next;
	}
	ck_assert_int_gt(merged_newest, 0);
	ck_assert_int_gt(rebuilt, 0);
	sigdb_unref(cur);
	sigdb_unref(d2);
	sigdb_unref(d1);
	sigdb_unref(base);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sigdb_shard");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_differential, 0, 3);
	tcase_add_test(tc, test_sharing);
	tcase_add_test(tc, test_memory_per_key);
	tcase_add_test(tc, test_lifetimes);
	tcase_add_test(tc, test_sketch_match);
	tcase_add_test(tc, test_sketch_segments);
	suite_add_tcase(s, tc);
	return check_run(s);
}
