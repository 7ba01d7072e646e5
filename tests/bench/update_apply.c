/*
 * update_apply.c - update figures and the crash-injection helper.
 *
 *   update_apply bench [N_FULL] [N_DELTA] [SKETCH_EVERY]
 *       time and peak RSS against steady state of: the first load of an
 *       N_FULL-fingerprint set (default 1,000,000), an N_DELTA-fingerprint
 *       delta (default 10,000), and two full reloads run as the engine's
 *       update cycle runs them (the live set as base): a complete file 1%
 *       different from the live set and one with the same content (a
 *       scheduled full download); p50/p99 scan latency with and without full
 *       reloads running beside the scans. Sets hold one fuzzy sketch per
 *       SKETCH_EVERY fingerprints (default 10, as the corpus set; 0: none). Every set is published
 *       by a child process, so the RSS figures are the gateway's alone;
 *       "steady" is VmRSS after malloc_trim with the live set loaded.
 *   update_apply publish-loop MIRROR KEYFILE
 *       publishes forever: sets {key(i) : i < n}, n random, deltas and full
 *       files mixed (tests/integration/crash_updates.sh).
 *   update_apply cycle CONFIG_DIR
 *       opens an engine and runs update cycles until killed.
 *   update_apply check CONFIG_DIR
 *       opens an engine on the cache only (the config names no usable
 *       mirror) and checks what start-up loaded is one whole published set:
 *       exactly {key(i) : i < count}; no .part file left. Exit 0 when so.
 *
 * Sets are generated like gen_sigs.c (publisher/lib, random keys from a
 * seed); keys here are key(i) = i * golden + 1 so a set is checkable.
 * Not for: accuracy or scan-speed figures (speed.sh).
 */
#include <dirent.h>
#include <malloc.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../cartridge/engine.h"
#include "../../cartridge/fp/fp.h"
#include "../../cartridge/update/state.h"
#include "../../publisher/lib/publish.h"
#include "bench_sketch.h"

#define GOLDEN 0x9e3779b97f4a7c15ull
#define LAT_SCANS 20000 /* scans per latency figure */
#define LOOP_MIN_FPS 1000
#define LOOP_SPAN_FPS 3000

static uint64_t key_of(uint64_t i)
{
	return i * GOLDEN + 1;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* VmRSS or VmHWM in KiB from /proc/self/status. */
static long proc_kb(const char *field)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");
	size_t n = strlen(field);

	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static void peak_reset(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");
	if (f) {
		fputs("5", f);
		fclose(f);
	}
}

/* One fuzzy sketch per this many fingerprints in bench sets (0: none);
 * bench's third argument. The corpus set of speed.sh has about one in 10. */
static uint64_t sketch_every;

/* Sketch i of a bench set: random, deterministic from i. */
static int add_sketch(struct publish_set *s, uint64_t i, const struct sigdb_meta *m)
{
	uint64_t state = key_of(i);
	uint8_t b[GEN_FUZZY_BYTES];

	sketch_random(&state, b);
	return publish_set_add_sketch(s, WHORL_FP_FUZZY, GEN_FUZZY_VERSION, b, sizeof b, m);
}

static int publish_range(struct publish_key *k, const char *mirror, uint64_t from, uint64_t to,
                         int force_full, struct publish_result *res)
{
	char err[256] = "";
	struct publish_set *s = publish_set_new();
	struct sigdb_meta m = { .category = 1, .confidence = 90 };
	struct publish_options o = { .out_dir = mirror,
		                     .force_full = force_full,
		                     .full_every = 4,
		                     .cats = "1/0 spam undefined\n",
		                     .cats_len = 19 };
	int rc;

	for (uint64_t i = from; s && i < to; i++)
		if (publish_set_add_fp(s, key_of(i), WHORL_FP_BODY, 1, &m) != 0 ||
		    (sketch_every && i % sketch_every == 0 && add_sketch(s, i, &m) != 0))
			return -1;
	rc = s ? publish_write(k, s, &o, res, err, sizeof err) : -1;
	if (rc != 0)
		fprintf(stderr, "publish: %d %s\n", rc, err);
	publish_set_free(s);
	return rc;
}

/* publish_range in a child process, so the publisher's memory never counts
 * in this process's RSS figures. */
static int publish_range_child(struct publish_key *k, const char *mirror, uint64_t from,
                               uint64_t to, int force_full, struct publish_result *res)
{
	int fd[2], status;
	pid_t pid;
	ssize_t got;

	if (pipe(fd) != 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		close(fd[0]);
		int rc = publish_range(k, mirror, from, to, force_full, res);
		if (rc == 0 && write(fd[1], res, sizeof *res) != (ssize_t)sizeof *res)
			rc = -1;
		_exit(rc == 0 ? 0 : 1);
	}
	close(fd[1]);
	got = read(fd[0], res, sizeof *res);
	close(fd[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return got == (ssize_t)sizeof *res ? 0 : -1;
}

static int write_cfg(const char *dir, const char *mirror, const char *pub, const char *cache)
{
	char path[1024];
	FILE *f;

	mkdir(dir, 0700);
	snprintf(path, sizeof path, "%s/cartridge.cfg", dir);
	if (!(f = fopen(path, "w")))
		return -1;
	fprintf(f, "micro-update url = file://%s\npublisher key = %s\n", mirror, pub);
	if (cache)
		fprintf(f, "micro-update cache path = %s\n", cache);
	fclose(f);
	return 0;
}

/* ---- crash helper modes ---- */

static int mode_publish_loop(const char *mirror, const char *keyfile)
{
	char err[256];
	struct publish_key *k = publish_key_load(keyfile, err, sizeof err);
	struct publish_result res;

	if (!k) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	srand((unsigned)getpid());
	for (;;) {
		uint64_t n = LOOP_MIN_FPS + (uint64_t)rand() % LOOP_SPAN_FPS;
		if (publish_range(k, mirror, 0, n, rand() % 5 == 0, &res) != 0)
			return 1;
		usleep(20000 + (useconds_t)(rand() % 50000));
	}
}

static int open_engine(const char *dir, whorl_engine **e)
{
	char err[256];
	int rc = engine_open(NULL, dir, e, err, sizeof err);
	if (rc != 0)
		fprintf(stderr, "engine_open %s: %s\n", dir, err);
	return rc;
}

static int mode_cycle(const char *dir)
{
	whorl_engine *e;

	if (open_engine(dir, &e) != 0)
		return 1;
	for (;;) {
		engine_update_now(e);
		usleep(5000);
	}
}

static int no_part_files(const char *mu)
{
	DIR *d = opendir(mu);
	struct dirent *ent;
	int ok = 1;

	while (d && (ent = readdir(d))) {
		size_t n = strlen(ent->d_name);
		if (n > 5 && strcmp(ent->d_name + n - 5, ".part") == 0) {
			fprintf(stderr, "check: %s/%s left over\n", mu, ent->d_name);
			ok = 0;
		}
	}
	if (d)
		closedir(d);
	return ok;
}

static int mode_check(const char *dir, const char *mu)
{
	whorl_engine *e;
	struct sigdb *db;
	uint64_t complete, incr;
	size_t count;
	struct sigdb_meta m;

	if (open_engine(dir, &e) != 0)
		return 1;
	if (!no_part_files(mu))
		_exit(2);
	db = sigdb_live_acquire(&e->live);
	count = sigdb_count(db);
	sigdb_serial(db, SIGDB_SRC_SIGS, &complete, &incr);
	for (uint64_t i = 0; i < count; i++)
		if (sigdb_lookup(db, key_of(i), &m) != 1) {
			fprintf(stderr,
			        "check: serial %" PRIu64 ".%" PRIu64 " misses fp %" PRIu64 "\n",
			        complete, incr, i);
			_exit(3);
		}
	if (sigdb_lookup(db, key_of(count), &m) == 1 || (count && complete == 0)) {
		fprintf(stderr, "check: serial %" PRIu64 " is not one whole set\n", complete);
		_exit(3);
	}
	printf("loaded %" PRIu64 ".%" PRIu64 " %zu\n", complete, incr, count);
	fflush(stdout);
	_exit(count ? 0 : 4); /* no close: the state files stay as they are */
}

/* ---- bench ---- */

struct racer {
	whorl_engine *e;
	atomic_int stop;
	long reloads;
};

static void *reload_run(void *arg)
{
	struct racer *r = arg;
	const struct cfg *cfg = atomic_load(&r->e->cfg);
	while (!atomic_load(&r->stop)) {
		struct sigdb *fresh = NULL;
		struct update_status st = { 0 };
		if (update_load_url(cfg, &r->e->log, NULL, NULL, &st, &fresh) == 0 && fresh) {
			sigdb_live_publish(&r->e->live, fresh);
			r->reloads++;
		}
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void latency(whorl_engine *e, const char *label)
{
	static double t[LAT_SCANS];
	static const char msg[] = "From: a@example.com\r\nTo: b@example.org\r\nSubject: cheap "
	                          "loans today\r\n\r\nVisit http://loans.example.net/ now for the "
	                          "best rates on loans, no credit check, apply today.\r\n";
	for (int i = 0; i < LAT_SCANS; i++) {
		struct whorl_verdict *v = NULL;
		double t0 = now_s();
		if (scan_score(e, NULL, msg, sizeof msg - 1, &v) != 0) {
			fprintf(stderr, "scan failed\n");
			exit(1);
		}
		t[i] = now_s() - t0;
		scan_verdict_free(e, v);
	}
	qsort(t, LAT_SCANS, sizeof t[0], cmp_double);
	printf("scan latency %-22s p50 %.1f us  p99 %.1f us\n", label, t[LAT_SCANS / 2] * 1e6,
	       t[LAT_SCANS * 99 / 100] * 1e6);
}

/* One full reload of the complete file now on the mirror, as the update
 * cycle does it from scratch (start set from the cache, then the mirror),
 * with peak RSS against steady state. */
/* One update cycle as the engine's update thread runs it (the live set as
 * the base, the engine's status), timed, with peak RSS against steady state
 * (VmRSS after malloc_trim, so free lists do not count as held memory). */
static int reload(whorl_engine *e, const char *what, const char *label)
{
	const struct cfg *cfg = atomic_load(&e->cfg);
	struct sigdb *live, *fresh = NULL;
	long steady, peak;
	double t0, t;

	malloc_trim(0);
	steady = proc_kb("VmRSS");
	peak_reset();
	live = sigdb_live_acquire(&e->live);
	t0 = now_s();
	/* the engine's anchor hook, as update_cycle_locked passes it: without it
	 * the reloaded sketches would have no anchors, unlike the live ones */
	struct update_hooks hooks = { .anchors = fp_sketch_stored_anchors };
	if (update_load_url(cfg, &e->log, &hooks, live, &e->update_status, &fresh) != 0 || !fresh)
		return -1;
	t = now_s() - t0;
	sigdb_unref(live);
	sigdb_live_publish(&e->live, fresh);
	peak = proc_kb("VmHWM");
	printf("apply %s (%s): %.3f s\n", what, label, t);
	printf("  RSS steady %ld KiB, peak %ld KiB (%.2fx), after %ld KiB; snapshot %zu KiB\n",
	       steady, peak, (double)peak / (double)steady, proc_kb("VmRSS"),
	       sigdb_memory_bytes(fresh) >> 10);
	return 0;
}

static int mode_bench(uint64_t n_full, uint64_t n_delta)
{
	char root[] = "/tmp/whorl_update_apply.XXXXXX", p[600], q[600], err[256], cmd[700];
	struct publish_key *k;
	struct publish_result res;
	whorl_engine *e;
	double t0;

	if (!mkdtemp(root))
		return 1;
	snprintf(p, sizeof p, "%s/keys", root);
	mkdir(p, 0700);
	if (publish_keygen(p, err, sizeof err) != 0)
		return 1;
	snprintf(p, sizeof p, "%s/keys/publisher.key", root);
	k = publish_key_load(p, err, sizeof err);
	snprintf(p, sizeof p, "%s/mirror", root);
	snprintf(q, sizeof q, "%s/keys/publisher.pub", root);
	if (!k || publish_range_child(k, p, 0, n_full, 1, &res) != 0)
		return 1;
	snprintf(cmd, sizeof cmd, "%s/gw", root);
	if (write_cfg(cmd, p, q, NULL) != 0)
		return 1;
	peak_reset();
	t0 = now_s();
	if (open_engine(cmd, &e) != 0)
		return 1;
	printf("open + apply full set of %" PRIu64
	       " fps: %.3f s, peak RSS %ld KiB, after %ld KiB\n",
	       n_full, now_s() - t0, proc_kb("VmHWM"), proc_kb("VmRSS"));

	/* a delta of n_delta new fps */
	snprintf(err, sizeof err, "delta of %" PRIu64 " fps on %" PRIu64, n_delta, n_full);
	if (publish_range_child(k, p, 0, n_full + n_delta, 0, &res) != 0 || res.wrote_complete ||
	    reload(e, err, "new fps") != 0)
		return 1;
	/* full reloads: a complete file 1% different from the live set, then a
	 * scheduled full download with the same content as the live set (the
	 * publisher library drops the delta chain when it writes a complete
	 * file, so the loader must take it) */
	snprintf(err, sizeof err, "full set of %" PRIu64 " fps", n_full);
	if (publish_range_child(k, p, n_delta, n_full + n_delta, 1, &res) != 0 ||
	    reload(e, err, "1% different") != 0)
		return 1;
	if (publish_range_child(k, p, n_delta, n_full + n_delta, 1, &res) != 0 ||
	    reload(e, err, "same content") != 0)
		return 1;

	latency(e, "(no updates)");
	struct racer r = { .e = e };
	pthread_t tid;
	pthread_create(&tid, NULL, reload_run, &r);
	latency(e, "(full reloads beside)");
	atomic_store(&r.stop, 1);
	pthread_join(tid, NULL);
	printf("full reloads during the latency run: %ld\n", r.reloads);
	engine_close(e);
	publish_key_free(k);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "bench") == 0) {
		sketch_every = argc > 4 ? strtoull(argv[4], NULL, 10) : 10;
		return mode_bench(argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000,
		                  argc > 3 ? strtoull(argv[3], NULL, 10) : 10000);
	}
	if (argc == 4 && strcmp(argv[1], "publish-loop") == 0)
		return mode_publish_loop(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "cycle") == 0)
		return mode_cycle(argv[2]);
	if (argc == 4 && strcmp(argv[1], "check") == 0)
		return mode_check(argv[2], argv[3]);
	if (argc == 6 && strcmp(argv[1], "config") == 0)
		return write_cfg(argv[2], argv[3], argv[4], argv[5]) == 0 ? 0 : 1;
	fprintf(
	    stderr,
	    "usage: update_apply bench [N_FULL] [N_DELTA] [SKETCH_EVERY] | publish-loop MIRROR KEY |"
	    " cycle DIR | check DIR MU_DIR | config DIR MIRROR PUBKEY CACHE\n");
	return 1;
}
