/*
 * test_cfg_categories.c - the categories list: etc/categories equals the
 * built-in table, parsing, bounds, names and lookups (7/0 = virus/undefined).
 */
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cartridge/cfg/cfg.h"

static int parse_str(struct categories *cats, const char *s)
{
	return categories_parse(cats, s, strlen(s));
}

START_TEST(test_cats_file_matches_defaults)
{
	const char *src = getenv("WHORL_SRCDIR");
	char path[512];
	struct categories from_file, builtin;
	char *buf;
	long len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/etc/categories", src != NULL && *src ? src : ".");
	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc((size_t)len);
	ck_assert_uint_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	ck_assert_int_eq(categories_parse(&from_file, buf, (size_t)len), 0);
	categories_defaults(&builtin);
	ck_assert_int_eq(from_file.n, builtin.n);
	for (int i = 0; i < builtin.n; i++) {
		ck_assert_uint_eq(from_file.names[i].category, builtin.names[i].category);
		ck_assert_uint_eq(from_file.names[i].subcategory, builtin.names[i].subcategory);
		ck_assert_str_eq(from_file.names[i].name, builtin.names[i].name);
		ck_assert_str_eq(from_file.names[i].sub_name, builtin.names[i].sub_name);
	}
	free(buf);
}
END_TEST

START_TEST(test_cats_defaults_names)
{
	struct categories cats;
	const char *sub = NULL;

	categories_defaults(&cats);
	ck_assert_str_eq(categories_name(&cats, 7, 0, &sub), "virus");
	ck_assert_str_eq(sub, "undefined");
	ck_assert_str_eq(categories_name(&cats, 3, 1, &sub), "phishing");
	ck_assert_str_eq(sub, "banking");
	ck_assert_str_eq(categories_name(&cats, 4, 1, &sub), "fraud");
	ck_assert_str_eq(sub, "advance-fee");
	ck_assert_str_eq(categories_name(&cats, 1, 2, NULL), "spam");
	/* Known category, unknown subcategory. */
	ck_assert_str_eq(categories_name(&cats, 7, 99, &sub), "virus");
	ck_assert_str_eq(sub, "unknown");
	ck_assert_str_eq(categories_name(&cats, 6, 0, &sub), "unknown");
	ck_assert_str_eq(sub, "unknown");
	ck_assert_int_eq(categories_lookup(&cats, "virus"), 7);
	ck_assert_int_eq(categories_lookup(&cats, "PHISHING"), 3);
	ck_assert_int_eq(categories_lookup(&cats, "legit"), 0);
	ck_assert_int_eq(categories_lookup(&cats, "spam"), 1);
	ck_assert_int_eq(categories_lookup(&cats, "bulk"), 2);
	ck_assert_int_eq(categories_lookup(&cats, "fraud"), 4);
	ck_assert_int_eq(categories_lookup(&cats, "malware"), 5);
	ck_assert_int_eq(categories_lookup(&cats, "nonsense"), -1);
}
END_TEST

START_TEST(test_cats_parse_syntax)
{
	struct categories cats;
	const char *sub;

	ck_assert_int_eq(parse_str(&cats, "# comment\r\n\r\n  7/0\tvirus  undefined  \r\n"
	                                  "12/34 custom thing\n9999/9999 max max"),
	                 0);
	ck_assert_int_eq(cats.n, 3);
	ck_assert_str_eq(categories_name(&cats, 12, 34, &sub), "custom");
	ck_assert_str_eq(sub, "thing");
	ck_assert_str_eq(categories_name(&cats, 9999, 9999, NULL), "max");
}
END_TEST

static const char *const bad_files[] = {
	"", /* no entry */
	"# only a comment\n",
	"7/0 virus\n", /* no subcategory name */
	"7 virus undefined\n",
	"7/ virus undefined\n",
	"/0 virus undefined\n",
	"7/0virus undefined\n",
	"7/0 virus undefined extra\n",
	"10000/0 big undefined\n",
	"7/0 virus undefined\n7/0 virus again\n",     /* duplicate pair */
	"7/0 virus undefined\n7/1 worm worm\n",       /* two names for 7 */
	"7/0 virus undefined\n8/0 VIRUS undefined\n", /* two numbers for virus */
	"-1/0 neg undefined\n",
	"7/0 virus undefin\x01"
	"ed\n",
	"7/0 virus aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", /* 49 bytes */
};

START_TEST(test_cats_parse_rejects)
{
	struct categories cats;

	categories_defaults(&cats);
	ck_assert_int_eq(parse_str(&cats, bad_files[_i]), WHORL_EFORMAT);
	/* Unchanged on error. */
	ck_assert_str_eq(categories_name(&cats, 3, 0, NULL), "phishing");
	ck_assert_int_eq(cats.n, 34);
}
END_TEST

START_TEST(test_cats_bounds)
{
	size_t cap = (CATS_MAX + 2) * 32;
	char *buf = malloc(cap);
	struct categories cats;
	size_t n = 0;
	char line[400];

	for (int i = 0; i < CATS_MAX; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%d/0 c%d undefined\n", i, i);
	ck_assert_int_eq(categories_parse(&cats, buf, n), 0);
	ck_assert_int_eq(cats.n, CATS_MAX);
	n += (size_t)snprintf(buf + n, cap - n, "%d/0 one-too-many undefined\n", CATS_MAX);
	ck_assert_int_eq(categories_parse(&cats, buf, n), WHORL_EFORMAT);
	ck_assert_int_eq(cats.n, CATS_MAX);

	/* A 300-byte line is refused even when it is a comment. */
	memset(line, ' ', 300);
	line[299] = '#';
	memcpy(line + 300, "\n1/0 spam undefined\n", 21);
	ck_assert_int_eq(parse_str(&cats, line), WHORL_EFORMAT);
	ck_assert_int_eq(categories_parse(&cats, NULL, 0), WHORL_EFORMAT);
	free(buf);
}
END_TEST

/* A refused file says which line and why (issue 12.5). */
START_TEST(test_cats_parse_says_why)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
		{ "1/0 spam undefined\n1/0 spam pharma\n", "line 2: 1/0 is listed twice" },
		{ "# c\n1/0 spam undefined\n1/1 junk x\n",
		  "line 3: category 1 is already named \"spam\"" },
		{ "1/0 spam undefined\n2/0 SPAM undefined\n",
		  "line 2: name \"SPAM\" is already category 1" },
		{ "1-0 spam undefined\n",
		  "line 1: not \"<category>/<subcategory> <name> <subname>\" "
		  "(numbers 0-9999, names 1-47 printable bytes)" },
		{ "1/0 spam undefined extra\n", "line 1: text after the subcategory name" },
		{ "# only a comment\n", "no entries" },
	};
	struct categories cats;
	char why[CATS_WHY_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		ck_assert_int_eq(categories_parse_why(&cats, cases[i].text, strlen(cases[i].text),
		                                      why, sizeof why),
		                 WHORL_EFORMAT);
		ck_assert_str_eq(why, cases[i].why);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("categories");
	TCase *tc = tcase_create("categories");

	tcase_add_test(tc, test_cats_file_matches_defaults);
	tcase_add_test(tc, test_cats_defaults_names);
	tcase_add_test(tc, test_cats_parse_syntax);
	tcase_add_loop_test(tc, test_cats_parse_rejects, 0,
	                    (int)(sizeof(bad_files) / sizeof(bad_files[0])));
	tcase_add_test(tc, test_cats_bounds);
	tcase_add_test(tc, test_cats_parse_says_why);
	suite_add_tcase(s, tc);
	return check_run(s);
}
