/*
 * request.c - answers one complete spamd or RSPAMC request on a worker
 * thread: the request deadline, Compress: zlib, TELL into the feedback
 * spool, and scans through libwhorl.
 *
 * The body handed to the cartridge is exactly Content-length bytes (or
 * everything up to the client's EOF when it sent none); a request that
 * broke a limit never reaches this file, so there is no partial scan.
 * RSPAMC's envelope headers (IP, Helo, From, Rcpt, Hostname) become the
 * scan's envelope; plain spamd has no envelope.
 * Not for: reading (loop.c) or reply bytes (spamd_reply.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <zlib.h>

#include "whorld.h"

#define REQUEST_SYMBOLS_MAX 256

const uint64_t whorld_latency_bounds_us[WHORLD_LATENCY_BUCKETS] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000,
};

void request_count_scan(struct whorld *d, uint64_t us, unsigned category)
{
	size_t b = 0;

	while (b < WHORLD_LATENCY_BUCKETS && us > whorld_latency_bounds_us[b])
		b++;
	atomic_fetch_add(&d->counters->latency_buckets[b], 1);
	atomic_fetch_add(&d->counters->latency_sum_us, us);
	atomic_fetch_add(
	    &d->counters->verdicts[category < WHORLD_CATEGORIES ? category : WHORLD_CATEGORIES - 1],
	    1);
	atomic_fetch_add(&d->counters->scanned, 1);
}

/* NUL-terminates a header value in place (the byte after it is its CR or
 * LF, inside the head) and returns it; NULL when absent. */
static const char *request_span(struct conn *c, struct spamd_span s)
{
	if (s.len == 0)
		return NULL;
	c->buf[s.off + s.len] = '\0';
	return c->buf + s.off;
}

/* Inflates a Compress: zlib body into w->inflated. 0, or -1 with the
 * reply's code and text set. */
static int request_inflate(struct work_scratch *w, size_t max, const char *in, size_t in_len,
                           size_t *out_len, int *code, const char **text)
{
	z_stream zs;
	int rc;

	memset(&zs, 0, sizeof(zs));
	if (w->inflated_cap < max + 1) {
		char *p = realloc(w->inflated, max + 1);
		if (p == NULL) {
			*code = SPAMD_EX_SOFTWARE, *text = "Service Unavailable: out of memory";
			return -1;
		}
		w->inflated = p;
		w->inflated_cap = max + 1;
	}
	if (inflateInit(&zs) != Z_OK) {
		*code = SPAMD_EX_SOFTWARE, *text = "Service Unavailable: zlib";
		return -1;
	}
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)in_len;
	zs.next_out = (Bytef *)w->inflated;
	zs.avail_out = (uInt)(max + 1); /* one byte more than allowed shows "too large" */
	rc = inflate(&zs, Z_FINISH);
	*out_len = zs.total_out;
	inflateEnd(&zs);
	if (*out_len > max) {
		*code = SPAMD_EX_DATAERR;
		*text = "Message too large: inflated body exceeds max message size";
		return -1;
	}
	if (rc != Z_STREAM_END) {
		*code = SPAMD_EX_UNAVAILABLE;
		*text = "Service Unavailable: zlib: failed to find end of zlib stream";
		return -1;
	}
	return 0;
}

/* Records a TELL in the feedback spool (through libwhorl's one writer). */
static void request_tell(struct whorld *d, const struct whorl_dcfg *cfg, struct conn *c,
                         const char *msg, size_t len, struct obuf *o)
{
	const char *cls = request_span(c, c->req.message_class);
	unsigned set = c->req.tell_set, rm = c->req.tell_remove;
	struct whorl_feedback fb = {
		.size = sizeof(fb),
		.feedback_class =
		    cls ? whorl_feedback_class_parse(cls, strlen(cls)) : WHORL_FEEDBACK_NONE,
		.actions = (set & SPAMD_TELL_LOCAL ? WHORL_FEEDBACK_SET_LOCAL : 0) |
		           (set & SPAMD_TELL_REMOTE ? WHORL_FEEDBACK_SET_REMOTE : 0) |
		           (rm & SPAMD_TELL_LOCAL ? WHORL_FEEDBACK_REMOVE_LOCAL : 0) |
		           (rm & SPAMD_TELL_REMOTE ? WHORL_FEEDBACK_REMOVE_REMOTE : 0),
		.content = cfg->feedback_content,
		.reporter = request_span(c, c->req.user),
		.client = c->peer,
		.source = "spamd",
		.score = -1,
	};
	int rc;

	if (cfg->feedback_spool[0] == '\0') {
		spamd_reply_error(
		    o, 0, SPAMD_EX_UNAVAILABLE,
		    "Service Unavailable: TELL commands are not enabled, set feedback spool "
		    "in whorld.cfg.");
		return;
	}
	rc = whorl_feedback_record(d->host, cfg->feedback_spool, &fb, msg, len, NULL, 0);
	if (rc != 0) {
		whorl_dlog_write(WHORL_LOG_ERROR, "FEEDBACK", "cannot record a report in %s: %s",
		                 cfg->feedback_spool, whorl_strerror(rc));
		spamd_reply_error(o, 0, SPAMD_EX_SOFTWARE, "Service Unavailable: feedback spool");
		return;
	}
	atomic_fetch_add(&d->counters->tells, 1);
	/* "remote" would be forwarding to the publisher's collector, which
	 * whorl does not have (docs/PROTOCOLS.md): it is recorded in the report
	 * for a collector that takes the spool, said in the log, and never
	 * claimed in DidSet/DidRemove. */
	if ((set | rm) & SPAMD_TELL_REMOTE)
		whorl_dlog_write(WHORL_LOG_INFO, "FEEDBACK",
		                 "TELL from %s asked for remote: recorded in the feedback spool "
		                 "only (whorl forwards no reports; DidSet/DidRemove say local)",
		                 c->peer);
	spamd_reply_tell(o, set & SPAMD_TELL_LOCAL, rm & SPAMD_TELL_LOCAL);
}

static void request_envelope(struct conn *c, struct whorl_envelope *env, const char **rcpt)
{
	memset(env, 0, sizeof(*env));
	env->size = sizeof(*env);
	env->client_ip = request_span(c, c->req.ip);
	env->client_hostname = request_span(c, c->req.hostname);
	env->helo = request_span(c, c->req.helo);
	env->mail_from = request_span(c, c->req.from);
	for (size_t i = 0; i < c->req.n_rcpt; i++)
		rcpt[i] = request_span(c, c->req.rcpt[i]);
	env->rcpt_to = rcpt;
	env->n_rcpt_to = c->req.n_rcpt;
}

static void request_scan(struct whorld *d, const struct whorl_dcfg *cfg, struct conn *c,
                         const char *msg, size_t len, struct obuf *o)
{
	struct whorl_envelope env;
	const char *rcpt[SPAMD_RCPT_MAX];
	struct whorl_verdict *v = NULL;
	struct spamd_result r;
	char symbols[REQUEST_SYMBOLS_MAX];
	uint64_t t0 = whorld_now_us(), us;
	int rc;

	request_envelope(c, &env, rcpt);
	rc = whorl_host_score(d->host, c->req.rspamc ? &env : NULL, msg, len, &v);
	if (rc != 0) {
		atomic_fetch_add(&d->counters->errors, 1);
		whorl_dlog_write(WHORL_LOG_ERROR, "SPAMD", "scan failed: %s", whorl_strerror(rc));
		spamd_reply_error(o, c->req.rspamc, SPAMD_EX_SOFTWARE,
		                  "Service Unavailable: scan failed");
		return;
	}
	spamd_symbols(v->analysis, v->category, v->category_desc, symbols, sizeof(symbols));
	r.score = v->score;
	r.minimum_score = cfg->minimum_score;
	r.is_spam = v->score >= cfg->minimum_score;
	r.symbols = symbols;
	r.analysis = v->analysis != NULL ? v->analysis : "";
	r.category = v->category_desc != NULL ? v->category_desc : "unknown";
	r.subcategory = v->subcategory_desc != NULL ? v->subcategory_desc : "unknown";
	r.cmae_headers = cfg->cmae_headers;
	us = whorld_now_us() - t0;
	request_count_scan(d, us, v->category);
	spamd_reply_scan(o, &c->req, &r, msg, len);
	if (cfg->log_scans)
		whorl_dlog_write(WHORL_LOG_INFO, "SPAMD",
		                 "%s %s from %s: %s %u/%u %s, %zu bytes in %llu ms",
		                 spamd_cmd_name(c->req.cmd), c->req.rspamc ? "RSPAMC" : "SPAMC",
		                 c->peer, r.is_spam ? "Y" : ".", r.score, r.minimum_score,
		                 symbols[0] ? symbols : "-", len, (unsigned long long)(us / 1000));
	whorl_host_verdict_free(d->host, v);
}

static void request_answer(struct whorld *d, struct conn *c, struct work_scratch *w)
{
	const struct whorl_dcfg *cfg = whorld_cfg(d);
	const char *msg = c->buf + c->req.head_len, *text = NULL;
	size_t len = c->len - c->req.head_len;
	int code = 0;

	obuf_reset(&w->reply);
	if (c->req.has_length && len > c->req.content_length)
		len = c->req.content_length; /* bytes after the body are not part of it */
	if (whorld_now_ms() - c->item.t_accept_ms > cfg->request_deadline_ms) {
		char why[128];
		atomic_fetch_add(&d->counters->timeouts, 1);
		snprintf(why, sizeof(why),
		         "Timeout: (request deadline of %u ms passed before the scan)",
		         cfg->request_deadline_ms);
		spamd_reply_error(&w->reply, c->req.rspamc, SPAMD_EX_TIMEOUT, why);
	} else if (c->req.compress_zlib &&
	           request_inflate(w, cfg->max_message_size, msg, len, &len, &code, &text) != 0) {
		atomic_fetch_add(
		    code == SPAMD_EX_DATAERR ? &d->counters->too_large : &d->counters->errors, 1);
		spamd_reply_error(&w->reply, c->req.rspamc, code, text);
	} else {
		if (c->req.compress_zlib)
			msg = w->inflated;
		if (c->req.cmd == SPAMD_TELL)
			request_tell(d, cfg, c, msg, len, &w->reply);
		else
			request_scan(d, cfg, c, msg, len, &w->reply);
	}
	if (w->reply.failed) {
		obuf_reset(&w->reply);
		spamd_reply_error(&w->reply, c->req.rspamc, SPAMD_EX_SOFTWARE,
		                  "Service Unavailable: out of memory");
	}
	work_send(c->fd, w->reply.p, w->reply.len, 1, cfg->client_timeout_ms);
	shutdown(c->fd, SHUT_WR);
}

void request_run(struct whorld *d, struct work_item *it, struct work_scratch *w)
{
	struct conn *c = (struct conn *)it;

	request_answer(d, c, w);
	conn_free(d, c);
}
