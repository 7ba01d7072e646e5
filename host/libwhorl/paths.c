/*
 * paths.c - where a host finds cartridge.so and its configuration by default.
 *
 * The environment variables WHORL_CARTRIDGE and WHORL_CONFIG_DIR win when
 * set. Otherwise the paths are relative to the running program's prefix
 * (the parent of the directory /proc/self/exe is in):
 *   cartridge: PREFIX/lib/cartridge.so if it exists, else
 *              PREFIX/lib/whorl/cartridge.so if it exists, else the first;
 *   config:    PREFIX/etc if it holds cartridge.cfg, else PREFIX/etc/whorl
 *              if it holds cartridge.cfg or is a directory, else PREFIX/etc.
 * Computed once per process. Not for: rollback state directories.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "whorl.h"

static pthread_once_t paths_once = PTHREAD_ONCE_INIT;
static char paths_cartridge[PATH_MAX];
static char paths_config[PATH_MAX];

/* out = a + b; an over-long result is left empty (it then names nothing). */
static void paths_join(char *out, size_t len, const char *a, const char *b)
{
	if ((size_t)snprintf(out, len, "%s%s", a, b) >= len)
		out[0] = '\0';
}

/* PREFIX: /proc/self/exe minus its last two components ("." if unknown). */
static void paths_prefix(char *out, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;
	int i;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		snprintf(out, len, "..");
		return;
	}
	exe[n] = '\0';
	for (i = 0; i < 2; i++) {
		slash = strrchr(exe, '/');
		if (slash == NULL) {
			snprintf(out, len, "..");
			return;
		}
		*slash = '\0';
	}
	paths_join(out, len, exe[0] != '\0' ? exe : "/", "");
}

static int paths_is_file(const char *dir, const char *name)
{
	char p[PATH_MAX];
	struct stat st;

	if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, name) >= sizeof(p))
		return 0;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int paths_is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void paths_compute(void)
{
	char prefix[PATH_MAX], etc[PATH_MAX], etc_whorl[PATH_MAX];

	paths_prefix(prefix, sizeof(prefix));
	paths_join(etc, sizeof(etc), prefix, "/etc");
	paths_join(etc_whorl, sizeof(etc_whorl), prefix, "/etc/whorl");
	if (!paths_is_file(prefix, "lib/cartridge.so") &&
	    paths_is_file(prefix, "lib/whorl/cartridge.so"))
		paths_join(paths_cartridge, sizeof(paths_cartridge), prefix,
		           "/lib/whorl/cartridge.so");
	else
		paths_join(paths_cartridge, sizeof(paths_cartridge), prefix, "/lib/cartridge.so");
	if (paths_is_file(etc, "cartridge.cfg"))
		paths_join(paths_config, sizeof(paths_config), etc, "");
	else if (paths_is_file(etc_whorl, "cartridge.cfg") || paths_is_dir(etc_whorl))
		paths_join(paths_config, sizeof(paths_config), etc_whorl, "");
	else
		paths_join(paths_config, sizeof(paths_config), etc, "");
}

const char *whorl_default_cartridge_path(void)
{
	const char *env = getenv("WHORL_CARTRIDGE");

	if (env != NULL && *env != '\0')
		return env;
	pthread_once(&paths_once, paths_compute);
	return paths_cartridge;
}

const char *whorl_default_config_dir(void)
{
	const char *env = getenv("WHORL_CONFIG_DIR");

	if (env != NULL && *env != '\0')
		return env;
	pthread_once(&paths_once, paths_compute);
	return paths_config;
}
