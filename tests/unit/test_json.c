/*
 * test_json.c - libwhorl's JSON string writer (host/libwhorl/json.c):
 * quotes, the escapes RFC 8259 needs, U+FFFD for bytes that are not valid
 * UTF-8, valid multi-byte sequences kept, and how many pieces it hands to
 * the output function (runs of plain bytes go out in one call).
 */
#include <check.h>

#include "check_main.h"
#include <string.h>

#include "whorl_daemon.h"

struct out {
	char buf[256];
	size_t len;
	unsigned calls;
};

static void put(void *ctx, const char *p, size_t n)
{
	struct out *o = ctx;

	ck_assert_uint_lt(o->len + n, sizeof(o->buf));
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	o->buf[o->len] = '\0';
	o->calls++;
}

static const char *json(const char *s, unsigned *calls)
{
	static struct out o;

	memset(&o, 0, sizeof(o));
	whorl_json_string(s, put, &o);
	if (calls != NULL)
		*calls = o.calls;
	return o.buf;
}

START_TEST(test_plain_and_escapes)
{
	unsigned calls;

	ck_assert_str_eq(json("body; fuzzy=0.92; d=sigs:1.1", &calls),
	                 "\"body; fuzzy=0.92; d=sigs:1.1\"");
	ck_assert_uint_eq(calls, 3); /* quote, the run, quote */
	ck_assert_str_eq(json(NULL, NULL), "\"\"");
	ck_assert_str_eq(json("", NULL), "\"\"");
	ck_assert_str_eq(json("a\"b\\c\nd\te", NULL), "\"a\\\"b\\\\c\\nd\\te\"");
	ck_assert_str_eq(json("x\001y\177", NULL), "\"x\\u0001y\\u007f\"");
	ck_assert_str_eq(json("\"", NULL), "\"\\\"\"");
}
END_TEST

START_TEST(test_utf8)
{
	ck_assert_str_eq(json("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", NULL),
	                 "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	ck_assert_str_eq(json("a\xff"
	                      "b",
	                      NULL),
	                 "\"a\\ufffdb\"");
	ck_assert_str_eq(json("\xc0\xaf", NULL), "\"\\ufffd\\ufffd\"");            /* overlong */
	ck_assert_str_eq(json("\xed\xa0\x80", NULL), "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate */
	ck_assert_str_eq(json("\xf4\x90\x80\x80", NULL),
	                 "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");      /* past U+10FFFF */
	ck_assert_str_eq(json("end\xc3", NULL), "\"end\\ufffd\""); /* cut at the NUL */
}
END_TEST

static Suite *json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("json");

	tcase_add_test(tc, test_plain_and_escapes);
	tcase_add_test(tc, test_utf8);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(json_suite());
}
