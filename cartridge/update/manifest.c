/*
 * manifest.c - parse and write the body of a manifest (docs/FORMATS.md §2.2).
 *
 * The parser checks syntax and local sanity only (each line in its place,
 * numbers in range, names safe, serials ordered within a line); whether the
 * delta chain fits the data in use is the loader's question.
 *
 * Not for: the signature line (signed.c) or reading files (loader.c).
 */
#include <inttypes.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "update_format.h"
#include "update_lines.h"

static int parse_ref(const struct uline *l, size_t first, struct update_file_ref *f)
{
	/* <name> <size> <hash> starting at field `first` */
	if (l->n != first + 3 || !update_name_valid(l->field[first], l->flen[first]))
		return -1;
	memcpy(f->name, l->field[first], l->flen[first]);
	f->name[l->flen[first]] = '\0';
	if (uline_u64(l, first + 1, &f->size) || f->size > UPDATE_MAX_FILE_BYTES)
		return -1;
	return uline_hex(l, first + 2, f->hash, sizeof f->hash);
}

static int parse_header(struct uline_reader *r, struct update_manifest *m)
{
	struct uline l;
	uint64_t version, issued, expires, check, full;

	if (uline_next(r, &l) != 1 || l.n != 2 || !uline_is(&l, 0, "whorl-manifest") ||
	    uline_u64(&l, 1, &version) || version != UPDATE_FORMAT_VERSION)
		return -1;
	if (uline_next(r, &l) != 1 || l.n != 2 || !uline_is(&l, 0, "key-id") ||
	    uline_hex(&l, 1, m->key_id, sizeof m->key_id))
		return -1;
	if (uline_expect_u64(r, "serial", &m->serial) || uline_expect_u64(r, "issued", &issued) ||
	    uline_expect_u64(r, "expires", &expires) ||
	    uline_expect_u64(r, "check-interval", &check) ||
	    uline_expect_u64(r, "full-interval", &full))
		return -1;
	if (issued > INT64_MAX || expires > INT64_MAX || expires <= issued || check == 0 ||
	    check > UPDATE_MAX_INTERVAL || full == 0 || full > UPDATE_MAX_INTERVAL)
		return -1;
	m->issued = (int64_t)issued;
	m->expires = (int64_t)expires;
	m->check_interval = (uint32_t)check;
	m->full_interval = (uint32_t)full;
	return 0;
}

/* "source <name> <complete> <incremental>" followed by its "complete" line. */
static int parse_source(struct uline_reader *r, const struct uline *l, struct update_manifest *m,
                        struct update_manifest_source **cur)
{
	struct uline cl;
	struct update_manifest_source *s;
	int src;

	if (l->n != 4 || (src = update_source_lookup(l->field[1], l->flen[1])) < 0)
		return -1;
	s = &m->src[src];
	if (s->present)
		return -1;
	s->present = 1;
	if (uline_u64(l, 2, &s->complete) || uline_u64(l, 3, &s->incremental) || s->complete == 0 ||
	    s->incremental < s->complete ||
	    (src != UPDATE_SRC_SIGS && s->incremental != s->complete))
		return -1;
	if (uline_next(r, &cl) != 1 || !uline_is(&cl, 0, "complete") ||
	    uline_u64(&cl, 1, &s->full.serial) || s->full.serial != s->complete ||
	    parse_ref(&cl, 2, &s->full))
		return -1;
	s->full.base = 0;
	*cur = s;
	return 0;
}

static int parse_delta(const struct uline *l, struct update_manifest_source *s, int src)
{
	struct update_file_ref *d;

	if (!s || src != UPDATE_SRC_SIGS || s->n_deltas == UPDATE_MAX_DELTAS)
		return -1;
	d = &s->deltas[s->n_deltas];
	if (uline_u64(l, 1, &d->serial) || uline_u64(l, 2, &d->base) || d->base == 0 ||
	    d->serial <= d->base || d->serial > s->incremental || parse_ref(l, 3, d))
		return -1;
	s->n_deltas++;
	return 0;
}

int update_manifest_parse(const char *body, size_t len, struct update_manifest *m)
{
	struct uline_reader r = { .p = body, .len = len };
	struct update_manifest_source *cur = NULL;
	struct uline l;
	int rc;

	memset(m, 0, sizeof *m);
	if (parse_header(&r, m))
		return WHORL_EFORMAT;
	while ((rc = uline_next(&r, &l)) == 1) {
		if (uline_is(&l, 0, "source")) {
			if (parse_source(&r, &l, m, &cur))
				return WHORL_EFORMAT;
		} else if (uline_is(&l, 0, "delta")) {
			if (parse_delta(&l, cur, cur ? (int)(cur - m->src) : -1))
				return WHORL_EFORMAT;
		} else {
			return WHORL_EFORMAT;
		}
	}
	return rc == 0 ? 0 : WHORL_EFORMAT;
}

static void write_ref(struct uline_writer *w, const struct update_file_ref *f)
{
	uline_printf(w, " %s %" PRIu64 " ", f->name, f->size);
	uline_hex_put(w, f->hash, sizeof f->hash);
	uline_printf(w, "\n");
}

long update_manifest_write(const struct update_manifest *m, const uint8_t *sk, char *buf,
                           size_t cap)
{
	struct uline_writer w = { .buf = buf, .cap = cap };

	uline_printf(&w, "whorl-manifest %d\nkey-id ", UPDATE_FORMAT_VERSION);
	uline_hex_put(&w, m->key_id, sizeof m->key_id);
	uline_printf(&w,
	             "\nserial %" PRIu64 "\nissued %" PRId64 "\nexpires %" PRId64
	             "\ncheck-interval %u\nfull-interval %u\n",
	             m->serial, m->issued, m->expires, m->check_interval, m->full_interval);
	for (int i = 0; i < UPDATE_N_SOURCES; i++) {
		const struct update_manifest_source *s = &m->src[i];
		if (!s->present)
			continue;
		uline_printf(&w, "source %s %" PRIu64 " %" PRIu64 "\ncomplete %" PRIu64,
		             update_source_name(i), s->complete, s->incremental, s->complete);
		write_ref(&w, &s->full);
		for (size_t k = 0; k < s->n_deltas; k++) {
			uline_printf(&w, "delta %" PRIu64 " %" PRIu64, s->deltas[k].serial,
			             s->deltas[k].base);
			write_ref(&w, &s->deltas[k]);
		}
	}
	if (w.overflow)
		return WHORL_ELIMIT;
	return update_signed_close(buf, w.len, cap, sk);
}
