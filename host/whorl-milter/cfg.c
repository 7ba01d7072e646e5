/*
 * cfg.c - whorl-milter.cfg: the milter's own keys, read through libwhorl's
 * daemon configuration reader (whorl_dcfg_load_ext), which also takes the
 * keys every whorl daemon shares (log, cartridge, minimum score, pid file,
 * unix socket mode). whorld's protocol and queue keys are refused here, so
 * a file meant for whorld is not silently half-applied. docs/WHORL-MILTER.md
 * and whorl-milter.cfg.5 list the keys in this order.
 * Not for: choosing an action (action.c).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "milter.h"

void wm_cfg_defaults(struct wm_cfg *c)
{
	memset(c, 0, sizeof(*c));
	whorl_dcfg_defaults(&c->common);
	snprintf(c->milter_socket, sizeof(c->milter_socket), "unix:/run/whorl/whorl-milter.sock");
	c->scan_deadline_ms = 20000;
	c->progress_interval_ms = 5000;
	c->milter_timeout_ms = 300000;
	c->max_body_length = 10u << 20;
	c->on_fail = WM_FAIL_TEMPFAIL;
	c->spam_action = WM_REJECT;
	c->ham_action = WM_HEADERS;
	snprintf(c->reject_reply, sizeof(c->reject_reply),
	         "550 5.7.1 Message rejected as %%c by whorl (score %%s)");
	snprintf(c->quarantine_reason, sizeof(c->quarantine_reason), "whorl: %%c, score %%s");
	c->skip_authenticated = 1;
	wm_af_defaults(&c->af);
}

/* The keys every whorl daemon shares that the milter uses, read by
 * libwhorl. Every other key of whorld.cfg (listeners, threads, queue,
 * protocols: libmilter owns the connection to the MTA and the threads) is
 * refused, including keys whorld gains later. */
static const char *const wm_common_keys[] = { "unix socket mode",
	                                      "minimum score",
	                                      "log destination",
	                                      "log level",
	                                      "syslog facility",
	                                      "cartridge",
	                                      "cartridge config dir",
	                                      "state dir",
	                                      "pid file",
	                                      "feedback spool",
	                                      "feedback content",
	                                      "control socket",
	                                      NULL };

static const char *const wm_action_names[] = { "accept", "headers", "reject", "quarantine",
	                                       "discard" };

const char *wm_action_name(enum wm_action a)
{
	return (unsigned)a < 5 ? wm_action_names[a] : "unknown";
}

static int wm_action_parse(const char *s, enum wm_action *out)
{
	for (unsigned i = 0; i < 5; i++) {
		if (strcasecmp(s, wm_action_names[i]) == 0) {
			*out = (enum wm_action)i;
			return 0;
		}
	}
	if (strcasecmp(s, "add headers") == 0) {
		*out = WM_HEADERS;
		return 0;
	}
	return -1;
}

/* "unix:/path", "local:/path" or "inet:PORT@HOST" / "inet6:PORT@HOST". */
static int wm_socket_check(const char *s)
{
	const char *at;
	char *end;
	unsigned long port;

	if (strncmp(s, "unix:", 5) == 0 || strncmp(s, "local:", 6) == 0)
		return strchr(s, '/') != NULL ? 0 : -1;
	if (strncmp(s, "inet:", 5) != 0 && strncmp(s, "inet6:", 6) != 0)
		return -1;
	port = strtoul(strchr(s, ':') + 1, &end, 10);
	at = end;
	return port >= 1 && port <= 65535 && *at == '@' && at[1] != '\0' ? 0 : -1;
}

static int wm_net_parse(const char *s, size_t n, struct wm_net *out)
{
	char text[64], *slash;
	struct in_addr v4;
	unsigned long prefix;
	unsigned max = 128;

	if (n == 0 || n >= sizeof(text))
		return -1;
	memcpy(text, s, n);
	text[n] = '\0';
	slash = strchr(text, '/');
	if (slash != NULL)
		*slash++ = '\0';
	memset(out->addr, 0, sizeof(out->addr));
	if (inet_pton(AF_INET, text, &v4) == 1) {
		out->addr[10] = out->addr[11] = 0xff;
		memcpy(out->addr + 12, &v4, 4);
		max = 32;
	} else if (inet_pton(AF_INET6, text, out->addr) != 1) {
		return -1;
	}
	prefix = max;
	if (slash != NULL) {
		char *end;
		prefix = strtoul(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || prefix > max)
			return -1;
	}
	out->prefix = (unsigned)prefix + (max == 32 ? 96 : 0);
	return 0;
}

/* "10.0.0.0/8, 192.168.1.5, ::1/128" (or "none") into c->local_networks. */
static int wm_nets_parse(struct wm_cfg *c, const char *v, char *why, size_t why_len)
{
	c->n_local_networks = 0;
	if (strcasecmp(v, "none") == 0)
		return 0;
	while (*v != '\0') {
		size_t n = strcspn(v, ", \t");
		if (n > 0) {
			if (c->n_local_networks == WM_MAX_NETS ||
			    wm_net_parse(v, n, &c->local_networks[c->n_local_networks]) != 0) {
				snprintf(why, why_len,
				         "local networks: '%.*s' is not an address/prefix "
				         "(at most %u networks)",
				         (int)n, v, WM_MAX_NETS);
				return WHORL_ECONFIG;
			}
			c->n_local_networks++;
		}
		v += n;
		v += strspn(v, ", \t");
	}
	return 0;
}

/* "SCORE ACTION" for "score band". */
static int wm_band_parse(struct wm_cfg *c, const char *v, char *why, size_t why_len)
{
	char *end;
	unsigned long score = strtoul(v, &end, 10);
	enum wm_action a;

	if (end == v || score > 100 || (*end != ' ' && *end != '\t') ||
	    wm_action_parse(end + strspn(end, " \t"), &a) != 0 || c->n_bands == WM_MAX_BANDS) {
		snprintf(why, why_len,
		         "score band = '%s': expected a score 0-100 and an action "
		         "(accept, headers, reject, quarantine, discard), at most %u bands",
		         v, WM_MAX_BANDS);
		return WHORL_ECONFIG;
	}
	c->bands[c->n_bands].score = (unsigned)score;
	c->bands[c->n_bands++].action = a;
	return 0;
}

/* "CATEGORY ACTION" for "category action". */
static int wm_category_parse(struct wm_cfg *c, const char *v, char *why, size_t why_len)
{
	size_t n = strcspn(v, " \t");
	enum wm_action a;
	struct wm_category_action *ca = &c->category_actions[c->n_category_actions];

	if (n == 0 || n >= WM_CATEGORY_MAX || v[n] == '\0' ||
	    wm_action_parse(v + n + strspn(v + n, " \t"), &a) != 0 ||
	    c->n_category_actions == WM_MAX_CATEGORY_ACTIONS) {
		snprintf(why, why_len,
		         "category action = '%s': expected a category name and an "
		         "action, at most %u lines",
		         v, WM_MAX_CATEGORY_ACTIONS);
		return WHORL_ECONFIG;
	}
	memcpy(ca->category, v, n);
	ca->category[n] = '\0';
	ca->action = a;
	c->n_category_actions++;
	return 0;
}

static int wm_reply_check(const char *key, const char *v, char *out, char *why, size_t why_len)
{
	char rcode[WM_REPLY_MAX], xcode[WM_REPLY_MAX], text[WM_REPLY_MAX];

	if (strlen(v) >= WM_REPLY_MAX / 2 ||
	    (strcmp(key, "reject reply") == 0 &&
	     wm_reply_format(v, "spam", 100, rcode, xcode, text) != 0)) {
		snprintf(why, why_len,
		         "%s = '%s': expected e.g. \"550 5.7.1 text\" (a 4xx or 5xx "
		         "code, at most %u bytes)",
		         key, v, WM_REPLY_MAX / 2 - 1);
		return WHORL_ECONFIG;
	}
	strcpy(out, v);
	return 0;
}

static int wm_word(const char *v, const char *a, const char *b, int *out)
{
	if (strcasecmp(v, a) == 0)
		*out = 0;
	else if (strcasecmp(v, b) == 0)
		*out = 1;
	else
		return -1;
	return 0;
}

/* whorl_dcfg_extra_fn: the milter's keys (Long: one branch per key). */
static int wm_cfg_key(void *ctx, const char *key, const char *v, char *why, size_t why_len)
{
	struct wm_cfg *c = ctx;
	int word = 0, bad = 0, af;

	for (size_t i = 0; wm_common_keys[i] != NULL; i++)
		if (strcmp(key, wm_common_keys[i]) == 0)
			return WHORL_DCFG_NOT_MINE;
	if (strcmp(key, "milter socket") == 0) {
		bad = wm_socket_check(v) != 0 || strlen(v) >= sizeof(c->milter_socket);
		if (!bad)
			strcpy(c->milter_socket, v);
	} else if (strcmp(key, "scan deadline") == 0) {
		bad = whorl_dcfg_parse_duration(v, &c->scan_deadline_ms) != 0 ||
		      c->scan_deadline_ms < 10;
	} else if (strcmp(key, "progress interval") == 0) {
		bad = whorl_dcfg_parse_duration(v, &c->progress_interval_ms) != 0 ||
		      c->progress_interval_ms < 100;
	} else if (strcmp(key, "milter timeout") == 0) {
		bad = whorl_dcfg_parse_duration(v, &c->milter_timeout_ms) != 0 ||
		      c->milter_timeout_ms < 1000;
	} else if (strcmp(key, "max body length") == 0) {
		bad = whorl_dcfg_parse_size(v, &c->max_body_length) != 0 ||
		      c->max_body_length < 1024 || c->max_body_length > (1u << 30);
	} else if (strcmp(key, "on fail") == 0) {
		bad = wm_word(v, "tempfail", "accept", &word) != 0;
		c->on_fail = (enum wm_on_fail)word;
	} else if (strcmp(key, "spam action") == 0) {
		bad = wm_action_parse(v, &c->spam_action) != 0;
	} else if (strcmp(key, "ham action") == 0) {
		enum wm_action a = WM_ACCEPT;
		bad = wm_action_parse(v, &a) != 0;
		c->ham_action = a;
	} else if (strcmp(key, "score band") == 0) {
		return wm_band_parse(c, v, why, why_len);
	} else if (strcmp(key, "category action") == 0) {
		return wm_category_parse(c, v, why, why_len);
	} else if (strcmp(key, "reject reply") == 0) {
		return wm_reply_check(key, v, c->reject_reply, why, why_len);
	} else if (strcmp(key, "quarantine reason") == 0) {
		return wm_reply_check(key, v, c->quarantine_reason, why, why_len);
	} else if (strcmp(key, "header names") == 0) {
		bad = wm_word(v, "whorl", "cloudmark", &word) != 0;
		c->header_names = (enum wm_header_names)word;
	} else if (strcmp(key, "skip authenticated") == 0) {
		bad = wm_word(v, "no", "yes", &word) != 0;
		c->skip_authenticated = word;
	} else if (strcmp(key, "local networks") == 0) {
		return wm_nets_parse(c, v, why, why_len);
	} else if ((af = wm_af_key(&c->af, key, v, why, why_len)) != WHORL_DCFG_NOT_MINE) {
		return af;
	} else {
		snprintf(why, why_len,
		         "unknown key '%s' (whorl-milter.cfg takes the keys of "
		         "docs/WHORL-MILTER.md, not all of whorld's)",
		         key);
		return WHORL_ECONFIG;
	}
	if (bad) {
		snprintf(why, why_len, "%s = '%s': not a valid value (docs/WHORL-MILTER.md)", key,
		         v);
		return WHORL_ECONFIG;
	}
	return 0;
}

int wm_cfg_load(const char *path, struct wm_cfg *c)
{
	struct whorl_dcfg_errors *errs = calloc(1, sizeof(*errs));
	int rc;

	if (errs == NULL)
		return WHORL_ENOMEM;
	rc = whorl_dcfg_load_ext(path, &c->common, wm_cfg_key, c, errs);
	for (size_t i = 0; i < errs->n; i++)
		whorl_dlog_write(WHORL_LOG_ERROR, "CONFIG", "%s", errs->line[i]);
	free(errs);
	if (rc == 0 && c->af.mode != WM_AF_OFF && c->common.feedback_spool[0] == '\0') {
		whorl_dlog_write(WHORL_LOG_ERROR, "CONFIG",
		                 "%s: activefilter mode = %s needs a feedback spool", path,
		                 wm_af_mode_name(c->af.mode));
		rc = WHORL_ECONFIG;
	}
	return rc;
}

int wm_cfg_is_local(const struct wm_cfg *c, const struct sockaddr *sa)
{
	uint8_t addr[16] = { 0 };

	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		addr[10] = addr[11] = 0xff;
		memcpy(addr + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		memcpy(addr, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
	} else {
		return 0;
	}
	for (size_t i = 0; i < c->n_local_networks; i++) {
		const struct wm_net *n = &c->local_networks[i];
		unsigned full = n->prefix / 8, rest = n->prefix % 8;
		if (memcmp(addr, n->addr, full) != 0)
			continue;
		if (rest == 0 || ((addr[full] ^ n->addr[full]) & (0xff << (8 - rest)) & 0xff) == 0)
			return 1;
	}
	return 0;
}
