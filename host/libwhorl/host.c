/*
 * host.c - a loaded cartridge plus one engine: the whorl_host_* API.
 *
 * whorl_host_open() loads the cartridge (loader.c), hands it the host
 * services (log forwarding filtered by the caller's minimum level, a wall
 * clock) and opens an engine on the configuration directory. The other
 * functions forward to the cartridge's table.
 *
 * Not for: swapping cartridges at run time or rollback state (later).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "whorl.h"

struct whorl_host {
	struct whorl_cartridge *cart;
	const struct whorl_cartridge_api *api;
	whorl_engine *engine;
	whorl_log_fn log;
	void *log_ctx;
	int log_min_level;
};

/* The services' log: called from any thread; only reads immutable fields. */
static void host_log_forward(void *ctx, int level, const char *module, const char *message)
{
	const struct whorl_host *h = ctx;

	if (h->log == NULL || level < h->log_min_level)
		return;
	h->log(h->log_ctx, level, module != NULL ? module : "ENGINE",
	       message != NULL ? message : "");
}

static uint64_t host_clock_ms(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Reads the options the caller's struct size covers. */
static int host_options_read(const struct whorl_host_options *opts, struct whorl_host *h,
                             const char **cart_path, const char **config_dir,
                             const char **app_name)
{
	*cart_path = NULL;
	*config_dir = NULL;
	*app_name = NULL;
	h->log_min_level = WHORL_LOG_INFO;
	if (opts == NULL)
		goto defaults;
	if (opts->size < offsetof(struct whorl_host_options, log_min_level) + sizeof(int))
		return WHORL_EINVAL;
	*cart_path = opts->cartridge_path;
	*config_dir = opts->config_dir;
	h->log = opts->log;
	h->log_ctx = opts->log_ctx;
	h->log_min_level = opts->log_min_level;
	if (WHORL_HAS_MEMBER(opts, app_name))
		*app_name = opts->app_name;
defaults:
	if (*cart_path == NULL)
		*cart_path = whorl_default_cartridge_path();
	if (*config_dir == NULL)
		*config_dir = whorl_default_config_dir();
	return 0;
}

static int host_engine_open(struct whorl_host *h, const char *config_dir, const char *app_name,
                            char *errbuf, size_t errlen)
{
	struct whorl_host_services services;
	char why[512] = "";
	int rc;

	memset(&services, 0, sizeof(services));
	services.size = sizeof(services);
	services.abi_major = WHORL_ABI_MAJOR;
	services.abi_minor = WHORL_ABI_MINOR;
	services.ctx = h;
	services.log = host_log_forward;
	services.clock_ms = host_clock_ms;
	services.app_name = app_name;
	services.app_version = WHORL_VERSION;
	rc = h->api->open(&services, config_dir, &h->engine, why, sizeof(why));
	if (rc == 0 && h->engine == NULL)
		rc = WHORL_EINVAL;
	if (rc != 0) {
		h->engine = NULL;
		if (errbuf != NULL && errlen > 0)
			snprintf(errbuf, errlen, "%s: cannot open an engine on %s: %s",
			         whorl_cartridge_path(h->cart), config_dir,
			         why[0] != '\0' ? why : whorl_strerror(rc));
	}
	return rc;
}

int whorl_host_open(const struct whorl_host_options *opts, whorl_host **out, char *errbuf,
                    size_t errlen)
{
	const char *cart_path, *config_dir, *app_name;
	struct whorl_host *h;
	int rc;

	if (out == NULL)
		return WHORL_EINVAL;
	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return WHORL_ENOMEM;
	rc = host_options_read(opts, h, &cart_path, &config_dir, &app_name);
	if (rc != 0) {
		if (errbuf != NULL && errlen > 0)
			snprintf(errbuf, errlen, "whorl_host_options.size too small");
		goto fail;
	}
	rc = whorl_cartridge_load(cart_path, &h->cart, errbuf, errlen);
	if (rc != 0)
		goto fail;
	h->api = whorl_cartridge_table(h->cart);
	rc = host_engine_open(h, config_dir, app_name, errbuf, errlen);
	if (rc != 0)
		goto fail;
	*out = h;
	return 0;
fail:
	whorl_cartridge_unload(h->cart);
	free(h);
	return rc;
}

void whorl_host_close(whorl_host *h)
{
	if (h == NULL)
		return;
	if (h->engine != NULL) {
		/* quiesce() joins the engine's threads so no callback outlives us. */
		h->api->quiesce(h->engine);
		h->api->close(h->engine);
	}
	whorl_cartridge_unload(h->cart);
	free(h);
}

const struct whorl_cartridge_api *whorl_host_api(const whorl_host *h)
{
	return h != NULL ? h->api : NULL;
}

whorl_engine *whorl_host_engine(const whorl_host *h)
{
	return h != NULL ? h->engine : NULL;
}

const char *whorl_host_cartridge_version(const whorl_host *h)
{
	return h != NULL ? whorl_cartridge_version(h->cart) : NULL;
}

int whorl_host_score(whorl_host *h, const struct whorl_envelope *env, const char *msg,
                     size_t len, struct whorl_verdict **out)
{
	if (h == NULL || out == NULL || (msg == NULL && len > 0))
		return WHORL_EINVAL;
	*out = NULL;
	return h->api->score(h->engine, env, msg != NULL ? msg : "", len, out);
}

void whorl_host_verdict_free(whorl_host *h, struct whorl_verdict *v)
{
	if (h != NULL && v != NULL)
		h->api->verdict_free(h->engine, v);
}

int whorl_host_fingerprint(whorl_host *h, const char *msg, size_t len, struct whorl_fpset **out)
{
	if (h == NULL || out == NULL || (msg == NULL && len > 0))
		return WHORL_EINVAL;
	*out = NULL;
	return h->api->fingerprint(h->engine, msg != NULL ? msg : "", len, out);
}

void whorl_host_fpset_free(whorl_host *h, struct whorl_fpset *fps)
{
	if (h != NULL && fps != NULL)
		h->api->fpset_free(h->engine, fps);
}

int whorl_host_describe_category(whorl_host *h, unsigned category, unsigned subcategory,
                                 char *cat_out, size_t cat_len, char *sub_out, size_t sub_len)
{
	if (h == NULL || cat_out == NULL || sub_out == NULL || cat_len == 0 || sub_len == 0)
		return WHORL_EINVAL;
	return h->api->describe_category(h->engine, category, subcategory, cat_out, cat_len,
	                                 sub_out, sub_len);
}

int whorl_host_update_now(whorl_host *h)
{
	if (h == NULL)
		return WHORL_EINVAL;
	return h->api->update_now(h->engine);
}

int whorl_host_reload(whorl_host *h, unsigned what)
{
	if (h == NULL)
		return WHORL_EINVAL;
	return h->api->reload(h->engine, what);
}
