/*
 * file_read.c - the one way whorl opens and reads a file (see file_read.h).
 *
 * Not for: mail walking (host/libwhorl/mail_*.c builds on this) or writing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../abi/whorl_cartridge.h"
#include "file_read.h"

#define FILE_READ_FIRST_CAP ((size_t)4096) /* first buffer when no hint is given */

int file_open_regular(const char *path, unsigned flags, struct stat *st, int *why)
{
	return file_open_regular_at(AT_FDCWD, path, flags, st, why);
}

int file_open_regular_at(int dir_fd, const char *path, unsigned flags, struct stat *st, int *why)
{
	struct stat own;
	int oflags = O_RDONLY | O_NONBLOCK | O_CLOEXEC, fd;

	if (st == NULL)
		st = &own;
	if (flags & FILE_READ_NOFOLLOW)
		oflags |= O_NOFOLLOW;
	fd = openat(dir_fd, path, oflags);
	if (fd < 0) {
		*why = errno;
		return -1;
	}
	if (fstat(fd, st) != 0) {
		*why = errno;
		close(fd);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		*why = FILE_WHY_NOT_REGULAR;
		close(fd);
		return -1;
	}
	return fd;
}

/* Makes *buf hold at least need bytes (need <= max + 2). */
static int file_reserve(char **buf, size_t *cap, size_t need, size_t max)
{
	size_t new_cap = *cap ? *cap : FILE_READ_FIRST_CAP;
	char *p;

	if (need <= *cap)
		return 0;
	while (new_cap < need)
		new_cap = new_cap > max / 2 ? max + 2 : new_cap * 2;
	p = realloc(*buf, new_cap);
	if (p == NULL)
		return WHORL_ENOMEM;
	*buf = p;
	*cap = new_cap;
	return 0;
}

int file_read_fd(int fd, size_t max, size_t hint, char **buf, size_t *cap, size_t *len, int *why)
{
	size_t have = 0, want;
	ssize_t n;

	*len = 0;
	if (max > (size_t)-1 / 2)
		max = (size_t)-1 / 2;
	/* Room for max + 1 bytes (one past the cap shows a larger file) and NUL. */
	if (file_reserve(buf, cap, (hint < max ? hint : max) + 2, max) != 0)
		goto no_memory;
	for (;;) {
		/* Always room for one more byte and the NUL. */
		if (have + 2 > *cap && file_reserve(buf, cap, have + 2, max) != 0)
			goto no_memory;
		want = *cap - 1 - have;
		n = read(fd, *buf + have, want);
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*why = errno;
			return WHORL_EIO;
		}
		have += (size_t)n;
		if (have > max) {
			*why = EFBIG;
			return WHORL_ELIMIT;
		}
		/* A read that stops short exactly at the size fstat gave is at the
		 * end of the file: no second read just to see 0 (a pipe's hint is 0). */
		if (hint > 0 && have == hint && (size_t)n < want)
			break;
	}
	(*buf)[have] = '\0';
	*len = have;
	return 0;
no_memory:
	*why = ENOMEM;
	return WHORL_ENOMEM;
}

int file_read_whole(const char *path, unsigned flags, size_t max, char **data, size_t *len,
                    int *why)
{
	struct stat st;
	size_t cap = 0;
	int fd, rc;

	*data = NULL;
	*len = 0;
	fd = file_open_regular(path, flags, &st, why);
	if (fd < 0)
		return WHORL_EIO;
	rc = file_read_fd(fd, max, (size_t)st.st_size, data, &cap, len, why);
	close(fd);
	if (rc != 0) {
		free(*data);
		*data = NULL;
		*len = 0;
	}
	return rc;
}

const char *file_why_text(int why)
{
	if (why == FILE_WHY_NOT_REGULAR)
		return "not a regular file";
	if (why == FILE_WHY_CHANGED)
		return "changed while it was read (shrank or was replaced)";
	if (why == EFBIG)
		return "larger than the limit";
	return strerror(why);
}
