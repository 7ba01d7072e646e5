/*
 * test_image_qr.c - QR codes read by the image engine at depth high
 * (cartridge/img/img_qr.c, cartridge/fp/image.c), on the codes in
 * tests/data/img/ (made with python3-qrcode): a link and the same link
 * redrawn (other version, error correction, module size) with tracking
 * parameters added; a Wi-Fi code (text); 2,500 bytes of binary payload.
 * libzbar is opened at the first search for codes, not before, and a scan
 * without it reads no code and says so (overflow: the message is rescan).
 */
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>

#include "../../abi/whorl_cartridge.h"
#include "../../cartridge/fp/fp.h"
#include "../../cartridge/img/img.h"
#include "../../cartridge/img/img_qr.h"

struct one_image {
	struct mime_part parts[2];
	struct mime_msg msg;
	struct cfg cfg;
	struct arena arena;
	struct fp_input in;
	struct img_qr_lib qr;
	uint8_t *data;
};

static uint8_t *read_data(const char *name, size_t *len)
{
	const char *src = getenv("WHORL_SRCDIR");
	char path[512];
	snprintf(path, sizeof(path), "%s/tests/data/img/%s", src != NULL && *src ? src : ".", name);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	uint8_t *b = malloc(1 << 20);
	*len = fread(b, 1, 1 << 20, f);
	fclose(f);
	ck_assert_uint_gt(*len, 0);
	return b;
}

static struct fp_list *scan_image(struct one_image *m, const char *name, enum cfg_image_depth depth)
{
	memset(m, 0, sizeof(*m));
	size_t len;
	m->data = read_data(name, &len);
	m->parts[0] = (struct mime_part){ .parent = -1,
		                          .type = "multipart",
		                          .subtype = "mixed",
		                          .is_multipart = 1,
		                          .charset = "",
		                          .filename = "",
		                          .content_id = "" };
	m->parts[1] = (struct mime_part){ .parent = 0,
		                          .depth = 1,
		                          .type = "image",
		                          .subtype = "png",
		                          .charset = "",
		                          .filename = "",
		                          .content_id = "",
		                          .data = m->data,
		                          .data_len = len };
	m->msg.parts = m->parts;
	m->msg.n_parts = 2;
	m->msg.subject = "";
	m->cfg.image_depth = depth;
	arena_init(&m->arena);
	img_qr_lib_init(&m->qr, NULL);
	m->in = (struct fp_input){ .mime = &m->msg,
		                   .cfg = &m->cfg,
		                   .arena = &m->arena,
		                   .visible = "",
		                   .norm = "",
		                   .skeleton = "",
		                   .qr = &m->qr };
	struct fp_list *out = calloc(1, sizeof(*out));
	fp_image_compute(&m->in, out);
	return out;
}

static void done(struct one_image *m, struct fp_list *out)
{
	free(out);
	free(m->data);
	arena_destroy(&m->arena);
	img_qr_lib_close(&m->qr);
}

static size_t count_engine(const struct fp_list *l, unsigned engine, int flags)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n_fps; i++)
		n += l->fps[i].engine == engine && (flags < 0 || l->fps[i].flags == flags);
	return n;
}

static int same_key(const struct fp_list *a, const struct fp_list *b, unsigned engine)
{
	for (size_t i = 0; i < a->n_fps; i++)
		for (size_t j = 0; j < b->n_fps; j++)
			if (a->fps[i].engine == engine && a->fps[i].key == b->fps[j].key)
				return 1;
	return 0;
}

START_TEST(link_redrawn_with_tracking_is_the_same)
{
	struct one_image a, b;
	struct fp_list *la = scan_image(&a, "qr-url.png", CFG_IMAGE_HIGH);
	struct fp_list *lb = scan_image(&b, "qr-url-tracked.png", CFG_IMAGE_HIGH);
	/* host+path and registered domain, as for a link in text */
	ck_assert_uint_eq(count_engine(la, WHORL_FP_URL, -1), 2);
	ck_assert_uint_eq(count_engine(lb, WHORL_FP_URL, -1), 2);
	ck_assert_uint_eq(count_engine(la, WHORL_FP_IMAGE, FP_IMAGE_F_QR), 1);
	ck_assert(same_key(la, lb, WHORL_FP_URL));
	ck_assert(same_key(la, lb, WHORL_FP_IMAGE));
	/* the picture of a QR code identifies nothing: no sketch */
	ck_assert_uint_eq(la->n_sketches, 0);
	ck_assert_uint_eq(lb->n_sketches, 0);
	ck_assert_int_eq(la->overflow, 0);
	done(&a, la);
	done(&b, lb);
}
END_TEST

START_TEST(text_payload_goes_to_the_body_engine)
{
	struct one_image a;
	struct fp_list *l = scan_image(&a, "qr-wifi.png", CFG_IMAGE_HIGH);
	ck_assert_uint_eq(count_engine(l, WHORL_FP_URL, -1), 0);
	/* Its words and its letters digests (body.c), as for a text part. */
	ck_assert_uint_eq(count_engine(l, WHORL_FP_BODY, -1), 2);
	ck_assert_uint_eq(count_engine(l, WHORL_FP_IMAGE, FP_IMAGE_F_QR), 1);
	done(&a, l);
}
END_TEST

START_TEST(medium_reads_no_codes)
{
	struct one_image a;
	struct fp_list *l = scan_image(&a, "qr-url.png", CFG_IMAGE_MEDIUM);
	ck_assert_uint_eq(count_engine(l, WHORL_FP_URL, -1), 0);
	ck_assert_uint_eq(count_engine(l, WHORL_FP_IMAGE, FP_IMAGE_F_QR), 0);
	ck_assert_uint_eq(count_engine(l, WHORL_FP_IMAGE, FP_IMAGE_F_BYTES), 1);
	done(&a, l);
}
END_TEST

/* The best similarity between any sketch of a and any of b (0 when either
 * has none). */
static double best_similarity(const struct fp_list *a, const struct fp_list *b)
{
	double best = 0;
	for (size_t i = 0; i < a->n_sketches; i++)
		for (size_t j = 0; j < b->n_sketches; j++) {
			double s = img_sketch_similarity(a->sketches[i].bytes, a->sketches[i].len,
			                                 b->sketches[j].bytes, b->sketches[j].len);
			best = s > best ? s : best;
		}
	return best;
}

/* At medium no code is read, so a QR image is only a picture: two different
 * codes (a link, the link redrawn with tracking, a Wi-Fi code) must not
 * match each other by it, while a code matches its own picture. */
START_TEST(medium_other_codes_do_not_match_by_picture)
{
	static const char *names[] = { "qr-url.png", "qr-url-tracked.png", "qr-wifi.png" };
	struct one_image m[3];
	struct fp_list *l[3];
	for (int i = 0; i < 3; i++) {
		l[i] = scan_image(&m[i], names[i], CFG_IMAGE_MEDIUM);
		ck_assert_uint_gt(l[i]->n_sketches, 0); /* the picture is hashed */
	}
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++) {
			double s = best_similarity(l[i], l[j]);
			if (i == j)
				ck_assert(s == 1.0);
			else
				ck_assert_msg(s < IMG_SKETCH_THRESHOLD, "%s matches %s (%.3f)",
				              names[i], names[j], s);
		}
	for (int i = 0; i < 3; i++)
		done(&m[i], l[i]);
}
END_TEST

/* A payload over IMG_QR_MAX_BYTES is cut (the message says rescan), what
 * was kept still gives a key, nothing crashes. */
START_TEST(huge_binary_payload_is_cut)
{
	struct one_image a;
	struct fp_list *l = scan_image(&a, "qr-binary-2500.png", CFG_IMAGE_HIGH);
	ck_assert_int_eq(l->overflow, 1);
	ck_assert_uint_eq(count_engine(l, WHORL_FP_IMAGE, FP_IMAGE_F_QR), 1);
	done(&a, l);
}
END_TEST

START_TEST(decoder_on_blank_and_tiny_copies)
{
	uint8_t px[64 * 64];
	memset(px, 255, sizeof(px));
	struct img_luma l = { .px = px, .cap = sizeof(px), .w = 64, .h = 64, .step = 1 };
	struct img_qr_result r;
	struct img_qr_lib q;
	img_qr_lib_init(&q, NULL);
	ck_assert_int_eq(img_qr_scan(&q, &l, &r), 0);
	ck_assert_uint_eq(r.n, 0);
	l.w = l.h = 1;
	ck_assert_int_eq(img_qr_scan(&q, &l, &r), 0);
	l.w = 0;
	ck_assert_int_eq(img_qr_scan(&q, &l, &r), 0);
	ck_assert_uint_eq(r.n, 0);
	img_qr_lib_close(&q);
}
END_TEST

/* libzbar is mapped only once a picture is searched for codes. */
static int zbar_mapped(void)
{
	char line[1024];
	int found = 0;
	FILE *f = fopen("/proc/self/maps", "r");
	ck_assert_ptr_nonnull(f);
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, "/libzbar.so") != NULL;
	fclose(f);
	return found;
}

START_TEST(library_opened_at_the_first_search)
{
	struct one_image a;
	int linked = zbar_mapped(); /* a sanitizer build links it into this program */
	struct fp_list *l = scan_image(&a, "qr-url.png", CFG_IMAGE_MEDIUM);
	ck_assert_int_eq(atomic_load(&a.qr.lib.state), DYNLIB_UNTRIED);
	ck_assert_ptr_null(a.qr.lib.dl);
	ck_assert_int_eq(zbar_mapped(), linked);
	done(&a, l);
	l = scan_image(&a, "qr-url.png", CFG_IMAGE_HIGH);
	ck_assert_int_eq(atomic_load(&a.qr.lib.state), DYNLIB_OPEN);
	ck_assert_int_eq(zbar_mapped(), 1);
	ck_assert_uint_eq(count_engine(l, WHORL_FP_IMAGE, FP_IMAGE_F_QR), 1);
	done(&a, l);
	ck_assert_ptr_null(a.qr.lib.dl); /* dlclosed with its img_qr_lib */
}
END_TEST

START_TEST(without_the_library_no_code_is_read_and_the_scan_says_so)
{
	struct one_image a;
	struct fp_list *l = calloc(1, sizeof(*l));
	free(scan_image(&a, "qr-url.png", CFG_IMAGE_HIGH));
	a.in.qr = NULL;
	fp_image_compute(&a.in, l);
	ck_assert_int_eq(l->overflow, 1);
	ck_assert_uint_eq(count_engine(l, WHORL_FP_IMAGE, FP_IMAGE_F_QR), 0);
	done(&a, l);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("image_qr");
	TCase *tc = tcase_create("qr");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, link_redrawn_with_tracking_is_the_same);
	tcase_add_test(tc, text_payload_goes_to_the_body_engine);
	tcase_add_test(tc, medium_reads_no_codes);
	tcase_add_test(tc, medium_other_codes_do_not_match_by_picture);
	tcase_add_test(tc, huge_binary_payload_is_cut);
	tcase_add_test(tc, decoder_on_blank_and_tiny_copies);
	tcase_add_test(tc, library_opened_at_the_first_search);
	tcase_add_test(tc, without_the_library_no_code_is_read_and_the_scan_says_so);
	suite_add_tcase(s, tc);
	return check_run(s);
}
