/*
 * test_image_crop.c - the crops a publisher stores beside a picture
 * (cartridge/img/img_crop.c) and what they match.
 *
 * A "newsletter" template is drawn in the test (a title bar, lines of
 * word-like blocks, a footer rule): the campaign and a legitimate mail
 * share the template, only their words differ. Golden vectors: copies of
 * the campaign with 5-10 % cut off one side, two opposite sides or a corner
 * match the published record (the picture's sketches and its crops), while
 * the legitimate picture of the same template, whole or cropped, does not;
 * without the crops, a cropped copy does not match.
 */
#include <check.h>

#include "check_main.h"
#include <stdlib.h>

#include "test_image_enc.h"

#include "../../abi/whorl_cartridge.h"
#include "../../cartridge/img/img.h"

#define MAX_STORED (IMG_MAX_REGIONS + IMG_MAX_CROPS + IMG_MAX_WINDOWS)

/* Stored-form sketches of one picture. */
struct record {
	uint8_t sk[MAX_STORED][IMG_SKETCH_BYTES];
	size_t n;
};

/* The template: 600 px wide, a title bar, 12 lines of "words" (blocks of
 * widths drawn from seed), a footer rule. */
static struct pic newsletter(uint64_t seed)
{
	const uint8_t title[3] = { 0, 82, 155 }, ink[3] = { 30, 30, 30 },
	              rule[3] = { 200, 200, 200 };
	struct pic p = { .w = 600, .h = 380, .rgb = pic_xmalloc((size_t)600 * 380 * 3) };
	memset(p.rgb, 255, (size_t)600 * 380 * 3);
	uint64_t s = seed;
	pic_fill_rect(&p, 0, 0, 600, 48, title);
	for (int line = 0; line < 12; line++) {
		int y = 72 + 22 * line, x = 24;
		while (x < 540) {
			int w = 12 + (int)pic_rand(&s, 60);
			pic_fill_rect(&p, x, y, x + w < 576 ? x + w : 576, y + 12, ink);
			x += w + 8;
		}
	}
	pic_fill_rect(&p, 24, 350, 576, 351, rule);
	return p;
}

/* p with l, t, r, b pixels cut off its sides. */
static struct pic crop(const struct pic *p, uint32_t l, uint32_t t, uint32_t r, uint32_t b)
{
	struct pic q = { .w = p->w - l - r, .h = p->h - t - b };
	q.rgb = pic_xmalloc((size_t)q.w * q.h * 3);
	for (uint32_t y = 0; y < q.h; y++)
		memcpy(q.rgb + (size_t)y * q.w * 3, p->rgb + ((size_t)(y + t) * p->w + l) * 3,
		       (size_t)q.w * 3);
	return q;
}

/* p on a white canvas with l, t, r, b pixels of new margin. */
static struct pic pad(const struct pic *p, uint32_t l, uint32_t t, uint32_t r, uint32_t b)
{
	struct pic q = { .w = p->w + l + r, .h = p->h + t + b };
	q.rgb = pic_xmalloc((size_t)q.w * q.h * 3);
	memset(q.rgb, 255, (size_t)q.w * q.h * 3);
	for (uint32_t y = 0; y < p->h; y++)
		memcpy(q.rgb + ((size_t)(y + t) * q.w + l) * 3, p->rgb + (size_t)y * p->w * 3,
		       (size_t)p->w * 3);
	return q;
}

/* Decodes p (PNG, no luminance copy) into *t and finds its content. */
static void content_of(const struct pic *p, struct img_thumb *t, struct img_content *c)
{
	size_t len;
	uint8_t *png = pic_png(p, 0, &len);
	struct img_info info;
	ck_assert_int_eq(img_decode_thumb(png, len, &info, t), 0);
	ck_assert_int_eq(img_content_find(t, c), 0);
	free(png);
}

/* What a record holds besides the picture's regions (fp/image.c). */
enum extra {
	REGIONS_ONLY,
	WITH_CROPS,
	WITH_WINDOWS
};

/* The sketches fp/image.c makes of p (PNG): its regions, and also its
 * crops (a publisher's record) or its windows (a scan's). */
static void sketches(const struct pic *p, enum extra extra, struct record *out)
{
	size_t len;
	uint8_t *png = pic_png(p, 0, &len);
	struct img_thumb *t = calloc(1, sizeof(*t));
	struct img_luma luma = { .cap = (size_t)IMG_LUMA_MAX_SIDE * IMG_LUMA_MAX_SIDE };
	luma.px = pic_xmalloc(luma.cap);
	t->luma = &luma;
	struct img_info info;
	struct img_content c;
	struct img_box boxes[MAX_STORED];
	ck_assert_int_eq(img_decode_thumb(png, len, &info, t), 0);
	ck_assert_int_eq(img_content_find(t, &c), 0);
	size_t n = img_content_regions(t, &c, boxes, IMG_MAX_REGIONS);
	if (extra == WITH_CROPS)
		n += img_content_crops(t, &c, boxes + n, IMG_MAX_CROPS);
	if (extra == WITH_WINDOWS)
		n += img_content_windows(t, &c, boxes + n, IMG_MAX_WINDOWS);
	out->n = 0;
	for (size_t i = 0; i < n; i++) {
		struct img_hash h;
		if (img_region_hash(t, &c, &boxes[i], &h) == 0 && h.ink >= IMG_MIN_INK)
			img_sketch_encode(&h, out->sk[out->n++]);
	}
	free(luma.px);
	free(t);
	free(png);
}

/* Whether some sketch of the copy matches one of the record, as a scan
 * verifies a candidate. */
static int matches(const struct record *copy, const struct record *stored)
{
	for (size_t i = 0; i < copy->n; i++)
		for (size_t j = 0; j < stored->n; j++)
			if (img_sketch_similarity(copy->sk[i], IMG_SKETCH_BYTES, stored->sk[j],
			                          IMG_SKETCH_BYTES) >= IMG_SKETCH_THRESHOLD)
				return 1;
	return 0;
}

/* Cuts in pixels of the 600x380 picture: 5-10 % of it. needs_crops: the
 * copy misses the picture's own sketches (a cut across the lines of text
 * rescales them all); a cut from the top or the bottom of this template
 * lands between lines or in the title bar, which the content box's own
 * normalisation already absorbs. */
static const struct {
	uint32_t l, t, r, b;
	int needs_crops;
	const char *what;
} cuts[] = {
	{ 42, 0, 0, 0, 1, "7 % left" },
	{ 0, 0, 57, 0, 1, "9.5 % right" },
	{ 0, 23, 0, 0, 0, "6 % top" },
	{ 0, 0, 0, 34, 0, "9 % bottom" },
	{ 20, 0, 25, 0, 0, "3.3 % left and 4.2 % right" },
	{ 0, 15, 0, 15, 0, "4 % top and 4 % bottom" },
	{ 36, 0, 0, 30, 1, "6 % left, 8 % bottom: a corner" },
};

START_TEST(cropped_campaign_matches_its_record)
{
	struct pic spam = newsletter(11);
	static struct record stored, plain, copy;
	sketches(&spam, WITH_CROPS, &stored);
	sketches(&spam, REGIONS_ONLY, &plain);
	ck_assert_uint_gt(stored.n, plain.n);
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		struct pic v = crop(&spam, cuts[i].l, cuts[i].t, cuts[i].r, cuts[i].b);
		sketches(&v, WITH_WINDOWS, &copy);
		ck_assert_msg(matches(&copy, &stored), "%s: no stored crop matches", cuts[i].what);
		if (cuts[i].needs_crops)
			ck_assert_msg(!matches(&copy, &plain), "%s: matches without crops",
			              cuts[i].what);
		pic_free(&v);
	}
	pic_free(&spam);
}
END_TEST

/* Corner cuts (pixels of the 600x380 picture: 6.5 % of the width and
 * 5-9 % of the height) that fall between the publisher's crops: the copy's
 * own regions match none of them, its windows (img_window.c) do. */
static const struct {
	uint32_t l, t, r, b;
} between[] = {
	{ 39, 19, 0, 0 },
	{ 0, 25, 39, 0 },
	{ 39, 0, 0, 28 },
	{ 0, 0, 39, 34 },
};

START_TEST(corner_between_crops_matches_by_its_windows)
{
	struct pic spam = newsletter(11);
	static struct record stored, copy, bare;
	sketches(&spam, WITH_CROPS, &stored);
	for (size_t i = 0; i < sizeof(between) / sizeof(between[0]); i++) {
		struct pic v = crop(&spam, between[i].l, between[i].t, between[i].r, between[i].b);
		sketches(&v, WITH_WINDOWS, &copy);
		sketches(&v, REGIONS_ONLY, &bare);
		ck_assert_msg(copy.n > bare.n, "cut %zu: no window", i);
		ck_assert_msg(matches(&copy, &stored), "cut %zu: no window matches", i);
		ck_assert_msg(!matches(&bare, &stored), "cut %zu: matches without windows", i);
		pic_free(&v);
	}
	pic_free(&spam);
}
END_TEST

START_TEST(legit_mail_of_the_same_template_does_not_match)
{
	static struct record stored, copy;
	for (uint64_t spam_seed = 11; spam_seed <= 13; spam_seed++) {
		struct pic spam = newsletter(spam_seed);
		sketches(&spam, WITH_CROPS, &stored);
		for (uint64_t seed = 100; seed < 106; seed++) {
			struct pic ham = newsletter(seed);
			sketches(&ham, WITH_WINDOWS, &copy);
			ck_assert_msg(!matches(&copy, &stored), "legit %d matches spam %d",
			              (int)seed, (int)spam_seed);
			struct pic v = crop(&ham, 0, 0, 40, 0);
			sketches(&v, WITH_WINDOWS, &copy);
			ck_assert_msg(!matches(&copy, &stored), "cropped legit %d matches spam %d",
			              (int)seed, (int)spam_seed);
			pic_free(&v);
			pic_free(&ham);
		}
		pic_free(&spam);
	}
}
END_TEST

/* The boxes: distinct, none the content's own, inside it, in a fixed
 * order (the same picture gives the same crops). */
START_TEST(crop_boxes_are_bounded_and_distinct)
{
	struct pic p = newsletter(5);
	struct img_thumb *t = calloc(1, sizeof(*t));
	struct img_content c;
	struct img_box a[IMG_MAX_CROPS], b[IMG_MAX_CROPS];
	content_of(&p, t, &c);
	size_t n = img_content_crops(t, &c, a, IMG_MAX_CROPS);
	ck_assert_uint_gt(n, IMG_MAX_CROPS / 2);
	ck_assert_uint_le(n, IMG_MAX_CROPS);
	ck_assert_uint_eq(img_content_crops(t, &c, b, IMG_MAX_CROPS), n);
	ck_assert_int_eq(memcmp(a, b, n * sizeof(a[0])), 0);
	for (size_t i = 0; i < n; i++) {
		ck_assert(a[i].x0 >= c.box.x0 && a[i].x1 <= c.box.x1 && a[i].x0 < a[i].x1);
		ck_assert(a[i].y0 >= c.box.y0 && a[i].y1 <= c.box.y1 && a[i].y0 < a[i].y1);
		ck_assert(memcmp(&a[i], &c.box, sizeof(c.box)) != 0);
		for (size_t j = 0; j < i; j++)
			ck_assert(memcmp(&a[i], &a[j], sizeof(a[i])) != 0);
	}
	ck_assert_uint_eq(img_content_crops(t, &c, a, 3), 3);
	ck_assert_uint_eq(img_content_crops(t, &c, a, 0), 0);
	free(t);
	pic_free(&p);
}
END_TEST

/* Windows of a dense picture: on every side, whether or not the content
 * reaches the canvas's edge there, inside the content box, distinct, in a
 * fixed order, at most IMG_MAX_WINDOWS. */
START_TEST(window_boxes_are_bounded_and_on_every_side)
{
	struct pic p = newsletter(5);
	/* cut into the text at the left and the bottom; then the same picture
	 * with margins on every side */
	struct pic cut = crop(&p, 40, 0, 0, 60);
	struct pic framed = pad(&p, 20, 20, 20, 20);
	const struct pic *pics[3] = { &p, &cut, &framed };
	struct img_thumb *t = calloc(1, sizeof(*t));
	struct img_content c;
	for (int k = 0; k < 3; k++) {
		struct img_box a[IMG_MAX_WINDOWS], b[IMG_MAX_WINDOWS];
		content_of(pics[k], t, &c);
		size_t n = img_content_windows(t, &c, a, IMG_MAX_WINDOWS);
		ck_assert_uint_ge(n, 4);
		ck_assert_uint_le(n, IMG_MAX_WINDOWS);
		ck_assert_uint_eq(img_content_windows(t, &c, b, IMG_MAX_WINDOWS), n);
		ck_assert_int_eq(memcmp(a, b, n * sizeof(a[0])), 0);
		int moved[4] = { 0, 0, 0, 0 };
		for (size_t i = 0; i < n; i++) {
			ck_assert(a[i].x0 >= c.box.x0 && a[i].x1 <= c.box.x1);
			ck_assert(a[i].y0 >= c.box.y0 && a[i].y1 <= c.box.y1);
			ck_assert(memcmp(&a[i], &c.box, sizeof(c.box)) != 0);
			moved[0] |= a[i].x0 > c.box.x0;
			moved[1] |= a[i].y0 > c.box.y0;
			moved[2] |= a[i].x1 < c.box.x1;
			moved[3] |= a[i].y1 < c.box.y1;
			for (size_t j = 0; j < i; j++)
				ck_assert(memcmp(&a[i], &a[j], sizeof(a[i])) != 0);
		}
		for (int side = 0; side < 4; side++)
			ck_assert_msg(moved[side], "picture %d: side %d never moves", k, side);
		ck_assert_uint_eq(img_content_windows(t, &c, a, 2), 2);
	}
	free(t);
	pic_free(&framed);
	pic_free(&cut);
	pic_free(&p);
}
END_TEST

/* A sparse picture (an invoice: a title and two columns of short words on
 * white, ink on under a tenth of its box) moves only the sides that reach
 * the canvas's edge: none with margins all round, the cut side once cut. */
START_TEST(sparse_picture_moves_only_its_edge_sides)
{
	const uint8_t ink[3] = { 30, 30, 30 };
	struct pic p = { .w = 600, .h = 360, .rgb = pic_xmalloc((size_t)600 * 360 * 3) };
	memset(p.rgb, 255, (size_t)600 * 360 * 3);
	pic_fill_rect(&p, 30, 30, 150, 50, ink);
	for (int row = 0; row < 5; row++) {
		pic_fill_rect(&p, 30, 100 + 40 * row, 110 + 12 * row, 108 + 40 * row, ink);
		pic_fill_rect(&p, 500, 100 + 40 * row, 550, 108 + 40 * row, ink);
	}
	pic_fill_rect(&p, 420, 320, 550, 330, ink);
	struct img_thumb *t = calloc(1, sizeof(*t));
	struct img_content c;
	struct img_box a[IMG_MAX_WINDOWS];
	content_of(&p, t, &c);
	ck_assert_uint_eq(img_content_windows(t, &c, a, IMG_MAX_WINDOWS), 0);
	struct pic cut = crop(&p, 40, 0, 0, 0);
	content_of(&cut, t, &c);
	ck_assert_uint_eq(c.box.x0, 0);
	size_t n = img_content_windows(t, &c, a, IMG_MAX_WINDOWS);
	ck_assert_uint_ge(n, 1);
	for (size_t i = 0; i < n; i++) /* only the left side moved */
		ck_assert(a[i].x0 > c.box.x0 && a[i].x1 == c.box.x1 && a[i].y0 == c.box.y0 &&
		          a[i].y1 == c.box.y1);
	free(t);
	pic_free(&cut);
	pic_free(&p);
}
END_TEST

/* A corner cut between the publisher's crops, then given new margins and
 * rescaled: its content reaches no edge of the canvas, and its box's sides
 * move by the rescaling; the windows on every side still meet a stored
 * crop. The legitimate pictures of the same template, treated the same
 * way, match nothing. */
START_TEST(cut_copy_with_new_margins_matches_by_its_windows)
{
	struct pic spam = newsletter(11);
	static struct record stored, copy, bare;
	sketches(&spam, WITH_CROPS, &stored);
	int by_windows = 0;
	for (size_t i = 0; i < sizeof(between) / sizeof(between[0]); i++) {
		struct pic v = crop(&spam, between[i].l, between[i].t, between[i].r, between[i].b);
		struct pic m = pad(&v, 24, 16, 24, 16);
		struct pic r = pic_resize(&m, m.w * 9 / 10, m.h * 9 / 10);
		sketches(&r, WITH_WINDOWS, &copy);
		sketches(&r, REGIONS_ONLY, &bare);
		ck_assert_msg(matches(&copy, &stored), "cut %zu with margins: no match", i);
		by_windows += !matches(&bare, &stored);
		pic_free(&r);
		pic_free(&m);
		pic_free(&v);
	}
	ck_assert_int_gt(by_windows, 0); /* some only by a window */
	for (uint64_t seed = 100; seed < 106; seed++) {
		struct pic ham = newsletter(seed);
		struct pic v = crop(&ham, between[seed % 4].l, between[seed % 4].t,
		                    between[seed % 4].r, between[seed % 4].b);
		struct pic m = pad(&v, 24, 16, 24, 16);
		struct pic r = pic_resize(&m, m.w * 9 / 10, m.h * 9 / 10);
		sketches(&r, WITH_WINDOWS, &copy);
		ck_assert_msg(!matches(&copy, &stored), "legit %d with margins matches", (int)seed);
		pic_free(&r);
		pic_free(&m);
		pic_free(&v);
		pic_free(&ham);
	}
	pic_free(&spam);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("image_crop");
	TCase *tc = tcase_create("crop");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, cropped_campaign_matches_its_record);
	tcase_add_test(tc, legit_mail_of_the_same_template_does_not_match);
	tcase_add_test(tc, crop_boxes_are_bounded_and_distinct);
	tcase_add_test(tc, corner_between_crops_matches_by_its_windows);
	tcase_add_test(tc, window_boxes_are_bounded_and_on_every_side);
	tcase_add_test(tc, cut_copy_with_new_margins_matches_by_its_windows);
	tcase_add_test(tc, sparse_picture_moves_only_its_edge_sides);
	suite_add_tcase(s, tc);
	return check_run(s);
}
