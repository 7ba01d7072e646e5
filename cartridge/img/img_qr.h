/*
 * img_qr.h - QR codes read from a decoded luminance copy, with libzbar.
 *
 * libzbar (Debian's libzbar0) is a maintained decoder that finds and reads
 * QR codes of every version and error-correction level in a grayscale
 * image; writing one by hand would be a second, less tested QR reader on
 * untrusted bytes. Only the QR symbology is enabled (no 1-D barcodes: they
 * carry product numbers, not links).
 *
 * libzbar is not linked: the engine opens it the first time a picture is
 * searched for codes (struct img_qr_lib, img_qr_lib.c, util/dynlib.h) and
 * closes it with the engine. It and the twenty libraries it pulls in (X11,
 * D-Bus, V4L...) were a tenth of a whorl-scan start, paid by every process
 * whether it met a picture or not.
 *
 * Memory: libzbar allocates with malloc inside img_qr_scan() and frees
 * everything before it returns. Work is bounded by the copy's size
 * (IMG_LUMA_MAX_SIDE squared) and IMG_QR_MAX_CODES.
 *
 * Thread safety: reentrant (one scanner per call, no global state); the
 * library is opened once, under the img_qr_lib's lock.
 *
 * Not for: deciding what a payload means (fp/image.c).
 */
#ifndef WHORL_IMG_QR_H
#define WHORL_IMG_QR_H

#include <stddef.h>
#include <stdint.h>
#include <zbar.h>

#include "../log/log.h"
#include "../util/dynlib.h"
#include "img.h"

#define IMG_QR_LIB_SONAME "libzbar.so.0" /* Debian's libzbar0 */

/* The libzbar functions img_qr.c calls, with the prototypes of <zbar.h>. */
struct img_qr_fns {
	__typeof__(zbar_image_scanner_create) *image_scanner_create;
	__typeof__(zbar_image_scanner_destroy) *image_scanner_destroy;
	__typeof__(zbar_image_scanner_set_config) *image_scanner_set_config;
	__typeof__(zbar_image_create) *image_create;
	__typeof__(zbar_image_destroy) *image_destroy;
	__typeof__(zbar_image_set_format) *image_set_format;
	__typeof__(zbar_image_set_size) *image_set_size;
	__typeof__(zbar_image_set_data) *image_set_data;
	__typeof__(zbar_image_first_symbol) *image_first_symbol;
	__typeof__(zbar_scan_image) *scan_image;
	__typeof__(zbar_symbol_next) *symbol_next;
	__typeof__(zbar_symbol_get_type) *symbol_get_type;
	__typeof__(zbar_symbol_get_data) *symbol_get_data;
	__typeof__(zbar_symbol_get_data_length) *symbol_get_data_length;
	__typeof__(zbar_symbol_get_loc_size) *symbol_get_loc_size;
	__typeof__(zbar_symbol_get_loc_x) *symbol_get_loc_x;
	__typeof__(zbar_symbol_get_loc_y) *symbol_get_loc_y;
};

/* libzbar for one engine: opened by the first img_qr_lib_get(), closed by
 * img_qr_lib_close() (no scan may be in flight). A failed open is logged
 * once (lg may be NULL) and not tried again. */
struct img_qr_lib {
	struct dynlib lib;
	struct img_qr_fns fns;
};

void img_qr_lib_init(struct img_qr_lib *q, const struct logger *lg);
/* The functions, the library opened on the first call; NULL when it cannot
 * be (q NULL, or libzbar missing or without one of them). Any thread. */
const struct img_qr_fns *img_qr_lib_get(struct img_qr_lib *q);
void img_qr_lib_close(struct img_qr_lib *q);

#define IMG_QR_MAX_CODES 4    /* codes kept per image; more set cut */
#define IMG_QR_MAX_BYTES 2048 /* payload bytes kept per code; longer ones set cut */

struct img_qr_code {
	uint8_t data[IMG_QR_MAX_BYTES];
	size_t len;
	uint32_t x0, y0, x1, y1; /* bounding box in the copy's pixels */
};

struct img_qr_result {
	struct img_qr_code codes[IMG_QR_MAX_CODES];
	size_t n;
	int cut; /* a code or a payload was left out or cut */
};

/* Reads the QR codes in l (w x h pixels, w and h >= 1) into *r with q's
 * libzbar. Returns 0 (r->n may be 0), WHORL_ENOMEM when libzbar could not
 * allocate, WHORL_ENOTSUP when it cannot be opened (r->n is 0). */
int img_qr_scan(struct img_qr_lib *q, const struct img_luma *l, struct img_qr_result *r);

#endif
