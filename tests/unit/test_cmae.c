/*
 * test_cmae.c - a program written only against host/cmae.h (the CMAE
 * facade) scores mail through the echo test cartridge, named by
 * WHORL_CARTRIDGE as an SDK user's deployment would. Not for: libwhorl's
 * own API (it is deliberately not included here).
 */
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmae.h"

static const char spam_msg[] = "Subject: hi\r\nX-Test-Spam: yes\r\n\r\nbody\r\n";
static const char ham_msg[] = "Subject: hi\r\n\r\nhello\r\n";

static void setup(void)
{
	const char *b = getenv("WHORL_TEST_BUILD");
	char path[1024];

	snprintf(path, sizeof(path), "%s/tests/cartridges/good_echo.so", b && *b ? b : "build");
	setenv("WHORL_CARTRIDGE", path, 1);
	unsetenv("WHORL_STATE_DIR");
	ck_assert_int_eq(CMAE_Init("/"), CMAE_OK);
}

static void teardown(void)
{
	CMAE_Shutdown();
}

START_TEST(scores_spam_and_ham)
{
	const char *rcpt[] = { "<postmaster@example.org>" };
	struct CMAE_EnvelopeData env = {
		"192.0.2.1", "mx.example.net", "mx.example.net", "<a@example.net>", rcpt, 1
	};
	unsigned score = 0, cat = 9, sub = 9, rescan = 9;
	char *analysis = NULL;

	ck_assert_int_eq(CMAE_Score(&env, spam_msg, sizeof(spam_msg) - 1, &score, &cat, &sub,
	                            &rescan, &analysis),
	                 CMAE_OK);
	ck_assert_uint_eq(score, 90);
	ck_assert_uint_eq(cat, 1);
	ck_assert_uint_eq(sub, 0);
	ck_assert_uint_eq(rescan, 0);
	ck_assert_str_eq(analysis, "echo; rule=x-test-spam; score=90");
	CMAE_Free(analysis);
	ck_assert_int_eq(
	    CMAE_Score(NULL, ham_msg, sizeof(ham_msg) - 1, &score, &cat, NULL, NULL, NULL),
	    CMAE_OK);
	ck_assert_uint_eq(score, 5);
	ck_assert_uint_eq(cat, 0);
	ck_assert_int_eq(CMAE_Score(NULL, "x", 1, &score, NULL, NULL, &rescan, NULL), CMAE_OK);
	ck_assert_uint_eq(rescan, 1);
}
END_TEST

START_TEST(describes_categories)
{
	char *c = NULL, *s = NULL;

	ck_assert_int_eq(CMAE_DescribeCategory(1, 0, &c, &s), CMAE_OK);
	ck_assert_str_eq(c, "spam");
	ck_assert_str_eq(s, "undefined");
	CMAE_Free(c);
	CMAE_Free(s);
	ck_assert_int_eq(CMAE_DescribeCategory(42, 7, &c, &s), CMAE_EINVAL);
	ck_assert_str_eq(c, "unknown");
	CMAE_Free(c);
	CMAE_Free(s);
}
END_TEST

START_TEST(init_twice_and_after_shutdown)
{
	unsigned score;

	ck_assert_int_eq(CMAE_Init("/"), CMAE_EBUSY);
	CMAE_Shutdown();
	ck_assert_int_eq(
	    CMAE_Score(NULL, ham_msg, sizeof(ham_msg) - 1, &score, NULL, NULL, NULL, NULL),
	    CMAE_EINVAL);
	ck_assert_int_eq(CMAE_Init("/nonexistent/whorl"), CMAE_ECONFIG);
	ck_assert_str_ne(CMAE_StrError(CMAE_EABI), CMAE_StrError(CMAE_ECONFIG));
	ck_assert_int_eq(CMAE_Init("/"), CMAE_OK);
}
END_TEST

START_TEST(swaps_through_facade)
{
	const char *b = getenv("WHORL_TEST_BUILD");
	char path[1024];
	unsigned score;

	snprintf(path, sizeof(path), "%s/tests/cartridges/good_echo2.so", b && *b ? b : "build");
	ck_assert_int_eq(CMAE_Swap(path), CMAE_OK);
	snprintf(path, sizeof(path), "%s/tests/cartridges/bad_major.so", b && *b ? b : "build");
	ck_assert_int_eq(CMAE_Swap(path), CMAE_EABI);
	ck_assert_int_eq(
	    CMAE_Score(NULL, spam_msg, sizeof(spam_msg) - 1, &score, NULL, NULL, NULL, NULL),
	    CMAE_OK);
	ck_assert_uint_eq(score, 90);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cmae");
	TCase *tc = tcase_create("cmae");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, scores_spam_and_ham);
	tcase_add_test(tc, describes_categories);
	tcase_add_test(tc, init_twice_and_after_shutdown);
	tcase_add_test(tc, swaps_through_facade);
	suite_add_tcase(s, tc);
	return check_run(s);
}
