/*
 * main.c - whorl-update: fetch micro-updates from the command line or cron,
 * like freshclam.
 *
 *   whorl-update --config-dir DIR [--cartridge PATH] [--once] [-v]
 *
 * Opens the cartridge on DIR through libwhorl (which loads the cache and,
 * as configured, starts the engine's update thread), runs one update cycle
 * with whorl_host_update_now() and reports the serial in use. With --once
 * it exits; without, it keeps the engine open so its update thread polls
 * the mirror, until SIGINT or SIGTERM. Log lines go to stderr (INFO and up
 * with -v, WARN and up otherwise).
 * Exit status: 0 a verified set is loaded, 1 usage or open error, 2 nothing
 * usable could be loaded (no network set and no cached one).
 * Not for: update logic (the cartridge) or publishing (whorl-publish).
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "whorl.h"

struct update_opts {
	const char *config_dir;
	const char *cartridge;
	int once;
	int verbose;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	stop_requested = sig;
}

static void update_log(void *ctx, int level, const char *module, const char *message)
{
	static const char *const names[] = { "DEBUG", "INFO", "WARN", "ERROR", "CRITICAL" };

	fprintf(stderr, "%s:%s: %s\n",
	        level >= 0 && level <= WHORL_LOG_CRITICAL ? names[level] : "LOG", module, message);
}

static int usage(void)
{
	fprintf(stderr, "usage: whorl-update --config-dir DIR [--cartridge PATH] [--once] [-v]\n");
	return 1;
}

static int parse_args(int argc, char **argv, struct update_opts *o)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config-dir") == 0 && i + 1 < argc)
			o->config_dir = argv[++i];
		else if (strcmp(argv[i], "--cartridge") == 0 && i + 1 < argc)
			o->cartridge = argv[++i];
		else if (strcmp(argv[i], "--once") == 0)
			o->once = 1;
		else if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0)
			o->verbose = 1;
		else
			return -1;
	}
	return o->config_dir ? 0 : -1;
}

/* The complete serial of the sigs in use; line gets "mu sigs serial = C.I"
 * and, when the cartridge reports it, the "snapshot digest = <hex>" line
 * (tests compare it across refused updates). */
static uint64_t sigs_serial(whorl_host *h, char *line, size_t len)
{
	char serial[48] = "", digest[72] = "";
	unsigned long long c = 0, i = 0;

	snprintf(line, len, "mu sigs serial = 0.0");
	if (whorl_host_stat(h, "mu sigs serial", serial, sizeof(serial)) != 0 ||
	    sscanf(serial, "%llu.%llu", &c, &i) != 2)
		return 0;
	whorl_host_stat(h, "snapshot digest", digest, sizeof(digest));
	snprintf(line, len, "mu sigs serial = %llu.%llu%s%s", c, i,
	         digest[0] ? "\nsnapshot digest = " : "", digest);
	return c;
}

static void wait_for_signal(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stop_requested)
		pause();
}

int main(int argc, char **argv)
{
	struct update_opts o = { 0 };
	struct whorl_host_options ho = { .size = sizeof ho };
	char err[512], line[192];
	whorl_host *h = NULL;
	int rc;

	if (parse_args(argc, argv, &o) != 0)
		return usage();
	ho.config_dir = o.config_dir;
	ho.cartridge_path = o.cartridge;
	ho.log = update_log;
	ho.log_min_level = o.verbose ? WHORL_LOG_INFO : WHORL_LOG_WARN;
	ho.app_name = "whorl-update";
	if ((rc = whorl_host_open(&ho, &h, err, sizeof err)) != 0) {
		fprintf(stderr, "whorl-update: %s\n", err);
		return 1;
	}
	rc = whorl_host_update_now(h);
	if (rc != 0 && rc != WHORL_ENODATA)
		fprintf(stderr, "whorl-update: update cycle failed: %s\n", whorl_strerror(rc));
	if (sigs_serial(h, line, sizeof line) == 0) {
		fprintf(stderr, "whorl-update: nothing usable could be loaded\n");
		whorl_host_close(h);
		return 2;
	}
	printf("%s\n", line);
	fflush(stdout);
	if (!o.once)
		wait_for_signal();
	whorl_host_close(h);
	return 0;
}
