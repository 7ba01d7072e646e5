/*
 * install.c - content-addressed copies of cartridge files.
 *
 * dlopen of a path (or a hard link) that is already open returns the image
 * already loaded, and overwriting a mapped file in place crashes its users.
 * So every cartridge a host runs is first copied to
 * INSTALL_DIR/cartridge-<BLAKE2b-256 hex>.so: written to a temp file in the
 * same directory, made read-only and renamed into place. A file already
 * there under its hash is reused. INSTALL_DIR is STATE_DIR/cartridges with
 * a state directory, else a private mkdtemp directory removed at close.
 * Only a copy in a state directory is fsync'd before the rename: the
 * rollback record names it across crashes and power loss. A private copy
 * is read by this process alone and never again after it ends (a crash
 * leaves the directory behind, and no later process looks in it), so
 * flushing it to disk would buy nothing and cost a disk write at every start.
 * The source is refused when anyone could have written it (the copy would
 * hide that from the loader's own check). In a state directory, copies the
 * rollback record no longer names are removed each time it is rewritten
 * (install_prune), so hot swaps do not fill the disk; a removed copy that is
 * still mapped stays valid until unmapped.
 * Not for: loading (loader.c) or deciding what to run (rollback.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../cartridge/util/file_read.h"
#include "host_internal.h"
#include "../../cartridge/util/file_write.h"

#define INSTALL_CHUNK 65536 /* bytes read per call while hashing and copying */
#define INSTALL_PREFIX "cartridge-"

static int install_fail(char *errbuf, size_t errlen, int rc, const char *what, const char *path)
{
	if (errbuf != NULL && errlen > 0)
		snprintf(errbuf, errlen, "cartridge %s: %s: %s", path, what, strerror(errno));
	return rc;
}

int install_dir_prepare(struct whorl_host *h, const char *state_dir, char *errbuf, size_t errlen)
{
	const char *tmp = getenv("TMPDIR");

	if (state_dir != NULL) {
		if ((size_t)snprintf(h->install_dir, sizeof(h->install_dir), "%s/cartridges",
		                     state_dir) >= sizeof(h->install_dir))
			return WHORL_ELIMIT;
		if ((mkdir(state_dir, 0700) != 0 && errno != EEXIST) ||
		    (mkdir(h->install_dir, 0700) != 0 && errno != EEXIST))
			return install_fail(errbuf, errlen, WHORL_EIO, "cannot create",
			                    h->install_dir);
		return 0;
	}
	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	if ((size_t)snprintf(h->install_dir, sizeof(h->install_dir), "%s/whorl-host-XXXXXX", tmp) >=
	    sizeof(h->install_dir))
		return WHORL_ELIMIT;
	if (mkdtemp(h->install_dir) == NULL)
		return install_fail(errbuf, errlen, WHORL_EIO, "cannot create a directory in", tmp);
	h->install_dir_is_temp = 1;
	return 0;
}

/* BLAKE2b-256 of an open file, as lower-case hex. */
static int install_hash_fd(int fd, char *hex)
{
	unsigned char buf[INSTALL_CHUNK], out[HOST_HASH_BYTES];
	crypto_generichash_state st;
	ssize_t n;

	if (sodium_init() < 0)
		return WHORL_ENOMEM;
	crypto_generichash_init(&st, NULL, 0, sizeof(out));
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		crypto_generichash_update(&st, buf, (unsigned long long)n);
	if (n < 0)
		return WHORL_EIO;
	crypto_generichash_final(&st, out, sizeof(out));
	sodium_bin2hex(hex, HOST_HASH_HEX + 1, out, sizeof(out));
	return 0;
}

/* Copies fd (from its start) to a new temp file beside dst, then renames;
 * durable: fsync'd before the rename (a state directory's copy). */
static int install_copy(int in, const char *dst, int durable, char *errbuf, size_t errlen)
{
	unsigned char buf[INSTALL_CHUNK];
	char tmp[PATH_MAX + 16];
	int out, ok = 1;
	ssize_t n;

	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", dst);
	out = mkstemp(tmp);
	if (out < 0)
		return install_fail(errbuf, errlen, WHORL_EIO, "cannot create", tmp);
	if (lseek(in, 0, SEEK_SET) != 0)
		ok = 0;
	while (ok && (n = read(in, buf, sizeof(buf))) != 0)
		ok = n > 0 && file_write_all(out, buf, (size_t)n) == 0;
	ok = ok && fchmod(out, 0555) == 0 && (!durable || fsync(out) == 0);
	ok = close(out) == 0 && ok;
	if (ok && rename(tmp, dst) == 0)
		return 0;
	install_fail(errbuf, errlen, WHORL_EIO, "cannot install", dst);
	unlink(tmp);
	return WHORL_EIO;
}

int install_cartridge(struct whorl_host *h, const char *src, char *path_out, size_t path_len,
                      char *hash_out, char *errbuf, size_t errlen)
{
	struct stat st;
	int fd, rc, why = 0;

	rc = loader_check_perms(src, errbuf, errlen);
	if (rc != 0)
		return rc;
	fd = file_open_regular(src, 0, NULL, &why); /* never blocks on a FIFO */
	if (fd < 0) {
		if (errbuf != NULL && errlen > 0)
			snprintf(errbuf, errlen, "cartridge %s: cannot open: %s", src,
			         file_why_text(why));
		return WHORL_EIO;
	}
	rc = install_hash_fd(fd, hash_out);
	if (rc != 0) {
		install_fail(errbuf, errlen, rc, "cannot read", src);
		goto done;
	}
	if ((size_t)snprintf(path_out, path_len, "%s/" INSTALL_PREFIX "%s.so", h->install_dir,
	                     hash_out) >= path_len) {
		rc = WHORL_ELIMIT;
		goto done;
	}
	if (stat(path_out, &st) != 0 || !S_ISREG(st.st_mode))
		rc = install_copy(fd, path_out, !h->install_dir_is_temp, errbuf, errlen);
done:
	close(fd);
	return rc;
}

/* Removes the private directory and the copies in it. */
void install_dir_cleanup(struct whorl_host *h)
{
	char p[PATH_MAX + 300];
	struct dirent *d;
	DIR *dir;

	if (!h->install_dir_is_temp)
		return;
	dir = opendir(h->install_dir);
	if (dir == NULL)
		return;
	while ((d = readdir(dir)) != NULL) {
		if (strncmp(d->d_name, INSTALL_PREFIX, sizeof(INSTALL_PREFIX) - 1) != 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", h->install_dir, d->d_name);
		unlink(p);
	}
	closedir(dir);
	rmdir(h->install_dir);
	h->install_dir_is_temp = 0;
}

/* A copy's hash when name is exactly cartridge-<hex>.so, else NULL. */
static const char *install_name_hash(const char *name, char *hex)
{
	size_t plen = sizeof(INSTALL_PREFIX) - 1;

	if (strncmp(name, INSTALL_PREFIX, plen) != 0 || strlen(name) != plen + HOST_HASH_HEX + 3 ||
	    strcmp(name + plen + HOST_HASH_HEX, ".so") != 0)
		return NULL;
	memcpy(hex, name + plen, HOST_HASH_HEX);
	hex[HOST_HASH_HEX] = '\0';
	return hex;
}

void install_prune(const char *state_dir, const char *keep_a, const char *keep_b)
{
	char dir_path[PATH_MAX], p[PATH_MAX + 300], hex[HOST_HASH_HEX + 1];
	struct dirent *d;
	DIR *dir;

	if ((size_t)snprintf(dir_path, sizeof(dir_path), "%s/cartridges", state_dir) >=
	        sizeof(dir_path) ||
	    (dir = opendir(dir_path)) == NULL)
		return;
	while ((d = readdir(dir)) != NULL) {
		if (install_name_hash(d->d_name, hex) == NULL || strcmp(hex, keep_a) == 0 ||
		    strcmp(hex, keep_b) == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir_path, d->d_name);
		unlink(p);
	}
	closedir(dir);
}
