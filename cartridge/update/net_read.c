/*
 * net_read.c - update_run_read(): where the loader's bytes come from. A
 * network run fetches <mirror>/<name> with net_get(), capped at the size
 * the caller allows (the manifest's declared size for data files), with
 * the licence as basic auth on checksum files only (data files may sit on
 * a public mirror: they are useless without their checksum file's key),
 * (none when there is no license.cfg: an open mirror), and the manifest
 * asked for conditionally (If-None-Match and
 * If-Modified-Since from the last manifest accepted). update_run_read_fd()
 * does the same into a file (complete sigs files, streamed). A file://
 * mirror's files are read by dir_read.c. The cycle's time limit, for both
 * kinds of mirror, is kept here (update_run_clock_start).
 *
 * Not for: verification (fetch.c, loader.c) or the transfer (net.c).
 */
#include <curl/curl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../../abi/whorl_cartridge.h"
#include "child_read.h"
#include "net.h"
#include "update_internal.h"

const char *update_run_where(const struct update_run *run)
{
	return run->net ? "network" : "disk";
}

void update_count(const struct update_run *run, atomic_ullong *which)
{
	if (which)
		atomic_fetch_add(which, 1);
}

void update_run_clock_start(struct update_run *run)
{
	const struct cfg *cfg = run->cfg;

	run->start_ms = child_read_now_ms();
	run->deadline_ms = run->start_ms + (int64_t)UPDATE_CYCLE_TIMEOUTS *
	                                       (cfg->mu_timeout > 0 ? cfg->mu_timeout : 60) * 1000;
}

void update_run_allow(struct update_run *run, uint64_t bytes)
{
	run->deadline_ms += (int64_t)(bytes / UPDATE_CYCLE_MIN_RATE) * 1000;
}

/* curl's timers may fire a few milliseconds before the deadline we gave it
 * (they round to whole milliseconds on a loaded machine): a timeout this
 * close to the cycle's end is the cycle's limit, not the low-speed one. */
#define UPDATE_CYCLE_TIMER_SLACK_MS 250

void update_run_limit_log(const struct update_run *run, const char *name, int64_t at_ms)
{
	char url[CFG_MAX_STR + 64];
	int64_t ran_s = (at_ms - run->start_ms) / 1000;
	int64_t limit_s = (run->deadline_ms - run->start_ms) / 1000;

	if (run->net) {
		log_error(run->lg, UPDATE_MOD,
		          "Could not update signatures from network (micro-update "
		          "cycle stopped at %s after %" PRId64
		          " s: the limit for this cycle is %" PRId64 " s, the mirror is too slow).",
		          name, ran_s, limit_s);
		return;
	}
	update_mirror_url(run->cfg, url, sizeof url);
	log_error(run->lg, UPDATE_MOD,
	          "Could not update signatures from disk (micro-update cycle stopped at %s after "
	          "%" PRId64 " s: the limit for this cycle is %" PRId64
	          " s, the mirror %s does not answer).",
	          name, ran_s, limit_s, url);
}

/* 1 when the cycle's time is up (logged once, for the file it stopped);
 * *left_ms (may be NULL) is the time left. */
static int cycle_over(const struct update_run *run, const char *name, long *left_ms)
{
	int64_t left = run->deadline_ms - child_read_now_ms();

	if (left_ms)
		*left_ms = left > 0 ? (long)left : 0;
	if (run->deadline_ms == 0 || left > 0)
		return 0;
	update_run_limit_log(run, name, child_read_now_ms());
	return 1;
}

int update_run_time_over(const struct update_run *run, const char *name)
{
	return cycle_over(run, name, NULL);
}

static int name_is_cksum(const char *name)
{
	size_t n = strlen(name), k = strlen(UPDATE_CKSUM_SUFFIX);

	return n > k && strcmp(name + n - k, UPDATE_CKSUM_SUFFIX) == 0;
}

static void net_request_fill(const struct update_run *run, const char *name, size_t max, char *url,
                             size_t url_len, struct net_request *req);

/* Logs a failed transfer; a 401 without a license.cfg also gets the
 * guide's missing-licence line: the mirror wants one and none exists. */
static void net_read_failure(const struct update_run *run, const char *url, const char *name,
                             int rc, const struct net_reply *reply)
{
	char text[LICENSE_ERROR_TEXT_MAX];

	if (reply->curl_rc == CURLE_OPERATION_TIMEDOUT &&
	    child_read_now_ms() + UPDATE_CYCLE_TIMER_SLACK_MS >= run->deadline_ms) {
		update_run_limit_log(run, name, child_read_now_ms());
		return;
	}
	net_log_failure(run->net->curl, run->cfg, run->lg, url, name, rc, reply);
	if (run->net->open_mirror && reply->http_code == 401)
		log_error(
		    run->lg, UPDATE_MOD, "%s",
		    license_error_text(WHORL_ENODATA, run->cfg->config_dir, text, sizeof text));
}

static int net_read(struct update_run *run, const char *name, size_t max, uint8_t **buf,
                    size_t *len)
{
	struct update_net *net = run->net;
	int is_manifest = strcmp(name, UPDATE_MANIFEST_NAME) == 0;
	char url[sizeof net->base + UPDATE_MAX_NAME + 16];
	struct net_request req;
	struct net_reply reply;
	int rc;

	if (cycle_over(run, name, &req.total_ms)) {
		if (is_manifest)
			update_count(run, UPDATE_COUNTER(run, serial_fail));
		return WHORL_ENETWORK;
	}
	net_request_fill(run, name, max, url, sizeof url, &req);
	if (is_manifest) {
		req.if_none_match = net->etag_in;
		req.if_modified_since = net->modified_in;
	}
	rc = net_get(run->cfg, &req, buf, len, &reply);
	if (rc == 0 && is_manifest) {
		snprintf(net->etag_out, sizeof net->etag_out, "%s", reply.etag);
		net->modified_out = reply.last_modified;
	}
	if (rc == WHORL_ENODATA && !is_manifest)
		rc = WHORL_ENETWORK; /* 304 without asking: a broken mirror */
	if (rc != 0 && rc != WHORL_ENODATA && rc != WHORL_ENOMEM)
		net_read_failure(run, url, name, rc, &reply);
	if (rc != 0 && is_manifest && rc != WHORL_ENODATA)
		update_count(run, UPDATE_COUNTER(run, serial_fail));
	return rc;
}

/* The request for <mirror>/name, as net_read() makes it. */
static void net_request_fill(const struct update_run *run, const char *name, size_t max, char *url,
                             size_t url_len, struct net_request *req)
{
	const struct update_net *net = run->net;

	long total_ms = req->total_ms;

	snprintf(url, url_len, "%s%s", net->base, name);
	memset(req, 0, sizeof *req);
	req->total_ms = total_ms;
	req->url = url;
	req->max = max;
	req->cancel = run->hooks ? run->hooks->cancel : NULL;
	req->curl = net->curl;
	if (name_is_cksum(name) && !net->open_mirror) {
		req->user = net->user;
		req->password = net->password;
	}
}

int update_run_read_fd(struct update_run *run, const char *name, size_t max, int fd)
{
	char url[sizeof run->net->base + UPDATE_MAX_NAME + 16];
	struct net_request req;
	struct net_reply reply;
	size_t len;
	int rc;

	if (!run->net)
		return update_dir_read_fd(run, name, max, fd);
	if (cycle_over(run, name, &req.total_ms))
		return WHORL_ENETWORK;
	net_request_fill(run, name, max, url, sizeof url, &req);
	rc = net_get_fd(run->cfg, &req, fd, &len, &reply);
	if (rc == WHORL_ENODATA)
		rc = WHORL_ENETWORK; /* 304 without asking: a broken mirror */
	if (rc != 0 && rc != WHORL_ENOMEM)
		net_read_failure(run, url, name, rc, &reply);
	return rc;
}

int update_run_read(struct update_run *run, const char *name, size_t max, uint8_t **buf,
                    size_t *len)
{
	if (run->net)
		return net_read(run, name, max, buf, len);
	if (run->dir_in_child)
		return update_dir_read(run, name, max, buf, len);
	return update_read_bounded(run->dir, name, max, buf, len);
}

/* No license.cfg: an open mirror, fetched without authentication. Said
 * once per engine (status remembers it), not every cycle. */
static void note_open_mirror(const struct cfg *cfg, const struct logger *lg,
                             struct update_status *status)
{
	char url[CFG_MAX_STR + 64];

	if (status && status->open_mirror_noted)
		return;
	update_mirror_url(cfg, url, sizeof url);
	log_info(lg, UPDATE_MOD,
	         "No license file %s/license.cfg: fetching micro-updates from %s "
	         "without authentication (open mirror).",
	         cfg->config_dir, url);
	if (status)
		status->open_mirror_noted = 1;
}

int update_net_open(const struct cfg *cfg, const struct logger *lg, struct net_lib *net_lib,
                    struct update_status *status, struct update_net **out)
{
	const struct net_curl *curl;
	struct update_net *net;
	struct license lic;
	size_t n;
	int rc, open_mirror;

	*out = NULL;
	if (!cfg->enable_micro_updates)
		return WHORL_ENODATA;
	if ((curl = net_lib_get(net_lib)) == NULL) {
		log_error(lg, UPDATE_MOD,
		          "Could not update signatures from network (%s cannot be loaded).",
		          NET_LIB_SONAME);
		return WHORL_ENETWORK;
	}
	rc = license_load(&lic, cfg->config_dir, lg);
	if ((open_mirror = rc == WHORL_ENODATA)) {
		note_open_mirror(cfg, lg, status);
		rc = 0;
	}
	if (rc != 0) {
		char text[LICENSE_ERROR_TEXT_MAX];
		if (rc != WHORL_EIO) /* EIO was logged by license_load */
			log_error(lg, UPDATE_MOD, "%s",
			          license_error_text(rc, cfg->config_dir, text, sizeof text));
		license_clear(&lic);
		return WHORL_ECONFIG;
	}
	if (sodium_init() < 0 || !(net = sodium_malloc(sizeof *net))) {
		license_clear(&lic);
		return WHORL_ENOMEM;
	}
	memset(net, 0, sizeof *net);
	update_mirror_url(cfg, net->base, sizeof net->base - 1);
	n = strlen(net->base);
	if (n && net->base[n - 1] != '/')
		net->base[n] = '/';
	net->open_mirror = open_mirror;
	net->curl = curl;
	if (!open_mirror)
		snprintf(net->user, sizeof net->user, "%lu", lic.id);
	snprintf(net->password, sizeof net->password, "%s", lic.password);
	license_clear(&lic);
	net->modified_in = -1;
	if (status) {
		snprintf(net->etag_in, sizeof net->etag_in, "%s", status->etag);
		net->modified_in = status->last_modified;
	}
	*out = net;
	return 0;
}

void update_net_save(const struct update_net *net, struct update_status *status)
{
	if (!status || (!net->etag_out[0] && net->modified_out <= 0))
		return; /* a 304 keeps what was saved */
	snprintf(status->etag, sizeof status->etag, "%s", net->etag_out);
	status->last_modified = net->modified_out;
}

void update_net_close(struct update_net *net)
{
	sodium_free(net); /* wipes the licence password */
}
