/*
 * cache.c - the local copy of the last verified update set under
 * <micro-update cache path>/micro_updates/: complete data files, their
 * checksum files and the manifest. Deltas are never kept on disk.
 *
 * Each file is written as <name>.part, fsync'd, renamed, and the directory
 * fsync'd, so a crash leaves either the old or the new file. The manifest is
 * written last and only when every complete file it names is present, so
 * the cache always reads as a consistent set. At most UPDATE_CACHE_KEEP
 * complete files per source are kept.
 *
 * Not for: state files and rollback (a later task), reading (loader.c).
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
#include "update_internal.h"

int update_cache_dir(const struct cfg *cfg, char *buf, size_t len)
{
	if (!cfg->cache_path[0])
		return -1;
	if (snprintf(buf, len, "%s/%s", cfg->cache_path, UPDATE_CACHE_SUBDIR) >= (int)len)
		return -1;
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
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
	if ((fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		log_warn(run->lg, UPDATE_MOD, "Can not create partial micro-update file %s (%s)",
		         name, strerror(errno));
		return -1;
	}
	if (write_all(fd, p, n) != 0 || fsync(fd) != 0) {
		log_warn(run->lg, UPDATE_MOD, "Can not write to micro-update file %s (%s)", name,
		         strerror(errno));
		goto out;
	}
	if (rename(part, path) != 0) {
		log_warn(run->lg, UPDATE_MOD, "Can not rename partial micro-update file %s.part to "
		         "%s (%s)", name, name, strerror(errno));
		goto out;
	}
	rc = fsync_dir(dir);
out:
	close(fd);
	if (rc != 0 && unlink(part) != 0 && errno != ENOENT)
		log_warn(run->lg, UPDATE_MOD, "Can not remove partial micro-update file %s.part (%s)",
		         name, strerror(errno));
	return rc;
}

static int cache_mkdir(const struct update_run *run, const char *dir)
{
	struct stat st;

	if (stat(dir, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : -1;
	if (mkdir(run->cfg->cache_path, 0755) != 0 && errno != EEXIST)
		goto fail;
	log_info(run->lg, UPDATE_MOD, "Attempting to create micro-update directory %s.", dir);
	if (mkdir(dir, 0755) == 0 || errno == EEXIST)
		return 0;
fail:
	log_warn(run->lg, UPDATE_MOD, "Can not create directory %s (%s). Expect errors saving "
	         "micro-update files.", dir, strerror(errno));
	return -1;
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

#define CACHE_MAX_SCAN 256             /* complete files of one source looked at */

/* Removes all but the newest UPDATE_CACHE_KEEP complete files of source. */
static void cache_prune(const struct update_run *run, const char *dir, int source)
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
	for (size_t i = UPDATE_CACHE_KEEP; i < n; i++) {
		char path[PATH_MAX], name[UPDATE_MAX_NAME + 32];
		snprintf(name, sizeof name, "%s.%" PRIu64 ".z.enc", src, serials[i]);
		if (snprintf(path, sizeof path, "%s/%s%s", dir, name, UPDATE_CKSUM_SUFFIX) <
		    (int)sizeof path)
			unlink(path);
		if (snprintf(path, sizeof path, "%s/%s", dir, name) < (int)sizeof path &&
		    unlink(path) == 0)
			log_info(run->lg, UPDATE_MOD, "Removed old %s file %s.", src, name);
		else
			log_warn(run->lg, UPDATE_MOD, "Can not remove old %s files (%s).", src,
			         strerror(errno));
	}
}

static int cache_has(const char *dir, const char *name)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
		return 0;
	return access(path, R_OK) == 0;
}

/* 1 when dir/name exists with exactly len bytes. Names carry the serial,
 * and cached files are verified again whenever they are read, so such a
 * file need not be written again. */
static int cache_has_same(const char *dir, const char *name, size_t len)
{
	char path[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
		return 0;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == len;
}

void update_cache_store(struct update_run *run)
{
	char dir[PATH_MAX], ckname[UPDATE_MAX_NAME + sizeof UPDATE_CKSUM_SUFFIX];
	int complete_set = 1;

	if (update_cache_dir(run->cfg, dir, sizeof dir) != 0 || cache_mkdir(run, dir) != 0)
		return;
	for (int i = 0; i < UPDATE_N_SOURCES; i++) {
		const struct update_blob *b = &run->keep[i];
		if (b->data) {
			snprintf(ckname, sizeof ckname, "%s%s", b->name, UPDATE_CKSUM_SUFFIX);
			if (cache_has_same(dir, b->name, b->len) &&
			    cache_has_same(dir, ckname, b->cksum_len))
				continue;
			if (cache_write(run, dir, ckname, b->cksum, b->cksum_len) == 0 &&
			    cache_write(run, dir, b->name, b->data, b->len) == 0)
				cache_prune(run, dir, i);
		}
		if (run->man.src[i].present && !cache_has(dir, run->man.src[i].full.name))
			complete_set = 0;
	}
	if (complete_set)
		cache_write(run, dir, UPDATE_MANIFEST_NAME, run->man_bytes, run->man_len);
}
