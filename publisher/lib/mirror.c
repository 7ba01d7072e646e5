/*
 * mirror.c - read back the set a mirror directory publishes now, verified
 * with the publisher's own key, so the next run can write a delta on it.
 * Uses the update module's public reader (cartridge/update/set_read.h), so
 * publisher and gateway cannot disagree on what a set holds.
 *
 * Not for: writing (write.c).
 */
#include <stdio.h>

#include "../../abi/whorl_cartridge.h"
#include "../../cartridge/update/set_read.h"
#include "pub_internal.h"

struct err_sink {
	char *err;
	size_t errlen;
};

static void sink_log(void *ctx, int level, const char *module, const char *message)
{
	struct err_sink *s = ctx;

	if (level >= WHORL_LOG_ERROR)
		snprintf(s->err, s->errlen, "%s", message);
}

static int apply_prev(void *ctx, const struct update_record *r)
{
	struct publish_set *prev = ctx;
	struct pub_rec rec = { .engine = r->engine,
		               .algo = r->algo,
		               .key = r->key,
		               .meta = r->meta,
		               .bytes = (uint8_t *)r->bytes,
		               .len = r->len };

	switch (r->tag) {
	case UPDATE_REC_FP_DEL: publish_set_remove_fp(prev, r->engine, r->key); return 0;
	case UPDATE_REC_SK_DEL: publish_set_remove_sketch(prev, r->engine, r->key); return 0;
	default: rec.tag = r->tag; return pub_set_put(prev, &rec);
	}
}

int pub_mirror_read(const char *dir, const uint8_t pk[UPDATE_KEY_BYTES], struct update_manifest *m,
                    struct publish_set *prev, uint8_t *text[UPDATE_N_SOURCES],
                    size_t text_len[UPDATE_N_SOURCES], char *err, size_t errlen)
{
	struct err_sink sink = { err, errlen };
	struct logger lg = { .fn = sink_log, .ctx = &sink, .min_level = WHORL_LOG_ERROR };

	return update_set_read(dir, pk, &lg, m, apply_prev, prev, text, text_len);
}
