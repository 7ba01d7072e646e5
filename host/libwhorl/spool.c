/*
 * spool.c - the feedback spool: reports (spamd TELL, later the milter's)
 * kept on disk until a collector picks them up (docs/FEEDBACK.md).
 *
 * Maildir style: each report is written whole to DIR/tmp/NAME, fsync'd,
 * then renamed to DIR/new/NAME, so a reader of new/ never sees half a
 * file. NAME is <unix seconds>.<microseconds>.<pid>_<sequence>.whorl,
 * unique per host and process. The file is the "Name: value" fields, one
 * per line, a "X-Whorl-Feedback-Length: N" field, a blank line, then the
 * N bytes of the message as received.
 * Not for: sending reports anywhere (the feedback network comes later).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "whorl_daemon.h"

static atomic_ulong spool_sequence;

static int spool_mkdirs(const char *dir)
{
	char sub[WHORL_DCFG_PATH_MAX + 8];
	static const char *const parts[] = { "", "/tmp", "/new", "/cur" };

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if ((size_t)snprintf(sub, sizeof(sub), "%s%s", dir, parts[i]) >= sizeof(sub))
			return WHORL_EINVAL;
		if (mkdir(sub, 0750) != 0 && errno != EEXIST)
			return WHORL_EIO;
	}
	return 0;
}

static int spool_write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return WHORL_EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int spool_fields_valid(const char *const *fields, size_t n_fields)
{
	for (size_t i = 0; i < n_fields; i++) {
		if (fields[i] == NULL || strpbrk(fields[i], "\r\n") != NULL ||
		    strchr(fields[i], ':') == NULL)
			return 0;
	}
	return 1;
}

static int spool_write_file(int fd, const char *const *fields, size_t n_fields, const char *msg,
                            size_t len)
{
	char length[64];
	int rc = 0;

	for (size_t i = 0; i < n_fields && rc == 0; i++) {
		rc = spool_write_all(fd, fields[i], strlen(fields[i]));
		if (rc == 0)
			rc = spool_write_all(fd, "\n", 1);
	}
	snprintf(length, sizeof(length), "X-Whorl-Feedback-Length: %zu\n\n", len);
	if (rc == 0)
		rc = spool_write_all(fd, length, strlen(length));
	if (rc == 0)
		rc = spool_write_all(fd, msg, len);
	if (rc == 0 && fsync(fd) != 0)
		rc = WHORL_EIO;
	return rc;
}

int whorl_spool_write(const char *dir, const char *const *fields, size_t n_fields, const char *msg,
                      size_t len, char *name_out, size_t name_len)
{
	char name[128], tmp_path[WHORL_DCFG_PATH_MAX + 160], new_path[WHORL_DCFG_PATH_MAX + 160];
	struct timeval tv;
	int fd, rc;

	if (dir == NULL || *dir == '\0' || strlen(dir) >= WHORL_DCFG_PATH_MAX ||
	    !spool_fields_valid(fields, n_fields))
		return WHORL_EINVAL;
	rc = spool_mkdirs(dir);
	if (rc != 0)
		return rc;
	gettimeofday(&tv, NULL);
	snprintf(name, sizeof(name), "%lld.%06ld.%ld_%lu.whorl", (long long)tv.tv_sec,
	         (long)tv.tv_usec, (long)getpid(), atomic_fetch_add(&spool_sequence, 1));
	snprintf(tmp_path, sizeof(tmp_path), "%s/tmp/%s", dir, name);
	snprintf(new_path, sizeof(new_path), "%s/new/%s", dir, name);
	fd = open(tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0)
		return WHORL_EIO;
	rc = spool_write_file(fd, fields, n_fields, msg, len);
	if (close(fd) != 0 && rc == 0)
		rc = WHORL_EIO;
	if (rc == 0 && rename(tmp_path, new_path) != 0)
		rc = WHORL_EIO;
	if (rc != 0)
		unlink(tmp_path);
	else if (name_out != NULL)
		snprintf(name_out, name_len, "%s", name);
	return rc;
}
