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

/* whorl_hash64 as hash.c first wrote it (the last bytes copied into a
 * zeroed 8-byte word): every length to 40, every alignment, any bytes. */
static uint64_t ref_load(const unsigned char *p)
{
	uint64_t v = 0;
	for (int k = 7; k >= 0; k--)
		v = v << 8 | p[k];
	return v;
}

static uint64_t ref_mul(uint64_t a, uint64_t b)
{
	unsigned __int128 r = (unsigned __int128)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static uint64_t ref_hash(const unsigned char *p, size_t n, uint64_t seed)
{
	const uint64_t p0 = 0xa0761d6478bd642full, p1 = 0xe7037ed1a0b428dbull,
	               p2 = 0x8ebc6af09c88c6e3ull;
	uint64_t h = seed ^ p0 ^ ((uint64_t)n * p2);
	size_t i = 0;
	for (; i + 16 <= n; i += 16)
		h = ref_mul(ref_load(p + i) ^ p1 ^ h, ref_load(p + i + 8) ^ p2);
	if (i + 8 <= n) {
		h = ref_mul(ref_load(p + i) ^ p1, h ^ p0);
		i += 8;
	}
	if (i < n) {
		unsigned char tail[8] = { 0 };
		memcpy(tail, p + i, n - i);
		h = ref_mul(ref_load(tail) ^ p2, h ^ p1);
	}
	return ref_mul(h ^ p1, p2 ^ (uint64_t)n);
}

START_TEST(test_hash_equals_the_reference)
{
	unsigned char buf[64];
	uint64_t x = 0x243f6a8885a308d3ull;
	for (int round = 0; round < 200; round++) {
		for (size_t k = 0; k < sizeof(buf); k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			buf[k] = (unsigned char)x;
		}
		for (size_t off = 0; off < 8; off++)
			for (size_t n = 0; n + off <= 48; n++) {
				/* A copy that ends where the allocation ends: reads past n
				 * would show under ASan. */
				unsigned char *c = malloc(n ? n : 1);
				ck_assert_ptr_nonnull(c);
				memcpy(c, buf + off, n);
				ck_assert_uint_eq(whorl_hash64(c, n, x), ref_hash(buf + off, n, x));
				free(c);
			}
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
	tcase_add_test(tc, test_hash_equals_the_reference);
	suite_add_tcase(s, tc);
	return check_run(s);
}
