/*
 * test_dcfg_ext.c - whorl_dcfg_load_ext(): a daemon's own keys in a file
 * that also holds the common ones (how whorl-milter reads whorl-milter.cfg).
 * Not for: the common keys themselves (test_dcfg.c).
 */
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "whorl_daemon.h"

struct ext_seen {
	char color[32];
	int calls;
};

/* Takes "favourite colour" (refusing "none") and refuses "threads". */
static int ext_key(void *ctx, const char *key, const char *value, char *why, size_t why_len)
{
	struct ext_seen *seen = ctx;

	seen->calls++;
	if (strcmp(key, "threads") == 0) {
		snprintf(why, why_len, "threads: not used here");
		return WHORL_ECONFIG;
	}
	if (strcmp(key, "favourite colour") != 0)
		return WHORL_DCFG_NOT_MINE;
	if (strcmp(value, "none") == 0) {
		snprintf(why, why_len, "no colour");
		return WHORL_ECONFIG;
	}
	snprintf(seen->color, sizeof(seen->color), "%s", value);
	return 0;
}

static int ext_load(const char *text, struct whorl_dcfg *c, struct ext_seen *seen,
                    struct whorl_dcfg_errors *errs)
{
	char path[] = "/tmp/whorl_dcfg_ext_XXXXXX";
	int fd = mkstemp(path), rc;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	whorl_dcfg_defaults(c);
	memset(seen, 0, sizeof(*seen));
	memset(errs, 0, sizeof(*errs));
	rc = whorl_dcfg_load_ext(path, c, ext_key, seen, errs);
	unlink(path);
	return rc;
}

START_TEST(test_dcfg_ext_keys)
{
	struct whorl_dcfg c;
	struct ext_seen seen;
	struct whorl_dcfg_errors errs;

	ck_assert_int_eq(
	    ext_load("Favourite   Colour = \"deep blue\"\nminimum score = 70\n", &c, &seen, &errs),
	    0);
	ck_assert_str_eq(seen.color, "deep blue");
	ck_assert_uint_eq(c.minimum_score, 70);
	ck_assert_int_eq(seen.calls, 2);
	ck_assert_int_eq(
	    ext_load("favourite colour = none\nthreads = 4\nbogus = 1\n# c\n", &c, &seen, &errs),
	    WHORL_ECONFIG);
	ck_assert_uint_eq(errs.n, 3);
	ck_assert_ptr_nonnull(strstr(errs.line[0], ":1: no colour"));
	ck_assert_ptr_nonnull(strstr(errs.line[1], ":2: threads: not used here"));
	ck_assert_ptr_nonnull(strstr(errs.line[2], ":3: unknown key 'bogus'"));
	ck_assert_int_eq(seen.calls, 3);
}
END_TEST

static Suite *dcfg_ext_suite(void)
{
	Suite *s = suite_create("dcfg_ext");
	TCase *tc = tcase_create("dcfg_ext");

	tcase_add_test(tc, test_dcfg_ext_keys);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(dcfg_ext_suite());
}
