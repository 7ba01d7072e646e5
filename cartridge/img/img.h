/*
 * img.h - decode GIF, PNG and JPEG from memory and hash what they look like.
 *
 * An image is sniffed by its magic bytes (never by its MIME type), decoded
 * with giflib, libpng or libjpeg-turbo under hard bounds, and reduced on the
 * fly to a 32x32 grid of mean luminance (a box filter fed row by row: no
 * full-size pixel buffer is ever held). From that grid come a 64-bit
 * perceptual hash (low-frequency DCT coefficients against their median) that
 * survives re-encoding, format conversion, resizing and pixel jitter, and a
 * coarse 4x4 luminance signature for exact keys.
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

#define IMG_MAX_WIDTH 8192u                    /* wider images are refused (WHORL_ELIMIT) */
#define IMG_MAX_HEIGHT 8192u                   /* taller images are refused (WHORL_ELIMIT) */
#define IMG_MAX_PIXELS (16u << 20)             /* width * height bound (WHORL_ELIMIT) */
#define IMG_MAX_INPUT_BYTES ((size_t)32 << 20) /* larger inputs are refused (WHORL_ELIMIT) */
#define IMG_MAX_DECODER_MEMORY (64L << 20)     /* libjpeg's own pool (progressive images) */
#define IMG_JPEG_MAX_SCANS 64                  /* progressive scans; more is a CPU bomb */
#define IMG_PNG_MAX_CHUNK ((size_t)1 << 20)    /* largest ancillary chunk libpng buffers */
#define IMG_MIN_SIDE 16u                       /* smaller images are tracking pixels */
#define IMG_GRID 32                            /* side of the luminance grid */

#define IMG_SKETCH_BYTES 8                     /* stored sketch: the pHash, little endian */
#define IMG_HASH_BITS 64
/* Hamming distance up to which two hashes are the same picture. Every hash
 * has 32 bits set (median split), so distances are even. Measured over 200
 * synthetic pictures (tests/unit/test_image.c makes them): JPEG q90/q40,
 * PNG<->JPEG, Adam7, resizing x0.5 and x2, +-8 noise: <= 6 bits; GIF with a
 * fixed undithered 3-3-2 palette: <= 10. Unrelated pictures from the same
 * generator (79,800 pairs): 11 pairs <= 10 (1.4e-4), smallest 4; the
 * generator's shared layout makes this pessimistic for real images. */
#define IMG_SKETCH_MAX_HAMMING 10
/* The same bound as a similarity (1 - hamming/64), for fp_sketch_threshold(). */
#define IMG_SKETCH_THRESHOLD (1.0 - (double)IMG_SKETCH_MAX_HAMMING / IMG_HASH_BITS)

/* Anchors: the hash is cut into IMG_ANCHOR_CHUNKS chunks of IMG_ANCHOR_BITS
 * bits (bits 60..63 are not anchored); an anchor is (position << 15) | chunk.
 * A stored sketch is indexed by its 4 exact chunks; a query also looks up
 * every chunk with one bit flipped (4 * 16 = 64 anchors). So every stored
 * hash within Hamming distance 7 of the query is a candidate (pigeonhole);
 * measured: 97% at distance 8, 81% at 10, and 1796 of the 1800 same-picture
 * pairs above. Each anchor selects ~2^-15 of the stored image sketches. */
#define IMG_ANCHOR_BITS 15
#define IMG_ANCHOR_CHUNKS 4
#define IMG_STORED_ANCHORS IMG_ANCHOR_CHUNKS                          /* 4 */
#define IMG_QUERY_ANCHORS (IMG_ANCHOR_CHUNKS * (1 + IMG_ANCHOR_BITS)) /* 64 */

/* The image engine's (cartridge/fp/image.c) versions and key flags; here
 * because fp.h is shared by every engine. Bump FP_IMAGE_VERSION whenever a
 * key or the hash changes (golden vectors in tests/unit/test_image.c). */
#define FP_IMAGE_VERSION 1
#define FP_IMAGE_F_BYTES (1u << 0)     /* key: digest of the decoded bytes (depth low) */
#define FP_IMAGE_F_GEOMETRY (1u << 1)  /* key: format, size, 4x4 luminance (depth medium) */

enum img_format {
	IMG_FORMAT_NONE = 0,
	IMG_FORMAT_GIF = 1,
	IMG_FORMAT_PNG = 2,
	IMG_FORMAT_JPEG = 3
};

struct img_info {
	enum img_format format;
	uint32_t width;   /* as the file declares it (JPEG: before any scaling; */
	uint32_t height;  /* GIF: the first frame, not the logical screen) */
};

/* Mean luminance (BT.601, transparent pixels shown on white) of each cell of
 * a 32x32 grid over the image, in 1/16 gray levels (0..4080). */
struct img_thumb {
	uint16_t cell[IMG_GRID][IMG_GRID];
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

/* 64-bit perceptual hash of a thumb: bit i is set when the i-th DCT
 * coefficient (zigzag order, DC excluded) is above the median of the 64.
 * Integer arithmetic only, so identical on every platform. */
uint64_t img_thumb_phash(const struct img_thumb *t);

/* Whether the thumb is too flat (blank, one colour) for its pHash to mean
 * anything: all such images would hash alike. */
int img_thumb_is_flat(const struct img_thumb *t);

/* Coarse signature: the 4x4 means of the grid, each quantised to 2 bits,
 * cell (r, c) at bits 2*(4r+c). */
uint32_t img_thumb_grid4(const struct img_thumb *t);

/* img_decode_thumb() then img_thumb_phash(). Returns 0, the errors of
 * img_decode_thumb(), or WHORL_ENODATA when the image is too flat to hash
 * (*info is then valid). */
int img_phash(const uint8_t *data, size_t len, struct img_info *info, uint64_t *hash);

/* The stored sketch form of a hash: IMG_SKETCH_BYTES bytes, little endian. */
void img_sketch_encode(uint64_t hash, uint8_t out[IMG_SKETCH_BYTES]);

/* Anchors a stored sketch is indexed by (its exact chunks). Returns how many
 * were written (<= cap); 0 when len != IMG_SKETCH_BYTES. */
size_t img_sketch_anchors(const uint8_t *bytes, size_t len, uint32_t *anchors, size_t cap);

/* Anchors a query hash is looked up by: each exact chunk followed by its
 * IMG_ANCHOR_BITS one-bit neighbours. Returns how many (<= cap). */
size_t img_sketch_query_anchors(uint64_t hash, uint32_t *anchors, size_t cap);

/* 1 - hamming/64 between two stored-form sketches; negative when either
 * length is not IMG_SKETCH_BYTES. */
double img_sketch_similarity(const uint8_t *q, size_t qlen, const uint8_t *s, size_t slen);

/* Hamming distance of two hashes. */
static inline int img_hamming(uint64_t a, uint64_t b)
{
	return __builtin_popcountll(a ^ b);
}

#endif
