/*
 * state_run.c - the life of the state files across engine runs
 * (docs/UPDATES-STATE.md §2): start (directories, leftover .part files, run
 * marker, package -> safe on first init), commit of a new live set, trial
 * and promotion to safe, clean stop, and the start-up order of sets.
 *
 * Not for: the bytes of a state file (state.c) or loading data (state_load.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../abi/whorl_cartridge.h"
#include "state.h"
#include "update_internal.h"

#define PART_SUFFIX ".part"
#define TMP_SUFFIX ".tmp"

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && strcmp(s + n - k, suffix) == 0;
}

/* Removes dir/<*suffix>; logs each when `log_source` is set. */
static void remove_leftovers(const char *dir, const char *suffix, const struct logger *lg,
                             int log_source)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[PATH_MAX];
		size_t src_len = strcspn(e->d_name, ".");
		if (!ends_with(e->d_name, suffix) ||
		    snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
			continue;
		if (unlink(path) != 0)
			log_warn(lg, UPDATE_MOD, "Can not remove partial micro-update file %s (%s)",
			         e->d_name, strerror(errno));
		else if (log_source)
			log_info(lg, UPDATE_MOD, "Removed partial %.*s file %s", (int)src_len,
			         e->d_name, e->d_name);
	}
	closedir(d);
}

int update_state_start(const struct cfg *cfg, const struct logger *lg)
{
	char dir[PATH_MAX], states[PATH_MAX + 16];
	struct update_set pkg, safe;
	int prev, unclean;

	if (update_cache_prepare(cfg, lg, dir, sizeof dir) != 0)
		return 0;
	snprintf(states, sizeof states, "%s/%s", dir, UPDATE_STATE_SUBDIR);
	remove_leftovers(dir, PART_SUFFIX, lg, 1);
	remove_leftovers(states, TMP_SUFFIX, lg, 0);
	prev = update_state_marker_read(dir);
	unclean = prev < 0 ? 0 : prev + 1;
	(void)update_state_marker_write(dir, unclean, lg);
	if (update_state_read(dir, UPDATE_SET_SAFE, &safe, lg) == WHORL_ENODATA &&
	    update_state_read(dir, UPDATE_SET_PACKAGE, &pkg, lg) == 0 &&
	    update_state_write(dir, UPDATE_SET_SAFE, &pkg, lg) == 0)
		log_info(lg, UPDATE_MOD, "Copied package microupdate files to \"safe\" set");
	return unclean;
}

void update_state_stop(const struct cfg *cfg, const struct logger *lg)
{
	char dir[PATH_MAX];

	(void)lg;
	if (update_cache_dir(cfg, dir, sizeof dir) == 0)
		update_state_marker_remove(dir);
}

/* 1 when dir/<source>.<serial>.z.enc and its checksum file are regular
 * files, and so are the sigs deltas from the complete serial to the
 * incremental one: the set can be rebuilt from disk. */
static int set_files_present(const char *dir, const struct update_set *s)
{
	struct update_chain chain;

	for (int i = 0; i < UPDATE_N_SOURCES; i++) {
		char name[UPDATE_MAX_NAME + 1], path[PATH_MAX];
		struct stat st;
		if (!s->complete[i])
			continue;
		update_cache_name(i, s->complete[i], name, sizeof name);
		for (int ck = 0; ck < 2; ck++) {
			if (snprintf(path, sizeof path, "%s/%s%s", dir, name,
			             ck ? UPDATE_CKSUM_SUFFIX : "") >= (int)sizeof path ||
			    lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
				return 0;
		}
	}
	return update_chain_find(dir, s->complete[UPDATE_SRC_SIGS], s->incremental[UPDATE_SRC_SIGS],
	                         &chain) == 0 &&
	       update_chain_present(dir, &chain);
}

void update_state_commit(const struct cfg *cfg, const struct logger *lg,
                         const struct update_status *status, int64_t now)
{
	char dir[PATH_MAX];
	struct update_set next, old, safe;
	int have_safe;

	if (update_cache_dir(cfg, dir, sizeof dir) != 0)
		return;
	memset(&next, 0, sizeof next);
	memcpy(next.complete, status->complete, sizeof next.complete);
	memcpy(next.incremental, status->incremental, sizeof next.incremental);
	next.manifest_serial = status->manifest_serial;
	next.expires = status->expires;
	next.since = now;
	if (!set_files_present(dir, &next)) {
		/* The cache could not keep it: the state files go on naming a set
		 * that can be rebuilt from disk. */
		log_warn(lg, UPDATE_MOD,
		         "Micro-update set %" PRIu64 " (sigs %" PRIu64 ".%" PRIu64
		         ") could not be kept on disk; a restart loads the set recorded before.",
		         next.manifest_serial, next.complete[UPDATE_SRC_SIGS],
		         next.incremental[UPDATE_SRC_SIGS]);
		return;
	}
	if (update_state_read(dir, UPDATE_SET_CURRENT, &old, lg) == 0 &&
	    old.manifest_serial > next.manifest_serial)
		next.manifest_serial = old.manifest_serial;
	if (update_state_write(dir, UPDATE_SET_CURRENT, &next, lg) != 0)
		return;
	have_safe = update_state_read(dir, UPDATE_SET_SAFE, &safe, lg) == 0;
	if (have_safe && update_set_same(&safe, &next)) {
		(void)update_state_remove(dir, UPDATE_SET_UNSAFE, lg);
		return;
	}
	if (update_state_read(dir, UPDATE_SET_UNSAFE, &old, lg) == 0 &&
	    update_set_same(&old, &next))
		return; /* same files still on trial: keep its start */
	(void)update_state_write(dir, UPDATE_SET_UNSAFE, &next, lg);
}

void update_state_tick(const struct cfg *cfg, const struct logger *lg, int64_t now,
                       unsigned trial_s)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	struct update_set trial;
	struct stat st;

	if (update_cache_dir(cfg, dir, sizeof dir) != 0)
		return;
	if (update_state_read(dir, UPDATE_SET_UNSAFE, &trial, lg) == 0 &&
	    now - trial.since >= (int64_t)trial_s && set_files_present(dir, &trial) &&
	    update_state_write(dir, UPDATE_SET_SAFE, &trial, lg) == 0) {
		(void)update_state_remove(dir, UPDATE_SET_UNSAFE, lg);
		log_info(lg, UPDATE_MOD,
		         "Micro-update set %" PRIu64 " ran %u seconds without a "
		         "crash: it is now the safe set.",
		         trial.manifest_serial, trial_s);
		(void)update_state_marker_write(dir, 0, lg);
		return;
	}
	/* A run that lasted a trial period counts as clean again. */
	snprintf(path, sizeof path, "%s/%s/%s", dir, UPDATE_STATE_SUBDIR, UPDATE_RUN_MARKER);
	if (update_state_marker_read(dir) > 0 && lstat(path, &st) == 0 &&
	    (int64_t)time(NULL) - (int64_t)st.st_mtime >= (int64_t)trial_s)
		(void)update_state_marker_write(dir, 0, lg);
}

size_t update_state_choose(const char *mu_dir, int unclean, const struct logger *lg,
                           int order[UPDATE_SET_KINDS])
{
	struct update_set trial;
	int on_trial = update_state_read(mu_dir, UPDATE_SET_UNSAFE, &trial, lg) == 0;

	if (unclean >= 2) { /* the safe set crashed too: what shipped */
		order[0] = UPDATE_SET_PACKAGE;
		order[1] = UPDATE_SET_SAFE;
		order[2] = UPDATE_SET_CURRENT;
	} else if (unclean == 1 && on_trial) {
		order[0] = UPDATE_SET_SAFE;
		order[1] = UPDATE_SET_PACKAGE;
		order[2] = UPDATE_SET_CURRENT;
	} else {
		order[0] = UPDATE_SET_CURRENT;
		order[1] = UPDATE_SET_SAFE;
		order[2] = UPDATE_SET_PACKAGE;
	}
	return 3;
}

void update_state_note_manifest(const struct cfg *cfg, const struct logger *lg,
                                const struct update_status *status)
{
	char dir[PATH_MAX];
	struct update_set cur;

	if (update_cache_dir(cfg, dir, sizeof dir) != 0 ||
	    update_state_read(dir, UPDATE_SET_CURRENT, &cur, lg) != 0)
		return;
	if (status->manifest_serial <= cur.manifest_serial && status->expires <= cur.expires)
		return;
	if (status->manifest_serial > cur.manifest_serial)
		cur.manifest_serial = status->manifest_serial;
	if (status->expires > cur.expires)
		cur.expires = status->expires;
	(void)update_state_write(dir, UPDATE_SET_CURRENT, &cur, lg);
}
