/*
 * state_load.c - load a set named by a state file from the local cache at
 * start-up, re-verifying every file: the signed checksum file (pinned key,
 * source, serial, complete), then length, hash, decryption and inflation
 * with its cap. All or nothing: text hooks run only once the whole set
 * verified and the snapshot was built. The complete sigs file is read
 * through a fixed window (datastream.c), never whole in memory.
 *
 * Not for: the mirror (loader.c) or which set to try (state_run.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include "../../abi/whorl_cartridge.h"
#include "state.h"
#include "update_internal.h"

struct disk_load {
	const struct logger *lg;
	const struct update_hooks *hooks;
	const char *dir;
	uint8_t pk[UPDATE_KEY_BYTES];
	uint8_t key_id[UPDATE_KEY_ID_BYTES];
	struct sigdb_builder *b;
	uint8_t *text[UPDATE_N_SOURCES];
	size_t text_len[UPDATE_N_SOURCES];
};

/* Bounded read that refuses a symlink planted in the cache. */
static int read_plain(const char *dir, const char *name, size_t max, uint8_t **buf, size_t *len)
{
	char path[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path ||
	    lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return WHORL_EIO;
	return update_read_bounded(dir, name, max, buf, len);
}

static int disk_fail(const struct disk_load *dl, int src, const char *name, int rc)
{
	log_error(dl->lg, UPDATE_MOD, "Could not update %s from disk (microupdate file %s %s).",
	          update_source_name(src), name,
	          rc == WHORL_EIO ? "could not be read" : "failed the integrity check");
	return rc == WHORL_EIO ? WHORL_EIO : WHORL_ESIGNATURE;
}

/* Reads and verifies the checksum file of <src>.<serial>.z.enc into *c;
 * name receives the data file's name. */
static int disk_cksum_open(struct disk_load *dl, int src, uint64_t serial,
                           struct update_cksum *c, char name[UPDATE_MAX_NAME + 1])
{
	char ckname[UPDATE_MAX_NAME + sizeof UPDATE_CKSUM_SUFFIX];
	uint64_t max_raw = src == UPDATE_SRC_SIGS ? UPDATE_MAX_INFLATED_BYTES : UPDATE_MAX_TEXT_BYTES;
	uint8_t *ck = NULL;
	size_t ck_len;
	long body;
	int rc;

	update_cache_name(src, serial, name, UPDATE_MAX_NAME + 1);
	snprintf(ckname, sizeof ckname, "%s%s", name, UPDATE_CKSUM_SUFFIX);
	if ((rc = read_plain(dl->dir, ckname, UPDATE_MAX_CKSUM_BYTES, &ck, &ck_len)) != 0)
		return disk_fail(dl, src, ckname, rc);
	body = update_signed_open(ck, ck_len, dl->pk);
	if (body < 0 || update_cksum_parse((const char *)ck, (size_t)body, c) != 0 ||
	    memcmp(c->key_id, dl->key_id, sizeof c->key_id) != 0 || c->source != src ||
	    c->serial != serial || c->base != 0 || c->raw_size > max_raw ||
	    c->size > UPDATE_MAX_FILE_BYTES)
		rc = disk_fail(dl, src, ckname, WHORL_ESIGNATURE);
	free(ck);
	return rc;
}

/* Verifies and opens a (small) text file <src>.<serial>.z.enc; *payload malloc'd. */
static int disk_file_open(struct disk_load *dl, int src, uint64_t serial, uint8_t **payload,
                          size_t *len)
{
	char name[UPDATE_MAX_NAME + 1];
	struct update_cksum c;
	uint8_t *data = NULL;
	size_t data_len;
	int rc;

	if ((rc = disk_cksum_open(dl, src, serial, &c, name)) != 0)
		goto out;
	if ((rc = read_plain(dl->dir, name, (size_t)c.size, &data, &data_len)) != 0 ||
	    (rc = update_data_open(data, data_len, &c, payload)) != 0) {
		rc = disk_fail(dl, src, name, rc);
		goto out;
	}
	*len = (size_t)c.raw_size;
out:
	sodium_memzero(&c, sizeof c);
	free(data);
	return rc;
}

static int put_record(void *ctx, const struct update_record *r)
{
	struct disk_load *dl = ctx;
	uint32_t anchors[16];
	size_t n = 0;

	if (r->tag == UPDATE_REC_FP_PUT)
		return sigdb_builder_put(dl->b, r->key, &r->meta);
	if (r->tag != UPDATE_REC_SK_PUT)
		return WHORL_EFORMAT;
	if (dl->hooks->anchors)
		n = dl->hooks->anchors(r->engine, r->algo, r->bytes, r->len, anchors,
		                       sizeof anchors / sizeof anchors[0]);
	return sigdb_builder_put_sketch(dl->b, r->engine, r->algo, r->key, r->bytes, r->len,
	                                anchors, n, &r->meta);
}

static void reserve_records(void *ctx, uint32_t n)
{
	struct disk_load *dl = ctx;

	(void)sigdb_builder_reserve(dl->b, n);
}

static int sigs_sink(void *ctx, const uint8_t *p, size_t n)
{
	return update_payload_stream_feed(ctx, p, n);
}

/* The complete sigs file streams from the cache into dl->b through a fixed
 * window; dl->b is thrown away by the caller unless this returns 0. */
static int disk_sigs_load(struct disk_load *dl, uint64_t serial)
{
	char name[UPDATE_MAX_NAME + 1], path[PATH_MAX];
	struct update_payload_stream ps;
	struct update_cksum c;
	int fd = -1, rc;

	if ((rc = disk_cksum_open(dl, UPDATE_SRC_SIGS, serial, &c, name)) != 0)
		goto out;
	rc = WHORL_EIO;
	if (snprintf(path, sizeof path, "%s/%s", dl->dir, name) < (int)sizeof path)
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);   /* no planted link */
	if (fd < 0) {
		rc = disk_fail(dl, UPDATE_SRC_SIGS, name, rc);
		goto out;
	}
	update_payload_stream_init(&ps, UPDATE_KIND_COMPLETE, put_record, dl);
	ps.on_count = reserve_records;      /* a hint, capped by the signed raw size */
	ps.count_max = c.raw_size / UPDATE_MIN_RECORD_BYTES;
	rc = update_data_stream(fd, &c, sigs_sink, &ps);
	if (rc == 0)
		rc = update_payload_stream_finish(&ps);
	if (rc != 0 && rc == ps.err)
		log_error(dl->lg, UPDATE_MOD, "Could not update sigs from disk (sigs.%" PRIu64
		          ".z.enc: malformed records).", serial);
	else if (rc != 0)
		rc = disk_fail(dl, UPDATE_SRC_SIGS, name, rc);
out:
	sodium_memzero(&c, sizeof c);
	if (fd >= 0)
		close(fd);
	return rc;
}

static void disk_deliver(const struct disk_load *dl)
{
	const struct update_hooks *h = dl->hooks;
	void (*fn[UPDATE_N_SOURCES])(void *, const char *, size_t) = {
		[UPDATE_SRC_AWL] = h->on_awl, [UPDATE_SRC_CATS] = h->on_cats,
		[UPDATE_SRC_ACF] = h->on_acf
	};

	for (int i = 0; i < UPDATE_N_SOURCES; i++)
		if (dl->text[i] && fn[i])
			fn[i](h->ctx, (const char *)dl->text[i], dl->text_len[i]);
}

static void disk_reset(struct disk_load *dl)
{
	sigdb_builder_free(dl->b);
	dl->b = NULL;
	for (int i = 0; i < UPDATE_N_SOURCES; i++) {
		free(dl->text[i]);
		dl->text[i] = NULL;
	}
}

/* Loads set s whole into *out. */
static int disk_set_load(struct disk_load *dl, const struct update_set *s, struct sigdb **out)
{
	int rc = WHORL_ENOMEM;

	if (!(dl->b = sigdb_builder_new_replace(NULL)))
		goto out;
	if (s->complete[UPDATE_SRC_SIGS] && (rc = disk_sigs_load(dl, s->complete[UPDATE_SRC_SIGS])))
		goto out;
	for (int i = 0; i < UPDATE_N_SOURCES; i++) {
		if (i == UPDATE_SRC_SIGS || !s->complete[i])
			continue;
		if ((rc = disk_file_open(dl, i, s->complete[i], &dl->text[i], &dl->text_len[i])) != 0)
			goto out;
	}
	for (int i = 0; i < UPDATE_N_SOURCES; i++)
		sigdb_builder_set_serial(dl->b, (enum sigdb_source)i, s->complete[i], s->complete[i]);
	rc = WHORL_ENOMEM;
	if (!(*out = sigdb_builder_finish(dl->b)))
		goto out;
	dl->b = NULL;
	disk_deliver(dl);
	rc = 0;
out:
	disk_reset(dl);
	return rc;
}

static void log_fallback(const struct logger *lg, int kind, const struct update_set *cur,
                         const struct update_set *used)
{
	for (int i = 0; i < UPDATE_N_SOURCES; i++)
		if (cur->complete[i] != used->complete[i])
			log_info(lg, UPDATE_MOD, "Will load source %s from %s set (%s is not safe)",
			         update_source_name(i), update_set_name(kind), update_source_name(i));
}

/* The loaded set replaces current; the one on trial is given up. */
static void fallback_commit(struct disk_load *dl, int kind, const struct update_set *used,
                            const struct update_set *cur, int have_cur)
{
	struct update_set next = *used;

	if (have_cur)
		log_fallback(dl->lg, kind, cur, used);
	if (have_cur && cur->manifest_serial > next.manifest_serial)
		next.manifest_serial = cur->manifest_serial;
	(void)update_state_write(dl->dir, UPDATE_SET_CURRENT, &next, dl->lg);
	(void)update_state_remove(dl->dir, UPDATE_SET_UNSAFE, dl->lg);
}

static void status_fill(struct update_status *st, const struct update_set *s, uint64_t manifest)
{
	if (!st)
		return;
	memcpy(st->complete, s->complete, sizeof st->complete);
	memcpy(st->incremental, s->complete, sizeof st->incremental);
	st->manifest_serial = manifest > s->manifest_serial ? manifest : s->manifest_serial;
	st->expires = s->expires;       /* so a freeze after a restart still shows */
	st->from_cache = 1;
}

int update_state_load(const struct cfg *cfg, const struct logger *lg,
                      const struct update_hooks *hooks, int unclean, struct update_status *st,
                      struct sigdb **out, int *kind)
{
	static const struct update_hooks no_hooks;
	char dir[PATH_MAX];
	struct disk_load dl;
	struct update_set cur, s;
	int order[UPDATE_SET_KINDS], have_cur;
	size_t n;

	*out = NULL;
	*kind = -1;
	if (update_cache_dir(cfg, dir, sizeof dir) != 0)
		return WHORL_ENODATA;
	memset(&dl, 0, sizeof dl);
	dl.lg = lg;
	dl.hooks = hooks ? hooks : &no_hooks;
	dl.dir = dir;
	if (update_pubkey_load(cfg->publisher_key, dl.pk) != 0)
		return WHORL_ECONFIG;     /* the mirror path logs the key problem */
	update_key_id(dl.pk, dl.key_id);
	have_cur = update_state_read(dir, UPDATE_SET_CURRENT, &cur, lg) == 0;
	n = update_state_choose(dir, unclean, lg, order);
	for (size_t k = 0; k < n; k++) {
		if (update_state_read(dir, order[k], &s, lg) != 0)
			continue;
		if (disk_set_load(&dl, &s, out) != 0)
			continue;
		*kind = order[k];
		if (order[k] != UPDATE_SET_CURRENT)
			fallback_commit(&dl, order[k], &s, &cur, have_cur);
		status_fill(st, &s, have_cur ? cur.manifest_serial : 0);
		return 0;
	}
	return WHORL_ENODATA;
}
