/*
 * test_image_ink.c - the thumb's ink bits (img_content.ink) against the
 * cell-by-cell code they replace.
 *
 * img_region.c cuts boxes to their ink and counts a region's ink from the
 * bits img_content_find() sets, a row of 64-bit words at a time. Here the
 * former code (each cell's distance from the background, one at a time) is
 * the oracle: on random thumbs (a background, rectangles of other levels,
 * noise) and random boxes, img_box_refine() returns the same box and count,
 * and img_region_hash() the same ink, as peeling then cutting cell by cell.
 */
#include <check.h>

#include "check_main.h"
#include <stdlib.h>
#include <string.h>

#include "../../cartridge/img/img.h"

static uint64_t ink_rng(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The former code of img_region.c, cell by cell. */
static int ref_is_ink(uint16_t v, const struct img_content *c)
{
	return (v > c->background ? v - c->background : c->background - v) > c->ink_delta;
}

static int ref_line_uniform(const struct img_thumb *t, unsigned x0, unsigned x1, unsigned y0,
                            unsigned y1)
{
	uint16_t lo = UINT16_MAX, hi = 0;
	for (unsigned y = y0; y < y1; y++)
		for (unsigned x = x0; x < x1; x++) {
			uint16_t v = t->cell[y][x];
			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
	return hi - lo < IMG_UNIFORM_SPREAD;
}

static unsigned ref_inner_start(unsigned a, unsigned b)
{
	return b - a >= 8 ? a + 1 : a;
}

static unsigned ref_inner_end(unsigned a, unsigned b)
{
	return b - a >= 8 ? b - 1 : b;
}

static void ref_peel(const struct img_thumb *t, struct img_box *b)
{
	int changed = 1;
	while (changed) {
		changed = 0;
		unsigned xa = ref_inner_start(b->x0, b->x1), xb = ref_inner_end(b->x0, b->x1);
		unsigned ya = ref_inner_start(b->y0, b->y1), yb = ref_inner_end(b->y0, b->y1);
		if (b->y1 - b->y0 > 1 && ref_line_uniform(t, xa, xb, b->y0, b->y0 + 1u))
			b->y0++, changed = 1;
		if (b->y1 - b->y0 > 1 && ref_line_uniform(t, xa, xb, b->y1 - 1u, b->y1))
			b->y1--, changed = 1;
		if (b->x1 - b->x0 > 1 && ref_line_uniform(t, b->x0, b->x0 + 1u, ya, yb))
			b->x0++, changed = 1;
		if (b->x1 - b->x0 > 1 && ref_line_uniform(t, b->x1 - 1u, b->x1, ya, yb))
			b->x1--, changed = 1;
	}
}

static unsigned ref_ink_box(const struct img_thumb *t, const struct img_content *c,
                            struct img_box *b)
{
	struct img_box k = { b->x1, b->y1, b->x0, b->y0 };
	unsigned n = 0;
	for (unsigned y = b->y0; y < b->y1; y++)
		for (unsigned x = b->x0; x < b->x1; x++) {
			if (!ref_is_ink(t->cell[y][x], c))
				continue;
			n++;
			k.x0 = x < k.x0 ? (uint16_t)x : k.x0;
			k.y0 = y < k.y0 ? (uint16_t)y : k.y0;
			k.x1 = x + 1 > k.x1 ? (uint16_t)(x + 1) : k.x1;
			k.y1 = y + 1 > k.y1 ? (uint16_t)(y + 1) : k.y1;
		}
	if (n > 0)
		*b = k;
	return n;
}

static unsigned ref_count_ink(const struct img_thumb *t, const struct img_content *c,
                              const struct img_box *b)
{
	unsigned ink = 0;
	for (unsigned y = b->y0; y < b->y1; y++)
		for (unsigned x = b->x0; x < b->x1; x++)
			ink += (unsigned)ref_is_ink(t->cell[y][x], c);
	return ink;
}

/* A random thumb: a background level, a few rectangles of other levels
 * (some a level or two from it: not ink), noise on some pictures. */
static void random_thumb(struct img_thumb *t, uint64_t *s)
{
	uint16_t bg = (uint16_t)(ink_rng(s) % 4081);
	for (unsigned y = 0; y < IMG_FINE; y++)
		for (unsigned x = 0; x < IMG_FINE; x++)
			t->cell[y][x] = bg;
	unsigned rects = 1 + (unsigned)(ink_rng(s) % 12);
	for (unsigned r = 0; r < rects; r++) {
		unsigned x0 = (unsigned)(ink_rng(s) % IMG_FINE),
		         y0 = (unsigned)(ink_rng(s) % IMG_FINE);
		unsigned w = 1 + (unsigned)(ink_rng(s) % 70), h = 1 + (unsigned)(ink_rng(s) % 70);
		uint16_t v = (uint16_t)(ink_rng(s) % 4081);
		for (unsigned y = y0; y < y0 + h && y < IMG_FINE; y++)
			for (unsigned x = x0; x < x0 + w && x < IMG_FINE; x++)
				t->cell[y][x] = v;
	}
	if (ink_rng(s) % 3 == 0)
		for (unsigned k = 0; k < 400; k++)
			t->cell[ink_rng(s) % IMG_FINE][ink_rng(s) % IMG_FINE] =
			    (uint16_t)(ink_rng(s) % 4081);
	t->luma = NULL;
}

static struct img_box random_box(uint64_t *s)
{
	unsigned x0 = (unsigned)(ink_rng(s) % IMG_FINE), y0 = (unsigned)(ink_rng(s) % IMG_FINE);
	unsigned x1 = x0 + 1 + (unsigned)(ink_rng(s) % (IMG_FINE - x0));
	unsigned y1 = y0 + 1 + (unsigned)(ink_rng(s) % (IMG_FINE - y0));
	if (ink_rng(s) % 4 == 0) /* the whole canvas, or whole rows */
		x0 = 0, x1 = IMG_FINE;
	return (struct img_box){ (uint16_t)x0, (uint16_t)y0, (uint16_t)x1, (uint16_t)y1 };
}

START_TEST(ink_bits_equal_the_cells)
{
	uint64_t s = 41;
	struct img_thumb *t = malloc(sizeof(*t));
	struct img_content *c = malloc(sizeof(*c));
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(c);
	unsigned pictures = 0;
	for (int pic = 0; pic < 300; pic++) {
		random_thumb(t, &s);
		if (img_content_find(t, c) != 0)
			continue;
		pictures++;
		for (unsigned y = 0; y < IMG_FINE; y++)
			for (unsigned x = 0; x < IMG_FINE; x++)
				ck_assert_int_eq((int)(c->ink[y][x / 64] >> (x % 64) & 1),
				                 ref_is_ink(t->cell[y][x], c));
		for (int k = 0; k < 40; k++) {
			struct img_box b = random_box(&s), ref = b;
			unsigned n = img_box_refine(t, c, &b);
			ref_peel(t, &ref);
			ck_assert_uint_eq(n, ref_ink_box(t, c, &ref));
			ck_assert_mem_eq(&b, &ref, sizeof(b));
			struct img_box r = random_box(&s);
			struct img_hash h;
			if (img_region_hash(t, c, &r, &h) == 0) {
				unsigned ink = ref_count_ink(t, c, &r);
				ck_assert_uint_eq(h.ink, ink / 16 > 255 ? 255 : ink / 16);
			}
		}
	}
	ck_assert_uint_gt(pictures, 200);
	free(c);
	free(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("image_ink");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, ink_bits_equal_the_cells);
	suite_add_tcase(s, tc);
	return check_run(s);
}
