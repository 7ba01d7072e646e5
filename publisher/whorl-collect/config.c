/*
 * config.c - collect.cfg ("key = value" lines, "#" comments) and the
 * collector's key files.
 *
 * Not for: the gateway's cartridge.cfg (cartridge/cfg/).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "../../cartridge/update/update.h"
#include "../../cartridge/util/file_read.h"
#include "collect.h"

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 &&
	       (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static int set_uint(const char *v, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long n = strtoul(v, &end, 10);
	if (*v == '\0' || *end != '\0' || n > max)
		return -1;
	*out = n;
	return 0;
}

static int apply(struct collect_cfg *c, const char *k, const char *v)
{
	unsigned long n;
	if (strcmp(k, "listen") == 0) {
		const char *colon = strrchr(v, ':');
		if (colon == NULL || (size_t)(colon - v) >= sizeof(c->listen) ||
		    set_uint(colon + 1, 65535, &n) != 0 || n == 0)
			return -1;
		snprintf(c->listen, sizeof(c->listen), "%.*s", (int)(colon - v), v);
		c->port = (unsigned)n;
		return 0;
	}
	if (strcmp(k, "key") == 0)
		return snprintf(c->key, sizeof(c->key), "%s", v) < (int)sizeof(c->key) ? 0 : -1;
	if (strcmp(k, "database") == 0)
		return snprintf(c->database, sizeof(c->database), "%s", v) <
		               (int)sizeof(c->database)
		           ? 0
		           : -1;
	if (strcmp(k, "mirror") == 0)
		return snprintf(c->mirror, sizeof(c->mirror), "%s", v) < (int)sizeof(c->mirror)
		           ? 0
		           : -1;
	if (strcmp(k, "publisher key") == 0)
		return snprintf(c->publisher_key, sizeof(c->publisher_key), "%s", v) <
		               (int)sizeof(c->publisher_key)
		           ? 0
		           : -1;
	if (strcmp(k, "categories") == 0)
		return snprintf(c->categories, sizeof(c->categories), "%s", v) <
		               (int)sizeof(c->categories)
		           ? 0
		           : -1;
	if (strcmp(k, "max body bytes") == 0 && set_uint(v, COLLECT_MAX_BODY, &n) == 0 && n > 0) {
		c->max_body = n;
		return 0;
	}
	if (strcmp(k, "reports per minute per address") == 0 && set_uint(v, 1000000, &n) == 0) {
		c->per_minute = (unsigned)n;
		return 0;
	}
	if (strcmp(k, "retention days") == 0 && set_uint(v, 100000, &n) == 0) {
		c->retention_days = (unsigned)n;
		return 0;
	}
	return -1;
}

/* "mirror" needs "publisher key" (the gateways' publisher.pub) to verify
 * what it reads; both or neither. */
static int load_publisher_key(const char *path, struct collect_cfg *c, char *err, size_t errlen)
{
	int why = 0;
	if (c->mirror[0] == '\0' && c->publisher_key[0] == '\0')
		return 0;
	if (c->mirror[0] == '\0' || c->publisher_key[0] == '\0') {
		snprintf(err, errlen, "%s: \"mirror\" and \"publisher key\" go together", path);
		return -1;
	}
	int rc = update_pubkey_load(c->publisher_key, c->publisher_pk, &why);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", c->publisher_key,
		         rc == WHORL_EIO ? file_why_text(why) : "not a publisher public key");
		return -1;
	}
	return 0;
}

/* "categories" (a categories file, as etc/categories), else the built-in
 * table; a file that cannot be read or parsed stops the program. */
static int load_categories(struct collect_cfg *c, char *err, size_t errlen)
{
	char *text = NULL, why_text[CATS_WHY_MAX];
	size_t len = 0;
	int why = 0;
	categories_defaults(&c->cats);
	if (c->categories[0] == '\0')
		return 0;
	if (file_read_whole(c->categories, 0, COLLECT_MAX_CATS_FILE, &text, &len, &why) != 0) {
		snprintf(err, errlen, "%s: %s", c->categories, file_why_text(why));
		return -1;
	}
	int rc = categories_parse_why(&c->cats, text, len, why_text, sizeof(why_text));
	free(text);
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", c->categories, why_text);
	return rc != 0 ? -1 : 0;
}

int collect_cfg_load(const char *path, struct collect_cfg *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1");
	c->port = COLLECT_DEFAULT_PORT;
	snprintf(c->database, sizeof(c->database), "sqlite:collect.db");
	snprintf(c->key, sizeof(c->key), "collector.key");
	c->max_body = COLLECT_MAX_BODY;
	c->per_minute = 60;
	c->retention_days = 90;
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char line[4096];
	int line_no = 0, rc = 0;
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		line_no++;
		char *s = trim(line), *eq = strchr(s, '=');
		if (*s == '\0' || *s == '#')
			continue;
		if (eq != NULL)
			*eq = '\0';
		if (eq == NULL || apply(c, trim(s), trim(eq + 1)) != 0) {
			snprintf(err, errlen, "%s:%d: unknown key or bad value", path, line_no);
			rc = -1;
		}
	}
	fclose(f);
	if (rc == 0)
		rc = load_publisher_key(path, c, err, errlen);
	return rc == 0 ? load_categories(c, err, errlen) : rc;
}

int collect_key_load(const char *path, uint8_t pk[32], uint8_t sk[32], char *err, size_t errlen)
{
	char hex[160];
	FILE *f = fopen(path, "r");
	size_t n = f != NULL ? fread(hex, 1, sizeof(hex) - 1, f) : 0;
	if (f != NULL)
		fclose(f);
	hex[n] = '\0';
	size_t bin = 0;
	if (sodium_init() < 0 || n == 0 ||
	    sodium_hex2bin(sk, 32, hex, n, " \t\r\n", &bin, NULL) != 0 || bin != 32) {
		snprintf(err, errlen, "%s: not a collector key (64 hex digits)", path);
		return -1;
	}
	crypto_scalarmult_base(pk, sk);
	return 0;
}

static int write_hex(const char *path, mode_t mode, const uint8_t *k)
{
	char hex[65];
	sodium_bin2hex(hex, sizeof(hex), k, 32);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	if (fd < 0)
		return -1;
	int ok = write(fd, hex, 64) == 64 && write(fd, "\n", 1) == 1;
	return close(fd) == 0 && ok ? 0 : -1;
}

int collect_keygen(const char *dir, char *err, size_t errlen)
{
	uint8_t pk[32], sk[32];
	char path[4096];
	if (sodium_init() < 0)
		return -1;
	crypto_box_keypair(pk, sk);
	snprintf(path, sizeof(path), "%s/collector.key", dir);
	int rc = write_hex(path, 0600, sk);
	sodium_memzero(sk, sizeof(sk));
	if (rc == 0) {
		snprintf(path, sizeof(path), "%s/collector.pub", dir);
		rc = write_hex(path, 0644, pk);
	}
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return rc;
}
