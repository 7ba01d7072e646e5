/*
 * img_acc.c - box filter from decoded rows to the 128x128 luminance grid,
 * and the bounded luminance copy a QR decoder reads.
 */
#include "img_acc.h"

#include <string.h>

/* First pixel of each cell along an axis of n pixels: cell c holds the
 * pixels p with floor(p*128/n) == c, i.e. p >= ceil(c*n/128). */
static void axis_starts(uint16_t *start, uint32_t n)
{
	for (uint32_t c = 0; c <= IMG_FINE; c++)
		start[c] = (uint16_t)((c * n + IMG_FINE - 1) / IMG_FINE);
}

static void luma_init(struct img_luma *l, uint32_t w, uint32_t h)
{
	uint32_t side = w > h ? w : h;
	uint32_t step = (side + IMG_LUMA_MAX_SIDE - 1) / IMG_LUMA_MAX_SIDE;
	l->sat_key = 0; /* new pixels: no summed-area table of them yet */
	l->step = step;
	l->w = (w + step - 1) / step;
	l->h = (h + step - 1) / step;
	if ((size_t)l->w * l->h > l->cap) { /* a caller's buffer below the bound */
		l->w = l->h = 0;
		return;
	}
	memset(l->px, 255, (size_t)l->w * l->h);
}

void img_acc_init(struct img_acc *a, uint32_t w, uint32_t h, struct img_luma *luma)
{
	memset(a->sum, 0, sizeof(a->sum));
	a->w = w;
	a->h = h;
	axis_starts(a->col_start, w);
	axis_starts(a->row_start, h);
	a->luma = luma;
	if (luma != NULL)
		luma_init(luma, w, h);
}

void img_acc_row(struct img_acc *a, uint32_t y, const uint8_t *luma)
{
	uint32_t *cells = a->sum[(uint64_t)y * IMG_FINE / a->h];
	for (unsigned c = 0; c < IMG_FINE; c++) {
		uint32_t s = 0;
		for (uint32_t x = a->col_start[c]; x < a->col_start[c + 1]; x++)
			s += luma[x];
		cells[c] += s;
	}
	struct img_luma *l = a->luma;
	if (l != NULL && l->w != 0 && y % l->step == 0) {
		uint8_t *dst = l->px + (size_t)(y / l->step) * l->w;
		for (uint32_t x = 0; x < l->w; x++)
			dst[x] = luma[x * l->step];
	}
}

void img_acc_pixel(struct img_acc *a, uint32_t x, uint32_t y, uint8_t luma)
{
	a->sum[(uint64_t)y * IMG_FINE / a->h][(uint64_t)x * IMG_FINE / a->w] += luma;
	struct img_luma *l = a->luma;
	if (l != NULL && l->w != 0 && y % l->step == 0 && x % l->step == 0)
		l->px[(size_t)(y / l->step) * l->w + x / l->step] = luma;
}

/* For each cell along an axis, the cell whose pixels it shows: itself when
 * it has pixels, else the nearest one before it (cell 0 always has pixel 0). */
static void axis_sources(const uint16_t *start, uint8_t *src)
{
	src[0] = 0;
	for (unsigned c = 1; c < IMG_FINE; c++)
		src[c] = start[c + 1] > start[c] ? (uint8_t)c : src[c - 1];
}

void img_acc_finish(const struct img_acc *a, struct img_thumb *t)
{
	uint8_t src_x[IMG_FINE], src_y[IMG_FINE];
	axis_sources(a->col_start, src_x);
	axis_sources(a->row_start, src_y);
	for (unsigned r = 0; r < IMG_FINE; r++) {
		unsigned sr = src_y[r];
		uint64_t rows = (uint64_t)a->row_start[sr + 1] - a->row_start[sr];
		for (unsigned c = 0; c < IMG_FINE; c++) {
			unsigned sc = src_x[c];
			uint64_t n = rows * (uint64_t)(a->col_start[sc + 1] - a->col_start[sc]);
			t->cell[r][c] = (uint16_t)(((uint64_t)a->sum[sr][sc] * 16 + n / 2) / n);
		}
	}
}
