/*
 * engine_stats.c - the engine's statistics reporting: set-up at open
 * ("Statistics initialized. Current settings..."), the background thread
 * that ends a period every "statistics interval" (the publisher's acf, else
 * one hour), logs it ("Current statistics for period <n>...") and, with
 * "report statistics = yes", seals and POSTs it; the final report at
 * quiesce ("Shutting down, stopping background stats reporting."); and the
 * Table 3 lines of stats_snapshot().
 *
 * Reports live in memory only: a report that cannot be sent is dropped
 * after STATS_POST_TRIES tries. Scans never wait for any of this.
 *
 * Not for: counting (stats/counters.c, called from scan.c) or the report's
 * text (stats/report.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

#include "engine.h"
#include "stats/identity.h"
#include "stats/post.h"
#include "stats/report.h"
#include "update/io.h"

#define STATS_FINAL_POST_SECONDS 10L /* bound on the report sent at shutdown */

static const char *proxy_auth_kind(const struct cfg *cfg)
{
	if (!cfg->http_proxy[0])
		return "none";
	if (cfg->http_proxy_ntlm_auth[0])
		return "ntlm";
	return cfg->http_proxy_basic_auth[0] ? "basic" : "none";
}

/* The statistics url: "statistics url", else the micro-update host's /cmstats. */
static void stats_url(const struct cfg *cfg, char *out, size_t cap)
{
	if (cfg->statistics_url[0])
		snprintf(out, cap, "%s", cfg->statistics_url);
	else
		snprintf(out, cap, "http://%s:%d/cmstats", cfg->mu_hostname, cfg->mu_port);
}

static uint32_t stats_interval(struct whorl_engine *e)
{
	const struct cfg *cfg = atomic_load(&e->cfg);
	if (cfg->statistics_interval != 0)
		return cfg->statistics_interval;
	unsigned acf = atomic_load(&e->stats_acf_interval);
	return acf != 0 ? acf : STATS_DEFAULT_INTERVAL;
}

/* Takes "statistics interval = <seconds>" from the acf. A new interval
 * under `statistics interval = auto` ends the period in progress at once
 * (it was timed with the old one, an hour for a gateway that had no acf),
 * so the publisher's interval holds from the next period on. */
void engine_stats_acf(struct whorl_engine *e, const char *text, size_t len)
{
	static const char key[] = "statistics interval";
	unsigned before = atomic_load(&e->stats_acf_interval);
	for (size_t at = 0; at < len;) {
		const char *line = text + at, *nl = memchr(line, '\n', len - at);
		size_t n = nl != NULL ? (size_t)(nl - line) : len - at;
		at += n + 1;
		if (n <= sizeof(key) || strncasecmp(line, key, sizeof(key) - 1) != 0)
			continue;
		const char *eq = memchr(line, '=', n);
		unsigned long v = eq != NULL ? strtoul(eq + 1, NULL, 10) : 0;
		if (v >= 1 && v <= CFG_MAX_STATS_INTERVAL)
			atomic_store(&e->stats_acf_interval, (unsigned)v);
	}
	unsigned now = atomic_load(&e->stats_acf_interval);
	const struct cfg *cfg = atomic_load(&e->cfg);
	if (now == before || cfg == NULL || cfg->statistics_interval != 0)
		return;
	log_info(&e->log, "STATS", "Statistics interval from the publisher: %u s", now);
	unsigned waiting = atomic_load(&e->stats_waiting);
	if (atomic_load(&e->stats_running) && waiting != 0 && waiting != now)
		update_thread_kick(&e->stats_thread);
}

/* "<kind> whitelist entry hits = <type>:<line>:<n>" for entries that
 * whitelisted messages; `take` zeroes the counts it reads (a report). */
static void entry_hits(struct whorl_engine *e, struct sbuf *b, int take)
{
	struct scan_scratch *slot = engine_scratch_acquire(e); /* keeps the lists alive */
	if (slot == NULL)
		return;
	for (int k = 0; k < WL_N_KINDS; k++) {
		const struct wl *w = atomic_load(&e->wl[k]);
		for (size_t i = 0; w != NULL && i < w->n; i++) {
			atomic_uint_fast64_t *c = &w->entries[i].hits;
			unsigned long long n = take ? atomic_exchange(c, 0) : atomic_load(c);
			if (n > 0)
				sbuf_printf(b, "%s whitelist entry hits = %s:%u:%llu\n",
				            wl_kind_name(w->kind), wl_type_name(w->entries[i].type),
				            w->entries[i].line, n);
		}
	}
	engine_scratch_release(e, slot);
}

static void source_serials(struct whorl_engine *e, struct sbuf *b)
{
	static const char *const names[] = { "sigs", "awl", "cats", "acf" };
	struct sigdb *db = sigdb_live_acquire(&e->live);
	int64_t now = (int64_t)(engine_now_ms(e) / 1000);
	for (int s = SIGDB_SRC_SIGS; s <= SIGDB_SRC_ACF; s++) {
		uint64_t c = 0, i = 0;
		int64_t issued = atomic_load(&e->data_issued[s]);
		sigdb_serial(db, (enum sigdb_source)s, &c, &i);
		sbuf_printf(b, "mu %s serial = %llu.%llu\n", names[s], (unsigned long long)c,
		            (unsigned long long)i);
		if (c != 0 && issued > 0)
			sbuf_printf(b, "mu %s age = %lld\n", names[s],
			            (long long)(now > issued ? now - issued : 0));
	}
	sigdb_unref(db);
}

/* The report text of period p (take: a real report, which empties the log
 * and entry counters; else a snapshot that leaves them). */
static void build_text(struct whorl_engine *e, const struct stats_period *p, uint64_t serial,
                       int64_t start, int take, struct sbuf *out)
{
	const struct cfg *cfg = atomic_load(&e->cfg);
	struct sbuf hits = { 0 }, serials = { 0 };
	char downloads[1024];
	unsigned dropped = 0;
	char *log_text = take ? stats_log_take(&e->stats.log, &dropped) : NULL;
	uint8_t *wl_file = NULL;
	size_t wl_len = 0;
	if (!(cfg->exclude_from_stats & CFG_EXCLUDE_WHITELIST))
		update_read_bounded(e->config_dir, WL_FILE, WL_MAX_FILE_BYTES, &wl_file, &wl_len);
	entry_hits(e, &hits, take);
	source_serials(e, &serials);
	engine_update_stats(e, downloads, sizeof(downloads));
	struct license lic;
	license_load(&lic, e->config_dir, &e->log);
	struct stats_identity id = {
		.customer_id = cfg->customer_id,
		.host_id = e->stats_host_id,
		.report_serial = serial,
		.run_id = e->stats_run_id,
		.period_start = start,
		.period_end = (int64_t)(engine_now_ms(e) / 1000),
		.spamdna_version = "whorl-cartridge " WHORL_VERSION,
		.cmae_version = e->stats_cmae_version,
		.app_name = e->stats_app_name,
		.app_version = e->stats_app_version,
		.license_id = lic.id,
		.clean_shutdown = e->update_status.unclean_starts == 0,
		.installation_id = e->stats_installation_id,
		.exclude = cfg->exclude_from_stats,
		.http_proxy_auth = proxy_auth_kind(cfg),
	};
	license_clear(&lic);
	struct stats_extra x = {
		.log_text = log_text,
		.log_dropped = dropped,
		.whitelist_file = (const char *)wl_file,
		.whitelist_len = wl_len,
		.entry_hits = hits.s,
		.downloads = downloads,
		.serials = serials.s,
		.sigs_seen = cfg->record_sigs_seen,
	};
	stats_report_text(out, &id, p, &x);
	free(log_text);
	free(wl_file);
	free(hits.s);
	free(serials.s);
}

/* Logs the report, one INFO line each, past the log tap. */
static void log_report(struct whorl_engine *e, uint64_t serial, const char *text)
{
	char line[LOG_MAX_LINE];
	snprintf(line, sizeof(line), "Current statistics for period %llu...",
	         (unsigned long long)serial);
	stats_log_host(&e->stats.log, WHORL_LOG_INFO, "STATS", line);
	for (const char *p = text; *p != '\0';) {
		size_t n = strcspn(p, "\n");
		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		for (char *c = line; *c != '\0'; c++)
			if ((unsigned char)*c < 0x20)
				*c = '.';
		stats_log_host(&e->stats.log, WHORL_LOG_INFO, "STATS", line);
		p += n + (p[n] == '\n');
	}
}

static void send_report(struct whorl_engine *e, const char *text, size_t len, int final)
{
	const struct cfg *cfg = atomic_load(&e->cfg);
	char *body = NULL, url[CFG_MAX_STR + 64];
	size_t body_len = 0;
	const char *stage = "";
	int rc = stats_seal(text, len, e->stats_collector_pk, &body, &body_len, &stage);
	if (rc != 0) {
		if (strcmp(stage, "encode") == 0)
			log_error(&e->log, "STATS",
			          "Could not encode encrypted statistics report, will not "
			          "send report");
		else
			log_error(&e->log, "STATS",
			          "Could not encrypt statistics report (error %d), will not "
			          "send report",
			          rc);
		return;
	}
	stats_url(cfg, url, sizeof(url));
	if (stats_post(net_lib_get(&e->net), cfg, &e->log, url, body, body_len,
	               final ? 1 : STATS_POST_TRIES, final ? STATS_FINAL_POST_SECONDS : 0,
	               final ? NULL : &e->stats_cancel) == 0)
		atomic_fetch_add(&e->stats_sent, 1);
	free(body);
}

/* Ends the period: flip, wait for scans still counting into the old one,
 * log it and send it. Only the reporting thread and quiesce call this. */
static void engine_stats_period_end(struct whorl_engine *e, int final)
{
	struct stats_period *p = stats_flip(&e->stats);
	int64_t start = atomic_exchange(&e->stats_period_start, (int64_t)(engine_now_ms(e) / 1000));
	engine_grace_period(e);
	uint64_t serial =
	    atomic_fetch_add(&e->stats_serial, 1) + 1; /* counted whether or not it is sent */
	struct sbuf text = { 0 };
	build_text(e, p, serial, start, 1, &text);
	stats_period_clear(p);
	if (text.failed) {
		log_error(&e->log, "STATS",
		          "Could not construct HTTP POST for statistics report, will "
		          "not send report");
		free(text.s);
		return;
	}
	log_report(e, serial, text.s);
	const struct cfg *cfg = atomic_load(&e->cfg);
	if (cfg->report_statistics && e->stats_have_key)
		send_report(e, text.s, text.len, final);
	free(text.s);
}

static uint32_t stats_cycle(void *ctx)
{
	struct whorl_engine *e = ctx;
	if (e->stats_started)
		engine_stats_period_end(e, 0);
	e->stats_started = 1;
	/* Published before it is read again: an acf arriving meanwhile either
	 * is seen here or sees this wait (engine_stats_acf kicks it). */
	uint32_t v = stats_interval(e);
	atomic_store(&e->stats_waiting, v);
	uint32_t again = stats_interval(e);
	if (again != v)
		atomic_store(&e->stats_waiting, again);
	return again;
}

int engine_stats_open(struct whorl_engine *e, const struct whorl_host_services *host)
{
	const char *app = host != NULL && WHORL_HAS_MEMBER(host, app_name) ? host->app_name : NULL;
	const char *ver =
	    host != NULL && WHORL_HAS_MEMBER(host, app_version) ? host->app_version : NULL;
	snprintf(e->stats_app_name, sizeof(e->stats_app_name), "%s",
	         app != NULL ? app : "unspecified");
	snprintf(e->stats_app_version, sizeof(e->stats_app_version), "%s",
	         ver != NULL ? ver : "unknown");
	/* Only a CMAE-compatible facade says which CMAE it is. */
	const char *cmae =
	    host != NULL && WHORL_HAS_MEMBER(host, cmae_version) ? host->cmae_version : NULL;
	snprintf(e->stats_cmae_version, sizeof(e->stats_cmae_version), "%s",
	         cmae != NULL ? cmae : "unknown");
	atomic_init(&e->stats_cancel, 0);
	atomic_init(&e->stats_sent, 0);
	atomic_init(&e->stats_acf_interval, 0);
	atomic_init(&e->stats_running, 0);
	atomic_init(&e->stats_waiting, 0);
	atomic_init(&e->stats_serial, 0);
	atomic_init(&e->stats_period_start, (int64_t)(engine_now_ms(e) / 1000));
	unsigned char run[12];
	randombytes_buf(run, sizeof(run));
	sodium_bin2base64(e->stats_run_id, sizeof(e->stats_run_id), run, sizeof(run),
	                  sodium_base64_VARIANT_ORIGINAL);
	return stats_init(&e->stats, &e->log);
}

/* After the configuration and the data are loaded. */
void engine_stats_start(struct whorl_engine *e)
{
	const struct cfg *cfg = atomic_load(&e->cfg);
	char url[CFG_MAX_STR + 64];
	stats_url(cfg, url, sizeof(url));
	stats_host_id(&e->stats_sha1, cfg->anonymize_statistics, &e->log, e->stats_host_id,
	              sizeof(e->stats_host_id));
	int key_rc = update_pubkey_load(cfg->statistics_key, e->stats_collector_pk, NULL);
	e->stats_have_key = key_rc == 0;
	/* The id is kept on disk only where reports can leave the machine: an
	 * engine opened by a publisher or a test on a source tree's etc/ writes
	 * nothing there, and logs a per-run id. */
	stats_installation_id(cfg, &e->log, e->stats_have_key && cfg->report_statistics,
	                      e->stats_installation_id, sizeof(e->stats_installation_id));
	log_info(&e->log, "STATS",
	         "Statistics initialized. Current settings: report statistics=%s, "
	         "statistics url=%s, statistics key=%s%s, interval=%u s, customer id=%s, anonymize "
	         "statistics=%s, exclude from stats reports=%s%s, record sigs seen=%s",
	         cfg->report_statistics ? "yes" : "no", url, cfg->statistics_key,
	         e->stats_have_key ? "" : " (missing)", stats_interval(e), cfg->customer_id,
	         cfg->anonymize_statistics ? "yes" : "no",
	         (cfg->exclude_from_stats & CFG_EXCLUDE_WHITELIST) ? "whitelist " : "",
	         (cfg->exclude_from_stats & CFG_EXCLUDE_PROXY_AUTH) ? "proxy auth" : "",
	         cfg->record_sigs_seen ? "yes" : "no");
	/* No key file at all is a site without a collector (reports are only
	 * logged); an unreadable or malformed one is the guide's ERROR. */
	if (cfg->report_statistics && key_rc == WHORL_EIO && access(cfg->statistics_key, F_OK) != 0)
		log_warn(&e->log, "STATS",
		         "No collector key %s: statistics reports will be logged, not "
		         "sent",
		         cfg->statistics_key);
	else if (cfg->report_statistics && !e->stats_have_key)
		log_error(&e->log, "STATS",
		          "Could not initialize encryption, expect problems reporting "
		          "statistics (collector key %s: %s)",
		          cfg->statistics_key, whorl_error_text(key_rc));
	if (update_thread_start(&e->stats_thread, stats_cycle, e, 0, &e->stats_cancel) != 0)
		log_error(&e->log, "STATS",
		          "Could not start background statistics thread, will not log "
		          "or report statistics");
	else
		atomic_store(&e->stats_running, 1);
	/* An acf that came while the thread started, after its first cycle
	 * read the interval, found it not running yet. */
	unsigned waiting = atomic_load(&e->stats_waiting);
	if (atomic_load(&e->stats_running) && waiting != 0 && waiting != stats_interval(e))
		update_thread_kick(&e->stats_thread);
}

void engine_stats_quiesce(struct whorl_engine *e)
{
	if (!e->stats_thread.running)
		return;
	log_info(&e->log, "STATS", "Shutting down, stopping background stats reporting.");
	atomic_store(&e->stats_running, 0);
	update_thread_stop(&e->stats_thread);
	/* What this run counted since the last report is not lost: one report
	 * more, one bounded try. */
	engine_stats_period_end(e, 1);
}

void engine_stats_close(struct whorl_engine *e)
{
	stats_destroy(&e->stats);
}

int engine_stats_snapshot_text(struct whorl_engine *e, char **text, size_t *len)
{
	struct sbuf b = { .s = *text, .len = *len, .cap = *len + 1 };
	struct scan_scratch *slot = engine_scratch_acquire(e);
	if (slot == NULL)
		return WHORL_ENOMEM;
	build_text(e, stats_active(&e->stats), atomic_load(&e->stats_serial) + 1,
	           atomic_load(&e->stats_period_start), 0, &b);
	engine_scratch_release(e, slot);
	*text = b.s;
	*len = b.len;
	return b.failed ? WHORL_ENOMEM : 0;
}
