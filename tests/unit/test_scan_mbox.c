/*
 * test_scan_mbox.c - whorl-scan's mbox splitting and "From " unquoting.
 *
 * Compiles host/whorl-scan/mbox.c and walk.c into this test (they are
 * program sources, not a library). Not for: the command line (see
 * tests/integration/scan_cli.sh).
 */
#include <check.h>

#include "check_main.h"
#include <stdlib.h>
#include <string.h>

#include "../../host/whorl-scan/mbox.c"
#include "../../host/whorl-scan/walk.c"

static size_t unescape(const char *in, char *out)
{
	size_t n = mbox_unescape(in, strlen(in), out);

	out[n] = '\0';
	return n;
}

START_TEST(unescape_rules)
{
	char out[256];

	unescape(">From a\n>>From b\n>>>From c\n> From d\n>Fromage\n", out);
	ck_assert_str_eq(out, "From a\n>From b\n>>From c\n> From d\n>Fromage\n");
	unescape("x >From mid-line\n>From", out);
	ck_assert_str_eq(out, "x >From mid-line\n>From");
	unescape(">From last", out);
	ck_assert_str_eq(out, "From last");
	ck_assert_uint_eq(mbox_unescape("", 0, out), 0);
}
END_TEST

static void split(const char *text, struct scan_list *l)
{
	memset(l, 0, sizeof(*l));
	ck_assert_int_eq(walk_source_add(l, "box", strdup(text), strlen(text), 0), 0);
}

static const char *msg(const struct scan_list *l, size_t i, char *buf)
{
	const struct scan_job *j = &l->jobs[i];

	memcpy(buf, l->sources[0].data + j->off, j->len);
	buf[j->len] = '\0';
	return buf;
}

START_TEST(split_messages)
{
	struct scan_list l;
	char buf[256];

	split("From a x\nS: 1\n\nFromage\n\nFrom b y\nS: 2\n\nb\nFrom c\n", &l);
	ck_assert_uint_eq(l.n_jobs, 3);
	ck_assert_str_eq(msg(&l, 0, buf), "S: 1\n\nFromage\n\n");
	ck_assert_str_eq(msg(&l, 1, buf), "S: 2\n\nb\n");
	ck_assert_str_eq(msg(&l, 2, buf), "");
	ck_assert_uint_eq(l.jobs[0].index, 1);
	ck_assert_uint_eq(l.jobs[2].index, 3);
	walk_list_free(&l);
}
END_TEST

START_TEST(not_an_mbox_is_one_message)
{
	struct scan_list l;

	split("Subject: x\nFrom b\n\nFrom c\n", &l);
	ck_assert_uint_eq(l.n_jobs, 1);
	ck_assert_uint_eq(l.jobs[0].index, 0);
	ck_assert_uint_eq(l.jobs[0].len, 26);
	walk_list_free(&l);
	ck_assert_int_eq(mbox_looks_like("From", 4), 0);
	ck_assert_int_eq(mbox_looks_like("From ", 5), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("scan_mbox");
	TCase *tc = tcase_create("mbox");

	tcase_add_test(tc, unescape_rules);
	tcase_add_test(tc, split_messages);
	tcase_add_test(tc, not_an_mbox_is_one_message);
	suite_add_tcase(s, tc);
	return check_run(s);
}
