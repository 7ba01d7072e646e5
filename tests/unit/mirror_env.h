/*
 * mirror_env.h - the fixture the update tests share: a private directory
 * with a fresh publisher key pair, a file:// mirror to publish into and a
 * cache directory, and a cartridge configuration naming all three.
 *
 * Not for: engines (test_engine_env.h), network mirrors (tests/integration/).
 */
#ifndef WHORL_TEST_MIRROR_ENV_H
#define WHORL_TEST_MIRROR_ENV_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../cartridge/cfg/cfg.h"
#include "../../publisher/lib/publish.h"

struct mirror_env {
	char root[256], mirror[300], keys[300], cache[300];
	struct cfg cfg; /* micro-update url, publisher key, cache path */
	struct publish_key *key;
};

/* /tmp/whorl_test_<name>.XXXXXX and everything in it. */
static inline void mirror_env_open(struct mirror_env *m, const char *name)
{
	char err[512];
	memset(m, 0, sizeof *m);
	snprintf(m->root, sizeof m->root, "/tmp/whorl_test_%s.XXXXXX", name);
	ck_assert_ptr_nonnull(mkdtemp(m->root));
	snprintf(m->mirror, sizeof m->mirror, "%s/mirror", m->root);
	snprintf(m->keys, sizeof m->keys, "%s/keys", m->root);
	snprintf(m->cache, sizeof m->cache, "%s/cache", m->root);
	mkdir(m->keys, 0700);
	ck_assert_int_eq(publish_keygen(m->keys, err, sizeof err), 0);
	ck_assert_int_lt(snprintf(err, sizeof err, "%s/publisher.key", m->keys), (int)sizeof err);
	m->key = publish_key_load(err, err, sizeof err);
	ck_assert_ptr_nonnull(m->key);
	snprintf(m->cfg.mu_url, sizeof m->cfg.mu_url, "file://%s", m->mirror);
	snprintf(m->cfg.publisher_key, sizeof m->cfg.publisher_key, "%s/publisher.pub", m->keys);
	snprintf(m->cfg.cache_path, sizeof m->cfg.cache_path, "%s", m->cache);
}

static inline void mirror_env_close(struct mirror_env *m)
{
	char cmd[600];
	publish_key_free(m->key);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", m->root);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", m->root);
}

#endif
