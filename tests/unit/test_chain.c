/*
 * test_chain.c - the sigs deltas kept in the cache (cartridge/update/chain.c):
 * finding the chain from a complete serial to an incremental one by the
 * files' names, a missing link, a stray branch, the UPDATE_MAX_DELTAS bound,
 * names that are not deltas, and pruning what no kept chain uses.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "../../abi/whorl_cartridge.h"
#include "../../cartridge/update/state.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/whorl_chain.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	(void)system(cmd);
}

static void touch(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("x", f);
	fclose(f);
}

/* sigs.<b>-<s>.z.enc and its .cksum */
static void delta(uint64_t b, uint64_t s)
{
	char name[96];
	update_chain_name(b, s, name, sizeof name);
	touch(name);
	strcat(name, ".cksum");
	touch(name);
}

static int exists(const char *name)
{
	char path[256];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

START_TEST(test_find_in_order)
{
	struct update_chain c;
	char name[96];

	update_chain_name(7, 9, name, sizeof name);
	ck_assert_str_eq(name, "sigs.7-9.z.enc");
	delta(3, 4); /* written out of order on purpose */
	delta(1, 2);
	delta(2, 3);
	ck_assert_int_eq(update_chain_find(dir, 1, 4, &c), 0);
	ck_assert_uint_eq(c.n, 3);
	ck_assert_uint_eq(c.base[0], 1);
	ck_assert_uint_eq(c.serial[0], 2);
	ck_assert_uint_eq(c.base[2], 3);
	ck_assert_uint_eq(c.serial[2], 4);
	ck_assert_int_eq(update_chain_present(dir, &c), 1);
	ck_assert_int_eq(update_chain_find(dir, 2, 3, &c), 0);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_int_eq(update_chain_find(dir, 4, 4, &c), 0); /* nothing to replay */
	ck_assert_uint_eq(c.n, 0);
}
END_TEST

START_TEST(test_missing_link_and_branch)
{
	struct update_chain c;
	char path[256];

	delta(1, 2);
	delta(3, 4);
	ck_assert_int_eq(update_chain_find(dir, 1, 4, &c), WHORL_ENODATA); /* 2 -> 3 gone */
	ck_assert_int_eq(update_chain_find(dir, 1, 5, &c), WHORL_ENODATA); /* beyond */
	delta(2, 3);
	delta(2, 7); /* a stray branch from an older publication */
	touch("sigs.3-x.z.enc");
	touch("sigs.5-5.z.enc");
	touch("sigs.1.z.enc");
	ck_assert_int_eq(update_chain_find(dir, 1, 4, &c), 0);
	ck_assert_uint_eq(c.n, 3);
	ck_assert_int_eq(update_chain_find(dir, 1, 7, &c), 0);
	ck_assert_uint_eq(c.n, 2);
	/* a checksum file gone: found by name, but not present */
	ck_assert_int_eq(update_chain_find(dir, 1, 4, &c), 0);
	snprintf(path, sizeof path, "%s/sigs.2-3.z.enc.cksum", dir);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(update_chain_present(dir, &c), 0);
}
END_TEST

START_TEST(test_bound)
{
	struct update_chain c;

	for (uint64_t s = 1; s <= UPDATE_MAX_DELTAS + 1; s++)
		delta(s, s + 1);
	ck_assert_int_eq(update_chain_find(dir, 1, 1 + UPDATE_MAX_DELTAS, &c), 0);
	ck_assert_uint_eq(c.n, UPDATE_MAX_DELTAS);
	ck_assert_int_eq(update_chain_find(dir, 1, 2 + UPDATE_MAX_DELTAS, &c), WHORL_ENODATA);
}
END_TEST

START_TEST(test_prune)
{
	struct update_chain keep[2];
	struct logger lg = { 0 };

	delta(1, 2);
	delta(2, 3);
	delta(3, 4); /* written before a crash: no state names it */
	delta(5, 6);
	touch("sigs.5.z.enc");
	ck_assert_int_eq(update_chain_find(dir, 1, 3, &keep[0]), 0);
	ck_assert_int_eq(update_chain_find(dir, 5, 6, &keep[1]), 0);
	update_chain_prune(&lg, dir, keep, 2);
	ck_assert(exists("sigs.1-2.z.enc") && exists("sigs.2-3.z.enc.cksum"));
	ck_assert(exists("sigs.5-6.z.enc") && exists("sigs.5.z.enc"));
	ck_assert(!exists("sigs.3-4.z.enc") && !exists("sigs.3-4.z.enc.cksum"));
	update_chain_prune(&lg, dir, NULL, 0);
	ck_assert(!exists("sigs.1-2.z.enc") && !exists("sigs.5-6.z.enc.cksum"));
	ck_assert(exists("sigs.5.z.enc"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("chain");
	TCase *tc = tcase_create("chain");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_find_in_order);
	tcase_add_test(tc, test_missing_link_and_branch);
	tcase_add_test(tc, test_bound);
	tcase_add_test(tc, test_prune);
	suite_add_tcase(s, tc);
	return check_run(s);
}
