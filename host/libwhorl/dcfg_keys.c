/*
 * dcfg_keys.c - every whorld.cfg key, its type, bounds and where it goes.
 *
 * One table (dcfg_keys) is the single list of keys; docs/WHORLD.md and
 * whorld.cfg.5 describe them in the same order. Values are checked here:
 * numbers against their bounds, durations and sizes with their units,
 * listen addresses by their syntax (whether they can be bound is whorld's
 * business at start).
 * Not for: the line syntax (dcfg.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "dcfg_internal.h"

enum dcfg_type {
	T_BOOL,
	T_UINT,
	T_MS,
	T_SIZE,
	T_PATH,
	T_NAME,
	T_MODE,
	T_LISTEN,
	T_LEVEL,
	T_DEST,
	T_FACILITY,
	T_CONTENT
};

struct dcfg_key {
	const char *name;
	enum dcfg_type type;
	size_t off;             /* offset of the member in struct whorl_dcfg */
	unsigned long min, max; /* T_UINT, T_MS and T_SIZE bounds */
};

#define K(name, type, member, min, max)                                   \
	{                                                                 \
		name, type, offsetof(struct whorl_dcfg, member), min, max \
	}

/* Every key, in the order docs/WHORLD.md lists them. */
static const struct dcfg_key dcfg_keys[] = {
	K("spamd listen", T_LISTEN, spamd_listen, 0, 0),
	K("http listen", T_LISTEN, http_listen, 0, 0),
	K("unix socket mode", T_MODE, unix_socket_mode, 0, 0777),
	K("unix socket owner", T_NAME, unix_socket_owner, 0, 0),
	K("unix socket group", T_NAME, unix_socket_group, 0, 0),
	K("threads", T_UINT, threads, 1, 256),
	K("workers", T_UINT, workers, 0, WHORL_DCFG_MAX_WORKERS),
	K("max message size", T_SIZE, max_message_size, 1024, 1ul << 30),
	K("request deadline", T_MS, request_deadline_ms, 10, 3600000),
	K("queue size", T_UINT, queue_size, 1, 65536),
	K("max connections", T_UINT, max_connections, 1, 1000000),
	K("idle timeout", T_MS, idle_timeout_ms, 10, 3600000),
	K("client timeout", T_MS, client_timeout_ms, 10, 3600000),
	K("drain timeout", T_MS, drain_timeout_ms, 0, 3600000),
	K("spamd protocol", T_BOOL, spamd_protocol, 0, 0),
	K("rspamc protocol", T_BOOL, rspamc_protocol, 0, 0),
	K("cloudmark api", T_BOOL, cloudmark_api, 0, 0),
	K("minimum score", T_UINT, minimum_score, 0, 100),
	K("cmae headers", T_BOOL, cmae_headers, 0, 0),
	K("log destination", T_DEST, log_destination, 0, 0),
	K("log level", T_LEVEL, log_level, 0, 0),
	K("log scans", T_BOOL, log_scans, 0, 0),
	K("syslog facility", T_FACILITY, syslog_facility, 0, 0),
	K("cartridge", T_PATH, cartridge, 0, 0),
	K("cartridge config dir", T_PATH, cartridge_config_dir, 0, 0),
	K("state dir", T_PATH, state_dir, 0, 0),
	K("cartridge trial", T_MS, cartridge_trial_ms, 0, 604800000),
	K("feedback spool", T_PATH, feedback_spool, 0, 0),
	K("feedback content", T_CONTENT, feedback_content, 0, 0),
	K("pid file", T_PATH, pid_file, 0, 0),
	K("control socket", T_PATH, control_socket, 0, 0),
};

struct dcfg_word {
	const char *word;
	int value;
};

static const struct dcfg_word dcfg_bools[] = { { "yes", 1 },   { "no", 0 }, { "true", 1 },
	                                       { "false", 0 }, { "on", 1 }, { "off", 0 },
	                                       { "1", 1 },     { "0", 0 },  { NULL, 0 } };
static const struct dcfg_word dcfg_levels[] = {
	{ "debug", WHORL_LOG_DEBUG },       { "info", WHORL_LOG_INFO },
	{ "warn", WHORL_LOG_WARN },         { "error", WHORL_LOG_ERROR },
	{ "critical", WHORL_LOG_CRITICAL }, { NULL, 0 }
};
static const struct dcfg_word dcfg_dests[] = { { "auto", WHORL_DLOG_AUTO },
	                                       { "stderr", WHORL_DLOG_STDERR },
	                                       { "syslog", WHORL_DLOG_SYSLOG },
	                                       { NULL, 0 } };
static const struct dcfg_word dcfg_facilities[] = { { "mail", LOG_MAIL },
	                                            { "daemon", LOG_DAEMON },
	                                            { "local0", LOG_LOCAL0 },
	                                            { "local1", LOG_LOCAL1 },
	                                            { "local2", LOG_LOCAL2 },
	                                            { "local3", LOG_LOCAL3 },
	                                            { "local4", LOG_LOCAL4 },
	                                            { "local5", LOG_LOCAL5 },
	                                            { "local6", LOG_LOCAL6 },
	                                            { "local7", LOG_LOCAL7 },
	                                            { NULL, 0 } };

static const struct dcfg_word dcfg_contents[] = { { "message", WHORL_FEEDBACK_MESSAGE },
	                                          { "fingerprints", WHORL_FEEDBACK_FINGERPRINTS },
	                                          { "both", WHORL_FEEDBACK_MESSAGE |
	                                                        WHORL_FEEDBACK_FINGERPRINTS },
	                                          { NULL, 0 } };

static int dcfg_word(const struct dcfg_word *w, const char *v, int *out)
{
	for (; w->word != NULL; w++) {
		if (strcasecmp(w->word, v) == 0) {
			*out = w->value;
			return 0;
		}
	}
	return WHORL_ECONFIG;
}

/* Unsigned decimal (or octal with base 8) with nothing after it. */
static int dcfg_ulong(const char *s, int base, unsigned long *out, const char **rest)
{
	char *end;

	if (*s < '0' || *s > '9')
		return WHORL_ECONFIG;
	errno = 0;
	*out = strtoul(s, &end, base);
	if (errno != 0 || end == s)
		return WHORL_ECONFIG;
	if (rest != NULL)
		*rest = end;
	else if (*end != '\0')
		return WHORL_ECONFIG;
	return 0;
}

struct dcfg_unit {
	const char *unit;
	unsigned long mult;
};

/* "<number>[ ]<unit>" with a unit from the table (case-insensitive; ""
 * for a bare number), without overflow. */
static int dcfg_with_unit(const char *s, const struct dcfg_unit *units, size_t n_units,
                          unsigned long max, unsigned long *out)
{
	unsigned long n;
	const char *unit;

	if (dcfg_ulong(s, 10, &n, &unit) != 0)
		return WHORL_ECONFIG;
	while (*unit == ' ')
		unit++;
	for (size_t i = 0; i < n_units; i++) {
		if (strcasecmp(unit, units[i].unit) == 0) {
			if (n > max / units[i].mult)
				return WHORL_ECONFIG;
			*out = n * units[i].mult;
			return 0;
		}
	}
	return WHORL_ECONFIG;
}

int whorl_dcfg_parse_duration(const char *s, uint32_t *ms_out)
{
	static const struct dcfg_unit units[] = {
		{ "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	};
	unsigned long ms;

	if (dcfg_with_unit(s, units, sizeof(units) / sizeof(units[0]), UINT32_MAX, &ms) != 0)
		return WHORL_ECONFIG;
	*ms_out = (uint32_t)ms;
	return 0;
}

int whorl_dcfg_parse_size(const char *s, size_t *bytes_out)
{
	static const struct dcfg_unit units[] = {
		{ "", 1 }, { "b", 1 }, { "k", 1ul << 10 }, { "m", 1ul << 20 }, { "g", 1ul << 30 },
	};
	unsigned long bytes;

	if (dcfg_with_unit(s, units, sizeof(units) / sizeof(units[0]), SIZE_MAX, &bytes) != 0)
		return WHORL_ECONFIG;
	*bytes_out = bytes;
	return 0;
}

int whorl_dcfg_parse_listen(const char *s, struct whorl_dcfg_listen *out)
{
	const char *colon, *host = s;
	size_t host_len;
	unsigned long port;

	memset(out, 0, sizeof(*out));
	if (strncmp(s, "unix:", 5) == 0) {
		if (s[5] != '/' || strlen(s + 5) >= sizeof(out->addr) || strlen(s + 5) > 107)
			return WHORL_ECONFIG; /* absolute, and fits sockaddr_un.sun_path */
		out->is_unix = 1;
		snprintf(out->addr, sizeof(out->addr), "%s", s + 5);
		return 0;
	}
	if (*s == '[') {
		colon = strstr(s, "]:");
		if (colon == NULL)
			return WHORL_ECONFIG;
		host = s + 1;
		host_len = (size_t)(colon - host);
		colon++;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || memchr(s, ':', (size_t)(colon - s)) != NULL)
			return WHORL_ECONFIG; /* IPv6 needs brackets */
		host_len = (size_t)(colon - s);
	}
	if (host_len == 0 || host_len >= sizeof(out->addr) ||
	    dcfg_ulong(colon + 1, 10, &port, NULL) != 0 || port == 0 || port > 65535)
		return WHORL_ECONFIG;
	memcpy(out->addr, host, host_len);
	out->port = (unsigned)port;
	return 0;
}

/* A comma-separated list of listen addresses; "none" for no listener. */
static int dcfg_listen_list(struct whorl_dcfg_listens *l, const char *v, char *why, size_t why_len)
{
	char copy[WHORL_DCFG_LINE_MAX + 1], *save = NULL, *tok;
	size_t n = 0;

	if (strcasecmp(v, "none") == 0) {
		l->n = 0;
		return 0;
	}
	snprintf(copy, sizeof(copy), "%s", v);
	for (tok = strtok_r(copy, ", \t", &save); tok != NULL;
	     tok = strtok_r(NULL, ", \t", &save)) {
		if (n == WHORL_DCFG_MAX_LISTEN) {
			snprintf(why, why_len, "more than %d listen addresses",
			         WHORL_DCFG_MAX_LISTEN);
			return WHORL_ECONFIG;
		}
		if (whorl_dcfg_parse_listen(tok, &l->a[n]) != 0) {
			snprintf(why, why_len,
			         "'%s' is not HOST:PORT, [IPV6]:PORT or unix:/ABSOLUTE/PATH", tok);
			return WHORL_ECONFIG;
		}
		n++;
	}
	if (n == 0) {
		snprintf(why, why_len, "no address (write none for no listener)");
		return WHORL_ECONFIG;
	}
	l->n = n;
	return 0;
}

/* Numbers: T_UINT, T_MS, T_SIZE, T_MODE, with their bounds. */
static int dcfg_number(const struct dcfg_key *k, char *base, const char *v)
{
	unsigned long n = 0;
	uint32_t ms;
	size_t bytes;

	switch (k->type) {
	case T_UINT:
		if (dcfg_ulong(v, 10, &n, NULL) != 0)
			return WHORL_ECONFIG;
		break;
	case T_MODE:
		if (dcfg_ulong(v, 8, &n, NULL) != 0)
			return WHORL_ECONFIG;
		break;
	case T_MS:
		if (whorl_dcfg_parse_duration(v, &ms) != 0)
			return WHORL_ECONFIG;
		n = ms;
		break;
	default:
		if (whorl_dcfg_parse_size(v, &bytes) != 0)
			return WHORL_ECONFIG;
		n = bytes;
		break;
	}
	if (n < k->min || n > k->max)
		return WHORL_ECONFIG;
	if (k->type == T_SIZE)
		*(size_t *)(void *)(base + k->off) = n;
	else if (k->type == T_MS)
		*(uint32_t *)(void *)(base + k->off) = (uint32_t)n;
	else
		*(unsigned *)(void *)(base + k->off) = (unsigned)n;
	return 0;
}

static int dcfg_set(const struct dcfg_key *k, struct whorl_dcfg *c, const char *v, char *why,
                    size_t why_len)
{
	char *base = (char *)c;
	int *ip = (int *)(void *)(base + k->off);

	switch (k->type) {
	case T_BOOL: return dcfg_word(dcfg_bools, v, ip);
	case T_LEVEL: return dcfg_word(dcfg_levels, v, ip);
	case T_DEST: return dcfg_word(dcfg_dests, v, ip);
	case T_FACILITY: return dcfg_word(dcfg_facilities, v, ip);
	case T_CONTENT: return dcfg_word(dcfg_contents, v, ip);
	case T_LISTEN:
		return dcfg_listen_list((struct whorl_dcfg_listens *)(void *)(base + k->off), v,
		                        why, why_len);
	case T_PATH:
		if (strlen(v) >= WHORL_DCFG_PATH_MAX)
			return WHORL_ECONFIG;
		snprintf(base + k->off, WHORL_DCFG_PATH_MAX, "%s", v);
		return 0;
	case T_NAME:
		if (strlen(v) >= sizeof(c->unix_socket_owner))
			return WHORL_ECONFIG;
		snprintf(base + k->off, sizeof(c->unix_socket_owner), "%s", v);
		return 0;
	default: return dcfg_number(k, base, v);
	}
}

static const char *dcfg_expect(const struct dcfg_key *k, char *buf, size_t len)
{
	switch (k->type) {
	case T_BOOL: return "yes or no";
	case T_LEVEL: return "debug, info, warn, error or critical";
	case T_DEST: return "auto, stderr or syslog";
	case T_FACILITY: return "mail, daemon or local0 to local7";
	case T_CONTENT: return "message, fingerprints or both";
	case T_MODE: return "an octal mode such as 0660";
	case T_PATH: return "a path shorter than 512 bytes";
	case T_NAME: return "a user or group name shorter than 64 bytes";
	case T_MS:
		snprintf(buf, len, "a duration from %lums to %lus (e.g. 20s, 500ms)", k->min,
		         k->max / 1000);
		return buf;
	case T_SIZE:
		snprintf(buf, len, "a size from %lu to %lu bytes (e.g. 10M)", k->min, k->max);
		return buf;
	default: snprintf(buf, len, "a number from %lu to %lu", k->min, k->max); return buf;
	}
}

int dcfg_key_apply(struct whorl_dcfg *c, const char *key, const char *value, char *why,
                   size_t why_len)
{
	char expect[128];

	for (size_t i = 0; i < sizeof(dcfg_keys) / sizeof(dcfg_keys[0]); i++) {
		const struct dcfg_key *k = &dcfg_keys[i];
		if (strcmp(k->name, key) != 0)
			continue;
		why[0] = '\0';
		if (dcfg_set(k, c, value, why, why_len) == 0)
			return 0;
		if (why[0] == '\0')
			snprintf(why, why_len, "%s = '%s': expected %s", key, value,
			         dcfg_expect(k, expect, sizeof(expect)));
		return WHORL_ECONFIG;
	}
	snprintf(why, why_len, "unknown key '%s'", key);
	return WHORL_ECONFIG;
}

int dcfg_check(const struct whorl_dcfg *c, char *why, size_t why_len)
{
	if (c->spamd_listen.n + c->http_listen.n == 0) {
		snprintf(why, why_len, "no listener: spamd listen and http listen are both none");
		return WHORL_ECONFIG;
	}
	if (c->spamd_listen.n > 0 && !c->spamd_protocol && !c->rspamc_protocol) {
		snprintf(why, why_len,
		         "spamd listen is set but spamd protocol and rspamc protocol "
		         "are both off");
		return WHORL_ECONFIG;
	}
	return 0;
}
