/*
 * img_window.c - the windows a scan hashes beside a picture's regions.
 *
 * A copy cut at a side or a corner (5-10 %) is matched by the crop
 * sketches its publisher stored (img_crop.c), but those sit on a grid of
 * IMG_CROP_STEP_PCT and IMG_CROP_CORNER_STEP_PCT, and the tiles of a box
 * already disagree when the box is a cell or two off (a tile is a quarter
 * of the box: text shifted by a few percent of a tile hashes as other
 * text). So the scan meets the grid halfway: beside its content box it
 * hashes the box with one side moved in by 1 to IMG_WINDOW_MAX_SHRINK
 * thumb cells, and with the two sides of each corner moved in by 1 to
 * IMG_WINDOW_CORNER_SHRINK cells.
 *
 * The sides where the content reaches the canvas's edge move (a crop into
 * the picture leaves its content touching the edge it was cut at), and in
 * a dense picture every other side too: a side of the content box is where
 * a threshold on 128x128 cell means first finds ink, and rescaling and
 * JPEG move that place by a cell or two on any side (a faint last line, a
 * rule, a footer's descenders: measured on the bench's crop-mixed misses,
 * docs/BENCHMARKS.md "Windows on every side"); a cut that takes a plain
 * strip (the top of a title bar) or a copy given new margins after its
 * crop leaves no side at the edge either. A sparse picture (ink on under
 * IMG_WINDOW_DENSE_1024 / 1024 of its box: an invoice, a receipt) keeps
 * the windows at its edges only: its few inked tiles are its template's
 * title and columns of short words, and moving every side gave a
 * legitimate invoice of a campaign's template twelve more tries, one of
 * which matched. Each window is refined as every region is (peeled, cut to
 * its ink); windows that refine to the content box or to an earlier window
 * are kept once.
 *
 * Not for: hashing (img_region.c), the publisher's crops (img_crop.c),
 * deciding what a window's match is worth (fp/image.c: a window is a
 * picture sketch like any other, checked by its region hash, ink and
 * tiles).
 */
#include "img.h"

#define SIDE_WINDOWS (4 * IMG_WINDOW_MAX_SHRINK)
#define CORNER_WINDOWS (4 * IMG_WINDOW_CORNER_SHRINK * IMG_WINDOW_CORNER_SHRINK)

_Static_assert(SIDE_WINDOWS + CORNER_WINDOWS == IMG_MAX_WINDOWS,
               "IMG_MAX_WINDOWS is the number of moves window_list() makes");

/* How far each side of the box moves in, in thumb cells. */
struct move {
	uint8_t left, top, right, bottom;
};

/* Which sides of c's box move: [0] left, [1] top, [2] right, [3] bottom;
 * those that reach the canvas's edge, and every side of a dense picture. */
static void moving_sides(const struct img_content *c, int side[4])
{
	uint32_t area = (uint32_t)(c->box.x1 - c->box.x0) * (c->box.y1 - c->box.y0);
	/* ink_1024 counts the thumb's ink cells in 1/1024 of its 16384 */
	uint32_t ink = (uint32_t)c->ink_1024 * (IMG_FINE * IMG_FINE / 1024);
	int dense = area > 0 && ink * 1024u >= IMG_WINDOW_DENSE_1024 * area;
	side[0] = dense || c->box.x0 == 0;
	side[1] = dense || c->box.y0 == 0;
	side[2] = dense || c->box.x1 == IMG_FINE;
	side[3] = dense || c->box.y1 == IMG_FINE;
}

/* Every move of the moving sides, in a fixed order: one side alone (left,
 * top, right, bottom; the nearer cells first), then the two sides of each
 * corner. Returns how many (at most IMG_MAX_WINDOWS). */
static size_t window_list(const int side[4], struct move *moves)
{
	size_t n = 0;
	for (uint8_t d = 1; d <= IMG_WINDOW_MAX_SHRINK; d++)
		for (unsigned s = 0; s < 4; s++) {
			if (!side[s])
				continue;
			uint8_t m[4] = { 0, 0, 0, 0 };
			m[s] = d;
			moves[n++] = (struct move){ m[0], m[1], m[2], m[3] };
		}
	for (unsigned corner = 0; corner < 4; corner++) {
		unsigned h = corner & 1 ? 2 : 0, v = corner & 2 ? 3 : 1;
		if (!side[h] || !side[v])
			continue;
		for (uint8_t i = 1; i <= IMG_WINDOW_CORNER_SHRINK; i++)
			for (uint8_t j = 1; j <= IMG_WINDOW_CORNER_SHRINK; j++) {
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
	int side[4];
	struct move moves[IMG_MAX_WINDOWS];
	moving_sides(c, side);
	size_t n_moves = window_list(side, moves), n = 0;
	for (size_t i = 0; i < n_moves && n < cap; i++) {
		struct img_box b;
		if (move_box(&c->box, &moves[i], &b))
			img_box_keep(t, c, b, boxes, &n);
	}
	return n;
}
