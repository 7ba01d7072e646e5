/*
 * engine_clock.c - the engine's wall clock: the host's clock when it gave
 * one (tests move time with it), else CLOCK_REALTIME.
 *
 * Its own file so scans, update cycles and statistics read the time without
 * depending on the lifecycle code (engine.c). Not for: timeouts of blocking
 * steps, which use CLOCK_MONOTONIC where they wait.
 */
#include <time.h>

#include "engine.h"

uint64_t engine_now_ms(const struct whorl_engine *e)
{
	if (e->clock_ms != NULL)
		return e->clock_ms(e->clock_ctx);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
