/*
 * test_image_enc.h - synthetic pictures and in-memory PNG/JPEG/GIF encoders
 * for the image tests (test_image*.c) and the fuzz seed generator.
 *
 * Pictures are RGB, 3 bytes a pixel, made from a seed: a gradient, random
 * rectangles and discs, and a panel of "text" blocks. Encoders return a
 * malloc'd buffer (free() it) or NULL. Test code only: it aborts on malloc
 * failure and uses static inline helpers so each program gets its own copy.
 */
#ifndef WHORL_TEST_IMAGE_ENC_H
#define WHORL_TEST_IMAGE_ENC_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gif_lib.h>
#include <jpeglib.h>
#include <png.h>

struct pic {
	uint32_t w, h;
	uint8_t *rgb;
};

struct membuf {
	uint8_t *data;
	size_t len, cap;
};

static inline uint64_t pic_rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static inline unsigned pic_rand(uint64_t *s, unsigned n)
{
	return (unsigned)(pic_rng_next(s) % n);
}

static inline void *pic_xmalloc(size_t n)
{
	void *p = malloc(n);
	if (p == NULL)
		abort();
	return p;
}

static inline void pic_fill_rect(struct pic *p, int x0, int y0, int x1, int y1, const uint8_t c[3])
{
	for (int y = y0 < 0 ? 0 : y0; y < y1 && y < (int)p->h; y++)
		for (int x = x0 < 0 ? 0 : x0; x < x1 && x < (int)p->w; x++)
			memcpy(p->rgb + 3 * ((size_t)y * p->w + x), c, 3);
}

static inline void pic_fill_disc(struct pic *p, int cx, int cy, int r, const uint8_t c[3])
{
	for (int y = cy - r; y <= cy + r; y++)
		for (int x = cx - r; x <= cx + r; x++)
			if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r)
				pic_fill_rect(p, x, y, x + 1, y + 1, c);
}

static inline void pic_color(uint64_t *s, uint8_t c[3])
{
	for (int i = 0; i < 3; i++)
		c[i] = (uint8_t)pic_rand(s, 256);
}

/* Shapes are placed in a 1000x1000 design space scaled to w x h, so the same
 * seed at another size is the same picture resized. */
static inline struct pic pic_make(uint64_t seed, uint32_t w, uint32_t h)
{
	struct pic p = { w, h, pic_xmalloc((size_t)w * h * 3) };
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
	uint8_t a[3], b[3], c[3];
	pic_color(&s, a);
	pic_color(&s, b);
	int dir = (int)pic_rand(&s, 2);
	for (uint32_t y = 0; y < h; y++) {
		for (uint32_t x = 0; x < w; x++) {
			unsigned t = dir ? x * 256 / w : y * 256 / h;
			for (int i = 0; i < 3; i++)
				p.rgb[3 * ((size_t)y * w + x) + i] =
				    (uint8_t)((a[i] * (256 - t) + b[i] * t) >> 8);
		}
	}
#define SX(v) ((int)((int64_t)(v) * (int)w / 1000))
#define SY(v) ((int)((int64_t)(v) * (int)h / 1000))
	int n_shapes = 3 + (int)pic_rand(&s, 4);
	for (int i = 0; i < n_shapes; i++) {
		pic_color(&s, c);
		int x = (int)pic_rand(&s, 900), y = (int)pic_rand(&s, 900);
		int sw = 100 + (int)pic_rand(&s, 400), sh = 100 + (int)pic_rand(&s, 400);
		if (pic_rand(&s, 2))
			pic_fill_rect(&p, SX(x), SY(y), SX(x + sw), SY(y + sh), c);
		else
			pic_fill_disc(&p, SX(x), SY(y),
			              SX(sw / 2) < SY(sh / 2) ? SX(sw / 2) : SY(sh / 2), c);
	}
	/* a light panel with lines of dark "words" */
	uint8_t panel[3] = { 240, 240, 230 }, ink[3] = { 20, 20, 40 };
	int px = 50 + (int)pic_rand(&s, 400), py = 50 + (int)pic_rand(&s, 400);
	pic_fill_rect(&p, SX(px), SY(py), SX(px + 450), SY(py + 400), panel);
	for (int line = 0; line < 5; line++) {
		int x = px + 20, y = py + 30 + line * 70;
		while (x < px + 400) {
			int ww = 30 + (int)pic_rand(&s, 80);
			if (x + ww > px + 430)
				break;
			pic_fill_rect(&p, SX(x), SY(y), SX(x + ww), SY(y + 35), ink);
			x += ww + 20;
		}
	}
#undef SX
#undef SY
	return p;
}

static inline void pic_free(struct pic *p)
{
	free(p->rgb);
	p->rgb = NULL;
}

/* Copy with every sample moved by a random amount in [-amp, amp]. */
static inline struct pic pic_jitter(const struct pic *src, uint64_t seed, int amp)
{
	struct pic p = { src->w, src->h, pic_xmalloc((size_t)src->w * src->h * 3) };
	uint64_t s = seed | 1;
	for (size_t i = 0; i < (size_t)src->w * src->h * 3; i++) {
		int v = src->rgb[i] + (int)pic_rand(&s, 2 * (unsigned)amp + 1) - amp;
		p.rgb[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
	}
	return p;
}

/* Box-filtered / nearest resize (as a mail client or a spammer's tool would). */
static inline struct pic pic_resize(const struct pic *src, uint32_t w, uint32_t h)
{
	struct pic p = { w, h, pic_xmalloc((size_t)w * h * 3) };
	for (uint32_t y = 0; y < h; y++) {
		for (uint32_t x = 0; x < w; x++) {
			uint32_t x0 = x * src->w / w, x1 = (x + 1) * src->w / w;
			uint32_t y0 = y * src->h / h, y1 = (y + 1) * src->h / h;
			if (x1 <= x0)
				x1 = x0 + 1;
			if (y1 <= y0)
				y1 = y0 + 1;
			for (int i = 0; i < 3; i++) {
				unsigned sum = 0, n = 0;
				for (uint32_t yy = y0; yy < y1; yy++)
					for (uint32_t xx = x0; xx < x1; xx++, n++)
						sum += src->rgb[3 * ((size_t)yy * src->w + xx) + i];
				p.rgb[3 * ((size_t)y * w + x) + i] = (uint8_t)((sum + n / 2) / n);
			}
		}
	}
	return p;
}

static inline void membuf_put(struct membuf *m, const void *p, size_t n)
{
	if (m->len + n > m->cap) {
		m->cap = (m->len + n) * 2 + 256;
		m->data = realloc(m->data, m->cap);
		if (m->data == NULL)
			abort();
	}
	memcpy(m->data + m->len, p, n);
	m->len += n;
}

static inline void png_enc_write(png_structp png, png_bytep p, size_t n)
{
	membuf_put(png_get_io_ptr(png), p, n);
}

static inline void png_enc_flush(png_structp png)
{
	(void)png;
}

/* PNG RGB 8-bit; interlaced with Adam7 when asked. */
static inline uint8_t *pic_png(const struct pic *p, int interlace, size_t *len)
{
	struct membuf m = { 0 };
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	if (setjmp(png_jmpbuf(png)))
		abort();
	png_set_write_fn(png, &m, png_enc_write, png_enc_flush);
	png_set_IHDR(png, info, p->w, p->h, 8, PNG_COLOR_TYPE_RGB,
	             interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
	             PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	png_bytep *rows = pic_xmalloc(p->h * sizeof(*rows));
	for (uint32_t y = 0; y < p->h; y++)
		rows[y] = p->rgb + (size_t)y * p->w * 3;
	png_write_image(png, rows);
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	free(rows);
	*len = m.len;
	return m.data;
}

static inline uint8_t *pic_jpeg(const struct pic *p, int quality, size_t *len)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr err;
	unsigned char *out = NULL;
	unsigned long out_len = 0;
	c.err = jpeg_std_error(&err);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &out, &out_len);
	c.image_width = p->w;
	c.image_height = p->h;
	c.input_components = 3;
	c.in_color_space = JCS_RGB;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, quality, TRUE);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < c.image_height) {
		JSAMPROW row = p->rgb + (size_t)c.next_scanline * p->w * 3;
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	*len = out_len;
	return out;
}

static inline int gif_enc_write(GifFileType *gif, const GifByteType *p, int n)
{
	membuf_put(gif->UserData, p, (size_t)n);
	return n;
}

/* GIF89a, one frame, the 3-3-2 bit "web" palette (nearest colour, no
 * dithering: a harsher change than a real converter's adaptive palette). */
static inline uint8_t *pic_gif(const struct pic *p, size_t *len)
{
	struct membuf m = { 0 };
	int err = 0;
	GifColorType cube[256];
	memset(cube, 0, sizeof(cube));
	for (int i = 0; i < 256; i++) {
		cube[i].Red = (GifByteType)((i >> 5) * 255 / 7);
		cube[i].Green = (GifByteType)((i >> 2 & 7) * 255 / 7);
		cube[i].Blue = (GifByteType)((i & 3) * 255 / 3);
	}
	ColorMapObject *map = GifMakeMapObject(256, cube);
	GifFileType *gif = EGifOpen(&m, gif_enc_write, &err);
	if (gif == NULL || map == NULL)
		abort();
	EGifSetGifVersion(gif, true);
	if (EGifPutScreenDesc(gif, (int)p->w, (int)p->h, 8, 0, map) != GIF_OK ||
	    EGifPutImageDesc(gif, 0, 0, (int)p->w, (int)p->h, false, NULL) != GIF_OK)
		abort();
	GifPixelType *line = pic_xmalloc(p->w);
	for (uint32_t y = 0; y < p->h; y++) {
		for (uint32_t x = 0; x < p->w; x++) {
			const uint8_t *c = p->rgb + 3 * ((size_t)y * p->w + x);
			int r = (c[0] * 7 + 127) / 255, g = (c[1] * 7 + 127) / 255;
			int b = (c[2] * 3 + 127) / 255;
			line[x] = (GifPixelType)(r << 5 | g << 2 | b);
		}
		if (EGifPutLine(gif, line, (int)p->w) != GIF_OK)
			abort();
	}
	free(line);
	EGifCloseFile(gif, &err);
	GifFreeMapObject(map);
	*len = m.len;
	return m.data;
}

#endif
