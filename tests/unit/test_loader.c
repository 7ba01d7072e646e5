/*
 * test_loader.c - libwhorl's loader and host wrappers against the test
 * cartridges in tests/cartridges/ (built into $WHORL_TEST_BUILD/tests/cartridges).
 *
 * Each deliberately odd cartridge must be refused with the right code and a
 * message naming the file and the reason; good_echo.so must load, score by
 * its documented rule, fingerprint, describe categories, forward log lines
 * at or above the minimum level, and really unload. Not for: the real engine.
 */
#include <check.h>

#include "check_main.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "whorl.h"

static const char spam_msg[] = "Subject: hi\r\nX-Test-Spam: yes\r\n\r\nbody\r\n";
static const char ham_msg[] = "Subject: hi\nX-Test-Spam: no\n\nX-Test-Spam: yes please\n";

static char cart_dir[1024];
static char tmp_root[] = "/tmp/whorl_test_loader.XXXXXX";

static const char *cart(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.so", cart_dir, name);
	return buf;
}

static void setup_paths(void)
{
	const char *b = getenv("WHORL_TEST_BUILD");

	snprintf(cart_dir, sizeof(cart_dir), "%s/tests/cartridges", b && *b ? b : "build");
}

/* Loads `name`, expects code `want` and every needle in the message. */
static void expect_refused(const char *name, int want, const char *needle1, const char *needle2)
{
	struct whorl_cartridge *c = (struct whorl_cartridge *)0x1;
	char path[1200], err[512] = "";
	int rc;

	cart(name, path, sizeof(path));
	rc = whorl_cartridge_load(path, &c, err, sizeof(err));
	ck_assert_int_eq(rc, want);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, path) != NULL, "message does not name the file: %s", err);
	ck_assert_msg(strstr(err, needle1) != NULL, "no '%s' in: %s", needle1, err);
	if (needle2 != NULL)
		ck_assert_msg(strstr(err, needle2) != NULL, "no '%s' in: %s", needle2, err);
}

START_TEST(refuses_bad_major)
{
	expect_refused("bad_major", WHORL_EABI, "not binary compatible",
	               "ABI major 2, host speaks 1");
}
END_TEST

START_TEST(refuses_short_table)
{
	char want[96];

	snprintf(want, sizeof(want), "table too small: %zu bytes, need at least %zu",
	         offsetof(struct whorl_cartridge_api, open), (size_t)WHORL_CARTRIDGE_API_MIN_SIZE);
	expect_refused("short_table", WHORL_EABI, "not binary compatible", want);
}
END_TEST

START_TEST(refuses_bad_build)
{
	expect_refused("bad_build", WHORL_EBUILD,
	               "32-bit pointers, 4-byte size_t, 4-byte long, big endian",
	               sizeof(void *) == 8 ? "64-bit pointers" : "build signature");
}
END_TEST

START_TEST(refuses_no_entry)
{
	expect_refused("no_entry", WHORL_EABI, "whorl_cartridge_entry", "not a whorl cartridge");
}
END_TEST

START_TEST(refuses_null_table)
{
	expect_refused("null_table", WHORL_EABI, "does not serve ABI major 1", NULL);
}
END_TEST

START_TEST(refuses_null_function)
{
	expect_refused("null_fn", WHORL_EABI, "required function 'score' is NULL", NULL);
}
END_TEST

START_TEST(refuses_missing_file)
{
	expect_refused("does_not_exist", WHORL_EIO, strerror(ENOENT), NULL);
}
END_TEST

static int copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	size_t n;
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	int ok = in != NULL && out != NULL;

	while (ok && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		ok = fwrite(buf, 1, n, out) == n;
	if (in)
		fclose(in);
	if (out && fclose(out) != 0)
		ok = 0;
	return ok && chmod(to, mode) == 0 ? 0 : -1;
}

/* A copy of good_echo.so in a fresh directory with the given modes. */
static void load_copy(mode_t dir_mode, mode_t file_mode, int want, const char *needle)
{
	char src[1200], dir[1300], path[1400], err[512] = "";
	struct whorl_cartridge *c = NULL;
	static int n;
	int rc;

	ck_assert_ptr_nonnull(mkdtemp(tmp_root));
	snprintf(dir, sizeof(dir), "%s/d%d", tmp_root, n++);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/echo.so", dir);
	ck_assert_int_eq(copy_file(cart("good_echo", src, sizeof(src)), path, file_mode), 0);
	ck_assert_int_eq(chmod(dir, dir_mode), 0);
	rc = whorl_cartridge_load(path, &c, err, sizeof(err));
	ck_assert_int_eq(rc, want);
	if (needle != NULL)
		ck_assert_msg(strstr(err, needle) != NULL && strstr(err, path) != NULL, "%s", err);
	whorl_cartridge_unload(c);
	chmod(dir, 0700);
	unlink(path);
	rmdir(dir);
	rmdir(tmp_root);
}

START_TEST(refuses_world_writable_file)
{
	load_copy(0755, 0666, WHORL_ECONFIG, "world-writable: refused");
}
END_TEST

START_TEST(refuses_world_writable_dir)
{
	load_copy(0777, 0644, WHORL_ECONFIG, "without the sticky bit");
}
END_TEST

START_TEST(accepts_sticky_dir)
{
	load_copy(01777, 0644, 0, NULL);
}
END_TEST

static int image_mapped(const char *name)
{
	char line[2048];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	ck_assert_ptr_nonnull(f);
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, name) != NULL;
	fclose(f);
	return found;
}

START_TEST(loads_good_echo_and_unloads)
{
	struct whorl_cartridge *c = NULL;
	char path[1200], err[512] = "";
	const struct whorl_cartridge_api *api;

	ck_assert_int_eq(
	    whorl_cartridge_load(cart("good_echo", path, sizeof(path)), &c, err, sizeof(err)), 0);
	api = whorl_cartridge_table(c);
	ck_assert_ptr_nonnull(api);
	ck_assert_uint_eq(api->abi_major, WHORL_ABI_MAJOR);
	ck_assert_str_eq(whorl_cartridge_version(c), "whorl-test-echo 1.0");
	ck_assert_ptr_ne(whorl_cartridge_version(c), api->version);
	ck_assert_int_eq(image_mapped("good_echo.so"), 1);
	whorl_cartridge_unload(c);
	ck_assert_int_eq(image_mapped("good_echo.so"), 0);
}
END_TEST

struct log_capture {
	int n;
	int level;
	char module[32];
	char message[256];
};

static void capture_log(void *ctx, int level, const char *module, const char *message)
{
	struct log_capture *cap = ctx;

	cap->n++;
	cap->level = level;
	snprintf(cap->module, sizeof(cap->module), "%s", module);
	snprintf(cap->message, sizeof(cap->message), "%s", message);
}

static whorl_host *open_echo(struct log_capture *cap, int min_level, const char *config_dir)
{
	struct whorl_host_options o;
	char path[1200], err[512] = "";
	whorl_host *h = NULL;

	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.cartridge_path = cart("good_echo", path, sizeof(path));
	o.config_dir = config_dir;
	o.log = capture_log;
	o.log_ctx = cap;
	o.log_min_level = min_level;
	ck_assert_msg(whorl_host_open(&o, &h, err, sizeof(err)) == 0, "%s", err);
	return h;
}

START_TEST(host_scores_by_rule)
{
	struct log_capture cap = { 0 };
	whorl_host *h = open_echo(&cap, WHORL_LOG_INFO, "/");
	struct whorl_verdict *v = NULL;
	char c[32], s[32];

	struct whorl_host_info info = { .size = sizeof(info) };
	ck_assert_int_eq(whorl_host_info(h, &info), 0);
	ck_assert_str_eq(info.cartridge_version, "whorl-test-echo 1.0");
	ck_assert_int_eq(whorl_host_score(h, NULL, spam_msg, sizeof(spam_msg) - 1, &v), 0);
	ck_assert_uint_eq(v->score, 90);
	ck_assert_int_eq(v->is_spam, 1);
	ck_assert_uint_eq(v->category, 1);
	ck_assert_int_eq(v->rescan, 0);
	ck_assert_str_eq(v->analysis, "echo; rule=x-test-spam; score=90");
	whorl_host_verdict_free(h, v);
	ck_assert_int_eq(whorl_host_score(h, NULL, ham_msg, sizeof(ham_msg) - 1, &v), 0);
	ck_assert_uint_eq(v->score, 5);
	ck_assert_int_eq(v->is_spam, 0);
	ck_assert_uint_eq(v->category, 0);
	whorl_host_verdict_free(h, v);
	ck_assert_int_eq(whorl_host_score(h, NULL, "no header end", 13, &v), 0);
	ck_assert_int_eq(v->rescan, 1);
	whorl_host_verdict_free(h, v);
	ck_assert_int_eq(whorl_host_describe_category(h, 1, 0, c, sizeof(c), s, sizeof(s)), 0);
	ck_assert_str_eq(c, "spam");
	ck_assert_str_eq(s, "undefined");
	ck_assert_int_eq(whorl_host_describe_category(h, 9, 9, c, sizeof(c), s, sizeof(s)),
	                 WHORL_EINVAL);
	ck_assert_str_eq(c, "unknown");
	ck_assert_int_eq(whorl_host_reload(h, WHORL_RELOAD_ALL), 0);
	/* The echo cartridge claims no whitelists: the host does not ask it. */
	ck_assert_uint_eq(whorl_host_capabilities(h), WHORL_CAP_SCORE | WHORL_CAP_FINGERPRINT);
	ck_assert_int_eq(whorl_host_reload(h, WHORL_RELOAD_WHITELIST), WHORL_ENOTSUP);
	whorl_host_close(h);
}
END_TEST

/* A cartridge whose verdict stops at WHORL_VERDICT_MIN_SIZE (built before
 * the optional members): the host copies what is there and zeroes the rest. */
/* Copies of the cartridge's identity and statistics, never pointers into it. */
START_TEST(host_info_and_stats_are_copies)
{
	struct log_capture cap = { 0 };
	whorl_host *h = open_echo(&cap, WHORL_LOG_INFO, "/");
	struct whorl_host_info info = { .size = sizeof(info) };
	struct whorl_verdict *v = NULL;
	char buf[32], tiny[2];
	char *text = NULL;

	ck_assert_int_eq(whorl_host_score(h, NULL, ham_msg, sizeof(ham_msg) - 1, &v), 0);
	whorl_host_verdict_free(h, v);
	ck_assert_int_eq(whorl_host_info(h, &info), 0);
	ck_assert_str_eq(info.cartridge_version, "whorl-test-echo 1.0");
	ck_assert_uint_eq(info.capabilities, WHORL_CAP_SCORE | WHORL_CAP_FINGERPRINT);
	ck_assert_uint_eq(strlen(info.cartridge_hash), 64);
	ck_assert_ptr_ne(strstr(info.cartridge_path, info.cartridge_hash), NULL);
	ck_assert_int_eq(whorl_host_stats_text(h, &text), 0);
	/* Two: the self test at open, then ours. */
	ck_assert_str_eq(text, "messages scored = 2\nmessages fingerprinted = 0\n");
	free(text);
	ck_assert_int_eq(whorl_host_stat(h, "messages scored", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "2");
	ck_assert_int_eq(whorl_host_stat(h, "messages", buf, sizeof(buf)), WHORL_ENODATA);
	ck_assert_int_eq(whorl_host_stat(h, "messages scored", tiny, sizeof(tiny)), 0);
	ck_assert_int_eq(whorl_host_stat(h, "messages fingerprinted", buf, 1), WHORL_ELIMIT);
	info.size = 8;
	ck_assert_int_eq(whorl_host_info(h, &info), WHORL_EINVAL);
	whorl_host_close(h);
}
END_TEST

/* The real engine claims what it has built in: network updates and whitelists too. */
START_TEST(real_cartridge_claims_its_capabilities)
{
	const char *b = getenv("WHORL_TEST_BUILD");
	struct whorl_cartridge *c = NULL;
	char path[1200], err[512] = "";
	uint64_t want = WHORL_CAP_SCORE | WHORL_CAP_FINGERPRINT | WHORL_CAP_IMAGES |
	                WHORL_CAP_NETWORK | WHORL_CAP_WHITELIST;

	snprintf(path, sizeof(path), "%s/lib/cartridge.so", b != NULL && *b ? b : "build");
	ck_assert_msg(whorl_cartridge_load(path, &c, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(whorl_cartridge_table(c)->capabilities & want, want);
	whorl_cartridge_unload(c);
}
END_TEST

START_TEST(host_reads_short_verdict)
{
	struct whorl_host_options o;
	char path[1200], err[512] = "";
	struct whorl_verdict *v = NULL;
	whorl_host *h = NULL;

	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.cartridge_path = cart("short_verdict", path, sizeof(path));
	o.config_dir = "/";
	ck_assert_msg(whorl_host_open(&o, &h, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(whorl_host_score(h, NULL, spam_msg, sizeof(spam_msg) - 1, &v), 0);
	ck_assert_uint_eq(v->size, sizeof(*v));
	ck_assert_uint_eq(v->score, 90);
	ck_assert_int_eq(v->is_spam, 1);
	ck_assert_str_eq(v->analysis, "echo; rule=x-test-spam; score=90");
	ck_assert_str_eq(v->category_desc, "");
	ck_assert_str_eq(v->subcategory_desc, "");
	whorl_host_verdict_free(h, v);
	whorl_host_close(h);
}
END_TEST

static uint64_t fnv1a64(const char *p, size_t n)
{
	uint64_t x = 0xcbf29ce484222325ull;

	while (n-- > 0) {
		x ^= (unsigned char)*p++;
		x *= 0x100000001b3ull;
	}
	return x;
}

START_TEST(host_fingerprints)
{
	struct log_capture cap = { 0 };
	whorl_host *h = open_echo(&cap, WHORL_LOG_INFO, "/");
	struct whorl_fpset *fps = NULL;

	ck_assert_int_eq(whorl_host_fingerprint(h, ham_msg, sizeof(ham_msg) - 1, &fps), 0);
	ck_assert_uint_eq(fps->n_fps, 1);
	ck_assert_uint_eq(fps->fps[0].engine, WHORL_FP_BODY);
	ck_assert_uint_eq(fps->fps[0].key, fnv1a64(ham_msg, sizeof(ham_msg) - 1));
	ck_assert_uint_eq(fps->n_sketches, 1);
	ck_assert_uint_eq(fps->sketches[0].len, 4);
	ck_assert_uint_eq(fps->sketches[0].bytes[3], sizeof(ham_msg) - 1);
	whorl_host_fpset_free(h, fps);
	whorl_host_close(h);
}
END_TEST

START_TEST(host_forwards_logs_by_level)
{
	struct log_capture cap = { 0 };
	whorl_host *h = open_echo(&cap, WHORL_LOG_INFO, "/");

	ck_assert_int_eq(cap.n, 1);
	ck_assert_int_eq(cap.level, WHORL_LOG_INFO);
	ck_assert_str_eq(cap.module, "ECHO");
	ck_assert_str_eq(cap.message, "opened on /");
	whorl_host_close(h);
	memset(&cap, 0, sizeof(cap));
	h = open_echo(&cap, WHORL_LOG_WARN, "/");
	ck_assert_int_eq(cap.n, 0);
	whorl_host_close(h);
}
END_TEST

START_TEST(host_open_reports_engine_failure)
{
	struct whorl_host_options o;
	char path[1200], err[512] = "";
	whorl_host *h = (whorl_host *)0x1;

	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.cartridge_path = cart("good_echo", path, sizeof(path));
	o.config_dir = "/nonexistent/whorl-etc";
	ck_assert_int_eq(whorl_host_open(&o, &h, err, sizeof(err)), WHORL_ECONFIG);
	ck_assert_ptr_null(h);
	ck_assert_msg(strstr(err, "/nonexistent/whorl-etc") != NULL && strstr(err, path) != NULL,
	              "%s", err);
	ck_assert_int_eq(image_mapped("good_echo.so"), 0);
}
END_TEST

START_TEST(host_open_refused_cartridge)
{
	struct whorl_host_options o;
	char path[1200], err[512] = "";
	whorl_host *h = NULL;

	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.cartridge_path = cart("bad_major", path, sizeof(path));
	o.config_dir = "/";
	ck_assert_int_eq(whorl_host_open(&o, &h, err, sizeof(err)), WHORL_EABI);
	ck_assert_ptr_null(h);
	ck_assert_ptr_nonnull(strstr(err, "ABI major 2"));
}
END_TEST

#define THREADS 4
#define ROUNDS 2000

static void *score_many(void *arg)
{
	whorl_host *h = arg;
	struct whorl_verdict *v;
	intptr_t bad = 0;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		const char *m = (i & 1) ? spam_msg : ham_msg;
		size_t n = (i & 1) ? sizeof(spam_msg) - 1 : sizeof(ham_msg) - 1;

		if (whorl_host_score(h, NULL, m, n, &v) != 0 || v->score != ((i & 1) ? 90u : 5u))
			bad++;
		whorl_host_verdict_free(h, v);
	}
	return (void *)bad;
}

START_TEST(host_scores_from_threads)
{
	struct log_capture cap = { 0 };
	whorl_host *h = open_echo(&cap, WHORL_LOG_WARN, "/");
	pthread_t t[THREADS];
	void *bad;
	int i;

	for (i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, score_many, h), 0);
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], &bad);
		ck_assert_ptr_null(bad);
	}
	whorl_host_close(h);
}
END_TEST

START_TEST(strerror_covers_every_code)
{
	int code;

	for (code = WHORL_OK; code >= WHORL_ENETWORK; code--)
		ck_assert_str_ne(whorl_strerror(code), "unknown error");
	ck_assert_str_eq(whorl_strerror(-1000), "unknown error");
	ck_assert_str_ne(whorl_strerror(WHORL_EABI), whorl_strerror(WHORL_EBUILD));
}
END_TEST

START_TEST(default_paths)
{
	setenv("WHORL_CARTRIDGE", "/x/cartridge.so", 1);
	setenv("WHORL_CONFIG_DIR", "/x/etc", 1);
	ck_assert_str_eq(whorl_default_cartridge_path(), "/x/cartridge.so");
	ck_assert_str_eq(whorl_default_config_dir(), "/x/etc");
	unsetenv("WHORL_CARTRIDGE");
	unsetenv("WHORL_CONFIG_DIR");
	/* Relative to this program: BUILD/tests/unit/test_loader -> BUILD/tests. */
	ck_assert_ptr_nonnull(strstr(whorl_default_cartridge_path(), "/tests/lib/"));
	ck_assert_ptr_nonnull(strstr(whorl_default_config_dir(), "/tests/etc"));
}
END_TEST

static Suite *loader_suite(void)
{
	Suite *s = suite_create("loader");
	TCase *refuse = tcase_create("refuse"), *good = tcase_create("good");

	tcase_add_test(refuse, refuses_bad_major);
	tcase_add_test(refuse, refuses_short_table);
	tcase_add_test(refuse, refuses_bad_build);
	tcase_add_test(refuse, refuses_no_entry);
	tcase_add_test(refuse, refuses_null_table);
	tcase_add_test(refuse, refuses_null_function);
	tcase_add_test(refuse, refuses_missing_file);
	tcase_add_test(refuse, refuses_world_writable_file);
	tcase_add_test(refuse, refuses_world_writable_dir);
	tcase_add_test(refuse, accepts_sticky_dir);
	tcase_add_test(good, loads_good_echo_and_unloads);
	tcase_add_test(good, host_scores_by_rule);
	tcase_add_test(good, host_reads_short_verdict);
	tcase_add_test(good, real_cartridge_claims_its_capabilities);
	tcase_add_test(good, host_info_and_stats_are_copies);
	tcase_add_test(good, host_fingerprints);
	tcase_add_test(good, host_forwards_logs_by_level);
	tcase_add_test(good, host_open_reports_engine_failure);
	tcase_add_test(good, host_open_refused_cartridge);
	tcase_add_test(good, host_scores_from_threads);
	tcase_add_test(good, strerror_covers_every_code);
	tcase_add_test(good, default_paths);
	suite_add_tcase(s, refuse);
	suite_add_tcase(s, good);
	return s;
}

int main(void)
{
	setup_paths();
	return check_run(loader_suite());
}
