/*
 * identity.h - who a report comes from: the host id (the machine's fully
 * qualified name, or its SHA-1 when "anonymize statistics = yes") and the
 * installation id (random, made once and kept beside the update state).
 *
 * Not for: the customer id or license id (cfg/).
 */
#ifndef WHORL_STATS_IDENTITY_H
#define WHORL_STATS_IDENTITY_H

#include <openssl/evp.h>
#include <stddef.h>

#include "../cfg/cfg.h"
#include "../log/log.h"
#include "../util/dynlib.h"

#define STATS_HOST_ID_MAX 256
#define STATS_INSTALL_ID_BYTES 18 /* 24 base64 characters */
#define STATS_INSTALL_ID_FILE "installation.id"
#define STATS_SHA1_SONAME "libcrypto.so.3" /* Debian's libssl3 */

/* The libcrypto functions stats_sha1_hex() calls (<openssl/evp.h>). */
struct stats_sha1_fns {
	__typeof__(EVP_Digest) *digest;
	__typeof__(EVP_sha1) *sha1;
};

/* libcrypto for one engine: not linked (util/dynlib.h), opened the first
 * time a host id is anonymised, closed by stats_sha1_close() (no call in
 * flight). Most gateways never anonymise, and libcrypto was a twentieth of
 * a whorl-scan start. */
struct stats_sha1 {
	struct dynlib lib;
	struct stats_sha1_fns fns;
};

void stats_sha1_init(struct stats_sha1 *s, const struct logger *lg);
void stats_sha1_close(struct stats_sha1 *s);

/* Writes the host id into out: gethostname() made fully qualified through
 * getaddrinfo(AI_CANONNAME) (which may query DNS: call it off the scan
 * path), or the lower-case hex SHA-1 of that name (sha1's) when anonymize
 * is set: "" when libcrypto cannot be loaded, never the name. "unknown"
 * (logged with the guide's ERROR line) when there is no name. */
void stats_host_id(struct stats_sha1 *sha1, int anonymize, const struct logger *lg, char *out,
                   size_t cap);

/* With keep: reads <cache>/micro_updates/states/installation.id, creating
 * it (random bytes, base64, written to a temporary file then renamed) when
 * missing or malformed. Without keep: touches no file and makes a per-run
 * id. Writes the base64 id into out. 0, or -1 when it could be neither read
 * nor created (out then holds a per-run id and the reason is logged). */
int stats_installation_id(const struct cfg *cfg, const struct logger *lg, int keep, char *out,
                          size_t cap);

/* The lower-case hex SHA-1 of s (41 bytes with the NUL) into out, with
 * sha1's libcrypto (opened now if it is not yet); "" when it cannot be. */
void stats_sha1_hex(struct stats_sha1 *sha1, const char *s, char out[41]);

#endif
