/*
 * img_window.c - the windows a scan hashes beside a picture's regions.
 *
 * A copy cut at a corner (5-10 % of the width off one side and of the
 * height off the top or the bottom) is matched by the crop sketches its
 * publisher stored (img_crop.c), but those sit on a grid of
 * IMG_CROP_CORNER_STEP_PCT, and the tiles of a cut box already disagree
 * when the box is a cell or two off (a tile is a quarter of the box: text
 * shifted by a few percent of a tile hashes as other text). So the scan
 * meets the grid halfway: beside its content box it hashes the box with
 * its cut sides moved in by 1 to IMG_WINDOW_MAX_SHRINK thumb cells, one
 * side alone or the two sides of a corner; with the publisher's 2 % grid
 * (about 2.4 cells of a typical box) a cut then lies within about one cell
 * of a stored crop and a window on both of its sides, which measured
 * better than a grid twice as fine on one side alone (docs/BENCHMARKS.md).
 *
 * A side counts as cut when the content reaches the edge of the canvas
 * there: a crop into a picture leaves its content touching the edge it was
 * cut at, while a picture with margins on every side (whose copies keep
 * their margins: scaled, bordered, re-encoded) gets no window at all.
 * Each window is refined as every region is (peeled, cut to its ink);
 * windows that refine to the content box or to an earlier window are kept
 * once.
 *
 * Not for: hashing (img_region.c), the publisher's crops (img_crop.c),
 * deciding what a window's match is worth (fp/image.c: a window is a
 * picture sketch like any other, checked by its region hash, ink and
 * tiles).
 */
#include "img.h"

#define SIDE_WINDOWS (4 * IMG_WINDOW_MAX_SHRINK)
#define CORNER_WINDOWS (4 * IMG_WINDOW_MAX_SHRINK * IMG_WINDOW_MAX_SHRINK)

_Static_assert(SIDE_WINDOWS + CORNER_WINDOWS == IMG_MAX_WINDOWS,
               "IMG_MAX_WINDOWS is the number of moves window_list() makes");

/* How far each side of the box moves in, in thumb cells. */
struct move {
	uint8_t left, top, right, bottom;
};

/* Which sides of c's box reach the canvas's edge: [0] left, [1] top,
 * [2] right, [3] bottom. */
static void cut_sides(const struct img_content *c, int cut[4])
{
	cut[0] = c->box.x0 == 0;
	cut[1] = c->box.y0 == 0;
	cut[2] = c->box.x1 == IMG_FINE;
	cut[3] = c->box.y1 == IMG_FINE;
}

/* Every move of the cut sides, in a fixed order: one side alone, then the
 * two sides of each corner. Returns how many (at most IMG_MAX_WINDOWS). */
static size_t window_list(const int cut[4], struct move *moves)
{
	size_t n = 0;
	for (unsigned s = 0; s < 4; s++)
		for (uint8_t d = 1; d <= IMG_WINDOW_MAX_SHRINK && cut[s]; d++) {
			uint8_t m[4] = { 0, 0, 0, 0 };
			m[s] = d;
			moves[n++] = (struct move){ m[0], m[1], m[2], m[3] };
		}
	for (unsigned corner = 0; corner < 4; corner++) {
		unsigned h = corner & 1 ? 2 : 0, v = corner & 2 ? 3 : 1;
		if (!cut[h] || !cut[v])
			continue;
		for (uint8_t i = 1; i <= IMG_WINDOW_MAX_SHRINK; i++)
			for (uint8_t j = 1; j <= IMG_WINDOW_MAX_SHRINK; j++) {
				uint8_t m[4] = { 0, 0, 0, 0 };
				m[h] = i;
				m[v] = j;
				moves[n++] = (struct move){ m[0], m[1], m[2], m[3] };
			}
	}
	return n;
}

/* b with the move applied; 0 when it leaves less than one cell a side. */
static int move_box(const struct img_box *b, const struct move *m, struct img_box *out)
{
	if (b->x1 - b->x0 <= m->left + m->right || b->y1 - b->y0 <= m->top + m->bottom)
		return 0;
	*out = (struct img_box){ (uint16_t)(b->x0 + m->left), (uint16_t)(b->y0 + m->top),
		                 (uint16_t)(b->x1 - m->right), (uint16_t)(b->y1 - m->bottom) };
	return 1;
}

size_t img_content_windows(const struct img_thumb *t, const struct img_content *c,
                           struct img_box *boxes, size_t cap)
{
	int cut[4];
	struct move moves[IMG_MAX_WINDOWS];
	cut_sides(c, cut);
	size_t n_moves = window_list(cut, moves), n = 0;
	for (size_t i = 0; i < n_moves && n < cap; i++) {
		struct img_box b;
		if (move_box(&c->box, &moves[i], &b))
			img_box_keep(t, c, b, boxes, &n);
	}
	return n;
}
