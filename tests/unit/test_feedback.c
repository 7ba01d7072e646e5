/*
 * test_feedback.c - whorl_feedback_record(), the one writer of feedback
 * reports: the fields of docs/FEEDBACK.md in order, the message copied or
 * left out, fingerprints and sketches from the cartridge (the echo test
 * cartridge, whose fingerprints are known: FNV-1a of the bytes, a length
 * sketch), hostile caller text cleaned, every refusal, and threads
 * recording at once. Uses $WHORL_TEST_BUILD/tests/cartridges.
 * Not for: the spool's layout on its own (test_dcfg.c) or the front ends
 * (tests/integration).
 */
#include <check.h>

#include "check_main.h"
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "whorl_daemon.h"

#define THREADS 4
#define REPORTS_PER_THREAD 25

static const char spam_msg[] = "Subject: hi\nX-Test-Spam: yes\n\nbody\n";
static char spool[] = "/tmp/whorl_feedback_XXXXXX";
static whorl_host *host;

static void setup(void)
{
	const char *b = getenv("WHORL_TEST_BUILD");
	char cart[1024];
	char err[512];
	struct whorl_host_options o = { .size = sizeof(o), .config_dir = "/tmp" };

	snprintf(cart, sizeof(cart), "%s/tests/cartridges/good_echo.so", b && *b ? b : "build");
	o.cartridge_path = cart;
	ck_assert_ptr_nonnull(mkdtemp(spool));
	ck_assert_msg(whorl_host_open(&o, &host, err, sizeof(err)) == 0, "%s", err);
}

static void teardown(void)
{
	char cmd[128];

	whorl_host_close(host);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", spool);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(spool, "/tmp/whorl_feedback_XXXXXX");
}

/* The report named `name` in new/, whole, NUL terminated (caller frees). */
static char *report(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf = malloc(1 << 16);

	snprintf(path, sizeof(path), "%s/new/%s", spool, name);
	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	*len = fread(buf, 1, (1 << 16) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static size_t count_new(void)
{
	char path[512];
	size_t n = 0;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s/new", spool);
	d = opendir(path);
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static unsigned long long fnv1a64(const char *p, size_t n)
{
	unsigned long long h = 0xcbf29ce484222325ull;

	while (n--)
		h = (h ^ (unsigned char)*p++) * 0x100000001b3ull;
	return h;
}

START_TEST(test_feedback_message)
{
	struct whorl_feedback fb = { .size = sizeof(fb),
		                     .feedback_class = WHORL_FEEDBACK_SPAM,
		                     .actions =
		                         WHORL_FEEDBACK_SET_LOCAL | WHORL_FEEDBACK_SET_REMOTE,
		                     .content = WHORL_FEEDBACK_MESSAGE,
		                     .reporter = "joe@example.org",
		                     .client = "127.0.0.1",
		                     .source = "spamd",
		                     .score = 5 };
	char name[128], want[512];
	size_t len;

	ck_assert_int_eq(
	    whorl_feedback_record(host, spool, &fb, spam_msg, strlen(spam_msg), name, sizeof(name)),
	    0);
	char *r = report(name, &len);
	snprintf(want, sizeof(want),
	         "X-Whorl-Feedback-Class: spam\nX-Whorl-Feedback-Action: set-local set-remote\n"
	         "X-Whorl-Feedback-User: joe@example.org\nX-Whorl-Feedback-Client: 127.0.0.1\n"
	         "X-Whorl-Feedback-Source: spamd\nX-Whorl-Feedback-Score: 5\n"
	         "X-Whorl-Feedback-Content: message\nX-Whorl-Feedback-Length: %zu\n\n%s",
	         strlen(spam_msg), spam_msg);
	ck_assert_str_eq(r, want);
	free(r);
	/* No host is needed for a message-only report; defaults fill the rest. */
	fb = (struct whorl_feedback){ .size = sizeof(fb),
		                      .feedback_class = WHORL_FEEDBACK_HAM,
		                      .content = WHORL_FEEDBACK_MESSAGE,
		                      .score = -1 };
	ck_assert_int_eq(whorl_feedback_record(NULL, spool, &fb, "x", 1, name, sizeof(name)), 0);
	r = report(name, &len);
	ck_assert_str_eq(r, "X-Whorl-Feedback-Class: ham\nX-Whorl-Feedback-Action: \n"
	                    "X-Whorl-Feedback-User: (unknown)\nX-Whorl-Feedback-Client: local\n"
	                    "X-Whorl-Feedback-Source: api\nX-Whorl-Feedback-Content: message\n"
	                    "X-Whorl-Feedback-Length: 1\n\nx");
	free(r);
}
END_TEST

START_TEST(test_feedback_fingerprints)
{
	struct whorl_feedback fb = { .size = sizeof(fb),
		                     .feedback_class = WHORL_FEEDBACK_SPAM,
		                     .actions = WHORL_FEEDBACK_SET_LOCAL,
		                     .content = WHORL_FEEDBACK_FINGERPRINTS,
		                     .reporter = "milter",
		                     .score = 90,
		                     .reason = "activefilter: verdict 90 >= score_af 80" };
	char name[128], line[256];
	size_t len, n = strlen(spam_msg);
	char *r;

	ck_assert_int_eq(whorl_feedback_record(host, spool, &fb, spam_msg, n, name, sizeof(name)),
	                 0);
	r = report(name, &len);
	snprintf(line, sizeof(line), "\nX-Whorl-Feedback-Fingerprint: body v1 %016llx 0000\n",
	         fnv1a64(spam_msg, n));
	ck_assert_msg(strstr(r, line) != NULL, "%s", r);
	snprintf(line, sizeof(line), "\nX-Whorl-Feedback-Sketch: fuzzy v1 %08zx\n", n);
	ck_assert_msg(strstr(r, line) != NULL, "%s", r);
	ck_assert_ptr_nonnull(strstr(r, "\nX-Whorl-Feedback-Content: fingerprints\n"));
	ck_assert_ptr_nonnull(strstr(r, "\nX-Whorl-Feedback-Rescan: 0\n"));
	ck_assert_ptr_nonnull(
	    strstr(r, "\nX-Whorl-Feedback-Reason: activefilter: verdict 90 >= score_af 80\n"));
	/* Fingerprints only: the message is not in the spool. */
	ck_assert_ptr_nonnull(strstr(r, "\nX-Whorl-Feedback-Length: 0\n\n"));
	ck_assert_ptr_null(strstr(r, "body\n"));
	ck_assert_uint_eq(len, (size_t)(strstr(r, "Length: 0\n\n") - r) + 11);
	free(r);
	fb.content = WHORL_FEEDBACK_MESSAGE | WHORL_FEEDBACK_FINGERPRINTS;
	ck_assert_int_eq(whorl_feedback_record(host, spool, &fb, spam_msg, n, name, sizeof(name)),
	                 0);
	r = report(name, &len);
	ck_assert_ptr_nonnull(strstr(r, "\nX-Whorl-Feedback-Content: message fingerprints\n"));
	ck_assert_str_eq(r + len - n, spam_msg);
	free(r);
}
END_TEST

/* Caller text cannot break a field or add one. */
START_TEST(test_feedback_hostile_text)
{
	char big[1000], name[128];
	struct whorl_feedback fb = { .size = sizeof(fb),
		                     .feedback_class = WHORL_FEEDBACK_HAM,
		                     .content = WHORL_FEEDBACK_MESSAGE,
		                     .reporter = "eve\r\nX-Whorl-Feedback-Class: spam",
		                     .client = big,
		                     .score = 101 };
	size_t len;
	char *r;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(whorl_feedback_record(host, spool, &fb, "m", 1, name, sizeof(name)), 0);
	r = report(name, &len);
	ck_assert_ptr_nonnull(
	    strstr(r, "\nX-Whorl-Feedback-User: eve??X-Whorl-Feedback-Class: spam\n"));
	ck_assert_ptr_null(strstr(r, "\nX-Whorl-Feedback-Class: spam"));
	ck_assert_ptr_null(strstr(r, "Score")); /* out of range: left out */
	char *client = strstr(r, "X-Whorl-Feedback-Client: ");
	ck_assert_ptr_nonnull(client);
	ck_assert_uint_eq(strcspn(client + 25, "\n"), WHORL_FEEDBACK_TEXT_MAX - 1);
	free(r);
}
END_TEST

START_TEST(test_feedback_refusals)
{
	struct whorl_feedback ok = { .size = sizeof(ok),
		                     .feedback_class = WHORL_FEEDBACK_SPAM,
		                     .content = WHORL_FEEDBACK_MESSAGE };
	struct whorl_feedback fb;

	ck_assert_int_eq(whorl_feedback_record(host, NULL, &ok, "m", 1, NULL, 0), WHORL_EINVAL);
	ck_assert_int_eq(whorl_feedback_record(host, "", &ok, "m", 1, NULL, 0), WHORL_EINVAL);
	ck_assert_int_eq(whorl_feedback_record(host, spool, NULL, "m", 1, NULL, 0), WHORL_EINVAL);
	ck_assert_int_eq(whorl_feedback_record(host, spool, &ok, NULL, 1, NULL, 0), WHORL_EINVAL);
	fb = ok, fb.size = sizeof(fb) - 1;
	ck_assert_int_eq(whorl_feedback_record(host, spool, &fb, "m", 1, NULL, 0), WHORL_EINVAL);
	fb = ok, fb.feedback_class = 3;
	ck_assert_int_eq(whorl_feedback_record(host, spool, &fb, "m", 1, NULL, 0), WHORL_EINVAL);
	fb = ok, fb.feedback_class = WHORL_EINVAL; /* an unparsed class */
	ck_assert_int_eq(whorl_feedback_record(host, spool, &fb, "m", 1, NULL, 0), WHORL_EINVAL);
	fb = ok, fb.content = 0;
	ck_assert_int_eq(whorl_feedback_record(host, spool, &fb, "m", 1, NULL, 0), WHORL_EINVAL);
	fb = ok, fb.content = 4;
	ck_assert_int_eq(whorl_feedback_record(host, spool, &fb, "m", 1, NULL, 0), WHORL_EINVAL);
	fb = ok, fb.content = WHORL_FEEDBACK_FINGERPRINTS;
	ck_assert_int_eq(whorl_feedback_record(NULL, spool, &fb, "m", 1, NULL, 0), WHORL_EINVAL);
	/* A spool that cannot be created: WHORL_EIO and nothing written. */
	ck_assert_int_eq(whorl_feedback_record(host, "/proc/whorl-no/such", &ok, "m", 1, NULL, 0),
	                 WHORL_EIO);
	ck_assert_uint_eq(count_new(), 0);
	ck_assert_int_eq(whorl_feedback_class_parse("SPAM", 4), WHORL_FEEDBACK_SPAM);
	ck_assert_int_eq(whorl_feedback_class_parse("ham", 3), WHORL_FEEDBACK_HAM);
	ck_assert_int_eq(whorl_feedback_class_parse("not-spam", 8), WHORL_FEEDBACK_HAM);
	ck_assert_int_eq(whorl_feedback_class_parse("spammy", 6), WHORL_EINVAL);
	ck_assert_int_eq(whorl_feedback_class_parse("spammy", 4), WHORL_FEEDBACK_SPAM);
	ck_assert_int_eq(whorl_feedback_class_parse(NULL, 0), WHORL_EINVAL);
	ck_assert_str_eq(whorl_feedback_class_name(WHORL_FEEDBACK_HAM), "ham");
	ck_assert_str_eq(whorl_feedback_class_name(7), "unknown");
}
END_TEST

static void *record_many(void *arg)
{
	struct whorl_feedback fb = { .size = sizeof(fb),
		                     .feedback_class = WHORL_FEEDBACK_SPAM,
		                     .content =
		                         WHORL_FEEDBACK_MESSAGE | WHORL_FEEDBACK_FINGERPRINTS,
		                     .score = -1 };
	intptr_t failures = 0;

	(void)arg;
	for (int i = 0; i < REPORTS_PER_THREAD; i++)
		failures += whorl_feedback_record(host, spool, &fb, spam_msg, strlen(spam_msg),
		                                  NULL, 0) != 0;
	return (void *)failures;
}

START_TEST(test_feedback_threads)
{
	pthread_t t[THREADS];
	void *failures;

	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, record_many, NULL), 0);
	for (int i = 0; i < THREADS; i++) {
		ck_assert_int_eq(pthread_join(t[i], &failures), 0);
		ck_assert_ptr_null(failures);
	}
	ck_assert_uint_eq(count_new(), THREADS * REPORTS_PER_THREAD);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("feedback");
	TCase *tc = tcase_create("record");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_feedback_message);
	tcase_add_test(tc, test_feedback_fingerprints);
	tcase_add_test(tc, test_feedback_hostile_text);
	tcase_add_test(tc, test_feedback_refusals);
	tcase_add_test(tc, test_feedback_threads);
	suite_add_tcase(s, tc);
	return check_run(s);
}
