/*
 * keys.c - the publisher's Ed25519 key pair on disk: publisher.key (the
 * libsodium 64-byte secret key as 128 hex digits, mode 0600) and
 * publisher.pub (the 32-byte public key as 64 hex digits), both with a
 * trailing newline. Secret bytes live in sodium_malloc'd memory.
 *
 * Not for: verifying (cartridge/update/keyfile.c reads publisher.pub).
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../cartridge/util/file_read.h"
#include "../../abi/whorl_cartridge.h"
#include "../../cartridge/update/update_format.h"
#include "publish.h"

struct publish_key {
	uint8_t pk[UPDATE_KEY_BYTES];
	uint8_t sk[UPDATE_SECRET_KEY_BYTES];
};

/* Writes path exclusively with mode, hex of bin plus '\n'. */
static int write_hex_file(const char *path, int mode, const uint8_t *bin, size_t n)
{
	char hex[2 * UPDATE_SECRET_KEY_BYTES + 2];
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	int rc = 0;

	if (fd < 0)
		return -1;
	sodium_bin2hex(hex, sizeof hex, bin, n);
	hex[2 * n] = '\n';
	if (write(fd, hex, 2 * n + 1) != (ssize_t)(2 * n + 1) || fsync(fd) != 0)
		rc = -1;
	sodium_memzero(hex, sizeof hex);
	if (close(fd) != 0)
		rc = -1;
	return rc;
}

int publish_keygen(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct publish_key *k;
	int rc = WHORL_EIO;

	if (sodium_init() < 0 || !(k = sodium_malloc(sizeof *k))) {
		snprintf(err, errlen, "libsodium unusable");
		return WHORL_ENOMEM;
	}
	crypto_sign_keypair(k->pk, k->sk);
	snprintf(path, sizeof path, "%s/%s", dir, PUBLISH_SECRET_KEY_FILE);
	if (write_hex_file(path, 0600, k->sk, sizeof k->sk) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	snprintf(path, sizeof path, "%s/%s", dir, PUBLISH_PUBLIC_KEY_FILE);
	if (write_hex_file(path, 0644, k->pk, sizeof k->pk) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	sodium_free(k);
	return rc;
}

struct publish_key *publish_key_load(const char *path, char *err, size_t errlen)
{
	struct publish_key *k = NULL;
	uint8_t *buf = NULL;
	size_t len = 0, bin_len = 0;
	const char *end;
	int why = 0;

	if (sodium_init() < 0 || !(k = sodium_malloc(sizeof *k)))
		goto fail;
	if (file_read_whole(path, 0, 4 * UPDATE_SECRET_KEY_BYTES, (char **)&buf, &len, &why) != 0) {
		snprintf(err, errlen, "%s: cannot read (%s)", path, file_why_text(why));
		goto fail;
	}
	if (sodium_hex2bin(k->sk, sizeof k->sk, (char *)buf, len, " \t\r\n", &bin_len, &end) != 0 ||
	    bin_len != sizeof k->sk || (size_t)(end - (char *)buf) != len) {
		snprintf(err, errlen, "%s: not a secret key (128 hex digits)", path);
		goto fail;
	}
	crypto_sign_ed25519_sk_to_pk(k->pk, k->sk);
	sodium_memzero(buf, len);
	free(buf);
	return k;
fail:
	if (buf) {
		sodium_memzero(buf, len);
		free(buf);
	}
	if (k)
		sodium_free(k);
	return NULL;
}

void publish_key_free(struct publish_key *k)
{
	if (k)
		sodium_free(k);
}

const uint8_t *publish_key_public(const struct publish_key *k)
{
	return k->pk;
}

/* For the writer: the secret key bytes. */
const uint8_t *publish_key_secret(const struct publish_key *k);
const uint8_t *publish_key_secret(const struct publish_key *k)
{
	return k->sk;
}
