/*
 * ctl.c - the control socket both ends speak (whorld serves, whorlctl
 * asks; whorl-milter will serve it too): a unix socket, one request line
 * per connection, a reply whose first line is "OK" or "ERR <why>".
 * Access: the socket is created mode 0600, and the server refuses a peer
 * whose uid (SO_PEERCRED) is neither 0 nor its own. Lines are bounded
 * (WHORL_CTL_LINE_MAX), replies read by the client too
 * (WHORL_CTL_REPLY_MAX), and both ends use a timeout.
 * Not for: what the commands do (the daemon).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "whorl_daemon.h"

static int ctl_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

int whorl_ctl_listen(const char *path)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd, probe;

	if (ctl_addr(path, &sa) != 0)
		return -1;
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(probe);
		errno = EADDRINUSE; /* another daemon answers on it */
		return -1;
	}
	if (probe >= 0)
		close(probe);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	old = umask(0177); /* born 0600: no window where others may connect */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 16) != 0) {
		int e = errno;
		umask(old);
		close(fd);
		errno = e;
		return -1;
	}
	umask(old);
	return fd;
}

/* Waits for fd to be readable (or writable); 0, or -1 on timeout. */
static int ctl_wait(int fd, short events, int timeout_ms)
{
	struct pollfd p = { fd, events, 0 };

	return poll(&p, 1, timeout_ms) == 1 ? 0 : -1;
}

int whorl_ctl_read_request(int fd, char *line, size_t len, int timeout_ms, char *why,
                           size_t why_len)
{
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	size_t n = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) != 0 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		snprintf(why, why_len, "permission denied");
		return -1;
	}
	while (n + 1 < len) {
		ssize_t r;
		if (ctl_wait(fd, POLLIN, timeout_ms) != 0) {
			snprintf(why, why_len, "timeout reading the request");
			return -1;
		}
		r = read(fd, line + n, len - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(line, '\n', n) != NULL)
			break;
	}
	line[n] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (n + 1 >= len || line[0] == '\0') {
		snprintf(why, why_len, n + 1 >= len ? "request line too long" : "empty request");
		return -1;
	}
	return 0;
}

static int ctl_read_reply(int fd, int timeout_ms, char **reply_out)
{
	size_t n = 0, cap = 4096;
	char *buf = malloc(cap), *p;

	if (buf == NULL)
		return -1;
	for (;;) {
		ssize_t r;
		if (ctl_wait(fd, POLLIN, timeout_ms) != 0) {
			free(buf);
			errno = ETIMEDOUT;
			return -1;
		}
		if (n + 1 == cap) {
			if (cap >= WHORL_CTL_REPLY_MAX || (p = realloc(buf, cap * 2)) == NULL) {
				free(buf);
				errno = EMSGSIZE;
				return -1;
			}
			buf = p, cap *= 2;
		}
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*reply_out = buf;
	return 0;
}

int whorl_ctl_request(const char *path, const char *line, int timeout_ms, char **reply_out)
{
	struct sockaddr_un sa;
	int fd, rc;

	if (ctl_addr(path, &sa) != 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    write(fd, line, strlen(line)) != (ssize_t)strlen(line) || write(fd, "\n", 1) != 1) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	shutdown(fd, SHUT_WR);
	rc = ctl_read_reply(fd, timeout_ms, reply_out);
	close(fd);
	return rc;
}
