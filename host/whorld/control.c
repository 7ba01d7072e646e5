/*
 * control.c - whorld's control socket (whorlctl talks to it), served by
 * one thread: VERSION, STATUS, STATS, RELOAD, UPDATE-NOW, SWAP PATH,
 * REPORT CLASS REPORTER PATH (libwhorl's whorl_feedback_ctl_report()).
 * The wire form and access rules are libwhorl's (whorl_ctl_*, in
 * whorl_daemon.h); this file is what each command does. A swap takes the
 * API lock for writing, so /metrics and /stats never call into a
 * cartridge being unloaded; scans need no lock (libwhorl drains them).
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

#define CONTROL_TIMEOUT_MS 5000

static void control_version(struct whorld *d, struct obuf *o)
{
	struct whorl_host_info info = { .size = sizeof(info) };

	whorl_host_info(d->host, &info);
	obuf_printf(o, "OK\nCmaeVersion = \"%s\"\nCmaeCartridgeVersion = \"%s\"\n", WHORL_VERSION,
	            info.cartridge_version);
	obuf_printf(o,
	            "whorld = \"%s\"\ncartridge = \"%s\"\ncartridge path = \"%s\"\n"
	            "cartridge hash = \"%s\"\n",
	            WHORL_VERSION, info.cartridge_version, info.cartridge_path,
	            info.cartridge_hash);
}

/* The cartridge's snapshot lines whose key starts with one of these. */
static const char *const control_status_keys[] = { "mu ", "known fingerprints", "snapshot" };

static void control_status(struct whorld *d, struct obuf *o)
{
	char *text = NULL, *line, *save = NULL;

	control_version(d, o);
	obuf_printf(o,
	            "uptime seconds = %llu\nrequests spamd = %lu\nrequests http = %lu\n"
	            "scanned = %lu\nqueue depth = %u\nconnections = %u\nswaps = %lu\n",
	            (unsigned long long)((whorld_now_ms() - d->t_start_ms) / 1000),
	            atomic_load(&d->counters->requests), atomic_load(&d->counters->http_requests),
	            atomic_load(&d->counters->scanned), work_in_flight(d), atomic_load(&d->n_conns),
	            atomic_load(&d->counters->swaps));
	if (whorl_host_stats_text(d->host, &text) == 0) {
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			for (size_t k = 0; k < sizeof(control_status_keys) / sizeof(char *); k++)
				if (strncmp(line, control_status_keys[k],
				            strlen(control_status_keys[k])) == 0)
					obuf_printf(o, "%s\n", line);
		free(text);
	}
}

static void control_stats(struct whorld *d, struct obuf *o)
{
	char *text = NULL;

	if (whorl_host_stats_text(d->host, &text) == 0) {
		obuf_printf(o, "OK\n%s", text);
		free(text);
	} else {
		obuf_printf(o, "ERR the cartridge gave no statistics\n");
	}
}

static void control_swap(struct whorld *d, const char *path, struct obuf *o)
{
	char err[1024];
	int rc;

	if (path[0] != '/') {
		obuf_printf(o, "ERR SWAP needs an absolute path\n");
		return;
	}
	rc = whorl_host_swap(d->host, path, err, sizeof(err));
	if (rc != 0) {
		whorl_dlog_write(WHORL_LOG_ERROR, "CONTROL", "swap to %s refused: %s", path, err);
		obuf_printf(o, "ERR %s\n", err);
		return;
	}
	if (d->worker_id == 0) /* with workers the master counts a swap once */
		atomic_fetch_add(&d->counters->swaps, 1);
	whorl_dlog_write(WHORL_LOG_INFO, "CONTROL", "swapped to %s", path);
	control_version(d, o);
}

static void control_report(struct whorld *d, const char *args, struct obuf *o)
{
	const struct whorl_dcfg *cfg = whorld_cfg(d);
	char reply[WHORL_CTL_LINE_MAX + 256];
	const char *text;
	int rc;

	rc =
	    whorl_feedback_ctl_report(d->host, cfg->feedback_spool, (unsigned)cfg->feedback_content,
	                              cfg->max_message_size, args, reply, sizeof(reply));
	if (rc == 0)
		atomic_fetch_add(&d->counters->tells, 1);
	text = rc == 0 ? strchr(reply, '\n') + 1 : reply; /* "OK\n" comes first */
	whorl_dlog_write(rc == 0 ? WHORL_LOG_INFO : WHORL_LOG_WARN, "CONTROL", "report: %.*s",
	                 (int)strcspn(text, "\n"), text);
	obuf_printf(o, "%s", reply);
}

void control_dispatch(struct whorld *d, const char *line, struct obuf *o)
{
	int rc;

	if (strcmp(line, "VERSION") == 0) {
		control_version(d, o);
	} else if (strcmp(line, "STATUS") == 0) {
		control_status(d, o);
	} else if (strcmp(line, "STATS") == 0) {
		control_stats(d, o);
	} else if (strcmp(line, "RELOAD") == 0) {
		rc = whorld_reload(d);
		obuf_printf(o, rc == 0 ? "OK\n" : "ERR reload refused; see the log\n");
	} else if (strcmp(line, "UPDATE-NOW") == 0) {
		rc = whorl_host_update_now(d->host);
		obuf_printf(o, rc == 0 ? "OK\n" : "ERR %s\n", whorl_strerror(rc));
	} else if (strncmp(line, "SWAP ", 5) == 0) {
		control_swap(d, line + 5, o);
	} else if (strncmp(line, "REPORT ", 7) == 0) {
		control_report(d, line + 7, o);
	} else {
		obuf_printf(o, "ERR unknown command\n");
	}
}

static void *control_thread(void *arg)
{
	struct whorld *d = arg;
	char line[WHORL_CTL_LINE_MAX], why[128];
	struct obuf o = { 0 };
	int fd;

	while ((fd = accept4(d->ctl_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0 || errno == EINTR ||
	       errno == ECONNABORTED) {
		if (fd < 0)
			continue;
		obuf_reset(&o);
		if (whorl_ctl_read_request(fd, line, sizeof(line), CONTROL_TIMEOUT_MS, why,
		                           sizeof(why)) != 0)
			obuf_printf(&o, "ERR %s\n", why);
		else if (d->host == NULL) /* the master of workers */
			master_control(d, line, &o);
		else
			control_dispatch(d, line, &o);
		work_send(fd, o.p != NULL ? o.p : "", o.len, 1, CONTROL_TIMEOUT_MS);
		close(fd);
	}
	obuf_free(&o);
	return NULL;
}

/* A worker: answers the master's commands, one SOCK_SEQPACKET message
 * each way. When the master goes away the worker drains and stops. */
static void *control_channel_thread(void *arg)
{
	struct whorld *d = arg;
	char line[WHORL_CTL_LINE_MAX];
	struct obuf o = { 0 };
	ssize_t n;

	while ((n = recv(d->chan_fd, line, sizeof(line) - 1, 0)) > 0 || (n < 0 && errno == EINTR)) {
		if (n < 0)
			continue;
		line[n] = '\0';
		obuf_reset(&o);
		control_dispatch(d, line, &o);
		if (send(d->chan_fd, o.p, o.len, MSG_NOSIGNAL) < 0 && errno == EMSGSIZE)
			send(d->chan_fd, "ERR answer too long\n", 20, MSG_NOSIGNAL);
	}
	obuf_free(&o);
	if (!atomic_load(&d->chan_stopping))
		kill(getpid(), SIGTERM);
	return NULL;
}

int control_channel_start(struct whorld *d)
{
	if (send(d->chan_fd, "READY\n", 6, MSG_NOSIGNAL) != 6 ||
	    pthread_create(&d->ctl_thread, NULL, control_channel_thread, d) != 0) {
		whorl_dlog_write(WHORL_LOG_ERROR, "CONTROL", "master channel: %s", strerror(errno));
		return -1;
	}
	d->chan_thread = 1;
	return 0;
}

int control_start(struct whorld *d, const char *path)
{
	d->ctl_fd = -1;
	if (path[0] == '\0')
		return 0;
	d->ctl_fd = whorl_ctl_listen(path);
	if (d->ctl_fd < 0) {
		whorl_dlog_write(WHORL_LOG_ERROR, "CONTROL", "control socket %s: %s", path,
		                 strerror(errno));
		return -1;
	}
	snprintf(d->ctl_path, sizeof(d->ctl_path), "%s", path);
	if (pthread_create(&d->ctl_thread, NULL, control_thread, d) != 0) {
		close(d->ctl_fd);
		d->ctl_fd = -1;
		return -1;
	}
	whorl_dlog_write(WHORL_LOG_INFO, "CONTROL", "control socket %s", path);
	return 0;
}

void control_stop(struct whorld *d)
{
	if (d->chan_thread) {
		atomic_store(&d->chan_stopping, 1);
		shutdown(d->chan_fd, SHUT_RDWR); /* wakes recv() */
		pthread_join(d->ctl_thread, NULL);
		d->chan_thread = 0;
	}
	if (d->ctl_fd < 0)
		return;
	shutdown(d->ctl_fd, SHUT_RDWR); /* wakes accept() */
	pthread_join(d->ctl_thread, NULL);
	close(d->ctl_fd);
	unlink(d->ctl_path);
	d->ctl_fd = -1;
}
