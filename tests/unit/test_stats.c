/*
 * test_stats.c - the statistics parts on their own: size buckets, what one
 * counted message moves (and nothing else), sigs seen, period flips, the
 * log tap, the report text, the sealed body (opened again with the
 * collector's secret key) and the anonymised host id.
 *
 * Not for: scans through a real engine (test_stats_engine.c).
 */
#include <check.h>

#include "check_main.h"
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zlib.h>

#include "cartridge/stats/identity.h"
#include "cartridge/stats/report.h"
#include "cartridge/stats/stats.h"

/* Sum of every plain counter of the period (not the hash tables). */
static uint64_t period_sum(const struct stats_period *p)
{
	uint64_t sum = 0;
	for (int s = 0; s < STATS_N_SCORES; s++)
		for (int z = 0; z < STATS_N_SIZES; z++)
			sum += p->score[s][z];
	for (int e = 0; e < STATS_N_ENGINES; e++)
		for (int z = 0; z < STATS_N_SIZES; z++)
			sum += p->engine[e][z];
	for (int k = 0; k < WL_N_KINDS; k++)
		for (int t = 0; t < WL_N_TYPES; t++)
			for (int z = 0; z < STATS_N_SIZES; z++)
				sum += p->wl[k][t][z];
	return sum;
}

static struct stats_period *new_period(void)
{
	struct stats_period *p = calloc(1, sizeof(*p));
	ck_assert_ptr_nonnull(p);
	return p;
}

START_TEST(test_size_buckets)
{
	ck_assert_uint_eq(stats_size_bucket(0), 0);
	ck_assert_uint_eq(stats_size_bucket(2047), 0);
	ck_assert_uint_eq(stats_size_bucket(2048), 1);
	ck_assert_uint_eq(stats_size_bucket(5000), 2);
	ck_assert_uint_eq(stats_size_bucket((size_t)1023 * 1024), 8);
	ck_assert_uint_eq(stats_size_bucket((size_t)1 << 30), STATS_N_SIZES - 1);
}
END_TEST

START_TEST(test_count_moves_exactly)
{
	struct stats_period *p = new_period();
	struct stats_msg m = { .bytes = 5000,
		               .score = 77,
		               .category = 1,
		               .subcategory = 2,
		               .engines = (1u << WHORL_FP_BODY) | (1u << WHORL_FP_URL),
		               .wl_kind = -1 };
	stats_count_message(p, &m);
	ck_assert_uint_eq(p->score[77][2], 1);
	ck_assert_uint_eq(p->engine[WHORL_FP_BODY][2], 1);
	ck_assert_uint_eq(p->engine[WHORL_FP_URL][2], 1);
	ck_assert_uint_eq(period_sum(p), 3);
	int cats = 0;
	for (int i = 0; i < STATS_CAT_SLOTS; i++)
		if (p->cats[i].key != 0) {
			cats++;
			ck_assert_uint_eq(p->cats[i].count, 1);
		}
	ck_assert_int_eq(cats, 2); /* category 1 and 1/2 */
	/* A whitelisted clean message: score, whitelist, no category. */
	struct stats_msg w = { .bytes = 100, .score = 0, .wl_kind = WL_AWL, .wl_type = WL_BODY };
	stats_count_message(p, &w);
	ck_assert_uint_eq(p->score[0][0], 1);
	ck_assert_uint_eq(p->wl[WL_AWL][WL_BODY][0], 1);
	ck_assert_uint_eq(period_sum(p), 5);
	free(p);
}
END_TEST

START_TEST(test_sigs_seen)
{
	struct stats_period *p = new_period();
	stats_count_sig(p, WHORL_FP_BODY, 0x1234);
	stats_count_sig(p, WHORL_FP_BODY, 0x1234);
	stats_count_sig(p, WHORL_FP_URL, 0x1234); /* same key, other engine: its own entry */
	stats_count_sig(p, WHORL_FP_FUZZY, 0);    /* key 0 is kept as 1 */
	int found = 0;
	for (int i = 0; i < STATS_SIG_SLOTS; i++) {
		if (p->sigs[i].key == 0x1234 && p->sigs[i].engine == WHORL_FP_BODY) {
			ck_assert_uint_eq(p->sigs[i].count, 2);
			found++;
		}
		if (p->sigs[i].key == 0x1234 && p->sigs[i].engine == WHORL_FP_URL) {
			ck_assert_uint_eq(p->sigs[i].count, 1);
			found++;
		}
		if (p->sigs[i].key == 1 && p->sigs[i].engine == WHORL_FP_FUZZY)
			found++;
	}
	ck_assert_int_eq(found, 3);
	/* More distinct keys than slots: the rest is counted as dropped. */
	for (uint64_t k = 100; k < 100 + STATS_SIG_SLOTS + 10; k++)
		stats_count_sig(p, WHORL_FP_BODY, k);
	ck_assert_uint_ge(p->sigs_dropped, 10);
	free(p);
}
END_TEST

START_TEST(test_flip)
{
	struct stats *s = calloc(1, sizeof(*s));
	struct logger lg = { 0 };
	ck_assert_int_eq(stats_init(s, &lg), 0);
	struct stats_msg m = { .bytes = 1, .score = 5, .wl_kind = -1 };
	stats_count_message(stats_active(s), &m);
	struct stats_period *old = stats_flip(s);
	ck_assert_ptr_eq(old, &s->period[0]);
	ck_assert_ptr_eq(stats_active(s), &s->period[1]);
	stats_count_message(stats_active(s), &m);
	ck_assert_uint_eq(old->score[5][0], 1);
	ck_assert_uint_eq(s->period[1].score[5][0], 1);
	stats_period_clear(old);
	ck_assert_uint_eq(period_sum(old), 0);
	stats_destroy(s);
	free(s);
}
END_TEST

static int host_lines;
static void host_log(void *ctx, int level, const char *module, const char *message)
{
	host_lines++;
}

START_TEST(test_log_tap)
{
	struct stats *s = calloc(1, sizeof(*s));
	struct logger lg = { .fn = host_log, .ctx = NULL, .min_level = WHORL_LOG_DEBUG };
	ck_assert_int_eq(stats_init(s, &lg), 0);
	log_msg(&lg, WHORL_LOG_DEBUG, "X", "not kept");
	log_info(&lg, "CONFIG", "kept %d", 1);
	log_error(&lg, "STATS", "kept too");
	ck_assert_int_eq(host_lines, 3); /* every line still reaches the host */
	unsigned dropped = 9;
	char *text = stats_log_take(&s->log, &dropped);
	ck_assert_str_eq(text, "INFO CONFIG: kept 1\nERROR STATS: kept too\n");
	ck_assert_uint_eq(dropped, 0);
	free(text);
	for (int i = 0; i < STATS_LOG_MAX_LINES + 5; i++)
		log_info(&lg, "M", "line %d", i);
	text = stats_log_take(&s->log, &dropped);
	ck_assert_uint_eq(dropped, 5);
	ck_assert_ptr_null(strstr(text, "line 256"));
	free(text);
	text = stats_log_take(&s->log, &dropped); /* taken: empty */
	ck_assert_str_eq(text, "");
	free(text);
	stats_destroy(s);
	free(s);
}
END_TEST

static char *report_of(const struct stats_period *p, unsigned exclude, int sigs)
{
	struct stats_identity id = { .customer_id = "acme",
		                     .host_id = "mx.example.org",
		                     .report_serial = 7,
		                     .run_id = "cnVu",
		                     .period_start = 100,
		                     .period_end = 200,
		                     .spamdna_version = "whorl-cartridge 0.1.0",
		                     .cmae_version = "unknown",
		                     .app_name = "test",
		                     .app_version = "9.9",
		                     .license_id = 42,
		                     .clean_shutdown = 1,
		                     .installation_id = "AAAA",
		                     .exclude = exclude,
		                     .http_proxy_auth = "basic" };
	struct stats_extra x = { .log_text = "INFO A: b\n",
		                 .whitelist_file = "type = body\n",
		                 .whitelist_len = 12,
		                 .entry_hits = "local whitelist entry hits = body:1:2\n",
		                 .downloads = "successful complete micro-update downloads = 3\n",
		                 .serials = "mu sigs serial = 4.5\n",
		                 .sigs_seen = sigs };
	struct sbuf b = { 0 };
	stats_report_text(&b, &id, p, &x);
	ck_assert(!b.failed);
	return b.s;
}

START_TEST(test_report_text)
{
	struct stats_period *p = new_period();
	stats_count_message(p, &(struct stats_msg){ .bytes = 3000,
	                                            .score = 90,
	                                            .category = 1,
	                                            .engines = 1u << WHORL_FP_FUZZY,
	                                            .wl_kind = -1 });
	stats_count_message(p,
	                    &(struct stats_msg){
	                        .bytes = 10, .score = 0, .wl_kind = WL_LOCAL, .wl_type = WL_BODY });
	stats_count_sig(p, WHORL_FP_FUZZY, 0xabcdef);
	char *t = report_of(p, 0, 1);
	const char *want[] = {
		"customer id = acme\nhost id = mx.example.org\nreport serial = 7\nrun id = cnVu\n"
		"period start = 100\nperiod end = 200\n"
		"spamdna version = whorl-cartridge 0.1.0\ncmae version = unknown\n"
		"application name = test\napplication version = 9.9\nlog messages = SU5GTyBBOiBiCg==\n"
		"message sizes = 0 2 4 8 16 32 64 128 256 1024\n"
		"score 0 = 1\nscore 0 sizes = 1 0 0 0 0 0 0 0 0 0\n"
		"score 90 = 1\nscore 90 sizes = 0 1 0 0 0 0 0 0 0 0\n"
		"fuzzy engine = 1\nfuzzy engine sizes = 0 1 0 0 0 0 0 0 0 0\n"
		"local header whitelist = 0\nlocal envelope whitelist = 0\n"
		"local body whitelist = 1\nlocal body whitelist sizes = 1 0 0 0 0 0 0 0 0 0\n",
		"local whitelist entry hits = body:1:2\nwhitelist = dHlwZSA9IGJvZHkK\n",
		"category 1 = 1\nsubcategory 1.0 = 1\n",
		"successful complete micro-update downloads = 3\nmu sigs serial = 4.5\n"
		"sigs seen = 0000000000abcdef:fuzzy:1\nhttp proxy auth = basic\nlicense id = 42\n"
		"clean shutdown = 1\ninstallation id = AAAA\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(strstr(t, want[i]) != NULL, "want\n%s\nin\n%s", want[i], t);
	free(t);
	/* Excluded whitelist and proxy auth; sigs seen off. */
	t = report_of(p, CFG_EXCLUDE_WHITELIST | CFG_EXCLUDE_PROXY_AUTH, 0);
	ck_assert_ptr_nonnull(strstr(t, "local body whitelist = <excluded>\n"));
	ck_assert_ptr_nonnull(strstr(t, "whitelist = <excluded>\n"));
	ck_assert_ptr_nonnull(strstr(t, "http proxy auth = <excluded>\n"));
	ck_assert_ptr_null(strstr(t, "entry hits"));
	ck_assert_ptr_null(strstr(t, "sigs seen"));
	free(t);
	free(p);
}
END_TEST

/* The value of "key = " in body, malloc'd. */
static char *body_value(const char *body, const char *key)
{
	const char *at = strstr(body, key);
	ck_assert_msg(at != NULL, "no %s in %s", key, body);
	at += strlen(key);
	size_t n = strcspn(at, "\n");
	char *v = malloc(n + 1);
	memcpy(v, at, n);
	v[n] = '\0';
	return v;
}

START_TEST(test_seal_round_trip)
{
	ck_assert_int_ge(sodium_init(), 0);
	uint8_t pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
	crypto_box_keypair(pk, sk);
	const char *text = "customer id = acme\nreport serial = 1\n";
	char *body = NULL;
	size_t len = 0;
	const char *stage = NULL;
	ck_assert_int_eq(stats_seal(text, strlen(text), pk, &body, &len, &stage), 0);
	ck_assert_uint_eq(strlen(body), len);
	ck_assert_ptr_eq(strstr(body, "report = spamdna stats\nversion = 1\nencoding = c,s\n"),
	                 body);
	char *b64 = body_value(body, "stats = ");
	uint8_t sealed[4096], z[4096];
	size_t n = 0;
	ck_assert_int_eq(sodium_base642bin(sealed, sizeof(sealed), b64, strlen(b64), NULL, &n, NULL,
	                                   sodium_base64_VARIANT_ORIGINAL),
	                 0);
	ck_assert_int_eq(crypto_box_seal_open(z, sealed, n, pk, sk), 0);
	char plain[256];
	uLongf plen = sizeof(plain);
	ck_assert_int_eq(uncompress((Bytef *)plain, &plen, z, n - crypto_box_SEALBYTES), Z_OK);
	ck_assert_uint_eq(plen, strlen(text));
	ck_assert_int_eq(memcmp(plain, text, plen), 0);
	/* Another collector's key cannot open it. */
	uint8_t pk2[crypto_box_PUBLICKEYBYTES], sk2[crypto_box_SECRETKEYBYTES];
	crypto_box_keypair(pk2, sk2);
	ck_assert_int_ne(crypto_box_seal_open(z, sealed, n, pk2, sk2), 0);
	free(b64);
	free(body);
}
END_TEST

START_TEST(test_sha1_host_id)
{
	char hex[41];
	struct stats_sha1 sha1;
	stats_sha1_init(&sha1, NULL);
	stats_sha1_hex(&sha1, "abc", hex);
	ck_assert_str_eq(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
	char id[STATS_HOST_ID_MAX];
	struct logger lg = { 0 };
	stats_host_id(&sha1, 1, &lg, id, sizeof(id));
	ck_assert_uint_eq(strlen(id), 40);
	ck_assert_uint_eq(strspn(id, "0123456789abcdef"), 40);
	char plain[STATS_HOST_ID_MAX];
	stats_host_id(&sha1, 0, &lg, plain, sizeof(plain));
	stats_sha1_hex(&sha1, plain, hex);
	ck_assert_str_eq(hex, id);
	stats_sha1_close(&sha1);
}
END_TEST

static Suite *stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_size_buckets);
	tcase_add_test(tc, test_count_moves_exactly);
	tcase_add_test(tc, test_sigs_seen);
	tcase_add_test(tc, test_flip);
	tcase_add_test(tc, test_log_tap);
	tcase_add_test(tc, test_report_text);
	tcase_add_test(tc, test_seal_round_trip);
	tcase_add_test(tc, test_sha1_host_id);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(stats_suite());
}
