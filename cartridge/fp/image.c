/*
 * image.c - the image engine: fingerprints of the GIF, PNG and JPEG images
 * a message carries, inline or attached, and of the QR codes in them.
 *
 * Catches image spam that repeats a picture while changing everything else,
 * and QR phishing that redraws its code. What each fingerprint means (and
 * why none describes layout) is in docs/SCORING.md:
 *   depth low:    the digest of the image's decoded bytes (the same file);
 *   depth medium: also a perceptual hash of each region of the normalised
 *                 picture (img/img_region.c: frame and margins trimmed, a
 *                 polarity-free hash, the content and the content without a
 *                 banner strip) with the region's ink, as sketches; a
 *                 publisher's record (fingerprint(), not score()) adds
 *                 the sketches of the content's crops (img/img_crop.c),
 *                 a scan those of its windows (img/img_window.c: the
 *                 box with a side or a corner moved in by a cell or two);
 *   depth high:   also the QR codes read with libzbar: a URL payload gives
 *                 the url engine's keys, any other payload the body
 *                 engine's text digest, and either an image key of the
 *                 payload (normalised as the url or text engine does). An image that is mostly a QR code
 *                 gives no picture sketch: QR codes look alike at the
 *                 resolution of a perceptual hash, their payload is what
 *                 identifies them.
 * Misses: crops past 12 % of a side, some corner crops (docs/BENCHMARKS.md),
 * a sparse picture's crops given new margins, rotations, pictures split across several images,
 * formats other than GIF/PNG/JPEG, frames after the first of an animated
 * GIF, QR codes whose modules are under 2 px after the copy's scaling.
 *
 * Images under IMG_MIN_SIDE pixels a side (tracking pixels, spacers) and
 * images whose header cannot be read give nothing. An image whose pixels
 * cannot be decoded keeps its "low" key. Work per message is bounded by the
 * named limits below; a message past one sets out->overflow (rescan).
 * Memory: one thumb per message, one luminance copy (1 MiB: the tiles'
 * pixels and the QR decoder's input) and the tiles' summed-area table
 * (2 MiB, IMG_TILES_SAT_ENTRIES), from the arena; a publisher's crops
 * add IMG_MAX_CROPS sketches (about 80 KiB) at most, a scan's windows
 * FP_IMAGE_MAX_WINDOW_SKETCHES (about 39 KiB).
 *
 * Not for: decoding (img/), looking the fingerprints up (sigdb/).
 */
#include <string.h>
#include <strings.h>

#include "../img/img.h"
#include "../img/img_qr.h"
#include "../util/hash.h"
#include "fp.h"

#define FP_IMAGE_MAX_DECODES 16 /* images decoded per message */
#define FP_IMAGE_MAX_PIXELS \
	(16u << 20)              /* declared pixels decoded per message: one
                                            * 16M-pixel PNG takes ~140 ms */
#define FP_IMAGE_MAX_SKETCHES 24 /* region sketches per message */
/* Crop sketches a publisher adds per message (img.h, IMG_MAX_CROPS per
 * image): the first image's crops all fit. */
#define FP_IMAGE_MAX_CROP_SKETCHES IMG_MAX_CROPS
/* Window sketches a scan adds per message (img.h, IMG_MAX_WINDOWS per
 * image): the windows of the first 8 pictures; past it the rest are cut
 * (rescan). */
#define FP_IMAGE_MAX_WINDOW_SKETCHES (8 * IMG_MAX_WINDOWS)
#define FP_IMAGE_MAX_QR_SCANS 8 /* images searched for QR codes per message */
#define FP_IMAGE_QR_MAJOR 4     /* a code over 1/4 of the content: no picture sketch */
#define FP_IMAGE_SEED_BYTES 0x696d672d62797465ull /* "img-byte" */
#define FP_IMAGE_SEED_QR 0x696d672d71722d31ull    /* "img-qr-1" */

struct image_work {
	unsigned decodes;
	uint64_t pixels;
	unsigned sketches;
	unsigned crop_sketches;
	unsigned window_sketches;
	unsigned qr_scans;
	struct img_thumb *thumb; /* from the arena, at the first decode */
	struct img_luma luma;    /* px from the arena, at the first decode */
};

/* Appends h's sketch (bytes and query anchors copied to the arena), counted
 * in *count against limit (overflow set past it). */
static void add_picture(const struct fp_input *in, struct fp_list *out, const struct img_hash *h,
                        unsigned *count, unsigned limit)
{
	if (*count >= limit) {
		out->overflow = 1;
		return;
	}
	uint8_t *bytes = arena_alloc(in->arena, IMG_SKETCH_BYTES);
	uint32_t *a = arena_alloc(in->arena, IMG_QUERY_ANCHORS * sizeof(*a));
	if (bytes == NULL || a == NULL) {
		out->overflow = 1;
		return;
	}
	(*count)++;
	img_sketch_encode(h, bytes);
	struct fp_sketch sk = {
		.engine = WHORL_FP_IMAGE,
		.len = IMG_SKETCH_BYTES,
		.bytes = bytes,
		.query_anchors = a,
		.n_query_anchors = img_sketch_query_anchors(h->hash, a, IMG_QUERY_ANCHORS),
	};
	fp_list_add_sketch(out, &sk);
}

/* Appends the sketches of boxes[0..n) that hash and hold enough ink,
 * counted in *count against limit. */
static void add_boxes(const struct fp_input *in, struct fp_list *out, const struct image_work *w,
                      const struct img_content *c, const struct img_box *boxes, size_t n,
                      unsigned *count, unsigned limit)
{
	for (size_t i = 0; i < n; i++) {
		struct img_hash h;
		if (img_region_hash(w->thumb, c, &boxes[i], &h) == 0 && h.ink >= IMG_MIN_INK)
			add_picture(in, out, &h, count, limit);
	}
}

/* A publisher's record of the picture also holds the sketches of its
 * crops (img/img_crop.c), within FP_IMAGE_MAX_CROP_SKETCHES a message; a
 * scan's holds those of its windows instead (img/img_window.c: the content
 * box with a side or a corner moved in), within
 * FP_IMAGE_MAX_WINDOW_SKETCHES: the two meet halfway. */
static void add_crops_or_windows(const struct fp_input *in, struct fp_list *out,
                                 struct image_work *w, const struct img_content *c)
{
	struct img_box boxes[IMG_MAX_CROPS > IMG_MAX_WINDOWS ? IMG_MAX_CROPS : IMG_MAX_WINDOWS];
	if (in->publishing)
		add_boxes(in, out, w, c, boxes,
		          img_content_crops(w->thumb, c, boxes, IMG_MAX_CROPS), &w->crop_sketches,
		          FP_IMAGE_MAX_CROP_SKETCHES);
	else
		add_boxes(in, out, w, c, boxes,
		          img_content_windows(w->thumb, c, boxes, IMG_MAX_WINDOWS),
		          &w->window_sketches, FP_IMAGE_MAX_WINDOW_SKETCHES);
}

/* Takes one decode from the budget; 0 when it is spent (overflow set). */
static int budget_take(struct image_work *w, const struct img_info *info, struct fp_list *out)
{
	uint64_t pixels = (uint64_t)info->width * info->height;
	if (w->decodes >= FP_IMAGE_MAX_DECODES || w->pixels + pixels > FP_IMAGE_MAX_PIXELS) {
		out->overflow = 1;
		return 0;
	}
	w->decodes++;
	w->pixels += pixels;
	return 1;
}

static int is_url(const uint8_t *d, size_t len)
{
	return (len >= 7 && strncmp((const char *)d, "http://", 7) == 0) ||
	       (len >= 8 && strncmp((const char *)d, "https://", 8) == 0) ||
	       (len >= 4 && strncmp((const char *)d, "www.", 4) == 0);
}

/* A payload's keys: a link to the url engine, other text to the body's;
 * and the image engine's own key of what the code carries (the link's
 * normalised host and path, or the normalised text). */
static void qr_payload(const struct fp_input *in, struct fp_list *out, const struct img_qr_code *c)
{
	size_t s = 0, e = c->len;
	while (s < e && (c->data[s] == ' ' || c->data[s] == '\t' || c->data[s] == '\r' ||
	                 c->data[s] == '\n'))
		s++;
	while (e > s && (c->data[e - 1] == ' ' || c->data[e - 1] == '\r' || c->data[e - 1] == '\n'))
		e--;
	uint64_t raw;
	if (is_url(c->data + s, e - s) && memchr(c->data + s, '\n', e - s) == NULL &&
	    fp_url_add_link(out, (const char *)c->data + s, e - s, &raw) == 0) {
		fp_list_add(out, WHORL_FP_IMAGE, whorl_hash_combine(raw, FP_IMAGE_SEED_QR),
		            FP_IMAGE_F_QR);
		return;
	}
	char *norm = arena_alloc(in->arena, e - s + 1);
	if (norm == NULL) {
		out->overflow = 1;
		return;
	}
	size_t n = text_normalise((const char *)c->data + s, e - s, norm, e - s + 1, NULL);
	fp_body_add_text(out, norm, n);
	if (n > 0)
		fp_list_add(out, WHORL_FP_IMAGE, whorl_hash64(norm, n, FP_IMAGE_SEED_QR),
		            FP_IMAGE_F_QR);
}

/* Reads the image's QR codes; returns whether one covers more than
 * 1/FP_IMAGE_QR_MAJOR of the content box. */
static int qr_codes(const struct fp_input *in, struct fp_list *out, struct image_work *w,
                    const struct img_content *c)
{
	struct img_qr_result r;
	if (w->luma.w == 0)
		return 0;
	if (img_qr_scan(in->qr, &w->luma, &r) != 0 || r.cut)
		out->overflow = 1;
	int major = 0;
	uint64_t bw = (uint64_t)(c->box.x1 - c->box.x0) * w->luma.w / IMG_FINE + 1;
	uint64_t bh = (uint64_t)(c->box.y1 - c->box.y0) * w->luma.h / IMG_FINE + 1;
	for (size_t i = 0; i < r.n; i++) {
		const struct img_qr_code *q = &r.codes[i];
		qr_payload(in, out, q);
		uint64_t area = (uint64_t)(q->x1 - q->x0) * (q->y1 - q->y0);
		major |= area * FP_IMAGE_QR_MAJOR > bw * bh;
	}
	return major;
}

/* The per-message buffers, taken from the arena at the first decode; 0
 * when the arena is spent (overflow set). */
static int work_buffers(const struct fp_input *in, struct fp_list *out, struct image_work *w)
{
	if (w->thumb != NULL)
		return 1;
	w->thumb = arena_alloc(in->arena, sizeof(*w->thumb));
	w->luma.cap = (size_t)IMG_LUMA_MAX_SIDE * IMG_LUMA_MAX_SIDE;
	w->luma.px = arena_alloc(in->arena, w->luma.cap);
	w->luma.sat_cap = IMG_TILES_SAT_ENTRIES;
	w->luma.sat = arena_alloc(in->arena, w->luma.sat_cap * sizeof(*w->luma.sat));
	if (w->thumb == NULL || w->luma.px == NULL || w->luma.sat == NULL) {
		w->thumb = NULL;
		out->overflow = 1;
		return 0;
	}
	return 1;
}

static void image_pixels(const struct fp_input *in, const struct mime_part *p,
                         enum cfg_image_depth depth, struct image_work *w, struct fp_list *out)
{
	struct img_info info;
	struct img_content c;
	if (!work_buffers(in, out, w))
		return;
	w->thumb->luma = &w->luma;
	w->luma.w = w->luma.h = 0;
	if (img_decode_thumb(p->data, p->data_len, &info, w->thumb) != 0) {
		out->overflow = 1; /* truncated or corrupt pixels: not all of it was seen */
		return;
	}
	if (img_content_find(w->thumb, &c) != 0)
		return;
	if (depth >= CFG_IMAGE_HIGH) {
		if (w->qr_scans >= FP_IMAGE_MAX_QR_SCANS)
			out->overflow = 1;
		else if (w->qr_scans++, qr_codes(in, out, w, &c))
			return;
	}
	struct img_box boxes[IMG_MAX_REGIONS];
	add_boxes(in, out, w, &c, boxes, img_content_regions(w->thumb, &c, boxes, IMG_MAX_REGIONS),
	          &w->sketches, FP_IMAGE_MAX_SKETCHES);
	add_crops_or_windows(in, out, w, &c);
}

static void image_part(const struct fp_input *in, const struct mime_part *p,
                       enum cfg_image_depth depth, struct image_work *w, struct fp_list *out)
{
	struct img_info info;
	if (img_probe(p->data, p->data_len, &info) != 0) {
		/* It starts like an image but its header is malformed or past a
		 * bound (a bomb): whatever it shows was not seen (rescan). A text
		 * part that merely starts with "GIF89a" is read by the text
		 * engines, so nothing of it is lost. */
		if (strcasecmp(p->type, "text") != 0)
			out->overflow = 1;
		return;
	}
	if (info.width < IMG_MIN_SIDE || info.height < IMG_MIN_SIDE)
		return;
	fp_list_add(out, WHORL_FP_IMAGE, whorl_hash64(p->data, p->data_len, FP_IMAGE_SEED_BYTES),
	            FP_IMAGE_F_BYTES);
	if (depth >= CFG_IMAGE_MEDIUM && budget_take(w, &info, out))
		image_pixels(in, p, depth, w, out);
}

void fp_image_compute(const struct fp_input *in, struct fp_list *out)
{
	enum cfg_image_depth depth = in->cfg != NULL ? in->cfg->image_depth : CFG_IMAGE_HIGH;
	struct image_work w;
	memset(&w, 0, sizeof(w));
	if (depth == CFG_IMAGE_NONE || in->mime == NULL)
		return;
	for (size_t i = 0; i < in->mime->n_parts; i++) {
		const struct mime_part *p = &in->mime->parts[i];
		if (p->is_multipart || p->data == NULL ||
		    img_sniff(p->data, p->data_len) == IMG_FORMAT_NONE)
			continue;
		image_part(in, p, depth, &w, out);
	}
}
