/*
 * test_dynlib.c - libraries opened at first use (cartridge/util/dynlib.c):
 * nothing is opened before the first dynlib_get(); every function of the
 * owner's table is set; a missing library, a missing symbol and a refused
 * set-up each give NULL and one log line however often they are asked;
 * on_close runs once at close. libz stands in for a library the engine
 * opens (the test program links it already, so the mapping is not checked
 * here: test_image_qr does that with libzbar).
 */
#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "../../cartridge/util/dynlib.h"
#include "check_main.h"

struct z_fns {
	__typeof__(zlibVersion) *version;
	__typeof__(crc32) *crc;
};

static const struct dynlib_sym z_syms[] = {
	{ "zlibVersion", offsetof(struct z_fns, version) },
	{ "crc32", offsetof(struct z_fns, crc) },
};

static const struct dynlib_sym z_syms_missing[] = {
	{ "zlibVersion", offsetof(struct z_fns, version) },
	{ "whorl_no_such_function", offsetof(struct z_fns, crc) },
};

static int n_lines, n_opened, n_closed;
static char last_line[LOG_MAX_LINE];

static void count_line(void *ctx, int level, const char *module, const char *message)
{
	(void)ctx;
	(void)level;
	(void)module;
	n_lines++;
	snprintf(last_line, sizeof(last_line), "%s", message);
}

static int opened_ok(const void *fns)
{
	(void)fns;
	n_opened++;
	return 0;
}

static int opened_refused(const void *fns)
{
	(void)fns;
	n_opened++;
	return -1;
}

static void closed(const void *fns)
{
	(void)fns;
	n_closed++;
}

static struct logger counting = { .fn = count_line, .min_level = WHORL_LOG_DEBUG };

static void reset(void)
{
	n_lines = n_opened = n_closed = 0;
	last_line[0] = '\0';
}

START_TEST(opened_at_the_first_get_and_closed_once)
{
	static const struct dynlib_spec spec = { .soname = "libz.so.1",
		                                 .syms = z_syms,
		                                 .n_syms = 2,
		                                 .on_open = opened_ok,
		                                 .on_close = closed,
		                                 .module = "TEST",
		                                 .without = "no crc" };
	struct z_fns fns;
	struct dynlib d;
	reset();
	memset(&fns, 0, sizeof(fns));
	dynlib_init(&d, &spec, &fns, &counting);
	ck_assert_int_eq(atomic_load(&d.state), DYNLIB_UNTRIED);
	ck_assert_int_eq(n_opened, 0);
	const struct z_fns *z = dynlib_get(&d);
	ck_assert_ptr_eq(z, &fns);
	ck_assert_ptr_nonnull(z->version);
	ck_assert_str_eq(z->version(), zlibVersion());
	ck_assert_uint_eq(z->crc(0, (const Bytef *)"abc", 3), crc32(0, (const Bytef *)"abc", 3));
	ck_assert_ptr_eq(dynlib_get(&d), &fns);
	ck_assert_int_eq(n_opened, 1);
	ck_assert_int_eq(n_lines, 0);
	dynlib_close(&d);
	ck_assert_int_eq(n_closed, 1);
	ck_assert_ptr_null(dynlib_get(NULL));
}
END_TEST

/* Each failure: NULL every time, one line naming the library and why. */
static void check_fails_once(const struct dynlib_spec *spec, const char *why)
{
	struct z_fns fns;
	struct dynlib d;
	reset();
	dynlib_init(&d, spec, &fns, &counting);
	ck_assert_ptr_null(dynlib_get(&d));
	ck_assert_ptr_null(dynlib_get(&d));
	ck_assert_int_eq(atomic_load(&d.state), DYNLIB_FAILED);
	ck_assert_int_eq(n_lines, 1);
	ck_assert_msg(strstr(last_line, spec->soname) != NULL, "%s", last_line);
	ck_assert_msg(strstr(last_line, why) != NULL, "%s", last_line);
	ck_assert_msg(strstr(last_line, "no crc") != NULL, "%s", last_line);
	dynlib_close(&d);
	ck_assert_int_eq(n_closed, 0); /* nothing was left open */
}

START_TEST(missing_library_symbol_or_setup_fails_once)
{
	static const struct dynlib_spec no_lib = { .soname = "libwhorl-no-such-library.so.0",
		                                   .syms = z_syms,
		                                   .n_syms = 2,
		                                   .on_close = closed,
		                                   .module = "TEST",
		                                   .without = "no crc" };
	static const struct dynlib_spec no_sym = { .soname = "libz.so.1",
		                                   .syms = z_syms_missing,
		                                   .n_syms = 2,
		                                   .on_close = closed,
		                                   .module = "TEST",
		                                   .without = "no crc" };
	static const struct dynlib_spec refused = { .soname = "libz.so.1",
		                                    .syms = z_syms,
		                                    .n_syms = 2,
		                                    .on_open = opened_refused,
		                                    .on_close = closed,
		                                    .module = "TEST",
		                                    .without = "no crc" };
	check_fails_once(&no_lib, "libwhorl-no-such-library.so.0");
	check_fails_once(&no_sym, "whorl_no_such_function");
	check_fails_once(&refused, "set-up");
	ck_assert_int_eq(n_opened, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dynlib");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, opened_at_the_first_get_and_closed_once);
	tcase_add_test(tc, missing_library_symbol_or_setup_fails_once);
	suite_add_tcase(s, tc);
	return check_run(s);
}
