/*
 * test_engine_stale.c - an expired update set (the mirror froze, or updates
 * stopped): scanning goes on with it, verdicts keep their scores but ask
 * for a rescan, and the statistics say the set is stale.
 *
 * The cartridge is opened through its own table with a host clock the test
 * moves forward, so no test waits for days to pass.
 */
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_engine_env.h"

#define DAY_MS (86400ull * 1000)

static struct eenv E;
static uint64_t fake_now_ms;

static uint64_t test_clock(void *ctx)
{
	(void)ctx;
	return fake_now_ms;
}

static void setup(void)
{
	eenv_init(&E);
}

static void teardown(void)
{
	eenv_fini(&E);
}

START_TEST(test_expired_set_keeps_scanning_with_rescan)
{
	struct publish_set *s = publish_set_new();
	eenv_add_file(&E, s, "spam-loan.eml", CAT_SPAM, 0);
	eenv_publish(&E, s, NULL); /* expires in PUBLISH_DEFAULT_EXPIRY_DAYS */
	publish_set_free(s);
	char dir[EENV_PATH], cart[EENV_PATH], err[256] = "";
	eenv_config(&E, "gw", "favor analysis over speed = yes", dir, sizeof(dir));
	snprintf(cart, sizeof(cart), "%s/lib/cartridge.so", eenv_build());
	struct whorl_cartridge *c = NULL;
	ck_assert_int_eq(whorl_cartridge_load(cart, &c, err, sizeof(err)), 0);
	const struct whorl_cartridge_api *api = whorl_cartridge_table(c);
	fake_now_ms = (uint64_t)time(NULL) * 1000;
	struct whorl_host_services hs = { .size = sizeof(hs),
		                          .abi_major = WHORL_ABI_MAJOR,
		                          .abi_minor = WHORL_ABI_MINOR,
		                          .clock_ms = test_clock };
	whorl_engine *e = NULL;
	ck_assert_int_eq(api->open(&hs, dir, &e, err, sizeof(err)), 0);
	size_t len;
	char *msg = eenv_msg("spam-loan.eml", &len);
	struct whorl_verdict *fresh = NULL, *stale = NULL;
	ck_assert_int_eq(api->score(e, NULL, msg, len, &fresh), 0);
	ck_assert_int_eq(fresh->rescan, 0);
	ck_assert_uint_ge(fresh->score, 50);

	fake_now_ms += (PUBLISH_DEFAULT_EXPIRY_DAYS + 1) * DAY_MS;
	ck_assert_int_eq(api->score(e, NULL, msg, len, &stale), 0);
	ck_assert_int_eq(stale->rescan, 1);
	ck_assert_uint_eq(stale->score, fresh->score);
	char *stats = NULL;
	ck_assert_int_eq(api->stats_snapshot(e, &stats), 0);
	ck_assert_msg(strstr(stats, "mu set stale = yes") != NULL, "%s", stats);

	api->text_free(e, stats);
	api->verdict_free(e, fresh);
	api->verdict_free(e, stale);
	free(msg);
	api->quiesce(e);
	api->close(e);
	whorl_cartridge_unload(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("engine_stale");
	TCase *tc = tcase_create("stale");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_expired_set_keeps_scanning_with_rescan);
	suite_add_tcase(s, tc);
	return check_run(s);
}
