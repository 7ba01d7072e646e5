/*
 * test_job.c - libwhorl's whorl_job (job.c): a call on its own thread that
 * the caller waits for with a deadline. A job that returns in time gives its
 * result to the waiter; one that does not is left to finish alone, the
 * waiter's ticks run while it waits, and release runs exactly once either
 * way, on whichever side lets go last.
 * Not for: the uses (test_swap.c: an open() that hangs; the milter's scan
 * deadline: tests/integration/milter_actions.sh).
 */
#include <check.h>

#include "check_main.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "whorl.h"

/* Bounded polls: the machine may be loaded, so nothing asserts on timing. */
#define POLL_STEP_US 10000
#define POLL_MAX 3000
#define N_JOBS 64 /* jobs at once in many_jobs_release_once_each */

struct probe {
	atomic_int gate_open; /* run() waits for it */
	int result;
	atomic_int released;
	atomic_int ticks;
};

static atomic_int releases_total;

static void probe_run(void *arg)
{
	struct probe *p = arg;

	while (!atomic_load(&p->gate_open))
		usleep(1000);
	p->result = 42;
}

static void probe_release(void *arg)
{
	struct probe *p = arg;

	atomic_fetch_add(&p->released, 1);
	atomic_fetch_add(&releases_total, 1);
}

/* The first tick lets run() finish: ticks are seen without a timing race. */
static void probe_tick(void *arg)
{
	struct probe *p = arg;

	atomic_fetch_add(&p->ticks, 1);
	atomic_store(&p->gate_open, 1);
}

static void probe_init(struct probe *p, int gate_open)
{
	atomic_init(&p->gate_open, gate_open);
	p->result = 0;
	atomic_init(&p->released, 0);
	atomic_init(&p->ticks, 0);
}

/* Polls (bounded) until *count reaches want; returns what it saw. */
static int await_count(atomic_int *count, int want)
{
	for (int i = 0; i < POLL_MAX && atomic_load(count) < want; i++)
		usleep(POLL_STEP_US);
	return atomic_load(count);
}

START_TEST(job_that_returns_gives_its_result)
{
	struct probe p;
	whorl_job *job = NULL;

	probe_init(&p, 1);
	ck_assert_int_eq(whorl_job_start(probe_run, probe_release, &p, &job), 0);
	ck_assert_ptr_nonnull(job);
	/* Generous: the run does not block, so only a stuck machine times out. */
	ck_assert_int_eq(whorl_job_wait(job, 60000, 0, NULL, NULL), 1);
	ck_assert_int_eq(p.result, 42);
	whorl_job_put(job);
	ck_assert_int_eq(await_count(&p.released, 1), 1);
}
END_TEST

START_TEST(job_past_its_deadline_finishes_alone)
{
	struct probe *p = malloc(sizeof(*p)); /* outlives this test's frame */
	whorl_job *job = NULL;

	ck_assert_ptr_nonnull(p);
	probe_init(p, 0);
	ck_assert_int_eq(whorl_job_start(probe_run, probe_release, p, &job), 0);
	ck_assert_int_eq(whorl_job_wait(job, 100, 0, NULL, NULL), 0);
	whorl_job_put(job);
	ck_assert_int_eq(atomic_load(&p->released), 0); /* run() still inside */
	atomic_store(&p->gate_open, 1);
	ck_assert_int_eq(await_count(&p->released, 1), 1);
	ck_assert_int_eq(p->result, 42);
	free(p);
}
END_TEST

START_TEST(ticks_run_while_waiting)
{
	struct probe p;
	whorl_job *job = NULL;

	probe_init(&p, 0);
	ck_assert_int_eq(whorl_job_start(probe_run, probe_release, &p, &job), 0);
	ck_assert_int_eq(whorl_job_wait(job, 60000, 10, probe_tick, &p), 1);
	ck_assert_int_ge(atomic_load(&p.ticks), 1);
	ck_assert_int_eq(p.result, 42);
	whorl_job_put(job);
	ck_assert_int_eq(await_count(&p.released, 1), 1);
}
END_TEST

START_TEST(many_jobs_release_once_each)
{
	static struct probe probes[N_JOBS];
	whorl_job *job;

	atomic_store(&releases_total, 0);
	for (int i = 0; i < N_JOBS; i++) {
		probe_init(&probes[i], 1);
		ck_assert_int_eq(whorl_job_start(probe_run, probe_release, &probes[i], &job), 0);
		/* Half are waited for, half walked away from at once. */
		(void)whorl_job_wait(job, i % 2 ? 0 : 60000, 0, NULL, NULL);
		whorl_job_put(job);
	}
	ck_assert_int_eq(await_count(&releases_total, N_JOBS), N_JOBS);
	for (int i = 0; i < N_JOBS; i++) {
		ck_assert_int_eq(atomic_load(&probes[i].released), 1);
		ck_assert_int_eq(probes[i].result, 42);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("job");
	TCase *tc = tcase_create("job");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, job_that_returns_gives_its_result);
	tcase_add_test(tc, job_past_its_deadline_finishes_alone);
	tcase_add_test(tc, ticks_run_while_waiting);
	tcase_add_test(tc, many_jobs_release_once_each);
	suite_add_tcase(s, tc);
	return check_run(s);
}
