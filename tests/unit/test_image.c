/*
 * test_image.c - the image decoders and the perceptual hash (cartridge/img/).
 *
 * Pictures are generated in the test (test_image_enc.h) and encoded as PNG,
 * JPEG and GIF in memory. Checks robustness (formats, qualities, noise,
 * resizing, new margins, frames, inversion stay within
 * IMG_SKETCH_MAX_HAMMING; a banner strip leaves the picture's region),
 * distinctiveness (unrelated pictures stay apart), golden hashes, the
 * sketch's ink and tile checks, bounds and broken input.
 */
#include <check.h>

#include "check_main.h"
#include <stdlib.h>
#include <time.h>

#include "test_image_enc.h"

#include "../../abi/whorl_cartridge.h"
#include "../../cartridge/img/img.h"

/* The hashes of every region of an image (what the engine makes sketches
 * of); two images match when some pair is within the limit. */
struct hashes {
	uint64_t h[IMG_MAX_REGIONS];
	size_t n;
};

static struct hashes regions_of(const uint8_t *data, size_t len)
{
	struct img_thumb *t = calloc(1, sizeof(*t));
	struct img_info info;
	struct img_content c;
	struct img_box boxes[IMG_MAX_REGIONS];
	struct hashes r = { { 0 }, 0 };
	ck_assert_int_eq(img_decode_thumb(data, len, &info, t), 0);
	ck_assert_int_eq(img_content_find(t, &c), 0);
	size_t nb = img_content_regions(t, &c, boxes, IMG_MAX_REGIONS);
	for (size_t i = 0; i < nb; i++) {
		struct img_hash h;
		if (img_region_hash(t, &c, &boxes[i], &h) == 0)
			r.h[r.n++] = h.hash;
	}
	free(t);
	ck_assert_uint_gt(r.n, 0);
	return r;
}

static int dist(struct hashes a, struct hashes b)
{
	int best = IMG_HASH_BITS;
	for (size_t i = 0; i < a.n; i++)
		for (size_t j = 0; j < b.n; j++)
			if (img_polar_distance(a.h[i], b.h[j]) < best)
				best = img_polar_distance(a.h[i], b.h[j]);
	return best;
}

static uint64_t hash_of(const uint8_t *data, size_t len)
{
	struct img_info info;
	uint64_t h = 0;
	int rc = img_phash(data, len, &info, &h);
	ck_assert_int_eq(rc, 0);
	return h;
}

enum enc {
	ENC_PNG,
	ENC_PNG_ADAM7,
	ENC_JPEG90,
	ENC_JPEG40,
	ENC_GIF,
	N_ENC
};

static struct hashes hash_enc(const struct pic *p, enum enc e)
{
	size_t len = 0;
	uint8_t *b = NULL;
	switch (e) {
	case ENC_PNG: b = pic_png(p, 0, &len); break;
	case ENC_PNG_ADAM7: b = pic_png(p, 1, &len); break;
	case ENC_JPEG90: b = pic_jpeg(p, 90, &len); break;
	case ENC_JPEG40: b = pic_jpeg(p, 40, &len); break;
	default: b = pic_gif(p, &len); break;
	}
	ck_assert_ptr_nonnull(b);
	struct hashes h = regions_of(b, len);
	free(b);
	return h;
}

START_TEST(formats_and_qualities_match)
{
	for (uint64_t seed = 1; seed <= 20; seed++) {
		struct pic p = pic_make(seed, 300, 200);
		struct hashes ref = hash_enc(&p, ENC_PNG);
		for (int e = 1; e < N_ENC; e++) {
			int d = dist(ref, hash_enc(&p, (enum enc)e));
			ck_assert_msg(d <= IMG_SKETCH_MAX_HAMMING, "seed %d enc %d distance %d",
			              (int)seed, e, d);
		}
		pic_free(&p);
	}
}
END_TEST

START_TEST(adam7_is_the_same_picture)
{
	for (uint64_t seed = 1; seed <= 5; seed++) {
		/* odd sizes exercise empty and partial Adam7 passes */
		struct pic p = pic_make(seed, 37 + (uint32_t)seed, 19 + 3 * (uint32_t)seed);
		ck_assert_int_eq(dist(hash_enc(&p, ENC_PNG), hash_enc(&p, ENC_PNG_ADAM7)), 0);
		pic_free(&p);
	}
}
END_TEST

START_TEST(noise_matches)
{
	for (uint64_t seed = 1; seed <= 20; seed++) {
		struct pic p = pic_make(seed, 300, 200);
		struct pic j = pic_jitter(&p, seed * 7919, 8);
		struct hashes ref = hash_enc(&p, ENC_JPEG90);
		int d1 = dist(ref, hash_enc(&j, ENC_PNG));
		int d2 = dist(ref, hash_enc(&j, ENC_JPEG40));
		ck_assert_msg(d1 <= IMG_SKETCH_MAX_HAMMING && d2 <= IMG_SKETCH_MAX_HAMMING,
		              "seed %d distances %d %d", (int)seed, d1, d2);
		pic_free(&j);
		pic_free(&p);
	}
}
END_TEST

START_TEST(resizing_matches)
{
	for (uint64_t seed = 1; seed <= 20; seed++) {
		struct pic p = pic_make(seed, 300, 200);
		struct pic small = pic_resize(&p, 150, 100);
		struct pic big = pic_make(seed, 600, 400);
		struct hashes ref = hash_enc(&p, ENC_PNG);
		int d1 = dist(ref, hash_enc(&small, ENC_JPEG90));
		int d2 = dist(ref, hash_enc(&big, ENC_JPEG90));
		int d3 = dist(ref, hash_enc(&big, ENC_GIF));
		ck_assert_msg(d1 <= IMG_SKETCH_MAX_HAMMING && d2 <= IMG_SKETCH_MAX_HAMMING &&
		                  d3 <= IMG_SKETCH_MAX_HAMMING,
		              "seed %d distances %d %d %d", (int)seed, d1, d2, d3);
		pic_free(&small);
		pic_free(&big);
		pic_free(&p);
	}
}
END_TEST

START_TEST(different_pictures_differ)
{
	enum {
		N = 20
	};
	struct hashes h[N];
	for (int i = 0; i < N; i++) {
		struct pic p = pic_make(100 + (uint64_t)i, 300, 200);
		h[i] = hash_enc(&p, i % 2 ? ENC_JPEG90 : ENC_PNG);
		pic_free(&p);
	}
	for (int i = 0; i < N; i++)
		for (int j = i + 1; j < N; j++)
			ck_assert_msg(dist(h[i], h[j]) > IMG_SKETCH_MAX_HAMMING,
			              "pictures %d and %d at %d", i, j, dist(h[i], h[j]));
}
END_TEST

/* Lossless PNG input, integer-only hashing: these values must never change
 * unless the image engine's algo_version (fp/engines.c) is bumped (version 2 and 3: the hash of the normalised
 * content, see img_region.c). */
START_TEST(golden_hashes)
{
	static const struct {
		uint64_t seed;
		uint32_t w, h;
		uint64_t hash;
	} golden[] = {
		{ 1, 300, 200, 0x2b37b12a16d6e4a3ull },
		{ 2, 64, 48, 0xabb53b895152e6a8ull },
		{ 3, 500, 333, 0x21fba9eb2ca3aa41ull },
	};
	for (size_t i = 0; i < sizeof(golden) / sizeof(golden[0]); i++) {
		struct pic p = pic_make(golden[i].seed, golden[i].w, golden[i].h);
		size_t len;
		uint8_t *b = pic_png(&p, 0, &len);
		struct img_info info;
		uint64_t h;
		ck_assert_int_eq(img_phash(b, len, &info, &h), 0);
		ck_assert_int_eq(info.format, IMG_FORMAT_PNG);
		ck_assert_uint_eq(info.width, golden[i].w);
		ck_assert_uint_eq(info.height, golden[i].h);
		if (getenv("WHORL_PRINT_GOLDEN") != NULL)
			printf("{ %d, %u, %u, 0x%016llxull },\n", (int)golden[i].seed, golden[i].w,
			       golden[i].h, (unsigned long long)h),
			    fflush(stdout);
		ck_assert_msg(h == golden[i].hash, "golden %zu: hash 0x%016llxull", i,
		              (unsigned long long)h);
		free(b);
		pic_free(&p);
	}
}
END_TEST

/* The pHash of a grid as img.c defined it before its DCT folded the halves
 * of the basis (every product taken, same Q14 cosines): the folded sums must
 * give the same integers, so the same hash, on any grid. */
static uint64_t phash_direct(const struct img_grid *g)
{
	static const int32_t cos_q14[33] = { 16384, 16364, 16305, 16207, 16069, 15893, 15679,
		                             15426, 15137, 14811, 14449, 14053, 13623, 13160,
		                             12665, 12140, 11585, 11003, 10394, 9760,  9102,
		                             8423,  7723,  7005,  6270,  5520,  4756,  3981,
		                             3196,  2404,  1606,  804,   0 };
	int64_t basis[11][IMG_GRID], rows[IMG_GRID][11], coef[IMG_HASH_BITS], sorted[IMG_HASH_BITS];
	for (unsigned u = 0; u <= 10; u++)
		for (unsigned x = 0; x < IMG_GRID; x++) {
			unsigned k = ((2 * x + 1) * u) % 128;
			k = k > 64 ? 128 - k : k;
			basis[u][x] = k > 32 ? -cos_q14[64 - k] : cos_q14[k];
		}
	for (unsigned y = 0; y < IMG_GRID; y++)
		for (unsigned v = 0; v <= 10; v++) {
			rows[y][v] = 0;
			for (unsigned x = 0; x < IMG_GRID; x++)
				rows[y][v] += g->cell[y][x] * basis[v][x];
		}
	unsigned n = 0;
	for (unsigned diag = 1; diag <= 10 && n < IMG_HASH_BITS; diag++)
		for (unsigned u = 0; u <= diag && n < IMG_HASH_BITS; u++, n++) {
			coef[n] = 0;
			for (unsigned y = 0; y < IMG_GRID; y++)
				coef[n] += basis[u][y] * rows[y][diag - u];
		}
	memcpy(sorted, coef, sizeof(sorted));
	for (unsigned i = 1; i < IMG_HASH_BITS; i++) /* insertion sort: 64 values */
		for (unsigned j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
			int64_t t = sorted[j];
			sorted[j] = sorted[j - 1];
			sorted[j - 1] = t;
		}
	int64_t median2 = sorted[IMG_HASH_BITS / 2 - 1] + sorted[IMG_HASH_BITS / 2];
	uint64_t hash = 0;
	for (unsigned i = 0; i < IMG_HASH_BITS; i++)
		if (2 * coef[i] > median2)
			hash |= 1ull << i;
	return hash;
}

START_TEST(grid_phash_equals_the_direct_dct)
{
	static struct img_grid g;
	uint64_t s = 42;
	/* Noise, extremes, gradients; the levels tiles and thumbs give (0 to
	 * 255 * 16), few levels (equal coefficients: the median's ties), and
	 * the edges of img.c's 16-bit fast path (cells below 16384 take it)
	 * and of its 32-bit rows (cells below 4096): the largest such cells
	 * against 0, the sums furthest from 0. */
	for (int round = 0; round < 900; round++) {
		uint16_t edge = (uint16_t)(16383 + (round & 1));
		uint16_t small = (uint16_t)(4095 + (round / 9 & 1));
		for (unsigned y = 0; y < IMG_GRID; y++)
			for (unsigned x = 0; x < IMG_GRID; x++) {
				uint16_t v;
				switch (round % 9) {
				case 7: v = pic_rand(&s, 2) ? small : 0; break;
				case 8:
					v = pic_rand(&s, 2) ? small : (uint16_t)pic_rand(&s, 4096);
					break;
				case 0: v = (uint16_t)pic_rand(&s, 65536); break;
				case 1: v = pic_rand(&s, 2) ? 65535 : 0; break;
				case 2: v = (uint16_t)(x * 2048 + y * (round & 63)); break;
				case 3: v = (uint16_t)pic_rand(&s, 256); break;
				case 4: v = (uint16_t)pic_rand(&s, 4081); break;
				case 5: v = (uint16_t)(pic_rand(&s, 3) * 2040); break;
				default:
					v = pic_rand(&s, 2) ? edge : (uint16_t)pic_rand(&s, 16384);
					break;
				}
				g.cell[y][x] = v;
			}
		ck_assert_msg(img_grid_phash(&g) == phash_direct(&g), "round %d", round);
	}
}
END_TEST

/* A region's tiles as img_tiles.c computed them before it summed a band of
 * cells column by column or read them from a summed-area table (each
 * cell's pixels added up on their own): the same box refinement, cells,
 * ink and hashes, so the same tiles. */
struct ref_ink {
	uint8_t ink[256];
};

static int ref_line_inked(const struct img_luma *l, const struct ref_ink *it, uint32_t x0,
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

static void ref_tiles(const struct img_luma *l, const struct img_content *c,
                      const struct img_box *b, struct img_hash *out)
{
	struct ref_ink it;
	for (unsigned v = 0; v < 256; v++) {
		unsigned v16 = v * 16u;
		unsigned d = v16 > c->background ? v16 - c->background : c->background - v16;
		it.ink[v] = d > c->ink_delta;
	}
	uint32_t x0 = (uint32_t)((uint64_t)b->x0 * l->w / IMG_FINE);
	uint32_t y0 = (uint32_t)((uint64_t)b->y0 * l->h / IMG_FINE);
	uint32_t x1 = (uint32_t)(((uint64_t)b->x1 * l->w + IMG_FINE - 1) / IMG_FINE);
	uint32_t y1 = (uint32_t)(((uint64_t)b->y1 * l->h + IMG_FINE - 1) / IMG_FINE);
	uint32_t cw = l->w / IMG_FINE + 1, ch = l->h / IMG_FINE + 1;
	for (uint32_t i = 0; i < cw && x1 - x0 > 1 && !ref_line_inked(l, &it, x0, x0 + 1, y0, y1);
	     i++)
		x0++;
	for (uint32_t i = 0; i < cw && x1 - x0 > 1 && !ref_line_inked(l, &it, x1 - 1, x1, y0, y1);
	     i++)
		x1--;
	for (uint32_t i = 0; i < ch && y1 - y0 > 1 && !ref_line_inked(l, &it, x0, x1, y0, y0 + 1);
	     i++)
		y0++;
	for (uint32_t i = 0; i < ch && y1 - y0 > 1 && !ref_line_inked(l, &it, x0, x1, y1 - 1, y1);
	     i++)
		y1--;
	uint32_t w = x1 - x0, h = y1 - y0;
	for (unsigned t = 0; t < IMG_N_TILES; t++) {
		uint32_t tx0 = x0 + (t % IMG_TILES) * w / IMG_TILES;
		uint32_t tx1 = x0 + (t % IMG_TILES + 1) * w / IMG_TILES;
		uint32_t ty0 = y0 + (t / IMG_TILES) * h / IMG_TILES;
		uint32_t ty1 = y0 + (t / IMG_TILES + 1) * h / IMG_TILES;
		tx1 = tx1 > tx0 ? tx1 : tx0 + 1;
		ty1 = ty1 > ty0 ? ty1 : ty0 + 1;
		uint32_t tw = tx1 - tx0, th = ty1 - ty0;
		static struct img_grid g;
		uint64_t ink = 0;
		for (unsigned r = 0; r < IMG_GRID; r++) {
			uint32_t ya = ty0 + r * th / IMG_GRID, yb = ty0 + (r + 1) * th / IMG_GRID;
			uint32_t ye = yb > ya ? yb : ya + 1;
			for (unsigned col = 0; col < IMG_GRID; col++) {
				uint32_t xa = tx0 + col * tw / IMG_GRID,
				         xb = tx0 + (col + 1) * tw / IMG_GRID;
				uint32_t xe = xb > xa ? xb : xa + 1;
				uint32_t sum = 0, k = 0;
				for (uint32_t y = ya; y < ye; y++)
					for (uint32_t x = xa; x < xe; x++) {
						sum += l->px[(size_t)y * l->w + x];
						k += it.ink[l->px[(size_t)y * l->w + x]];
					}
				g.cell[r][col] = (uint16_t)(sum * 16u / ((ye - ya) * (xe - xa)));
				ink += (yb > ya && xb > xa) ? k : 0;
			}
		}
		uint64_t area = (uint64_t)tw * th;
		int flat = img_grid_is_flat(&g);
		out->tile[t] = flat ? 0 : img_grid_phash(&g);
		out->tile_ink[t] =
		    flat ? 0 : (uint8_t)(ink * 255u / area > 255 ? 255 : ink * 255u / area);
	}
}

/* Long: one random copy a round, its tiles checked three ways against the
 * oracle (column sums, a fresh summed-area table, a table kept for more
 * regions); split, the rounds' set-up would be written three times. */
START_TEST(tiles_luma_equal_the_per_cell_sums)
{
	static uint8_t px[IMG_LUMA_MAX_SIDE * IMG_LUMA_MAX_SIDE];
	static uint64_t sat[IMG_TILES_SAT_ENTRIES];
	uint64_t s = 7;
	for (int round = 0; round < 300; round++) {
		/* Sides from under 32 pixels (cells sharing pixels) to the largest
		 * copy, most of them not a multiple of 16; noise, blocks of text-like
		 * strokes on a plain background, and extremes. */
		uint32_t w = 8 + pic_rand(&s, round % 3 == 0 ? 60 : IMG_LUMA_MAX_SIDE - 7);
		uint32_t h = 8 + pic_rand(&s, round % 5 == 0 ? 60 : IMG_LUMA_MAX_SIDE - 7);
		struct img_luma l = { .px = px, .cap = sizeof(px), .w = w, .h = h, .step = 0 };
		uint8_t bg = (uint8_t)pic_rand(&s, 256);
		for (uint32_t y = 0; y < h; y++)
			for (uint32_t x = 0; x < w; x++)
				px[(size_t)y * w + x] =
				    round % 3 == 0   ? (uint8_t)pic_rand(&s, 256)
				    : round % 3 == 1 ? (((x / 3 + y / 5) % 7 < 2 && pic_rand(&s, 8))
				                            ? (uint8_t)(255 - bg)
				                            : bg)
				                     : (pic_rand(&s, 2) ? 255 : 0);
		struct img_content c = { .background = (uint16_t)(bg * 16u + pic_rand(&s, 16)),
			                 .ink_delta =
			                     (uint16_t)(IMG_INK_DELTA_MIN + pic_rand(&s, 1500)) };
		struct img_box b;
		b.x0 = (uint16_t)pic_rand(&s, IMG_FINE - 1);
		b.y0 = (uint16_t)pic_rand(&s, IMG_FINE - 1);
		b.x1 = (uint16_t)(b.x0 + 1 + pic_rand(&s, IMG_FINE - b.x0));
		b.y1 = (uint16_t)(b.y0 + 1 + pic_rand(&s, IMG_FINE - b.y0));
		c.box = b;
		struct img_hash got, got_sat, want;
		memset(&got, 0, sizeof(got));
		memset(&got_sat, 0, sizeof(got_sat));
		memset(&want, 0, sizeof(want));
		img_tiles_luma(&l, &c, &b, &got); /* column sums (no table) */
		l.sat = sat;
		l.sat_cap = IMG_TILES_SAT_ENTRIES;
		img_tiles_luma(&l, &c, &b, &got_sat); /* the summed-area table when it fits */
		ref_tiles(&l, &c, &b, &want);
		for (unsigned t = 0; t < IMG_N_TILES; t++) {
			ck_assert_msg(got.tile[t] == want.tile[t], "round %d tile %u hash", round,
			              t);
			ck_assert_msg(got.tile_ink[t] == want.tile_ink[t], "round %d tile %u ink",
			              round, t);
			ck_assert_msg(got_sat.tile[t] == want.tile[t],
			              "round %d tile %u hash (sat)", round, t);
			ck_assert_msg(got_sat.tile_ink[t] == want.tile_ink[t],
			              "round %d tile %u ink (sat)", round, t);
		}
		/* More regions of the same picture read the table kept in l (a
		 * copy that fits), until other ink levels make it anew. */
		for (int k = 0; k < 4; k++) {
			if (k == 2)
				c.ink_delta = (uint16_t)(IMG_INK_DELTA_MIN + pic_rand(&s, 1500));
			b.x0 = (uint16_t)pic_rand(&s, IMG_FINE - 1);
			b.y0 = (uint16_t)pic_rand(&s, IMG_FINE - 1);
			b.x1 = (uint16_t)(b.x0 + 1 + pic_rand(&s, IMG_FINE - b.x0));
			b.y1 = (uint16_t)(b.y0 + 1 + pic_rand(&s, IMG_FINE - b.y0));
			memset(&got_sat, 0, sizeof(got_sat));
			memset(&want, 0, sizeof(want));
			img_tiles_luma(&l, &c, &b, &got_sat);
			ref_tiles(&l, &c, &b, &want);
			ck_assert_msg(
			    memcmp(got_sat.tile, want.tile, sizeof(want.tile)) == 0 &&
			        memcmp(got_sat.tile_ink, want.tile_ink, sizeof(want.tile_ink)) == 0,
			    "round %d region %d (kept table)", round, k);
		}
	}
}
END_TEST

/* p drawn at (x, y) on a w x h canvas of colour bg. */
static struct pic pic_place(const struct pic *p, uint32_t w, uint32_t h, uint32_t x, uint32_t y,
                            const uint8_t bg[3])
{
	struct pic q = { .w = w, .h = h, .rgb = pic_xmalloc((size_t)w * h * 3) };
	for (size_t i = 0; i < (size_t)w * h; i++)
		memcpy(q.rgb + 3 * i, bg, 3);
	for (uint32_t r = 0; r < p->h && r + y < h; r++)
		memcpy(q.rgb + ((size_t)(r + y) * w + x) * 3, p->rgb + (size_t)r * p->w * 3,
		       (size_t)(p->w < w - x ? p->w : w - x) * 3);
	return q;
}

/* A dark drawing on white, the shape of most image spam. */
static struct pic pic_drawing(uint64_t seed, uint32_t w, uint32_t h)
{
	struct pic p = { .w = w, .h = h, .rgb = pic_xmalloc((size_t)w * h * 3) };
	memset(p.rgb, 255, (size_t)w * h * 3);
	uint64_t s = seed;
	const uint8_t ink[3] = { 20, 20, 40 };
	for (int i = 0; i < 40; i++) {
		int x = (int)pic_rand(&s, w - w / 8), y = (int)pic_rand(&s, h - h / 10);
		pic_fill_rect(&p, x, y, x + (int)pic_rand(&s, w / 8) + 4,
		              y + (int)pic_rand(&s, h / 10) + 2, ink);
	}
	return p;
}

/* New margins and canvas, a frame, the negative: the same hash. */
START_TEST(normalisation_survives_margins_frames_and_inversion)
{
	const uint8_t white[3] = { 255, 255, 255 }, red[3] = { 200, 0, 0 };
	for (uint64_t seed = 1; seed <= 10; seed++) {
		struct pic p = pic_drawing(seed, 300, 200);
		struct hashes ref = hash_enc(&p, ENC_PNG);
		struct pic moved = pic_place(&p, 380, 260, 60, 17, white);
		struct pic framed = pic_place(&moved, 380, 260, 0, 0, red);
		for (uint32_t y = 8; y < 252; y++)
			memcpy(framed.rgb + ((size_t)y * 380 + 8) * 3,
			       moved.rgb + ((size_t)y * 380 + 8) * 3, 364 * 3);
		struct pic neg = { .w = 300, .h = 200, .rgb = pic_xmalloc((size_t)300 * 200 * 3) };
		for (size_t i = 0; i < (size_t)300 * 200 * 3; i++)
			neg.rgb[i] = (uint8_t)(255 - p.rgb[i]);
		int d1 = dist(ref, hash_enc(&moved, ENC_JPEG90));
		int d2 = dist(ref, hash_enc(&framed, ENC_PNG));
		int d3 = dist(ref, hash_enc(&neg, ENC_PNG));
		ck_assert_msg(d1 <= IMG_SKETCH_MAX_HAMMING && d2 <= IMG_SKETCH_MAX_HAMMING &&
		                  d3 <= IMG_SKETCH_MAX_HAMMING,
		              "seed %d distances %d %d %d", (int)seed, d1, d2, d3);
		pic_free(&p);
		pic_free(&moved);
		pic_free(&framed);
		pic_free(&neg);
	}
}
END_TEST

/* A banner strip above a picture leaves the picture's own hash among the
 * regions. */
START_TEST(banner_strip_leaves_the_picture)
{
	const uint8_t white[3] = { 255, 255, 255 }, orange[3] = { 240, 160, 0 };
	struct pic p = pic_drawing(3, 300, 200);
	struct pic q = pic_place(&p, 300, 260, 0, 60, white);
	pic_fill_rect(&q, 0, 0, 300, 40, orange);
	pic_fill_rect(&q, 20, 12, 200, 28, white);
	size_t lp, lq;
	uint8_t *bp = pic_png(&p, 0, &lp), *bq = pic_png(&q, 0, &lq);
	struct img_thumb *t = calloc(1, sizeof(*t));
	struct img_info info;
	struct img_content c;
	struct img_box boxes[IMG_MAX_REGIONS];
	uint64_t ref;
	ck_assert_int_eq(img_phash(bp, lp, &info, &ref), 0);
	ck_assert_int_eq(img_decode_thumb(bq, lq, &info, t), 0);
	ck_assert_int_eq(img_content_find(t, &c), 0);
	size_t n = img_content_regions(t, &c, boxes, IMG_MAX_REGIONS);
	int best = 64;
	for (size_t i = 0; i < n; i++) {
		struct img_hash h;
		if (img_region_hash(t, &c, &boxes[i], &h) == 0 && img_hamming(ref, h.hash) < best)
			best = img_hamming(ref, h.hash);
	}
	ck_assert_msg(n >= 2 && best <= IMG_SKETCH_MAX_HAMMING, "%zu regions, best %d", n, best);
	free(t);
	free(bp);
	free(bq);
	pic_free(&p);
	pic_free(&q);
}
END_TEST

START_TEST(info_and_sniff)
{
	struct pic p = pic_make(9, 123, 45);
	size_t len;
	uint8_t *b[3] = { pic_gif(&p, &len), NULL, NULL };
	size_t lens[3] = { len, 0, 0 };
	b[1] = pic_png(&p, 0, &lens[1]);
	b[2] = pic_jpeg(&p, 80, &lens[2]);
	const enum img_format fmt[3] = { IMG_FORMAT_GIF, IMG_FORMAT_PNG, IMG_FORMAT_JPEG };
	for (int i = 0; i < 3; i++) {
		struct img_info info;
		ck_assert_int_eq(img_sniff(b[i], lens[i]), fmt[i]);
		ck_assert_int_eq(img_probe(b[i], lens[i], &info), 0);
		ck_assert_int_eq(info.format, fmt[i]);
		ck_assert_uint_eq(info.width, 123);
		ck_assert_uint_eq(info.height, 45);
		free(b[i]);
	}
	ck_assert_int_eq(img_sniff((const uint8_t *)"hello", 5), IMG_FORMAT_NONE);
	struct img_info info;
	uint64_t h;
	ck_assert_int_eq(img_phash((const uint8_t *)"hello", 5, &info, &h), WHORL_ENOTSUP);
	pic_free(&p);
}
END_TEST

/* Many prefixes and a sample of corruptions: an error or a hash, never a
 * crash (run under ASan by `make san`). Every prefix that cuts into the pixel
 * data is an error; the trailer (PNG's IEND, GIF's ';', JPEG's EOI, all
 * within the last 12 bytes) is not needed to see the picture. */
static void check_broken(const uint8_t *b, size_t len)
{
	struct img_info info;
	uint64_t h;
	uint8_t *copy = malloc(len);
	for (size_t cut = 0; cut + 12 < len; cut += 1 + cut / 64) {
		memcpy(copy, b, cut);
		ck_assert_msg(img_phash(copy, cut, &info, &h) < 0, "prefix %zu of %zu decoded", cut,
		              len);
	}
	uint64_t s = 12345;
	for (int i = 0; i < 300; i++) {
		memcpy(copy, b, len);
		for (int k = 0; k < 1 + i % 4; k++)
			copy[pic_rand(&s, (unsigned)len)] = (uint8_t)pic_rand(&s, 256);
		(void)img_phash(copy, len, &info, &h);
	}
	free(copy);
}

START_TEST(broken_input_is_an_error)
{
	struct pic p = pic_make(4, 120, 80);
	size_t len;
	uint8_t *b = pic_png(&p, 0, &len);
	check_broken(b, len);
	free(b);
	b = pic_png(&p, 1, &len);
	check_broken(b, len);
	free(b);
	b = pic_jpeg(&p, 75, &len);
	check_broken(b, len);
	free(b);
	b = pic_gif(&p, &len);
	check_broken(b, len);
	free(b);
	pic_free(&p);
}
END_TEST

static void check_refused(const uint8_t *b, size_t len, uint32_t w, uint32_t h)
{
	struct img_info info;
	uint64_t hash;
	ck_assert_int_eq(img_phash(b, len, &info, &hash), WHORL_ELIMIT);
	ck_assert_int_eq(img_probe(b, len, &info), WHORL_ELIMIT);
	ck_assert_uint_eq(info.width, w);
	ck_assert_uint_eq(info.height, h);
}

START_TEST(oversize_is_refused)
{
	struct pic wide = pic_make(1, IMG_MAX_WIDTH + 1, 16);
	size_t len;
	uint8_t *b = pic_png(&wide, 0, &len);
	check_refused(b, len, IMG_MAX_WIDTH + 1, 16);
	free(b);
	b = pic_jpeg(&wide, 50, &len);
	check_refused(b, len, IMG_MAX_WIDTH + 1, 16);
	free(b);
	b = pic_gif(&wide, &len);
	check_refused(b, len, IMG_MAX_WIDTH + 1, 16);
	free(b);
	pic_free(&wide);
	/* 5000 x 5000 passes each side but not IMG_MAX_PIXELS: patch the
	 * header of a small PNG (the bound is checked before any CRC). */
	struct pic small = pic_make(2, 32, 32);
	b = pic_png(&small, 0, &len);
	const uint8_t side[4] = { 0, 0, 0x13, 0x88 };
	memcpy(b + 16, side, 4);
	memcpy(b + 20, side, 4);
	check_refused(b, len, 5000, 5000);
	free(b);
	pic_free(&small);
	uint8_t big[16] = { 0xff, 0xd8, 0xff };
	struct img_info info;
	uint64_t hash;
	ck_assert_int_eq(img_phash(big, IMG_MAX_INPUT_BYTES + 1, &info, &hash), WHORL_ELIMIT);
}
END_TEST

START_TEST(flat_image_has_no_hash)
{
	struct pic p = pic_make(1, 100, 100);
	memset(p.rgb, 200, (size_t)100 * 100 * 3);
	size_t len;
	uint8_t *b = pic_png(&p, 0, &len);
	struct img_info info;
	uint64_t h;
	ck_assert_int_eq(img_phash(b, len, &info, &h), WHORL_ENODATA);
	ck_assert_uint_eq(info.width, 100);
	free(b);
	pic_free(&p);
}
END_TEST

static int anchors_meet(uint64_t query, uint64_t stored)
{
	uint32_t qa[IMG_QUERY_ANCHORS], sa[IMG_STORED_ANCHORS];
	uint8_t bytes[IMG_SKETCH_BYTES];
	struct img_hash h = { .hash = stored, .ink = 255 };
	img_sketch_encode(&h, bytes);
	size_t nq = img_sketch_query_anchors(query, qa, IMG_QUERY_ANCHORS);
	size_t ns = img_sketch_anchors(bytes, sizeof(bytes), sa, IMG_STORED_ANCHORS);
	ck_assert_uint_eq(nq, IMG_QUERY_ANCHORS);
	ck_assert_uint_eq(ns, IMG_STORED_ANCHORS);
	for (size_t i = 0; i < nq; i++)
		for (size_t j = 0; j < ns; j++)
			if (qa[i] == sa[j])
				return 1;
	return 0;
}

/* A region hash with every tile inked and equal to seed-derived values. */
static struct img_hash sketch_hash(uint64_t hash, uint8_t ink, uint64_t tile_seed)
{
	struct img_hash h = { .hash = hash, .ink = ink };
	uint64_t s = tile_seed;
	for (unsigned t = 0; t < IMG_N_TILES; t++) {
		h.tile[t] = pic_rng_next(&s);
		h.tile_ink[t] = 100;
	}
	return h;
}

START_TEST(sketch_api)
{
	uint8_t a[IMG_SKETCH_BYTES], b[IMG_SKETCH_BYTES], c[IMG_SKETCH_BYTES], d[IMG_SKETCH_BYTES];
	struct img_hash ha = sketch_hash(0x0123456789abcdefull, 200, 1);
	img_sketch_encode(&ha, a);
	ck_assert_uint_eq(a[0], 0xef);
	ck_assert_uint_eq(a[7], 0x01);
	ck_assert_uint_eq(a[8], 200);
	struct img_hash hb = ha;
	hb.hash ^= 0x8000000000000003ull;
	img_sketch_encode(&hb, b);
	ck_assert(img_sketch_similarity(a, IMG_SKETCH_BYTES, a, IMG_SKETCH_BYTES) == 1.0);
	ck_assert(img_sketch_similarity(a, IMG_SKETCH_BYTES, b, IMG_SKETCH_BYTES) ==
	          1.0 - 3.0 / 64);
	ck_assert(img_sketch_similarity(a, 8, b, IMG_SKETCH_BYTES) < 0);
	ck_assert(img_sketch_similarity(a, IMG_SKETCH_BYTES, b, 9) < 0);
	/* the same layout hash with other tiles: not a match */
	struct img_hash hc = sketch_hash(ha.hash, 200, 2);
	img_sketch_encode(&hc, c);
	ck_assert(img_sketch_similarity(a, IMG_SKETCH_BYTES, c, IMG_SKETCH_BYTES) == 0.0);
	/* a mostly blank region: identifies nothing */
	struct img_hash hd = ha;
	hd.ink = IMG_MIN_INK - 1;
	img_sketch_encode(&hd, d);
	ck_assert(img_sketch_similarity(a, IMG_SKETCH_BYTES, d, IMG_SKETCH_BYTES) == 0.0);
	ck_assert(IMG_SKETCH_THRESHOLD == 1.0 - 10.0 / 64);
	uint32_t anchors[8];
	ck_assert_uint_eq(img_sketch_anchors(a, 8, anchors, 8), 0);
	ck_assert_uint_eq(img_sketch_anchors(a, IMG_SKETCH_BYTES, anchors, 2), 2);
	uint32_t c0 = 0x0123456789abcdefull & 0x7fff, c1 = (0x0123456789abcdefull >> 15) & 0x7fff;
	ck_assert_uint_eq(anchors[0], c0 < (c0 ^ 0x7fff) ? c0 : (c0 ^ 0x7fff));
	ck_assert_uint_eq(anchors[1], (1u << 15) | (c1 < (c1 ^ 0x7fff) ? c1 : (c1 ^ 0x7fff)));
	/* a negative (the complement) meets its picture */
	ck_assert(anchors_meet(~ha.hash, ha.hash));
	struct img_hash hn = ha;
	hn.hash = ~ha.hash;
	for (unsigned t = 0; t < IMG_N_TILES; t++)
		hn.tile[t] = ~ha.tile[t];
	img_sketch_encode(&hn, d);
	ck_assert(img_sketch_similarity(a, IMG_SKETCH_BYTES, d, IMG_SKETCH_BYTES) == 1.0);
	/* pigeonhole: any hash within distance 7 is a candidate */
	uint64_t s = 99;
	for (int t = 0; t < 2000; t++) {
		uint64_t h = pic_rng_next(&s), g = h;
		int flips = 1 + t % 7;
		for (int k = 0; k < flips; k++)
			g ^= 1ull << pic_rand(&s, 64);
		ck_assert(anchors_meet(g, h));
	}
}
END_TEST

/* h's sketch with tile t's hash moved by `bits` bits (the lowest ones). */
static void sketch_with_tile_off(struct img_hash h, unsigned t, unsigned bits,
                                 uint8_t out[IMG_SKETCH_BYTES])
{
	h.tile[t] ^= bits >= 64 ? ~0ull : (1ull << bits) - 1;
	img_sketch_encode(&h, out);
}

/* The evidence the tiles must give (img.h, IMG_TILE_*): the cases of a
 * sparse picture's few inked tiles and of a template's loose agreement. */
START_TEST(sketch_tile_evidence)
{
	uint8_t a[IMG_SKETCH_BYTES], b[IMG_SKETCH_BYTES];
	/* A sparse picture: only three tiles inked (an invoice's title and
	 * item column); its own copy must match it. */
	struct img_hash sparse = sketch_hash(0x0f0f33335555aaaaull, 40, 3);
	for (unsigned t = 0; t < IMG_N_TILES; t++)
		sparse.tile_ink[t] = t == 0 || t == 4 || t == 8 ? 50 : IMG_TILE_MIN_INK - 1;
	img_sketch_encode(&sparse, a);
	ck_assert(img_sketch_similarity(a, IMG_SKETCH_BYTES, a, IMG_SKETCH_BYTES) == 1.0);
	sketch_with_tile_off(sparse, 4, IMG_TILE_FEW_HAMMING, b);
	ck_assert(img_sketch_similarity(a, IMG_SKETCH_BYTES, b, IMG_SKETCH_BYTES) == 1.0);
	/* ... but three loosely agreeing tiles are a template, not a copy */
	sketch_with_tile_off(sparse, 4, IMG_TILE_FEW_HAMMING + 2, b);
	ck_assert(img_sketch_similarity(a, IMG_SKETCH_BYTES, b, IMG_SKETCH_BYTES) == 0.0);
	/* Four counted tiles, three at the agreement limit and one between it
	 * and far (seed 3's legitimate invoice against its campaign's
	 * template): two thirds agree, none is close: not a match. */
	struct img_hash four = sparse;
	four.tile_ink[12] = 50;
	struct img_hash loose = four;
	loose.tile[0] ^= (1ull << IMG_TILE_MAX_HAMMING) - 1;
	loose.tile[4] ^= (1ull << IMG_TILE_MAX_HAMMING) - 1;
	loose.tile[8] ^= (1ull << IMG_TILE_MAX_HAMMING) - 1;
	loose.tile[12] ^= (1ull << (IMG_TILE_FAR_HAMMING - 2)) - 1;
	img_sketch_encode(&four, a);
	img_sketch_encode(&loose, b);
	ck_assert(img_sketch_similarity(a, IMG_SKETCH_BYTES, b, IMG_SKETCH_BYTES) == 0.0);
	/* one of them close: a re-rendered copy */
	loose.tile[0] = four.tile[0] ^ ((1ull << IMG_TILE_CLOSE_HAMMING) - 1);
	img_sketch_encode(&loose, b);
	ck_assert(img_sketch_similarity(a, IMG_SKETCH_BYTES, b, IMG_SKETCH_BYTES) == 1.0);
}
END_TEST

/* The words that differ between a legitimate picture and a campaign of
 * its template (seed 6's invoice ham-237, seed 1's template twin
 * invoice-065): a sparse pair whose counted tiles (the template's title and
 * figures) agree, but a tile with ink on one side that is not counted is as
 * far as unrelated pictures: not a match. */
START_TEST(sketch_ink_against_sparse_match)
{
	uint8_t a[IMG_SKETCH_BYTES], b[IMG_SKETCH_BYTES];
	struct img_hash four = sketch_hash(0x0f0f33335555aaaaull, 40, 4);
	for (unsigned t = 0; t < IMG_N_TILES; t++)
		four.tile_ink[t] = t == 0 || t == 4 || t == 7 || t == 8 ? 40 : 2;
	four.tile_ink[11] = IMG_TILE_WEAK_INK + 2;
	struct img_hash other = four;
	other.tile[4] ^= (1ull << IMG_TILE_MAX_HAMMING) - 1;
	other.tile[8] ^= (1ull << (IMG_TILE_FAR_HAMMING - 2)) - 1;
	img_sketch_encode(&four, a);
	img_sketch_encode(&other, b);
	ck_assert(img_sketch_similarity(a, IMG_SKETCH_BYTES, b, IMG_SKETCH_BYTES) == 1.0);
	/* the uncounted tile 11 differs as unrelated pictures do: the words */
	other.tile[11] ^= (1ull << IMG_TILE_FAR_HAMMING) - 1;
	other.tile_ink[11] = IMG_TILE_WEAK_INK + 1;
	img_sketch_encode(&other, b);
	ck_assert(img_sketch_similarity(a, IMG_SKETCH_BYTES, b, IMG_SKETCH_BYTES) == 0.0);
	/* ink on one side only is as much against it (a line the other lacks) */
	other.tile_ink[11] = 0;
	img_sketch_encode(&other, b);
	ck_assert(img_sketch_similarity(a, IMG_SKETCH_BYTES, b, IMG_SKETCH_BYTES) == 0.0);
	/* a copy: that tile only a little off */
	other.tile[11] = four.tile[11] ^ ((1ull << (IMG_TILE_FAR_HAMMING - 2)) - 1);
	img_sketch_encode(&other, b);
	ck_assert(img_sketch_similarity(a, IMG_SKETCH_BYTES, b, IMG_SKETCH_BYTES) == 1.0);
	/* a far tile with less ink than IMG_TILE_WEAK_INK on both sides (a
	 * rule line, a stray mark) says nothing */
	other.tile[11] = four.tile[11] ^ ((1ull << IMG_TILE_FAR_HAMMING) - 1);
	four.tile_ink[11] = IMG_TILE_WEAK_INK - 1;
	other.tile_ink[11] = IMG_TILE_WEAK_INK - 1;
	img_sketch_encode(&four, a);
	img_sketch_encode(&other, b);
	ck_assert(img_sketch_similarity(a, IMG_SKETCH_BYTES, b, IMG_SKETCH_BYTES) == 1.0);
	/* a dense pair (more than IMG_TILE_SPARSE_COUNTED counted tiles) has
	 * its words among them: an uncounted far tile is left to them */
	four.tile_ink[11] = other.tile_ink[11] = IMG_TILE_WEAK_INK + 1;
	four.tile_ink[1] = other.tile_ink[1] = 40;
	img_sketch_encode(&four, a);
	img_sketch_encode(&other, b);
	ck_assert(img_sketch_similarity(a, IMG_SKETCH_BYTES, b, IMG_SKETCH_BYTES) == 1.0);
}
END_TEST

static double time_us(const uint8_t *b, size_t len, int n)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++)
		(void)hash_of(b, len);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / n /
	       1e3;
}

/* Informational: decode + hash time of a typical 300x200 image. */
START_TEST(timing)
{
	struct pic p = pic_make(5, 300, 200);
	size_t lj, lp, lg;
	uint8_t *j = pic_jpeg(&p, 85, &lj), *png = pic_png(&p, 0, &lp), *g = pic_gif(&p, &lg);
	printf(
	    "image decode+hash 300x200: jpeg %.0f us (%zu B), png %.0f us (%zu B), gif %.0f us (%zu B)\n",
	    time_us(j, lj, 300), lj, time_us(png, lp, 300), lp, time_us(g, lg, 300), lg);
	free(j);
	free(png);
	free(g);
	pic_free(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("image");
	TCase *tc = tcase_create("img");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, formats_and_qualities_match);
	tcase_add_test(tc, adam7_is_the_same_picture);
	tcase_add_test(tc, noise_matches);
	tcase_add_test(tc, resizing_matches);
	tcase_add_test(tc, different_pictures_differ);
	tcase_add_test(tc, golden_hashes);
	tcase_add_test(tc, grid_phash_equals_the_direct_dct);
	tcase_add_test(tc, tiles_luma_equal_the_per_cell_sums);
	tcase_add_test(tc, sketch_tile_evidence);
	tcase_add_test(tc, sketch_ink_against_sparse_match);
	tcase_add_test(tc, normalisation_survives_margins_frames_and_inversion);
	tcase_add_test(tc, banner_strip_leaves_the_picture);
	tcase_add_test(tc, info_and_sniff);
	tcase_add_test(tc, broken_input_is_an_error);
	tcase_add_test(tc, oversize_is_refused);
	tcase_add_test(tc, flat_image_has_no_hash);
	tcase_add_test(tc, sketch_api);
	tcase_add_test(tc, timing);
	suite_add_tcase(s, tc);
	return check_run(s);
}
