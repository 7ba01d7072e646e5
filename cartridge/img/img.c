/*
 * img.c - sniffing, decoder dispatch, and the hashes computed from a thumb.
 *
 * Not for: pixel decoding (img_gif.c, img_png.c, img_jpeg.c), the box
 * filter (img_acc.c) or normalising a picture into regions (img_region.c).
 */
#include "img.h"

#include <stdlib.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "img_acc.h"

#define DCT_MAX_FREQ 10         /* the 64 coefficients after DC use u + v <= 10 */
#define DCT_HALF (IMG_GRID / 2) /* samples on each side of the basis' middle */
/* Spread below which a thumb is "flat": std deviation under 2 gray levels,
 * i.e. under 32 thumb units: 1024*sum(v^2) - sum(v)^2 < (1024*32)^2. */
#define FLAT_MAX_SPREAD ((int64_t)(1024 * 32) * (1024 * 32))

enum img_format img_sniff(const uint8_t *data, size_t len)
{
	static const uint8_t png_magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	if (data == NULL)
		return IMG_FORMAT_NONE;
	if (len >= 6 && (memcmp(data, "GIF87a", 6) == 0 || memcmp(data, "GIF89a", 6) == 0))
		return IMG_FORMAT_GIF;
	if (len >= 8 && memcmp(data, png_magic, 8) == 0)
		return IMG_FORMAT_PNG;
	if (len >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
		return IMG_FORMAT_JPEG;
	return IMG_FORMAT_NONE;
}

static int decode(const uint8_t *data, size_t len, struct img_info *info, struct img_thumb *thumb)
{
	memset(info, 0, sizeof(*info));
	if (len > IMG_MAX_INPUT_BYTES)
		return WHORL_ELIMIT;
	switch (img_sniff(data, len)) {
	case IMG_FORMAT_GIF: return img_gif_decode(data, len, info, thumb);
	case IMG_FORMAT_PNG: return img_png_decode(data, len, info, thumb);
	case IMG_FORMAT_JPEG: return img_jpeg_decode(data, len, info, thumb);
	default: return WHORL_ENOTSUP;
	}
}

int img_probe(const uint8_t *data, size_t len, struct img_info *info)
{
	return decode(data, len, info, NULL);
}

int img_decode_thumb(const uint8_t *data, size_t len, struct img_info *info,
                     struct img_thumb *thumb)
{
	return decode(data, len, info, thumb);
}

/* round(16384 * cos(k * pi / 64)) for k = 0..32, fixed so that every
 * platform computes the same hash. */
static const int32_t cos_q14[33] = { 16384, 16364, 16305, 16207, 16069, 15893, 15679, 15426, 15137,
	                             14811, 14449, 14053, 13623, 13160, 12665, 12140, 11585, 11003,
	                             10394, 9760,  9102,  8423,  7723,  7005,  6270,  5520,  4756,
	                             3981,  3196,  2404,  1606,  804,   0 };

/* cos(pi * (2x+1) * u / 64) in Q14 (the DCT-II basis for 32 samples). */
static int64_t dct_basis(unsigned u, unsigned x)
{
	unsigned k = ((2 * x + 1) * u) % 128;
	if (k > 64)
		k = 128 - k;
	return k > 32 ? -cos_q14[64 - k] : cos_q14[k];
}

/* The 64 lowest-frequency coefficients after DC, in zigzag order (by
 * diagonal u+v, then by u). The basis is even about the middle for even
 * frequencies and odd for odd ones, exactly in the Q14 table too
 * (basis(u, 31 - x) = (-1)^u basis(u, x)), so each sum first folds the two
 * halves of its samples: half the products, the same integers. */
static void dct_low(const struct img_grid *t, int64_t coef[IMG_HASH_BITS])
{
	int32_t basis[DCT_MAX_FREQ + 1][DCT_HALF]; /* one table per call: no global state */
	for (unsigned u = 0; u <= DCT_MAX_FREQ; u++)
		for (unsigned x = 0; x < DCT_HALF; x++)
			basis[u][x] = (int32_t)dct_basis(u, x);
	int64_t rows[IMG_GRID][DCT_MAX_FREQ + 1];
	for (unsigned y = 0; y < IMG_GRID; y++) {
		/* [0]: sums, for even frequencies; [1]: differences, for odd ones. */
		int64_t fold[2][DCT_HALF];
		for (unsigned x = 0; x < DCT_HALF; x++) {
			int64_t a = t->cell[y][x], b = t->cell[y][IMG_GRID - 1 - x];
			fold[0][x] = a + b;
			fold[1][x] = a - b;
		}
		for (unsigned v = 0; v <= DCT_MAX_FREQ; v++) {
			int64_t s = 0;
			for (unsigned x = 0; x < DCT_HALF; x++)
				s += fold[v & 1][x] * basis[v][x];
			rows[y][v] = s;
		}
	}
	unsigned n = 0;
	for (unsigned diag = 1; diag <= DCT_MAX_FREQ && n < IMG_HASH_BITS; diag++) {
		for (unsigned u = 0; u <= diag && n < IMG_HASH_BITS; u++) {
			unsigned v = diag - u;
			int64_t s = 0;
			for (unsigned y = 0; y < DCT_HALF; y++) {
				int64_t a = rows[y][v], b = rows[IMG_GRID - 1 - y][v];
				s += basis[u][y] * (u & 1 ? a - b : a + b);
			}
			coef[n++] = s;
		}
	}
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

uint64_t img_grid_phash(const struct img_grid *t)
{
	int64_t coef[IMG_HASH_BITS], sorted[IMG_HASH_BITS];
	dct_low(t, coef);
	memcpy(sorted, coef, sizeof(sorted));
	qsort(sorted, IMG_HASH_BITS, sizeof(sorted[0]), cmp_i64);
	/* Median of an even count: the mean of the middle two, kept doubled
	 * to stay in integers. */
	int64_t median2 = sorted[IMG_HASH_BITS / 2 - 1] + sorted[IMG_HASH_BITS / 2];
	uint64_t hash = 0;
	for (unsigned i = 0; i < IMG_HASH_BITS; i++)
		if (2 * coef[i] > median2)
			hash |= 1ull << i;
	return hash;
}

int img_grid_is_flat(const struct img_grid *t)
{
	int64_t sum = 0, sum_sq = 0;
	for (unsigned r = 0; r < IMG_GRID; r++) {
		for (unsigned c = 0; c < IMG_GRID; c++) {
			sum += t->cell[r][c];
			sum_sq += (int64_t)t->cell[r][c] * t->cell[r][c];
		}
	}
	return 1024 * sum_sq - sum * sum < FLAT_MAX_SPREAD;
}

int img_phash(const uint8_t *data, size_t len, struct img_info *info, uint64_t *hash)
{
	struct img_thumb *thumb = malloc(sizeof(*thumb));
	struct img_content c;
	struct img_hash h;
	*hash = 0;
	if (thumb == NULL)
		return WHORL_ENOMEM;
	thumb->luma = NULL;
	int rc = img_decode_thumb(data, len, info, thumb);
	if (rc == 0)
		rc = img_content_find(thumb, &c);
	if (rc == 0)
		rc = img_region_hash(thumb, &c, &c.box, &h);
	free(thumb);
	if (rc == 0)
		*hash = h.hash;
	return rc;
}

static void put_hash(uint8_t *out, uint64_t hash)
{
	for (unsigned i = 0; i < 8; i++)
		out[i] = (uint8_t)(hash >> (8 * i));
}

void img_sketch_encode(const struct img_hash *h, uint8_t out[IMG_SKETCH_BYTES])
{
	put_hash(out, h->hash);
	out[8] = h->ink;
	for (unsigned t = 0; t < IMG_N_TILES; t++) {
		put_hash(out + 9 + 9 * t, h->tile[t]);
		out[9 + 9 * t + 8] = h->tile_ink[t];
	}
}

static uint64_t sketch_decode(const uint8_t *bytes)
{
	uint64_t hash = 0;
	for (unsigned i = 0; i < 8; i++)
		hash |= (uint64_t)bytes[i] << (8 * i);
	return hash;
}

static uint32_t anchor_chunk(uint64_t hash, unsigned pos)
{
	return (uint32_t)(hash >> (pos * IMG_ANCHOR_BITS)) & ((1u << IMG_ANCHOR_BITS) - 1);
}

/* A chunk and its complement make the same anchor, so that a picture's
 * negative (whose hash is the complement) meets it. */
static uint32_t anchor_make(unsigned pos, uint32_t chunk)
{
	uint32_t neg = chunk ^ ((1u << IMG_ANCHOR_BITS) - 1);
	return ((uint32_t)pos << IMG_ANCHOR_BITS) | (chunk < neg ? chunk : neg);
}

size_t img_sketch_anchors(const uint8_t *bytes, size_t len, uint32_t *anchors, size_t cap)
{
	if (bytes == NULL || len != IMG_SKETCH_BYTES)
		return 0;
	uint64_t hash = sketch_decode(bytes);
	size_t n = 0;
	for (unsigned pos = 0; pos < IMG_ANCHOR_CHUNKS && n < cap; pos++)
		anchors[n++] = anchor_make(pos, anchor_chunk(hash, pos));
	return n;
}

size_t img_sketch_query_anchors(uint64_t hash, uint32_t *anchors, size_t cap)
{
	size_t n = 0;
	for (unsigned pos = 0; pos < IMG_ANCHOR_CHUNKS; pos++) {
		uint32_t chunk = anchor_chunk(hash, pos);
		if (n < cap)
			anchors[n++] = anchor_make(pos, chunk);
		for (unsigned bit = 0; bit < IMG_ANCHOR_BITS && n < cap; bit++)
			anchors[n++] = anchor_make(pos, chunk ^ (1u << bit));
	}
	return n;
}

/* Whether enough tiles of two stored sketches count, two thirds of them agree,
 * and at most IMG_TILE_MAX_FAR of them differ as unrelated pictures do. */
static int tiles_agree(const uint8_t *q, const uint8_t *s)
{
	unsigned counted = 0, agree = 0, far = 0;
	for (unsigned t = 0; t < IMG_N_TILES; t++) {
		const uint8_t *a = q + 9 + 9 * t, *b = s + 9 + 9 * t;
		if (a[8] < IMG_TILE_MIN_INK || b[8] < IMG_TILE_MIN_INK)
			continue;
		counted++;
		int d = img_polar_distance(sketch_decode(a), sketch_decode(b));
		agree += d <= IMG_TILE_MAX_HAMMING;
		far += d >= IMG_TILE_FAR_HAMMING;
	}
	return counted >= IMG_TILE_MIN_COUNTED && 3 * agree >= 2 * counted &&
	       far <= IMG_TILE_MAX_FAR;
}

double img_sketch_similarity(const uint8_t *q, size_t qlen, const uint8_t *s, size_t slen)
{
	if (q == NULL || s == NULL || qlen != IMG_SKETCH_BYTES || slen != IMG_SKETCH_BYTES)
		return -1.0;
	if (q[8] < IMG_MIN_INK || s[8] < IMG_MIN_INK)
		return 0.0;
	int dist = img_polar_distance(sketch_decode(q), sketch_decode(s));
	if (dist <= IMG_SKETCH_MAX_HAMMING && !tiles_agree(q, s))
		return 0.0;
	return 1.0 - (double)dist / IMG_HASH_BITS;
}
