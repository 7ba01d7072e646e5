/*
 * test_engine.c - the engine as a user meets it: the real cartridge.so,
 * loaded through libwhorl, on a configuration directory whose update set
 * was published (publisher/lib) from messages that same cartridge
 * fingerprinted. Checks verdicts (published spam, a re-encoded near variant,
 * unrelated mail, categories from the categories file), the analysis header,
 * the configuration keys that change verdicts, rescan, self_test, stats,
 * and reloading a newer and a tampered set.
 *
 * Not for: the parts on their own (test_mime, test_sigdb, test_update, ...).
 */
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_engine_env.h"

#define DEEP_NESTING 20 /* past MIME_MAX_DEPTH (16) */

static struct eenv E; /* per test: each test runs in its own fork */

static void setup(void)
{
	eenv_init(&E);
}

static void teardown(void)
{
	eenv_fini(&E);
}

/* Publishes the base set: spam-loan as spam, virus-invoice as virus. */
static void publish_base(struct publish_result *res)
{
	struct publish_set *s = publish_set_new();
	ck_assert_ptr_nonnull(s);
	eenv_add_file(&E, s, "spam-loan.eml", CAT_SPAM, 0);
	eenv_add_file(&E, s, "virus-invoice.eml", CAT_VIRUS, 0);
	eenv_publish(&E, s, res);
	publish_set_free(s);
}

/* A gateway on the mirror with `extra` configuration lines. */
static whorl_host *gateway(const char *name, const char *extra)
{
	char dir[EENV_PATH];
	whorl_host *h = NULL;
	eenv_config(&E, name, extra, dir, sizeof(dir));
	eenv_open(&E, dir, &h);
	return h;
}

static struct whorl_verdict *score_file(whorl_host *h, const char *name)
{
	size_t len;
	char *msg = eenv_msg(name, &len);
	struct whorl_verdict *v = eenv_score(h, msg, len);
	free(msg);
	return v;
}

/* Number of engines named in the analysis' "e=" list ("none" is 0). */
static int analysis_engines(const char *analysis)
{
	const char *e = strstr(analysis, "; e=");
	ck_assert_ptr_nonnull(e);
	e += 4;
	if (strncmp(e, "none", 4) == 0)
		return 0;
	int n = 1;
	for (; *e && *e != ';'; e++)
		n += *e == ',';
	return n;
}

START_TEST(test_published_spam_and_variant)
{
	publish_base(NULL);
	whorl_host *h = gateway("gw", "favor analysis over speed = yes");
	struct whorl_verdict *v = score_file(h, "spam-loan.eml");
	ck_assert_msg(v->score >= 50, "published spam scored %u: %s", v->score, v->analysis);
	ck_assert_int_eq(v->is_spam, 1);
	ck_assert_uint_eq(v->category, CAT_SPAM);
	ck_assert_str_eq(v->category_desc, "spam");
	ck_assert_str_eq(v->subcategory_desc, "undefined");
	ck_assert_int_eq(v->rescan, 0);
	char want[64];
	snprintf(want, sizeof(want), "s=%u;", v->score);
	ck_assert_msg(strstr(v->analysis, want) != NULL, "no score in %s", v->analysis);
	ck_assert_msg(strstr(v->analysis, "e=body") != NULL, "body not named: %s", v->analysis);
	ck_assert_msg(strstr(v->analysis, "fuzzy:1.00") != NULL, "fuzzy not named: %s",
	              v->analysis);
	ck_assert_msg(strstr(v->analysis, "d=sigs:1.1;") != NULL, "serial: %s", v->analysis);
	whorl_host_verdict_free(h, v);

	v = score_file(h, "spam-loan-variant.eml");
	ck_assert_msg(v->score >= 50 && v->category == CAT_SPAM, "variant: %u %u %s", v->score,
	              v->category, v->analysis);
	ck_assert_msg(strstr(v->analysis, "fuzzy:") != NULL, "variant not fuzzy: %s", v->analysis);
	ck_assert_msg(strstr(v->analysis, "e=body") == NULL, "variant hit body: %s", v->analysis);
	whorl_host_verdict_free(h, v);

	v = score_file(h, "spam-loan-reworded.eml"); /* a sentence and the link host changed */
	ck_assert_msg(v->score >= 50 && v->category == CAT_SPAM, "reworded: %u %u %s", v->score,
	              v->category, v->analysis);
	whorl_host_verdict_free(h, v);

	v = score_file(h, "ham-allotment.eml");
	ck_assert_msg(v->score < 50 && !v->is_spam, "ham: %u %s", v->score, v->analysis);
	ck_assert_uint_eq(v->category, 0);
	ck_assert_uint_eq(v->subcategory, 0);
	ck_assert_str_eq(v->category_desc, "legit");
	whorl_host_verdict_free(h, v);
	whorl_host_close(h);
}
END_TEST

START_TEST(test_virus_category)
{
	char cat[32], sub[32];
	publish_base(NULL);
	whorl_host *h = gateway("gw", "");
	struct whorl_verdict *v = score_file(h, "virus-invoice.eml");
	ck_assert_msg(v->score >= 50, "virus: %u %s", v->score, v->analysis);
	ck_assert_uint_eq(v->category, CAT_VIRUS);
	ck_assert_uint_eq(v->subcategory, 0);
	ck_assert_str_eq(v->category_desc, "virus");
	ck_assert_str_eq(v->subcategory_desc, "undefined");
	whorl_host_verdict_free(h, v);
	ck_assert_int_eq(whorl_host_describe_category(h, 7, 0, cat, sizeof(cat), sub, sizeof(sub)),
	                 0);
	ck_assert_str_eq(cat, "virus");
	ck_assert_str_eq(sub, "undefined");
	/* 8/0 is only in the categories file of the config dir, not built in. */
	ck_assert_int_eq(whorl_host_describe_category(h, 8, 0, cat, sizeof(cat), sub, sizeof(sub)),
	                 0);
	ck_assert_str_eq(cat, "etest-only");
	ck_assert_int_eq(whorl_host_describe_category(h, 6, 0, cat, sizeof(cat), sub, sizeof(sub)),
	                 WHORL_EINVAL);
	ck_assert_str_eq(cat, "unknown");
	whorl_host_close(h);
}
END_TEST

START_TEST(test_favor_analysis)
{
	publish_base(NULL);
	whorl_host *full = gateway("full", "favor analysis over speed = yes");
	whorl_host *fast = gateway("fast", "favor analysis over speed = no");
	struct whorl_verdict *vf = score_file(full, "spam-loan.eml");
	struct whorl_verdict *vs = score_file(fast, "spam-loan.eml");
	int nf = analysis_engines(vf->analysis), ns = analysis_engines(vs->analysis);
	ck_assert_msg(nf >= 3, "a published message should hit several engines: %s", vf->analysis);
	ck_assert_msg(ns >= 1 && ns < nf, "stop early: %d engines (%s) vs %d (%s)", ns,
	              vs->analysis, nf, vf->analysis);
	ck_assert_int_eq(vs->is_spam, 1);
	ck_assert_uint_eq(vs->category, CAT_SPAM);
	whorl_host_verdict_free(full, vf);
	whorl_host_verdict_free(fast, vs);
	whorl_host_close(full);
	whorl_host_close(fast);
}
END_TEST

static const char empty_msg[] =
    "From: nobody@example.org\r\nTo: x@example.com\r\nSubject:  \r\n\r\n  \r\n";

START_TEST(test_empty_messages)
{
	publish_base(NULL);
	whorl_host *yes = gateway("yes", "consider empty messages spam = yes");
	whorl_host *no = gateway("no", "consider empty messages spam = no");
	struct whorl_verdict *vy = eenv_score(yes, empty_msg, sizeof(empty_msg) - 1);
	struct whorl_verdict *vn = eenv_score(no, empty_msg, sizeof(empty_msg) - 1);
	ck_assert_msg(vy->score >= 50 && vy->is_spam, "empty, yes: %u %s", vy->score, vy->analysis);
	ck_assert_str_eq(vy->category_desc, "spam");
	ck_assert_msg(vn->score < 50 && !vn->is_spam, "empty, no: %u %s", vn->score, vn->analysis);
	whorl_host_verdict_free(yes, vy);
	whorl_host_verdict_free(no, vn);
	/* A zero-length message is empty too; a non-empty one is not. */
	vy = eenv_score(yes, "", 0);
	ck_assert_msg(vy->score >= 50, "zero bytes, yes: %u %s", vy->score, vy->analysis);
	whorl_host_verdict_free(yes, vy);
	vy = score_file(yes, "ham-allotment.eml");
	ck_assert_msg(vy->score < 50, "ham with empty=yes: %u %s", vy->score, vy->analysis);
	whorl_host_verdict_free(yes, vy);
	whorl_host_close(yes);
	whorl_host_close(no);
}
END_TEST

START_TEST(test_minimum_score)
{
	publish_base(NULL);
	whorl_host *lo = gateway("lo", "favor analysis over speed = yes\nminimum score = 50");
	whorl_host *hi = gateway("hi", "favor analysis over speed = yes\nminimum score = 80");
	const char *names[] = { "spam-loan.eml", "spam-loan-variant.eml", "spam-loan-reworded.eml",
		                "virus-invoice.eml", "ham-allotment.eml" };
	int flipped = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct whorl_verdict *a = score_file(lo, names[i]);
		struct whorl_verdict *b = score_file(hi, names[i]);
		ck_assert_uint_eq(a->score, b->score);
		ck_assert_int_eq(a->is_spam, a->score >= 50);
		ck_assert_int_eq(b->is_spam, b->score >= 80);
		if (!b->is_spam)
			ck_assert_uint_eq(b->category, 0); /* no category below the threshold */
		flipped += a->is_spam && !b->is_spam;
		whorl_host_verdict_free(lo, a);
		whorl_host_verdict_free(hi, b);
	}
	ck_assert_msg(flipped == 1, "the reworded variant (only) should score 50-79: %d", flipped);
	whorl_host_close(lo);
	whorl_host_close(hi);
}
END_TEST

/* reload(WHORL_RELOAD_CONFIG) applies an edited cartridge.cfg without a
 * restart: the same message stops being spam once the threshold rises. */
START_TEST(test_reload_config)
{
	publish_base(NULL);
	whorl_host *h = gateway("rc", "favor analysis over speed = yes\nminimum score = 50");
	struct whorl_verdict *before = score_file(h, "spam-loan-reworded.eml");
	ck_assert_int_eq(before->is_spam, 1);
	ck_assert_uint_lt(before->score, 80);
	char path[EENV_PATH + 64];
	size_t len;
	snprintf(path, sizeof(path), "%s/rc/cartridge.cfg", E.root);
	char *cfg = eenv_read_file(path, &len);
	const char *more = "minimum score = 80\n"; /* the last occurrence wins */
	memcpy(cfg + len, more, strlen(more));     /* room: EENV_MAX_MSG + 1 */
	eenv_write_file(path, cfg, len + strlen(more));
	free(cfg);
	ck_assert_int_eq(whorl_host_reload(h, WHORL_RELOAD_CONFIG), 0);
	struct whorl_verdict *after = score_file(h, "spam-loan-reworded.eml");
	ck_assert_uint_eq(after->score, before->score);
	ck_assert_int_eq(after->is_spam, 0);
	ck_assert_uint_eq(after->category, 0);
	whorl_host_verdict_free(h, before);
	whorl_host_verdict_free(h, after);
	whorl_host_close(h);
}
END_TEST

/* license.cfg is checked at open: a malformed id logs the guide's line. */
START_TEST(test_license_checked_at_open)
{
	publish_base(NULL);
	char path[EENV_PATH + 64];
	eenv_log_clear(&E);
	whorl_host *h = gateway("lic", ""); /* file:// mirror, no license.cfg: fine */
	whorl_host_close(h);
	/* (the statistics report at close says "license id = 0": not a complaint) */
	ck_assert_msg(strstr(E.log, "license.cfg") == NULL, "log:\n%s", E.log);
	snprintf(path, sizeof(path), "%s/lic/license.cfg", E.root);
	eenv_write_file(path, "12ab34\nsecret\n", 14);
	eenv_log_clear(&E);
	char dir[EENV_PATH + 64];
	snprintf(dir, sizeof(dir), "%s/lic", E.root);
	eenv_open(&E, dir, &h);
	char want[EENV_PATH + 160]; /* the real path, not the guide's etc/ */
	snprintf(want, sizeof(want),
	         "Could not update signatures from network (malformed license id "
	         "in %s/license.cfg).",
	         dir);
	ck_assert_msg(strstr(E.log, want) != NULL, "log:\n%s", E.log);
	ck_assert_ptr_null(strstr(E.log, "secret"));
	whorl_host_close(h);
}
END_TEST

/* A multipart/mixed nested `depth` times around a short text part. */
static char *deep_message(int depth, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *m = malloc(cap);
	ck_assert_ptr_nonnull(m);
	n += (size_t)snprintf(m + n, cap - n,
	                      "From: a@example.org\r\nSubject: nested\r\n"
	                      "MIME-Version: 1.0\r\n");
	for (int i = 0; i < depth; i++)
		n += (size_t)snprintf(m + n, cap - n,
		                      "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n"
		                      "\r\n--b%d\r\n",
		                      i, i);
	n += (size_t)snprintf(m + n, cap - n,
	                      "Content-Type: text/plain\r\n\r\nthe innermost text\r\n");
	for (int i = depth - 1; i >= 0; i--)
		n += (size_t)snprintf(m + n, cap - n, "--b%d--\r\n", i);
	ck_assert_uint_lt(n, cap);
	*len = n;
	return m;
}

START_TEST(test_rescan)
{
	size_t len;
	publish_base(NULL);
	whorl_host *h = gateway("gw", "");
	char *deep = deep_message(DEEP_NESTING, &len);
	struct whorl_verdict *v = eenv_score(h, deep, len);
	ck_assert_msg(v->rescan == 1, "20-deep nesting: rescan %d (%s)", v->rescan, v->analysis);
	ck_assert_msg(strstr(v->analysis, "r=1") != NULL, "%s", v->analysis);
	whorl_host_verdict_free(h, v);
	free(deep);
	deep = deep_message(3, &len); /* well within the limits */
	v = eenv_score(h, deep, len);
	ck_assert_msg(v->rescan == 0, "3-deep nesting: %s", v->analysis);
	whorl_host_verdict_free(h, v);
	free(deep);
	whorl_host_close(h);
}
END_TEST

START_TEST(test_rescan_without_data)
{
	whorl_host *h = gateway("gw", ""); /* the mirror is empty: no data */
	ck_assert_ptr_nonnull(strstr(E.log, "Have not updated signatures yet"));
	struct whorl_verdict *v = score_file(h, "spam-loan.eml");
	ck_assert_msg(v->rescan == 1 && v->score < 50, "no data: %u r=%d %s", v->score, v->rescan,
	              v->analysis);
	ck_assert_ptr_nonnull(strstr(v->analysis, "d=sigs:0.0"));
	whorl_host_verdict_free(h, v);
	whorl_host_close(h);
}
END_TEST

START_TEST(test_self_test_and_stats)
{
	char err[256] = "", want[64];
	char *text = NULL;
	publish_base(NULL);
	whorl_host *h = gateway("gw", "");
	const struct whorl_cartridge_api *api = whorl_host_api(h);
	whorl_engine *eng = whorl_host_engine(h);
	ck_assert_msg(api->self_test(eng, err, sizeof(err)) == 0, "self_test: %s", err);
	ck_assert_int_eq(api->stats_snapshot(eng, &text), 0);
	snprintf(want, sizeof(want), "known fingerprints = %zu\n", E.n_fps);
	ck_assert_msg(strstr(text, want) != NULL, "want '%s' in:\n%s", want, text);
	ck_assert_ptr_nonnull(strstr(text, "mu sigs serial = 1.1\n"));
	api->text_free(eng, text);
	whorl_host_close(h);
}
END_TEST

/* A postmaster's max body length, however small, never fails the self
 * test; a message cut by it is scored with rescan 1 (issues 10 and 12). */
START_TEST(test_self_test_max_body_length)
{
	static const char *const limits[] = { "1", "2", "100", "250" };
	publish_base(NULL);
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		char extra[64], name[16], err[256] = "";
		snprintf(extra, sizeof(extra), "max body length = %s\n", limits[i]);
		snprintf(name, sizeof(name), "gw%zu", i);
		whorl_host *h = gateway(name, extra);
		const struct whorl_cartridge_api *api = whorl_host_api(h);
		ck_assert_msg(api->self_test(whorl_host_engine(h), err, sizeof(err)) == 0,
		              "max body length %s: %s", limits[i], err);
		struct whorl_verdict *v = score_file(h, "spam-loan.eml");
		ck_assert_msg(v->rescan == 1, "max body length %s: %s", limits[i], v->analysis);
		whorl_host_verdict_free(h, v);
		whorl_host_close(h);
	}
}
END_TEST

/* The base set plus spam-watch: written as a delta on the base. */
static void publish_with_watch(void)
{
	struct publish_result res;
	struct publish_set *s = publish_set_new();
	eenv_add_file(&E, s, "spam-loan.eml", CAT_SPAM, 0);
	eenv_add_file(&E, s, "virus-invoice.eml", CAT_VIRUS, 0);
	eenv_add_file(&E, s, "spam-watch.eml", CAT_SPAM, 0);
	eenv_publish(&E, s, &res);
	publish_set_free(s);
	ck_assert_int_eq(res.wrote_complete, 0);
	ck_assert_uint_eq(res.sigs_complete, 1);
	ck_assert_uint_eq(res.sigs_incremental, 2);
}

START_TEST(test_reload_delta)
{
	char delta[EENV_PATH];
	publish_base(NULL);
	whorl_host *h = gateway("gw", "");
	struct whorl_verdict *v = score_file(h, "spam-watch.eml");
	ck_assert_msg(v->score < 50, "not yet published: %u %s", v->score, v->analysis);
	whorl_host_verdict_free(h, v);
	publish_with_watch();
	ck_assert_int_eq(eenv_find_delta(&E, delta, sizeof(delta)), 0);
	ck_assert_int_eq(whorl_host_reload(h, WHORL_RELOAD_DATA), 0);
	v = score_file(h, "spam-watch.eml");
	ck_assert_msg(v->score >= 50 && v->category == CAT_SPAM, "after reload: %u %s", v->score,
	              v->analysis);
	ck_assert_msg(strstr(v->analysis, "d=sigs:1.2;") != NULL, "serial: %s", v->analysis);
	whorl_host_verdict_free(h, v);
	v = score_file(h, "spam-loan.eml"); /* the base is still there */
	ck_assert_msg(v->score >= 50, "base after delta: %u %s", v->score, v->analysis);
	whorl_host_verdict_free(h, v);
	/* Nothing newer: a reload changes nothing and succeeds. */
	ck_assert_int_eq(whorl_host_reload(h, WHORL_RELOAD_DATA), 0);
	whorl_host_close(h);
}
END_TEST

START_TEST(test_reload_tampered)
{
	char delta[EENV_PATH];
	const char *names[] = { "spam-loan.eml", "spam-loan-variant.eml", "spam-watch.eml",
		                "virus-invoice.eml", "ham-allotment.eml" };
	enum {
		N = sizeof(names) / sizeof(names[0])
	};
	unsigned before[N];
	publish_base(NULL);
	whorl_host *h = gateway("gw", "");
	for (size_t i = 0; i < N; i++) {
		struct whorl_verdict *v = score_file(h, names[i]);
		before[i] = v->score;
		whorl_host_verdict_free(h, v);
	}
	publish_with_watch();
	ck_assert_int_eq(eenv_find_delta(&E, delta, sizeof(delta)), 0);
	eenv_flip_byte(delta);
	eenv_log_clear(&E);
	int rc = whorl_host_reload(h, WHORL_RELOAD_DATA);
	ck_assert_msg(rc < 0, "tampered delta accepted (%d)", rc);
	ck_assert_msg(strstr(E.log, "MICROUPDATE") != NULL, "no refusal logged: %s", E.log);
	for (size_t i = 0; i < N; i++) {
		struct whorl_verdict *v = score_file(h, names[i]);
		ck_assert_msg(v->score == before[i], "%s: %u, was %u (%s)", names[i], v->score,
		              before[i], v->analysis);
		ck_assert_msg(strstr(v->analysis, "d=sigs:1.1;") != NULL, "%s", v->analysis);
		whorl_host_verdict_free(h, v);
	}
	whorl_host_close(h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("engine");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_published_spam_and_variant);
	tcase_add_test(tc, test_virus_category);
	tcase_add_test(tc, test_favor_analysis);
	tcase_add_test(tc, test_empty_messages);
	tcase_add_test(tc, test_minimum_score);
	tcase_add_test(tc, test_reload_config);
	tcase_add_test(tc, test_license_checked_at_open);
	tcase_add_test(tc, test_rescan);
	tcase_add_test(tc, test_rescan_without_data);
	tcase_add_test(tc, test_self_test_and_stats);
	tcase_add_test(tc, test_self_test_max_body_length);
	tcase_add_test(tc, test_reload_delta);
	tcase_add_test(tc, test_reload_tampered);
	suite_add_tcase(s, tc);
	return check_run(s);
}
