/*
 * net_log.c - the guide's Appendix A lines for a failed download: "Could
 * not connect to host <host>:<port> (addr <addr>)--<net_error>.", the
 * licence and HTTP status ERROR lines, and what we add for a drip, a server
 * that connected and never answered, a body past its declared size and a
 * cancelled transfer.
 *
 * Not for: doing the transfer (net.c).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "net.h"

#define NET_MOD "MICROUPDATE"

/* Host and port the connection went to: the proxy when one is set. */
static void target_host(const struct net_curl *curl, const struct cfg *cfg, const char *url,
                        char *host, size_t hcap, char *port, size_t pcap)
{
	CURLU *u = curl->url();
	char *h = NULL, *p = NULL;
	int proxied = cfg->http_proxy[0] != '\0';
	char with_scheme[CFG_MAX_STR + 16];

	snprintf(host, hcap, "?");
	snprintf(port, pcap, "?");
	if (!u)
		return;
	snprintf(with_scheme, sizeof with_scheme, "%s%s",
	         proxied && !strstr(cfg->http_proxy, "://") ? "http://" : "",
	         proxied ? cfg->http_proxy : url);
	if (curl->url_set(u, CURLUPART_URL, with_scheme, 0) == CURLUE_OK) {
		if (curl->url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK)
			snprintf(host, hcap, "%s", h);
		if (curl->url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) == CURLUE_OK)
			snprintf(port, pcap, "%s", p);
	}
	curl->free(h);
	curl->free(p);
	curl->url_cleanup(u);
}

void net_timeout_text(int connected, long waited_s, long connect_timeout_s, char *buf, size_t cap)
{
	if (connected)
		snprintf(buf, cap, "connected, no answer within %ld s", waited_s);
	else
		snprintf(buf, cap, "connection timed out after %ld s", connect_timeout_s);
}

void net_timing_fill(const struct net_curl *curl, void *handle, struct net_reply *reply)
{
	curl_off_t connect_us = 0, total_us = 0;

	if (curl->easy_getinfo(handle, CURLINFO_CONNECT_TIME_T, &connect_us) != CURLE_OK)
		connect_us = 0;
	if (curl->easy_getinfo(handle, CURLINFO_TOTAL_TIME_T, &total_us) != CURLE_OK)
		total_us = 0;
	reply->connected = connect_us > 0;
	/* Rounded: curl's timers end a few milliseconds either side. */
	reply->waited_s =
	    total_us > connect_us ? (long)((total_us - connect_us + 500000) / 1000000) : 0;
}

static int is_connect_error(int crc)
{
	return crc == CURLE_COULDNT_CONNECT || crc == CURLE_OPERATION_TIMEDOUT;
}

/* The <net_error> of "Could not connect": a timeout says so with its
 * length, a refusal (or any other failed connect) the system's reason. */
static void connect_error(const struct net_curl *curl, const struct cfg *cfg,
                          const struct net_reply *r, char *buf, size_t cap)
{
	if (r->curl_rc == CURLE_OPERATION_TIMEDOUT)
		net_timeout_text(0, 0, cfg->mu_timeout, buf, cap);
	else if (r->os_errno)
		snprintf(buf, cap, "%s", strerror(r->os_errno));
	else
		snprintf(buf, cap, "%s", curl->easy_strerror((CURLcode)r->curl_rc));
}

/* Appendix A's WARN line for a name that does not resolve. */
static void log_resolve(const struct net_curl *curl, const struct cfg *cfg, const struct logger *lg,
                        const char *url, const struct net_reply *r)
{
	char host[256], port[16];
	int proxy = r->curl_rc == CURLE_COULDNT_RESOLVE_PROXY;

	target_host(curl, cfg, url, host, sizeof host, port, sizeof port);
	log_warn(lg, NET_MOD,
	         "Can not resolve %s hostname %s (%s), expect micro-update downloads "
	         "to fail.",
	         proxy ? "http proxy" : "micro-update", host,
	         curl->easy_strerror((CURLcode)r->curl_rc));
}

static void log_http(const struct logger *lg, const char *file, long code)
{
	if (code == 401)
		log_error(lg, NET_MOD,
		          "Could not update signatures from network (invalid license "
		          "[HTTP error: 401]).");
	else if (code == 407)
		log_error(lg, NET_MOD,
		          "Could not update signatures from network (http proxy "
		          "authentication failed [HTTP error: 407]).");
	else if (code == 403)
		log_error(lg, NET_MOD,
		          "Could not update signatures from network (authorization "
		          "denied).");
	else
		log_error(lg, NET_MOD,
		          "Could not update signatures from network (unexpected "
		          "download failure - http_code:%ld).",
		          code);
	(void)file;
}

void net_log_failure(const struct net_curl *curl, const struct cfg *cfg, const struct logger *lg,
                     const char *url, const char *file, int rc, const struct net_reply *r)
{
	char host[256], port[16], why[128];

	if (rc == WHORL_ELIMIT) {
		log_error(lg, NET_MOD,
		          "Could not update signatures from network (microupdate file "
		          "%s is larger than declared).",
		          file);
	} else if (r->curl_rc == CURLE_ABORTED_BY_CALLBACK) {
		log_info(lg, NET_MOD, "Download of %s stopped (shutting down).", file);
	} else if (r->curl_rc == CURLE_OPERATION_TIMEDOUT && r->http_code != 0) {
		log_error(lg, NET_MOD,
		          "Could not update signatures from network (microupdate file "
		          "%s: transfer slower than %ld bytes/s for %d s).",
		          file, NET_LOW_SPEED_BYTES, cfg->mu_timeout);
	} else if (r->curl_rc == CURLE_COULDNT_RESOLVE_HOST ||
	           r->curl_rc == CURLE_COULDNT_RESOLVE_PROXY) {
		log_resolve(curl, cfg, lg, url, r);
	} else if (r->curl_rc == CURLE_OPERATION_TIMEDOUT && r->connected) {
		/* Not a connect failure: the server took the connection and
		 * never sent a status line. */
		target_host(curl, cfg, url, host, sizeof host, port, sizeof port);
		net_timeout_text(1, r->waited_s, cfg->mu_timeout, why, sizeof why);
		log_error(lg, NET_MOD,
		          "Could not update signatures from network (microupdate file %s from "
		          "host %s:%s (addr %s): %s).",
		          file, host, port, r->addr[0] ? r->addr : host, why);
	} else if (is_connect_error(r->curl_rc)) {
		target_host(curl, cfg, url, host, sizeof host, port, sizeof port);
		connect_error(curl, cfg, r, why, sizeof why);
		log_error(lg, NET_MOD, "Could not connect to host %s:%s (addr %s)--%s.", host, port,
		          r->addr[0] ? r->addr : host, why);
	} else if (r->curl_rc != CURLE_OK) {
		log_error(lg, NET_MOD, "Could not update signatures from network (%s: %s).", file,
		          curl->easy_strerror((CURLcode)r->curl_rc));
	} else {
		log_http(lg, file, r->http_code);
	}
}
