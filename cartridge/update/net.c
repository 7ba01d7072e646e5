/*
 * net.c - net_get(): one bounded HTTP(S) GET with libcurl.
 *
 * Every Table 1 network key is applied here: `micro-update timeout` is the
 * connect timeout and the low-speed window (a mirror that drips fewer than
 * NET_LOW_SPEED_BYTES a second for that long is dropped), `http proxy` with
 * `http proxy basic auth` or `http proxy ntlm auth`, `local address for
 * m-u cons`. Bodies are capped twice: CURLOPT_MAXFILESIZE_LARGE refuses a
 * declared length past the cap, and the write callback stops at the cap
 * whatever the server declared (endless or lying bodies). Only http and
 * https, no redirects, no transparent decompression. A body goes to memory
 * (net_get) or is appended to a file as it arrives (net_get_fd), so a large
 * data file never sits whole on the heap.
 *
 * Not for: what the bytes mean (the caller verifies everything).
 */
#include <curl/curl.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../../abi/whorl_cartridge.h"
#include "net.h"

#define NET_FIRST_ALLOC ((size_t)16 << 10)
#define NET_MAX_CREDENTIAL 600 /* user:password strings we build */

struct net_sink {
	uint8_t *buf;
	int fd; /* >= 0: the body goes to this file, not buf */
	size_t len, cap, max;
	int over;     /* the body passed max */
	int io_errno; /* writing to fd failed */
	const atomic_int *cancel;
	struct net_reply *reply;
};

static int sink_grow(struct net_sink *s, size_t need)
{
	size_t cap = s->cap ? s->cap : NET_FIRST_ALLOC;
	uint8_t *p;

	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (cap > s->max + 1)
		cap = s->max + 1;
	if (!(p = realloc(s->buf, cap)))
		return -1;
	s->buf = p;
	s->cap = cap;
	return 0;
}

/* Appends to s->fd (short writes and EINTR retried); bytes taken, 0 on failure. */
static size_t sink_to_file(struct net_sink *s, const char *data, size_t bytes)
{
	size_t left = bytes;

	while (left > 0) {
		ssize_t w = write(s->fd, data, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			s->io_errno = w < 0 ? errno : EIO;
			return 0;
		}
		data += w;
		left -= (size_t)w;
	}
	s->len += bytes;
	return bytes;
}

static size_t sink_write(char *data, size_t size, size_t n, void *ctx)
{
	struct net_sink *s = ctx;
	size_t bytes = size * n;

	if (bytes > s->max - s->len) { /* one byte past the cap is refused */
		s->over = 1;
		return 0;
	}
	if (s->fd >= 0)
		return sink_to_file(s, data, bytes);
	if (s->len + bytes + 1 > s->cap && sink_grow(s, s->len + bytes + 1) != 0)
		return 0;
	memcpy(s->buf + s->len, data, bytes);
	s->len += bytes;
	return bytes;
}

static int sink_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                         curl_off_t ulnow)
{
	const struct net_sink *s = ctx;

	return s->cancel && atomic_load(s->cancel) ? 1 : 0;
}

/* Skips blanks in [*p, end). */
static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static int header_is(const char *line, size_t len, const char *name, const char **value)
{
	size_t n = strlen(name);

	if (len <= n || line[n] != ':' || strncasecmp(line, name, n) != 0)
		return 0;
	*value = line + n + 1;
	return 1;
}

static void parse_length(const char *p, const char *end, struct net_reply *r)
{
	int64_t v = 0;
	const char *start;

	p = skip_blanks(p, end);
	start = p;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (INT64_MAX - 9) / 10)
			return; /* absurd: treated as undeclared */
		v = v * 10 + (*p - '0');
	}
	if (p == start || skip_blanks(p, end) != end)
		return;
	r->content_length = v;
}

void net_header_parse(const char *line, size_t len, struct net_reply *reply)
{
	const char *end = line + len, *v;

	while (end > line && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	len = (size_t)(end - line);
	if (header_is(line, len, "content-length", &v)) {
		parse_length(v, end, reply);
	} else if (header_is(line, len, "etag", &v)) {
		v = skip_blanks(v, end);
		if ((size_t)(end - v) < sizeof reply->etag) {
			memcpy(reply->etag, v, (size_t)(end - v));
			reply->etag[end - v] = 0;
		} else {
			reply->etag[0] = 0;
		}
	}
}

static size_t sink_header(char *data, size_t size, size_t n, void *ctx)
{
	struct net_sink *s = ctx;

	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) { /* a new response: forget the last */
		s->reply->content_length = -1;
		s->reply->etag[0] = 0;
	}
	net_header_parse(data, size * n, s->reply);
	return size * n;
}

/* NTLM auth in the guide's "domain:user:password" form, as libcurl's
 * "domain\user:password". */
static int ntlm_userpwd(const char *spec, char *out, size_t cap)
{
	const char *colon = strchr(spec, ':');

	if (!colon || !strchr(colon + 1, ':'))
		return -1;
	return snprintf(out, cap, "%.*s\\%s", (int)(colon - spec), spec, colon + 1) < (int)cap ? 0
	                                                                                       : -1;
}

void net_set_proxy(const struct net_curl *curl, void *handle, const struct cfg *cfg, char *cred,
                   size_t cap)
{
	CURL *h = handle;

	if (!cfg->http_proxy[0])
		return;
	curl->easy_setopt(h, CURLOPT_PROXY, cfg->http_proxy);
	curl->easy_setopt(h, CURLOPT_PROXYTYPE, (long)CURLPROXY_HTTP);
	if (cfg->http_proxy_ntlm_auth[0] &&
	    ntlm_userpwd(cfg->http_proxy_ntlm_auth, cred, cap) == 0) {
		curl->easy_setopt(h, CURLOPT_PROXYUSERPWD, cred);
		curl->easy_setopt(h, CURLOPT_PROXYAUTH, (long)CURLAUTH_NTLM);
	} else if (cfg->http_proxy_basic_auth[0]) {
		curl->easy_setopt(h, CURLOPT_PROXYUSERPWD, cfg->http_proxy_basic_auth);
		curl->easy_setopt(h, CURLOPT_PROXYAUTH, (long)CURLAUTH_BASIC);
	}
}

static void set_limits(const struct net_curl *curl, CURL *h, const struct cfg *cfg,
                       const struct net_request *req)
{
	long timeout = cfg->mu_timeout > 0 ? cfg->mu_timeout : 60;

	curl->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl->easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl->easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout);
	curl->easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, NET_LOW_SPEED_BYTES);
	curl->easy_setopt(h, CURLOPT_LOW_SPEED_TIME, timeout);
	if (req->total_ms > 0)
		curl->easy_setopt(h, CURLOPT_TIMEOUT_MS, req->total_ms);
	curl->easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)req->max);
	curl->easy_setopt(h, CURLOPT_FILETIME, 1L);
	curl->easy_setopt(h, CURLOPT_USERAGENT, "whorl-cartridge/" WHORL_VERSION);
	if (cfg->local_address[0])
		curl->easy_setopt(h, CURLOPT_INTERFACE, cfg->local_address);
}

static void set_auth(const struct net_curl *curl, CURL *h, const struct net_request *req)
{
	if (!req->user)
		return;
	curl->easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl->easy_setopt(h, CURLOPT_USERNAME, req->user);
	curl->easy_setopt(h, CURLOPT_PASSWORD, req->password ? req->password : "");
}

static struct curl_slist *set_conditions(const struct net_curl *curl, CURL *h,
                                         const struct net_request *req)
{
	char line[NET_MAX_ETAG + 32];
	struct curl_slist *hdrs = NULL;

	if (req->if_none_match && req->if_none_match[0]) {
		snprintf(line, sizeof line, "If-None-Match: %s", req->if_none_match);
		hdrs = curl->slist_append(NULL, line);
		curl->easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	}
	if (req->if_modified_since > 0) {
		curl->easy_setopt(h, CURLOPT_TIMECONDITION, (long)CURL_TIMECOND_IFMODSINCE);
		curl->easy_setopt(h, CURLOPT_TIMEVALUE_LARGE, (curl_off_t)req->if_modified_since);
	}
	return hdrs;
}

static void reply_fill(const struct net_curl *curl, CURL *h, CURLcode rc, struct net_reply *reply)
{
	char *ip = NULL;
	curl_off_t ft = -1;
	long os_errno = 0;

	reply->curl_rc = (int)rc;
	curl->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply->http_code);
	if (curl->easy_getinfo(h, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip)
		snprintf(reply->addr, sizeof reply->addr, "%s", ip);
	if (curl->easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK)
		reply->os_errno = (int)os_errno;
	if (curl->easy_getinfo(h, CURLINFO_FILETIME_T, &ft) == CURLE_OK)
		reply->last_modified = ft;
	net_timing_fill(curl, h, reply);
}

static int result_code(CURLcode rc, const struct net_sink *s, const struct net_reply *r)
{
	if (s->over || rc == CURLE_FILESIZE_EXCEEDED)
		return WHORL_ELIMIT;
	if (s->io_errno) {
		errno = s->io_errno;
		return WHORL_EIO;
	}
	if (rc != CURLE_OK)
		return WHORL_ENETWORK;
	if (r->http_code == 304)
		return WHORL_ENODATA;
	return r->http_code == 200 ? 0 : WHORL_ENETWORK;
}

/* One transfer of req into s; the result code as net_get() documents. */
static int net_perform(const struct cfg *cfg, const struct net_request *req, struct net_sink *s,
                       struct net_reply *reply)
{
	const struct net_curl *curl = req->curl;
	char cred[NET_MAX_CREDENTIAL];
	struct curl_slist *hdrs;
	CURL *h;
	CURLcode crc;
	int rc;

	memset(reply, 0, sizeof *reply);
	reply->content_length = reply->last_modified = -1;
	if (curl == NULL)
		return WHORL_ENETWORK;
	if (!(h = curl->easy_init()))
		return WHORL_ENOMEM;
	curl->easy_setopt(h, CURLOPT_URL, req->url);
	set_limits(curl, h, cfg, req);
	net_set_proxy(curl, h, cfg, cred, sizeof cred);
	set_auth(curl, h, req);
	hdrs = set_conditions(curl, h, req);
	curl->easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
	curl->easy_setopt(h, CURLOPT_WRITEDATA, s);
	curl->easy_setopt(h, CURLOPT_HEADERFUNCTION, sink_header);
	curl->easy_setopt(h, CURLOPT_HEADERDATA, s);
	curl->easy_setopt(h, CURLOPT_XFERINFOFUNCTION, sink_progress);
	curl->easy_setopt(h, CURLOPT_XFERINFODATA, s);
	curl->easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	crc = curl->easy_perform(h);
	reply_fill(curl, h, crc, reply);
	rc = result_code(crc, s, reply);
	sodium_memzero(cred, sizeof cred); /* may hold the proxy password */
	curl->slist_free_all(hdrs);
	curl->easy_cleanup(h);
	return rc;
}

int net_get(const struct cfg *cfg, const struct net_request *req, uint8_t **body, size_t *len,
            struct net_reply *reply)
{
	struct net_sink s = { .fd = -1, .max = req->max, .cancel = req->cancel, .reply = reply };
	int rc;

	*body = NULL;
	*len = 0;
	rc = net_perform(cfg, req, &s, reply);
	if (rc == 0 && !s.buf && sink_grow(&s, 1) != 0)
		rc = WHORL_ENOMEM;
	if (rc == 0) {
		s.buf[s.len] = 0;
		*body = s.buf;
		*len = s.len;
		s.buf = NULL;
	}
	free(s.buf);
	return rc;
}

int net_get_fd(const struct cfg *cfg, const struct net_request *req, int fd, size_t *len,
               struct net_reply *reply)
{
	struct net_sink s = { .fd = fd, .max = req->max, .cancel = req->cancel, .reply = reply };
	int rc = net_perform(cfg, req, &s, reply);

	*len = s.len;
	return rc;
}
