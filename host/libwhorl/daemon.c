/*
 * daemon.c - what the mains of whorld and whorl-milter do alike: the
 * command line (-c FILE, -t, -V, -h and, for a daemon that detaches, -f),
 * opening the cartridge from the common keys of the configuration with
 * the log sink, and the pid file.
 * Not for: detaching, listening or signals (each daemon's own).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "whorl_daemon.h"

static void daemon_usage(FILE *f, const char *name, int with_foreground)
{
	fprintf(f,
	        "usage: %s %s[-t] [-c FILE]\n"
	        "  -c FILE  configuration (default: <config dir>/%s.cfg)\n"
	        "%s"
	        "  -t       check the configuration, the cartridge and its data, then exit\n"
	        "  -V       print the version\n",
	        name, with_foreground ? "[-f] " : "", name,
	        with_foreground ? "  -f       stay in the foreground, log to stderr\n" : "");
}

int whorl_daemon_args(int argc, char **argv, const char *name, int with_foreground,
                      struct whorl_daemon_args *a)
{
	int opt;

	memset(a, 0, sizeof(*a));
	optind = 1;
	while ((opt = getopt(argc, argv, with_foreground ? "c:ftVh" : "c:tVh")) != -1) {
		switch (opt) {
		case 'c':
			a->cfg_path = optarg;
			a->cfg_given = 1;
			break;
		case 'f': a->foreground = 1; break;
		case 't': a->check = 1; break;
		case 'V': printf("%s %s\n", name, WHORL_VERSION); return 0;
		case 'h': daemon_usage(stdout, name, with_foreground); return 0;
		default: daemon_usage(stderr, name, with_foreground); return -1;
		}
	}
	if (optind != argc) {
		daemon_usage(stderr, name, with_foreground);
		return -1;
	}
	if (a->cfg_path == NULL) {
		snprintf(a->default_path, sizeof(a->default_path), "%s/%s.cfg",
		         whorl_default_config_dir(), name);
		a->cfg_path = a->default_path;
	}
	return 1;
}

int whorl_daemon_host_open(const struct whorl_dcfg *c, const char *cartridge, const char *state_dir,
                           const char *app_name, whorl_host **out)
{
	struct whorl_host_options ho;
	char err[1024];
	int rc;

	memset(&ho, 0, sizeof(ho));
	ho.size = sizeof(ho);
	ho.cartridge_path = cartridge != NULL && cartridge[0] ? cartridge : NULL;
	ho.config_dir = c->cartridge_config_dir[0] ? c->cartridge_config_dir : NULL;
	ho.state_dir = state_dir != NULL && state_dir[0] ? state_dir : NULL;
	ho.trial_ms = c->cartridge_trial_ms;
	ho.log = whorl_dlog_cartridge;
	ho.log_min_level = c->log_level;
	ho.app_name = app_name;
	rc = whorl_host_open(&ho, out, err, sizeof(err));
	if (rc != 0) {
		whorl_dlog_write(WHORL_LOG_ERROR, "MAIN", "%s", err);
	} else {
		struct whorl_host_info info = { .size = sizeof(info) };

		whorl_host_info(*out, &info);
		whorl_dlog_write(WHORL_LOG_INFO, "MAIN", "cartridge %s (%s) loaded",
		                 info.cartridge_path, info.cartridge_version);
	}
	return rc;
}

void whorl_daemon_pid_file(const char *path, int create)
{
	FILE *f;

	if (path[0] == '\0')
		return;
	if (!create) {
		unlink(path);
		return;
	}
	f = fopen(path, "w");
	if (f == NULL || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0)
		whorl_dlog_write(WHORL_LOG_WARN, "MAIN", "pid file %s: %s", path, strerror(errno));
}
