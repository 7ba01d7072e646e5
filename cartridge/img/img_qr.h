/*
 * img_qr.h - QR codes read from a decoded luminance copy, with libzbar.
 *
 * libzbar (Debian's libzbar0) is a maintained decoder that finds and reads
 * QR codes of every version and error-correction level in a grayscale
 * image; writing one by hand would be a second, less tested QR reader on
 * untrusted bytes. Only the QR symbology is enabled (no 1-D barcodes: they
 * carry product numbers, not links).
 *
 * Memory: libzbar allocates with malloc inside img_qr_scan() and frees
 * everything before it returns. Work is bounded by the copy's size
 * (IMG_LUMA_MAX_SIDE squared) and IMG_QR_MAX_CODES.
 *
 * Thread safety: reentrant (one scanner per call, no global state).
 *
 * Not for: deciding what a payload means (fp/image.c).
 */
#ifndef WHORL_IMG_QR_H
#define WHORL_IMG_QR_H

#include <stddef.h>
#include <stdint.h>

#include "img.h"

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

/* Reads the QR codes in l (w x h pixels, w and h >= 1) into *r. Returns 0
 * (r->n may be 0), WHORL_ENOMEM when libzbar could not allocate. */
int img_qr_scan(const struct img_luma *l, struct img_qr_result *r);

#endif
