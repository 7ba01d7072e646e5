/*
 * cache.c - the local copy of the last verified update set under
 * <micro-update cache path>/micro_updates/: complete data files, the
 * verified sigs deltas applied since (named by chain.c), their checksum
 * files and the manifest.
 *
 * Each file is written as <name>.part, fsync'd, renamed, and the directory
 * fsync'd, so a crash leaves either the old or the new file. A complete
 * sigs file is downloaded straight into its .part (update_part_create),
 * verified and loaded from there, and only renamed here once the set built
 * from it is in use. The manifest is
 * written last and only when every complete file it names is present, so
 * the cache always reads as a consistent set. At most UPDATE_CACHE_KEEP
 * complete files per source are kept (pruned once the state files name
 * the new set, update_cache_prune).
 *
 * Names on disk are made here from source and serial, never taken from a
 * mirror. The directory is 0700; .part files are created O_EXCL|O_NOFOLLOW
 * so a link planted in the cache is never followed. Files named by the safe
 * and current state sets are kept in preference to newer ones.
 *
 * Not for: state files (state.c, state_run.c), reading (loader.c,
 * state_load.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../abi/whorl_cartridge.h"
#include "state.h"
#include "update_internal.h"
#include "../util/file_write.h"

int update_cache_dir(const struct cfg *cfg, char *buf, size_t len)
{
	if (!cfg->cache_path[0])
		return -1;
	if (snprintf(buf, len, "%s/%s", cfg->cache_path, UPDATE_CACHE_SUBDIR) >= (int)len)
		return -1;
	return 0;
}

/* dir/name <- p[0..n), crash-safe. 0 or -1 (logged). */
static int cache_write(const struct update_run *run, const char *dir, const char *name,
                       const uint8_t *p, size_t n)
{
	char path[PATH_MAX], part[PATH_MAX + 8];
	int fd, rc = -1;

	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
		return -1;
	snprintf(part, sizeof part, "%s.part", path);
	(void)unlink(part); /* a crash's leftover, or a planted link */
	if ((fd = open(part, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
		log_warn(run->lg, UPDATE_MOD, "Can not create partial micro-update file %s (%s)",
		         name, strerror(errno));
		return -1;
	}
	if (file_write_all(fd, p, n) != 0 || fsync(fd) != 0) {
		log_warn(run->lg, UPDATE_MOD, "Can not write to micro-update file %s (%s)", name,
		         strerror(errno));
		goto out;
	}
	if (rename(part, path) != 0) {
		log_warn(run->lg, UPDATE_MOD,
		         "Can not rename partial micro-update file %s.part to "
		         "%s (%s)",
		         name, name, strerror(errno));
		goto out;
	}
	rc = update_fsync_dir(dir);
out:
	close(fd);
	if (rc != 0 && unlink(part) != 0 && errno != ENOENT)
		log_warn(run->lg, UPDATE_MOD,
		         "Can not remove partial micro-update file %s.part (%s)", name,
		         strerror(errno));
	return rc;
}

int update_part_create(const struct update_run *run, const char *dir, const char *name,
                       struct update_part *part)
{
	char part_path[PATH_MAX + 8];

	memset(part, 0, sizeof *part);
	if (snprintf(part_path, sizeof part_path, "%s/%s.part", dir, name) >= (int)sizeof part_path)
		return -1;
	(void)unlink(part_path); /* a crash's leftover, or a planted link */
	part->fd = open(part_path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (part->fd < 0) {
		log_warn(run->lg, UPDATE_MOD, "Can not create partial micro-update file %s (%s)",
		         name, strerror(errno));
		return -1;
	}
	part->open = 1;
	snprintf(part->dir, sizeof part->dir, "%s", dir);
	snprintf(part->name, sizeof part->name, "%s", name);
	return 0;
}

/* dir/name.part is still the file open on part->fd (nobody replaced it). */
static int part_is_ours(const struct update_part *part, char *path, size_t len)
{
	struct stat mine, there;

	if (!part->dir[0] || snprintf(path, len, "%s/%s.part", part->dir, part->name) >= (int)len)
		return 0;
	return fstat(part->fd, &mine) == 0 && lstat(path, &there) == 0 &&
	       mine.st_dev == there.st_dev && mine.st_ino == there.st_ino;
}

void update_part_drop(struct update_part *part)
{
	char path[PATH_MAX + 8];

	if (part->open) {
		if (part_is_ours(part, path, sizeof path))
			(void)unlink(path);
		close(part->fd);
	}
	free(part->cksum);
	memset(part, 0, sizeof *part);
}

/* part's file becomes dir/name: fsync, rename, fsync dir. 0 or -1 (logged). */
static int part_commit(const struct update_run *run, struct update_part *part)
{
	char part_path[PATH_MAX + 8], path[PATH_MAX];
	const char *name = part->name;

	if (!part_is_ours(part, part_path, sizeof part_path) ||
	    snprintf(path, sizeof path, "%s/%s", part->dir, name) >= (int)sizeof path)
		return -1; /* another run took the name: it stores its own */
	if (fsync(part->fd) != 0) {
		log_warn(run->lg, UPDATE_MOD, "Can not write to micro-update file %s (%s)", name,
		         strerror(errno));
		return -1;
	}
	if (rename(part_path, path) != 0) {
		log_warn(run->lg, UPDATE_MOD,
		         "Can not rename partial micro-update file %s.part to "
		         "%s (%s)",
		         name, name, strerror(errno));
		return -1;
	}
	return update_fsync_dir(part->dir);
}

void update_cache_name(int source, uint64_t serial, char *buf, size_t len)
{
	snprintf(buf, len, "%s.%" PRIu64 ".z.enc", update_source_name(source), serial);
}

/* dir exists as a real directory (not a link), mode 0700; made if missing. */
static int cache_mkdir_one(const struct logger *lg, const char *dir, int announce)
{
	struct stat st;

	if (lstat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			log_warn(lg, UPDATE_MOD,
			         "Can not create directory %s (%s). Expect errors "
			         "saving micro-update files.",
			         dir, "not a directory");
			return -1;
		}
		if ((st.st_mode & 077) != 0 && st.st_uid == geteuid())
			(void)chmod(dir, 0700);
		return 0;
	}
	if (announce)
		log_info(lg, UPDATE_MOD, "Attempting to create micro-update directory %s.", dir);
	if (mkdir(dir, 0700) == 0 || errno == EEXIST)
		return 0;
	log_warn(lg, UPDATE_MOD,
	         "Can not create directory %s (%s). Expect errors saving "
	         "micro-update files.",
	         dir, strerror(errno));
	return -1;
}

int update_cache_prepare(const struct cfg *cfg, const struct logger *lg, char *dir, size_t len)
{
	char states[PATH_MAX + 16];
	struct stat st;

	if (update_cache_dir(cfg, dir, len) != 0)
		return -1;
	if (stat(cfg->cache_path, &st) != 0 && mkdir(cfg->cache_path, 0755) != 0 &&
	    errno != EEXIST) {
		log_warn(lg, UPDATE_MOD,
		         "Can not create directory %s (%s). Expect errors saving "
		         "micro-update files.",
		         cfg->cache_path, strerror(errno));
		return -1;
	}
	snprintf(states, sizeof states, "%s/%s", dir, UPDATE_STATE_SUBDIR);
	return cache_mkdir_one(lg, dir, 1) == 0 && cache_mkdir_one(lg, states, 0) == 0 ? 0 : -1;
}

/* Serial of a complete file name "<source>.<serial>.z.enc", or 0. */
static uint64_t complete_serial(const char *name, const char *source)
{
	size_t n = strlen(source);
	uint64_t v = 0;
	const char *p;

	if (strncmp(name, source, n) != 0 || name[n] != '.')
		return 0;
	for (p = name + n + 1; *p >= '0' && *p <= '9' && v < UINT64_MAX / 10; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	return strcmp(p, ".z.enc") == 0 ? v : 0;
}

static int serial_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? 1 : x > y ? -1 : 0;
}

#define CACHE_MAX_SCAN 256 /* complete files of one source looked at */

/* Orders serials (newest first) so the ones kept come first: the current
 * set's, the safe set's, then the rest newest first. */
static void keep_first(uint64_t *serials, size_t n, const uint64_t want[2])
{
	size_t front = 0;

	for (int w = 0; w < 2; w++)
		for (size_t i = front; want[w] && i < n; i++)
			if (serials[i] == want[w]) {
				memmove(serials + front + 1, serials + front,
				        (i - front) * sizeof serials[0]);
				serials[front++] = want[w];
				break;
			}
}

/* Removes all but UPDATE_CACHE_KEEP complete files of source. */
static void cache_prune_source(const struct logger *lg, const char *dir, int source,
                               const uint64_t want[2])
{
	const char *src = update_source_name(source);
	uint64_t serials[CACHE_MAX_SCAN];
	size_t n = 0;
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d)) && n < CACHE_MAX_SCAN) {
		uint64_t s = complete_serial(e->d_name, src);
		if (s)
			serials[n++] = s;
	}
	closedir(d);
	qsort(serials, n, sizeof serials[0], serial_desc);
	keep_first(serials, n, want);
	for (size_t i = UPDATE_CACHE_KEEP; i < n; i++) {
		char path[PATH_MAX], name[UPDATE_MAX_NAME + 32];
		update_cache_name(source, serials[i], name, sizeof name);
		if (snprintf(path, sizeof path, "%s/%s%s", dir, name, UPDATE_CKSUM_SUFFIX) <
		    (int)sizeof path)
			unlink(path);
		if (snprintf(path, sizeof path, "%s/%s", dir, name) < (int)sizeof path &&
		    unlink(path) == 0)
			log_info(lg, UPDATE_MOD, "Removed old %s file %s.", src, name);
		else
			log_warn(lg, UPDATE_MOD, "Can not remove old %s files (%s).", src,
			         strerror(errno));
	}
}

/* Keeps the delta chains of the sets the state files name. */
static void cache_prune_chains(const struct logger *lg, const char *dir,
                               const struct update_set sets[], size_t n_sets)
{
	struct update_chain *keep = calloc(n_sets, sizeof *keep);
	size_t n = 0;

	if (!keep)
		return;
	for (size_t k = 0; k < n_sets; k++)
		if (update_chain_find(dir, sets[k].complete[UPDATE_SRC_SIGS],
		                      sets[k].incremental[UPDATE_SRC_SIGS], &keep[n]) == 0)
			n++;
	update_chain_prune(lg, dir, keep, n);
	free(keep);
}

void update_cache_prune(const struct cfg *cfg, const struct logger *lg)
{
	static const int kinds[] = { UPDATE_SET_CURRENT, UPDATE_SET_SAFE, UPDATE_SET_UNSAFE };
	struct update_set sets[3];
	char dir[PATH_MAX];

	if (update_cache_dir(cfg, dir, sizeof dir) != 0)
		return;
	for (size_t k = 0; k < 3; k++)
		if (update_state_read(dir, kinds[k], &sets[k], lg) != 0)
			memset(&sets[k], 0, sizeof sets[k]);
	for (int i = 0; i < UPDATE_N_SOURCES; i++) {
		uint64_t want[2] = { sets[0].complete[i], sets[1].complete[i] };
		cache_prune_source(lg, dir, i, want);
	}
	cache_prune_chains(lg, dir, sets, 3);
}

static int cache_has_same(const char *dir, const char *name, size_t len)
{
	char path[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
		return 0;
	return lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == len;
}

/* The complete sigs file loaded through run->part: checksum file first, so
 * a data file on disk always has its own, then the verified .part renamed. */
static void cache_store_part(struct update_run *run)
{
	struct update_part *part = &run->part;
	char ckname[UPDATE_MAX_NAME + sizeof UPDATE_CKSUM_SUFFIX];
	struct stat st;

	if (!part->open || !part->dir[0] || fstat(part->fd, &st) != 0)
		goto out;
	snprintf(ckname, sizeof ckname, "%s%s", part->name, UPDATE_CKSUM_SUFFIX);
	if (cache_has_same(part->dir, part->name, (size_t)st.st_size) &&
	    cache_has_same(part->dir, ckname, part->cksum_len))
		goto out;
	if (cache_write(run, part->dir, ckname, part->cksum, part->cksum_len) == 0)
		(void)part_commit(run, part);
out:
	update_part_drop(part); /* renamed: only closes; else removes the .part */
}

/* dir/name and its checksum file from a verified blob: checksum file
 * first, so a data file on disk always has its own. */
static void cache_store_blob(struct update_run *run, const char *dir, const char *name,
                             const struct update_blob *b)
{
	char ckname[UPDATE_MAX_NAME + sizeof UPDATE_CKSUM_SUFFIX];

	snprintf(ckname, sizeof ckname, "%s%s", name, UPDATE_CKSUM_SUFFIX);
	if (cache_has_same(dir, name, b->len) && cache_has_same(dir, ckname, b->cksum_len))
		return;
	if (cache_write(run, dir, ckname, b->cksum, b->cksum_len) == 0)
		(void)cache_write(run, dir, name, b->data, b->len);
}

void update_cache_store(struct update_run *run)
{
	char dir[PATH_MAX], name[UPDATE_MAX_NAME + 1];

	cache_store_part(run);
	if (update_cache_prepare(run->cfg, run->lg, dir, sizeof dir) != 0)
		return;
	for (size_t k = 0; k < run->n_deltas; k++) {
		update_chain_name(run->delta[k].base, run->delta[k].serial, name, sizeof name);
		cache_store_blob(run, dir, name, &run->delta[k].blob);
	}
	for (int i = 0; i < UPDATE_N_SOURCES; i++) {
		const struct update_blob *b = &run->keep[i];
		if (!b->data || !run->man.src[i].present)
			continue;
		update_cache_name(i, run->man.src[i].complete, name, sizeof name);
		cache_store_blob(run, dir, name, b);
	}
}
