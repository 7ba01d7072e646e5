/*
 * test_scan_cand.c - the order a query's sketch candidates are verified in
 * (cartridge/scan_cand.h) against the walk it replaced.
 *
 * cand_order() walks the occupied slots once into a list and takes the
 * candidates from it; the former code walked the `used` bitmap three times
 * (histogram, then the candidates above the cut-off count, then those at
 * it) with cand_next(). Kept here as the oracle: on random candidate sets
 * (few to over SCAN_CAND_MAX distinct handles, shared by 1 to over
 * FP_MAX_QUERY_ANCHORS anchors), both give the same handles in the same
 * order for every cap the scan uses and a few others.
 */
#include <check.h>

#include "check_main.h"
#include <stdlib.h>

#include "../../cartridge/scan_cand.h"

static uint64_t cand_rng(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The former walk: the first occupied slot at or after h. */
static size_t ref_next(const struct cand_set *cs, size_t h)
{
	size_t w = h / 64;
	if (w >= SCAN_CAND_SLOTS / 64)
		return SCAN_CAND_SLOTS;
	uint64_t bits = cs->used[w] & (~0ull << (h % 64));
	while (bits == 0) {
		if (++w == SCAN_CAND_SLOTS / 64)
			return SCAN_CAND_SLOTS;
		bits = cs->used[w];
	}
	return w * 64 + (size_t)__builtin_ctzll(bits);
}

static size_t ref_order(const struct cand_set *cs, size_t cap, uint32_t *order)
{
	size_t hist[FP_MAX_QUERY_ANCHORS + 1] = { 0 };
	for (size_t h = ref_next(cs, 0); h < SCAN_CAND_SLOTS; h = ref_next(cs, h + 1))
		hist[cs->hits[h] > FP_MAX_QUERY_ANCHORS ? FP_MAX_QUERY_ANCHORS : cs->hits[h]]++;
	unsigned cutoff = FP_MAX_QUERY_ANCHORS;
	size_t taken = hist[cutoff];
	while (cutoff > 1 && taken < cap)
		taken += hist[--cutoff];
	size_t verified = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t h = ref_next(cs, 0); h < SCAN_CAND_SLOTS && verified < cap;
		     h = ref_next(cs, h + 1)) {
			unsigned hits = cs->hits[h];
			if (pass == 0 ? hits > cutoff : hits == cutoff)
				order[verified++] = cs->idx[h];
		}
	return verified;
}

START_TEST(order_equals_the_former_walk)
{
	static const size_t caps[] = { 1, 7, 64, 200, 256, SCAN_CAND_MAX };
	uint64_t s = 3;
	struct cand_set *cs = malloc(sizeof(*cs));
	ck_assert_ptr_nonnull(cs);
	for (int round = 0; round < 3000; round++) {
		cand_set_init(cs);
		/* Handles from a pool: a small pool makes many shared, a large
		 * one fills the set past SCAN_CAND_MAX. */
		uint32_t pool = 1 + (uint32_t)(cand_rng(&s) % 2000);
		size_t adds = (size_t)(cand_rng(&s) % 4000);
		int skewed = cand_rng(&s) % 2 == 0;
		for (size_t k = 0; k < adds; k++) {
			uint32_t r = (uint32_t)(cand_rng(&s) % pool);
			if (skewed) /* a few handles shared by very many anchors */
				r = r % 8 == 0 ? r % 5 : r;
			cand_add(cs, r * 2654435761u >> 3);
		}
		for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
			uint32_t got[SCAN_CAND_MAX], want[SCAN_CAND_MAX];
			size_t n = cand_order(cs, caps[c], got);
			ck_assert_uint_eq(n, ref_order(cs, caps[c], want));
			ck_assert_uint_le(n, caps[c]);
			if (n > 0)
				ck_assert_mem_eq(got, want, n * sizeof(got[0]));
		}
	}
	free(cs);
}
END_TEST

/* An image query among a crowded template: 300 sibling crops share all
 * four of a sketch's anchors, the true picture three (its region hash a bit
 * further off). The image cap verifies it; the text cap need not. */
START_TEST(image_cap_reaches_a_crowded_template)
{
	struct cand_set *cs = malloc(sizeof(*cs));
	ck_assert_ptr_nonnull(cs);
	cand_set_init(cs);
	const uint32_t truth = 7u << 20;
	for (uint32_t k = 0; k < 300; k++)
		for (int a = 0; a < 4; a++)
			cand_add(cs, k + 1);
	for (int a = 0; a < 3; a++)
		cand_add(cs, truth);
	static uint32_t order[SCAN_CAND_MAX];
	size_t n = cand_order(cs, SCAN_MAX_VERIFIED_IMAGE, order);
	int found = 0;
	for (size_t i = 0; i < n; i++)
		found |= order[i] == truth;
	ck_assert_msg(found, "the true picture is among the %zu verified", n);
	ck_assert_uint_le(SCAN_MAX_VERIFIED, SCAN_MAX_VERIFIED_IMAGE);
	free(cs);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("scan_cand");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, order_equals_the_former_walk);
	tcase_add_test(tc, image_cap_reaches_a_crowded_template);
	suite_add_tcase(s, tc);
	return check_run(s);
}
