/*
 * scan.c - one scan with a deadline: the engine runs on a whorl_job (a
 * thread of its own, libwhorl's job.c) while the libmilter thread waits,
 * sending smfi_progress to the MTA every "progress interval" so a long scan
 * does not trip the MTA's timeout. When "scan deadline" passes first, the
 * milter answers with "on fail" and the scan thread finishes alone and frees
 * what it holds. A thread per message costs a clone(), small next to an
 * SMTP transaction, and keeps a stuck scan from holding libmilter's
 * connection thread past the deadline.
 * Not for: choosing what to do with the verdict (action.c, conn.c).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "milter.h"

/* One scan's input and result: the arg of its whorl_job. */
struct wm_job {
	int rc;
	whorl_host *host;
	struct wm_msg *msg;
	struct whorl_verdict *verdict; /* the waiter takes it when it still waits */
};

/* Jobs started and not yet released: what wm_scan_drain() waits for. */
static atomic_uint wm_scans_running;

static void wm_job_release(void *arg)
{
	struct wm_job *j = arg;

	if (j->verdict != NULL)
		whorl_host_verdict_free(j->host, j->verdict);
	wm_msg_free(j->msg);
	free(j);
	atomic_fetch_sub(&wm_scans_running, 1);
}

static void wm_scan_run(void *arg)
{
	struct wm_job *j = arg;
	struct wm_msg *m = j->msg;
	const char *rcpt[WM_MAX_RCPT];
	struct whorl_envelope env = { 0 };

	for (size_t i = 0; i < m->n_rcpt; i++)
		rcpt[i] = m->rcpt[i];
	env.size = sizeof(env);
	env.client_ip = m->client_ip[0] ? m->client_ip : NULL;
	env.client_hostname = m->client_hostname[0] ? m->client_hostname : NULL;
	env.helo = m->helo[0] ? m->helo : NULL;
	env.mail_from = m->mail_from;
	env.rcpt_to = rcpt;
	env.n_rcpt_to = m->n_rcpt;
	j->rc = whorl_host_score(j->host, &env, m->buf, m->len, &j->verdict);
}

/* The MTA's content timeout restarts; nothing else to do. */
static void wm_scan_progress(void *smfi_ctx)
{
	smfi_progress(smfi_ctx);
}

int wm_scan(void *smfi_ctx, whorl_host *host, struct wm_msg *m, uint32_t deadline_ms,
            uint32_t progress_ms, struct whorl_verdict **out, struct wm_msg **kept)
{
	struct wm_job *j = calloc(1, sizeof(*j));
	whorl_job *job;
	int rc = WHORL_EBUSY;

	*out = NULL;
	if (kept != NULL)
		*kept = NULL;
	if (j == NULL) {
		wm_msg_free(m);
		return WHORL_ENOMEM;
	}
	j->host = host;
	j->msg = m;
	atomic_fetch_add(&wm_scans_running, 1);
	if (whorl_job_start(wm_scan_run, wm_job_release, j, &job) != 0) {
		wm_job_release(j);
		return WHORL_ENOMEM;
	}
	if (whorl_job_wait(job, deadline_ms, progress_ms, wm_scan_progress, smfi_ctx)) {
		rc = j->rc;
		*out = j->verdict;
		j->verdict = NULL;
		if (kept != NULL) {
			*kept = j->msg; /* the scan thread is done with it */
			j->msg = NULL;
		}
	}
	whorl_job_put(job);
	return rc;
}

unsigned wm_scan_drain(uint32_t ms)
{
	for (uint32_t waited = 0; atomic_load(&wm_scans_running) > 0 && waited < ms; waited += 10)
		usleep(10000);
	return atomic_load(&wm_scans_running);
}
