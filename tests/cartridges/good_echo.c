/*
 * good_echo.c - a small but complete test cartridge (test fixture only).
 *
 * It implements the whole table with a rule simple enough to assert on, so
 * the host library and the programs can be tested without the real engine:
 *   score:       90, category 1 ("spam"), subcategory 0 ("undefined") when
 *                the message has a line that is exactly "X-Test-Spam: yes"
 *                (LF or CRLF ended); else 5, category 0 ("clean") / 0.
 *                is_spam = score >= 50. rescan = 1 when the message has no
 *                blank line (no header/body boundary). analysis is
 *                "echo; rule=x-test-spam; score=90" or "echo; rule=none; score=5".
 *   fingerprint: one fp: engine WHORL_FP_BODY, algo_version 1, key = 64-bit
 *                FNV-1a of the message bytes; and one sketch: engine
 *                WHORL_FP_FUZZY, algo_version 1, 4 bytes = the message length
 *                (capped at 0xffffffff) big endian.
 *   open:        the configuration directory must exist (else WHORL_ECONFIG
 *                "config dir DIR: <errno text>"); logs INFO:ECHO "opened on DIR".
 *   self_test:   scores a built-in spam message and expects 90.
 *   update_now:  WHORL_ENOTSUP (the echo cartridge has no data to update).
 * Other test cartridges #include this file with ECHO_NO_ENTRY defined and
 * build a deliberately broken table from ECHO_API_FUNCTIONS.
 * Not for: anything outside tests/.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "whorl_cartridge.h"

#define ECHO_EXPORT __attribute__((visibility("default")))
#define ECHO_MINIMUM_SCORE 50u
#define ECHO_SPAM_SCORE 90u
#define ECHO_HAM_SCORE 5u
#define ECHO_SPAM_LINE "X-Test-Spam: yes"
#define ECHO_ANALYSIS_MAX 64

struct whorl_engine {
	void (*log)(void *ctx, int level, const char *module, const char *message);
	void *log_ctx;
	char *config_dir;
	atomic_ulong n_scored;
	atomic_ulong n_fingerprinted;
	int quiesced;
};

/* A verdict and its strings in one block. */
struct echo_verdict {
	struct whorl_verdict v;
	char analysis[ECHO_ANALYSIS_MAX];
};

/* A fingerprint set, its one fp, its one sketch and the sketch bytes. */
struct echo_fpset {
	struct whorl_fpset set;
	struct whorl_fp fp;
	struct whorl_sketch sketch;
	uint8_t sketch_bytes[4];
};

static void echo_log(const struct whorl_engine *e, int level, const char *message)
{
	if (e->log != NULL && !e->quiesced)
		e->log(e->log_ctx, level, "ECHO", message);
}

static int echo_config_check(const char *dir, char *errbuf, size_t errlen)
{
	struct stat st;

	if (dir == NULL || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(errbuf, errlen, "config dir %s: %s", dir != NULL ? dir : "(null)",
		         dir == NULL  ? "none given"
		         : errno != 0 ? strerror(errno)
		                      : "not a directory");
		return WHORL_ECONFIG;
	}
	return 0;
}

static int echo_open(const struct whorl_host_services *host, const char *config_dir,
                     whorl_engine **engine_out, char *errbuf, size_t errlen)
{
	struct whorl_engine *e;
	char line[300];
	int rc;

	*engine_out = NULL;
	errno = 0;
	rc = echo_config_check(config_dir, errbuf, errlen);
	if (rc != 0)
		return rc;
	e = calloc(1, sizeof(*e));
	if (e == NULL || (e->config_dir = strdup(config_dir)) == NULL) {
		free(e);
		snprintf(errbuf, errlen, "out of memory");
		return WHORL_ENOMEM;
	}
	if (host != NULL && WHORL_HAS_MEMBER(host, log)) {
		e->log = host->log;
		e->log_ctx = host->ctx;
	}
	snprintf(line, sizeof(line), "opened on %s", config_dir);
	echo_log(e, WHORL_LOG_INFO, line);
	*engine_out = e;
	return 0;
}

/* True when msg has a line that is exactly ECHO_SPAM_LINE. */
static int echo_has_spam_line(const char *msg, size_t len)
{
	size_t n = sizeof(ECHO_SPAM_LINE) - 1, i = 0, end;

	while (i < len) {
		const char *nl = memchr(msg + i, '\n', len - i);

		end = nl != NULL ? (size_t)(nl - msg) : len;
		if (end > i && msg[end - 1] == '\r' && nl != NULL)
			end--;
		if (end - i == n && memcmp(msg + i, ECHO_SPAM_LINE, n) == 0)
			return 1;
		if (nl == NULL)
			break;
		i = (size_t)(nl - msg) + 1;
	}
	return 0;
}

static int echo_has_blank_line(const char *msg, size_t len)
{
	return memmem(msg, len, "\n\n", 2) != NULL || memmem(msg, len, "\n\r\n", 3) != NULL;
}

static int echo_score(whorl_engine *e, const struct whorl_envelope *envelope, const char *msg,
                      size_t len, struct whorl_verdict **verdict_out)
{
	struct echo_verdict *ev;
	int spam;

	(void)envelope;
	*verdict_out = NULL;
	ev = calloc(1, sizeof(*ev));
	if (ev == NULL)
		return WHORL_ENOMEM;
	spam = echo_has_spam_line(msg, len);
	ev->v.size = sizeof(ev->v);
	ev->v.score = spam ? ECHO_SPAM_SCORE : ECHO_HAM_SCORE;
	ev->v.is_spam = ev->v.score >= ECHO_MINIMUM_SCORE;
	ev->v.category = spam ? 1 : 0;
	ev->v.subcategory = 0;
	ev->v.rescan = !echo_has_blank_line(msg, len);
	snprintf(ev->analysis, sizeof(ev->analysis), "echo; rule=%s; score=%u",
	         spam ? "x-test-spam" : "none", ev->v.score);
	ev->v.analysis = ev->analysis;
	ev->v.category_desc = spam ? "spam" : "clean";
	ev->v.subcategory_desc = "undefined";
	atomic_fetch_add(&e->n_scored, 1);
	*verdict_out = &ev->v;
	return 0;
}

static void echo_verdict_free(whorl_engine *e, struct whorl_verdict *v)
{
	(void)e;
	free(v); /* v is the first member of its echo_verdict */
}

static uint64_t echo_fnv1a64(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static int echo_fingerprint(whorl_engine *e, const char *msg, size_t len,
                            struct whorl_fpset **fpset_out)
{
	struct echo_fpset *ef;
	uint32_t n = len > 0xffffffffu ? 0xffffffffu : (uint32_t)len;

	*fpset_out = NULL;
	ef = calloc(1, sizeof(*ef));
	if (ef == NULL)
		return WHORL_ENOMEM;
	ef->fp.key = echo_fnv1a64(msg, len);
	ef->fp.engine = WHORL_FP_BODY;
	ef->fp.algo_version = 1;
	ef->sketch_bytes[0] = (uint8_t)(n >> 24);
	ef->sketch_bytes[1] = (uint8_t)(n >> 16);
	ef->sketch_bytes[2] = (uint8_t)(n >> 8);
	ef->sketch_bytes[3] = (uint8_t)n;
	ef->sketch.engine = WHORL_FP_FUZZY;
	ef->sketch.algo_version = 1;
	ef->sketch.len = sizeof(ef->sketch_bytes);
	ef->sketch.bytes = ef->sketch_bytes;
	ef->set.size = sizeof(ef->set);
	ef->set.n_fps = 1;
	ef->set.fps = &ef->fp;
	ef->set.n_sketches = 1;
	ef->set.sketches = &ef->sketch;
	ef->set.rescan = !echo_has_blank_line(msg, len);
	atomic_fetch_add(&e->n_fingerprinted, 1);
	*fpset_out = &ef->set;
	return 0;
}

static void echo_fpset_free(whorl_engine *e, struct whorl_fpset *fpset)
{
	(void)e;
	free(fpset);
}

static int echo_describe_category(whorl_engine *e, unsigned category, unsigned subcategory,
                                  char *category_out, size_t category_len, char *subcategory_out,
                                  size_t subcategory_len)
{
	static const char *const names[] = { "clean", "spam" };
	int known = category < 2 && subcategory == 0;

	(void)e;
	snprintf(category_out, category_len, "%s", category < 2 ? names[category] : "unknown");
	snprintf(subcategory_out, subcategory_len, "%s", known ? "undefined" : "unknown");
	return known ? 0 : WHORL_EINVAL;
}

static int echo_reload(whorl_engine *e, unsigned what)
{
	char why[300];

	(void)what;
	errno = 0;
	return echo_config_check(e->config_dir, why, sizeof(why));
}

static int echo_update_now(whorl_engine *e)
{
	(void)e;
	return WHORL_ENOTSUP;
}

static int echo_stats_snapshot(whorl_engine *e, char **text_out)
{
	char *text = malloc(128);

	*text_out = NULL;
	if (text == NULL)
		return WHORL_ENOMEM;
	snprintf(text, 128, "messages scored = %lu\nmessages fingerprinted = %lu\n",
	         atomic_load(&e->n_scored), atomic_load(&e->n_fingerprinted));
	*text_out = text;
	return 0;
}

static void echo_text_free(whorl_engine *e, char *text)
{
	(void)e;
	free(text);
}

static int echo_self_test(whorl_engine *e, char *errbuf, size_t errlen)
{
	static const char spam[] = "Subject: t\nX-Test-Spam: yes\n\nbody\n";
	struct whorl_verdict *v;
	int rc = echo_score(e, NULL, spam, sizeof(spam) - 1, &v);

	if (rc != 0 || v->score != ECHO_SPAM_SCORE) {
		snprintf(errbuf, errlen, "built-in spam did not score %u", ECHO_SPAM_SCORE);
		rc = WHORL_ESELFTEST;
	}
	echo_verdict_free(e, v);
	return rc;
}

static int echo_quiesce(whorl_engine *e)
{
	e->quiesced = 1; /* no threads to join; just drop the callback */
	return 0;
}

static void echo_close(whorl_engine *e)
{
	if (e == NULL)
		return;
	free(e->config_dir);
	free(e);
}

static const char *echo_strerror(int code)
{
	switch (code) {
	case WHORL_OK: return "success";
	case WHORL_ENOMEM: return "out of memory";
	case WHORL_ECONFIG: return "configuration unusable";
	case WHORL_ESELFTEST: return "self test failed";
	case WHORL_ENOTSUP: return "not supported by the echo cartridge";
	}
	return "echo cartridge error";
}

/* Every function member, for tables built by the odd cartridges. */
/* A cartridge that includes this file may bring its own score function. */
#ifndef ECHO_SCORE_FN
#define ECHO_SCORE_FN echo_score
#endif
#define ECHO_API_FUNCTIONS                                                                 \
	.open = echo_open, .score = ECHO_SCORE_FN, .verdict_free = echo_verdict_free,      \
	.fingerprint = echo_fingerprint, .fpset_free = echo_fpset_free,                    \
	.describe_category = echo_describe_category, .reload = echo_reload,                \
	.update_now = echo_update_now, .stats_snapshot = echo_stats_snapshot,              \
	.text_free = echo_text_free, .self_test = echo_self_test, .quiesce = echo_quiesce, \
	.close = echo_close, .strerror = echo_strerror

#define ECHO_CAPABILITIES (WHORL_CAP_SCORE | WHORL_CAP_FINGERPRINT)

#ifndef ECHO_NO_ENTRY
static const struct whorl_cartridge_api echo_api = {
	.size = sizeof(struct whorl_cartridge_api),
	.abi_major = WHORL_ABI_MAJOR,
	.abi_minor = WHORL_ABI_MINOR,
	.capabilities = ECHO_CAPABILITIES,
	.build_signature = WHORL_BUILD_SIGNATURE,
	.version = "whorl-test-echo 1.0",
	ECHO_API_FUNCTIONS,
};

ECHO_EXPORT const struct whorl_cartridge_api *whorl_cartridge_entry(uint32_t host_major,
                                                                    uint32_t host_minor)
{
	(void)host_minor;
	return host_major == WHORL_ABI_MAJOR ? &echo_api : NULL;
}
#endif
