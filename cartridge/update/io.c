/*
 * io.c - the file primitives the update module shares: bounded reads of a
 * directory's files (the cache, a publisher's own mirror; through
 * util/file_read, so a FIFO or device is refused at once, never blocked
 * on) and the pieces of crash-safe writing (fsync a directory after a
 * rename). The engine reads a file:// mirror in a child process instead
 * (dir_read.c). One place, so that the cache, the state files, the loader and the
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
