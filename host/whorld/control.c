/*
 * control.c - whorld's part of the control socket (whorlctl talks to it):
 * its STATUS lines, RELOAD, REPORT CLASS REPORTER PATH (libwhorl's
 * whorl_feedback_ctl_report()), the master forwarding every line to its
 * workers, and a worker's channel to the master. The socket, its thread
 * and VERSION, STATS, SWAP and UPDATE-NOW are libwhorl's
 * (whorl_ctl_serve_*, whorl_ctl_answer), shared with whorl-milter.
 * Scans need no lock around a swap (libwhorl drains them).
 * Not for: the protocols clients scan with (loop.c, http.c).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "whorld.h"

static void control_status(void *ctx, struct whorl_ctl_reply *r)
{
	struct whorld *d = ctx;

	whorl_ctl_printf(r,
	                 "uptime seconds = %llu\nrequests spamd = %lu\nrequests http = %lu\n"
	                 "scanned = %lu\nqueue depth = %u\nconnections = %u\nswaps = %lu\n",
	                 (unsigned long long)((whorld_now_ms() - d->t_start_ms) / 1000),
	                 atomic_load(&d->counters->requests),
	                 atomic_load(&d->counters->http_requests),
	                 atomic_load(&d->counters->scanned), work_in_flight(d),
	                 atomic_load(&d->n_conns), atomic_load(&d->counters->swaps));
}

static void control_swapped(void *ctx)
{
	struct whorld *d = ctx;

	if (d->worker_id == 0) /* with workers the master counts a swap once */
		atomic_fetch_add(&d->counters->swaps, 1);
}

static int control_reload(void *ctx)
{
	return whorld_reload(ctx);
}

static void control_report(struct whorld *d, const char *args, struct whorl_ctl_reply *r)
{
	const struct whorl_dcfg *cfg = whorld_cfg(d);
	char reply[WHORL_CTL_LINE_MAX + 256];

	if (whorl_feedback_ctl_report(d->host, cfg->feedback_spool, (unsigned)cfg->feedback_content,
	                              cfg->max_message_size, args, reply, sizeof(reply)) == 0)
		atomic_fetch_add(&d->counters->tells, 1);
	whorl_ctl_printf(r, "%s", reply);
}

static int control_command(void *ctx, const char *line, struct whorl_ctl_reply *r)
{
	if (strncmp(line, "REPORT ", 7) != 0)
		return 0;
	control_report(ctx, line + 7, r);
	return 1;
}

/* The master of workers has no host: each line goes to the workers. */
static void control_forward(void *ctx, const char *line, struct whorl_ctl_reply *r)
{
	struct obuf o = { 0 };

	master_control(ctx, line, &o);
	whorl_ctl_reply_add(r, o.p, o.len);
	obuf_free(&o);
}

static void control_ops(struct whorld *d, struct whorl_ctl_ops *ops)
{
	memset(ops, 0, sizeof(*ops));
	ops->daemon_name = WHORLD_NAME;
	ops->host = d->host;
	ops->ctx = d;
	ops->reload = control_reload;
	ops->status = control_status;
	ops->swapped = control_swapped;
	ops->command = control_command;
	if (d->host == NULL)
		ops->forward = control_forward;
}

/* A worker: answers the master's commands, one SOCK_SEQPACKET message
 * each way. When the master goes away the worker drains and stops. */
static void *control_channel_thread(void *arg)
{
	struct whorld *d = arg;
	char line[WHORL_CTL_LINE_MAX];
	struct whorl_ctl_reply r = { 0 };
	struct whorl_ctl_ops ops;
	ssize_t n;

	control_ops(d, &ops);
	while ((n = recv(d->chan_fd, line, sizeof(line) - 1, 0)) > 0 || (n < 0 && errno == EINTR)) {
		if (n < 0)
			continue;
		line[n] = '\0';
		r.len = 0;
		r.failed = 0;
		whorl_ctl_answer(&ops, line, &r);
		if (r.failed)
			send(d->chan_fd, "ERR out of memory for the reply\n", 32, MSG_NOSIGNAL);
		else if (send(d->chan_fd, r.p, r.len, MSG_NOSIGNAL) < 0 && errno == EMSGSIZE)
			send(d->chan_fd, "ERR answer too long\n", 20, MSG_NOSIGNAL);
	}
	free(r.p);
	if (!atomic_load(&d->chan_stopping))
		kill(getpid(), SIGTERM);
	return NULL;
}

int control_channel_start(struct whorld *d)
{
	if (send(d->chan_fd, "READY\n", 6, MSG_NOSIGNAL) != 6 ||
	    pthread_create(&d->chan_tid, NULL, control_channel_thread, d) != 0) {
		whorl_dlog_write(WHORL_LOG_ERROR, "CONTROL", "master channel: %s", strerror(errno));
		return -1;
	}
	d->chan_thread = 1;
	return 0;
}

int control_start(struct whorld *d, const char *path)
{
	struct whorl_ctl_ops ops;

	control_ops(d, &ops);
	return whorl_ctl_serve_start(path, &ops, &d->ctl);
}

void control_stop(struct whorld *d)
{
	if (d->chan_thread) {
		atomic_store(&d->chan_stopping, 1);
		shutdown(d->chan_fd, SHUT_RDWR); /* wakes recv() */
		pthread_join(d->chan_tid, NULL);
		d->chan_thread = 0;
	}
	whorl_ctl_serve_stop(d->ctl);
	d->ctl = NULL;
}
