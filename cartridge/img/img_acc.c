/*
 * img_acc.c - box filter from decoded rows to the 32x32 luminance grid.
 */
#include "img_acc.h"

#include <string.h>

/* First pixel of each cell along an axis of n pixels: cell c holds the
 * pixels p with floor(p*32/n) == c, i.e. p >= ceil(c*n/32). */
static void axis_starts(uint16_t *start, uint32_t n)
{
	for (uint32_t c = 0; c <= IMG_GRID; c++)
		start[c] = (uint16_t)((c * n + IMG_GRID - 1) / IMG_GRID);
}

void img_acc_init(struct img_acc *a, uint32_t w, uint32_t h)
{
	memset(a->sum, 0, sizeof(a->sum));
	a->w = w;
	a->h = h;
	axis_starts(a->col_start, w);
	axis_starts(a->row_start, h);
}

void img_acc_row(struct img_acc *a, uint32_t y, const uint8_t *luma)
{
	uint64_t *cells = a->sum[(uint64_t)y * IMG_GRID / a->h];
	for (unsigned c = 0; c < IMG_GRID; c++) {
		uint32_t s = 0;
		for (uint32_t x = a->col_start[c]; x < a->col_start[c + 1]; x++)
			s += luma[x];
		cells[c] += s;
	}
}

void img_acc_pixel(struct img_acc *a, uint32_t x, uint32_t y, uint8_t luma)
{
	a->sum[(uint64_t)y * IMG_GRID / a->h][(uint64_t)x * IMG_GRID / a->w] += luma;
}

/* For each cell along an axis, the cell whose pixels it shows: itself when
 * it has pixels, else the nearest one before it (cell 0 always has pixel 0). */
static void axis_sources(const uint16_t *start, uint8_t *src)
{
	src[0] = 0;
	for (unsigned c = 1; c < IMG_GRID; c++)
		src[c] = start[c + 1] > start[c] ? (uint8_t)c : src[c - 1];
}

void img_acc_finish(const struct img_acc *a, struct img_thumb *t)
{
	uint8_t src_x[IMG_GRID], src_y[IMG_GRID];
	axis_sources(a->col_start, src_x);
	axis_sources(a->row_start, src_y);
	for (unsigned r = 0; r < IMG_GRID; r++) {
		unsigned sr = src_y[r];
		uint64_t rows = (uint64_t)a->row_start[sr + 1] - a->row_start[sr];
		for (unsigned c = 0; c < IMG_GRID; c++) {
			unsigned sc = src_x[c];
			uint64_t n = rows * (uint64_t)(a->col_start[sc + 1] - a->col_start[sc]);
			t->cell[r][c] = (uint16_t)((a->sum[sr][sc] * 16 + n / 2) / n);
		}
	}
}
