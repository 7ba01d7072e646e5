/*
 * img_qr.c - QR codes read with libzbar (see img_qr.h for why libzbar).
 */
#include "img_qr.h"

#include <string.h>

#include "../../abi/whorl_cartridge.h"

static void code_box(const struct img_qr_fns *z, const zbar_symbol_t *sym, struct img_qr_code *c)
{
	unsigned n = z->symbol_get_loc_size(sym);
	c->x0 = c->y0 = UINT32_MAX;
	c->x1 = c->y1 = 0;
	for (unsigned i = 0; i < n; i++) {
		int x = z->symbol_get_loc_x(sym, i), y = z->symbol_get_loc_y(sym, i);
		if (x < 0 || y < 0)
			continue;
		c->x0 = (uint32_t)x < c->x0 ? (uint32_t)x : c->x0;
		c->y0 = (uint32_t)y < c->y0 ? (uint32_t)y : c->y0;
		c->x1 = (uint32_t)x + 1 > c->x1 ? (uint32_t)x + 1 : c->x1;
		c->y1 = (uint32_t)y + 1 > c->y1 ? (uint32_t)y + 1 : c->y1;
	}
	if (c->x1 == 0)
		c->x0 = c->y0 = 0;
}

static void collect(const struct img_qr_fns *z, const zbar_image_t *img, struct img_qr_result *r)
{
	for (const zbar_symbol_t *sym = z->image_first_symbol(img); sym != NULL;
	     sym = z->symbol_next(sym)) {
		if (z->symbol_get_type(sym) != ZBAR_QRCODE)
			continue;
		if (r->n == IMG_QR_MAX_CODES) {
			r->cut = 1;
			return;
		}
		struct img_qr_code *c = &r->codes[r->n++];
		const char *data = z->symbol_get_data(sym);
		size_t len = z->symbol_get_data_length(sym);
		if (len > IMG_QR_MAX_BYTES) {
			len = IMG_QR_MAX_BYTES;
			r->cut = 1;
		}
		memcpy(c->data, data, len);
		c->len = len;
		code_box(z, sym, c);
	}
}

int img_qr_scan(struct img_qr_lib *q, const struct img_luma *l, struct img_qr_result *r)
{
	r->n = 0;
	r->cut = 0;
	if (l->w == 0 || l->h == 0)
		return 0;
	const struct img_qr_fns *z = img_qr_lib_get(q);
	if (z == NULL)
		return WHORL_ENOTSUP;
	zbar_image_scanner_t *sc = z->image_scanner_create();
	zbar_image_t *img = z->image_create();
	int rc = 0;
	if (sc == NULL || img == NULL) {
		rc = WHORL_ENOMEM;
		goto out;
	}
	z->image_scanner_set_config(sc, 0, ZBAR_CFG_ENABLE, 0);
	z->image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
	z->image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_BINARY, 1);
	z->image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
	z->image_set_size(img, l->w, l->h);
	z->image_set_data(img, l->px, (unsigned long)l->w * l->h, NULL);
	if (z->scan_image(sc, img) < 0)
		rc = WHORL_ENOMEM;
	else
		collect(z, img, r);
out:
	if (img != NULL)
		z->image_destroy(img);
	if (sc != NULL)
		z->image_scanner_destroy(sc);
	return rc;
}
