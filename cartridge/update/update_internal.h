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
#include "io.h"
#include "stream.h"

#define UPDATE_MOD "MICROUPDATE"

/* A verified file kept in memory until it is written to the cache. */
struct update_blob {
	char name[UPDATE_MAX_NAME + 1];
	uint8_t *data;
	size_t len;
	uint8_t *cksum;
	size_t cksum_len;
};

/* A network mirror for one run: base URL, licence, conditional tags. */
struct update_net {
	char base[CFG_MAX_STR + 64]; /* ends with '/' */
	char user[24];               /* licence id */
	char password[256];          /* licence password (wiped at the end) */
	int open_mirror;             /* no license.cfg: no authentication at all */
	char etag_in[UPDATE_MAX_ETAG];
	int64_t modified_in;
	char etag_out[UPDATE_MAX_ETAG];
	int64_t modified_out;
	const struct net_curl *curl; /* the engine's libcurl (net_lib_get) */
};

/* A complete sigs file fetched into <cache>/<name>.part (or, with no
 * usable cache, an unnamed scratch file), verified and loaded; renamed to
 * <cache>/<name> by update_cache_store() once the set is in use, removed
 * otherwise (update_part_drop). */
struct update_part {
	int open; /* fd is ours */
	int fd;
	char dir[PATH_MAX];             /* "": a scratch file, nothing to rename */
	char name[UPDATE_MAX_NAME + 1]; /* local name (update_cache_name), never the mirror's */
	uint8_t *cksum;                 /* its signed checksum file, for the cache */
	size_t cksum_len;
};

/* A verified sigs delta kept in memory until it is written to the cache. */
struct update_delta_keep {
	struct update_blob blob;
	uint64_t base, serial;
};

struct update_run {
	const struct cfg *cfg;
	const struct logger *lg;
	const struct update_hooks *hooks;
	uint8_t pk[UPDATE_KEY_BYTES];
	uint8_t key_id[UPDATE_KEY_ID_BYTES];
	char dir[PATH_MAX];
	int from_cache;         /* dir is the cache: only complete files */
	struct update_net *net; /* not NULL: read from this mirror, not dir */
	/* dir is a file:// mirror: each file is read in a child (dir_read.c) */
	int dir_in_child;
	/* the last update_run_read*() failure was logged where it happened */
	int read_logged;
	/* the cycle's time limit, on child_read_now_ms()'s clock (0: none) */
	int64_t start_ms, deadline_ms;
	struct update_manifest man;
	uint8_t *man_bytes;
	size_t man_len;
	struct update_blob keep[UPDATE_N_SOURCES]; /* complete text files loaded */
	struct update_part part;                   /* the complete sigs file loaded, if any */
	struct update_delta_keep delta[UPDATE_MAX_DELTAS]; /* sigs deltas applied, in order */
	size_t n_deltas;
};

/* Fetches ref's checksum file and verifies it names ref (signature, key,
 * name, source, serial, base, size, hash); *raw (malloc'd) holds its bytes.
 * Logs why it refused. 0 or a negative WHORL_E*. */
int update_cksum_fetch(struct update_run *run, int source, const struct update_file_ref *ref,
                       struct update_cksum *c, uint8_t **raw, size_t *raw_len);
/* "Could not update <source> from <where> (microupdate file <file> <why>)." */
void update_fetch_fail(const struct update_run *run, int source, const char *file, const char *why);
/* Counts one data file fetched, as the guide's Table 3 does. */
void update_count_file(const struct update_run *run, const struct update_file_ref *ref, int ok);

/* Fetches the complete sigs file ref into run->part (through the cache's
 * .part file, never whole in memory), verifies, decrypts and inflates it
 * in a fixed window and feeds the payload to ps, then finishes ps. On 0
 * everything ps passed on came from a file whose tag, hash and size
 * verified; on any error the caller throws away what ps built. When
 * rc == ps->err the records were at fault (not logged here); every other
 * failure is logged here. */
int update_sigs_stream(struct update_run *run, const struct update_file_ref *ref,
                       struct update_payload_stream *ps);
/* Creates dir/name.part (O_EXCL|O_NOFOLLOW, 0600, after removing a
 * leftover) into *part; 0 or -1 (logged). */
int update_part_create(const struct update_run *run, const char *dir, const char *name,
                       struct update_part *part);
/* Closes part, removes its .part file when it is still ours, frees it. */
void update_part_drop(struct update_part *part);

/* Reads and verifies ref's checksum file and data file, decrypts and
 * inflates; *payload (malloc'd) holds *raw_len bytes. When keep is not NULL
 * the raw file bytes move into it (for the cache). Logs the reason of a
 * failure. */
int update_file_fetch(struct update_run *run, int source, const struct update_file_ref *ref,
                      uint8_t **payload, size_t *raw_len, struct update_blob *keep);

/* Writes the kept complete files and sigs deltas to the cache directory
 * (crash-safe: .part, fsync, rename, fsync dir). Pruning is
 * update_cache_prune's, once the state files name the new set. */
void update_cache_store(struct update_run *run);
/* <cache path>/micro_updates into buf; 0, or -1 when no cache is set. */
int update_cache_dir(const struct cfg *cfg, char *buf, size_t len);

/* Reads one file of the set: from run->net's mirror when set (checksum
 * files with the licence as HTTP basic auth; the manifest conditionally),
 * from a file:// mirror through a child process (update_dir_read) when
 * run->dir_in_child, else update_read_bounded(run->dir, ...). Network
 * failures are logged here and return WHORL_ENETWORK or WHORL_ELIMIT;
 * WHORL_ENODATA means the manifest is unchanged (304). Disk failures are
 * left to the caller unless update_run_logged() says otherwise. */
int update_run_read(struct update_run *run, const char *name, size_t max, uint8_t **buf,
                    size_t *len);
/* As update_run_read(), but the file is appended to fd as it arrives, at
 * most max bytes (WHORL_ELIMIT past that). A run without run->net reads
 * through a child process (update_dir_read_fd). */
int update_run_read_fd(struct update_run *run, const char *name, size_t max, int fd);
/* 1 when the last update_run_read*() failure was logged where it happened:
 * every failure of a network run; of a file:// mirror run the cycle's time
 * limit, a cancel and a reader process that failed (dir_read.c). */
static inline int update_run_logged(const struct update_run *run)
{
	return run->net != NULL || run->read_logged;
}

/* run->dir/name of a file:// mirror, read in a child process (dir_read.c,
 * child_read.h) until run->deadline_ms or the hooks' cancel flag: a mirror
 * whose filesystem stops answering costs a killed child, never a blocked
 * thread. As update_read_bounded() (0, WHORL_EIO with errno, WHORL_ELIMIT,
 * WHORL_ENOMEM), and WHORL_EIO / WHORL_EBUSY with run->read_logged set for
 * the failures it logs itself (time limit, cancel, reader process). */
int update_dir_read(struct update_run *run, const char *name, size_t max, uint8_t **buf,
                    size_t *len);
/* As update_dir_read(), appending the file to fd. */
int update_dir_read_fd(struct update_run *run, const char *name, size_t max, int fd);
/* Opens a network run on update_mirror_url(): 0 and *out (free with
 * update_net_close), WHORL_ENODATA when `enable micro-updates = no`
 * (disk only), WHORL_ECONFIG when license.cfg is malformed or unreadable
 * (logged with the guide's line), WHORL_ENOMEM. Without a license.cfg the
 * run fetches without authentication (an open mirror), logged at INFO once
 * per status (status->open_mirror_noted; status may be NULL). libcurl is
 * net_lib's, opened here the first time; WHORL_ENETWORK (logged) when it
 * cannot be (or net_lib is NULL). */
int update_net_open(const struct cfg *cfg, const struct logger *lg, struct net_lib *net_lib,
                    struct update_status *status, struct update_net **out);
/* A mirror cycle's time is bounded, for http(s) and file:// mirrors alike
 * (a dripping server or a hung mount must not hold it for minutes):
 * UPDATE_CYCLE_TIMEOUTS x `micro-update timeout` from its start, plus the
 * bytes the manifest lists at UPDATE_CYCLE_MIN_RATE. Past the limit every
 * transfer or child read stops and the cycle fails with one ERROR line. */
#define UPDATE_CYCLE_TIMEOUTS 2
#define UPDATE_CYCLE_MIN_RATE 16384u /* bytes/s a mirror must at least deliver */
/* Starts the cycle's clock: run->start_ms now, run->deadline_ms the limit. */
void update_run_clock_start(struct update_run *run);
/* Extends the cycle's limit by the time `bytes` take at UPDATE_CYCLE_MIN_RATE. */
void update_run_allow(struct update_run *run, uint64_t bytes);
/* 1 when the cycle's time is up, logged (update_run_limit_log) for name. */
int update_run_time_over(const struct update_run *run, const char *name);
/* The ERROR line of a cycle stopped by its limit at file `name`: how long
 * it had run at at_ms (child_read_now_ms()'s clock), the limit, and for a
 * file:// mirror the mirror's URL. */
void update_run_limit_log(const struct update_run *run, const char *name, int64_t at_ms);
/* Remembers the accepted manifest's ETag / Last-Modified in *status. */
void update_net_save(const struct update_net *net, struct update_status *status);
void update_net_close(struct update_net *net);
/* "network" or "disk", for log lines. */
const char *update_run_where(const struct update_run *run);
/* Bumps one of the engine's counters, if it keeps them. */
void update_count(const struct update_run *run, atomic_ullong *which);
#define UPDATE_COUNTER(run, member) \
	((run)->hooks && (run)->hooks->counters ? &(run)->hooks->counters->member : NULL)

void update_blob_free(struct update_blob *b);

/* Applies one verified payload record to b (apply.c): puts, and for deltas
 * removals. anchors may be NULL (sketches stored unindexed). 0, or the
 * builder's error: WHORL_ENODATA for a removal of an absent entry (the
 * caller decides whether that matters), WHORL_ENOMEM, WHORL_ELIMIT,
 * WHORL_EFORMAT for an unknown tag. */
int update_record_apply(struct sigdb_builder *b, update_anchors_fn anchors,
                        const struct update_record *r);

#endif
