/*
 * cfg_value.c - checks and converts single cartridge.cfg values.
 *
 * Every function reads a NUL-terminated value of at most CFG_MAX_LINE bytes
 * and writes only into buffers whose size it is given. They never log: the
 * caller (cfg_keys.c) knows which key and which guide text applies.
 *
 * Not for: splitting lines or keys (cfg.c).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cfg_internal.h"

int cfg_value_bool(const char *v)
{
	static const char *const yes[] = { "yes", "1", "true", "on" };
	static const char *const no[] = { "no", "0", "false", "off" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return 1;
		if (strcasecmp(v, no[i]) == 0)
			return 0;
	}
	return -1;
}

int cfg_value_uint(const char *v, unsigned long long lo, unsigned long long hi,
                   unsigned long long *out)
{
	unsigned long long n = 0;

	if (*v == '\0')
		return -1;
	for (const char *p = v; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		/* Stop before overflow: anything past hi is invalid anyway. */
		if (n > hi)
			return -1;
		n = n * 10 + (unsigned)(*p - '0');
	}
	if (n < lo || n > hi)
		return -1;
	*out = n;
	return 0;
}

static int cfg_host_char_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '.' || ch == '-' || ch == '_' || ch == ':';
}

int cfg_value_hostname_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!cfg_host_char_ok(s[i]))
			return 0;
	return 1;
}

/* Splits "[v6]:port" or "host:port" or "host" into host and port text. */
static const char *cfg_proxy_split(const char *v, char *host, size_t host_size, const char **port)
{
	const char *end;
	size_t n;

	*port = NULL;
	if (v[0] == '[') {
		end = strchr(v, ']');
		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			return "must be of the form host:port";
		n = (size_t)(end - v - 1);
		v++;
		if (end[1] == ':')
			*port = end + 2;
	} else {
		end = strchr(v, ':');
		if (end != NULL && strchr(end + 1, ':') != NULL)
			return "must be of the form host:port";
		n = end != NULL ? (size_t)(end - v) : strlen(v);
		if (end != NULL)
			*port = end + 1;
	}
	if (n == 0 || n >= host_size)
		return "must be of the form host:port";
	memcpy(host, v, n);
	host[n] = '\0';
	if (!cfg_value_hostname_ok(host))
		return "must be of the form host:port";
	return NULL;
}

const char *cfg_value_proxy(const char *v, char *out, size_t out_size)
{
	char host[256];
	const char *port_text, *why;
	unsigned long long port = CFG_DEFAULT_PROXY_PORT;
	int n;

	/* "http://host:port" is a URL, not the host:port the guide asks for. */
	if (strstr(v, "://") != NULL)
		return "must be of the form host:port";
	why = cfg_proxy_split(v, host, sizeof(host), &port_text);
	if (why != NULL)
		return why;
	if (port_text != NULL && *port_text != '\0' &&
	    cfg_value_uint(port_text, 1, 65535, &port) != 0)
		return "port must be in the range 1-65535";
	if (strchr(host, ':') != NULL)
		n = snprintf(out, out_size, "[%s]:%llu", host, port);
	else
		n = snprintf(out, out_size, "%s:%llu", host, port);
	if (n < 0 || (size_t)n >= out_size)
		return "too long";
	return NULL;
}

const char *cfg_value_credentials(const char *v, int n_parts)
{
	int parts = 1;
	size_t part_len = 0;

	for (const char *p = v; *p != '\0'; p++) {
		if (*p != ':') {
			part_len++;
			continue;
		}
		if (part_len == 0)
			return "empty part";
		parts++;
		part_len = 0;
	}
	if (part_len == 0)
		return "empty part";
	if (parts != n_parts)
		return n_parts == 2 ? "must be of the form user:password"
		                    : "must be of the form domain:username:password";
	return NULL;
}

void cfg_value_redact(const char *v, int n_parts, char *out, size_t out_size)
{
	size_t keep = 0;
	int colons = 0;

	for (; v[keep] != '\0'; keep++) {
		if (v[keep] == ':' && ++colons == n_parts - 1) {
			keep++;
			break;
		}
	}
	if (colons < n_parts - 1) {
		/* No password part can be told apart: show nothing of it. */
		snprintf(out, out_size, "****");
		return;
	}
	snprintf(out, out_size, "%.*s****", (int)keep, v);
}

int cfg_path_resolve(const char *config_dir, const char *v, char *out, size_t out_size)
{
	int n;

	if (strcmp(v, ".") == 0 || strcmp(v, "./") == 0)
		n = snprintf(out, out_size, "%s", config_dir);
	else if (v[0] == '/')
		n = snprintf(out, out_size, "%s", v);
	else
		n = snprintf(out, out_size, "%s/%s", config_dir, v);
	if (n < 0 || (size_t)n >= out_size)
		return -1;
	return 0;
}
