/*
 * args.c - whorl-scan's command line.
 *
 * Parses options into struct scan_options and prints usage, help and
 * version. Not for: opening anything.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan.h"

enum {
	OPT_CONFIG_DIR = 256,
	OPT_CARTRIDGE,
	OPT_STATE_DIR,
	OPT_JSON,
	OPT_FINGERPRINTS,
	OPT_MIN_SCORE,
	OPT_TRIAL_MS,
	OPT_VERSION
};

static const struct option args_long[] = {
	{ "config-dir", required_argument, NULL, OPT_CONFIG_DIR },
	{ "cartridge", required_argument, NULL, OPT_CARTRIDGE },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "trial-ms", required_argument, NULL, OPT_TRIAL_MS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "jobs", required_argument, NULL, 'j' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "fingerprints", no_argument, NULL, OPT_FINGERPRINTS },
	{ "minimum-score", required_argument, NULL, OPT_MIN_SCORE },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static void args_usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: whorl-scan [--config-dir DIR] [--cartridge PATH] [--state-dir DIR [--trial-ms N]]\n"
	    "                  [--json] [-j N] [-v]\n"
	    "                  [--fingerprints] [--minimum-score N] PATH...\n"
	    "Scores each message in PATH (files, mbox files, directories, maildirs; - is\n"
	    "standard input) and prints one line per message:\n"
	    "  PATH<TAB>score<TAB>category/subcategory<TAB>rescan<TAB>analysis\n"
	    "  --config-dir DIR     configuration directory (default: %s)\n"
	    "  --cartridge PATH     cartridge to load (default: %s)\n"
	    "  --state-dir DIR      keep crash-rollback state in DIR (docs/HOSTING.md)\n"
	    "  --trial-ms N         clean run a new cartridge needs to become the last\n"
	    "                       viable one (1-%ld ms; default: libwhorl's 10 minutes)\n"
	    "  --json               one JSON object per line\n"
	    "  -j, --jobs N         scan on N threads (1-%d; default: CPUs online)\n"
	    "  -v, --verbose        log INFO lines to stderr (-vv: DEBUG)\n"
	    "  --fingerprints       print fingerprints instead of scoring\n"
	    "  --minimum-score N    is_spam when score >= N (0-100)\n"
	    "Exit: 0 all scanned, 1 usage or configuration error, 2 some input unreadable.\n",
	    whorl_default_config_dir(), whorl_default_cartridge_path(), SCAN_MAX_TRIAL_MS,
	    SCAN_MAX_JOBS);
}

/* Parses a decimal in [lo, hi]; -1 when it is not one. */
static long args_number(const char *s, long lo, long hi)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < lo || v > hi)
		return -1;
	return v;
}

static int args_default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > SCAN_MAX_JOBS ? SCAN_MAX_JOBS : (int)n;
}

static int args_bad(const char *what, const char *value)
{
	fprintf(stderr, "whorl-scan: invalid %s '%s'\n", what, value);
	args_usage(stderr);
	return ARGS_EXIT_USAGE;
}

int args_parse(int argc, char **argv, struct scan_options *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->jobs = args_default_jobs();
	o->minimum_score = -1;
	while ((c = getopt_long(argc, argv, "j:vh", args_long, NULL)) != -1) {
		switch (c) {
		case OPT_CONFIG_DIR: o->config_dir = optarg; break;
		case OPT_CARTRIDGE: o->cartridge = optarg; break;
		case OPT_STATE_DIR: o->state_dir = optarg; break;
		case OPT_JSON: o->json = 1; break;
		case OPT_FINGERPRINTS: o->fingerprints = 1; break;
		case 'v': o->verbose++; break;
		case 'j':
			o->jobs = (int)args_number(optarg, 1, SCAN_MAX_JOBS);
			if (o->jobs < 0)
				return args_bad("number of jobs", optarg);
			break;
		case OPT_TRIAL_MS:
			o->trial_ms = args_number(optarg, 1, SCAN_MAX_TRIAL_MS);
			if (o->trial_ms < 0)
				return args_bad("trial length", optarg);
			break;
		case OPT_MIN_SCORE:
			o->minimum_score = (int)args_number(optarg, 0, 100);
			if (o->minimum_score < 0)
				return args_bad("minimum score", optarg);
			break;
		case 'h': args_usage(stdout); return ARGS_EXIT_OK;
		case OPT_VERSION: printf("whorl-scan %s\n", WHORL_VERSION); return ARGS_EXIT_OK;
		default: args_usage(stderr); return ARGS_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "whorl-scan: no PATH given\n");
		args_usage(stderr);
		return ARGS_EXIT_USAGE;
	}
	o->paths = argv + optind;
	o->n_paths = argc - optind;
	return ARGS_RUN;
}
