/*
 * cfg_internal.h - helpers shared by the cfg/ files; not part of cfg.h.
 *
 * cfg_value.c checks single values (booleans, bounded integers, host names,
 * proxies, credentials, paths); cfg_keys.c maps each cartridge.cfg key to
 * its handler. Nothing here logs except cfg_key_apply().
 */
#ifndef WHORL_CFG_INTERNAL_H
#define WHORL_CFG_INTERNAL_H

#include <stddef.h>

#include "cfg.h"

#define CFG_MODULE "CONFIG"                   /* module tag of every line logged here */
#define CFG_MAX_INTERVAL_HOURS 8760           /* "micro-update interval": at most one year */
#define CFG_MAX_TIMEOUT 3600                  /* "micro-update timeout": at most one hour */
#define CFG_MAX_TRIAL 2592000u                /* "micro-update trial period": at most 30 days */
#define CFG_MAX_BODY_LENGTH ((size_t)1 << 40) /* "max body length": at most 1 TiB */
#define CFG_DEFAULT_PROXY_PORT 80             /* "http proxy" written as host or host: */

/* 1 or 0 for yes/no/1/0/true/false/on/off (any case); -1 otherwise. */
int cfg_value_bool(const char *v);

/* Decimal digits only, value in [lo, hi]; 0 and *out set, or -1. */
int cfg_value_uint(const char *v, unsigned long long lo, unsigned long long hi,
                   unsigned long long *out);

/* 1 when s is a plausible host name or IP literal (letters, digits, '.',
 * '-', '_', ':' for IPv6; 1..253 bytes); 0 otherwise. */
int cfg_value_hostname_ok(const char *s);

/* Parses "host[:port]" ("[v6]:port" too) into out as "host:port" (port
 * CFG_DEFAULT_PROXY_PORT when omitted). Returns NULL, or the reason it is
 * invalid in the guide's words ("must be of the form host:port", ...). */
const char *cfg_value_proxy(const char *v, char *out, size_t out_size);

/* Checks n_parts non-empty parts separated by ':' with no ':' inside a part.
 * Returns NULL, or why it is invalid. */
const char *cfg_value_credentials(const char *v, int n_parts);

/* Writes into out what may be logged of a credential value: everything up
 * to the (n_parts-1)th ':' followed by "****", so passwords never reach
 * the log. */
void cfg_value_redact(const char *v, int n_parts, char *out, size_t out_size);

/* Path for v: config_dir for "." (the guide's default), v itself when it
 * starts with '/', else <config_dir>/<v>. Returns 0, or -1 when it does not fit in out. */
int cfg_path_resolve(const char *config_dir, const char *v, char *out, size_t out_size);

/* Applies one normalised key (lower case, single spaces) and its value
 * (trimmed, quotes stripped) to c, logging what the guide says for invalid,
 * deprecated and unknown keys. */
void cfg_key_apply(struct cfg *c, const char *key, const char *value, const struct logger *lg);

#endif
