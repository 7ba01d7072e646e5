/*
 * write.c - publish_write(): turn a set into files on the mirror. Reads the
 * set published now, decides complete or delta, seals each data file under
 * a fresh key, signs its checksum file, and replaces the manifest last.
 *
 * Not for: the bytes of the format (cartridge/update/), the records (set.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../abi/whorl_cartridge.h"
#include "../../cartridge/update/update_format.h"
#include "pub_internal.h"

struct pub_run {
	const struct publish_key *key;
	const struct publish_options *o;
	struct update_manifest prev_m, m;
	struct publish_set *prev;
	uint8_t *prev_text[UPDATE_N_SOURCES];
	size_t prev_text_len[UPDATE_N_SOURCES];
	struct publish_result res;
	char *err;
	size_t errlen;
};

/* dir/name <- p[0..n) through a temporary name and rename. */
static int file_replace(struct pub_run *pr, const char *name, const void *p, size_t n)
{
	char path[PATH_MAX], tmp[PATH_MAX + 32];
	int fd, ok;

	snprintf(path, sizeof path, "%s/%s", pr->o->out_dir, name);
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		goto fail;
	ok = write(fd, p, n) == (ssize_t)n && fsync(fd) == 0;
	ok = (close(fd) == 0) && ok;
	if (ok && rename(tmp, path) == 0)
		return 0;
	unlink(tmp);
fail:
	snprintf(pr->err, pr->errlen, "%s: %s", path, strerror(errno));
	return WHORL_EIO;
}

static const char *file_name(char *buf, size_t len, int src, uint64_t serial, uint64_t base)
{
	if (base)
		snprintf(buf, len, "%s.%" PRIu64 "-%" PRIu64 ".z.enc", update_source_name(src),
		         base, serial);
	else
		snprintf(buf, len, "%s.%" PRIu64 ".z.enc", update_source_name(src), serial);
	return buf;
}

/* Seals payload as the file of (src, serial, base) and fills *ref. */
static int write_data(struct pub_run *pr, int src, uint64_t serial, uint64_t base,
                      const uint8_t *payload, size_t len, struct update_file_ref *ref)
{
	struct update_cksum c = { .source = src, .serial = serial, .base = base };
	char ck[UPDATE_MAX_CKSUM_BYTES], ckname[UPDATE_MAX_NAME + 8];
	uint8_t *file = NULL;
	size_t file_len = 0;
	long ck_len;
	int rc;

	update_key_id(publish_key_public(pr->key), c.key_id);
	file_name(c.name, sizeof c.name, src, serial, base);
	if ((rc = update_data_seal(payload, len, &c, &file, &file_len)) != 0) {
		snprintf(pr->err, pr->errlen, "%s: payload too large to seal", c.name);
		return rc;
	}
	ck_len = update_cksum_write(&c, publish_key_secret(pr->key), ck, sizeof ck);
	snprintf(ckname, sizeof ckname, "%s%s", c.name, UPDATE_CKSUM_SUFFIX);
	rc = ck_len < 0 ? (int)ck_len : file_replace(pr, c.name, file, file_len);
	if (rc == 0)
		rc = file_replace(pr, ckname, ck, (size_t)ck_len);
	free(file);
	*ref = (struct update_file_ref){ .serial = serial, .base = base, .size = c.size };
	memcpy(ref->name, c.name, sizeof ref->name);
	memcpy(ref->hash, c.hash, sizeof ref->hash);
	return rc;
}

static struct update_record rec_put(const struct pub_rec *r)
{
	return (struct update_record){ .tag = r->tag,
		                       .engine = r->engine,
		                       .algo = r->algo,
		                       .key = r->key,
		                       .meta = r->meta,
		                       .bytes = r->bytes,
		                       .len = r->len };
}

/* Encodes recs[0..n) as a payload of kind into a malloc'd buffer. */
static uint8_t *encode(const struct update_record *recs, size_t n, int kind, size_t *len)
{
	size_t total = UPDATE_PAYLOAD_HEADER_BYTES, pos = UPDATE_PAYLOAD_HEADER_BYTES;
	uint8_t *p;

	for (size_t i = 0; i < n; i++)
		total += update_record_size(&recs[i]);
	if (!(p = malloc(total)))
		return NULL;
	update_payload_header(p, kind, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		pos += update_record_encode(p + pos, &recs[i]);
	*len = total;
	return p;
}

/* Records of the delta old -> cur: removals, then additions and changes. */
static size_t diff(const struct publish_set *cur_set, const struct pub_rec **cur, size_t n_cur,
                   const struct publish_set *old_set, const struct pub_rec **old, size_t n_old,
                   struct update_record *out)
{
	size_t n = 0;

	for (size_t i = 0; i < n_old; i++) {
		const struct pub_rec *c =
		    pub_set_find(cur_set, old[i]->tag, old[i]->engine, old[i]->key);
		if (c && c->live)
			continue;
		out[n] = (struct update_record){ .engine = old[i]->engine, .key = old[i]->key };
		out[n++].tag =
		    old[i]->tag == UPDATE_REC_FP_PUT ? UPDATE_REC_FP_DEL : UPDATE_REC_SK_DEL;
	}
	for (size_t i = 0; i < n_cur; i++) {
		const struct pub_rec *o =
		    pub_set_find(old_set, cur[i]->tag, cur[i]->engine, cur[i]->key);
		if (!o || !o->live || !pub_rec_same(o, cur[i]))
			out[n++] = rec_put(cur[i]);
	}
	return n;
}

/* Deltas of p after its complete file (the ones a fresh gateway applies). */
static size_t deltas_since_complete(const struct update_manifest_source *p)
{
	size_t n = 0;

	for (size_t k = 0; k < p->n_deltas; k++)
		n += p->deltas[k].serial > p->complete;
	return n;
}

static int need_complete(const struct pub_run *pr)
{
	const struct update_manifest_source *p = &pr->prev_m.src[UPDATE_SRC_SIGS];
	unsigned every = pr->o->full_every ? pr->o->full_every : PUBLISH_DEFAULT_FULL_EVERY;
	size_t since = deltas_since_complete(p);

	return !p->present || pr->o->force_full || since >= every || since >= UPDATE_MAX_DELTAS;
}

/* Appends ref to s's chain, dropping the oldest delta when it is full. */
static void chain_append(struct update_manifest_source *s, const struct update_file_ref *ref)
{
	if (s->n_deltas == UPDATE_MAX_DELTAS) {
		memmove(&s->deltas[0], &s->deltas[1],
		        (UPDATE_MAX_DELTAS - 1) * sizeof s->deltas[0]);
		s->n_deltas--;
	}
	s->deltas[s->n_deltas++] = *ref;
}

static void count_records(struct pub_run *pr, const struct update_record *recs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int put = recs[i].tag == UPDATE_REC_FP_PUT || recs[i].tag == UPDATE_REC_SK_PUT;
		pr->res.n_put += put;
		pr->res.n_del += !put;
	}
}

/* Seals recs as a payload of kind for (serial, base) into *ref. */
static int write_sigs_payload(struct pub_run *pr, const struct update_record *recs, size_t n,
                              int kind, uint64_t serial, uint64_t base, struct update_file_ref *ref)
{
	size_t len;
	uint8_t *payload = encode(recs, n, kind, &len);
	int rc;

	if (!payload)
		return WHORL_ENOMEM;
	rc = write_data(pr, UPDATE_SRC_SIGS, serial, base, payload, len, ref);
	free(payload);
	return rc;
}

/* The next sigs serial as a delta (delta != NULL) and/or a complete file
 * (full != NULL) into pr->m. Without keep_deltas a complete file starts a
 * new chain; with it, the delta to the same serial joins the chain kept
 * from before, so gateways on an older serial still move by deltas. */
static int write_sigs_files(struct pub_run *pr, const struct update_record *full, size_t n_full,
                            const struct update_record *delta, size_t n_delta)
{
	const struct update_manifest_source *p = &pr->prev_m.src[UPDATE_SRC_SIGS];
	struct update_manifest_source *s = &pr->m.src[UPDATE_SRC_SIGS];
	uint64_t serial = p->present ? p->incremental + 1 : 1;
	struct update_file_ref ref;
	int rc;

	*s = *p;
	s->present = 1;
	s->incremental = serial;
	if (full && !pr->o->keep_deltas)
		s->n_deltas = 0;
	if (delta) {
		if ((rc = write_sigs_payload(pr, delta, n_delta, UPDATE_KIND_DELTA, serial,
		                             p->incremental, &ref)) != 0)
			return rc;
		chain_append(s, &ref);
	}
	if (full) {
		s->complete = serial;
		if ((rc = write_sigs_payload(pr, full, n_full, UPDATE_KIND_COMPLETE, serial, 0,
		                             &s->full)) != 0)
			return rc;
	}
	count_records(pr, full ? full : delta, full ? n_full : n_delta);
	pr->res.wrote_complete = full != NULL;
	return 0;
}

static int write_sigs(struct pub_run *pr, const struct publish_set *set)
{
	const struct pub_rec **cur = NULL, **old = NULL;
	struct update_record *recs = NULL, *puts = NULL;
	size_t n_cur, n_old = 0, n;
	int rc = WHORL_ENOMEM;
	int keep = pr->o->keep_deltas && pr->prev_m.src[UPDATE_SRC_SIGS].present;

	if (!(cur = pub_set_sorted(set, &n_cur)) || !(old = pub_set_sorted(pr->prev, &n_old)) ||
	    !(recs = malloc((n_cur + n_old + 1) * sizeof *recs)))
		goto out;
	n = diff(set, cur, n_cur, pr->prev, old, n_old, recs);
	if (need_complete(pr)) {
		if (!(puts = malloc((n_cur + 1) * sizeof *puts)))
			goto out;
		for (size_t i = 0; i < n_cur; i++)
			puts[i] = rec_put(cur[i]);
		rc = write_sigs_files(pr, puts, n_cur, keep ? recs : NULL, n);
	} else if (n > 0) {
		rc = write_sigs_files(pr, NULL, 0, recs, n);
	} else {
		pr->m.src[UPDATE_SRC_SIGS] = pr->prev_m.src[UPDATE_SRC_SIGS];
		rc = 0;
	}
	pr->res.sigs_complete = pr->m.src[UPDATE_SRC_SIGS].complete;
	pr->res.sigs_incremental = pr->m.src[UPDATE_SRC_SIGS].incremental;
out:
	free(cur);
	free(old);
	free(recs);
	free(puts);
	return rc;
}

/* A text source: a new complete file when its text changed. */
static int write_text(struct pub_run *pr, int src, const char *text, size_t len)
{
	const struct update_manifest_source *p = &pr->prev_m.src[src];
	struct update_manifest_source *s = &pr->m.src[src];
	uint64_t serial = p->present ? p->complete + 1 : 1;

	if (p->present && pr->prev_text[src] && pr->prev_text_len[src] == len &&
	    memcmp(pr->prev_text[src], text, len) == 0) {
		*s = *p;
		return 0;
	}
	if (len > UPDATE_MAX_TEXT_BYTES) {
		snprintf(pr->err, pr->errlen, "%s text larger than %llu bytes",
		         update_source_name(src), (unsigned long long)UPDATE_MAX_TEXT_BYTES);
		return WHORL_ELIMIT;
	}
	memset(s, 0, sizeof *s);
	s->present = 1;
	s->complete = s->incremental = serial;
	return write_data(pr, src, serial, 0, (const uint8_t *)text, len, &s->full);
}

static int write_texts(struct pub_run *pr)
{
	char acf[160];
	int rc, n;

	n = snprintf(acf, sizeof acf, "check interval = %u\nfull interval = %u\n",
	             pr->m.check_interval, pr->m.full_interval);
	if (pr->o->statistics_interval != 0)
		n += snprintf(acf + n, sizeof acf - (size_t)n, "statistics interval = %u\n",
		              pr->o->statistics_interval);
	if ((rc = write_text(pr, UPDATE_SRC_ACF, acf, (size_t)n)) != 0)
		return rc;
	if ((rc = write_text(pr, UPDATE_SRC_AWL, pr->o->awl ? pr->o->awl : "",
	                     pr->o->awl ? pr->o->awl_len : 0)) != 0)
		return rc;
	if (pr->o->cats)
		rc = write_text(pr, UPDATE_SRC_CATS, pr->o->cats, pr->o->cats_len);
	return rc;
}

static int write_manifest(struct pub_run *pr)
{
	char *buf = malloc(UPDATE_MAX_MANIFEST_BYTES);
	long len;
	int rc = WHORL_ENOMEM;

	if (!buf)
		return rc;
	len = update_manifest_write(&pr->m, publish_key_secret(pr->key), buf,
	                            UPDATE_MAX_MANIFEST_BYTES);
	if (len < 0) {
		snprintf(pr->err, pr->errlen, "manifest larger than %zu bytes",
		         UPDATE_MAX_MANIFEST_BYTES);
		rc = (int)len;
	} else {
		rc = file_replace(pr, UPDATE_MANIFEST_NAME, buf, (size_t)len);
	}
	free(buf);
	return rc;
}

static int named_in(const struct update_manifest *m, const char *name, size_t len)
{
	for (int i = 0; i < UPDATE_N_SOURCES; i++) {
		const struct update_manifest_source *s = &m->src[i];
		if (!s->present)
			continue;
		if (strlen(s->full.name) == len && memcmp(s->full.name, name, len) == 0)
			return 1;
		for (size_t k = 0; k < s->n_deltas; k++)
			if (strlen(s->deltas[k].name) == len &&
			    memcmp(s->deltas[k].name, name, len) == 0)
				return 1;
	}
	return 0;
}

/* Length of the data file name d names (itself or its checksum file), or 0
 * when d is not a file this library writes ("<source>.<...>.z.enc"). */
static size_t data_name_len(const char *d)
{
	size_t len = strlen(d), suffix = strlen(UPDATE_CKSUM_SUFFIX);
	const char *dot = strchr(d, '.');

	if (!dot || update_source_lookup(d, (size_t)(dot - d)) < 0)
		return 0;
	if (len > suffix && strcmp(d + len - suffix, UPDATE_CKSUM_SUFFIX) == 0)
		len -= suffix;
	if (len < 6 || memcmp(d + len - 6, ".z.enc", 6) != 0 || !update_name_valid(d, len))
		return 0;
	return len;
}

/* Removes data and checksum files named by neither the manifest just
 * written nor the one before it: a gateway that read the previous manifest
 * a moment ago can still fetch what it names. Best effort. */
static void prune_mirror(struct pub_run *pr)
{
	DIR *dir = opendir(pr->o->out_dir);
	struct dirent *e;

	if (!dir)
		return;
	while ((e = readdir(dir))) {
		size_t len = data_name_len(e->d_name);
		if (len && !named_in(&pr->m, e->d_name, len) &&
		    !named_in(&pr->prev_m, e->d_name, len) &&
		    unlinkat(dirfd(dir), e->d_name, 0) == 0)
			pr->res.n_removed++;
	}
	closedir(dir);
}

static void manifest_start(struct pub_run *pr)
{
	const struct publish_options *o = pr->o;
	int64_t now = o->now ? o->now : (int64_t)time(NULL);
	unsigned days = o->expiry_days ? o->expiry_days : PUBLISH_DEFAULT_EXPIRY_DAYS;

	update_key_id(publish_key_public(pr->key), pr->m.key_id);
	pr->m.serial = pr->prev_m.serial + 1;
	pr->m.issued = now;
	pr->m.expires = now + (int64_t)days * 86400;
	pr->m.check_interval =
	    o->check_interval ? o->check_interval : UPDATE_DEFAULT_CHECK_INTERVAL;
	pr->m.full_interval = o->full_interval ? o->full_interval : UPDATE_DEFAULT_FULL_INTERVAL;
}

static int check_options(struct pub_run *pr)
{
	const struct publish_options *o = pr->o;

	if (!o->out_dir || o->expiry_days > PUBLISH_MAX_EXPIRY_DAYS ||
	    o->check_interval > UPDATE_MAX_INTERVAL || o->full_interval > UPDATE_MAX_INTERVAL) {
		snprintf(pr->err, pr->errlen,
		         "bad options (output directory, expiry days <= %d, "
		         "intervals <= %u s)",
		         PUBLISH_MAX_EXPIRY_DAYS, UPDATE_MAX_INTERVAL);
		return WHORL_EINVAL;
	}
	if (mkdir(o->out_dir, 0755) != 0 && errno != EEXIST) {
		snprintf(pr->err, pr->errlen, "%s: %s", o->out_dir, strerror(errno));
		return WHORL_EIO;
	}
	return 0;
}

int publish_write(const struct publish_key *k, const struct publish_set *s,
                  const struct publish_options *o, struct publish_result *res, char *err,
                  size_t errlen)
{
	struct pub_run *pr = calloc(1, sizeof *pr);
	int rc = WHORL_ENOMEM;

	if (!pr || !(pr->prev = publish_set_new()))
		goto out;
	pr->key = k;
	pr->o = o;
	pr->err = err;
	pr->errlen = errlen;
	if ((rc = check_options(pr)) != 0)
		goto out;
	rc = pub_mirror_read(o->out_dir, publish_key_public(k), &pr->prev_m, pr->prev,
	                     pr->prev_text, pr->prev_text_len, err, errlen);
	if (rc == WHORL_ENODATA)
		memset(&pr->prev_m, 0, sizeof pr->prev_m);
	else if (rc != 0)
		goto out;
	manifest_start(pr);
	if ((rc = write_sigs(pr, s)) != 0 || (rc = write_texts(pr)) != 0 ||
	    (rc = write_manifest(pr)) != 0)
		goto out;
	prune_mirror(pr);
	pr->res.manifest_serial = pr->m.serial;
	if (res)
		*res = pr->res;
out:
	if (pr) {
		publish_set_free(pr->prev);
		for (int i = 0; i < UPDATE_N_SOURCES; i++)
			free(pr->prev_text[i]);
	}
	free(pr);
	return rc;
}
