/*
 * test_publish.c - what publisher/lib promises about the files it writes:
 * records of a sigs file in key order (exact fingerprints by key whatever
 * their engine, then sketches by (engine, id)), one record per key, the
 * delta chain kept across complete files (keep_deltas: newest
 * UPDATE_MAX_DELTAS, contiguous, serial to serial) and the mirror pruned of
 * files no manifest names; a gateway on an older serial moves by deltas.
 *
 * Not for: refusing hostile sets (test_update.c) or the network (net_*.sh).
 */
#include <check.h>

#include "check_main.h"
#include "mirror_env.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../abi/whorl_cartridge.h"
#include "../../cartridge/update/update.h"
#include "../../cartridge/util/hash.h"
#include "../../cartridge/update/update_format.h"
#include "../../cartridge/update/update_internal.h"
#include "../../cartridge/update/set_read.h"
#include "../../publisher/lib/pub_internal.h"
#include "../../publisher/lib/publish.h"

#define T0 1700000000
#define MAX_SEEN 4096

struct env {
	struct mirror_env m; /* root, mirror, keys, cache, cfg, key */
	struct logger lg;
	char last[4096];
};
static struct env E; /* test-only state; each test runs in its own fork */

/* Records of one decoded payload, in file order. */
struct seen {
	struct update_record r[MAX_SEEN];
	size_t n;
};

static void cap_log(void *ctx, int level, const char *module, const char *msg)
{
	size_t n = strlen(E.last);
	snprintf(E.last + n, sizeof E.last - n, "%s|", msg);
}
static int64_t fake_now(void *ctx)
{
	return T0 + 60;
}
static const struct update_hooks hooks = { .now = fake_now };

static void setup(void)
{
	memset(&E, 0, sizeof E);
	mirror_env_open(&E.m, "publish");
	E.lg = (struct logger){ .fn = cap_log, .min_level = WHORL_LOG_DEBUG };
}

static void teardown(void)
{
	mirror_env_close(&E.m);
}

static struct sigdb_meta meta_of(uint64_t i)
{
	return (struct sigdb_meta){ .category = (uint8_t)(1 + i % 5),
		                    .confidence = 90,
		                    .first_seen = 19000,
		                    .last_seen = 19001 };
}

static uint64_t key_of(uint64_t i)
{
	return whorl_fp_key((unsigned)(1 + i % 7), i * 0x9e3779b97f4a7c15ull + 1);
}

/* fps [from, to) spread over every engine, and a sketch of each engine per
 * 50 fps. */
static struct publish_set *make_set(uint64_t from, uint64_t to)
{
	struct publish_set *s = publish_set_new();
	for (uint64_t i = from; i < to; i++) {
		struct sigdb_meta m = meta_of(i);
		ck_assert_int_eq(publish_set_add_fp(s, key_of(i), (uint8_t)(1 + i % 7), 1, &m), 0);
		if (i % 50 == 0) {
			uint8_t sk[32];
			for (size_t k = 0; k < sizeof sk; k++)
				sk[k] = (uint8_t)(i * 7 + k);
			ck_assert_int_eq(publish_set_add_sketch(s, (uint8_t)(1 + i / 50 % 7), 1, sk,
			                                        sizeof sk, &m),
			                 0);
		}
	}
	return s;
}

static struct publish_result publish(uint64_t from, uint64_t to, int force_full, int keep,
                                     unsigned full_every)
{
	char err[256] = "";
	struct publish_set *s = make_set(from, to);
	struct publish_options o = { .out_dir = E.m.mirror,
		                     .now = T0,
		                     .force_full = force_full,
		                     .keep_deltas = keep,
		                     .full_every = full_every };
	struct publish_result res;
	int rc = publish_write(E.m.key, s, &o, &res, err, sizeof err);
	ck_assert_msg(rc == 0, "publish_write: %d %s", rc, err);
	publish_set_free(s);
	return res;
}

static int collect(void *ctx, const struct update_record *r)
{
	struct seen *s = ctx;
	ck_assert_uint_lt(s->n, MAX_SEEN);
	s->r[s->n] = *r;
	s->r[s->n++].bytes = NULL; /* points into the freed payload */
	return 0;
}

/* Decodes the mirror's data file `name` of kind into *out. */
static void decode(const char *name, int kind, struct seen *out)
{
	char ckname[128];
	uint8_t *ck, *file, *payload;
	size_t ck_len, file_len;
	struct update_cksum c;
	long body;

	snprintf(ckname, sizeof ckname, "%s%s", name, UPDATE_CKSUM_SUFFIX);
	ck_assert_int_eq(
	    update_read_bounded(E.m.mirror, ckname, UPDATE_MAX_CKSUM_BYTES, &ck, &ck_len), 0);
	body = update_signed_open(ck, ck_len, publish_key_public(E.m.key));
	ck_assert_int_ge(body, 0);
	ck_assert_int_eq(update_cksum_parse((char *)ck, (size_t)body, &c), 0);
	free(ck);
	ck_assert_int_eq(
	    update_read_bounded(E.m.mirror, name, UPDATE_MAX_FILE_BYTES, &file, &file_len), 0);
	ck_assert_int_eq(update_data_open(file, file_len, &c, &payload), 0);
	free(file);
	out->n = 0;
	ck_assert_int_eq(update_payload_parse(payload, c.raw_size, kind, collect, out), 0);
	free(payload);
}

/* 1 when a comes strictly before b in the publisher's order. */
static int before(const struct update_record *a, const struct update_record *b)
{
	int fa = a->tag == UPDATE_REC_FP_PUT || a->tag == UPDATE_REC_FP_DEL;
	if (fa)
		return a->key < b->key;
	if (a->engine != b->engine)
		return a->engine < b->engine;
	return a->key < b->key;
}

/* r[from..to) all carry tag and are strictly ordered. */
static void check_run_of(const struct seen *s, size_t from, size_t to, int tag)
{
	for (size_t i = from; i < to; i++) {
		ck_assert_int_eq(s->r[i].tag, tag);
		if (i > from)
			ck_assert_msg(before(&s->r[i - 1], &s->r[i]),
			              "record %zu (tag %d) out of order", i, tag);
	}
}

static size_t count_tag(const struct seen *s, int tag)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		n += s->r[i].tag == tag;
	return n;
}

static void read_manifest(struct update_manifest *m)
{
	uint8_t *buf;
	size_t len;
	long body;
	ck_assert_int_eq(update_read_bounded(E.m.mirror, UPDATE_MANIFEST_NAME,
	                                     UPDATE_MAX_MANIFEST_BYTES, &buf, &len),
	                 0);
	body = update_signed_open(buf, len, publish_key_public(E.m.key));
	ck_assert_int_ge(body, 0);
	ck_assert_int_eq(update_manifest_parse((char *)buf, (size_t)body, m), 0);
	free(buf);
}

static int mirror_has(const char *name)
{
	char p[600];
	struct stat st;
	snprintf(p, sizeof p, "%s/%s", E.m.mirror, name);
	return stat(p, &st) == 0;
}

START_TEST(test_complete_in_key_order)
{
	struct seen *s = malloc(sizeof *s);
	size_t n_fp = 0;
	ck_assert_ptr_nonnull(s);
	publish(0, 1000, 0, 0, 0);
	decode("sigs.1.z.enc", UPDATE_KIND_COMPLETE, s);
	n_fp = count_tag(s, UPDATE_REC_FP_PUT);
	ck_assert_uint_eq(n_fp, 1000);
	ck_assert_uint_eq(s->n, 1000 + 20);
	/* every fp first, ascending by key across engines; then sketches */
	check_run_of(s, 0, n_fp, UPDATE_REC_FP_PUT);
	check_run_of(s, n_fp, s->n, UPDATE_REC_SK_PUT);
	/* the engines really are interleaved in key order (not grouped) */
	size_t switches = 0;
	for (size_t i = 1; i < n_fp; i++)
		switches += s->r[i].engine != s->r[i - 1].engine;
	ck_assert_uint_gt(switches, 100);
	free(s);
}
END_TEST

START_TEST(test_delta_in_key_order)
{
	struct seen *s = malloc(sizeof *s);
	size_t n_fdel, n_sdel, n_fput;
	ck_assert_ptr_nonnull(s);
	publish(0, 500, 0, 0, 0);
	publish(200, 800, 0, 0, 0); /* removes 0..199, adds 500..799 */
	decode("sigs.1-2.z.enc", UPDATE_KIND_DELTA, s);
	n_fdel = count_tag(s, UPDATE_REC_FP_DEL);
	n_sdel = count_tag(s, UPDATE_REC_SK_DEL);
	n_fput = count_tag(s, UPDATE_REC_FP_PUT);
	ck_assert_uint_eq(n_fdel, 200);
	ck_assert_uint_eq(n_sdel, 4);
	ck_assert_uint_eq(n_fput, 300);
	check_run_of(s, 0, n_fdel, UPDATE_REC_FP_DEL);
	check_run_of(s, n_fdel, n_fdel + n_sdel, UPDATE_REC_SK_DEL);
	check_run_of(s, n_fdel + n_sdel, n_fdel + n_sdel + n_fput, UPDATE_REC_FP_PUT);
	check_run_of(s, n_fdel + n_sdel + n_fput, s->n, UPDATE_REC_SK_PUT);
	free(s);
}
END_TEST

START_TEST(test_one_record_per_key)
{
	struct publish_set *s = publish_set_new();
	struct sigdb_meta a = meta_of(1), b = meta_of(2), got;
	ck_assert_int_eq(publish_set_add_fp(s, 42, 1, 1, &a), 0);
	ck_assert_int_eq(publish_set_add_fp(s, 42, 3, 1, &b), 0); /* same key, other engine */
	ck_assert_uint_eq(publish_set_count(s), 1);
	ck_assert_int_eq(publish_set_get_fp(s, 1, 42, NULL), 0);
	ck_assert_int_eq(publish_set_get_fp(s, 3, 42, &got), 1);
	ck_assert_int_eq(memcmp(&got, &b, sizeof got), 0);
	publish_set_free(s);
}
END_TEST

START_TEST(test_complete_drops_chain_by_default)
{
	struct update_manifest m;
	publish(0, 100, 0, 0, 0);
	publish(0, 110, 0, 0, 0);
	publish(0, 120, 1, 0, 0);
	read_manifest(&m);
	ck_assert_uint_eq(m.src[UPDATE_SRC_SIGS].complete, 3);
	ck_assert_uint_eq(m.src[UPDATE_SRC_SIGS].n_deltas, 0);
}
END_TEST

static void check_chain(const struct update_manifest_source *s)
{
	for (size_t k = 0; k < s->n_deltas; k++) {
		ck_assert_uint_eq(s->deltas[k].serial, s->deltas[k].base + 1);
		if (k > 0)
			ck_assert_uint_eq(s->deltas[k].base, s->deltas[k - 1].serial);
		ck_assert_msg(mirror_has(s->deltas[k].name), "%s missing", s->deltas[k].name);
	}
	ck_assert_uint_eq(s->deltas[s->n_deltas - 1].serial, s->incremental);
	ck_assert(mirror_has(s->full.name));
}

START_TEST(test_chain_kept_across_complete)
{
	struct update_manifest m;
	struct publish_result r;
	const struct update_manifest_source *s = &m.src[UPDATE_SRC_SIGS];
	publish(0, 100, 0, 1, 0);     /* complete 1 */
	publish(0, 110, 0, 1, 0);     /* delta 1->2 */
	r = publish(5, 120, 1, 1, 0); /* complete 3, and delta 2->3 */
	ck_assert_int_eq(r.wrote_complete, 1);
	read_manifest(&m);
	ck_assert_uint_eq(s->complete, 3);
	ck_assert_uint_eq(s->incremental, 3);
	ck_assert_uint_eq(s->n_deltas, 2);
	check_chain(s);
	r = publish(5, 130, 0, 1, 0); /* delta 3->4 */
	ck_assert_int_eq(r.wrote_complete, 0);
	ck_assert_uint_eq(r.n_put, 10);
	read_manifest(&m);
	ck_assert_uint_eq(s->complete, 3);
	ck_assert_uint_eq(s->n_deltas, 3);
	check_chain(s);
	/* the read-back (complete 3 + the deltas after it only) is exactly the
	 * set published: the same set again changes nothing */
	r = publish(5, 130, 0, 1, 0);
	ck_assert_uint_eq(r.sigs_incremental, 4);
	ck_assert_uint_eq(r.n_put + r.n_del, 0);
}
END_TEST

START_TEST(test_chain_capped_and_pruned)
{
	struct update_manifest m;
	const struct update_manifest_source *s = &m.src[UPDATE_SRC_SIGS];
	size_t since = 0, n_files = 0;
	DIR *d;
	struct dirent *e;
	for (uint64_t k = 0; k < 70; k++)
		publish(k, 100 + k, 0, 1, 3); /* a complete file every 3 deltas */
	read_manifest(&m);
	ck_assert_uint_eq(s->incremental, 70);
	ck_assert_uint_eq(s->n_deltas, UPDATE_MAX_DELTAS);
	ck_assert_uint_eq(s->deltas[0].base, 70 - UPDATE_MAX_DELTAS);
	check_chain(s);
	for (size_t k = 0; k < s->n_deltas; k++)
		since += s->deltas[k].serial > s->complete;
	ck_assert_uint_le(since, 3);
	/* gone: files named by neither this manifest nor the one before */
	ck_assert(!mirror_has("sigs.1.z.enc"));
	ck_assert(!mirror_has("sigs.1.z.enc.cksum"));
	ck_assert(!mirror_has("sigs.1-2.z.enc"));
	ck_assert(!mirror_has("sigs.4-5.z.enc.cksum"));
	/* kept: the chain (checked above) plus at most the previous manifest's
	 * oldest delta and complete file */
	ck_assert_ptr_nonnull(d = opendir(E.m.mirror));
	while ((e = readdir(d)))
		n_files += strncmp(e->d_name, "sigs.", 5) == 0;
	closedir(d);
	ck_assert_uint_ge(n_files, 2 * (UPDATE_MAX_DELTAS + 1));
	ck_assert_uint_le(n_files, 2 * (UPDATE_MAX_DELTAS + 3));
}
END_TEST

static int load(const struct sigdb *cur, struct sigdb **out)
{
	E.last[0] = 0;
	return update_load_url(&E.m.cfg, &E.lg, &hooks, cur, NULL, out);
}

static void has_exactly(const struct sigdb *db, uint64_t from, uint64_t to)
{
	ck_assert_uint_eq(sigdb_count(db), to - from);
	for (uint64_t i = from; i < to; i++)
		ck_assert_int_eq(sigdb_lookup(db, key_of(i), NULL), 1);
}

/* A gateway on serial 2 when the mirror moved on to complete 3 (chain kept)
 * and delta 3->4 walks 2->3->4 by deltas. */
START_TEST(test_gateway_behind_moves_by_deltas)
{
	struct sigdb *db2 = NULL, *db4 = NULL;
	uint64_t c, i;
	publish(0, 100, 0, 1, 0);
	publish(0, 110, 0, 1, 0);
	ck_assert_int_eq(load(NULL, &db2), 0);
	publish(5, 120, 1, 1, 0);
	publish(5, 130, 0, 1, 0);
	ck_assert_int_eq(load(db2, &db4), 0);
	ck_assert_ptr_nonnull(db4);
	ck_assert_msg(strstr(E.last, "Successfully updated sigs from disk (new serial 1.4)"), "%s",
	              E.last);
	sigdb_serial(db4, SIGDB_SRC_SIGS, &c, &i);
	ck_assert_uint_eq(c, 1);
	ck_assert_uint_eq(i, 4);
	has_exactly(db4, 5, 130);
	sigdb_unref(db2);
	sigdb_unref(db4);
}
END_TEST

/* A fresh gateway takes complete 3, then only the deltas after it (loader.c
 * load_sigs() goes on from the delta whose base is the complete serial,
 * not from the first delta the manifest keeps). */
START_TEST(test_fresh_gateway_after_kept_chain)
{
	struct sigdb *db = NULL;
	uint64_t c, i;
	publish(0, 100, 0, 1, 0);
	publish(0, 110, 0, 1, 0);
	publish(5, 120, 1, 1, 0);
	publish(5, 130, 0, 1, 0);
	ck_assert_msg(load(NULL, &db) == 0, "%s", E.last);
	sigdb_serial(db, SIGDB_SRC_SIGS, &c, &i);
	ck_assert_uint_eq(c, 3);
	ck_assert_uint_eq(i, 4);
	has_exactly(db, 5, 130);
	sigdb_unref(db);
}
END_TEST

/* update_set_read(): the public reader the publisher reads its mirror back
 * with: every sigs record of the complete file and the chain after it, the
 * text sources; nothing for an empty directory; a set signed by another key
 * refused with the reason. */
START_TEST(test_set_read)
{
	struct update_manifest m;
	struct seen *s = malloc(sizeof *s);
	uint8_t *text[UPDATE_N_SOURCES] = { NULL }, other[UPDATE_KEY_BYTES];
	size_t text_len[UPDATE_N_SOURCES] = { 0 };
	const uint8_t *pk = publish_key_public(E.m.key);

	ck_assert_ptr_nonnull(s);
	s->n = 0;
	ck_assert_int_eq(update_set_read(E.m.mirror, pk, &E.lg, &m, collect, s, text, text_len),
	                 WHORL_ENODATA);
	publish(0, 100, 0, 0, 0);
	publish(0, 120, 0, 0, 0); /* a delta: 20 more */
	ck_assert_int_eq(update_set_read(E.m.mirror, pk, &E.lg, &m, collect, s, text, text_len), 0);
	ck_assert_uint_eq(m.src[UPDATE_SRC_SIGS].incremental, 2);
	ck_assert_uint_eq(count_tag(s, UPDATE_REC_FP_PUT), 120);
	for (int i = 0; i < UPDATE_N_SOURCES; i++)
		free(text[i]);
	memcpy(other, pk, sizeof other);
	other[0] ^= 1;
	E.last[0] = 0;
	ck_assert_int_ne(update_set_read(E.m.mirror, other, &E.lg, &m, collect, s, text, text_len),
	                 0);
	ck_assert_msg(strstr(E.last, "manifest: not a set signed by this key"), "%s", E.last);
	free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("publish");
	TCase *tc = tcase_create("publish");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_complete_in_key_order);
	tcase_add_test(tc, test_delta_in_key_order);
	tcase_add_test(tc, test_one_record_per_key);
	tcase_add_test(tc, test_complete_drops_chain_by_default);
	tcase_add_test(tc, test_chain_kept_across_complete);
	tcase_add_test(tc, test_chain_capped_and_pruned);
	tcase_add_test(tc, test_gateway_behind_moves_by_deltas);
	tcase_add_test(tc, test_fresh_gateway_after_kept_chain);
	tcase_add_test(tc, test_set_read);
	suite_add_tcase(s, tc);
	return check_run(s);
}
