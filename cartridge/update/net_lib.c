/*
 * net_lib.c - libcurl opened the first time an engine talks to an http(s)
 * mirror or a statistics collector, and closed with the engine (net.h says
 * why it is not linked; util/dynlib.c does the opening). Opening runs
 * curl_global_init (libcurl counts its users, so engines side by side each
 * init and clean up once); without libcurl network updates and statistics
 * reports fail, each with its usual log line.
 *
 * Not for: transfers (net.c, stats/post.c).
 */
#include <stddef.h>

#include "net.h"

/* Each member of struct net_curl and the symbol it is read from. */
static const struct dynlib_sym net_lib_syms[] = {
	{ "curl_global_init", offsetof(struct net_curl, global_init) },
	{ "curl_global_cleanup", offsetof(struct net_curl, global_cleanup) },
	{ "curl_easy_init", offsetof(struct net_curl, easy_init) },
	{ "curl_easy_setopt", offsetof(struct net_curl, easy_setopt) },
	{ "curl_easy_perform", offsetof(struct net_curl, easy_perform) },
	{ "curl_easy_getinfo", offsetof(struct net_curl, easy_getinfo) },
	{ "curl_easy_cleanup", offsetof(struct net_curl, easy_cleanup) },
	{ "curl_easy_strerror", offsetof(struct net_curl, easy_strerror) },
	{ "curl_slist_append", offsetof(struct net_curl, slist_append) },
	{ "curl_slist_free_all", offsetof(struct net_curl, slist_free_all) },
	{ "curl_url", offsetof(struct net_curl, url) },
	{ "curl_url_set", offsetof(struct net_curl, url_set) },
	{ "curl_url_get", offsetof(struct net_curl, url_get) },
	{ "curl_url_cleanup", offsetof(struct net_curl, url_cleanup) },
	{ "curl_free", offsetof(struct net_curl, free) },
};

static int net_lib_setup(const void *fns)
{
	const struct net_curl *curl = fns;

	return curl->global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static void net_lib_teardown(const void *fns)
{
	const struct net_curl *curl = fns;

	curl->global_cleanup();
}

static const struct dynlib_spec net_lib_spec = {
	.soname = NET_LIB_SONAME,
	.syms = net_lib_syms,
	.n_syms = sizeof(net_lib_syms) / sizeof(net_lib_syms[0]),
	.on_open = net_lib_setup,
	.on_close = net_lib_teardown,
	.module = "MICROUPDATE",
	.without = "micro-updates over http(s) are not fetched, statistics reports not sent",
};

void net_lib_init(struct net_lib *n, const struct logger *lg)
{
	dynlib_init(&n->lib, &net_lib_spec, &n->fns, lg);
}

const struct net_curl *net_lib_get(struct net_lib *n)
{
	return n != NULL ? dynlib_get(&n->lib) : NULL;
}

void net_lib_close(struct net_lib *n)
{
	dynlib_close(&n->lib);
}
