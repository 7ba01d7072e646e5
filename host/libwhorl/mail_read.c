/*
 * mail_read.c - read one list entry into a thread's buffer (see mail.h).
 *
 * A whole-file message and a listed file are read to their end (at most
 * MAIL_MAX_MESSAGE_BYTES), as they are when they are read; a listed file is
 * then split here when it is an mbox, unless it is an mbox over
 * MAIL_SMALL_FILE_BYTES (MAIL_READ_SPLIT: the walk's code lists its
 * messages). An mbox message the walk found is read with pread at its
 * offsets, from a descriptor checked first to be the file the walk split. A
 * short pread means the file shrank: that message gets FILE_WHY_CHANGED,
 * the others are unaffected. Not for: walking.
 */
#include <errno.h>
#include <fcntl.h>
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

/* The splitter's callback for a small file: one more message. */
static int mail_span_add(void *ctx, uint64_t off, uint64_t len)
{
	struct mail_buf *b = ctx;
	size_t cap = b->cap_spans ? b->cap_spans * 2 : 16;
	struct mail_span *q;

	if (b->n_spans == b->cap_spans) {
		q = realloc(b->spans, cap * sizeof(*q));
		if (q == NULL)
			return WHORL_ENOMEM;
		b->spans = q;
		b->cap_spans = cap;
	}
	b->spans[b->n_spans++] = (struct mail_span){ 0, (size_t)off, (size_t)len };
	return 0;
}

/* A listed file read whole into b->buf: one message, or each message of an
 * mbox (numbered and unquoted when there are several, as the walk does). */
static int mail_split_listed(struct mail_buf *b, size_t len)
{
	struct mail_mbox_split s;
	struct mail_span *sp;
	size_t j;
	int rc;

	if (!mail_mbox_looks_like(b->buf, len))
		return mail_span_add(b, 0, len);
	mail_mbox_split_init(&s, mail_span_add, b);
	rc = mail_mbox_split_feed(&s, b->buf, len);
	if (rc == 0)
		rc = mail_mbox_split_end(&s);
	if (rc != 0 || b->n_spans == 1)
		return rc; /* one message behind a "From " line: named by the path */
	for (j = 0; j < b->n_spans; j++) {
		sp = &b->spans[j];
		sp->index = j + 1;
		sp->len = mail_mbox_unescape(b->buf + sp->off, sp->len);
	}
	return 0;
}

/* Opens f as the walk found it: from its directory, which b keeps open for
 * the files after it (each open then looks up one name, not the whole
 * path), else by its path. */
static int mail_open(const struct mail_file *f, struct mail_buf *b, struct stat *st, int *why)
{
	char *dir;

	if (f->dir != 0 && f->dir != b->dir) {
		if (b->dir != 0)
			close(b->dir_fd);
		b->dir = 0;
		dir = strndup(f->path, f->name_off);
		if (dir != NULL)
			b->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dir != NULL && b->dir_fd >= 0)
			b->dir = f->dir;
		free(dir);
	}
	if (f->dir != 0 && f->dir == b->dir)
		return file_open_regular_at(b->dir_fd, f->path + f->name_off, 0, st, why);
	return file_open_regular(f->path, 0, st, why);
}

/* A listed file over MAIL_SMALL_FILE_BYTES that starts with "From ": it is
 * split by mail_list_split_entry, not read whole. */
static int mail_is_large_mbox(int fd, const struct stat *st)
{
	char head[sizeof("From ") - 1];
	ssize_t n;

	if ((uint64_t)st->st_size <= MAIL_SMALL_FILE_BYTES)
		return 0;
	do
		n = pread(fd, head, sizeof(head), 0);
	while (n < 0 && errno == EINTR);
	return n > 0 && mail_mbox_looks_like(head, (size_t)n);
}

/* Entry m of a file the walk split, took whole or only listed. */
static int mail_read_file(const struct mail_file *f, const struct mail_msg *m, struct mail_buf *b,
                          size_t *len, int *why)
{
	struct stat st;
	int fd, rc;

	fd = mail_open(f, b, &st, why);
	if (fd < 0)
		return WHORL_EIO;
	/* An mbox's message must still be in the file the walk split; a file
	 * read whole is read as it is now. */
	if (m->len == MAIL_LEN_LISTED_FILE && mail_is_large_mbox(fd, &st)) {
		rc = MAIL_READ_SPLIT;
	} else if (m->len == MAIL_LEN_WHOLE_FILE || m->len == MAIL_LEN_LISTED_FILE) {
		rc = file_read_fd(fd, MAIL_MAX_MESSAGE_BYTES, (size_t)st.st_size, &b->buf, &b->cap,
		                  len, why);
	} else if (st.st_dev != f->dev || st.st_ino != f->ino) {
		*why = FILE_WHY_CHANGED;
		rc = WHORL_EIO;
	} else if (m->len > MAIL_MAX_MESSAGE_BYTES) {
		*why = EFBIG;
		rc = WHORL_ELIMIT;
	} else if ((uint64_t)st.st_size < m->off + m->len) {
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

int mail_read(const struct mail_list *l, size_t i, struct mail_buf *b, size_t *n_msgs, int *why)
{
	const struct mail_msg *m = &l->msgs[i];
	const struct mail_file *f = &l->files[m->file];
	size_t len = 0;
	int rc;

	*why = 0;
	*n_msgs = 0;
	b->n_spans = 0;
	if (f->data != NULL && m->index == 0) {
		len = (size_t)m->len; /* standard input, one message: not copied */
	} else if (f->data != NULL) {
		if (mail_reserve(b, (size_t)m->len + 1) != 0) {
			*why = ENOMEM;
			return WHORL_ENOMEM;
		}
		memcpy(b->buf, f->data + m->off, (size_t)m->len);
		len = (size_t)m->len;
	} else if ((rc = mail_read_file(f, m, b, &len, why)) != 0) {
		return rc;
	}
	b->data = f->data != NULL && m->index == 0 ? f->data + m->off : b->buf;
	if (m->len == MAIL_LEN_LISTED_FILE)
		rc = mail_split_listed(b, len);
	else if (m->index > 0)
		rc = mail_span_add(b, 0, mail_mbox_unescape(b->buf, len));
	else
		rc = mail_span_add(b, 0, len);
	if (rc != 0) {
		*why = ENOMEM;
		return rc;
	}
	if (m->len != MAIL_LEN_LISTED_FILE)
		b->spans[0].index = m->index;
	*n_msgs = b->n_spans;
	return 0;
}

void mail_read_msg(const struct mail_buf *b, size_t j, size_t *index, const char **msg, size_t *len)
{
	*index = b->spans[j].index;
	*msg = b->data + b->spans[j].off;
	*len = b->spans[j].len;
}

/* Passes each message of the entry last read into b (n of them) to fn. */
static void mail_each_msg(const struct mail_buf *b, size_t n, mail_each_fn fn, void *ctx)
{
	const char *msg;
	size_t j, index, len;

	for (j = 0; j < n; j++) {
		mail_read_msg(b, j, &index, &msg, &len);
		fn(ctx, index, 0, 0, msg, len);
	}
}

int mail_read_each(const struct mail_list *l, size_t i, struct mail_buf *b, mail_each_fn fn,
                   void *ctx)
{
	struct mail_list sub;
	size_t j, n = 0;
	int why = 0, rc = mail_read(l, i, b, &n, &why);

	if (rc == 0)
		mail_each_msg(b, n, fn, ctx);
	if (rc != MAIL_READ_SPLIT) {
		if (rc != 0)
			fn(ctx, l->msgs[i].index, rc, why, NULL, 0);
		return rc == WHORL_ENOMEM ? rc : 0;
	}
	rc = mail_list_split_entry(l, i, &sub, &why);
	for (j = 0; rc != WHORL_ENOMEM && j < sub.n_msgs; j++)
		if (mail_read_each(&sub, j, b, fn, ctx) == WHORL_ENOMEM)
			rc = WHORL_ENOMEM;
	if (rc != 0)
		fn(ctx, l->msgs[i].index, rc, why, NULL, 0);
	mail_list_free(&sub);
	return rc == WHORL_ENOMEM ? rc : 0;
}

void mail_buf_free(struct mail_buf *b)
{
	if (b->dir != 0)
		close(b->dir_fd);
	free(b->buf);
	free(b->spans);
	memset(b, 0, sizeof(*b));
}
