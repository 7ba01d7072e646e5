/*
 * test_wl_engine.c - the whitelists inside the real cartridge.so: a local
 * whitelist.cfg decides the verdict (score 0, analysis "wl=local:...") with
 * "favor analysis over speed" no and yes; reload(WHITELIST) takes a new
 * file and keeps the old list when the file cannot be read; a miss after
 * the per-message regex budget ran out says rescan; the backend
 * list arrives as the awl source of a published set; and reloads race
 * four scanning threads. ThreadSanitizer, by hand (clean on the wl branch):
 *   make BUILD=build-tsan OPT="-O1 -g" SANFLAGS=-fsanitize=thread \
 *        build-tsan/lib/cartridge.so build-tsan/tests/unit/test_wl_engine
 *   WHORL_TEST_BUILD=build-tsan CK_FORK=no setarch $(uname -m) -R \
 *        build-tsan/tests/unit/test_wl_engine
 *
 * Not for: the grammar and matcher (test_wl.c).
 */
#include <check.h>

#include "check_main.h"
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_engine_env.h"

#define N_THREADS 4
#define N_RELOADS 40

static struct eenv E;

/* spam-loan is published as spam, ham-allotment as legitimate. */
static void publish_spam(const char *awl)
{
	char err[512] = "";
	struct publish_set *s = publish_set_new();
	ck_assert_ptr_nonnull(s);
	eenv_add_file(&E, s, "spam-loan.eml", CAT_SPAM, 0);
	eenv_add_file(&E, s, "ham-allotment.eml", CAT_SPAM, 1);
	struct publish_options o = { .out_dir = E.mirror,
		                     .awl = awl,
		                     .awl_len = awl ? strlen(awl) : 0 };
	struct publish_result res;
	ck_assert_msg(publish_write(E.key, s, &o, &res, err, sizeof(err)) == 0, "%s", err);
	publish_set_free(s);
}

static void write_wl(const char *dir, const char *text)
{
	char path[EENV_PATH + 32];
	snprintf(path, sizeof(path), "%s/whitelist.cfg", dir);
	eenv_write_file(path, text, strlen(text));
}

static struct whorl_verdict *score_file(whorl_host *h, const char *name)
{
	size_t len;
	char *msg = eenv_msg(name, &len);
	struct whorl_verdict *v = eenv_score(h, msg, len);
	free(msg);
	return v;
}

static void setup(void)
{
	eenv_init(&E);
}

static void teardown(void)
{
	eenv_fini(&E);
}

START_TEST(test_local_stops_scan)
{
	char dir[EENV_PATH];
	whorl_host *h;
	publish_spam(NULL);
	eenv_config(&E, "gw", "favor analysis over speed = no", dir, sizeof(dir));
	write_wl(
	    dir,
	    "# ours\ntype = header; header = [From]; value = [@fastcash-approval\\.example\\.net>]\n");
	eenv_open(&E, dir, &h);
	ck_assert_ptr_nonnull(
	    strstr(E.log, "1:WHITELIST: (Header whitelist) enabled with 1 entry\n"));
	struct whorl_verdict *v = score_file(h, "spam-loan.eml");
	ck_assert_uint_eq(v->score, 0);
	ck_assert_uint_eq(v->category, 0);
	ck_assert_int_eq(v->is_spam, 0);
	ck_assert_msg(strstr(v->analysis, "e=none") != NULL, "%s", v->analysis);
	ck_assert_msg(strstr(v->analysis, "; wl=local:header:2") != NULL, "%s", v->analysis);
	whorl_host_verdict_free(h, v);
	v = score_file(h, "ham-allotment.eml"); /* not whitelisted: no wl= */
	ck_assert_ptr_null(strstr(v->analysis, "wl="));
	whorl_host_verdict_free(h, v);
	whorl_host_close(h);
}
END_TEST

START_TEST(test_local_favor_analysis)
{
	char dir[EENV_PATH];
	whorl_host *h;
	publish_spam(NULL);
	eenv_config(&E, "gw", "favor analysis over speed = yes", dir, sizeof(dir));
	/* The sending hop (below gateway mx1) is 203.0.113.41. */
	write_wl(dir, "type = host; address = [203.0.113.0/24]\n");
	eenv_open(&E, dir, &h);
	struct whorl_verdict *v = score_file(h, "spam-loan.eml");
	ck_assert_uint_eq(v->score, 0);
	ck_assert_uint_eq(v->category, 0);
	ck_assert_msg(strstr(v->analysis, "e=none") == NULL, "engines ran: %s", v->analysis);
	ck_assert_msg(strstr(v->analysis, "; wl=local:host:1") != NULL, "%s", v->analysis);
	whorl_host_verdict_free(h, v);
	/* The envelope's client address comes first. */
	struct whorl_envelope env = { .size = sizeof(env),
		                      .client_ip = "198.51.100.7",
		                      .client_hostname = "mx.example.org" };
	size_t len;
	char *msg = eenv_msg("spam-loan.eml", &len);
	ck_assert_int_eq(whorl_host_score(h, &env, msg, len, &v), 0);
	ck_assert_uint_ge(v->score, 50);
	whorl_host_verdict_free(h, v);
	free(msg);
	whorl_host_close(h);
}
END_TEST

START_TEST(test_reload)
{
	char dir[EENV_PATH], path[EENV_PATH + 32];
	whorl_host *h;
	publish_spam(NULL);
	eenv_config(&E, "gw", "", dir, sizeof(dir));
	eenv_open(&E, dir, &h);
	ck_assert_msg(strstr(E.log, "2:WHITELIST: Could not find config file ") != NULL, "%s",
	              E.log);
	struct whorl_verdict *v = score_file(h, "spam-loan.eml");
	ck_assert_uint_ge(v->score, 50);
	whorl_host_verdict_free(h, v);
	write_wl(dir, "type = body; regex = [personal loans]\n");
	ck_assert_int_eq(whorl_host_reload(h, WHORL_RELOAD_WHITELIST), 0);
	v = score_file(h, "spam-loan.eml");
	ck_assert_msg(v->score == 0 && strstr(v->analysis, "wl=local:body:1"), "%s", v->analysis);
	whorl_host_verdict_free(h, v);
	/* Unreadable now (a directory): the list in use stays. */
	snprintf(path, sizeof(path), "%s/whitelist.cfg", dir);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(whorl_host_reload(h, WHORL_RELOAD_WHITELIST), WHORL_EIO);
	v = score_file(h, "spam-loan.eml");
	ck_assert_uint_eq(v->score, 0);
	whorl_host_verdict_free(h, v);
	/* reload(CONFIG) re-reads it too; removed: no list. */
	ck_assert_int_eq(rmdir(path), 0);
	ck_assert_int_eq(whorl_host_reload(h, WHORL_RELOAD_CONFIG), 0);
	v = score_file(h, "spam-loan.eml");
	ck_assert_uint_ge(v->score, 50);
	whorl_host_verdict_free(h, v);
	whorl_host_close(h);
}
END_TEST

/* A whitelist whose regex work runs out of the per-message budget did not
 * give a full answer: the verdict says rescan (docs/LIMITS.md). 200 body
 * entries over a message with 64 KiB of visible text spend it; one entry
 * over the same message, and the 200 over a short message, do not. */
START_TEST(test_regex_budget_rescan)
{
	static char wl_text[210 * 48];
	char dir[EENV_PATH];
	size_t n = 0, len = 0;
	whorl_host *h;
	const char head[] = "From: Ann <ann@example.com>\r\nSubject: words\r\n\r\n";
	char *msg = malloc(sizeof(head) + 65536);
	ck_assert_ptr_nonnull(msg);
	memcpy(msg, head, sizeof(head) - 1);
	len = sizeof(head) - 1;
	while (len + 6 < sizeof(head) + 65536 - 1) {
		memcpy(msg + len, "word ", 5);
		len += 5;
	}
	for (int i = 0; i < 200; i++)
		n += (size_t)snprintf(wl_text + n, sizeof(wl_text) - n,
		                      "type = body; regex = [(*NO_JIT)nomatch%d]\n", i);
	publish_spam(NULL);
	eenv_config(&E, "gw", "", dir, sizeof(dir));
	write_wl(dir, "type = body; regex = [(*NO_JIT)nomatch]\n");
	eenv_open(&E, dir, &h);
	struct whorl_verdict *v = eenv_score(h, msg, len);
	ck_assert_msg(v->rescan == 0, "one entry: %s", v->analysis);
	whorl_host_verdict_free(h, v);
	write_wl(dir, wl_text);
	ck_assert_int_eq(whorl_host_reload(h, WHORL_RELOAD_WHITELIST), 0);
	v = eenv_score(h, msg, len);
	ck_assert_msg(v->rescan == 1, "budget spent: %s", v->analysis);
	whorl_host_verdict_free(h, v);
	ck_assert_msg(strstr(E.log, "regex work for one message reached its budget") != NULL, "%s",
	              E.log);
	v = score_file(h, "ham-allotment.eml");
	ck_assert_msg(v->rescan == 0, "short message: %s", v->analysis);
	whorl_host_verdict_free(h, v);
	whorl_host_close(h);
	free(msg);
}
END_TEST

START_TEST(test_backend_awl)
{
	char dir[EENV_PATH];
	whorl_host *h;
	publish_spam(
	    "# backend\ntype = envelope; command = [mail from]; value = [^<offers@fastcash]\n"
	    "type = host; address = [bad/0]\n");
	eenv_config(&E, "gw", "", dir, sizeof(dir));
	write_wl(dir, "type = header; header = [From]; value = [nobody-matches-this]\n");
	eenv_open(&E, dir, &h);
	ck_assert_msg(strstr(E.log, "1:WHITELIST: (Envelope whitelist) Backend whitelist enabled "
	                            "with 1 entry\n") != NULL,
	              "%s", E.log);
	ck_assert_msg(strstr(E.log, "2:WHITELIST: Malformed line 'type = host; address = [bad/0]', "
	                            "malformed address, skipping\n") != NULL,
	              "%s", E.log);
	struct whorl_envelope env = { .size = sizeof(env),
		                      .mail_from = "<offers@fastcash-approval.example.net>" };
	size_t len;
	char *msg = eenv_msg("spam-loan.eml", &len);
	struct whorl_verdict *v = NULL;
	ck_assert_int_eq(whorl_host_score(h, &env, msg, len, &v), 0);
	ck_assert_msg(v->score == 0 && strstr(v->analysis, "; wl=awl:envelope:2"), "%s",
	              v->analysis);
	whorl_host_verdict_free(h, v);
	v = score_file(h, "spam-loan.eml"); /* no envelope: not whitelisted */
	ck_assert_uint_ge(v->score, 50);
	whorl_host_verdict_free(h, v);
	free(msg);
	/* The next set drops the awl: the backend list goes with it. */
	publish_spam(NULL);
	ck_assert_int_eq(whorl_host_reload(h, WHORL_RELOAD_DATA), 0);
	msg = eenv_msg("spam-loan.eml", &len);
	ck_assert_int_eq(whorl_host_score(h, &env, msg, len, &v), 0);
	ck_assert_uint_ge(v->score, 50);
	whorl_host_verdict_free(h, v);
	free(msg);
	whorl_host_close(h);
}
END_TEST

struct worker {
	whorl_host *h;
	const char *msg;
	size_t len;
	atomic_int *stop;
	long scans, bad;
	char first_bad[256];
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	while (!atomic_load(w->stop)) {
		struct whorl_verdict *v = NULL;
		int rc = whorl_host_score(w->h, NULL, w->msg, w->len, &v);
		w->scans++;
		/* Either whitelisted by line 1 of one file or the other, or spam. */
		int ok = rc == 0 && v != NULL &&
		         ((v->score == 0 && (strstr(v->analysis, "wl=local:body:1") ||
		                             strstr(v->analysis, "wl=local:header:3"))) ||
		          (v->score >= 50 && strstr(v->analysis, "wl=") == NULL));
		if (!ok && w->bad++ == 0)
			snprintf(w->first_bad, sizeof(w->first_bad), "rc %d: %s", rc,
			         v != NULL ? v->analysis : "(none)");
		if (v != NULL)
			whorl_host_verdict_free(w->h, v);
	}
	return NULL;
}

static const char *const wl_states[3] = {
	"type = body; regex = [personal loans]\n",
	"# header\n\ntype = header; header = [Subject]; value = [^Pre-approved]\n",
	"type = body; regex = [no such text anywhere]\n",
};

START_TEST(test_reload_races_scans)
{
	char dir[EENV_PATH];
	whorl_host *h;
	atomic_int stop = 0;
	publish_spam(NULL);
	eenv_config(&E, "gw", "", dir, sizeof(dir));
	write_wl(dir, wl_states[0]);
	eenv_open(&E, dir, &h);
	struct worker w[N_THREADS];
	pthread_t t[N_THREADS];
	char *msg;
	size_t len;
	msg = eenv_msg("spam-loan.eml", &len);
	for (int i = 0; i < N_THREADS; i++) {
		w[i] = (struct worker){ .h = h, .msg = msg, .len = len, .stop = &stop };
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	}
	for (int r = 0; r < N_RELOADS; r++) {
		int state = r % 3;
		write_wl(dir, wl_states[state]);
		ck_assert_int_eq(whorl_host_reload(h, WHORL_RELOAD_WHITELIST), 0);
		struct whorl_verdict *v = eenv_score(h, msg, len);
		ck_assert_msg(state == 2 ? v->score >= 50 : v->score == 0, "round %d: %s", r,
		              v->analysis);
		whorl_host_verdict_free(h, v);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < N_THREADS; i++) {
		pthread_join(t[i], NULL);
		ck_assert_msg(w[i].bad == 0, "thread %d: %ld bad of %ld; first %s", i, w[i].bad,
		              w[i].scans, w[i].first_bad);
		ck_assert_int_gt(w[i].scans, 0);
	}
	free(msg);
	whorl_host_close(h);
}
END_TEST

static Suite *wl_engine_suite(void)
{
	Suite *s = suite_create("wl_engine");
	TCase *tc = tcase_create("engine");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_local_stops_scan);
	tcase_add_test(tc, test_local_favor_analysis);
	tcase_add_test(tc, test_reload);
	tcase_add_test(tc, test_regex_budget_rescan);
	tcase_add_test(tc, test_backend_awl);
	tcase_add_test(tc, test_reload_races_scans);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(wl_engine_suite());
}
