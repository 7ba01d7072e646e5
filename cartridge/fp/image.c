/*
 * image.c - the image engine: fingerprints of the GIF, PNG and JPEG images
 * a message carries, inline or attached.
 *
 * Catches image spam that repeats a picture while changing everything else:
 * at depth "low" the exact decoded bytes; at "medium" also the format, size
 * and a coarse 4x4 luminance signature (survives metadata and re-compression
 * that keeps the size and overall layout); at "high" also a 64-bit
 * perceptual hash matched by Hamming distance (survives re-encoding, format
 * conversion, resizing and jittered pixels). Misses: heavy crops, rotations,
 * recolouring, pictures split across several images, formats other than
 * GIF/PNG/JPEG (the attach engine still digests their bytes), and the frames
 * after the first of an animated GIF.
 *
 * Every non-container part whose decoded data sniffs as GIF/PNG/JPEG counts,
 * whatever its Content-Type says. Images under IMG_MIN_SIDE pixels a side
 * (tracking pixels, spacers, identical in countless legitimate mails) and
 * images whose header cannot be read give nothing. An image whose pixels
 * cannot be decoded (truncated, corrupt) keeps its "low" key and gives no
 * other: there is no counter for it in struct fp_list. A one-colour image
 * gives no sketch (every blank image would match every other). Decoding is
 * bounded per message (FP_IMAGE_MAX_DECODES, FP_IMAGE_MAX_PIXELS); images
 * past the budget set out->overflow, so the scan reports rescan.
 *
 * Not for: decoding (img/), looking the fingerprints up (sigdb/).
 */
#include <string.h>

#include "../img/img.h"
#include "../util/hash.h"
#include "fp.h"

#define FP_IMAGE_MAX_DECODES 16            /* images decoded per message */
#define FP_IMAGE_MAX_PIXELS (16u << 20)    /* declared pixels decoded per message: one
                                            * 16M-pixel PNG takes ~140 ms */
#define FP_IMAGE_SEED_BYTES 0x696d672d62797465ull     /* "img-byte" */
#define FP_IMAGE_SEED_GEOMETRY 0x696d672d67656f6dull  /* "img-geom" */

struct image_budget {
	unsigned decodes;
	uint64_t pixels;
};

static void put_le32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t geometry_raw(const struct img_info *info, const struct img_thumb *thumb)
{
	uint8_t buf[13];
	buf[0] = (uint8_t)info->format;
	put_le32(buf + 1, info->width);
	put_le32(buf + 5, info->height);
	put_le32(buf + 9, img_thumb_grid4(thumb));
	return whorl_hash64(buf, sizeof(buf), FP_IMAGE_SEED_GEOMETRY);
}

static void add_sketch(const struct fp_input *in, struct fp_list *out, uint64_t hash)
{
	uint8_t *bytes = arena_alloc(in->arena, IMG_SKETCH_BYTES);
	uint32_t *anchors = arena_alloc(in->arena, IMG_QUERY_ANCHORS * sizeof(*anchors));
	if (bytes == NULL || anchors == NULL) {
		out->overflow = 1;
		return;
	}
	img_sketch_encode(hash, bytes);
	struct fp_sketch sk = {
		.engine = WHORL_FP_IMAGE,
		.algo_version = FP_IMAGE_VERSION,
		.len = IMG_SKETCH_BYTES,
		.bytes = bytes,
		.query_anchors = anchors,
		.n_query_anchors = img_sketch_query_anchors(hash, anchors, IMG_QUERY_ANCHORS),
	};
	fp_list_add_sketch(out, &sk);
}

/* Takes one decode from the budget; 0 when it is spent (overflow set). */
static int budget_take(struct image_budget *b, const struct img_info *info, struct fp_list *out)
{
	uint64_t pixels = (uint64_t)info->width * info->height;
	if (b->decodes >= FP_IMAGE_MAX_DECODES || b->pixels + pixels > FP_IMAGE_MAX_PIXELS) {
		out->overflow = 1;
		return 0;
	}
	b->decodes++;
	b->pixels += pixels;
	return 1;
}

static void image_part(const struct fp_input *in, const struct mime_part *p,
                       enum cfg_image_depth depth, struct image_budget *budget,
                       struct fp_list *out)
{
	struct img_info info;
	struct img_thumb thumb;
	if (img_probe(p->data, p->data_len, &info) != 0)
		return;
	if (info.width < IMG_MIN_SIDE || info.height < IMG_MIN_SIDE)
		return;
	fp_list_add(out, WHORL_FP_IMAGE, FP_IMAGE_VERSION,
	            whorl_hash64(p->data, p->data_len, FP_IMAGE_SEED_BYTES), FP_IMAGE_F_BYTES);
	if (depth < CFG_IMAGE_MEDIUM || !budget_take(budget, &info, out))
		return;
	if (img_decode_thumb(p->data, p->data_len, &info, &thumb) != 0)
		return;
	fp_list_add(out, WHORL_FP_IMAGE, FP_IMAGE_VERSION, geometry_raw(&info, &thumb),
	            FP_IMAGE_F_GEOMETRY);
	if (depth >= CFG_IMAGE_HIGH && !img_thumb_is_flat(&thumb))
		add_sketch(in, out, img_thumb_phash(&thumb));
}

void fp_image_compute(const struct fp_input *in, struct fp_list *out)
{
	enum cfg_image_depth depth = in->cfg != NULL ? in->cfg->image_depth : CFG_IMAGE_HIGH;
	struct image_budget budget = { 0, 0 };
	if (depth == CFG_IMAGE_NONE || in->mime == NULL)
		return;
	for (size_t i = 0; i < in->mime->n_parts; i++) {
		const struct mime_part *p = &in->mime->parts[i];
		if (p->is_multipart || p->data == NULL ||
		    img_sniff(p->data, p->data_len) == IMG_FORMAT_NONE)
			continue;
		image_part(in, p, depth, &budget, out);
	}
}
