/*
 * test_dcfg.c - whorld.cfg parsing in libwhorl (host/whorl_daemon.h):
 * defaults, every value type with its bounds and units, listen address
 * syntax, errors with file:line, and the feedback spool's file layout.
 */
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "whorl_daemon.h"

static int line(struct whorl_dcfg *c, const char *s, char *why)
{
	return whorl_dcfg_line(c, s, strlen(s), why, 256);
}

START_TEST(test_dcfg_defaults)
{
	struct whorl_dcfg c;

	whorl_dcfg_defaults(&c);
	ck_assert_uint_eq(c.spamd_listen.n, 1);
	ck_assert_str_eq(c.spamd_listen.a[0].addr, "127.0.0.1");
	ck_assert_uint_eq(c.spamd_listen.a[0].port, 783);
	ck_assert_uint_eq(c.threads, 2);
	ck_assert_uint_eq(c.max_message_size, 10u << 20);
	ck_assert_uint_eq(c.minimum_score, 50);
	ck_assert_int_eq(c.syslog_facility, LOG_MAIL);
	ck_assert_int_eq(c.log_scans, 1);
}
END_TEST

START_TEST(test_dcfg_values)
{
	struct whorl_dcfg c;
	char why[256];

	whorl_dcfg_defaults(&c);
	ck_assert_int_eq(line(&c, "  Max   Message SIZE = 512K\r\n", why), 0);
	ck_assert_uint_eq(c.max_message_size, 512u << 10);
	ck_assert_int_eq(line(&c, "request deadline = 250ms", why), 0);
	ck_assert_uint_eq(c.request_deadline_ms, 250);
	ck_assert_int_eq(line(&c, "idle timeout = 2m", why), 0);
	ck_assert_uint_eq(c.idle_timeout_ms, 120000);
	ck_assert_int_eq(line(&c, "client timeout = 7", why), 0);
	ck_assert_uint_eq(c.client_timeout_ms, 7000);
	ck_assert_int_eq(line(&c, "unix socket mode = 0640", why), 0);
	ck_assert_uint_eq(c.unix_socket_mode, 0640);
	ck_assert_int_eq(line(&c, "rspamc protocol = off", why), 0);
	ck_assert_int_eq(c.rspamc_protocol, 0);
	ck_assert_int_eq(line(&c, "log level = warn", why), 0);
	ck_assert_int_eq(c.log_level, WHORL_LOG_WARN);
	ck_assert_int_eq(line(&c, "log scans = no", why), 0);
	ck_assert_int_eq(c.log_scans, 0);
	ck_assert_int_eq(line(&c, "feedback spool = \"/var/spool/whorl feedback\"", why), 0);
	ck_assert_str_eq(c.feedback_spool, "/var/spool/whorl feedback");
	ck_assert_int_eq(c.feedback_content, WHORL_FEEDBACK_MESSAGE);
	ck_assert_int_eq(line(&c, "feedback content = Both", why), 0);
	ck_assert_int_eq(c.feedback_content, WHORL_FEEDBACK_MESSAGE | WHORL_FEEDBACK_FINGERPRINTS);
	ck_assert_int_eq(line(&c, "feedback content = fingerprints", why), 0);
	ck_assert_int_eq(c.feedback_content, WHORL_FEEDBACK_FINGERPRINTS);
	ck_assert_int_eq(line(&c, "# threads = 9", why), 0);
	ck_assert_uint_eq(c.threads, 2);
}
END_TEST

START_TEST(test_dcfg_bad_values)
{
	static const char *const bad[] = {
		"threads = 0",
		"threads = 257",
		"threads = 2x",
		"max message size = 10T",
		"max message size = 100",
		"request deadline = 5ms",
		"request deadline = 2h",
		"unix socket mode = 0999",
		"spamd protocol = maybe",
		"log destination = file",
		"syslog facility = kern",
		"minimum score = 101",
		"feedback content = headers",
		"no equals sign",
		"nosuch key = 1",
		"spamd listen = localhost",
		"spamd listen = ::1:783",
		"spamd listen = unix:relative",
		"spamd listen = 127.0.0.1:0",
		"spamd listen = 127.0.0.1:70000",
		"spamd listen = ",
	};
	struct whorl_dcfg c;
	char why[256];

	whorl_dcfg_defaults(&c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(line(&c, bad[i], why) == WHORL_ECONFIG, "accepted: %s", bad[i]);
	ck_assert_int_eq(line(&c, "threads = 0", why), WHORL_ECONFIG);
	ck_assert_str_eq(why, "threads = '0': expected a number from 1 to 256");
}
END_TEST

START_TEST(test_dcfg_listen)
{
	struct whorl_dcfg c;
	char why[256];

	whorl_dcfg_defaults(&c);
	ck_assert_int_eq(
	    line(&c, "spamd listen = [::1]:783, unix:/run/whorld/w.sock 10.0.0.1:7", why), 0);
	ck_assert_uint_eq(c.spamd_listen.n, 3);
	ck_assert_str_eq(c.spamd_listen.a[0].addr, "::1");
	ck_assert(c.spamd_listen.a[1].is_unix);
	ck_assert_str_eq(c.spamd_listen.a[1].addr, "/run/whorld/w.sock");
	ck_assert_uint_eq(c.spamd_listen.a[2].port, 7);
}
END_TEST

START_TEST(test_dcfg_file_errors)
{
	char path[] = "/tmp/whorl_dcfg_XXXXXX";
	int fd = mkstemp(path);
	struct whorl_dcfg c;
	struct whorl_dcfg_errors errs;
	const char text[] = "threads = 4\nbogus = 1\n\nqueue size = none\nspamd listen = none\n";

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, sizeof(text) - 1), (int)sizeof(text) - 1);
	close(fd);
	whorl_dcfg_defaults(&c);
	memset(&errs, 0, sizeof(errs));
	ck_assert_int_eq(whorl_dcfg_load(path, &c, &errs), WHORL_ECONFIG);
	ck_assert_uint_eq(errs.n, 2);
	ck_assert_ptr_nonnull(strstr(errs.line[0], ":2: unknown key 'bogus'"));
	ck_assert_ptr_nonnull(strstr(errs.line[1], ":4: queue size = 'none'"));
	ck_assert_uint_eq(c.threads, 4);
	unlink(path);
	memset(&errs, 0, sizeof(errs));
	ck_assert_int_eq(whorl_dcfg_load(path, &c, &errs), WHORL_EIO);
	ck_assert_ptr_nonnull(strstr(errs.line[0], "cannot open"));
	/* A FIFO is refused at once (fopen would block start-up forever). */
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	memset(&errs, 0, sizeof(errs));
	ck_assert_int_eq(whorl_dcfg_load(path, &c, &errs), WHORL_EIO);
	ck_assert_ptr_nonnull(strstr(errs.line[0], "cannot open: not a regular file"));
	unlink(path);
}
END_TEST

START_TEST(test_spool_write)
{
	char dir[] = "/tmp/whorl_spool_XXXXXX", name[128], path[512], buf[256];
	const char *fields[] = { "X-Whorl-Feedback-Class: spam", "X-Whorl-Feedback-User: joe" };
	const char *bad[] = { "X-Bad: a\nb" };
	FILE *f;
	size_t n;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(
	    whorl_spool_write(dir, fields, 2, "Subject: x\n\nhi\n", 15, name, sizeof(name)), 0);
	snprintf(path, sizeof(path), "%s/new/%s", dir, name);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	ck_assert_str_eq(buf, "X-Whorl-Feedback-Class: spam\nX-Whorl-Feedback-User: joe\n"
	                      "X-Whorl-Feedback-Length: 15\n\nSubject: x\n\nhi\n");
	ck_assert_int_eq(whorl_spool_write(dir, bad, 1, "x", 1, NULL, 0), WHORL_EINVAL);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

static Suite *dcfg_suite(void)
{
	Suite *s = suite_create("dcfg");
	TCase *tc = tcase_create("dcfg");

	tcase_add_test(tc, test_dcfg_defaults);
	tcase_add_test(tc, test_dcfg_values);
	tcase_add_test(tc, test_dcfg_bad_values);
	tcase_add_test(tc, test_dcfg_listen);
	tcase_add_test(tc, test_dcfg_file_errors);
	tcase_add_test(tc, test_spool_write);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(dcfg_suite());
}
