/*
 * file_write.h - writing a buffer out whole, the one loop whorl has for it:
 * the update cache and state files (cartridge) and the installed cartridge
 * copies (libwhorl, which builds this file too).
 * Not for: opening or syncing (each caller opens with its own flags and
 * fsyncs what it must make durable).
 */
#ifndef WHORL_UTIL_FILE_WRITE_H
#define WHORL_UTIL_FILE_WRITE_H

#include <stddef.h>

/* Writes all n bytes of buf to fd, retrying short writes and EINTR.
 * 0, or -1 with errno set (a write that wrote nothing counts as EIO). */
int file_write_all(int fd, const void *buf, size_t n);

#endif
