/*
 * test_spamd.c - whorld's spamd protocol code on its own: the request head
 * parser (every command, both protocols, versions, headers, limits and
 * malformed input) and the reply framing per protocol version, checked
 * byte for byte against what spamd 4.0 sends (spamd.raw, sub check).
 * The daemon end to end is tests/integration/whorld_spamd.sh.
 */
#include <check.h>

#include "check_main.h"
#include <string.h>

#include "host/whorld/spamd_parse.c"
#include "host/whorld/spamd_reply.c"

static struct spamd_req req;
static int code;
static char why[256];

static int parse(const char *s)
{
	return spamd_parse_head(s, strlen(s), 1000, &req, &code, why, sizeof(why));
}

START_TEST(test_parse_check)
{
	const char *s = "CHECK SPAMC/1.5\r\nContent-length: 35\r\nUser: joe\r\n\r\nbody";

	ck_assert_int_eq(parse(s), SPAMD_PARSE_DONE);
	ck_assert_int_eq(req.cmd, SPAMD_CHECK);
	ck_assert_int_eq(req.version, 15);
	ck_assert_int_eq(req.rspamc, 0);
	ck_assert(req.has_length);
	ck_assert_uint_eq(req.content_length, 35);
	ck_assert_uint_eq(req.head_len, strlen(s) - 4);
	ck_assert_int_eq(memcmp(s + req.user.off, "joe", req.user.len), 0);
}
END_TEST

START_TEST(test_parse_more_and_limits)
{
	char big[SPAMD_HEAD_MAX + 10];

	ck_assert_int_eq(parse("CHECK SPAMC/1.5\r\nContent-len"), SPAMD_PARSE_MORE);
	ck_assert_int_eq(parse("CHECK SPAMC/1.5\r\nContent-length: 1001\r\n\r\n"),
	                 SPAMD_PARSE_ERROR);
	ck_assert_int_eq(code, SPAMD_EX_DATAERR);
	ck_assert_ptr_nonnull(strstr(why, "exceeds max message size 1000"));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(parse(big), SPAMD_PARSE_ERROR);
	ck_assert_int_eq(code, SPAMD_EX_PROTOCOL);
}
END_TEST

START_TEST(test_parse_garbage)
{
	static const char *const bad[] = {
		"GET / HTTP/1.1\r\n\r\n",
		"CHECK\r\n\r\n",
		"CHECK SPAMC/x.y\r\n\r\n",
		"FROB SPAMC/1.5\r\n\r\n",
		"CHECK SPAMC/1.5\r\nno colon\r\n\r\n",
		"CHECK SPAMC/1.5\r\nContent-length: -1\r\n\r\n",
		"CHECK SPAMC/1.5\r\nContent-length: 99999999999999999999\r\n\r\n",
		"CHECK SPAMC/1.5\r\nCompress: gzip\r\nContent-length: 1\r\n\r\n",
		"TELL SPAMC/1.5\r\nSet: local\r\nRemove: local\r\n\r\n",
		"TELL SPAMC/1.5\r\nSet: elsewhere\r\n\r\n",
		"CHECK SPAMC/1.5\r\nX: a\x01b\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse(bad[i]) == SPAMD_PARSE_ERROR, "accepted: %s", bad[i]);
	ck_assert_int_eq(parse("CHECK SPAMC/1.5\r\nCompress: zlib\r\n\r\n"), SPAMD_PARSE_ERROR);
	ck_assert_int_eq(code, SPAMD_EX_UNAVAILABLE);
}
END_TEST

START_TEST(test_parse_too_many_headers)
{
	char s[SPAMD_HEAD_MAX];
	size_t n = (size_t)snprintf(s, sizeof(s), "CHECK SPAMC/1.5\r\n");

	for (int i = 0; i < SPAMD_HEADERS_MAX + 1; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "X: %d\r\n", i);
	snprintf(s + n, sizeof(s) - n, "\r\n");
	ck_assert_int_eq(parse(s), SPAMD_PARSE_ERROR);
	ck_assert_ptr_nonnull(strstr(why, "too many headers"));
}
END_TEST

START_TEST(test_parse_ping_and_old)
{
	ck_assert_int_eq(parse("PING SPAMC/1.2\r\n"), SPAMD_PARSE_DONE);
	ck_assert_int_eq(req.cmd, SPAMD_PING);
	ck_assert_int_eq(parse("PING SPAMC/1.5\r\n"), SPAMD_PARSE_MORE);
	ck_assert_int_eq(parse("PING SPAMC/1.5\r\n\r\n"), SPAMD_PARSE_DONE);
	ck_assert_int_eq(parse("PROCESS SPAMC/1.0\nbody"), SPAMD_PARSE_DONE);
	ck_assert_uint_eq(req.head_len, 18);
	ck_assert(!req.has_length);
}
END_TEST

START_TEST(test_parse_rspamc_and_tell)
{
	const char *s = "CHECK RSPAMC/1.3\r\nContent-length: 5\r\nFrom: <a@x>\r\nRcpt: <b@y>\r\n"
	                "Rcpt: <c@y>\r\nHelo: mx\r\nIP: 192.0.2.1\r\nqueue-id: Q1\r\n\r\n";

	ck_assert_int_eq(parse(s), SPAMD_PARSE_DONE);
	ck_assert(req.rspamc);
	ck_assert_uint_eq(req.n_rcpt, 2);
	ck_assert_int_eq(memcmp(s + req.rcpt[1].off, "<c@y>", 5), 0);
	ck_assert_int_eq(memcmp(s + req.ip.off, "192.0.2.1", req.ip.len), 0);
	ck_assert_int_eq(memcmp(s + req.queue_id.off, "Q1", req.queue_id.len), 0);
	ck_assert_int_eq(parse("TELL SPAMC/1.5\r\nMessage-class: spam\r\nSet: local, remote\r\n"
	                       "Content-length: 3\r\n\r\n"),
	                 SPAMD_PARSE_DONE);
	ck_assert_uint_eq(req.tell_set, SPAMD_TELL_LOCAL | SPAMD_TELL_REMOTE);
}
END_TEST

static const struct spamd_result spam = { .score = 90,
	                                  .minimum_score = 50,
	                                  .is_spam = 1,
	                                  .symbols = "WHORL_FUZZY,WHORL_SPAM",
	                                  .analysis = "a",
	                                  .category = "spam",
	                                  .subcategory = "undefined",
	                                  .cmae_headers = 0 };

static void reply_for(const char *head, struct obuf *o)
{
	ck_assert_int_eq(parse(head), SPAMD_PARSE_DONE);
	obuf_reset(o);
	spamd_reply_scan(o, &req, &spam, "S: x\n\nb\n", 8);
}

START_TEST(test_reply_framing)
{
	struct obuf o = { 0 };

	reply_for("CHECK SPAMC/1.5\r\n\r\n", &o);
	ck_assert_str_eq(o.p, "SPAMD/1.1 0 EX_OK\r\nSpam: True ; 90.0 / 50.0\r\n\r\n");
	reply_for("SYMBOLS SPAMC/1.5\r\n\r\n", &o);
	ck_assert_str_eq(o.p, "SPAMD/1.1 0 EX_OK\r\nContent-length: 22\r\nSpam: True ; 90.0 / 50.0"
	                      "\r\n\r\nWHORL_FUZZY,WHORL_SPAM");
	reply_for("SYMBOLS SPAMC/1.2\r\n\r\n", &o);
	ck_assert_str_eq(o.p, "SPAMD/1.1 0 EX_OK\r\nSpam: True ; 90.0 / 50.0\r\n\r\n"
	                      "WHORL_FUZZY,WHORL_SPAM\r\n");
	reply_for("REPORT_IFSPAM SPAMC/1.5\r\n\r\n", &o);
	ck_assert_ptr_nonnull(strstr(o.p, "Spam: Yes ; 90.0 / 50.0\r\n"));
	reply_for("PROCESS SPAMC/1.2\r\n\r\n", &o);
	ck_assert_int_eq(strncmp(o.p, "SPAMD/1.1 0 EX_OK\r\nContent-length: ", 35), 0);
	ck_assert_ptr_null(strstr(o.p, "Spam: "));
	reply_for("HEADERS SPAMC/1.5\r\n\r\n", &o);
	ck_assert_int_eq(strcmp(o.p + o.len - 6, "S: x\n\n"), 0);
	reply_for("CHECK RSPAMC/1.3\r\n\r\n", &o);
	ck_assert_str_eq(o.p,
	                 "RSPAMD/1.3 0 EX_OK\r\nMetric: default; True; 90.00 / 50.00 / 0.0\r\n"
	                 "Action: reject\r\nSymbol: WHORL_FUZZY\r\nSymbol: WHORL_SPAM\r\n\r\n");
	obuf_free(&o);
}
END_TEST

START_TEST(test_symbols)
{
	char out[128];

	spamd_symbols("whorl/0.1.0; s=92; e=fuzzy:0.96,url,struct,-ip; d=sigs:1.1; r=0", 1, "spam",
	              out, sizeof(out));
	ck_assert_str_eq(out, "WHORL_FUZZY,WHORL_URL,WHORL_STRUCT,WHORL_LEGIT_IP,WHORL_SPAM");
	spamd_symbols("whorl/0.1.0; s=0; e=none; d=sigs:1.1; r=0", 0, "legit", out, sizeof(out));
	ck_assert_str_eq(out, "");
	spamd_symbols("echo", 2, "phish-ing", out, 12);
	ck_assert_str_eq(out, ""); /* does not fit: left out, never cut */
}
END_TEST

static Suite *spamd_suite(void)
{
	Suite *s = suite_create("spamd");
	TCase *tc = tcase_create("spamd");

	tcase_add_test(tc, test_parse_check);
	tcase_add_test(tc, test_parse_more_and_limits);
	tcase_add_test(tc, test_parse_garbage);
	tcase_add_test(tc, test_parse_too_many_headers);
	tcase_add_test(tc, test_parse_ping_and_old);
	tcase_add_test(tc, test_parse_rspamc_and_tell);
	tcase_add_test(tc, test_reply_framing);
	tcase_add_test(tc, test_symbols);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(spamd_suite());
}
