/*
 * fuzz_image.c - libFuzzer target for the image decoders (cartridge/img/).
 *
 * The first byte picks a magic to prepend (0: none, the input is used as
 * is; 1: GIF89a; 2: PNG signature; 3: JPEG SOI), so the fuzzer reaches all
 * three decoders even from junk; the rest is the file. Checks that a hash
 * comes with sane info and that the header-only probe agrees with the full
 * decode about the format; then runs what the image engine runs on a
 * decoded picture: the bounded luminance copy, the normalisation into
 * regions (boxes inside the thumb), a publisher's crops and a scan's
 * windows of the content (boxes inside the content's, at most
 * IMG_MAX_CROPS and IMG_MAX_WINDOWS), region and tile hashes, and the QR
 * decoder (libzbar, opened once for the whole run as an engine opens it)
 * on the copy, whose payloads must respect their bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "../../cartridge/img/img.h"
#include "../../cartridge/img/img_qr.h"

#define FUZZ_MAX_INPUT (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Crops and windows: non-empty boxes inside the content box, each hashed. */
static void inner_boxes(const struct img_thumb *thumb, const struct img_content *c,
                        const struct img_box *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct img_hash h;
		if (b[i].x0 < c->box.x0 || b[i].y0 < c->box.y0 || b[i].x1 > c->box.x1 ||
		    b[i].y1 > c->box.y1 || b[i].x0 >= b[i].x1 || b[i].y0 >= b[i].y1)
			abort();
		(void)img_region_hash(thumb, c, &b[i], &h);
	}
}

static void regions_and_codes(const uint8_t *buf, size_t len)
{
	static struct img_thumb thumb;
	static uint8_t px[IMG_LUMA_MAX_SIDE * IMG_LUMA_MAX_SIDE];
	static struct img_qr_result qr;
	static struct img_qr_lib qr_lib;
	static int qr_lib_ready;
	struct img_luma luma = { .px = px, .cap = sizeof(px) };
	struct img_info info;
	struct img_content c;
	struct img_box boxes[IMG_MAX_REGIONS];
	static struct img_box crops[IMG_MAX_CROPS];
	thumb.luma = &luma;
	if (img_decode_thumb(buf, len, &info, &thumb) != 0)
		return;
	if (luma.w == 0 || luma.h == 0 || luma.w > IMG_LUMA_MAX_SIDE || luma.h > IMG_LUMA_MAX_SIDE)
		abort();
	if (img_content_find(&thumb, &c) == 0) {
		size_t n = img_content_regions(&thumb, &c, boxes, IMG_MAX_REGIONS);
		if (n == 0 || n > IMG_MAX_REGIONS)
			abort();
		for (size_t i = 0; i < n; i++) {
			struct img_hash h;
			if (boxes[i].x0 >= boxes[i].x1 || boxes[i].y0 >= boxes[i].y1 ||
			    boxes[i].x1 > IMG_FINE || boxes[i].y1 > IMG_FINE)
				abort();
			(void)img_region_hash(&thumb, &c, &boxes[i], &h);
		}
		n = img_content_crops(&thumb, &c, crops, IMG_MAX_CROPS);
		if (n > IMG_MAX_CROPS)
			abort();
		inner_boxes(&thumb, &c, crops, n);
		n = img_content_windows(&thumb, &c, crops, IMG_MAX_WINDOWS);
		if (n > IMG_MAX_WINDOWS)
			abort();
		inner_boxes(&thumb, &c, crops, n);
	}
	if (!qr_lib_ready) {
		img_qr_lib_init(&qr_lib, NULL);
		qr_lib_ready = 1;
	}
	if (img_qr_scan(&qr_lib, &luma, &qr) == 0)
		for (size_t i = 0; i < qr.n; i++)
			if (qr.codes[i].len > IMG_QR_MAX_BYTES || qr.n > IMG_QR_MAX_CODES)
				abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t gif[] = { 'G', 'I', 'F', '8', '9', 'a' };
	static const uint8_t png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	static const uint8_t jpeg[] = { 0xff, 0xd8, 0xff };
	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	const uint8_t *magic = NULL;
	size_t magic_len = 0;
	switch (data[0] & 3) {
	case 1:
		magic = gif;
		magic_len = sizeof(gif);
		break;
	case 2:
		magic = png;
		magic_len = sizeof(png);
		break;
	case 3:
		magic = jpeg;
		magic_len = sizeof(jpeg);
		break;
	default: break;
	}
	size_t len = magic_len + size - 1;
	uint8_t *buf = malloc(len ? len : 1);
	if (buf == NULL)
		return 0;
	if (magic_len)
		memcpy(buf, magic, magic_len);
	memcpy(buf + magic_len, data + 1, size - 1);
	struct img_info info, probe;
	uint64_t hash;
	int rc = img_phash(buf, len, &info, &hash);
	int prc = img_probe(buf, len, &probe);
	if (rc == 0 || rc == WHORL_ENODATA) {
		if (info.width == 0 || info.height == 0 || info.width > IMG_MAX_WIDTH ||
		    info.height > IMG_MAX_HEIGHT || prc != 0 || probe.format != info.format)
			abort();
	}
	regions_and_codes(buf, len);
	free(buf);
	return 0;
}
