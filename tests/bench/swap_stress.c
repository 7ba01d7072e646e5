/*
 * swap_stress.c - 1,000 swaps between two builds of the echo cartridge
 * while SCAN_THREADS threads score without pause. Prints one line:
 *   swaps=N scans=M failed=F p99_us=P rss_growth_kb=R
 * p99_us is the 99th percentile of one scan's latency (sampled), and
 * rss_growth_kb the resident set after the swaps minus after the first 50.
 * Exit status 1 when a scan failed. Cartridges are read from
 * $WHORL_TEST_BUILD/tests/cartridges (make build/tests/cartridges/good_echo2.so),
 * or given: `swap_stress A.so B.so CONFIG_DIR` swaps between two builds of
 * the real engine (tests/bench/swap_real.sh makes the second build).
 * Run under ASan/TSan by rebuilding with SANFLAGS (docs/HOSTING.md).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "whorl.h"

#define SWAPS 1000
#define WARMUP_SWAPS 50
#define SCAN_THREADS 2
#define SAMPLES_PER_THREAD 200000 /* latency samples kept per thread */

static const char spam_msg[] = "Subject: hi\nX-Test-Spam: yes\n\nbody\n";

struct scanner {
	whorl_host *h;
	atomic_int *stop;
	long scans, failed;
	uint32_t *lat_us;
	size_t n_lat;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static unsigned expect_score; /* the first verdict's: every build must agree */

static void *scan_loop(void *arg)
{
	struct scanner *s = arg;
	struct whorl_verdict *v;
	uint64_t t0;

	while (!atomic_load(s->stop)) {
		t0 = now_ns();
		if (whorl_host_score(s->h, NULL, spam_msg, sizeof(spam_msg) - 1, &v) != 0 ||
		    v->score != expect_score)
			s->failed++;
		whorl_host_verdict_free(s->h, v);
		if (s->n_lat < SAMPLES_PER_THREAD)
			s->lat_us[s->n_lat++] = (uint32_t)((now_ns() - t0) / 1000u);
		s->scans++;
	}
	return NULL;
}

static long rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	if (f != NULL)
		fclose(f);
	return kb;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint32_t p99(struct scanner *sc, int n)
{
	size_t total = 0, k = 0, i;
	uint32_t *all, r;
	int t;

	for (t = 0; t < n; t++)
		total += sc[t].n_lat;
	all = malloc((total + 1) * sizeof(*all));
	if (all == NULL || total == 0) {
		free(all);
		return 0;
	}
	for (t = 0; t < n; t++)
		for (i = 0; i < sc[t].n_lat; i++)
			all[k++] = sc[t].lat_us[i];
	qsort(all, total, sizeof(*all), cmp_u32);
	r = all[(total * 99) / 100];
	free(all);
	return r;
}

static const char *config_dir = "/";

static whorl_host *open_host(const char *path)
{
	struct whorl_host_options o;
	whorl_host *h = NULL;
	char err[512];

	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.cartridge_path = path;
	o.config_dir = config_dir;
	if (whorl_host_open(&o, &h, err, sizeof(err)) != 0) {
		fprintf(stderr, "swap_stress: %s\n", err);
		exit(1);
	}
	return h;
}

int main(int argc, char **argv)
{
	const char *b = getenv("WHORL_TEST_BUILD");
	char a[1024], c[1024], err[512];
	struct scanner sc[SCAN_THREADS];
	pthread_t t[SCAN_THREADS];
	atomic_int stop = 0;
	long rss0 = 0, scans = 0, failed = 0;
	whorl_host *h;
	int i, swaps = 0;

	snprintf(a, sizeof(a), "%s/tests/cartridges/good_echo.so", b && *b ? b : "build");
	snprintf(c, sizeof(c), "%s/tests/cartridges/good_echo2.so", b && *b ? b : "build");
	if (argc == 4) {
		snprintf(a, sizeof(a), "%s", argv[1]);
		snprintf(c, sizeof(c), "%s", argv[2]);
		config_dir = argv[3];
	} else if (argc != 1) {
		fprintf(stderr, "usage: swap_stress [A.so B.so CONFIG_DIR]\n");
		return 1;
	}
	h = open_host(a);
	struct whorl_verdict *first = NULL;
	if (whorl_host_score(h, NULL, spam_msg, sizeof(spam_msg) - 1, &first) != 0) {
		fprintf(stderr, "swap_stress: the first scan failed\n");
		return 1;
	}
	expect_score = first->score;
	whorl_host_verdict_free(h, first);
	for (i = 0; i < SCAN_THREADS; i++) {
		sc[i] = (struct scanner){ h, &stop, 0, 0, calloc(SAMPLES_PER_THREAD, 4), 0 };
		if (sc[i].lat_us == NULL || pthread_create(&t[i], NULL, scan_loop, &sc[i]) != 0)
			return 1;
	}
	for (i = 0; i < SWAPS; i++) {
		if (whorl_host_swap(h, (i & 1) ? a : c, err, sizeof(err)) != 0)
			fprintf(stderr, "swap_stress: swap %d: %s\n", i, err);
		else
			swaps++;
		if (i + 1 == WARMUP_SWAPS)
			rss0 = rss_kb();
	}
	atomic_store(&stop, 1);
	for (i = 0; i < SCAN_THREADS; i++) {
		pthread_join(t[i], NULL);
		scans += sc[i].scans;
		failed += sc[i].failed;
	}
	printf("swaps=%d scans=%ld failed=%ld p99_us=%u rss_growth_kb=%ld\n", swaps, scans, failed,
	       p99(sc, SCAN_THREADS), rss_kb() - rss0);
	for (i = 0; i < SCAN_THREADS; i++)
		free(sc[i].lat_us);
	whorl_host_close(h);
	return failed == 0 && swaps == SWAPS ? 0 : 1;
}
