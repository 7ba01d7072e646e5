/*
 * collect_load.c - the collector's load benchmark: N gateways' worth of
 * generated reports (distinct installation ids, Table 3 counts, sigs seen),
 * each sealed the way a gateway seals it (stats_seal), POSTed to a running
 * whorl-collect over T connections, and timed.
 *
 *   collect_load URL COLLECTOR_PUB N [THREADS]
 *
 * Prints, one per line, "name = value unit": the time to build and seal
 * the N reports alone (the same-run reference), the time to deliver them,
 * the reports per second, and how many the collector stored (HTTP 200).
 * Exits 1 when any report was not stored. Prints numbers; never judges
 * the time.
 *
 * Not for: checking the database (whorl-collect check does).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "cartridge/stats/report.h"
#include "cartridge/update/update.h"

struct job {
	const char *url;
	char **bodies;
	size_t n;
	atomic_size_t next, stored;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One gateway's report text: counts drawn from i so each differs. */
static char *report_text(size_t i, size_t *len)
{
	struct sbuf b = { 0 };
	unsigned r = (unsigned)(i * 2654435761u);
	sbuf_printf(
	    &b,
	    "customer id = load%zu\nhost id = gw%zu.example.net\nreport serial = 1\n"
	    "run id = bench\nperiod start = %lld\nperiod end = %lld\n"
	    "spamdna version = whorl-cartridge bench\ncmae version = unknown\n"
	    "application name = collect_load\nmessage sizes = 0 2 4 8 16 32 64 128 256 1024\n",
	    i % 50, i, (long long)time(NULL) - 3600, (long long)time(NULL));
	sbuf_printf(&b, "score 0 = %u\nscore 0 sizes = %u 0 0 0 0 0 0 0 0 0\n", 100 + r % 900,
	            100 + r % 900);
	sbuf_printf(&b, "score 95 = %u\nscore 95 sizes = 0 %u 0 0 0 0 0 0 0 0\n", 1 + r % 50,
	            1 + r % 50);
	sbuf_printf(&b, "fuzzy engine = %u\nurl engine = %u\n", 1 + r % 40, r % 20);
	sbuf_printf(&b, "local header whitelist = %u\nawl ip whitelist = 0\n", r % 3);
	sbuf_printf(&b, "category 1 = %u\nsubcategory 1.0 = %u\n", 1 + r % 50, 1 + r % 50);
	sbuf_printf(&b,
	            "successful complete micro-update downloads = 1\n"
	            "failed incremental micro-update downloads = %u\nmu sigs serial = 7.%u\n",
	            r % 7 == 0, r % 5);
	sbuf_printf(&b, "sigs seen = %016zx:fuzzy:%u %016x:url:1\n", i % 200 + 1, 1 + r % 9,
	            r % 100 + 1);
	sbuf_printf(&b, "license id = 0\nclean shutdown = 1\ninstallation id = bench%08zu\n", i);
	*len = b.len;
	return b.failed ? NULL : b.s;
}

static size_t discard(char *p, size_t s, size_t n, void *c)
{
	return s * n;
}

static void *deliver(void *arg)
{
	struct job *j = arg;
	CURL *h = curl_easy_init();
	struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: text/plain");
	for (size_t i; h != NULL && (i = atomic_fetch_add(&j->next, 1)) < j->n;) {
		curl_easy_setopt(h, CURLOPT_URL, j->url);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, j->bodies[i]);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
		long code = 0;
		if (curl_easy_perform(h) == CURLE_OK &&
		    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code == 200)
			atomic_fetch_add(&j->stored, 1);
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return NULL;
}

int main(int argc, char **argv)
{
	uint8_t pk[32];
	if (argc < 4 || argc > 5 || sodium_init() < 0 ||
	    update_pubkey_load(argv[2], pk, NULL) != 0) {
		fprintf(stderr, "usage: collect_load URL COLLECTOR_PUB N [THREADS]\n");
		return 2;
	}
	size_t n = strtoul(argv[3], NULL, 10), threads = argc == 5 ? strtoul(argv[4], NULL, 10) : 4;
	threads = threads < 1 ? 1 : threads > 64 ? 64 : threads;
	struct job j = { .url = argv[1], .n = n, .bodies = calloc(n, sizeof(char *)) };
	atomic_init(&j.next, 0);
	atomic_init(&j.stored, 0);
	double t0 = now_s();
	for (size_t i = 0; i < n; i++) {
		size_t len, body_len;
		const char *stage;
		char *text = report_text(i, &len);
		if (text == NULL ||
		    stats_seal(text, len, pk, &j.bodies[i], &body_len, &stage) != 0) {
			fprintf(stderr, "collect_load: building report %zu failed\n", i);
			return 1;
		}
		free(text);
	}
	double t1 = now_s();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	pthread_t tid[64];
	for (size_t t = 0; t < threads; t++)
		pthread_create(&tid[t], NULL, deliver, &j);
	for (size_t t = 0; t < threads; t++)
		pthread_join(tid[t], NULL);
	double t2 = now_s();
	size_t stored = atomic_load(&j.stored);
	printf("reports = %zu\nthreads = %zu\n", n, threads);
	printf("build_and_seal_time = %.3f s\n", t1 - t0);
	printf("delivery_time = %.3f s\n", t2 - t1);
	printf("delivery_rate = %.1f reports/s\n", (double)n / (t2 - t1));
	printf("stored = %zu\n", stored);
	for (size_t i = 0; i < n; i++)
		free(j.bodies[i]);
	free(j.bodies);
	curl_global_cleanup();
	return stored == n ? 0 : 1;
}
