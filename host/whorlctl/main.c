/*
 * main.c - whorlctl: talks to the control socket of whorld or whorl-milter.
 *
 *   whorlctl [-c FILE.cfg] [-s SOCKET] [-u REPORTER] version | status | stats
 *            | reload | update-now | swap PATH | report spam|ham FILE
 *
 * "report" records FILE as spam or not spam (ham) in the daemon's feedback
 * spool (docs/FEEDBACK.md); the reporter is -u, else the login name of
 * whoever runs whorlctl. The daemon reads FILE itself.
 * The socket is -s, else "control socket" of the daemon's configuration
 * (-c whorld.cfg or -c whorl-milter.cfg; default: the configuration
 * directory's whorld.cfg); only that key is read from the file. PATH is made absolute here
 * (realpath), so whorld never reads a path relative to its own directory.
 * Prints the reply's text; exit 0 when whorld answered OK, 1 when it
 * refused (its reason on stderr), 2 when it could not be asked.
 * Not for: the wire format (libwhorl's whorl_ctl_*).
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "whorl_daemon.h"

#define CTL_EXIT_OK 0
#define CTL_EXIT_REFUSED 1
#define CTL_EXIT_UNREACHABLE 2
#define CTL_TIMEOUT_MS 120000 /* a swap self-tests a cartridge; allow for it */

static const struct {
	const char *word, *line;
	int n_args;
} ctl_cmds[] = {
	{ "version", "VERSION", 0 }, { "status", "STATUS", 0 },         { "stats", "STATS", 0 },
	{ "reload", "RELOAD", 0 },   { "update-now", "UPDATE-NOW", 0 }, { "swap", "SWAP", 1 },
	{ "report", "REPORT", 2 },
};

static int ctl_usage(void)
{
	fprintf(
	    stderr,
	    "usage: whorlctl [-c whorld.cfg|whorl-milter.cfg] [-s SOCKET] [-u REPORTER] version | status "
	    "| stats | reload | update-now | swap PATH | report spam|ham FILE\n");
	return CTL_EXIT_UNREACHABLE;
}

/* A whorl_dcfg_extra_fn: every key but "control socket" is the daemon's
 * business, not whorlctl's. */
static int ctl_cfg_key(void *ctx, const char *key, const char *value, char *why, size_t why_len)
{
	(void)ctx, (void)value, (void)why, (void)why_len;
	return strcmp(key, "control socket") == 0 ? WHORL_DCFG_NOT_MINE : 0;
}

/* The control socket: -s, else the configuration file's. */
static int ctl_socket(const char *sock, const char *cfg_path, char *out, size_t len)
{
	struct whorl_dcfg c;
	char def[WHORL_DCFG_PATH_MAX + 16];

	if (sock != NULL) {
		snprintf(out, len, "%s", sock);
		return 0;
	}
	if (cfg_path == NULL) {
		snprintf(def, sizeof(def), "%s/whorld.cfg", whorl_default_config_dir());
		cfg_path = def;
	}
	whorl_dcfg_defaults(&c);
	if (whorl_dcfg_load_ext(cfg_path, &c, ctl_cfg_key, NULL, NULL) != 0 ||
	    c.control_socket[0] == '\0') {
		fprintf(stderr,
		        "whorlctl: no control socket: set \"control socket\" in %s or use -s\n",
		        cfg_path);
		return -1;
	}
	snprintf(out, len, "%s", c.control_socket);
	return 0;
}

/* The reporter's id: -u, else the login name of the user running us. */
static const char *ctl_reporter(const char *given, char *buf, size_t len)
{
	const struct passwd *pw = getpwuid(getuid());

	if (given != NULL && given[0] != '\0' && strpbrk(given, " \t\r\n") == NULL)
		return given;
	if (pw != NULL && pw->pw_name != NULL)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "uid-%lu", (unsigned long)getuid());
	return buf;
}

/* The request line for argv[optind...]. */
static int ctl_line(int argc, char **argv, const char *reporter, char *line, size_t len)
{
	char abs[PATH_MAX], who[128];
	const char *path;
	int n;

	for (size_t i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++) {
		if (strcmp(argv[0], ctl_cmds[i].word) != 0)
			continue;
		if (argc != 1 + ctl_cmds[i].n_args)
			return -1;
		if (ctl_cmds[i].n_args == 0) {
			snprintf(line, len, "%s", ctl_cmds[i].line);
			return 0;
		}
		path = argv[ctl_cmds[i].n_args];
		if (realpath(path, abs) == NULL) {
			fprintf(stderr, "whorlctl: %s: %s\n", path, strerror(errno));
			return -2;
		}
		if (ctl_cmds[i].n_args == 1)
			n = snprintf(line, len, "%s %s", ctl_cmds[i].line, abs);
		else
			n = snprintf(line, len, "%s %s %s %s", ctl_cmds[i].line, argv[1],
			             ctl_reporter(reporter, who, sizeof(who)), abs);
		if (n < 0 || (size_t)n >= len) {
			fprintf(stderr, "whorlctl: %s: path too long\n", path);
			return -2;
		}
		return 0;
	}
	return -1;
}

int main(int argc, char **argv)
{
	const char *sock = NULL, *cfg_path = NULL, *reporter = NULL;
	char path[WHORL_DCFG_PATH_MAX], line[WHORL_CTL_LINE_MAX + 16], *reply = NULL, *body;
	int opt, rc;

	while ((opt = getopt(argc, argv, "c:s:u:")) != -1) {
		if (opt == 'c')
			cfg_path = optarg;
		else if (opt == 's')
			sock = optarg;
		else if (opt == 'u')
			reporter = optarg;
		else
			return ctl_usage();
	}
	if (optind >= argc)
		return ctl_usage();
	rc = ctl_line(argc - optind, argv + optind, reporter, line, sizeof(line));
	if (rc != 0)
		return rc == -1 ? ctl_usage() : CTL_EXIT_REFUSED;
	if (ctl_socket(sock, cfg_path, path, sizeof(path)) != 0)
		return CTL_EXIT_UNREACHABLE;
	if (whorl_ctl_request(path, line, CTL_TIMEOUT_MS, &reply) != 0) {
		fprintf(stderr, "whorlctl: %s: %s\n", path, strerror(errno));
		return CTL_EXIT_UNREACHABLE;
	}
	body = strchr(reply, '\n');
	body = body != NULL ? body + 1 : reply + strlen(reply);
	if (strncmp(reply, "OK\n", 3) == 0) {
		fputs(body, stdout);
		rc = CTL_EXIT_OK;
	} else {
		fprintf(stderr, "whorlctl: %.*s\n", (int)strcspn(reply, "\n"),
		        strncmp(reply, "ERR ", 4) == 0 ? reply + 4 : reply);
		rc = CTL_EXIT_REFUSED;
	}
	free(reply);
	return fflush(stdout) == 0 ? rc : CTL_EXIT_REFUSED;
}
