/*
 * test_update_thread.c - the background thread of cartridge/update/thread.c:
 * a kick ends an hour-long wait at once (the statistics reporter is kicked
 * when the publisher's acf brings a new interval), the wait after it is the
 * cycle's again, and stop wakes and joins a waiting thread.
 *
 * Not for: what the cycles do (test_engine*.c, test_stats_engine.c).
 */
#include <check.h>

#include "check_main.h"
#include <stdatomic.h>

#include "abi/whorl_cartridge.h"
#include "cartridge/update/thread.h"

static atomic_uint cycles_run;

static uint32_t hour_cycle(void *ctx)
{
	atomic_fetch_add(&cycles_run, 1);
	return 3600;
}

START_TEST(test_kick_ends_the_wait)
{
	struct update_thread t;
	atomic_store(&cycles_run, 0);
	ck_assert_int_eq(update_thread_start(&t, hour_cycle, NULL, 3600, NULL), 0);
	/* first_delay is an hour: nothing runs until kicked */
	ck_assert_int_eq(update_thread_wait(&t, 1, 50), WHORL_EBUSY);
	update_thread_kick(&t);
	ck_assert_int_eq(update_thread_wait(&t, 1, 60000), 0);
	update_thread_kick(&t);
	ck_assert_int_eq(update_thread_wait(&t, 2, 60000), 0);
	ck_assert_uint_eq(atomic_load(&cycles_run), 2);
	/* the cycle asked for an hour again: no third cycle without a kick */
	ck_assert_int_eq(update_thread_wait(&t, 3, 50), WHORL_EBUSY);
	update_thread_stop(&t);
	ck_assert_uint_eq(atomic_load(&cycles_run), 2);
}
END_TEST

static Suite *update_thread_suite(void)
{
	Suite *s = suite_create("update_thread");
	TCase *tc = tcase_create("kick");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_kick_ends_the_wait);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(update_thread_suite());
}
