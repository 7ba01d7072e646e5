/*
 * loader.c - update_load_url(): read a manifest, decide which files bring
 * each source from the serial in use to the latest one, verify and apply
 * them into a new snapshot, hand text sources to the engine's hooks.
 *
 * All or nothing: the new snapshot and the hooks only see a set whose every
 * file verified. With nothing loaded yet, the set the state files choose is
 * loaded from the local cache first (state_load.c, re-verified), and the
 * mirror only brings what is newer; a mirror that cannot be read, or is
 * refused, leaves that set. Each new set is recorded in the state files.
 *
 * A complete sigs file streams from disk into its builder (fetch_stream.c):
 * it is never whole in memory. Deltas and text sources are small and are
 * opened in memory.
 *
 * Not for: the bytes of the format (manifest.c, cksum.c, datafile.c,
 * payload.c), the cache's files (cache.c), network transfers.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "../../abi/whorl_cartridge.h"
#include "../util/file_read.h"
#include "state.h"
#include "update_internal.h"
#include "update_lines.h"

struct load_state {
	struct update_run *run;
	const struct sigdb *current;
	uint64_t complete[UPDATE_N_SOURCES]; /* serials in use, advanced as files load */
	uint64_t state[UPDATE_N_SOURCES];
	uint64_t current_complete[UPDATE_N_SOURCES]; /* complete serials before this run */
	int changed[UPDATE_N_SOURCES];
	uint8_t *text[UPDATE_N_SOURCES];
	size_t text_len[UPDATE_N_SOURCES];
	struct sigdb_builder *b;
	size_t n_missing; /* removals of absent entries */
	int64_t now;
	int full_due;       /* fetch a newer complete file even when
	                                         the delta chain is intact */
	uint32_t chain_len; /* sigs deltas on top of the complete file
	                                         (kept on disk, replayed at load) */
};

static int64_t load_now(const struct update_hooks *h)
{
	return h->now ? h->now(h->ctx) : (int64_t)time(NULL);
}

static int apply_record(void *ctx, const struct update_record *r)
{
	struct load_state *ls = ctx;
	int rc = update_record_apply(ls->b, ls->run->hooks->anchors, r);

	if (rc == WHORL_ENODATA) { /* already gone: harmless, counted and logged once */
		ls->n_missing++;
		rc = 0;
	}
	return rc;
}

static void records_fail(const struct load_state *ls, const struct update_file_ref *ref, int rc)
{
	log_error(ls->run->lg, UPDATE_MOD, "Could not update sigs from %s (%s: %s).",
	          update_run_where(ls->run), ref->name,
	          rc == WHORL_EFORMAT ? "malformed records" : "snapshot limit reached");
}

/* A delta: small, verified and opened in memory, then applied. Its file
 * and checksum file are kept for the cache (chain.c), so a later start
 * replays it. */
static int load_sigs_delta(struct load_state *ls, const struct update_file_ref *ref)
{
	struct update_run *run = ls->run;
	struct update_delta_keep *keep = &run->delta[run->n_deltas];
	uint8_t *payload;
	size_t len;
	int rc;

	if (run->n_deltas >= UPDATE_MAX_DELTAS)
		return WHORL_ELIMIT; /* load_sigs bounds the chain first */
	if ((rc = update_file_fetch(run, UPDATE_SRC_SIGS, ref, &payload, &len, &keep->blob)) != 0)
		return rc;
	keep->base = ref->base;
	keep->serial = ref->serial;
	run->n_deltas++;
	rc = update_payload_parse(payload, len, UPDATE_KIND_DELTA, apply_record, ls);
	free(payload);
	if (rc != 0)
		records_fail(ls, ref, rc);
	return rc;
}

/* The header's count sizes the builder once (capped by the declared raw
 * size; a hint, as nothing is verified yet). */
static void reserve_records(void *ctx, uint32_t n)
{
	struct load_state *ls = ctx;

	(void)sigdb_builder_reserve(ls->b, n);
}

/* A complete file: streamed from disk into the builder, which the caller
 * throws away unless this returns 0 (records reach it before the tag is
 * checked). */
static int load_sigs_complete(struct load_state *ls, const struct update_file_ref *ref)
{
	struct update_payload_stream ps;
	int rc;

	update_payload_stream_init(&ps, UPDATE_KIND_COMPLETE, apply_record, ls);
	ps.on_count = reserve_records;
	rc = update_sigs_stream(ls->run, ref, &ps);
	if (rc != 0 && rc == ps.err)
		records_fail(ls, ref, rc);
	return rc;
}

static int load_sigs_file(struct load_state *ls, const struct update_file_ref *ref, int kind)
{
	struct update_run *run = ls->run;
	int rc;

	if (kind == UPDATE_KIND_DELTA && ref->base != ls->state[UPDATE_SRC_SIGS]) {
		log_error(run->lg, UPDATE_MOD,
		          "Could not update sigs from %s (delta %s on the wrong base %" PRIu64
		          ", serial in use %" PRIu64 ").",
		          update_run_where(run), ref->name, ref->base, ls->state[UPDATE_SRC_SIGS]);
		return WHORL_EFORMAT;
	}
	rc = kind == UPDATE_KIND_COMPLETE ? load_sigs_complete(ls, ref) : load_sigs_delta(ls, ref);
	if (rc != 0)
		return rc;
	ls->state[UPDATE_SRC_SIGS] = ref->serial;
	if (kind == UPDATE_KIND_COMPLETE)
		ls->complete[UPDATE_SRC_SIGS] = ref->serial;
	ls->chain_len = kind == UPDATE_KIND_COMPLETE ? 0 : ls->chain_len + 1;
	return 0;
}

/* Index of the delta whose base is `from`, or n_deltas when none. */
static size_t chain_start(const struct update_manifest_source *s, uint64_t from)
{
	for (size_t k = 0; k < s->n_deltas; k++)
		if (s->deltas[k].base == from)
			return k;
	return s->n_deltas;
}

static int apply_deltas(struct load_state *ls, const struct update_manifest_source *s, size_t k)
{
	for (; k < s->n_deltas; k++) {
		int rc = load_sigs_file(ls, &s->deltas[k], UPDATE_KIND_DELTA);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int stale(const struct load_state *ls, int src, uint64_t latest)
{
	log_error(ls->run->lg, UPDATE_MOD,
	          "Could not update %s from %s (serial %" PRIu64 " is older than the serial in "
	          "use %" PRIu64 ").",
	          update_source_name(src), update_run_where(ls->run), latest, ls->state[src]);
	return WHORL_ESTALE;
}

static int load_sigs(struct load_state *ls)
{
	const struct update_manifest_source *s = &ls->run->man.src[UPDATE_SRC_SIGS];
	uint64_t cur = ls->state[UPDATE_SRC_SIGS];
	size_t k;
	int rc;

	if (!s->present || cur == s->incremental)
		return 0;
	if (cur > s->incremental)
		return stale(ls, UPDATE_SRC_SIGS, s->incremental);
	k = chain_start(s, cur);
	/* Deltas unless a complete file is due, or the chain kept on disk
	 * would grow past UPDATE_MAX_DELTAS (then the complete file restarts it). */
	if (!ls->run->from_cache && cur != 0 && k < s->n_deltas &&
	    ls->chain_len + (s->n_deltas - k) <= UPDATE_MAX_DELTAS &&
	    !(ls->full_due && s->complete > ls->complete[UPDATE_SRC_SIGS])) {
		if (!(ls->b = sigdb_builder_new(ls->current)))
			return WHORL_ENOMEM;
		ls->changed[UPDATE_SRC_SIGS] = 1;
		return apply_deltas(ls, s, k);
	}
	if (ls->run->from_cache && s->complete <= cur)
		return 0; /* the cache holds nothing newer */
	/* A complete file replaces the set whole; the builder may share what
	 * did not change with the snapshot in use. */
	if (!(ls->b = sigdb_builder_new_replace(ls->current)))
		return WHORL_ENOMEM;
	ls->changed[UPDATE_SRC_SIGS] = 1;
	if ((rc = load_sigs_file(ls, &s->full, UPDATE_KIND_COMPLETE)) != 0)
		return rc;
	if (ls->run->from_cache)
		return 0;
	/* The manifest may keep deltas older than the complete file (whorl-publish
	 * keeps the chain by default): go on from the one based on it. With none
	 * based on it, the chain is applied from its start, so a manifest whose
	 * deltas do not link to its complete file is refused (wrong base). */
	k = chain_start(s, s->complete);
	return apply_deltas(ls, s, k == s->n_deltas && s->complete != s->incremental ? 0 : k);
}

static int load_text(struct load_state *ls, int src)
{
	const struct update_manifest_source *s = &ls->run->man.src[src];
	int rc;

	if (!s->present || ls->state[src] == s->complete)
		return 0;
	if (ls->state[src] > s->complete)
		return stale(ls, src, s->complete);
	rc = update_file_fetch(ls->run, src, &s->full, &ls->text[src], &ls->text_len[src],
	                       &ls->run->keep[src]);
	if (rc != 0)
		return rc;
	ls->complete[src] = ls->state[src] = s->complete;
	ls->changed[src] = 1;
	return 0;
}

/* Reads and verifies run->dir/manifest into run->man. */
static int manifest_load(struct update_run *run, const struct update_status *st, int64_t now)
{
	long body;
	int rc = update_run_read(run, UPDATE_MANIFEST_NAME, UPDATE_MAX_MANIFEST_BYTES,
	                         &run->man_bytes, &run->man_len);

	if (rc != 0 && update_run_logged(run)) /* 304, or logged by the transport */
		return rc;
	if (rc != 0) {
		log_error(run->lg, UPDATE_MOD, "Could not update signatures from disk (%s/%s: %s).",
		          run->dir, UPDATE_MANIFEST_NAME,
		          rc == WHORL_EIO ? strerror(errno) : "larger than the limit");
		return rc;
	}
	body = update_signed_open(run->man_bytes, run->man_len, run->pk);
	if (body < 0 || update_manifest_parse((char *)run->man_bytes, (size_t)body, &run->man)) {
		log_error(run->lg, UPDATE_MOD,
		          "Could not update signatures from %s (microupdate "
		          "file %s failed the integrity check).",
		          update_run_where(run), UPDATE_MANIFEST_NAME);
		return body < 0 ? (int)body : WHORL_EFORMAT;
	}
	if (memcmp(run->man.key_id, run->key_id, sizeof run->key_id) != 0) {
		log_error(run->lg, UPDATE_MOD,
		          "Could not update signatures from %s (manifest "
		          "names an unknown publisher key).",
		          update_run_where(run));
		return WHORL_ESIGNATURE;
	}
	if (now >= run->man.expires) {
		log_error(run->lg, UPDATE_MOD,
		          "Could not update signatures from %s (manifest "
		          "serial %" PRIu64 " expired at %" PRId64 ", now %" PRId64 ").",
		          update_run_where(run), run->man.serial, run->man.expires, now);
		return WHORL_ESTALE;
	}
	if (st && run->man.serial < st->manifest_serial) {
		log_error(run->lg, UPDATE_MOD,
		          "Could not update signatures from %s (manifest "
		          "serial %" PRIu64 " is older than serial %" PRIu64 " already seen).",
		          update_run_where(run), run->man.serial, st->manifest_serial);
		return WHORL_ESTALE;
	}
	return 0;
}

static void load_state_init(struct load_state *ls, struct update_run *run,
                            const struct sigdb *current)
{
	memset(ls, 0, sizeof *ls);
	ls->run = run;
	ls->current = current;
	for (int i = 0; current && i < UPDATE_N_SOURCES; i++)
		sigdb_serial(current, (enum sigdb_source)i, &ls->complete[i], &ls->state[i]);
	memcpy(ls->current_complete, ls->complete, sizeof ls->complete);
}

static void load_state_free(struct load_state *ls)
{
	sigdb_builder_free(ls->b);
	for (int i = 0; i < UPDATE_N_SOURCES; i++)
		free(ls->text[i]);
}

static void deliver_text(const struct load_state *ls)
{
	const struct update_hooks *h = ls->run->hooks;
	void (*fn[UPDATE_N_SOURCES])(void *, const char *,
	                             size_t) = { [UPDATE_SRC_AWL] = h->on_awl,
		                                 [UPDATE_SRC_CATS] = h->on_cats,
		                                 [UPDATE_SRC_ACF] = h->on_acf };

	for (int i = 0; i < UPDATE_N_SOURCES; i++)
		if (ls->changed[i] && ls->text[i] && fn[i])
			fn[i](h->ctx, (const char *)ls->text[i], ls->text_len[i]);
}

/* The guide's lines: a complete file is a "download", deltas alone an
 * "incremental download". */
static void update_log_network_success(const struct load_state *ls, int src)
{
	const struct update_run *run = ls->run;
	const char *how = ls->current_complete[src] != ls->complete[src] ? "" : " incremental";

	log_info(run->lg, UPDATE_MOD,
	         "Successful %s%s download from network (new serial "
	         "%" PRIu64 ".%" PRIu64 ").",
	         update_source_name(src), how, ls->complete[src], ls->state[src]);
}

static void report(const struct load_state *ls, struct update_status *st)
{
	const struct update_run *run = ls->run;

	for (int i = 0; i < UPDATE_N_SOURCES; i++)
		if (ls->changed[i] && run->net)
			update_log_network_success(ls, i);
		else if (ls->changed[i])
			log_info(run->lg, UPDATE_MOD,
			         "Successfully updated %s from disk (new serial "
			         "%" PRIu64 ".%" PRIu64 ").",
			         update_source_name(i), ls->complete[i], ls->state[i]);
	if (ls->n_missing)
		log_warn(run->lg, UPDATE_MOD,
		         "Could not remove %zu signatures from local set "
		         "(not present).",
		         ls->n_missing);
	if (!st)
		return;
	if (run->net && (st->last_full == 0 ||
	                 ls->current_complete[UPDATE_SRC_SIGS] != ls->complete[UPDATE_SRC_SIGS]))
		st->last_full = ls->now;
	st->manifest_serial = run->man.serial;
	st->issued = run->man.issued;
	st->expires = run->man.expires;
	st->check_interval = run->man.check_interval;
	st->full_interval = run->man.full_interval;
	st->from_cache = run->from_cache;
	st->chain_len = ls->chain_len;
	memcpy(st->complete, ls->complete, sizeof st->complete);
	memcpy(st->incremental, ls->state, sizeof st->incremental);
}

/* The publisher's schedule for complete files (the guide's chapter 4):
 * under `micro-update interval = auto` one every full_interval seconds of
 * the manifest, so the copy on disk used offline stays fresh; with a number
 * of hours every cycle (each cycle is that interval) takes the complete
 * file when a newer one exists. Network runs only. */
static int full_is_due(const struct update_run *run, const struct update_status *st, int64_t now)
{
	uint32_t every =
	    run->man.full_interval ? run->man.full_interval : UPDATE_DEFAULT_FULL_INTERVAL;

	if (!run->net || !st)
		return 0;
	if (!run->cfg->mu_interval_auto)
		return 1;
	return st->last_full != 0 && now - st->last_full >= (int64_t)every;
}

/* Bytes of every file the manifest lists: the most a cycle may fetch. */
static uint64_t manifest_bytes(const struct update_manifest *m)
{
	uint64_t n = 0;

	for (int i = 0; i < UPDATE_N_SOURCES; i++) {
		if (!m->src[i].present)
			continue;
		n += m->src[i].full.size;
		for (size_t k = 0; k < m->src[i].n_deltas; k++)
			n += m->src[i].deltas[k].size;
	}
	return n;
}

/* Loads every source of the manifest in run->dir; *out_new as update_load_url. */
static int load_dir(struct update_run *run, const struct sigdb *current, struct update_status *st,
                    struct sigdb **out_new)
{
	struct load_state ls;
	int rc, any = 0;

	load_state_init(&ls, run, current);
	ls.chain_len = st ? st->chain_len : 0;
	ls.now = load_now(run->hooks);
	if ((rc = manifest_load(run, st, ls.now)) != 0)
		goto out;
	update_run_allow(run, manifest_bytes(&run->man));
	ls.full_due = full_is_due(run, st, ls.now);
	if ((rc = load_sigs(&ls)) != 0)
		goto out;
	for (int i = 0; i < UPDATE_N_SOURCES; i++)
		if (i != UPDATE_SRC_SIGS && (rc = load_text(&ls, i)) != 0)
			goto out;
	for (int i = 0; i < UPDATE_N_SOURCES; i++)
		any |= ls.changed[i];
	if (any) {
		rc = WHORL_ENOMEM;
		if (!ls.b && !(ls.b = sigdb_builder_new(current)))
			goto out;
		for (int i = 0; i < UPDATE_N_SOURCES; i++)
			sigdb_builder_set_serial(ls.b, (enum sigdb_source)i, ls.complete[i],
			                         ls.state[i]);
		*out_new = sigdb_builder_finish(ls.b);
		ls.b = NULL;
		if (!*out_new)
			goto out;
		deliver_text(&ls);
		if (!run->from_cache)
			update_cache_store(run);
	}
	report(&ls, st);
	rc = 0;
out:
	load_state_free(&ls);
	return rc;
}

static void run_reset(struct update_run *run, const char *dir, int from_cache)
{
	free(run->man_bytes);
	run->man_bytes = NULL;
	run->man_len = 0;
	for (int i = 0; i < UPDATE_N_SOURCES; i++)
		update_blob_free(&run->keep[i]);
	for (size_t k = 0; k < run->n_deltas; k++)
		update_blob_free(&run->delta[k].blob);
	run->n_deltas = 0;
	update_part_drop(&run->part); /* not stored: its .part goes */
	memset(&run->man, 0, sizeof run->man);
	snprintf(run->dir, sizeof run->dir, "%s", dir);
	run->from_cache = from_cache;
}

static int run_open(struct update_run *run, const struct cfg *cfg, const struct logger *lg,
                    const struct update_hooks *hooks)
{
	static const struct update_hooks no_hooks;
	int rc, why = 0;

	memset(run, 0, sizeof *run);
	run->cfg = cfg;
	run->lg = lg;
	run->hooks = hooks ? hooks : &no_hooks;
	if ((rc = update_pubkey_load(cfg->publisher_key, run->pk, &why)) != 0) {
		log_error(lg, UPDATE_MOD,
		          "Could not load publisher key %s (%s), micro-updates "
		          "cannot be verified.",
		          cfg->publisher_key,
		          rc == WHORL_EIO ? file_why_text(why) : "not 64 hex digits or 32 bytes");
		return WHORL_ECONFIG;
	}
	update_key_id(run->pk, run->key_id);
	return 0;
}

/* The mirror (file:// directory, or http(s) through net.c): whatever is
 * newer than current. A mirror that fails leaves the caller with what it
 * has; at start-up that is the set the state files chose (update_load_url). */
static int load_mirror(const struct cfg *cfg, const struct logger *lg,
                       const struct update_hooks *hooks, const struct sigdb *current,
                       struct update_status *status, struct sigdb **out_new)
{
	struct update_run run;
	const char *dir = update_mirror_file_dir(cfg);
	struct update_net *net = NULL;
	int rc;

	if (!dir && !update_mirror_is_network(cfg)) {
		log_warn(lg, UPDATE_MOD,
		         "Micro-update url '%s' is not supported by this cartridge "
		         "(http://, https:// or file:///).",
		         cfg->mu_url);
		return WHORL_ENOTSUP;
	}
	if ((rc = run_open(&run, cfg, lg, hooks)) != 0)
		return rc;
	if (!dir && (rc = update_net_open(cfg, lg, run.hooks->net_lib, status, &net)) != 0)
		return rc;
	run_reset(&run, dir ? dir : "", 0);
	run.net = net;
	run.dir_in_child = dir != NULL; /* a hung mount holds a child, not this thread */
	update_run_clock_start(&run);
	rc = load_dir(&run, current, status, out_new);
	if (net && rc == 0)
		update_net_save(net, status);
	if (rc == WHORL_ENODATA && net)
		rc = 0; /* 304: the mirror has nothing new */
	update_net_close(net);
	run_reset(&run, "", 0);
	return rc;
}

/* Start-up: the set the state files choose, re-verified (state_load.c).
 * *fell_back is set when an unclean shutdown made it fall back: the mirror
 * then waits for the next cycle. */
static struct sigdb *load_start_set(const struct cfg *cfg, const struct logger *lg,
                                    const struct update_hooks *hooks, struct update_status *status,
                                    int *fell_back)
{
	struct sigdb *disk = NULL;
	int unclean = status ? status->unclean_starts : 0, kind;

	*fell_back = 0;
	if (update_state_load(cfg, lg, hooks, unclean, status, &disk, &kind) != 0)
		return NULL;
	*fell_back = unclean > 0 && kind != UPDATE_SET_CURRENT;
	return disk;
}

int update_load_disk(const struct cfg *cfg, const struct logger *lg,
                     const struct update_hooks *hooks, struct update_status *status,
                     struct sigdb **out_new, int *fell_back)
{
	struct update_status local = { 0 };

	*out_new = load_start_set(cfg, lg, hooks, status ? status : &local, fell_back);
	return *out_new ? 0 : WHORL_ENODATA;
}

static int64_t now_of(const struct update_hooks *hooks)
{
	return hooks ? load_now(hooks) : (int64_t)time(NULL);
}

int update_load_url(const struct cfg *cfg, const struct logger *lg,
                    const struct update_hooks *hooks, const struct sigdb *current,
                    struct update_status *status, struct sigdb **out_new)
{
	struct update_status local = { 0 };
	struct update_status *st = status ? status : &local;
	struct sigdb *disk = NULL;
	int rc, fell_back = 0;

	*out_new = NULL;
	if (!current) {
		disk = load_start_set(cfg, lg, hooks, st, &fell_back);
		if (fell_back) {
			*out_new = disk;
			return 0;
		}
	}
	rc = load_mirror(cfg, lg, hooks, current ? current : disk, st, out_new);
	if (rc == 0 && *out_new) {
		if (disk)
			sigdb_unref(disk);
		update_state_commit(cfg, lg, st, now_of(hooks));
		update_cache_prune(cfg, lg);
		return rc;
	}
	if (rc == 0) /* a manifest that brought no new set */
		update_state_note_manifest(cfg, lg, st);
	if (disk) {
		*out_new = disk; /* nothing newer, or the mirror refused: the disk set */
		rc = 0;
	}
	return rc;
}
