/*
 * loader.c - open a cartridge.so and decide whether this host may use it.
 *
 * The loader refuses an image another user could have replaced (a
 * world-writable file, or one in a world-writable directory without the
 * sticky bit), dlopens it RTLD_NOW|RTLD_LOCAL, calls its one entry symbol
 * and checks the table it returns, in this order: served at all, table
 * size, ABI major, build signature, required functions. Every refusal
 * names the file and the reason and dlcloses the image.
 *
 * Not for: engines (host.c opens one on a loaded cartridge) or swapping.
 */
#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host_internal.h"

/* Longest version string kept; a longer one is cut. */
#define LOADER_VERSION_MAX 128

struct whorl_cartridge {
	void *dl;
	const struct whorl_cartridge_api *api;
	char *path;
	char version[LOADER_VERSION_MAX];
};

/* Required members of the table, checked for NULL after the size check. */
static const struct {
	const char *name;
	size_t offset;
} loader_required[] = {
	{ "open", offsetof(struct whorl_cartridge_api, open) },
	{ "score", offsetof(struct whorl_cartridge_api, score) },
	{ "verdict_free", offsetof(struct whorl_cartridge_api, verdict_free) },
	{ "fingerprint", offsetof(struct whorl_cartridge_api, fingerprint) },
	{ "fpset_free", offsetof(struct whorl_cartridge_api, fpset_free) },
	{ "describe_category", offsetof(struct whorl_cartridge_api, describe_category) },
	{ "reload", offsetof(struct whorl_cartridge_api, reload) },
	{ "update_now", offsetof(struct whorl_cartridge_api, update_now) },
	{ "stats_snapshot", offsetof(struct whorl_cartridge_api, stats_snapshot) },
	{ "text_free", offsetof(struct whorl_cartridge_api, text_free) },
	{ "self_test", offsetof(struct whorl_cartridge_api, self_test) },
	{ "quiesce", offsetof(struct whorl_cartridge_api, quiesce) },
	{ "close", offsetof(struct whorl_cartridge_api, close) },
	{ "strerror", offsetof(struct whorl_cartridge_api, strerror) },
};

static int loader_fail(char *errbuf, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int loader_fail(char *errbuf, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (errbuf != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(errbuf, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Refuses a file or directory that anyone could have written. */
int loader_check_perms(const char *path, char *errbuf, size_t errlen)
{
	struct stat st;
	char *copy;
	int rc = 0;

	if (stat(path, &st) != 0)
		return loader_fail(errbuf, errlen, WHORL_EIO, "cartridge %s: %s", path,
		                   strerror(errno));
	if (!S_ISREG(st.st_mode))
		return loader_fail(errbuf, errlen, WHORL_EIO, "cartridge %s: not a regular file",
		                   path);
	if (st.st_mode & S_IWOTH)
		return loader_fail(errbuf, errlen, WHORL_ECONFIG,
		                   "cartridge %s is world-writable: refused", path);
	copy = strdup(path);
	if (copy == NULL)
		return loader_fail(errbuf, errlen, WHORL_ENOMEM, "out of memory");
	if (stat(dirname(copy), &st) != 0)
		rc = loader_fail(errbuf, errlen, WHORL_EIO, "cartridge %s: directory: %s", path,
		                 strerror(errno));
	else if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
		rc = loader_fail(errbuf, errlen, WHORL_ECONFIG,
		                 "cartridge %s is in a world-writable directory without the "
		                 "sticky bit: refused",
		                 path);
	free(copy);
	return rc;
}

/* "64-bit pointers, 8-byte size_t, 8-byte long, little endian" */
static void loader_signature_describe(uint32_t sig, char *out, size_t len)
{
	unsigned order = sig & 0xffu;
	const char *order_name = order == 1   ? "little endian"
	                         : order == 2 ? "big endian"
	                                      : "unknown byte order";

	snprintf(out, len, "%u-bit pointers, %u-byte size_t, %u-byte long, %s",
	         (unsigned)((sig >> 24) & 0xffu) * 8u, (unsigned)(sig >> 16) & 0xffu,
	         (unsigned)(sig >> 8) & 0xffu, order_name);
}

static int loader_check_functions(const char *path, const struct whorl_cartridge_api *api,
                                  char *errbuf, size_t errlen)
{
	size_t i;
	void (*fn)(void);

	for (i = 0; i < sizeof(loader_required) / sizeof(loader_required[0]); i++) {
		memcpy(&fn, (const char *)api + loader_required[i].offset, sizeof(fn));
		if (fn == NULL)
			return loader_fail(errbuf, errlen, WHORL_EABI,
			                   "%s is not binary compatible: required function "
			                   "'%s' is NULL",
			                   path, loader_required[i].name);
	}
	return 0;
}

/* The checks after the entry answered, in the documented order. */
static int loader_check_table(const char *path, const struct whorl_cartridge_api *api, char *errbuf,
                              size_t errlen)
{
	char theirs[96], ours[96];

	if (api == NULL)
		return loader_fail(errbuf, errlen, WHORL_EABI, "%s does not serve ABI major %u",
		                   path, (unsigned)WHORL_ABI_MAJOR);
	if (api->size < WHORL_CARTRIDGE_API_MIN_SIZE)
		return loader_fail(errbuf, errlen, WHORL_EABI,
		                   "%s is not binary compatible: table too small: %zu bytes, "
		                   "need at least %zu",
		                   path, api->size, (size_t)WHORL_CARTRIDGE_API_MIN_SIZE);
	if (api->abi_major != WHORL_ABI_MAJOR)
		return loader_fail(errbuf, errlen, WHORL_EABI,
		                   "%s is not binary compatible: ABI major %u, host speaks %u",
		                   path, (unsigned)api->abi_major, (unsigned)WHORL_ABI_MAJOR);
	if (api->build_signature != WHORL_BUILD_SIGNATURE) {
		loader_signature_describe(api->build_signature, theirs, sizeof(theirs));
		loader_signature_describe(WHORL_BUILD_SIGNATURE, ours, sizeof(ours));
		return loader_fail(errbuf, errlen, WHORL_EBUILD,
		                   "%s is not binary compatible: build signature 0x%08x "
		                   "(%s), host 0x%08x (%s)",
		                   path, (unsigned)api->build_signature, theirs,
		                   (unsigned)WHORL_BUILD_SIGNATURE, ours);
	}
	return loader_check_functions(path, api, errbuf, errlen);
}

/* dlopen + dlsym + entry call; leaves *dl open only on success. */
static int loader_open_image(const char *path, void **dl_out,
                             const struct whorl_cartridge_api **api_out, char *errbuf,
                             size_t errlen)
{
	whorl_cartridge_entry_fn entry;
	void *dl, *sym;
	const char *why;
	int rc;

	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (dl == NULL) {
		why = dlerror();
		return loader_fail(errbuf, errlen, WHORL_EIO, "cartridge %s cannot be loaded: %s",
		                   path, why != NULL ? why : "unknown dlopen error");
	}
	sym = dlsym(dl, WHORL_CARTRIDGE_ENTRY_SYMBOL);
	if (sym == NULL) {
		dlclose(dl);
		return loader_fail(errbuf, errlen, WHORL_EABI,
		                   "%s is not a whorl cartridge: it has no %s symbol", path,
		                   WHORL_CARTRIDGE_ENTRY_SYMBOL);
	}
	/* POSIX: a dlsym result converts to a function pointer this way. */
	memcpy(&entry, &sym, sizeof(entry));
	*api_out = entry(WHORL_ABI_MAJOR, WHORL_ABI_MINOR);
	rc = loader_check_table(path, *api_out, errbuf, errlen);
	if (rc != 0) {
		dlclose(dl);
		return rc;
	}
	*dl_out = dl;
	return 0;
}

int whorl_cartridge_load(const char *path, struct whorl_cartridge **out, char *errbuf,
                         size_t errlen)
{
	struct whorl_cartridge *c = NULL;
	int rc;

	if (out == NULL)
		return loader_fail(errbuf, errlen, WHORL_EINVAL, "no place for the cartridge");
	*out = NULL;
	if (path == NULL || *path == '\0')
		return loader_fail(errbuf, errlen, WHORL_EINVAL, "no cartridge path given");
	rc = loader_check_perms(path, errbuf, errlen);
	if (rc != 0)
		return rc;
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->path = strdup(path)) == NULL) {
		rc = loader_fail(errbuf, errlen, WHORL_ENOMEM, "out of memory");
		goto fail;
	}
	rc = loader_open_image(path, &c->dl, &c->api, errbuf, errlen);
	if (rc != 0)
		goto fail;
	snprintf(c->version, sizeof(c->version), "%s",
	         c->api->version != NULL ? c->api->version : "(no version)");
	*out = c;
	return 0;
fail:
	if (c != NULL)
		free(c->path);
	free(c);
	return rc;
}

const struct whorl_cartridge_api *whorl_cartridge_table(const struct whorl_cartridge *c)
{
	return c != NULL ? c->api : NULL;
}

const char *whorl_cartridge_version(const struct whorl_cartridge *c)
{
	return c != NULL ? c->version : NULL;
}

const char *whorl_cartridge_path(const struct whorl_cartridge *c)
{
	return c != NULL ? c->path : NULL;
}

void whorl_cartridge_unload(struct whorl_cartridge *c)
{
	if (c == NULL)
		return;
	dlclose(c->dl);
	free(c->path);
	free(c);
}
