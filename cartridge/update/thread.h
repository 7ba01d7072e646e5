/*
 * thread.h - one background update thread per engine: runs a cycle, waits
 * the delay the cycle asked for (jittered, so a thousand gateways do not
 * poll one mirror in step), again, until stopped. The wait is a timed wait
 * on a condition variable, so update_thread_stop() wakes it at once.
 *
 * Not for: what a cycle does (the engine's callback).
 */
#ifndef WHORL_UPDATE_THREAD_H
#define WHORL_UPDATE_THREAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#define UPDATE_JITTER_PERCENT 10u /* each wait is the delay +-10% */

/* Runs one cycle; returns the seconds to wait before the next one. */
typedef uint32_t (*update_cycle_fn)(void *ctx);

struct update_thread {
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;      /* on CLOCK_MONOTONIC; wakes the thread */
	pthread_cond_t done_cv; /* on CLOCK_MONOTONIC; a cycle ended */
	int stop;               /* under mu */
	int kick;               /* under mu: end the wait in progress */
	unsigned long cycles;   /* cycles finished, under mu */
	int running;
	update_cycle_fn cycle;
	void *ctx;
	uint32_t first_delay;
	atomic_int *cancel; /* set at stop: aborts a transfer in flight */
};

/* Starts the thread; the first cycle runs after first_delay seconds. cancel
 * (may be NULL) is set to 1 by update_thread_stop(). 0 or WHORL_ENOMEM
 * (thread could not be created). */
int update_thread_start(struct update_thread *t, update_cycle_fn cycle, void *ctx,
                        uint32_t first_delay, atomic_int *cancel);
/* Waits until the thread has finished n cycles, at most timeout_ms.
 * 0 when it has, WHORL_EBUSY at the deadline (the cycle goes on in the
 * background), WHORL_ENODATA when the thread is not running or stopped. */
int update_thread_wait(struct update_thread *t, unsigned long n, uint32_t timeout_ms);
/* Ends the wait in progress: the next cycle runs now (its return value
 * times the wait after it). Only between a successful start and stop. */
void update_thread_kick(struct update_thread *t);
/* Wakes and joins the thread (a no-op when it never started). */
void update_thread_stop(struct update_thread *t);
/* delay +- UPDATE_JITTER_PERCENT, at least 1 s. */
uint32_t update_jitter(uint32_t delay);

#endif
