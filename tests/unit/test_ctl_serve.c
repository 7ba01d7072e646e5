/*
 * test_ctl_serve.c - libwhorl's control server (ctl_serve.c) without a
 * cartridge: the reply buffer's growth and bound, whorl_ctl_answer's
 * dispatch to the daemon's callbacks (RELOAD, STATUS lines, an extra
 * command, an unknown one), and the socket thread end to end with
 * whorl_ctl_request (answer, forward, the socket removed at stop).
 * Not for: the commands on a real host (tests/integration/whorlctl.sh,
 * milter_control.sh).
 */
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "whorl_daemon.h"

struct fake {
	int reload_rc, reloads, commands;
};

static int fake_reload(void *ctx)
{
	struct fake *f = ctx;

	f->reloads++;
	return f->reload_rc;
}

static void fake_status(void *ctx, struct whorl_ctl_reply *r)
{
	(void)ctx;
	whorl_ctl_printf(r, "fake lines = 1\n");
}

static int fake_command(void *ctx, const char *line, struct whorl_ctl_reply *r)
{
	struct fake *f = ctx;

	if (strncmp(line, "PING ", 5) != 0)
		return 0;
	f->commands++;
	whorl_ctl_printf(r, "OK\npong %s\n", line + 5);
	return 1;
}

static void fake_forward(void *ctx, const char *line, struct whorl_ctl_reply *r)
{
	(void)ctx;
	whorl_ctl_printf(r, "OK\nforwarded %s\n", line);
}

static void fake_ops(struct whorl_ctl_ops *ops, struct fake *f)
{
	memset(ops, 0, sizeof(*ops));
	ops->daemon_name = "fake-daemon";
	ops->ctx = f;
	ops->reload = fake_reload;
	ops->status = fake_status;
	ops->command = fake_command;
}

START_TEST(test_reply_grows_and_is_bounded)
{
	struct whorl_ctl_reply r = { 0 };
	char chunk[1000];

	memset(chunk, 'x', sizeof(chunk) - 1);
	chunk[sizeof(chunk) - 1] = '\0';
	for (int i = 0; i < 100; i++)
		whorl_ctl_printf(&r, "%s", chunk);
	ck_assert_int_eq(r.failed, 0);
	ck_assert_uint_eq(r.len, 100 * 999);
	ck_assert_uint_eq(strlen(r.p), r.len);
	while (!r.failed)
		whorl_ctl_printf(&r, "%s", chunk);
	ck_assert_uint_le(r.cap, WHORL_CTL_REPLY_MAX);
	free(r.p);
}
END_TEST

START_TEST(test_answer_dispatch)
{
	struct fake f = { 0 };
	struct whorl_ctl_ops ops;
	struct whorl_ctl_reply r = { 0 };

	fake_ops(&ops, &f);
	whorl_ctl_answer(&ops, "RELOAD", &r);
	ck_assert_str_eq(r.p, "OK\n");
	f.reload_rc = -1;
	r.len = 0;
	whorl_ctl_answer(&ops, "RELOAD", &r);
	ck_assert_str_eq(r.p, "ERR reload refused; see the log\n");
	ck_assert_int_eq(f.reloads, 2);
	r.len = 0;
	whorl_ctl_answer(&ops, "PING abc", &r);
	ck_assert_str_eq(r.p, "OK\npong abc\n");
	r.len = 0;
	whorl_ctl_answer(&ops, "BOGUS", &r);
	ck_assert_str_eq(r.p, "ERR unknown command\n");
	ck_assert_int_eq(f.commands, 1);
	r.len = 0;
	whorl_ctl_answer(&ops, "STATUS", &r);
	ck_assert_ptr_nonnull(strstr(r.p, "\nfake-daemon = \""));
	ck_assert_ptr_nonnull(strstr(r.p, "\nfake lines = 1\n"));
	r.len = 0;
	whorl_ctl_answer(&ops, "SWAP relative.so", &r);
	ck_assert_str_eq(r.p, "ERR SWAP needs an absolute path\n");
	free(r.p);
}
END_TEST

START_TEST(test_serve_end_to_end)
{
	struct fake f = { 0 };
	struct whorl_ctl_ops ops;
	struct whorl_ctl_server *s = NULL;
	char dir[] = "/tmp/whorl_ctl_serve.XXXXXX", path[64], *reply = NULL;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ctl", dir);
	fake_ops(&ops, &f);
	ck_assert_int_eq(whorl_ctl_serve_start("", &ops, &s), 0);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(whorl_ctl_serve_start(path, &ops, &s), 0);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(whorl_ctl_request(path, "PING x", 5000, &reply), 0);
	ck_assert_str_eq(reply, "OK\npong x\n");
	free(reply);
	whorl_ctl_serve_stop(s);
	ck_assert_int_ne(access(path, F_OK), 0);

	ops.forward = fake_forward;
	ck_assert_int_eq(whorl_ctl_serve_start(path, &ops, &s), 0);
	ck_assert_int_eq(whorl_ctl_request(path, "RELOAD", 5000, &reply), 0);
	ck_assert_str_eq(reply, "OK\nforwarded RELOAD\n");
	free(reply);
	ck_assert_int_eq(f.reloads, 0);
	whorl_ctl_serve_stop(s);
	rmdir(dir);
}
END_TEST

static Suite *ctl_serve_suite(void)
{
	Suite *s = suite_create("ctl_serve");
	TCase *tc = tcase_create("ctl_serve");

	tcase_add_test(tc, test_reply_grows_and_is_bounded);
	tcase_add_test(tc, test_answer_dispatch);
	tcase_add_test(tc, test_serve_end_to_end);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(ctl_serve_suite());
}
