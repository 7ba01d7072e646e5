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
#include <unistd.h>

#include "../../cartridge/util/file_read.h"
#include "scan.h"

/* stdout's buffer when it is not a terminal (see scan_run_all). */
static char scan_out_buf[SCAN_OUTPUT_BUFFER];

struct scan_run {
	const struct scan_options *opts;
	const struct mail_list *list;
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

/* The mail reader's report: an input that is skipped, named on stderr. */
static void scan_unreadable(void *ctx, const char *path, const char *why)
{
	const struct scan_run *run = ctx;

	flockfile(stderr);
	progress_clear(&run->progress);
	fprintf(stderr, "whorl-scan: %s: %s\n", path, why);
	funlockfile(stderr);
}

/* Prints one result (called in job order) and frees it. */
static void scan_emit(void *ctx, size_t i, struct scan_result *r)
{
	struct scan_run *run = ctx;
	const char *path = mail_msg_path(run->list, &run->list->msgs[i]);
	char buf[4096];
	const char *name = mail_msg_name(r->index, path, buf, sizeof(buf));

	if (r->rc != 0) {
		flockfile(stderr);
		progress_clear(&run->progress);
		fprintf(stderr, "whorl-scan: %s: %s\n", name,
		        r->err_no != 0 ? file_why_text(r->err_no) : whorl_strerror(r->rc));
		funlockfile(stderr);
		run->n_failed++;
	} else if (r->fps != NULL) {
		output_fpset(&run->out, name, r->fps);
	} else {
		output_verdict(&run->out, name, r->verdict);
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
	ho.trial_ms = (uint32_t)o->trial_ms;
	ho.log = scan_log;
	ho.log_ctx = run;
	ho.log_min_level = o->verbose >= 2   ? WHORL_LOG_DEBUG
	                   : o->verbose == 1 ? WHORL_LOG_INFO
	                                     : WHORL_LOG_WARN;
	ho.app_name = "whorl-scan";
	rc = whorl_host_open(&ho, h, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "whorl-scan: %s\n", err);
	return rc;
}

static int scan_run_all(const struct scan_options *o, struct scan_run *run, whorl_host *h,
                        struct mail_list *l)
{
	int i, rc = 0;

	mail_list_init(l, scan_unreadable, run);
	for (i = 0; rc == 0 && i < o->n_paths; i++)
		rc = mail_list_add_path(l, o->paths[i]);
	if (rc != 0) {
		fprintf(stderr, "whorl-scan: %s\n", whorl_strerror(rc));
		return SCAN_EXIT_UNREADABLE;
	}
	run->list = l;
	/* A file or pipe gets big writes (stdio's default is st_blksize, 4 KiB:
	 * a write every dozen messages); a terminal keeps its line buffering.
	 * glibc ignores the size unless it is given the buffer. */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, scan_out_buf, _IOFBF, sizeof(scan_out_buf));
	run->out.f = stdout;
	run->out.h = h;
	run->out.json = o->json;
	run->out.minimum_score = o->minimum_score;
	progress_init(&run->progress, l->n_msgs);
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
	struct mail_list l;
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
	mail_list_free(&l);
	return rc;
}
