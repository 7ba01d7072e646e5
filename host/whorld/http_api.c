/*
 * http_api.c - what whorld's HTTP endpoints answer (docs/PROTOCOLS.md):
 *
 *   POST /v1/score                 message body, envelope in the headers IP,
 *                                  Helo, From, Rcpt, Queue-Id, Hostname; JSON
 *                                  with whorl-scan --json's fields, the eight
 *                                  Momentum cmae-* values and headers to add
 *   POST /score/v2/message         the Cloudmark Authority API as rspamd's
 *                                  cloudmark external service calls it
 *                                  (multipart: rfc822, heloDomain, mailFrom,
 *                                  rcptTo, connIp); {"score", "analysis",
 *                                  "appendHeaders": [{"headerField", "body"}]}
 *   GET /score/v2/max-message-size {"maxMessageSize": N}
 *   POST /v1/feedback              message body, Class: spam|ham and
 *                                  Reporter: id headers; recorded in the
 *                                  feedback spool through libwhorl
 *                                  (docs/FEEDBACK.md); {"recorded": NAME}
 *   GET /ping, /metrics, /stats
 *
 * Scans and feedback run on the connection's thread (http_api_answer,
 * called by http.c holding a scan slot).
 * Not for: the server (http.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

#define API_RCPT_MAX 256 /* recipients passed to the cartridge */

static void api_put(void *ctx, const char *p, size_t n)
{
	obuf_add(ctx, p, n);
}

static void api_str(struct obuf *o, const char *key, const char *value, int first)
{
	obuf_add(o, first ? "{" : ",", 1);
	whorl_json_string(key, api_put, o);
	obuf_add(o, ":", 1);
	whorl_json_string(value, api_put, o);
}

/* r's reply buffer, emptied (it is the connection's, kept across its
 * requests: no allocation per request once it has grown). */
static struct obuf *api_begin(struct http_req *r)
{
	obuf_reset(&r->out);
	return &r->out;
}

/* The reply in r->out is complete (500 with no body if it ran out of memory). */
static void api_reply(struct http_req *r, int status, const char *type)
{
	r->status = status;
	r->content_type = type;
	if (r->out.failed) {
		obuf_reset(&r->out);
		r->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
}

void http_api_error(struct http_req *r, int status, const char *text)
{
	struct obuf *o = api_begin(r);

	api_str(o, "error", text, 1);
	obuf_add(o, "}\n", 2);
	api_reply(r, status, "application/json");
}

void http_api_simple(struct whorld *d, struct http_req *r)
{
	struct obuf *o = api_begin(r);

	switch (r->route) {
	case HTTP_ROUTE_PING:
		obuf_add(o, "pong\n", 5);
		api_reply(r, MHD_HTTP_OK, "text/plain");
		return;
	case HTTP_ROUTE_CM_MAX_SIZE:
		obuf_printf(o, "{\"maxMessageSize\":%zu}\n", whorld_cfg(d)->max_message_size);
		api_reply(r, MHD_HTTP_OK, "application/json");
		return;
	case HTTP_ROUTE_METRICS:
		http_metrics_text(d, o);
		api_reply(r, MHD_HTTP_OK, "text/plain; version=0.0.4");
		return;
	default:
		http_stats_text(d, o);
		api_reply(r, MHD_HTTP_OK, "text/plain");
		return;
	}
}

/* Appends a Cloudmark form field's bytes to dst (bounded; longer is bad). */
static int api_field_add(char *dst, size_t cap, const char *data, size_t size)
{
	size_t n = strlen(dst);

	if (size >= cap - n)
		return -1;
	memcpy(dst + n, data, size);
	dst[n + size] = '\0';
	return 0;
}

enum MHD_Result http_api_form_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *filename, const char *content_type,
                                    const char *transfer_encoding, const char *data, uint64_t off,
                                    size_t size)
{
	struct http_req *r = cls;
	int rc = 0;

	(void)kind, (void)filename, (void)content_type, (void)transfer_encoding, (void)off;
	if (strcmp(key, "rfc822") == 0)
		rc = http_body_add(r, data, size, whorld_cfg(r->d)->max_message_size);
	else if (strcmp(key, "heloDomain") == 0)
		rc = api_field_add(r->helo, sizeof(r->helo), data, size);
	else if (strcmp(key, "mailFrom") == 0)
		rc = api_field_add(r->from, sizeof(r->from), data, size);
	else if (strcmp(key, "rcptTo") == 0)
		rc = api_field_add(r->rcpt, sizeof(r->rcpt), data, size);
	else if (strcmp(key, "connIp") == 0)
		rc = api_field_add(r->ip, sizeof(r->ip), data, size);
	else if (strcmp(key, "fromHost") == 0)
		rc = api_field_add(r->hostname, sizeof(r->hostname), data, size);
	if (rc != 0 && !r->too_large)
		r->bad_form = 1;
	return rc == 0 ? MHD_YES : MHD_NO;
}

/* The envelope from r's fields; rcpt points into r->rcpt (split in place). */
static void api_envelope(struct http_req *r, struct whorl_envelope *env, const char **rcpt)
{
	char *p = r->rcpt, *save = NULL, *tok;

	memset(env, 0, sizeof(*env));
	env->size = sizeof(*env);
	env->client_ip = r->ip[0] ? r->ip : NULL;
	env->client_hostname = r->hostname[0] ? r->hostname : NULL;
	env->helo = r->helo[0] ? r->helo : NULL;
	env->mail_from = r->from[0] ? r->from : NULL;
	for (tok = strtok_r(p, ", ", &save); tok != NULL && env->n_rcpt_to < API_RCPT_MAX;
	     tok = strtok_r(NULL, ", ", &save))
		rcpt[env->n_rcpt_to++] = tok;
	env->rcpt_to = rcpt;
}

/* The reply's last member and its end: the X-CMAE-Score / X-CMAE-Analysis
 * pair a host appends, as "ARRAY":[{KEY:name, VALUE:value}, ...]}. The two
 * APIs differ only in the names: /v1/score "headers" with "name"/"value",
 * the Cloudmark API "appendHeaders" with "headerField"/"body". */
static void api_cmae_headers(struct obuf *o, const char *array, const char *key, const char *value,
                             const struct whorl_verdict *v)
{
	char num[32];

	snprintf(num, sizeof(num), "%u", v->score);
	obuf_add(o, ",", 1);
	whorl_json_string(array, api_put, o);
	obuf_add(o, ":[", 2);
	api_str(o, key, CMAE_HDR_SCORE, 1);
	api_str(o, value, num, 0);
	obuf_add(o, "},", 2);
	api_str(o, key, CMAE_HDR_ANALYSIS, 1);
	api_str(o, value, v->analysis, 0);
	obuf_add(o, "}]}\n", 4);
}

/* {"path":..., whorl-scan --json's fields, "symbols", cmae-*, "headers"}. */
static void api_score_json(struct obuf *o, const struct http_req *r, const struct whorl_verdict *v,
                           unsigned minimum, const char *symbols)
{
	char num[32];
	int is_spam = v->score >= minimum;
	const char *cat = v->category_desc ? v->category_desc : "unknown";
	const char *sub = v->subcategory_desc ? v->subcategory_desc : "unknown";

	api_str(o, "path", r->queue_id, 1);
	obuf_printf(o, ",\"score\":%u,\"is_spam\":%s,\"category\":%u,\"subcategory\":%u", v->score,
	            is_spam ? "true" : "false", v->category, v->subcategory);
	api_str(o, "category_desc", cat, 0);
	api_str(o, "subcategory_desc", sub, 0);
	obuf_printf(o, ",\"rescan\":%s", v->rescan ? "true" : "false");
	api_str(o, "analysis", v->analysis, 0);
	api_str(o, "symbols", symbols, 0);
	snprintf(num, sizeof(num), "%u", v->score);
	api_str(o, "cmae-score", num, 0);
	api_str(o, "cmae-isspam", is_spam ? "true" : "false", 0);
	snprintf(num, sizeof(num), "%u", v->category);
	api_str(o, "cmae-category", num, 0);
	snprintf(num, sizeof(num), "%u", v->subcategory);
	api_str(o, "cmae-subcategory", num, 0);
	api_str(o, "cmae-rescan", v->rescan ? "1" : "0", 0);
	api_str(o, "cmae-analysis", v->analysis, 0);
	api_str(o, "cmae-category-desc", cat, 0);
	api_str(o, "cmae-subcategory-desc", sub, 0);
	api_cmae_headers(o, "headers", "name", "value", v);
}

/* {"score":N,"analysis":...,"appendHeaders":[{"headerField":...,"body":...}]}. */
static void api_cloudmark_json(struct obuf *o, const struct whorl_verdict *v)
{
	obuf_printf(o, "{\"score\":%u,\"category\":%u,\"subcategory\":%u,\"rescan\":%d", v->score,
	            v->category, v->subcategory, v->rescan ? 1 : 0);
	api_str(o, "analysis", v->analysis, 0);
	api_cmae_headers(o, "appendHeaders", "headerField", "body", v);
}

static void api_scan(struct whorld *d, struct http_req *r)
{
	const struct whorl_dcfg *cfg = whorld_cfg(d);
	struct whorl_envelope env;
	const char *rcpt[API_RCPT_MAX];
	struct whorl_verdict *v = NULL;
	char symbols[256];
	struct obuf *o = api_begin(r);
	uint64_t t0 = whorld_now_us();
	int rc;

	if (r->route == HTTP_ROUTE_CM_MESSAGE && r->len == 0) {
		http_api_error(r, MHD_HTTP_BAD_REQUEST, "no rfc822 part");
		return;
	}
	api_envelope(r, &env, rcpt);
	rc = whorl_host_score(d->host, &env, r->body != NULL ? r->body : "", r->len, &v);
	if (rc != 0) {
		atomic_fetch_add(&d->counters->http_errors, 1);
		http_api_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, whorl_strerror(rc));
		return;
	}
	request_count_scan(d, whorld_now_us() - t0, v->category);
	spamd_symbols(v->analysis, v->category, v->category_desc, symbols, sizeof(symbols));
	if (r->route == HTTP_ROUTE_SCORE)
		api_score_json(o, r, v, cfg->minimum_score, symbols);
	else
		api_cloudmark_json(o, v);
	if (cfg->log_scans)
		whorl_dlog_write(WHORL_LOG_INFO, "HTTP", "%s: %s %u/%u %s, %zu bytes",
		                 r->route == HTTP_ROUTE_SCORE ? "/v1/score" : "/score/v2/message",
		                 v->score >= cfg->minimum_score ? "Y" : ".", v->score,
		                 cfg->minimum_score, symbols[0] ? symbols : "-", r->len);
	whorl_host_verdict_free(d->host, v);
	api_reply(r, MHD_HTTP_OK, "application/json");
}

/* POST /v1/feedback: one report through whorl_feedback_record(). */
static void api_feedback(struct whorld *d, struct http_req *r)
{
	const struct whorl_dcfg *cfg = whorld_cfg(d);
	struct whorl_feedback fb = {
		.size = sizeof(fb),
		.feedback_class = whorl_feedback_class_parse(r->fb_class, strlen(r->fb_class)),
		.actions = WHORL_FEEDBACK_SET_LOCAL,
		.content = (unsigned)cfg->feedback_content,
		.reporter = r->reporter,
		.client = r->peer,
		.source = "http",
		.score = -1,
	};
	char name[128];
	struct obuf *o = api_begin(r);
	int rc;

	if (cfg->feedback_spool[0] == '\0') {
		http_api_error(r, MHD_HTTP_SERVICE_UNAVAILABLE,
		               "feedback is not enabled: set feedback spool in whorld.cfg");
		return;
	}
	if (fb.feedback_class < 0 || r->len == 0) {
		atomic_fetch_add(&d->counters->http_errors, 1);
		http_api_error(r, MHD_HTTP_BAD_REQUEST,
		               r->len == 0 ? "no message" : "Class header must be spam or ham");
		return;
	}
	rc = whorl_feedback_record(d->host, cfg->feedback_spool, &fb, r->body, r->len, name,
	                           sizeof(name));
	if (rc != 0) {
		whorl_dlog_write(WHORL_LOG_ERROR, "FEEDBACK", "cannot record a report in %s: %s",
		                 cfg->feedback_spool, whorl_strerror(rc));
		http_api_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, whorl_strerror(rc));
		return;
	}
	atomic_fetch_add(&d->counters->tells, 1);
	whorl_dlog_write(WHORL_LOG_INFO, "HTTP", "/v1/feedback: %s from %s (%s), %zu bytes: %s",
	                 whorl_feedback_class_name(fb.feedback_class),
	                 r->reporter[0] ? r->reporter : "(unknown)", r->peer, r->len, name);
	api_str(o, "recorded", name, 1);
	api_str(o, "class", whorl_feedback_class_name(fb.feedback_class), 0);
	obuf_add(o, "}\n", 2);
	api_reply(r, MHD_HTTP_OK, "application/json");
}

void http_api_answer(struct whorld *d, struct http_req *r)
{
	if (r->route == HTTP_ROUTE_FEEDBACK)
		api_feedback(d, r);
	else
		api_scan(d, r);
}
