/*
 * host_internal.h - what the parts of libwhorl share (not installed).
 *
 * A host scans through `cur`, an atomic pointer to a slot: one loaded
 * cartridge image, its function table, one engine and a count of the calls
 * in flight on it. A swap opens a new slot beside the old one, publishes it
 * with one atomic exchange, waits for the old slot's count to reach zero
 * and then quiesces, closes and unloads it (swap.c). Retired slot records
 * are kept on a free list and reused, never freed while the host lives, so
 * a scan that read a stale `cur` may still touch the record's counter
 * (see host_slot_acquire in host.c for why that is safe).
 * Not for: the public API (host/whorl.h) or the CMAE facade (host/cmae.h).
 */
#ifndef WHORL_HOST_INTERNAL_H
#define WHORL_HOST_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "whorl.h"

#define HOST_HASH_BYTES 32                      /* BLAKE2b-256 of a cartridge file */
#define HOST_HASH_HEX (2 * HOST_HASH_BYTES)     /* its lower-case hex form */
#define HOST_VERSION_MAX WHORL_HOST_VERSION_MAX /* longest cartridge version kept */
#define HOST_ERR_MAX 512                        /* reason texts */
#define HOST_OPEN_TIMEOUT_MS 30000u             /* default deadline for open + self_test */
#define HOST_DRAIN_MS 5000u                     /* default deadline for draining a swap */
#define HOST_TRIAL_MS 600000u                   /* default trial before "last viable" */

struct host_slot {
	struct whorl_cartridge *cart;
	const struct whorl_cartridge_api *api;
	whorl_engine *engine;
	atomic_long refs;        /* calls in flight on this slot */
	struct whorl_host *host; /* log forwarding target */
	pthread_mutex_t log_mu;  /* guards `abandoned` against the log path */
	int abandoned;           /* open timed out: the opener owns the slot */
	char hash[HOST_HASH_HEX + 1];
	char path[PATH_MAX]; /* the installed, content-addressed copy */
	char version[HOST_VERSION_MAX];
	struct host_slot *next; /* free or parked list */
};

struct host_rollback;

struct whorl_host {
	_Atomic(struct host_slot *) cur;
	pthread_mutex_t swap_mu;      /* one swap at a time; guards the lists */
	struct host_slot *free_slots; /* retired records, ready for reuse */
	struct host_slot *parked;     /* old slots that did not drain in time */
	whorl_log_fn log;
	void *log_ctx;
	int log_min_level;
	char *config_dir;
	char *app_name;
	char *app_version;    /* NULL: WHORL_VERSION */
	char *cmae_version;   /* NULL: not a CMAE facade */
	uint32_t start_flags; /* WHORL_START_* given to open() */
	uint32_t open_timeout_ms;
	uint32_t drain_ms;
	uint32_t trial_ms;
	char install_dir[PATH_MAX]; /* where content-addressed copies live */
	int install_dir_is_temp;    /* removed at close */
	struct host_rollback *rb;   /* NULL without a state directory */
};

/* host.c: the running cartridge's raw table and engine, for the unit tests
 * that call members libwhorl does not wrap. Valid only until the next swap:
 * host programs use the copies of whorl.h (whorl_host_info, _stats_text). */
const struct whorl_cartridge_api *whorl_host_api(const whorl_host *h);
whorl_engine *whorl_host_engine(const whorl_host *h);

/* log.c: a "HOST" line through the host program's callback, at or above its level. */
void host_logf(struct whorl_host *h, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* slot.c: pin the running slot for one call, and let it go. */
struct host_slot *host_slot_acquire(struct whorl_host *h);
void host_slot_release(struct host_slot *s);

/* copy.c: host-owned copies (one malloc block each) of cartridge results. */
int copy_verdict(const struct whorl_verdict *v, struct whorl_verdict **out);
int copy_fpset(const struct whorl_fpset *f, struct whorl_fpset **out);

/* loader.c: refuses a file or directory anyone could have written. */
int loader_check_perms(const char *path, char *errbuf, size_t errlen);

/* slot.c: load + open and self_test (on a thread, with a deadline). `src`
 * names the file the caller gave, for messages. */
int slot_open(struct whorl_host *h, const char *src, const char *installed_path, const char *hash,
              struct host_slot **out, char *errbuf, size_t errlen);
/* Quiesce, close, dlclose; then checks /proc/self/maps. 0, or WHORL_EBUSY
 * when the image is still mapped (logged). The record goes to free_slots. */
int slot_retire(struct whorl_host *h, struct host_slot *s);
int slot_image_mapped(const char *path);

/* install.c: copy `src` to install_dir/cartridge-<hash>.so (temp + rename). */
int install_dir_prepare(struct whorl_host *h, const char *state_dir, char *errbuf, size_t errlen);
int install_cartridge(struct whorl_host *h, const char *src, char *path_out, size_t path_len,
                      char *hash_out, char *errbuf, size_t errlen);
void install_dir_cleanup(struct whorl_host *h);
/* Removes the copies in STATE_DIR/cartridges whose hash is neither keep_a
 * nor keep_b (either may be ""): what the rollback record no longer names. */
void install_prune(const char *state_dir, const char *keep_a, const char *keep_b);

/* rollback.c */
int rollback_start(struct whorl_host *h, const char *state_dir, char *path, size_t path_len,
                   char *hash, char *errbuf, size_t errlen);
int rollback_trial(struct whorl_host *h, const char *path, const char *hash);
/* The trial just failed to open: marks it refused and, when there is a last
 * viable cartridge, writes its path and hash and returns 0. */
int rollback_fallback(struct whorl_host *h, char *path, size_t path_len, char *hash);
/* A swap's trial was refused before use: the previous record comes back. */
void rollback_refused(struct whorl_host *h, const char *hash);
/* Clean shutdown: clears the crash counter (promoting a trial that ran long
 * enough); rollback_abort only releases memory (a failed open). */
void rollback_close(struct whorl_host *h);
void rollback_abort(struct whorl_host *h);

#endif
