/*
 * post.c - one statistics report over HTTP(S) with libcurl (see post.h).
 *
 * Each try is one easy handle: POST text/plain, no redirects, the proxy of
 * "http proxy" (net_set_proxy), connect and low-speed timeouts from
 * "micro-update timeout", the collector's reply cut at
 * STATS_POST_MAX_REPLY bytes. Each failed try logs the Appendix A line
 * that fits it; the last failure drops the report.
 *
 * Not for: micro-update downloads (update/net.c).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "post.h"
#include "../update/net.h"

struct reply_sink {
	char text[STATS_POST_MAX_REPLY];
	size_t len;
	const atomic_int *cancel;
	struct net_reply timing; /* connected, waited_s: what a timeout was */
};

static size_t reply_write(char *data, size_t size, size_t n, void *ctx)
{
	struct reply_sink *r = ctx;
	size_t bytes = size * n, room = sizeof(r->text) - 1 - r->len;
	size_t take = bytes < room ? bytes : room;
	memcpy(r->text + r->len, data, take);
	r->len += take;
	r->text[r->len] = '\0';
	return bytes;
}

static int reply_progress(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	const struct reply_sink *r = ctx;
	return r->cancel != NULL && atomic_load(r->cancel) != 0;
}

/* Unprintable bytes as '.', as the guide shows request and response texts. */
static void printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '.';
}

static void log_failure(const struct net_curl *curl, const struct logger *lg, const char *url,
                        CURLcode rc, long code, long timeout, struct reply_sink *r)
{
	const char *why = curl->easy_strerror(rc);
	char timed_out[96];
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		net_timeout_text(r->timing.connected, r->timing.waited_s, timeout, timed_out,
		                 sizeof timed_out);
		if (r->timing.connected)
			log_error(lg, "STATS",
			          "Could not receive HTTP response for statistics report (%s), "
			          "report may not have been sent successfully",
			          timed_out);
		else
			log_error(
			    lg, "STATS",
			    "Could not connect to micro-updates host (%s), will not send report",
			    timed_out);
		break;
	case CURLE_OK:
		printable(r->text);
		log_error(lg, "STATS", "Unexpected HTTP response for HTTP request POST %s: %ld %s",
		          url, code, r->text);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		log_error(lg, "STATS",
		          "Could not connect to micro-updates host (%s), will not send report",
		          why);
		break;
	case CURLE_SEND_ERROR:
		log_error(lg, "STATS",
		          "Could not send HTTP request POST %s (%s), will not send report", url,
		          why);
		break;
	default:
		log_error(lg, "STATS",
		          "Could not receive HTTP response for statistics report (%s), report "
		          "may not have been sent successfully",
		          why);
	}
}

/* One try: the curl code, with the HTTP status in *code. */
static CURLcode post_once(const struct net_curl *curl, const struct cfg *cfg, const char *url,
                          const char *body, size_t len, long timeout, struct reply_sink *r,
                          long *code)
{
	CURL *h = curl->easy_init();
	if (h == NULL)
		return CURLE_OUT_OF_MEMORY;
	char cred[CFG_MAX_STR + 8];
	struct curl_slist *hdrs = curl->slist_append(NULL, "Content-Type: text/plain");
	curl->easy_setopt(h, CURLOPT_URL, url);
	curl->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl->easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl->easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout);
	curl->easy_setopt(h, CURLOPT_TIMEOUT, timeout * 2);
	curl->easy_setopt(h, CURLOPT_USERAGENT, "whorl-cartridge/" WHORL_VERSION);
	curl->easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl->easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl->easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl->easy_setopt(h, CURLOPT_WRITEFUNCTION, reply_write);
	curl->easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl->easy_setopt(h, CURLOPT_XFERINFOFUNCTION, reply_progress);
	curl->easy_setopt(h, CURLOPT_XFERINFODATA, r);
	curl->easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	if (cfg->local_address[0])
		curl->easy_setopt(h, CURLOPT_INTERFACE, cfg->local_address);
	net_set_proxy(curl, h, cfg, cred, sizeof(cred));
	CURLcode rc = curl->easy_perform(h);
	*code = 0;
	curl->easy_getinfo(h, CURLINFO_RESPONSE_CODE, code);
	net_timing_fill(curl, h, &r->timing);
	curl->slist_free_all(hdrs);
	curl->easy_cleanup(h);
	return rc;
}

/* Sleeps up to `seconds`, waking early when *cancel is set. */
static void pause_unless_cancelled(unsigned seconds, const atomic_int *cancel)
{
	for (unsigned i = 0; i < seconds * 10; i++) {
		if (cancel != NULL && atomic_load(cancel) != 0)
			return;
		nanosleep(&(struct timespec){ 0, 100000000L }, NULL);
	}
}

int stats_post(const struct net_curl *curl, const struct cfg *cfg, const struct logger *lg,
               const char *url, const char *body, size_t len, unsigned tries, long max_seconds,
               const atomic_int *cancel)
{
	long timeout = cfg->mu_timeout > 0 ? cfg->mu_timeout : 60;
	if (curl == NULL) { /* libcurl could not be loaded (logged once, net_lib.c) */
		log_error(lg, "STATS",
		          "Could not construct HTTP POST for statistics report, will not "
		          "send report");
		return WHORL_ENETWORK;
	}
	if (max_seconds > 0 && timeout > max_seconds)
		timeout = max_seconds;
	for (unsigned t = 0; t < tries; t++) {
		if (t > 0)
			pause_unless_cancelled(STATS_POST_RETRY_SECONDS, cancel);
		if (cancel != NULL && atomic_load(cancel) != 0)
			break;
		struct reply_sink r = { .len = 0, .cancel = cancel };
		r.text[0] = '\0';
		long code = 0;
		CURLcode rc = post_once(curl, cfg, url, body, len, timeout, &r, &code);
		if (rc == CURLE_OK && code == 200)
			return 0;
		if (rc == CURLE_OUT_OF_MEMORY) {
			log_error(lg, "STATS",
			          "Could not construct HTTP POST for statistics report, will not "
			          "send report");
			return WHORL_ENETWORK;
		}
		log_failure(curl, lg, url, rc, code, timeout, &r);
		if (rc == CURLE_OK && code >= 400 && code < 500)
			break; /* the collector refused this report: another try is the same */
	}
	return WHORL_ENETWORK;
}
