/*
 * test_infra.c - the publisher's shared infrastructure learning
 * (publisher/lib/infra.c): a link or address carried by several unrelated
 * campaigns is held back from the abuse records, one campaign's own keys
 * stay however many messages (hash-busted variants) carry them, and
 * legitimate records are never touched.
 */
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <string.h>

#include "cartridge/fp/fp.h"
#include "cartridge/util/hash.h"
#include "publisher/lib/infra.h"

#define URL_SHARED 0x1001u /* a list footer's link */
#define IP_SHARED 0x1002u  /* the list server */
#define URL_OWN 0x1003u    /* one campaign's payload link */

static const struct sigdb_meta abuse = { .category = 1, .confidence = 90 };
static const struct sigdb_meta legit = { .confidence = 90, .flags = SIGDB_F_LEGIT };

static const char campaign_text[] =
    "dear friend we are pleased to announce our exclusive offer on genuine swiss "
    "watches rolex omega breitling and cartier at prices you will not believe "
    "every watch ships within two days with a certificate of authenticity and "
    "full warranty visit our online store today and save up to eighty percent "
    "this offer is valid only while supplies last so order now";

static struct arena test_arena;
static struct cfg test_cfg;
static struct mime_msg test_msg;

static void setup(void)
{
	arena_init(&test_arena);
	cfg_defaults(&test_cfg, "/nonexistent");
	memset(&test_msg, 0, sizeof(test_msg));
}

static void teardown(void)
{
	arena_destroy(&test_arena);
}

/* One message: its body key, optionally the fuzzy sketch of `text`, and
 * infrastructure keys; observed by l and published into s as abuse. */
static void message(struct infra_learner *l, struct publish_set *s, uint64_t body, const char *text,
                    const uint64_t *urls, size_t n_urls, uint64_t ip)
{
	struct whorl_fp fps[8];
	struct whorl_sketch sk;
	struct fp_list *fl = arena_alloc(&test_arena, sizeof *fl);
	size_t n = 0;

	ck_assert_ptr_nonnull(fl);
	memset(fl, 0, sizeof *fl);
	fps[n++] =
	    (struct whorl_fp){ .key = whorl_fp_key(WHORL_FP_BODY, body), .engine = WHORL_FP_BODY };
	for (size_t i = 0; i < n_urls; i++)
		fps[n++] = (struct whorl_fp){ .key = whorl_fp_key(WHORL_FP_URL, urls[i]),
			                      .engine = WHORL_FP_URL };
	fps[n++] = (struct whorl_fp){ .key = whorl_fp_key(WHORL_FP_IP, ip), .engine = WHORL_FP_IP };
	struct whorl_fpset set = { .size = sizeof set, .n_fps = n, .fps = fps };
	if (text) {
		struct fp_input in = { .mime = &test_msg,
			               .norm = text,
			               .norm_len = strlen(text),
			               .cfg = &test_cfg,
			               .arena = &test_arena,
			               .skeleton = "" };
		fp_fuzzy_compute(&in, fl);
		ck_assert_uint_eq(fl->n_sketches, 1);
		sk = (struct whorl_sketch){ .engine = fl->sketches[0].engine,
			                    .algo_version = fl->sketches[0].algo_version,
			                    .len = fl->sketches[0].len,
			                    .bytes = fl->sketches[0].bytes };
		set.n_sketches = 1;
		set.sketches = &sk;
	}
	ck_assert_int_eq(infra_observe(l, &set), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(publish_set_add_fp(s, fps[i].key, fps[i].engine, 1, &abuse), 0);
}

static int published(const struct publish_set *s, unsigned engine, uint64_t raw)
{
	return publish_set_get_fp(s, (uint8_t)engine, whorl_fp_key((uint8_t)engine, raw), NULL);
}

/* Three unrelated campaigns posted to one list share its server and footer
 * link: both are held back; the first campaign's own link stays. */
START_TEST(test_shared_keys_held_back)
{
	struct infra_learner *l = infra_new();
	struct publish_set *s = publish_set_new();
	const uint64_t own[] = { URL_SHARED, URL_OWN }, shared[] = { URL_SHARED };
	struct infra_report r;

	message(l, s, 1, NULL, own, 2, IP_SHARED);
	message(l, s, 1, NULL, own, 2, IP_SHARED); /* a re-send of campaign 1 */
	message(l, s, 2, NULL, shared, 1, IP_SHARED);
	message(l, s, 3, NULL, shared, 1, IP_SHARED);
	ck_assert_int_eq(infra_hold_back(l, s, 3, &r), 0);
	ck_assert_uint_eq(r.n_msgs, 4);
	ck_assert_uint_eq(r.n_campaigns, 3);
	ck_assert(!published(s, WHORL_FP_URL, URL_SHARED));
	ck_assert(!published(s, WHORL_FP_IP, IP_SHARED));
	ck_assert(published(s, WHORL_FP_URL, URL_OWN));
	ck_assert(published(s, WHORL_FP_BODY, 1));
	ck_assert_uint_eq(r.n_held[WHORL_FP_URL], 1);
	ck_assert_uint_eq(r.n_held[WHORL_FP_IP], 1);
	infra_free(l);
	publish_set_free(s);
}
END_TEST

/* Below the number of campaigns nothing is held back. */
START_TEST(test_fewer_campaigns_keep_keys)
{
	struct infra_learner *l = infra_new();
	struct publish_set *s = publish_set_new();
	const uint64_t shared[] = { URL_SHARED };
	struct infra_report r;

	for (uint64_t c = 1; c <= 3; c++)
		message(l, s, c, NULL, shared, 1, IP_SHARED);
	ck_assert_int_eq(infra_hold_back(l, s, 4, &r), 0);
	ck_assert(published(s, WHORL_FP_URL, URL_SHARED));
	ck_assert(published(s, WHORL_FP_IP, IP_SHARED));
	ck_assert_uint_eq(r.n_shared[WHORL_FP_URL], 0);
	ck_assert_int_eq(infra_hold_back(l, s, 1, &r), WHORL_EINVAL);
	infra_free(l);
	publish_set_free(s);
}
END_TEST

/* A hash-busted campaign: every message has its own body digest, but the
 * fuzzy sketches match, so it is one campaign and its link is its own. */
START_TEST(test_variants_are_one_campaign)
{
	struct infra_learner *l = infra_new();
	struct publish_set *s = publish_set_new();
	const uint64_t own[] = { URL_OWN };
	struct infra_report r;
	char text[1024];

	for (unsigned i = 0; i < 5; i++) {
		snprintf(text, sizeof text, "%s qx%uzv wk%ujp", campaign_text, i * 7919,
		         i * 104729);
		message(l, s, 100 + i, text, own, 1, 0x2000 + i);
	}
	ck_assert_int_eq(infra_hold_back(l, s, 3, &r), 0);
	ck_assert_uint_eq(r.n_campaigns, 1);
	ck_assert(published(s, WHORL_FP_URL, URL_OWN));
	infra_free(l);
	publish_set_free(s);
}
END_TEST

/* A shared key that legitimate mail published stays legitimate. */
START_TEST(test_legit_records_stay)
{
	struct infra_learner *l = infra_new();
	struct publish_set *s = publish_set_new();
	const uint64_t shared[] = { URL_SHARED };
	struct infra_report r;
	struct sigdb_meta m;

	for (uint64_t c = 1; c <= 3; c++)
		message(l, s, c, NULL, shared, 1, IP_SHARED);
	uint64_t key = whorl_fp_key(WHORL_FP_URL, URL_SHARED);
	ck_assert_int_eq(publish_set_add_fp(s, key, WHORL_FP_URL, 1, &legit), 0);
	ck_assert_int_eq(infra_hold_back(l, s, 3, &r), 0);
	ck_assert(publish_set_get_fp(s, WHORL_FP_URL, key, &m));
	ck_assert(m.flags & SIGDB_F_LEGIT);
	ck_assert_uint_eq(r.n_shared[WHORL_FP_URL], 1);
	ck_assert_uint_eq(r.n_held[WHORL_FP_URL], 0);
	ck_assert(!published(s, WHORL_FP_IP, IP_SHARED));
	infra_free(l);
	publish_set_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("infra");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_shared_keys_held_back);
	tcase_add_test(tc, test_fewer_campaigns_keep_keys);
	tcase_add_test(tc, test_variants_are_one_campaign);
	tcase_add_test(tc, test_legit_records_stay);
	suite_add_tcase(s, tc);
	return check_run(s);
}
