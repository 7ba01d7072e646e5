/*
 * img.c - sniffing, decoder dispatch, and the hashes computed from a thumb.
 *
 * Not for: pixel decoding (img_gif.c, img_png.c, img_jpeg.c), the box
 * filter (img_acc.c) or normalising a picture into regions (img_region.c).
 */
#include "img.h"

#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

/* The DCT-II basis for 32 samples in Q14, round(16384 * cos(pi * (2x+1) *
 * u / 64)), for the frequencies used (u <= DCT_MAX_FREQ) and the first half
 * of the samples (x < DCT_HALF): the basis is even about the middle for even
 * frequencies and odd for odd ones, exactly in these integers too
 * (basis(u, 31 - x) = (-1)^u basis(u, x)). Fixed so that every platform
 * computes the same hash; test_image recomputes it from the cosines. */
static const int16_t dct_basis[DCT_MAX_FREQ + 1][DCT_HALF] = {
	{ 16384, 16384, 16384, 16384, 16384, 16384, 16384, 16384, 16384, 16384, 16384, 16384, 16384,
	  16384, 16384, 16384 },
	{ 16364, 16207, 15893, 15426, 14811, 14053, 13160, 12140, 11003, 9760, 8423, 7005, 5520,
	  3981, 2404, 804 },
	{ 16305, 15679, 14449, 12665, 10394, 7723, 4756, 1606, -1606, -4756, -7723, -10394, -12665,
	  -14449, -15679, -16305 },
	{ 16207, 14811, 12140, 8423, 3981, -804, -5520, -9760, -13160, -15426, -16364, -15893,
	  -14053, -11003, -7005, -2404 },
	{ 16069, 13623, 9102, 3196, -3196, -9102, -13623, -16069, -16069, -13623, -9102, -3196,
	  3196, 9102, 13623, 16069 },
	{ 15893, 12140, 5520, -2404, -9760, -14811, -16364, -14053, -8423, -804, 7005, 13160, 16207,
	  15426, 11003, 3981 },
	{ 15679, 10394, 1606, -7723, -14449, -16305, -12665, -4756, 4756, 12665, 16305, 14449, 7723,
	  -1606, -10394, -15679 },
	{ 15426, 8423, -2404, -12140, -16364, -13160, -3981, 7005, 14811, 15893, 9760, -804, -11003,
	  -16207, -14053, -5520 },
	{ 15137, 6270, -6270, -15137, -15137, -6270, 6270, 15137, 15137, 6270, -6270, -15137,
	  -15137, -6270, 6270, 15137 },
	{ 14811, 3981, -9760, -16364, -11003, 2404, 14053, 15426, 5520, -8423, -16207, -12140, 804,
	  13160, 15893, 7005 },
	{ 14449, 1606, -12665, -15679, -4756, 10394, 16305, 7723, -7723, -16305, -10394, 4756,
	  15679, 12665, -1606, -14449 },
};

/* Row y's sums over x for each frequency v, each folding the two halves of
 * its samples first: half the products, the same integers. */
static void dct_row(const uint16_t cell[IMG_GRID], int64_t out[DCT_MAX_FREQ + 1])
{
	/* [0]: sums, for even frequencies; [1]: differences, for odd ones. */
	int64_t fold[2][DCT_HALF];
	for (unsigned x = 0; x < DCT_HALF; x++) {
		int64_t a = cell[x], b = cell[IMG_GRID - 1 - x];
		fold[0][x] = a + b;
		fold[1][x] = a - b;
	}
	for (unsigned v = 0; v <= DCT_MAX_FREQ; v++) {
		int64_t s = 0;
		for (unsigned x = 0; x < DCT_HALF; x++)
			s += fold[v & 1][x] * dct_basis[v][x];
		out[v] = s;
	}
}

#if defined(__SSE2__)
/* The same sums as dct_row, 8 products at a time (SSE2's 16-bit multiply-
 * add), for a row whose cells are all below DCT_SIMD_MAX_CELL: a folded
 * sample (|a + b| < 2^15) and a basis value (|.| <= 2^14) fit 16 bits, and
 * a 32-bit lane adds up four products, under 4 * 32766 * 16384 < 2^31;
 * the lanes are added in 64 bits. Exactly dct_row's integers. */
#define DCT_SIMD_MAX_CELL 16384u
static __m128i reverse16(__m128i v)
{
	v = _mm_shufflelo_epi16(v, _MM_SHUFFLE(0, 1, 2, 3));
	v = _mm_shufflehi_epi16(v, _MM_SHUFFLE(0, 1, 2, 3));
	return _mm_shuffle_epi32(v, _MM_SHUFFLE(1, 0, 3, 2));
}

static void dct_row_sse2(const uint16_t cell[IMG_GRID], int64_t out[DCT_MAX_FREQ + 1])
{
	const __m128i *c = (const __m128i *)(const void *)cell;
	__m128i c0 = _mm_loadu_si128(c), c1 = _mm_loadu_si128(c + 1);
	__m128i r3 = reverse16(_mm_loadu_si128(c + 3)), r2 = reverse16(_mm_loadu_si128(c + 2));
	__m128i fold[2][2] = { { _mm_add_epi16(c0, r3), _mm_add_epi16(c1, r2) },
		               { _mm_sub_epi16(c0, r3), _mm_sub_epi16(c1, r2) } };
	for (unsigned v = 0; v <= DCT_MAX_FREQ; v++) {
		const __m128i *b = (const __m128i *)(const void *)dct_basis[v];
		__m128i s = _mm_add_epi32(_mm_madd_epi16(fold[v & 1][0], _mm_loadu_si128(b)),
		                          _mm_madd_epi16(fold[v & 1][1], _mm_loadu_si128(b + 1)));
		/* The four lanes sign-extended to 64 bits, then added. */
		__m128i sign = _mm_srai_epi32(s, 31);
		__m128i wide =
		    _mm_add_epi64(_mm_unpacklo_epi32(s, sign), _mm_unpackhi_epi32(s, sign));
		_mm_storel_epi64((__m128i *)(void *)&out[v],
		                 _mm_add_epi64(wide, _mm_unpackhi_epi64(wide, wide)));
	}
}

/* Whether every cell of t is below limit (a power of two). */
static int cells_below_sse2(const struct img_grid *t, uint16_t limit)
{
	const __m128i *c = (const __m128i *)(const void *)&t->cell[0][0];
	__m128i any = _mm_setzero_si128();
	for (unsigned i = 0; i < IMG_GRID * IMG_GRID / 8; i++)
		any = _mm_or_si128(any, _mm_loadu_si128(c + i));
	__m128i high = _mm_and_si128(any, _mm_set1_epi16((short)(uint16_t)-limit));
	return _mm_movemask_epi8(_mm_cmpeq_epi8(high, _mm_setzero_si128())) == 0xffff;
}

/* dct_low for a grid whose cells are all below DCT_SMALL_MAX_CELL, as
 * every mean luminance is (at most 255 * 16): a row's sum of 16 products
 * of a folded sample (under 2^13) and a basis value (|.| <= 2^14), and any
 * part of it, is under 2^31, so the rows are added up in 32-bit lanes,
 * four rows at once (dct_rows4). The columns are then summed in doubles:
 * a folded column (under 2^32) times a basis value, and any sum of 16 such
 * products, is an integer under 2^53, which a double holds exactly, so
 * every sum is the integer dct_low's 64-bit arithmetic gives. */
#define DCT_SMALL_MAX_CELL 4096u
_Static_assert(IMG_GRID == 32 && DCT_HALF == 16, "dct_rows4 folds two 16-cell halves");

/* The lane sums of a, b, c and d, in that order. */
static __m128i lane_sums4(__m128i a, __m128i b, __m128i c, __m128i d)
{
	__m128i ab = _mm_add_epi32(_mm_unpacklo_epi32(a, b), _mm_unpackhi_epi32(a, b));
	__m128i cd = _mm_add_epi32(_mm_unpacklo_epi32(c, d), _mm_unpackhi_epi32(c, d));
	return _mm_add_epi32(_mm_unpacklo_epi64(ab, cd), _mm_unpackhi_epi64(ab, cd));
}

/* Rows y..y+3's sums for each frequency v into rows[v][y..y+3]. */
static void dct_rows4(const struct img_grid *t, unsigned y,
                      int32_t rows[DCT_MAX_FREQ + 1][IMG_GRID])
{
	__m128i sum[4][2], diff[4][2]; /* each row folded: [row][half] */
	for (unsigned k = 0; k < 4; k++) {
		const __m128i *c = (const __m128i *)(const void *)t->cell[y + k];
		__m128i c0 = _mm_loadu_si128(c), c1 = _mm_loadu_si128(c + 1);
		__m128i r3 = reverse16(_mm_loadu_si128(c + 3));
		__m128i r2 = reverse16(_mm_loadu_si128(c + 2));
		sum[k][0] = _mm_add_epi16(c0, r3);
		sum[k][1] = _mm_add_epi16(c1, r2);
		diff[k][0] = _mm_sub_epi16(c0, r3);
		diff[k][1] = _mm_sub_epi16(c1, r2);
	}
	for (unsigned v = 0; v <= DCT_MAX_FREQ; v++) {
		const __m128i *b = (const __m128i *)(const void *)dct_basis[v];
		__m128i b0 = _mm_loadu_si128(b), b1 = _mm_loadu_si128(b + 1);
		__m128i(*f)[2] = v & 1 ? diff : sum;
#define ROW_DOT(k) _mm_add_epi32(_mm_madd_epi16(f[k][0], b0), _mm_madd_epi16(f[k][1], b1))
		_mm_storeu_si128((__m128i *)(void *)&rows[v][y],
		                 lane_sums4(ROW_DOT(0), ROW_DOT(1), ROW_DOT(2), ROW_DOT(3)));
#undef ROW_DOT
	}
}

/* Lanes 0-1 and 2-3 of four 32-bit integers as doubles. */
static void to_doubles(__m128i v, __m128d *lo, __m128d *hi)
{
	*lo = _mm_cvtepi32_pd(v);
	*hi = _mm_cvtepi32_pd(_mm_shuffle_epi32(v, _MM_SHUFFLE(1, 0, 3, 2)));
}

static void dct_low_small(const struct img_grid *t, int64_t coef[IMG_HASH_BITS])
{
	int32_t rows[DCT_MAX_FREQ + 1][IMG_GRID];
	for (unsigned y = 0; y < IMG_GRID; y += 4)
		dct_rows4(t, y, rows);
	/* Each frequency's column folded ([v][0] sums, [v][1] differences)
	 * and the basis, as doubles. */
	double col[DCT_MAX_FREQ + 1][2][DCT_HALF], basis[DCT_MAX_FREQ + 1][DCT_HALF];
	for (unsigned v = 0; v <= DCT_MAX_FREQ; v++)
		for (unsigned y = 0; y < DCT_HALF; y += 4) {
			__m128i a = _mm_loadu_si128((const __m128i *)(const void *)&rows[v][y]);
			__m128i b = _mm_shuffle_epi32(
			    _mm_loadu_si128(
			        (const __m128i *)(const void *)&rows[v][IMG_GRID - 4 - y]),
			    _MM_SHUFFLE(0, 1, 2, 3));
			__m128d a0, a1, b0, b1;
			to_doubles(a, &a0, &a1);
			to_doubles(b, &b0, &b1);
			_mm_storeu_pd(&col[v][0][y], _mm_add_pd(a0, b0));
			_mm_storeu_pd(&col[v][0][y + 2], _mm_add_pd(a1, b1));
			_mm_storeu_pd(&col[v][1][y], _mm_sub_pd(a0, b0));
			_mm_storeu_pd(&col[v][1][y + 2], _mm_sub_pd(a1, b1));
		}
	for (unsigned v = 0; v <= DCT_MAX_FREQ; v++)
		for (unsigned x = 0; x < DCT_HALF; x += 8) {
			/* 8 basis values sign-extended to 32 bits, then doubles */
			__m128i q =
			    _mm_loadu_si128((const __m128i *)(const void *)&dct_basis[v][x]);
			__m128d d0, d1, d2, d3;
			to_doubles(_mm_srai_epi32(_mm_unpacklo_epi16(q, q), 16), &d0, &d1);
			to_doubles(_mm_srai_epi32(_mm_unpackhi_epi16(q, q), 16), &d2, &d3);
			_mm_storeu_pd(&basis[v][x], d0);
			_mm_storeu_pd(&basis[v][x + 2], d1);
			_mm_storeu_pd(&basis[v][x + 4], d2);
			_mm_storeu_pd(&basis[v][x + 6], d3);
		}
	unsigned n = 0;
	for (unsigned diag = 1; diag <= DCT_MAX_FREQ && n < IMG_HASH_BITS; diag++)
		for (unsigned u = 0; u <= diag && n < IMG_HASH_BITS; u++) {
			const double *f = col[diag - u][u & 1], *b = basis[u];
			__m128d s0 = _mm_setzero_pd(), s1 = _mm_setzero_pd();
			for (unsigned y = 0; y < DCT_HALF; y += 4) {
				s0 = _mm_add_pd(
				    s0, _mm_mul_pd(_mm_loadu_pd(b + y), _mm_loadu_pd(f + y)));
				s1 = _mm_add_pd(s1, _mm_mul_pd(_mm_loadu_pd(b + y + 2),
				                               _mm_loadu_pd(f + y + 2)));
			}
			s0 = _mm_add_pd(s0, s1);
			coef[n++] = (int64_t)_mm_cvtsd_f64(_mm_add_sd(s0, _mm_unpackhi_pd(s0, s0)));
		}
}
#endif

/* The 64 lowest-frequency coefficients after DC, in zigzag order (by
 * diagonal u+v, then by u), each column sum folded as the rows were. */
static void dct_low(const struct img_grid *t, int64_t coef[IMG_HASH_BITS])
{
	int64_t rows[IMG_GRID][DCT_MAX_FREQ + 1];
#if defined(__SSE2__)
	if (cells_below_sse2(t, DCT_SMALL_MAX_CELL)) {
		dct_low_small(t, coef);
		return;
	}
	if (cells_below_sse2(t, DCT_SIMD_MAX_CELL))
		for (unsigned y = 0; y < IMG_GRID; y++)
			dct_row_sse2(t->cell[y], rows[y]);
	else
#endif
		for (unsigned y = 0; y < IMG_GRID; y++)
			dct_row(t->cell[y], rows[y]);
	/* Each frequency's column folded once: [v][0] sums, [v][1] differences. */
	int64_t col[DCT_MAX_FREQ + 1][2][DCT_HALF];
	for (unsigned v = 0; v <= DCT_MAX_FREQ; v++)
		for (unsigned y = 0; y < DCT_HALF; y++) {
			int64_t a = rows[y][v], b = rows[IMG_GRID - 1 - y][v];
			col[v][0][y] = a + b;
			col[v][1][y] = a - b;
		}
	unsigned n = 0;
	for (unsigned diag = 1; diag <= DCT_MAX_FREQ && n < IMG_HASH_BITS; diag++) {
		for (unsigned u = 0; u <= diag && n < IMG_HASH_BITS; u++) {
			const int64_t *f = col[diag - u][u & 1];
			int64_t s = 0;
			for (unsigned y = 0; y < DCT_HALF; y++)
				s += dct_basis[u][y] * f[y];
			coef[n++] = s;
		}
	}
}

/* The k-th smallest of a[0..n) (0-based), a partly reordered: afterwards
 * a[0..k) <= a[k] <= a[k+1..n) (Hoare's selection, as in Wirth's
 * "Algorithms + Data Structures"): the order statistic a sort would give,
 * in about 3n comparisons. */
static int64_t select_kth(int64_t *a, long n, long k)
{
	long l = 0, m = n - 1;
	while (l < m) {
		int64_t x = a[k];
		long i = l, j = m;
		do {
			while (a[i] < x)
				i++;
			while (x < a[j])
				j--;
			if (i <= j) {
				int64_t t = a[i];
				a[i] = a[j];
				a[j] = t;
				i++;
				j--;
			}
		} while (i <= j);
		if (j < k)
			l = i;
		if (k < i)
			m = j;
	}
	return a[k];
}

uint64_t img_grid_phash(const struct img_grid *t)
{
	int64_t coef[IMG_HASH_BITS], work[IMG_HASH_BITS];
	dct_low(t, coef);
	memcpy(work, coef, sizeof(work));
	/* Median of an even count: the mean of the middle two, kept doubled
	 * to stay in integers. The upper one is the smallest value above the
	 * lower one's place. */
	int64_t lower = select_kth(work, IMG_HASH_BITS, IMG_HASH_BITS / 2 - 1);
	int64_t upper = work[IMG_HASH_BITS / 2];
	for (unsigned i = IMG_HASH_BITS / 2 + 1; i < IMG_HASH_BITS; i++)
		upper = work[i] < upper ? work[i] : upper;
	int64_t median2 = lower + upper;
	uint64_t hash = 0;
	for (unsigned i = 0; i < IMG_HASH_BITS; i++)
		if (2 * coef[i] > median2)
			hash |= 1ull << i;
	return hash;
}

/* The sum of t's cells and of their squares, one cell at a time. */
static void grid_moments(const struct img_grid *t, int64_t *sum, int64_t *sum_sq)
{
	int64_t s = 0, sq = 0;
	for (unsigned r = 0; r < IMG_GRID; r++) {
		for (unsigned c = 0; c < IMG_GRID; c++) {
			s += t->cell[r][c];
			sq += (int64_t)t->cell[r][c] * t->cell[r][c];
		}
	}
	*sum = s;
	*sum_sq = sq;
}

#if defined(__SSE2__)
/* grid_moments 8 cells at a time, for a grid whose cells are all below
 * 2^15 (a mean luminance is at most 4080): SSE2's multiply-add of a cell
 * pair by itself is then under 2 * 32767^2 < 2^31, widened to 64 bits
 * before it is added up; the pair sums (by one) add up in 32-bit lanes,
 * at most 128 * 65534 < 2^31. Exactly grid_moments' integers. Returns 0
 * (and leaves the sums undefined) when a cell is 2^15 or more. */
static int grid_moments_sse2(const struct img_grid *t, int64_t *sum, int64_t *sum_sq)
{
	const __m128i *c = (const __m128i *)(const void *)&t->cell[0][0];
	const __m128i zero = _mm_setzero_si128(), one = _mm_set1_epi16(1);
	__m128i s = zero, sq = zero, any = zero;
	for (unsigned i = 0; i < IMG_GRID * IMG_GRID / 8; i++) {
		__m128i v = _mm_loadu_si128(c + i);
		any = _mm_or_si128(any, v);
		s = _mm_add_epi32(s, _mm_madd_epi16(v, one));
		__m128i p = _mm_madd_epi16(v, v);
		sq = _mm_add_epi64(
		    sq, _mm_add_epi64(_mm_unpacklo_epi32(p, zero), _mm_unpackhi_epi32(p, zero)));
	}
	if (_mm_movemask_epi8(_mm_srai_epi16(any, 15)) != 0)
		return 0;
	uint32_t s4[4];
	uint64_t sq2[2];
	_mm_storeu_si128((__m128i *)(void *)s4, s);
	_mm_storeu_si128((__m128i *)(void *)sq2, sq);
	*sum = (int64_t)s4[0] + s4[1] + s4[2] + s4[3];
	*sum_sq = (int64_t)(sq2[0] + sq2[1]);
	return 1;
}
#endif

int img_grid_is_flat(const struct img_grid *t)
{
	int64_t sum, sum_sq;
#if defined(__SSE2__)
	if (!grid_moments_sse2(t, &sum, &sum_sq))
#endif
		grid_moments(t, &sum, &sum_sq);
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

/* Where tile t is in a sketch: its 8 hash bytes, then its ink byte, after
 * the whole picture's 8 hash bytes and ink byte (IMG_SKETCH_BYTES). */
#define SKETCH_TILE(sketch, t) ((sketch) + 9 + 9 * (size_t)(t))

void img_sketch_encode(const struct img_hash *h, uint8_t out[IMG_SKETCH_BYTES])
{
	put_hash(out, h->hash);
	out[8] = h->ink;
	for (unsigned t = 0; t < IMG_N_TILES; t++) {
		put_hash(SKETCH_TILE(out, t), h->tile[t]);
		SKETCH_TILE(out, t)[8] = h->tile_ink[t];
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

_Static_assert(IMG_TILE_FEW_COUNTED < IMG_TILE_MIN_COUNTED,
               "a sparse match (few tiles) is the case below the usual count");
_Static_assert(IMG_TILE_WEAK_INK < IMG_TILE_MIN_INK &&
                   IMG_TILE_SPARSE_COUNTED >= IMG_TILE_FEW_COUNTED,
               "tiles against a match are those not counted, in sparse pairs");

/* Whether a tile that is not counted speaks against the match: ink on at
 * least one side (IMG_TILE_WEAK_INK) and hashes as far apart as unrelated
 * pictures' (img.h, IMG_TILE_SPARSE_COUNTED). Asked only of a sparse pair
 * that the counted tiles would match. */
static int tiles_against(const uint8_t *q, const uint8_t *s)
{
	for (unsigned t = 0; t < IMG_N_TILES; t++) {
		const uint8_t *a = SKETCH_TILE(q, t), *b = SKETCH_TILE(s, t);
		if (a[8] >= IMG_TILE_MIN_INK && b[8] >= IMG_TILE_MIN_INK)
			continue; /* counted */
		uint8_t ink = a[8] > b[8] ? a[8] : b[8];
		if (ink >= IMG_TILE_WEAK_INK &&
		    img_polar_distance(sketch_decode(a), sketch_decode(b)) >= IMG_TILE_FAR_HAMMING)
			return 1;
	}
	return 0;
}

/* Whether the tiles of two stored sketches say the same picture: enough
 * of them count, two thirds of those agree, at most IMG_TILE_MAX_FAR
 * differ as unrelated pictures do and one is close; or, when only
 * IMG_TILE_FEW_COUNTED count (a sparse picture), every one is within
 * IMG_TILE_FEW_HAMMING. When at most IMG_TILE_SPARSE_COUNTED count, no
 * other tile may speak against it (tiles_against; img.h). */
static int tiles_agree(const uint8_t *q, const uint8_t *s)
{
	unsigned counted = 0, agree = 0, far = 0, close = 0, near = 0;
	for (unsigned t = 0; t < IMG_N_TILES; t++) {
		const uint8_t *a = SKETCH_TILE(q, t), *b = SKETCH_TILE(s, t);
		if (a[8] < IMG_TILE_MIN_INK || b[8] < IMG_TILE_MIN_INK)
			continue;
		counted++;
		int d = img_polar_distance(sketch_decode(a), sketch_decode(b));
		agree += d <= IMG_TILE_MAX_HAMMING;
		far += d >= IMG_TILE_FAR_HAMMING;
		close += d <= IMG_TILE_CLOSE_HAMMING;
		near += d <= IMG_TILE_FEW_HAMMING;
	}
	int match = counted == IMG_TILE_FEW_COUNTED
	                ? near == counted
	                : counted >= IMG_TILE_MIN_COUNTED && 3 * agree >= 2 * counted &&
	                      far <= IMG_TILE_MAX_FAR && close > 0;
	return match && (counted > IMG_TILE_SPARSE_COUNTED || !tiles_against(q, s));
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
