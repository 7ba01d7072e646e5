/*
 * img_region.c - normalising a decoded picture before it is hashed.
 *
 * What a campaign changes when it re-renders an image is mostly around the
 * picture, not in it: margins, a frame, the canvas size, a banner strip, the
 * colours, a dark edition. So before hashing: the background is the most
 * common luminance of the 128x128 thumb; uniform lines at the edges (frames,
 * margins, the plain part of a title bar) are peeled off; the content's box
 * is what remains that differs from the background (a dark edition's content
 * is the same box; hashes compare whatever their polarity, see
 * img_polar_distance()). Each
 * region is resampled to 32x32 with area averaging, so its hash does not
 * depend on the canvas's size or aspect ratio.
 *
 * Not for: decoding (img_*.c), the hash itself (img.c), deciding what a
 * match is worth (fp/image.c, docs/SCORING.md).
 */
#include "img.h"

#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "../util/bits.h"

#define LEVEL_BINS 16 /* background histogram: 16 gray levels a bin */

/* The mean level of the most common bin: background without a threshold. */
static uint16_t background_level(const struct img_thumb *t)
{
	uint32_t count[LEVEL_BINS] = { 0 };
	uint64_t sum[LEVEL_BINS] = { 0 };
	for (unsigned y = 0; y < IMG_FINE; y++)
		for (unsigned x = 0; x < IMG_FINE; x++) {
			unsigned b = t->cell[y][x] * LEVEL_BINS / 4081u;
			count[b]++;
			sum[b] += t->cell[y][x];
		}
	unsigned best = 0;
	for (unsigned b = 1; b < LEVEL_BINS; b++)
		if (count[b] > count[best])
			best = b;
	return (uint16_t)(sum[best] / count[best]);
}

/* Whether cells (x0..x1, y0..y1) (one of them a single line) span less
 * than IMG_UNIFORM_SPREAD. */
static int line_uniform(const struct img_thumb *t, unsigned x0, unsigned x1, unsigned y0,
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

/* A line's cells without the one at each end when the line is long: at a
 * frame's corner those mix two colours of the frame and the line. */
static unsigned inner_start(unsigned a, unsigned b)
{
	return b - a >= 8 ? a + 1 : a;
}

static unsigned inner_end(unsigned a, unsigned b)
{
	return b - a >= 8 ? b - 1 : b;
}

/* Peels uniform lines off the box's four edges until none is uniform (or
 * the box is one cell thick). */
static void peel(const struct img_thumb *t, struct img_box *b)
{
	int changed = 1;
	while (changed) {
		changed = 0;
		unsigned xa = inner_start(b->x0, b->x1), xb = inner_end(b->x0, b->x1);
		unsigned ya = inner_start(b->y0, b->y1), yb = inner_end(b->y0, b->y1);
		if (b->y1 - b->y0 > 1 && line_uniform(t, xa, xb, b->y0, b->y0 + 1u))
			b->y0++, changed = 1;
		if (b->y1 - b->y0 > 1 && line_uniform(t, xa, xb, b->y1 - 1u, b->y1))
			b->y1--, changed = 1;
		if (b->x1 - b->x0 > 1 && line_uniform(t, b->x0, b->x0 + 1u, ya, yb))
			b->x0++, changed = 1;
		if (b->x1 - b->x0 > 1 && line_uniform(t, b->x1 - 1u, b->x1, ya, yb))
			b->x1--, changed = 1;
	}
}

static int is_ink(uint16_t v, const struct img_content *c)
{
	return (v > c->background ? v - c->background : c->background - v) > c->ink_delta;
}

/* A quarter of the picture's contrast (its furthest cell from the
 * background), at least IMG_INK_DELTA_MIN: a recoloured or faded edition
 * keeps the same ink. */
static uint16_t ink_delta(const struct img_thumb *t, uint16_t background)
{
	unsigned far = 0;
	for (unsigned y = 0; y < IMG_FINE; y++)
		for (unsigned x = 0; x < IMG_FINE; x++) {
			uint16_t v = t->cell[y][x];
			unsigned d = v > background ? v - background : background - v;
			far = d > far ? d : far;
		}
	return (uint16_t)(far / 4 > IMG_INK_DELTA_MIN ? far / 4 : IMG_INK_DELTA_MIN);
}

/* The ink bits of row y's cells [x0, x1), word k (0 outside it). */
static inline uint64_t ink_word(const struct img_content *c, unsigned y, unsigned k, unsigned x0,
                                unsigned x1)
{
	unsigned lo = k * 64, hi = lo + 64;
	if (x1 <= lo || x0 >= hi)
		return 0;
	uint64_t w = c->ink[y][k];
	if (x0 > lo)
		w &= ~0ull << (x0 - lo);
	if (x1 < hi)
		w &= ~0ull >> (hi - x1);
	return w;
}

/* Shrinks b to the bounding box of its ink cells; returns how many there
 * are (0: b unchanged). Reads c->ink a word at a time: the cells
 * is_ink() finds one by one. */
static unsigned ink_box(const struct img_content *c, struct img_box *b)
{
	struct img_box k = { b->x1, b->y1, b->x0, b->y0 };
	unsigned n = 0;
	for (unsigned y = b->y0; y < b->y1; y++)
		for (unsigned w = 0; w < IMG_INK_WORDS; w++) {
			uint64_t bits = ink_word(c, y, w, b->x0, b->x1);
			if (bits == 0)
				continue;
			n += (unsigned)whorl_popcount64(bits);
			unsigned first = w * 64 + (unsigned)__builtin_ctzll(bits);
			unsigned last = w * 64 + 63 - (unsigned)__builtin_clzll(bits);
			k.x0 = first < k.x0 ? (uint16_t)first : k.x0;
			k.x1 = last + 1 > k.x1 ? (uint16_t)(last + 1) : k.x1;
			k.y0 = y < k.y0 ? (uint16_t)y : k.y0;
			k.y1 = (uint16_t)(y + 1);
		}
	if (n > 0)
		*b = k;
	return n;
}

/* c->ink from c->background and c->ink_delta: is_ink() of every cell. */
static void ink_bits_fill(const struct img_thumb *t, struct img_content *c)
{
	for (unsigned y = 0; y < IMG_FINE; y++)
		for (unsigned w = 0; w < IMG_INK_WORDS; w++) {
			uint64_t bits = 0;
			for (unsigned x = 0; x < 64; x++)
				bits |= (uint64_t)is_ink(t->cell[y][w * 64 + x], c) << x;
			c->ink[y][w] = bits;
		}
}

/* Peel, then ink box: the one normalisation every region goes through. */
static unsigned refine(const struct img_thumb *t, const struct img_content *c, struct img_box *b)
{
	peel(t, b);
	return ink_box(c, b);
}

unsigned img_box_refine(const struct img_thumb *t, const struct img_content *c, struct img_box *b)
{
	return refine(t, c, b);
}

int img_box_keep(const struct img_thumb *t, const struct img_content *c, struct img_box b,
                 struct img_box *boxes, size_t *n)
{
	if (refine(t, c, &b) == 0 || memcmp(&b, &c->box, sizeof(b)) == 0)
		return 0;
	for (size_t i = 0; i < *n; i++)
		if (memcmp(&boxes[i], &b, sizeof(b)) == 0)
			return 0;
	boxes[(*n)++] = b;
	return 1;
}

int img_content_find(const struct img_thumb *t, struct img_content *c)
{
	memset(c, 0, sizeof(*c));
	c->background = background_level(t);
	c->ink_delta = ink_delta(t, c->background);
	ink_bits_fill(t, c);
	c->box = (struct img_box){ 0, 0, IMG_FINE, IMG_FINE };
	unsigned n = refine(t, c, &c->box);
	if (n == 0)
		return WHORL_ENODATA;
	c->ink_1024 = (uint16_t)(n * 1024u / (IMG_FINE * IMG_FINE));
	return 0;
}

static int row_blank(const struct img_thumb *t, const struct img_box *b, unsigned y)
{
	return line_uniform(t, b->x0, b->x1, y, y + 1);
}

/* The content below its first band (from_top) or above its last band, when
 * that band and the uniform run after it take under IMG_STRIP_MAX_SHARE of
 * the box's height; 0 when there is no such strip. */
static int strip_off(const struct img_thumb *t, const struct img_content *c, int from_top,
                     struct img_box *out)
{
	const struct img_box *b = &c->box;
	unsigned h = b->y1 - b->y0, limit = (unsigned)(h * IMG_STRIP_MAX_SHARE);
	unsigned i = 0;
#define ROW(k) (from_top ? b->y0 + (k) : b->y1 - 1u - (k))
	while (i < limit && !row_blank(t, b, ROW(i)))
		i++;
	if (i == 0 || i >= limit)
		return 0;
	while (i < h && row_blank(t, b, ROW(i)))
		i++;
	if (i >= h / 2)
		return 0;
	*out = *b;
	if (from_top)
		out->y0 = (uint16_t)(b->y0 + i);
	else
		out->y1 = (uint16_t)(b->y1 - i);
#undef ROW
	return refine(t, c, out) > 0;
}

size_t img_content_regions(const struct img_thumb *t, const struct img_content *c,
                           struct img_box *boxes, size_t cap)
{
	size_t n = 0;
	if (cap == 0)
		return 0;
	boxes[n++] = c->box;
	const struct img_box canvas = { 0, 0, IMG_FINE, IMG_FINE };
	if (memcmp(&canvas, &c->box, sizeof(canvas)) != 0 && n < cap)
		boxes[n++] = canvas;
	for (int top = 1; top >= 0 && n < cap; top--)
		if (strip_off(t, c, top, &boxes[n]))
			n++;
	return n;
}

/* Area-averaged resampling of box onto the 32x32 grid: each grid cell is
 * the mean of the thumb cells its span covers (at least one). */
static void resample(const struct img_thumb *t, const struct img_box *b, struct img_grid *g)
{
	unsigned w = b->x1 - b->x0, h = b->y1 - b->y0;
	for (unsigned r = 0; r < IMG_GRID; r++) {
		unsigned ya = b->y0 + r * h / IMG_GRID, yb = b->y0 + (r + 1) * h / IMG_GRID;
		yb = yb > ya ? yb : ya + 1;
		for (unsigned col = 0; col < IMG_GRID; col++) {
			unsigned xa = b->x0 + col * w / IMG_GRID,
			         xb = b->x0 + (col + 1) * w / IMG_GRID;
			xb = xb > xa ? xb : xa + 1;
			uint32_t s = 0;
			for (unsigned y = ya; y < yb; y++)
				for (unsigned x = xa; x < xb; x++)
					s += t->cell[y][x];
			g->cell[r][col] = (uint16_t)(s / ((yb - ya) * (xb - xa)));
		}
	}
}

/* The ink cells of b (is_ink() of each, read from c->ink). */
static unsigned count_ink(const struct img_content *c, const struct img_box *b)
{
	unsigned ink = 0;
	for (unsigned y = b->y0; y < b->y1; y++)
		for (unsigned w = 0; w < IMG_INK_WORDS; w++)
			ink += (unsigned)whorl_popcount64(ink_word(c, y, w, b->x0, b->x1));
	return ink;
}

/* Tile (tx, ty) of the 4x4 split of b: at least one cell a side. */
static struct img_box tile_box(const struct img_box *b, unsigned tx, unsigned ty)
{
	unsigned w = b->x1 - b->x0, h = b->y1 - b->y0;
	struct img_box k = {
		(uint16_t)(b->x0 + tx * w / IMG_TILES),
		(uint16_t)(b->y0 + ty * h / IMG_TILES),
		(uint16_t)(b->x0 + (tx + 1) * w / IMG_TILES),
		(uint16_t)(b->y0 + (ty + 1) * h / IMG_TILES),
	};
	k.x1 = k.x1 > k.x0 ? k.x1 : (uint16_t)(k.x0 + 1);
	k.y1 = k.y1 > k.y0 ? k.y1 : (uint16_t)(k.y0 + 1);
	return k;
}

static void tiles_hash(const struct img_thumb *t, const struct img_content *c,
                       const struct img_box *b, struct img_hash *out)
{
	for (unsigned ty = 0; ty < IMG_TILES; ty++)
		for (unsigned tx = 0; tx < IMG_TILES; tx++) {
			unsigned i = ty * IMG_TILES + tx;
			struct img_box k = tile_box(b, tx, ty);
			struct img_grid g;
			resample(t, &k, &g);
			unsigned cells = (unsigned)(k.x1 - k.x0) * (k.y1 - k.y0);
			int flat = img_grid_is_flat(&g);
			out->tile[i] = flat ? 0 : img_grid_phash(&g);
			out->tile_ink[i] = flat ? 0 : (uint8_t)(count_ink(c, &k) * 255u / cells);
		}
}

int img_region_hash(const struct img_thumb *t, const struct img_content *c,
                    const struct img_box *box, struct img_hash *out)
{
	struct img_grid g;
	resample(t, box, &g);
	if (img_grid_is_flat(&g))
		return WHORL_ENODATA;
	unsigned ink = count_ink(c, box);
	out->hash = img_grid_phash(&g);
	out->ink = (uint8_t)(ink / 16 > 255 ? 255 : ink / 16);
	if (t->luma != NULL && t->luma->w > 0)
		img_tiles_luma(t->luma, c, box, out);
	else
		tiles_hash(t, c, box, out);
	return 0;
}
