/*
 * pool.c - scan the job list on N threads, hand results back in order.
 *
 * Workers take the next job index from one atomic counter (the queue),
 * wait until its slot in a small ring of results is free, scan it, and
 * fill the slot. The calling thread takes slots in job order, so output
 * order equals input order whatever -j is; the ring (SCAN_RING_PER_WORKER
 * slots per worker) bounds how far workers run ahead of the printer.
 * A thread signals the other side only when it is waiting, so a busy run
 * makes no futex calls; with one job thread the caller scans and prints
 * inline (no hand-off at all: it cost a context switch per message).
 * Not for: formatting (the emit callback does it).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"

struct pool_slot {
	struct scan_result r;
	int ready;
};

struct pool {
	whorl_host *h;
	const struct mail_list *l;
	int fingerprints;
	atomic_size_t next; /* next job index to take */
	size_t consumed;    /* jobs handed to emit; guarded by mu */
	size_t n_slots;
	struct pool_slot *slots;
	pthread_mutex_t mu;
	pthread_cond_t ready_cv; /* a slot was filled */
	pthread_cond_t space_cv; /* a slot was emptied */
	int printer_waiting;     /* guarded by mu: the printer sleeps on ready_cv */
	int workers_waiting;     /* guarded by mu: workers asleep on space_cv */
};

static void pool_scan_one(struct pool *p, size_t i, struct mail_buf *b, struct scan_result *r)
{
	const char *msg = NULL;
	size_t len = 0;

	memset(r, 0, sizeof(*r));
	r->rc = mail_read(p->l, i, b, &msg, &len, &r->err_no);
	if (r->rc == 0 && p->fingerprints)
		r->rc = whorl_host_fingerprint(p->h, msg, len, &r->fps);
	else if (r->rc == 0)
		r->rc = whorl_host_score(p->h, NULL, msg, len, &r->verdict);
}

static void *pool_worker(void *arg)
{
	struct pool *p = arg;
	struct mail_buf b = { NULL, 0 };
	struct scan_result r;
	size_t i;

	for (;;) {
		i = atomic_fetch_add(&p->next, 1);
		if (i >= p->l->n_msgs)
			break;
		/* Wait for our slot first: the printer frees slots in job order. */
		pthread_mutex_lock(&p->mu);
		while (i >= p->consumed + p->n_slots) {
			p->workers_waiting++;
			pthread_cond_wait(&p->space_cv, &p->mu);
			p->workers_waiting--;
		}
		pthread_mutex_unlock(&p->mu);
		pool_scan_one(p, i, &b, &r);
		pthread_mutex_lock(&p->mu);
		p->slots[i % p->n_slots].r = r;
		p->slots[i % p->n_slots].ready = 1;
		if (p->printer_waiting)
			pthread_cond_signal(&p->ready_cv);
		pthread_mutex_unlock(&p->mu);
	}
	mail_buf_free(&b);
	return NULL;
}

/* Emits results in order until every job is done. */
static void pool_drain(struct pool *p, pool_emit_fn emit, void *ctx)
{
	struct pool_slot *s;
	struct scan_result r;
	size_t i;

	for (i = 0; i < p->l->n_msgs; i++) {
		s = &p->slots[i % p->n_slots];
		pthread_mutex_lock(&p->mu);
		while (!s->ready) {
			p->printer_waiting = 1;
			pthread_cond_wait(&p->ready_cv, &p->mu);
			p->printer_waiting = 0;
		}
		r = s->r;
		s->ready = 0;
		p->consumed = i + 1;
		if (p->workers_waiting > 0)
			pthread_cond_broadcast(&p->space_cv);
		pthread_mutex_unlock(&p->mu);
		emit(ctx, i, &r);
	}
}

/* One job thread: the caller scans and prints each message in turn. */
static void pool_inline(struct pool *p, pool_emit_fn emit, void *ctx)
{
	struct mail_buf b = { NULL, 0 };
	struct scan_result r;

	for (size_t i = 0; i < p->l->n_msgs; i++) {
		pool_scan_one(p, i, &b, &r);
		emit(ctx, i, &r);
	}
	mail_buf_free(&b);
}

int pool_run(whorl_host *h, const struct mail_list *l, int n_workers, int fingerprints,
             pool_emit_fn emit, void *ctx)
{
	struct pool p;
	pthread_t *threads;
	int i, started = 0, rc = 0;

	if (l->n_msgs == 0)
		return 0;
	if ((size_t)n_workers > l->n_msgs)
		n_workers = (int)l->n_msgs;
	memset(&p, 0, sizeof(p));
	p.h = h;
	p.l = l;
	p.fingerprints = fingerprints;
	if (n_workers == 1) {
		pool_inline(&p, emit, ctx);
		return 0;
	}
	atomic_init(&p.next, 0);
	p.n_slots = (size_t)n_workers * SCAN_RING_PER_WORKER;
	p.slots = calloc(p.n_slots, sizeof(*p.slots));
	threads = calloc((size_t)n_workers, sizeof(*threads));
	if (p.slots == NULL || threads == NULL) {
		rc = WHORL_ENOMEM;
		goto done;
	}
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.ready_cv, NULL);
	pthread_cond_init(&p.space_cv, NULL);
	for (i = 0; i < n_workers; i++)
		if (pthread_create(&threads[started], NULL, pool_worker, &p) == 0)
			started++;
	if (started == 0)
		rc = WHORL_ENOMEM;
	else
		pool_drain(&p, emit, ctx);
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	pthread_cond_destroy(&p.space_cv);
	pthread_cond_destroy(&p.ready_cv);
	pthread_mutex_destroy(&p.mu);
done:
	free(threads);
	free(p.slots);
	return rc;
}
