/*
 * update.h - micro-update client: read, verify and load an update set.
 *
 * An update set (docs/FORMATS.md §2) is a directory: a signed `manifest`,
 * encrypted data files and their signed checksum files. update_load_url()
 * reads one from the configured mirror (file://, http:// or https://, see
 * net.c for the transport), verifies everything against the
 * pinned publisher key, and builds a new sigdb snapshot beside the current
 * one. Verified complete files are cached under <cache path>/micro_updates/
 * and loaded from there when the mirror cannot be read.
 *
 * Every rejection leaves the caller's data as it was and logs one line with
 * the module tag "MICROUPDATE" naming why.
 *
 * The mirror's address: mirror_url.c.
 *
 * Not for: scheduling (thread.c and the engine), state files, transport (net.c).
 */
#ifndef WHORL_UPDATE_H
#define WHORL_UPDATE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "../cfg/cfg.h"
#include "../log/log.h"
#include "../sigdb/sigdb.h"

/* Sources, numbered as enum sigdb_source. */
enum update_source {
	UPDATE_SRC_SIGS = SIGDB_SRC_SIGS,
	UPDATE_SRC_AWL = SIGDB_SRC_AWL,
	UPDATE_SRC_CATS = SIGDB_SRC_CATS,
	UPDATE_SRC_ACF = SIGDB_SRC_ACF
};
#define UPDATE_N_SOURCES 4

#define UPDATE_CACHE_SUBDIR "micro_updates"
#define UPDATE_CACHE_KEEP 2 /* complete files kept per source */
#define UPDATE_DEFAULT_CHECK_INTERVAL 60u
#define UPDATE_DEFAULT_FULL_INTERVAL 10800u
#define UPDATE_DEFAULT_EXPIRY (7 * 86400)

#define UPDATE_MAX_ETAG 128 /* longer ETags are not remembered */

/* Download counters (the guide's Table 3), kept by the engine across
 * cycles and bumped by the loader as each file verifies or fails.
 * "complete"/"incremental" count network downloads; "disk" counts complete
 * files read from the cache or a file:// mirror; serial_fail counts
 * manifests that could not be fetched from the network. */
struct net_lib;

struct update_counters {
	atomic_ullong complete_ok, incremental_ok, complete_fail, incremental_fail;
	atomic_ullong disk_ok, disk_fail, serial_fail;
};

/* Anchors a stored sketch is indexed by (fp_sketch_stored_anchors). */
typedef size_t (*update_anchors_fn)(uint8_t engine, uint8_t algo, const uint8_t *bytes, size_t len,
                                    uint32_t *out, size_t cap);

/* What the engine gives the loader. Any member may be NULL. Text hooks get
 * the whole new text of a source (cats: categories file, acf: "key = value"
 * schedule, awl: whitelist text); they are called only after every file of
 * the set verified, and the text is valid only during the call. */
struct update_hooks {
	update_anchors_fn anchors; /* NULL: sketches are stored unindexed */
	void (*on_cats)(void *ctx, const char *text, size_t len);
	void (*on_acf)(void *ctx, const char *text, size_t len);
	void (*on_awl)(void *ctx, const char *text, size_t len);
	int64_t (*now)(void *ctx); /* unix seconds; NULL: time() */
	void *ctx;
	struct update_counters *counters; /* NULL: not counted */
	const atomic_int *cancel;         /* non-zero stops a network transfer at once */
	struct net_lib *net_lib; /* libcurl for http(s) mirrors (update/net.h); NULL: none */
};

/* What the caller remembers between cycles (a later task persists it).
 * In: manifest_serial is the last accepted manifest serial; a manifest with
 * a lower one is a rollback and refused. Out: filled from the accepted
 * manifest and the serials now loaded. */
struct update_status {
	uint64_t manifest_serial;
	int64_t issued, expires;
	uint32_t check_interval, full_interval; /* seconds, from the manifest */
	uint64_t complete[UPDATE_N_SOURCES];
	uint64_t incremental[UPDATE_N_SOURCES];
	int from_cache; /* the set came from the local cache */
	/* Conditional requests: what the mirror said about the last manifest
	 * accepted from the network ("" / -1: ask unconditionally). */
	char etag[UPDATE_MAX_ETAG];
	int64_t last_modified;
	int64_t last_full;     /* when a complete sigs file last came from the network
	                                  (0: not yet; the schedule's clock starts at the
	                                  first network cycle) */
	uint32_t chain_len;    /* sigs deltas applied on top of the complete file
	                                  (all kept in the cache; bounded by UPDATE_MAX_DELTAS) */
	int open_mirror_noted; /* the "no license.cfg, open mirror" line was logged */
	int unclean_starts;    /* in: set by the engine at open (update_state_start);
	                                  with nothing loaded yet, picks the start-up set */
};

/* Loads whatever is newer than `current` (may be NULL: nothing loaded yet)
 * from the mirror update_mirror_url() names (http, https or file; with
 * `enable micro-updates = no` an http(s) mirror is not contacted and only
 * the cache is read). A 304 on the manifest means nothing new: 0 with
 * *out_new NULL. Everything is verified with the key in cfg->publisher_key (64 hex
 * digits, or 32 raw bytes). On success returns 0 and sets *out_new to a new
 * snapshot with one reference (the caller publishes it), or to NULL when
 * nothing is newer. On failure returns a negative WHORL_E* with *out_new
 * NULL: EIO, ENETWORK, ESIGNATURE, ESTALE (expired or
 * rollback), EFORMAT, ELIMIT, ENOMEM. `status` may be NULL.
 * Thread safety: may run beside scans; not twice at once for one cache. */
int update_load_url(const struct cfg *cfg, const struct logger *lg,
                    const struct update_hooks *hooks, const struct sigdb *current,
                    struct update_status *status, struct sigdb **out_new);

/* Start-up from disk only: the set the state files choose, re-verified
 * (state.h, update_state_load), without reading any mirror, so it never
 * blocks on a network or a hung mount. 0 and *out_new (one reference), or
 * WHORL_ENODATA (nothing on disk loads), WHORL_ECONFIG (no key). *fell_back
 * is set when an unclean shutdown made it load an older set than the
 * current one (the mirror should then wait for a normal cycle). */
int update_load_disk(const struct cfg *cfg, const struct logger *lg,
                     const struct update_hooks *hooks, struct update_status *status,
                     struct sigdb **out_new, int *fell_back);

/* The mirror's URL: `micro-update url` when set, else
 * http://<micro-update hostname>:<micro-update port>/. */
void update_mirror_url(const struct cfg *cfg, char *buf, size_t len);
/* 1 when the mirror is reached over the network (http or https). */
int update_mirror_is_network(const struct cfg *cfg);
/* The directory of a file:// mirror ("file:///d" or "file://localhost/d"),
 * pointing into cfg; NULL for any other URL. */
const char *update_mirror_file_dir(const struct cfg *cfg);

/* Reads a publisher public key file (64 hex digits and optional white
 * space, or exactly 32 raw bytes; a regular file, read through file_read).
 * 0, WHORL_EIO with *why (an errno value or a FILE_WHY_* code for
 * file_why_text), or WHORL_EFORMAT. why may be NULL. */
int update_pubkey_load(const char *path, uint8_t pk[32], int *why);

#endif
