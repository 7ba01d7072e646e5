/*
 * test_engine_threads.c - scans racing data reloads on the real cartridge.so.
 *
 * Four threads score a fixed mix of messages in a loop while the main
 * thread publishes 50 new update sets into the mirror, alternating which
 * messages are abuse and which legitimate, and reloads the data after each.
 * Every scan must succeed and every verdict must be exactly the verdict of
 * one of the two data states (never a mix, never garbage); the sets also
 * rename a category, so the categories table is replaced under the scans. Also run by hand
 * under ThreadSanitizer (see the report of the etest branch).
 *
 * Not for: single-threaded behaviour (test_engine.c).
 */
#include <check.h>

#include "check_main.h"
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_engine_env.h"

#define N_THREADS 4
#define N_PUBLISHES 200
#define MIN_SCANS_PER_THREAD 50 /* each thread must really have raced the reloads */

static const char *const mix_names[] = { "spam-loan.eml", "virus-invoice.eml",
	                                 "spam-loan-variant.eml", "spam-watch.eml",
	                                 "ham-allotment.eml" };
#define N_MIX (sizeof(mix_names) / sizeof(mix_names[0]))

struct expect {
	unsigned score, category;
	int is_spam;
};

struct mix {
	char *msg[N_MIX];
	size_t len[N_MIX];
	struct expect state[2][N_MIX]; /* verdicts with set A and with set B */
};

struct worker {
	whorl_host *h;
	const struct mix *mix;
	atomic_int *stop;
	long scans, failed, inconsistent;
	char first_bad[256];
};

static struct eenv E; /* per test: each test runs in its own fork */

/* The categories each set ships: category 1 is renamed in set B, so the
 * categories table is swapped under the scans too. */
static const char *const cats_text[2] = {
	"0/0 legit undefined\n1/0 spam undefined\n7/0 virus undefined\n",
	"0/0 legit undefined\n1/0 spam-b undefined\n7/0 virus undefined\n",
};

static const char *cat_name(int state, unsigned category)
{
	switch (category) {
	case CAT_LEGIT: return "legit";
	case CAT_SPAM: return state ? "spam-b" : "spam";
	case CAT_VIRUS: return "virus";
	default: return "?";
	}
}

/* Set A: loan and virus are abuse, watch and ham legitimate; set B the
 * other way round. The variant is never published itself. */
static void publish_state(int state)
{
	char err[512] = "";
	struct publish_set *s = publish_set_new();
	ck_assert_ptr_nonnull(s);
	int a = state == 0;
	eenv_add_file(&E, s, "spam-loan.eml", CAT_SPAM, !a);
	eenv_add_file(&E, s, "virus-invoice.eml", CAT_VIRUS, !a);
	eenv_add_file(&E, s, "spam-watch.eml", CAT_SPAM, a);
	eenv_add_file(&E, s, "ham-allotment.eml", CAT_SPAM, a);
	struct publish_options o = { .out_dir = E.mirror,
		                     .cats = cats_text[state],
		                     .cats_len = strlen(cats_text[state]) };
	struct publish_result res;
	int rc = publish_write(E.key, s, &o, &res, err, sizeof(err));
	ck_assert_msg(rc == 0, "publish_write: %d %s", rc, err);
	publish_set_free(s);
}

static struct expect expect_of(const struct whorl_verdict *v)
{
	return (struct expect){ .score = v->score, .category = v->category, .is_spam = v->is_spam };
}

static int expect_eq(struct expect a, struct expect b)
{
	return a.score == b.score && a.category == b.category && a.is_spam == b.is_spam;
}

static void record_state(whorl_host *h, struct mix *m, int state)
{
	for (size_t i = 0; i < N_MIX; i++) {
		struct whorl_verdict *v = eenv_score(h, m->msg[i], m->len[i]);
		m->state[state][i] = expect_of(v);
		whorl_host_verdict_free(h, v);
	}
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	for (size_t i = 0; !atomic_load(w->stop); i = (i + 1) % N_MIX) {
		struct whorl_verdict *v = NULL;
		int rc = whorl_host_score(w->h, NULL, w->mix->msg[i], w->mix->len[i], &v);
		w->scans++;
		if (rc != 0 || v == NULL) {
			w->failed++;
			continue;
		}
		struct expect got = expect_of(v);
		/* Data and categories are swapped one after the other: a scan may
		 * see the new data with the old names, but never a name of neither. */
		int name_ok = strcmp(v->category_desc, cat_name(0, v->category)) == 0 ||
		              strcmp(v->category_desc, cat_name(1, v->category)) == 0;
		if (((!expect_eq(got, w->mix->state[0][i]) &&
		      !expect_eq(got, w->mix->state[1][i])) ||
		     !name_ok) &&
		    w->inconsistent++ == 0)
			snprintf(w->first_bad, sizeof(w->first_bad), "%s: %u %u %d (%s)",
			         mix_names[i], v->score, v->category, v->is_spam, v->analysis);
		whorl_host_verdict_free(w->h, v);
	}
	return NULL;
}

/* After a reload the main thread sees exactly the state just published. */
static void check_state(whorl_host *h, const struct mix *m, int state, int round)
{
	for (size_t i = 0; i < N_MIX; i++) {
		struct whorl_verdict *v = eenv_score(h, m->msg[i], m->len[i]);
		ck_assert_msg(expect_eq(expect_of(v), m->state[state][i]),
		              "round %d, state %d, %s: %u (%s)", round, state, mix_names[i],
		              v->score, v->analysis);
		ck_assert_str_eq(v->category_desc, cat_name(state, v->category));
		whorl_host_verdict_free(h, v);
	}
}

START_TEST(test_scans_race_reloads)
{
	static struct mix m;
	struct worker w[N_THREADS];
	pthread_t tid[N_THREADS];
	atomic_int stop = 0;
	char dir[EENV_PATH];
	whorl_host *h = NULL;

	for (size_t i = 0; i < N_MIX; i++)
		m.msg[i] = eenv_msg(mix_names[i], &m.len[i]);
	publish_state(0);
	eenv_config(&E, "gw", "favor analysis over speed = yes", dir, sizeof(dir));
	eenv_open(&E, dir, &h);
	record_state(h, &m, 0);
	publish_state(1);
	ck_assert_int_eq(whorl_host_reload(h, WHORL_RELOAD_DATA), 0);
	record_state(h, &m, 1);
	/* The two states must tell the messages apart, or the test proves nothing. */
	for (size_t i = 0; i < 2; i++)
		ck_assert_msg(m.state[0][i].is_spam && !m.state[1][i].is_spam, "%s", mix_names[i]);
	for (size_t i = 3; i < N_MIX; i++)
		ck_assert_msg(!m.state[0][i].is_spam && m.state[1][i].is_spam, "%s", mix_names[i]);

	for (int t = 0; t < N_THREADS; t++) {
		w[t] = (struct worker){ .h = h, .mix = &m, .stop = &stop };
		ck_assert_int_eq(pthread_create(&tid[t], NULL, worker_run, &w[t]), 0);
	}
	for (int round = 0; round < N_PUBLISHES; round++) {
		int state = round % 2;
		publish_state(state);
		/* The configuration and categories are replaced too (grace
		 * periods under load), the data by the new set. */
		int rc = whorl_host_reload(h, WHORL_RELOAD_CONFIG | WHORL_RELOAD_DATA);
		ck_assert_msg(rc == 0, "round %d: reload %d; log:\n%s", round, rc, E.log);
		check_state(h, &m, state, round);
	}
	atomic_store(&stop, 1);
	long scans = 0;
	for (int t = 0; t < N_THREADS; t++) {
		ck_assert_int_eq(pthread_join(tid[t], NULL), 0);
		ck_assert_msg(w[t].failed == 0, "thread %d: %ld failed scans", t, w[t].failed);
		ck_assert_msg(w[t].inconsistent == 0,
		              "thread %d: %ld verdicts of neither state, first %s", t,
		              w[t].inconsistent, w[t].first_bad);
		ck_assert_msg(w[t].scans >= MIN_SCANS_PER_THREAD, "thread %d: only %ld scans", t,
		              w[t].scans);
		scans += w[t].scans;
	}
	fprintf(stderr, "test_engine_threads: %ld scans beside %d reloads\n", scans, N_PUBLISHES);
	whorl_host_close(h);
	for (size_t i = 0; i < N_MIX; i++)
		free(m.msg[i]);
}
END_TEST

static void setup(void)
{
	eenv_init(&E);
}

static void teardown(void)
{
	eenv_fini(&E);
}

int main(void)
{
	Suite *s = suite_create("engine_threads");
	TCase *tc = tcase_create("engine_threads");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300); /* slow under sanitizers */
	tcase_add_test(tc, test_scans_race_reloads);
	suite_add_tcase(s, tc);
	return check_run(s);
}
