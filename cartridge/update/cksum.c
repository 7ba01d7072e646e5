/*
 * cksum.c - parse and write the body of a checksum file (docs/FORMATS.md
 * §2.3): which data file it vouches for, its size, hash, inflated size and
 * the key that decrypts it.
 *
 * Not for: the signature line (signed.c) or the data file (datafile.c).
 */
#include <inttypes.h>
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "update_format.h"
#include "update_lines.h"

static int parse_hex_line(struct uline_reader *r, const char *kw, uint8_t *out, size_t n)
{
	struct uline l;

	if (uline_next(r, &l) != 1 || l.n != 2 || !uline_is(&l, 0, kw))
		return -1;
	return uline_hex(&l, 1, out, n);
}

static int parse_names(struct uline_reader *r, struct update_cksum *c)
{
	struct uline l;

	if (uline_next(r, &l) != 1 || l.n != 2 || !uline_is(&l, 0, "file") ||
	    !update_name_valid(l.field[1], l.flen[1]))
		return -1;
	memcpy(c->name, l.field[1], l.flen[1]);
	c->name[l.flen[1]] = '\0';
	if (uline_next(r, &l) != 1 || l.n != 2 || !uline_is(&l, 0, "source") ||
	    (c->source = update_source_lookup(l.field[1], l.flen[1])) < 0)
		return -1;
	return 0;
}

int update_cksum_parse(const char *body, size_t len, struct update_cksum *c)
{
	struct uline_reader r = { .p = body, .len = len };
	struct uline l;
	uint64_t version;

	memset(c, 0, sizeof *c);
	if (uline_next(&r, &l) != 1 || l.n != 2 || !uline_is(&l, 0, "whorl-cksum") ||
	    uline_u64(&l, 1, &version) || version != UPDATE_FORMAT_VERSION)
		return WHORL_EFORMAT;
	if (parse_hex_line(&r, "key-id", c->key_id, sizeof c->key_id) || parse_names(&r, c) ||
	    uline_expect_u64(&r, "serial", &c->serial) || uline_expect_u64(&r, "base", &c->base) ||
	    uline_expect_u64(&r, "size", &c->size) ||
	    uline_expect_u64(&r, "raw-size", &c->raw_size) ||
	    parse_hex_line(&r, "blake2b", c->hash, sizeof c->hash) ||
	    parse_hex_line(&r, "key", c->file_key, sizeof c->file_key))
		return WHORL_EFORMAT;
	if (r.pos != r.len || c->serial == 0 || (c->base != 0 && c->base >= c->serial) ||
	    c->size > UPDATE_MAX_FILE_BYTES || c->raw_size > UPDATE_MAX_INFLATED_BYTES ||
	    c->size < UPDATE_NONCE_BYTES + UPDATE_TAG_BYTES)
		return WHORL_EFORMAT;
	return 0;
}

long update_cksum_write(const struct update_cksum *c, const uint8_t *sk, char *buf, size_t cap)
{
	struct uline_writer w = { .buf = buf, .cap = cap };

	uline_printf(&w, "whorl-cksum %d\nkey-id ", UPDATE_FORMAT_VERSION);
	uline_hex_put(&w, c->key_id, sizeof c->key_id);
	uline_printf(&w,
	             "\nfile %s\nsource %s\nserial %" PRIu64 "\nbase %" PRIu64 "\nsize %" PRIu64
	             "\nraw-size %" PRIu64 "\nblake2b ",
	             c->name, update_source_name(c->source), c->serial, c->base, c->size,
	             c->raw_size);
	uline_hex_put(&w, c->hash, sizeof c->hash);
	uline_printf(&w, "\nkey ");
	uline_hex_put(&w, c->file_key, sizeof c->file_key);
	uline_printf(&w, "\n");
	if (w.overflow)
		return WHORL_ELIMIT;
	return update_signed_close(buf, w.len, cap, sk);
}
