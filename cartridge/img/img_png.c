/*
 * img_png.c - a PNG, via libpng, into the luminance grid.
 *
 * libpng reports errors by longjmp: all libpng calls happen inside
 * png_run(), which holds the setjmp; everything that must survive the jump
 * (the row buffer, the result code) lives in a struct png_job owned by the
 * caller, which frees it on every path. Errors and warnings are silent.
 * 16-bit samples are scaled to 8, palettes and low bit depths expanded,
 * tRNS turned into alpha; alpha is composed over white. Adam7 images are
 * read pass by pass without libpng's deinterlacing (which would need the
 * whole image in memory): each pass pixel goes straight to its grid cell.
 *
 * Not for: colour management (gAMA, iCCP are ignored), animation (APNG).
 */
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "img_acc.h"

#define PNG_CHUNK_CACHE_MAX 128 /* ancillary chunks libpng keeps, per image */
#define PNG_IHDR_END 24         /* signature, IHDR length, type, width, height */

struct png_job {
	const uint8_t *data;
	size_t len;
	size_t pos;
	uint8_t *row; /* one decoded row, malloc'd */
	int rc;       /* set before a deliberate png_error() */
};

static void png_read_mem(png_structp png, png_bytep out, size_t n)
{
	struct png_job *job = png_get_io_ptr(png);
	if (n > job->len - job->pos)
		png_error(png, "truncated");
	memcpy(out, job->data + job->pos, n);
	job->pos += n;
}

static void png_fail(png_structp png, png_const_charp msg)
{
	(void)msg;
	png_longjmp(png, 1);
}

static void png_quiet(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Refuses oversize images from IHDR's bytes before libpng allocates
 * anything; *info gets the declared size either way. */
static int png_precheck(const uint8_t *data, size_t len, struct img_info *info)
{
	if (len < PNG_IHDR_END || memcmp(data + 12, "IHDR", 4) != 0)
		return WHORL_EFORMAT;
	uint32_t w = be32(data + 16), h = be32(data + 20);
	if (w == 0 || h == 0)
		return WHORL_EFORMAT;
	info->format = IMG_FORMAT_PNG;
	info->width = w;
	info->height = h;
	return img_dims_ok(w, h) ? 0 : WHORL_ELIMIT;
}

/* Luma of n pixels of `channels` 8-bit samples, in place (dst <= src);
 * one loop per layout keeps the per-pixel work branch free. */
static void png_to_luma(uint8_t *row, uint32_t n, unsigned channels)
{
	const uint8_t *p = row;
	switch (channels) {
	case 1: break;
	case 2:
		for (uint32_t i = 0; i < n; i++, p += 2)
			row[i] = img_on_white(p[0], p[1]);
		break;
	case 3:
		for (uint32_t i = 0; i < n; i++, p += 3)
			row[i] = img_luma(p[0], p[1], p[2]);
		break;
	default:
		for (uint32_t i = 0; i < n; i++, p += 4)
			row[i] = img_on_white(img_luma(p[0], p[1], p[2]), p[3]);
		break;
	}
}

static void png_transforms(png_structp png, png_infop pinfo)
{
	int color = png_get_color_type(png, pinfo);
	if (png_get_bit_depth(png, pinfo) == 16)
		png_set_scale_16(png);
	if (color == PNG_COLOR_TYPE_PALETTE)
		png_set_palette_to_rgb(png);
	if (color == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, pinfo) < 8)
		png_set_expand_gray_1_2_4_to_8(png);
	if (png_get_valid(png, pinfo, PNG_INFO_tRNS))
		png_set_tRNS_to_alpha(png);
	png_read_update_info(png, pinfo);
}

static void png_rows_plain(png_structp png, struct png_job *job, unsigned channels,
                           struct img_acc *acc)
{
	for (uint32_t y = 0; y < acc->h; y++) {
		png_read_row(png, job->row, NULL);
		png_to_luma(job->row, acc->w, channels);
		img_acc_row(acc, y, job->row);
	}
}

/* Adam7 without deinterlacing: libpng hands out the rows of each non-empty
 * pass in turn and says which pass and row each one is. */
static void png_rows_adam7(png_structp png, struct png_job *job, unsigned channels,
                           struct img_acc *acc)
{
	uint64_t reads = 0;
	for (int pass = 0; pass < 7; pass++)
		if (PNG_PASS_COLS(acc->w, pass) > 0)
			reads += PNG_PASS_ROWS(acc->h, pass);
	for (uint64_t i = 0; i < reads; i++) {
		int pass = png_get_current_pass_number(png);
		uint32_t row = png_get_current_row_number(png);
		if (pass >= 7)
			png_error(png, "pass");
		uint32_t cols = PNG_PASS_COLS(acc->w, pass);
		uint32_t y = PNG_ROW_FROM_PASS_ROW(row, pass);
		png_read_row(png, job->row, NULL);
		png_to_luma(job->row, cols, channels);
		for (uint32_t c = 0; c < cols && y < acc->h; c++) {
			uint32_t x = PNG_COL_FROM_PASS_COL(c, pass);
			if (x < acc->w)
				img_acc_pixel(acc, x, y, job->row[c]);
		}
	}
}

static int png_run(png_structp png, png_infop pinfo, struct png_job *job, struct img_info *info,
                   struct img_thumb *thumb)
{
	if (setjmp(png_jmpbuf(png)))
		return job->rc != 0 ? job->rc : WHORL_EFORMAT;
	png_set_user_limits(png, IMG_MAX_WIDTH, IMG_MAX_HEIGHT);
	png_set_chunk_malloc_max(png, IMG_PNG_MAX_CHUNK);
	png_set_chunk_cache_max(png, PNG_CHUNK_CACHE_MAX);
	png_set_read_fn(png, job, png_read_mem);
#ifdef PNG_IGNORE_ADLER32
	/* CRCs still guard the chunks; adler32 costs 10% and guards nothing
	 * a hash of the pixels needs. */
	png_set_option(png, PNG_IGNORE_ADLER32, PNG_OPTION_ON);
#endif
	png_read_info(png, pinfo);
	info->format = IMG_FORMAT_PNG;
	info->width = png_get_image_width(png, pinfo);
	info->height = png_get_image_height(png, pinfo);
	if (!img_dims_ok(info->width, info->height))
		return WHORL_ELIMIT;
	if (thumb == NULL)
		return 0;
	png_transforms(png, pinfo);
	unsigned channels = png_get_channels(png, pinfo);
	size_t rowbytes = png_get_rowbytes(png, pinfo);
	if (channels < 1 || channels > 4 || rowbytes < (size_t)info->width * channels)
		return WHORL_EFORMAT;
	job->row = malloc(rowbytes);
	if (job->row == NULL)
		return WHORL_ENOMEM;
	struct img_acc acc;
	img_acc_init(&acc, info->width, info->height, thumb->luma);
	if (png_get_interlace_type(png, pinfo) == PNG_INTERLACE_ADAM7)
		png_rows_adam7(png, job, channels, &acc);
	else
		png_rows_plain(png, job, channels, &acc);
	img_acc_finish(&acc, thumb);
	return 0;
}

int img_png_decode(const uint8_t *data, size_t len, struct img_info *info, struct img_thumb *thumb)
{
	struct png_job job = { data, len, 0, NULL, 0 };
	png_infop pinfo = NULL;
	int rc = png_precheck(data, len, info);
	if (rc != 0)
		return rc;
	png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &job, png_fail, png_quiet);
	if (png == NULL)
		return WHORL_ENOMEM;
	pinfo = png_create_info_struct(png);
	if (pinfo == NULL) {
		rc = WHORL_ENOMEM;
		goto out;
	}
	rc = png_run(png, pinfo, &job, info, thumb);
out:
	png_destroy_read_struct(&png, pinfo != NULL ? &pinfo : NULL, NULL);
	free(job.row);
	return rc;
}
