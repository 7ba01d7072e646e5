/*
 * test_file_read.c - the one file reader (cartridge/util/file_read.c):
 * regular files whole, the size cap, and refusal of FIFOs, devices,
 * directories and (with FILE_READ_NOFOLLOW) symbolic links, each with the
 * reason a log line would name.
 */
#include <check.h>

#include "check_main.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abi/whorl_cartridge.h"
#include "cartridge/util/file_read.h"

static char dir[] = "/tmp/whorl-file-read-XXXXXX";

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *in_dir(const char *name)
{
	static char path[256];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

static void write_file(const char *name, const char *text, size_t len)
{
	FILE *f = fopen(in_dir(name), "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_reads_whole_file)
{
	char *data = NULL;
	size_t len = 0;
	int why = 0;

	write_file("a", "hello\nworld\n", 12);
	ck_assert_int_eq(file_read_whole(in_dir("a"), 0, 12, &data, &len, &why), 0);
	ck_assert_uint_eq(len, 12);
	ck_assert_str_eq(data, "hello\nworld\n");
	free(data);
	write_file("empty", "", 0);
	ck_assert_int_eq(file_read_whole(in_dir("empty"), 0, 12, &data, &len, &why), 0);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(data, "");
	free(data);
}
END_TEST

START_TEST(test_cap_is_exact)
{
	char *data = NULL, big[100000];
	size_t len = 0;
	int why = 0;

	memset(big, 'x', sizeof big);
	write_file("big", big, sizeof big);
	ck_assert_int_eq(file_read_whole(in_dir("big"), 0, sizeof big, &data, &len, &why), 0);
	ck_assert_uint_eq(len, sizeof big);
	free(data);
	ck_assert_int_eq(file_read_whole(in_dir("big"), 0, sizeof big - 1, &data, &len, &why),
	                 WHORL_ELIMIT);
	ck_assert_int_eq(why, EFBIG);
	ck_assert_ptr_null(data);
	ck_assert_str_eq(file_why_text(why), "larger than the limit");
}
END_TEST

START_TEST(test_missing_names_enoent)
{
	char *data = NULL;
	size_t len = 0;
	int why = 0;

	ck_assert_int_eq(file_read_whole(in_dir("none"), 0, 10, &data, &len, &why), WHORL_EIO);
	ck_assert_int_eq(why, ENOENT);
}
END_TEST

/* A FIFO with no writer would block a plain open() forever. */
START_TEST(test_fifo_refused_without_blocking)
{
	char *data = NULL;
	size_t len = 0;
	int why = 0;

	ck_assert_int_eq(mkfifo(in_dir("fifo"), 0600), 0);
	ck_assert_int_eq(file_read_whole(in_dir("fifo"), 0, 10, &data, &len, &why), WHORL_EIO);
	ck_assert_int_eq(why, FILE_WHY_NOT_REGULAR);
	ck_assert_str_eq(file_why_text(why), "not a regular file");
}
END_TEST

START_TEST(test_device_and_directory_refused)
{
	char *data = NULL;
	size_t len = 0;
	int why = 0;

	ck_assert_int_eq(symlink("/dev/zero", in_dir("zero")), 0);
	ck_assert_int_eq(file_read_whole(in_dir("zero"), 0, 10, &data, &len, &why), WHORL_EIO);
	ck_assert_int_eq(why, FILE_WHY_NOT_REGULAR);
	ck_assert_int_eq(file_read_whole(dir, 0, 10, &data, &len, &why), WHORL_EIO);
	ck_assert_int_eq(why, FILE_WHY_NOT_REGULAR);
}
END_TEST

START_TEST(test_nofollow_refuses_links_only_when_asked)
{
	char *data = NULL;
	size_t len = 0;
	int why = 0;

	write_file("target", "x", 1);
	ck_assert_int_eq(symlink("target", in_dir("link")), 0);
	ck_assert_int_eq(file_read_whole(in_dir("link"), 0, 10, &data, &len, &why), 0);
	free(data);
	ck_assert_int_eq(file_read_whole(in_dir("link"), FILE_READ_NOFOLLOW, 10, &data, &len, &why),
	                 WHORL_EIO);
	ck_assert_int_eq(why, ELOOP);
}
END_TEST

/* A reused buffer grows and is NUL-terminated after each read. */
START_TEST(test_read_fd_reuses_buffer)
{
	char *buf = NULL;
	size_t cap = 0, len = 0;
	int why = 0, fd;

	write_file("one", "abc", 3);
	fd = file_open_regular(in_dir("one"), 0, NULL, &why);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(file_read_fd(fd, 100, 0, &buf, &cap, &len, &why), 0);
	ck_assert_uint_eq(len, 3);
	ck_assert_str_eq(buf, "abc");
	close(fd);
	write_file("two", "de", 2);
	fd = file_open_regular(in_dir("two"), 0, NULL, &why);
	ck_assert_int_eq(file_read_fd(fd, 100, 2, &buf, &cap, &len, &why), 0);
	ck_assert_str_eq(buf, "de");
	close(fd);
	free(buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("file_read");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reads_whole_file);
	tcase_add_test(tc, test_cap_is_exact);
	tcase_add_test(tc, test_missing_names_enoent);
	tcase_add_test(tc, test_fifo_refused_without_blocking);
	tcase_add_test(tc, test_device_and_directory_refused);
	tcase_add_test(tc, test_nofollow_refuses_links_only_when_asked);
	tcase_add_test(tc, test_read_fd_reuses_buffer);
	suite_add_tcase(s, tc);
	return check_run(s);
}
