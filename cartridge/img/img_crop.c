/*
 * img_crop.c - the crops of a picture a publisher stores beside it.
 *
 * A campaign that crops its image (5-10 % off one side, two opposite sides
 * or a corner) moves the content's box, and every region hash and tile
 * with it (img_region.c). The scan side keeps computing only its usual
 * regions; the publisher (fingerprint() rather than score(): fp/image.c)
 * adds the sketches of the content box cut on a grid of fractions up to
 * IMG_CROP_MAX_PCT (img.h): each side alone or two opposite sides by
 * multiples of IMG_CROP_STEP_PCT, one horizontal and one vertical side (a
 * corner) by multiples of IMG_CROP_CORNER_STEP_PCT. The grid is fine
 * because the tiles are: a tile is a quarter of the box, and a text tile
 * shifted by a few percent of its width hashes as another text. Each
 * cut box is refined as a cropped copy's own content box is (peeled, cut
 * to its ink), so a crop that lands in a gap between lines snaps to the
 * same line the copy's box snaps to. Boxes that refine to the same cells
 * are kept once.
 *
 * What a stored crop matches is still checked as any sketch is (region
 * hash, ink, tiles): a crop of a campaign's picture is its content, not its
 * layout.
 *
 * Not for: hashing (img_region.c, img.c), deciding what is published
 * (fp/image.c).
 */
#include "img.h"

#define STEPS (IMG_CROP_MAX_PCT / IMG_CROP_STEP_PCT)               /* per side: 6 */
#define CORNER_STEPS (IMG_CROP_MAX_PCT / IMG_CROP_CORNER_STEP_PCT) /* per side: 4 */

_Static_assert(4 * STEPS + STEPS * (STEPS - 1) + 4 * CORNER_STEPS * CORNER_STEPS == IMG_MAX_CROPS,
               "IMG_MAX_CROPS is the number of cuts cut_list() makes");

/* Cuts, in percent of the box's width (left, right) and height (top,
 * bottom). */
struct cut {
	uint8_t left, top, right, bottom;
};

/* Every cut of the grid, in a fixed order: one side, opposite sides whose
 * sum stays within IMG_CROP_MAX_PCT, corners. Returns how many (at most
 * IMG_MAX_CROPS). */
static size_t cut_list(struct cut *cuts)
{
	size_t n = 0;
	for (unsigned i = 1; i <= STEPS; i++) {
		uint8_t f = (uint8_t)(i * IMG_CROP_STEP_PCT);
		cuts[n++] = (struct cut){ f, 0, 0, 0 };
		cuts[n++] = (struct cut){ 0, f, 0, 0 };
		cuts[n++] = (struct cut){ 0, 0, f, 0 };
		cuts[n++] = (struct cut){ 0, 0, 0, f };
	}
	for (unsigned i = 1; i <= STEPS; i++)
		for (unsigned j = 1; i + j <= STEPS; j++) {
			uint8_t a = (uint8_t)(i * IMG_CROP_STEP_PCT),
			        b = (uint8_t)(j * IMG_CROP_STEP_PCT);
			cuts[n++] = (struct cut){ a, 0, b, 0 };
			cuts[n++] = (struct cut){ 0, a, 0, b };
		}
	for (unsigned i = 1; i <= CORNER_STEPS; i++)
		for (unsigned j = 1; j <= CORNER_STEPS; j++) {
			uint8_t h = (uint8_t)(i * IMG_CROP_CORNER_STEP_PCT),
			        v = (uint8_t)(j * IMG_CROP_CORNER_STEP_PCT);
			cuts[n++] = (struct cut){ h, v, 0, 0 };
			cuts[n++] = (struct cut){ 0, v, h, 0 };
			cuts[n++] = (struct cut){ h, 0, 0, v };
			cuts[n++] = (struct cut){ 0, 0, h, v };
		}
	return n;
}

/* c's box with the cut applied (rounded to cells); 0 when the cut leaves
 * less than one cell. */
static int cut_box(const struct img_box *b, const struct cut *k, struct img_box *out)
{
	unsigned w = b->x1 - b->x0, h = b->y1 - b->y0;
	unsigned l = (w * k->left + 50) / 100, r = (w * k->right + 50) / 100;
	unsigned t = (h * k->top + 50) / 100, d = (h * k->bottom + 50) / 100;
	if (l + r >= w || t + d >= h)
		return 0;
	*out = (struct img_box){ (uint16_t)(b->x0 + l), (uint16_t)(b->y0 + t),
		                 (uint16_t)(b->x1 - r), (uint16_t)(b->y1 - d) };
	return 1;
}

size_t img_content_crops(const struct img_thumb *t, const struct img_content *c,
                         struct img_box *boxes, size_t cap)
{
	struct cut cuts[IMG_MAX_CROPS];
	size_t n_cuts = cut_list(cuts), n = 0;
	for (size_t i = 0; i < n_cuts && n < cap; i++) {
		struct img_box b;
		if (cut_box(&c->box, &cuts[i], &b))
			img_box_keep(t, c, b, boxes, &n);
	}
	return n;
}
