/*
 * test_rollback.c - crash rollback across processes. A child process opens
 * a host on a state directory and scans; with the crash_on_marker cartridge
 * on trial the child dies scanning the marker. Starts 1-3 must still run
 * the trial; start 4 must run the last viable cartridge with
 * WHORL_START_SAFE_DATA, and later starts must not retry the rolled-back
 * cartridge. Repeated TRIALS times, each in a fresh state directory.
 * Not for: swaps inside one process (test_swap.c).
 */
#include <check.h>
#include <dirent.h>

#include "check_main.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "whorl.h"

#define TRIALS 100
#define THRESHOLD 3           /* documented in docs/HOSTING.md */
#define LONG_TRIAL_MS 600000u /* no promotion during a crashing start */

static const char crash_msg[] = "Subject: boom\nX-Whorl-Crash: now\n\nbody\n";
static const char spam_msg[] = "Subject: hi\nX-Test-Spam: yes\n\nbody\n";
static char cart_dir[1024];
static char tmp_dir[256];

static void setup(void)
{
	const char *b = getenv("WHORL_TEST_BUILD");

	snprintf(cart_dir, sizeof(cart_dir), "%s/tests/cartridges", b && *b ? b : "build");
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/whorl_test_rollback.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
}

static void teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmp_dir);
}

struct start_result {
	int crashed;       /* the child died of a signal */
	unsigned flags;    /* whorl_host_start_flags() it saw */
	char version[128]; /* the cartridge it ran */
};

/* The child: open, report what runs, scan msg, close cleanly after wait_ms. */
static void child_run(int fd, const char *state, const char *cartridge, uint32_t trial_ms,
                      const char *msg, unsigned wait_us)
{
	struct whorl_host_options o;
	struct whorl_verdict *v = NULL;
	char err[512], line[200];
	whorl_host *h = NULL;
	int n;

	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.cartridge_path = cartridge;
	o.config_dir = "/";
	o.state_dir = state;
	o.trial_ms = trial_ms;
	if (whorl_host_open(&o, &h, err, sizeof(err)) != 0)
		_exit(3);
	struct whorl_host_info info = { .size = sizeof(info) };
	if (whorl_host_info(h, &info) != 0)
		_exit(3);
	n = snprintf(line, sizeof(line), "%u %s\n", whorl_host_start_flags(h),
	             info.cartridge_version);
	if (write(fd, line, (size_t)n) != n)
		_exit(4);
	if (whorl_host_score(h, NULL, msg, strlen(msg), &v) != 0)
		_exit(5);
	whorl_host_verdict_free(h, v);
	usleep(wait_us);
	whorl_host_close(h);
	_exit(0);
}

static struct start_result start(const char *state, const char *name, uint32_t trial_ms,
                                 const char *msg, unsigned wait_us)
{
	struct start_result r = { 0, 0, "" };
	char path[1200], buf[256] = "";
	int p[2], status = 0;
	ssize_t n;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s.so", cart_dir, name);
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[0]);
		/* A sanitizer's report of the deliberate crash is noise here. */
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(6);
		child_run(p[1], state, path, trial_ms, msg, wait_us);
	}
	close(p[1]);
	n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	ck_assert_int_eq(sscanf(buf, "%u", &r.flags), 1);
	snprintf(r.version, sizeof(r.version), "%s", strchr(buf, ' ') + 1);
	/* A sanitizer turns the SIGSEGV into its report and exit(1): both are a
	 * process that never reached whorl_host_close(). */
	r.crashed = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return r;
}

/* Installed cartridge copies in state/cartridges. */
static int count_copies(const char *state)
{
	char dir_path[600];
	struct dirent *d;
	int n = 0;
	DIR *dir;

	snprintf(dir_path, sizeof(dir_path), "%s/cartridges", state);
	dir = opendir(dir_path);
	ck_assert_ptr_nonnull(dir);
	while ((d = readdir(dir)) != NULL)
		n += strncmp(d->d_name, "cartridge-", 10) == 0;
	closedir(dir);
	return n;
}

/* One trial: echo becomes viable, the crashing cartridge rolls back at start 4. */
static void one_trial(const char *state)
{
	struct start_result r;
	int i;

	r = start(state, "good_echo", 1, spam_msg, 3000);
	ck_assert_int_eq(r.crashed, 0);
	ck_assert_str_eq(r.version, "whorl-test-echo 1.0");
	for (i = 1; i <= THRESHOLD; i++) {
		r = start(state, "crash_on_marker", LONG_TRIAL_MS, crash_msg, 0);
		ck_assert_msg(r.crashed, "start %d did not crash", i);
		ck_assert_str_eq(r.version, "whorl-test-crash-on-marker");
		ck_assert_uint_eq(r.flags, 0);
	}
	r = start(state, "crash_on_marker", LONG_TRIAL_MS, crash_msg, 0);
	ck_assert_int_eq(r.crashed, 0);
	ck_assert_str_eq(r.version, "whorl-test-echo 1.0");
	ck_assert_uint_eq(r.flags, WHORL_START_SAFE_DATA);
	/* Not retried on the next start either. */
	r = start(state, "crash_on_marker", LONG_TRIAL_MS, crash_msg, 0);
	ck_assert_int_eq(r.crashed, 0);
	ck_assert_str_eq(r.version, "whorl-test-echo 1.0");
}

START_TEST(rolls_back_exactly_at_threshold)
{
	char state[400];
	int i;

	for (i = 0; i < TRIALS; i++) {
		snprintf(state, sizeof(state), "%s/s%d", tmp_dir, i);
		one_trial(state);
	}
}
END_TEST

START_TEST(clean_run_promotes_trial)
{
	char state[400], file[500], text[4096];
	struct start_result r;
	size_t n;
	FILE *f;

	snprintf(state, sizeof(state), "%s/p", tmp_dir);
	r = start(state, "good_echo", 1, spam_msg, 3000);
	ck_assert_str_eq(r.version, "whorl-test-echo 1.0");
	/* good_echo2 ran cleanly long enough: it is viable, so crashes of the
	 * crashing cartridge later roll back to it, not to good_echo. */
	r = start(state, "good_echo2", 1, spam_msg, 3000);
	ck_assert_str_eq(r.version, "whorl-test-echo 2.0");
	snprintf(file, sizeof(file), "%s/rollback", state);
	f = fopen(file, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	ck_assert_msg(strstr(text, "unclean 0\n") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "trial_hash \n") != NULL, "%s", text);
	for (n = 0; n < THRESHOLD; n++)
		ck_assert_int_eq(
		    start(state, "crash_on_marker", LONG_TRIAL_MS, crash_msg, 0).crashed, 1);
	r = start(state, "crash_on_marker", LONG_TRIAL_MS, crash_msg, 0);
	ck_assert_str_eq(r.version, "whorl-test-echo 2.0");
	/* Only the copy the record names is left: good_echo and the
	 * rolled-back cartridge were removed. */
	ck_assert_int_eq(count_copies(state), 1);
}
END_TEST

START_TEST(unpromoted_trial_is_not_viable)
{
	char state[400];
	struct start_result r;
	int i;

	snprintf(state, sizeof(state), "%s/u", tmp_dir);
	r = start(state, "good_echo", 1, spam_msg, 3000);
	/* good_echo2 closes cleanly but before its trial time: still on trial. */
	r = start(state, "good_echo2", LONG_TRIAL_MS, spam_msg, 0);
	ck_assert_str_eq(r.version, "whorl-test-echo 2.0");
	for (i = 0; i < THRESHOLD; i++)
		ck_assert_int_eq(
		    start(state, "crash_on_marker", LONG_TRIAL_MS, crash_msg, 0).crashed, 1);
	r = start(state, "crash_on_marker", LONG_TRIAL_MS, crash_msg, 0);
	ck_assert_str_eq(r.version, "whorl-test-echo 1.0");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rollback");
	TCase *tc = tcase_create("rollback");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, rolls_back_exactly_at_threshold);
	tcase_add_test(tc, clean_run_promotes_trial);
	tcase_add_test(tc, unpromoted_trial_is_not_viable);
	suite_add_tcase(s, tc);
	return check_run(s);
}
