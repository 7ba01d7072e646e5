/*
 * payload.c - the records of a sigs payload after decryption and inflating
 * (docs/FORMATS.md §2.5): exact fingerprints and sketches, added or removed.
 *
 * All integers are little-endian. The parser checks every record against the
 * bytes left before reading it, so it can be fed anything, whole or in
 * pieces split anywhere (update_payload_stream_*).
 *
 * Not for: applying records to a snapshot (loader.c).
 */
#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "../util/hash.h"
#include "update_format.h"

static const uint8_t payload_magic[4] = { 'W', 'S', 'I', 'G' };

#define REC_FP_PUT_BYTES 19 /* tag engine algo key meta */
#define REC_DEL_BYTES 10    /* tag engine key */
#define REC_SK_PUT_FIXED 21 /* tag engine algo id meta len, then bytes */
#define META_BYTES 8

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

uint64_t update_sketch_id(const uint8_t *bytes, size_t len)
{
	return whorl_hash64(bytes, len, UPDATE_SKETCH_ID_SEED);
}

static int meta_get(const uint8_t *p, struct sigdb_meta *m)
{
	m->category = p[0];
	m->subcategory = p[1];
	m->confidence = p[2];
	m->flags = p[3];
	m->first_seen = get_u16(p + 4);
	m->last_seen = get_u16(p + 6);
	return (m->confidence <= 100 && (m->flags & ~SIGDB_F_LEGIT) == 0) ? 0 : -1;
}

static void meta_put(uint8_t *p, const struct sigdb_meta *m)
{
	p[0] = m->category;
	p[1] = m->subcategory;
	p[2] = m->confidence;
	p[3] = m->flags;
	put_u16(p + 4, m->first_seen);
	put_u16(p + 6, m->last_seen);
}

/* Decodes the record at p (n bytes left) into *r; its size, or 0 when
 * malformed or truncated. */
static size_t record_decode(const uint8_t *p, size_t n, struct update_record *r)
{
	memset(r, 0, sizeof *r);
	if (n < REC_DEL_BYTES)
		return 0;
	r->tag = p[0];
	r->engine = p[1];
	if (r->engine == 0 || r->engine > WHORL_FP_ENGINE_MAX)
		return 0;
	switch (r->tag) {
	case UPDATE_REC_FP_DEL:
	case UPDATE_REC_SK_DEL: r->key = get_u64(p + 2); return REC_DEL_BYTES;
	case UPDATE_REC_FP_PUT:
		if (n < REC_FP_PUT_BYTES)
			return 0;
		r->algo = p[2];
		r->key = get_u64(p + 3);
		return meta_get(p + 11, &r->meta) ? 0 : REC_FP_PUT_BYTES;
	case UPDATE_REC_SK_PUT:
		if (n < REC_SK_PUT_FIXED)
			return 0;
		r->algo = p[2];
		r->key = get_u64(p + 3);
		r->len = get_u16(p + 19);
		if (meta_get(p + 11, &r->meta) || r->len == 0 || r->len > UPDATE_MAX_SKETCH_BYTES ||
		    n - REC_SK_PUT_FIXED < r->len)
			return 0;
		r->bytes = p + REC_SK_PUT_FIXED;
		if (update_sketch_id(r->bytes, r->len) != r->key)
			return 0;
		return REC_SK_PUT_FIXED + (size_t)r->len;
	default: return 0;
	}
}

uint32_t update_payload_count(const uint8_t *p, size_t len)
{
	if (len < UPDATE_PAYLOAD_HEADER_BYTES)
		return 0;
	return (uint32_t)(p[8] | p[9] << 8 | p[10] << 16 | (uint32_t)p[11] << 24);
}

void update_payload_stream_init(struct update_payload_stream *ps, int expect_kind,
                                int (*fn)(void *ctx, const struct update_record *r), void *ctx)
{
	memset(ps, 0, sizeof *ps);
	ps->expect_kind = expect_kind;
	ps->fn = fn;
	ps->ctx = ctx;
}

/* Bytes the next unit (header or record) takes, judged from its first
 * have (>= 1) bytes; it may grow once more bytes are known (a sketch's
 * length). 0 when the unit can only be malformed, or is one too many. */
static size_t unit_need(const struct update_payload_stream *ps, const uint8_t *p, size_t have)
{
	uint16_t len;

	if (!ps->have_header)
		return UPDATE_PAYLOAD_HEADER_BYTES;
	if (ps->done == ps->n_records)
		return 0; /* bytes after the last record */
	switch (p[0]) {
	case UPDATE_REC_FP_DEL:
	case UPDATE_REC_SK_DEL: return REC_DEL_BYTES;
	case UPDATE_REC_FP_PUT: return REC_FP_PUT_BYTES;
	case UPDATE_REC_SK_PUT:
		if (have < REC_SK_PUT_FIXED)
			return REC_SK_PUT_FIXED;
		len = get_u16(p + 19);
		return len == 0 || len > UPDATE_MAX_SKETCH_BYTES ? 0
		                                                 : REC_SK_PUT_FIXED + (size_t)len;
	default: return 0;
	}
}

static int header_take(struct update_payload_stream *ps, const uint8_t *p)
{
	if (memcmp(p, payload_magic, 4) != 0 || p[4] != UPDATE_FORMAT_VERSION ||
	    p[5] != ps->expect_kind || p[6] != 0 || p[7] != 0)
		return WHORL_EFORMAT;
	ps->n_records = update_payload_count(p, UPDATE_PAYLOAD_HEADER_BYTES);
	if (ps->n_records > UPDATE_MAX_RECORDS)
		return WHORL_EFORMAT;
	ps->have_header = 1;
	if (ps->on_count && ps->n_records <= ps->count_max)
		ps->on_count(ps->ctx, ps->n_records);
	return 0;
}

/* One whole unit of exactly need bytes at p. */
static int unit_take(struct update_payload_stream *ps, const uint8_t *p, size_t need)
{
	struct update_record r;

	if (!ps->have_header)
		return header_take(ps, p);
	if (record_decode(p, need, &r) != need)
		return WHORL_EFORMAT;
	if (ps->expect_kind == UPDATE_KIND_COMPLETE && r.tag != UPDATE_REC_FP_PUT &&
	    r.tag != UPDATE_REC_SK_PUT)
		return WHORL_EFORMAT;
	ps->done++;
	return ps->fn(ps->ctx, &r);
}

/* Tops carry up towards its unit from p; the bytes taken, or 0 with
 * ps->err set when the unit is malformed. *whole is set once it is complete. */
static size_t carry_fill(struct update_payload_stream *ps, const uint8_t *p, size_t n, int *whole)
{
	size_t taken = 0;

	*whole = 0;
	for (;;) {
		size_t need = unit_need(ps, ps->carry, ps->carry_len), k;
		if (need == 0) {
			ps->err = WHORL_EFORMAT;
			return 0;
		}
		if (ps->carry_len >= need) {
			*whole = 1;
			return taken;
		}
		if (taken == n)
			return taken;
		k = need - ps->carry_len < n - taken ? need - ps->carry_len : n - taken;
		memcpy(ps->carry + ps->carry_len, p + taken, k);
		ps->carry_len += k;
		taken += k;
	}
}

int update_payload_stream_feed(struct update_payload_stream *ps, const uint8_t *p, size_t n)
{
	while (!ps->err && n > 0) {
		size_t need;
		int whole;

		if (ps->carry_len > 0) {
			size_t taken = carry_fill(ps, p, n, &whole);
			p += taken;
			n -= taken;
			if (whole) {
				ps->err = unit_take(ps, ps->carry, ps->carry_len);
				ps->carry_len = 0;
			}
			continue;
		}
		need = unit_need(ps, p, n);
		if (need == 0) {
			ps->err = WHORL_EFORMAT;
		} else if (n < need) {
			memcpy(ps->carry, p, n); /* n < need <= sizeof carry */
			ps->carry_len = n;
			n = 0;
		} else {
			ps->err = unit_take(ps, p, need);
			p += need;
			n -= need;
		}
	}
	return ps->err;
}

int update_payload_stream_finish(struct update_payload_stream *ps)
{
	if (!ps->err && (!ps->have_header || ps->done != ps->n_records || ps->carry_len))
		ps->err = WHORL_EFORMAT;
	return ps->err;
}

int update_payload_parse(const uint8_t *p, size_t len, int expect_kind,
                         int (*fn)(void *ctx, const struct update_record *r), void *ctx)
{
	struct update_payload_stream ps;

	update_payload_stream_init(&ps, expect_kind, fn, ctx);
	(void)update_payload_stream_feed(&ps, p, len);
	return update_payload_stream_finish(&ps);
}

size_t update_record_size(const struct update_record *r)
{
	switch (r->tag) {
	case UPDATE_REC_FP_PUT: return REC_FP_PUT_BYTES;
	case UPDATE_REC_SK_PUT: return REC_SK_PUT_FIXED + r->len;
	default: return REC_DEL_BYTES;
	}
}

void update_payload_header(uint8_t *out, int kind, uint32_t n_records)
{
	memcpy(out, payload_magic, 4);
	out[4] = UPDATE_FORMAT_VERSION;
	out[5] = (uint8_t)kind;
	out[6] = out[7] = 0;
	for (int i = 0; i < 4; i++)
		out[8 + i] = (uint8_t)(n_records >> (8 * i));
}

size_t update_record_encode(uint8_t *out, const struct update_record *r)
{
	out[0] = r->tag;
	out[1] = r->engine;
	if (r->tag == UPDATE_REC_FP_DEL || r->tag == UPDATE_REC_SK_DEL) {
		put_u64(out + 2, r->key);
		return REC_DEL_BYTES;
	}
	out[2] = r->algo;
	put_u64(out + 3, r->key);
	meta_put(out + 11, &r->meta);
	if (r->tag == UPDATE_REC_FP_PUT)
		return REC_FP_PUT_BYTES;
	put_u16(out + 19, r->len);
	memcpy(out + REC_SK_PUT_FIXED, r->bytes, r->len);
	return REC_SK_PUT_FIXED + (size_t)r->len;
}
