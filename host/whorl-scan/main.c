/*
 * main.c - whorl-scan: score files, directories, mbox files and maildirs.
 *
 * Opens the cartridge through libwhorl, walks the inputs into a job list,
 * scans it on -j threads and prints one result per message in input order.
 * Exit status: 0 everything was scanned, 1 usage or configuration error
 * (including a refused cartridge), 2 some input could not be read or
 * scanned (each is named on stderr; the others are still scanned).
 * Not for: scan logic (the cartridge) or loading rules (libwhorl).
 */
#include <stdio.h>
#include <string.h>

#include "scan.h"

struct scan_run {
	const struct scan_options *opts;
	const struct scan_list *list;
	struct output out;
	struct progress progress;
	size_t n_failed;
};

static const char *scan_level_name(int level)
{
	static const char *const names[] = { "DEBUG", "INFO", "WARN", "ERROR", "CRITICAL" };

	return level >= 0 && level <= WHORL_LOG_CRITICAL ? names[level] : "LOG";
}

/* "LEVEL:MODULE: message" on stderr, from any thread. */
static void scan_log(void *ctx, int level, const char *module, const char *message)
{
	const struct scan_run *run = ctx;

	flockfile(stderr);
	progress_clear(&run->progress);
	fprintf(stderr, "%s:%s: %s\n", scan_level_name(level), module, message);
	funlockfile(stderr);
}

static const char *scan_job_path(const struct scan_list *l, const struct scan_job *j)
{
	return j->source == SCAN_NO_SOURCE ? j->path : l->sources[j->source].path;
}

/* Prints one result (called in job order) and frees it. */
static void scan_emit(void *ctx, size_t i, struct scan_result *r)
{
	struct scan_run *run = ctx;
	const struct scan_job *j = &run->list->jobs[i];
	const char *path = scan_job_path(run->list, j);
	char name[4096];

	if (r->rc != 0) {
		flockfile(stderr);
		progress_clear(&run->progress);
		fprintf(stderr, "whorl-scan: %s: %s\n", output_job_name(j, path, name, sizeof(name)),
		        r->rc == WHORL_EIO && r->err_no != 0 ? strerror(r->err_no)
		                                              : whorl_strerror(r->rc));
		funlockfile(stderr);
		run->n_failed++;
	} else if (r->fps != NULL) {
		output_fpset(&run->out, j, path, r->fps);
	} else {
		output_verdict(&run->out, j, path, r->verdict);
	}
	whorl_host_fpset_free(run->out.h, r->fps);
	whorl_host_verdict_free(run->out.h, r->verdict);
	progress_update(&run->progress, i + 1);
}

static int scan_open(const struct scan_options *o, struct scan_run *run, whorl_host **h)
{
	struct whorl_host_options ho;
	char err[1024];
	int rc;

	memset(&ho, 0, sizeof(ho));
	ho.size = sizeof(ho);
	ho.cartridge_path = o->cartridge;
	ho.config_dir = o->config_dir;
	ho.state_dir = o->state_dir;
	ho.log = scan_log;
	ho.log_ctx = run;
	ho.log_min_level = o->verbose >= 2 ? WHORL_LOG_DEBUG
	                   : o->verbose == 1 ? WHORL_LOG_INFO
	                                     : WHORL_LOG_WARN;
	ho.app_name = "whorl-scan";
	rc = whorl_host_open(&ho, h, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "whorl-scan: %s\n", err);
	return rc;
}

static int scan_run_all(const struct scan_options *o, struct scan_run *run, whorl_host *h,
                        struct scan_list *l)
{
	int rc;

	rc = walk_paths(l, o->paths, o->n_paths);
	if (rc != 0) {
		fprintf(stderr, "whorl-scan: %s\n", whorl_strerror(rc));
		return SCAN_EXIT_UNREADABLE;
	}
	run->list = l;
	run->out.f = stdout;
	run->out.h = h;
	run->out.json = o->json;
	run->out.minimum_score = o->minimum_score;
	progress_init(&run->progress, l->n_jobs);
	rc = pool_run(h, l, o->jobs, o->fingerprints, scan_emit, run);
	progress_finish(&run->progress);
	if (rc != 0)
		fprintf(stderr, "whorl-scan: %s\n", whorl_strerror(rc));
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "whorl-scan: error writing the results\n");
		rc = WHORL_EIO;
	}
	if (rc != 0 || l->n_unreadable > 0 || run->n_failed > 0)
		return SCAN_EXIT_UNREADABLE;
	return SCAN_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct scan_options o;
	struct scan_run run;
	struct scan_list l;
	whorl_host *h = NULL;
	int rc;

	rc = args_parse(argc, argv, &o);
	if (rc != ARGS_RUN)
		return rc == ARGS_EXIT_OK ? SCAN_EXIT_OK : SCAN_EXIT_USAGE;
	memset(&run, 0, sizeof(run));
	memset(&l, 0, sizeof(l));
	run.opts = &o;
	if (scan_open(&o, &run, &h) != 0)
		return SCAN_EXIT_USAGE;
	rc = scan_run_all(&o, &run, h, &l);
	whorl_host_close(h);
	walk_list_free(&l);
	return rc;
}
