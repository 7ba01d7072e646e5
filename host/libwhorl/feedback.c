/*
 * feedback.c - whorl_feedback_record(): the one writer of feedback reports
 * ("this is spam", "this is not spam") into the local feedback spool, for
 * every front end (spamd TELL, HTTP POST /v1/feedback, the control
 * socket's REPORT, whorl-milter's ActiveFilter hook).
 *
 * A report is the fields of docs/FEEDBACK.md (class, action, reporter,
 * client, source, score, reason, content), then, when asked, the message's
 * fingerprints and sketches computed by the running cartridge through the
 * ABI's fingerprint() member (which exists "for publishing and feedback"),
 * then the message itself unless the caller asked for fingerprints only.
 * Caller text (reporter, client, reason) is cleaned here: control bytes
 * become '?', and it is cut at WHORL_FEEDBACK_TEXT_MAX bytes, so a field
 * can never end early or forge another field.
 * Not for: the spool's file layout (spool.c) or sending reports anywhere
 * (the publisher's collector reads the spool).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "whorl_daemon.h"

/* Names of the classes, indexed by enum whorl_feedback_class. */
static const char *const feedback_feedback_classnames[] = { "none", "spam", "ham" };

/* The fields of one report, each a malloc'd "Name: value" line. */
struct feedback_fields {
	char **v;
	size_t n, cap;
	int failed;
};

static void fields_add(struct feedback_fields *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fields_add(struct feedback_fields *f, const char *fmt, ...)
{
	va_list ap;
	char **grown, *s;
	int n;

	if (f->failed)
		return;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		grown = realloc(f->v, cap * sizeof(*grown));
		if (grown == NULL) {
			f->failed = 1;
			return;
		}
		f->v = grown, f->cap = cap;
	}
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (s == NULL) {
		f->failed = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	f->v[f->n++] = s;
}

static void fields_free(struct feedback_fields *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i]);
	free(f->v);
}

/* Caller text made safe for one field: control bytes become '?', cut at
 * WHORL_FEEDBACK_TEXT_MAX - 1 bytes, NULL or empty becomes `dflt`. */
static void feedback_clean(const char *s, const char *dflt, char *out)
{
	size_t i;

	if (s == NULL || *s == '\0')
		s = dflt;
	for (i = 0; s[i] != '\0' && i + 1 < WHORL_FEEDBACK_TEXT_MAX; i++)
		out[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	out[i] = '\0';
}

static void feedback_actions(struct feedback_fields *f, unsigned actions)
{
	static const char *const names[] = { "set-local", "set-remote", "remove-local",
		                             "remove-remote" };
	char line[96] = "";

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (actions & (1u << i))
			snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s",
			         line[0] ? " " : "", names[i]);
	fields_add(f, "X-Whorl-Feedback-Action: %s", line);
}

/* The fingerprint and sketch fields of the message (docs/FEEDBACK.md). */
static int feedback_fingerprints(struct feedback_fields *f, whorl_host *h, const char *msg,
                                 size_t len)
{
	struct whorl_fpset *fps = NULL;
	int rc = whorl_host_fingerprint(h, msg, len, &fps);

	if (rc != 0)
		return rc;
	fields_add(f, "X-Whorl-Feedback-Rescan: %d", fps->rescan ? 1 : 0);
	for (size_t i = 0; i < fps->n_fps; i++)
		fields_add(f, "X-Whorl-Feedback-Fingerprint: %s v%u %016llx %04x",
		           whorl_fp_engine_name(fps->fps[i].engine),
		           (unsigned)fps->fps[i].algo_version, (unsigned long long)fps->fps[i].key,
		           (unsigned)fps->fps[i].flags);
	for (size_t i = 0; i < fps->n_sketches && !f->failed; i++) {
		const struct whorl_sketch *sk = &fps->sketches[i];
		char *hex = malloc((size_t)sk->len * 2 + 1);
		if (hex == NULL) {
			f->failed = 1;
			break;
		}
		for (size_t b = 0; b < sk->len; b++)
			snprintf(hex + 2 * b, 3, "%02x", sk->bytes[b]);
		hex[(size_t)sk->len * 2] = '\0';
		fields_add(f, "X-Whorl-Feedback-Sketch: %s v%u %s",
		           whorl_fp_engine_name(sk->engine), (unsigned)sk->algo_version, hex);
		free(hex);
	}
	whorl_host_fpset_free(h, fps);
	return 0;
}

static int feedback_valid(whorl_host *h, const char *spool_dir, const struct whorl_feedback *fb,
                          const char *msg)
{
	if (spool_dir == NULL || *spool_dir == '\0' || fb == NULL ||
	    fb->size < sizeof(struct whorl_feedback) || msg == NULL)
		return 0;
	if (fb->feedback_class < WHORL_FEEDBACK_NONE || fb->feedback_class > WHORL_FEEDBACK_HAM)
		return 0;
	if ((fb->content & ~(WHORL_FEEDBACK_MESSAGE | WHORL_FEEDBACK_FINGERPRINTS)) != 0 ||
	    fb->content == 0)
		return 0;
	return h != NULL || !(fb->content & WHORL_FEEDBACK_FINGERPRINTS);
}

int whorl_feedback_record(whorl_host *h, const char *spool_dir, const struct whorl_feedback *fb,
                          const char *msg, size_t len, char *name_out, size_t name_len)
{
	struct feedback_fields f = { 0 };
	char reporter[WHORL_FEEDBACK_TEXT_MAX], client[WHORL_FEEDBACK_TEXT_MAX],
	    source[WHORL_FEEDBACK_TEXT_MAX], reason[WHORL_FEEDBACK_TEXT_MAX];
	int with_msg, rc = 0;

	if (!feedback_valid(h, spool_dir, fb, msg))
		return WHORL_EINVAL;
	with_msg = (fb->content & WHORL_FEEDBACK_MESSAGE) != 0;
	feedback_clean(fb->reporter, "(unknown)", reporter);
	feedback_clean(fb->client, "local", client);
	feedback_clean(fb->source, "api", source);
	fields_add(&f, "X-Whorl-Feedback-Class: %s",
	           feedback_feedback_classnames[fb->feedback_class]);
	feedback_actions(&f, fb->actions);
	fields_add(&f, "X-Whorl-Feedback-User: %s", reporter);
	fields_add(&f, "X-Whorl-Feedback-Client: %s", client);
	fields_add(&f, "X-Whorl-Feedback-Source: %s", source);
	if (fb->score >= 0 && fb->score <= 100)
		fields_add(&f, "X-Whorl-Feedback-Score: %d", fb->score);
	if (fb->reason != NULL && *fb->reason != '\0') {
		feedback_clean(fb->reason, "", reason);
		fields_add(&f, "X-Whorl-Feedback-Reason: %s", reason);
	}
	fields_add(&f, "X-Whorl-Feedback-Content: %s",
	           fb->content == WHORL_FEEDBACK_MESSAGE        ? "message"
	           : fb->content == WHORL_FEEDBACK_FINGERPRINTS ? "fingerprints"
	                                                        : "message fingerprints");
	if (fb->content & WHORL_FEEDBACK_FINGERPRINTS)
		rc = feedback_fingerprints(&f, h, msg, len);
	if (rc == 0 && f.failed)
		rc = WHORL_ENOMEM;
	if (rc == 0)
		rc = whorl_spool_write(spool_dir, (const char *const *)f.v, f.n, msg,
		                       with_msg ? len : 0, name_out, name_len);
	fields_free(&f);
	return rc;
}

int whorl_feedback_class_parse(const char *s, size_t len)
{
	static const struct {
		const char *word;
		int feedback_class;
	} words[] = { { "spam", WHORL_FEEDBACK_SPAM },
		      { "ham", WHORL_FEEDBACK_HAM },
		      { "not-spam", WHORL_FEEDBACK_HAM },
		      { "notspam", WHORL_FEEDBACK_HAM } };

	for (size_t i = 0; s != NULL && i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i].word) == len && strncasecmp(s, words[i].word, len) == 0)
			return words[i].feedback_class;
	return WHORL_EINVAL;
}

const char *whorl_feedback_class_name(int feedback_class)
{
	return feedback_class >= WHORL_FEEDBACK_NONE && feedback_class <= WHORL_FEEDBACK_HAM
	           ? feedback_feedback_classnames[feedback_class]
	           : "unknown";
}
