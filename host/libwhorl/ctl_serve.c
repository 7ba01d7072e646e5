/*
 * ctl_serve.c - the server side of the control socket, one thread, for
 * every daemon that hosts a cartridge (whorld, whorl-milter): accepts,
 * reads the request line (ctl.c), answers VERSION, STATUS, STATS,
 * UPDATE-NOW and SWAP PATH on the daemon's whorl_host (whorl_ctl_answer,
 * also called by whorld's workers on their channel), and hands RELOAD,
 * the daemon's own STATUS lines and any other command to the daemon's
 * callbacks (struct whorl_ctl_ops). The wire form is in ctl.c.
 * Not for: what a reload re-reads (the daemon's own configuration).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "whorl_daemon.h"

#define CTL_SERVE_TIMEOUT_MS 5000

struct whorl_ctl_server {
	struct whorl_ctl_ops ops;
	int fd;
	char path[WHORL_DCFG_PATH_MAX];
	pthread_t thread;
};

void whorl_ctl_printf(struct whorl_ctl_reply *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = r->cap - r->len;
		char *p;

		va_start(ap, fmt);
		n = r->p != NULL ? vsnprintf(r->p + r->len, room, fmt, ap) : -1;
		va_end(ap);
		if (n >= 0 && (size_t)n < room) {
			r->len += (size_t)n;
			return;
		}
		if (r->failed || r->cap >= WHORL_CTL_REPLY_MAX ||
		    (p = realloc(r->p, r->cap ? r->cap * 2 : 4096)) == NULL) {
			r->failed = 1;
			return;
		}
		r->p = p;
		r->cap = r->cap ? r->cap * 2 : 4096;
	}
}

void whorl_ctl_reply_add(struct whorl_ctl_reply *r, const char *p, size_t n)
{
	if (n > 0)
		whorl_ctl_printf(r, "%.*s",
		                 (int)(n < WHORL_CTL_REPLY_MAX ? n : WHORL_CTL_REPLY_MAX), p);
}

static void ctl_version(const struct whorl_ctl_ops *ops, struct whorl_ctl_reply *r)
{
	struct whorl_host_info info = { .size = sizeof(info) };

	whorl_host_info(ops->host, &info);
	whorl_ctl_printf(r, "OK\nCmaeVersion = \"%s\"\nCmaeCartridgeVersion = \"%s\"\n",
	                 WHORL_VERSION, info.cartridge_version);
	whorl_ctl_printf(r,
	                 "%s = \"%s\"\ncartridge = \"%s\"\ncartridge path = \"%s\"\n"
	                 "cartridge hash = \"%s\"\n",
	                 ops->daemon_name, WHORL_VERSION, info.cartridge_version,
	                 info.cartridge_path, info.cartridge_hash);
}

/* The cartridge's snapshot lines whose key starts with one of these. */
static const char *const ctl_status_keys[] = { "mu ", "known fingerprints", "snapshot" };

static void ctl_status(const struct whorl_ctl_ops *ops, struct whorl_ctl_reply *r)
{
	char *text = NULL, *line, *save = NULL;

	ctl_version(ops, r);
	if (ops->status != NULL)
		ops->status(ops->ctx, r);
	if (whorl_host_stats_text(ops->host, &text) != 0)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		for (size_t k = 0; k < sizeof(ctl_status_keys) / sizeof(char *); k++)
			if (strncmp(line, ctl_status_keys[k], strlen(ctl_status_keys[k])) == 0)
				whorl_ctl_printf(r, "%s\n", line);
	free(text);
}

static void ctl_stats(const struct whorl_ctl_ops *ops, struct whorl_ctl_reply *r)
{
	char *text = NULL;

	if (whorl_host_stats_text(ops->host, &text) == 0) {
		whorl_ctl_printf(r, "OK\n%s", text);
		free(text);
	} else {
		whorl_ctl_printf(r, "ERR the cartridge gave no statistics\n");
	}
}

static void ctl_swap(const struct whorl_ctl_ops *ops, const char *path, struct whorl_ctl_reply *r)
{
	char err[1024];

	if (path[0] != '/') {
		whorl_ctl_printf(r, "ERR SWAP needs an absolute path\n");
		return;
	}
	if (whorl_host_swap(ops->host, path, err, sizeof(err)) != 0) {
		whorl_dlog_write(WHORL_LOG_ERROR, "CONTROL", "swap to %s refused: %s", path, err);
		whorl_ctl_printf(r, "ERR %s\n", err);
		return;
	}
	if (ops->swapped != NULL)
		ops->swapped(ops->ctx);
	whorl_dlog_write(WHORL_LOG_INFO, "CONTROL", "swapped to %s", path);
	ctl_version(ops, r);
}

void whorl_ctl_answer(const struct whorl_ctl_ops *ops, const char *line, struct whorl_ctl_reply *r)
{
	int rc;

	if (strcmp(line, "VERSION") == 0) {
		ctl_version(ops, r);
	} else if (strcmp(line, "STATUS") == 0) {
		ctl_status(ops, r);
	} else if (strcmp(line, "STATS") == 0) {
		ctl_stats(ops, r);
	} else if (strcmp(line, "RELOAD") == 0) {
		rc = ops->reload != NULL ? ops->reload(ops->ctx) : -1;
		whorl_ctl_printf(r, rc == 0 ? "OK\n" : "ERR reload refused; see the log\n");
	} else if (strcmp(line, "UPDATE-NOW") == 0) {
		rc = whorl_host_update_now(ops->host);
		whorl_ctl_printf(r, rc == 0 ? "OK\n" : "ERR %s\n", whorl_strerror(rc));
	} else if (strncmp(line, "SWAP ", 5) == 0) {
		ctl_swap(ops, line + 5, r);
	} else if (ops->command == NULL || ops->command(ops->ctx, line, r) == 0) {
		whorl_ctl_printf(r, "ERR unknown command\n");
	}
}

/* Writes the whole reply within the timeout (the peer may be slow). */
static void ctl_send(int fd, const char *p, size_t len)
{
	while (len > 0) {
		struct pollfd pf = { fd, POLLOUT, 0 };
		ssize_t w;

		if (poll(&pf, 1, CTL_SERVE_TIMEOUT_MS) != 1)
			return;
		w = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w <= 0)
			return;
		p += w, len -= (size_t)w;
	}
}

static void *ctl_thread(void *arg)
{
	struct whorl_ctl_server *s = arg;
	char line[WHORL_CTL_LINE_MAX], why[128];
	struct whorl_ctl_reply r = { 0 };
	int fd;

	while ((fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC)) >= 0 || errno == EINTR ||
	       errno == ECONNABORTED) {
		if (fd < 0)
			continue;
		r.len = 0;
		r.failed = 0;
		if (whorl_ctl_read_request(fd, line, sizeof(line), CTL_SERVE_TIMEOUT_MS, why,
		                           sizeof(why)) != 0)
			whorl_ctl_printf(&r, "ERR %s\n", why);
		else if (s->ops.forward != NULL)
			s->ops.forward(s->ops.ctx, line, &r);
		else
			whorl_ctl_answer(&s->ops, line, &r);
		if (r.failed) {
			r.len = 0;
			r.failed = 0;
			whorl_ctl_printf(&r, "ERR out of memory for the reply\n");
		}
		ctl_send(fd, r.p != NULL ? r.p : "", r.len);
		close(fd);
	}
	free(r.p);
	return NULL;
}

int whorl_ctl_serve_start(const char *path, const struct whorl_ctl_ops *ops,
                          struct whorl_ctl_server **out)
{
	struct whorl_ctl_server *s;

	*out = NULL;
	if (path[0] == '\0')
		return 0;
	if (strlen(path) >= WHORL_DCFG_PATH_MAX || (s = calloc(1, sizeof(*s))) == NULL) {
		whorl_dlog_write(WHORL_LOG_ERROR, "CONTROL", "control socket %s: %s", path,
		                 strlen(path) >= WHORL_DCFG_PATH_MAX ? "path too long"
		                                                     : "out of memory");
		return -1;
	}
	s->ops = *ops;
	s->fd = whorl_ctl_listen(path);
	if (s->fd < 0) {
		whorl_dlog_write(WHORL_LOG_ERROR, "CONTROL", "control socket %s: %s", path,
		                 strerror(errno));
		free(s);
		return -1;
	}
	memcpy(s->path, path, strlen(path) + 1);
	if (pthread_create(&s->thread, NULL, ctl_thread, s) != 0) {
		whorl_dlog_write(WHORL_LOG_ERROR, "CONTROL", "control socket %s: no thread", path);
		close(s->fd);
		unlink(s->path);
		free(s);
		return -1;
	}
	whorl_dlog_write(WHORL_LOG_INFO, "CONTROL", "control socket %s", path);
	*out = s;
	return 0;
}

void whorl_ctl_serve_forget(struct whorl_ctl_server *s)
{
	if (s == NULL)
		return;
	close(s->fd);
	free(s);
}

void whorl_ctl_serve_stop(struct whorl_ctl_server *s)
{
	if (s == NULL)
		return;
	shutdown(s->fd, SHUT_RDWR); /* wakes accept() */
	pthread_join(s->thread, NULL);
	close(s->fd);
	unlink(s->path);
	free(s);
}
