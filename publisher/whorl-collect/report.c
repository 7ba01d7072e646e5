/*
 * report.c - opens a statistics report and reads its lines (see report.h).
 *
 * Opening: the body is "key = value" lines; only "report", "version",
 * "encoding" and "stats" are read. The stats value is base64 of a sealed
 * box (libsodium) holding a zlib stream, inflated with a hard output bound
 * so a small body cannot expand into gigabytes.
 *
 * Reading: one pass over the lines, each matched against the keys of
 * docs/FORMATS.md section 3.2; numbers are plain decimal digits, checked
 * for overflow. Nothing allocates but the sigs seen array (bounded).
 *
 * Not for: deciding whether a report is a replay (store.c does, in its
 * transaction).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zlib.h>

#include "report.h"

const char *const collect_engine_names[COLLECT_N_ENGINES] = {
	"none", "body", "fuzzy", "url", "ip", "attach", "image", "struct",
};
const char *const collect_wl_names[COLLECT_N_WL] = {
	"local header", "local envelope", "local body", "local ip",
	"awl header",   "awl envelope",   "awl body",   "awl ip",
};
const char *const collect_download_names[COLLECT_N_DOWNLOADS] = {
	"successful complete micro-update downloads",
	"successful incremental micro-update downloads",
	"failed complete micro-update downloads",
	"failed incremental micro-update downloads",
	"successful complete micro-update downloads from disk",
	"failed complete micro-update downloads from disk",
	"failed micro-update serial number downloads from network",
};

/* One "key = value" line of buf[0..len) from *at: key and value trimmed.
 * 0, or -1 at the end. A line without " = " gets an empty key. */
struct kv {
	const char *key, *value;
	size_t key_len, value_len;
};

static int next_line(const char *buf, size_t len, size_t *at, struct kv *kv)
{
	if (*at >= len)
		return -1;
	const char *line = buf + *at, *nl = memchr(line, '\n', len - *at);
	size_t n = nl != NULL ? (size_t)(nl - line) : len - *at;
	*at += n + 1;
	if (n > 0 && line[n - 1] == '\r')
		n--;
	const char *eq = memchr(line, '=', n);
	if (eq == NULL) {
		*kv = (struct kv){ line, line + n, 0, 0 };
		return 0;
	}
	size_t k = (size_t)(eq - line), v = (size_t)(eq + 1 - line);
	while (k > 0 && line[k - 1] == ' ')
		k--;
	while (v < n && line[v] == ' ')
		v++;
	*kv = (struct kv){ line, line + v, k, n - v };
	return 0;
}

static int body_key_is(const struct kv *kv, const char *key)
{
	size_t n = strlen(key);
	return kv->key_len == n && memcmp(kv->key, key, n) == 0;
}

static int body_value_is(const struct kv *kv, const char *v)
{
	size_t n = strlen(v);
	return kv->value_len == n && memcmp(kv->value, v, n) == 0;
}

/* Inflates z[0..zlen) into a malloc'd, NUL-terminated buffer of at most
 * COLLECT_MAX_TEXT bytes. */
static int inflate_bounded(const uint8_t *z, size_t zlen, char **out, size_t *out_len)
{
	z_stream s;
	memset(&s, 0, sizeof(s));
	if (inflateInit(&s) != Z_OK)
		return -1;
	size_t cap = zlen * 4 + 1024 < COLLECT_MAX_TEXT ? zlen * 4 + 1024 : COLLECT_MAX_TEXT;
	char *buf = malloc(cap + 1);
	int rc = Z_BUF_ERROR;
	s.next_in = (Bytef *)z;
	s.avail_in = (uInt)zlen;
	while (buf != NULL) {
		s.next_out = (Bytef *)buf + s.total_out;
		s.avail_out = (uInt)(cap - s.total_out);
		rc = inflate(&s, Z_NO_FLUSH);
		if (rc == Z_STREAM_END || (rc != Z_OK && rc != Z_BUF_ERROR) || s.avail_out > 0)
			break;
		if (cap >= COLLECT_MAX_TEXT) {
			rc = Z_BUF_ERROR; /* would pass the bound */
			break;
		}
		cap = cap * 2 < COLLECT_MAX_TEXT ? cap * 2 : COLLECT_MAX_TEXT;
		char *grown = realloc(buf, cap + 1);
		if (grown == NULL)
			break;
		buf = grown;
	}
	size_t n = s.total_out;
	inflateEnd(&s);
	if (rc != Z_STREAM_END || s.avail_in != 0) {
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	return 0;
}

/* base64 -> sealed box -> zlib, for the value of "stats". */
static int open_block(const struct kv *stats, const uint8_t pk[32], const uint8_t sk[32],
                      char **text, size_t *text_len, const char **why)
{
	size_t cap = stats->value_len / 4 * 3 + 3, n = 0;
	uint8_t *sealed = malloc(cap), *z = NULL;
	int rc = -1;
	*why = "out of memory";
	if (sealed == NULL)
		return -1;
	*why = "stats is not base64";
	if (sodium_base642bin(sealed, cap, stats->value, stats->value_len, NULL, &n, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0)
		goto out;
	*why = "stats block too short";
	if (n <= crypto_box_SEALBYTES)
		goto out;
	*why = "out of memory";
	if ((z = malloc(n - crypto_box_SEALBYTES)) == NULL)
		goto out;
	*why = "sealed to another key (or damaged)";
	if (crypto_box_seal_open(z, sealed, n, pk, sk) != 0)
		goto out;
	*why = "stats block does not inflate within bounds";
	if (inflate_bounded(z, n - crypto_box_SEALBYTES, text, text_len) != 0)
		goto out;
	rc = 0;
out:
	free(sealed);
	free(z);
	return rc;
}

int collect_open(const char *body, size_t len, const uint8_t pk[32], const uint8_t sk[32],
                 char **text, size_t *text_len, const char **why)
{
	*text = NULL;
	if (len > COLLECT_MAX_BODY) {
		*why = "body too large";
		return -1;
	}
	struct kv kv, stats = { 0 };
	int report = 0, version = 0, encoding = 0;
	for (size_t at = 0; next_line(body, len, &at, &kv) == 0;) {
		if (body_key_is(&kv, "report"))
			report = body_value_is(&kv, "spamdna stats");
		else if (body_key_is(&kv, "version"))
			version = body_value_is(&kv, "1");
		else if (body_key_is(&kv, "encoding"))
			encoding = body_value_is(&kv, "c,s");
		else if (body_key_is(&kv, "stats"))
			stats = kv;
	}
	*why = !report               ? "not a spamdna stats report"
	       : !version            ? "unknown report version"
	       : !encoding           ? "unknown encoding (want c,s)"
	       : stats.value == NULL ? "no stats block"
	                             : NULL;
	if (*why != NULL)
		return -1;
	return open_block(&stats, pk, sk, text, text_len, why);
}
