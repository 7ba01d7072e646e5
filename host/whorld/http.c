/*
 * http.c - whorld's HTTP servers: one libmicrohttpd daemon per HTTP
 * listener (the sockets are whorld's own, so unix sockets and systemd's
 * sockets work), one polling thread each; scans do not run there.
 *
 * A request's life: the first callback routes it and refuses a declared
 * Content-Length above max message size at once (413); body chunks are
 * kept (or fed to MHD's multipart parser for the Cloudmark API), bounded
 * by max message size (413, never a partial scan); once complete, a scan
 * is put on whorld's bounded queue (503 with Retry-After at once when
 * full) and the connection is suspended until a scanning thread has the
 * reply and resumes it. Keep-alive is MHD's. Limits from whorld.cfg: max
 * connections (MHD refuses beyond it), idle timeout (MHD's connection
 * timeout, whole seconds, at least 1).
 * Not for: what the endpoints answer (http_api.c, http_metrics.c).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

struct http_server {
	struct MHD_Daemon *daemons[WHORLD_MAX_LISTENERS];
	size_t n;
	int quiesced; /* the listen sockets are ours again */
};

int http_body_add(struct http_req *r, const char *p, size_t n, size_t max)
{
	size_t cap;
	char *b;

	if (r->too_large || n > max - r->len) {
		r->too_large = 1;
		return -1;
	}
	if (r->len + n + 1 > r->cap) {
		cap = r->cap > 0 ? r->cap : 16384;
		while (cap < r->len + n + 1)
			cap *= 2;
		b = realloc(r->body, cap < max + 1 ? cap : max + 1);
		if (b == NULL) {
			r->too_large = 1;
			return -1;
		}
		r->body = b;
		r->cap = cap < max + 1 ? cap : max + 1;
	}
	memcpy(r->body + r->len, p, n);
	r->len += n;
	r->body[r->len] = '\0';
	return 0;
}

static int http_route_of(const char *method, const char *url, const struct whorl_dcfg *cfg)
{
	int post = strcmp(method, "POST") == 0, get = strcmp(method, "GET") == 0;

	if (post && strcmp(url, "/v1/score") == 0)
		return HTTP_ROUTE_SCORE;
	if (post && strcmp(url, "/v1/feedback") == 0)
		return HTTP_ROUTE_FEEDBACK;
	if (post && cfg->cloudmark_api && strcmp(url, "/score/v2/message") == 0)
		return HTTP_ROUTE_CM_MESSAGE;
	if (get && cfg->cloudmark_api && strcmp(url, "/score/v2/max-message-size") == 0)
		return HTTP_ROUTE_CM_MAX_SIZE;
	if (get && strcmp(url, "/ping") == 0)
		return HTTP_ROUTE_PING;
	if (get && strcmp(url, "/metrics") == 0)
		return HTTP_ROUTE_METRICS;
	if (get && strcmp(url, "/stats") == 0)
		return HTTP_ROUTE_STATS;
	return HTTP_ROUTE_NONE;
}

static enum MHD_Result http_send(struct http_req *r)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;

	resp = MHD_create_response_from_buffer(r->reply_len, r->reply, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL)
		return MHD_NO;
	r->reply = NULL; /* MHD owns it now */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	if (r->status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	rc = MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* Copies a request header into dst (bounded); "" when absent. */
static void http_header(struct MHD_Connection *c, const char *name, char *dst, size_t len)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);

	snprintf(dst, len, "%s", v != NULL ? v : "");
}

/* Every Rcpt header, joined with commas (bounded). */
static enum MHD_Result http_rcpt_iter(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
	struct http_req *r = cls;
	size_t n = strlen(r->rcpt);

	if (strcasecmp(key, "Rcpt") == 0 && value != NULL &&
	    n + strlen(value) + 2 < sizeof(r->rcpt))
		snprintf(r->rcpt + n, sizeof(r->rcpt) - n, "%s%s", n > 0 ? "," : "", value);
	return MHD_YES;
}

/* The client's address as text, or "unix" for a unix socket. */
static void http_peer(struct MHD_Connection *c, char *dst, size_t len)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;

	snprintf(dst, len, "unix");
	if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, dst,
		          (socklen_t)len);
	else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		          dst, (socklen_t)len);
}

/* The first callback of a request: route and early limits. */
static struct http_req *http_req_new(struct whorld *d, struct MHD_Connection *conn,
                                     const char *method, const char *url)
{
	const struct whorl_dcfg *cfg = whorld_cfg(d);
	struct http_req *r = calloc(1, sizeof(*r));
	const char *cl;

	if (r == NULL)
		return NULL;
	r->d = d;
	r->conn = conn;
	r->item.run = http_api_run;
	r->item.t_accept_ms = whorld_now_ms();
	r->route = http_route_of(method, url, cfg);
	atomic_fetch_add(&d->counters->http_requests, 1);
	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL && strtoull(cl, NULL, 10) >
	                      cfg->max_message_size +
	                          (r->route == HTTP_ROUTE_CM_MESSAGE ? HTTP_MULTIPART_SLACK : 0))
		r->too_large = 1;
	if (r->route == HTTP_ROUTE_CM_MESSAGE && !r->too_large) {
		r->pp = MHD_create_post_processor(conn, 65536, http_api_form_field, r);
		r->bad_form = r->pp == NULL;
	}
	if (r->route == HTTP_ROUTE_SCORE) {
		http_header(conn, "IP", r->ip, sizeof(r->ip));
		http_header(conn, "Helo", r->helo, sizeof(r->helo));
		http_header(conn, "From", r->from, sizeof(r->from));
		http_header(conn, "Queue-Id", r->queue_id, sizeof(r->queue_id));
		http_header(conn, "Hostname", r->hostname, sizeof(r->hostname));
		MHD_get_connection_values(conn, MHD_HEADER_KIND, http_rcpt_iter, r);
	} else if (r->route == HTTP_ROUTE_FEEDBACK) {
		http_header(conn, "Class", r->fb_class, sizeof(r->fb_class));
		http_header(conn, "Reporter", r->reporter, sizeof(r->reporter));
		http_peer(conn, r->peer, sizeof(r->peer));
	}
	return r;
}

/* A body chunk. */
static void http_req_data(struct http_req *r, const char *data, size_t size)
{
	size_t max = whorld_cfg(r->d)->max_message_size;

	if (r->too_large || r->bad_form)
		return;
	if (r->pp != NULL) {
		if (MHD_post_process(r->pp, data, size) != MHD_YES && !r->too_large)
			r->bad_form = 1;
	} else if (r->route == HTTP_ROUTE_SCORE || r->route == HTTP_ROUTE_FEEDBACK) {
		http_body_add(r, data, size, max);
	}
}

/* The request is complete: answer, refuse or queue it. */
static enum MHD_Result http_req_complete(struct whorld *d, struct http_req *r)
{
	if (r->route == HTTP_ROUTE_NONE) {
		http_api_error(r, MHD_HTTP_NOT_FOUND, "no such endpoint");
	} else if (r->too_large) {
		atomic_fetch_add(&d->counters->http_too_large, 1);
		http_api_error(r, MHD_HTTP_CONTENT_TOO_LARGE,
		               "message too large: exceeds max message size");
	} else if (r->bad_form) {
		atomic_fetch_add(&d->counters->http_errors, 1);
		http_api_error(r, MHD_HTTP_BAD_REQUEST, "malformed multipart/form-data");
	} else if (r->route != HTTP_ROUTE_SCORE && r->route != HTTP_ROUTE_CM_MESSAGE &&
	           r->route != HTTP_ROUTE_FEEDBACK) {
		http_api_simple(d, r);
	} else {
		MHD_suspend_connection(r->conn);
		if (work_submit(d, &r->item) == 0)
			return MHD_YES;
		MHD_resume_connection(r->conn);
		atomic_fetch_add(&d->counters->http_busy, 1);
		http_api_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "busy, try later");
	}
	return http_send(r);
}

static enum MHD_Result http_access(void *cls, struct MHD_Connection *conn, const char *url,
                                   const char *method, const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **req_cls)
{
	struct whorld *d = cls;
	struct http_req *r = *req_cls;

	(void)version;
	if (r == NULL) {
		*req_cls = r = http_req_new(d, conn, method, url);
		return r != NULL ? MHD_YES : MHD_NO;
	}
	if (atomic_load(&r->done))
		return http_send(r);
	if (*upload_data_size > 0) {
		http_req_data(r, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	return http_req_complete(d, r);
}

static void http_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                           enum MHD_RequestTerminationCode toe)
{
	struct http_req *r = *req_cls;

	(void)cls, (void)conn, (void)toe;
	if (r == NULL)
		return;
	if (r->pp != NULL)
		MHD_destroy_post_processor(r->pp);
	free(r->body);
	free(r->reply);
	free(r);
	*req_cls = NULL;
}

static void http_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	whorl_dlog_write(WHORL_LOG_WARN, "HTTP", "%s", line);
}

int http_start(struct whorld *d)
{
	const struct whorl_dcfg *cfg = whorld_cfg(d);
	struct http_server *s;
	unsigned timeout_s = (cfg->idle_timeout_ms + 999) / 1000;

	if (d->n_http_listeners == 0)
		return 0;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -1;
	d->http = s;
	for (size_t i = 0; i < d->n_http_listeners; i++) {
		s->daemons[s->n] = MHD_start_daemon(
		    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
		        MHD_USE_ERROR_LOG,
		    0, NULL, NULL, http_access, d, MHD_OPTION_LISTEN_SOCKET,
		    d->http_listeners[i].fd, MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
		    MHD_OPTION_CONNECTION_TIMEOUT, timeout_s > 0 ? timeout_s : 1u,
		    MHD_OPTION_NOTIFY_COMPLETED, http_completed, d, MHD_OPTION_EXTERNAL_LOGGER,
		    http_log, d, MHD_OPTION_END);
		if (s->daemons[s->n] == NULL) {
			whorl_dlog_write(WHORL_LOG_ERROR, "HTTP", "cannot serve HTTP on %s",
			                 d->http_listeners[i].name);
			return -1;
		}
		s->n++;
	}
	return 0;
}

void http_quiesce(struct whorld *d)
{
	if (d->http == NULL)
		return;
	for (size_t i = 0; i < d->http->n; i++)
		MHD_quiesce_daemon(d->http->daemons[i]);
	d->http->quiesced = 1;
}

void http_stop(struct whorld *d)
{
	if (d->http == NULL)
		return;
	for (size_t i = 0; i < d->http->n; i++)
		MHD_stop_daemon(d->http->daemons[i]);
	/* A daemon that was not quiesced closed its listen socket itself. */
	for (size_t i = 0; !d->http->quiesced && i < d->http->n; i++)
		d->http_listeners[i].fd = -1;
	free(d->http);
	d->http = NULL;
	listen_close_http(d);
}
