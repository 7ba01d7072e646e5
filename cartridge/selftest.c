/*
 * selftest.c - the engine checks itself before a host trusts it.
 *
 * Verifies the hash every fingerprint is built from against a pinned value
 * (a build whose hash differs would match nothing ever published), then
 * fingerprints and scores a built-in message end to end. Used by hosts
 * before switching to a newly loaded cartridge.
 *
 * The built-in message is scanned with the live configuration less the
 * keys that legitimately limit what a scan reads (max body length): a
 * postmaster's limit must not make the engine refuse to start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "util/hash.h"

#define SELFTEST_HASH_INPUT "whorl self test"
#define SELFTEST_HASH_VALUE 0x7ca62c349b129393ull

static const char selftest_msg[] =
    "From: Self Test <selftest@example.org>\r\n"
    "To: postmaster@example.org\r\n"
    "Subject: whorl self test\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "\r\n"
    "<html><body><p>This message checks that parsing, rendering and fingerprinting work "
    "from start to finish before the engine is trusted with real mail.</p>"
    "<p>Visit <a href=\"http://selftest.example.org/path\">the test page</a>.</p>"
    "</body></html>\r\n";

/* Fingerprints and scores the built-in message with cfg. */
static int self_test_scans(whorl_engine *e, const struct cfg *cfg, char *errbuf, size_t errlen)
{
	struct whorl_fpset *fps = NULL;
	int rc = scan_fingerprint_cfg(e, cfg, selftest_msg, sizeof(selftest_msg) - 1, &fps);
	if (rc != 0 || fps->n_fps == 0 || fps->n_sketches == 0) {
		snprintf(errbuf, errlen, "fingerprinting the built-in message failed (%s)",
		         rc != 0 ? engine_strerror(rc) : "no fingerprints");
		scan_fpset_free(e, fps);
		return WHORL_ESELFTEST;
	}
	scan_fpset_free(e, fps);
	struct whorl_verdict *v = NULL;
	rc = scan_score_uncounted(e, cfg, NULL, selftest_msg, sizeof(selftest_msg) - 1, &v);
	if (rc != 0 || v->score > 100 || v->analysis == NULL) {
		snprintf(errbuf, errlen, "scoring the built-in message failed (%s)",
		         rc != 0 ? engine_strerror(rc) : "bad verdict");
		scan_verdict_free(e, v);
		return WHORL_ESELFTEST;
	}
	scan_verdict_free(e, v);
	return 0;
}

int engine_self_test(whorl_engine *e, char *errbuf, size_t errlen)
{
	uint64_t h = whorl_hash64(SELFTEST_HASH_INPUT, strlen(SELFTEST_HASH_INPUT), 0);
	if (h != SELFTEST_HASH_VALUE) {
		snprintf(errbuf, errlen, "hash function differs from the published one (%016llx)",
		         (unsigned long long)h);
		return WHORL_ESELFTEST;
	}
	struct cfg *cfg = malloc(sizeof(*cfg));
	/* A slot held while copying: a reload frees the old configuration only
	 * after every slot busy at its swap is released (scratch.c). */
	struct scan_scratch *s = cfg != NULL ? engine_scratch_acquire(e) : NULL;
	if (s == NULL) {
		free(cfg);
		snprintf(errbuf, errlen, "out of memory");
		return WHORL_ENOMEM;
	}
	*cfg = *atomic_load(&e->cfg);
	engine_scratch_release(e, s);
	cfg->max_body_length = 0;
	int rc = self_test_scans(e, cfg, errbuf, errlen);
	free(cfg);
	return rc;
}
