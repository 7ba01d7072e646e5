/*
 * update_format.h - the bytes of an update set: manifest, checksum files,
 * data files and the payload records inside them (docs/FORMATS.md §2).
 *
 * Both sides use this one description: the cartridge reads and verifies,
 * the publisher (publisher/lib) writes and signs. Every reader takes its
 * input as (pointer, length) and checks it against the UPDATE_MAX_* bounds
 * before it trusts a byte.
 *
 * Not for: deciding what to load (loader.c) or where files live (cache.c).
 */
#ifndef WHORL_UPDATE_FORMAT_H
#define WHORL_UPDATE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "../sigdb/sigdb.h"
#include "update.h"

#define UPDATE_FORMAT_VERSION 1
#define UPDATE_KEY_BYTES 32        /* Ed25519 public key */
#define UPDATE_SECRET_KEY_BYTES 64 /* libsodium Ed25519 secret key (seed || pk) */
#define UPDATE_SIG_BYTES 64        /* Ed25519 signature */
#define UPDATE_HASH_BYTES 32       /* BLAKE2b-256 */
#define UPDATE_FILE_KEY_BYTES 32   /* XChaCha20-Poly1305 key */
#define UPDATE_NONCE_BYTES 24
#define UPDATE_TAG_BYTES 16
#define UPDATE_KEY_ID_BYTES 8 /* first bytes of BLAKE2b-256(public key) */

#define UPDATE_MAX_MANIFEST_BYTES ((size_t)64 << 10)  /* a larger manifest is refused */
#define UPDATE_MAX_CKSUM_BYTES ((size_t)1024)         /* a larger checksum file is refused */
#define UPDATE_MAX_FILE_BYTES ((uint64_t)512 << 20)   /* declared data file size bound */
#define UPDATE_MAX_INFLATED_BYTES ((uint64_t)1 << 30) /* declared raw payload size bound */
#define UPDATE_MAX_TEXT_BYTES ((uint64_t)1 << 20)     /* cats, acf, awl payloads */
#define UPDATE_MAX_RECORDS ((uint64_t)SIGDB_MAX_ENTRIES + SIGDB_MAX_SKETCHES)
#define UPDATE_MAX_DELTAS 64              /* deltas one manifest lists per source */
#define UPDATE_MANIFEST_NAME "manifest"   /* the set's index, FORMATS.md 2.2 */
#define UPDATE_CKSUM_SUFFIX ".cksum"      /* <datafile>.cksum, FORMATS.md 2.3 */
#define UPDATE_MAX_NAME 64                /* file name length, [a-z0-9.-] only */
#define UPDATE_MAX_SKETCH_BYTES 240       /* = FP_MAX_SKETCH_BYTES */
#define UPDATE_MAX_INTERVAL (7u * 86400u) /* schedule values above are refused */

/* One data file as a manifest names it. */
struct update_file_ref {
	uint64_t serial; /* state serial after this file */
	uint64_t base;   /* 0 for a complete file */
	char name[UPDATE_MAX_NAME + 1];
	uint64_t size; /* bytes of the data file */
	uint8_t hash[UPDATE_HASH_BYTES];
};

struct update_manifest_source {
	int present;
	uint64_t complete;    /* serial of the latest complete file */
	uint64_t incremental; /* latest state serial (>= complete) */
	struct update_file_ref full;
	struct update_file_ref deltas[UPDATE_MAX_DELTAS]; /* chain complete -> incremental */
	size_t n_deltas;
};

struct update_manifest {
	uint8_t key_id[UPDATE_KEY_ID_BYTES];
	uint64_t serial;
	int64_t issued, expires; /* unix seconds */
	uint32_t check_interval; /* seconds */
	uint32_t full_interval;  /* seconds */
	struct update_manifest_source src[UPDATE_N_SOURCES];
};

/* A checksum file: what it vouches for, and the key that opens it. */
struct update_cksum {
	uint8_t key_id[UPDATE_KEY_ID_BYTES];
	char name[UPDATE_MAX_NAME + 1];
	int source; /* enum update_source */
	uint64_t serial, base;
	uint64_t size;     /* data file bytes */
	uint64_t raw_size; /* payload bytes after inflating */
	uint8_t hash[UPDATE_HASH_BYTES];
	uint8_t file_key[UPDATE_FILE_KEY_BYTES];
};

/* Source names as they appear in files: "sigs", "awl", "cats", "acf". */
const char *update_source_name(int source);
int update_source_lookup(const char *name, size_t len);

/* Key id of a public key. */
void update_key_id(const uint8_t pk[UPDATE_KEY_BYTES], uint8_t id[UPDATE_KEY_ID_BYTES]);

/* Signed text (manifest, checksum file): body lines, then "sig <128 hex>\n"
 * signing every byte before that line. Returns the body length, or a
 * negative WHORL_E*: EFORMAT (no sig line), ESIGNATURE (bad signature). */
long update_signed_open(const uint8_t *buf, size_t len, const uint8_t pk[UPDATE_KEY_BYTES]);
/* Appends the sig line to body[0..len) in buf (capacity cap); new length or
 * WHORL_ELIMIT. */
long update_signed_close(char *buf, size_t len, size_t cap, const uint8_t *sk);

/* Manifest body (after update_signed_open) -> *m. 0 or WHORL_EFORMAT. */
int update_manifest_parse(const char *body, size_t len, struct update_manifest *m);
/* *m -> signed manifest text in buf; length or WHORL_ELIMIT. */
long update_manifest_write(const struct update_manifest *m, const uint8_t *sk, char *buf,
                           size_t cap);

int update_cksum_parse(const char *body, size_t len, struct update_cksum *c);
long update_cksum_write(const struct update_cksum *c, const uint8_t *sk, char *buf, size_t cap);

/* A name is 1..UPDATE_MAX_NAME of [a-z0-9.-], not starting with '.'. */
int update_name_valid(const char *s, size_t len);

/* Data file: nonce || XChaCha20-Poly1305(zlib(payload)), additional data
 * "whorl-data 1 <source> <serial> <base>". */
/* Verifies size and hash against c, decrypts and inflates into a fresh
 * malloc'd buffer of exactly c->raw_size bytes (caller frees). Refuses a
 * stream that would inflate past c->raw_size while inflating. 0, or
 * WHORL_ESIGNATURE (size, hash or decryption), WHORL_EFORMAT (zlib),
 * WHORL_ELIMIT (bounds), WHORL_ENOMEM. */
int update_data_open(const uint8_t *file, size_t len, const struct update_cksum *c,
                     uint8_t **payload_out);
/* Compresses and encrypts payload[0..len) under a fresh key: fills c's
 * size, raw_size, hash and file_key (source, serial, base set by caller)
 * and returns the file in *file_out (malloc'd). */
int update_data_seal(const uint8_t *payload, size_t len, struct update_cksum *c, uint8_t **file_out,
                     size_t *file_len);

/* Payload of a sigs file: header "WSIG" version kind n_records, then
 * n_records records (docs/FORMATS.md §2.5). */
#define UPDATE_PAYLOAD_HEADER_BYTES 12
#define UPDATE_KIND_COMPLETE 0
#define UPDATE_KIND_DELTA 1
enum update_record_tag {
	UPDATE_REC_FP_PUT = 1,
	UPDATE_REC_FP_DEL = 2,
	UPDATE_REC_SK_PUT = 3,
	UPDATE_REC_SK_DEL = 4
};

struct update_record {
	uint8_t tag;    /* enum update_record_tag */
	uint8_t engine; /* WHORL_FP_* */
	uint8_t algo;
	uint64_t key;           /* fp key, or sketch id */
	struct sigdb_meta meta; /* puts only */
	const uint8_t *bytes;   /* sketch puts: points into the payload */
	uint16_t len;
};

/* Calls fn for each record; stops at the first nonzero return and returns
 * it. A complete payload may hold only puts. 0, WHORL_EFORMAT or fn's code. */
#define UPDATE_MIN_RECORD_BYTES 10 /* the smallest record (a delete) */
/* The record count a payload's header declares (0 when the header is
 * short); a sizing hint only, update_payload_parse() checks everything. */
uint32_t update_payload_count(const uint8_t *p, size_t len);
int update_payload_parse(const uint8_t *p, size_t len, int expect_kind,
                         int (*fn)(void *ctx, const struct update_record *r), void *ctx);

/* The same parse over a payload that arrives in pieces split anywhere
 * (update_payload_parse is init, one feed, finish). A header or record cut
 * by a piece's end waits in carry, so the working set is one record. The
 * record passed to fn, and its sketch bytes, live only during the call.
 * feed and finish return 0, WHORL_EFORMAT or fn's code; the first error
 * sticks and every later call returns it. finish refuses a payload that
 * ends before its header's record count, or inside a record.
 * on_count (optional, set after init) is called once with the header's
 * record count when it is at most count_max: a sizing hint only, as the
 * count is not checked until finish. */
#define UPDATE_MAX_RECORD_BYTES (21 + UPDATE_MAX_SKETCH_BYTES) /* a sketch put */
struct update_payload_stream {
	int expect_kind;
	int (*fn)(void *ctx, const struct update_record *r);
	void *ctx;
	void (*on_count)(void *ctx, uint32_t n_records);
	uint64_t count_max;
	int have_header;
	uint32_t n_records, done;
	int err;
	size_t carry_len;
	uint8_t carry[UPDATE_MAX_RECORD_BYTES];
};
void update_payload_stream_init(struct update_payload_stream *ps, int expect_kind,
                                int (*fn)(void *ctx, const struct update_record *r), void *ctx);
int update_payload_stream_feed(struct update_payload_stream *ps, const uint8_t *p, size_t n);
int update_payload_stream_finish(struct update_payload_stream *ps);
/* Id of a sketch: whorl_hash64 of its bytes (checked on every put). */
#define UPDATE_SKETCH_ID_SEED 0x736b657463682d31ull /* "sketch-1" */
uint64_t update_sketch_id(const uint8_t *bytes, size_t len);
/* Bytes one record takes when encoded. */
size_t update_record_size(const struct update_record *r);
/* Encodes the header / one record at out (which has room for it). */
void update_payload_header(uint8_t *out, int kind, uint32_t n_records);
size_t update_record_encode(uint8_t *out, const struct update_record *r);

#endif
