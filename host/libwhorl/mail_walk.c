/*
 * mail_walk.c - turn paths into the ordered list of messages (see mail.h).
 *
 * A file in a directory that readdir says is regular is listed without a
 * stat; other entries (links, and every entry of a file system that does
 * not say) are stat'ed from their directory (fstatat: one name looked up,
 * not the path), so a walk holds one descriptor per level of depth. A file
 * inside a maildir's cur/ or new/ is one message; any other is one listed
 * entry, split when it is read, except a file given by name that is over
 * MAIL_SMALL_FILE_BYTES: it is opened here and, when it starts with
 * "From ", read once in MAIL_WALK_CHUNK pieces through the splitter (only
 * offsets are kept). mail_list_split_entry does the same, later, for a
 * listed file that mail_read found to be such an mbox.
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
 * walk takes the file as it was when opened: it stops at its fstat size.
 * A read error sets *why; the messages found before it are kept. */
static int walk_mbox(struct mail_list *l, int fd, const struct stat *st, size_t have, int *why)
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
			*why = errno;
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

/* A file taken whole: one message (kind MAIL_LEN_WHOLE_FILE) or a listed
 * file (MAIL_LEN_LISTED_FILE). */
static int walk_whole(struct mail_list *l, const char *path, uint64_t kind)
{
	int rc = walk_file_add(l, path, NULL, NULL, 0);

	return rc != 0 ? rc : walk_msg_add(l, l->n_files - 1, 0, 0, kind);
}

/* The open file fd (st): an mbox split here, or one message. Returns 0 or
 * WHORL_ENOMEM; *why is set when it could not be read (to its end). */
static int walk_open_file(struct mail_list *l, const char *path, int fd, const struct stat *st,
                          int *why)
{
	ssize_t n;
	int rc;

	if (l->chunk == NULL && (l->chunk = malloc(MAIL_WALK_CHUNK)) == NULL)
		return WHORL_ENOMEM;
	n = walk_read_head(l, fd, why);
	if (n < 0)
		return 0;
	if ((rc = walk_file_add(l, path, st, NULL, 0)) != 0)
		return rc;
	if (mail_mbox_looks_like(l->chunk, (size_t)n))
		return walk_mbox(l, fd, st, (size_t)n, why);
	return walk_msg_add(l, l->n_files - 1, 0, 0, MAIL_LEN_WHOLE_FILE);
}

/* A regular file as stat'ed (seen): one message, a listed file, or when
 * may_be_mbox and it is large and starts "From " an mbox split here. */
static int walk_file(struct mail_list *l, const char *path, int may_be_mbox,
                     const struct stat *seen)
{
	struct stat st;
	int fd, why = 0, rc;

	if (!may_be_mbox)
		return walk_whole(l, path, MAIL_LEN_WHOLE_FILE);
	if ((uint64_t)seen->st_size <= MAIL_SMALL_FILE_BYTES)
		return walk_whole(l, path, MAIL_LEN_LISTED_FILE);
	fd = file_open_regular(path, 0, &st, &why);
	if (fd < 0) {
		walk_unreadable(l, path, file_why_text(why));
		return 0;
	}
	rc = walk_open_file(l, path, fd, &st, &why);
	close(fd);
	if (rc == 0 && why != 0)
		walk_unreadable(l, path, file_why_text(why));
	return rc;
}

int mail_list_split_entry(const struct mail_list *l, size_t i, struct mail_list *sub, int *why)
{
	const char *path = l->files[l->msgs[i].file].path;
	struct stat st;
	int fd, rc;

	*why = 0;
	mail_list_init(sub, l->report, l->report_ctx);
	fd = file_open_regular(path, 0, &st, why);
	if (fd < 0)
		return WHORL_EIO;
	rc = walk_open_file(sub, path, fd, &st, why);
	close(fd);
	return rc != 0 ? rc : *why != 0 ? WHORL_EIO : 0;
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

/* A directory entry: its name and readdir's d_type (DT_UNKNOWN when the
 * file system does not say). */
struct walk_name {
	char *name;
	unsigned char type;
};

static int walk_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct walk_name *)a)->name, ((const struct walk_name *)b)->name);
}

static void walk_names_free(struct walk_name *names, size_t n)
{
	while (n > 0)
		free(names[--n].name);
	free(names);
}

/* The sorted entries of dir (without . and ..) and dir itself, open (*dp
 * NULL when it could not be opened: reported). */
static int walk_names(struct mail_list *l, const char *dir, DIR **dp, struct walk_name **out,
                      size_t *n_out)
{
	size_t n = 0, cap = 0;
	struct walk_name *names = NULL;
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
		    (names[n].name = strdup(d->d_name)) == NULL) {
			walk_names_free(names, n);
			return WHORL_ENOMEM;
		}
		names[n++].type = d->d_type;
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

/* rc from listing the file `name` of directory number dir: when a file was
 * added (the list had `first` files before), records where it was found,
 * so that it is opened from that directory when it is read. */
static int walk_found_in(struct mail_list *l, size_t first, size_t dir, const char *path,
                         const char *name, int rc)
{
	if (rc == 0 && l->n_files > first) {
		l->files[first].dir = dir;
		l->files[first].name_off = strlen(path) - strlen(name);
	}
	return rc;
}

/* An entry that is not a regular file by readdir: stat'ed from dir_fd.
 * Recurses into real directories, takes regular files (directly or
 * through a symbolic link), names everything else. */
static int walk_stat_entry(struct mail_list *l, size_t dir, int dir_fd, const char *name,
                           const char *path, int may_be_mbox, int files_only)
{
	size_t first = l->n_files; /* before walk_file adds one */
	struct stat st;

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
	return walk_found_in(l, first, dir, path, name, walk_file(l, path, may_be_mbox, &st));
}

/* Entry e of the directory numbered dir, open as dir_fd (path: both
 * joined). A regular file readdir named is listed without a stat: it is
 * opened and checked when it is read. */
static int walk_entry(struct mail_list *l, size_t dir, int dir_fd, const struct walk_name *e,
                      const char *path, int may_be_mbox, int files_only)
{
	uint64_t kind = may_be_mbox ? MAIL_LEN_LISTED_FILE : MAIL_LEN_WHOLE_FILE;
	size_t first = l->n_files; /* before walk_whole adds one */

	if (e->type == DT_DIR)
		return files_only ? 0 : walk_dir(l, path);
	if (e->type == DT_REG)
		return walk_found_in(l, first, dir, path, e->name, walk_whole(l, path, kind));
	return walk_stat_entry(l, dir, dir_fd, e->name, path, may_be_mbox, files_only);
}

/* Every entry of dir, in order. maildir_sub: cur/ or new/ (files only, each
 * one message); maildir_top: the top of a maildir (only its folders). */
static int walk_entries(struct mail_list *l, const char *dir, int maildir_sub, int maildir_top)
{
	struct walk_name *names;
	char *path;
	size_t n, i, number = ++l->n_dirs; /* its files' mail_file.dir */
	DIR *dp;
	int rc;

	rc = walk_names(l, dir, &dp, &names, &n);
	for (i = 0; rc == 0 && i < n; i++) {
		if (maildir_top &&
		    (strcmp(names[i].name, "cur") == 0 || strcmp(names[i].name, "new") == 0 ||
		     strcmp(names[i].name, "tmp") == 0))
			continue;
		if (maildir_top && !walk_is_dir(dir, names[i].name))
			continue; /* maildir top level: only folders count */
		path = walk_join(dir, names[i].name);
		if (path == NULL) {
			rc = WHORL_ENOMEM;
			break;
		}
		rc = walk_entry(l, number, dirfd(dp), &names[i], path, !maildir_sub, maildir_sub);
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
