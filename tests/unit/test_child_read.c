/*
 * test_child_read.c - reading a file in a child process that can be
 * abandoned (cartridge/update/child_read.c): a file of several pieces
 * arrives whole; missing files, FIFOs and files past the cap are refused
 * with their reason; a cancel, a deadline already past, a child blocked
 * writing to a pipe nobody reads and a sink that stops each end the read
 * with the child killed and reaped (no child is left: waitpid(-1) finds
 * none); a host that ignores SIGCHLD, or reaps every child itself with
 * waitpid(-1) from another thread, still gets every result right. The hung
 * filesystem itself is tests/integration/net_hung_mount.sh (FUSE).
 */
#include <check.h>

#include "check_main.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "abi/whorl_cartridge.h"
#include "cartridge/update/child_read.h"
#include "cartridge/util/file_read.h"

#define BIG_BYTES 200000 /* a little over three pieces */

static char dir[64]; /* a fresh mkdtemp per test (CK_FORK=no under TSan too) */
static char big[256];

struct collect {
	uint8_t *buf;
	size_t len;
	int pause_ms;   /* sleep in the first call (the pipe fills meanwhile) */
	int stop_after; /* > 0: return WHORL_EIO on this call */
	int calls;
};

static int collect_put(void *ctx, const uint8_t *bytes, size_t n)
{
	struct collect *c = ctx;

	if (c->calls++ == 0 && c->pause_ms)
		usleep((useconds_t)c->pause_ms * 1000);
	if (c->stop_after && c->calls >= c->stop_after)
		return WHORL_EIO;
	c->buf = realloc(c->buf, c->len + n);
	ck_assert_ptr_nonnull(c->buf);
	memcpy(c->buf + c->len, bytes, n);
	c->len += n;
	return 0;
}

static void setup(void)
{
	FILE *f;

	snprintf(dir, sizeof dir, "/tmp/whorl-child-read-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(big, sizeof big, "%s/big", dir);
	ck_assert_ptr_nonnull(f = fopen(big, "w"));
	for (int k = 0; k < BIG_BYTES; k++)
		fputc('a' + k % 26, f);
	ck_assert_int_eq(fclose(f), 0);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void req_init(struct child_read *r, const char *path, size_t max, struct collect *c)
{
	memset(r, 0, sizeof *r);
	memset(c, 0, sizeof *c);
	r->path = path;
	r->max = max;
	r->deadline_ms = child_read_now_ms() + 30000;
	r->sink = collect_put;
	r->ctx = c;
}

/* Every child was reaped: none is left to wait for. */
static void assert_no_child(void)
{
	errno = 0;
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
}

static void assert_big(const struct collect *c)
{
	ck_assert_uint_eq(c->len, BIG_BYTES);
	for (size_t k = 0; k < c->len; k++)
		if (c->buf[k] != 'a' + k % 26)
			ck_abort_msg("byte %zu differs", k);
}

START_TEST(test_whole_file)
{
	struct child_read r;
	struct collect c;

	req_init(&r, big, BIG_BYTES, &c);
	ck_assert_int_eq(child_read_run(&r), 0);
	assert_big(&c);
	ck_assert_uint_eq(r.bytes, BIG_BYTES);
	free(c.buf);
	assert_no_child();
}
END_TEST

START_TEST(test_refusals)
{
	struct child_read r;
	struct collect c;
	char path[300];

	snprintf(path, sizeof path, "%s/missing", dir);
	req_init(&r, path, 1024, &c);
	ck_assert_int_eq(child_read_run(&r), WHORL_EIO);
	ck_assert_int_eq(r.why, ENOENT);
	/* a FIFO is refused at once, never blocked on */
	snprintf(path, sizeof path, "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	req_init(&r, path, 1024, &c);
	ck_assert_int_eq(child_read_run(&r), WHORL_EIO);
	ck_assert_int_eq(r.why, FILE_WHY_NOT_REGULAR);
	/* one byte past the cap */
	req_init(&r, big, BIG_BYTES - 1, &c);
	ck_assert_int_eq(child_read_run(&r), WHORL_ELIMIT);
	ck_assert_int_eq(r.why, EFBIG);
	ck_assert_uint_eq(c.len, 0);
	assert_no_child();
}
END_TEST

START_TEST(test_cancel_and_deadline)
{
	atomic_int cancel = 1;
	struct child_read r;
	struct collect c;

	req_init(&r, big, BIG_BYTES, &c);
	r.cancel = &cancel;
	ck_assert_int_eq(child_read_run(&r), WHORL_EIO);
	ck_assert_int_eq(r.why, CHILD_WHY_CANCELED);
	assert_no_child();
	req_init(&r, big, BIG_BYTES, &c);
	r.deadline_ms = child_read_now_ms();
	ck_assert_int_eq(child_read_run(&r), WHORL_EIO);
	ck_assert_int_eq(r.why, CHILD_WHY_TIMED_OUT);
	assert_no_child();
}
END_TEST

/* The child fills the pipe and blocks writing while the sink sleeps past
 * the deadline: it is killed in write() and reaped. */
START_TEST(test_blocked_child_killed)
{
	struct child_read r;
	struct collect c;

	req_init(&r, big, BIG_BYTES, &c);
	c.pause_ms = 600;
	r.deadline_ms = child_read_now_ms() + 300;
	ck_assert_int_eq(child_read_run(&r), WHORL_EIO);
	ck_assert_int_eq(r.why, CHILD_WHY_TIMED_OUT);
	ck_assert_uint_lt(c.len, BIG_BYTES);
	free(c.buf);
	assert_no_child();
}
END_TEST

START_TEST(test_sink_stops)
{
	struct child_read r;
	struct collect c;

	req_init(&r, big, BIG_BYTES, &c);
	c.stop_after = 2;
	ck_assert_int_eq(child_read_run(&r), WHORL_EIO);
	ck_assert_int_eq(c.calls, 2);
	free(c.buf);
	assert_no_child();
}
END_TEST

START_TEST(test_sigchld_ignored)
{
	struct child_read r;
	struct collect c;

	signal(SIGCHLD, SIG_IGN); /* children are reaped by the kernel */
	for (int k = 0; k < 5; k++) {
		req_init(&r, big, BIG_BYTES, &c);
		ck_assert_int_eq(child_read_run(&r), 0);
		assert_big(&c);
		free(c.buf);
	}
	signal(SIGCHLD, SIG_DFL); /* teardown's system() waits for its shell */
}
END_TEST

static atomic_int reaper_stop;

static void *reaper(void *arg)
{
	(void)arg;
	while (!atomic_load(&reaper_stop))
		if (waitpid(-1, NULL, WNOHANG) <= 0)
			usleep(200);
	return NULL;
}

/* A host thread reaps every child it can, ours included. */
START_TEST(test_host_reaps_children)
{
	struct child_read r;
	struct collect c;
	pthread_t t;

	atomic_store(&reaper_stop, 0);
	ck_assert_int_eq(pthread_create(&t, NULL, reaper, NULL), 0);
	for (int k = 0; k < 20; k++) {
		req_init(&r, big, BIG_BYTES, &c);
		ck_assert_int_eq(child_read_run(&r), 0);
		assert_big(&c);
		free(c.buf);
	}
	atomic_store(&reaper_stop, 1);
	pthread_join(t, NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("child_read");
	TCase *tc = tcase_create("child_read");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_whole_file);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_cancel_and_deadline);
	tcase_add_test(tc, test_blocked_child_killed);
	tcase_add_test(tc, test_sink_stops);
	tcase_add_test(tc, test_sigchld_ignored);
	tcase_add_test(tc, test_host_reaps_children);
	suite_add_tcase(s, tc);
	return check_run(s);
}
