/*
 * img_acc.h - the box filter every decoder feeds (internal to cartridge/img/).
 *
 * A decoder converts each row it decodes to 8-bit luminance and hands it to
 * img_acc_row() (or single pixels to img_acc_pixel() when rows arrive
 * interlaced); pixel (x, y) lands in grid cell (x*128/w, y*128/h), and, when
 * the thumb asks for one, in the bounded luminance copy (struct img_luma).
 * Rows may come in any order, but every pixel must come exactly once before
 * img_acc_finish(). The accumulator is ~66 KiB and lives on the caller's
 * stack.
 *
 * Not for: colour conversion (each decoder does its own, see img_luma()).
 */
#ifndef WHORL_IMG_ACC_H
#define WHORL_IMG_ACC_H

#include <stdint.h>

#include "img.h"

struct img_acc {
	uint32_t w, h;                    /* decoded size (after JPEG scaling) */
	uint16_t col_start[IMG_FINE + 1]; /* first x of each column of cells */
	uint16_t row_start[IMG_FINE + 1]; /* first y of each row of cells */
	uint32_t sum[IMG_FINE][IMG_FINE]; /* <= 64*64 pixels of 255 a cell */
	struct img_luma *luma;            /* NULL, or the copy to fill */
};

/* w and h are 1..IMG_MAX_WIDTH/HEIGHT; luma may be NULL (else its px and
 * cap are set; w, h, step are filled here). */
void img_acc_init(struct img_acc *a, uint32_t w, uint32_t h, struct img_luma *luma);
/* Row y (< h) of w luminance values. */
void img_acc_row(struct img_acc *a, uint32_t y, const uint8_t *luma);
/* One pixel; x < w, y < h. */
void img_acc_pixel(struct img_acc *a, uint32_t x, uint32_t y, uint8_t luma);
/* Means into t; cells no pixel fell into (images narrower than the grid)
 * copy their nearest non-empty neighbour above / to the left. */
void img_acc_finish(const struct img_acc *a, struct img_thumb *t);

/* BT.601 luma of an 8-bit RGB triple, as libjpeg computes Y. */
static inline uint8_t img_luma(unsigned r, unsigned g, unsigned b)
{
	return (uint8_t)((19595u * r + 38470u * g + 7471u * b + 32768u) >> 16);
}

/* value shown over a white background with alpha a (0..255). */
static inline uint8_t img_on_white(unsigned v, unsigned a)
{
	return (uint8_t)((v * a + 255u * (255u - a) + 127u) / 255u);
}

/* The decoders, called by img_decode_thumb() after sniffing. Each fills
 * *info as soon as the header is read; thumb may be NULL for a header-only
 * probe. Same return codes as img_decode_thumb(). */
int img_gif_decode(const uint8_t *data, size_t len, struct img_info *info, struct img_thumb *thumb);
int img_png_decode(const uint8_t *data, size_t len, struct img_info *info, struct img_thumb *thumb);
int img_jpeg_decode(const uint8_t *data, size_t len, struct img_info *info,
                    struct img_thumb *thumb);

/* Whether w x h passes IMG_MAX_WIDTH/HEIGHT/PIXELS (and is not empty). */
static inline int img_dims_ok(uint32_t w, uint32_t h)
{
	return w > 0 && h > 0 && w <= IMG_MAX_WIDTH && h <= IMG_MAX_HEIGHT &&
	       (uint64_t)w * h <= IMG_MAX_PIXELS;
}

#endif
