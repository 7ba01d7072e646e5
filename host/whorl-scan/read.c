/*
 * read.c - get one message's bytes for a worker thread.
 *
 * Each worker owns one struct scan_buf that grows to the largest message
 * it has seen and is reused for every message: small files are read into
 * it, files of SCAN_MMAP_MIN bytes or more are mapped instead, and mbox
 * messages are copied into it with their "From " quoting undone.
 * Not for: deciding what is a message (walk.c, mbox.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scan.h"

static int read_reserve(struct scan_buf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 65536;
	char *q;

	if (need <= b->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	q = realloc(b->buf, cap);
	if (q == NULL)
		return WHORL_ENOMEM;
	b->buf = q;
	b->cap = cap;
	return 0;
}

/* Reads fd to its end into b; the file may differ from its fstat size. */
static int read_fd(int fd, size_t hint, struct scan_buf *b, size_t *len, int *err_no)
{
	size_t have = 0;
	ssize_t n;

	if (read_reserve(b, hint + 1) != 0)
		return WHORL_ENOMEM;
	for (;;) {
		if (have == b->cap && read_reserve(b, b->cap + 1) != 0)
			return WHORL_ENOMEM;
		n = read(fd, b->buf + have, b->cap - have);
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*err_no = errno;
			return WHORL_EIO;
		}
		have += (size_t)n;
	}
	*len = have;
	return 0;
}

static int read_file(const char *path, struct scan_buf *b, const char **msg, size_t *len,
                     int *err_no)
{
	struct stat st;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		*err_no = errno;
		rc = WHORL_EIO;
		goto done;
	}
	if ((size_t)st.st_size >= SCAN_MMAP_MIN) {
		b->map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (b->map != MAP_FAILED) {
			b->map_len = (size_t)st.st_size;
			*msg = b->map;
			*len = b->map_len;
			goto done;
		}
		b->map = NULL;
	}
	rc = read_fd(fd, (size_t)st.st_size, b, len, err_no);
	*msg = b->buf;
done:
	if (fd >= 0)
		close(fd);
	return rc;
}

int read_job(const struct scan_list *l, const struct scan_job *j, struct scan_buf *b,
             const char **msg, size_t *len, int *err_no)
{
	const struct scan_source *s;

	*err_no = 0;
	if (j->source == SCAN_NO_SOURCE)
		return read_file(j->path, b, msg, len, err_no);
	s = &l->sources[j->source];
	if (j->index == 0) {
		*msg = s->data + j->off;
		*len = j->len;
		return 0;
	}
	if (read_reserve(b, j->len + 1) != 0)
		return WHORL_ENOMEM;
	*len = mbox_unescape(s->data + j->off, j->len, b->buf);
	*msg = b->buf;
	return 0;
}

void read_release(struct scan_buf *b)
{
	if (b->map != NULL)
		munmap(b->map, b->map_len);
	b->map = NULL;
	b->map_len = 0;
}

void read_buf_free(struct scan_buf *b)
{
	read_release(b);
	free(b->buf);
	b->buf = NULL;
	b->cap = 0;
}
