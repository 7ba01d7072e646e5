/*
 * chain.c - the verified sigs deltas kept in the cache
 * (<cache>/micro_updates/sigs.<base>-<serial>.z.enc and its .cksum), so
 * that a process started after an update rebuilds the same state from
 * disk: the complete file, then the chain of deltas from its serial to the
 * state's incremental serial (docs/UPDATES-STATE.md §1).
 *
 * Names are made here from the two serials, never taken from a mirror.
 * Only the chains of the sets the state files name are kept; at most
 * UPDATE_MAX_DELTAS links each (the loader takes a complete file before a
 * chain grows longer).
 *
 * Not for: writing the files (cache.c), verifying and applying them
 * (state_load.c), which set is kept (state_run.c).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../abi/whorl_cartridge.h"
#include "state.h"
#include "update_internal.h"

#define CHAIN_MAX_SCAN 256 /* delta files looked at in one directory */
#define CHAIN_SUFFIX ".z.enc"

void update_chain_name(uint64_t base, uint64_t serial, char *buf, size_t len)
{
	snprintf(buf, len, "%s.%" PRIu64 "-%" PRIu64 CHAIN_SUFFIX,
	         update_source_name(UPDATE_SRC_SIGS), base, serial);
}

/* Decimal at *p (no sign, no leading '+'); advances *p. 0 when none. */
static uint64_t parse_serial(const char **p)
{
	uint64_t v = 0;

	while (**p >= '0' && **p <= '9' && v < UINT64_MAX / 10)
		v = v * 10 + (uint64_t)(*(*p)++ - '0');
	return v;
}

/* "sigs.<base>-<serial>.z.enc" -> 1 and the two serials (base < serial). */
static int chain_parse_name(const char *name, uint64_t *base, uint64_t *serial)
{
	const char *src = update_source_name(UPDATE_SRC_SIGS);
	size_t n = strlen(src);
	const char *p = name + n + 1;

	if (strncmp(name, src, n) != 0 || name[n] != '.')
		return 0;
	if (!(*base = parse_serial(&p)) || *p++ != '-' || !(*serial = parse_serial(&p)))
		return 0;
	return strcmp(p, CHAIN_SUFFIX) == 0 && *base < *serial;
}

/* Every delta file in dir (at most CHAIN_MAX_SCAN), sorted by base. */
struct chain_links {
	size_t n;
	uint64_t base[CHAIN_MAX_SCAN], serial[CHAIN_MAX_SCAN];
};

static int link_by_base(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0;
}

static void chain_scan(const char *dir, struct chain_links *l)
{
	uint64_t pairs[CHAIN_MAX_SCAN][2];
	struct dirent *e;
	DIR *d = opendir(dir);

	l->n = 0;
	if (!d)
		return;
	while ((e = readdir(d)) && l->n < CHAIN_MAX_SCAN)
		if (chain_parse_name(e->d_name, &pairs[l->n][0], &pairs[l->n][1]))
			l->n++;
	closedir(d);
	qsort(pairs, l->n, sizeof pairs[0], link_by_base);
	for (size_t i = 0; i < l->n; i++) {
		l->base[i] = pairs[i][0];
		l->serial[i] = pairs[i][1];
	}
}

/* Index of the link that first reached `serial`, or l->n. */
static size_t reached_by(const struct chain_links *l, const size_t *pred, uint64_t serial)
{
	for (size_t i = 0; i < l->n; i++)
		if (pred[i] != SIZE_MAX && l->serial[i] == serial)
			return i;
	return l->n;
}

/* Serials only grow along a chain, so links taken in order of their base
 * see every link that could end at that base first: one pass marks what
 * `from` reaches (pred[i] != SIZE_MAX: link i is on a path from `from`). */
static void chain_reach(const struct chain_links *l, uint64_t from, size_t *pred)
{
	for (size_t i = 0; i < l->n; i++)
		pred[i] = SIZE_MAX;
	for (size_t i = 0; i < l->n; i++) {
		if (l->base[i] == from)
			pred[i] = l->n; /* starts the chain */
		else if (reached_by(l, pred, l->base[i]) < l->n)
			pred[i] = reached_by(l, pred, l->base[i]);
	}
}

int update_chain_find(const char *dir, uint64_t complete, uint64_t incremental,
                      struct update_chain *out)
{
	struct chain_links *l = malloc(sizeof *l);
	size_t pred[CHAIN_MAX_SCAN], at, n = 0;
	int rc = WHORL_ENODATA;

	out->n = 0;
	if (incremental == complete)
		goto out_ok;
	if (!l)
		return WHORL_ENOMEM;
	chain_scan(dir, l);
	chain_reach(l, complete, pred);
	at = reached_by(l, pred, incremental);
	/* Walk back from the end; a chain longer than the bound is not kept. */
	while (at < l->n && n < UPDATE_MAX_DELTAS) {
		out->base[n] = l->base[at];
		out->serial[n++] = l->serial[at];
		at = pred[at];
	}
	if (n == 0 || out->base[n - 1] != complete)
		goto out;
	for (size_t i = 0; i < n / 2; i++) { /* oldest first */
		uint64_t b = out->base[i], s = out->serial[i];
		out->base[i] = out->base[n - 1 - i];
		out->serial[i] = out->serial[n - 1 - i];
		out->base[n - 1 - i] = b;
		out->serial[n - 1 - i] = s;
	}
	out->n = n;
out_ok:
	rc = 0;
out:
	free(l);
	return rc;
}

/* 1 when delta (base, serial) is a link of one of the chains to keep. */
static int chain_kept(const struct update_chain *keep, size_t n_keep, uint64_t base,
                      uint64_t serial)
{
	for (size_t k = 0; k < n_keep; k++)
		for (size_t i = 0; i < keep[k].n; i++)
			if (keep[k].base[i] == base && keep[k].serial[i] == serial)
				return 1;
	return 0;
}

static void chain_remove(const struct logger *lg, const char *dir, uint64_t base, uint64_t serial)
{
	char name[UPDATE_MAX_NAME + 1], path[PATH_MAX];

	update_chain_name(base, serial, name, sizeof name);
	if (snprintf(path, sizeof path, "%s/%s%s", dir, name, UPDATE_CKSUM_SUFFIX) <
	    (int)sizeof path)
		(void)unlink(path);
	if (snprintf(path, sizeof path, "%s/%s", dir, name) < (int)sizeof path && unlink(path) == 0)
		log_info(lg, UPDATE_MOD, "Removed old sigs file %s.", name);
	else if (errno != ENOENT)
		log_warn(lg, UPDATE_MOD, "Can not remove old sigs files (%s).", strerror(errno));
}

void update_chain_prune(const struct logger *lg, const char *dir, const struct update_chain *keep,
                        size_t n_keep)
{
	struct chain_links *l = malloc(sizeof *l);

	if (!l)
		return;
	chain_scan(dir, l);
	for (size_t i = 0; i < l->n; i++)
		if (!chain_kept(keep, n_keep, l->base[i], l->serial[i]))
			chain_remove(lg, dir, l->base[i], l->serial[i]);
	free(l);
}

int update_chain_present(const char *dir, const struct update_chain *c)
{
	for (size_t i = 0; i < c->n; i++) {
		char name[UPDATE_MAX_NAME + 1], path[PATH_MAX];
		struct stat st;
		update_chain_name(c->base[i], c->serial[i], name, sizeof name);
		for (int ck = 0; ck < 2; ck++)
			if (snprintf(path, sizeof path, "%s/%s%s", dir, name,
			             ck ? UPDATE_CKSUM_SUFFIX : "") >= (int)sizeof path ||
			    lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
				return 0;
	}
	return 1;
}
