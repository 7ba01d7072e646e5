/*
 * test_image_fp.c - the image engine (cartridge/fp/image.c) at each
 * "image processing depth", on a message built by hand (no MIME parser).
 */
#include <check.h>

#include "check_main.h"
#include <stdlib.h>

#include "test_image_enc.h"

#include "../../abi/whorl_cartridge.h"
#include "../../cartridge/fp/fp.h"
#include "../../cartridge/img/img.h"
#include "../../cartridge/img/img_qr.h"
#include "../../cartridge/util/hash.h"

enum {
	P_ROOT,
	P_TEXT,
	P_PNG,
	P_JPEG_OCTET,
	P_PIXEL,
	P_BROKEN,
	P_PNG_AGAIN,
	N_PARTS
};

struct fixture {
	struct mime_part parts[N_PARTS];
	struct mime_msg msg;
	struct cfg cfg;
	struct arena arena;
	struct fp_input in;
	struct img_qr_lib qr;
	uint8_t *bufs[N_PARTS];
};

static void set_part(struct fixture *f, int i, const char *type, const char *sub, uint8_t *data,
                     size_t len)
{
	struct mime_part *p = &f->parts[i];
	p->parent = i == 0 ? -1 : 0;
	p->depth = i == 0 ? 0 : 1;
	p->type = type;
	p->subtype = sub;
	p->charset = "";
	p->filename = "";
	p->content_id = "";
	p->data = data;
	p->data_len = len;
	f->bufs[i] = data;
}

/* multipart/mixed with: text, image/png, a JPEG sent as octet-stream, a
 * 1x1 tracking GIF, a truncated JPEG, and the same PNG once more. */
static void fixture_init(struct fixture *f, enum cfg_image_depth depth)
{
	memset(f, 0, sizeof(*f));
	struct pic p = pic_make(7, 300, 200), q = pic_make(8, 200, 200), dot = pic_make(1, 1, 1);
	size_t len;
	uint8_t *b;
	set_part(f, P_ROOT, "multipart", "mixed", NULL, 0);
	f->parts[P_ROOT].is_multipart = 1;
	b = (uint8_t *)strdup("GIF89a is how this text starts? no: it starts here.");
	set_part(f, P_TEXT, "text", "plain", b, strlen((char *)b));
	b = pic_png(&p, 0, &len);
	set_part(f, P_PNG, "image", "png", b, len);
	b = pic_jpeg(&q, 80, &len);
	set_part(f, P_JPEG_OCTET, "application", "octet-stream", b, len);
	f->parts[P_JPEG_OCTET].is_attachment = 1;
	b = pic_gif(&dot, &len);
	set_part(f, P_PIXEL, "image", "gif", b, len);
	b = pic_jpeg(&p, 80, &len);
	set_part(f, P_BROKEN, "image", "jpeg", b, len / 2);
	b = malloc(f->parts[P_PNG].data_len);
	memcpy(b, f->parts[P_PNG].data, f->parts[P_PNG].data_len);
	set_part(f, P_PNG_AGAIN, "image", "png", b, f->parts[P_PNG].data_len);
	pic_free(&p);
	pic_free(&q);
	pic_free(&dot);
	f->msg.parts = f->parts;
	f->msg.n_parts = N_PARTS;
	f->msg.subject = "";
	f->cfg.image_depth = depth;
	arena_init(&f->arena);
	f->in.mime = &f->msg;
	f->in.cfg = &f->cfg;
	f->in.arena = &f->arena;
	f->in.visible = f->in.norm = f->in.skeleton = "";
	img_qr_lib_init(&f->qr, NULL);
	f->in.qr = &f->qr;
}

static void fixture_free(struct fixture *f)
{
	for (int i = 0; i < N_PARTS; i++)
		free(f->bufs[i]);
	arena_destroy(&f->arena);
	img_qr_lib_close(&f->qr);
}

static struct fp_list *compute(struct fixture *f, enum cfg_image_depth depth)
{
	fixture_init(f, depth);
	struct fp_list *out = calloc(1, sizeof(*out));
	fp_image_compute(&f->in, out);
	return out;
}

static int has_key(const struct fp_list *out, uint64_t raw, uint16_t flags)
{
	uint64_t key = whorl_fp_key(WHORL_FP_IMAGE, raw);
	for (size_t i = 0; i < out->n_fps; i++)
		if (out->fps[i].key == key && out->fps[i].flags == flags &&
		    out->fps[i].engine == WHORL_FP_IMAGE &&
		    out->fps[i].algo_version == fp_engine_get(WHORL_FP_IMAGE)->algo_version)
			return 1;
	return 0;
}

static size_t count_flags(const struct fp_list *out, uint16_t flags)
{
	size_t n = 0;
	for (size_t i = 0; i < out->n_fps; i++)
		n += out->fps[i].flags == flags;
	return n;
}

START_TEST(depth_none)
{
	struct fixture f;
	struct fp_list *out = compute(&f, CFG_IMAGE_NONE);
	ck_assert_uint_eq(out->n_fps, 0);
	ck_assert_uint_eq(out->n_sketches, 0);
	ck_assert_int_eq(out->overflow, 0);
	free(out);
	fixture_free(&f);
}
END_TEST

START_TEST(depth_low)
{
	struct fixture f;
	struct fp_list *out = compute(&f, CFG_IMAGE_LOW);
	/* the PNG (twice: one key), the sniffed JPEG, and the truncated JPEG,
	 * whose header is fine; not the tracking pixel, not the text */
	ck_assert_uint_eq(out->n_fps, 3);
	ck_assert_uint_eq(count_flags(out, FP_IMAGE_F_BYTES), 3);
	ck_assert_uint_eq(out->n_sketches, 0);
	ck_assert_int_eq(out->overflow, 0); /* low decodes no pixels: nothing was cut */
	const int parts[3] = { P_PNG, P_JPEG_OCTET, P_BROKEN };
	for (int i = 0; i < 3; i++) {
		const struct mime_part *p = &f.parts[parts[i]];
		ck_assert(has_key(out, whorl_hash64(p->data, p->data_len, 0x696d672d62797465ull),
		                  FP_IMAGE_F_BYTES));
	}
	free(out);
	fixture_free(&f);
}
END_TEST

/* The sketches the engine should give for an image: one per region of its
 * normalised content that hashes and holds enough ink (tiles from the
 * luminance copy, as the engine decodes with one), then with windows the
 * same for each of its windows (a scan's, img/img_window.c). */
static size_t expected_sketches(const struct mime_part *p, int windows,
                                uint8_t want[][IMG_SKETCH_BYTES], size_t cap)
{
	struct img_thumb *t = calloc(1, sizeof(*t));
	struct img_luma luma = { .px = malloc(IMG_LUMA_MAX_SIDE * IMG_LUMA_MAX_SIDE),
		                 .cap = IMG_LUMA_MAX_SIDE * IMG_LUMA_MAX_SIDE };
	struct img_info info;
	struct img_content c;
	struct img_box boxes[IMG_MAX_REGIONS + IMG_MAX_WINDOWS];
	size_t n = 0;
	t->luma = &luma;
	ck_assert_int_eq(img_decode_thumb(p->data, p->data_len, &info, t), 0);
	ck_assert_int_eq(img_content_find(t, &c), 0);
	size_t nb = img_content_regions(t, &c, boxes, IMG_MAX_REGIONS);
	ck_assert(nb >= 1);
	if (windows)
		nb += img_content_windows(t, &c, boxes + nb, IMG_MAX_WINDOWS);
	for (size_t i = 0; i < nb && n < cap; i++) {
		struct img_hash h;
		if (img_region_hash(t, &c, &boxes[i], &h) == 0 && h.ink >= IMG_MIN_INK)
			img_sketch_encode(&h, want[n++]);
	}
	free(luma.px);
	free(t);
	return n;
}

static void check_sketch(const struct fp_sketch *sk, const uint8_t *want)
{
	ck_assert_uint_eq(sk->engine, WHORL_FP_IMAGE);
	ck_assert_uint_eq(sk->algo_version, 3); /* golden: engines.c bumps it with the hash */
	ck_assert_uint_eq(sk->len, IMG_SKETCH_BYTES);
	ck_assert_mem_eq(sk->bytes, want, IMG_SKETCH_BYTES);
	ck_assert_uint_eq(sk->n_query_anchors, IMG_QUERY_ANCHORS);
	ck_assert(sk->n_query_anchors <= FP_MAX_QUERY_ANCHORS);
	uint32_t stored[IMG_STORED_ANCHORS];
	size_t n = img_sketch_anchors(sk->bytes, sk->len, stored, IMG_STORED_ANCHORS);
	ck_assert_uint_eq(n, IMG_STORED_ANCHORS);
	ck_assert(n <= FP_MAX_STORED_ANCHORS);
	for (size_t i = 0; i < n; i++) {
		int found = 0;
		for (size_t j = 0; j < sk->n_query_anchors; j++)
			found |= sk->query_anchors[j] == stored[i];
		ck_assert(found);
	}
	ck_assert(img_sketch_similarity(sk->bytes, sk->len, want, IMG_SKETCH_BYTES) == 1.0);
}

/* Medium and high give the same for images without a QR code: the bytes
 * keys, then each decodable image's region sketches and its windows, in
 * part order. No key describes the image's size or layout any more. */
static void check_pictures(enum cfg_image_depth depth)
{
	struct fixture f;
	struct fp_list *out = compute(&f, depth);
	ck_assert_uint_eq(out->n_fps, 3);
	ck_assert_uint_eq(count_flags(out, FP_IMAGE_F_BYTES), 3);
	enum {
		CAP = 3 * (IMG_MAX_REGIONS + IMG_MAX_WINDOWS)
	};
	uint8_t want[CAP][IMG_SKETCH_BYTES];
	size_t n = 0;
	const int parts[3] = { P_PNG, P_JPEG_OCTET, P_PNG_AGAIN };
	for (int i = 0; i < 3; i++)
		n += expected_sketches(&f.parts[parts[i]], 1, want + n, CAP - n);
	ck_assert_uint_ge(n, 3);
	ck_assert_uint_eq(out->n_sketches, n);
	for (size_t i = 0; i < n; i++)
		check_sketch(&out->sketches[i], want[i]);
	/* The truncated JPEG's pixels could not be decoded: the engine did not
	 * see all of the message, and says so (rescan; docs/LIMITS.md). */
	ck_assert_int_eq(out->overflow, 1);
	free(out);
	fixture_free(&f);
}

START_TEST(depth_medium)
{
	check_pictures(CFG_IMAGE_MEDIUM);
}
END_TEST

START_TEST(depth_high)
{
	check_pictures(CFG_IMAGE_HIGH);
}
END_TEST

START_TEST(null_cfg_means_high)
{
	struct fixture f, g;
	struct fp_list *high = compute(&g, CFG_IMAGE_HIGH);
	fixture_init(&f, CFG_IMAGE_LOW);
	f.in.cfg = NULL;
	struct fp_list *out = calloc(1, sizeof(*out));
	fp_image_compute(&f.in, out);
	ck_assert_uint_eq(out->n_sketches, high->n_sketches);
	ck_assert_uint_gt(out->n_sketches, 0);
	free(out);
	free(high);
	fixture_free(&f);
	fixture_free(&g);
}
END_TEST

/* More images than the per-message budget: the rest is not decoded and the
 * list says the engine did not see everything. */
START_TEST(decode_budget_sets_overflow)
{
	enum {
		N = 40
	};
	struct mime_part parts[N];
	uint8_t *bufs[N];
	memset(parts, 0, sizeof(parts));
	for (int i = 0; i < N; i++) {
		struct pic p = pic_make(200 + (uint64_t)i, 64, 64);
		size_t len;
		bufs[i] = pic_png(&p, 0, &len);
		parts[i].type = "image";
		parts[i].subtype = "png";
		parts[i].data = bufs[i];
		parts[i].data_len = len;
		pic_free(&p);
	}
	struct mime_msg msg = { .parts = parts, .n_parts = N };
	struct cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.image_depth = CFG_IMAGE_HIGH;
	struct arena a;
	arena_init(&a);
	struct img_qr_lib qr;
	img_qr_lib_init(&qr, NULL);
	struct fp_input in = { .mime = &msg, .cfg = &cfg, .arena = &a, .qr = &qr };
	struct fp_list *out = calloc(1, sizeof(*out));
	fp_image_compute(&in, out);
	ck_assert_uint_eq(count_flags(out, FP_IMAGE_F_BYTES), N);
	ck_assert_uint_gt(out->n_sketches, 0);
	/* 16 images decoded (FP_IMAGE_MAX_DECODES): within their 24 region
	 * sketches and 8 images' windows (fp/image.c), not all 40 images' */
	ck_assert_uint_le(out->n_sketches, 24 + 8 * IMG_MAX_WINDOWS);
	ck_assert_int_eq(out->overflow, 1);
	free(out);
	arena_destroy(&a);
	img_qr_lib_close(&qr);
	for (int i = 0; i < N; i++)
		free(bufs[i]);
}
END_TEST

/* An image/png part whose header is broken: nothing of the picture was seen,
 * and the list says so even at depth low (only the header is read there). */
START_TEST(broken_header_sets_overflow)
{
	static uint8_t bad[] = "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR garbage, no size";
	struct mime_part part;
	memset(&part, 0, sizeof(part));
	part.type = "image";
	part.subtype = "png";
	part.data = bad;
	part.data_len = sizeof(bad) - 1;
	struct mime_msg msg = { .parts = &part, .n_parts = 1 };
	struct cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.image_depth = CFG_IMAGE_LOW;
	struct arena a;
	arena_init(&a);
	struct fp_input in = { .mime = &msg, .cfg = &cfg, .arena = &a };
	struct fp_list *out = calloc(1, sizeof(*out));
	fp_image_compute(&in, out);
	ck_assert_uint_eq(out->n_fps, 0);
	ck_assert_int_eq(out->overflow, 1);
	free(out);
	arena_destroy(&a);
}
END_TEST

/* A publisher's record (fingerprint(): in->publishing) holds the scan's
 * region sketches first, then the first image's crops, all of them (the
 * message's crop bound is one image's), and no window; a scan computes no
 * crop. */
START_TEST(publishing_adds_crops)
{
	struct fixture f, g; /* g's arena holds the scan's sketches */
	struct fp_list *scan = compute(&g, CFG_IMAGE_MEDIUM);
	fixture_init(&f, CFG_IMAGE_MEDIUM);
	f.in.publishing = 1;
	struct fp_list *pub = calloc(1, sizeof(*pub));
	fp_image_compute(&f.in, pub);
	ck_assert_uint_eq(pub->n_fps, scan->n_fps);
	ck_assert_uint_gt(pub->n_sketches, scan->n_sketches);
	enum {
		CAP = 3 * IMG_MAX_REGIONS
	};
	uint8_t regions[CAP][IMG_SKETCH_BYTES];
	size_t nr = 0;
	const int parts[3] = { P_PNG, P_JPEG_OCTET, P_PNG_AGAIN };
	for (int i = 0; i < 3; i++)
		nr += expected_sketches(&f.parts[parts[i]], 0, regions + nr, CAP - nr);
	ck_assert_uint_lt(nr, scan->n_sketches); /* the scan's windows */
	ck_assert_uint_le(pub->n_sketches, nr + IMG_MAX_CROPS);
	/* the region sketches, in order, are a subsequence (crops follow their
	 * image); windows are not published */
	size_t k = 0;
	for (size_t i = 0; i < pub->n_sketches && k < nr; i++)
		k += memcmp(pub->sketches[i].bytes, regions[k], IMG_SKETCH_BYTES) == 0;
	ck_assert_uint_eq(k, nr);
	for (size_t i = 0; i < pub->n_sketches; i++) {
		ck_assert_uint_eq(pub->sketches[i].len, IMG_SKETCH_BYTES);
		ck_assert_uint_ge(pub->sketches[i].bytes[8], IMG_MIN_INK);
	}
	/* crops are a publisher's: the same message scanned has none */
	struct fp_list *again = calloc(1, sizeof(*again));
	f.in.publishing = 0;
	fp_image_compute(&f.in, again);
	ck_assert_uint_eq(again->n_sketches, scan->n_sketches);
	free(again);
	free(pub);
	free(scan);
	fixture_free(&f);
	fixture_free(&g);
}
END_TEST

START_TEST(fp_list_bounds)
{
	struct fp_list *out = calloc(1, sizeof(*out));
	for (uint64_t i = 0; i < FP_MAX_FPS + 10; i++) {
		fp_list_add(out, WHORL_FP_IMAGE, i, 0);
		fp_list_add(out, WHORL_FP_IMAGE, i, 0);
	}
	ck_assert_uint_eq(out->n_fps, FP_MAX_FPS);
	ck_assert_int_eq(out->overflow, 1);
	ck_assert_uint_eq(out->fps[5].key, whorl_fp_key(WHORL_FP_IMAGE, 5));
	struct fp_sketch sk = { .engine = WHORL_FP_IMAGE, .len = 8 };
	for (int i = 0; i < FP_MAX_SKETCHES + 3; i++)
		fp_list_add_sketch(out, &sk);
	ck_assert_uint_eq(out->n_sketches, FP_MAX_SKETCHES);
	free(out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("image_fp");
	TCase *tc = tcase_create("fp_image");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, depth_none);
	tcase_add_test(tc, depth_low);
	tcase_add_test(tc, depth_medium);
	tcase_add_test(tc, depth_high);
	tcase_add_test(tc, null_cfg_means_high);
	tcase_add_test(tc, decode_budget_sets_overflow);
	tcase_add_test(tc, broken_header_sets_overflow);
	tcase_add_test(tc, publishing_adds_crops);
	tcase_add_test(tc, fp_list_bounds);
	suite_add_tcase(s, tc);
	return check_run(s);
}
