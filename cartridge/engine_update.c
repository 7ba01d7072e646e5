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

/* Seconds a new set runs before it becomes the safe set: env
 * WHORL_MU_TRIAL_SECONDS (tests use a short one), else the default. */
static unsigned trial_seconds(void)
{
	const char *v = getenv("WHORL_MU_TRIAL_SECONDS");
	char *end;
	unsigned long n = v ? strtoul(v, &end, 10) : 0;
	return v && *v && !*end && n <= 30u * 86400u ? (unsigned)n : UPDATE_TRIAL_DEFAULT;
}

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
		log_warn(&e->log, "MICROUPDATE", "Could not load cats files from disk (malformed content: %s)",
		         why);
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

/* One cycle with configuration cfg; update_lock held. */
static int update_cycle_locked(struct whorl_engine *e, const struct cfg *cfg)
{
	struct update_hooks hooks = {
		.anchors = fp_sketch_stored_anchors,
		.on_cats = on_cats,
		.on_awl = on_awl,
		.on_acf = on_acf,
		.now = hook_now,
		.ctx = e,
		.counters = &e->counters,
		.cancel = &e->update_cancel,
	};
	struct sigdb *current = sigdb_live_acquire(&e->live);
	struct sigdb *fresh = NULL;
	struct update_status status = e->update_status;
	int loaded_before = atomic_load(&e->data_loaded_ms) != 0;
	int rc = update_load_url(cfg, &e->log, &hooks, loaded_before ? current : NULL, &status,
	                         &fresh);
	sigdb_unref(current);
	update_state_tick(cfg, &e->log, hook_now(e), trial_seconds());
	if (rc == 0) {
		e->update_status = status;
		atomic_store(&e->data_expires, status.expires);
		if (fresh != NULL) {
			sigdb_live_publish(&e->live, fresh);
			atomic_store(&e->data_loaded_ms, engine_now_ms(e));
		}
	}
	if (rc == 0 && !loaded_before && fresh == NULL)
		return WHORL_ENODATA;
	return rc;
}

static int engine_update(struct whorl_engine *e, int disk_only)
{
	/* Writers hold update_lock, so the configuration cannot be freed
	 * under this cycle. */
	pthread_mutex_lock(&e->update_lock);
	const struct cfg *cfg = atomic_load(&e->cfg);
	struct cfg *copy = NULL;
	int rc = WHORL_ENODATA;
	if (cfg->mu_url[0] == '\0' && cfg->cache_path[0] == '\0')
		goto out;
	if (disk_only && update_mirror_is_network(cfg)) {
		rc = WHORL_ENOMEM;
		if ((copy = malloc(sizeof(*copy))) == NULL)
			goto out;
		memcpy(copy, cfg, sizeof(*copy));
		copy->enable_micro_updates = 0;   /* the loader reads the cache only */
		cfg = copy;
	}
	rc = update_cycle_locked(e, cfg);
out:
	pthread_mutex_unlock(&e->update_lock);
	free(copy);
	return rc;
}

int engine_update_data(struct whorl_engine *e)
{
	return engine_update(e, 0);
}

int engine_update_data_disk(struct whorl_engine *e)
{
	return engine_update(e, 1);
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

	engine_update_data(e);
	return next_delay(e);
}

void engine_updater_start(struct whorl_engine *e, int cycle_ran)
{
	const struct cfg *cfg = atomic_load(&e->cfg);

	if (!cfg->enable_micro_updates || !update_mirror_is_network(cfg))
		return;
	if (update_thread_start(&e->updater, updater_cycle, e,
	                        cycle_ran ? update_jitter(next_delay(e)) : 0,
	                        &e->update_cancel) != 0)
		log_error(&e->log, "MICROUPDATE", "Can not start thread for background loader. Will "
		          "only use local micro-update files.");
}

int engine_update_stats(struct whorl_engine *e, char *buf, size_t len)
{
	const struct update_counters *c = &e->counters;
	int64_t now = (int64_t)(engine_now_ms(e) / 1000);
	pthread_mutex_lock(&e->update_lock);
	int64_t expires = e->update_status.expires;
	pthread_mutex_unlock(&e->update_lock);
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
