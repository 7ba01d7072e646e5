/*
 * mirror_forge.c - a test helper (not a benchmark; lives here because the
 * Makefile builds every .c file of tests/bench): forges hostile mirror contents that are
 * validly signed with the publisher's own key, for tests/integration/
 * net_hostile.sh. Each command edits a mirror directory in place and
 * re-signs its manifest:
 *
 *   mirror_forge bomb KEY DIR NAME        NAME (a data file of the manifest)
 *        becomes 64 MiB of zeros sealed honestly, its checksum file declaring
 *        a raw size of 4096 bytes: a compression bomb
 *   mirror_forge rename KEY DIR OLD NEW   the manifest entry OLD is named NEW
 *        (e.g. "../x" or "a/b": names the format forbids)
 *   mirror_forge expire KEY DIR SECONDS   the manifest expires SECONDS from
 *        now (issued a minute before, or just before expiry when negative)
 *
 * Exit 0 on success, 1 with a message on stderr.
 * Not for: publishing real sets (whorl-publish).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../cartridge/update/update_internal.h"
#include "../../publisher/lib/pub_internal.h"

#define BOMB_BYTES ((size_t)64 << 20)
#define BOMB_DECLARED 4096u

static int die(const char *what)
{
	fprintf(stderr, "mirror_forge: %s\n", what);
	return 1;
}

static int write_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[PATH_MAX + 80];
	FILE *f;
	int ok;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (!(f = fopen(path, "wb")))
		return -1;
	ok = fwrite(p, 1, n, f) == n;
	return (fclose(f) == 0 && ok) ? 0 : -1;
}

static int manifest_read(const struct publish_key *k, const char *dir, struct update_manifest *m)
{
	uint8_t *buf;
	size_t len;
	long body;
	int rc;

	if (update_read_bounded(dir, UPDATE_MANIFEST_NAME, UPDATE_MAX_MANIFEST_BYTES, &buf, &len))
		return -1;
	body = update_signed_open(buf, len, publish_key_public(k));
	rc = body < 0 ? -1 : update_manifest_parse((char *)buf, (size_t)body, m);
	free(buf);
	return rc;
}

static int manifest_write(const struct publish_key *k, const char *dir,
                          const struct update_manifest *m)
{
	static char out[UPDATE_MAX_MANIFEST_BYTES];
	long n = update_manifest_write(m, publish_key_secret(k), out, sizeof out);

	return n < 0 ? -1 : write_file(dir, UPDATE_MANIFEST_NAME, out, (size_t)n);
}

/* The manifest's entry named name, or NULL. */
static struct update_file_ref *find_ref(struct update_manifest *m, const char *name)
{
	for (int i = 0; i < UPDATE_N_SOURCES; i++) {
		struct update_manifest_source *s = &m->src[i];
		if (!s->present)
			continue;
		if (strcmp(s->full.name, name) == 0)
			return &s->full;
		for (size_t k = 0; k < s->n_deltas; k++)
			if (strcmp(s->deltas[k].name, name) == 0)
				return &s->deltas[k];
	}
	return NULL;
}

static int forge_bomb(const struct publish_key *k, const char *dir, struct update_manifest *m,
                      const char *name)
{
	struct update_file_ref *ref = find_ref(m, name);
	struct update_cksum c = { 0 };
	char ck[UPDATE_MAX_CKSUM_BYTES], ckname[UPDATE_MAX_NAME + 8];
	uint8_t *zeros = calloc(1, BOMB_BYTES), *file = NULL;
	size_t flen;
	long n;
	int rc = 1;

	if (!ref || !zeros)
		goto out;
	for (int i = 0; i < UPDATE_N_SOURCES; i++)
		if (m->src[i].present &&
		    ((ref >= m->src[i].deltas && ref < m->src[i].deltas + UPDATE_MAX_DELTAS) ||
		     ref == &m->src[i].full))
			c.source = i;
	c.serial = ref->serial;
	c.base = ref->base;
	snprintf(c.name, sizeof c.name, "%s", name);
	update_key_id(publish_key_public(k), c.key_id);
	if (update_data_seal(zeros, BOMB_BYTES, &c, &file, &flen) != 0)
		goto out;
	c.raw_size = BOMB_DECLARED;
	n = update_cksum_write(&c, publish_key_secret(k), ck, sizeof ck);
	snprintf(ckname, sizeof ckname, "%s%s", name, UPDATE_CKSUM_SUFFIX);
	if (n < 0 || write_file(dir, name, file, flen) || write_file(dir, ckname, ck, (size_t)n))
		goto out;
	ref->size = c.size;
	memcpy(ref->hash, c.hash, sizeof ref->hash);
	rc = 0;
out:
	free(zeros);
	free(file);
	return rc;
}

int main(int argc, char **argv)
{
	char err[256];
	struct publish_key *k;
	static struct update_manifest m;
	int rc = 1;

	if (argc < 4)
		return die("usage: mirror_forge bomb|rename|expire KEY DIR ARGS...");
	if (!(k = publish_key_load(argv[2], err, sizeof err)))
		return die(err);
	if (manifest_read(k, argv[3], &m) != 0) {
		rc = die("cannot read the manifest (signed by this key?)");
	} else if (strcmp(argv[1], "bomb") == 0 && argc == 5) {
		rc = forge_bomb(k, argv[3], &m, argv[4]);
	} else if (strcmp(argv[1], "rename") == 0 && argc == 6) {
		struct update_file_ref *ref = find_ref(&m, argv[4]);
		rc = !ref || strlen(argv[5]) > UPDATE_MAX_NAME;
		if (!rc)
			snprintf(ref->name, sizeof ref->name, "%s", argv[5]);
	} else if (strcmp(argv[1], "expire") == 0 && argc == 5) {
		int64_t now = (int64_t)time(NULL);
		m.expires = now + strtoll(argv[4], NULL, 10);
		m.issued = m.expires - 60 < now - 60 ? m.expires - 60 : now - 60;
		rc = 0;
	} else {
		rc = die("unknown command or wrong arguments");
	}
	if (rc == 0 && manifest_write(k, argv[3], &m) != 0)
		rc = die("cannot write the manifest");
	else if (rc != 0)
		fprintf(stderr, "mirror_forge: %s failed\n", argv[1]);
	publish_key_free(k);
	return rc;
}
