/*
 * host.c - the whorl_host_* API: open, close, and calls forwarded to the
 * running slot (host_internal.h).
 *
 * whorl_host_open() installs the cartridge at a content-addressed path,
 * consults the rollback record when there is a state directory (which may
 * choose the last viable cartridge instead), and opens a slot. Scans pin
 * the current slot for the length of one call and return host-owned copies
 * of verdicts and fingerprint sets, so nothing a caller holds points into a
 * cartridge that a swap may unload.
 * Not for: the swap itself (swap.c), slots and pinning them (slot.c),
 * rollback (rollback.c), log lines (log.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_internal.h"

static void host_err(char *errbuf, size_t errlen, const char *fmt, const char *arg)
{
	if (errbuf != NULL && errlen > 0)
		snprintf(errbuf, errlen, fmt, arg);
}

static char *host_strdup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* Reads the options the caller's struct size covers. */
static int host_options_read(const struct whorl_host_options *opts, struct whorl_host *h,
                             const char **cart_path, const char **state_dir)
{
	const char *config_dir = NULL, *app_name = NULL, *app_version = NULL, *cmae_version = NULL;

	*cart_path = NULL;
	*state_dir = NULL;
	h->log_min_level = WHORL_LOG_INFO;
	h->open_timeout_ms = HOST_OPEN_TIMEOUT_MS;
	h->drain_ms = HOST_DRAIN_MS;
	h->trial_ms = HOST_TRIAL_MS;
	if (opts != NULL) {
		if (opts->size < offsetof(struct whorl_host_options, log_min_level) + sizeof(int))
			return WHORL_EINVAL;
		*cart_path = opts->cartridge_path;
		config_dir = opts->config_dir;
		h->log = opts->log;
		h->log_ctx = opts->log_ctx;
		h->log_min_level = opts->log_min_level;
		if (WHORL_HAS_MEMBER(opts, app_name))
			app_name = opts->app_name;
		if (WHORL_HAS_MEMBER(opts, state_dir))
			*state_dir = opts->state_dir;
		if (WHORL_HAS_MEMBER(opts, open_timeout_ms) && opts->open_timeout_ms > 0)
			h->open_timeout_ms = opts->open_timeout_ms;
		if (WHORL_HAS_MEMBER(opts, drain_ms) && opts->drain_ms > 0)
			h->drain_ms = opts->drain_ms;
		if (WHORL_HAS_MEMBER(opts, trial_ms) && opts->trial_ms > 0)
			h->trial_ms = opts->trial_ms;
		if (WHORL_HAS_MEMBER(opts, app_version))
			app_version = opts->app_version;
		if (WHORL_HAS_MEMBER(opts, cmae_version))
			cmae_version = opts->cmae_version;
	}
	if (*cart_path == NULL)
		*cart_path = whorl_default_cartridge_path();
	if (config_dir == NULL)
		config_dir = whorl_default_config_dir();
	h->config_dir = strdup(config_dir);
	h->app_name = host_strdup_or_null(app_name);
	h->app_version = host_strdup_or_null(app_version);
	h->cmae_version = host_strdup_or_null(cmae_version);
	if (h->config_dir == NULL || (app_name != NULL && h->app_name == NULL) ||
	    (app_version != NULL && h->app_version == NULL) ||
	    (cmae_version != NULL && h->cmae_version == NULL))
		return WHORL_ENOMEM;
	return 0;
}

/* Installs and opens the first slot, consulting the rollback record. */
static int host_first_slot(struct whorl_host *h, const char *cart_path, const char *state_dir,
                           char *errbuf, size_t errlen)
{
	char path[PATH_MAX], hash[HOST_HASH_HEX + 1];
	struct host_slot *s = NULL;
	int rc;

	rc = install_dir_prepare(h, state_dir, errbuf, errlen);
	if (rc == 0)
		rc = install_cartridge(h, cart_path, path, sizeof(path), hash, errbuf, errlen);
	if (rc == 0 && state_dir != NULL)
		rc = rollback_start(h, state_dir, path, sizeof(path), hash, errbuf, errlen);
	if (rc != 0)
		return rc;
	rc = slot_open(h, cart_path, path, hash, &s, errbuf, errlen);
	if (rc != 0 && h->rb != NULL && rollback_fallback(h, path, sizeof(path), hash) == 0)
		rc = slot_open(h, "the last viable cartridge", path, hash, &s, errbuf, errlen);
	if (rc != 0)
		return rc;
	atomic_store(&h->cur, s);
	return 0;
}

static void host_free(struct whorl_host *h)
{
	struct host_slot *s;

	while ((s = h->free_slots) != NULL) {
		h->free_slots = s->next;
		pthread_mutex_destroy(&s->log_mu);
		free(s);
	}
	install_dir_cleanup(h);
	pthread_mutex_destroy(&h->swap_mu);
	free(h->config_dir);
	free(h->app_name);
	free(h->app_version);
	free(h->cmae_version);
	free(h);
}

int whorl_host_open(const struct whorl_host_options *opts, whorl_host **out, char *errbuf,
                    size_t errlen)
{
	const char *cart_path, *state_dir;
	struct whorl_host *h;
	int rc;

	if (out == NULL)
		return WHORL_EINVAL;
	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return WHORL_ENOMEM;
	pthread_mutex_init(&h->swap_mu, NULL);
	rc = host_options_read(opts, h, &cart_path, &state_dir);
	if (rc != 0) {
		host_err(errbuf, errlen, "%s",
		         rc == WHORL_ENOMEM ? "out of memory"
		                            : "whorl_host_options.size too small");
		goto fail;
	}
	rc = host_first_slot(h, cart_path, state_dir, errbuf, errlen);
	if (rc != 0)
		goto fail;
	*out = h;
	return 0;
fail:
	rollback_abort(h);
	host_free(h);
	return rc;
}

/* Retires the running slot and every parked one (no call may be in flight). */
void whorl_host_close(whorl_host *h)
{
	struct host_slot *s;

	if (h == NULL)
		return;
	pthread_mutex_lock(&h->swap_mu);
	while ((s = h->parked) != NULL) {
		h->parked = s->next;
		slot_retire(h, s);
	}
	s = atomic_exchange(&h->cur, NULL);
	if (s != NULL)
		slot_retire(h, s);
	pthread_mutex_unlock(&h->swap_mu);
	rollback_close(h);
	host_free(h);
}

const struct whorl_cartridge_api *whorl_host_api(const whorl_host *h)
{
	return h != NULL ? atomic_load(&((whorl_host *)h)->cur)->api : NULL;
}

whorl_engine *whorl_host_engine(const whorl_host *h)
{
	return h != NULL ? atomic_load(&((whorl_host *)h)->cur)->engine : NULL;
}

uint32_t whorl_host_start_flags(const whorl_host *h)
{
	return h != NULL ? h->start_flags : 0;
}

int whorl_host_score(whorl_host *h, const struct whorl_envelope *env, const char *msg, size_t len,
                     struct whorl_verdict **out)
{
	struct whorl_verdict *v = NULL;
	struct host_slot *s;
	int rc;

	if (h == NULL || out == NULL || (msg == NULL && len > 0))
		return WHORL_EINVAL;
	*out = NULL;
	s = host_slot_acquire(h);
	rc = s->api->score(s->engine, env, msg != NULL ? msg : "", len, &v);
	if (rc == 0 && v != NULL)
		rc = copy_verdict(v, out);
	if (v != NULL)
		s->api->verdict_free(s->engine, v);
	host_slot_release(s);
	return rc;
}

void whorl_host_verdict_free(whorl_host *h, struct whorl_verdict *v)
{
	(void)h;
	free(v); /* one block made by copy_verdict */
}

int whorl_host_fingerprint(whorl_host *h, const char *msg, size_t len, struct whorl_fpset **out)
{
	struct whorl_fpset *f = NULL;
	struct host_slot *s;
	int rc;

	if (h == NULL || out == NULL || (msg == NULL && len > 0))
		return WHORL_EINVAL;
	*out = NULL;
	s = host_slot_acquire(h);
	if ((s->api->capabilities & WHORL_CAP_FINGERPRINT) == 0) {
		host_slot_release(s);
		return WHORL_ENOTSUP;
	}
	rc = s->api->fingerprint(s->engine, msg != NULL ? msg : "", len, &f);
	if (rc == 0 && f != NULL)
		rc = copy_fpset(f, out);
	if (f != NULL)
		s->api->fpset_free(s->engine, f);
	host_slot_release(s);
	return rc;
}

void whorl_host_fpset_free(whorl_host *h, struct whorl_fpset *fps)
{
	(void)h;
	free(fps); /* one block made by copy_fpset */
}

int whorl_host_describe_category(whorl_host *h, unsigned category, unsigned subcategory,
                                 char *cat_out, size_t cat_len, char *sub_out, size_t sub_len)
{
	struct host_slot *s;
	int rc;

	if (h == NULL || cat_out == NULL || sub_out == NULL || cat_len == 0 || sub_len == 0)
		return WHORL_EINVAL;
	s = host_slot_acquire(h);
	rc = s->api->describe_category(s->engine, category, subcategory, cat_out, cat_len, sub_out,
	                               sub_len);
	host_slot_release(s);
	return rc;
}

int whorl_host_update_now(whorl_host *h)
{
	struct host_slot *s;
	int rc;

	if (h == NULL)
		return WHORL_EINVAL;
	s = host_slot_acquire(h);
	rc = s->api->update_now(s->engine);
	host_slot_release(s);
	return rc;
}

int whorl_host_reload(whorl_host *h, unsigned what)
{
	struct host_slot *s;
	int rc;

	if (h == NULL)
		return WHORL_EINVAL;
	s = host_slot_acquire(h);
	/* A cartridge without whitelists has none to reload; the rest still is. */
	if ((s->api->capabilities & WHORL_CAP_WHITELIST) == 0)
		what &= ~WHORL_RELOAD_WHITELIST;
	rc = what != 0 ? s->api->reload(s->engine, what) : WHORL_ENOTSUP;
	host_slot_release(s);
	return rc;
}

uint64_t whorl_host_capabilities(whorl_host *h)
{
	struct host_slot *s;
	uint64_t caps;

	if (h == NULL)
		return 0;
	s = host_slot_acquire(h);
	caps = s->api->capabilities;
	host_slot_release(s);
	return caps;
}
