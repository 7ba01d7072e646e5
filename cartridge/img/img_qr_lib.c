/*
 * img_qr_lib.c - libzbar opened the first time an engine searches a picture
 * for QR codes, and closed with the engine (img_qr.h says why it is not
 * linked).
 *
 * The first img_qr_lib_get() dlopens IMG_QR_LIB_SONAME (RTLD_NOW |
 * RTLD_LOCAL: every symbol bound before any is used, none of them visible
 * to anything else) and looks up each function of struct img_qr_fns; a
 * missing library or function is logged once and the engine reads no QR
 * codes (the image engine marks such a message rescan). Later calls only
 * read the state: one acquire load.
 *
 * Not for: reading codes (img_qr.c).
 */
#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

#include "img_qr.h"

/* Each member of struct img_qr_fns and the symbol it is read from. */
static const struct {
	const char *name;
	size_t offset;
} qr_lib_syms[] = {
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

void img_qr_lib_init(struct img_qr_lib *q, const struct logger *lg)
{
	memset(q, 0, sizeof(*q));
	pthread_mutex_init(&q->mu, NULL);
	atomic_init(&q->state, IMG_QR_LIB_UNTRIED);
	q->lg = lg;
}

/* dlopen + every dlsym; on failure nothing stays open. 0 or -1 (logged). */
static int qr_lib_open(struct img_qr_lib *q)
{
	const char *missing = NULL;
	void *sym;

	q->dl = dlopen(IMG_QR_LIB_SONAME, RTLD_NOW | RTLD_LOCAL);
	for (size_t i = 0; q->dl != NULL && i < sizeof(qr_lib_syms) / sizeof(qr_lib_syms[0]); i++) {
		sym = dlsym(q->dl, qr_lib_syms[i].name);
		if (sym == NULL) {
			missing = qr_lib_syms[i].name;
			break;
		}
		/* POSIX: a dlsym result converts to a function pointer this way. */
		memcpy((char *)&q->fns + qr_lib_syms[i].offset, &sym, sizeof(sym));
	}
	if (q->dl != NULL && missing == NULL)
		return 0;
	if (q->lg != NULL && missing != NULL)
		log_error(q->lg, "IMAGE", "%s has no %s: QR codes in images are not read",
		          IMG_QR_LIB_SONAME, missing);
	else if (q->lg != NULL)
		log_error(q->lg, "IMAGE",
		          "%s cannot be loaded (%s): QR codes in images are not read",
		          IMG_QR_LIB_SONAME, dlerror());
	if (q->dl != NULL)
		dlclose(q->dl);
	q->dl = NULL;
	return -1;
}

const struct img_qr_fns *img_qr_lib_get(struct img_qr_lib *q)
{
	int state;

	if (q == NULL)
		return NULL;
	state = atomic_load_explicit(&q->state, memory_order_acquire);
	if (state == IMG_QR_LIB_UNTRIED) {
		pthread_mutex_lock(&q->mu);
		state = atomic_load_explicit(&q->state, memory_order_relaxed);
		if (state == IMG_QR_LIB_UNTRIED) {
			state = qr_lib_open(q) == 0 ? IMG_QR_LIB_OPEN : IMG_QR_LIB_FAILED;
			atomic_store_explicit(&q->state, state, memory_order_release);
		}
		pthread_mutex_unlock(&q->mu);
	}
	return state == IMG_QR_LIB_OPEN ? &q->fns : NULL;
}

void img_qr_lib_close(struct img_qr_lib *q)
{
	if (q->dl != NULL)
		dlclose(q->dl);
	q->dl = NULL;
	pthread_mutex_destroy(&q->mu);
}
