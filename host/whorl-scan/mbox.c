/*
 * mbox.c - split an mbox into messages and undo its "From " quoting.
 *
 * An mbox starts with a "From " line; every line that starts with "From "
 * begins the next message (that line is the envelope, not part of the
 * message). Inside a message, writers quote body lines starting with
 * "From " as ">From " (mboxo) and ">From " as ">>From " (mboxrd);
 * mbox_unescape removes one '>' from every line matching ^>+From , which
 * restores both. Not for: reading files (walk.c maps them).
 */
#include <string.h>

#include "scan.h"

#define MBOX_FROM "From "
#define MBOX_FROM_LEN 5

int mbox_looks_like(const char *p, size_t len)
{
	return len >= MBOX_FROM_LEN && memcmp(p, MBOX_FROM, MBOX_FROM_LEN) == 0;
}

/* Offset just past the line starting at `at` (len when it is the last). */
static size_t mbox_line_end(const char *data, size_t len, size_t at)
{
	const char *nl = memchr(data + at, '\n', len - at);

	return nl != NULL ? (size_t)(nl - data) + 1 : len;
}

int mbox_split(struct scan_list *l, size_t s)
{
	const struct scan_source *src = &l->sources[s];
	struct scan_job j = { NULL, s, 0, 0, 0 };
	const char *data = src->data, *next;
	size_t len = src->len, at = 0;

	while (at < len) {
		j.off = mbox_line_end(data, len, at);
		next = j.off < len ? memmem(data + j.off, len - j.off, "\n" MBOX_FROM,
		                            MBOX_FROM_LEN + 1)
		                   : NULL;
		at = next != NULL ? (size_t)(next - data) + 1 : len;
		j.len = at - j.off;
		j.index++;
		if (walk_job_add(l, &j) != 0)
			return WHORL_ENOMEM;
	}
	/* A file holding one message behind a "From " line (as archives and
	 * corpora store mail) is named by its path alone. */
	if (j.index == 1)
		l->jobs[l->n_jobs - 1].index = 0;
	return 0;
}

/* Length of the ^>+From  prefix's '>' run at p, or 0 when p is no such line. */
static size_t mbox_quoted(const char *p, size_t left)
{
	size_t k = 0;

	while (k < left && p[k] == '>')
		k++;
	if (k == 0 || left - k < MBOX_FROM_LEN || memcmp(p + k, MBOX_FROM, MBOX_FROM_LEN) != 0)
		return 0;
	return k;
}

size_t mbox_unescape(const char *src, size_t len, char *dst)
{
	size_t in = 0, out = 0, end;

	while (in < len) {
		if (mbox_quoted(src + in, len - in) > 0)
			in++; /* drop one '>' */
		end = mbox_line_end(src, len, in);
		memcpy(dst + out, src + in, end - in);
		out += end - in;
		in = end;
	}
	return out;
}
