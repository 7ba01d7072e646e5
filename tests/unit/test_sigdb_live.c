/*
 * test_sigdb_live.c - the live snapshot under fire: reader threads acquire,
 * look up and release in a loop while writers publish new snapshots. Every
 * answer must match the snapshot the reader holds (no torn or freed state).
 * Meant to run under ASan (use after free) and TSan (data races) as well.
 */
#include <check.h>

#include "check_main.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cartridge/sigdb/sigdb.h"
#include "cartridge/util/hash.h"

#define N_READERS 4
#define N_PUBLISH 500
#define KEYS_PER_GEN 64
#define MARKER_KEY 0x5eedf00d5eedf00dull
#define SKETCH_ENGINE 3

struct shared {
	struct sigdb_live live;
	atomic_int start;
	atomic_int done;
	atomic_long errors;
	atomic_long reads;
	int monotone; /* one writer: generations never go back */
};

static uint64_t gen_key(uint32_t g, uint32_t i)
{
	return whorl_fp_key(1, (uint64_t)g << 32 | i);
}

/* Generation g: its keys, a marker saying g, a sketch anchored at g. */
static struct sigdb *gen_build(struct sigdb *base, uint32_t g)
{
	struct sigdb_builder *b = sigdb_builder_new(base);
	if (b == NULL)
		return NULL;
	for (uint32_t i = 0; base != NULL && i < KEYS_PER_GEN; i++)
		sigdb_builder_del(b, gen_key(g - 1, i));
	sigdb_builder_del_sketch(b, SKETCH_ENGINE, g - 1);
	struct sigdb_meta m = { .category = 1, .last_seen = (uint16_t)g };
	for (uint32_t i = 0; i < KEYS_PER_GEN; i++)
		sigdb_builder_put(b, gen_key(g, i), &m);
	struct sigdb_meta marker = { .first_seen = (uint16_t)g };
	sigdb_builder_put(b, MARKER_KEY, &marker);
	uint8_t bytes[16];
	memset(bytes, (int)g, sizeof(bytes));
	uint32_t anchor = g;
	sigdb_builder_put_sketch(b, SKETCH_ENGINE, 1, g, bytes, sizeof(bytes), &anchor, 1, &m);
	sigdb_builder_set_serial(b, SIGDB_SRC_SIGS, 1, g);
	return sigdb_builder_finish(b);
}

/* Errors found in db, which claims to be generation g. */
static long gen_check(const struct sigdb *db, uint32_t g, uint32_t probe)
{
	long bad = 0;
	struct sigdb_meta m;
	uint64_t complete, incremental;
	sigdb_serial(db, SIGDB_SRC_SIGS, &complete, &incremental);
	bad += incremental != g;
	bad += sigdb_count(db) != KEYS_PER_GEN + 1;
	bad += !sigdb_lookup(db, gen_key(g, probe % KEYS_PER_GEN), &m) || m.last_seen != g;
	bad += sigdb_lookup(db, gen_key(g - 1, probe % KEYS_PER_GEN), NULL);
	bad += sigdb_lookup(db, gen_key(g + 1, probe % KEYS_PER_GEN), NULL);
	uint32_t idx[4] = { UINT32_MAX };
	size_t len;
	bad += sigdb_sketch_candidates(db, SKETCH_ENGINE, g, idx, 4) != 1;
	const uint8_t *p = sigdb_sketch_get(db, idx[0], &len, NULL, NULL);
	bad += p == NULL || len != 16 || p[0] != (uint8_t)g || p[15] != (uint8_t)g;
	return bad;
}

static void *reader(void *arg)
{
	struct shared *sh = arg;
	while (!atomic_load(&sh->start))
		;
	uint32_t last = 0, probe = 0;
	struct sigdb *held = NULL;
	long errors = 0, reads = 0;
	while (!atomic_load(&sh->done) || reads < 1000) {
		struct sigdb *db = sigdb_live_acquire(&sh->live);
		struct sigdb_meta marker;
		if (!sigdb_lookup(db, MARKER_KEY, &marker)) {
			errors++;
		} else {
			uint32_t g = marker.first_seen;
			errors += gen_check(db, g, probe++);
			errors += sh->monotone && g < last;
			last = g;
		}
		reads++;
		/* Sometimes keep a snapshot across the next publish, so frees are
		 * deferred to readers too. */
		if (reads % 7 == 0) {
			sigdb_unref(held);
			held = db;
		} else {
			sigdb_unref(db);
		}
	}
	sigdb_unref(held);
	atomic_fetch_add(&sh->errors, errors);
	atomic_fetch_add(&sh->reads, reads);
	return NULL;
}

struct writer_arg {
	struct shared *sh;
	uint32_t first, step, count;
	int from_base;
};

static void *writer(void *arg)
{
	struct writer_arg *w = arg;
	while (!atomic_load(&w->sh->start))
		;
	for (uint32_t k = 0; k < w->count; k++) {
		uint32_t g = w->first + k * w->step;
		struct sigdb *base = w->from_base ? sigdb_live_acquire(&w->sh->live) : NULL;
		struct sigdb *db = gen_build(base, g);
		sigdb_unref(base);
		if (db == NULL) {
			atomic_fetch_add(&w->sh->errors, 1000000);
			break;
		}
		sigdb_live_publish(&w->sh->live, db);
	}
	return NULL;
}

static void run(struct shared *sh, struct writer_arg *w, int n_writers)
{
	pthread_t r[N_READERS], wt[2];
	for (int i = 0; i < N_READERS; i++)
		ck_assert_int_eq(pthread_create(&r[i], NULL, reader, sh), 0);
	for (int i = 0; i < n_writers; i++)
		ck_assert_int_eq(pthread_create(&wt[i], NULL, writer, &w[i]), 0);
	atomic_store(&sh->start, 1);
	for (int i = 0; i < n_writers; i++)
		pthread_join(wt[i], NULL);
	atomic_store(&sh->done, 1);
	for (int i = 0; i < N_READERS; i++)
		pthread_join(r[i], NULL);
	if (getenv("SIGDB_TEST_VERBOSE"))
		fprintf(stderr, "reads %ld\n", (long)atomic_load(&sh->reads));
	ck_assert_int_eq(atomic_load(&sh->errors), 0);
	ck_assert_int_ge(atomic_load(&sh->reads), N_READERS * 1000);
}

START_TEST(test_one_writer)
{
	static struct shared sh;
	memset(&sh, 0, sizeof(sh));
	sh.monotone = 1;
	sigdb_live_init(&sh.live, gen_build(NULL, 1));
	struct writer_arg w = { &sh, 2, 1, N_PUBLISH, 1 };
	run(&sh, &w, 1);
	struct sigdb *db = sigdb_live_acquire(&sh.live);
	struct sigdb_meta marker;
	ck_assert_int_eq(sigdb_lookup(db, MARKER_KEY, &marker), 1);
	ck_assert_uint_eq(marker.first_seen, N_PUBLISH + 1);
	sigdb_unref(db);
	sigdb_live_destroy(&sh.live);
}
END_TEST

START_TEST(test_two_writers)
{
	static struct shared sh;
	memset(&sh, 0, sizeof(sh));
	sigdb_live_init(&sh.live, gen_build(NULL, 1));
	struct writer_arg w[2] = { { &sh, 2, 2, N_PUBLISH / 2, 0 },
		                   { &sh, 3, 2, N_PUBLISH / 2, 0 } };
	run(&sh, w, 2);
	sigdb_live_destroy(&sh.live);
}
END_TEST

START_TEST(test_null_and_destroy)
{
	struct sigdb_live live;
	sigdb_live_init(&live, NULL);
	struct sigdb *db = sigdb_live_acquire(&live);
	ck_assert_ptr_null(db);
	ck_assert_int_eq(sigdb_lookup(db, 1, NULL), 0);
	sigdb_live_publish(&live, gen_build(NULL, 5));
	db = sigdb_live_acquire(&live);
	sigdb_live_destroy(&live);
	ck_assert_int_eq(gen_check(db, 5, 0), 0); /* a held reference outlives the live */
	sigdb_unref(db);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sigdb_live");
	TCase *tc = tcase_create("live");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_one_writer);
	tcase_add_test(tc, test_two_writers);
	tcase_add_test(tc, test_null_and_destroy);
	suite_add_tcase(s, tc);
	return check_run(s);
}
