/*
 * test_hash.c - golden vectors for whorl_hash64 and the key helpers.
 * Every published fingerprint depends on these values: a change here means
 * every gateway stops matching every update set. Change them only together
 * with a new algorithm version of every engine.
 */
#include <check.h>

#include "check_main.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cartridge/util/hash.h"

START_TEST(test_hash_golden)
{
	ck_assert_uint_eq(whorl_hash64("", 0, 0), 0x09ec1eb68f0bb84aull);
	ck_assert_uint_eq(whorl_hash64("a", 1, 0), 0xb3a078a70726e884ull);
	ck_assert_uint_eq(whorl_hash64("0123456789abcdefXYZ", 19, 42), 0xfbde48d2f304a136ull);
	ck_assert_uint_eq(whorl_hash64("whorl self test", 15, 0), 0x7ca62c349b129393ull);
}
END_TEST

START_TEST(test_hash_seed_and_length_matter)
{
	ck_assert_uint_ne(whorl_hash64("abc", 3, 1), whorl_hash64("abc", 3, 2));
	ck_assert_uint_ne(whorl_hash64("abc\0", 4, 1), whorl_hash64("abc", 3, 1));
	ck_assert_uint_ne(whorl_fp_key(1, 7), whorl_fp_key(2, 7));
}
END_TEST

START_TEST(test_hash_all_lengths_distinct)
{
	char buf[64];
	uint64_t seen[64];
	memset(buf, 'x', sizeof(buf));
	for (size_t n = 0; n < 64; n++) {
		seen[n] = whorl_hash64(buf, n, 0);
		for (size_t k = 0; k < n; k++)
			ck_assert_uint_ne(seen[k], seen[n]);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hash");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_hash_golden);
	tcase_add_test(tc, test_hash_seed_and_length_matter);
	tcase_add_test(tc, test_hash_all_lengths_distinct);
	suite_add_tcase(s, tc);
	return check_run(s);
}
