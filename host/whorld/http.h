/*
 * http.h - whorld's HTTP side (libmicrohttpd; no HTTP parsing of our own):
 * http.c runs the servers and a request's life (limits, body, admission,
 * a scan slot, the answer on the connection's own thread); http_api.c builds the
 * answers of each endpoint; http_metrics.c the /metrics and /stats texts.
 *
 * Nothing here is tied to scanning: a request is a method, a path, a
 * bounded body and a reply, so the statistics collector could reuse the
 * server part.
 */
#ifndef WHORLD_HTTP_H
#define WHORLD_HTTP_H

#include <microhttpd.h>

#include "whorld.h"

#define HTTP_FIELD_MAX 1024        /* a Cloudmark form field or envelope header */
#define HTTP_RCPT_MAX 8192         /* all recipients, comma separated */
#define HTTP_MULTIPART_SLACK 65536 /* multipart framing allowed above max message size */

enum http_route {
	HTTP_ROUTE_NONE,
	HTTP_ROUTE_SCORE,
	HTTP_ROUTE_CM_MESSAGE,
	HTTP_ROUTE_CM_MAX_SIZE,
	HTTP_ROUTE_PING,
	HTTP_ROUTE_METRICS,
	HTTP_ROUTE_STATS,
	HTTP_ROUTE_FEEDBACK
};

/* One request, from its first callback to MHD's "completed" notice. A
 * connection keeps one and reuses it, with its body and reply buffers,
 * for each of its keep-alive requests. */
struct http_req {
	struct whorld *d;
	uint64_t t_accept_ms; /* its first callback: for the request deadline */
	struct MHD_Connection *conn;
	int route;
	struct MHD_PostProcessor *pp; /* multipart/form-data of the Cloudmark API */
	char *body;                   /* the message (bounded by max message size) */
	size_t len, cap;
	int too_large, bad_form;
	int close; /* the reply says Connection: close */
	char ip[HTTP_FIELD_MAX], helo[HTTP_FIELD_MAX], from[HTTP_FIELD_MAX],
	    queue_id[HTTP_FIELD_MAX], hostname[HTTP_FIELD_MAX];
	char rcpt[HTTP_RCPT_MAX];                    /* comma separated */
	char fb_class[32], reporter[HTTP_FIELD_MAX]; /* POST /v1/feedback */
	char peer[64];                               /* client address, or "unix" */
	int status;
	struct obuf out; /* the reply; MHD sends it from here (persistent) */
	const char *content_type;
	int own; /* calloc'd for this request alone (no connection context) */
};

/* http.c */
int http_body_add(struct http_req *r, const char *p, size_t n, size_t max);

/* http_api.c: answers a scan or feedback request (fills r->status/reply);
 * the caller holds a scan slot. */
void http_api_answer(struct whorld *d, struct http_req *r);
/* Replies built on MHD's thread (no scan): fills r->status/reply. */
void http_api_simple(struct whorld *d, struct http_req *r);
/* Replies for refusals: JSON {"error": text}. */
void http_api_error(struct http_req *r, int status, const char *text);
/* The multipart iterator of POST /score/v2/message. */
enum MHD_Result http_api_form_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *filename, const char *content_type,
                                    const char *transfer_encoding, const char *data, uint64_t off,
                                    size_t size);

/* http_metrics.c: Prometheus text and the cartridge's statistics. */
void http_metrics_text(struct whorld *d, struct obuf *o);
void http_stats_text(struct whorld *d, struct obuf *o);

#endif
