/*
 * bench_sigdb.c - figures for DESIGN §4: memory and build time per million
 * exact fingerprints, lookup rates (hit, miss), memory per stored sketch and
 * candidate lookup rate, on one segment and after a delta (two segments and
 * dead handles). Prints figures; passes or fails nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cartridge/sigdb/sigdb.h"
#include "cartridge/util/hash.h"

#define N_EXACT 1000000
#define N_LOOKUPS 10000000
#define N_SKETCHES 100000
#define SKETCH_LEN 136
#define SKETCH_ANCHORS 12
#define BUILD_RUNS 3 /* the machine may be shared: keep the best run */

static double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* One end-to-end build (puts + finish); *wall and *cpu get its times. */
static struct sigdb *bench_build_exact_once(double *wall, double *cpu)
{
	double t0 = now(), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	struct sigdb_builder *b = sigdb_builder_new(NULL);
	for (uint64_t i = 0; i < N_EXACT; i++) {
		struct sigdb_meta m = { .category = (uint8_t)i, .confidence = 90 };
		if (b == NULL || sigdb_builder_put(b, whorl_fp_key(1, i), &m) != 0) {
			sigdb_builder_free(b);
			return NULL;
		}
	}
	struct sigdb *db = sigdb_builder_finish(b);
	*wall = now() - t0;
	*cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	return db;
}

static struct sigdb *bench_build_exact(void)
{
	struct sigdb *db = NULL;
	double best = 1e9, best_cpu = 0;
	for (int run = 0; run < BUILD_RUNS; run++) {
		double wall, cpu;
		sigdb_unref(db);
		db = bench_build_exact_once(&wall, &cpu);
		if (db == NULL)
			return NULL;
		if (wall < best) {
			best = wall;
			best_cpu = cpu;
		}
	}
	printf("exact: %d fingerprints: build (puts + finish) %.3f s wall, %.3f s cpu "
	       "(best of %d)\n",
	       N_EXACT, best, best_cpu, BUILD_RUNS);
	printf("exact: %.2f bytes per fingerprint (%zu bytes held)\n",
	       (double)sigdb_memory_bytes(db) / N_EXACT, sigdb_memory_bytes(db));
	return db;
}

/* Lookups of keys i = 0.. (mod N_EXACT) + offset: offset 0 hits, N_EXACT misses. */
static void bench_lookups(const struct sigdb *db, uint64_t offset, const char *what)
{
	size_t found = 0;
	struct sigdb_meta m;
	double t0 = now();
	for (uint64_t i = 0; i < N_LOOKUPS; i++)
		found +=
		    (size_t)sigdb_lookup(db, whorl_fp_key(1, (i * 7919) % N_EXACT + offset), &m);
	double t = now() - t0;
	printf("exact: %s: %.1f M lookups/s (%zu of %d found)\n", what, N_LOOKUPS / t / 1e6, found,
	       N_LOOKUPS);
}

/* A delta on top of the million: 1000 puts and 1000 dels, finish (shares
 * the shards it does not change). */
static void bench_delta(const struct sigdb *base)
{
	double t0 = now();
	struct sigdb_builder *b = sigdb_builder_new(base);
	struct sigdb_meta m = { .category = 1 };
	for (uint64_t i = 0; b != NULL && i < 1000; i++) {
		sigdb_builder_put(b, whorl_fp_key(2, i), &m);
		sigdb_builder_del(b, whorl_fp_key(1, i));
	}
	struct sigdb *db = sigdb_builder_finish(b);
	printf("exact: delta on %d (2000 changes + finish): %.3f s%s\n", N_EXACT, now() - t0,
	       db == NULL ? " FAILED" : "");
	sigdb_unref(db);
}

/* Sketch id of the bench (engine 7): bytes and anchors from id. */
static int sketch_put(struct sigdb_builder *b, uint64_t id)
{
	uint8_t bytes[SKETCH_LEN];
	uint32_t anchors[SKETCH_ANCHORS];
	struct sigdb_meta m = { .category = 2, .confidence = 80 };
	for (size_t j = 0; j < SKETCH_LEN; j++)
		bytes[j] = (uint8_t)whorl_mix64(id * SKETCH_LEN + j);
	for (uint32_t j = 0; j < SKETCH_ANCHORS; j++)
		anchors[j] = (uint32_t)whorl_mix64(id << 8 | j);
	return b == NULL ? -1
	                 : sigdb_builder_put_sketch(b, 7, 1, id, bytes, SKETCH_LEN, anchors,
	                                            SKETCH_ANCHORS, &m);
}

static struct sigdb *bench_build_sketches(void)
{
	double t0 = now();
	struct sigdb_builder *b = sigdb_builder_new(NULL);
	for (uint64_t id = 0; id < N_SKETCHES; id++)
		if (sketch_put(b, id) != 0)
			return NULL;
	struct sigdb *db = sigdb_builder_finish(b);
	double t = now() - t0;
	if (db == NULL)
		return NULL;
	printf("sketches: %d of %d bytes, %d anchors: build %.3f s, %.1f bytes per sketch\n",
	       N_SKETCHES, SKETCH_LEN, SKETCH_ANCHORS, t,
	       (double)sigdb_memory_bytes(db) / N_SKETCHES);
	return db;
}

static void bench_candidates(const struct sigdb *db)
{
	uint32_t idx[SIGDB_MAX_ANCHOR_FANOUT];
	size_t hits = 0, n = 0;
	double t0 = now();
	for (uint64_t i = 0; i < N_LOOKUPS; i++) {
		/* Half are anchors of stored sketches, half unknown. */
		uint64_t id = (i * 7919) % N_SKETCHES;
		uint32_t anchor = i & 1 ? (uint32_t)whorl_mix64(id << 8 | (i % SKETCH_ANCHORS))
		                        : (uint32_t)whorl_mix64(i ^ 0xabcdefull);
		size_t c = sigdb_sketch_candidates(db, 7, anchor, idx, SIGDB_MAX_ANCHOR_FANOUT);
		hits += c != 0;
		n += c;
	}
	double t = now() - t0;
	printf("sketches: %.1f M candidate lookups/s (%zu of %d found, %zu candidates)\n",
	       N_LOOKUPS / t / 1e6, hits, N_LOOKUPS, n);
}

/* A delta changing 1% of the sketches (new ones, replaced ones, deletes):
 * its time and what the new snapshot holds beyond its base. */
static struct sigdb *bench_sketch_delta(const struct sigdb *base)
{
	double t0 = now();
	struct sigdb_builder *b = sigdb_builder_new(base);
	for (uint64_t i = 0; i < N_SKETCHES / 100; i++)
		if (sketch_put(b, N_SKETCHES + i) != 0 || sketch_put(b, i * 97 + 1) != 0 ||
		    sigdb_builder_del_sketch(b, 7, i * 97) != 0)
			return NULL;
	struct sigdb *db = sigdb_builder_finish(b);
	if (db == NULL)
		return NULL;
	printf("sketches: delta of 1%% new, 1%% replaced, 1%% deleted: %.3f s, %zu bytes beyond "
	       "the base's %zu\n",
	       now() - t0, sigdb_memory_bytes(db) - sigdb_memory_bytes(base),
	       sigdb_memory_bytes(base));
	return db;
}

int main(void)
{
	struct sigdb *db = bench_build_exact();
	if (db == NULL) {
		fprintf(stderr, "bench_sigdb: building the exact table failed\n");
		return 1;
	}
	bench_lookups(db, 0, "hit ");
	bench_lookups(db, N_EXACT, "miss");
	bench_delta(db);
	sigdb_unref(db);
	db = bench_build_sketches();
	if (db == NULL) {
		fprintf(stderr, "bench_sigdb: building the sketches failed\n");
		return 1;
	}
	bench_candidates(db);
	struct sigdb *delta = bench_sketch_delta(db);
	if (delta == NULL) {
		fprintf(stderr, "bench_sigdb: the sketch delta failed\n");
		return 1;
	}
	printf("after the delta (base's segment shared, changes masked out):\n");
	bench_candidates(delta);
	sigdb_unref(delta);
	sigdb_unref(db);
	return 0;
}
