/*
 * test_cfg_files.c - cfg_load() and license_load() on real files: the
 * sample config, tests/data/cfg/, missing, unreadable and oversized files.
 */
#include <check.h>

#include "check_main.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_cfg_capture.h"

static char tmpdir[256];

static const char *srcdir(void)
{
	const char *d = getenv("WHORL_SRCDIR");

	return d != NULL && *d ? d : ".";
}

static void data_dir(char *out, size_t size, const char *sub)
{
	snprintf(out, size, "%s/tests/data/cfg/%s", srcdir(), sub);
}

static void make_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/whorl_test_cfg_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void write_file(const char *dir, const char *name, const char *buf, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
	fclose(f);
}

START_TEST(test_cfg_load_good_file)
{
	char dir[512], want[600];
	struct cfg c;
	struct capture cap;
	struct logger lg;

	data_dir(dir, sizeof(dir), "good");
	capture_init(&cap, &lg);
	ck_assert_int_eq(cfg_load(&c, dir, &lg), 0);
	ck_assert_str_eq(c.customer_id, "example-mail-ops");
	snprintf(want, sizeof(want), "%s/cache", dir);
	ck_assert_str_eq(c.cache_path, want);
	snprintf(want, sizeof(want), "%s/keys/publisher.pub", dir);
	ck_assert_str_eq(c.publisher_key, want);
	ck_assert_str_eq(c.mu_url, "file:///srv/whorl/updates");
	ck_assert_int_eq(c.n_gateway_hosts, 2);
	ck_assert_int_eq(c.minimum_score, 60);
	ck_assert_int_eq(cap.n, 1);
	ck_assert_logged(&cap, WHORL_LOG_INFO, "Will not consider empty messages as spam");
}
END_TEST

/* etc/cartridge.cfg.sample, as shipped, gives the defaults without a
 * complaint; with every "# key = value" line uncommented it still does. */
START_TEST(test_cfg_sample_is_defaults)
{
	char dir[512], path[600];
	struct cfg c, dflt;
	struct capture cap;
	struct logger lg;
	FILE *f;
	char *buf, *out;
	long len;
	size_t o = 0;

	snprintf(dir, sizeof(dir), "%s/etc", srcdir());
	snprintf(path, sizeof(path), "%s/cartridge.cfg.sample", dir);
	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc((size_t)len + 1);
	out = malloc((size_t)len + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);

	capture_init(&cap, &lg);
	cfg_defaults(&c, dir);
	cfg_parse(&c, buf, (size_t)len, &lg);
	cfg_defaults(&dflt, dir);
	ck_assert(memcmp(&c, &dflt, sizeof(c)) == 0);
	ck_assert_int_eq(capture_count_other(&cap), 0);

	/* Uncomment lines of the form "# <key> = <default>" (a '#', one space,
	 * then text with " = "): the commented defaults must be the defaults. */
	for (char *line = buf; line < buf + len;) {
		char *nl = memchr(line, '\n', (size_t)(buf + len - line));
		size_t n = nl != NULL ? (size_t)(nl - line) + 1 : (size_t)(buf + len - line);
		int setting = n > 2 && line[0] == '#' && line[1] == ' ' && line[2] != ' ' &&
		              memmem(line, n, " = ", 3) != NULL;
		memcpy(out + o, line + (setting ? 2 : 0), n - (setting ? 2 : 0));
		o += n - (setting ? 2 : 0);
		line += n;
	}
	capture_init(&cap, &lg);
	cfg_defaults(&c, dir);
	cfg_parse(&c, out, o, &lg);
	ck_assert_int_eq(capture_count_other(&cap), 0);
	ck_assert(memcmp(&c, &dflt, sizeof(c)) == 0);
	free(buf);
	free(out);
}
END_TEST

START_TEST(test_cfg_load_missing_file)
{
	struct cfg c, dflt;
	struct capture cap;
	struct logger lg;
	char want[600];

	make_tmpdir();
	capture_init(&cap, &lg);
	ck_assert_int_eq(cfg_load(&c, tmpdir, &lg), 0);
	cfg_defaults(&dflt, tmpdir);
	ck_assert(memcmp(&c, &dflt, sizeof(c)) == 0);
	snprintf(want, sizeof(want), "No config file %s/cartridge.cfg, using default settings",
	         tmpdir);
	ck_assert_logged(&cap, WHORL_LOG_INFO, want);
	ck_assert_logged(&cap, WHORL_LOG_INFO, "Will not consider empty messages as spam");
	rmdir(tmpdir);
}
END_TEST

START_TEST(test_cfg_load_unreadable_and_bad_dir)
{
	char path[512], *longdir;
	struct cfg c;
	struct capture cap;
	struct logger lg;

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/cartridge.cfg", tmpdir);
	ck_assert_int_eq(mkdir(path, 0700), 0); /* a directory cannot be read */
	capture_init(&cap, &lg);
	ck_assert_int_eq(cfg_load(&c, tmpdir, &lg), WHORL_EIO);
	ck_assert_int_eq(c.mu_port, 80);
	ck_assert_ptr_nonnull(strstr(cap.text[0], "Could not read config file"));
	rmdir(path);
	rmdir(tmpdir);

	ck_assert_int_eq(cfg_load(&c, NULL, &lg), WHORL_ECONFIG);
	ck_assert_str_eq(c.config_dir, ".");
	longdir = malloc(CFG_MAX_STR * 2);
	memset(longdir, 'd', CFG_MAX_STR * 2 - 1);
	longdir[CFG_MAX_STR * 2 - 1] = '\0';
	ck_assert_int_eq(cfg_load(&c, longdir, &lg), WHORL_ECONFIG);
	free(longdir);
}
END_TEST

/* A FIFO would block a plain open() forever; a link to /dev/zero would be
 * read without end. Both are refused at once, the log naming the real
 * path and cause (issue 12.1 and 12.5). */
START_TEST(test_cfg_and_license_refuse_fifo_and_devices)
{
	char path[512], want[700];
	struct cfg c;
	struct license l;
	struct capture cap;
	struct logger lg;

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/cartridge.cfg", tmpdir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	capture_init(&cap, &lg);
	ck_assert_int_eq(cfg_load(&c, tmpdir, &lg), WHORL_EIO);
	snprintf(want, sizeof(want),
	         "Could not read config file %s (not a regular file), using default settings",
	         path);
	ck_assert_int_ge(capture_find(&cap, WHORL_LOG_ERROR, want), 0);
	unlink(path);
	ck_assert_int_eq(symlink("/dev/zero", path), 0);
	capture_init(&cap, &lg);
	ck_assert_int_eq(cfg_load(&c, tmpdir, &lg), WHORL_EIO);
	ck_assert_int_ge(capture_find(&cap, WHORL_LOG_ERROR, want), 0);
	unlink(path);

	snprintf(path, sizeof(path), "%s/license.cfg", tmpdir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	capture_init(&cap, &lg);
	ck_assert_int_eq(license_load(&l, tmpdir, &lg), WHORL_EIO);
	snprintf(want, sizeof(want), "Could not read license file %s (not a regular file)", path);
	ck_assert_int_ge(capture_find(&cap, WHORL_LOG_ERROR, want), 0);
	unlink(path);
	rmdir(tmpdir);
}
END_TEST

START_TEST(test_cfg_load_huge_file)
{
	size_t len = CFG_MAX_FILE_BYTES + 1;
	char *buf = malloc(len);
	struct cfg c;
	struct capture cap;
	struct logger lg;
	char path[512];

	memset(buf, '#', len);
	memcpy(buf, "micro-update port = 99\n", 23);
	make_tmpdir();
	write_file(tmpdir, "cartridge.cfg", buf, len);
	capture_init(&cap, &lg);
	ck_assert_int_eq(cfg_load(&c, tmpdir, &lg), WHORL_ELIMIT);
	ck_assert_int_eq(c.mu_port, 80);
	ck_assert_int_eq(cap.level[0], WHORL_LOG_ERROR);
	ck_assert_ptr_nonnull(strstr(cap.text[0], "is larger than 1048576 bytes"));
	/* At the limit it is read. */
	write_file(tmpdir, "cartridge.cfg", buf, len - 1);
	ck_assert_int_eq(cfg_load(&c, tmpdir, &lg), 0);
	ck_assert_int_eq(c.mu_port, 99);
	snprintf(path, sizeof(path), "%s/cartridge.cfg", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	free(buf);
}
END_TEST

START_TEST(test_license_good_and_crlf)
{
	char dir[512];
	struct license l;
	struct capture cap;
	struct logger lg;

	capture_init(&cap, &lg);
	data_dir(dir, sizeof(dir), "good");
	ck_assert_int_eq(license_load(&l, dir, &lg), 0);
	ck_assert_uint_eq(l.id, 123456);
	ck_assert_str_eq(l.password, "S3cret-Pa55word");
	ck_assert_int_eq(l.present, 1);
	ck_assert_int_eq(l.valid, 1);
	license_clear(&l);
	ck_assert_uint_eq(l.id, 0);
	ck_assert_str_eq(l.password, "");
	ck_assert_int_eq(l.valid, 0);

	data_dir(dir, sizeof(dir), "crlf");
	ck_assert_int_eq(license_load(&l, dir, &lg), 0);
	ck_assert_uint_eq(l.id, 654321);
	ck_assert_str_eq(l.password, "w1th spaces inside");
	ck_assert_int_eq(cap.n, 0);
	license_clear(&l);
}
END_TEST

START_TEST(test_license_missing)
{
	struct license l;
	struct capture cap;
	struct logger lg;

	capture_init(&cap, &lg);
	make_tmpdir();
	ck_assert_int_eq(license_load(&l, tmpdir, &lg), WHORL_ENODATA);
	ck_assert_int_eq(l.present, 0);
	ck_assert_int_eq(l.valid, 0);
	ck_assert_int_eq(cap.n, 0);
	char text[LICENSE_ERROR_TEXT_MAX], want[LICENSE_ERROR_TEXT_MAX];
	snprintf(
	    want, sizeof want,
	    "Could not update signatures from network (missing license file [%s/license.cfg]).",
	    tmpdir);
	ck_assert_str_eq(license_error_text(WHORL_ENODATA, tmpdir, text, sizeof text), want);
	rmdir(tmpdir);
}
END_TEST

START_TEST(test_license_malformed)
{
	static const char *const bad[] = { "badid", "nopass", "onlyid", "longid", "empty" };
	char dir[512];
	struct license l;
	struct capture cap;
	struct logger lg;

	capture_init(&cap, &lg);
	data_dir(dir, sizeof(dir), bad[_i]);
	ck_assert_int_eq(license_load(&l, dir, &lg), WHORL_ECONFIG);
	ck_assert_int_eq(l.present, 1);
	ck_assert_int_eq(l.valid, 0);
	ck_assert_uint_eq(l.id, 0);
	ck_assert_str_eq(l.password, "");
	char text[LICENSE_ERROR_TEXT_MAX], want[LICENSE_ERROR_TEXT_MAX];
	snprintf(
	    want, sizeof want,
	    "Could not update signatures from network (malformed license id in %s/license.cfg).",
	    dir);
	ck_assert_str_eq(license_error_text(WHORL_ECONFIG, dir, text, sizeof text), want);
	ck_assert_ptr_null(license_error_text(0, dir, text, sizeof text));
}
END_TEST

START_TEST(test_license_oversized_and_nul)
{
	char big[5000];
	struct license l;
	struct logger lg;
	struct capture cap;
	char path[512];

	capture_init(&cap, &lg);
	make_tmpdir();
	memset(big, 'p', sizeof(big));
	memcpy(big, "42\n", 3);
	write_file(tmpdir, "license.cfg", big, sizeof(big));
	ck_assert_int_eq(license_load(&l, tmpdir, &lg), WHORL_ECONFIG);
	write_file(tmpdir, "license.cfg", "42\npass\0word\n", 13);
	ck_assert_int_eq(license_load(&l, tmpdir, &lg), WHORL_ECONFIG);
	write_file(tmpdir, "license.cfg", "42\npassword\n", 12);
	ck_assert_int_eq(license_load(&l, tmpdir, &lg), 0);
	ck_assert_uint_eq(l.id, 42);
	snprintf(path, sizeof(path), "%s/license.cfg", tmpdir);
	unlink(path);
	rmdir(tmpdir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cfg_files");
	TCase *tc = tcase_create("files");

	tcase_add_test(tc, test_cfg_load_good_file);
	tcase_add_test(tc, test_cfg_sample_is_defaults);
	tcase_add_test(tc, test_cfg_load_missing_file);
	tcase_add_test(tc, test_cfg_load_unreadable_and_bad_dir);
	tcase_add_test(tc, test_cfg_load_huge_file);
	tcase_add_test(tc, test_cfg_and_license_refuse_fifo_and_devices);
	tcase_add_test(tc, test_license_good_and_crlf);
	tcase_add_test(tc, test_license_missing);
	tcase_add_loop_test(tc, test_license_malformed, 0, 5);
	tcase_add_test(tc, test_license_oversized_and_nul);
	suite_add_tcase(s, tc);
	return check_run(s);
}
