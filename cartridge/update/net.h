/*
 * net.h - one bounded HTTP(S) GET with libcurl, configured from Table 1
 * (timeout, http proxy and its basic/NTLM auth, local address for m-u cons),
 * with licence basic auth, conditional requests and the guide's log lines
 * for network failures.
 *
 * libcurl is not linked: each engine opens it the first time it talks to
 * a mirror or a collector (struct net_lib, net_lib.c, util/dynlib.h) and
 * closes it at engine close. It and the twenty libraries it pulls in (TLS,
 * Kerberos, LDAP, SSH...) were a quarter of a whorl-scan start, paid by
 * every process, also those with a file:// mirror or no updates at all.
 * Every function here that does a transfer takes the table of libcurl
 * functions (struct net_curl) it was given.
 *
 * Not for: deciding what to fetch (loader.c, fetch.c) or verifying it.
 */
#ifndef WHORL_UPDATE_NET_H
#define WHORL_UPDATE_NET_H

#include <curl/curl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "../cfg/cfg.h"
#include "../log/log.h"
#include "../util/dynlib.h"

#define NET_LIB_SONAME "libcurl.so.4" /* Debian's libcurl4 */

/* The libcurl functions whorl calls, with the prototypes of <curl/curl.h>. */
struct net_curl {
	__typeof__(curl_global_init) *global_init;
	__typeof__(curl_global_cleanup) *global_cleanup;
	__typeof__(curl_easy_init) *easy_init;
	__typeof__(curl_easy_setopt) *easy_setopt;
	__typeof__(curl_easy_perform) *easy_perform;
	__typeof__(curl_easy_getinfo) *easy_getinfo;
	__typeof__(curl_easy_cleanup) *easy_cleanup;
	__typeof__(curl_easy_strerror) *easy_strerror;
	__typeof__(curl_slist_append) *slist_append;
	__typeof__(curl_slist_free_all) *slist_free_all;
	__typeof__(curl_url) *url;
	__typeof__(curl_url_set) *url_set;
	__typeof__(curl_url_get) *url_get;
	__typeof__(curl_url_cleanup) *url_cleanup;
	__typeof__(curl_free) *free;
};

/* libcurl for one engine: opened (and curl_global_init run) by the first
 * net_lib_get(), closed (curl_global_cleanup, dlclose) by net_lib_close()
 * when no transfer can be in flight. A failed open is logged once (lg may
 * be NULL) and not tried again. */
struct net_lib {
	struct dynlib lib;
	struct net_curl fns;
};

void net_lib_init(struct net_lib *n, const struct logger *lg);
/* The functions, libcurl opened on the first call; NULL when it cannot be
 * (n NULL, libcurl missing, or its global set-up failed). Any thread. */
const struct net_curl *net_lib_get(struct net_lib *n);
void net_lib_close(struct net_lib *n);

#define NET_MAX_URL 2048
#define NET_MAX_ETAG 128         /* longer ETags are not remembered */
#define NET_LOW_SPEED_BYTES 256L /* below this many bytes/s for `timeout` s: a drip */

/* What one response said, filled by net_get(). */
struct net_reply {
	long http_code;
	int curl_rc;             /* CURLcode */
	int64_t content_length;  /* -1: none declared */
	char etag[NET_MAX_ETAG]; /* "" when none (or too long) */
	int64_t last_modified;   /* unix seconds; -1 unknown */
	char addr[64];           /* peer address, when connected */
	int os_errno;            /* CURLINFO_OS_ERRNO of a failed connect; 0: none */
	int connected;           /* the TCP connection (to the proxy, if any) was made */
	long waited_s;           /* seconds from connecting (or starting) to the end */
};

/* One GET. */
struct net_request {
	const char *url;
	const char *user, *password; /* HTTP basic auth; NULL: none */
	size_t max;                  /* bodies longer than this are cut off: WHORL_ELIMIT */
	const char *if_none_match;   /* NULL or "": unconditional */
	int64_t if_modified_since;   /* <= 0: none */
	const atomic_int *cancel;    /* non-zero aborts the transfer; may be NULL */
	long total_ms;               /* > 0: the whole transfer's limit (the rest of
	                                     the cycle's time, update_net_remaining_ms) */
	const struct net_curl *curl; /* libcurl (net_lib_get); NULL: WHORL_ENETWORK */
};

/* Fetches req->url into *body (malloc'd, NUL terminated, not counted).
 * 0 on a 200 with a body of at most req->max bytes; WHORL_ENODATA on 304;
 * WHORL_ELIMIT when the body is (or is declared) longer than req->max;
 * WHORL_ENETWORK for every other failure (connection, timeout, drip, HTTP
 * status); WHORL_ENOMEM. Logs nothing: see net_log_failure(). Thread-safe
 * (one easy handle per call, CURLOPT_NOSIGNAL). */
int net_get(const struct cfg *cfg, const struct net_request *req, uint8_t **body, size_t *len,
            struct net_reply *reply);

/* As net_get(), but the body is appended to fd as it arrives (fd is
 * written from its current offset; on failure it may hold part of the
 * body); *len is the number of bytes written. WHORL_EIO (errno set) when
 * writing fails. */
int net_get_fd(const struct cfg *cfg, const struct net_request *req, int fd, size_t *len,
               struct net_reply *reply);

/* Logs the guide's ERROR line for a failed net_get() of `file` (rc and
 * reply as it returned them). */
void net_log_failure(const struct net_curl *curl, const struct cfg *cfg, const struct logger *lg,
                     const char *url, const char *file, int rc, const struct net_reply *reply);

/* The <net_error> text of a transfer that timed out before any answer:
 * "connected, no answer within <waited_s> s" when the connection was made,
 * else "connection timed out after <connect_timeout_s> s". Used by
 * micro-updates and statistics reports. */
void net_timeout_text(int connected, long waited_s, long connect_timeout_s, char *buf, size_t cap);

/* Fills reply->connected and reply->waited_s from the finished transfer on
 * the libcurl easy handle `handle`. */
void net_timing_fill(const struct net_curl *curl, void *handle, struct net_reply *reply);

/* One response header line (without CRLF) into *reply: Content-Length,
 * ETag. Other headers are ignored. Bounded by len; never reads past it. */
void net_header_parse(const char *line, size_t len, struct net_reply *reply);

/* Points the libcurl easy handle `handle` at the configured "http proxy"
 * with its basic or NTLM auth (nothing when none is configured); cred
 * (cap bytes) holds the NTLM credentials libcurl reads and must live as
 * long as the transfer. Used by micro-updates and statistics reports. */
void net_set_proxy(const struct net_curl *curl, void *handle, const struct cfg *cfg, char *cred,
                   size_t cap);

#endif
