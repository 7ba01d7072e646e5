/*
 * test_log.c - the logger: level filter, formatting, cutting, sanitising.
 */
#include <check.h>

#include "check_main.h"
#include <stdlib.h>
#include <string.h>

#include "cartridge/log/log.h"

struct captured {
	int n;
	int level;
	char module[32];
	char message[LOG_MAX_LINE + 16];
};

static void capture(void *ctx, int level, const char *module, const char *message)
{
	struct captured *cap = ctx;

	cap->n++;
	cap->level = level;
	strncpy(cap->module, module, sizeof(cap->module) - 1);
	strncpy(cap->message, message, sizeof(cap->message) - 1);
}

static struct whorl_host_services host_for(struct captured *cap)
{
	struct whorl_host_services h;

	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.ctx = cap;
	h.log = capture;
	return h;
}

START_TEST(test_log_formats_and_passes_module)
{
	struct captured cap = { 0 };
	struct whorl_host_services h = host_for(&cap);
	struct logger lg;

	log_init(&lg, &h);
	ck_assert_int_eq(lg.min_level, WHORL_LOG_DEBUG);
	log_error(&lg, "CONFIG",
	          "Invalid micro-update timeout %s, using default timeout of %d seconds.", "abc",
	          60);
	ck_assert_int_eq(cap.n, 1);
	ck_assert_int_eq(cap.level, WHORL_LOG_ERROR);
	ck_assert_str_eq(cap.module, "CONFIG");
	ck_assert_str_eq(cap.message,
	                 "Invalid micro-update timeout abc, using default timeout of 60 seconds.");
}
END_TEST

START_TEST(test_log_drops_below_min_level)
{
	struct captured cap = { 0 };
	struct whorl_host_services h = host_for(&cap);
	struct logger lg;

	log_init(&lg, &h);
	lg.min_level = WHORL_LOG_WARN;
	log_info(&lg, "CONFIG", "dropped");
	ck_assert_int_eq(cap.n, 0);
	log_warn(&lg, "CONFIG", "kept");
	log_crit(&lg, "CONFIG", "kept too");
	ck_assert_int_eq(cap.n, 2);
	ck_assert_int_eq(cap.level, WHORL_LOG_CRITICAL);
}
END_TEST

START_TEST(test_log_without_callback_is_silent)
{
	struct whorl_host_services h;
	struct logger lg;

	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	log_init(&lg, &h);
	ck_assert_ptr_null(lg.fn);
	log_error(&lg, "CONFIG", "nowhere %d", 1);
	log_init(&lg, NULL);
	ck_assert_ptr_null(lg.fn);
	log_error(&lg, "CONFIG", "nowhere %d", 2);
	log_error(NULL, "CONFIG", "nowhere %d", 3);
}
END_TEST

START_TEST(test_log_refuses_too_small_services)
{
	struct captured cap = { 0 };
	struct whorl_host_services h = host_for(&cap);
	struct logger lg;

	h.size = offsetof(struct whorl_host_services, log); /* log member not covered */
	log_init(&lg, &h);
	ck_assert_ptr_null(lg.fn);
}
END_TEST

START_TEST(test_log_cuts_long_lines)
{
	struct captured cap = { 0 };
	struct whorl_host_services h = host_for(&cap);
	struct logger lg;
	char *big = malloc(3 * LOG_MAX_LINE);

	memset(big, 'x', 3 * LOG_MAX_LINE - 1);
	big[3 * LOG_MAX_LINE - 1] = '\0';
	log_init(&lg, &h);
	log_warn(&lg, "ENGINE", "%s", big);
	ck_assert_int_eq(cap.n, 1);
	ck_assert_uint_eq(strlen(cap.message), LOG_MAX_LINE - 1);
	ck_assert_str_eq(cap.message + LOG_MAX_LINE - 4, "...");
	free(big);
}
END_TEST

START_TEST(test_log_sanitises_control_characters)
{
	struct captured cap = { 0 };
	struct whorl_host_services h = host_for(&cap);
	struct logger lg;

	log_init(&lg, &h);
	log_warn(&lg, NULL,
	         "a\nb\rc\x1b[31md\x7f"
	         "\xc3\xa9");
	ck_assert_str_eq(cap.module, "");
	ck_assert_str_eq(cap.message, "a.b.c.[31md."
	                              "\xc3\xa9");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_add_test(tc, test_log_formats_and_passes_module);
	tcase_add_test(tc, test_log_drops_below_min_level);
	tcase_add_test(tc, test_log_without_callback_is_silent);
	tcase_add_test(tc, test_log_refuses_too_small_services);
	tcase_add_test(tc, test_log_cuts_long_lines);
	tcase_add_test(tc, test_log_sanitises_control_characters);
	suite_add_tcase(s, tc);
	return check_run(s);
}
