/*
 * dir_read.c - the bytes of a file:// mirror: every file (manifest,
 * checksum files, data files) is opened, checked and read in a child
 * process (child_read.c) under the cycle's time limit and the engine's
 * cancel flag, so a mirror on a filesystem that stops answering (a hung
 * hard-mounted NFS or FUSE mount) holds a child that is SIGKILLed at the
 * limit, never the update thread or quiesce().
 *
 * Ordinary refusals (missing, not a regular file, larger than allowed, a
 * read error) come back with errno set, for the caller's log line. What
 * only this path can meet is logged here, and the run remembers it
 * (read_logged): the cycle's limit (one ERROR naming the mirror and the
 * limit), a cancel at quiesce (INFO), a reader process that could not start
 * or ended without a result, readers still stuck after SIGKILL.
 *
 * Not for: the network (net_read.c) or the local cache (read directly:
 * whorl wrote it, on local disk).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "../util/file_read.h"
#include "../util/file_write.h"
#include "child_read.h"
#include "update_internal.h"

/* A file read into memory, at most max bytes (NUL kept after them). */
struct mem_sink {
	uint8_t *buf;
	size_t len, cap, max;
};

static int mem_sink_put(void *ctx, const uint8_t *bytes, size_t n)
{
	struct mem_sink *m = ctx;

	if (m->len + n + 1 > m->cap) {
		size_t cap = m->cap ? m->cap : CHILD_READ_PIECE;
		uint8_t *p;
		while (cap < m->len + n + 1)
			cap = cap > m->max / 2 ? m->max + 1 : cap * 2;
		if (!(p = realloc(m->buf, cap)))
			return WHORL_ENOMEM;
		m->buf = p;
		m->cap = cap;
	}
	memcpy(m->buf + m->len, bytes, n);
	m->len += n;
	return 0;
}

/* A file appended to a descriptor; the errno of a failed write is kept. */
struct fd_sink {
	int fd;
	int write_errno;
};

static int fd_sink_put(void *ctx, const uint8_t *bytes, size_t n)
{
	struct fd_sink *f = ctx;

	if (file_write_all(f->fd, bytes, n) == 0)
		return 0;
	f->write_errno = errno;
	return WHORL_EIO;
}

static void mirror_of(const struct update_run *run, char *url, size_t len)
{
	update_mirror_url(run->cfg, url, len);
}

/* The failures only a child read meets, logged with the mirror named. */
static void dir_read_log(struct update_run *run, const char *name, const struct child_read *r)
{
	char url[CFG_MAX_STR + 64];

	mirror_of(run, url, sizeof url);
	run->read_logged = 1;
	if (r->why == CHILD_WHY_TIMED_OUT)
		update_run_limit_log(run, name, r->stopped_ms);
	else if (r->why == CHILD_WHY_CANCELED)
		log_info(run->lg, UPDATE_MOD, "Reading %s from %s stopped (shutting down).", name,
		         url);
	else if (r->why == CHILD_WHY_LOST)
		log_error(run->lg, UPDATE_MOD,
		          "Could not update signatures from disk (the process reading %s from %s "
		          "ended without a result).",
		          name, url);
	else if (r->why == CHILD_WHY_NO_CHILD)
		log_error(run->lg, UPDATE_MOD,
		          "Could not update signatures from disk (no process to read %s from %s: "
		          "%s).",
		          name, url, strerror(r->sys_errno));
	else if (r->why == CHILD_WHY_STUCK)
		log_error(run->lg, UPDATE_MOD,
		          "Could not update signatures from disk (%s not read: a process that "
		          "read a file:// mirror is still stuck in the kernel after SIGKILL, the "
		          "mirror's filesystem does not answer).",
		          url);
	else
		run->read_logged = 0;
}

/* Reads run->dir/name through a child into sink; errno set on WHORL_EIO
 * for the caller's line unless run->read_logged. */
static int dir_read(struct update_run *run, const char *name, size_t max, child_read_sink_fn sink,
                    void *ctx)
{
	char path[PATH_MAX];
	struct child_read r;
	int rc;

	run->read_logged = 0;
	if (snprintf(path, sizeof path, "%s/%s", run->dir, name) >= (int)sizeof path)
		return WHORL_EINVAL;
	if (update_run_time_over(run, name)) {
		run->read_logged = 1;
		return WHORL_EIO;
	}
	memset(&r, 0, sizeof r);
	r.path = path;
	r.max = max;
	r.deadline_ms = run->deadline_ms ? run->deadline_ms : INT64_MAX;
	r.cancel = run->hooks ? run->hooks->cancel : NULL;
	r.sink = sink;
	r.ctx = ctx;
	rc = child_read_run(&r);
	dir_read_log(run, name, &r);
	if (rc == WHORL_EIO && !run->read_logged)
		errno = r.why == FILE_WHY_NOT_REGULAR ? EINVAL : r.why;
	return rc;
}

int update_dir_read(struct update_run *run, const char *name, size_t max, uint8_t **buf,
                    size_t *len)
{
	struct mem_sink m = { .max = max };
	int rc = dir_read(run, name, max, mem_sink_put, &m);

	*buf = NULL;
	*len = 0;
	if (rc == 0 && !m.buf && !(m.buf = malloc(1)))
		rc = WHORL_ENOMEM; /* an empty file */
	if (rc != 0) {
		free(m.buf);
		return rc;
	}
	m.buf[m.len] = '\0';
	*buf = m.buf;
	*len = m.len;
	return 0;
}

int update_dir_read_fd(struct update_run *run, const char *name, size_t max, int fd)
{
	struct fd_sink f = { .fd = fd };
	int rc = dir_read(run, name, max, fd_sink_put, &f);

	if (rc == WHORL_EIO && f.write_errno)
		errno = f.write_errno;
	return rc;
}
