/*
 * conn.c - libmilter's callbacks: the envelope and the message collected
 * per connection, skipping authenticated senders and local networks, the
 * scan at end of message and the action taken (headers replaced rather
 * than added twice, reject with the configured reply, quarantine, discard,
 * "on fail" when the engine errs or misses its deadline).
 * Not for: the action rules (action.c) or the scan thread (scan.c).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libmilter/mfapi.h>

#include "milter.h"

struct wm_daemon wm_daemon;

/* The verdict headers, in the order they are written. */
enum {
	WM_H_SCORE,
	WM_H_CATEGORY,
	WM_H_RESCAN,
	WM_H_ANALYSIS,
	WM_H_N
};
static const char *const wm_names[2][WM_H_N] = {
	{ "X-Whorl-Score", "X-Whorl-Category", "X-Whorl-Rescan", "X-Whorl-Analysis" },
	{ "X-CMAE-Score", "X-Whorl-Category", "X-Whorl-Rescan", "X-CMAE-Analysis" },
};

struct wm_conn {
	char client_ip[64];
	char client_hostname[256];
	char helo[WM_ADDR_MAX];
	int local;                /* client in "local networks" */
	int skip;                 /* this message is passed unscanned */
	unsigned seen[WM_H_N];    /* our headers already in the message */
	struct wm_af_seen af;     /* what ActiveFilter read in the headers */
	const struct wm_cfg *cfg; /* the configuration of this message (a reload
	                           * changes the next one; old ones are kept) */
	struct wm_msg *msg;
};

static struct wm_conn *wm_conn_of(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

static void wm_copy(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s != NULL ? s : "");
}

static sfsistat wm_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *sa)
{
	struct wm_conn *c = calloc(1, sizeof(*c));
	const void *in = NULL;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	wm_copy(c->client_hostname, sizeof(c->client_hostname), hostname);
	if (sa != NULL && sa->sa_family == AF_INET)
		in = &((struct sockaddr_in *)(void *)sa)->sin_addr;
	else if (sa != NULL && sa->sa_family == AF_INET6)
		in = &((struct sockaddr_in6 *)(void *)sa)->sin6_addr;
	if (in == NULL || inet_ntop(sa->sa_family, in, c->client_ip, sizeof(c->client_ip)) == NULL)
		c->client_ip[0] = '\0';
	c->cfg = wm_cfg_now();
	c->local = wm_cfg_is_local(c->cfg, sa);
	smfi_setpriv(ctx, c);
	atomic_fetch_add(&wm_daemon.counters.connections, 1);
	atomic_fetch_add(&wm_daemon.counters.connections_open, 1);
	if (c->local)
		whorl_dlog_write(WHORL_LOG_DEBUG, "MILTER", "%s: local network, not scanned",
		                 c->client_ip);
	return SMFIS_CONTINUE;
}

static sfsistat wm_helo(SMFICTX *ctx, char *helo)
{
	struct wm_conn *c = wm_conn_of(ctx);

	if (c != NULL)
		wm_copy(c->helo, sizeof(c->helo), helo);
	return SMFIS_CONTINUE;
}

/* The address as the ABI wants it, with its angle brackets ("<a@b>",
 * "<>"); the MTAs send them, and one without is given them. */
static void wm_addr_copy(char *dst, size_t n, const char *s)
{
	if (s == NULL)
		s = "";
	if (s[0] == '<')
		snprintf(dst, n, "%s", s);
	else
		snprintf(dst, n, "<%s>", s);
}

static sfsistat wm_envfrom(SMFICTX *ctx, char **argv)
{
	struct wm_conn *c = wm_conn_of(ctx);
	const char *auth = smfi_getsymval(ctx, "{auth_authen}");

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	wm_msg_free(c->msg);
	c->msg = NULL;
	memset(c->seen, 0, sizeof(c->seen));
	memset(&c->af, 0, sizeof(c->af));
	c->cfg = wm_cfg_now();
	c->skip = c->local || (c->cfg->skip_authenticated && auth != NULL && auth[0]);
	atomic_fetch_add(&wm_daemon.counters.messages, 1);
	if (c->skip) {
		atomic_fetch_add(&wm_daemon.counters.skipped, 1);
		whorl_dlog_write(WHORL_LOG_INFO, "MILTER", "%s: %s sender, not scanned",
		                 c->client_ip, c->local ? "local" : "authenticated");
		return SMFIS_ACCEPT;
	}
	c->msg = wm_msg_new();
	if (c->msg == NULL)
		return SMFIS_TEMPFAIL;
	memcpy(c->msg->client_ip, c->client_ip, sizeof(c->client_ip));
	memcpy(c->msg->client_hostname, c->client_hostname, sizeof(c->client_hostname));
	memcpy(c->msg->helo, c->helo, sizeof(c->helo));
	wm_addr_copy(c->msg->mail_from, sizeof(c->msg->mail_from), argv[0]);
	return SMFIS_CONTINUE;
}

static sfsistat wm_envrcpt(SMFICTX *ctx, char **argv)
{
	struct wm_conn *c = wm_conn_of(ctx);
	char addr[WM_ADDR_MAX];

	if (c == NULL || c->msg == NULL)
		return SMFIS_TEMPFAIL;
	if (c->msg->n_rcpt == WM_MAX_RCPT)
		return SMFIS_CONTINUE; /* the engine sees the first WM_MAX_RCPT */
	wm_addr_copy(addr, sizeof(addr), argv[0]);
	c->msg->rcpt[c->msg->n_rcpt] = strdup(addr);
	if (c->msg->rcpt[c->msg->n_rcpt] == NULL)
		return SMFIS_TEMPFAIL;
	c->msg->n_rcpt++;
	return SMFIS_CONTINUE;
}

/*
 * DATA: nothing to do, but answering it matters on TCP. Without this
 * callback libmilter tells the MTA not to send the event, and Postfix
 * still sends its DATA macros, expecting no reply; the next packet (the
 * first header, written by Postfix's cleanup) then sat in Postfix's
 * kernel under Nagle's algorithm until this side's delayed ACK, 40 ms on
 * Linux, on every message. A reply acknowledges the macros at once
 * (docs/WHORL-MILTER.md, "Time added to an SMTP transaction").
 */
static sfsistat wm_data(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat wm_header(SMFICTX *ctx, char *name, char *value)
{
	struct wm_conn *c = wm_conn_of(ctx);
	size_t max;

	if (c == NULL || c->msg == NULL)
		return SMFIS_TEMPFAIL;
	max = c->cfg->max_body_length;
	for (int i = 0; i < WM_H_N; i++)
		if (strcasecmp(name, wm_names[c->cfg->header_names][i]) == 0)
			c->seen[i]++;
	wm_af_header(&c->cfg->af, &c->af, name, value);
	if (wm_msg_append(c->msg, name, strlen(name), max) != 0 ||
	    wm_msg_append(c->msg, ": ", 2, max) != 0 ||
	    wm_msg_append(c->msg, value, strlen(value), max) != 0 ||
	    wm_msg_append(c->msg, "\r\n", 2, max) != 0)
		return SMFIS_TEMPFAIL;
	return SMFIS_CONTINUE;
}

static sfsistat wm_eoh(SMFICTX *ctx)
{
	struct wm_conn *c = wm_conn_of(ctx);

	if (c == NULL || c->msg == NULL ||
	    wm_msg_append(c->msg, "\r\n", 2, c->cfg->max_body_length) != 0)
		return SMFIS_TEMPFAIL;
	return SMFIS_CONTINUE;
}

static sfsistat wm_body(SMFICTX *ctx, unsigned char *p, size_t n)
{
	struct wm_conn *c = wm_conn_of(ctx);

	if (c == NULL || c->msg == NULL ||
	    wm_msg_append(c->msg, (const char *)p, n, c->cfg->max_body_length) != 0)
		return SMFIS_TEMPFAIL;
	return SMFIS_CONTINUE;
}

/* Sets header i to value: changes the first copy already there and
 * deletes the others, or adds it. */
static void wm_header_set(SMFICTX *ctx, const struct wm_conn *c, int i, const char *value)
{
	const char *name = wm_names[c->cfg->header_names][i];

	if (c->seen[i] == 0) {
		smfi_addheader(ctx, (char *)name, (char *)value);
		return;
	}
	smfi_chgheader(ctx, (char *)name, 1, (char *)value);
	for (unsigned k = c->seen[i]; k >= 2; k--)
		smfi_chgheader(ctx, (char *)name, (int)k, NULL);
}

static void wm_headers_write(SMFICTX *ctx, const struct wm_conn *c, const struct whorl_verdict *v,
                             int rescan)
{
	char value[WM_REPLY_MAX];

	snprintf(value, sizeof(value), "%u", v->score);
	wm_header_set(ctx, c, WM_H_SCORE, value);
	snprintf(value, sizeof(value), "%s/%s",
	         v->category_desc != NULL ? v->category_desc : "unknown",
	         v->subcategory_desc != NULL ? v->subcategory_desc : "unknown");
	wm_header_set(ctx, c, WM_H_CATEGORY, value);
	wm_header_set(ctx, c, WM_H_RESCAN, rescan ? "1" : "0");
	snprintf(value, sizeof(value), "%s", v->analysis != NULL ? v->analysis : "");
	for (char *p = value; *p != '\0'; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	wm_header_set(ctx, c, WM_H_ANALYSIS, value);
}

/* "on fail": the engine erred or missed the deadline. */
static sfsistat wm_fail(SMFICTX *ctx, const struct wm_conn *c, const char *queue_id, int rc)
{
	int accept = c->cfg->on_fail == WM_FAIL_ACCEPT;

	atomic_fetch_add(&wm_daemon.counters.failed, 1);
	whorl_dlog_write(WHORL_LOG_ERROR, "MILTER", "%s: scan failed (%s); %s", queue_id,
	                 rc == WHORL_EBUSY ? "deadline passed" : whorl_strerror(rc),
	                 accept ? "accepted (on fail = accept)" : "temporary failure");
	if (accept)
		return SMFIS_ACCEPT;
	smfi_setreply(ctx, "451", "4.7.1", "whorl: message could not be scanned, try again later");
	return SMFIS_TEMPFAIL;
}

static sfsistat wm_act(SMFICTX *ctx, const struct wm_conn *c, const struct whorl_verdict *v,
                       int rescan, const char *queue_id, const char *mail_from)
{
	const struct wm_cfg *cfg = c->cfg;
	int is_spam = v->score >= cfg->common.minimum_score;
	enum wm_action a = wm_action_for(cfg, v->score, is_spam, v->category_desc);
	char rcode[WM_REPLY_MAX], xcode[WM_REPLY_MAX], text[WM_REPLY_MAX];
	char tmpl[WM_REPLY_MAX + 8];

	whorl_dlog_write(WHORL_LOG_INFO, "MILTER",
	                 "%s: from=%s ip=%s score=%u category=%s%s "
	                 "action=%s",
	                 queue_id, mail_from, c->client_ip, v->score,
	                 v->category_desc ? v->category_desc : "unknown", rescan ? " rescan=1" : "",
	                 wm_action_name(a));
	atomic_fetch_add(&wm_daemon.counters.actions[a], 1);
	switch (a) {
	case WM_ACCEPT: return SMFIS_ACCEPT;
	case WM_REJECT:
		wm_reply_format(cfg->reject_reply, v->category_desc, v->score, rcode, xcode, text);
		smfi_setreply(ctx, rcode, xcode[0] ? xcode : NULL, text);
		return rcode[0] == '4' ? SMFIS_TEMPFAIL : SMFIS_REJECT;
	case WM_DISCARD: return SMFIS_DISCARD;
	case WM_QUARANTINE:
		/* The reason takes %c and %s like a reply; a code is put in
		 * front only so the one formatter reads it. */
		snprintf(tmpl, sizeof(tmpl), "550 %s", cfg->quarantine_reason);
		wm_reply_format(tmpl, v->category_desc, v->score, rcode, xcode, text);
		smfi_quarantine(ctx, text);
		wm_headers_write(ctx, c, v, rescan);
		return SMFIS_ACCEPT;
	case WM_HEADERS: wm_headers_write(ctx, c, v, rescan); return SMFIS_ACCEPT;
	}
	return SMFIS_ACCEPT;
}

static sfsistat wm_eom(SMFICTX *ctx)
{
	struct wm_conn *c = wm_conn_of(ctx);
	struct whorl_verdict *v = NULL;
	struct wm_msg *kept = NULL; /* the message back, for ActiveFilter */
	const char *qid = smfi_getsymval(ctx, "i");
	char queue_id[64], mail_from[WM_ADDR_MAX];
	int rc, rescan;
	sfsistat st;

	if (c == NULL || c->msg == NULL)
		return SMFIS_TEMPFAIL;
	wm_copy(queue_id, sizeof(queue_id), qid != NULL ? qid : "NOQUEUE");
	rescan = c->msg->truncated;
	memcpy(mail_from, c->msg->mail_from, sizeof(mail_from));
	rc = wm_scan(ctx, wm_daemon.host, c->msg, c->cfg->scan_deadline_ms,
	             c->cfg->progress_interval_ms, &v, c->cfg->af.mode != WM_AF_OFF ? &kept : NULL);
	c->msg = NULL; /* wm_scan took it */
	if (rc != 0)
		return wm_fail(ctx, c, queue_id, rc);
	atomic_fetch_add(&wm_daemon.counters.scanned, 1);
	rescan = rescan || v->rescan;
	if (kept != NULL && wm_af_apply(ctx, c->cfg, wm_daemon.host, &c->af, kept, v, queue_id))
		st = SMFIS_DISCARD;
	else
		st = wm_act(ctx, c, v, rescan, queue_id, mail_from);
	wm_msg_free(kept);
	whorl_host_verdict_free(wm_daemon.host, v);
	return st;
}

static sfsistat wm_abort(SMFICTX *ctx)
{
	struct wm_conn *c = wm_conn_of(ctx);

	if (c != NULL) {
		wm_msg_free(c->msg);
		c->msg = NULL;
	}
	return SMFIS_CONTINUE;
}

static sfsistat wm_close(SMFICTX *ctx)
{
	struct wm_conn *c = wm_conn_of(ctx);

	if (c != NULL) {
		wm_msg_free(c->msg);
		free(c);
		smfi_setpriv(ctx, NULL);
		atomic_fetch_sub(&wm_daemon.counters.connections_open, 1);
	}
	return SMFIS_CONTINUE;
}

int wm_conn_register(void)
{
	static struct smfiDesc desc = {
		.xxfi_name = (char *)WM_NAME,
		.xxfi_version = SMFI_VERSION,
		.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE,
		.xxfi_connect = wm_connect,
		.xxfi_helo = wm_helo,
		.xxfi_envfrom = wm_envfrom,
		.xxfi_envrcpt = wm_envrcpt,
		.xxfi_data = wm_data,
		.xxfi_header = wm_header,
		.xxfi_eoh = wm_eoh,
		.xxfi_body = wm_body,
		.xxfi_eom = wm_eom,
		.xxfi_abort = wm_abort,
		.xxfi_close = wm_close,
	};

	return smfi_register(desc) == MI_SUCCESS ? 0 : -1;
}
