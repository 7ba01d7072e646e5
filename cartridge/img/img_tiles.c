/*
 * img_tiles.c - a region's 4x4 tile hashes from the luminance copy.
 *
 * The tiles are what tells two pictures of one template apart (img.h,
 * IMG_TILE_*), so they must be sharp and aligned: the region's box, found
 * on the 128x128 thumb, is refined to the pixel on the copy (each side moved
 * in by at most one thumb cell, to the first line holding ink), and each
 * tile is area-averaged from the copy's pixels onto a 32x32 grid. Without a
 * copy (img_region.c) the tiles come from the thumb instead. A row of cells
 * is summed column by column first (16 columns at a time with SSE2), the
 * column sums made prefix sums, and each cell is the difference of two:
 * every pixel is read once per tile, with no per-cell loop over rows or
 * columns (cells are 1-5 pixels wide on most pictures mail carries, and a
 * loop of that length cost more than its additions); the integers are those
 * of adding each cell's pixels (tile_grid, which stays for the cases the
 * column sums cannot hold).
 *
 * Not for: the region's own hash (img_region.c) or comparing tiles (img.c).
 */
#include "img.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* A band of a tile's cells is summed column by column (band_columns) in
 * 16-bit sums and 8-bit counts: at most this many rows. */
#define BAND_MAX_ROWS 255u

/* Whether each of the 256 copy levels is ink (further from the background
 * than c->ink_delta): one lookup a pixel instead of the arithmetic. */
struct ink_table {
	uint8_t ink[256];
	uint64_t packed[256]; /* the level << 32 | whether it is ink: sat_fill's */
};

static void ink_table_fill(const struct img_content *c, struct ink_table *t)
{
	for (unsigned v = 0; v < 256; v++) {
		unsigned v16 = v * 16u;
		unsigned d = v16 > c->background ? v16 - c->background : c->background - v16;
		t->ink[v] = d > c->ink_delta;
		t->packed[v] = (uint64_t)v << 32 | t->ink[v];
	}
}

/* Whether the line x0..x1 x y0..y1 of the copy holds content: ink, and
 * not one uniform colour (the rest of a frame). */
static int line_inked(const struct img_luma *l, const struct ink_table *it, uint32_t x0,
                      uint32_t x1, uint32_t y0, uint32_t y1)
{
	int ink = 0;
	uint8_t lo = 255, hi = 0;
	for (uint32_t y = y0; y < y1; y++)
		for (uint32_t x = x0; x < x1; x++) {
			uint8_t v = l->px[(size_t)y * l->w + x];
			ink |= it->ink[v];
			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
	return ink && (unsigned)(hi - lo) * 16u >= IMG_UNIFORM_SPREAD;
}

/* The thumb box in the copy's pixels, each side moved in (by at most one
 * thumb cell) to its first line of content. */
static void pixel_box(const struct img_luma *l, const struct ink_table *c, const struct img_box *b,
                      uint32_t p[4])
{
	uint32_t x0 = (uint32_t)((uint64_t)b->x0 * l->w / IMG_FINE);
	uint32_t y0 = (uint32_t)((uint64_t)b->y0 * l->h / IMG_FINE);
	uint32_t x1 = (uint32_t)(((uint64_t)b->x1 * l->w + IMG_FINE - 1) / IMG_FINE);
	uint32_t y1 = (uint32_t)(((uint64_t)b->y1 * l->h + IMG_FINE - 1) / IMG_FINE);
	uint32_t cw = l->w / IMG_FINE + 1, ch = l->h / IMG_FINE + 1;
	for (uint32_t i = 0; i < cw && x1 - x0 > 1 && !line_inked(l, c, x0, x0 + 1, y0, y1); i++)
		x0++;
	for (uint32_t i = 0; i < cw && x1 - x0 > 1 && !line_inked(l, c, x1 - 1, x1, y0, y1); i++)
		x1--;
	for (uint32_t i = 0; i < ch && y1 - y0 > 1 && !line_inked(l, c, x0, x1, y0, y0 + 1); i++)
		y0++;
	for (uint32_t i = 0; i < ch && y1 - y0 > 1 && !line_inked(l, c, x0, x1, y1 - 1, y1); i++)
		y1--;
	p[0] = x0, p[1] = y0, p[2] = x1, p[3] = y1;
}

/* Area average of the tile [x0, x1) x [y0, y1) onto g (thumb units), and
 * the tile's ink pixels, in one pass over its pixels. */
static uint64_t tile_grid(const struct img_luma *l, const struct ink_table *it, uint32_t x0,
                          uint32_t y0, uint32_t x1, uint32_t y1, struct img_grid *g)
{
	uint32_t w = x1 - x0, h = y1 - y0;
	uint64_t ink = 0;
	for (unsigned r = 0; r < IMG_GRID; r++) {
		uint32_t ya = y0 + r * h / IMG_GRID, yb = y0 + (r + 1) * h / IMG_GRID;
		uint32_t ye = yb > ya ? yb : ya + 1; /* a cell at least one pixel */
		for (unsigned col = 0; col < IMG_GRID; col++) {
			uint32_t xa = x0 + col * w / IMG_GRID, xb = x0 + (col + 1) * w / IMG_GRID;
			uint32_t xe = xb > xa ? xb : xa + 1;
			uint32_t s = 0, k = 0;
			for (uint32_t y = ya; y < ye; y++) {
				const uint8_t *row = l->px + (size_t)y * l->w;
				for (uint32_t x = xa; x < xe; x++) {
					s += row[x];
					k += it->ink[row[x]];
				}
			}
			g->cell[r][col] = (uint16_t)(s * 16u / ((ye - ya) * (xe - xa)));
			/* A pixel shared by two cells (tile under 32 px) counts once. */
			ink += (yb > ya && xb > xa) ? k : 0;
		}
	}
	return ink;
}

/* The levels that are not ink, [*lo, *hi]: one run, as a level's distance
 * from the background grows away from it (ink_table_fill); 0 when no level
 * is plain or the table is not of that shape (then tile_grid counts). */
static int plain_levels(const struct ink_table *t, uint8_t *lo, uint8_t *hi)
{
	unsigned a = 0, b;
	while (a < 256 && t->ink[a])
		a++;
	if (a == 256)
		return 0;
	for (b = a; b + 1 < 256 && !t->ink[b + 1]; b++)
		;
	for (unsigned v = b + 1; v < 256; v++)
		if (!t->ink[v])
			return 0;
	*lo = (uint8_t)a;
	*hi = (uint8_t)b;
	return 1;
}

/* Per column of x0..x1 (at most IMG_LUMA_MAX_SIDE), over rows ya..ye (at
 * most BAND_MAX_ROWS): the sum of the levels and how many are plain (not
 * ink), with SSE2 16 columns at a time; then both as prefix sums over the
 * columns (band_prefix: [x] holds columns 0..x-1), so that a cell's sums
 * are two subtractions whatever its width. */
struct band {
	uint16_t sum[IMG_LUMA_MAX_SIDE];
	uint8_t plain[IMG_LUMA_MAX_SIDE];
	uint32_t sum_before[IMG_LUMA_MAX_SIDE + 1];
	uint32_t plain_before[IMG_LUMA_MAX_SIDE + 1];
};

#if defined(__SSE2__)
/* band_columns for the 16 columns from x. */
static void band_block(const uint8_t *base, uint32_t stride, uint32_t x, uint32_t ya, uint32_t ye,
                       __m128i vlo, __m128i vhi, struct band *b)
{
	const __m128i zero = _mm_setzero_si128();
	__m128i s0 = zero, s1 = zero, plain = zero;
	for (uint32_t y = ya; y < ye; y++) {
		__m128i p =
		    _mm_loadu_si128((const __m128i *)(const void *)(base + (size_t)y * stride + x));
		s0 = _mm_add_epi16(s0, _mm_unpacklo_epi8(p, zero));
		s1 = _mm_add_epi16(s1, _mm_unpackhi_epi8(p, zero));
		/* lo <= p <= hi: clamping p to the range leaves it as it is. */
		__m128i in = _mm_cmpeq_epi8(_mm_max_epu8(_mm_min_epu8(p, vhi), vlo), p);
		plain = _mm_sub_epi8(plain, in);
	}
	_mm_storeu_si128((__m128i *)(void *)(b->sum + x), s0);
	_mm_storeu_si128((__m128i *)(void *)(b->sum + x + 8), s1);
	_mm_storeu_si128((__m128i *)(void *)(b->plain + x), plain);
}
#endif

static void band_columns(const struct img_luma *l, uint32_t x0, uint32_t x1, uint32_t ya,
                         uint32_t ye, uint8_t lo, uint8_t hi, struct band *b)
{
	uint32_t n = x1 - x0, x = 0;
	const uint8_t *base = l->px + x0;
#if defined(__SSE2__)
	if (n >= 16) {
		const __m128i vlo = _mm_set1_epi8((char)lo), vhi = _mm_set1_epi8((char)hi);
		for (; x + 16 <= n; x += 16)
			band_block(base, l->w, x, ya, ye, vlo, vhi, b);
		if (x < n) /* the last 16 columns again: the same values */
			band_block(base, l->w, n - 16, ya, ye, vlo, vhi, b);
		return;
	}
#endif
	for (; x < n; x++) {
		unsigned s = 0, plain = 0;
		for (uint32_t y = ya; y < ye; y++) {
			uint8_t v = base[(size_t)y * l->w + x];
			s += v;
			plain += v >= lo && v <= hi;
		}
		b->sum[x] = (uint16_t)s;
		b->plain[x] = (uint8_t)plain;
	}
}

/* The prefix sums of b's first n columns (n <= IMG_LUMA_MAX_SIDE). */
static void band_prefix(struct band *b, uint32_t n)
{
	uint32_t s = 0, plain = 0;
	b->sum_before[0] = b->plain_before[0] = 0;
	for (uint32_t x = 0; x < n; x++) {
		s += b->sum[x];
		plain += b->plain[x];
		b->sum_before[x + 1] = s;
		b->plain_before[x + 1] = plain;
	}
}

/* The columns of a tile w pixels wide from x0, on IMG_GRID cells: cell
 * col spans [xa, xe), at least one pixel (a cell with no pixel of its own
 * reads the one at its left edge, which the next cell holds); whole[col]
 * when it has pixels of its own. */
static void grid_columns(uint32_t x0, uint32_t w, uint32_t xa[IMG_GRID], uint32_t xe[IMG_GRID],
                         uint8_t whole[IMG_GRID])
{
	for (unsigned col = 0; col < IMG_GRID; col++) {
		uint32_t a = x0 + col * w / IMG_GRID, e = x0 + (col + 1) * w / IMG_GRID;
		whole[col] = e > a;
		xa[col] = a;
		xe[col] = e > a ? e : a + 1;
	}
}

/* tile_grid's cells and ink from column sums, one band of rows at a time:
 * the same cells (a cell at least one pixel, a pixel shared by two cells
 * counted once in the ink), the same integers. */
static uint64_t tile_grid_bands(const struct img_luma *l, uint8_t lo, uint8_t hi, uint32_t x0,
                                uint32_t y0, uint32_t x1, uint32_t y1, struct img_grid *g,
                                struct band *b)
{
	uint32_t w = x1 - x0, h = y1 - y0;
	uint32_t xa[IMG_GRID], xe[IMG_GRID];
	uint8_t whole[IMG_GRID];
	grid_columns(0, w, xa, xe, whole);
	uint64_t ink = 0;
	for (unsigned r = 0; r < IMG_GRID; r++) {
		uint32_t ya = y0 + r * h / IMG_GRID, yb = y0 + (r + 1) * h / IMG_GRID;
		uint32_t rows = yb > ya ? yb - ya : 1;
		band_columns(l, x0, x1, ya, ya + rows, lo, hi, b);
		band_prefix(b, w);
		for (unsigned col = 0; col < IMG_GRID; col++) {
			uint32_t s = b->sum_before[xe[col]] - b->sum_before[xa[col]];
			uint32_t plain = b->plain_before[xe[col]] - b->plain_before[xa[col]];
			uint32_t area = rows * (xe[col] - xa[col]);
			g->cell[r][col] = (uint16_t)(s * 16u / area);
			ink += yb > ya && whole[col] ? area - plain : 0;
		}
	}
	return ink;
}

/* The summed-area table of the pixel box p, (w + 1) x (h + 1) entries
 * for its w x h pixels: entry [y][x] holds, over the pixels above row y
 * and left of column x, the sum of their levels in its high 32 bits and
 * how many are ink in its low 32. A 1024 x 1024 copy sums to under 2^28
 * and counts at most 2^20, so the halves never carry into each other and
 * a rectangle's four-entry difference is both of its sums at once. */
static void sat_fill(const struct img_luma *l, const struct ink_table *it, const uint32_t p[4],
                     uint64_t *sat)
{
	uint32_t w = p[2] - p[0], h = p[3] - p[1];
	size_t stride = (size_t)w + 1;
	for (size_t x = 0; x < stride; x++)
		sat[x] = 0;
	for (uint32_t y = 0; y < h; y++) {
		const uint8_t *row = l->px + (size_t)(p[1] + y) * l->w + p[0];
		const uint64_t *above = sat + (size_t)y * stride;
		uint64_t *cur = sat + (size_t)(y + 1) * stride, run = 0;
		cur[0] = 0;
		for (uint32_t x = 0; x < w; x++) {
			run += it->packed[row[x]];
			cur[x + 1] = above[x + 1] + run;
		}
	}
}

/* tile_grid's cells and ink from the summed-area table of the region
 * (sat_fill, stride entries a row; the tile's corners x0..y1 relative to
 * the region's): four entries a cell whatever its size, the same
 * integers. */
static uint64_t tile_grid_sat(const uint64_t *sat, size_t stride, uint32_t x0, uint32_t y0,
                              uint32_t x1, uint32_t y1, struct img_grid *g)
{
	uint32_t w = x1 - x0, h = y1 - y0;
	uint32_t xa[IMG_GRID], xe[IMG_GRID];
	uint8_t whole[IMG_GRID];
	grid_columns(x0, w, xa, xe, whole);
	uint64_t ink = 0;
	for (unsigned r = 0; r < IMG_GRID; r++) {
		uint32_t ya = y0 + r * h / IMG_GRID, yb = y0 + (r + 1) * h / IMG_GRID;
		uint32_t rows = yb > ya ? yb - ya : 1;
		const uint64_t *top = sat + (size_t)ya * stride, *bottom = top + rows * stride;
		for (unsigned col = 0; col < IMG_GRID; col++) {
			uint64_t s =
			    bottom[xe[col]] - bottom[xa[col]] - top[xe[col]] + top[xa[col]];
			uint32_t area = rows * (xe[col] - xa[col]);
			g->cell[r][col] = (uint16_t)((uint32_t)(s >> 32) * 16u / area);
			ink += yb > ya && whole[col] ? (uint32_t)s : 0;
		}
	}
	return ink;
}

/* The summed-area table the tiles of region p read, filled when needed:
 * the whole copy's, kept in l for the picture's other regions when it
 * fits, else the region's own; NULL when not even that fits (or l has no
 * scratch). Sets *ox, *oy (the table's origin in the copy) and *stride. */
static const uint64_t *sat_for(struct img_luma *l, const struct img_content *c,
                               const struct ink_table *it, const uint32_t p[4], uint32_t *ox,
                               uint32_t *oy, size_t *stride)
{
	if (l->sat == NULL)
		return NULL;
	if (((size_t)l->w + 1) * ((size_t)l->h + 1) <= l->sat_cap) {
		uint32_t key = ((uint32_t)c->background << 16 | c->ink_delta) + 1;
		const uint32_t whole[4] = { 0, 0, l->w, l->h };
		if (l->sat_key != key)
			sat_fill(l, it, whole, l->sat);
		l->sat_key = key;
		*ox = *oy = 0;
		*stride = (size_t)l->w + 1;
		return l->sat;
	}
	if (((size_t)p[2] - p[0] + 1) * ((size_t)p[3] - p[1] + 1) > l->sat_cap)
		return NULL;
	sat_fill(l, it, p, l->sat);
	l->sat_key = 0;
	*ox = p[0];
	*oy = p[1];
	*stride = (size_t)(p[2] - p[0]) + 1;
	return l->sat;
}

void img_tiles_luma(struct img_luma *l, const struct img_content *c, const struct img_box *b,
                    struct img_hash *out)
{
	uint32_t p[4];
	struct ink_table it;
	struct band band;
	uint8_t lo = 0, hi = 0;
	ink_table_fill(c, &it);
	pixel_box(l, &it, b, p);
	int bands = plain_levels(&it, &lo, &hi);
	uint32_t w = p[2] - p[0], h = p[3] - p[1];
	uint32_t ox = 0, oy = 0;
	size_t stride = 0;
	const uint64_t *sat = sat_for(l, c, &it, p, &ox, &oy, &stride);
	for (unsigned ty = 0; ty < IMG_TILES; ty++)
		for (unsigned tx = 0; tx < IMG_TILES; tx++) {
			unsigned i = ty * IMG_TILES + tx;
			uint32_t x0 = p[0] + tx * w / IMG_TILES,
			         x1 = p[0] + (tx + 1) * w / IMG_TILES;
			uint32_t y0 = p[1] + ty * h / IMG_TILES,
			         y1 = p[1] + (ty + 1) * h / IMG_TILES;
			x1 = x1 > x0 ? x1 : x0 + 1;
			y1 = y1 > y0 ? y1 : y0 + 1;
			struct img_grid g;
			uint64_t ink;
			if (sat)
				ink = tile_grid_sat(sat, stride, x0 - ox, y0 - oy, x1 - ox, y1 - oy,
				                    &g);
			else if (bands && x1 - x0 <= IMG_LUMA_MAX_SIDE &&
			         (y1 - y0) / IMG_GRID + 1 <= BAND_MAX_ROWS)
				ink = tile_grid_bands(l, lo, hi, x0, y0, x1, y1, &g, &band);
			else
				ink = tile_grid(l, &it, x0, y0, x1, y1, &g);
			uint64_t area = (uint64_t)(x1 - x0) * (y1 - y0);
			int flat = img_grid_is_flat(&g);
			out->tile[i] = flat ? 0 : img_grid_phash(&g);
			out->tile_ink[i] =
			    flat ? 0 : (uint8_t)(ink * 255u / area > 255 ? 255 : ink * 255u / area);
		}
}
