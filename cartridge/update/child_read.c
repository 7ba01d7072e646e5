/*
 * child_read.c - child_read_run() (child_read.h): one file read in a child
 * process, the bytes sent back over a pipe, the child SIGKILLed when the
 * caller stops waiting.
 *
 * The pipe carries records of an 8-byte head (kind, length) and a body:
 * 'D' records hold 1 to CHILD_READ_PIECE bytes of the file, one 'E' record
 * ends the stream with the child's result (a WHORL_E* code, why, and the
 * number of bytes it sent). The caller accepts a result only from a whole
 * 'E' record whose count matches the bytes that arrived; end of file on the
 * pipe before it, or anything malformed, is CHILD_WHY_LOST. The child's
 * exit status is never looked at.
 *
 * The child runs only async-signal-safe calls (the parent was threaded when
 * it forked): close, close_range, open, fstat (util/file_open_regular),
 * read, write, _exit; its buffer is allocated before the fork. Every signal
 * is blocked across fork(), so the child never runs a handler of the
 * host's; SIGKILL cannot be blocked. It keeps no descriptor but the pipe,
 * so a child stuck in the kernel holds none of the host's (its stdout, a
 * log pipe, client sockets).
 *
 * Reads are buffered, not O_DIRECT: a buffered read waits for a page
 * (killable) while the filesystem serves readahead asynchronously, where a
 * direct read on FUSE waits for a request the server already took, which
 * not even SIGKILL interrupts.
 *
 * The child is identified by a pidfd where the kernel has one (Linux 5.3,
 * waitid(P_PIDFD) 5.4), so signalling and reaping never reach another
 * process that reused the pid after a host reaped ours; without one, by pid,
 * checked with waitid(WNOWAIT) before kill() (a race of microseconds with a
 * host that reaps every child itself).
 *
 * Not for: what is read or what a failure means (dir_read.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../abi/whorl_cartridge.h"
#include "../util/file_read.h"
#include "child_read.h"

#define REC_HEAD 8u     /* uint32 kind, uint32 length */
#define REC_DATA 0x44u  /* 'D' */
#define REC_END 0x45u   /* 'E' */
#define REAP_SLEEP_MS 1 /* first pause between two looks at a dying child */
#define REAP_SLEEP_MAX_MS 20

struct rec_end {
	int32_t rc;  /* 0, WHORL_EIO or WHORL_ELIMIT */
	int32_t why; /* errno or FILE_WHY_* */
	uint64_t bytes;
};

int64_t child_read_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the child: async-signal-safe calls only ---- */

static int child_write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static void rec_head_put(uint8_t *head, uint32_t kind, uint32_t len)
{
	memcpy(head, &kind, 4);
	memcpy(head + 4, &len, 4);
}

static _Noreturn void child_end(int out, int rc, int why, uint64_t bytes)
{
	uint8_t rec[REC_HEAD + sizeof(struct rec_end)];
	struct rec_end end = { .rc = rc, .why = why, .bytes = bytes };

	rec_head_put(rec, REC_END, (uint32_t)sizeof end);
	memcpy(rec + REC_HEAD, &end, sizeof end);
	(void)child_write_all(out, rec, sizeof rec);
	_exit(0);
}

/* Closes every descriptor but the pipe (stdin, stdout and stderr too):
 * close_range before Linux 5.9 is ENOSYS, then only those three go. */
static void child_fds_keep(int out)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fd != out)
			close(fd);
	if (out > 3)
		(void)close_range(3, (unsigned)out - 1, 0);
	(void)close_range((unsigned)out + 1, ~0u, 0);
}

/* buf: REC_HEAD bytes for a record's head, then CHILD_READ_PIECE of data. */
static _Noreturn void child_main(const struct child_read *r, int out, uint8_t *buf)
{
	uint8_t *data = buf + REC_HEAD;
	struct stat st;
	uint64_t sent = 0;
	int in, why = 0;

	child_fds_keep(out);
	if ((in = file_open_regular(r->path, r->flags, &st, &why)) < 0)
		child_end(out, WHORL_EIO, why, 0);
	if ((uint64_t)st.st_size > r->max)
		child_end(out, WHORL_ELIMIT, EFBIG, 0);
	for (;;) {
		ssize_t n = read(in, data, CHILD_READ_PIECE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			child_end(out, WHORL_EIO, errno, sent);
		if (n == 0)
			child_end(out, 0, 0, sent);
		if ((uint64_t)n > r->max - sent)
			child_end(out, WHORL_ELIMIT, EFBIG, sent);
		rec_head_put(buf, REC_DATA, (uint32_t)n);
		if (child_write_all(out, buf, REC_HEAD + (size_t)n) != 0)
			_exit(1); /* the caller gave up: nobody reads */
		sent += (uint64_t)n;
	}
}

/* ---- the caller: the child's identity, signalling and reaping ---- */

struct child {
	pid_t pid;
	int pidfd; /* -1: none (old kernel), the pid is used */
};

/* 1 when the child has ended and is reaped (by us or by someone else). */
static int child_try_reap(const struct child *c)
{
	siginfo_t si;
	int rc;

	memset(&si, 0, sizeof si);
	do
		rc = c->pidfd >= 0 ? waitid(P_PIDFD, (id_t)c->pidfd, &si, WEXITED | WNOHANG)
		                   : waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG);
	while (rc < 0 && errno == EINTR);
	if (rc < 0 && errno == EINVAL && c->pidfd >= 0) /* pidfd without P_PIDFD (5.3) */
		rc = waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG);
	if (rc < 0)
		return 1; /* ECHILD: a host's waitpid(-1), or SIGCHLD ignored */
	return si.si_pid != 0;
}

static void child_kill(const struct child *c)
{
	siginfo_t si;

	if (c->pidfd >= 0 && pidfd_send_signal(c->pidfd, SIGKILL, NULL, 0) == 0)
		return;
	memset(&si, 0, sizeof si);
	/* Still ours and not yet ended: only then may its pid be signalled. */
	if (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == 0)
		kill(c->pid, SIGKILL);
}

/* Waits up to ms for the child to end; 1 when it is reaped. */
static int child_reap_within(const struct child *c, int64_t ms)
{
	int64_t until = child_read_now_ms() + ms;
	int pause = REAP_SLEEP_MS;

	while (!child_try_reap(c)) {
		if (child_read_now_ms() >= until)
			return 0;
		poll(NULL, 0, pause);
		pause = pause * 2 > REAP_SLEEP_MAX_MS ? REAP_SLEEP_MAX_MS : pause * 2;
	}
	return 1;
}

static void child_forget(struct child *c)
{
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->pidfd = -1;
}

/* Children that outlived SIGKILL by CHILD_READ_REAP_MS, for later calls. */
static pthread_mutex_t stuck_mu = PTHREAD_MUTEX_INITIALIZER;
static struct child stuck[CHILD_READ_MAX_STUCK];
static int n_stuck;

/* Reaps the kept children that ended since; 1 when the list is still full. */
static int stuck_full(void)
{
	int full;

	pthread_mutex_lock(&stuck_mu);
	for (int i = 0; i < n_stuck;)
		if (child_try_reap(&stuck[i])) {
			child_forget(&stuck[i]);
			stuck[i] = stuck[--n_stuck];
		} else {
			i++;
		}
	full = n_stuck >= CHILD_READ_MAX_STUCK;
	pthread_mutex_unlock(&stuck_mu);
	return full;
}

static void stuck_keep(struct child *c)
{
	pthread_mutex_lock(&stuck_mu);
	if (n_stuck < CHILD_READ_MAX_STUCK) {
		stuck[n_stuck++] = *c;
		c->pidfd = -1; /* the list owns it now */
	}
	pthread_mutex_unlock(&stuck_mu);
	child_forget(c);
}

/* The child ended its stream (ended) or is abandoned: it is killed when
 * abandoned or when it does not end on its own, and reaped within
 * CHILD_READ_REAP_MS of the kill, else kept for a later call. */
static void child_finish(struct child *c, int ended)
{
	if (!ended)
		child_kill(c);
	if (child_reap_within(c, CHILD_READ_REAP_MS)) {
		child_forget(c);
		return;
	}
	if (ended) {
		child_kill(c);
		if (child_reap_within(c, CHILD_READ_REAP_MS)) {
			child_forget(c);
			return;
		}
	}
	stuck_keep(c);
}

/* ---- the caller: the stream ---- */

struct stream {
	uint8_t head[REC_HEAD];
	size_t head_got;
	uint32_t data_left; /* bytes of the current 'D' record */
	int in_end;         /* reading the 'E' record's body */
	uint8_t end[sizeof(struct rec_end)];
	size_t end_got;
	int result; /* the child's, once the 'E' record is complete */
};

#define STREAM_ENDED 1

static int stream_lost(struct child_read *r)
{
	r->why = CHILD_WHY_LOST;
	return WHORL_EIO;
}

/* The 'E' record is complete: the child's result, if it adds up. */
static int stream_end(struct child_read *r, struct stream *s)
{
	struct rec_end end;

	memcpy(&end, s->end, sizeof end);
	if (end.bytes != r->bytes || (end.rc != 0 && end.rc != WHORL_EIO && end.rc != WHORL_ELIMIT))
		return stream_lost(r);
	r->why = end.why;
	s->result = end.rc;
	return STREAM_ENDED;
}

/* A complete record head: what follows it. */
static int stream_head(struct child_read *r, struct stream *s)
{
	uint32_t kind, len;

	memcpy(&kind, s->head, 4);
	memcpy(&len, s->head + 4, 4);
	s->head_got = 0;
	if (kind == REC_DATA && len >= 1 && len <= CHILD_READ_PIECE)
		s->data_left = len;
	else if (kind == REC_END && len == sizeof(struct rec_end))
		s->in_end = 1;
	else
		return stream_lost(r);
	return 0;
}

/* Bytes from the pipe: 0 to go on, STREAM_ENDED, or a WHORL_E*. */
static int stream_feed(struct child_read *r, struct stream *s, const uint8_t *p, size_t n)
{
	while (n > 0) {
		size_t k;
		int rc = 0;

		if (s->data_left > 0) {
			k = n < s->data_left ? n : s->data_left;
			if (k > r->max - r->bytes) {
				r->why = EFBIG;
				return WHORL_ELIMIT;
			}
			if ((rc = r->sink(r->ctx, p, k)) != 0)
				return rc;
			r->bytes += k;
			s->data_left -= (uint32_t)k;
		} else if (s->in_end) {
			k = n < sizeof s->end - s->end_got ? n : sizeof s->end - s->end_got;
			memcpy(s->end + s->end_got, p, k);
			if ((s->end_got += k) == sizeof s->end)
				return n > k ? stream_lost(r) : stream_end(r, s);
		} else {
			k = n < REC_HEAD - s->head_got ? n : REC_HEAD - s->head_got;
			memcpy(s->head + s->head_got, p, k);
			if ((s->head_got += k) == REC_HEAD)
				rc = stream_head(r, s);
			if (rc != 0)
				return rc;
		}
		p += k;
		n -= k;
	}
	return 0;
}

/* Reads the pipe until the 'E' record, the deadline or the cancel flag.
 * *ended is set when the 'E' record arrived. */
static int stream_receive(struct child_read *r, int fd, uint8_t *buf, size_t cap, int *ended)
{
	struct stream s;

	memset(&s, 0, sizeof s);
	for (;;) {
		int64_t left = r->deadline_ms - child_read_now_ms();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int rc;

		if (r->cancel != NULL && atomic_load(r->cancel) != 0) {
			r->why = CHILD_WHY_CANCELED;
			return WHORL_EIO;
		}
		if (left <= 0) {
			r->why = CHILD_WHY_TIMED_OUT;
			return WHORL_EIO;
		}
		if (poll(&pfd, 1, left < CHILD_READ_POLL_MS ? (int)left : CHILD_READ_POLL_MS) <= 0)
			continue; /* nothing yet, or EINTR */
		n = read(fd, buf, cap);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return stream_lost(r); /* the child ended without its 'E' record */
		rc = stream_feed(r, &s, buf, (size_t)n);
		if (rc == STREAM_ENDED) {
			*ended = 1;
			return s.result;
		}
		if (rc != 0)
			return rc;
	}
}

static int no_child(struct child_read *r, int err)
{
	r->why = CHILD_WHY_NO_CHILD;
	r->sys_errno = err;
	return WHORL_EIO;
}

/* fork() with every signal blocked; the child never returns. */
static pid_t child_start(const struct child_read *r, const int pipe_fd[2], uint8_t *buf, int *err)
{
	sigset_t all, old;
	pid_t pid;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		child_main(r, pipe_fd[1], buf);
	*err = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return pid;
}

int child_read_run(struct child_read *r)
{
	struct child c = { .pid = -1, .pidfd = -1 };
	size_t cap = REC_HEAD + CHILD_READ_PIECE;
	uint8_t *buf;
	int pipe_fd[2], err = 0, ended = 0, rc;

	r->why = 0;
	r->sys_errno = 0;
	r->bytes = 0;
	r->stopped_ms = child_read_now_ms();
	if (stuck_full()) {
		r->why = CHILD_WHY_STUCK;
		return WHORL_EBUSY;
	}
	if (!(buf = malloc(cap)))
		return WHORL_ENOMEM;
	if (pipe2(pipe_fd, O_CLOEXEC) != 0) {
		rc = no_child(r, errno);
		free(buf);
		return rc;
	}
	c.pid = child_start(r, pipe_fd, buf, &err);
	close(pipe_fd[1]);
	if (c.pid < 0) {
		rc = no_child(r, err);
		goto out;
	}
	c.pidfd = pidfd_open(c.pid, 0); /* -1 before Linux 5.3: the pid is used */
	(void)fcntl(pipe_fd[0], F_SETFL, O_NONBLOCK);
	rc = stream_receive(r, pipe_fd[0], buf, cap, &ended);
	r->stopped_ms = child_read_now_ms();
	child_finish(&c, ended);
out:
	close(pipe_fd[0]);
	free(buf);
	return rc;
}
