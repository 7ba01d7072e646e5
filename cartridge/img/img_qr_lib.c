/*
 * img_qr_lib.c - libzbar opened the first time an engine searches a picture
 * for QR codes, and closed with the engine (img_qr.h says why it is not
 * linked; util/dynlib.c does the opening). Without it the engine reads no
 * QR codes, and the image engine marks such a message rescan.
 *
 * Not for: reading codes (img_qr.c).
 */
#include <stddef.h>

#include "img_qr.h"

/* Each member of struct img_qr_fns and the symbol it is read from. */
static const struct dynlib_sym qr_lib_syms[] = {
	{ "zbar_image_scanner_create", offsetof(struct img_qr_fns, image_scanner_create) },
	{ "zbar_image_scanner_destroy", offsetof(struct img_qr_fns, image_scanner_destroy) },
	{ "zbar_image_scanner_set_config", offsetof(struct img_qr_fns, image_scanner_set_config) },
	{ "zbar_image_create", offsetof(struct img_qr_fns, image_create) },
	{ "zbar_image_destroy", offsetof(struct img_qr_fns, image_destroy) },
	{ "zbar_image_set_format", offsetof(struct img_qr_fns, image_set_format) },
	{ "zbar_image_set_size", offsetof(struct img_qr_fns, image_set_size) },
	{ "zbar_image_set_data", offsetof(struct img_qr_fns, image_set_data) },
	{ "zbar_image_first_symbol", offsetof(struct img_qr_fns, image_first_symbol) },
	{ "zbar_scan_image", offsetof(struct img_qr_fns, scan_image) },
	{ "zbar_symbol_next", offsetof(struct img_qr_fns, symbol_next) },
	{ "zbar_symbol_get_type", offsetof(struct img_qr_fns, symbol_get_type) },
	{ "zbar_symbol_get_data", offsetof(struct img_qr_fns, symbol_get_data) },
	{ "zbar_symbol_get_data_length", offsetof(struct img_qr_fns, symbol_get_data_length) },
	{ "zbar_symbol_get_loc_size", offsetof(struct img_qr_fns, symbol_get_loc_size) },
	{ "zbar_symbol_get_loc_x", offsetof(struct img_qr_fns, symbol_get_loc_x) },
	{ "zbar_symbol_get_loc_y", offsetof(struct img_qr_fns, symbol_get_loc_y) },
};

static const struct dynlib_spec qr_lib_spec = {
	.soname = IMG_QR_LIB_SONAME,
	.syms = qr_lib_syms,
	.n_syms = sizeof(qr_lib_syms) / sizeof(qr_lib_syms[0]),
	.module = "IMAGE",
	.without = "QR codes in images are not read",
};

void img_qr_lib_init(struct img_qr_lib *q, const struct logger *lg)
{
	dynlib_init(&q->lib, &qr_lib_spec, &q->fns, lg);
}

const struct img_qr_fns *img_qr_lib_get(struct img_qr_lib *q)
{
	return q != NULL ? dynlib_get(&q->lib) : NULL;
}

void img_qr_lib_close(struct img_qr_lib *q)
{
	dynlib_close(&q->lib);
}
