/*
 * engine_swap.c - replacing one of the engine's live tables (configuration,
 * categories, a whitelist): swap the pointer, wait a grace period, free the
 * old table.
 *
 * Both writers use it: opening and reloading (engine.c) and update cycles
 * (engine_update.c), so neither calls back into the other; it depends only
 * on the grace period (scratch.c). Not for: the signature snapshot, which
 * sigdb_live swaps and frees by reference count.
 */
#include <stdlib.h>

#include "engine.h"

void engine_set_categories(struct whorl_engine *e, struct categories *cats)
{
	struct categories *old = atomic_exchange(&e->cats, cats);
	engine_grace_period(e);
	free(old);
}

void engine_set_cfg(struct whorl_engine *e, struct cfg *cfg)
{
	struct cfg *old = atomic_exchange(&e->cfg, cfg);
	engine_grace_period(e);
	free(old);
}

void engine_set_whitelist(struct whorl_engine *e, enum wl_kind kind, struct wl *w)
{
	struct wl *old = atomic_exchange(&e->wl[kind], w);
	engine_grace_period(e);
	wl_free(old);
}
