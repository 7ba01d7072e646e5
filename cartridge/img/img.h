/*
 * img.h - decode GIF, PNG and JPEG from memory and hash what they look like.
 *
 * An image is sniffed by its magic bytes (never by its MIME type), decoded
 * with giflib, libpng or libjpeg-turbo under hard bounds, and reduced on the
 * fly to a 128x128 grid of mean luminance (a box filter fed row by row: no
 * full-size pixel buffer is ever held, except the optional bounded luminance
 * copy a QR decoder reads, struct img_luma). The picture is then normalised
 * (img_region.c: uniform frames and margins trimmed, the content's bounding
 * box found; the hash is polarity-free) and each region of interest
 * resampled to a 32x32 grid, from which comes a 64-bit perceptual hash
 * (low-frequency DCT coefficients against their median) that survives
 * re-encoding, format conversion, resizing, new margins, borders, recolouring,
 * inversion and pixel jitter.
 *
 * Memory: the decoders allocate with malloc, inside the bounds below (one
 * decoded row, the libraries' own state, libjpeg capped at
 * IMG_MAX_DECODER_MEMORY); everything is freed before a call returns, on
 * success and on every error path. This is the one place on the scan path
 * that does not use the scan's arena: the libraries own their allocations.
 *
 * Thread safety: every function is reentrant; no global state.
 *
 * Not for: deciding what a message's images mean (fp/image.c), other image
 * formats (BMP, WebP... are left to the attach engine's byte digests).
 */
#ifndef WHORL_IMG_H
#define WHORL_IMG_H

#include <stddef.h>
#include <stdint.h>

#include "../util/bits.h"

#define IMG_MAX_WIDTH 8192u                    /* wider images are refused (WHORL_ELIMIT) */
#define IMG_MAX_HEIGHT 8192u                   /* taller images are refused (WHORL_ELIMIT) */
#define IMG_MAX_PIXELS (16u << 20)             /* width * height bound (WHORL_ELIMIT) */
#define IMG_MAX_INPUT_BYTES ((size_t)32 << 20) /* larger inputs are refused (WHORL_ELIMIT) */
#define IMG_MAX_DECODER_MEMORY (64L << 20)     /* libjpeg's own pool (progressive images) */
#define IMG_JPEG_MAX_SCANS 64                  /* progressive scans; more is a CPU bomb */
#define IMG_PNG_MAX_CHUNK ((size_t)1 << 20)    /* largest ancillary chunk libpng buffers */
#define IMG_MIN_SIDE 16u                       /* smaller images are tracking pixels */
#define IMG_FINE 128                           /* side of the decoded luminance grid */
#define IMG_GRID 32                            /* side of the grid a region is hashed on */
#define IMG_LUMA_MAX_SIDE 1024u                /* longest side of the QR decoder's copy */

#define IMG_TILES 4 /* a region's tiles: 4x4 */
#define IMG_N_TILES (IMG_TILES * IMG_TILES)
/* Stored sketch (struct img_hash): the region's pHash (8 bytes, little
 * endian), its ink (1), then per tile its pHash (8) and ink (1): 153 bytes. */
#define IMG_SKETCH_BYTES (9 + 9 * IMG_N_TILES)
#define IMG_HASH_BITS 64
/* Hamming distance up to which two hashes are the same picture, and from
 * which a match counts on its own (one limit: see docs/SCORING.md). Every
 * hash has 32 bits set (median split), so distances are even. Measured
 * over 200 synthetic pictures (tests/unit/test_image.c): JPEG q90/q40,
 * PNG<->JPEG, Adam7, resizing x0.5 and x2, +-8 noise: <= 6 bits; GIF with a
 * fixed undithered 3-3-2 palette: <= 10. The candidate lookup below finds
 * every stored hash within 7 bits, 97 % at 8 and 81 % at 10. */
#define IMG_SKETCH_MAX_HAMMING 10
/* The same bound as a similarity (1 - hamming/64), for fp_sketch_threshold(). */
#define IMG_SKETCH_THRESHOLD (1.0 - (double)IMG_SKETCH_MAX_HAMMING / IMG_HASH_BITS)

/* Least ink (struct img_hash) a region needs for its hash to count: 128 of
 * the thumb's 16384 cells. Less is a blank page, a rule, a short line. */
#define IMG_MIN_INK 8
/* Tiles: one counts when both sides have this much ink (5 % of its cells);
 * it agrees within IMG_TILE_MAX_HAMMING, and differs as unrelated pictures
 * do (their distance is ~29 of at most 32) from IMG_TILE_FAR_HAMMING. A
 * match needs IMG_TILE_MIN_COUNTED counted tiles, agreement on at least two
 * thirds of them, at most IMG_TILE_MAX_FAR far ones and at least one tile
 * within IMG_TILE_CLOSE_HAMMING: the template of a newsletter, invoice or
 * ticket agrees, the words in it do not. Tiles of one template written
 * with other words agree loosely (their best tile 8-14 bits off), a
 * re-rendered copy has at least one tile nearly as it was. A sparse
 * picture (an invoice, a receipt) may have only IMG_TILE_FEW_COUNTED
 * inked tiles, even against itself: then all of them must be within
 * IMG_TILE_FEW_HAMMING (legitimate pictures of a campaign's template came
 * no nearer than 8; docs/BENCHMARKS.md "Tile evidence"). */
#define IMG_TILE_MIN_INK 13
#define IMG_TILE_MAX_HAMMING 10
#define IMG_TILE_FAR_HAMMING 16
#define IMG_TILE_MAX_FAR 0
#define IMG_TILE_MIN_COUNTED 4
#define IMG_TILE_CLOSE_HAMMING 6
#define IMG_TILE_FEW_COUNTED 3
#define IMG_TILE_FEW_HAMMING 4
/* Ink that speaks against a match: in a sparse pair (at most
 * IMG_TILE_SPARSE_COUNTED counted tiles, which are then mostly the
 * template: a title, a rule, a column of figures) a tile that is not
 * counted but holds IMG_TILE_WEAK_INK (4 % of its cells) on at least one
 * side, and whose hashes differ as unrelated pictures do
 * (IMG_TILE_FAR_HAMMING), is a disagreement: the words that differ
 * between a legitimate picture and a campaign of its template live in
 * such tiles (a short line, a header, an item or two). A copy's tiles hold
 * the same words, so they are not far (docs/BENCHMARKS.md "Ink against a
 * match"). */
#define IMG_TILE_SPARSE_COUNTED 4
#define IMG_TILE_WEAK_INK 10
/* A first or last band of the content under this share of its height is a
 * strip (banner, title bar) worth hashing the picture without. */
#define IMG_STRIP_MAX_SHARE 0.25
/* Ink: a cell further from the background than a quarter of the picture's
 * contrast, and at least this far (1/16 gray levels); uniform: a line of
 * cells whose levels span less than IMG_UNIFORM_SPREAD. */
#define IMG_INK_DELTA_MIN (16 * 16)
#define IMG_UNIFORM_SPREAD (32 * 16)

/* Anchors: the hash is cut into IMG_ANCHOR_CHUNKS chunks of IMG_ANCHOR_BITS
 * bits (bits 60..63 are not anchored); an anchor is (position << 15) | chunk.
 * A chunk and its complement make the same anchor (a negative meets its
 * picture). A stored sketch is indexed by its 4 exact chunks; a query also looks up
 * every chunk with one bit flipped (4 * 16 = 64 anchors). So every stored
 * hash within Hamming distance 7 of the query is a candidate (pigeonhole);
 * measured: 97% at distance 8, 81% at 10, and 1796 of the 1800 same-picture
 * pairs above. Each anchor selects ~2^-15 of the stored image sketches. */
#define IMG_ANCHOR_BITS 15
#define IMG_ANCHOR_CHUNKS 4
#define IMG_STORED_ANCHORS IMG_ANCHOR_CHUNKS                          /* 4 */
#define IMG_QUERY_ANCHORS (IMG_ANCHOR_CHUNKS * (1 + IMG_ANCHOR_BITS)) /* 64 */

/* The image engine's (cartridge/fp/image.c) key flags; here because fp.h
 * is shared by every engine. Its algorithm version is in fp/engines.c: bump
 * it whenever a key or the hash changes (golden vectors in
 * tests/unit/test_image.c).
 * Version 2: no geometry key; normalised regions; the ink byte; QR keys.
 * Version 3: tiles from the pixel-aligned luminance copy, ink relative to
 * contrast, frame corners ignored when peeling (sketches of version 2, as
 * published from main between 5fe133b and d27e342, are not compared). */
#define FP_IMAGE_F_BYTES (1u << 0) /* key: digest of the decoded bytes (depth low) */
#define FP_IMAGE_F_QR (1u << 2)    /* key: a QR code's normalised payload (depth high) */

enum img_format {
	IMG_FORMAT_NONE = 0,
	IMG_FORMAT_GIF = 1,
	IMG_FORMAT_PNG = 2,
	IMG_FORMAT_JPEG = 3
};

struct img_info {
	enum img_format format;
	uint32_t width;  /* as the file declares it (JPEG: before any scaling; */
	uint32_t height; /* GIF: the first frame, not the logical screen) */
};

/* An optional copy of the decoded luminance for a QR decoder: every
 * step-th pixel of every step-th row, step the smallest that brings both
 * sides to IMG_LUMA_MAX_SIDE or less. The caller owns px (cap bytes, at
 * least IMG_LUMA_MAX_SIDE squared); the decoder fills w, h, step and px.
 * sat (sat_cap entries, caller-owned, or NULL) is img_tiles_luma()'s
 * scratch: the copy's summed-area table when it fits (IMG_TILES_SAT_ENTRIES
 * holds a copy of 511 x 511 pixels), kept for every region of the picture
 * (sat_key: which ink levels it was made with, 0 when none; the decoder
 * clears it), else a region's. */
#define IMG_TILES_SAT_ENTRIES ((size_t)512 * 512)
struct img_luma {
	uint8_t *px;
	size_t cap;
	uint32_t w, h, step;
	uint64_t *sat;
	size_t sat_cap;
	uint32_t sat_key;
};

/* Mean luminance (BT.601, transparent pixels shown on white) of each cell of
 * a 128x128 grid over the image, in 1/16 gray levels (0..4080). Set luma
 * (or leave it NULL) before decoding. */
struct img_thumb {
	uint16_t cell[IMG_FINE][IMG_FINE];
	struct img_luma *luma;
};

/* A region resampled for hashing, same units. */
struct img_grid {
	uint16_t cell[IMG_GRID][IMG_GRID];
};

/* A box of thumb cells, [x0, x1) x [y0, y1). */
struct img_box {
	uint16_t x0, y0, x1, y1;
};

/* The normalised picture: its background level (the most common luminance,
 * 1/16 gray levels), the content's box and the share of the thumb's cells
 * that are ink (differ from the background), in 1/1024. */
#define IMG_INK_WORDS (IMG_FINE / 64) /* 64-bit words of a row of ink bits */
_Static_assert(IMG_FINE % 64 == 0, "a row of ink bits is whole words");
struct img_content {
	uint16_t background;
	uint16_t ink_delta; /* a cell this far from the background is ink */
	struct img_box box; /* uniform edges peeled, then cut to the ink cells */
	uint16_t ink_1024;
	/* Which thumb cells are ink (bit x % 64 of word x / 64 of row y), set
	 * by img_content_find with the two levels above: boxes are cut to
	 * their ink and their ink counted a row of words at a time. */
	uint64_t ink[IMG_FINE][IMG_INK_WORDS];
};

/* A region's hash and how much ink it holds (thumb cells in the region that
 * differ from the background, /16, at most 255): what the hash is worth.
 * Then the same for each of its 4x4 tiles (row by row), the tile's ink as
 * a share of its cells (0..255): the region's hash finds candidates, the
 * tiles tell pictures of the same layout apart (docs/SCORING.md). */
struct img_hash {
	uint64_t hash;
	uint8_t ink;
	uint64_t tile[IMG_N_TILES];
	uint8_t tile_ink[IMG_N_TILES];
};

/* The format data[0..len) starts like; IMG_FORMAT_NONE when none. */
enum img_format img_sniff(const uint8_t *data, size_t len);

/* Reads the header only and fills *info. Returns 0, WHORL_ENOTSUP when the
 * bytes are no GIF/PNG/JPEG, WHORL_ELIMIT past a bound above, WHORL_EFORMAT
 * when the header is malformed. */
int img_probe(const uint8_t *data, size_t len, struct img_info *info);

/* Decodes the whole image (GIF: its first frame) into *thumb and *info.
 * Returns 0 or the errors of img_probe(); truncated or corrupt pixel data is
 * WHORL_EFORMAT, WHORL_ENOMEM when malloc fails. On error *thumb is undefined
 * and *info holds what the header said (format NONE if not even that). */
int img_decode_thumb(const uint8_t *data, size_t len, struct img_info *info,
                     struct img_thumb *thumb);

/* 64-bit perceptual hash of a grid: bit i is set when the i-th DCT
 * coefficient (zigzag order, DC excluded) is above the median of the 64.
 * The negative of a picture negates every coefficient, so its hash is the
 * complement: hashes compare by img_polar_distance(). Exact integer sums
 * only (img.c's SSE2 path adds integers under 2^53 in doubles, which hold
 * them exactly), so identical on every platform. */
uint64_t img_grid_phash(const struct img_grid *g);

/* Whether the grid is too flat (blank, one colour) for its pHash to mean
 * anything: all such images would hash alike. */
int img_grid_is_flat(const struct img_grid *g);

/* Normalises a decoded thumb (img_region.c): background, polarity, content
 * box. Returns 0, or WHORL_ENODATA when nothing differs from the background. */
int img_content_find(const struct img_thumb *t, struct img_content *c);

/* The regions worth hashing, in this order: the whole content; the whole
 * canvas when it differs from the content (a picture without margins whose
 * low-contrast edges come and go with noise keeps a stable hash); the content below its
 * first band and above its last band when that band is a strip under
 * IMG_STRIP_MAX_SHARE of the height (a banner added above or below a
 * picture then leaves the picture's own hash among the regions). Returns
 * how many were written (1..IMG_MAX_REGIONS). */
#define IMG_MAX_REGIONS 4
size_t img_content_regions(const struct img_thumb *t, const struct img_content *c,
                           struct img_box *boxes, size_t cap);

/* Normalises box b of t as img_content_find() normalises the whole thumb:
 * uniform edge lines peeled off, then cut to its ink cells (against c's
 * background and ink). Returns how many ink cells it holds (0: b is
 * peeled but not cut). */
unsigned img_box_refine(const struct img_thumb *t, const struct img_content *c, struct img_box *b);

/* Refines b (img_box_refine()) and appends it to boxes[0..*n) unless it
 * holds no ink, equals c->box or is already there. Returns whether it was
 * appended; the caller makes sure boxes has room for one more. */
int img_box_keep(const struct img_thumb *t, const struct img_content *c, struct img_box b,
                 struct img_box *boxes, size_t *n);

/* Crops: a copy of a picture with 5-10 % of it cut off keeps the rest, but
 * its content box moves and every region hash and tile with it. So a
 * publisher stores, beside a picture's own sketches, those of systematic
 * crops of its content box (img_crop.c): one side or two opposite sides
 * cut by multiples of IMG_CROP_STEP_PCT, or a corner (one horizontal and
 * one vertical side) by multiples of IMG_CROP_CORNER_STEP_PCT, up to
 * IMG_CROP_MAX_PCT of the box's width or height. A copy cut along one
 * axis or at a corner is then within 1 % of the box of one stored crop on
 * every side; its tiles (a quarter of the box each; 2 % off already fails
 * most text tiles) tolerate that along one axis, less often on two, which
 * the scan's windows below make up for (docs/BENCHMARKS.md). */
#define IMG_CROP_STEP_PCT 2
#define IMG_CROP_CORNER_STEP_PCT 2
#define IMG_CROP_MAX_PCT 12
#define IMG_MAX_CROPS 198 /* one side 24, two opposite sides 30, corners 144 */

/* The crops of c's box (refined as img_box_refine() does, each box once,
 * none equal to c->box), at most cap of them, in a fixed order. Returns
 * how many were written. */
size_t img_content_crops(const struct img_thumb *t, const struct img_content *c,
                         struct img_box *boxes, size_t cap);

/* Windows (img_window.c): a scan also hashes its content box with one
 * side moved in by 1 to IMG_WINDOW_MAX_SHRINK thumb cells, or the two
 * sides of a corner by 1 to IMG_WINDOW_CORNER_SHRINK (a cell is 1/128 of
 * the picture, under half the crops' step): a cut between two of the
 * publisher's crops then meets one of them even when the copy was
 * rescaled, re-encoded or given new margins, which move the box's sides by
 * a cell or two (docs/SCORING.md "windows"). The sides that reach the
 * canvas's edge always move; the others only when ink covers at least
 * IMG_WINDOW_DENSE_1024 / 1024 of the content box: a sparse picture (an
 * invoice, a receipt) has few inked tiles, the template's, and more tries
 * on them met a legitimate picture of a campaign's template. A publisher
 * computes none. */
#define IMG_WINDOW_MAX_SHRINK 2
#define IMG_WINDOW_CORNER_SHRINK 1
#define IMG_WINDOW_DENSE_1024 102 /* a tenth */
#define IMG_MAX_WINDOWS 12        /* one side 4 x 2, corners 4 x 1 x 1 */

/* The windows of c's box (refined as img_box_refine() does, each box once,
 * none equal to c->box), at most cap of them, in a fixed order. Returns
 * how many were written. */
size_t img_content_windows(const struct img_thumb *t, const struct img_content *c,
                           struct img_box *boxes, size_t cap);

/* Resamples box of t to a 32x32 grid, hashes it and its tiles (from the
 * luminance copy when t has one) and counts their ink. Returns 0, or
 * WHORL_ENODATA when the grid is flat. */
int img_region_hash(const struct img_thumb *t, const struct img_content *c,
                    const struct img_box *box, struct img_hash *out);

/* The tiles of img_region_hash() from the thumb's luminance copy (sharper,
 * aligned to the pixel: img_tiles.c); img_region_hash() calls it when the
 * thumb was decoded with a copy. Fills l->sat (and sets l->sat_key) when l
 * has that scratch. */
void img_tiles_luma(struct img_luma *l, const struct img_content *c, const struct img_box *box,
                    struct img_hash *out);

/* img_decode_thumb(), img_content_find(), then img_region_hash() of the
 * whole content. Returns 0, the errors of img_decode_thumb(), or
 * WHORL_ENODATA when the image is too flat to hash (*info is then valid). */
int img_phash(const uint8_t *data, size_t len, struct img_info *info, uint64_t *hash);

/* The stored sketch form of a region hash: IMG_SKETCH_BYTES bytes. */
void img_sketch_encode(const struct img_hash *h, uint8_t out[IMG_SKETCH_BYTES]);

/* Anchors a stored sketch is indexed by (its exact chunks). Returns how many
 * were written (<= cap); 0 when len != IMG_SKETCH_BYTES. */
size_t img_sketch_anchors(const uint8_t *bytes, size_t len, uint32_t *anchors, size_t cap);

/* Anchors a query hash is looked up by: each exact chunk followed by its
 * IMG_ANCHOR_BITS one-bit neighbours. Returns how many (<= cap). */
size_t img_sketch_query_anchors(uint64_t hash, uint32_t *anchors, size_t cap);

/* 1 - distance/64 (img_polar_distance) between the region hashes of two
 * stored-form sketches;
 * 0 when either region holds less than IMG_MIN_INK ink (a mostly blank
 * region identifies nothing) or when the hashes are within
 * IMG_SKETCH_MAX_HAMMING but the tiles do not agree (same layout, other
 * content: see IMG_TILE_*); negative when either length is not
 * IMG_SKETCH_BYTES. */
double img_sketch_similarity(const uint8_t *q, size_t qlen, const uint8_t *s, size_t slen);

/* Hamming distance of two hashes. */
static inline int img_hamming(uint64_t a, uint64_t b)
{
	return (int)whorl_popcount64(a ^ b);
}

/* Distance of two pictures whatever their polarity: the Hamming distance
 * to b or to b's complement (b's negative), whichever is smaller. */
static inline int img_polar_distance(uint64_t a, uint64_t b)
{
	int d = img_hamming(a, b);
	return d < IMG_HASH_BITS - d ? d : IMG_HASH_BITS - d;
}

#endif
