/*
 * test_image_grid.c - the SIMD forms of a 32x32 grid's arithmetic against
 * the plain code they replace.
 *
 * img_grid_is_flat() adds up a grid's cells and their squares 8 cells at a
 * time with SSE2 when every cell is below 2^15 (img.c). Here the former
 * code, one cell at a time, is the oracle: on random grids of every kind
 * the flat test decides alike, and grids around its threshold (a level
 * plus small noise) are drawn on both sides of it, as are grids with cells
 * of 2^15 and more (the plain code's case).
 */
#include <check.h>

#include "check_main.h"
#include <stdlib.h>
#include <string.h>

#include "../../cartridge/img/img.h"

static uint64_t grid_rng(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The former img_grid_is_flat(), cell by cell. */
static int ref_is_flat(const struct img_grid *t)
{
	int64_t sum = 0, sum_sq = 0;
	for (unsigned r = 0; r < IMG_GRID; r++)
		for (unsigned c = 0; c < IMG_GRID; c++) {
			sum += t->cell[r][c];
			sum_sq += (int64_t)t->cell[r][c] * t->cell[r][c];
		}
	return 1024 * sum_sq - sum * sum < (int64_t)(1024 * 32) * (1024 * 32);
}

/* A random grid of kind k: noise over the luminance range, a level with
 * noise of a few units (near the flat threshold), any 16-bit values, a
 * level with a few cells far off, all cells at the largest values. */
static void random_grid(struct img_grid *g, uint64_t *s, unsigned k)
{
	unsigned level = (unsigned)(grid_rng(s) % 4081);
	unsigned spread = 1 + (unsigned)(grid_rng(s) % 80);
	for (unsigned r = 0; r < IMG_GRID; r++)
		for (unsigned c = 0; c < IMG_GRID; c++) {
			uint64_t x = grid_rng(s);
			unsigned v;
			switch (k) {
			case 0: v = (unsigned)(x % 4081); break;
			case 1: v = level + (unsigned)(x % spread); break;
			case 2: v = (unsigned)(x & 0xffff); break;
			case 3: v = x % 97 == 0 ? (unsigned)((x >> 8) % 4081) : level; break;
			default: v = 32767u + (unsigned)(x % 3); break;
			}
			g->cell[r][c] = (uint16_t)v;
		}
}

START_TEST(flat_test_equals_the_cells)
{
	uint64_t s = 11;
	unsigned flat = 0, not_flat = 0;
	struct img_grid g;
	for (int round = 0; round < 20000; round++) {
		random_grid(&g, &s, (unsigned)round % 5);
		int want = ref_is_flat(&g);
		ck_assert_int_eq(img_grid_is_flat(&g) != 0, want != 0);
		flat += want != 0;
		not_flat += want == 0;
	}
	/* Both answers came up often: the threshold was crossed both ways. */
	ck_assert_uint_gt(flat, 2000);
	ck_assert_uint_gt(not_flat, 2000);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("image_grid");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, flat_test_equals_the_cells);
	suite_add_tcase(s, tc);
	return check_run(s);
}
