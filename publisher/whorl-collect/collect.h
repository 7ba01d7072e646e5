/*
 * collect.h - whorl-collect's configuration (collect.cfg, docs/COLLECT.md)
 * and its HTTP server.
 *
 * Not for: report parsing (report.h), storage (store.h), summaries (summary.h).
 */
#ifndef WHORL_COLLECT_H
#define WHORL_COLLECT_H

#include <stddef.h>
#include <stdint.h>

#include "../collectdb/store.h"
#include "../../cartridge/cfg/cfg.h"
#include "report.h"

#define COLLECT_DEFAULT_PORT 8025
#define COLLECT_MAX_CONNECTIONS 64    /* at most this many bodies in memory at once */
#define COLLECT_CONNECTION_TIMEOUT 15 /* seconds of silence before a connection is dropped */
#define COLLECT_RATE_SLOTS 4096       /* addresses tracked for flood control */
#define COLLECT_MAX_CATS_FILE 65536   /* a larger "categories" file is refused */

struct collect_cfg {
	char listen[64]; /* address to bind, default 127.0.0.1 */
	unsigned port;
	char key[1024];          /* collector.key */
	char database[2048];     /* store.h spec */
	size_t max_body;         /* <= COLLECT_MAX_BODY */
	unsigned per_minute;     /* reports per address per minute, 0 = unlimited */
	unsigned retention_days; /* reports older are deleted, 0 = kept */
	/* The publisher's mirror and public key: the summary lists the abuse
	 * fingerprints it publishes that no report named (mirror[0] == '\0':
	 * not configured). */
	char mirror[1024];
	char publisher_key[1024];
	uint8_t publisher_pk[32]; /* read from publisher_key by collect_cfg_load */
	/* The names of the verdict categories the summary shows: "categories"
	 * (the file the publisher publishes), else the built-in table. */
	char categories[1024];
	struct categories cats;
};

/* Reads path (see docs/COLLECT.md); 0, or -1 with err. */
int collect_cfg_load(const char *path, struct collect_cfg *c, char *err, size_t errlen);

/* Reads the X25519 secret key file (64 hex digits) and derives pk. */
int collect_key_load(const char *path, uint8_t pk[32], uint8_t sk[32], char *err, size_t errlen);
/* Writes DIR/collector.key (0600) and DIR/collector.pub. */
int collect_keygen(const char *dir, char *err, size_t errlen);

/* Serves until SIGINT/SIGTERM. 0 on a clean stop, 1 when it could not start. */
int collect_serve(const struct collect_cfg *c);

#endif
