/*
 * engine_update.c - loads the configured update set and makes it live.
 *
 * The update module verifies everything and builds a new snapshot beside
 * the live one; here it is published with one atomic swap, and the text
 * sources (categories) replace theirs. A failed or refused load keeps what
 * was live. Scans never wait: only concurrent update cycles serialise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "update/state.h"

/* Called by the loader inside engine_update_data, update_lock held. */
static void on_cats(void *ctx, const char *text, size_t len)
{
	struct whorl_engine *e = ctx;
	struct categories *cats = malloc(sizeof(*cats));
	if (cats == NULL)
		return;
	char why[CATS_WHY_MAX];
	categories_defaults(cats);
	if (categories_parse_why(cats, text, len, why, sizeof why) != 0) {
		log_warn(&e->log, "MICROUPDATE",
		         "Could not load cats files from disk (malformed content: %s)", why);
		free(cats);
		return;
	}
	engine_set_categories(e, cats);
}

/* The awl source: the backend whitelist, same grammar as whitelist.cfg. */
static void on_awl(void *ctx, const char *text, size_t len)
{
	struct whorl_engine *e = ctx;
	struct wl *w = wl_compile(text, len, WL_AWL, &e->log);
	if (w != NULL)
		engine_set_whitelist(e, WL_AWL, w);
}

/* The acf source: the publisher's schedule; statistics take their interval. */
static void on_acf(void *ctx, const char *text, size_t len)
{
	engine_stats_acf(ctx, text, len);
}

static int64_t hook_now(void *ctx)
{
	return (int64_t)(engine_now_ms(ctx) / 1000);
}

static void update_hooks_fill(struct whorl_engine *e, struct update_hooks *hooks)
{
	memset(hooks, 0, sizeof *hooks);
	hooks->anchors = fp_sketch_stored_anchors;
	hooks->on_cats = on_cats;
	hooks->on_awl = on_awl;
	hooks->on_acf = on_acf;
	hooks->now = hook_now;
	hooks->ctx = e;
	hooks->counters = &e->counters;
	hooks->cancel = &e->update_cancel;
	hooks->net_lib = &e->net;
}

/* Makes a loaded snapshot live; update_lock held. */
static void update_publish(struct whorl_engine *e, const struct update_status *status,
                           struct sigdb *fresh)
{
	/* A source whose serial moved (or the first set) is as old as this manifest. */
	for (int i = 0; i < UPDATE_N_SOURCES; i++)
		if (atomic_load(&e->data_issued[i]) == 0 ||
		    status->complete[i] != e->update_status.complete[i] ||
		    status->incremental[i] != e->update_status.incremental[i])
			atomic_store(&e->data_issued[i], status->issued);
	e->update_status = *status;
	atomic_store(&e->data_expires, status->expires);
	if (fresh != NULL) {
		sigdb_live_publish(&e->live, fresh);
		atomic_store(&e->data_loaded_ms, engine_now_ms(e));
	}
}

/* One cycle with configuration cfg; update_lock held. */
static int update_cycle_locked(struct whorl_engine *e, const struct cfg *cfg)
{
	struct update_hooks hooks;
	struct sigdb *current = sigdb_live_acquire(&e->live);
	struct sigdb *fresh = NULL;
	struct update_status status = e->update_status;
	int loaded_before = atomic_load(&e->data_loaded_ms) != 0;

	update_hooks_fill(e, &hooks);
	int rc =
	    update_load_url(cfg, &e->log, &hooks, loaded_before ? current : NULL, &status, &fresh);
	sigdb_unref(current);
	update_state_tick(cfg, &e->log, hook_now(e), cfg->mu_trial_seconds);
	/* Said once per engine, whatever the cycle's outcome. */
	e->update_status.open_mirror_noted = status.open_mirror_noted;
	if (rc == 0)
		update_publish(e, &status, fresh);
	if (rc == 0 && !loaded_before && fresh == NULL)
		return WHORL_ENODATA;
	return rc;
}

/* One cycle and its bookkeeping; update_lock held. Writers hold it, so the
 * configuration cannot be freed under the cycle. */
static int update_data_locked(struct whorl_engine *e)
{
	const struct cfg *cfg = atomic_load(&e->cfg);
	int rc = WHORL_ENODATA;

	if (cfg->mu_url[0] != '\0' || cfg->cache_path[0] != '\0')
		rc = update_cycle_locked(e, cfg);
	e->last_cycle_rc = rc;
	atomic_fetch_add(&e->cycles_done, 1);
	return rc;
}

int engine_update_data(struct whorl_engine *e)
{
	pthread_mutex_lock(&e->update_lock);
	int rc = update_data_locked(e);
	pthread_mutex_unlock(&e->update_lock);
	return rc;
}

int engine_update_data_now(struct whorl_engine *e)
{
	unsigned long seen = atomic_load(&e->cycles_done);
	int rc;

	if (pthread_mutex_trylock(&e->update_lock) != 0) {
		/* A cycle is running (the update thread's, or a reload): when it
		 * was one, its result is this call's, rather than a second cycle
		 * on the same mirror right after it. */
		pthread_mutex_lock(&e->update_lock);
		if (atomic_load(&e->cycles_done) != seen) {
			rc = e->last_cycle_rc;
			pthread_mutex_unlock(&e->update_lock);
			return rc;
		}
	}
	rc = update_data_locked(e);
	pthread_mutex_unlock(&e->update_lock);
	return rc;
}

/* The set on disk, read at open: no mirror is touched. */
static int engine_update_data_disk(struct whorl_engine *e, int *fell_back)
{
	struct update_hooks hooks;
	struct sigdb *fresh = NULL;

	*fell_back = 0;
	pthread_mutex_lock(&e->update_lock);
	const struct cfg *cfg = atomic_load(&e->cfg);
	struct update_status status = e->update_status;
	update_hooks_fill(e, &hooks);
	int rc = update_load_disk(cfg, &e->log, &hooks, &status, &fresh, fell_back);
	if (rc == 0)
		update_publish(e, &status, fresh);
	pthread_mutex_unlock(&e->update_lock);
	return rc;
}

/* Seconds to the next cycle: the manifest's schedule under "auto" (every
 * minute by default), else the configured hours. */
static uint32_t next_delay(struct whorl_engine *e)
{
	const struct cfg *cfg = atomic_load(&e->cfg);
	uint32_t check;

	if (!cfg->mu_interval_auto)
		return (uint32_t)cfg->mu_interval_hours * 3600u;
	pthread_mutex_lock(&e->update_lock);
	check = e->update_status.check_interval;
	pthread_mutex_unlock(&e->update_lock);
	return check ? check : UPDATE_DEFAULT_CHECK_INTERVAL;
}

static uint32_t updater_cycle(void *ctx)
{
	struct whorl_engine *e = ctx;

	/* A cycle that ran since the thread's last turn (update_now, a
	 * reload) makes this turn redundant: the mirror is not asked the same
	 * question twice in a row. */
	pthread_mutex_lock(&e->update_lock);
	if (atomic_load(&e->cycles_done) == e->updater_seen)
		(void)update_data_locked(e);
	e->updater_seen = atomic_load(&e->cycles_done);
	pthread_mutex_unlock(&e->update_lock);
	return next_delay(e);
}

/* 1 when there is a mirror to read in the background: a file:// one, or
 * http(s) with micro-updates enabled. */
static int mirror_is_read(const struct cfg *cfg)
{
	return cfg->enable_micro_updates || !update_mirror_is_network(cfg);
}

/* The update thread; its first cycle runs at once, unless the start fell
 * back to an older set after a crash (then the mirror waits a period). */
static void engine_updater_start(struct whorl_engine *e, int fell_back)
{
	e->updater_seen = atomic_load(&e->cycles_done);
	if (update_thread_start(&e->updater, updater_cycle, e,
	                        fell_back ? update_jitter(next_delay(e)) : 0,
	                        &e->update_cancel) != 0)
		log_error(&e->log, "MICROUPDATE",
		          "Can not start thread for background loader. Will "
		          "only use local micro-update files.");
}

/* open() waits at most this long for the first cycle (file:// mirrors, and
 * `download micro-updates before init = yes`), well inside the host's open
 * deadline (libwhorl: 30 s): a hung mirror must not keep the engine from
 * starting on the set it has on disk. */
#define ENGINE_OPEN_WAIT_MS 15000u

static void log_open_wait(struct whorl_engine *e, const struct cfg *cfg)
{
	char url[CFG_MAX_STR + 64];
	uint64_t c, i;
	struct sigdb *db = sigdb_live_acquire(&e->live);

	sigdb_serial(db, SIGDB_SRC_SIGS, &c, &i);
	sigdb_unref(db);
	update_mirror_url(cfg, url, sizeof url);
	log_warn(&e->log, "MICROUPDATE",
	         "Micro-update mirror %s did not finish within %u s; "
	         "starting with sigs serial %llu.%llu from disk, the update goes on in the "
	         "background.",
	         url, ENGINE_OPEN_WAIT_MS / 1000u, (unsigned long long)c, (unsigned long long)i);
}

void engine_update_open(struct whorl_engine *e)
{
	const struct cfg *cfg = atomic_load(&e->cfg);
	int network = update_mirror_is_network(cfg);
	int read_mirror = mirror_is_read(cfg) && (cfg->mu_url[0] || cfg->cache_path[0]);
	int wait = read_mirror && (!network || cfg->download_before_init);
	int fell_back = 0;

	if (network && read_mirror && cfg->download_before_init)
		log_info(&e->log, "MICROUPDATE",
		         "Micro-updates enabled, updating all micro-update "
		         "files from network and/or disk before continuing...");
	(void)engine_update_data_disk(e, &fell_back);
	if (read_mirror)
		engine_updater_start(e, fell_back);
	if (wait && !fell_back && e->updater.running &&
	    update_thread_wait(&e->updater, 1, ENGINE_OPEN_WAIT_MS) == WHORL_EBUSY)
		log_open_wait(e, cfg);
	if (atomic_load(&e->data_loaded_ms) == 0)
		log_warn(
		    &e->log, "MICROUPDATE",
		    "Have not updated signatures yet--accuracy will be affected until content is "
		    "successfully downloaded from the network.");
}

int engine_update_stats(struct whorl_engine *e, char *buf, size_t len)
{
	const struct update_counters *c = &e->counters;
	int64_t now = (int64_t)(engine_now_ms(e) / 1000);
	int64_t expires = atomic_load(&e->data_expires); /* never waits for a cycle */
	int stale = expires != 0 && now >= expires;

	return snprintf(buf, len,
	                "successful complete micro-update downloads = %llu\n"
	                "successful incremental micro-update downloads = %llu\n"
	                "failed complete micro-update downloads = %llu\n"
	                "failed incremental micro-update downloads = %llu\n"
	                "successful complete micro-update downloads from disk = %llu\n"
	                "failed complete micro-update downloads from disk = %llu\n"
	                "failed micro-update serial number downloads from network = %llu\n"
	                "mu set stale = %s\n",
	                atomic_load(&c->complete_ok), atomic_load(&c->incremental_ok),
	                atomic_load(&c->complete_fail), atomic_load(&c->incremental_fail),
	                atomic_load(&c->disk_ok), atomic_load(&c->disk_fail),
	                atomic_load(&c->serial_fail), stale ? "yes" : "no");
}
