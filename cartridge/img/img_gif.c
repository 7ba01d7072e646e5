/*
 * img_gif.c - the first frame of a GIF, via giflib, into the luminance grid.
 *
 * The frame's own rectangle is hashed (not the logical screen around it);
 * palette entries become BT.601 luma, the transparent index white. Rows are
 * decoded one at a time into a single malloc'd line (interlaced frames map
 * each line to its real row), so memory is one line plus giflib's state.
 *
 * Not for: animation (later frames are never read), other formats.
 */
#include <gif_lib.h>
#include <stdlib.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "img_acc.h"

struct gif_source {
	const uint8_t *data;
	size_t len;
	size_t pos;
};

static int gif_read(GifFileType *gif, GifByteType *buf, int want)
{
	struct gif_source *src = gif->UserData;
	size_t n = want > 0 ? (size_t)want : 0;
	if (n > src->len - src->pos)
		n = src->len - src->pos;
	memcpy(buf, src->data + src->pos, n);
	src->pos += n;
	return (int)n;
}

/* Skips an extension's sub-blocks, noting the transparent index of a
 * graphics control block in *transparent (-1 when none). */
static int gif_extension(GifFileType *gif, int *transparent)
{
	int code;
	GifByteType *ext;
	if (DGifGetExtension(gif, &code, &ext) == GIF_ERROR)
		return WHORL_EFORMAT;
	if (code == GRAPHICS_EXT_FUNC_CODE && ext != NULL) {
		GraphicsControlBlock gcb;
		if (DGifExtensionToGCB(ext[0], ext + 1, &gcb) == GIF_OK)
			*transparent = gcb.TransparentColor;
	}
	while (ext != NULL)
		if (DGifGetExtensionNext(gif, &ext) == GIF_ERROR)
			return WHORL_EFORMAT;
	return 0;
}

/* Reads records up to the first image descriptor. */
static int gif_first_image(GifFileType *gif, int *transparent)
{
	for (;;) {
		GifRecordType type;
		if (DGifGetRecordType(gif, &type) == GIF_ERROR)
			return WHORL_EFORMAT;
		if (type == IMAGE_DESC_RECORD_TYPE)
			return DGifGetImageDesc(gif) == GIF_ERROR ? WHORL_EFORMAT : 0;
		if (type != EXTENSION_RECORD_TYPE)
			return WHORL_EFORMAT; /* terminator before any image */
		int rc = gif_extension(gif, transparent);
		if (rc != 0)
			return rc;
	}
}

static int gif_palette(const GifFileType *gif, int transparent, uint8_t lut[256])
{
	const ColorMapObject *map =
	    gif->Image.ColorMap != NULL ? gif->Image.ColorMap : gif->SColorMap;
	if (map == NULL || map->Colors == NULL)
		return WHORL_EFORMAT;
	memset(lut, 0, 256);
	for (int i = 0; i < map->ColorCount && i < 256; i++)
		lut[i] = img_luma(map->Colors[i].Red, map->Colors[i].Green, map->Colors[i].Blue);
	if (transparent >= 0 && transparent < 256)
		lut[transparent] = 255;
	return 0;
}

/* Row number of the i-th line stored in an interlaced frame of h rows. */
static uint32_t gif_interlaced_row(uint32_t i, uint32_t h)
{
	static const uint32_t first[4] = { 0, 4, 2, 1 }, step[4] = { 8, 8, 4, 2 };
	for (unsigned pass = 0; pass < 4; pass++) {
		uint32_t rows =
		    first[pass] < h ? (h - first[pass] + step[pass] - 1) / step[pass] : 0;
		if (i < rows)
			return first[pass] + i * step[pass];
		i -= rows;
	}
	return 0; /* not reached for i < h */
}

static int gif_pixels(GifFileType *gif, const uint8_t lut[256], struct img_acc *acc)
{
	uint32_t w = acc->w, h = acc->h;
	int interlaced = gif->Image.Interlace;
	uint8_t *line = malloc(w);
	int rc = 0;
	if (line == NULL)
		return WHORL_ENOMEM;
	for (uint32_t i = 0; i < h; i++) {
		if (DGifGetLine(gif, line, (int)w) == GIF_ERROR) {
			rc = WHORL_EFORMAT;
			goto out;
		}
		for (uint32_t x = 0; x < w; x++)
			line[x] = lut[line[x]];
		img_acc_row(acc, interlaced ? gif_interlaced_row(i, h) : i, line);
	}
out:
	free(line);
	return rc;
}

int img_gif_decode(const uint8_t *data, size_t len, struct img_info *info, struct img_thumb *thumb)
{
	struct gif_source src = { data, len, 0 };
	int err = 0, transparent = -1, rc;
	GifFileType *gif = DGifOpen(&src, gif_read, &err);
	if (gif == NULL)
		return WHORL_EFORMAT;
	rc = gif_first_image(gif, &transparent);
	if (rc != 0)
		goto out;
	if (gif->Image.Width <= 0 || gif->Image.Height <= 0) {
		rc = WHORL_EFORMAT;
		goto out;
	}
	info->format = IMG_FORMAT_GIF;
	info->width = (uint32_t)gif->Image.Width;
	info->height = (uint32_t)gif->Image.Height;
	if (!img_dims_ok(info->width, info->height)) {
		rc = WHORL_ELIMIT;
		goto out;
	}
	if (thumb == NULL)
		goto out;
	uint8_t lut[256];
	rc = gif_palette(gif, transparent, lut);
	if (rc != 0)
		goto out;
	struct img_acc acc;
	img_acc_init(&acc, info->width, info->height, thumb->luma);
	rc = gif_pixels(gif, lut, &acc);
	if (rc == 0)
		img_acc_finish(&acc, thumb);
out:
	DGifCloseFile(gif, &err);
	return rc;
}
