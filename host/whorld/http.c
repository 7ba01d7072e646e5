/*
 * http.c - whorld's HTTP servers: one libmicrohttpd daemon per HTTP
 * listener (the sockets are whorld's own, so unix sockets and systemd's
 * sockets work), each with a thread per connection (MHD's), which reads
 * the connection's requests and answers them itself: a scan costs no hand
 * over between threads (the profile showed two wake-ups per request when
 * a polling thread queued scans for other threads and was woken back).
 *
 * A request's life: the first callback routes it and refuses a declared
 * Content-Length above max message size at once (413); body chunks are
 * kept (or fed to MHD's multipart parser for the Cloudmark API), bounded
 * by max message size (413, never a partial scan); once complete, a scan
 * is admitted by work.c (503 with Retry-After at once when `threads +
 * queue size` requests are in flight), waits for one of the `threads`
 * scan slots (503 if the request deadline passes first) and is answered on
 * the connection's thread. Keep-alive is MHD's. Limits from whorld.cfg:
 * - max connections: MHD's own limit is HTTP_REFUSE_SLACK higher; a
 *   connection past ours is tracked as over the limit and its request is
 *   answered 503 (Retry-After, Connection: close) as soon as MHD has read
 *   its head. Only past MHD's limit does MHD close without an answer.
 * - idle timeout: MHD's connection timeout (whole seconds, at least 1).
 * - client timeout: each connection (MHD's socket context, struct
 *   http_conn) carries the time its current request began to arrive (the
 *   accept, or the end of the previous request on a keep-alive connection);
 *   http_timeouts(), on the event loop's tick, cuts a connection whose
 *   request has not fully arrived within the client timeout: it writes a
 *   408 reply on the socket (MHD is not writing then: no response is
 *   queued while a request arrives) and shuts the socket down, so MHD
 *   sees the end of the stream and closes it. A client that trickles its
 *   head or body therefore loses its connection within the bound (the
 *   408 may be lost to a reset if the client is still sending).
 * Not for: what the endpoints answer (http_api.c, http_metrics.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "http.h"

#define HTTP_REFUSE_SLACK 64u    /* connections past max connections answered 503 */
#define HTTP_KEEP_BUFFER 262144u /* body and reply buffers a connection keeps between requests */
#define HTTP_408_REPLY                                                                            \
	"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: application/json\r\n" \
	"Content-Length: 41\r\n\r\n{\"error\":\"request not received in time\"}\n"

/* One client connection (MHD's socket context), from accept to close. */
struct http_conn {
	int fd;
	uint64_t t_request_ms; /* when its current request began to arrive */
	int receiving;         /* a request is arriving or awaited (not being answered) */
	int over_limit;        /* accepted past max connections: its request gets 503 */
	int cut;               /* the client timeout shut it down */
	struct http_req *req;  /* its request record, reused (NULL before the first) */
	struct http_conn *prev, *next;
};

struct http_server {
	struct MHD_Daemon *daemons[WHORLD_MAX_LISTENERS];
	size_t n;
	int quiesced;       /* the listen sockets are ours again */
	pthread_mutex_t mu; /* the list, each receiving flag and clock */
	struct http_conn *conns;
	atomic_uint n_conns;
};

static struct http_conn *http_conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

/* A request began (receiving = 1, its clock starts) or fully arrived. */
static void http_conn_receiving(struct whorld *d, struct MHD_Connection *c, int receiving)
{
	struct http_conn *hc = http_conn_of(c);

	if (hc == NULL)
		return;
	pthread_mutex_lock(&d->http->mu);
	hc->receiving = receiving;
	if (receiving)
		hc->t_request_ms = whorld_now_ms();
	pthread_mutex_unlock(&d->http->mu);
}

static void http_req_free(struct http_req *r)
{
	if (r == NULL)
		return;
	if (r->pp != NULL)
		MHD_destroy_post_processor(r->pp);
	free(r->body);
	obuf_free(&r->out);
	free(r);
}

static void http_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                        enum MHD_ConnectionNotificationCode code)
{
	struct whorld *d = cls;
	struct http_server *s = d->http;
	struct http_conn *hc = *socket_context;
	const union MHD_ConnectionInfo *ci;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		hc = calloc(1, sizeof(*hc));
		if (hc == NULL || ci == NULL) {
			free(hc); /* untracked: http_access answers 503 */
			return;
		}
		hc->fd = ci->connect_fd;
		hc->receiving = 1;
		hc->t_request_ms = whorld_now_ms();
		hc->over_limit = atomic_fetch_add(&s->n_conns, 1) >= whorld_cfg(d)->max_connections;
		pthread_mutex_lock(&s->mu);
		hc->next = s->conns;
		if (s->conns != NULL)
			s->conns->prev = hc;
		s->conns = hc;
		pthread_mutex_unlock(&s->mu);
		*socket_context = hc;
	} else if (hc != NULL) { /* closed: MHD closes the socket after this */
		pthread_mutex_lock(&s->mu);
		if (hc->prev != NULL)
			hc->prev->next = hc->next;
		else
			s->conns = hc->next;
		if (hc->next != NULL)
			hc->next->prev = hc->prev;
		pthread_mutex_unlock(&s->mu);
		atomic_fetch_sub(&s->n_conns, 1);
		http_req_free(hc->req);
		free(hc);
		*socket_context = NULL;
	}
}

void http_timeouts(struct whorld *d)
{
	struct http_server *s = d->http;
	uint32_t limit = whorld_cfg(d)->client_timeout_ms;
	uint64_t now;

	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	/* Read under the lock: every clock is set under it too, so none is
	 * later than now (a clock set between an earlier reading and the lock
	 * made now - clock wrap around, and a busy keep-alive connection got a
	 * 408: 8 in 2 million requests of the whorld.sh soak). */
	now = whorld_now_ms();
	for (struct http_conn *hc = s->conns; hc != NULL; hc = hc->next) {
		if (!hc->receiving || hc->cut || now - hc->t_request_ms <= limit)
			continue;
		hc->cut = 1;
		if (send(hc->fd, HTTP_408_REPLY, sizeof(HTTP_408_REPLY) - 1,
		         MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			whorl_dlog_write(WHORL_LOG_DEBUG, "HTTP", "408: %s", strerror(errno));
		shutdown(hc->fd, SHUT_RDWR); /* MHD reads the end and closes it */
		atomic_fetch_add(&d->counters->timeouts, 1);
	}
	pthread_mutex_unlock(&s->mu);
}

unsigned http_connections(struct whorld *d)
{
	return d->http != NULL ? atomic_load(&d->http->n_conns) : 0;
}

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

	/* r->out stays as it is until the request is completed (the next
	 * request of the connection starts after that). */
	resp = MHD_create_response_from_buffer(r->out.len, r->out.p, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	if (r->status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	if (r->close)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
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

/* Empties a connection's request record for its next request; the body
 * and reply buffers stay (up to HTTP_KEEP_BUFFER bytes each). */
static void http_req_reset(struct http_req *r)
{
	if (r->cap > HTTP_KEEP_BUFFER) {
		free(r->body);
		r->body = NULL;
		r->cap = 0;
	}
	if (r->out.cap > HTTP_KEEP_BUFFER)
		obuf_free(&r->out);
	obuf_reset(&r->out);
	r->pp = NULL;
	r->len = 0;
	r->too_large = r->bad_form = r->close = r->status = 0;
	r->ip[0] = r->helo[0] = r->from[0] = r->queue_id[0] = r->hostname[0] = '\0';
	r->rcpt[0] = r->fb_class[0] = r->reporter[0] = r->peer[0] = '\0';
	r->content_type = NULL;
}

/* The first callback of a request: route and early limits. */
static struct http_req *http_req_new(struct whorld *d, struct MHD_Connection *conn,
                                     const char *method, const char *url)
{
	const struct whorl_dcfg *cfg = whorld_cfg(d);
	struct http_conn *hc = http_conn_of(conn);
	struct http_req *r = hc != NULL ? hc->req : NULL;
	const char *cl;

	if (r == NULL) {
		r = calloc(1, sizeof(*r));
		if (r == NULL)
			return NULL;
		if (hc != NULL)
			hc->req = r;
		else
			r->own = 1;
	} else {
		http_req_reset(r);
	}
	r->d = d;
	r->conn = conn;
	r->t_accept_ms = whorld_now_ms();
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

/* A complete scan or feedback request, on its connection's thread:
 * admitted (or 503 at once), then answered here as soon as a scan slot is
 * free (503 when the request deadline passes first). */
static void http_req_answer(struct whorld *d, struct http_req *r)
{
	int rc = work_admit(d);

	if (rc != 0) {
		atomic_fetch_add(&d->counters->http_busy, 1);
		http_api_error(r, MHD_HTTP_SERVICE_UNAVAILABLE,
		               rc == WORK_STOPPING ? "shutting down, try later"
		                                   : "busy, try later");
		return;
	}
	if (work_slot_take(d, r->t_accept_ms + whorld_cfg(d)->request_deadline_ms) != 0) {
		atomic_fetch_add(&d->counters->timeouts, 1);
		http_api_error(r, MHD_HTTP_SERVICE_UNAVAILABLE,
		               "request deadline passed before the scan");
	} else {
		http_api_answer(d, r);
		work_slot_give(d);
	}
	work_done(d);
}

/* The request is complete: answer or refuse it. */
static enum MHD_Result http_req_complete(struct whorld *d, struct http_req *r)
{
	http_conn_receiving(d, r->conn, 0);
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
		http_req_answer(d, r);
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
		struct http_conn *hc = http_conn_of(conn);
		*req_cls = r = http_req_new(d, conn, method, url);
		if (r == NULL || (hc != NULL && !hc->over_limit))
			return r != NULL ? MHD_YES : MHD_NO;
		http_conn_receiving(d, conn, 0);
		atomic_fetch_add(&d->counters->http_refused_limit, 1);
		r->close = 1;
		http_api_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "too many connections, try later");
		return http_send(r);
	}
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

	(void)toe;
	http_conn_receiving(cls, conn, 1); /* the next request's clock starts */
	if (r == NULL)
		return;
	if (r->pp != NULL)
		MHD_destroy_post_processor(r->pp);
	r->pp = NULL;
	if (r->own)
		http_req_free(r); /* else the connection keeps it for its next request */
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
	pthread_mutex_init(&s->mu, NULL);
	d->http = s;
	for (size_t i = 0; i < d->n_http_listeners; i++) {
		s->daemons[s->n] = MHD_start_daemon(
		    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
		        MHD_USE_ITC | MHD_USE_ERROR_LOG,
		    0, NULL, NULL, http_access, d, MHD_OPTION_EXTERNAL_LOGGER, http_log, d,
		    MHD_OPTION_LISTEN_SOCKET, d->http_listeners[i].fd, MHD_OPTION_CONNECTION_LIMIT,
		    cfg->max_connections + HTTP_REFUSE_SLACK, MHD_OPTION_CONNECTION_TIMEOUT,
		    timeout_s > 0 ? timeout_s : 1u, MHD_OPTION_NOTIFY_COMPLETED, http_completed, d,
		    MHD_OPTION_NOTIFY_CONNECTION, http_notify, d, MHD_OPTION_END);
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
	pthread_mutex_destroy(&d->http->mu);
	free(d->http);
	d->http = NULL;
	listen_close_http(d);
}
