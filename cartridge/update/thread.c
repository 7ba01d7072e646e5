/*
 * thread.c - the background update thread (see thread.h): cycle, timed
 * wait on a condition variable, repeat until stopped.
 *
 * Not for: the cycle itself or scheduling decisions (the engine).
 */
#include <errno.h>
#include <sodium.h>
#include <time.h>

#include "../../abi/whorl_cartridge.h"
#include "thread.h"

uint32_t update_jitter(uint32_t delay)
{
	uint32_t span = (uint32_t)((uint64_t)delay * UPDATE_JITTER_PERCENT * 2u / 100u) + 1u;
	int64_t d = (int64_t)delay - (int64_t)(span / 2u) + (int64_t)randombytes_uniform(span);

	return d < 1 ? 1u : (uint32_t)d;
}

/* Waits `seconds`, until kicked or until stopped; 1 when stopped. Caller
 * holds t->mu. */
static int wait_or_stop(struct update_thread *t, uint32_t seconds)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += seconds;
	while (!t->stop && !t->kick)
		if (pthread_cond_timedwait(&t->cv, &t->mu, &until) == ETIMEDOUT)
			break;
	t->kick = 0;
	return t->stop;
}

static void *thread_main(void *arg)
{
	struct update_thread *t = arg;
	uint32_t delay = t->first_delay;

	pthread_mutex_lock(&t->mu);
	while (!wait_or_stop(t, delay)) {
		pthread_mutex_unlock(&t->mu);
		delay = update_jitter(t->cycle(t->ctx));
		pthread_mutex_lock(&t->mu);
		t->cycles++;
		pthread_cond_broadcast(&t->done_cv);
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

int update_thread_start(struct update_thread *t, update_cycle_fn cycle, void *ctx,
                        uint32_t first_delay, atomic_int *cancel)
{
	pthread_condattr_t ca;

	t->stop = 0;
	t->kick = 0;
	t->cycles = 0;
	t->cycle = cycle;
	t->ctx = ctx;
	t->first_delay = first_delay;
	t->cancel = cancel;
	pthread_mutex_init(&t->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cv, &ca);
	pthread_cond_init(&t->done_cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&t->tid, NULL, thread_main, t) != 0) {
		pthread_cond_destroy(&t->cv);
		pthread_cond_destroy(&t->done_cv);
		pthread_mutex_destroy(&t->mu);
		return WHORL_ENOMEM;
	}
	t->running = 1;
	return 0;
}

int update_thread_wait(struct update_thread *t, unsigned long n, uint32_t timeout_ms)
{
	struct timespec until;
	int rc = 0;

	if (!t->running)
		return WHORL_ENODATA;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000u;
	until.tv_nsec += (long)(timeout_ms % 1000u) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&t->mu);
	while (t->cycles < n && !t->stop && rc == 0)
		if (pthread_cond_timedwait(&t->done_cv, &t->mu, &until) == ETIMEDOUT)
			rc = WHORL_EBUSY;
	if (t->cycles >= n)
		rc = 0;
	else if (t->stop)
		rc = WHORL_ENODATA;
	pthread_mutex_unlock(&t->mu);
	return rc;
}

void update_thread_kick(struct update_thread *t)
{
	pthread_mutex_lock(&t->mu);
	t->kick = 1;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
}

void update_thread_stop(struct update_thread *t)
{
	if (!t->running)
		return;
	if (t->cancel)
		atomic_store(t->cancel, 1);
	pthread_mutex_lock(&t->mu);
	t->stop = 1;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->tid, NULL);
	pthread_cond_destroy(&t->cv);
	pthread_cond_destroy(&t->done_cv);
	pthread_mutex_destroy(&t->mu);
	t->running = 0;
}
