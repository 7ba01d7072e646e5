/*
 * test_wl.c - the whitelist module on its own: every grammar form, every
 * malformed-line message (exact texts), the "enabled with" lines, host
 * prefixes, CIDR edges and suffix matching, header/envelope/body matching,
 * the ReDoS guard, reading whitelist.cfg, and the statistics lines.
 *
 * Not for: the engine around it (test_wl_engine.c).
 */
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../cartridge/wl/wl.h"

#define LOG_BYTES 65536

static char logbuf[LOG_BYTES];

static void log_cap(void *ctx, int level, const char *module, const char *message)
{
	size_t n = strlen(logbuf);
	snprintf(logbuf + n, sizeof(logbuf) - n, "%d:%s: %s\n", level, module, message);
}

static struct logger LG = { .fn = log_cap, .ctx = NULL, .min_level = 0 };

static struct wl *compile(const char *text, enum wl_kind kind)
{
	logbuf[0] = '\0';
	struct wl *w = wl_compile(text, strlen(text), kind, &LG);
	ck_assert_ptr_nonnull(w);
	return w;
}

static void assert_logged(const char *line)
{
	ck_assert_msg(strstr(logbuf, line) != NULL, "'%s' not in log:\n%s", line, logbuf);
}

START_TEST(test_grammar_forms)
{
	struct wl *w = compile("# comment\n"
	                       "   # indented comment\n"
	                       "\n"
	                       "type = host; address = [192.168.1.1]\n"
	                       "type=host; address=[192.168.1]\n"
	                       "type = host; address = [10.0.0.0/8];\n"
	                       "TYPE = Host ; Address = [2001:db8::/32]\r\n"
	                       "type = host; address = [bar.com]\n"
	                       "type = header; header = [From]; value = [@.*gov>];\n"
	                       "type = body; regex = [CLOUD.ARK];\n"
	                       "type = envelope; command = [helo]; value = [.*ite];\n"
	                       "type = envelope; command = [mail from]; value = [@.*ite];\n"
	                       "type = envelope; command = [rcpt to]; value = [@.*ite];\n"
	                       "type = body; regex = [[a-z]+;x]\n",
	                       WL_LOCAL);
	ck_assert_uint_eq(w->n, 11);
	ck_assert_uint_eq(w->per_type[WL_HOST], 5);
	ck_assert_uint_eq(w->per_type[WL_HEADER], 1);
	ck_assert_uint_eq(w->per_type[WL_BODY], 2);
	ck_assert_uint_eq(w->per_type[WL_ENVELOPE], 3);
	ck_assert_uint_eq(w->entries[0].line, 4);
	ck_assert_uint_eq(w->entries[10].line, 14);
	ck_assert_str_eq(w->entries[4].name, "bar.com");
	ck_assert_str_eq(w->entries[5].name, "From");
	ck_assert_int_eq(w->entries[9].command, WL_CMD_RCPT_TO);
	ck_assert_ptr_null(strstr(logbuf, "Malformed"));
	assert_logged("1:WHITELIST: (Host whitelist) enabled with 5 entries\n");
	assert_logged("1:WHITELIST: (Header whitelist) enabled with 1 entry\n");
	assert_logged("1:WHITELIST: (Body whitelist) enabled with 2 entries\n");
	assert_logged("1:WHITELIST: (Envelope whitelist) enabled with 3 entries\n");
	wl_free(w);
}
END_TEST

START_TEST(test_backend_enabled)
{
	struct wl *w = compile("type = host; address = [bar.com]\n", WL_AWL);
	assert_logged("(Host whitelist) Backend whitelist enabled with 1 entry\n");
	ck_assert_ptr_null(strstr(logbuf, "Header whitelist"));
	wl_free(w);
}
END_TEST

static const struct {
	const char *line, *why;
} malformed[] = {
	{ "type = spam; address = [1.2.3.4]", "unknown type" },
	{ "address = [1.2.3.4]", "missing type" },
	{ "type = host", "missing address" },
	{ "type = host; address = []", "missing address" },
	{ "type = host; address = [10.0.0.0/0]", "invalid CIDR mask" },
	{ "type = host; address = [10.0.0.0/33]", "invalid CIDR mask" },
	{ "type = host; address = [::/0]", "invalid CIDR mask" },
	{ "type = host; address = [2001:db8::/129]", "invalid CIDR mask" },
	{ "type = host; address = [10.0.0.0/x]", "malformed address" },
	{ "type = host; address = [300.1.2]", "malformed address" },
	{ "type = host; address = [bar..com]", "malformed address" },
	{ "type = host; address = [bar com]", "malformed address" },
	{ "type = header; value = [x]", "missing header" },
	{ "type = header; header = [From]", "missing command or regex" },
	{ "type = body", "missing command or regex" },
	{ "type = body; regex = []", "missing command or regex" },
	{ "type = envelope; value = [x]", "missing command or regex" },
	{ "type = envelope; command = [helo]", "missing command or regex" },
	{ "type = envelope; command = [data]; value = [x]", "unknown command" },
	{ "type = body; regex = [(abc]",
	  "malformed regex (missing closing parenthesis at offset 4)" },
	{ "type = body; regex = [abc", "missing ']'" },
	{ "type = body; colour = [red]", "unknown key 'colour'" },
	{ "type = body; type = body; regex = [x]", "duplicate key 'type'" },
	{ "type = body; regex = [x]; address = [1.2.3.4]",
	  "unexpected key 'address' for type body" },
	{ "type = body; regex = [x] junk", "missing ']'" },
	{ "type = body regex = [x]", "unknown type" },
	{ "type = body; regex = [x]; type", "missing ']'" },
	{ "type = host; address = 1.2.3.4 x = [y]", "malformed address" },
	{ "just words", "missing '='" },
};

START_TEST(test_malformed_lines)
{
	size_t i = (size_t)_i;
	char text[512], want[768];
	snprintf(text, sizeof(text), "type = body; regex = [ok]\n%s\n", malformed[i].line);
	struct wl *w = compile(text, WL_LOCAL);
	ck_assert_uint_eq(w->n, 1);
	snprintf(want, sizeof(want), "2:WHITELIST: Malformed line '%s', %s, skipping\n",
	         malformed[i].line, malformed[i].why);
	assert_logged(want);
	wl_free(w);
}
END_TEST

START_TEST(test_control_and_long_lines)
{
	char text[WL_MAX_LINE + 64];
	memset(text, 'x', sizeof(text));
	memcpy(text, "type = body; regex = [", 22);
	text[WL_MAX_LINE + 10] = ']';
	text[WL_MAX_LINE + 11] = '\n';
	text[WL_MAX_LINE + 12] = '\0';
	struct wl *w = compile(text, WL_LOCAL);
	ck_assert_uint_eq(w->n, 0);
	assert_logged(", line longer than 4096 bytes, skipping");
	wl_free(w);
	const char bin[] = "type = body; regex = [a\x01]\n";
	w = compile(bin, WL_LOCAL);
	ck_assert_uint_eq(w->n, 0);
	assert_logged("Malformed line 'type = body; regex = [a.]', control character, skipping");
	wl_free(w);
}
END_TEST

static int host_hits(const char *address, const char *ip, const char *host)
{
	struct wl_entry e;
	const char *why = NULL;
	memset(&e, 0, sizeof(e));
	ck_assert_msg(wl_host_parse(address, strlen(address), &e, &why) == 0, "%s: %s", address,
	              why);
	return wl_host_match(&e, ip, host);
}

START_TEST(test_host_ipv4)
{
	ck_assert(host_hits("192.168.1.1", "192.168.1.1", NULL));
	ck_assert(!host_hits("192.168.1.1", "192.168.1.10", NULL));
	ck_assert(host_hits("192.168.1", "192.168.1.77", NULL));
	ck_assert(host_hits("192.168.1.", "192.168.1.77", NULL));
	ck_assert(!host_hits("192.168.1", "192.168.10.1", NULL));
	ck_assert(host_hits("10", "10.200.3.4", NULL));
	ck_assert(host_hits("128.0.0.0/1", "200.1.1.1", NULL));
	ck_assert(!host_hits("128.0.0.0/1", "100.1.1.1", NULL));
	ck_assert(host_hits("203.0.113.7/32", "203.0.113.7", NULL));
	ck_assert(!host_hits("203.0.113.7/32", "203.0.113.6", NULL));
	ck_assert(host_hits("203.0.113.77/24", "203.0.113.1", NULL)); /* host bits ignored */
	ck_assert(host_hits("172.16.0.0/12", "172.31.255.255", NULL));
	ck_assert(!host_hits("172.16.0.0/12", "172.32.0.0", NULL));
	ck_assert(host_hits("10.0.0.0/8", "::ffff:10.1.2.3", NULL)); /* v4-mapped */
	ck_assert(!host_hits("10.0.0.0/8", "::a01:203", NULL));
	ck_assert(!host_hits("10.0.0.0/8", NULL, "ten.example"));
	ck_assert(!host_hits("10.0.0.0/8", "not an ip", NULL));
}
END_TEST

START_TEST(test_host_ipv6)
{
	ck_assert(host_hits("2001:db8::1", "2001:DB8:0:0::1", NULL));
	ck_assert(host_hits("2001:db8::1/128", "2001:db8::1", NULL));
	ck_assert(!host_hits("2001:db8::1/128", "2001:db8::2", NULL));
	ck_assert(host_hits("8000::/1", "fe80::1", NULL));
	ck_assert(!host_hits("8000::/1", "2001:db8::1", NULL));
	ck_assert(host_hits("2001:db8::/32", "2001:db8:ffff::1", NULL));
	ck_assert(!host_hits("2001:db8::/32", "2001:db9::1", NULL));
	ck_assert(host_hits("2001:db8:1::/48", "IPv6:2001:db8:1::9", NULL));
	ck_assert(host_hits("2001:db8", "2001:db8::5", NULL)); /* leading groups */
	ck_assert(host_hits("2001:db8:", "2001:db8::5", NULL));
	ck_assert(!host_hits("2001:db8", "2001:db9::5", NULL));
	ck_assert(!host_hits("2001:db8::/32", "32.1.13.184", NULL)); /* families differ */
}
END_TEST

START_TEST(test_host_suffix)
{
	ck_assert(host_hits("bar.com", NULL, "bar.com"));
	ck_assert(host_hits("bar.com", NULL, "x.bar.com"));
	ck_assert(host_hits("bar.com", NULL, "a.b.BAR.COM."));
	ck_assert(host_hits("Bar.Com.", NULL, "x.bar.com"));
	ck_assert(!host_hits("bar.com", NULL, "foobar.com"));
	ck_assert(!host_hits("bar.com", NULL, "bar.com.evil.net"));
	ck_assert(!host_hits("bar.com", NULL, "ar.com"));
	ck_assert(!host_hits("bar.com", NULL, ""));
	ck_assert(!host_hits("bar.com", "1.2.3.4", NULL));
}
END_TEST

/* A parsed message and its subject, for the matching tests. */
struct msg_fixture {
	struct arena arena;
	struct mime_msg mime;
	struct wl_subject sub;
};

static void fixture_parse(struct msg_fixture *f, const char *msg, const char *body)
{
	struct mime_limits lim = { 0 };
	arena_init(&f->arena);
	ck_assert_int_eq(mime_parse(&f->arena, NULL, msg, strlen(msg), &lim, &f->mime), 0);
	f->sub = (struct wl_subject){ .mime = &f->mime,
		                      .body = body,
		                      .body_len = body ? strlen(body) : 0,
		                      .arena = &f->arena };
}

static const char test_msg[] = "From: \"Ann\" <ann@example.com>\r\n"
                               "Subject: =?utf-8?q?J=C3=B6rg_wrote?=\r\n"
                               "From: \"Bob\" <bob@justice.gov>\r\n"
                               "To: oscar@example.org\r\n"
                               "\r\n"
                               "Hello.\r\n";

START_TEST(test_header_all_occurrences_and_decoded)
{
	struct msg_fixture f;
	fixture_parse(&f, test_msg, "Hello.");
	struct wl *w = compile("type = header; header = [from]; value = [@.*gov>]\n"
	                       "type = header; header = [Subject]; value = [^Jörg wrote$]\n",
	                       WL_LOCAL);
	const struct wl_entry *e = wl_match(w, &f.sub, &LG);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->line, 1);
	ck_assert_uint_eq(atomic_load(&w->entries[0].hits), 1);
	wl_free(w);
	w = compile("type = header; header = [Subject]; value = [^Jörg wrote$]\n", WL_LOCAL);
	ck_assert_ptr_nonnull(wl_match(w, &f.sub, &LG));
	wl_free(w);
	w = compile("type = header; header = [To]; value = [@nowhere]\n", WL_LOCAL);
	ck_assert_ptr_null(wl_match(w, &f.sub, &LG));
	ck_assert_uint_eq(atomic_load(&w->entries[0].hits), 0);
	wl_free(w);
	arena_destroy(&f.arena);
}
END_TEST

START_TEST(test_envelope)
{
	struct msg_fixture f;
	const char *rcpts[] = { "<a@example.org>", "<b@site.ite>" };
	struct whorl_envelope env = { .size = sizeof(env),
		                      .helo = "mx.example.ite",
		                      .mail_from = "<list@news.example.com>",
		                      .rcpt_to = rcpts,
		                      .n_rcpt_to = 2 };
	fixture_parse(&f, test_msg, "Hello.");
	f.sub.env = &env;
	struct wl *w = compile("type = envelope; command = [helo]; value = [\\.ite$]\n", WL_LOCAL);
	ck_assert_ptr_nonnull(wl_match(w, &f.sub, &LG));
	wl_free(w);
	w = compile("type = envelope; command = [mail from]; value = [^<list@.*com>$]\n", WL_LOCAL);
	ck_assert_ptr_nonnull(wl_match(w, &f.sub, &LG));
	wl_free(w);
	w = compile("type = envelope; command = [RCPT TO]; value = [@.*ite>]\n", WL_LOCAL);
	ck_assert_ptr_nonnull(wl_match(w, &f.sub, &LG));
	f.sub.env = NULL;
	ck_assert_ptr_null(wl_match(w, &f.sub, &LG));
	wl_free(w);
	arena_destroy(&f.arena);
}
END_TEST

START_TEST(test_body_and_order)
{
	struct msg_fixture f;
	fixture_parse(&f, test_msg, "Welcome to CLOUDMARK news");
	f.sub.client_ip = "192.0.2.9";
	struct wl *w = compile("type = body; regex = [nothing here]\n"
	                       "type = host; address = [192.0.2.0/24]\n"
	                       "type = body; regex = [CLOUD.ARK]\n",
	                       WL_LOCAL);
	const struct wl_entry *e = wl_match(w, &f.sub, &LG);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->line, 2);
	f.sub.client_ip = "198.51.100.1";
	e = wl_match(w, &f.sub, &LG);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->line, 3);
	wl_free(w);
	arena_destroy(&f.arena);
}
END_TEST

/* (a+)+$ over 100 KB of "a" and a final "!" backtracks exponentially
 * without limits: the entry must give up, be logged once, and the next
 * entry still be tried. */
START_TEST(test_redos_gives_up)
{
	size_t n = 100 * 1024;
	char *body = malloc(n + 16);
	ck_assert_ptr_nonnull(body);
	memset(body, 'a', n);
	strcpy(body + n, "!CLOUDMARK");
	struct msg_fixture f;
	fixture_parse(&f, test_msg, body);
	struct wl *w = compile("type = body; regex = [(a+)+$]\n"
	                       "type = body; regex = [CLOUD.ARK]\n",
	                       WL_LOCAL);
	for (int round = 0; round < 2; round++) {
		const struct wl_entry *e = wl_match(w, &f.sub, &LG);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->line, 2);
	}
	ck_assert_uint_eq(atomic_load(&w->entries[0].hits), 0);
	const char *gave = strstr(logbuf, "local body whitelist entry on line 1 gave up");
	ck_assert_msg(gave != NULL, "%s", logbuf);
	ck_assert_ptr_null(strstr(gave + 40, "gave up")); /* logged once */
	wl_free(w);
	arena_destroy(&f.arena);
	free(body);
}
END_TEST

START_TEST(test_load_file)
{
	char dir[] = "/tmp/whorl_test_wl.XXXXXX", path[128], want[256];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct wl *w = NULL;
	logbuf[0] = '\0';
	ck_assert_int_eq(wl_load_file(dir, &LG, &w), 0);
	ck_assert_ptr_nonnull(w);
	ck_assert_uint_eq(w->n, 0);
	snprintf(want, sizeof(want),
	         "2:WHITELIST: Could not find config file %s/whitelist.cfg "
	         "(No such file or directory), local whitelist will be disabled\n",
	         dir);
	assert_logged(want);
	wl_free(w);
	snprintf(path, sizeof(path), "%s/whitelist.cfg", dir);
	FILE *fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("type = host; address = [bar.com]\n", fp);
	fclose(fp);
	ck_assert_int_eq(wl_load_file(dir, &LG, &w), 0);
	ck_assert_uint_eq(w->n, 1);
	wl_free(w);
	/* Unreadable (a directory): no list, so a reload keeps the old one. */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	logbuf[0] = '\0';
	ck_assert_int_eq(wl_load_file(dir, &LG, &w), WHORL_EIO);
	ck_assert_ptr_null(w);
	assert_logged("local whitelist will be disabled");
	ck_assert_int_eq(rmdir(path), 0);
	/* A FIFO is refused at once (a plain open would block), naming why. */
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	logbuf[0] = '\0';
	ck_assert_int_eq(wl_load_file(dir, &LG, &w), WHORL_EIO);
	ck_assert_ptr_null(w);
	snprintf(want, sizeof(want),
	         "2:WHITELIST: Could not open config file %s (not a regular "
	         "file), local whitelist will be disabled\n",
	         path);
	assert_logged(want);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
	logbuf[0] = '\0';
	ck_assert_int_eq(wl_load_file(dir, &LG, &w), 0);
	assert_logged("2:WHITELIST: Invalid configuration directory\n");
	wl_free(w);
}
END_TEST

START_TEST(test_stats_lines)
{
	struct msg_fixture f;
	fixture_parse(&f, test_msg, "x");
	f.sub.client_host = "mx.bar.com";
	struct wl *w = compile("\n\ntype = host; address = [bar.com]\n", WL_AWL);
	ck_assert_ptr_nonnull(wl_match(w, &f.sub, &LG));
	ck_assert_ptr_nonnull(wl_match(w, &f.sub, &LG));
	struct wl_stats st;
	memset(&st, 0, sizeof(st));
	atomic_store(&st.by_type[WL_AWL][WL_HOST], 2);
	atomic_store(&st.by_type[WL_LOCAL][WL_HEADER], 5);
	const struct wl *lists[WL_N_KINDS] = { NULL, w };
	char buf[2048];
	size_t pos = 0;
	wl_stats_format(&st, lists, buf, sizeof(buf), &pos);
	ck_assert_str_eq(buf, "local header whitelist = 5\n"
	                      "local envelope whitelist = 0\n"
	                      "local body whitelist = 0\n"
	                      "local ip whitelist = 0\n"
	                      "awl header whitelist = 0\n"
	                      "awl envelope whitelist = 0\n"
	                      "awl body whitelist = 0\n"
	                      "awl ip whitelist = 2\n"
	                      "awl whitelist entry hits = host:3:2\n");
	char small[40];
	pos = 0;
	wl_stats_format(&st, lists, small, sizeof(small), &pos);
	ck_assert_str_eq(small, "local header whitelist = 5\n"); /* never half a line */
	wl_free(w);
	arena_destroy(&f.arena);
}
END_TEST

/* 300 malformed lines log LOG_BOUND_LINES warnings and one count (12.4). */
START_TEST(test_problem_lines_bounded)
{
	static char text[300 * 16];
	size_t n = 0;

	for (int i = 0; i < 300; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "type = nope%d\n", i);
	struct wl *w = compile(text, WL_LOCAL);
	size_t lines = 0;
	for (const char *p = logbuf; (p = strstr(p, "2:WHITELIST: ")) != NULL; p++)
		lines++;
	ck_assert_uint_le(lines, 22);
	assert_logged(
	    "280 more problems in the local whitelist were not logged (the first 20 were)");
	wl_free(w);
}
END_TEST

/* Regex work is bounded per message, not only per entry (issue 12.4):
 * 200 body entries over a 64 KiB body cost about 13 MB of subject, past
 * WL_MSG_REGEX_BUDGET, so the entry that would match comes too late; the
 * log names the costliest entries once, and the subject is told entries
 * were skipped (the verdict's rescan). A small body is matched in full. */
START_TEST(test_regex_budget_per_message)
{
	static char text[210 * 48], body[65537];
	size_t n = 0;
	struct msg_fixture f;

	for (int i = 0; i < 200; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
		                      "type = body; regex = [(*NO_JIT)nomatch%d]\n", i);
	snprintf(text + n, sizeof(text) - n, "type = body; regex = [xyz]\n");
	memset(body, 'x', sizeof(body) - 4);
	memcpy(body + sizeof(body) - 4, "xyz", 4);
	fixture_parse(&f, test_msg, body);
	struct wl *w = compile(text, WL_LOCAL);
	int skipped = 0;
	f.sub.skipped = &skipped;
	ck_assert_uint_eq(w->n, 201);
	ck_assert_ptr_null(wl_match(w, &f.sub, &LG));
	ck_assert_int_eq(skipped, 1); /* the miss is not a full answer: rescan */
	assert_logged("local whitelist: regex work for one message reached its budget of 8388608 "
	              "units at the entry on line 129; the costliest entries were line ");
	/* Logged once per list; the same message gets the same answer. */
	logbuf[0] = '\0';
	ck_assert_ptr_null(wl_match(w, &f.sub, &LG));
	ck_assert_ptr_null(strstr(logbuf, "budget"));
	arena_destroy(&f.arena);
	fixture_parse(&f, test_msg, "a short body xyz");
	skipped = 0;
	f.sub.skipped = &skipped;
	const struct wl_entry *e = wl_match(w, &f.sub, &LG);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->line, 201);
	ck_assert_int_eq(skipped, 0);
	wl_free(w);
	arena_destroy(&f.arena);
}
END_TEST

static Suite *wl_suite(void)
{
	Suite *s = suite_create("wl");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_grammar_forms);
	tcase_add_test(tc, test_problem_lines_bounded);
	tcase_add_test(tc, test_regex_budget_per_message);
	tcase_add_test(tc, test_backend_enabled);
	tcase_add_loop_test(tc, test_malformed_lines, 0,
	                    (int)(sizeof(malformed) / sizeof(malformed[0])));
	tcase_add_test(tc, test_control_and_long_lines);
	tcase_add_test(tc, test_host_ipv4);
	tcase_add_test(tc, test_host_ipv6);
	tcase_add_test(tc, test_host_suffix);
	tcase_add_test(tc, test_header_all_occurrences_and_decoded);
	tcase_add_test(tc, test_envelope);
	tcase_add_test(tc, test_body_and_order);
	tcase_add_test(tc, test_redos_gives_up);
	tcase_add_test(tc, test_load_file);
	tcase_add_test(tc, test_stats_lines);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(wl_suite());
}
