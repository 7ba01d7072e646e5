/*
 * bench_layout.c - lookup cost of the exact table's two layouts, side by
 * side in one run (issue 10.6): the shard layout of today's snapshots
 * (sigdb_lookup: a directory entry, then an interpolation guess in a small
 * sorted shard) and the flat layout whorl had before the shards (dd0087f:
 * one ordered linear-probe table at 80 % load, a key's home slot
 * (key * cap) >> 64, the run up to it read in ascending order).
 *
 * Both hold the same N keys (argument 1, default 1,000,000) and answer the
 * same query keys in the same random order: hits, then misses. Each is also
 * run in batches of BATCH keys (the keys of one message) with the loads of
 * the batch prefetched first (directory entries, then the first slots to
 * read), which is what the `prefetch` branch adds to the scan. Rounds
 * alternate the layouts; CPU seconds of the process clock, median of ROUNDS
 * rounds, are reported as ns per lookup. Run it with `nice`; prints figures,
 * passes or fails nothing.
 *
 *   build/bench/bench_layout [N]
 *
 * Not for: build time or memory (bench_sigdb), whole scans (speed.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cartridge/sigdb/sigdb.h"
#include "cartridge/sigdb/sigdb_int.h"
#include "cartridge/util/hash.h"

#define N_DEFAULT 1000000
#define N_MAX 16000000
#define N_QUERIES 4000000
#define ROUNDS 7
#define BATCH 32          /* keys looked up together (a message has tens) */
#define FLAT_LOAD_PCT 80  /* as dd0087f */
#define FLAT_OVERFLOW 256 /* slots past cap a run may spill into, + sentinel */

/* The flat layout: slots[home(key)...] ascending runs; key 0 = empty. */
struct flat {
	struct sigdb_slot *slots;
	uint32_t cap;
};

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline uint32_t flat_home(uint64_t key, uint32_t cap)
{
	return (uint32_t)(((unsigned __int128)key * cap) >> 64);
}

static int key_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Keys ascending have non-decreasing homes: each goes to max(home, the
 * slot after the previous key), which is the ordered linear-probe table. */
static int flat_build(struct flat *f, uint64_t *keys, size_t n)
{
	qsort(keys, n, sizeof(*keys), key_cmp);
	f->cap = (uint32_t)(n * 100 / FLAT_LOAD_PCT + 1);
	f->slots = calloc((size_t)f->cap + n / 8 + FLAT_OVERFLOW, sizeof(*f->slots));
	if (f->slots == NULL)
		return -1;
	size_t next = 0;
	for (size_t i = 0; i < n; i++) {
		size_t at = flat_home(keys[i], f->cap);
		if (at < next)
			at = next;
		if (at >= (size_t)f->cap + n / 8 + FLAT_OVERFLOW - 1)
			return -1; /* the sentinel must stay empty */
		f->slots[at].key = keys[i];
		f->slots[at].meta.category = 1;
		next = at + 1;
	}
	return 0;
}

static inline int flat_lookup(const struct flat *f, uint64_t key)
{
	const struct sigdb_slot *s = f->slots + flat_home(key, f->cap);
	while (s->key - 1 < key - 1) /* empty (0 - 1 wraps) or >= key ends the run */
		s++;
	return s->key == key;
}

static inline uint32_t shard_guess(uint64_t key, unsigned bits, uint32_t n)
{
	return (uint32_t)(((unsigned __int128)(key << bits) * n) >> 64);
}

static size_t run_shard(const struct sigdb *db, const uint64_t *q, size_t n)
{
	size_t found = 0;
	for (size_t i = 0; i < n; i++)
		found += (size_t)sigdb_lookup(db, q[i], NULL);
	return found;
}

/* As the prefetch branch does for one message's keys. */
static size_t run_shard_prefetch(const struct sigdb *db, const uint64_t *q, size_t n)
{
	const struct sigdb_table *t = &db->table;
	size_t found = 0;
	for (size_t b = 0; b < n; b += BATCH) {
		size_t m = n - b < BATCH ? n - b : BATCH;
		for (size_t i = 0; i < m; i++)
			__builtin_prefetch(&t->dir[sigdb_shard_of(q[b + i], t->shift)]);
		for (size_t i = 0; i < m; i++) {
			const struct sigdb_dirent *e = &t->dir[sigdb_shard_of(q[b + i], t->shift)];
			uint32_t k = (uint32_t)e->n;
			if (k != 0)
				__builtin_prefetch(&e->s->slots[shard_guess(q[b + i], t->bits, k)]);
		}
		found += run_shard(db, q + b, m);
	}
	return found;
}

static size_t run_flat(const struct flat *f, const uint64_t *q, size_t n)
{
	size_t found = 0;
	for (size_t i = 0; i < n; i++)
		found += (size_t)flat_lookup(f, q[i]);
	return found;
}

static size_t run_flat_prefetch(const struct flat *f, const uint64_t *q, size_t n)
{
	size_t found = 0;
	for (size_t b = 0; b < n; b += BATCH) {
		size_t m = n - b < BATCH ? n - b : BATCH;
		for (size_t i = 0; i < m; i++)
			__builtin_prefetch(&f->slots[flat_home(q[b + i], f->cap)]);
		found += run_flat(f, q + b, m);
	}
	return found;
}

enum {
	SHARD,
	SHARD_PF,
	FLAT,
	FLAT_PF,
	N_WAYS
};
static const char *const way_name[N_WAYS] = { "shard", "shard_prefetch", "flat", "flat_prefetch" };

static size_t run_way(int way, const struct sigdb *db, const struct flat *f, const uint64_t *q,
                      size_t n)
{
	switch (way) {
	case SHARD: return run_shard(db, q, n);
	case SHARD_PF: return run_shard_prefetch(db, q, n);
	case FLAT: return run_flat(f, q, n);
	default: return run_flat_prefetch(f, q, n);
	}
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* ROUNDS rounds, the ways alternating within each; prints the medians. */
static int measure(const char *what, const struct sigdb *db, const struct flat *f,
                   const uint64_t *q, size_t expect)
{
	static double t[N_WAYS][ROUNDS];
	for (int r = 0; r < ROUNDS; r++)
		for (int w = 0; w < N_WAYS; w++) {
			double c0 = cpu_s();
			size_t found = run_way(w, db, f, q, N_QUERIES);
			t[w][r] = cpu_s() - c0;
			if (found != expect) {
				fprintf(stderr, "bench_layout: %s %s found %zu of %zu expected\n",
				        way_name[w], what, found, expect);
				return -1;
			}
		}
	double med[N_WAYS];
	for (int w = 0; w < N_WAYS; w++) {
		qsort(t[w], ROUNDS, sizeof(double), dbl_cmp);
		med[w] = t[w][ROUNDS / 2];
		printf("%s_%s_ns_per_lookup = %.1f ns (cpu, median of %d; min %.1f, max %.1f)\n",
		       way_name[w], what, med[w] * 1e9 / N_QUERIES, ROUNDS,
		       t[w][0] * 1e9 / N_QUERIES, t[w][ROUNDS - 1] * 1e9 / N_QUERIES);
	}
	printf("flat_over_shard_%s = %.2f x (shard cost / flat cost)\n", what,
	       med[SHARD] / med[FLAT]);
	printf("prefetch_gain_shard_%s = %.2f x (shard / shard_prefetch)\n", what,
	       med[SHARD] / med[SHARD_PF]);
	return 0;
}

/* The same N keys in both layouts; q gets N_QUERIES random hits, then as
 * many misses. Returns the snapshot, or NULL. */
static struct sigdb *build_both(size_t n, struct flat *f, uint64_t *hits, uint64_t *misses)
{
	uint64_t *keys = malloc(n * sizeof(*keys));
	struct sigdb_builder *b = sigdb_builder_new(NULL);
	struct sigdb_meta m = { .category = 1, .confidence = 90 };
	if (keys == NULL || b == NULL) {
		free(keys);
		sigdb_builder_free(b);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		keys[i] = whorl_fp_key(1, i);
		if (sigdb_builder_put(b, keys[i], &m) != 0) {
			free(keys);
			sigdb_builder_free(b);
			return NULL;
		}
	}
	struct sigdb *db = sigdb_builder_finish(b);
	if (db == NULL || flat_build(f, keys, n) != 0) {
		free(keys);
		sigdb_unref(db);
		return NULL;
	}
	free(keys);
	for (size_t i = 0; i < N_QUERIES; i++) {
		uint64_t r = whorl_mix64(i + 0x9e3779b97f4a7c15ull);
		hits[i] = whorl_fp_key(1, r % n);
		misses[i] = whorl_fp_key(3, r);
	}
	return db;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : N_DEFAULT;
	if (n == 0 || n > N_MAX) {
		fprintf(stderr, "usage: bench_layout [N keys, 1..%d]\n", N_MAX);
		return 2;
	}
	struct flat f = { 0 };
	uint64_t *hits = malloc(N_QUERIES * sizeof(*hits));
	uint64_t *misses = malloc(N_QUERIES * sizeof(*misses));
	struct sigdb *db = hits && misses ? build_both(n, &f, hits, misses) : NULL;
	int rc = 1;
	if (db != NULL) {
		printf(
		    "keys = %zu\nqueries = %d per kind, in batches of %d for the prefetch ways\n",
		    n, N_QUERIES, BATCH);
		rc = measure("hit", db, &f, hits, N_QUERIES) != 0 ||
		     measure("miss", db, &f, misses, 0) != 0;
	} else {
		fprintf(stderr, "bench_layout: out of memory building %zu keys\n", n);
	}
	sigdb_unref(db);
	free(f.slots);
	free(hits);
	free(misses);
	return rc;
}
