/*
 * cfg_keys.c - the cartridge.cfg keys: one table row and one handler each.
 *
 * The table holds every key of the guide's Table 1, whorl's own keys and
 * the deprecated ones. A handler checks its value, stores it, or logs the
 * guide's Appendix A text (ERROR, module CONFIG) and puts the documented
 * default back. Key names arrive normalised (lower case, single spaces).
 *
 * Not for: reading files or splitting lines (cfg.c); docs/CONFIG.md is the
 * user-facing description of the same table and must change with it.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cfg_internal.h"

struct cfg_key;
typedef void cfg_key_fn(struct cfg *c, const struct cfg_key *k, const char *v,
                        const struct logger *lg);

struct cfg_key {
	const char *name;
	cfg_key_fn *apply;
	size_t field;     /* offsetof the int member, boolean keys only */
	int dflt;         /* default of a boolean key */
	const char *keep; /* end of the invalid-boolean line */
};

#define CFG_FIELD(c, k) ((int *)(void *)((char *)(c) + (k)->field))

/* Copies v into a CFG_MAX_STR member; -1 when it does not fit. */
static int cfg_str_set(char *dst, const char *v)
{
	size_t n = strlen(v);

	if (n >= CFG_MAX_STR)
		return -1;
	memcpy(dst, v, n + 1);
	return 0;
}

static void cfg_key_bool(struct cfg *c, const struct cfg_key *k, const char *v,
                         const struct logger *lg)
{
	int b = cfg_value_bool(v);

	if (b < 0) {
		log_error(lg, CFG_MODULE, "Value %s for \"%s\" must be yes/no/1/0--%s.", v, k->name,
		          k->keep);
		b = k->dflt;
	}
	*CFG_FIELD(c, k) = b;
}

static void cfg_key_customer_id(struct cfg *c, const struct cfg_key *k, const char *v,
                                const struct logger *lg)
{
	if (*v == '\0' || cfg_str_set(c->customer_id, v) != 0) {
		log_error(lg, CFG_MODULE, "Invalid customer id %s, using default value \"none\".",
		          v);
		cfg_str_set(c->customer_id, "none");
	}
}

/* One item of "exclude from stats reports"; 0 when unknown. */
static unsigned cfg_exclude_item(const char *item, size_t n)
{
	if (n == 9 && strncasecmp(item, "whitelist", n) == 0)
		return CFG_EXCLUDE_WHITELIST;
	if (n == 10 && strncasecmp(item, "proxy auth", n) == 0)
		return CFG_EXCLUDE_PROXY_AUTH;
	return 0;
}

/* Calls fn on each comma-separated, trimmed, non-empty item of v;
 * stops and returns -1 as soon as fn does. */
static int cfg_list_each(const char *v, int (*fn)(void *arg, const char *item, size_t n), void *arg)
{
	const char *p = v;

	while (*p != '\0') {
		const char *end = strchr(p, ',');
		const char *stop = end != NULL ? end : p + strlen(p);
		const char *b = p, *e = stop;

		while (b < e && (*b == ' ' || *b == '\t'))
			b++;
		while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > b && fn(arg, b, (size_t)(e - b)) != 0)
			return -1;
		p = end != NULL ? end + 1 : stop;
	}
	return 0;
}

static int cfg_exclude_add(void *arg, const char *item, size_t n)
{
	unsigned *mask = arg;
	unsigned bit = cfg_exclude_item(item, n);

	if (bit == 0)
		return -1;
	*mask |= bit;
	return 0;
}

static void cfg_key_exclude(struct cfg *c, const struct cfg_key *k, const char *v,
                            const struct logger *lg)
{
	unsigned mask = 0;

	if (strcasecmp(v, "none") == 0) {
		c->exclude_from_stats = 0;
		return;
	}
	if (*v == '\0' || cfg_list_each(v, cfg_exclude_add, &mask) != 0) {
		log_error(
		    lg, CFG_MODULE,
		    "Invalid exclude from stats reports %s, not excluding anything from stats reports.",
		    v);
		mask = 0;
	}
	c->exclude_from_stats = mask;
}

struct cfg_gateway_acc {
	struct cfg *c;
	const char *why;
};

static int cfg_gateway_add(void *arg, const char *item, size_t n)
{
	struct cfg_gateway_acc *acc = arg;
	struct cfg *c = acc->c;
	char host[256];

	if (c->n_gateway_hosts >= CFG_MAX_GATEWAY_HOSTS) {
		acc->why = "more than 32 hosts";
		return -1;
	}
	if (n >= sizeof(host)) {
		acc->why = "host name too long";
		return -1;
	}
	memcpy(host, item, n);
	host[n] = '\0';
	if (!cfg_value_hostname_ok(host)) {
		acc->why = "not a host name or IP address";
		return -1;
	}
	memcpy(c->gateway_hosts[c->n_gateway_hosts++], host, n + 1);
	return 0;
}

static void cfg_key_gateway(struct cfg *c, const struct cfg_key *k, const char *v,
                            const struct logger *lg)
{
	struct cfg_gateway_acc acc = { c, "empty list" };

	c->n_gateway_hosts = 0;
	if (cfg_list_each(v, cfg_gateway_add, &acc) == 0 && c->n_gateway_hosts > 0)
		return;
	log_error(lg, CFG_MODULE,
	          "Invalid gateway received hosts %s (%s), using heuristics instead.", v, acc.why);
	memset(c->gateway_hosts, 0, sizeof(c->gateway_hosts));
	c->n_gateway_hosts = 0;
}

static void cfg_key_proxy(struct cfg *c, const struct cfg_key *k, const char *v,
                          const struct logger *lg)
{
	const char *why = cfg_value_proxy(v, c->http_proxy, sizeof(c->http_proxy));

	if (why == NULL)
		return;
	log_error(lg, CFG_MODULE, "Invalid http proxy %s (%s), not using a http proxy.", v, why);
	c->http_proxy[0] = '\0';
}

static void cfg_key_basic_auth(struct cfg *c, const struct cfg_key *k, const char *v,
                               const struct logger *lg)
{
	const char *why = cfg_value_credentials(v, 2);
	char shown[CFG_MAX_STR];

	if (why == NULL && cfg_str_set(c->http_proxy_basic_auth, v) == 0)
		return;
	cfg_value_redact(v, 2, shown, sizeof(shown));
	log_error(lg, CFG_MODULE,
	          "Invalid http basic auth %s (%s), not using authentication for http proxy", shown,
	          why != NULL ? why : "too long");
	c->http_proxy_basic_auth[0] = '\0';
}

static void cfg_key_ntlm_auth(struct cfg *c, const struct cfg_key *k, const char *v,
                              const struct logger *lg)
{
	const char *why = cfg_value_credentials(v, 3);
	char shown[CFG_MAX_STR];

	if (why == NULL && cfg_str_set(c->http_proxy_ntlm_auth, v) == 0)
		return;
	cfg_value_redact(v, 3, shown, sizeof(shown));
	log_error(lg, CFG_MODULE,
	          "Invalid http ntlm auth %s (%s), not using NTLM authentication for http proxy",
	          shown, why != NULL ? why : "too long");
	c->http_proxy_ntlm_auth[0] = '\0';
}

static void cfg_key_image_depth(struct cfg *c, const struct cfg_key *k, const char *v,
                                const struct logger *lg)
{
	static const char *const names[] = { "none", "low", "medium", "high" };

	for (int i = 0; i < 4; i++) {
		if (strcasecmp(v, names[i]) == 0) {
			c->image_depth = (enum cfg_image_depth)i;
			return;
		}
	}
	log_error(lg, CFG_MODULE,
	          "Invalid image processing depth %s, using default depth of \"high\".", v);
	c->image_depth = CFG_IMAGE_HIGH;
}

static void cfg_key_local_address(struct cfg *c, const struct cfg_key *k, const char *v,
                                  const struct logger *lg)
{
	unsigned char addr[16];

	if (inet_pton(AF_INET, v, addr) == 1 || inet_pton(AF_INET6, v, addr) == 1) {
		cfg_str_set(c->local_address, v); /* an address always fits */
		return;
	}
	log_error(
	    lg, CFG_MODULE,
	    "Invalid local address for m-u cons %s, not binding micro-update connections to an address.",
	    v);
	c->local_address[0] = '\0';
}

static void cfg_key_cache_path(struct cfg *c, const struct cfg_key *k, const char *v,
                               const struct logger *lg)
{
	if (*v != '\0' &&
	    cfg_path_resolve(c->config_dir, v, c->cache_path, sizeof(c->cache_path)) == 0)
		return;
	log_error(lg, CFG_MODULE, "Invalid cache path %s, using default value \"%s\".", v,
	          c->config_dir);
	cfg_str_set(c->cache_path, c->config_dir);
}

static void cfg_key_hostname(struct cfg *c, const struct cfg_key *k, const char *v,
                             const struct logger *lg)
{
	if (cfg_value_hostname_ok(v)) {
		cfg_str_set(c->mu_hostname, v);
		return;
	}
	log_error(lg, CFG_MODULE,
	          "Invalid micro-update hostname %s, using default hostname \"localhost\".", v);
	cfg_str_set(c->mu_hostname, "localhost");
}

static void cfg_key_interval(struct cfg *c, const struct cfg_key *k, const char *v,
                             const struct logger *lg)
{
	unsigned long long hours;

	if (strcasecmp(v, "auto") == 0) {
		c->mu_interval_auto = 1;
		return;
	}
	c->mu_interval_auto = 0;
	if (cfg_value_uint(v, 1, CFG_MAX_INTERVAL_HOURS, &hours) == 0) {
		c->mu_interval_hours = (int)hours;
		return;
	}
	/* The guide: an invalid interval falls back to a fixed 3 hours. */
	log_error(lg, CFG_MODULE,
	          "Invalid micro-update interval %s, using default interval of 3 hours.", v);
	c->mu_interval_hours = 3;
}

static void cfg_key_port(struct cfg *c, const struct cfg_key *k, const char *v,
                         const struct logger *lg)
{
	unsigned long long port;

	if (cfg_value_uint(v, 1, 65535, &port) == 0) {
		c->mu_port = (int)port;
		return;
	}
	log_error(lg, CFG_MODULE, "Invalid micro-update port %s, using default port of 80.", v);
	c->mu_port = 80;
}

static void cfg_key_timeout(struct cfg *c, const struct cfg_key *k, const char *v,
                            const struct logger *lg)
{
	unsigned long long t;

	if (cfg_value_uint(v, 1, CFG_MAX_TIMEOUT, &t) == 0) {
		c->mu_timeout = (int)t;
		return;
	}
	log_error(lg, CFG_MODULE,
	          "Invalid micro-update timeout %s, using default timeout of 60 seconds.", v);
	c->mu_timeout = 60;
}

static void cfg_key_trial(struct cfg *c, const struct cfg_key *k, const char *v,
                          const struct logger *lg)
{
	unsigned long long t;

	if (cfg_value_uint(v, 1, CFG_MAX_TRIAL, &t) == 0) {
		c->mu_trial_seconds = (unsigned)t;
		return;
	}
	log_error(lg, CFG_MODULE,
	          "Invalid micro-update trial period %s, using default of %u seconds.", v,
	          CFG_MU_TRIAL_DEFAULT);
	c->mu_trial_seconds = CFG_MU_TRIAL_DEFAULT;
}

static void cfg_key_signature_type(struct cfg *c, const struct cfg_key *k, const char *v,
                                   const struct logger *lg)
{
	log_info(lg, CFG_MODULE,
	         "The option \"%s\" is accepted for compatibility and has no effect, ignoring",
	         k->name);
}

static void cfg_key_deprecated(struct cfg *c, const struct cfg_key *k, const char *v,
                               const struct logger *lg)
{
	log_info(lg, CFG_MODULE, "The option \"%s\" has been deprecated, ignoring", k->name);
}

/* 1 when v starts with a scheme the update client can fetch. */
static int cfg_url_scheme_ok(const char *v)
{
	static const char *const schemes[] = { "http://", "https://", "file://" };

	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i]);
		if (strncasecmp(v, schemes[i], n) == 0 && v[n] != '\0')
			return 1;
	}
	return 0;
}

static void cfg_key_url(struct cfg *c, const struct cfg_key *k, const char *v,
                        const struct logger *lg)
{
	if (cfg_url_scheme_ok(v) && cfg_str_set(c->mu_url, v) == 0)
		return;
	log_error(
	    lg, CFG_MODULE,
	    "Invalid micro-update url %s (must start with http://, https:// or file://), using the micro-update hostname and port.",
	    v);
	c->mu_url[0] = '\0';
}

static void cfg_key_publisher_key(struct cfg *c, const struct cfg_key *k, const char *v,
                                  const struct logger *lg)
{
	if (*v != '\0' &&
	    cfg_path_resolve(c->config_dir, v, c->publisher_key, sizeof(c->publisher_key)) == 0)
		return;
	cfg_path_resolve(c->config_dir, "publisher.pub", c->publisher_key,
	                 sizeof(c->publisher_key));
	log_error(lg, CFG_MODULE, "Invalid publisher key %s, using default value \"%s\".", v,
	          c->publisher_key);
}

static void cfg_key_minimum_score(struct cfg *c, const struct cfg_key *k, const char *v,
                                  const struct logger *lg)
{
	unsigned long long score;

	if (cfg_value_uint(v, 0, 100, &score) == 0) {
		c->minimum_score = (int)score;
		return;
	}
	log_error(lg, CFG_MODULE, "Invalid minimum score %s, using default minimum score of 50.",
	          v);
	c->minimum_score = 50;
}

static void cfg_key_max_body(struct cfg *c, const struct cfg_key *k, const char *v,
                             const struct logger *lg)
{
	unsigned long long n;

	if (cfg_value_uint(v, 0, CFG_MAX_BODY_LENGTH, &n) == 0) {
		c->max_body_length = (size_t)n;
		return;
	}
	log_error(lg, CFG_MODULE, "Invalid max body length %s, using default of 0 (no limit).", v);
	c->max_body_length = 0;
}

static void cfg_key_statistics_url(struct cfg *c, const struct cfg_key *k, const char *v,
                                   const struct logger *lg)
{
	if ((strncmp(v, "http://", 7) == 0 || strncmp(v, "https://", 8) == 0) &&
	    cfg_str_set(c->statistics_url, v) == 0)
		return;
	c->statistics_url[0] = '\0';
	log_error(lg, CFG_MODULE,
	          "Invalid statistics url %s (must start with http:// or https://), "
	          "using the micro-update host.",
	          v);
}

static void cfg_key_statistics_key(struct cfg *c, const struct cfg_key *k, const char *v,
                                   const struct logger *lg)
{
	if (*v != '\0' &&
	    cfg_path_resolve(c->config_dir, v, c->statistics_key, sizeof(c->statistics_key)) == 0)
		return;
	cfg_path_resolve(c->config_dir, "collector.pub", c->statistics_key,
	                 sizeof(c->statistics_key));
	log_error(lg, CFG_MODULE, "Invalid statistics key %s, using default value \"%s\".", v,
	          c->statistics_key);
}

/* "auto" (the publisher's acf says, else one hour) or seconds. */
static void cfg_key_statistics_interval(struct cfg *c, const struct cfg_key *k, const char *v,
                                        const struct logger *lg)
{
	unsigned long long n;

	if (strcasecmp(v, "auto") == 0) {
		c->statistics_interval = 0;
		return;
	}
	if (cfg_value_uint(v, 1, CFG_MAX_STATS_INTERVAL, &n) == 0) {
		c->statistics_interval = (unsigned)n;
		return;
	}
	log_error(lg, CFG_MODULE, "Invalid statistics interval %s, using default interval (auto).",
	          v);
	c->statistics_interval = 0;
}

#define CFG_BOOL(name, member, dflt, keep)                                   \
	{                                                                    \
		name, cfg_key_bool, offsetof(struct cfg, member), dflt, keep \
	}
#define CFG_KEY(name, fn)            \
	{                            \
		name, fn, 0, 0, NULL \
	}

static const struct cfg_key cfg_keys[] = {
	CFG_BOOL("consider empty messages spam", consider_empty_spam, 0, "keeping default (no)"),
	CFG_KEY("customer id", cfg_key_customer_id),
	CFG_BOOL("download micro-updates before init", download_before_init, 0,
	         "keeping default (no)"),
	CFG_BOOL("enable micro-updates", enable_micro_updates, 1, "keeping downloads enabled"),
	CFG_KEY("exclude from stats reports", cfg_key_exclude),
	CFG_BOOL("favor analysis over speed", favor_analysis, 0, "keeping default (no)"),
	CFG_KEY("gateway received hosts", cfg_key_gateway),
	CFG_KEY("http proxy", cfg_key_proxy),
	CFG_KEY("http proxy basic auth", cfg_key_basic_auth),
	CFG_KEY("http proxy ntlm auth", cfg_key_ntlm_auth),
	CFG_KEY("image processing depth", cfg_key_image_depth),
	CFG_KEY("local address for m-u cons", cfg_key_local_address),
	CFG_KEY("micro-update cache path", cfg_key_cache_path),
	CFG_KEY("micro-update hostname", cfg_key_hostname),
	CFG_KEY("micro-update interval", cfg_key_interval),
	CFG_KEY("micro-update port", cfg_key_port),
	CFG_KEY("micro-update timeout", cfg_key_timeout),
	CFG_BOOL("report statistics", report_statistics, 1, "keeping default (yes)"),
	CFG_BOOL("use envelope for ip information", use_envelope_ip, 0, "keeping default (no)"),
	CFG_BOOL("use ip information", use_ip_information, 1, "keeping default (yes)"),
	CFG_BOOL("anonymize statistics", anonymize_statistics, 0, "keeping default (no)"),
	CFG_KEY("micro-update signature type", cfg_key_signature_type),
	CFG_KEY("micro-update-path", cfg_key_deprecated),
	CFG_KEY("micro-update-filename", cfg_key_deprecated),
	CFG_KEY("micro-update url", cfg_key_url),
	CFG_KEY("publisher key", cfg_key_publisher_key),
	CFG_KEY("micro-update trial period", cfg_key_trial),
	CFG_KEY("minimum score", cfg_key_minimum_score),
	CFG_KEY("max body length", cfg_key_max_body),
	CFG_KEY("statistics url", cfg_key_statistics_url),
	CFG_KEY("statistics key", cfg_key_statistics_key),
	CFG_KEY("statistics interval", cfg_key_statistics_interval),
	CFG_BOOL("record sigs seen", record_sigs_seen, 0, "keeping default (no)"),
};

void cfg_key_apply(struct cfg *c, const char *key, const char *value, const struct logger *lg)
{
	for (size_t i = 0; i < sizeof(cfg_keys) / sizeof(cfg_keys[0]); i++) {
		if (strcmp(key, cfg_keys[i].name) == 0) {
			cfg_keys[i].apply(c, &cfg_keys[i], value, lg);
			return;
		}
	}
	log_warn(lg, CFG_MODULE, "Unknown option \"%s\" in cartridge.cfg, ignoring", key);
}
