/*
 * listen.c - whorld's listening sockets: TCP (127.0.0.1 by default) and
 * unix sockets with the configured mode, owner and group, or the sockets
 * systemd passes (socket activation: LISTEN_PID and LISTEN_FDS, the fds
 * from 3 on; the sd_listen_fds() protocol, read here without libsystemd).
 * A stale unix socket (nothing accepts on it) is replaced; a live one is
 * left alone and whorld refuses to start.
 * Not for: accepting (loop.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "whorld.h"

#define LISTEN_SD_FIRST_FD 3

static int listen_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 ||
	               fcntl(fd, F_SETFD, FD_CLOEXEC) != 0
	           ? -1
	           : 0;
}

/* Takes systemd's sockets when they are meant for this process. Returns
 * the number adopted (0 when not socket-activated), -1 on error. */
/* Marks which of systemd's sockets are HTTP: FileDescriptorName=http in
 * whorld.socket (LISTEN_FDNAMES, colon separated); the others are spamd. */
static void listen_fd_names(const char *names, int *is_http, long n)
{
	long i = 0;

	for (long k = 0; k < WHORLD_MAX_LISTENERS; k++)
		is_http[k] = 0;
	while (names != NULL && *names != '\0' && i < n && i < WHORLD_MAX_LISTENERS) {
		size_t len = strcspn(names, ":");
		is_http[i++] = len == 4 && strncmp(names, "http", 4) == 0;
		names += len + (names[len] == ':');
	}
}

static int listen_from_systemd(struct whorld *d)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int names[WHORLD_MAX_LISTENERS];
	long n;

	if (pid == NULL || fds == NULL || strtol(pid, NULL, 10) != (long)getpid())
		return 0;
	n = strtol(fds, NULL, 10);
	listen_fd_names(getenv("LISTEN_FDNAMES"), names, n);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (n <= 0 || n > WHORLD_MAX_LISTENERS) {
		whorl_dlog_write(WHORL_LOG_ERROR, "LISTEN",
		                 "LISTEN_FDS=%ld: expected 1 to %d sockets", n,
		                 WHORLD_MAX_LISTENERS);
		return -1;
	}
	for (long i = 0; i < n; i++) {
		struct whorld_listener *l = names[i] ? &d->http_listeners[d->n_http_listeners++]
		                                     : &d->listeners[d->n_listeners++];
		l->fd = LISTEN_SD_FIRST_FD + (int)i;
		snprintf(l->name, sizeof(l->name), "systemd socket %ld%s", i,
		         names[i] ? " (http)" : "");
		if (listen_nonblock(l->fd) != 0) {
			whorl_dlog_write(WHORL_LOG_ERROR, "LISTEN", "%s: %s", l->name,
			                 strerror(errno));
			return -1;
		}
		whorl_dlog_write(WHORL_LOG_INFO, "LISTEN", "listening on %s (socket activation)",
		                 l->name);
	}
	return (int)n;
}

static int listen_tcp(struct whorld_listener *l, const struct whorl_dcfg_listen *a)
{
	struct addrinfo hints, *res = NULL;
	char port[16];
	int one = 1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", a->port);
	snprintf(l->name, sizeof(l->name), strchr(a->addr, ':') ? "[%s]:%u" : "%s:%u", a->addr,
	         a->port);
	rc = getaddrinfo(a->addr, port, &hints, &res);
	if (rc != 0) {
		whorl_dlog_write(WHORL_LOG_ERROR, "LISTEN", "%s: %s", l->name, gai_strerror(rc));
		return -1;
	}
	l->fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (l->fd < 0 || setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(l->fd, res->ai_addr, res->ai_addrlen) != 0 || listen(l->fd, WHORLD_BACKLOG) != 0) {
		whorl_dlog_write(WHORL_LOG_ERROR, "LISTEN", "%s: %s", l->name, strerror(errno));
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	return 0;
}

/* 1 when something accepts connections on the unix socket at path. */
static int listen_unix_live(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), live;

	if (fd < 0)
		return 0;
	live = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return live;
}

static int listen_unix_owner(const char *path, const struct whorl_dcfg *c)
{
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;

	if (c->unix_socket_owner[0] != '\0') {
		struct passwd *pw = getpwnam(c->unix_socket_owner);
		if (pw == NULL) {
			whorl_dlog_write(WHORL_LOG_ERROR, "LISTEN",
			                 "unix socket owner %s: no such user",
			                 c->unix_socket_owner);
			return -1;
		}
		uid = pw->pw_uid;
	}
	if (c->unix_socket_group[0] != '\0') {
		struct group *gr = getgrnam(c->unix_socket_group);
		if (gr == NULL) {
			whorl_dlog_write(WHORL_LOG_ERROR, "LISTEN",
			                 "unix socket group %s: no such group",
			                 c->unix_socket_group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(path, uid, gid) != 0) {
		whorl_dlog_write(WHORL_LOG_ERROR, "LISTEN", "chown %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int listen_unix(struct whorld_listener *l, const struct whorl_dcfg_listen *a,
                       const struct whorl_dcfg *c)
{
	struct sockaddr_un sa;
	struct stat st;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", a->addr);
	snprintf(l->name, sizeof(l->name), "%s", a->addr);
	l->is_unix = 1;
	if (lstat(a->addr, &st) == 0) {
		if (!S_ISSOCK(st.st_mode) || listen_unix_live(&sa)) {
			whorl_dlog_write(WHORL_LOG_ERROR, "LISTEN", "%s: %s", a->addr,
			                 S_ISSOCK(st.st_mode) ? "another process listens on it"
			                                      : "exists and is not a socket");
			return -1;
		}
		unlink(a->addr);
	}
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (l->fd < 0 || bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		whorl_dlog_write(WHORL_LOG_ERROR, "LISTEN", "%s: %s", a->addr, strerror(errno));
		return -1;
	}
	l->created = 1;
	if (chmod(a->addr, c->unix_socket_mode) != 0 || listen_unix_owner(a->addr, c) != 0 ||
	    listen(l->fd, WHORLD_BACKLOG) != 0) {
		whorl_dlog_write(WHORL_LOG_ERROR, "LISTEN", "%s: %s", a->addr, strerror(errno));
		return -1;
	}
	return 0;
}

static int listen_list(struct whorld_listener *ls, size_t *n_out,
                       const struct whorl_dcfg_listens *addrs, const struct whorl_dcfg *c,
                       const char *what)
{
	for (size_t i = 0; i < addrs->n; i++) {
		struct whorld_listener *l = &ls[(*n_out)++];
		const struct whorl_dcfg_listen *a = &addrs->a[i];
		l->fd = -1;
		if ((a->is_unix ? listen_unix(l, a, c) : listen_tcp(l, a)) != 0)
			return -1;
		whorl_dlog_write(WHORL_LOG_INFO, "LISTEN", "listening on %s (%s)", l->name, what);
	}
	return 0;
}

int listen_open(struct whorld *d, const struct whorl_dcfg *c)
{
	int n = listen_from_systemd(d);

	if (n != 0)
		return n < 0 ? -1 : 0;
	if (listen_list(d->listeners, &d->n_listeners, &c->spamd_listen, c, "spamd") != 0)
		return -1;
	return listen_list(d->http_listeners, &d->n_http_listeners, &c->http_listen, c, "http");
}

static void listen_close_list(struct whorld_listener *ls, size_t *n)
{
	for (size_t i = 0; i < *n; i++) {
		struct whorld_listener *l = &ls[i];
		if (l->fd >= 0)
			close(l->fd);
		if (l->created)
			unlink(l->name);
		l->fd = -1;
	}
	*n = 0;
}

void listen_close(struct whorld *d)
{
	listen_close_list(d->listeners, &d->n_listeners);
}

void listen_close_http(struct whorld *d)
{
	listen_close_list(d->http_listeners, &d->n_http_listeners);
}
