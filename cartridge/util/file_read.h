/*
 * file_read.h - open and read a file whorl did not write in this process,
 * safely against whatever is found at the path.
 *
 * Every file the engine and the programs read (configuration, whitelist,
 * licence, categories, keys, state, cache, file:// mirrors, mail) goes
 * through here, so that each is opened the same way: without blocking on a
 * FIFO or a device (O_NONBLOCK), never inherited by a child (O_CLOEXEC),
 * optionally refusing a symbolic link (O_NOFOLLOW), checked with fstat on
 * the opened descriptor (so a file swapped after a stat is still caught),
 * and read with a size cap, EINTR and short reads handled. Nothing is
 * mapped, so a file that shrinks while it is read gives a short read, never
 * SIGBUS.
 *
 * Not for: writing files (update/cache.c, update/state.c) or choosing which
 * file to read.
 */
#ifndef WHORL_FILE_READ_H
#define WHORL_FILE_READ_H

#include <stddef.h>
#include <sys/stat.h>

/* Flags for file_open_regular() and file_read_whole(). */
#define FILE_READ_NOFOLLOW \
	0x1u /* refuse a symbolic link as the last component
                                   * (for files whorl writes itself: state, cache) */

/* Reasons a file is refused beyond errno values (positive, above any errno). */
#define FILE_WHY_NOT_REGULAR 4096 /* a FIFO, socket, device or directory */
#define FILE_WHY_CHANGED 4097     /* shrank or was replaced while it was read */

/* Opens path read-only with O_NONBLOCK | O_CLOEXEC (| O_NOFOLLOW with
 * FILE_READ_NOFOLLOW) and fstats the descriptor into *st (may be NULL).
 * Returns the descriptor, or -1 with *why set to the errno of the failing
 * call or FILE_WHY_NOT_REGULAR (the descriptor is then closed). O_NONBLOCK
 * stays set: it has no effect on reading a regular file.
 * Thread-safe. */
int file_open_regular(const char *path, unsigned flags, struct stat *st, int *why);

/* The same, with a relative path looked up from the directory dir_fd (as
 * openat(2); AT_FDCWD for the working directory): a walk that holds its
 * directory open saves the lookup of every component above it. */
int file_open_regular_at(int dir_fd, const char *path, unsigned flags, struct stat *st, int *why);

/* Reads fd from its offset to its end into *buf, which holds *cap bytes and
 * is grown with realloc as needed (both may start as NULL / 0; the caller
 * frees *buf). hint is the expected size (fstat's): it sizes the buffer,
 * and a short read ending exactly there is the end (one read() for a file
 * that does not change; 0 for pipes and the like). At most max bytes are accepted; *buf is NUL-terminated after *len
 * bytes. Returns 0; WHORL_ELIMIT with *why = EFBIG when the file holds more
 * than max bytes; WHORL_ENOMEM (*why = ENOMEM); WHORL_EIO with *why = errno.
 * Thread-safe for distinct fds and buffers. */
int file_read_fd(int fd, size_t max, size_t hint, char **buf, size_t *cap, size_t *len, int *why);

/* file_open_regular() then file_read_fd() into a new buffer of its own:
 * *data (malloc'd, NUL-terminated, the caller frees) and *len. Returns 0,
 * or WHORL_EIO / WHORL_ELIMIT / WHORL_ENOMEM with *why as above (*data is
 * then NULL). A missing file is WHORL_EIO with *why == ENOENT. */
int file_read_whole(const char *path, unsigned flags, size_t max, char **data, size_t *len,
                    int *why);

/* A short text for a *why value: strerror's for errno values, "not a
 * regular file" for FILE_WHY_NOT_REGULAR, "changed while it was read" for
 * FILE_WHY_CHANGED, "larger than the limit" for EFBIG.
 * Returns a static string; thread-safe. */
const char *file_why_text(int why);

#endif
