/*
 * cfg.h - cartridge.cfg, license.cfg and the categories list.
 *
 * cfg_load() reads <config_dir>/cartridge.cfg as the Cartridge guide's
 * Table 1 describes it: "key = value" lines, keys case-insensitive with
 * spaces, yes/no/1/0 booleans, "#" comments. Unknown keys are logged and
 * ignored, deprecated keys are logged ("The option ... has been deprecated,
 * ignoring") and ignored, invalid values log the guide's message and keep
 * the documented default. A missing file means all defaults.
 *
 * Not for: whitelist.cfg (wl/), update state files (update/).
 */
#ifndef WHORL_CFG_H
#define WHORL_CFG_H

#include <stddef.h>

#include "../log/log.h"

#define CFG_MAX_FILE_BYTES ((size_t)1 << 20) /* a larger cartridge.cfg is refused */
#define CFG_MAX_LINE 4096                    /* longer lines are ignored, logged */
#define CFG_MAX_STR 1024                     /* longest string value kept */
#define CFG_MAX_GATEWAY_HOSTS 32
/* "statistics interval", from cartridge.cfg or the publisher's acf: at
 * most one week (whorl-publish --statistics-interval has the same bound). */
#define CFG_MAX_STATS_INTERVAL 604800
#define CFG_MU_TRIAL_DEFAULT 3600u /* "micro-update trial period": an hour */

enum cfg_image_depth {
	CFG_IMAGE_NONE = 0,
	CFG_IMAGE_LOW,
	CFG_IMAGE_MEDIUM,
	CFG_IMAGE_HIGH
};

#define CFG_EXCLUDE_WHITELIST (1u << 0)
#define CFG_EXCLUDE_PROXY_AUTH (1u << 1)

struct cfg {
	/* Table 1 */
	int consider_empty_spam;                        /* no */
	char customer_id[CFG_MAX_STR];                  /* "none" */
	int download_before_init;                       /* no */
	int enable_micro_updates;                       /* yes */
	unsigned exclude_from_stats;                    /* CFG_EXCLUDE_* ; none */
	int favor_analysis;                             /* no */
	char gateway_hosts[CFG_MAX_GATEWAY_HOSTS][256]; /* none */
	int n_gateway_hosts;
	char http_proxy[CFG_MAX_STR];            /* "" = none; host:port */
	char http_proxy_basic_auth[CFG_MAX_STR]; /* "" = none; user:password */
	char http_proxy_ntlm_auth[CFG_MAX_STR];  /* "" = none; domain:user:password */
	enum cfg_image_depth image_depth;        /* high */
	char local_address[CFG_MAX_STR];         /* "" = none */
	char cache_path[CFG_MAX_STR];            /* absolute; default <config_dir> */
	char mu_hostname[CFG_MAX_STR];           /* see docs/CONFIG.md for our default */
	int mu_interval_auto;                    /* auto */
	int mu_interval_hours;                   /* when not auto; default 3 */
	int mu_port;                             /* 80 */
	int mu_timeout;                          /* 60 seconds */
	unsigned mu_trial_seconds;               /* whorl: seconds a new set runs before it is
	                                          the safe set; CFG_MU_TRIAL_DEFAULT */
	int report_statistics;                   /* yes */
	int use_envelope_ip;                     /* no */
	int use_ip_information;                  /* yes */
	int anonymize_statistics;                /* no */
	/* whorl's own keys */
	char mu_url[CFG_MAX_STR];        /* "" = http://hostname:port/ ; http, https or file */
	char publisher_key[CFG_MAX_STR]; /* absolute; default <config_dir>/publisher.pub */
	int minimum_score;               /* 50 */
	size_t max_body_length;          /* 0 = no limit (Momentum's Max_Body_Length) */
	/* statistics (docs/CONFIG.md, docs/FORMATS.md "Statistics reports") */
	char statistics_url[CFG_MAX_STR]; /* "" = http://<mu hostname>:<mu port>/cmstats */
	char statistics_key[CFG_MAX_STR]; /* absolute; default <config_dir>/collector.pub */
	unsigned statistics_interval;     /* seconds; 0 = auto (acf, else 3600) */
	int record_sigs_seen;             /* no (the guide's hidden last-seen option) */
	char config_dir[CFG_MAX_STR];     /* where the files were read from */
};

/* Fills *c with the documented defaults for config_dir. */
void cfg_defaults(struct cfg *c, const char *config_dir);

/* Reads <config_dir>/cartridge.cfg into *c (defaults first). Problems are
 * logged through lg (module "CONFIG") and never fatal; *c is always usable.
 * Returns 0 (also when the file is missing: all defaults), WHORL_EIO when the
 * file exists but cannot be read, WHORL_ELIMIT when it is larger than
 * CFG_MAX_FILE_BYTES, WHORL_ECONFIG when config_dir is NULL or too long;
 * in each of these cases *c holds the defaults. Also logs the load-time
 * lines ("Will (not) consider empty messages as spam", the customer id
 * warning). Reentrant; no global state. */
int cfg_load(struct cfg *c, const char *config_dir, const struct logger *lg);

/* Parses cartridge.cfg text buf[0..len) into *c (which must hold defaults),
 * logging like cfg_load(); a buf longer than CFG_MAX_FILE_BYTES is refused
 * (logged, *c unchanged). buf need not be NUL-terminated. */
void cfg_parse(struct cfg *c, const char *buf, size_t len, const struct logger *lg);

/* license.cfg: line 1 numeric license id, line 2 password. */
struct license {
	unsigned long id; /* 0 when missing or malformed */
	char password[256];
	int present; /* the file exists */
	int valid;   /* id numeric and password present */
};
/* Reads <config_dir>/license.cfg (at most 4096 bytes; trailing blanks and
 * CRLF tolerated). Returns 0 when valid, WHORL_ENODATA when missing,
 * WHORL_ECONFIG when malformed (id not 1-19 digits, no password line,
 * password of 256 bytes or more), WHORL_EIO when unreadable (logged), and
 * WHORL_EINVAL for a bad config_dir. Missing and malformed files are not
 * logged here: the update module logs license_error_text(rc) when it
 * needs the license. Wipe *l with license_clear() when done. */
int license_load(struct license *l, const char *config_dir, const struct logger *lg);
/* Wipes *l, password included (sodium_memzero). */
void license_clear(struct license *l);
/* The guide's Appendix A ERROR text for a license_load() result naming the
 * real file, e.g. "Could not update signatures from network (missing
 * license file [/etc/whorl/license.cfg])." (the guide's etc/ is the
 * configuration directory): written into buf (len bytes) and returned;
 * NULL for 0. Thread-safe. */
#define LICENSE_ERROR_TEXT_MAX (CFG_MAX_STR + 160) /* a buf that always fits */
const char *license_error_text(int rc, const char *config_dir, char *buf, size_t len);

/* The categories list (the guide's .cats). One entry a line:
 *   <category>/<subcategory> <category name> <subcategory name>
 * e.g. "7/0 virus undefined"; "#" comments and blank lines ignored. */
#define CATS_MAX 256
struct category_name {
	unsigned category, subcategory;
	char name[48];
	char sub_name[48];
};
struct categories {
	struct category_name names[CATS_MAX];
	int n;
};
/* Built-in defaults, the same table as etc/categories: 0 legit, 1 spam,
 * 2 bulk, 3 phishing, 4 fraud, 5 malware, 7 virus (7/0 virus/undefined),
 * each with subcategory 0 "undefined" and a few named ones. */
void categories_defaults(struct categories *cats);
/* Parses a categories file (lines of at most 256 bytes, numbers 0-9999,
 * names 1-47 printable non-blank bytes, no duplicate pair, one name per
 * category number and one number per name in any case, at least one entry); returns 0 or WHORL_EFORMAT (then
 * *cats is unchanged). */
int categories_parse(struct categories *cats, const char *buf, size_t len);
/* As categories_parse(), and on WHORL_EFORMAT writes why the text was
 * refused into why (why_len bytes), e.g. "line 3: 1/0 is listed twice". */
#define CATS_WHY_MAX 256 /* a why buffer that always fits */
int categories_parse_why(struct categories *cats, const char *buf, size_t len, char *why,
                         size_t why_len);
/* Name of category/subcategory; "unknown" when absent (a known category
 * with an unknown subcategory still gives the category's name). sub_name
 * may be NULL. The strings live in *cats. */
const char *categories_name(const struct categories *cats, unsigned category, unsigned subcategory,
                            const char **sub_name);
/* Number of a category name ("virus" -> 7, any case); -1 when unknown. */
int categories_lookup(const struct categories *cats, const char *name);

#endif
