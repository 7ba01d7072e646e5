/*
 * test_html_tags.c - the HTML element table (cartridge/text/html_tags.c)
 * agrees with its one list, HTML_TAG_LIST: every element is found by its
 * name through the hash index with its own id, flags, length and key
 * (html_tag_key()), and names that are not elements are not found.
 * Not for: how the renderer uses the flags (the text tests).
 */
#include <check.h>

#include "check_main.h"
#include <string.h>

#include "cartridge/text/html_tags.h"

struct listed {
	const char *name;
	unsigned id;
	unsigned flags;
};

static const struct listed listed[] = {
#define LISTED(id, name, flags) { name, TAG_##id, flags },
	HTML_TAG_LIST(LISTED)
#undef LISTED
};

START_TEST(every_listed_element_is_found)
{
	const struct listed *l = &listed[_i];
	size_t len = strlen(l->name);
	const struct tag_info *t = html_tag_lookup(l->name, len);

	ck_assert_msg(t != NULL, "%s not found (stale tag_slots?)", l->name);
	ck_assert_uint_eq(t->id, l->id);
	ck_assert_uint_eq(t->flags, l->flags);
	ck_assert_uint_eq(t->len, len);
	ck_assert_str_eq(t->name, l->name);
	ck_assert(t->key == html_tag_key(l->name, len));
}
END_TEST

START_TEST(list_and_enum_agree)
{
	ck_assert_uint_eq(sizeof(listed) / sizeof(listed[0]), TAG_COUNT - 1);
	for (size_t i = 0; i < sizeof(listed) / sizeof(listed[0]); i++)
		ck_assert_uint_eq(listed[i].id, i + 1);
}
END_TEST

START_TEST(other_names_are_unknown)
{
	static const char *const others[] = {
		"",        "x",      "blockquotx", "blockquote2", "h7",   "scrip",
		"scripts", "abbrev", "textareas",  "plaintexts",  "bodyy"
	};

	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		ck_assert_msg(html_tag_lookup(others[i], strlen(others[i])) == NULL, "%s found",
		              others[i]);
	ck_assert_ptr_null(html_tag_lookup("blockquote-and-much-more", 24));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("html_tags");
	TCase *tc = tcase_create("html_tags");

	tcase_add_loop_test(tc, every_listed_element_is_found, 0,
	                    (int)(sizeof(listed) / sizeof(listed[0])));
	tcase_add_test(tc, list_and_enum_agree);
	tcase_add_test(tc, other_names_are_unknown);
	suite_add_tcase(s, tc);
	return check_run(s);
}
