/*
 * job.c - one call run on a thread of its own while the caller waits for it
 * with a deadline (whorl.h, whorl_job_*). When the deadline passes first the
 * caller walks away and the thread finishes alone: the job is shared by
 * reference count, and the owner's release() runs once, on whichever side
 * lets go last. slot.c opens cartridges this way (open + self_test may hang)
 * and whorl-milter scans this way (a stuck scan must not hold the MTA).
 * Not for: pools or queues of work (a thread per job is the point: a job
 * that never returns costs its own thread and nothing else).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "whorl.h"

struct whorl_job {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int refs; /* the waiter and the thread */
	int done; /* run() returned */
	whorl_job_fn run;
	whorl_job_fn release;
	void *arg;
};

static void job_free(struct whorl_job *j)
{
	pthread_cond_destroy(&j->cv);
	pthread_mutex_destroy(&j->mu);
	free(j);
}

void whorl_job_put(whorl_job *j)
{
	int last;

	pthread_mutex_lock(&j->mu);
	last = --j->refs == 0;
	pthread_mutex_unlock(&j->mu);
	if (!last)
		return;
	if (j->release != NULL)
		j->release(j->arg);
	job_free(j);
}

static void *job_thread(void *arg)
{
	struct whorl_job *j = arg;

	j->run(j->arg);
	pthread_mutex_lock(&j->mu);
	j->done = 1;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
	whorl_job_put(j);
	return NULL;
}

int whorl_job_start(whorl_job_fn run, whorl_job_fn release, void *arg, whorl_job **out)
{
	struct whorl_job *j = calloc(1, sizeof(*j));
	pthread_condattr_t ca;
	pthread_t tid;

	*out = NULL;
	if (j == NULL)
		return WHORL_ENOMEM;
	pthread_mutex_init(&j->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->cv, &ca);
	pthread_condattr_destroy(&ca);
	j->refs = 2;
	j->run = run;
	j->release = release;
	j->arg = arg;
	if (pthread_create(&tid, NULL, job_thread, j) != 0) {
		job_free(j);
		return WHORL_ENOMEM;
	}
	pthread_detach(tid);
	*out = j;
	return 0;
}

/* *ts = now (CLOCK_MONOTONIC) + ms. */
static void job_time_after(struct timespec *ts, uint32_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000u;
	ts->tv_nsec += (long)(ms % 1000u) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static int job_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

int whorl_job_wait(whorl_job *j, uint32_t deadline_ms, uint32_t tick_ms, whorl_job_fn tick,
                   void *tick_ctx)
{
	struct timespec end, next;
	int done;

	job_time_after(&end, deadline_ms);
	pthread_mutex_lock(&j->mu);
	while (!j->done) {
		next = end;
		if (tick != NULL && tick_ms > 0) {
			job_time_after(&next, tick_ms);
			if (!job_before(&next, &end))
				next = end;
		}
		if (pthread_cond_timedwait(&j->cv, &j->mu, &next) != ETIMEDOUT || j->done)
			continue;
		if (!job_before(&next, &end))
			break;
		pthread_mutex_unlock(&j->mu);
		tick(tick_ctx);
		pthread_mutex_lock(&j->mu);
	}
	done = j->done;
	pthread_mutex_unlock(&j->mu);
	return done;
}
