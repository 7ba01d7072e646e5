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

#define CFG_MAX_FILE_BYTES ((size_t)1 << 20)   /* a larger cartridge.cfg is refused */
#define CFG_MAX_LINE 4096                       /* longer lines are ignored, logged */
#define CFG_MAX_STR 1024                        /* longest string value kept */
#define CFG_MAX_GATEWAY_HOSTS 32

enum cfg_image_depth { CFG_IMAGE_NONE = 0, CFG_IMAGE_LOW, CFG_IMAGE_MEDIUM, CFG_IMAGE_HIGH };

#define CFG_EXCLUDE_WHITELIST  (1u << 0)
#define CFG_EXCLUDE_PROXY_AUTH (1u << 1)

struct cfg {
	/* Table 1 */
	int consider_empty_spam;               /* no */
	char customer_id[CFG_MAX_STR];          /* "none" */
	int download_before_init;              /* no */
	int enable_micro_updates;              /* yes */
	unsigned exclude_from_stats;           /* CFG_EXCLUDE_* ; none */
	int favor_analysis;                    /* no */
	char gateway_hosts[CFG_MAX_GATEWAY_HOSTS][256];  /* none */
	int n_gateway_hosts;
	char http_proxy[CFG_MAX_STR];           /* "" = none; host:port */
	char http_proxy_basic_auth[CFG_MAX_STR];/* "" = none; user:password */
	char http_proxy_ntlm_auth[CFG_MAX_STR]; /* "" = none; domain:user:password */
	enum cfg_image_depth image_depth;      /* high */
	char local_address[CFG_MAX_STR];        /* "" = none */
	char cache_path[CFG_MAX_STR];           /* absolute; default <config_dir> */
	char mu_hostname[CFG_MAX_STR];          /* see docs/CONFIG.md for our default */
	int mu_interval_auto;                  /* auto */
	int mu_interval_hours;                 /* when not auto; default 3 */
	int mu_port;                           /* 80 */
	int mu_timeout;                        /* 60 seconds */
	int report_statistics;                 /* yes */
	int use_envelope_ip;                   /* no */
	int use_ip_information;                /* yes */
	int anonymize_statistics;              /* no */
	/* whorl's own keys */
	char mu_url[CFG_MAX_STR];               /* "" = http://hostname:port/ ; http, https or file */
	char publisher_key[CFG_MAX_STR];        /* absolute; default <config_dir>/publisher.pub */
	int minimum_score;                     /* 50 */
	size_t max_body_length;                /* 0 = no limit (Momentum's Max_Body_Length) */
	char config_dir[CFG_MAX_STR];           /* where the files were read from */
};

/* Fills *c with the documented defaults for config_dir. */
void cfg_defaults(struct cfg *c, const char *config_dir);

/* Reads <config_dir>/cartridge.cfg into *c (defaults first). Problems are
 * logged through lg and never fatal; returns 0, or WHORL_EIO when the file
 * exists but cannot be read (defaults are then in *c). */
int cfg_load(struct cfg *c, const char *config_dir, const struct logger *lg);

/* Parses cartridge.cfg text buf[0..len) into *c (which must hold defaults). */
void cfg_parse(struct cfg *c, const char *buf, size_t len, const struct logger *lg);

/* license.cfg: line 1 numeric license id, line 2 password. */
struct license {
	unsigned long id;                      /* 0 when missing or malformed */
	char password[256];
	int present;                           /* the file exists */
	int valid;                             /* id numeric and password present */
};
/* Reads <config_dir>/license.cfg; a malformed id logs the guide's ERROR line.
 * Returns 0 when valid, WHORL_ENODATA when missing, WHORL_ECONFIG when malformed. */
int license_load(struct license *l, const char *config_dir, const struct logger *lg);

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
/* Built-in defaults: spam, bulk, phishing, virus (7/0 virus/undefined),
 * malware, fraud, legit; see etc/categories. */
void categories_defaults(struct categories *cats);
/* Parses a categories file; returns 0 or WHORL_EFORMAT (then *cats is unchanged). */
int categories_parse(struct categories *cats, const char *buf, size_t len);
/* Name of category/subcategory; "unknown" when absent. sub may be NULL. */
const char *categories_name(const struct categories *cats, unsigned category,
                            unsigned subcategory, const char **sub_name);
/* Number of a category name ("virus" -> 7); -1 when unknown. */
int categories_lookup(const struct categories *cats, const char *name);

#endif
