/*
 * dynlib.h - a shared library the engine opens the first time it needs it,
 * not one cartridge.so links: each library linked is mapped, relocated and
 * initialised by every process that loads the cartridge (with its own
 * dependencies: libcurl brings twenty, libzbar as many), whether that
 * process ever uses it or not.
 *
 * The owner (an engine) keeps a struct dynlib and a struct of function
 * pointers, and names each pointer's symbol and offset in a table. The first
 * dynlib_get() dlopens the library (RTLD_NOW | RTLD_LOCAL: every symbol
 * bound before any is used, none visible to anyone else), looks up every
 * symbol, then runs `on_open` (a library's global set-up, e.g.
 * curl_global_init); a failure is logged once and never tried again.
 * dynlib_close() runs `on_close` and dlcloses, at engine close.
 *
 * Thread safety: dynlib_get() from any thread (the first call opens under
 * the dynlib's lock; later ones are one acquire load); dynlib_close() when
 * no call can be in flight.
 *
 * Not for: the cartridge itself (libwhorl's loader.c).
 */
#ifndef WHORL_UTIL_DYNLIB_H
#define WHORL_UTIL_DYNLIB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "../log/log.h"

/* One member of the owner's struct of function pointers. */
struct dynlib_sym {
	const char *name;
	size_t offset;
};

struct dynlib_spec {
	const char *soname;            /* e.g. "libcurl.so.4" */
	const struct dynlib_sym *syms; /* every one must be found */
	size_t n_syms;
	int (*on_open)(const void *fns); /* NULL, or 0 when the library is usable */
	void (*on_close)(const void *fns);
	const char *module;  /* log module of the failure line */
	const char *without; /* what the engine does without it, for that line */
};

struct dynlib {
	const struct dynlib_spec *spec;
	void *fns; /* the owner's struct the offsets point into */
	const struct logger *lg;
	pthread_mutex_t mu; /* held while opening */
	atomic_int state;   /* DYNLIB_* */
	void *dl;
};

enum {
	DYNLIB_UNTRIED = 0,
	DYNLIB_OPEN,
	DYNLIB_FAILED
};

/* Nothing is opened yet; lg (may be NULL) gets the failure line. */
void dynlib_init(struct dynlib *d, const struct dynlib_spec *spec, void *fns,
                 const struct logger *lg);
/* d->fns with every pointer set, the library opened on the first call;
 * NULL when it cannot be (d NULL, library or symbol missing, on_open
 * refused). */
const void *dynlib_get(struct dynlib *d);
void dynlib_close(struct dynlib *d);

#endif
