/*
 * speed.c - the speed benchmark: scores in-memory messages through libwhorl
 * and prints figures, one per line, "name = value unit".
 *
 *   speed --config-dir DIR [--cartridge PATH] [--seconds S] [--one-thread]
 *         [--as-whorl-scan] PATH...
 *   speed --config-dir DIR [--cartridge PATH] --stats-only
 *
 * PATHs are message files or folders of them (read once, into memory).
 * --as-whorl-scan reads them with libwhorl's mail reader and scores them
 * without an envelope, as whorl-scan does (an mbox is split and the "From "
 * line of a file is not part of its message; with no envelope the engine
 * reads the client from the Received lines): the same engine work as a
 * whorl-scan run, for whole_process.sh. Without it every file is one
 * message, whole, scored with a fixed envelope (speed.sh's figures).
 * Figures: snapshot_load_time (whorl_host_open on DIR, i.e. cartridge load,
 * engine open and the update set read from the mirror), the cartridge's
 * stats_snapshot counts (known fingerprints and sketches, snapshot bytes),
 * RSS growth over the open, snapshot_reload_time (a second open, the cache
 * now current), single-thread msgs/s, MB/s and per-message latency
 * percentiles (after a first pass, whose rate is printed too), the same
 * rate with 2 threads and the scaling factor (also in
 * CPU time, and beside the machine's own 2-thread ceiling for private
 * integer work: the host may be shared), and peak RSS. --stats-only opens, prints the stats lines and stops
 * (speed.sh uses it to split snapshot bytes between exact fingerprints and
 * sketches). DIR is expected to say "favor analysis over speed = yes"
 * (speed.sh writes it).  --one-thread stops after the one-thread run (for
 * alternating A/B rounds of two cartridges).  Prints numbers; never passes or fails.
 *
 * Not for: accuracy (accuracy.sh).
 */
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "whorl.h"
#include "libwhorl/mail.h"

#define SPEED_MAX_MESSAGES 100000    /* messages held in memory */
#define SPEED_MAX_MESSAGE (8u << 20) /* larger files are skipped */
#define SPEED_THREADS 2
#define SPEED_MAX_LATENCIES 2000000 /* per-message timings kept (one thread) */

struct message {
	char *bytes;
	size_t len;
};

struct corpus {
	struct message *v;
	size_t n, cap, total_bytes;
	int no_envelope; /* --as-whorl-scan */
};

struct worker {
	whorl_host *host;
	const struct corpus *c;
	size_t first, step; /* messages first, first+step, ... */
	double seconds;     /* run at least this long */
	size_t scored, errors, spam;
	double bytes;
	double cpu;  /* the thread's CPU seconds over the run */
	double *lat; /* when set: seconds per message, up to lat_cap */
	size_t lat_n, lat_cap;
	pthread_t thread;
};

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double thread_cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_now_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, resident = 0;
	if (!f)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* The slot for one more message of len bytes (not yet counted), or NULL
 * when it does not fit. */
static struct message *corpus_next(struct corpus *c, size_t len)
{
	if (len > SPEED_MAX_MESSAGE || c->n >= SPEED_MAX_MESSAGES)
		return NULL;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 1024;
		struct message *v = realloc(c->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		c->v = v;
		c->cap = cap;
	}
	return &c->v[c->n];
}

static int corpus_add_file(struct corpus *c, const char *path)
{
	FILE *f = fopen(path, "rb");
	struct message *m;
	struct stat st;
	int rc = -1;
	if (!f)
		return -1;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (m = corpus_next(c, (size_t)st.st_size)) == NULL)
		goto done;
	m->len = (size_t)st.st_size;
	m->bytes = malloc(m->len);
	if (!m->bytes || fread(m->bytes, 1, m->len, f) != m->len) {
		free(m->bytes);
		goto done;
	}
	c->n++;
	c->total_bytes += m->len;
	rc = 0;
done:
	fclose(f);
	return rc;
}

/* Appends a copy of one message; -1 when it does not fit. */
static int corpus_add_bytes(struct corpus *c, const char *bytes, size_t len)
{
	struct message *m = corpus_next(c, len);
	if (!m)
		return -1;
	m->bytes = malloc(len ? len : 1);
	if (!m->bytes)
		return -1;
	memcpy(m->bytes, bytes, len);
	m->len = len;
	c->n++;
	c->total_bytes += len;
	return 0;
}

/* mail_read_each's callback: a message read is added. */
static void corpus_add_read(void *ctx, size_t index, int rc, int why, const char *msg, size_t len)
{
	(void)index;
	(void)why;
	if (rc == 0)
		corpus_add_bytes(ctx, msg, len);
}

/* --as-whorl-scan: every message whorl-scan would scan under path, read by
 * the same reader. */
static void corpus_add_as_scan(struct corpus *c, const char *path)
{
	struct mail_list l;
	struct mail_buf b;
	size_t i;

	memset(&b, 0, sizeof(b));
	mail_list_init(&l, NULL, NULL);
	if (mail_list_add_path(&l, path) == 0)
		for (i = 0; i < l.n_msgs; i++)
			mail_read_each(&l, i, &b, corpus_add_read, c);
	mail_list_free(&l);
	mail_buf_free(&b);
}

/* Adds a file, or every file below a folder (hidden names skipped). */
static void corpus_add(struct corpus *c, const char *path, int depth)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		corpus_add_file(c, path);
		return;
	}
	struct dirent **names = NULL;
	int n = depth < 8 ? scandir(path, &names, NULL, alphasort) : 0;
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			char child[4096];
			snprintf(child, sizeof(child), "%s/%s", path, names[i]->d_name);
			corpus_add(c, child, depth + 1);
		}
		free(names[i]);
	}
	free(names);
}

/* Scores the worker's share of messages in rounds until w->seconds passed. */
static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct whorl_envelope fixed = { sizeof(fixed),       "192.0.2.25", NULL, "bench.example",
		                        "bench@example.org", NULL,         0 };
	const struct whorl_envelope *env = w->c->no_envelope ? NULL : &fixed;
	double start = now_seconds(), cpu0 = thread_cpu_seconds();
	do {
		for (size_t i = w->first; i < w->c->n; i += w->step) {
			struct whorl_verdict *v = NULL;
			const struct message *m = &w->c->v[i];
			double t0 = w->lat != NULL ? now_seconds() : 0;
			int rc = whorl_host_score(w->host, env, m->bytes, m->len, &v);
			if (w->lat != NULL && w->lat_n < w->lat_cap)
				w->lat[w->lat_n++] = now_seconds() - t0;
			if (rc != 0) {
				w->errors++;
			} else {
				w->spam += v->is_spam != 0;
				whorl_host_verdict_free(w->host, v);
			}
			w->scored++;
			w->bytes += (double)m->len;
		}
	} while (now_seconds() - start < w->seconds);
	w->cpu = thread_cpu_seconds() - cpu0;
	return NULL;
}

/* Runs n_threads workers at once; returns the wall time. */
static double run_workers(struct worker *w, size_t n_threads)
{
	double start = now_seconds();
	for (size_t t = 0; t < n_threads; t++)
		if (pthread_create(&w[t].thread, NULL, worker_run, &w[t]) != 0)
			return -1;
	for (size_t t = 0; t < n_threads; t++)
		pthread_join(w[t].thread, NULL);
	return now_seconds() - start;
}

static void workers_init(struct worker *w, size_t n, whorl_host *h, const struct corpus *c,
                         double seconds)
{
	for (size_t t = 0; t < n; t++) {
		memset(&w[t], 0, sizeof(w[t]));
		w[t].host = h;
		w[t].c = c;
		w[t].first = t;
		w[t].step = n;
		w[t].seconds = seconds;
	}
}

/* Prints msgs/s and MB/s of one run; returns msgs/s; *per_cpu: messages
 * per CPU second of the scanning threads. */
static double report_run(const char *prefix, struct worker *w, size_t n, double wall,
                         double *per_cpu)
{
	size_t scored = 0, errors = 0;
	double bytes = 0, cpu = 0;
	for (size_t t = 0; t < n; t++) {
		scored += w[t].scored;
		errors += w[t].errors;
		bytes += w[t].bytes;
		cpu += w[t].cpu;
	}
	*per_cpu = cpu > 0 ? (double)scored / cpu : 0;
	printf("%s_cpu_per_wall = %.2f\n", prefix, wall > 0 ? cpu / wall : 0);
	printf("%s_msgs_per_cpu_s = %.0f msgs/s\n", prefix, *per_cpu);
	double mps = wall > 0 ? (double)scored / wall : 0;
	printf("%s_msgs_per_s = %.0f msgs/s\n", prefix, mps);
	printf("%s_mb_per_s = %.1f MB/s\n", prefix, wall > 0 ? bytes / wall / 1e6 : 0);
	printf("%s_messages_scored = %zu msgs\n", prefix, scored);
	printf("%s_score_errors = %zu msgs\n", prefix, errors);
	return mps;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Latency percentiles of the one-thread run, in microseconds. */
static void report_latency(double *lat, size_t n)
{
	if (n == 0)
		return;
	qsort(lat, n, sizeof(*lat), cmp_double);
	static const struct {
		const char *name;
		double q;
	} pct[] = { { "p50", 0.50 }, { "p90", 0.90 }, { "p99", 0.99 }, { "p999", 0.999 } };
	for (size_t i = 0; i < sizeof(pct) / sizeof(pct[0]); i++)
		printf("threads1_latency_%s = %.1f us\n", pct[i].name,
		       lat[(size_t)(pct[i].q * (double)(n - 1))] * 1e6);
	printf("threads1_latency_max = %.1f us\n", lat[n - 1] * 1e6);
}

/* The cartridge's statistics this benchmark reports, renamed. */
static void report_stats(whorl_host *h)
{
	static const struct {
		const char *key, *name, *unit;
	} wanted[] = {
		{ "known fingerprints", "known_fingerprints", "fps" },
		{ "known sketches", "known_sketches", "sketches" },
		{ "snapshot bytes", "snapshot_bytes", "B" },
	};
	char value[64];

	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
		if (whorl_host_stat(h, wanted[i].key, value, sizeof(value)) == 0)
			printf("%s = %s %s\n", wanted[i].name, value, wanted[i].unit);
}

struct options {
	const char *config_dir, *cartridge;
	double seconds;
	int stats_only;
	int one_thread; /* --one-thread: no two-thread run, no ceiling (A/B rounds) */
	int as_scan;    /* --as-whorl-scan */
	char **paths;
	int n_paths;
};

static int options_parse(int argc, char **argv, struct options *o)
{
	int i = 1;
	memset(o, 0, sizeof(*o));
	o->seconds = 3;
	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--stats-only")) {
			o->stats_only = 1;
			continue;
		}
		if (!strcmp(argv[i], "--one-thread")) {
			o->one_thread = 1;
			continue;
		}
		if (!strcmp(argv[i], "--as-whorl-scan")) {
			o->as_scan = 1;
			continue;
		}
		if (i + 1 >= argc)
			return -1;
		if (!strcmp(argv[i], "--config-dir"))
			o->config_dir = argv[++i];
		else if (!strcmp(argv[i], "--cartridge"))
			o->cartridge = argv[++i];
		else if (!strcmp(argv[i], "--seconds"))
			o->seconds = strtod(argv[++i], NULL);
		else
			return -1;
	}
	o->paths = argv + i;
	o->n_paths = argc - i;
	return o->config_dir && (o->n_paths > 0 || o->stats_only) ? 0 : -1;
}

static void log_to_stderr(void *ctx, int level, const char *module, const char *message)
{
	(void)ctx;
	fprintf(stderr, "speed: [%d] %s: %s\n", level, module, message);
}

/* Opens the host and prints how long it took; 0 or the WHORL_E* code. */
static int host_open_timed(const struct options *o, const char *figure, whorl_host **h)
{
	struct whorl_host_options ho = { .size = sizeof(ho),
		                         .cartridge_path = o->cartridge,
		                         .config_dir = o->config_dir,
		                         .log = log_to_stderr,
		                         .log_min_level = WHORL_LOG_ERROR,
		                         .app_name = "whorl-bench-speed" };
	char err[512] = "";
	double t0 = now_seconds();
	int rc = whorl_host_open(&ho, h, err, sizeof(err));
	double t = now_seconds() - t0;
	if (rc != 0)
		fprintf(stderr, "speed: whorl_host_open: %s (%s)\n", err, whorl_strerror(rc));
	else
		printf("%s = %.3f s\n", figure, t);
	return rc;
}

/* The machine's own 2-thread ceiling: a fixed amount of private integer
 * work (no memory traffic, no sharing) on 1 thread, then on each of 2
 * threads at once. On two idle physical cores the factor is 2.0; on
 * hyperthreads, shared or over-committed virtual CPUs it is lower, and
 * scaling_2_threads cannot exceed it. */
#define SPEED_SPIN_ROUNDS 200000000ull

static void *spin_run(void *arg)
{
	uint64_t x = (uint64_t)(uintptr_t)arg;
	for (uint64_t i = 0; i < SPEED_SPIN_ROUNDS; i++)
		x = (x ^ (x >> 29)) * 0xbf58476d1ce4e5b9ull + i;
	*(volatile uint64_t *)&x = x;
	return (void *)(uintptr_t)x;
}

static double spin_time(size_t n_threads)
{
	pthread_t t[SPEED_THREADS];
	double start = now_seconds();
	for (size_t i = 0; i < n_threads; i++)
		if (pthread_create(&t[i], NULL, spin_run, (void *)(uintptr_t)(i + 1)) != 0)
			return -1;
	for (size_t i = 0; i < n_threads; i++)
		pthread_join(t[i], NULL);
	return now_seconds() - start;
}

static void report_ceiling(void)
{
	double one = spin_time(1), two = spin_time(SPEED_THREADS);
	if (one > 0 && two > 0)
		printf("scaling_ceiling_2_threads = %.2f x\n", SPEED_THREADS * one / two);
}

/* The timed runs: warm-up pass, one thread (with latencies), two threads. */
static void run_all(whorl_host *h, const struct corpus *c, double seconds, int one_thread)
{
	struct worker w[SPEED_THREADS];
	workers_init(w, 1, h, c, 0); /* warm-up: one pass */
	run_workers(w, 1);
	printf("spam_verdicts_per_pass = %zu msgs\n", w[0].spam);
	/* The warm-up is the process's first pass, with the one-time costs of
	 * its first messages (libraries and charset modules loaded at first
	 * use, memory growing): what a one-pass process like whorl-scan has. */
	printf("first_pass_msgs_per_cpu_s = %.0f msgs/s\n",
	       w[0].cpu > 0 ? (double)w[0].scored / w[0].cpu : 0);

	workers_init(w, 1, h, c, seconds);
	w[0].lat_cap = SPEED_MAX_LATENCIES;
	w[0].lat = malloc(w[0].lat_cap * sizeof(double));
	if (w[0].lat == NULL)
		w[0].lat_cap = 0;
	double one_cpu, two_cpu;
	double one = report_run("threads1", w, 1, run_workers(w, 1), &one_cpu);
	report_latency(w[0].lat, w[0].lat_n);
	free(w[0].lat);
	if (one_thread)
		return;

	workers_init(w, SPEED_THREADS, h, c, seconds);
	double two =
	    report_run("threads2", w, SPEED_THREADS, run_workers(w, SPEED_THREADS), &two_cpu);
	printf("scaling_2_threads = %.2f x\n", one > 0 ? two / one : 0);
	/* What the rate would be if each thread had had a CPU to itself for the
	 * whole run: removes time lost to other processes, not to contention. */
	printf("scaling_2_threads_cpu_time = %.2f x\n",
	       one_cpu > 0 ? SPEED_THREADS * two_cpu / one_cpu : 0);
	report_ceiling();
}

int main(int argc, char **argv)
{
	struct options o;
	struct corpus c = { 0 };
	whorl_host *h = NULL;
	int rc = 1;
	if (options_parse(argc, argv, &o) != 0) {
		fprintf(
		    stderr,
		    "usage: speed --config-dir DIR [--cartridge PATH] [--seconds S] [--one-thread]\n"
		    "             [--as-whorl-scan] PATH...\n"
		    "       speed --config-dir DIR [--cartridge PATH] --stats-only\n");
		return 2;
	}
	c.no_envelope = o.as_scan;
	for (int i = 0; i < o.n_paths; i++) {
		if (o.as_scan)
			corpus_add_as_scan(&c, o.paths[i]);
		else
			corpus_add(&c, o.paths[i], 0);
	}
	if (!c.n && !o.stats_only) {
		fprintf(stderr, "speed: no messages read\n");
		return 1;
	}
	if (!o.stats_only) {
		printf("messages = %zu msgs\n", c.n);
		printf("corpus_bytes = %.1f MB\n", (double)c.total_bytes / 1e6);
	}
	/* First open: fetches the set from the mirror into the cache and loads
	 * it. Second open: the same with the cache already current. */
	long rss_before = rss_now_kib();
	if (host_open_timed(&o, "snapshot_load_time", &h) != 0)
		goto done;
	long rss_after = rss_now_kib();
	report_stats(h);
	printf("rss_growth_over_open = %.1f MiB\n", (double)(rss_after - rss_before) / 1024.0);
	if (o.stats_only) {
		rc = 0;
		goto done;
	}
	whorl_host_close(h);
	h = NULL;
	if (host_open_timed(&o, "snapshot_reload_time", &h) != 0)
		goto done;

	run_all(h, &c, o.seconds, o.one_thread);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("peak_rss = %.1f MiB\n", (double)ru.ru_maxrss / 1024.0);
	rc = 0;
done:
	whorl_host_close(h);
	for (size_t i = 0; i < c.n; i++)
		free(c.v[i].bytes);
	free(c.v);
	return rc;
}
