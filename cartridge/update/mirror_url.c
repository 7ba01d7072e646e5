/*
 * mirror_url.c - where the mirror is: the URL the configuration names
 * (`micro-update url`, else hostname and port), whether it is reached over
 * the network, and the directory of a file:// one. Shared by the loader,
 * the transport and the engine, so none of them needs another for it.
 *
 * Not for: reading the mirror (loader.c, net_read.c).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "update.h"

#define FILE_URL_PREFIX "file://"

void update_mirror_url(const struct cfg *cfg, char *buf, size_t len)
{
	if (cfg->mu_url[0])
		snprintf(buf, len, "%s", cfg->mu_url);
	else
		snprintf(buf, len, "http://%s:%d/", cfg->mu_hostname, cfg->mu_port);
}

int update_mirror_is_network(const struct cfg *cfg)
{
	return cfg->mu_url[0] == '\0' || strncasecmp(cfg->mu_url, "http://", 7) == 0 ||
	       strncasecmp(cfg->mu_url, "https://", 8) == 0;
}

const char *update_mirror_file_dir(const struct cfg *cfg)
{
	const char *url = cfg->mu_url;

	if (strncmp(url, FILE_URL_PREFIX, strlen(FILE_URL_PREFIX)) != 0)
		return NULL;
	url += strlen(FILE_URL_PREFIX);
	if (strncmp(url, "localhost/", 10) == 0)
		url += 9;
	return url[0] == '/' ? url : NULL;
}
