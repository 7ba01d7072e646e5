/*
 * work.c - admission, scan slots, the hand-over ring, and the spamd
 * threads' start and stop.
 *
 * Admission: at most `threads + queue size` requests may be in flight
 * (admitted and not yet answered, both protocols together); work_admit()
 * refuses the next one at once, so the caller answers EX_TEMPFAIL or 503
 * instead of letting clients wait. Scan slots: at most `threads` requests
 * are answered at once, whichever thread runs them; the others wait for a
 * slot (that wait is the queue). HTTP requests are answered on
 * libmicrohttpd's connection thread as soon as they hold a slot (no hand
 * over to another thread: http.c). spamd requests are answered by
 * `threads` spamd threads, each an event loop of its own (loop.c) that
 * accepts, reads and answers on the same thread (no hand over). Only when
 * every spamd thread is busy does the main event loop accept: it answers
 * PING and "try later" at once and puts admitted requests on the ring,
 * which the spamd threads empty between their own requests (work_next;
 * work_submit wakes an idle one through wake_fd). request.c answers a
 * request (the request deadline is checked there) and closes the
 * connection; a reply must be written within the client timeout.
 * Not for: reading requests (loop.c, http.c) or protocol bytes (spamd_*.c).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "whorld.h"

struct work_queue {
	pthread_mutex_t mu;
	pthread_cond_t slot_cv;  /* a scan slot came free (CLOCK_MONOTONIC) */
	struct work_item **ring; /* requests the main loop read; room for every admitted one */
	unsigned cap, head;
	atomic_uint n;         /* on the ring (read without the lock to skip an empty ring) */
	unsigned slots;        /* scan slots free */
	unsigned limit;        /* threads + queue size */
	atomic_uint in_flight; /* admitted, not yet answered */
	atomic_int refusing;   /* draining: admit nothing more */
	atomic_int stop;       /* work_stop(): the spamd threads return */
	atomic_uint detached;  /* spamd threads that let go of the listeners (drain) */
	int wake_fd;           /* eventfd: the ring has a request (EPOLLEXCLUSIVE: one wakes) */
	struct conn *inbox;    /* connections given to the main loop (under mu) */
	int inbox_fd;          /* eventfd: the inbox has connections */
	pthread_t *threads;
	struct loop **loops; /* each spamd thread's event loop */
	unsigned n_threads;
};

/* Sends without blocking; only a reply larger than the socket buffer
 * waits (poll) for room, until the deadline: one syscall per reply in the
 * usual case, no switching the socket to blocking and back. */
void work_send(int fd, const char *p, size_t len, int blocking, uint32_t timeout_ms)
{
	uint64_t deadline = blocking ? whorld_now_ms() + timeout_ms : 0, now;
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && blocking &&
		    (now = whorld_now_ms()) < deadline && poll(&pfd, 1, (int)(deadline - now)) > 0)
			continue;
		return; /* the client left or is too slow: nothing more to tell it */
	}
}

void work_answer_now(struct whorld *d, struct conn *c, const char *reply, size_t len)
{
	work_send(c->fd, reply, len, 0, 0);
	shutdown(c->fd, SHUT_WR);
	conn_free(d, c);
}

int work_admit(struct whorld *d)
{
	struct work_queue *q = d->queue;

	if (atomic_load(&q->refusing))
		return WORK_STOPPING;
	if (atomic_fetch_add(&q->in_flight, 1) >= q->limit) {
		atomic_fetch_sub(&q->in_flight, 1);
		return WORK_BUSY;
	}
	return 0;
}

void work_done(struct whorld *d)
{
	atomic_fetch_sub(&d->queue->in_flight, 1);
}

int work_slot_take(struct whorld *d, uint64_t deadline_ms)
{
	struct work_queue *q = d->queue;
	struct timespec ts = { (time_t)(deadline_ms / 1000),
		               (long)(deadline_ms % 1000) * 1000000L };
	int rc = 0;

	pthread_mutex_lock(&q->mu);
	while (q->slots == 0 && rc == 0) {
		if (deadline_ms == 0)
			pthread_cond_wait(&q->slot_cv, &q->mu);
		else if (pthread_cond_timedwait(&q->slot_cv, &q->mu, &ts) == ETIMEDOUT)
			rc = q->slots == 0 ? -1 : 0;
	}
	if (rc == 0)
		q->slots--;
	pthread_mutex_unlock(&q->mu);
	return rc;
}

void work_slot_give(struct whorld *d)
{
	struct work_queue *q = d->queue;

	pthread_mutex_lock(&q->mu);
	q->slots++;
	pthread_cond_signal(&q->slot_cv);
	pthread_mutex_unlock(&q->mu);
}

struct work_item *work_next(struct whorld *d)
{
	struct work_queue *q = d->queue;
	struct work_item *it = NULL;

	if (atomic_load(&q->n) == 0)
		return NULL;
	pthread_mutex_lock(&q->mu);
	if (atomic_load(&q->n) > 0) {
		it = q->ring[q->head];
		q->head = (q->head + 1) % q->cap;
		atomic_fetch_sub(&q->n, 1);
	}
	pthread_mutex_unlock(&q->mu);
	return it;
}

void work_run(struct whorld *d, struct work_item *it, struct work_scratch *w)
{
	work_slot_take(d, 0);
	it->run(d, it, w);
	work_slot_give(d);
	work_done(d);
}

int work_stopping(struct whorld *d)
{
	return atomic_load(&d->queue->stop);
}

int work_refusing(struct whorld *d)
{
	return atomic_load(&d->queue->refusing);
}

void work_detach_done(struct whorld *d)
{
	atomic_fetch_add(&d->queue->detached, 1);
}

int work_all_detached(struct whorld *d)
{
	return d->queue == NULL || atomic_load(&d->queue->detached) == d->queue->n_threads;
}

void work_give(struct whorld *d, struct conn *c)
{
	struct work_queue *q = d->queue;
	uint64_t one = 1;

	pthread_mutex_lock(&q->mu);
	c->next = q->inbox;
	q->inbox = c;
	pthread_mutex_unlock(&q->mu);
	if (write(q->inbox_fd, &one, sizeof(one)) < 0) {
		/* the counter is full: the main loop is being woken anyway */
	}
}

struct conn *work_inbox_take(struct whorld *d)
{
	struct work_queue *q = d->queue;
	struct conn *list;
	uint64_t n;

	if (read(q->inbox_fd, &n, sizeof(n)) < 0) {
		/* EAGAIN: nothing was given since the last take */
	}
	pthread_mutex_lock(&q->mu);
	list = q->inbox;
	q->inbox = NULL;
	pthread_mutex_unlock(&q->mu);
	return list;
}

int work_inbox_fd(struct whorld *d)
{
	return d->queue->inbox_fd;
}

static void work_free(struct whorld *d, struct work_queue *q)
{
	struct conn *c, *next;

	for (unsigned i = 0; i < q->n_threads; i++)
		loop_spamd_free(q->loops[i]);
	for (c = q->inbox; c != NULL; c = next) { /* given after the main loop ended */
		next = c->next;
		conn_free(d, c);
	}
	if (q->wake_fd >= 0)
		close(q->wake_fd);
	if (q->inbox_fd >= 0)
		close(q->inbox_fd);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->slot_cv);
	free(q->ring);
	free(q->threads);
	free(q->loops);
	free(q);
}

/* Each spamd thread's loop is made (and registers the listeners) here,
 * before the main loop registers them, so that an idle spamd thread is
 * the one the kernel wakes for a new connection (EPOLLEXCLUSIVE wakes the
 * first registered waiter that is waiting; loop.c). */
int work_start(struct whorld *d, unsigned n_threads, unsigned queue_size)
{
	struct work_queue *q = calloc(1, sizeof(*q));
	pthread_condattr_t ca;

	if (q == NULL)
		return -1;
	q->limit = n_threads + queue_size;
	q->ring = calloc(q->limit, sizeof(*q->ring));
	q->threads = calloc(n_threads, sizeof(*q->threads));
	q->loops = calloc(n_threads, sizeof(*q->loops));
	q->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	q->inbox_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&q->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* whorld_now_ms()'s clock */
	pthread_cond_init(&q->slot_cv, &ca);
	pthread_condattr_destroy(&ca);
	q->cap = q->limit;
	q->slots = n_threads;
	d->queue = q;
	if (q->ring == NULL || q->threads == NULL || q->loops == NULL || q->wake_fd < 0 ||
	    q->inbox_fd < 0) {
		work_free(d, q);
		d->queue = NULL;
		return -1;
	}
	for (unsigned i = 0; i < n_threads; i++) {
		q->loops[i] = loop_spamd_new(d, q->wake_fd);
		if (q->loops[i] == NULL)
			return -1;
		if (pthread_create(&q->threads[i], NULL, loop_spamd_thread, q->loops[i]) != 0) {
			loop_spamd_free(q->loops[i]);
			return -1;
		}
		q->n_threads++;
	}
	return 0;
}

int work_submit(struct whorld *d, struct work_item *it)
{
	struct work_queue *q = d->queue;
	int rc = work_admit(d);
	uint64_t one = 1;

	if (rc != 0)
		return rc;
	pthread_mutex_lock(&q->mu);
	q->ring[(q->head + atomic_load(&q->n)) % q->cap] = it; /* admitted: the ring has room */
	atomic_fetch_add(&q->n, 1);
	pthread_mutex_unlock(&q->mu);
	if (write(q->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is full: a spamd thread is being woken anyway */
	}
	return 0;
}

unsigned work_in_flight(struct whorld *d)
{
	return d->queue != NULL ? atomic_load(&d->queue->in_flight) : 0;
}

void work_refuse(struct whorld *d)
{
	if (d->queue != NULL)
		atomic_store(&d->queue->refusing, 1);
}

void work_stop(struct whorld *d)
{
	struct work_queue *q = d->queue;
	uint64_t one = 1;

	if (q == NULL)
		return;
	atomic_store(&q->stop, 1);
	for (unsigned i = 0; i < q->n_threads; i++)
		if (write(q->wake_fd, &one, sizeof(one)) < 0)
			break; /* the threads see stop within a tick anyway */
	for (unsigned i = 0; i < q->n_threads; i++)
		pthread_join(q->threads[i], NULL);
	work_free(d, q);
	d->queue = NULL;
}
