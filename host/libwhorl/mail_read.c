/*
 * mail_read.c - read one listed message into a thread's buffer (see mail.h).
 *
 * A whole-file message is read to its end (at most MAIL_MAX_MESSAGE_BYTES);
 * an mbox message is read with pread at the offsets the walk found, after
 * checking on the opened descriptor that it is still the file the walk saw.
 * A short read means the file shrank: that message gets FILE_WHY_CHANGED,
 * the others are unaffected. Not for: deciding what is a message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../abi/whorl_cartridge.h"
#include "../../cartridge/util/file_read.h"
#include "mail.h"

static int mail_reserve(struct mail_buf *b, size_t need)
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

/* pread of exactly len bytes at off; a short count means the file shrank. */
static int mail_pread(int fd, char *dst, size_t len, uint64_t off, int *why)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = pread(fd, dst + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*why = errno;
			return WHORL_EIO;
		}
		if (n == 0) {
			*why = FILE_WHY_CHANGED;
			return WHORL_EIO;
		}
		got += (size_t)n;
	}
	return 0;
}

/* Message m of a file the walk split (or took whole). */
static int mail_read_file(const struct mail_file *f, const struct mail_msg *m, struct mail_buf *b,
                          size_t *len, int *why)
{
	struct stat st;
	int fd, rc;

	fd = file_open_regular(f->path, 0, &st, why);
	if (fd < 0)
		return WHORL_EIO;
	if (m->len == MAIL_LEN_WHOLE_FILE) {
		rc = file_read_fd(fd, MAIL_MAX_MESSAGE_BYTES, (size_t)st.st_size, &b->buf, &b->cap,
		                  len, why);
	} else if (m->len > MAIL_MAX_MESSAGE_BYTES) {
		*why = EFBIG;
		rc = WHORL_ELIMIT;
	} else if (st.st_dev != f->dev || st.st_ino != f->ino ||
	           (uint64_t)st.st_size < m->off + m->len) {
		*why = FILE_WHY_CHANGED;
		rc = WHORL_EIO;
	} else if ((rc = mail_reserve(b, (size_t)m->len + 1)) != 0) {
		*why = ENOMEM;
	} else {
		rc = mail_pread(fd, b->buf, (size_t)m->len, m->off, why);
		*len = (size_t)m->len;
	}
	close(fd);
	return rc;
}

int mail_read(const struct mail_list *l, size_t i, struct mail_buf *b, const char **msg,
              size_t *len, int *why)
{
	const struct mail_msg *m = &l->msgs[i];
	const struct mail_file *f = &l->files[m->file];
	int rc;

	*why = 0;
	*msg = NULL;
	*len = 0;
	if (f->data != NULL && m->index == 0) {
		*msg = f->data + m->off; /* standard input, one message */
		*len = (size_t)m->len;
		return 0;
	}
	if (f->data != NULL) {
		if (mail_reserve(b, (size_t)m->len + 1) != 0) {
			*why = ENOMEM;
			return WHORL_ENOMEM;
		}
		memcpy(b->buf, f->data + m->off, (size_t)m->len);
		*len = (size_t)m->len;
	} else if ((rc = mail_read_file(f, m, b, len, why)) != 0) {
		return rc;
	}
	if (m->index > 0)
		*len = mail_mbox_unescape(b->buf, *len);
	*msg = b->buf;
	return 0;
}

void mail_buf_free(struct mail_buf *b)
{
	free(b->buf);
	b->buf = NULL;
	b->cap = 0;
}
