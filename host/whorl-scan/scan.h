/*
 * scan.h - the parts of whorl-scan and how they talk to each other.
 *
 * args.c parses the command line; walk.c and mbox.c turn the paths into an
 * ordered list of jobs (one per message); pool.c scores the jobs on N
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

#define SCAN_MAX_JOBS 256            /* most worker threads -j accepts */
#define SCAN_MMAP_MIN (1u << 20)     /* files this large are mmap'd, not read */
#define SCAN_RING_PER_WORKER 16      /* results buffered per worker for reordering */
#define SCAN_NO_SOURCE ((size_t)-1)  /* job reads its own file */

/* Exit statuses (documented in whorl-scan(1)). */
#define SCAN_EXIT_OK 0
#define SCAN_EXIT_USAGE 1
#define SCAN_EXIT_UNREADABLE 2

struct scan_options {
	const char *config_dir;     /* NULL: libwhorl's default */
	const char *cartridge;      /* NULL: libwhorl's default */
	const char *state_dir;      /* NULL: no rollback state */
	int json;
	int jobs;
	int verbose;                /* count of -v */
	int fingerprints;
	int minimum_score;          /* -1: the cartridge's is_spam */
	char **paths;
	int n_paths;
};

/* args_parse results. */
#define ARGS_RUN 0
#define ARGS_EXIT_OK 1             /* --help or --version was printed */
#define ARGS_EXIT_USAGE 2          /* error printed */

int args_parse(int argc, char **argv, struct scan_options *o);

/* A file held in memory (an mbox, or standard input) that jobs point into. */
struct scan_source {
	char *path;
	char *data;
	size_t len;
	int mapped;                 /* data is an mmap of len bytes, else malloc'd */
};

/* One message to scan. */
struct scan_job {
	char *path;                 /* owned when source == SCAN_NO_SOURCE */
	size_t source;              /* index into sources, or SCAN_NO_SOURCE */
	size_t index;               /* 1-based message number in an mbox, 0 if none */
	size_t off, len;            /* the message within the source */
};

struct scan_list {
	struct scan_job *jobs;
	size_t n_jobs, cap_jobs;
	struct scan_source *sources;
	size_t n_sources, cap_sources;
	size_t n_unreadable;        /* inputs named on stderr as unreadable */
};

/* walk.c: appends the jobs of every path, in order. Unreadable inputs are
 * named on stderr and counted; returns WHORL_ENOMEM only. */
int walk_paths(struct scan_list *l, char *const *paths, int n_paths);
void walk_list_free(struct scan_list *l);
int walk_job_add(struct scan_list *l, const struct scan_job *j);

/* mbox.c */
int mbox_looks_like(const char *p, size_t len);
/* Adds one job per message of source `s` (which starts with "From "). */
int mbox_split(struct scan_list *l, size_t s);
/* Copies src to dst (room for len bytes) removing one '>' from lines that
 * match ^>+From ; returns the bytes written. */
size_t mbox_unescape(const char *src, size_t len, char *dst);

/* read.c: one reusable buffer per worker thread. */
struct scan_buf {
	char *buf;
	size_t cap;
	void *map;                  /* a large file's mapping, until read_release */
	size_t map_len;
};
/* Points msg and len at job j's bytes (in b, in a source, or mapped).
 * Returns 0, or WHORL_EIO with *err_no set, or WHORL_ENOMEM. */
int read_job(const struct scan_list *l, const struct scan_job *j, struct scan_buf *b,
             const char **msg, size_t *len, int *err_no);
void read_release(struct scan_buf *b);
void read_buf_free(struct scan_buf *b);

/* pool.c */
struct scan_result {
	int rc;                     /* 0, or negative WHORL_E* */
	int err_no;                 /* errno when rc == WHORL_EIO */
	struct whorl_verdict *verdict;
	struct whorl_fpset *fps;
};
typedef void (*pool_emit_fn)(void *ctx, size_t i, struct scan_result *r);
/* Scans every job on n_workers threads and calls emit(ctx, i, result) on the
 * calling thread for i = 0, 1, ... in order. emit owns the result. */
int pool_run(whorl_host *h, const struct scan_list *l, int n_workers, int fingerprints,
             pool_emit_fn emit, void *ctx);

/* output.c */
struct output {
	FILE *f;
	whorl_host *h;
	int json;
	int minimum_score;
};
void output_verdict(const struct output *o, const struct scan_job *j, const char *path,
                    const struct whorl_verdict *v);
void output_fpset(const struct output *o, const struct scan_job *j, const char *path,
                  const struct whorl_fpset *fps);
/* "PATH" or "PATH:N" for messages of an mbox, into buf. */
const char *output_job_name(const struct scan_job *j, const char *path, char *buf, size_t len);

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
