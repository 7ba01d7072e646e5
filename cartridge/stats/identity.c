/*
 * identity.c - the host id and installation id of statistics reports (see
 * identity.h). SHA-1 is OpenSSL's (libcrypto, opened at first use through
 * util/dynlib.c): the guide names SHA-1 for anonymised host ids, and a
 * collector compares ids across versions.
 *
 * Not for: anything on the scan path (getaddrinfo may wait on DNS).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "identity.h"
#include "../update/state.h"

/* Each member of struct stats_sha1_fns and the symbol it is read from. */
static const struct dynlib_sym sha1_syms[] = {
	{ "EVP_Digest", offsetof(struct stats_sha1_fns, digest) },
	{ "EVP_sha1", offsetof(struct stats_sha1_fns, sha1) },
};

static const struct dynlib_spec sha1_spec = {
	.soname = STATS_SHA1_SONAME,
	.syms = sha1_syms,
	.n_syms = sizeof(sha1_syms) / sizeof(sha1_syms[0]),
	.module = "STATS",
	.without = "an anonymised host id is sent empty",
};

void stats_sha1_init(struct stats_sha1 *s, const struct logger *lg)
{
	dynlib_init(&s->lib, &sha1_spec, &s->fns, lg);
}

void stats_sha1_close(struct stats_sha1 *s)
{
	dynlib_close(&s->lib);
}

void stats_sha1_hex(struct stats_sha1 *sha1, const char *s, char out[41])
{
	const struct stats_sha1_fns *f = dynlib_get(&sha1->lib);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	out[0] = '\0';
	if (f == NULL || f->digest(s, strlen(s), md, &n, f->sha1(), NULL) != 1 || n != 20)
		return;
	sodium_bin2hex(out, 41, md, n);
}

void stats_host_id(struct stats_sha1 *sha1, int anonymize, const struct logger *lg, char *out,
                   size_t cap)
{
	char name[STATS_HOST_ID_MAX];
	if (gethostname(name, sizeof(name)) != 0 || name[0] == '\0') {
		log_error(lg, "STATS",
		          "Could not determine hostname (%s), using a host identifier of "
		          "\"unknown\"",
		          strerror(errno));
		snprintf(out, cap, "unknown");
		return;
	}
	name[sizeof(name) - 1] = '\0';
	struct addrinfo hints = { .ai_flags = AI_CANONNAME, .ai_family = AF_UNSPEC };
	struct addrinfo *ai = NULL;
	if (strchr(name, '.') == NULL && getaddrinfo(name, NULL, &hints, &ai) == 0 && ai != NULL &&
	    ai->ai_canonname != NULL)
		snprintf(name, sizeof(name), "%s", ai->ai_canonname);
	if (ai != NULL)
		freeaddrinfo(ai);
	if (anonymize) {
		char hex[41];
		stats_sha1_hex(sha1, name, hex);
		snprintf(out, cap, "%s", hex);
	} else {
		snprintf(out, cap, "%s", name);
	}
}

static int id_valid(const char *s)
{
	unsigned char bin[STATS_INSTALL_ID_BYTES];
	size_t n = 0;
	return sodium_base642bin(bin, sizeof(bin), s, strlen(s), NULL, &n, NULL,
	                         sodium_base64_VARIANT_ORIGINAL) == 0 &&
	       n == STATS_INSTALL_ID_BYTES;
}

static int id_read(const char *path, char *out, size_t cap)
{
	char buf[64];
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (!id_valid(buf))
		return -1;
	snprintf(out, cap, "%s", buf);
	return 0;
}

static int id_write(const char *path, const char *id)
{
	char tmp[PATH_MAX + 128];
	snprintf(tmp, sizeof(tmp), "%s.part", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	size_t len = strlen(id);
	int ok = write(fd, id, len) == (ssize_t)len && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

int stats_installation_id(const struct cfg *cfg, const struct logger *lg, int keep, char *out,
                          size_t cap)
{
	unsigned char bin[STATS_INSTALL_ID_BYTES];
	char dir[PATH_MAX], path[PATH_MAX + 64];
	int have_dir = keep && update_cache_prepare(cfg, lg, dir, sizeof(dir)) == 0;
	if (have_dir) {
		snprintf(path, sizeof(path), "%s/%s/%s", dir, UPDATE_STATE_SUBDIR,
		         STATS_INSTALL_ID_FILE);
		if (id_read(path, out, cap) == 0)
			return 0;
	}
	randombytes_buf(bin, sizeof(bin));
	sodium_bin2base64(out, cap, bin, sizeof(bin), sodium_base64_VARIANT_ORIGINAL);
	if (have_dir && id_write(path, out) == 0)
		return 0;
	if (!keep)
		return 0;
	log_warn(lg, "STATS", "Could not save the installation id under %s, using one for this run",
	         have_dir ? path : cfg->cache_path);
	return -1;
}
