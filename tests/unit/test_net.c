/*
 * test_net.c - the transport's own parsing: response header lines
 * (net_header_parse) and the jitter of the update thread's waits.
 * Not for: transfers (tests/integration/net_*.sh run real servers).
 */
#include <check.h>
#include <string.h>

#include "cartridge/update/net.h"
#include "cartridge/update/thread.h"
#include "check_main.h"

static struct net_reply fresh(void)
{
	struct net_reply r;
	memset(&r, 0, sizeof r);
	r.content_length = -1;
	return r;
}

static void parse(struct net_reply *r, const char *line)
{
	net_header_parse(line, strlen(line), r);
}

START_TEST(test_content_length)
{
	struct net_reply r = fresh();
	parse(&r, "Content-Length: 1234\r\n");
	ck_assert_int_eq(r.content_length, 1234);
	r = fresh();
	parse(&r, "content-length:   77  \r\n");
	ck_assert_int_eq(r.content_length, 77);
}
END_TEST

START_TEST(test_content_length_refused)
{
	static const char *const bad[] = {
		"Content-Length: \r\n",      "Content-Length: -5\r\n",
		"Content-Length: 12abc\r\n", "Content-Length: 99999999999999999999999\r\n",
		"Content-Lengthx: 5\r\n",    "Content-Length 5\r\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct net_reply r = fresh();
		parse(&r, bad[i]);
		ck_assert_msg(r.content_length == -1, "%s", bad[i]);
	}
}
END_TEST

START_TEST(test_etag)
{
	struct net_reply r = fresh();
	char long_tag[400];
	parse(&r, "ETag: \"abc-123\"\r\n");
	ck_assert_str_eq(r.etag, "\"abc-123\"");
	memset(long_tag, 'a', sizeof long_tag - 1);
	long_tag[sizeof long_tag - 1] = 0;
	memcpy(long_tag, "ETag: ", 6);
	parse(&r, long_tag);
	ck_assert_str_eq(r.etag, ""); /* too long: not remembered */
}
END_TEST

START_TEST(test_bounded)
{
	/* The parser must not read past len: a header cut inside its name. */
	struct net_reply r = fresh();
	net_header_parse("Content-Length: 5", 10, &r);
	ck_assert_int_eq(r.content_length, -1);
	net_header_parse("ETag: x", 0, &r);
	ck_assert_str_eq(r.etag, "");
}
END_TEST

START_TEST(test_jitter)
{
	int low = 0, high = 0;
	for (int i = 0; i < 2000; i++) {
		uint32_t d = update_jitter(100);
		ck_assert_uint_ge(d, 90);
		ck_assert_uint_le(d, 110);
		low |= d < 100;
		high |= d > 100;
	}
	ck_assert(low && high);
	ck_assert_uint_ge(update_jitter(0), 1);
	for (int i = 0; i < 200; i++) /* the default minute is jittered too */
		low |= (update_jitter(60) != 60) << 1;
	ck_assert_int_eq(low & 2, 2);
}
END_TEST

static Suite *net_suite(void)
{
	Suite *s = suite_create("net");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_content_length);
	tcase_add_test(tc, test_content_length_refused);
	tcase_add_test(tc, test_etag);
	tcase_add_test(tc, test_bounded);
	tcase_add_test(tc, test_jitter);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(net_suite());
}
