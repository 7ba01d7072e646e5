/*
 * progress.c - a progress bar on stderr for long runs.
 *
 * Drawn only when stderr is a terminal and there is more than one message;
 * redrawn at most PROGRESS_HZ times a second; erased at the end so that
 * only results stay on the screen. Not for: log lines (main.c erases the
 * bar before writing one).
 */
#include <stdio.h>
#include <unistd.h>

#include "scan.h"

#define PROGRESS_WIDTH 40 /* characters in the bar itself */

void progress_init(struct progress *p, size_t total)
{
	p->total = total;
	p->on = total > 1 && isatty(STDERR_FILENO);
	p->last.tv_sec = 0;
	p->last.tv_nsec = 0;
}

static long progress_ms_since(const struct timespec *then, const struct timespec *now)
{
	return (long)(now->tv_sec - then->tv_sec) * 1000 + (now->tv_nsec - then->tv_nsec) / 1000000;
}

static void progress_draw(const struct progress *p, size_t done)
{
	size_t fill = p->total ? done * PROGRESS_WIDTH / p->total : 0, i;
	char bar[PROGRESS_WIDTH + 1];

	for (i = 0; i < PROGRESS_WIDTH; i++)
		bar[i] = i < fill ? '#' : '-';
	bar[PROGRESS_WIDTH] = '\0';
	flockfile(stderr);
	fprintf(stderr, "\r[%s] %zu/%zu %3zu%%", bar, done, p->total,
	        p->total ? done * 100 / p->total : 100);
	fflush(stderr);
	funlockfile(stderr);
}

void progress_update(struct progress *p, size_t done)
{
	struct timespec now;

	if (!p->on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (done < p->total && progress_ms_since(&p->last, &now) < 1000 / PROGRESS_HZ)
		return;
	p->last = now;
	progress_draw(p, done);
}

void progress_clear(const struct progress *p)
{
	if (p->on)
		fputs("\r\033[K", stderr);
}

void progress_finish(struct progress *p)
{
	flockfile(stderr);
	progress_clear(p);
	fflush(stderr);
	funlockfile(stderr);
	p->on = 0;
}
