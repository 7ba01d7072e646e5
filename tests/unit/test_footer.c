/*
 * test_footer.c - text_strip_footers(): the list footers it cuts, what it
 * leaves alone, and that separator lines anywhere change nothing (issue 9).
 */
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cartridge/text/text.h"

#define AUTHOR                                                                         \
	"Hello all, has anyone measured how the new scheduler behaves on two cores?\n" \
	"I see odd latencies with the default settings and would like to compare notes.\n"
#define MAILMAN                                                                \
	"_______________________________________________\nIlug mailing list\n" \
	"Ilug@lists.example.org\nhttp://lists.example.org/mailman/listinfo/ilug\n"
#define ILUG                                                                            \
	"-- \nIrish Linux Users' Group: ilug@linux.ie\n"                                \
	"http://www.linux.ie/mailman/listinfo/ilug for (un)subscription information.\n" \
	"List maintainer: listmaster@linux.ie\n"
#define SPONSOR                                                     \
	"-------------------------------------------------------\n" \
	"This sf.net email is sponsored by: a new phone for free\n" \
	"https://www.example.com/r.asp?r=sourceforge1\n"
#define SPAM_TEXT                                                                   \
	"GET YOUR UNIVERSITY DIPLOMA\nDo you want a prosperous future, increased\n" \
	"money earning power, and the respect of all? Call now, 24 hours a day, 7 days a week.\n"
#define SPAM SPAM_TEXT "No one is turned down. To unsubscribe reply with remove in the subject.\n"

static size_t strip(const char *t)
{
	return text_strip_footers(t, strlen(t));
}

/* The letters and digits of t[0..n), in order: what the engines see of it. */
static char *alnum_of(const char *t, size_t n)
{
	char *o = malloc(n + 1);
	size_t k = 0;
	ck_assert_ptr_nonnull(o);
	for (size_t i = 0; i < n; i++)
		if ((t[i] >= '0' && t[i] <= '9') || ((t[i] | 0x20) >= 'a' && (t[i] | 0x20) <= 'z'))
			o[k++] = t[i];
	o[k] = '\0';
	return o;
}

/* What the engines see of t once footers are cut equals what they see of want. */
static void cuts_to(const char *t, const char *want)
{
	char *got = alnum_of(t, strip(t)), *w = alnum_of(want, strlen(want));
	ck_assert_msg(strcmp(got, w) == 0, "kept \"%s\", wanted \"%s\"", got, w);
	free(got);
	free(w);
}

START_TEST(footers_cut)
{
	cuts_to(AUTHOR MAILMAN, AUTHOR);
	cuts_to(AUTHOR "\n" MAILMAN "\n\n", AUTHOR);
	cuts_to(AUTHOR ILUG, AUTHOR);
	/* Stacked: a sponsor block above the list footer, no blank line between. */
	cuts_to(AUTHOR "\n\n" SPONSOR MAILMAN, AUTHOR);
	/* Without its separator line the footer is still found. */
	cuts_to(AUTHOR "Ilug mailing list\nhttp://x.example/listinfo/ilug\n", AUTHOR);
	/* A Yahoo! Groups unsubscribe block. */
	cuts_to(AUTHOR "\nTo unsubscribe from this group, send an email to:\n"
	               "forteana-unsubscribe@egroups.com\n",
	        AUTHOR);
}
END_TEST

START_TEST(footers_left_alone)
{
	/* A signature that names no list stays. */
	const char *sig = AUTHOR "-- \nJohn Smith, Example Ltd\n";
	ck_assert_uint_eq(strip(sig), strlen(sig));
	/* A short message is never cut whole, nor down to a few words. */
	const char *short_spam = "Cheap watches, see http://x.example/listinfo/x\n";
	ck_assert_uint_eq(strip(short_spam), strlen(short_spam));
	/* A spam's own closing words are its text, whatever precedes them. */
	ck_assert_uint_eq(strip(SPAM), strlen(SPAM));
	ck_assert_uint_eq(strip(AUTHOR "\n\n" SPAM), strlen(AUTHOR "\n\n" SPAM));
	ck_assert_uint_eq(strip("-----------------\n" SPAM), strlen("-----------------\n" SPAM));
	/* ... unless they name a list manager's page: then a list footer. */
	cuts_to(AUTHOR "\n" SPAM "http://lists.example.org/mailman/listinfo/x\n", AUTHOR);
	/* A long last paragraph is cut only from its first line naming a list. */
	char big[4096] = "";
	for (int i = 0; i < 20; i++)
		strcat(big, "Plenty of ordinary words on this line of the long paragraph.\n");
	size_t body = strlen(big);
	strcat(big, "Ilug mailing list\nhttp://x.example/listinfo/ilug\n");
	ck_assert_uint_eq(strip(big), body);
	ck_assert_uint_eq(text_strip_footers("", 0), 0);
}
END_TEST

/* Separator lines (several kinds) inserted before any line of a message
 * never change what the engines see of it once footers are cut. */
static void check_invariant(const char *text)
{
	static const char *const rules[] = {
		"------------------------------",
		"==========",
		"______________________________",
		"********************",
		"~~~~~~~~~~~~",
		"\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80",
		"- - - - - - - - - -",
		"-----~->",
	};
	char *want = alnum_of(text, strip(text));
	size_t len = strlen(text);
	char *buf = malloc(len + 64);
	ck_assert_ptr_nonnull(buf);
	for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++)
		for (size_t at = 0; at <= len; at++) {
			if (at > 0 && text[at - 1] != '\n')
				continue;
			int n = snprintf(buf, len + 64, "%.*s%s\n%s", (int)at, text, rules[r],
			                 text + at);
			ck_assert_int_gt(n, 0);
			char *got = alnum_of(buf, text_strip_footers(buf, (size_t)n));
			ck_assert_msg(strcmp(got, want) == 0,
			              "rule %zu before offset %zu changed the cut", r, at);
			free(got);
		}
	free(buf);
	free(want);
}

START_TEST(separators_change_nothing)
{
	check_invariant(AUTHOR MAILMAN);
	check_invariant(AUTHOR "\n" ILUG);
	check_invariant(AUTHOR "\n\n" SPONSOR MAILMAN);
	check_invariant(SPAM);
	check_invariant("Hi,\n\n" SPAM);
	check_invariant(AUTHOR "\n" SPAM "\n" MAILMAN);
	check_invariant("-- \n" SPAM);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("footer");
	TCase *tc = tcase_create("footer");
	tcase_add_test(tc, footers_cut);
	tcase_add_test(tc, footers_left_alone);
	tcase_add_test(tc, separators_change_nothing);
	suite_add_tcase(s, tc);
	return check_run(s);
}
