/*
 * state.c - the bytes and files of srl_set.{package,current,safe,unsafe}
 * (docs/UPDATES-STATE.md §1): parse, format, read, write crash-safe.
 *
 * A state file is small text, every line ends in '\n' (so a torn write is
 * seen as malformed, not as a shorter set):
 *   whorl-srl-set 1
 *   manifest <u64>
 *   since <i64>
 *   expires <i64>                                  (optional)
 *   <source> <complete u64> <incremental u64>     (each source at most once)
 *
 * Not for: choosing a set at start or promoting one (state_run.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../abi/whorl_cartridge.h"
#include "../util/file_read.h"
#include "io.h"
#include "state.h"
#include "update_internal.h"
#include "../util/file_write.h"

#define STATE_HEADER "whorl-srl-set 1"
#define STATE_MAX_DIGITS 20 /* digits of a u64 */

static const char *const set_names[UPDATE_SET_KINDS] = { [UPDATE_SET_PACKAGE] = "package",
	                                                 [UPDATE_SET_CURRENT] = "current",
	                                                 [UPDATE_SET_SAFE] = "safe",
	                                                 [UPDATE_SET_UNSAFE] = "unsafe" };

const char *update_set_name(int kind)
{
	return kind >= 0 && kind < UPDATE_SET_KINDS ? set_names[kind] : "?";
}

/* Reads one decimal u64 at p[0..n): all of it, 1..20 digits, no overflow. */
static int parse_u64(const char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > STATE_MAX_DIGITS)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(p[i] - '0');
		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Splits line[0..n) at single spaces into at most max words. */
static size_t split_words(const char *line, size_t n, const char *w[], size_t wl[], size_t max)
{
	size_t k = 0, start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && line[i] != ' ')
			continue;
		if (i == start || k == max)
			return max + 1; /* empty word or too many: malformed */
		w[k] = line + start;
		wl[k++] = i - start;
		start = i + 1;
	}
	return k;
}

static int parse_line(const char *line, size_t n, struct update_set *s, unsigned *seen)
{
	const char *w[3];
	size_t wl[3], k = split_words(line, n, w, wl, 3);
	uint64_t a, b;
	int src;

	if (k == 2 && wl[0] == 8 && memcmp(w[0], "manifest", 8) == 0)
		return parse_u64(w[1], wl[1], &s->manifest_serial);
	if (k == 2 && ((wl[0] == 5 && memcmp(w[0], "since", 5) == 0) ||
	               (wl[0] == 7 && memcmp(w[0], "expires", 7) == 0))) {
		if (parse_u64(w[1], wl[1], &a) != 0 || a > INT64_MAX)
			return -1;
		*(wl[0] == 5 ? &s->since : &s->expires) = (int64_t)a;
		return 0;
	}
	if (k != 3 || (src = update_source_lookup(w[0], wl[0])) < 0 || (*seen & (1u << src)))
		return -1;
	if (parse_u64(w[1], wl[1], &a) != 0 || parse_u64(w[2], wl[2], &b) != 0 || a == 0 || b < a)
		return -1;
	*seen |= 1u << src;
	s->complete[src] = a;
	s->incremental[src] = b;
	return 0;
}

int update_set_parse(const char *text, size_t len, struct update_set *out, int *line_no)
{
	unsigned seen = 0;
	size_t pos = 0;
	int no = 0;

	memset(out, 0, sizeof *out);
	*line_no = 1;
	if (len > UPDATE_STATE_MAX_BYTES)
		return WHORL_EFORMAT;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		*line_no = ++no;
		if (!nl || n > UPDATE_STATE_MAX_LINE)
			return WHORL_EFORMAT;
		if (no == 1 ? (n != strlen(STATE_HEADER) || memcmp(text, STATE_HEADER, n) != 0)
		            : parse_line(text + pos, n, out, &seen) != 0)
			return WHORL_EFORMAT;
		pos += n + 1;
	}
	if (no == 0)
		return WHORL_EFORMAT;
	return 0;
}

long update_set_format(const struct update_set *s, char *buf, size_t cap)
{
	size_t n;
	int w =
	    snprintf(buf, cap, "%s\nmanifest %" PRIu64 "\nsince %" PRId64 "\nexpires %" PRId64 "\n",
	             STATE_HEADER, s->manifest_serial, s->since < 0 ? (int64_t)0 : s->since,
	             s->expires < 0 ? (int64_t)0 : s->expires);

	if (w < 0 || (size_t)w >= cap)
		return WHORL_ELIMIT;
	n = (size_t)w;
	for (int i = 0; i < UPDATE_N_SOURCES; i++) {
		if (!s->complete[i])
			continue;
		w = snprintf(buf + n, cap - n, "%s %" PRIu64 " %" PRIu64 "\n",
		             update_source_name(i), s->complete[i],
		             s->incremental[i] < s->complete[i] ? s->complete[i]
		                                                : s->incremental[i]);
		if (w < 0 || (size_t)w >= cap - n)
			return WHORL_ELIMIT;
		n += (size_t)w;
	}
	return (long)n;
}

int update_set_same(const struct update_set *a, const struct update_set *b)
{
	return memcmp(a->complete, b->complete, sizeof a->complete) == 0;
}

static int state_path(const char *mu_dir, const char *name, char *buf, size_t cap)
{
	return snprintf(buf, cap, "%s/%s/%s", mu_dir, UPDATE_STATE_SUBDIR, name) < (int)cap ? 0
	                                                                                    : -1;
}

static int set_path(const char *mu_dir, int kind, char *buf, size_t cap)
{
	char name[32];
	snprintf(name, sizeof name, "srl_set.%s", update_set_name(kind));
	return state_path(mu_dir, name, buf, cap);
}

int update_state_read(const char *mu_dir, int kind, struct update_set *out, const struct logger *lg)
{
	char path[PATH_MAX], *buf = NULL;
	size_t n = 0;
	int line, why = 0, rc;

	memset(out, 0, sizeof *out);
	if (set_path(mu_dir, kind, path, sizeof path) != 0)
		return WHORL_EIO;
	/* No planted link, no FIFO, at most UPDATE_STATE_MAX_BYTES. */
	rc = file_read_whole(path, FILE_READ_NOFOLLOW, UPDATE_STATE_MAX_BYTES, &buf, &n, &why);
	if (rc != 0 && why == ENOENT)
		return WHORL_ENODATA;
	if (rc == WHORL_ELIMIT) {
		log_error(lg, UPDATE_MOD, "Malformed %s (larger than %d bytes)", path,
		          UPDATE_STATE_MAX_BYTES);
		return WHORL_EFORMAT;
	}
	if (rc != 0) {
		log_error(lg, UPDATE_MOD, "Could not read from %s (%s)", path, file_why_text(why));
		return WHORL_EIO;
	}
	rc = update_set_parse(buf, n, out, &line);
	free(buf);
	if (rc != 0) {
		log_error(lg, UPDATE_MOD, "Malformed line in %s", path);
		memset(out, 0, sizeof *out);
		return WHORL_EFORMAT;
	}
	return 0;
}

static void fsync_dir_of(const char *mu_dir)
{
	char dir[PATH_MAX];

	if (snprintf(dir, sizeof dir, "%s/%s", mu_dir, UPDATE_STATE_SUBDIR) >= (int)sizeof dir)
		return;
	(void)update_fsync_dir(dir);
}

/* path <- text crash-safe (path.tmp, fsync, rename, fsync dir). */
static int state_file_put(const char *mu_dir, const char *path, const char *text, size_t len,
                          const struct logger *lg)
{
	char tmp[PATH_MAX + 8];
	int fd, rc = WHORL_EIO;

	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	(void)unlink(tmp); /* a leftover of a crash, or a planted link */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
		log_error(lg, UPDATE_MOD, "Failed to open %s for writing", tmp);
		return WHORL_EIO;
	}
	if (file_write_all(fd, text, len) != 0 || fsync(fd) != 0) {
		log_error(lg, UPDATE_MOD, "Failed to write the current state file (%s)",
		          strerror(errno));
		goto out;
	}
	if (rename(tmp, path) != 0) {
		log_error(lg, UPDATE_MOD, "Failed to rename %s to %s", tmp, path);
		goto out;
	}
	fsync_dir_of(mu_dir);
	rc = 0;
out:
	close(fd);
	if (rc != 0)
		(void)unlink(tmp);
	return rc;
}

int update_state_write(const char *mu_dir, int kind, const struct update_set *s,
                       const struct logger *lg)
{
	char path[PATH_MAX], text[UPDATE_STATE_MAX_BYTES];
	long len = update_set_format(s, text, sizeof text);

	if (len < 0 || set_path(mu_dir, kind, path, sizeof path) != 0)
		return WHORL_EIO;
	return state_file_put(mu_dir, path, text, (size_t)len, lg);
}

int update_state_remove(const char *mu_dir, int kind, const struct logger *lg)
{
	char path[PATH_MAX];

	if (set_path(mu_dir, kind, path, sizeof path) != 0)
		return WHORL_EIO;
	if (unlink(path) != 0 && errno != ENOENT) {
		log_error(lg, UPDATE_MOD, "Failed to remove %s", path);
		return WHORL_EIO;
	}
	fsync_dir_of(mu_dir);
	return 0;
}

/* The run marker holds the count of unclean starts in a row. */
int update_state_marker_read(const char *mu_dir)
{
	char path[PATH_MAX], buf[32];
	uint64_t v = 0;
	ssize_t n;
	int fd, why = 0;

	if (state_path(mu_dir, UPDATE_RUN_MARKER, path, sizeof path) != 0 ||
	    (fd = file_open_regular(path, FILE_READ_NOFOLLOW, NULL, &why)) < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n <= 0 || parse_u64(buf, (size_t)n, &v) != 0 || v > INT_MAX / 2)
		return 0; /* torn by the crash it records: count it as one */
	return (int)v;
}

int update_state_marker_write(const char *mu_dir, int unclean, const struct logger *lg)
{
	char path[PATH_MAX], text[32];
	int n = snprintf(text, sizeof text, "%d\n", unclean);

	if (state_path(mu_dir, UPDATE_RUN_MARKER, path, sizeof path) != 0)
		return WHORL_EIO;
	return state_file_put(mu_dir, path, text, (size_t)n, lg);
}

void update_state_marker_remove(const char *mu_dir)
{
	char path[PATH_MAX];

	if (state_path(mu_dir, UPDATE_RUN_MARKER, path, sizeof path) == 0 && unlink(path) == 0)
		fsync_dir_of(mu_dir);
}
