/*
 * dynlib.c - libraries opened at first use (dynlib.h says why and how).
 *
 * Not for: knowing any library's functions (the owners' tables:
 * img/img_qr_lib.c, update/net_lib.c).
 */
#include "dynlib.h"

#include <dlfcn.h>
#include <string.h>

void dynlib_init(struct dynlib *d, const struct dynlib_spec *spec, void *fns,
                 const struct logger *lg)
{
	memset(d, 0, sizeof(*d));
	d->spec = spec;
	d->fns = fns;
	d->lg = lg;
	pthread_mutex_init(&d->mu, NULL);
	atomic_init(&d->state, DYNLIB_UNTRIED);
}

static void dynlib_fail(const struct dynlib *d, const char *why)
{
	const struct dynlib_spec *s = d->spec;

	if (d->lg != NULL)
		log_error(d->lg, s->module, "%s cannot be loaded (%s): %s", s->soname, why,
		          s->without);
}

/* dlopen, every dlsym, on_open; on failure nothing stays open. 0 or -1. */
static int dynlib_open(struct dynlib *d)
{
	const struct dynlib_spec *s = d->spec;
	void *sym;

	d->dl = dlopen(s->soname, RTLD_NOW | RTLD_LOCAL);
	if (d->dl == NULL) {
		dynlib_fail(d, dlerror());
		return -1;
	}
	for (size_t i = 0; i < s->n_syms; i++) {
		sym = dlsym(d->dl, s->syms[i].name);
		if (sym == NULL) {
			dynlib_fail(d, s->syms[i].name);
			goto fail;
		}
		/* POSIX: a dlsym result converts to a function pointer this way. */
		memcpy((char *)d->fns + s->syms[i].offset, &sym, sizeof(sym));
	}
	if (s->on_open == NULL || s->on_open(d->fns) == 0)
		return 0;
	dynlib_fail(d, "its set-up failed");
fail:
	dlclose(d->dl);
	d->dl = NULL;
	return -1;
}

const void *dynlib_get(struct dynlib *d)
{
	int state;

	if (d == NULL)
		return NULL;
	state = atomic_load_explicit(&d->state, memory_order_acquire);
	if (state == DYNLIB_UNTRIED) {
		pthread_mutex_lock(&d->mu);
		state = atomic_load_explicit(&d->state, memory_order_relaxed);
		if (state == DYNLIB_UNTRIED) {
			state = dynlib_open(d) == 0 ? DYNLIB_OPEN : DYNLIB_FAILED;
			atomic_store_explicit(&d->state, state, memory_order_release);
		}
		pthread_mutex_unlock(&d->mu);
	}
	return state == DYNLIB_OPEN ? d->fns : NULL;
}

void dynlib_close(struct dynlib *d)
{
	if (d->dl != NULL) {
		if (d->spec->on_close != NULL)
			d->spec->on_close(d->fns);
		dlclose(d->dl);
	}
	d->dl = NULL;
	pthread_mutex_destroy(&d->mu);
}
