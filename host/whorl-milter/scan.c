/*
 * scan.c - one scan with a deadline: the engine runs on its own thread
 * while the libmilter thread waits, sending smfi_progress to the MTA every
 * "progress interval" so a long scan does not trip the MTA's timeout. When
 * "scan deadline" passes first, the milter answers with "on fail" and the
 * scan thread finishes alone and frees what it holds (the job is shared
 * by reference count). A thread per message costs a clone(), small next to
 * an SMTP transaction, and keeps a stuck scan from holding libmilter's
 * connection thread past the deadline.
 * Not for: choosing what to do with the verdict (action.c, conn.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "milter.h"

struct wm_job {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int refs; /* the waiter and the scan thread */
	int done;
	int rc;
	whorl_host *host;
	struct wm_msg *msg;
	struct whorl_verdict *verdict; /* the waiter takes it when it still waits */
};

static atomic_uint wm_scans_running;

static void wm_job_put(struct wm_job *j)
{
	int last;

	pthread_mutex_lock(&j->mu);
	last = --j->refs == 0;
	pthread_mutex_unlock(&j->mu);
	if (!last)
		return;
	if (j->verdict != NULL)
		whorl_host_verdict_free(j->host, j->verdict);
	wm_msg_free(j->msg);
	pthread_cond_destroy(&j->cv);
	pthread_mutex_destroy(&j->mu);
	free(j);
}

static void *wm_scan_thread(void *arg)
{
	struct wm_job *j = arg;
	struct wm_msg *m = j->msg;
	const char *rcpt[WM_MAX_RCPT];
	struct whorl_envelope env = { 0 };
	struct whorl_verdict *v = NULL;
	int rc;

	for (size_t i = 0; i < m->n_rcpt; i++)
		rcpt[i] = m->rcpt[i];
	env.size = sizeof(env);
	env.client_ip = m->client_ip[0] ? m->client_ip : NULL;
	env.client_hostname = m->client_hostname[0] ? m->client_hostname : NULL;
	env.helo = m->helo[0] ? m->helo : NULL;
	env.mail_from = m->mail_from;
	env.rcpt_to = rcpt;
	env.n_rcpt_to = m->n_rcpt;
	rc = whorl_host_score(j->host, &env, m->buf, m->len, &v);
	pthread_mutex_lock(&j->mu);
	j->rc = rc;
	j->verdict = v;
	j->done = 1;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
	wm_job_put(j);
	atomic_fetch_sub(&wm_scans_running, 1);
	return NULL;
}

static void wm_deadline_at(struct timespec *ts, uint32_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static int wm_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static struct wm_job *wm_job_new(whorl_host *host, struct wm_msg *m)
{
	struct wm_job *j = calloc(1, sizeof(*j));
	pthread_condattr_t ca;

	if (j == NULL)
		return NULL;
	pthread_mutex_init(&j->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->cv, &ca);
	pthread_condattr_destroy(&ca);
	j->refs = 2;
	j->host = host;
	j->msg = m;
	return j;
}

int wm_scan(void *smfi_ctx, whorl_host *host, struct wm_msg *m, uint32_t deadline_ms,
            uint32_t progress_ms, struct whorl_verdict **out, struct wm_msg **kept)
{
	struct wm_job *j = wm_job_new(host, m);
	struct timespec end, next;
	pthread_t tid;
	int rc;

	*out = NULL;
	if (kept != NULL)
		*kept = NULL;
	if (j == NULL) {
		wm_msg_free(m);
		return WHORL_ENOMEM;
	}
	atomic_fetch_add(&wm_scans_running, 1);
	if (pthread_create(&tid, NULL, wm_scan_thread, j) != 0) {
		atomic_fetch_sub(&wm_scans_running, 1);
		j->refs = 1;
		wm_job_put(j);
		return WHORL_ENOMEM;
	}
	pthread_detach(tid);
	wm_deadline_at(&end, deadline_ms);
	pthread_mutex_lock(&j->mu);
	while (!j->done) {
		wm_deadline_at(&next, progress_ms);
		if (!wm_before(&next, &end))
			next = end;
		if (pthread_cond_timedwait(&j->cv, &j->mu, &next) == ETIMEDOUT && !j->done) {
			if (!wm_before(&next, &end))
				break;
			/* The MTA's content timeout restarts; nothing else to do. */
			pthread_mutex_unlock(&j->mu);
			smfi_progress(smfi_ctx);
			pthread_mutex_lock(&j->mu);
		}
	}
	rc = j->done ? j->rc : WHORL_EBUSY;
	if (j->done) {
		*out = j->verdict;
		j->verdict = NULL;
		if (kept != NULL) {
			*kept = j->msg; /* the scan thread is done with it */
			j->msg = NULL;
		}
	}
	pthread_mutex_unlock(&j->mu);
	wm_job_put(j);
	return rc;
}

unsigned wm_scan_drain(uint32_t ms)
{
	for (uint32_t waited = 0; atomic_load(&wm_scans_running) > 0 && waited < ms; waited += 10)
		usleep(10000);
	return atomic_load(&wm_scans_running);
}
