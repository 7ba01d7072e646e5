/*
 * test_swap.c - whorl_host_swap() between two builds of the echo cartridge
 * while threads score, and every kind of refusal (the running cartridge
 * must stay, with a log line saying why), including a cartridge whose
 * open() never returns. Uses $WHORL_TEST_BUILD/tests/cartridges.
 * Not for: rollback across restarts (test_rollback.c).
 */
#include <check.h>

#include "check_main.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "whorl.h"

#define SCAN_THREADS 3
#define SWAPS 60
#define HANG_TIMEOUT_MS 200

/* What the host says about the cartridge in use (a copy). */
static void info_of(whorl_host *h, struct whorl_host_info *info)
{
	info->size = sizeof(*info);
	ck_assert_int_eq(whorl_host_info(h, info), 0);
}

static const char spam_msg[] = "Subject: hi\nX-Test-Spam: yes\n\nbody\n";
static char cart_dir[1024];
static char tmp_dir[256];

struct log_capture {
	pthread_mutex_t mu;
	char last_error[1024];
	int n_errors;
};

static struct log_capture cap = { PTHREAD_MUTEX_INITIALIZER, "", 0 };

static void capture_log(void *ctx, int level, const char *module, const char *message)
{
	struct log_capture *c = ctx;

	if (level < WHORL_LOG_ERROR)
		return;
	pthread_mutex_lock(&c->mu);
	snprintf(c->last_error, sizeof(c->last_error), "%s: %s", module, message);
	c->n_errors++;
	pthread_mutex_unlock(&c->mu);
}

static const char *cart(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.so", cart_dir, name);
	return buf;
}

static void setup(void)
{
	const char *b = getenv("WHORL_TEST_BUILD");

	snprintf(cart_dir, sizeof(cart_dir), "%s/tests/cartridges", b && *b ? b : "build");
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/whorl_test_swap.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
	setenv("TMPDIR", tmp_dir, 1);
}

static void teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmp_dir);
}

static whorl_host *open_host(const char *name, uint32_t open_timeout_ms)
{
	struct whorl_host_options o;
	char path[1200], err[512] = "";
	whorl_host *h = NULL;

	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.cartridge_path = cart(name, path, sizeof(path));
	o.config_dir = "/";
	o.log = capture_log;
	o.log_ctx = &cap;
	o.log_min_level = WHORL_LOG_INFO;
	o.open_timeout_ms = open_timeout_ms;
	ck_assert_msg(whorl_host_open(&o, &h, err, sizeof(err)) == 0, "%s", err);
	return h;
}

static int image_mapped(const char *path)
{
	char line[2048];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	ck_assert_ptr_nonnull(f);
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, path) != NULL;
	fclose(f);
	return found;
}

struct scanner {
	whorl_host *h;
	atomic_int *stop;
	long scans, failed;
};

static void *scan_loop(void *arg)
{
	struct scanner *s = arg;
	struct whorl_verdict *v;

	while (!atomic_load(s->stop)) {
		if (whorl_host_score(s->h, NULL, spam_msg, sizeof(spam_msg) - 1, &v) != 0 ||
		    v->score != 90 || strcmp(v->analysis, "echo; rule=x-test-spam; score=90") != 0)
			s->failed++;
		whorl_host_verdict_free(s->h, v);
		s->scans++;
	}
	return NULL;
}

START_TEST(swaps_between_builds_while_scanning)
{
	whorl_host *h = open_host("good_echo", 0);
	struct scanner sc[SCAN_THREADS];
	pthread_t t[SCAN_THREADS];
	atomic_int stop = 0;
	char a[1200], b[1200], err[512], old[4096];
	struct whorl_host_info info;
	int i;

	cart("good_echo", a, sizeof(a));
	cart("good_echo2", b, sizeof(b));
	for (i = 0; i < SCAN_THREADS; i++) {
		sc[i] = (struct scanner){ h, &stop, 0, 0 };
		ck_assert_int_eq(pthread_create(&t[i], NULL, scan_loop, &sc[i]), 0);
	}
	for (i = 0; i < SWAPS; i++) {
		info_of(h, &info);
		snprintf(old, sizeof(old), "%s", info.cartridge_path);
		ck_assert_msg(whorl_host_swap(h, (i & 1) ? a : b, err, sizeof(err)) == 0, "%s",
		              err);
		info_of(h, &info);
		ck_assert_str_eq(info.cartridge_version,
		                 (i & 1) ? "whorl-test-echo 1.0" : "whorl-test-echo 2.0");
		ck_assert_msg(!image_mapped(old), "old image %s still mapped", old);
		ck_assert_int_eq(image_mapped(info.cartridge_path), 1);
	}
	atomic_store(&stop, 1);
	for (i = 0; i < SCAN_THREADS; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_gt(sc[i].scans, 0);
		ck_assert_int_eq(sc[i].failed, 0);
	}
	whorl_host_close(h);
}
END_TEST

START_TEST(installs_at_content_addressed_path)
{
	whorl_host *h = open_host("good_echo", 0);
	struct whorl_host_info info;
	char b[1200], err[512];
	struct stat st;

	info_of(h, &info);
	const char *p = info.cartridge_path, *hash = info.cartridge_hash;

	ck_assert_uint_eq(strlen(hash), 64);
	ck_assert_ptr_nonnull(strstr(p, hash));
	ck_assert_ptr_nonnull(strstr(p, tmp_dir));
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 0222, 0);
	/* The same content again is not a swap. */
	ck_assert_int_eq(whorl_host_swap(h, cart("good_echo", b, sizeof(b)), err, sizeof(err)), 0);
	info_of(h, &info);
	ck_assert_str_eq(info.cartridge_version, "whorl-test-echo 1.0");
	whorl_host_close(h);
	ck_assert_int_eq(rmdir(tmp_dir), 0); /* the private install dir was removed */
	ck_assert_int_eq(mkdir(tmp_dir, 0700), 0);
}
END_TEST

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	size_t n;
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	int ok = in != NULL && out != NULL;

	while (ok && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		ok = fwrite(buf, 1, n, out) == n;
	if (in)
		fclose(in);
	if (out && fclose(out) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

/* A swap to `path` must fail with `want`, naming `needle`; the echo stays. */
static void expect_swap_refused(whorl_host *h, const char *path, int want, const char *needle)
{
	struct whorl_verdict *v = NULL;
	struct whorl_host_info info;
	char err[1024] = "";

	cap.n_errors = 0;
	ck_assert_int_eq(whorl_host_swap(h, path, err, sizeof(err)), want);
	ck_assert_msg(strstr(err, needle) != NULL, "no '%s' in: %s", needle, err);
	ck_assert_int_eq(cap.n_errors, 1);
	ck_assert_msg(strstr(cap.last_error, "refused") != NULL &&
	                  strstr(cap.last_error, "still running whorl-test-echo 1.0") != NULL &&
	                  strstr(cap.last_error, needle) != NULL,
	              "log: %s", cap.last_error);
	info_of(h, &info);
	ck_assert_str_eq(info.cartridge_version, "whorl-test-echo 1.0");
	ck_assert_int_eq(whorl_host_score(h, NULL, spam_msg, sizeof(spam_msg) - 1, &v), 0);
	ck_assert_uint_eq(v->score, 90);
	whorl_host_verdict_free(h, v);
}

START_TEST(refuses_bad_cartridges_and_keeps_running)
{
	whorl_host *h = open_host("good_echo", 0);
	char p[1200], text[1300], ww[1300];
	FILE *f;

	expect_swap_refused(h, cart("bad_major", p, sizeof(p)), WHORL_EABI,
	                    "ABI major 2, host speaks 1");
	expect_swap_refused(h, cart("short_table", p, sizeof(p)), WHORL_EABI, "table too small");
	expect_swap_refused(h, cart("bad_build", p, sizeof(p)), WHORL_EBUILD, "build signature");
	expect_swap_refused(h, cart("no_entry", p, sizeof(p)), WHORL_EABI, "whorl_cartridge_entry");
	expect_swap_refused(h, cart("null_fn", p, sizeof(p)), WHORL_EABI, "'score' is NULL");
	expect_swap_refused(h, cart("fail_selftest", p, sizeof(p)), WHORL_ESELFTEST,
	                    "deliberately broken");
	expect_swap_refused(h, cart("does_not_exist", p, sizeof(p)), WHORL_EIO, "does_not_exist");
	snprintf(text, sizeof(text), "%s/not_an_object.so", tmp_dir);
	f = fopen(text, "w");
	ck_assert_ptr_nonnull(f);
	fputs("this is not an ELF file\n", f);
	fclose(f);
	expect_swap_refused(h, text, WHORL_EIO, "cannot be loaded");
	unlink(text);
	snprintf(ww, sizeof(ww), "%s/ww_copy.so", tmp_dir);
	ck_assert_int_eq(copy_file(cart("good_echo2", p, sizeof(p)), ww), 0);
	ck_assert_int_eq(chmod(ww, 0666), 0);
	expect_swap_refused(h, ww, WHORL_ECONFIG, "world-writable");
	whorl_host_close(h);
}
END_TEST

START_TEST(refuses_cartridge_that_hangs_in_open)
{
	whorl_host *h = open_host("good_echo", HANG_TIMEOUT_MS);
	struct timespec t0, t1;
	char p[1200];
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect_swap_refused(h, cart("hang_in_open", p, sizeof(p)), WHORL_ELIMIT,
	                    "did not finish within 200 ms");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ck_assert_int_ge(ms, HANG_TIMEOUT_MS);
	ck_assert_int_lt(ms, 5000);
	/* The hung image is never unloaded: its thread is still inside it. */
	ck_assert_int_eq(image_mapped("cartridge-"), 1);
	whorl_host_close(h);
}
END_TEST

START_TEST(refuses_hanging_first_cartridge)
{
	struct whorl_host_options o;
	char path[1200], err[512] = "";
	whorl_host *h = NULL;

	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.cartridge_path = cart("hang_in_open", path, sizeof(path));
	o.config_dir = "/";
	o.open_timeout_ms = HANG_TIMEOUT_MS;
	ck_assert_int_eq(whorl_host_open(&o, &h, err, sizeof(err)), WHORL_ELIMIT);
	ck_assert_ptr_null(h);
	ck_assert_ptr_nonnull(strstr(err, "did not finish"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("swap");
	TCase *tc = tcase_create("swap");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, swaps_between_builds_while_scanning);
	tcase_add_test(tc, installs_at_content_addressed_path);
	tcase_add_test(tc, refuses_bad_cartridges_and_keeps_running);
	tcase_add_test(tc, refuses_cartridge_that_hangs_in_open);
	tcase_add_test(tc, refuses_hanging_first_cartridge);
	suite_add_tcase(s, tc);
	return check_run(s);
}
