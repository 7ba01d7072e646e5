/*
 * walk.c - turn command-line paths into an ordered list of messages.
 *
 * A file is one RFC 822 message, or an mbox when it starts with "From "
 * (split by mbox.c). A directory is walked recursively in byte order of
 * the names, so the output order is deterministic. A maildir (a directory
 * with cur/ and new/ subdirectories) contributes the files of cur/ then
 * new/ (never tmp/, never other files at its top) and then its other
 * subdirectories (Maildir++ folders). While walking, symbolic links to
 * files are followed and symbolic links to directories are not (no loops).
 * "-" is standard input. Unreadable inputs are named on stderr, counted,
 * and skipped. Not for: reading messages (pool.c does, per thread).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scan.h"

/* Most bytes read from standard input. */
#define WALK_STDIN_MAX ((size_t)1 << 30)

static void walk_unreadable(struct scan_list *l, const char *path, const char *why)
{
	fprintf(stderr, "whorl-scan: %s: %s\n", path, why);
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

int walk_job_add(struct scan_list *l, const struct scan_job *j)
{
	if (walk_grow((void **)&l->jobs, &l->cap_jobs, l->n_jobs, sizeof(*j)) != 0)
		return WHORL_ENOMEM;
	l->jobs[l->n_jobs++] = *j;
	return 0;
}

static int walk_source_add(struct scan_list *l, const char *path, char *data, size_t len,
                           int mapped)
{
	struct scan_source *s;
	struct scan_job j = { NULL, 0, 0, 0, len };
	char *copy = strdup(path);

	if (copy == NULL ||
	    walk_grow((void **)&l->sources, &l->cap_sources, l->n_sources, sizeof(*s)) != 0) {
		free(copy);
		return WHORL_ENOMEM;
	}
	s = &l->sources[l->n_sources];
	s->path = copy;
	s->data = data;
	s->len = len;
	s->mapped = mapped;
	j.source = l->n_sources++;
	if (mbox_looks_like(data, len))
		return mbox_split(l, j.source);
	return walk_job_add(l, &j);
}

static int walk_file_job(struct scan_list *l, const char *path)
{
	struct scan_job j = { NULL, SCAN_NO_SOURCE, 0, 0, 0 };

	j.path = strdup(path);
	if (j.path == NULL || walk_job_add(l, &j) != 0) {
		free(j.path);
		return WHORL_ENOMEM;
	}
	return 0;
}

/* An mbox is mapped once here; its messages become jobs into the mapping. */
static int walk_mbox(struct scan_list *l, const char *path, int fd)
{
	struct stat st;
	void *map;

	if (fstat(fd, &st) != 0 || st.st_size <= 0) {
		walk_unreadable(l, path, strerror(errno ? errno : EIO));
		return 0;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		walk_unreadable(l, path, strerror(errno));
		return 0;
	}
	return walk_source_add(l, path, map, (size_t)st.st_size, 1);
}

/* A file: peek at its first bytes to tell an mbox from one message. */
static int walk_file(struct scan_list *l, const char *path, int may_be_mbox)
{
	char head[5];
	ssize_t n;
	int fd, rc = 0;

	if (!may_be_mbox)
		return walk_file_job(l, path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		walk_unreadable(l, path, strerror(errno));
		return 0;
	}
	n = pread(fd, head, sizeof(head), 0);
	if (n < 0)
		walk_unreadable(l, path, strerror(errno));
	else if (mbox_looks_like(head, (size_t)n))
		rc = walk_mbox(l, path, fd);
	else
		rc = walk_file_job(l, path);
	close(fd);
	return rc;
}

static int walk_stdin(struct scan_list *l)
{
	size_t len = 0, cap = 0;
	char *data = NULL, *q;
	ssize_t n;

	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > WALK_STDIN_MAX || (q = realloc(data, cap)) == NULL) {
				free(data);
				walk_unreadable(l, "-", cap > WALK_STDIN_MAX ? "too large" : "out of memory");
				return 0;
			}
			data = q;
		}
		n = read(STDIN_FILENO, data + len, cap - len);
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(data);
			walk_unreadable(l, "-", strerror(errno));
			return 0;
		}
		len += (size_t)n;
	}
	return walk_source_add(l, "-", data, len, 0);
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

/* The sorted entry names of dir (without . and ..); NULL names on error. */
static int walk_names(struct scan_list *l, const char *dir, char ***out, size_t *n_out)
{
	size_t n = 0, cap = 0;
	char **names = NULL;
	struct dirent *d;
	DIR *dp;

	*out = NULL;
	*n_out = 0;
	dp = opendir(dir);
	if (dp == NULL) {
		walk_unreadable(l, dir, strerror(errno));
		return 0;
	}
	while ((d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (walk_grow((void **)&names, &cap, n, sizeof(*names)) != 0 ||
		    (names[n] = strdup(d->d_name)) == NULL) {
			closedir(dp);
			walk_names_free(names, n);
			return WHORL_ENOMEM;
		}
		n++;
	}
	closedir(dp);
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

static int walk_dir(struct scan_list *l, const char *dir);

/* One directory entry: recurse into real directories, take files. */
static int walk_entry(struct scan_list *l, const char *path, int may_be_mbox, int files_only)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		walk_unreadable(l, path, strerror(errno));
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		return files_only ? 0 : walk_dir(l, path);
	if (S_ISLNK(st.st_mode) && stat(path, &st) != 0)
		return 0; /* a dangling link is not an input */
	if (!S_ISREG(st.st_mode))
		return 0;
	return walk_file(l, path, may_be_mbox);
}

/* Every entry of dir, in order. files_only: maildir cur/ and new/. */
static int walk_entries(struct scan_list *l, const char *dir, int maildir_sub, int skip_maildir)
{
	char **names, *path;
	size_t n, i;
	int rc;

	rc = walk_names(l, dir, &names, &n);
	for (i = 0; rc == 0 && i < n; i++) {
		if (skip_maildir && (strcmp(names[i], "cur") == 0 || strcmp(names[i], "new") == 0 ||
		                     strcmp(names[i], "tmp") == 0))
			continue;
		path = walk_join(dir, names[i]);
		if (path == NULL) {
			rc = WHORL_ENOMEM;
			break;
		}
		if (skip_maildir && !walk_is_dir(dir, names[i]))
			rc = 0; /* maildir top level: only folders count */
		else
			rc = walk_entry(l, path, !maildir_sub, maildir_sub);
		free(path);
	}
	walk_names_free(names, n);
	return rc;
}

static int walk_dir(struct scan_list *l, const char *dir)
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

static int walk_path(struct scan_list *l, const char *path)
{
	struct stat st;

	if (strcmp(path, "-") == 0)
		return walk_stdin(l);
	if (stat(path, &st) != 0) {
		walk_unreadable(l, path, strerror(errno));
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		return walk_dir(l, path);
	if (!S_ISREG(st.st_mode)) {
		walk_unreadable(l, path, "not a regular file or directory");
		return 0;
	}
	return walk_file(l, path, 1);
}

int walk_paths(struct scan_list *l, char *const *paths, int n_paths)
{
	int i, rc = 0;

	for (i = 0; rc == 0 && i < n_paths; i++)
		rc = walk_path(l, paths[i]);
	return rc;
}

void walk_list_free(struct scan_list *l)
{
	size_t i;

	for (i = 0; i < l->n_jobs; i++)
		if (l->jobs[i].source == SCAN_NO_SOURCE)
			free(l->jobs[i].path);
	for (i = 0; i < l->n_sources; i++) {
		if (l->sources[i].mapped)
			munmap(l->sources[i].data, l->sources[i].len);
		else
			free(l->sources[i].data);
		free(l->sources[i].path);
	}
	free(l->jobs);
	free(l->sources);
	memset(l, 0, sizeof(*l));
}
