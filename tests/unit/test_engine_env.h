/*
 * test_engine_env.h - a throwaway publisher and gateway for the engine tests:
 * a temporary directory with a publisher key, a file:// mirror written with
 * publisher/lib from messages fingerprinted by the real cartridge.so (loaded
 * through libwhorl, as whorl-publish does), and gateway configuration
 * directories that load it.
 *
 * The cartridge is $WHORL_TEST_BUILD/lib/cartridge.so (default "build"),
 * the messages tests/data/engine/ under $WHORL_SRCDIR (default ".").
 * Header-only so each test program stays one .c file; not for production.
 */
#ifndef WHORL_TEST_ENGINE_ENV_H
#define WHORL_TEST_ENGINE_ENV_H

#include <check.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../host/whorl.h"
#include "../../host/libwhorl/host_internal.h" /* whorl_host_api/_engine: the raw table */
#include "../../publisher/lib/publish.h"

#define EENV_ROOT 64 /* the mkdtemp directory's name */
#define EENV_PATH 512
#define EENV_LOG_BYTES 16384 /* log lines kept, joined with '\n' */
#define EENV_MAX_MSG ((size_t)1 << 20)

/* The test mail was copied from a mail store behind mx1.example.com (as
 * whorl-publish's input usually is): name our gateway so that the ip
 * engine takes the sender's address, not mx1's own internal hop. */
#define EENV_GATEWAY_LINE "gateway received hosts = mx1.example.com"

#define CAT_LEGIT 0
#define CAT_SPAM 1
#define CAT_VIRUS 7

struct eenv {
	char root[EENV_ROOT]; /* everything lives under it */
	char mirror[EENV_PATH];
	char pub[EENV_PATH]; /* publisher.pub */
	struct publish_key *key;
	whorl_host *fp_host; /* fingerprints for the publisher (no data) */
	size_t n_fps;        /* distinct exact fingerprints of the last set */
	pthread_mutex_t log_lock;
	char log[EENV_LOG_BYTES];
};

static inline const char *eenv_build(void)
{
	const char *b = getenv("WHORL_TEST_BUILD");
	return b != NULL && *b ? b : "build";
}

static inline const char *eenv_srcdir(void)
{
	const char *s = getenv("WHORL_SRCDIR");
	return s != NULL && *s ? s : ".";
}

/* Log callback: keeps "LEVEL:MODULE: text" lines; any thread. */
static void eenv_log(void *ctx, int level, const char *module, const char *message)
{
	struct eenv *env = ctx;
	pthread_mutex_lock(&env->log_lock);
	size_t n = strlen(env->log);
	if (n < sizeof(env->log))
		snprintf(env->log + n, sizeof(env->log) - n, "%d:%s: %s\n", level, module, message);
	pthread_mutex_unlock(&env->log_lock);
}

static inline void eenv_log_clear(struct eenv *env)
{
	pthread_mutex_lock(&env->log_lock);
	env->log[0] = '\0';
	pthread_mutex_unlock(&env->log_lock);
}

static inline void eenv_write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");
	ck_assert_msg(f != NULL, "cannot write %s", path);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* Reads a whole file into malloc'd memory (NUL terminated). */
static inline char *eenv_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot read %s", path);
	char *buf = malloc(EENV_MAX_MSG + 1);
	ck_assert_ptr_nonnull(buf);
	*len = fread(buf, 1, EENV_MAX_MSG, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/* A message from tests/data/engine/. */
static inline char *eenv_msg(const char *name, size_t *len)
{
	char path[EENV_PATH];
	snprintf(path, sizeof(path), "%s/tests/data/engine/%s", eenv_srcdir(), name);
	return eenv_read_file(path, len);
}

/* Creates root/<name>/ as a gateway configuration directory: cartridge.cfg
 * loading the mirror with the pinned key, plus `extra` lines, and the
 * categories file of etc/ with one extra entry only that file names. */
static inline void eenv_config(struct eenv *env, const char *name, const char *extra, char *dir_out,
                               size_t dir_len)
{
	char path[EENV_PATH + 64], cfg[4096];
	size_t cats_len;
	ck_assert_int_lt(snprintf(dir_out, dir_len, "%s/%s", env->root, name), (int)dir_len);
	ck_assert_int_eq(mkdir(dir_out, 0700), 0);
	int n = snprintf(cfg, sizeof(cfg),
	                 "micro-update url = file://%s\npublisher key = %s\n"
	                 "enable micro-updates = yes\n%s\n%s\n",
	                 env->mirror, env->pub, EENV_GATEWAY_LINE, extra);
	snprintf(path, sizeof(path), "%s/cartridge.cfg", dir_out);
	eenv_write_file(path, cfg, (size_t)n);
	snprintf(path, sizeof(path), "%s/etc/categories", eenv_srcdir());
	char *cats = eenv_read_file(path, &cats_len);
	const char *mine = "8/0 etest-only undefined\n";
	memcpy(cats + cats_len, mine, strlen(mine)); /* room: EENV_MAX_MSG + 1 */
	snprintf(path, sizeof(path), "%s/categories", dir_out);
	eenv_write_file(path, cats, cats_len + strlen(mine));
	free(cats);
}

static inline int eenv_open(struct eenv *env, const char *config_dir, whorl_host **out)
{
	char cart[EENV_PATH], err[512] = "";
	snprintf(cart, sizeof(cart), "%s/lib/cartridge.so", eenv_build());
	struct whorl_host_options o = { .size = sizeof(o),
		                        .cartridge_path = cart,
		                        .config_dir = config_dir,
		                        .log = eenv_log,
		                        .log_ctx = env,
		                        .log_min_level = WHORL_LOG_DEBUG,
		                        .app_name = "test_engine" };
	int rc = whorl_host_open(&o, out, err, sizeof(err));
	ck_assert_msg(rc == 0, "whorl_host_open(%s, %s): %d %s", cart, config_dir, rc, err);
	return rc;
}

/* Sets up root, the key and the fingerprinting host (on an empty config). */
static inline void eenv_init(struct eenv *env)
{
	char path[EENV_PATH + 32], err[256] = "";
	memset(env, 0, sizeof(*env));
	pthread_mutex_init(&env->log_lock, NULL);
	snprintf(env->root, sizeof(env->root), "/tmp/whorl_test_engine.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(env->root));
	snprintf(env->mirror, sizeof(env->mirror), "%s/mirror", env->root);
	snprintf(path, sizeof(path), "%s/keys", env->root);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_msg(publish_keygen(path, err, sizeof(err)) == 0, "keygen: %s", err);
	snprintf(env->pub, sizeof(env->pub), "%s/keys/%s", env->root, PUBLISH_PUBLIC_KEY_FILE);
	snprintf(path, sizeof(path), "%s/keys/%s", env->root, PUBLISH_SECRET_KEY_FILE);
	env->key = publish_key_load(path, err, sizeof(err));
	ck_assert_msg(env->key != NULL, "key: %s", err);
	snprintf(path, sizeof(path), "%s/publisher-cfg", env->root);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	char cfg[EENV_PATH + 64];
	snprintf(cfg, sizeof(cfg), "%s/cartridge.cfg", path);
	eenv_write_file(cfg, EENV_GATEWAY_LINE "\n", strlen(EENV_GATEWAY_LINE) + 1);
	eenv_open(env, path, &env->fp_host);
}

static inline void eenv_fini(struct eenv *env)
{
	char cmd[EENV_PATH + 16];
	whorl_host_close(env->fp_host);
	publish_key_free(env->key);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", env->root);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", env->root);
}

/* Fingerprints msg with the real cartridge and adds every fingerprint and
 * sketch to the set under category/legit, as whorl-publish does. */
static inline void eenv_add(struct eenv *env, struct publish_set *s, const char *msg, size_t len,
                            unsigned category, int legit)
{
	struct whorl_fpset *fps = NULL;
	struct sigdb_meta m = { .category = (uint8_t)category,
		                .confidence = 90,
		                .flags = legit ? SIGDB_F_LEGIT : 0,
		                .first_seen = 20000,
		                .last_seen = 20000 };
	ck_assert_int_eq(whorl_host_fingerprint(env->fp_host, msg, len, &fps), 0);
	ck_assert_uint_gt(fps->n_fps, 0);
	for (size_t i = 0; i < fps->n_fps; i++) {
		struct sigdb_meta had;
		if (!publish_set_get_fp(s, fps->fps[i].engine, fps->fps[i].key, &had))
			env->n_fps++;
		ck_assert_int_eq(publish_set_add_fp(s, fps->fps[i].key, fps->fps[i].engine,
		                                    fps->fps[i].algo_version, &m),
		                 0);
	}
	for (size_t i = 0; i < fps->n_sketches; i++)
		ck_assert_int_eq(publish_set_add_sketch(
		                     s, fps->sketches[i].engine, fps->sketches[i].algo_version,
		                     fps->sketches[i].bytes, fps->sketches[i].len, &m),
		                 0);
	whorl_host_fpset_free(env->fp_host, fps);
}

/* Same, for a message in tests/data/engine/. */
static inline void eenv_add_file(struct eenv *env, struct publish_set *s, const char *name,
                                 unsigned category, int legit)
{
	size_t len;
	char *msg = eenv_msg(name, &len);
	eenv_add(env, s, msg, len, category, legit);
	free(msg);
}

/* Writes the set into the mirror (a delta when the mirror has a set). */
static inline void eenv_publish(struct eenv *env, const struct publish_set *s,
                                struct publish_result *res)
{
	char err[512] = "";
	struct publish_options o = { .out_dir = env->mirror };
	struct publish_result r;
	int rc = publish_write(env->key, s, &o, res != NULL ? res : &r, err, sizeof(err));
	ck_assert_msg(rc == 0, "publish_write: %d %s", rc, err);
}

/* Scores msg; the caller frees the verdict with whorl_host_verdict_free. */
static inline struct whorl_verdict *eenv_score(whorl_host *h, const char *msg, size_t len)
{
	struct whorl_verdict *v = NULL;
	int rc = whorl_host_score(h, NULL, msg, len, &v);
	ck_assert_msg(rc == 0 && v != NULL, "score: %d", rc);
	ck_assert_ptr_nonnull(v->analysis);
	return v;
}

/* Finds the newest delta data file ("sigs.<base>-<serial>.z.enc", the
 * highest serial) in the mirror; 0 when there is one. */
static inline int eenv_find_delta(const struct eenv *env, char *path, size_t len)
{
	DIR *d = opendir(env->mirror);
	struct dirent *de;
	unsigned long best = 0;
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name, *dash = strchr(n, '-');
		size_t nl = strlen(n);
		if (strncmp(n, "sigs.", 5) != 0 || dash == NULL || nl < 6 ||
		    strcmp(n + nl - 6, ".z.enc") != 0)
			continue;
		unsigned long serial = strtoul(dash + 1, NULL, 10);
		if (serial > best) {
			best = serial;
			ck_assert_int_lt(snprintf(path, len, "%s/%s", env->mirror, n), (int)len);
		}
	}
	closedir(d);
	return best > 0 ? 0 : -1;
}

/* Flips one byte in the middle of a file. */
static inline void eenv_flip_byte(const char *path)
{
	struct stat st;
	FILE *f = fopen(path, "r+b");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fstat(fileno(f), &st), 0);
	ck_assert_int_gt(st.st_size, 0);
	fseek(f, st.st_size / 2, SEEK_SET);
	int c = fgetc(f);
	fseek(f, st.st_size / 2, SEEK_SET);
	fputc(c ^ 0x01, f);
	fclose(f);
}

#endif
