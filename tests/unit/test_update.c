/*
 * test_update.c - micro-update sets end to end: publish with publisher/lib,
 * load through update_load_url() from a file:// mirror, and every way a set
 * must be refused (tampering, truncation, wrong key, rollback, wrong delta
 * base, expiry, missing checksum file, oversized length, compression bomb).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>

#include "cartridge/util/file_read.h"
#include "check_main.h"
#include "mirror_env.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../abi/whorl_cartridge.h"
#include "../../cartridge/update/update.h"
#include "../../cartridge/update/update_format.h"
#include "../../cartridge/update/update_internal.h"
#include "../../publisher/lib/pub_internal.h"
#include "../../publisher/lib/publish.h"

#define T0 1700000000

struct env {
	struct mirror_env m; /* root, mirror, keys, cache, cfg, key */
	struct logger lg;
	int64_t now;
	char last[4096]; /* all log lines, joined */
	char cats[256];
	int n_cats, n_acf;
};
static struct env E; /* test-only state; each test runs in its own fork */

static void cap_log(void *ctx, int level, const char *module, const char *msg)
{
	size_t n = strlen(E.last);
	snprintf(E.last + n, sizeof E.last - n, "%s|", msg);
}
static int64_t fake_now(void *ctx)
{
	return E.now;
}
static void on_cats(void *ctx, const char *t, size_t n)
{
	snprintf(E.cats, sizeof E.cats, "%.*s", (int)n, t);
	E.n_cats++;
}
static void on_acf(void *ctx, const char *t, size_t n)
{
	E.n_acf++;
}
static const struct update_hooks hooks = { .on_cats = on_cats, .on_acf = on_acf, .now = fake_now };

static void setup(void)
{
	memset(&E, 0, sizeof E);
	mirror_env_open(&E.m, "update");
	E.lg = (struct logger){ .fn = cap_log, .min_level = WHORL_LOG_DEBUG };
	E.now = T0 + 60;
}

static void teardown(void)
{
	mirror_env_close(&E.m);
}

static struct sigdb_meta meta_of(uint64_t i)
{
	return (struct sigdb_meta){ .category = (uint8_t)(1 + i % 5),
		                    .subcategory = 0,
		                    .confidence = (uint8_t)(50 + i % 50),
		                    .flags = (i % 7 == 0) ? SIGDB_F_LEGIT : 0,
		                    .first_seen = 19000,
		                    .last_seen = (uint16_t)(19000 + i % 9) };
}

/* A set with fps [from, to) and one sketch per 100 fps. */
static struct publish_set *make_set(uint64_t from, uint64_t to)
{
	struct publish_set *s = publish_set_new();
	for (uint64_t i = from; i < to; i++) {
		struct sigdb_meta m = meta_of(i);
		ck_assert_int_eq(publish_set_add_fp(s, i * 0x9e3779b97f4a7c15ull + 1,
		                                    (uint8_t)(1 + i % 7), 1, &m),
		                 0);
		if (i % 100 == 0) {
			uint8_t sk[40];
			for (size_t k = 0; k < sizeof sk; k++)
				sk[k] = (uint8_t)(i + k);
			ck_assert_int_eq(
			    publish_set_add_sketch(s, WHORL_FP_FUZZY, 1, sk, sizeof sk, &m), 0);
		}
	}
	return s;
}

static void publish(uint64_t from, uint64_t to, int force_full, unsigned full_every)
{
	char err[256] = "";
	struct publish_set *s = make_set(from, to);
	struct publish_options o = { .out_dir = E.m.mirror,
		                     .now = T0,
		                     .force_full = force_full,
		                     .full_every = full_every,
		                     .cats = "1/0 spam undefined\n",
		                     .cats_len = 19 };
	int rc = publish_write(E.m.key, s, &o, NULL, err, sizeof err);
	ck_assert_msg(rc == 0, "publish_write: %d %s", rc, err);
	publish_set_free(s);
}

static int load(const struct sigdb *cur, struct sigdb **out, struct update_status *st)
{
	E.last[0] = 0;
	return update_load_url(&E.m.cfg, &E.lg, &hooks, cur, st, out);
}

static void has_fps(const struct sigdb *db, uint64_t from, uint64_t to)
{
	for (uint64_t i = from; i < to; i++) {
		struct sigdb_meta m, want = meta_of(i);
		ck_assert_int_eq(sigdb_lookup(db, i * 0x9e3779b97f4a7c15ull + 1, &m), 1);
		ck_assert_int_eq(memcmp(&m, &want, sizeof m), 0);
	}
}

static void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", E.m.mirror, name);
}

static void flip_byte(const char *name, long where)
{
	char p[512];
	FILE *f;
	int c;
	path_of(p, sizeof p, name);
	ck_assert_ptr_nonnull(f = fopen(p, "r+b"));
	fseek(f, where, where < 0 ? SEEK_END : SEEK_SET);
	c = fgetc(f);
	fseek(f, -1, SEEK_CUR);
	fputc(c ^ 0x20, f);
	fclose(f);
}

static void truncate_file(const char *name, long by)
{
	char p[512];
	struct stat st;
	path_of(p, sizeof p, name);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(truncate(p, st.st_size - by), 0);
}

static void expect_refused(int want_rc, const char *want_log)
{
	struct sigdb *db = (struct sigdb *)1;
	int rc = load(NULL, &db, NULL);
	ck_assert_msg(rc == want_rc, "rc %d, want %d; log: %s", rc, want_rc, E.last);
	ck_assert_ptr_null(db);
	ck_assert_msg(strstr(E.last, want_log), "log lacks '%s': %s", want_log, E.last);
}

START_TEST(test_roundtrip_complete)
{
	struct sigdb *db = NULL;
	struct update_status st = { 0 };
	uint64_t c, i;
	publish(0, 1000, 0, 0);
	ck_assert_int_eq(load(NULL, &db, &st), 0);
	ck_assert_ptr_nonnull(db);
	ck_assert_uint_eq(sigdb_count(db), 1000);
	ck_assert_uint_eq(sigdb_sketch_count(db), 10);
	has_fps(db, 0, 1000);
	sigdb_serial(db, SIGDB_SRC_SIGS, &c, &i);
	ck_assert_uint_eq(c, 1);
	ck_assert_uint_eq(i, 1);
	ck_assert_str_eq(E.cats, "1/0 spam undefined\n");
	ck_assert_int_eq(E.n_acf, 1);
	ck_assert_uint_eq(st.manifest_serial, 1);
	ck_assert_uint_eq(st.check_interval, 60);
	ck_assert_uint_eq(st.full_interval, 10800);
	ck_assert_int_eq(st.expires - st.issued, 7 * 86400);
	ck_assert_msg(strstr(E.last, "Successfully updated sigs from disk (new serial 1.1)."), "%s",
	              E.last);
	/* Nothing newer: success, no snapshot. */
	struct sigdb *again = (struct sigdb *)1;
	ck_assert_int_eq(load(db, &again, &st), 0);
	ck_assert_ptr_null(again);
	sigdb_unref(db);
}
END_TEST

START_TEST(test_roundtrip_delta)
{
	struct sigdb *db1 = NULL, *db2 = NULL, *fresh = NULL;
	uint64_t c, i;
	publish(0, 300, 0, 0);
	ck_assert_int_eq(load(NULL, &db1, NULL), 0);
	publish(10, 320, 0, 0); /* removes 0..9, adds 300..319 */
	ck_assert_int_eq(load(db1, &db2, NULL), 0);
	ck_assert_ptr_nonnull(db2);
	ck_assert_uint_eq(sigdb_count(db2), 310);
	has_fps(db2, 10, 320);
	ck_assert_int_eq(sigdb_lookup(db2, 0 * 0x9e3779b97f4a7c15ull + 1, NULL), 0);
	ck_assert_uint_eq(sigdb_sketch_count(db2), 3); /* 100, 200, 300 */
	sigdb_serial(db2, SIGDB_SRC_SIGS, &c, &i);
	ck_assert_uint_eq(c, 1);
	ck_assert_uint_eq(i, 2);
	/* From nothing: complete 1 plus the delta gives the same data. */
	ck_assert_int_eq(load(NULL, &fresh, NULL), 0);
	ck_assert_uint_eq(sigdb_count(fresh), 310);
	has_fps(fresh, 10, 320);
	sigdb_unref(db1);
	sigdb_unref(db2);
	sigdb_unref(fresh);
}
END_TEST

START_TEST(test_full_every)
{
	struct sigdb *db = NULL;
	uint64_t c, i;
	publish(0, 50, 0, 2);
	publish(0, 60, 0, 2);
	publish(0, 70, 0, 2);
	publish(0, 80, 0, 2); /* two deltas already: a new complete */
	ck_assert_int_eq(load(NULL, &db, NULL), 0);
	sigdb_serial(db, SIGDB_SRC_SIGS, &c, &i);
	ck_assert_uint_eq(c, 4);
	ck_assert_uint_eq(i, 4);
	ck_assert_uint_eq(sigdb_count(db), 80);
	sigdb_unref(db);
}
END_TEST

/* Bytes of path (at most cap), or -1. */
static long slurp(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;
	if (!f)
		return -1;
	n = fread(buf, 1, cap, f);
	fclose(f);
	return (long)n;
}

static int cache_has_part(void)
{
	char cmd[700];
	snprintf(cmd, sizeof cmd, "ls '%s/micro_updates' | grep -q '\\.part$'", E.m.cache);
	return system(cmd) == 0;
}

/* A complete sigs file streams through <cache>/sigs.1.z.enc.part: a link
 * planted there is not followed, the verified file ends up renamed into
 * the cache byte for byte, and no .part is left; a refused one leaves
 * nothing behind. */
START_TEST(test_stream_cache_part)
{
	static uint8_t a[1 << 20], b[1 << 20];
	char p[700], q[700], target[700];
	struct sigdb *db = NULL;
	long na, nb;

	publish(0, 2000, 0, 0);
	flip_byte("sigs.1.z.enc", 200);
	expect_refused(WHORL_ESIGNATURE, "sigs.1.z.enc failed the integrity check");
	ck_assert(!cache_has_part());
	snprintf(p, sizeof p, "%s/micro_updates/sigs.1.z.enc", E.m.cache);
	ck_assert_int_ne(access(p, F_OK), 0);
	flip_byte("sigs.1.z.enc", 200);
	snprintf(target, sizeof target, "%s/target", E.m.root);
	FILE *f = fopen(target, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	snprintf(q, sizeof q, "%s/micro_updates/sigs.1.z.enc.part", E.m.cache);
	ck_assert_int_eq(symlink(target, q), 0);
	ck_assert_int_eq(load(NULL, &db, NULL), 0);
	ck_assert_uint_eq(sigdb_count(db), 2000);
	ck_assert_int_eq(slurp(target, a, sizeof a), 0); /* the link was not followed */
	ck_assert(!cache_has_part());
	path_of(q, sizeof q, "sigs.1.z.enc");
	na = slurp(p, a, sizeof a);
	nb = slurp(q, b, sizeof b);
	ck_assert_int_gt(na, 0);
	ck_assert_int_eq(na, nb);
	ck_assert_int_eq(memcmp(a, b, (size_t)na), 0);
	sigdb_unref(db);
}
END_TEST

START_TEST(test_flipped_manifest)
{
	publish(0, 100, 0, 0);
	flip_byte("manifest", 30);
	expect_refused(WHORL_ESIGNATURE, "manifest failed the integrity check");
}
END_TEST

START_TEST(test_flipped_data)
{
	publish(0, 100, 0, 0);
	flip_byte("sigs.1.z.enc", 100);
	expect_refused(WHORL_ESIGNATURE, "sigs.1.z.enc failed the integrity check");
}
END_TEST

START_TEST(test_flipped_cksum)
{
	publish(0, 100, 0, 0);
	flip_byte("sigs.1.z.enc.cksum", 60);
	expect_refused(WHORL_ESIGNATURE, "sigs.1.z.enc.cksum failed the integrity check");
}
END_TEST

START_TEST(test_truncated)
{
	publish(0, 100, 0, 0);
	truncate_file("sigs.1.z.enc", 1);
	expect_refused(WHORL_ESIGNATURE, "failed the integrity check");
	truncate_file("manifest", 10);
	expect_refused(WHORL_EFORMAT, "manifest failed the integrity check");
}
END_TEST

START_TEST(test_larger_than_declared)
{
	char p[512];
	FILE *f;
	publish(0, 100, 0, 0);
	path_of(p, sizeof p, "sigs.1.z.enc");
	ck_assert_ptr_nonnull(f = fopen(p, "ab"));
	fputs("extra", f);
	fclose(f);
	expect_refused(WHORL_ESIGNATURE, "is larger than declared");
}
END_TEST

START_TEST(test_wrong_key)
{
	char err[256], other[320];
	publish(0, 100, 0, 0);
	snprintf(other, sizeof other, "%s/other", E.m.root);
	mkdir(other, 0700);
	ck_assert_int_eq(publish_keygen(other, err, sizeof err), 0);
	snprintf(E.m.cfg.publisher_key, sizeof E.m.cfg.publisher_key, "%s/publisher.pub", other);
	expect_refused(WHORL_ESIGNATURE, "manifest failed the integrity check");
}
END_TEST

START_TEST(test_rollback)
{
	struct sigdb *db = NULL;
	struct update_status st = { 0 };
	char cmd[1024];
	publish(0, 100, 0, 0);
	snprintf(cmd, sizeof cmd, "cp -r '%s' '%s/old'", E.m.mirror, E.m.root);
	ck_assert_int_eq(system(cmd), 0);
	publish(0, 120, 0, 0);
	ck_assert_int_eq(load(NULL, &db, &st), 0);
	ck_assert_uint_eq(st.manifest_serial, 2);
	snprintf(cmd, sizeof cmd, "rm -rf '%s' && mv '%s/old' '%s'", E.m.mirror, E.m.root,
	         E.m.mirror);
	ck_assert_int_eq(system(cmd), 0);
	struct sigdb *out = (struct sigdb *)1;
	/* Older manifest serial than already seen. */
	ck_assert_int_eq(load(db, &out, &st), WHORL_ESTALE);
	ck_assert_ptr_null(out);
	ck_assert_ptr_nonnull(strstr(E.last, "is older than serial 2 already seen"));
	/* Without the manifest floor, the data serial still refuses it. */
	st.manifest_serial = 0;
	ck_assert_int_eq(load(db, &out, &st), WHORL_ESTALE);
	ck_assert_ptr_nonnull(strstr(E.last, "is older than the serial in use 2"));
	sigdb_unref(db);
}
END_TEST

/* Re-signs the mirror's manifest after edit() changed it. */
static void resign(void (*edit)(struct update_manifest *))
{
	uint8_t *buf;
	size_t len;
	struct update_manifest m;
	char out[UPDATE_MAX_MANIFEST_BYTES];
	long body, n;
	FILE *f;
	char p[512];
	uint8_t pk[32];
	memcpy(pk, publish_key_public(E.m.key), 32);
	ck_assert_int_eq(
	    update_read_bounded(E.m.mirror, "manifest", UPDATE_MAX_MANIFEST_BYTES, &buf, &len), 0);
	body = update_signed_open(buf, len, pk);
	ck_assert_int_ge(body, 0);
	ck_assert_int_eq(update_manifest_parse((char *)buf, (size_t)body, &m), 0);
	free(buf);
	edit(&m);
	n = update_manifest_write(&m, publish_key_secret(E.m.key), out, sizeof out);
	ck_assert_int_gt(n, 0);
	path_of(p, sizeof p, "manifest");
	ck_assert_ptr_nonnull(f = fopen(p, "wb"));
	fwrite(out, 1, (size_t)n, f);
	fclose(f);
}

static void drop_first_delta(struct update_manifest *m)
{
	struct update_manifest_source *s = &m->src[UPDATE_SRC_SIGS];
	memmove(&s->deltas[0], &s->deltas[1], (s->n_deltas - 1) * sizeof s->deltas[0]);
	s->n_deltas--;
}

START_TEST(test_wrong_base)
{
	publish(0, 100, 0, 0);
	publish(0, 110, 0, 0);
	publish(0, 120, 0, 0); /* complete 1, deltas 1->2, 2->3 */
	resign(drop_first_delta);
	expect_refused(WHORL_EFORMAT, "delta sigs.2-3.z.enc on the wrong base 2, serial in use 1");
}
END_TEST

static void oversize(struct update_manifest *m)
{
	m->src[UPDATE_SRC_SIGS].full.size = UPDATE_MAX_FILE_BYTES + 1;
}

START_TEST(test_oversized_declared)
{
	publish(0, 100, 0, 0);
	resign(oversize);
	expect_refused(WHORL_EFORMAT, "manifest failed the integrity check");
}
END_TEST

START_TEST(test_expired)
{
	publish(0, 100, 0, 0);
	E.now = T0 + 7 * 86400;
	expect_refused(WHORL_ESTALE, "expired at");
}
END_TEST

START_TEST(test_missing_cksum)
{
	char p[512];
	publish(0, 100, 0, 0);
	path_of(p, sizeof p, "sigs.1.z.enc.cksum");
	ck_assert_int_eq(unlink(p), 0);
	expect_refused(WHORL_EIO, "Failed to load checksum file from cache (sigs.1.z.enc.cksum)");
}
END_TEST

/* Replaces the sigs complete file by `payload` sealed honestly, but with
 * the checksum file declaring raw size `declared`. */
static void craft_sigs(const uint8_t *payload, size_t len, uint64_t declared)
{
	struct update_cksum c = { .source = UPDATE_SRC_SIGS, .serial = 1 };
	uint8_t *file;
	size_t flen;
	char ck[UPDATE_MAX_CKSUM_BYTES], p[512];
	long n;
	FILE *f;
	update_key_id(publish_key_public(E.m.key), c.key_id);
	snprintf(c.name, sizeof c.name, "sigs.1.z.enc");
	ck_assert_int_eq(update_data_seal(payload, len, &c, &file, &flen), 0);
	c.raw_size = declared;
	n = update_cksum_write(&c, publish_key_secret(E.m.key), ck, sizeof ck);
	ck_assert_int_gt(n, 0);
	path_of(p, sizeof p, "sigs.1.z.enc");
	ck_assert_ptr_nonnull(f = fopen(p, "wb"));
	fwrite(file, 1, flen, f);
	fclose(f);
	path_of(p, sizeof p, "sigs.1.z.enc.cksum");
	ck_assert_ptr_nonnull(f = fopen(p, "wb"));
	fwrite(ck, 1, (size_t)n, f);
	fclose(f);
	free(file);
}

static struct update_cksum crafted;
static void fix_ref(struct update_manifest *m)
{
	m->src[UPDATE_SRC_SIGS].full.size = crafted.size;
	memcpy(m->src[UPDATE_SRC_SIGS].full.hash, crafted.hash, sizeof crafted.hash);
}

START_TEST(test_compression_bomb)
{
	size_t big = (size_t)64 << 20; /* 64 MiB of zeros: about 64 KiB compressed */
	uint8_t *zeros = calloc(1, big);
	uint8_t *buf;
	size_t len;
	long body;
	ck_assert_ptr_nonnull(zeros);
	publish(0, 10, 0, 0);
	craft_sigs(zeros, big, 4096);
	free(zeros);
	/* read back the crafted checksum to learn size/hash for the manifest */
	ck_assert_int_eq(update_read_bounded(E.m.mirror, "sigs.1.z.enc.cksum", 1024, &buf, &len),
	                 0);
	body = update_signed_open(buf, len, publish_key_public(E.m.key));
	ck_assert_int_ge(body, 0);
	ck_assert_int_eq(update_cksum_parse((char *)buf, (size_t)body, &crafted), 0);
	free(buf);
	ck_assert_uint_lt(crafted.size, (size_t)1 << 20);
	resign(fix_ref);
	expect_refused(WHORL_ELIMIT, "inflates past its declared size");
}
END_TEST

START_TEST(test_declared_raw_past_limit)
{
	uint8_t *buf;
	size_t len;
	long body;
	uint8_t payload[UPDATE_PAYLOAD_HEADER_BYTES];
	update_payload_header(payload, UPDATE_KIND_COMPLETE, 0);
	publish(0, 10, 0, 0);
	craft_sigs(payload, sizeof payload, UPDATE_MAX_INFLATED_BYTES + 1);
	ck_assert_int_eq(update_read_bounded(E.m.mirror, "sigs.1.z.enc.cksum", 1024, &buf, &len),
	                 0);
	body = update_signed_open(buf, len, publish_key_public(E.m.key));
	ck_assert_int_ge(body, 0);
	ck_assert_int_eq(update_cksum_parse((char *)buf, (size_t)body, &crafted), WHORL_EFORMAT);
	free(buf);
	expect_refused(WHORL_ESIGNATURE, "sigs.1.z.enc.cksum failed the integrity check");
}
END_TEST

START_TEST(test_cache_fallback_and_prune)
{
	struct sigdb *db = NULL, *c1 = NULL;
	char p[512], cmd[600];
	for (int k = 0; k < 3; k++) {
		struct sigdb *next = NULL;
		publish(0, 100 + 10 * (uint64_t)k, 1, 0);
		ck_assert_int_eq(load(db, &next, NULL), 0);
		ck_assert_ptr_nonnull(next);
		if (db)
			sigdb_unref(db);
		db = next;
	}
	ck_assert_msg(strstr(E.last, "Removed old sigs file sigs.1.z.enc."), "%s", E.last);
	snprintf(p, sizeof p, "%s/micro_updates/sigs.1.z.enc", E.m.cache);
	ck_assert_int_ne(access(p, F_OK), 0);
	snprintf(p, sizeof p, "%s/micro_updates/sigs.2.z.enc", E.m.cache);
	ck_assert_int_eq(access(p, F_OK), 0);
	/* Mirror gone: start from the cache. */
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", E.m.mirror);
	ck_assert_int_eq(system(cmd), 0);
	struct update_status st = { 0 };
	ck_assert_int_eq(load(NULL, &c1, &st), 0);
	ck_assert_ptr_nonnull(c1);
	ck_assert_int_eq(st.from_cache, 1);
	ck_assert_uint_eq(sigdb_count(c1), 120);
	sigdb_unref(c1);
	sigdb_unref(db);
}
END_TEST

START_TEST(test_http_not_supported)
{
	struct sigdb *db = (struct sigdb *)1;
	snprintf(E.m.cfg.mu_url, sizeof E.m.cfg.mu_url, "ftp://example.org/");
	ck_assert_int_eq(load(NULL, &db, NULL), WHORL_ENOTSUP);
	ck_assert_ptr_null(db);
}
END_TEST

START_TEST(test_pubkey_raw)
{
	char p[512];
	uint8_t pk[32];
	FILE *f;
	snprintf(p, sizeof p, "%s/raw.pub", E.m.root);
	ck_assert_ptr_nonnull(f = fopen(p, "wb"));
	fwrite(publish_key_public(E.m.key), 1, 32, f);
	fclose(f);
	ck_assert_int_eq(update_pubkey_load(p, pk, NULL), 0);
	ck_assert_int_eq(memcmp(pk, publish_key_public(E.m.key), 32), 0);
	ck_assert_int_eq(update_pubkey_load(E.m.cfg.publisher_key, pk, NULL), 0);
	ck_assert_int_eq(memcmp(pk, publish_key_public(E.m.key), 32), 0);
	/* A device is refused with its real cause (issue 12.5: it used to
	 * report a stale errno, "No such file or directory"). */
	/* A file:// mirror file that is a FIFO: refused at once, never blocked on. */
	uint8_t *fbuf = NULL;
	size_t flen = 0;
	char fifo[600];
	snprintf(fifo, sizeof fifo, "%s/fifo.cksum", E.m.root);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(update_read_bounded(E.m.root, "fifo.cksum", 1024, &fbuf, &flen),
	                 WHORL_EIO);
	ck_assert_ptr_null(fbuf);
	unlink(fifo);
	int why = 0;
	ck_assert_int_eq(update_pubkey_load("/dev/zero", pk, &why), WHORL_EIO);
	ck_assert_int_eq(why, FILE_WHY_NOT_REGULAR);
	ck_assert_int_eq(update_pubkey_load("/nonexistent/publisher.pub", pk, &why), WHORL_EIO);
	ck_assert_int_eq(why, ENOENT);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("update");
	TCase *tc = tcase_create("update");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_roundtrip_complete);
	tcase_add_test(tc, test_roundtrip_delta);
	tcase_add_test(tc, test_full_every);
	tcase_add_test(tc, test_stream_cache_part);
	tcase_add_test(tc, test_flipped_manifest);
	tcase_add_test(tc, test_flipped_data);
	tcase_add_test(tc, test_flipped_cksum);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_larger_than_declared);
	tcase_add_test(tc, test_wrong_key);
	tcase_add_test(tc, test_rollback);
	tcase_add_test(tc, test_wrong_base);
	tcase_add_test(tc, test_oversized_declared);
	tcase_add_test(tc, test_expired);
	tcase_add_test(tc, test_missing_cksum);
	tcase_add_test(tc, test_compression_bomb);
	tcase_add_test(tc, test_declared_raw_past_limit);
	tcase_add_test(tc, test_cache_fallback_and_prune);
	tcase_add_test(tc, test_http_not_supported);
	tcase_add_test(tc, test_pubkey_raw);
	suite_add_tcase(s, tc);
	return check_run(s);
}
