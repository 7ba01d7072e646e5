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
 * A job is one entry of the mail list: almost always one message; a listed
 * file that turns out to be an mbox of several is handed back unscanned
 * and the caller reads and scans it itself, so a slot holds one result and
 * the ring stays bounded. When it is an mbox too large to read whole
 * (MAIL_READ_SPLIT), the caller lists its messages and runs them through a
 * pool of their own, as wide as this one, before going on (the workers of
 * this pool wait on the ring meanwhile), so -j still shares the messages of
 * a big mbox found in a directory. Not for: formatting (emit does it).
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
	int n_workers;
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

/* Scans message j of the entry in b into r. */
static void pool_scan_msg(struct pool *p, const struct mail_buf *b, size_t j, struct scan_result *r)
{
	const char *msg;
	size_t len;

	mail_read_msg(b, j, &r->index, &msg, &len);
	if (p->fingerprints)
		r->rc = whorl_host_fingerprint(p->h, msg, len, &r->fps);
	else
		r->rc = whorl_host_score(p->h, NULL, msg, len, &r->verdict);
}

/* A worker's job i: scanned when it is one message, else marked several. */
static void pool_scan_one(struct pool *p, size_t i, struct mail_buf *b, struct scan_result *r)
{
	size_t n = 0;

	memset(r, 0, sizeof(*r));
	r->index = p->l->msgs[i].index;
	r->rc = mail_read(p->l, i, b, &n, &r->err_no);
	if (r->rc == 0 && n == 1) {
		pool_scan_msg(p, b, 0, r);
	} else if (r->rc == 0 || r->rc == MAIL_READ_SPLIT) {
		r->several = 1; /* the printer reads it again and scans it */
		r->rc = 0;
	}
}

/* A job's messages scanned by a pool of their own: their results are the
 * job's (emitted as job i of the outer list). */
struct pool_split {
	pool_emit_fn emit;
	void *ctx;
	size_t i;
};

static void pool_split_emit(void *ctx, size_t j, struct scan_result *r)
{
	const struct pool_split *sp = ctx;

	(void)j;
	sp->emit(sp->ctx, sp->i, r);
}

/* Job i is an mbox too large to read whole: lists its messages and scans
 * them on p->n_workers threads, emitting them in order as job i. */
static void pool_job_split(struct pool *p, size_t i, pool_emit_fn emit, void *ctx)
{
	struct pool_split sp = { emit, ctx, i };
	struct mail_list sub;
	struct scan_result r;

	memset(&r, 0, sizeof(r));
	r.index = p->l->msgs[i].index;
	r.rc = mail_list_split_entry(p->l, i, &sub, &r.err_no);
	if (r.rc != WHORL_ENOMEM &&
	    pool_run(p->h, &sub, p->n_workers, p->fingerprints, pool_split_emit, &sp) != 0)
		r.rc = WHORL_ENOMEM;
	if (r.rc != 0) /* after the messages found before the error */
		emit(ctx, i, &r);
	mail_list_free(&sub);
}

/* Reads job i and scans and emits each of its messages in turn. */
static void pool_job_inline(struct pool *p, size_t i, struct mail_buf *b, pool_emit_fn emit,
                            void *ctx)
{
	struct scan_result r;
	size_t j, n = 0;

	memset(&r, 0, sizeof(r));
	r.index = p->l->msgs[i].index;
	r.rc = mail_read(p->l, i, b, &n, &r.err_no);
	if (r.rc == MAIL_READ_SPLIT) {
		pool_job_split(p, i, emit, ctx);
		return;
	}
	if (r.rc != 0) {
		emit(ctx, i, &r);
		return;
	}
	for (j = 0; j < n; j++) {
		memset(&r, 0, sizeof(r));
		pool_scan_msg(p, b, j, &r);
		emit(ctx, i, &r);
	}
}

static void *pool_worker(void *arg)
{
	struct pool *p = arg;
	struct mail_buf b;
	struct scan_result r;
	size_t i;

	memset(&b, 0, sizeof(b));
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

/* Emits results in order until every job is done; b is for jobs of
 * several messages, which this thread scans itself. */
static void pool_drain(struct pool *p, struct mail_buf *b, pool_emit_fn emit, void *ctx)
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
		if (r.several)
			pool_job_inline(p, i, b, emit, ctx);
		else
			emit(ctx, i, &r);
	}
}

/* One job thread: the caller scans and prints each message in turn. */
static void pool_inline(struct pool *p, pool_emit_fn emit, void *ctx)
{
	struct mail_buf b;

	memset(&b, 0, sizeof(b));
	for (size_t i = 0; i < p->l->n_msgs; i++)
		pool_job_inline(p, i, &b, emit, ctx);
	mail_buf_free(&b);
}

int pool_run(whorl_host *h, const struct mail_list *l, int n_workers, int fingerprints,
             pool_emit_fn emit, void *ctx)
{
	struct pool p;
	struct mail_buf b;
	pthread_t *threads;
	int i, started = 0, rc = 0;

	if (l->n_msgs == 0)
		return 0;
	memset(&p, 0, sizeof(p));
	memset(&b, 0, sizeof(b));
	p.h = h;
	p.l = l;
	p.n_workers = n_workers; /* the width asked for: a big mbox's messages get it */
	p.fingerprints = fingerprints;
	if ((size_t)n_workers > l->n_msgs)
		n_workers = (int)l->n_msgs;
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
		pool_drain(&p, &b, emit, ctx);
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	pthread_cond_destroy(&p.space_cv);
	pthread_cond_destroy(&p.ready_cv);
	pthread_mutex_destroy(&p.mu);
done:
	mail_buf_free(&b);
	free(threads);
	free(p.slots);
	return rc;
}
