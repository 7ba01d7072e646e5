/*
 * engine.h - the engine object behind the ABI's opaque whorl_engine.
 *
 * All state of one opened cartridge lives here (no globals), so two
 * cartridge versions can run side by side during a swap. Scans read the
 * live snapshot and the current categories through atomic pointers and use
 * a scratch slot from a lock-free pool; updates replace those pointers.
 *
 * Not for: the scan pipeline itself (scan.c) or scoring rules (score.c).
 */
#ifndef WHORL_ENGINE_H
#define WHORL_ENGINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "../abi/whorl_cartridge.h"
#include "cfg/cfg.h"
#include "fp/fp.h"
#include "img/img_qr.h"
#include "log/log.h"
#include "mime/mime.h"
#include "sigdb/sigdb.h"
#include "stats/identity.h"
#include "stats/stats.h"
#include "update/net.h"
#include "update/thread.h"
#include "update/update.h"
#include "util/arena.h"
#include "wl/wl.h"

#define ENGINE_SCRATCH_SLOTS 64                     /* concurrent scans without a malloc */
#define ENGINE_SCAN_ARENA_LIMIT ((size_t)128 << 20) /* one scan's working memory */

/* Per-scan working memory, reused across scans by one thread at a time.
 * A scan holds its slot from start to end; that is also what grace periods
 * (engine_grace_period) wait on before freeing a replaced table. */
struct scan_scratch {
	atomic_int busy;
	atomic_uint seq;      /* bumped at every release */
	unsigned private_gen; /* a private slot's grace generation (engine_grace_period) */
	struct arena arena;
	struct charset_cache *charsets;
	struct fp_list fps;
};

struct whorl_engine {
	struct logger log;
	char config_dir[CFG_MAX_STR];
	_Atomic(struct cfg *) cfg; /* replaced whole by reload(CONFIG) */
	uint64_t (*clock_ms)(void *ctx);
	void *clock_ctx;
	struct sigdb_live live;
	_Atomic(struct categories *) cats; /* replaced whole by cats updates */
	struct scan_scratch *scratch;      /* ENGINE_SCRATCH_SLOTS slots */
	atomic_uint scratch_hint;          /* first slot acquire probes: 0 (tests move it) */
	/* Scans on malloc'd slots, counted by the grace generation they
	 * started in (its low bit picks the counter): a grace period moves
	 * the generation on and waits only for the old one's count to drain,
	 * so scans that start after the switch never hold it up. */
	atomic_uint private_gen;
	atomic_long private_scans[2];
	pthread_mutex_t grace_lock;      /* one grace period at a time; never taken by scans */
	_Atomic uint64_t data_loaded_ms; /* when the live data was loaded; 0 = never */
	_Atomic int64_t data_expires; /* unix seconds the live set's manifest expires; 0 = none */
	/* Per source (UPDATE_SRC_*): unix seconds the manifest that brought its
	 * live serial was issued (0 = unknown); "mu <source> age" in statistics. */
	_Atomic int64_t data_issued[UPDATE_N_SOURCES];
	pthread_mutex_t
	    update_lock; /* one writer (update, reload) at a time; never taken by scans */
	struct update_status update_status; /* what the last accepted set said */
	struct update_counters counters;    /* Table 3 download counters */
	struct update_thread updater;       /* network micro-updates (update/thread.c) */
	atomic_int update_cancel;           /* set at quiesce: stops a transfer in flight */
	atomic_ulong cycles_done;           /* update cycles finished (engine_update_data) */
	int last_cycle_rc;                  /* result of the last one, under update_lock */
	unsigned long updater_seen;         /* cycles_done at the update thread's last turn,
	                                        under update_lock */
	/* Whitelists (wl/): [WL_LOCAL] from whitelist.cfg, [WL_AWL] from the awl
	 * source; replaced whole under update_lock, freed after a grace period. */
	_Atomic(struct wl *) wl[WL_N_KINDS];
	struct wl_stats wl_stats;
	/* Statistics (engine_stats.c): period counters, log tap, reporter. */
	struct stats stats;
	struct update_thread stats_thread;
	atomic_int stats_cancel;        /* set at quiesce: stops a report in flight */
	atomic_uint stats_acf_interval; /* seconds, from the acf source; 0 = none */
	_Atomic uint64_t stats_serial;  /* reports made (sent or not) */
	atomic_uint stats_sent;         /* reports the collector accepted */
	int stats_started;              /* the reporter's first cycle ran */
	atomic_int stats_running;       /* stats_thread may be kicked (started, not stopping) */
	atomic_uint stats_waiting;      /* the interval the reporter waits now; 0 = none yet */
	int stats_have_key;
	uint8_t stats_collector_pk[32];
	char stats_host_id[256];
	char stats_installation_id[64];
	char stats_run_id[32];
	_Atomic int64_t stats_period_start; /* unix seconds the current period began */
	char stats_app_name[128];
	char stats_app_version[64];
	char stats_cmae_version[64];
	struct img_qr_lib qr;         /* libzbar, opened at the first QR search */
	struct net_lib net;           /* libcurl, opened at the first transfer */
	struct stats_sha1 stats_sha1; /* libcrypto, opened for an anonymised host id */
	int quiesced;
};

/* Scratch slots: acquire never blocks (a fresh slot is malloc'd when all
 * are busy), release returns it. init also sets up the grace-period state
 * (private_gen, private_scans, grace_lock); destroy frees both. */
int engine_scratch_init(struct whorl_engine *e);
void engine_scratch_destroy(struct whorl_engine *e);
struct scan_scratch *engine_scratch_acquire(struct whorl_engine *e);
void engine_scratch_release(struct whorl_engine *e, struct scan_scratch *s);

/* Returns once every scan that was in flight when it was called has ended:
 * after swapping a table pointer, the old table may then be freed. Scans
 * that start after the call are not waited for, so steady load (even more
 * concurrent scans than slots) cannot starve it. Any thread; grace periods
 * run one at a time. Must not be called from inside a scan. */
void engine_grace_period(struct whorl_engine *e);

/* Loads the update set named by the configuration and publishes it; keeps
 * the live data on any failure. */
int engine_update_data(struct whorl_engine *e);
/* update_now(): as engine_update_data(), but when a cycle is already
 * running (the update thread's) its result is returned instead of running
 * a second one right after it. */
int engine_update_data_now(struct whorl_engine *e);
/* At open: loads the set on disk (never a mirror), starts the update
 * thread for the mirror (file://, or http(s) when enabled; its first cycle
 * runs at once) and, for file:// mirrors and `download micro-updates
 * before init = yes`, waits for that cycle at most ENGINE_OPEN_WAIT_MS, so a
 * hung mirror never keeps open() past the host's deadline. */
void engine_update_open(struct whorl_engine *e);
/* Table 3 download counters and staleness as stats_snapshot lines. */
int engine_update_stats(struct whorl_engine *e, char *buf, size_t len);
/* engine_swap.c: replace the categories table / configuration (taking
 * ownership), wait a grace period and free the old one. Caller holds
 * update_lock. */
void engine_set_categories(struct whorl_engine *e, struct categories *cats);
void engine_set_cfg(struct whorl_engine *e, struct cfg *cfg);
/* Same for one whitelist (w may be NULL: none). Caller holds update_lock. */
void engine_set_whitelist(struct whorl_engine *e, enum wl_kind kind, struct wl *w);

/* engine_clock.c: the host's clock when it gave one, else the wall clock
 * (milliseconds since the epoch). Any thread. */
uint64_t engine_now_ms(const struct whorl_engine *e);

/* Statistics (engine_stats.c). open: the log tap and host names, right
 * after the logger is set up (0 or WHORL_ENOMEM); start: identity, collector
 * key, "Statistics initialized..." and the reporting thread, once the
 * configuration is loaded; quiesce: stops the thread and sends the last
 * period's report (one bounded try); close: frees. acf: takes "statistics
 * interval = <seconds>" from the acf source's text. snapshot_text appends
 * the Table 3 lines of the period so far to *text (malloc'd, *len bytes). */
int engine_stats_open(struct whorl_engine *e, const struct whorl_host_services *host);
void engine_stats_start(struct whorl_engine *e);
void engine_stats_quiesce(struct whorl_engine *e);
void engine_stats_close(struct whorl_engine *e);
void engine_stats_acf(struct whorl_engine *e, const char *text, size_t len);
int engine_stats_snapshot_text(struct whorl_engine *e, char **text, size_t *len);

/* ABI functions (entry.c puts them in the table). */
int engine_open(const struct whorl_host_services *host, const char *config_dir, whorl_engine **out,
                char *errbuf, size_t errlen);
int engine_quiesce(whorl_engine *e);
void engine_close(whorl_engine *e);
int engine_reload(whorl_engine *e, unsigned what);
int engine_update_now(whorl_engine *e);
int engine_describe_category(whorl_engine *e, unsigned category, unsigned subcategory,
                             char *cat_out, size_t cat_len, char *sub_out, size_t sub_len);
int engine_stats_snapshot(whorl_engine *e, char **text_out);
void engine_text_free(whorl_engine *e, char *text);
int engine_self_test(whorl_engine *e, char *errbuf, size_t errlen);
const char *engine_strerror(int code);

int scan_score(whorl_engine *e, const struct whorl_envelope *env, const char *msg, size_t len,
               struct whorl_verdict **out);
/* As scan_score, left out of the statistics, with the configuration cfg
 * (the caller's, alive for the call; NULL: the live one): the self test's
 * scans, made without the limits a postmaster may set (selftest.c). */
int scan_score_uncounted(whorl_engine *e, const struct cfg *cfg, const struct whorl_envelope *env,
                         const char *msg, size_t len, struct whorl_verdict **out);
void scan_verdict_free(whorl_engine *e, struct whorl_verdict *v);
int scan_fingerprint(whorl_engine *e, const char *msg, size_t len, struct whorl_fpset **out);
void scan_fpset_free(whorl_engine *e, struct whorl_fpset *fps);
/* As scan_fingerprint with the configuration cfg (NULL: the live one). */
int scan_fingerprint_cfg(whorl_engine *e, const struct cfg *cfg, const char *msg, size_t len,
                         struct whorl_fpset **out);

#endif
