/*
 * child_read.h - read one file in a short-lived child process that can be
 * abandoned (child_read.c): a file on a filesystem that stops answering (a
 * hung hard-mounted NFS or FUSE mount, where open(), fstat() and read()
 * sleep in the kernel and neither O_NONBLOCK nor poll() bounds them) holds
 * only the child, never the calling thread. The caller waits on a pipe with
 * poll() until the file is read, a deadline passes or a cancel flag is set;
 * then the child is SIGKILLed and reaped. NFS sleeps are killable
 * (TASK_KILLABLE), and so is a buffered read of a hung FUSE file; a FUSE
 * request the server has taken and never answers is not, nor is an open()
 * of a file whose pages an abandoned read left locked: such a child stays
 * until the filesystem answers or is unmounted (CHILD_READ_MAX_STUCK).
 *
 * Not for: files whorl wrote itself on local disk (util/file_read.h reads
 * them directly), or deciding what a failure means (the caller logs it).
 */
#ifndef WHORL_UPDATE_CHILD_READ_H
#define WHORL_UPDATE_CHILD_READ_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes the child sends in one piece (and reads with one read()). */
#define CHILD_READ_PIECE ((size_t)64 << 10)
/* The longest the caller sleeps in poll() before it looks at the cancel
 * flag again: a cancel takes effect within this. */
#define CHILD_READ_POLL_MS 100
/* After SIGKILL (or after the result arrived), the longest the caller waits
 * for the child to end before it leaves it to a later call to reap. */
#define CHILD_READ_REAP_MS 2000
/* Children that did not end within CHILD_READ_REAP_MS of SIGKILL (asleep
 * in the kernel where even SIGKILL waits) kept to be reaped later; while
 * this many are kept, no new child starts (WHORL_EBUSY), so a filesystem
 * that hangs that way costs this many processes at most, not one more per
 * cycle. Per process (per loaded cartridge image). */
#define CHILD_READ_MAX_STUCK 1

/* Why a read failed, beyond errno values and util/file_read.h's FILE_WHY_*
 * (positive, above any errno). */
#define CHILD_WHY_TIMED_OUT 4200 /* the deadline passed: the file did not answer */
#define CHILD_WHY_CANCELED 4201  /* the cancel flag was set */
#define CHILD_WHY_LOST 4202      /* the child ended (or was killed) without a result */
#define CHILD_WHY_NO_CHILD 4203  /* no pipe or no child: sys_errno says why */
#define CHILD_WHY_STUCK 4204     /* CHILD_READ_MAX_STUCK children still unreaped */

/* Receives the file's bytes in order, in the caller's thread; returns 0 to
 * go on or a negative WHORL_E* to stop the read (then returned as is). */
typedef int (*child_read_sink_fn)(void *ctx, const uint8_t *bytes, size_t n);

/* One read. The caller fills the inputs; child_read_run() sets the outputs. */
struct child_read {
	const char *path;         /* opened O_RDONLY|O_NONBLOCK|O_CLOEXEC in the child */
	unsigned flags;           /* FILE_READ_* of util/file_read.h (FILE_READ_NOFOLLOW) */
	size_t max;               /* a file holding more bytes is refused: WHORL_ELIMIT */
	int64_t deadline_ms;      /* on child_read_now_ms()'s clock */
	const atomic_int *cancel; /* may be NULL; non-zero abandons the read */
	child_read_sink_fn sink;
	void *ctx;
	int why;            /* out: errno of the child's failing step, FILE_WHY_* or CHILD_WHY_* */
	int sys_errno;      /* out: with CHILD_WHY_NO_CHILD, pipe's or fork's errno */
	uint64_t bytes;     /* out: bytes passed to sink */
	int64_t stopped_ms; /* out: when the wait ended (before killing and reaping) */
};

/* Reads r->path in a child process and passes its bytes to r->sink. The
 * child opens the file, checks with fstat that it is a regular file of at
 * most r->max bytes, and sends it over a pipe in CHILD_READ_PIECE pieces
 * followed by an explicit end record; only that record makes a result (the
 * child's exit status is never used, so a host that reaps children itself
 * or ignores SIGCHLD cannot confuse it). All signals are blocked in the
 * child and every descriptor but the pipe is closed there.
 * Returns 0 when the whole file reached the sink; WHORL_EIO with r->why an
 * errno (open, fstat or read failed in the child), FILE_WHY_NOT_REGULAR, or
 * CHILD_WHY_TIMED_OUT / _CANCELED / _LOST / _NO_CHILD; WHORL_ELIMIT (why
 * EFBIG) past r->max; WHORL_EBUSY (CHILD_WHY_STUCK); or the sink's error.
 * The call returns at most CHILD_READ_POLL_MS after the cancel flag is set
 * or the deadline passes, plus up to 2 x CHILD_READ_REAP_MS to reap the
 * child. Thread-safe; forks, so the process pays a fork per call. */
int child_read_run(struct child_read *r);

/* CLOCK_MONOTONIC in milliseconds: the clock of child_read.deadline_ms. */
int64_t child_read_now_ms(void);

#endif
