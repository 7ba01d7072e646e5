/*
 * img_jpeg.c - a JPEG, via libjpeg-turbo, into the luminance grid.
 *
 * libjpeg reports errors through error_exit, which longjmps back into
 * jpeg_run(); the decompressor and the row buffer belong to the caller,
 * which destroys and frees them on every path. Messages are never printed.
 * Large images are decoded at 1/2, 1/4 or 1/8 scale in the DCT domain (a box
 * filter in itself) so that at least JPEG_MIN_SCALED pixels remain per side;
 * only the luma channel is decoded (CMYK is converted by hand). Truncated
 * data is an error, not a picture padded with gray. Progressive images are
 * bounded in memory (IMG_MAX_DECODER_MEMORY) and scans (IMG_JPEG_MAX_SCANS).
 *
 * Not for: EXIF orientation (the stored orientation is hashed), 12-bit JPEG.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "../../abi/whorl_cartridge.h"
#include "img_acc.h"

#define JPEG_MIN_SCALED 128u /* smallest side a scaled decode may leave */

struct jpeg_job {
	struct jpeg_error_mgr err; /* first: libjpeg sees a jpeg_error_mgr */
	struct jpeg_progress_mgr progress;
	jmp_buf jump;
	int rc;       /* set before a deliberate jump */
	uint8_t *row; /* one output row, malloc'd */
};

static void jpeg_fail(j_common_ptr cinfo)
{
	struct jpeg_job *job = (struct jpeg_job *)(void *)cinfo->err;
	longjmp(job->jump, 1);
}

static void jpeg_quiet(j_common_ptr cinfo)
{
	(void)cinfo;
}

/* Warnings are tolerated, except running out of data. */
static void jpeg_message(j_common_ptr cinfo, int level)
{
	if (level >= 0)
		return;
	if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
		((struct jpeg_job *)(void *)cinfo->err)->rc = WHORL_EFORMAT;
		jpeg_fail(cinfo);
	}
	cinfo->err->num_warnings++;
}

static void jpeg_progress(j_common_ptr cinfo)
{
	if (!cinfo->is_decompressor)
		return;
	if (((j_decompress_ptr)cinfo)->input_scan_number > IMG_JPEG_MAX_SCANS) {
		((struct jpeg_job *)(void *)cinfo->err)->rc = WHORL_ELIMIT;
		jpeg_fail(cinfo);
	}
}

/* Largest of 8, 4, 2, 1 leaving both sides >= JPEG_MIN_SCALED. */
static unsigned jpeg_scale(uint32_t w, uint32_t h)
{
	unsigned denom = 8;
	while (denom > 1 && ((w + denom - 1) / denom < JPEG_MIN_SCALED ||
	                     (h + denom - 1) / denom < JPEG_MIN_SCALED))
		denom /= 2;
	return denom;
}

/* CMYK samples to luma in place; Adobe files store the samples inverted
 * (255 = no ink), others straight. */
static void jpeg_cmyk_to_luma(uint8_t *row, uint32_t n, int inverted)
{
	const uint8_t *p = row;
	for (uint32_t i = 0; i < n; i++, p += 4) {
		unsigned c = p[0], m = p[1], y = p[2], k = p[3];
		if (!inverted) {
			c = 255 - c;
			m = 255 - m;
			y = 255 - y;
			k = 255 - k;
		}
		row[i] = img_luma(c * k / 255, m * k / 255, y * k / 255);
	}
}

static int jpeg_header(struct jpeg_decompress_struct *cinfo, const uint8_t *data, size_t len,
                       struct img_info *info)
{
	cinfo->mem->max_memory_to_use = IMG_MAX_DECODER_MEMORY;
	jpeg_mem_src(cinfo, data, (unsigned long)len);
	jpeg_read_header(cinfo, TRUE);
	info->format = IMG_FORMAT_JPEG;
	info->width = cinfo->image_width;
	info->height = cinfo->image_height;
	return img_dims_ok(info->width, info->height) ? 0 : WHORL_ELIMIT;
}

static void jpeg_setup(struct jpeg_decompress_struct *cinfo, struct jpeg_job *job)
{
	job->progress.progress_monitor = jpeg_progress;
	cinfo->progress = &job->progress;
	int cmyk = cinfo->jpeg_color_space == JCS_CMYK || cinfo->jpeg_color_space == JCS_YCCK;
	cinfo->out_color_space = cmyk ? JCS_CMYK : JCS_GRAYSCALE;
	cinfo->scale_num = 1;
	cinfo->scale_denom = jpeg_scale(cinfo->image_width, cinfo->image_height);
	cinfo->dct_method = JDCT_ISLOW;
}

static int jpeg_run(struct jpeg_decompress_struct *cinfo, struct jpeg_job *job, const uint8_t *data,
                    size_t len, struct img_info *info, struct img_thumb *thumb)
{
	if (setjmp(job->jump))
		return job->rc != 0 ? job->rc : WHORL_EFORMAT;
	jpeg_create_decompress(cinfo);
	int rc = jpeg_header(cinfo, data, len, info);
	if (rc != 0 || thumb == NULL)
		return rc;
	jpeg_setup(cinfo, job);
	jpeg_start_decompress(cinfo);
	uint32_t w = cinfo->output_width, h = cinfo->output_height;
	unsigned comps = (unsigned)cinfo->output_components;
	if (!img_dims_ok(w, h) || (comps != 1 && comps != 4))
		return WHORL_EFORMAT;
	job->row = malloc((size_t)w * comps);
	if (job->row == NULL)
		return WHORL_ENOMEM;
	struct img_acc acc;
	img_acc_init(&acc, w, h, thumb->luma);
	while (cinfo->output_scanline < h) {
		uint32_t y = cinfo->output_scanline;
		JSAMPROW rows[1] = { job->row };
		if (jpeg_read_scanlines(cinfo, rows, 1) != 1)
			return WHORL_EFORMAT;
		if (comps == 4)
			jpeg_cmyk_to_luma(job->row, w, cinfo->saw_Adobe_marker);
		img_acc_row(&acc, y, job->row);
	}
	img_acc_finish(&acc, thumb);
	return 0;
}

int img_jpeg_decode(const uint8_t *data, size_t len, struct img_info *info, struct img_thumb *thumb)
{
	struct jpeg_decompress_struct cinfo;
	struct jpeg_job job;
	memset(&cinfo, 0, sizeof(cinfo));
	memset(&job, 0, sizeof(job));
	cinfo.err = jpeg_std_error(&job.err);
	job.err.error_exit = jpeg_fail;
	job.err.output_message = jpeg_quiet;
	job.err.emit_message = jpeg_message;
	int rc = jpeg_run(&cinfo, &job, data, len, info, thumb);
	jpeg_destroy_decompress(&cinfo);
	free(job.row);
	return rc;
}
