/*
 * state_load.c - load a set named by a state file from the local cache at
 * start-up, re-verifying every file: the signed checksum file (pinned key,
 * source, serial, complete), then length, hash, decryption and inflation
 * with its cap. All or nothing for the complete files: text hooks run only
 * once they all verified and the snapshot was built. Then the sigs deltas
 * kept since (chain.c) are replayed one snapshot each, as far as they
 * verify, so a later start runs on the serial an update reached. The
 * complete sigs file is read through a fixed window (datastream.c), never
 * whole in memory.
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
#include "../util/file_read.h"
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
	int why = 0;

	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
		return WHORL_EIO;
	return file_read_whole(path, FILE_READ_NOFOLLOW, max, (char **)buf, len, &why);
}

static int disk_fail(const struct disk_load *dl, int src, const char *name, int rc)
{
	log_error(dl->lg, UPDATE_MOD, "Could not update %s from disk (microupdate file %s %s).",
	          update_source_name(src), name,
	          rc == WHORL_EIO ? "could not be read" : "failed the integrity check");
	return rc == WHORL_EIO ? WHORL_EIO : WHORL_ESIGNATURE;
}

/* Reads and verifies the checksum file of a cached file into *c: the
 * complete file <src>.<serial>.z.enc when base is 0, else the sigs delta
 * base -> serial (chain.c); name receives the data file's name. */
static int disk_cksum_open(struct disk_load *dl, int src, uint64_t base, uint64_t serial,
                           struct update_cksum *c, char name[UPDATE_MAX_NAME + 1])
{
	char ckname[UPDATE_MAX_NAME + sizeof UPDATE_CKSUM_SUFFIX];
	uint64_t max_raw =
	    src == UPDATE_SRC_SIGS ? UPDATE_MAX_INFLATED_BYTES : UPDATE_MAX_TEXT_BYTES;
	uint8_t *ck = NULL;
	size_t ck_len;
	long body;
	int rc;

	if (base)
		update_chain_name(base, serial, name, UPDATE_MAX_NAME + 1);
	else
		update_cache_name(src, serial, name, UPDATE_MAX_NAME + 1);
	snprintf(ckname, sizeof ckname, "%s%s", name, UPDATE_CKSUM_SUFFIX);
	if ((rc = read_plain(dl->dir, ckname, UPDATE_MAX_CKSUM_BYTES, &ck, &ck_len)) != 0)
		return disk_fail(dl, src, ckname, rc);
	body = update_signed_open(ck, ck_len, dl->pk);
	if (body < 0 || update_cksum_parse((const char *)ck, (size_t)body, c) != 0 ||
	    memcmp(c->key_id, dl->key_id, sizeof c->key_id) != 0 || c->source != src ||
	    c->serial != serial || c->base != base || c->raw_size > max_raw ||
	    c->size > UPDATE_MAX_FILE_BYTES)
		rc = disk_fail(dl, src, ckname, WHORL_ESIGNATURE);
	free(ck);
	return rc;
}

/* Verifies and opens a (small) cached file: a text source's complete file
 * (base 0) or a sigs delta; *payload malloc'd. */
static int disk_file_open(struct disk_load *dl, int src, uint64_t base, uint64_t serial,
                          uint8_t **payload, size_t *len)
{
	char name[UPDATE_MAX_NAME + 1];
	struct update_cksum c;
	uint8_t *data = NULL;
	size_t data_len;
	int rc;

	if ((rc = disk_cksum_open(dl, src, base, serial, &c, name)) != 0)
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

/* A complete file only puts. */
static int put_record(void *ctx, const struct update_record *r)
{
	struct disk_load *dl = ctx;

	if (r->tag != UPDATE_REC_FP_PUT && r->tag != UPDATE_REC_SK_PUT)
		return WHORL_EFORMAT;
	return update_record_apply(dl->b, dl->hooks->anchors, r);
}

/* A delta's removal of an absent entry is harmless, as in loader.c. */
static int delta_record(void *ctx, const struct update_record *r)
{
	struct disk_load *dl = ctx;
	int rc = update_record_apply(dl->b, dl->hooks->anchors, r);

	return rc == WHORL_ENODATA ? 0 : rc;
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
	int fd = -1, rc, why = 0;

	if ((rc = disk_cksum_open(dl, UPDATE_SRC_SIGS, 0, serial, &c, name)) != 0)
		goto out;
	rc = WHORL_EIO;
	if (snprintf(path, sizeof path, "%s/%s", dl->dir, name) < (int)sizeof path)
		fd = file_open_regular(path, FILE_READ_NOFOLLOW, NULL, &why); /* no link, no FIFO */
	if (fd < 0) {
		rc = disk_fail(dl, UPDATE_SRC_SIGS, name, rc);
		goto out;
	}
	update_payload_stream_init(&ps, UPDATE_KIND_COMPLETE, put_record, dl);
	ps.on_count = reserve_records; /* a hint, capped by the signed raw size */
	ps.count_max = c.raw_size / UPDATE_MIN_RECORD_BYTES;
	rc = update_data_stream(fd, &c, sigs_sink, &ps);
	if (rc == 0)
		rc = update_payload_stream_finish(&ps);
	if (rc != 0 && rc == ps.err)
		log_error(dl->lg, UPDATE_MOD,
		          "Could not update sigs from disk (sigs.%" PRIu64
		          ".z.enc: malformed records).",
		          serial);
	else if (rc != 0)
		rc = disk_fail(dl, UPDATE_SRC_SIGS, name, rc);
out:
	sodium_memzero(&c, sizeof c);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Applies the cached delta base -> serial on top of *db, which it replaces
 * on success (the old snapshot's reference is dropped). */
static int disk_delta_apply(struct disk_load *dl, uint64_t base, uint64_t serial, struct sigdb **db)
{
	uint64_t complete, incremental;
	uint8_t *payload = NULL;
	struct sigdb *next;
	size_t len;
	int rc;

	if ((rc = disk_file_open(dl, UPDATE_SRC_SIGS, base, serial, &payload, &len)) != 0)
		return rc;
	rc = WHORL_ENOMEM;
	if (!(dl->b = sigdb_builder_new(*db)))
		goto out;
	if ((rc = update_payload_parse(payload, len, UPDATE_KIND_DELTA, delta_record, dl)) != 0) {
		log_error(dl->lg, UPDATE_MOD,
		          "Could not update sigs from disk (sigs.%" PRIu64 "-%" PRIu64
		          ".z.enc: malformed records).",
		          base, serial);
		goto out;
	}
	sigdb_serial(*db, SIGDB_SRC_SIGS, &complete, &incremental);
	sigdb_builder_set_serial(dl->b, SIGDB_SRC_SIGS, complete, serial);
	next = sigdb_builder_finish(dl->b);
	dl->b = NULL;
	rc = WHORL_ENOMEM;
	if (!next)
		goto out;
	sigdb_unref(*db);
	*db = next;
	rc = 0;
out:
	sigdb_builder_free(dl->b);
	dl->b = NULL;
	free(payload);
	return rc;
}

/* Replays the cached sigs deltas from the set's complete serial towards
 * its incremental one, as far as they verify; *reached gets the serial in
 * use after, and the count of deltas applied is returned. */
static uint32_t disk_chain_replay(struct disk_load *dl, const struct update_set *s,
                                  struct sigdb **db, uint64_t *reached)
{
	struct update_chain chain;
	uint32_t n = 0;

	*reached = s->complete[UPDATE_SRC_SIGS];
	if (s->incremental[UPDATE_SRC_SIGS] <= *reached ||
	    update_chain_find(dl->dir, *reached, s->incremental[UPDATE_SRC_SIGS], &chain) != 0)
		return 0;
	for (size_t k = 0; k < chain.n; k++, n++) {
		if (disk_delta_apply(dl, chain.base[k], chain.serial[k], db) != 0)
			break;
		*reached = chain.serial[k];
	}
	return n;
}

static void disk_deliver(const struct disk_load *dl)
{
	const struct update_hooks *h = dl->hooks;
	void (*fn[UPDATE_N_SOURCES])(void *, const char *,
	                             size_t) = { [UPDATE_SRC_AWL] = h->on_awl,
		                                 [UPDATE_SRC_CATS] = h->on_cats,
		                                 [UPDATE_SRC_ACF] = h->on_acf };

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

/* Loads set s into *out: every complete file whole, then the sigs deltas
 * kept since as far as they verify. *loaded is s with the sigs serial
 * reached, *chain_len the deltas replayed. */
static int disk_set_load(struct disk_load *dl, const struct update_set *s, struct sigdb **out,
                         struct update_set *loaded, uint32_t *chain_len)
{
	int rc = WHORL_ENOMEM;

	if (!(dl->b = sigdb_builder_new_replace(NULL)))
		goto out;
	if (s->complete[UPDATE_SRC_SIGS] && (rc = disk_sigs_load(dl, s->complete[UPDATE_SRC_SIGS])))
		goto out;
	for (int i = 0; i < UPDATE_N_SOURCES; i++) {
		if (i == UPDATE_SRC_SIGS || !s->complete[i])
			continue;
		if ((rc = disk_file_open(dl, i, 0, s->complete[i], &dl->text[i],
		                         &dl->text_len[i])) != 0)
			goto out;
	}
	for (int i = 0; i < UPDATE_N_SOURCES; i++)
		sigdb_builder_set_serial(dl->b, (enum sigdb_source)i, s->complete[i],
		                         s->complete[i]);
	rc = WHORL_ENOMEM;
	if (!(*out = sigdb_builder_finish(dl->b)))
		goto out;
	dl->b = NULL;
	*loaded = *s;
	memcpy(loaded->incremental, s->complete, sizeof loaded->incremental);
	*chain_len = disk_chain_replay(dl, s, out, &loaded->incremental[UPDATE_SRC_SIGS]);
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
			         update_source_name(i), update_set_name(kind),
			         update_source_name(i));
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

static void status_fill(struct update_status *st, const struct update_set *s, uint64_t manifest,
                        uint32_t chain_len)
{
	if (!st)
		return;
	memcpy(st->complete, s->complete, sizeof st->complete);
	memcpy(st->incremental, s->incremental, sizeof st->incremental);
	st->manifest_serial = manifest > s->manifest_serial ? manifest : s->manifest_serial;
	st->expires = s->expires; /* so a freeze after a restart still shows */
	st->chain_len = chain_len;
	st->from_cache = 1;
}

/* The guide's line for each source loaded from the cache, counted as a
 * load from disk. */
static void report_loaded(const struct disk_load *dl, const struct update_set *loaded)
{
	struct update_counters *c = dl->hooks->counters;

	for (int i = 0; i < UPDATE_N_SOURCES; i++) {
		if (!loaded->complete[i])
			continue;
		log_info(dl->lg, UPDATE_MOD,
		         "Successfully updated %s from disk (new serial %" PRIu64 ".%" PRIu64 ").",
		         update_source_name(i), loaded->complete[i], loaded->incremental[i]);
		if (c)
			atomic_fetch_add(&c->disk_ok, 1);
	}
}

/* A state file names a serial that cannot be rebuilt from disk: one WARN
 * per source naming it and the serial loaded instead (used: NULL when
 * nothing loaded). */
static void warn_unloadable(const struct logger *lg, int named_kind, const struct update_set *named,
                            const struct update_set *used)
{
	for (int i = 0; i < UPDATE_N_SOURCES; i++) {
		char instead[96] = "nothing was loaded";
		if (!named->complete[i] || (used && used->complete[i] == named->complete[i] &&
		                            used->incremental[i] == named->incremental[i]))
			continue;
		if (used)
			snprintf(instead, sizeof instead,
			         "loaded serial %" PRIu64 ".%" PRIu64 " instead", used->complete[i],
			         used->incremental[i]);
		log_warn(lg, UPDATE_MOD,
		         "srl_set.%s names %s serial %" PRIu64 ".%" PRIu64 ", which "
		         "cannot be loaded from disk; %s.",
		         update_set_name(named_kind), update_source_name(i), named->complete[i],
		         named->incremental[i], instead);
	}
}

/* What the start-up load saw: the first set named but not loaded whole. */
struct load_miss {
	int kind; /* -1: none */
	struct update_set named;
};

static void note_miss(struct load_miss *m, int kind, const struct update_set *named)
{
	if (m->kind < 0) {
		m->kind = kind;
		m->named = *named;
	}
}

/* Set `kind` loaded as `loaded`: state files and status follow it. A
 * chain cut short (a delta that no longer verifies) is written back, so no
 * state file goes on naming a serial that cannot be rebuilt. */
static void load_done(struct disk_load *dl, int kind, const struct update_set *s,
                      const struct update_set *loaded, const struct update_set *cur, int have_cur,
                      struct load_miss *miss)
{
	if (!update_set_same(s, loaded) ||
	    s->incremental[UPDATE_SRC_SIGS] != loaded->incremental[UPDATE_SRC_SIGS])
		note_miss(miss, kind, s);
	if (miss->kind >= 0)
		warn_unloadable(dl->lg, miss->kind, &miss->named, loaded);
	if (kind != UPDATE_SET_CURRENT || miss->kind == UPDATE_SET_CURRENT)
		fallback_commit(dl, kind, loaded, cur, have_cur && kind != UPDATE_SET_CURRENT);
	report_loaded(dl, loaded);
}

int update_state_load(const struct cfg *cfg, const struct logger *lg,
                      const struct update_hooks *hooks, int unclean, struct update_status *st,
                      struct sigdb **out, int *kind)
{
	static const struct update_hooks no_hooks;
	char dir[PATH_MAX];
	struct disk_load dl;
	struct update_set cur, s, loaded;
	struct load_miss miss = { .kind = -1 };
	int order[UPDATE_SET_KINDS], have_cur;
	uint32_t chain_len = 0;
	size_t n;

	*out = NULL;
	*kind = -1;
	if (update_cache_dir(cfg, dir, sizeof dir) != 0)
		return WHORL_ENODATA;
	memset(&dl, 0, sizeof dl);
	dl.lg = lg;
	dl.hooks = hooks ? hooks : &no_hooks;
	dl.dir = dir;
	if (update_pubkey_load(cfg->publisher_key, dl.pk, NULL) != 0)
		return WHORL_ECONFIG; /* the mirror path logs the key problem */
	update_key_id(dl.pk, dl.key_id);
	have_cur = update_state_read(dir, UPDATE_SET_CURRENT, &cur, lg) == 0;
	n = update_state_choose(dir, unclean, lg, order);
	for (size_t k = 0; k < n; k++) {
		if (update_state_read(dir, order[k], &s, lg) != 0)
			continue;
		if (disk_set_load(&dl, &s, out, &loaded, &chain_len) != 0) {
			if (dl.hooks->counters)
				atomic_fetch_add(&dl.hooks->counters->disk_fail, 1);
			note_miss(&miss, order[k], &s);
			continue;
		}
		*kind = order[k];
		load_done(&dl, order[k], &s, &loaded, &cur, have_cur, &miss);
		status_fill(st, &loaded, have_cur ? cur.manifest_serial : 0, chain_len);
		return 0;
	}
	if (miss.kind >= 0)
		warn_unloadable(lg, miss.kind, &miss.named, NULL);
	return WHORL_ENODATA;
}
