/*
 * http_metrics.c - GET /metrics (Prometheus text format 0.0.4) and
 * GET /stats (the cartridge's statistics snapshot, as it gives it).
 *
 * /metrics: requests, errors and refusals by protocol and reason, a scan
 * latency histogram, verdicts by category, timeouts, connections, queue
 * depth, RSS, uptime, and every numeric line of the cartridge's snapshot
 * as whorld_cartridge_stat{name="..."}, so whatever the cartridge adds
 * appears without a change here; and named metrics for the data (age,
 * serials, staleness) and the micro-update downloads from its "mu" lines.
 * Not for: the server (http.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"

static void metric(struct obuf *o, const char *name, const char *type, const char *help)
{
	obuf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static unsigned long ld(atomic_ulong *a)
{
	return atomic_load(a);
}

static void metrics_requests(struct whorld_counters *c, struct obuf *o)
{

	metric(o, "whorld_requests_total", "counter", "Requests received, by protocol.");
	obuf_printf(o, "whorld_requests_total{protocol=\"spamd\"} %lu\n", ld(&c->requests));
	obuf_printf(o, "whorld_requests_total{protocol=\"http\"} %lu\n", ld(&c->http_requests));
	metric(o, "whorld_errors_total", "counter",
	       "Malformed requests and failed scans, by protocol.");
	obuf_printf(o, "whorld_errors_total{protocol=\"spamd\"} %lu\n", ld(&c->errors));
	obuf_printf(o, "whorld_errors_total{protocol=\"http\"} %lu\n", ld(&c->http_errors));
	metric(o, "whorld_refused_total", "counter",
	       "Requests refused at once, by protocol and reason.");
	obuf_printf(o, "whorld_refused_total{protocol=\"spamd\",reason=\"busy\"} %lu\n",
	            ld(&c->refused_busy));
	obuf_printf(o, "whorld_refused_total{protocol=\"spamd\",reason=\"connections\"} %lu\n",
	            ld(&c->refused_limit));
	obuf_printf(o, "whorld_refused_total{protocol=\"spamd\",reason=\"too_large\"} %lu\n",
	            ld(&c->too_large));
	obuf_printf(o, "whorld_refused_total{protocol=\"http\",reason=\"busy\"} %lu\n",
	            ld(&c->http_busy));
	obuf_printf(o, "whorld_refused_total{protocol=\"http\",reason=\"too_large\"} %lu\n",
	            ld(&c->http_too_large));
	obuf_printf(o, "whorld_refused_total{protocol=\"http\",reason=\"connections\"} %lu\n",
	            ld(&c->http_refused_limit));
	metric(o, "whorld_timeouts_total", "counter", "Idle, slow-client and deadline timeouts.");
	obuf_printf(o, "whorld_timeouts_total %lu\n", ld(&c->timeouts));
	metric(o, "whorld_tells_total", "counter",
	       "Feedback reports recorded in the spool (TELL, POST /v1/feedback, REPORT).");
	obuf_printf(o, "whorld_tells_total %lu\n", ld(&c->tells));
}

static void metrics_scans(struct whorld_counters *c, struct obuf *o)
{
	unsigned long cum = 0;

	metric(o, "whorld_scan_duration_seconds", "histogram", "Time the cartridge took per scan.");
	for (size_t b = 0; b < WHORLD_LATENCY_BUCKETS; b++) {
		cum += ld(&c->latency_buckets[b]);
		obuf_printf(o, "whorld_scan_duration_seconds_bucket{le=\"%g\"} %lu\n",
		            (double)whorld_latency_bounds_us[b] / 1e6, cum);
	}
	cum += ld(&c->latency_buckets[WHORLD_LATENCY_BUCKETS]);
	obuf_printf(o, "whorld_scan_duration_seconds_bucket{le=\"+Inf\"} %lu\n", cum);
	obuf_printf(o, "whorld_scan_duration_seconds_sum %.6f\n",
	            (double)ld(&c->latency_sum_us) / 1e6);
	obuf_printf(o, "whorld_scan_duration_seconds_count %lu\n", cum);
	metric(o, "whorld_verdicts_total", "counter",
	       "Verdicts by category number (etc/categories).");
	for (unsigned k = 0; k < WHORLD_CATEGORIES; k++)
		if (ld(&c->verdicts[k]) > 0)
			obuf_printf(o, "whorld_verdicts_total{category=\"%u\"} %lu\n", k,
			            ld(&c->verdicts[k]));
}

static void metrics_process(struct whorld *d, struct whorld_counters *c, struct obuf *o)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f != NULL) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	metric(o, "whorld_connections", "gauge", "Open spamd-protocol connections.");
	obuf_printf(o, "whorld_connections %u\n", atomic_load(&d->n_conns));
	metric(o, "whorld_http_connections", "gauge", "Open HTTP connections.");
	obuf_printf(o, "whorld_http_connections %u\n", http_connections(d));
	metric(o, "whorld_queue_depth", "gauge", "Requests queued or being scanned.");
	obuf_printf(o, "whorld_queue_depth %u\n", work_in_flight(d));
	metric(o, "whorld_resident_memory_bytes", "gauge", "Resident set size.");
	obuf_printf(o, "whorld_resident_memory_bytes %ld\n", rss * sysconf(_SC_PAGESIZE));
	metric(o, "whorld_swaps_total", "counter", "Cartridge swaps (whorlctl swap).");
	obuf_printf(o, "whorld_swaps_total %lu\n", ld(&c->swaps));
	metric(o, "whorld_worker_restarts_total", "counter",
	       "Worker processes that died and were started again (workers = N).");
	obuf_printf(o, "whorld_worker_restarts_total %lu\n", ld(&c->worker_restarts));
	metric(o, "whorld_uptime_seconds", "gauge", "Seconds since whorld started.");
	obuf_printf(o, "whorld_uptime_seconds %.3f\n",
	            (double)(whorld_now_ms() - d->t_start_ms) / 1000.0);
}

/* The micro-update download counters of the snapshot, by result, kind and origin. */
static const struct {
	const char *key, *labels;
} metrics_downloads[] = {
	{ "successful complete micro-update downloads",
	  "result=\"success\",kind=\"complete\",origin=\"network\"" },
	{ "successful incremental micro-update downloads",
	  "result=\"success\",kind=\"incremental\",origin=\"network\"" },
	{ "failed complete micro-update downloads",
	  "result=\"failure\",kind=\"complete\",origin=\"network\"" },
	{ "failed incremental micro-update downloads",
	  "result=\"failure\",kind=\"incremental\",origin=\"network\"" },
	{ "successful complete micro-update downloads from disk",
	  "result=\"success\",kind=\"complete\",origin=\"disk\"" },
	{ "failed complete micro-update downloads from disk",
	  "result=\"failure\",kind=\"complete\",origin=\"disk\"" },
	{ "failed micro-update serial number downloads from network",
	  "result=\"failure\",kind=\"serial\",origin=\"network\"" },
};

/* The value of "key = value" in the snapshot text, or NULL. */
static const char *metrics_value(const char *text, const char *key, char *buf, size_t len)
{
	size_t k = strlen(key);

	for (const char *p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (strncmp(p, key, k) == 0 && strncmp(p + k, " = ", 3) == 0) {
			snprintf(buf, len, "%.*s", (int)strcspn(p + k + 3, "\n"), p + k + 3);
			return buf;
		}
	return NULL;
}

/* The data's serials, age and staleness and the update counters, from the
 * cartridge's "mu ..." lines (docs/FORMATS.md 3.2), as named metrics. */
static void metrics_data(const char *text, struct obuf *o)
{
	static const char *const sources[] = { "sigs", "awl", "cats", "acf" };
	char key[64], v[64];
	unsigned long long c, i;

	metric(o, "whorld_data_age_seconds", "gauge",
	       "Seconds since the publisher issued the data of each source in use.");
	for (size_t s = 0; s < 4; s++) {
		snprintf(key, sizeof(key), "mu %s age", sources[s]);
		if (metrics_value(text, key, v, sizeof(v)) != NULL)
			obuf_printf(o, "whorld_data_age_seconds{source=\"%s\"} %s\n", sources[s],
			            v);
	}
	metric(o, "whorld_data_serial", "gauge",
	       "Serial of each source's data: its complete file and its state.");
	for (size_t s = 0; s < 4; s++) {
		snprintf(key, sizeof(key), "mu %s serial", sources[s]);
		if (metrics_value(text, key, v, sizeof(v)) != NULL &&
		    sscanf(v, "%llu.%llu", &c, &i) == 2)
			obuf_printf(o,
			            "whorld_data_serial{source=\"%s\",part=\"complete\"} %llu\n"
			            "whorld_data_serial{source=\"%s\",part=\"incremental\"} %llu\n",
			            sources[s], c, sources[s], i);
	}
	metric(o, "whorld_data_stale", "gauge", "1 when the live set's manifest has expired.");
	if (metrics_value(text, "mu set stale", v, sizeof(v)) != NULL)
		obuf_printf(o, "whorld_data_stale %d\n", strcmp(v, "yes") == 0);
	metric(o, "whorld_update_downloads_total", "counter",
	       "Micro-update downloads since start, by result, kind and origin.");
	for (size_t k = 0; k < sizeof(metrics_downloads) / sizeof(metrics_downloads[0]); k++)
		if (metrics_value(text, metrics_downloads[k].key, v, sizeof(v)) != NULL)
			obuf_printf(o, "whorld_update_downloads_total{%s} %s\n",
			            metrics_downloads[k].labels, v);
}

/* Every "name = number" line of the snapshot as a gauge. */
static void metrics_cartridge(struct whorld *d, struct obuf *o)
{
	char *text = NULL, *line, *save = NULL;

	if (whorl_host_stats_text(d->host, &text) != 0)
		return;
	metrics_data(text, o);
	metric(o, "whorld_cartridge_stat", "gauge", "Numeric lines of the cartridge's statistics.");
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strstr(line, " = "), *end;
		double value;
		if (eq == NULL || strpbrk(line, "\"\\") != NULL)
			continue;
		value = strtod(eq + 3, &end);
		if (end == eq + 3 || *end != '\0')
			continue;
		obuf_printf(o, "whorld_cartridge_stat{name=\"%.*s\"} %g\n", (int)(eq - line), line,
		            value);
	}
	free(text);
}

void http_metrics_text(struct whorld *d, struct obuf *o)
{
	struct whorld_counters sum;

	whorld_counters_sum(d, &sum);
	metrics_requests(&sum, o);
	metrics_scans(&sum, o);
	metrics_process(d, &sum, o);
	metrics_cartridge(d, o);
}

void http_stats_text(struct whorld *d, struct obuf *o)
{
	char *text = NULL;

	if (whorl_host_stats_text(d->host, &text) != 0) {
		obuf_printf(o, "no statistics from the cartridge\n");
	} else {
		obuf_add(o, text, strlen(text));
		free(text);
	}
}
