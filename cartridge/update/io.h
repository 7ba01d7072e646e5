/*
 * io.h - file primitives of the update module (io.c): bounded reads of a
 * directory's files and the pieces of crash-safe writes.
 *
 * Not for: the format (update_format.h) or a loader run (update_internal.h).
 */
#ifndef WHORL_UPDATE_IO_H
#define WHORL_UPDATE_IO_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Reads dir/name, refusing a file larger than max (WHORL_ELIMIT) without
 * reading past max + 1 bytes. WHORL_EIO with errno set when it cannot be
 * opened or read (EINVAL: not a regular file; a FIFO never blocks).
 * *buf is malloc'd (NUL terminated, not counted). Thread-safe. */
int update_read_bounded(const char *dir, const char *name, size_t max, uint8_t **buf, size_t *len);

/* fsync of a directory, so a rename in it is durable; 0 or -1. */
int update_fsync_dir(const char *dir);

#endif
