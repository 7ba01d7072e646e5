/*
 * engine.c - opening, reloading and closing an engine (the ABI's lifecycle).
 *
 * open() reads the configuration, the categories and the local update set,
 * then starts serving; nothing it reads is trusted before it is checked.
 * close() frees everything the engine holds. Not for: scanning (scan.c) or
 * reading update sets (update/).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine.h"
#include "util/file_read.h"
#include "update/net.h"
#include "update/state.h"

#define ENGINE_CATS_FILE "categories"
#define ENGINE_CATS_MAX_BYTES ((size_t)256 << 10)

/* Re-reads whitelist.cfg; an unreadable file keeps the list in use. */
static int engine_reload_whitelist(struct whorl_engine *e)
{
	struct wl *w = NULL;
	int rc = wl_load_file(e->config_dir, &e->log, &w);
	if (w == NULL)
		return rc;
	pthread_mutex_lock(&e->update_lock);
	engine_set_whitelist(e, WL_LOCAL, w);
	pthread_mutex_unlock(&e->update_lock);
	return 0;
}

/* Reads <config_dir>/categories when present, else the built-in table;
 * an unreadable or malformed file is logged with its path and the reason. */
static struct categories *categories_read(const struct whorl_engine *e)
{
	struct categories *cats = malloc(sizeof(*cats));
	char path[CFG_MAX_STR + 32], why_text[CATS_WHY_MAX];
	char *buf = NULL;
	size_t n = 0;
	int why = 0, rc;

	if (cats == NULL)
		return NULL;
	categories_defaults(cats);
	snprintf(path, sizeof(path), "%s/%s", e->config_dir, ENGINE_CATS_FILE);
	rc = file_read_whole(path, 0, ENGINE_CATS_MAX_BYTES, &buf, &n, &why);
	if (rc != 0 && why != ENOENT)
		log_warn(&e->log, "CONFIG",
		         "Could not read categories file %s (%s), using built-in "
		         "categories",
		         path, file_why_text(why));
	else if (rc == 0 && categories_parse_why(cats, buf, n, why_text, sizeof why_text) != 0)
		log_warn(&e->log, "CONFIG",
		         "Malformed categories file %s (%s), using built-in "
		         "categories",
		         path, why_text);
	free(buf);
	return cats;
}

/* Checks license.cfg at open so that an administrator sees a malformed id
 * at once. With a network mirror the update cycle reads the licence and
 * logs its guide lines itself (missing, malformed, 401), so only file://
 * sites, which need no licence to update, are checked here. The password
 * is wiped. */
static void engine_check_license(struct whorl_engine *e, const struct cfg *cfg)
{
	if (cfg->enable_micro_updates && update_mirror_is_network(cfg))
		return;
	struct license lic;
	char text[LICENSE_ERROR_TEXT_MAX];
	if (license_load(&lic, e->config_dir, &e->log) == WHORL_ECONFIG)
		log_error(&e->log, "MICROUPDATE", "%s",
		          license_error_text(WHORL_ECONFIG, e->config_dir, text, sizeof text));
	license_clear(&lic);
}

/* A new engine object on config_dir with the host's log, clock and
 * statistics wired; NULL with *rc and errbuf set when it cannot be. */
static struct whorl_engine *engine_new(const struct whorl_host_services *host,
                                       const char *config_dir, char *errbuf, size_t errlen, int *rc)
{
	struct stat st;
	if (config_dir == NULL || stat(config_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(errbuf, errlen, "Invalid configuration directory %s",
		         config_dir ? config_dir : "(null)");
		*rc = WHORL_ECONFIG;
		return NULL;
	}
	struct whorl_engine *e = calloc(1, sizeof(*e));
	if (e != NULL) {
		log_init(&e->log, host);
		if (host != NULL && WHORL_HAS_MEMBER(host, clock_ms)) {
			e->clock_ms = host->clock_ms;
			e->clock_ctx = host->ctx;
		}
		if (engine_stats_open(e, host) == 0) { /* reads the clock: after it */
			snprintf(e->config_dir, sizeof(e->config_dir), "%s", config_dir);
			img_qr_lib_init(&e->qr, &e->log);
			net_lib_init(&e->net, &e->log);
			stats_sha1_init(&e->stats_sha1, &e->log);
			return e;
		}
	}
	free(e);
	snprintf(errbuf, errlen, "out of memory");
	*rc = WHORL_ENOMEM;
	return NULL;
}

int engine_open(const struct whorl_host_services *host, const char *config_dir, whorl_engine **out,
                char *errbuf, size_t errlen)
{
	int rc = 0;
	*out = NULL;
	struct whorl_engine *e = engine_new(host, config_dir, errbuf, errlen, &rc);
	if (e == NULL)
		return rc;
	struct cfg *cfg = malloc(sizeof(*cfg));
	if (cfg != NULL)
		cfg_load(cfg, config_dir, &e->log);
	struct categories *cats = categories_read(e);
	struct sigdb *empty = sigdb_empty();
	if (cfg == NULL || cats == NULL || empty == NULL || engine_scratch_init(e) != 0) {
		free(cfg);
		free(cats);
		if (empty != NULL)
			sigdb_unref(empty);
		engine_scratch_destroy(e);
		engine_stats_close(e);
		img_qr_lib_close(&e->qr);
		net_lib_close(&e->net);
		stats_sha1_close(&e->stats_sha1);
		free(e);
		snprintf(errbuf, errlen, "out of memory");
		return WHORL_ENOMEM;
	}
	engine_check_license(e, cfg);
	atomic_init(&e->cfg, cfg);
	atomic_init(&e->cats, cats);
	atomic_init(&e->data_expires, 0);
	for (int i = 0; i < UPDATE_N_SOURCES; i++)
		atomic_init(&e->data_issued[i], 0);
	sigdb_live_init(&e->live, empty);
	pthread_mutex_init(&e->update_lock, NULL);
	struct wl *local = NULL;
	wl_load_file(e->config_dir, &e->log, &local); /* NULL: no local list */
	atomic_init(&e->wl[WL_LOCAL], local);
	atomic_init(&e->wl[WL_AWL], NULL);
	/* State files: leftover .part files, run marker, package -> safe. */
	e->update_status.unclean_starts = update_state_start(cfg, &e->log);
	/* A host that rolled back after crashes asks for the safe data set too:
	 * the start-up choice then treats this start as an unclean one. */
	if (host != NULL && WHORL_HAS_MEMBER(host, start_flags) &&
	    (host->start_flags & WHORL_START_SAFE_DATA) && e->update_status.unclean_starts < 1)
		e->update_status.unclean_starts = 1;
	/* The set on disk now; the mirror from the update thread (open waits
	 * a bounded time for it when asked to). */
	engine_update_open(e);
	engine_stats_start(e);
	*out = e;
	return 0;
}

int engine_quiesce(whorl_engine *e)
{
	if (e->updater.running) {
		log_info(&e->log, "MICROUPDATE", "Shutting down, stopping micro-update downloads.");
		update_thread_stop(&e->updater); /* wakes it at once, aborts a transfer */
	}
	engine_stats_quiesce(e);
	e->quiesced = 1;
	return 0;
}

void engine_close(whorl_engine *e)
{
	if (e == NULL)
		return;
	if (!e->quiesced)
		engine_quiesce(e);
	update_state_stop(atomic_load(&e->cfg), &e->log); /* clean shutdown */
	sigdb_live_destroy(&e->live);
	engine_scratch_destroy(e);
	img_qr_lib_close(&e->qr); /* no scan is in flight */
	free(atomic_load(&e->cats));
	free(atomic_load(&e->cfg));
	for (int k = 0; k < WL_N_KINDS; k++)
		wl_free(atomic_load(&e->wl[k]));
	pthread_mutex_destroy(&e->update_lock);
	engine_stats_close(e);
	net_lib_close(&e->net); /* after the last report and transfer */
	stats_sha1_close(&e->stats_sha1);
	free(e);
}

/* Re-reads cartridge.cfg and the categories file; scans in flight finish
 * with the old ones. */
static int engine_reload_config(struct whorl_engine *e)
{
	struct cfg *cfg = malloc(sizeof(*cfg));
	if (cfg == NULL)
		return WHORL_ENOMEM;
	int rc = cfg_load(cfg, e->config_dir, &e->log);
	if (rc == WHORL_EIO || rc == WHORL_ELIMIT) {
		/* Unreadable now: keep the configuration in use rather than
		 * falling back to defaults behind the administrator's back. */
		free(cfg);
		return rc;
	}
	struct categories *cats = categories_read(e);
	if (cats == NULL) {
		free(cfg);
		return WHORL_ENOMEM;
	}
	pthread_mutex_lock(&e->update_lock);
	engine_set_cfg(e, cfg);
	engine_set_categories(e, cats);
	pthread_mutex_unlock(&e->update_lock);
	return 0;
}

int engine_reload(whorl_engine *e, unsigned what)
{
	int rc = 0;
	if (what & WHORL_RELOAD_CONFIG)
		rc = engine_reload_config(e);
	if (rc == 0 && (what & (WHORL_RELOAD_WHITELIST | WHORL_RELOAD_CONFIG)))
		rc = engine_reload_whitelist(e);
	if (rc == 0 && (what & WHORL_RELOAD_DATA))
		rc = engine_update_data(e);
	return rc;
}

int engine_update_now(whorl_engine *e)
{
	return engine_update_data_now(e);
}

/* name into out[len], cut to fit and terminated (whorl-scan asks for two
 * names a message: snprintf's format parsing was a visible share). */
static void engine_copy_name(char *out, size_t len, const char *name)
{
	size_t n = strnlen(name, len - 1);

	memcpy(out, name, n);
	out[n] = '\0';
}

int engine_describe_category(whorl_engine *e, unsigned category, unsigned subcategory,
                             char *cat_out, size_t cat_len, char *sub_out, size_t sub_len)
{
	/* Holding a scratch slot keeps the table alive (grace periods). */
	struct scan_scratch *slot = engine_scratch_acquire(e);
	if (slot == NULL)
		return WHORL_ENOMEM;
	struct categories *cats = atomic_load(&e->cats);
	const char *sub = NULL;
	const char *name = categories_name(cats, category, subcategory, &sub);
	if (cat_out != NULL && cat_len > 0)
		engine_copy_name(cat_out, cat_len, name);
	if (sub_out != NULL && sub_len > 0)
		engine_copy_name(sub_out, sub_len, sub != NULL ? sub : "unknown");
	int rc = strcmp(name, "unknown") == 0 ? WHORL_EINVAL : 0;
	engine_scratch_release(e, slot);
	return rc;
}

/* The engine's own lines (the snapshot in use), then the guide's Table 3
 * lines of the period so far (engine_stats.c). */
int engine_stats_snapshot(whorl_engine *e, char **text_out)
{
	struct sigdb *db = sigdb_live_acquire(&e->live);
	char *t = NULL;
	char digest[SIGDB_DIGEST_HEX];
	sigdb_digest_hex(db, digest, sizeof(digest));
	int n = asprintf(&t,
	                 "known fingerprints = %zu\n"
	                 "known sketches = %zu\n"
	                 "snapshot bytes = %zu\n"
	                 "snapshot digest = %s\n",
	                 sigdb_count(db), sigdb_sketch_count(db), sigdb_memory_bytes(db), digest);
	sigdb_unref(db);
	if (n < 0)
		return WHORL_ENOMEM;
	size_t len = (size_t)n;
	int rc = engine_stats_snapshot_text(e, &t, &len);
	if (rc != 0) {
		free(t);
		return rc;
	}
	*text_out = t;
	return 0;
}

void engine_text_free(whorl_engine *e, char *text)
{
	free(text);
}

const char *engine_strerror(int code)
{
	return whorl_error_text(code);
}
