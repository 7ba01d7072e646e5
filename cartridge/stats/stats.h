/*
 * stats.h - the statistics of the Cartridge guide's Chapter 6 and Table 3:
 * what scans count, the period report built from the counts, and its
 * sealed form for the collector.
 *
 * Counting: a scan adds its message to the *active* period with relaxed
 * atomic adds (no lock, no syscall, no allocation). A period ends when the
 * reporter flips `active` to the other buffer, waits for the scans that
 * could still be counting into the old one (the engine's grace period), then
 * reads and zeroes it: no count is lost or counted twice, whatever scans run.
 *
 * Not for: sending reports (post.c), the reporting thread and the engine
 * glue (../engine_stats.c), the collector (publisher/whorl-collect/).
 */
#ifndef WHORL_STATS_H
#define WHORL_STATS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "../../abi/whorl_cartridge.h"
#include "../log/log.h"
#include "../wl/wl.h"

#define STATS_REPORT_VERSION 1 /* Table 2's "version": bumped when keys change */
#define STATS_N_SCORES 101     /* scores 0-100 */
#define STATS_N_SIZES 10       /* size buckets, lower bounds in stats_size_kb */
#define STATS_N_ENGINES (WHORL_FP_ENGINE_MAX + 1)
#define STATS_CAT_SLOTS 256     /* distinct category/subcategory pairs per period */
#define STATS_SIG_SLOTS 4096    /* distinct fingerprints seen per period */
#define STATS_LOG_MAX_LINES 256 /* log lines kept per period, later ones counted */
#define STATS_LOG_MAX_BYTES 32768
#define STATS_DEFAULT_INTERVAL 3600 /* seconds: the guide's "every hour" */

/* Lower bounds, in KiB, of the size buckets ("message sizes = 0 2 4 ..."). */
extern const unsigned stats_size_kb[STATS_N_SIZES];

/* One category (sub = STATS_CAT_WHOLE) or category/subcategory count. */
#define STATS_CAT_WHOLE 0xffffu
struct stats_cat_slot {
	atomic_uint key; /* (cat << 16 | sub) + 1; 0 = free */
	atomic_uint_fast64_t count;
};

/* One fingerprint seen ("sigs seen = <sig>:<engine>:<count>"). */
struct stats_sig_slot {
	_Atomic uint64_t key; /* the fingerprint; 0 = free (key 0 is stored as 1) */
	atomic_uint engine;
	atomic_uint_fast64_t count;
};

/* The counts of one period. Zeroed memory is an empty period. */
struct stats_period {
	atomic_uint_fast64_t score[STATS_N_SCORES][STATS_N_SIZES];
	atomic_uint_fast64_t engine[STATS_N_ENGINES][STATS_N_SIZES];
	atomic_uint_fast64_t wl[WL_N_KINDS][WL_N_TYPES][STATS_N_SIZES];
	struct stats_cat_slot cats[STATS_CAT_SLOTS];
	atomic_uint_fast64_t cats_dropped; /* pairs that found no free slot */
	struct stats_sig_slot sigs[STATS_SIG_SLOTS];
	atomic_uint_fast64_t sigs_dropped;
};

/* Log lines >= INFO of the period, kept for "log messages". The tap sits
 * between the engine's logger and the host's callback. Logging is not on
 * the scan path (a scan that logs already calls into the host), so a mutex
 * guards the buffer. */
struct stats_log {
	pthread_mutex_t mu;
	void (*host_fn)(void *ctx, int level, const char *module, const char *message);
	void *host_ctx;
	char buf[STATS_LOG_MAX_BYTES];
	size_t len;
	unsigned n_lines;
	unsigned dropped;
};

struct stats {
	struct stats_period period[2];
	atomic_uint active; /* index of the period scans count into */
	struct stats_log log;
};

/* What one scan saw, for stats_count_message(). */
struct stats_msg {
	size_t bytes;
	unsigned score;                 /* 0-100 */
	unsigned category, subcategory; /* 0/0: not abuse */
	unsigned engines;               /* bit e set: engine e found known abuse */
	int wl_kind;                    /* enum wl_kind, or -1: not whitelisted */
	int wl_type;                    /* enum wl_type when wl_kind >= 0 */
};

/* Sets up s (zeroed by the caller) and puts its log tap between lg and
 * the host: lg's callback is replaced by one that records lines >= INFO
 * and forwards every line. Returns 0 or WHORL_ENOMEM. */
int stats_init(struct stats *s, struct logger *lg);
void stats_destroy(struct stats *s);

/* The period scans count into now. Take it once per scan while holding
 * the scan's scratch slot (the grace period waits for that slot). */
static inline struct stats_period *stats_active(struct stats *s)
{
	return &s->period[atomic_load_explicit(&s->active, memory_order_acquire) & 1u];
}

/* The size bucket of a message of `bytes` bytes. */
unsigned stats_size_bucket(size_t bytes);

/* Counts one scanned message into p. Lock-free, no allocation. */
void stats_count_message(struct stats_period *p, const struct stats_msg *m);

/* Counts one known fingerprint that matched (engine, key) into p. Lock-free;
 * a full table counts the miss in sigs_dropped. */
void stats_count_sig(struct stats_period *p, unsigned engine, uint64_t key);

/* Makes the other period active and returns the one that was; the caller
 * waits for a grace period before reading it, and zeroes it with
 * stats_period_clear() when done. Only the reporter calls this. */
struct stats_period *stats_flip(struct stats *s);
void stats_period_clear(struct stats_period *p);

/* Takes the period's log lines (newline separated) into a malloc'd string
 * and empties the buffer; NULL when out of memory. *dropped gets the lines
 * that did not fit. */
char *stats_log_take(struct stats_log *l, unsigned *dropped);

/* Passes one line to the host's callback without recording it (the report
 * itself, so that it does not land in the next period's log messages). */
void stats_log_host(struct stats_log *l, int level, const char *module, const char *message);

#endif
