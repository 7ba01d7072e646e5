/*
 * test_state.c - state files (srl_set.*): the parser's bounds, crash-safe
 * writes, and the start-up choice across runs: trial, promotion to safe,
 * fall back to safe after an unclean shutdown, then to package; leftover
 * .part files; a corrupted cached file; a link planted in the cache.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "mirror_env.h"
#include "../../abi/whorl_cartridge.h"
#include "../../cartridge/update/state.h"
#include "../../cartridge/update/update_internal.h"
#include "../../publisher/lib/publish.h"

#define T0 1700000000
#define TRIAL 600u

struct env {
	struct mirror_env m; /* root, mirror, keys, cache, cfg, key */
	char mu[320];
	struct logger lg;
	int64_t now;
	char last[8192];
};
static struct env E; /* test-only state; each test runs in its own fork */

static void cap_log(void *ctx, int level, const char *module, const char *msg)
{
	size_t n = strlen(E.last);
	snprintf(E.last + n, sizeof E.last - n, "%s|", msg);
}
static int64_t fake_now(void *ctx)
{
	return E.now;
}
static const struct update_hooks hooks = { .now = fake_now };

static void setup(void)
{
	memset(&E, 0, sizeof E);
	mirror_env_open(&E.m, "state");
	snprintf(E.mu, sizeof E.mu, "%s/cache/micro_updates", E.m.root);
	E.lg = (struct logger){ .fn = cap_log, .min_level = WHORL_LOG_DEBUG };
	E.now = T0 + 60;
}

static void teardown(void)
{
	mirror_env_close(&E.m);
}

/* A full set of fps [0, n) at the next complete serial. */
static void publish_full(uint64_t n)
{
	char err[256] = "";
	struct publish_set *s = publish_set_new();
	for (uint64_t i = 0; i < n; i++) {
		struct sigdb_meta m = { .category = 1, .confidence = 90 };
		ck_assert_int_eq(publish_set_add_fp(s, i * 0x9e3779b97f4a7c15ull + 1, 1, 1, &m), 0);
	}
	struct publish_options o = { .out_dir = E.m.mirror,
		                     .now = T0,
		                     .force_full = 1,
		                     .cats = "1/0 spam undefined\n",
		                     .cats_len = 19 };
	ck_assert_msg(publish_write(E.m.key, s, &o, NULL, err, sizeof err) == 0, "%s", err);
	publish_set_free(s);
}

/* One engine start: state start, then a load with nothing live. */
static struct sigdb *start(int *unclean, struct update_status *st)
{
	struct sigdb *db = NULL;
	memset(st, 0, sizeof *st);
	E.last[0] = 0;
	*unclean = update_state_start(&E.m.cfg, &E.lg);
	st->unclean_starts = *unclean;
	ck_assert_int_eq(update_load_url(&E.m.cfg, &E.lg, &hooks, NULL, st, &db), 0);
	ck_assert_ptr_nonnull(db);
	return db;
}

static void set_read(int kind, struct update_set *s, int want_rc)
{
	ck_assert_int_eq(update_state_read(E.mu, kind, s, &E.lg), want_rc);
}

START_TEST(test_parse_bounds)
{
	struct update_set s;
	int line;
	const char *good = "whorl-srl-set 1\nmanifest 7\nsince 1700000000\nexpires 1700086400\n"
	                   "sigs 3 5\ncats 2 2\n";
	ck_assert_int_eq(update_set_parse(good, strlen(good), &s, &line), 0);
	ck_assert_int_eq(s.expires, 1700086400);
	ck_assert_uint_eq(s.complete[UPDATE_SRC_SIGS], 3);
	ck_assert_uint_eq(s.incremental[UPDATE_SRC_SIGS], 5);
	ck_assert_uint_eq(s.complete[UPDATE_SRC_CATS], 2);
	ck_assert_uint_eq(s.manifest_serial, 7);
	/* a torn write (no final newline) is malformed, not a shorter set */
	ck_assert_int_eq(update_set_parse(good, strlen(good) - 1, &s, &line), WHORL_EFORMAT);
	ck_assert_int_eq(line, 6);
	static const char *bad[] = {
		"",
		"whorl-srl-set 2\n",
		"whorl-srl-set 1\nsigs 3 5\nsigs 4 4\n",
		"whorl-srl-set 1\nsigs 3 2\n",
		"whorl-srl-set 1\nsigs 0 0\n",
		"whorl-srl-set 1\nsigs 18446744073709551616 1\n",
		"whorl-srl-set 1\nsigs  3 3\n",
		"whorl-srl-set 1\nbogus 3 3\n",
		"whorl-srl-set 1\nsigs 3 3 3\n",
		"whorl-srl-set 1\nsince -1\n",
		"whorl-srl-set 1\nexpires x\n",
		"whorl-srl-set 1\n\n",
		"whorl-srl-set 1\nsigs 3 3x\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(update_set_parse(bad[i], strlen(bad[i]), &s, &line) == WHORL_EFORMAT,
		              "accepted: %s", bad[i]);
	char big[UPDATE_STATE_MAX_BYTES + 64];
	memset(big, 'x', sizeof big);
	ck_assert_int_eq(update_set_parse(big, sizeof big, &s, &line), WHORL_EFORMAT);
}
END_TEST

START_TEST(test_format_roundtrip_and_write)
{
	struct update_set a = { .manifest_serial = 9, .since = T0, .expires = T0 + 86400 }, b;
	char buf[UPDATE_STATE_MAX_BYTES];
	int line;
	a.complete[UPDATE_SRC_SIGS] = 4;
	a.incremental[UPDATE_SRC_SIGS] = 6;
	a.complete[UPDATE_SRC_ACF] = a.incremental[UPDATE_SRC_ACF] = 1;
	long n = update_set_format(&a, buf, sizeof buf);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(update_set_parse(buf, (size_t)n, &b, &line), 0);
	ck_assert_int_eq(memcmp(&a, &b, sizeof a), 0);
	ck_assert_int_eq(update_set_format(&a, buf, 10), WHORL_ELIMIT);
	ck_assert_int_eq(update_state_start(&E.m.cfg, &E.lg), 0);
	struct stat st;
	ck_assert_int_eq(stat(E.mu, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(update_state_write(E.mu, UPDATE_SET_SAFE, &a, &E.lg), 0);
	set_read(UPDATE_SET_SAFE, &b, 0);
	ck_assert_int_eq(memcmp(&a, &b, sizeof a), 0);
	set_read(UPDATE_SET_UNSAFE, &b, WHORL_ENODATA);
	ck_assert_int_eq(update_state_remove(E.mu, UPDATE_SET_SAFE, &E.lg), 0);
	set_read(UPDATE_SET_SAFE, &b, WHORL_ENODATA);
}
END_TEST

/* A set goes on trial, is promoted after TRIAL seconds; the next set goes
 * on trial; a crash while on trial makes the next start load the safe set. */
START_TEST(test_trial_promotion_and_fallback)
{
	struct update_status st;
	struct update_set cur, safe, trial;
	struct sigdb *db, *next = NULL;
	int unclean;

	publish_full(100);
	db = start(&unclean, &st);
	ck_assert_int_eq(unclean, 0);
	ck_assert_uint_eq(sigdb_count(db), 100);
	set_read(UPDATE_SET_CURRENT, &cur, 0);
	set_read(UPDATE_SET_UNSAFE, &trial, 0);
	set_read(UPDATE_SET_SAFE, &safe, WHORL_ENODATA);
	ck_assert_uint_eq(cur.complete[UPDATE_SRC_SIGS], 1);
	update_state_tick(&E.m.cfg, &E.lg, E.now + TRIAL - 1, TRIAL);
	set_read(UPDATE_SET_SAFE, &safe, WHORL_ENODATA);
	update_state_tick(&E.m.cfg, &E.lg, E.now + TRIAL, TRIAL);
	set_read(UPDATE_SET_SAFE, &safe, 0);
	set_read(UPDATE_SET_UNSAFE, &trial, WHORL_ENODATA);
	ck_assert_uint_eq(safe.complete[UPDATE_SRC_SIGS], 1);

	publish_full(200); /* serial 2 on trial */
	ck_assert_int_eq(update_load_url(&E.m.cfg, &E.lg, &hooks, db, &st, &next), 0);
	ck_assert_ptr_nonnull(next);
	sigdb_unref(db);
	sigdb_unref(next);
	set_read(UPDATE_SET_UNSAFE, &trial, 0);
	ck_assert_uint_eq(trial.complete[UPDATE_SRC_SIGS], 2);
	update_state_stop(&E.m.cfg, &E.lg); /* clean: the set on trial loads again */
	db = start(&unclean, &st);
	ck_assert_int_eq(unclean, 0);
	ck_assert_uint_eq(sigdb_count(db), 200);
	sigdb_unref(db);
	/* no stop: a crash while serial 2 is on trial */
	db = start(&unclean, &st);
	ck_assert_int_eq(unclean, 1);
	ck_assert_uint_eq(sigdb_count(db), 100);
	ck_assert_msg(strstr(E.last, "Will load source sigs from safe set (sigs is not safe)"),
	              "%s", E.last);
	ck_assert_int_eq(st.from_cache, 1);
	set_read(UPDATE_SET_CURRENT, &cur, 0);
	ck_assert_uint_eq(cur.complete[UPDATE_SRC_SIGS], 1);
	set_read(UPDATE_SET_UNSAFE, &trial, WHORL_ENODATA);
	ck_assert_uint_ge(cur.manifest_serial, 2); /* rollback guard survives */
	sigdb_unref(db);
}
END_TEST

/* Package set copied to safe on first init; two unclean starts in a row
 * fall back to it. */
START_TEST(test_package_and_repeated_crash)
{
	struct update_status st;
	struct update_set pkg = { 0 }, safe;
	struct sigdb *db;
	int unclean;

	publish_full(50);
	db = start(&unclean, &st); /* serial 1 cached, current */
	sigdb_unref(db);
	update_state_stop(&E.m.cfg, &E.lg);
	pkg.complete[UPDATE_SRC_SIGS] = 1;
	pkg.incremental[UPDATE_SRC_SIGS] = 1;
	ck_assert_int_eq(update_state_remove(E.mu, UPDATE_SET_SAFE, &E.lg), 0);
	ck_assert_int_eq(update_state_write(E.mu, UPDATE_SET_PACKAGE, &pkg, &E.lg), 0);
	publish_full(80); /* serial 2 comes at the next start */
	db = start(&unclean, &st);
	ck_assert_msg(strstr(E.last, "Copied package microupdate files to \"safe\" set"), "%s",
	              E.last);
	set_read(UPDATE_SET_SAFE, &safe, 0);
	ck_assert_uint_eq(safe.complete[UPDATE_SRC_SIGS], 1);
	ck_assert_uint_eq(sigdb_count(db), 80);
	sigdb_unref(db);
	db = start(&unclean, &st); /* crash 1: safe */
	ck_assert_int_eq(unclean, 1);
	ck_assert_uint_eq(sigdb_count(db), 50);
	sigdb_unref(db);
	db = start(&unclean, &st); /* crash 2: package */
	ck_assert_int_eq(unclean, 2);
	ck_assert_uint_eq(sigdb_count(db), 50);
	/* The package set is loaded from disk (serial 1.1); the mirror's 2 is not. */
	ck_assert_msg(strstr(E.last, "Successfully updated sigs from disk (new serial 1.1)."), "%s",
	              E.last);
	ck_assert_msg(!strstr(E.last, "new serial 2."), "mirror used: %s", E.last);
	sigdb_unref(db);
}
END_TEST

START_TEST(test_partial_removed)
{
	char p[600];
	int fd;

	ck_assert_int_eq(update_state_start(&E.m.cfg, &E.lg), 0);
	snprintf(p, sizeof p, "%s/sigs.3.z.enc.part", E.mu);
	ck_assert_int_ge(fd = open(p, O_CREAT | O_WRONLY, 0600), 0);
	close(fd);
	E.last[0] = 0;
	ck_assert_int_eq(update_state_start(&E.m.cfg, &E.lg), 1); /* no stop: unclean */
	ck_assert_msg(strstr(E.last, "Removed partial sigs file sigs.3.z.enc.part"), "%s", E.last);
	ck_assert_int_ne(access(p, F_OK), 0);
}
END_TEST

/* A cached current file that no longer verifies: the safe set loads. */
START_TEST(test_corrupt_current_falls_back)
{
	struct update_status st;
	struct sigdb *db;
	char p[600], cmd[700];
	int unclean;

	publish_full(30);
	db = start(&unclean, &st);
	sigdb_unref(db);
	update_state_tick(&E.m.cfg, &E.lg, E.now + TRIAL, TRIAL); /* serial 1 safe */
	publish_full(40);
	db = start(&unclean, &st); /* unclean 1, but nothing on trial: current */
	ck_assert_uint_eq(sigdb_count(db), 40);
	sigdb_unref(db);
	update_state_stop(&E.m.cfg, &E.lg);
	snprintf(p, sizeof p, "%s/sigs.2.z.enc", E.mu);
	FILE *f = fopen(p, "r+b");
	ck_assert_ptr_nonnull(f);
	fseek(f, 40, SEEK_SET);
	fputc(0x5a, f);
	fclose(f);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", E.m.mirror); /* and no mirror */
	ck_assert_int_eq(system(cmd), 0);
	db = start(&unclean, &st);
	ck_assert_uint_eq(sigdb_count(db), 30);
	ck_assert_msg(strstr(E.last, "sigs.2.z.enc failed the integrity check"), "%s", E.last);
	sigdb_unref(db);
}
END_TEST

/* A link planted as a .part name is replaced, never followed. */
START_TEST(test_planted_symlink)
{
	struct update_status st;
	struct sigdb *db;
	char target[600], link[600], buf[8] = "";
	int unclean;

	ck_assert_int_eq(update_state_start(&E.m.cfg, &E.lg), 0);
	snprintf(target, sizeof target, "%s/victim", E.m.root);
	FILE *f = fopen(target, "w");
	fputs("keep", f);
	fclose(f);
	snprintf(link, sizeof link, "%s/sigs.1.z.enc.part", E.mu);
	ck_assert_int_eq(symlink(target, link), 0);
	update_state_stop(&E.m.cfg, &E.lg);
	publish_full(10);
	/* start removes it as a partial file; plant it again just before the write */
	db = start(&unclean, &st);
	sigdb_unref(db);
	f = fopen(target, "r");
	ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
	fclose(f);
	ck_assert_str_eq(buf, "keep");
	struct stat lst;
	snprintf(link, sizeof link, "%s/sigs.1.z.enc", E.mu);
	ck_assert_int_eq(lstat(link, &lst), 0);
	ck_assert(S_ISREG(lst.st_mode));
	/* a planted link in place of a cached file is refused at load */
	ck_assert_int_eq(unlink(link), 0);
	ck_assert_int_eq(symlink(target, link), 0);
	update_state_stop(&E.m.cfg, &E.lg);
	snprintf(target, sizeof target, "rm -rf '%s'", E.m.mirror);
	ck_assert_int_eq(system(target), 0);
	E.last[0] = 0;
	db = NULL;
	ck_assert_int_ne(update_load_url(&E.m.cfg, &E.lg, &hooks, NULL, &st, &db), 0);
	ck_assert_ptr_null(db);
	ck_assert_msg(strstr(E.last, "sigs.1.z.enc could not be read"), "%s", E.last);
}
END_TEST

/* A FIFO in place of a state file is refused at once (a plain open would
 * block the loader forever), naming the file and the cause. */
START_TEST(test_fifo_state_file)
{
	struct update_set set;
	char path[600];

	ck_assert_int_eq(update_state_start(&E.m.cfg, &E.lg), 0);
	snprintf(path, sizeof path, "%s/%s/srl_set.current", E.mu, UPDATE_STATE_SUBDIR);
	unlink(path);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	E.last[0] = 0;
	ck_assert_int_eq(update_state_read(E.mu, UPDATE_SET_CURRENT, &set, &E.lg), WHORL_EIO);
	ck_assert_msg(strstr(E.last, "(not a regular file)") && strstr(E.last, "srl_set.current"),
	              "%s", E.last);
	update_state_stop(&E.m.cfg, &E.lg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("state");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_parse_bounds);
	tcase_add_test(tc, test_fifo_state_file);
	tcase_add_test(tc, test_format_roundtrip_and_write);
	tcase_add_test(tc, test_trial_promotion_and_fallback);
	tcase_add_test(tc, test_package_and_repeated_crash);
	tcase_add_test(tc, test_partial_removed);
	tcase_add_test(tc, test_corrupt_current_falls_back);
	tcase_add_test(tc, test_planted_symlink);
	suite_add_tcase(s, tc);
	return check_run(s);
}
