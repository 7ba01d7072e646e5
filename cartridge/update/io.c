/*
 * io.c - the file primitives the update module shares: bounded reads of a
 * directory's files (a file:// mirror, the cache; through util/file_read,
 * so a FIFO or device is refused at once, never blocked on) and the pieces
 * of crash-safe writing (write everything, fsync a directory after a
 * rename). One place, so that the cache, the state files, the loader and the
 * publisher need each other for none of them: data flows one way.
 *
 * Not for: what is read or written (cache.c, state.c, fetch.c), the network
 * (net.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../abi/whorl_cartridge.h"
#include "../util/file_read.h"
#include "io.h"
#include "../util/file_write.h"

int update_read_bounded(const char *dir, const char *name, size_t max, uint8_t **buf, size_t *len)
{
	char path[PATH_MAX];
	int why = 0, rc;

	*buf = NULL;
	if (snprintf(path, sizeof path, "%s%s%s", dir, *dir ? "/" : "", name) >= (int)sizeof path)
		return WHORL_EINVAL;
	/* O_NONBLOCK, fstat, regular files only, at most max bytes (file_read.h);
	 * errno EINVAL for a FIFO, socket or device. */
	rc = file_read_whole(path, 0, max, (char **)buf, len, &why);
	if (rc == WHORL_EIO)
		errno = why >= FILE_WHY_NOT_REGULAR ? EINVAL : why;
	return rc;
}

#define COPY_WINDOW ((size_t)64 << 10)

/* Appends everything readable on in to out, at most max bytes; stops
 * before the next piece once *cancel is non-zero. */
static int copy_fd(int in, int out, size_t max, uint8_t *buf, const atomic_int *cancel)
{
	size_t total = 0;

	for (;;) {
		if (cancel != NULL && atomic_load(cancel) != 0) {
			errno = ECANCELED;
			return WHORL_EIO;
		}
		ssize_t n = read(in, buf, COPY_WINDOW);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return WHORL_EIO;
		if (n == 0)
			return 0;
		if ((size_t)n > max - total)
			return WHORL_ELIMIT;
		if (file_write_all(out, buf, (size_t)n) != 0)
			return WHORL_EIO;
		total += (size_t)n;
	}
}

int update_copy_bounded(const char *dir, const char *name, size_t max, int fd,
                        const atomic_int *cancel)
{
	char path[PATH_MAX];
	uint8_t *buf = NULL;
	int in, why = 0, rc = WHORL_EIO;
	struct stat st;

	if (snprintf(path, sizeof path, "%s%s%s", dir, *dir ? "/" : "", name) >= (int)sizeof path)
		return WHORL_EINVAL;
	if ((in = file_open_regular(path, 0, &st, &why)) < 0) /* never blocks on a FIFO */
		return WHORL_EIO;
	rc = WHORL_ELIMIT;
	if ((uint64_t)st.st_size > max)
		goto out;
	rc = WHORL_ENOMEM;
	if (!(buf = malloc(COPY_WINDOW)))
		goto out;
	rc = copy_fd(in, fd, max, buf, cancel);
out:
	free(buf);
	close(in);
	return rc;
}

int update_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}
