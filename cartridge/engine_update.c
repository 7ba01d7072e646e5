/*
 * engine_update.c - loads the configured update set and makes it live.
 *
 * The update module verifies everything and builds a new snapshot beside
 * the live one; here it is published with one atomic swap, and the text
 * sources (categories) replace theirs. A failed or refused load keeps what
 * was live. Scans never wait: only concurrent update cycles serialise.
 */
#include <stdlib.h>

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
	categories_defaults(cats);
	if (categories_parse(cats, text, len) != 0) {
		log_warn(&e->log, "MICROUPDATE", "Could not load cats files from disk (malformed content)");
		free(cats);
		return;
	}
	engine_set_categories(e, cats);
}

static int64_t hook_now(void *ctx)
{
	return (int64_t)(engine_now_ms(ctx) / 1000);
}

int engine_update_data(struct whorl_engine *e)
{
	/* Writers hold update_lock, so the configuration cannot be freed
	 * under this cycle. */
	pthread_mutex_lock(&e->update_lock);
	const struct cfg *cfg = atomic_load(&e->cfg);
	if (cfg->mu_url[0] == '\0' && cfg->cache_path[0] == '\0') {
		pthread_mutex_unlock(&e->update_lock);
		return WHORL_ENODATA;
	}
	struct update_hooks hooks = {
		.anchors = fp_sketch_stored_anchors,
		.on_cats = on_cats,
		.now = hook_now,
		.ctx = e,
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
		if (fresh != NULL) {
			sigdb_live_publish(&e->live, fresh);
			atomic_store(&e->data_loaded_ms, engine_now_ms(e));
		}
	}
	pthread_mutex_unlock(&e->update_lock);
	if (rc == 0 && !loaded_before && fresh == NULL)
		return WHORL_ENODATA;
	return rc;
}
