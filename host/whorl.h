/*
 * whorl.h - libwhorl, the host adapter: load a cartridge.so and use it.
 *
 * libwhorl opens a cartridge by path (dlopen RTLD_NOW|RTLD_LOCAL, dlsym of
 * the one entry symbol), refuses one that is not binary compatible with a
 * message naming the reason, opens an engine on a configuration directory
 * and forwards scans to it. Programs (whorl-scan, whorl-publish, ...) are
 * thin mains on this library.
 *
 * Thread safety: whorl_host_score(), whorl_host_fingerprint(),
 * whorl_host_describe_category(), whorl_host_reload() and whorl_host_swap()
 * may be called from any number of threads at once. whorl_host_open() and
 * whorl_host_close() must not race with anything else on the same host.
 *
 * Not for: the cartridge's own internals (see abi/whorl_cartridge.h for the
 * contract between the two).
 */
#ifndef WHORL_HOST_H
#define WHORL_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "whorl_cartridge.h"

#ifdef __cplusplus
extern "C" {
#endif

/* libwhorl is built with -fvisibility=hidden; its public API is exported. */
#pragma GCC visibility push(default)

typedef struct whorl_host whorl_host;

/* Log callback: level is WHORL_LOG_*, module a short tag. */
typedef void (*whorl_log_fn)(void *ctx, int level, const char *module, const char *message);

struct whorl_host_options {
	size_t size;                /* sizeof(struct whorl_host_options) */
	const char *cartridge_path; /* NULL: whorl_default_cartridge_path() */
	const char *config_dir;     /* NULL: whorl_default_config_dir() */
	whorl_log_fn log;           /* NULL: log lines are dropped */
	void *log_ctx;
	int log_min_level;     /* lines below it are not passed to log */
	const char *app_name;  /* for statistics; may be NULL */
	const char *state_dir; /* rollback state (docs/HOSTING.md); NULL: none */
	/* Appended members: 0 means the default. */
	uint32_t open_timeout_ms; /* deadline for a cartridge's open + self_test (30 s) */
	uint32_t drain_ms;        /* deadline for scans on a swapped-out cartridge (5 s) */
	uint32_t trial_ms;        /* clean run before a trial becomes last viable (0:
	                              * 10 min; whorl-scan --trial-ms) */
	/* How the host names itself in statistics reports (docs/FORMATS.md 3.2):
	 * its version (NULL: libwhorl's), and the CMAE API version when it is a
	 * CMAE-compatible facade (NULL: not CMAE, reported as "unknown"). */
	const char *app_version;
	const char *cmae_version;
};

/* Opens the cartridge and an engine on the configuration directory.
 * On failure returns a negative WHORL_E* and writes the reason (naming the
 * file and e.g. "ABI major 2, host speaks 1") into errbuf. */
int whorl_host_open(const struct whorl_host_options *opts, whorl_host **out, char *errbuf,
                    size_t errlen);

/* Quiesces and closes the engine, then unloads the cartridge. NULL is fine. */
void whorl_host_close(whorl_host *h);


/* Scores a message; the verdict is released with whorl_host_verdict_free().
 * The verdict is a host-owned copy: it stays valid across swaps. */
int whorl_host_score(whorl_host *h, const struct whorl_envelope *env, const char *msg, size_t len,
                     struct whorl_verdict **out);
void whorl_host_verdict_free(whorl_host *h, struct whorl_verdict *v);

/* Fingerprints a message; released with whorl_host_fpset_free() (a
 * host-owned copy, valid across swaps). */
int whorl_host_fingerprint(whorl_host *h, const char *msg, size_t len, struct whorl_fpset **out);
void whorl_host_fpset_free(whorl_host *h, struct whorl_fpset *fps);

int whorl_host_describe_category(whorl_host *h, unsigned category, unsigned subcategory,
                                 char *cat_out, size_t cat_len, char *sub_out, size_t sub_len);
int whorl_host_reload(whorl_host *h, unsigned what);

/* Runs one micro-update cycle now (the table's update_now): fetches and
 * verifies what changed on the mirror and publishes it; scans continue.
 * 0, or a negative WHORL_E* (the live data is kept). */
int whorl_host_update_now(whorl_host *h);

/* The running cartridge's WHORL_CAP_* flags (0 for NULL). whorl_host_fingerprint()
 * answers WHORL_ENOTSUP without WHORL_CAP_FINGERPRINT; whorl_host_reload() drops
 * WHORL_RELOAD_WHITELIST without WHORL_CAP_WHITELIST (WHORL_ENOTSUP when nothing
 * is left). Thread-safe; reads the cartridge in use at the call. */
uint64_t whorl_host_capabilities(whorl_host *h);

/* Name of a fingerprint engine (enum whorl_fp_engine): "body", "fuzzy",
 * "url", "ip", "attach", "image", "struct"; "unknown" for any other value.
 * A static string; thread-safe. */
const char *whorl_fp_engine_name(unsigned engine);

/* Text for a WHORL_E* code (host side; works without a cartridge). */
const char *whorl_strerror(int code);

/* Defaults: the environment variables WHORL_CARTRIDGE and WHORL_CONFIG_DIR
 * when set, else <dir of the running program>/../lib/cartridge.so (then
 * ../lib/whorl/cartridge.so) and <dir>/../etc (then ../etc/whorl). */
const char *whorl_default_cartridge_path(void);
const char *whorl_default_config_dir(void);

/*
 * Hot swap (docs/HOSTING.md). Installs a copy of the cartridge at `path`
 * under a content-addressed name, opens an engine on it and runs its
 * self_test; then switches scans to it in one atomic step, waits up to
 * drain_ms for scans still on the old one, quiesces, closes and unloads it.
 * A cartridge that cannot be loaded, is not binary compatible, fails to open
 * within open_timeout_ms or fails its self test is refused: the running one
 * stays, the reason is logged and written to errbuf, a negative WHORL_E* is
 * returned. Swapping to the cartridge already running returns 0 and does
 * nothing. Safe while other threads score; not with whorl_host_close().
 * With a state directory the new cartridge is recorded as on trial first.
 */
int whorl_host_swap(whorl_host *h, const char *path, char *errbuf, size_t errlen);

/*
 * Copies of what a host may ask about the cartridge in use (info.c). Each
 * call holds the scan slot for its duration, so it is safe while another
 * thread swaps, and nothing returned points into a cartridge.
 */
#define WHORL_HOST_VERSION_MAX 128 /* longest cartridge version kept, with its NUL */
#define WHORL_HOST_PATH_MAX 4096   /* longest installed cartridge path, with its NUL */
struct whorl_host_info {
	size_t size; /* caller sets sizeof(struct whorl_host_info) */
	char cartridge_version[WHORL_HOST_VERSION_MAX];
	char cartridge_path[WHORL_HOST_PATH_MAX]; /* the installed, content-addressed copy */
	char cartridge_hash[72];                  /* BLAKE2b-256 of the file, lower-case hex */
	uint64_t capabilities;                    /* WHORL_CAP_* */
	uint32_t start_flags;                     /* WHORL_START_* passed to its open() */
};
/* Fills *out (out->size must be set). 0, or WHORL_EINVAL. */
int whorl_host_info(whorl_host *h, struct whorl_host_info *out);
/* The cartridge's statistics text ("key = value" lines, docs/HOSTING.md) as a
 * malloc'd copy the caller frees with free(). 0 or a negative WHORL_E*. */
int whorl_host_stats_text(whorl_host *h, char **out);
/* One value of that text, e.g. key "mu sigs serial" gives "1.3", copied into buf.
 * WHORL_ENODATA when the key is absent, WHORL_ELIMIT when buf is too short. */
int whorl_host_stat(whorl_host *h, const char *key, char *buf, size_t len);

/* WHORL_START_* flags this host passed to the running cartridge's open(). */
uint32_t whorl_host_start_flags(const whorl_host *h);

/*
 * A job: one call run on a thread of its own while the caller waits for it
 * with a deadline (job.c). When the deadline passes first the caller may walk
 * away; the thread finishes alone and nothing waits for it. Jobs and the host
 * are independent: a job may run a whorl_host_score() of its own.
 */
typedef struct whorl_job whorl_job;
typedef void (*whorl_job_fn)(void *arg);

/* Starts run(arg) on a new detached thread. Two references are held, the
 * caller's and the thread's; when the last one is dropped (the thread drops
 * its own after run returns, the caller with whorl_job_put), release(arg)
 * runs once on that thread (release may be NULL). So what arg holds belongs
 * to the job until release: the caller reads or takes from it only after
 * whorl_job_wait() returned 1. On success 0 and *out. WHORL_ENOMEM when no
 * memory or no thread: then neither run nor release is called and arg stays
 * the caller's. Thread-safe. */
int whorl_job_start(whorl_job_fn run, whorl_job_fn release, void *arg, whorl_job **out);
/* Waits until run(arg) returns or deadline_ms passes (CLOCK_MONOTONIC).
 * While it waits, every tick_ms it calls tick(tick_ctx) on the calling thread
 * with no lock held (e.g. a milter's smfi_progress; tick NULL or tick_ms 0:
 * none). Returns 1 when run returned (what it wrote in arg is visible to the
 * caller), 0 when the deadline passed first. One waiter per job; may be called
 * again after 0. Does not drop the caller's reference. */
int whorl_job_wait(whorl_job *j, uint32_t deadline_ms, uint32_t tick_ms, whorl_job_fn tick,
                   void *tick_ctx);
/* Drops the caller's reference; j (and arg, unless the caller took parts of
 * it after a wait that returned 1) must not be used after. Every started job
 * is put exactly once by its caller. Thread-safe. */
void whorl_job_put(whorl_job *j);

/*
 * The loader on its own, for tests and tools: dlopen + ABI checks, no engine.
 */
struct whorl_cartridge;
int whorl_cartridge_load(const char *path, struct whorl_cartridge **out, char *errbuf,
                         size_t errlen);
const struct whorl_cartridge_api *whorl_cartridge_table(const struct whorl_cartridge *c);
void whorl_cartridge_unload(struct whorl_cartridge *c);
/* The loaded image's version string, copied at load (safe after unload). */
const char *whorl_cartridge_version(const struct whorl_cartridge *c);
/* The path it was loaded from (a copy). */
const char *whorl_cartridge_path(const struct whorl_cartridge *c);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif /* WHORL_HOST_H */
