/*
 * test_scratch_grace.c - grace periods end under steady load with more
 * concurrent scans than pooled scratch slots (issue 10.5, writer starvation).
 *
 * SCAN_THREADS (ENGINE_SCRATCH_SLOTS + 16) threads take a scratch slot, read
 * the engine's categories table through it as a scan does, and give the
 * slot back, without pause; at any moment some of them run on private
 * (malloc'd) slots. Meanwhile a reloader replaces the categories table
 * N_RELOADS times (engine_set_categories: swap, grace period, free). Every
 * reload must finish within RELOAD_BOUND_S in all; a grace period that
 * waits for "no private scan at all" never sees that moment and the test
 * fails (it does not hang: the scanners are stopped, then the test fails).
 * A scan must never read a freed or half-built table (checked by value here,
 * and by ASan/TSan in make san and make tsan).
 *
 * Not for: scans of real messages racing reloads (test_engine_threads.c).
 */
#include <check.h>

#include "check_main.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../cartridge/engine.h"

#define SCAN_THREADS (ENGINE_SCRATCH_SLOTS + 16)
#define N_RELOADS 3
#define RELOAD_BOUND_S 240 /* generous: ASan/TSan on a loaded 2-core machine (56 s seen for 5) */
#define SCAN_WORK 2000     /* table reads per scan, so scans overlap */
#define POLL_NS 10000000L

struct shared {
	struct whorl_engine *e;
	atomic_int stop;
	atomic_int reloads_done;
	atomic_long scans, private_scans, bad_reads;
};

static void *scanner(void *arg)
{
	struct shared *sh = arg;
	while (!atomic_load(&sh->stop)) {
		struct scan_scratch *s = engine_scratch_acquire(sh->e);
		if (s == NULL)
			continue;
		if (atomic_load_explicit(&s->busy, memory_order_relaxed) == 2)
			atomic_fetch_add(&sh->private_scans, 1);
		/* As a scan: the table pointer is loaded after the claim and
		 * read until the release. */
		const struct categories *c = atomic_load(&sh->e->cats);
		long bad = 0;
		for (int k = 0; k < SCAN_WORK; k++)
			bad += c->n <= 0 || strcmp(c->names[k % c->n].name, "") == 0;
		engine_scratch_release(sh->e, s);
		atomic_fetch_add(&sh->scans, 1);
		if (bad != 0)
			atomic_fetch_add(&sh->bad_reads, 1);
	}
	return NULL;
}

static void *reloader(void *arg)
{
	struct shared *sh = arg;
	for (int r = 0; r < N_RELOADS; r++) {
		struct categories *c = malloc(sizeof(*c));
		if (c == NULL)
			break;
		categories_defaults(c);
		engine_set_categories(sh->e, c);
		atomic_fetch_add(&sh->reloads_done, 1);
	}
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits (bounded) until every scanner has scanned and some ran on a
 * private slot, so the reloads really meet more scans than slots. */
static int wait_oversubscribed(struct shared *sh)
{
	double until = now_s() + RELOAD_BOUND_S;
	while (now_s() < until) {
		if (atomic_load(&sh->private_scans) > 0 && atomic_load(&sh->scans) > SCAN_THREADS)
			return 1;
		nanosleep(&(struct timespec){ 0, POLL_NS }, NULL);
	}
	return 0;
}

START_TEST(test_grace_under_oversubscription)
{
	static pthread_t tid[SCAN_THREADS];
	struct whorl_engine *e = calloc(1, sizeof(*e));
	struct categories *first = malloc(sizeof(*first));
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(first);
	categories_defaults(first);
	atomic_init(&e->cats, first);
	ck_assert_int_eq(engine_scratch_init(e), 0);
	struct shared sh = { .e = e };
	for (int t = 0; t < SCAN_THREADS; t++)
		ck_assert_int_eq(pthread_create(&tid[t], NULL, scanner, &sh), 0);
	int oversubscribed = wait_oversubscribed(&sh);

	pthread_t rel;
	double start = now_s();
	ck_assert_int_eq(pthread_create(&rel, NULL, reloader, &sh), 0);
	while (atomic_load(&sh.reloads_done) < N_RELOADS && now_s() - start < RELOAD_BOUND_S)
		nanosleep(&(struct timespec){ 0, POLL_NS }, NULL);
	int done = atomic_load(&sh.reloads_done);
	long scans_during = atomic_load(&sh.scans);
	double took = now_s() - start;
	/* Stop the scanners before judging: a starved reloader then ends too,
	 * so a failure never leaves a thread behind. */
	atomic_store(&sh.stop, 1);
	for (int t = 0; t < SCAN_THREADS; t++)
		pthread_join(tid[t], NULL);
	pthread_join(rel, NULL);
	fprintf(stderr,
	        "test_scratch_grace: %d of %d reloads in %.1f s beside %d scanning threads "
	        "(%ld scans, %ld on private slots)\n",
	        done, N_RELOADS, took, SCAN_THREADS, scans_during, atomic_load(&sh.private_scans));
	ck_assert_msg(oversubscribed, "the scanners never ran more scans than slots");
	ck_assert_msg(done == N_RELOADS,
	              "only %d of %d reloads ended within %d s under %d scanning threads "
	              "(writer starvation)",
	              done, N_RELOADS, RELOAD_BOUND_S, SCAN_THREADS);
	ck_assert_int_eq(atomic_load(&sh.bad_reads), 0);
	ck_assert_int_eq(atomic_load(&e->private_scans[0]) + atomic_load(&e->private_scans[1]), 0);
	engine_scratch_destroy(e);
	free(atomic_load(&e->cats));
	free(e);
}
END_TEST

/* With no scan at all a grace period returns at once, and twice in a row
 * (each moves the generation on). */
START_TEST(test_grace_idle)
{
	struct whorl_engine *e = calloc(1, sizeof(*e));
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(engine_scratch_init(e), 0);
	engine_grace_period(e);
	engine_grace_period(e);
	ck_assert_uint_eq(atomic_load(&e->private_gen), 2);
	engine_scratch_destroy(e);
	free(e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("scratch_grace");
	TCase *tc = tcase_create("scratch_grace");
	tcase_set_timeout(tc, 2 * RELOAD_BOUND_S + 60);
	tcase_add_test(tc, test_grace_idle);
	tcase_add_test(tc, test_grace_under_oversubscription);
	suite_add_tcase(s, tc);
	return check_run(s);
}
