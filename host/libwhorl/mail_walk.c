/*
 * mail_walk.c - turn paths into the ordered list of messages (see mail.h).
 *
 * Files are only stat'ed here, except those over MAIL_SMALL_FILE_BYTES
 * outside a maildir's cur/ and new/: those are opened and, when they start
 * with "From ", read once in MAIL_WALK_CHUNK pieces through the splitter;
 * only offsets are kept. A small file is one entry, split when it is read;
 * a file inside cur/ or new/ is one message. A directory stays open while
 * its entries are stat'ed (fstatat from it: one name looked up, not the
 * path), so a walk holds one descriptor per level of depth.
 * Not for: reading (mail_read.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../abi/whorl_cartridge.h"
#include "../../cartridge/util/file_read.h"
#include "mail.h"

void mail_list_init(struct mail_list *l, mail_report_fn report, void *ctx)
{
	memset(l, 0, sizeof(*l));
	l->report = report;
	l->report_ctx = ctx;
}

static void walk_unreadable(struct mail_list *l, const char *path, const char *why)
{
	if (l->report != NULL)
		l->report(l->report_ctx, path, why);
	l->n_unreadable++;
}

static int walk_grow(void **p, size_t *cap, size_t n, size_t elem)
{
	size_t new_cap;
	void *q;

	if (n < *cap)
		return 0;
	new_cap = *cap ? *cap * 2 : 64;
	q = realloc(*p, new_cap * elem);
	if (q == NULL)
		return WHORL_ENOMEM;
	*p = q;
	*cap = new_cap;
	return 0;
}

/* Appends a file; its index is l->n_files - 1. data is taken over. */
static int walk_file_add(struct mail_list *l, const char *path, const struct stat *st, char *data,
                         size_t data_len)
{
	struct mail_file *f;
	char *copy = strdup(path);

	if (copy == NULL ||
	    walk_grow((void **)&l->files, &l->cap_files, l->n_files, sizeof(*f)) != 0) {
		free(copy);
		return WHORL_ENOMEM;
	}
	f = &l->files[l->n_files++];
	memset(f, 0, sizeof(*f));
	f->path = copy;
	f->data = data;
	f->data_len = data_len;
	if (st != NULL) {
		f->dev = st->st_dev;
		f->ino = st->st_ino;
	}
	return 0;
}

static int walk_msg_add(struct mail_list *l, size_t file, size_t index, uint64_t off, uint64_t len)
{
	if (walk_grow((void **)&l->msgs, &l->cap_msgs, l->n_msgs, sizeof(*l->msgs)) != 0)
		return WHORL_ENOMEM;
	l->msgs[l->n_msgs++] = (struct mail_msg){ file, index, off, len };
	return 0;
}

/* The splitter's callback: one more message of the newest file. */
static int walk_emit(void *ctx, uint64_t off, uint64_t len)
{
	struct mail_list *l = ctx;
	size_t index = 1;

	if (l->n_msgs > 0 && l->msgs[l->n_msgs - 1].file == l->n_files - 1)
		index = l->msgs[l->n_msgs - 1].index + 1;
	return walk_msg_add(l, l->n_files - 1, index, off, len);
}

/* A file holding one message behind a "From " line (as archives and
 * corpora store mail) is named by its path alone. */
static void walk_split_done(struct mail_list *l, const struct mail_mbox_split *s)
{
	if (s->n_msgs == 1)
		l->msgs[l->n_msgs - 1].index = 0;
}

/* Reads the rest of an mbox whose first `have` bytes are in l->chunk. The
 * walk takes the file as it was when opened: it stops at its fstat size. */
static int walk_mbox(struct mail_list *l, int fd, const struct stat *st, size_t have,
                     const char *path)
{
	struct mail_mbox_split s;
	uint64_t total = have;
	ssize_t n;
	int rc;

	mail_mbox_split_init(&s, walk_emit, l);
	rc = mail_mbox_split_feed(&s, l->chunk, have);
	while (rc == 0 && total < (uint64_t)st->st_size) {
		n = read(fd, l->chunk, MAIL_WALK_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			walk_unreadable(l, path, file_why_text(errno));
			break; /* the messages found so far are kept */
		}
		if (n == 0)
			break;
		total += (uint64_t)n;
		rc = mail_mbox_split_feed(&s, l->chunk, (size_t)n);
	}
	if (rc == 0)
		rc = mail_mbox_split_end(&s);
	walk_split_done(l, &s);
	return rc;
}

/* Reads the first piece of a file into l->chunk; -1 with *why on error. */
static ssize_t walk_read_head(struct mail_list *l, int fd, int *why)
{
	ssize_t n;

	do
		n = read(fd, l->chunk, MAIL_WALK_CHUNK);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		*why = errno;
	return n;
}

/* A regular file as stat'ed (seen): one message, a small file listed
 * whole, or when may_be_mbox and it starts "From " an mbox split here. */
static int walk_file(struct mail_list *l, const char *path, int may_be_mbox,
                     const struct stat *seen)
{
	struct stat st;
	ssize_t n;
	int fd, why = 0, rc;

	if (!may_be_mbox) {
		rc = walk_file_add(l, path, NULL, NULL, 0);
		return rc != 0 ? rc : walk_msg_add(l, l->n_files - 1, 0, 0, MAIL_LEN_WHOLE_FILE);
	}
	if ((uint64_t)seen->st_size <= MAIL_SMALL_FILE_BYTES) {
		rc = walk_file_add(l, path, seen, NULL, 0);
		return rc != 0 ? rc : walk_msg_add(l, l->n_files - 1, 0, 0, MAIL_LEN_SMALL_FILE);
	}
	if (l->chunk == NULL && (l->chunk = malloc(MAIL_WALK_CHUNK)) == NULL)
		return WHORL_ENOMEM;
	fd = file_open_regular(path, 0, &st, &why);
	if (fd < 0) {
		walk_unreadable(l, path, file_why_text(why));
		return 0;
	}
	n = walk_read_head(l, fd, &why);
	if (n < 0) {
		walk_unreadable(l, path, file_why_text(why));
		rc = 0;
	} else if ((rc = walk_file_add(l, path, &st, NULL, 0)) != 0) {
		;
	} else if (mail_mbox_looks_like(l->chunk, (size_t)n)) {
		rc = walk_mbox(l, fd, &st, (size_t)n, path);
	} else {
		rc = walk_msg_add(l, l->n_files - 1, 0, 0, MAIL_LEN_WHOLE_FILE);
	}
	close(fd);
	return rc;
}

/* Standard input, held in memory (at most MAIL_MAX_STDIN_BYTES). */
static int walk_stdin(struct mail_list *l)
{
	struct mail_mbox_split s;
	size_t len = 0, cap = 0;
	char *data = NULL;
	int why = 0, rc;

	rc = file_read_fd(STDIN_FILENO, MAIL_MAX_STDIN_BYTES, 0, &data, &cap, &len, &why);
	if (rc == WHORL_ENOMEM) {
		free(data);
		return rc;
	}
	if (rc != 0) {
		free(data);
		walk_unreadable(l, "-", file_why_text(why));
		return 0;
	}
	if ((rc = walk_file_add(l, "-", NULL, data, len)) != 0) {
		free(data);
		return rc;
	}
	if (!mail_mbox_looks_like(data, len))
		return walk_msg_add(l, l->n_files - 1, 0, 0, len);
	mail_mbox_split_init(&s, walk_emit, l);
	rc = mail_mbox_split_feed(&s, data, len);
	if (rc == 0)
		rc = mail_mbox_split_end(&s);
	walk_split_done(l, &s);
	return rc;
}

static int walk_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk_names_free(char **names, size_t n)
{
	while (n > 0)
		free(names[--n]);
	free(names);
}

/* The sorted entry names of dir (without . and ..) and dir itself, open
 * (*dp NULL when it could not be opened: reported). */
static int walk_names(struct mail_list *l, const char *dir, DIR **dp, char ***out, size_t *n_out)
{
	size_t n = 0, cap = 0;
	char **names = NULL;
	struct dirent *d;

	*out = NULL;
	*n_out = 0;
	*dp = opendir(dir);
	if (*dp == NULL) {
		walk_unreadable(l, dir, file_why_text(errno));
		return 0;
	}
	while ((d = readdir(*dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (walk_grow((void **)&names, &cap, n, sizeof(*names)) != 0 ||
		    (names[n] = strdup(d->d_name)) == NULL) {
			walk_names_free(names, n);
			return WHORL_ENOMEM;
		}
		n++;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), walk_name_cmp);
	*out = names;
	*n_out = n;
	return 0;
}

static char *walk_join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = malloc(a + b + 2);

	if (p == NULL)
		return NULL;
	memcpy(p, dir, a);
	p[a] = '/';
	memcpy(p + a + 1, name, b + 1);
	if (a > 0 && dir[a - 1] == '/')
		memmove(p + a, p + a + 1, b + 1);
	return p;
}

static int walk_is_dir(const char *dir, const char *name)
{
	struct stat st;
	char *p = walk_join(dir, name);
	int yes = p != NULL && stat(p, &st) == 0 && S_ISDIR(st.st_mode);

	free(p);
	return yes;
}

static int walk_dir(struct mail_list *l, const char *dir);

/* Entry `name` of the directory open as dir_fd (path: both joined):
 * recurse into real directories, take regular files (directly or through
 * a symbolic link), name everything else. */
static int walk_entry(struct mail_list *l, size_t dir, int dir_fd, const char *name,
                      const char *path, int may_be_mbox, int files_only)
{
	struct stat st;
	size_t first = l->n_files;
	int rc;

	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		walk_unreadable(l, path, file_why_text(errno));
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		return files_only ? 0 : walk_dir(l, path);
	if (S_ISLNK(st.st_mode) && fstatat(dir_fd, name, &st, 0) != 0) {
		walk_unreadable(l, path, "dangling symbolic link");
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		return 0; /* links to directories are not followed (no loops) */
	if (!S_ISREG(st.st_mode)) {
		walk_unreadable(l, path, file_why_text(FILE_WHY_NOT_REGULAR));
		return 0;
	}
	rc = walk_file(l, path, may_be_mbox, &st);
	if (rc == 0 && l->n_files > first) {
		l->files[first].dir = dir;
		l->files[first].name_off = strlen(path) - strlen(name);
	}
	return rc;
}

/* Every entry of dir, in order. maildir_sub: cur/ or new/ (files only, each
 * one message); maildir_top: the top of a maildir (only its folders). */
static int walk_entries(struct mail_list *l, const char *dir, int maildir_sub, int maildir_top)
{
	char **names, *path;
	size_t n, i, number = ++l->n_dirs; /* its files' mail_file.dir */
	DIR *dp;
	int rc;

	rc = walk_names(l, dir, &dp, &names, &n);
	for (i = 0; rc == 0 && i < n; i++) {
		if (maildir_top && (strcmp(names[i], "cur") == 0 || strcmp(names[i], "new") == 0 ||
		                    strcmp(names[i], "tmp") == 0))
			continue;
		if (maildir_top && !walk_is_dir(dir, names[i]))
			continue; /* maildir top level: only folders count */
		path = walk_join(dir, names[i]);
		if (path == NULL) {
			rc = WHORL_ENOMEM;
			break;
		}
		rc = walk_entry(l, number, dirfd(dp), names[i], path, !maildir_sub, maildir_sub);
		free(path);
	}
	walk_names_free(names, n);
	if (dp != NULL)
		closedir(dp);
	return rc;
}

static int walk_dir(struct mail_list *l, const char *dir)
{
	char *sub;
	int rc = 0;

	if (!walk_is_dir(dir, "cur") || !walk_is_dir(dir, "new"))
		return walk_entries(l, dir, 0, 0);
	sub = walk_join(dir, "cur");
	if (sub == NULL)
		return WHORL_ENOMEM;
	rc = walk_entries(l, sub, 1, 0);
	free(sub);
	if (rc != 0 || (sub = walk_join(dir, "new")) == NULL)
		return rc != 0 ? rc : WHORL_ENOMEM;
	rc = walk_entries(l, sub, 1, 0);
	free(sub);
	return rc != 0 ? rc : walk_entries(l, dir, 0, 1);
}

int mail_list_add_path(struct mail_list *l, const char *path)
{
	struct stat st;

	if (strcmp(path, "-") == 0)
		return walk_stdin(l);
	if (stat(path, &st) != 0) {
		walk_unreadable(l, path, file_why_text(errno));
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		return walk_dir(l, path);
	if (!S_ISREG(st.st_mode)) {
		walk_unreadable(l, path, file_why_text(FILE_WHY_NOT_REGULAR));
		return 0;
	}
	return walk_file(l, path, 1, &st);
}

const char *mail_msg_path(const struct mail_list *l, const struct mail_msg *m)
{
	return l->files[m->file].path;
}

const char *mail_msg_name(size_t index, const char *path, char *buf, size_t len)
{
	if (index == 0)
		return path;
	snprintf(buf, len, "%s:%zu", path, index);
	return buf;
}

void mail_list_free(struct mail_list *l)
{
	size_t i;

	for (i = 0; i < l->n_files; i++) {
		free(l->files[i].path);
		free(l->files[i].data);
	}
	free(l->files);
	free(l->msgs);
	free(l->chunk);
	memset(l, 0, sizeof(*l));
}
