/*
 * http.c - whorl-collect's HTTP server (libmicrohttpd, one internal
 * polling thread): POST <any path> takes a report, GET / the summary page,
 * GET /summary.txt the text summary.
 *
 * A report is refused with a status and one log line when its body is too
 * large (413, before it is read when Content-Length says so), it cannot be
 * opened or read (400; 403 when sealed to another key), it was stored
 * already (409), or its address sent more than "reports per minute per
 * address" in the current minute (429). Memory is bounded by
 * COLLECT_MAX_CONNECTIONS bodies of at most max_body bytes.
 *
 * Not for: parsing (report.c) or SQL (store.c).
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>
#include <sodium.h>

#include "collect.h"
#include "store_put.h"
#include "summary.h"

struct rate_slot {
	char addr[64];
	int64_t minute;
	unsigned count;
};

struct server {
	const struct collect_cfg *cfg;
	struct store store;
	pthread_mutex_t mu; /* the store and the rate table */
	uint8_t pk[32], sk[32];
	struct rate_slot *rate; /* COLLECT_RATE_SLOTS */
	int64_t last_prune;
};

struct request {
	char *body;
	size_t len;
	int too_large;
};

static void log_line(const char *addr, unsigned status, const char *what)
{
	char when[32];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s whorl-collect: %s %u %s\n", when, addr, status, what);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             char *text, int owned)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    strlen(text), text, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	enum MHD_Result rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static void client_addr(struct MHD_Connection *c, char *out, size_t cap)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, cap, "unknown");
	if (ci == NULL || ci->client_addr == NULL)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
		          (socklen_t)cap);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		          out, (socklen_t)cap);
}

/* 1 when addr may send one more report this minute (counts it). */
static int rate_ok(struct server *sv, const char *addr)
{
	if (sv->cfg->per_minute == 0)
		return 1;
	uint64_t h = 1469598103934665603ull;
	for (const char *p = addr; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	struct rate_slot *s = &sv->rate[h % COLLECT_RATE_SLOTS];
	int64_t minute = (int64_t)time(NULL) / 60;
	pthread_mutex_lock(&sv->mu);
	if (strcmp(s->addr, addr) != 0 || s->minute != minute) {
		snprintf(s->addr, sizeof(s->addr), "%s", addr);
		s->minute = minute;
		s->count = 0;
	}
	int ok = ++s->count <= sv->cfg->per_minute;
	pthread_mutex_unlock(&sv->mu);
	return ok;
}

static void prune_if_due(struct server *sv, int64_t now)
{
	if (sv->cfg->retention_days == 0 || now - sv->last_prune < 3600)
		return;
	sv->last_prune = now;
	if (store_prune(&sv->store, now - (int64_t)sv->cfg->retention_days * 86400) != 0)
		log_line("-", 500, sv->store.err);
}

/* Opens, reads and stores one report; the HTTP status and what to log. */
static unsigned take_report(struct server *sv, const struct request *rq, const char *addr,
                            const char **why)
{
	char *text = NULL;
	size_t text_len = 0;
	struct collect_report r;
	if (collect_open(rq->body, rq->len, sv->pk, sv->sk, &text, &text_len, why) != 0)
		return strstr(*why, "another key") != NULL ? 403 : 400;
	if (collect_parse(text, text_len, &r, why) != 0) {
		free(text);
		return 400;
	}
	int64_t now = (int64_t)time(NULL);
	pthread_mutex_lock(&sv->mu);
	int rc = store_put(&sv->store, &r, text, addr, now);
	if (rc == STORE_ERROR)
		log_line(addr, 500, sv->store.err);
	prune_if_due(sv, now);
	pthread_mutex_unlock(&sv->mu);
	collect_report_free(&r);
	free(text);
	*why = rc == STORE_OK       ? "stored"
	       : rc == STORE_REPLAY ? "replayed report serial"
	                            : "database error";
	return rc == STORE_OK ? 200 : rc == STORE_REPLAY ? 409 : 500;
}

static enum MHD_Result get_page(struct server *sv, struct MHD_Connection *c, const char *url)
{
	struct summary s;
	pthread_mutex_lock(&sv->mu);
	int rc = summary_read(&sv->store, (int64_t)time(NULL), &sv->cfg->cats, &s);
	pthread_mutex_unlock(&sv->mu);
	if (rc != 0)
		return reply(c, 500, "text/plain", "database error\n", 0);
	summary_never_from_store(&s, &sv->store, sv->cfg->mirror, sv->cfg->publisher_pk, &sv->mu);
	char *out = NULL;
	if (strcmp(url, "/summary.txt") == 0) {
		size_t len = 0;
		FILE *f = open_memstream(&out, &len);
		if (f != NULL) {
			summary_print(&s, f);
			fclose(f);
		}
	} else {
		out = summary_page(&s);
	}
	summary_free(&s);
	if (out == NULL)
		return reply(c, 500, "text/plain", "out of memory\n", 0);
	return reply(c, 200,
	             strcmp(url, "/summary.txt") == 0 ? "text/plain; charset=utf-8"
	                                              : "text/html; charset=utf-8",
	             out, 1);
}

/* The first call of a POST: refuse floods and declared oversize bodies at once. */
static int post_start(struct server *sv, struct MHD_Connection *c, const char *addr,
                      enum MHD_Result *res)
{
	const char *cl =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL && strtoull(cl, NULL, 10) > sv->cfg->max_body) {
		log_line(addr, 413, "body too large (Content-Length)");
		*res = reply(c, 413, "text/plain", "body too large\n", 0);
		return 1;
	}
	if (!rate_ok(sv, addr)) {
		log_line(addr, 429, "too many reports from this address this minute");
		*res = reply(c, 429, "text/plain", "too many reports\n", 0);
		return 1;
	}
	return 0;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *data_size, void **con_cls)
{
	struct server *sv = cls;
	char addr[64];
	client_addr(c, addr, sizeof(addr));
	if (strcmp(method, "GET") == 0)
		return get_page(sv, c, url);
	if (strcmp(method, "POST") != 0)
		return reply(c, 405, "text/plain", "method not allowed\n", 0);
	struct request *rq = *con_cls;
	if (rq == NULL) {
		enum MHD_Result res;
		if (post_start(sv, c, addr, &res))
			return res;
		if ((rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*data_size > 0) {
		if (rq->len + *data_size > sv->cfg->max_body) {
			rq->too_large = 1; /* read and dropped: memory stays bounded */
		} else {
			char *grown = realloc(rq->body, rq->len + *data_size + 1);
			if (grown == NULL)
				return MHD_NO;
			rq->body = grown;
			memcpy(rq->body + rq->len, data, *data_size);
			rq->len += *data_size;
		}
		*data_size = 0;
		return MHD_YES;
	}
	if (rq->too_large) {
		log_line(addr, 413, "body too large");
		return reply(c, 413, "text/plain", "body too large\n", 0);
	}
	const char *why = "empty body";
	unsigned status = rq->body != NULL ? take_report(sv, rq, addr, &why) : 400;
	log_line(addr, status, why);
	char msg[128];
	snprintf(msg, sizeof(msg), "%s\n", why);
	return reply(c, status, "text/plain", msg, 0);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;
	if (rq != NULL) {
		free(rq->body);
		free(rq);
		*con_cls = NULL;
	}
}

static struct MHD_Daemon *start_daemon(struct server *sv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
		                   .sin_port = htons((uint16_t)sv->cfg->port) };
	if (inet_pton(AF_INET, sv->cfg->listen, &sin.sin_addr) != 1)
		return NULL;
	return MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
	                        (uint16_t)sv->cfg->port, NULL, NULL, handle, sv,
	                        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	                        MHD_OPTION_CONNECTION_LIMIT, (unsigned)COLLECT_MAX_CONNECTIONS,
	                        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)COLLECT_CONNECTION_TIMEOUT,
	                        MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
}

int collect_serve(const struct collect_cfg *cfg)
{
	struct server sv = { .cfg = cfg };
	char err[512];
	sv.rate = calloc(COLLECT_RATE_SLOTS, sizeof(*sv.rate));
	if (sv.rate == NULL || collect_key_load(cfg->key, sv.pk, sv.sk, err, sizeof(err)) != 0 ||
	    store_open(cfg->database, STORE_CREATE, &sv.store, err, sizeof(err)) != 0) {
		fprintf(stderr, "whorl-collect: %s\n", sv.rate == NULL ? "out of memory" : err);
		free(sv.rate);
		return 1;
	}
	pthread_mutex_init(&sv.mu, NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* the daemon's thread inherits it */
	struct MHD_Daemon *d = start_daemon(&sv);
	if (d == NULL) {
		fprintf(stderr, "whorl-collect: cannot listen on %s:%u\n", cfg->listen, cfg->port);
		store_close(&sv.store);
		free(sv.rate);
		return 1;
	}
	fprintf(stderr, "whorl-collect: listening on %s:%u, database %s\n", cfg->listen, cfg->port,
	        sv.store.be->name);
	int sig = 0;
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	store_close(&sv.store);
	sodium_memzero(sv.sk, sizeof(sv.sk));
	pthread_mutex_destroy(&sv.mu);
	free(sv.rate);
	fprintf(stderr, "whorl-collect: stopped\n");
	return 0;
}
