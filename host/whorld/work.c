/*
 * work.c - admission, scan slots, and the threads that answer spamd
 * requests.
 *
 * Admission: at most `threads + queue size` requests may be in flight
 * (admitted and not yet answered, both protocols together); work_admit()
 * refuses the next one at once, so the caller answers EX_TEMPFAIL or 503
 * instead of letting clients wait. Scan slots: at most `threads` requests
 * are answered at once, whichever thread runs them; the others wait for a
 * slot (that wait is the queue). HTTP requests are answered on
 * libmicrohttpd's connection thread as soon as they hold a slot (no hand
 * over to another thread: http.c); spamd requests, which the event loop
 * reads, are handed to `threads` spamd threads through a ring. A thread
 * has request.c answer it (the request deadline is checked there), and
 * closes the connection. A reply must be written within the client
 * timeout. Each spamd thread keeps its reply and inflate buffers across
 * requests.
 * Not for: reading requests (loop.c, http.c) or protocol bytes (spamd_*.c).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "whorld.h"

struct work_queue {
	pthread_mutex_t mu;
	pthread_cond_t cv;       /* the ring has a request, or stop */
	pthread_cond_t slot_cv;  /* a scan slot came free (CLOCK_MONOTONIC) */
	struct work_item **ring; /* spamd requests; room for every admitted one */
	unsigned cap, head, n;
	unsigned slots;        /* scan slots free */
	unsigned limit;        /* threads + queue size */
	atomic_uint in_flight; /* admitted, not yet answered */
	atomic_int refusing;   /* draining: admit nothing more */
	int stop;
	pthread_t *threads;
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

static void *work_thread(void *arg)
{
	struct whorld *d = arg;
	struct work_queue *q = d->queue;
	struct work_scratch w;
	struct work_item *it;

	memset(&w, 0, sizeof(w));
	for (;;) {
		pthread_mutex_lock(&q->mu);
		while (q->n == 0 && !q->stop)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->n == 0) {
			pthread_mutex_unlock(&q->mu);
			break;
		}
		it = q->ring[q->head];
		q->head = (q->head + 1) % q->cap;
		q->n--;
		pthread_mutex_unlock(&q->mu);
		work_slot_take(d, 0);
		it->run(d, it, &w);
		work_slot_give(d);
		work_done(d);
	}
	obuf_free(&w.reply);
	free(w.inflated);
	return NULL;
}

int work_start(struct whorld *d, unsigned n_threads, unsigned queue_size)
{
	struct work_queue *q = calloc(1, sizeof(*q));
	pthread_condattr_t ca;

	if (q == NULL)
		return -1;
	q->limit = n_threads + queue_size;
	q->ring = calloc(q->limit, sizeof(*q->ring));
	q->threads = calloc(n_threads, sizeof(*q->threads));
	if (q->ring == NULL || q->threads == NULL) {
		free(q->ring);
		free(q->threads);
		free(q);
		return -1;
	}
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* whorld_now_ms()'s clock */
	pthread_cond_init(&q->slot_cv, &ca);
	pthread_condattr_destroy(&ca);
	q->cap = q->limit;
	q->slots = n_threads;
	d->queue = q;
	for (unsigned i = 0; i < n_threads; i++) {
		if (pthread_create(&q->threads[i], NULL, work_thread, d) != 0)
			return -1;
		q->n_threads++;
	}
	return 0;
}

int work_submit(struct whorld *d, struct work_item *it)
{
	struct work_queue *q = d->queue;
	int rc = work_admit(d);

	if (rc != 0)
		return rc;
	pthread_mutex_lock(&q->mu);
	q->ring[(q->head + q->n) % q->cap] = it; /* admitted: the ring has room */
	q->n++;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
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

	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	for (unsigned i = 0; i < q->n_threads; i++)
		pthread_join(q->threads[i], NULL);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	pthread_cond_destroy(&q->slot_cv);
	free(q->ring);
	free(q->threads);
	free(q);
	d->queue = NULL;
}
