/*
 * work.c - the bounded queue of complete requests and the scanning
 * threads that answer them.
 *
 * The queue holds at most `queue size` requests; work_submit() refuses at
 * once when it is full, so the loop answers EX_TEMPFAIL instead of letting
 * clients wait. A thread takes a request, checks the request deadline
 * (from accept: a request that waited too long is answered "Timeout" and
 * not scanned), has request.c answer it, and closes the connection.
 * Replies are written with a send timeout (client timeout). Each thread
 * keeps its reply and inflate buffers across requests.
 * Not for: reading requests (loop.c) or protocol bytes (spamd_*.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "whorld.h"

struct work_queue {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct work_item **ring;
	unsigned cap, head, n;
	atomic_uint in_flight; /* queued + being answered */
	int stop;
	pthread_t *threads;
	unsigned n_threads;
};

void work_send(int fd, const char *p, size_t len, int blocking, uint32_t timeout_ms)
{
	struct timeval tv = { (time_t)(timeout_ms / 1000),
		              (suseconds_t)(timeout_ms % 1000) * 1000 };
	int flags = MSG_NOSIGNAL | (blocking ? 0 : MSG_DONTWAIT);

	if (blocking) {
		int fl = fcntl(fd, F_GETFL);
		if (fl >= 0)
			fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	while (len > 0) {
		ssize_t n = send(fd, p, len, flags);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* the client left or is too slow: nothing more to tell it */
		p += n;
		len -= (size_t)n;
	}
}

void work_answer_now(struct whorld *d, struct conn *c, const char *reply, size_t len)
{
	work_send(c->fd, reply, len, 0, 0);
	shutdown(c->fd, SHUT_WR);
	conn_free(d, c);
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
		it->run(d, it, &w);
		atomic_fetch_sub(&q->in_flight, 1);
	}
	obuf_free(&w.reply);
	free(w.inflated);
	return NULL;
}

int work_start(struct whorld *d, unsigned n_threads, unsigned capacity)
{
	struct work_queue *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return -1;
	q->ring = calloc(capacity, sizeof(*q->ring));
	q->threads = calloc(n_threads, sizeof(*q->threads));
	if (q->ring == NULL || q->threads == NULL) {
		free(q->ring);
		free(q->threads);
		free(q);
		return -1;
	}
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	q->cap = capacity;
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

	pthread_mutex_lock(&q->mu);
	if (q->n == q->cap) {
		pthread_mutex_unlock(&q->mu);
		return -1;
	}
	q->ring[(q->head + q->n) % q->cap] = it;
	q->n++;
	atomic_fetch_add(&q->in_flight, 1);
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

unsigned work_in_flight(struct whorld *d)
{
	return d->queue != NULL ? atomic_load(&d->queue->in_flight) : 0;
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
	free(q->ring);
	free(q->threads);
	free(q);
	d->queue = NULL;
}
