/*
 * update_internal.h - what the loader's files share: one run of the loader
 * over one directory (a file:// mirror or the local cache).
 *
 * Not for: the format itself (update_format.h) or callers (update.h).
 */
#ifndef WHORL_UPDATE_INTERNAL_H
#define WHORL_UPDATE_INTERNAL_H

#include <limits.h>

#include "update.h"
#include "update_format.h"

#define UPDATE_MOD "MICROUPDATE"
#define UPDATE_CKSUM_SUFFIX ".cksum"
#define UPDATE_MANIFEST_NAME "manifest"

/* A verified file kept in memory until it is written to the cache. */
struct update_blob {
	char name[UPDATE_MAX_NAME + 1];
	uint8_t *data;
	size_t len;
	uint8_t *cksum;
	size_t cksum_len;
};

struct update_run {
	const struct cfg *cfg;
	const struct logger *lg;
	const struct update_hooks *hooks;
	uint8_t pk[UPDATE_KEY_BYTES];
	uint8_t key_id[UPDATE_KEY_ID_BYTES];
	char dir[PATH_MAX];
	int from_cache;                /* dir is the cache: only complete files */
	struct update_manifest man;
	uint8_t *man_bytes;
	size_t man_len;
	struct update_blob keep[UPDATE_N_SOURCES];   /* complete files loaded */
};

/* Reads dir/name, refusing a file larger than max (WHORL_ELIMIT) without
 * reading past max + 1 bytes. WHORL_EIO with errno set when it cannot be
 * opened or read. *buf is malloc'd (NUL terminated, not counted). */
int update_read_bounded(const char *dir, const char *name, size_t max, uint8_t **buf,
                        size_t *len);

/* Reads and verifies ref's checksum file and data file, decrypts and
 * inflates; *payload (malloc'd) holds *raw_len bytes. When keep is not NULL
 * the raw file bytes move into it (for the cache). Logs the reason of a
 * failure. */
int update_file_fetch(struct update_run *run, int source, const struct update_file_ref *ref,
                      uint8_t **payload, size_t *raw_len, struct update_blob *keep);

/* Writes the kept complete files and the manifest to the cache directory
 * (crash-safe: .part, fsync, rename, fsync dir) and prunes old files. */
void update_cache_store(struct update_run *run);
/* <cache path>/micro_updates into buf; 0, or -1 when no cache is set. */
int update_cache_dir(const struct cfg *cfg, char *buf, size_t len);

void update_blob_free(struct update_blob *b);

#endif
