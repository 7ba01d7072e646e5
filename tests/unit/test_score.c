/*
 * test_score.c - the scoring rules of cartridge/score.c: noisy-OR of
 * independent engines, and the rule that infrastructure evidence (url, ip,
 * struct) only supports content evidence (body, fuzzy, attach, image) and
 * never makes a verdict on its own (docs/SCORING.md).
 */
#include <check.h>

#include "check_main.h"
#include <string.h>

#include "cartridge/fp/fp.h"
#include "cartridge/score.h"

#define MIN_SCORE 50u /* the default "minimum score" */

static const struct sigdb_meta abuse = { .category = 1, .confidence = 100 };
static const struct sigdb_meta legit = { .confidence = 100, .flags = SIGDB_F_LEGIT };

static unsigned finish(const struct score_state *st)
{
	struct score_result r;
	score_finish(st, &r);
	return r.score;
}

static void add(struct score_state *st, unsigned engine, double weight)
{
	score_add(st, engine, weight, 1.0, &abuse);
}

START_TEST(test_content_engines)
{
	ck_assert(score_engine_is_content(WHORL_FP_BODY));
	ck_assert(score_engine_is_content(WHORL_FP_FUZZY));
	ck_assert(score_engine_is_content(WHORL_FP_ATTACH));
	ck_assert(score_engine_is_content(WHORL_FP_IMAGE));
	ck_assert(!score_engine_is_content(WHORL_FP_URL));
	ck_assert(!score_engine_is_content(WHORL_FP_IP));
	ck_assert(!score_engine_is_content(WHORL_FP_STRUCT));
}
END_TEST

/* A list post shares the list server's address and the footer's link with
 * spam sent to the same list: every infrastructure engine at its full
 * weight still stays at the lift, far below the minimum score. */
START_TEST(test_infrastructure_alone_never_flags)
{
	struct score_state st;
	memset(&st, 0, sizeof st);
	add(&st, WHORL_FP_URL, score_engine_weight(WHORL_FP_URL, 1, 1.0, 1.0, 1.0));
	add(&st, WHORL_FP_IP, score_engine_weight(WHORL_FP_IP, 0, 1.0, 1.0, 1.0));
	add(&st, WHORL_FP_STRUCT, score_engine_weight(WHORL_FP_STRUCT, 0, 1.0, 1.0, 1.0));
	unsigned s = finish(&st);
	ck_assert_uint_le(s, (unsigned)SCORE_SUPPORT_LIFT);
	ck_assert_uint_lt(s, MIN_SCORE);
}
END_TEST

/* A faint text resemblance (the supporting fuzzy tier below 0.55) plus
 * infrastructure is still not a verdict: the content evidence must carry
 * half the way. From 0.55 (at the publisher's default confidence of 90) a
 * resemblance with the campaign's link or sender flags; with a template
 * (struct) alone, or alone, it does not. */
START_TEST(test_weak_content_plus_infrastructure)
{
	const struct sigdb_meta m90 = { .category = 1, .confidence = 90 };
	struct score_state st;
	memset(&st, 0, sizeof st);
	double faint = score_engine_weight(WHORL_FP_FUZZY, 0, 0.54, 0.70, 0.50);
	ck_assert(faint > 10 && faint * 0.9 < SCORE_SUPPORT_LIFT);
	score_add(&st, WHORL_FP_FUZZY, faint, 0.54, &m90);
	score_add(&st, WHORL_FP_URL, 45, 1.0, &m90);
	score_add(&st, WHORL_FP_IP, 40, 1.0, &m90);
	unsigned s = finish(&st);
	ck_assert_uint_lt(s, MIN_SCORE);
	ck_assert_uint_eq(s, (unsigned)(faint * 0.9 + SCORE_SUPPORT_LIFT + 0.5));
	double weak = score_engine_weight(WHORL_FP_FUZZY, 0, 0.55, 0.70, 0.50);
	unsigned support[] = { WHORL_FP_URL, WHORL_FP_IP };
	for (size_t i = 0; i < 2; i++) {
		memset(&st, 0, sizeof st);
		score_add(&st, WHORL_FP_FUZZY, weak, 0.55, &m90);
		ck_assert_uint_lt(finish(&st), MIN_SCORE);
		score_add(&st, WHORL_FP_STRUCT, 30, 1.0, &m90);
		ck_assert_uint_lt(finish(&st), MIN_SCORE);
		score_add(&st, support[i], score_engine_weight(support[i], 0, 1.0, 1.0, 1.0), 1.0,
		          &m90);
		ck_assert_uint_ge(finish(&st), MIN_SCORE);
	}
}
END_TEST

/* Content evidence near the minimum is carried over it by infrastructure:
 * a reworded campaign (fuzzy 40) with its own link and sender flags. */
START_TEST(test_content_lifted_by_infrastructure)
{
	struct score_state st;
	memset(&st, 0, sizeof st);
	add(&st, WHORL_FP_FUZZY, 40);
	ck_assert_uint_eq(finish(&st), 40);
	add(&st, WHORL_FP_URL, 45);
	unsigned s = finish(&st);
	ck_assert_uint_ge(s, MIN_SCORE);
	ck_assert_uint_eq(s, 65); /* min(noisy-OR 67, 40 + 25) */
	add(&st, WHORL_FP_IP, 40);
	ck_assert_uint_eq(finish(&st), 65);
}
END_TEST

/* A fuzzy match at its own threshold is a verdict alone, also at the
 * publisher's default confidence (whorl-publish --confidence 90); just
 * below the threshold it only supports. */
START_TEST(test_fuzzy_threshold_flags_alone)
{
	struct score_state st;
	const struct sigdb_meta m = { .category = 1, .confidence = 90 };
	memset(&st, 0, sizeof st);
	score_add(&st, WHORL_FP_FUZZY, score_engine_weight(WHORL_FP_FUZZY, 0, 0.70, 0.70, 0.50),
	          0.70, &m);
	ck_assert_uint_ge(finish(&st), MIN_SCORE);
	memset(&st, 0, sizeof st);
	score_add(&st, WHORL_FP_FUZZY, score_engine_weight(WHORL_FP_FUZZY, 0, 0.69, 0.70, 0.50),
	          0.69, &m);
	ck_assert_uint_lt(finish(&st), MIN_SCORE);
}
END_TEST

/* Below the lift the rule changes nothing: independent engines compound. */
/* A paragraph equal to a known short campaign's whole text (a body part
 * key) flags with the campaign's link or sender beside it, at the
 * publisher's default confidence of 90, never alone; a whole-text digest
 * still weighs 99. */
START_TEST(test_body_part_needs_support)
{
	const struct sigdb_meta m90 = { .category = 1, .confidence = 90 };
	double part = score_engine_weight(WHORL_FP_BODY, FP_BODY_F_PART, 1.0, 1.0, 1.0);
	ck_assert(part > 0 && part < MIN_SCORE);
	ck_assert(score_engine_weight(WHORL_FP_BODY, 0, 1.0, 1.0, 1.0) >= 99.0);
	unsigned support[] = { WHORL_FP_URL, WHORL_FP_IP };
	for (size_t i = 0; i < 2; i++) {
		struct score_state st;
		memset(&st, 0, sizeof st);
		score_add(&st, WHORL_FP_BODY, part, 1.0, &m90);
		ck_assert_uint_lt(finish(&st), MIN_SCORE);
		score_add(&st, support[i], score_engine_weight(support[i], 0, 1.0, 1.0, 1.0), 1.0,
		          &m90);
		ck_assert_uint_ge(finish(&st), MIN_SCORE);
	}
}
END_TEST

START_TEST(test_noisy_or)
{
	struct score_state st;
	memset(&st, 0, sizeof st);
	add(&st, WHORL_FP_FUZZY, 60);
	add(&st, WHORL_FP_BODY, 50);
	ck_assert_uint_eq(finish(&st), 80);
	add(&st, WHORL_FP_URL, 20);
	ck_assert_uint_eq(finish(&st), 84);
	memset(&st, 0, sizeof st);
	add(&st, WHORL_FP_BODY, 99);
	add(&st, WHORL_FP_URL, 45);
	ck_assert_uint_eq(finish(&st), 99); /* capped */
}
END_TEST

/* Legitimate text cancels abuse evidence; a legitimate link barely dents
 * a strong text match. */
START_TEST(test_legit_penalty)
{
	struct score_state st;
	memset(&st, 0, sizeof st);
	add(&st, WHORL_FP_FUZZY, 70);
	score_add(&st, WHORL_FP_BODY, 99, 1.0, &legit);
	ck_assert_uint_eq(finish(&st), 0);
	memset(&st, 0, sizeof st);
	add(&st, WHORL_FP_FUZZY, 70);
	score_add(&st, WHORL_FP_URL, 45, 1.0, &legit); /* counts 18 */
	unsigned s = finish(&st);
	ck_assert_uint_ge(s, 69);
	ck_assert_uint_le(s, 70);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("score");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_content_engines);
	tcase_add_test(tc, test_infrastructure_alone_never_flags);
	tcase_add_test(tc, test_weak_content_plus_infrastructure);
	tcase_add_test(tc, test_content_lifted_by_infrastructure);
	tcase_add_test(tc, test_fuzzy_threshold_flags_alone);
	tcase_add_test(tc, test_body_part_needs_support);
	tcase_add_test(tc, test_noisy_or);
	tcase_add_test(tc, test_legit_penalty);
	suite_add_tcase(s, tc);
	return check_run(s);
}
