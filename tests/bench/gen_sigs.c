/*
 * gen_sigs.c - publishes a large synthetic update set for the speed
 * benchmark: N random exact fingerprints and M random fuzzy sketches,
 * added to whatever set the mirror already publishes.
 *
 *   gen_sigs --key KEY --out MIRROR --exact N --sketches M --seed S
 *
 * The set is the complete truth (publish.h), so a second publish into a
 * mirror that already holds the corpus fingerprints would delete them.
 * gen_sigs therefore reads the mirror's current set first (verified with
 * the same key; an empty mirror is fine), adds the synthetic records to it
 * and writes one complete sigs file (never a delta), keeping the mirror's
 * categories text. speed.sh publishes the corpus with whorl-publish first,
 * then runs gen_sigs on the same mirror.
 *
 * Records, deterministic from the seed:
 *   exact   whorl_fp_key(engine, random raw) for an engine among body, url,
 *           ip, attach and struct; a random abuse category/subcategory.
 *   sketch  the fuzzy engine's stored format, random (bench_sketch.h).
 * A random record may collide with a real one only with probability ~2^-64.
 *
 * Not for: realistic campaign structure (random sketches match nothing);
 * accuracy figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../cartridge/util/hash.h"
#include "../../publisher/lib/pub_internal.h"
#include "whorl_cartridge.h"
#include "bench_sketch.h"

#define GEN_MAX_RECORDS 50000000ull /* --exact + --sketches */
#define GEN_FP_VERSION 1            /* every exact engine is at version 1 */
#define GEN_CONFIDENCE 90

static const uint8_t gen_exact_engines[] = {
	WHORL_FP_BODY, WHORL_FP_URL, WHORL_FP_IP, WHORL_FP_ATTACH, WHORL_FP_STRUCT,
};

/* Abuse categories of etc/categories and their highest subcategory. */
static const struct {
	uint8_t category, max_sub;
} gen_categories[] = { { 1, 8 }, { 2, 2 }, { 3, 4 }, { 4, 4 }, { 5, 3 }, { 7, 2 } };

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static struct sigdb_meta rng_meta(uint64_t *state, uint16_t today)
{
	unsigned c = rng_below(state, N_OF(gen_categories));
	return (struct sigdb_meta){
		.category = gen_categories[c].category,
		.subcategory = (uint8_t)rng_below(state, gen_categories[c].max_sub + 1u),
		.confidence = GEN_CONFIDENCE,
		.first_seen = today,
		.last_seen = today,
	};
}

static int add_random(struct publish_set *s, uint64_t n_exact, uint64_t n_sketch, uint64_t seed)
{
	uint64_t state = seed;
	uint16_t today = (uint16_t)(time(NULL) / 86400);
	uint8_t b[GEN_FUZZY_BYTES];
	for (uint64_t i = 0; i < n_exact; i++) {
		uint8_t engine = gen_exact_engines[rng_below(&state, N_OF(gen_exact_engines))];
		uint64_t key = whorl_fp_key(engine, rng_next(&state));
		struct sigdb_meta m = rng_meta(&state, today);
		int rc = publish_set_add_fp(s, key, engine, GEN_FP_VERSION, &m);
		if (rc != 0)
			return rc;
	}
	for (uint64_t i = 0; i < n_sketch; i++) {
		struct sigdb_meta m = rng_meta(&state, today);
		sketch_random(&state, b);
		int rc =
		    publish_set_add_sketch(s, WHORL_FP_FUZZY, GEN_FUZZY_VERSION, b, sizeof(b), &m);
		if (rc != 0)
			return rc;
	}
	return 0;
}

struct gen_args {
	const char *key, *out;
	unsigned long long exact, sketches, seed;
};

static int parse_args(int argc, char **argv, struct gen_args *a)
{
	memset(a, 0, sizeof(*a));
	a->seed = 1;
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *o = argv[i], *v = argv[i + 1];
		char *end = NULL;
		unsigned long long n = strtoull(v, &end, 10);
		int numeric = *v >= '0' && *v <= '9' && *end == '\0';
		if (!strcmp(o, "--key"))
			a->key = v;
		else if (!strcmp(o, "--out"))
			a->out = v;
		else if (!strcmp(o, "--exact") && numeric)
			a->exact = n;
		else if (!strcmp(o, "--sketches") && numeric)
			a->sketches = n;
		else if (!strcmp(o, "--seed") && numeric)
			a->seed = n;
		else
			return -1;
	}
	if (argc % 2 == 0 || !a->key || !a->out || a->exact + a->sketches > GEN_MAX_RECORDS)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct gen_args a;
	struct update_manifest prev_m;
	uint8_t *text[UPDATE_N_SOURCES] = { 0 };
	size_t text_len[UPDATE_N_SOURCES] = { 0 };
	struct publish_key *k = NULL;
	struct publish_set *s = NULL;
	struct publish_result res;
	char err[512] = "";
	int rc = 1;
	if (parse_args(argc, argv, &a) != 0) {
		fprintf(stderr, "usage: gen_sigs --key KEY --out MIRROR --exact N --sketches M "
		                "--seed S\n");
		return 2;
	}
	if (!(k = publish_key_load(a.key, err, sizeof(err))) || !(s = publish_set_new())) {
		fprintf(stderr, "gen_sigs: %s\n", k ? "out of memory" : err);
		goto out;
	}
	int mrc = pub_mirror_read(a.out, publish_key_public(k), &prev_m, s, text, text_len, err,
	                          sizeof(err));
	if (mrc != 0 && mrc != WHORL_ENODATA) {
		fprintf(stderr, "gen_sigs: reading %s: %s\n", a.out, err);
		goto out;
	}
	size_t n_base = publish_set_count(s);
	if (add_random(s, a.exact, a.sketches, a.seed) != 0) {
		fprintf(stderr, "gen_sigs: adding records failed (memory or limit)\n");
		goto out;
	}
	struct publish_options o = {
		.out_dir = a.out,
		.force_full = 1,
		.cats = (const char *)text[UPDATE_SRC_CATS],
		.cats_len = text_len[UPDATE_SRC_CATS],
		.awl = (const char *)text[UPDATE_SRC_AWL],
		.awl_len = text_len[UPDATE_SRC_AWL],
	};
	if (publish_write(k, s, &o, &res, err, sizeof(err)) != 0) {
		fprintf(stderr, "gen_sigs: %s\n", err);
		goto out;
	}
	printf("%zu records from the mirror + %llu exact + %llu sketches = %zu records; "
	       "manifest %llu, sigs %llu.%llu (%s, %zu records)\n",
	       n_base, a.exact, a.sketches, publish_set_count(s),
	       (unsigned long long)res.manifest_serial, (unsigned long long)res.sigs_complete,
	       (unsigned long long)res.sigs_incremental, res.wrote_complete ? "complete" : "delta",
	       res.n_put);
	rc = 0;
out:
	for (int i = 0; i < UPDATE_N_SOURCES; i++)
		free(text[i]);
	publish_set_free(s);
	publish_key_free(k);
	return rc;
}
