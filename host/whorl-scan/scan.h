/*
 * scan.h - the parts of whorl-scan and how they talk to each other.
 *
 * args.c parses the command line; libwhorl's mail reader (mail.h) turns the
 * paths into an ordered list of messages and reads each one; pool.c scores the jobs on N
 * threads and hands the results back in input order; output.c prints them;
 * progress.c draws the bar. main.c wires them together.
 * Not for: anything another program would need (that belongs in libwhorl).
 */
#ifndef WHORL_SCAN_H
#define WHORL_SCAN_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "whorl.h"
#include "../libwhorl/mail.h"

#define SCAN_MAX_JOBS 256           /* most worker threads -j accepts */
#define SCAN_MAX_TRIAL_MS 86400000L /* longest --trial-ms: one day */
#define SCAN_RING_PER_WORKER 16     /* results buffered per worker for reordering */
#define SCAN_OUTPUT_BUFFER 65536    /* stdout's buffer when it is not a terminal */

/* Exit statuses (documented in whorl-scan(1)). */
#define SCAN_EXIT_OK 0
#define SCAN_EXIT_USAGE 1
#define SCAN_EXIT_UNREADABLE 2

struct scan_options {
	const char *config_dir; /* NULL: libwhorl's default */
	const char *cartridge;  /* NULL: libwhorl's default */
	const char *state_dir;  /* NULL: no rollback state */
	long trial_ms;          /* 0: libwhorl's default trial length */
	int json;
	int jobs;
	int verbose; /* count of -v */
	int fingerprints;
	int minimum_score; /* -1: the cartridge's is_spam */
	char **paths;
	int n_paths;
};

/* args_parse results. */
#define ARGS_RUN 0
#define ARGS_EXIT_OK 1    /* --help or --version was printed */
#define ARGS_EXIT_USAGE 2 /* error printed */

int args_parse(int argc, char **argv, struct scan_options *o);

/* pool.c */
struct scan_result {
	int rc;       /* 0, or negative WHORL_E* */
	int err_no;   /* why reading failed (file_why_text) when rc != 0 */
	int several;  /* pool.c only: a job of several messages (or a large
	                 mbox to split), not scanned */
	size_t index; /* the message's name: mail_msg_name(index, path, ...) */
	struct whorl_verdict *verdict;
	struct whorl_fpset *fps;
};
typedef void (*pool_emit_fn)(void *ctx, size_t i, struct scan_result *r);
/* Scans every job (list entry) on n_workers threads and calls emit(ctx, i,
 * result) on the calling thread for each message of job i = 0, 1, ... in
 * order (once for a job that could not be read). emit owns the result. */
int pool_run(whorl_host *h, const struct mail_list *l, int n_workers, int fingerprints,
             pool_emit_fn emit, void *ctx);

/* output.c */
struct output {
	FILE *f;
	whorl_host *h;
	int json;
	int minimum_score;
};
/* name: the message's, from mail_msg_name(). */
void output_verdict(const struct output *o, const char *name, const struct whorl_verdict *v);
void output_fpset(const struct output *o, const char *name, const struct whorl_fpset *fps);

/* progress.c: a bar on stderr, only on a terminal and for more than one
 * message; at most PROGRESS_HZ redraws a second. */
#define PROGRESS_HZ 10
struct progress {
	int on;
	size_t total;
	struct timespec last;
};
void progress_init(struct progress *p, size_t total);
void progress_update(struct progress *p, size_t done);
void progress_clear(const struct progress *p);
void progress_finish(struct progress *p);

#endif
