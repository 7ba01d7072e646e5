/*
 * activefilter.c - whorl-milter's ActiveFilter (the Momentum cloudmark
 * module's score_af and its three modes, docs/FEEDBACK.md): a local
 * decision, read from a header an earlier filter, the MTA or the user set
 * ("activefilter header", e.g. SpamAssassin's X-Spam-Flag), is compared
 * with the verdict; when they disagree the message is reported to the
 * feedback spool through libwhorl's whorl_feedback_record() and, by mode:
 *
 *   keep     reported, delivered as it is
 *   move     reported, and the folder it belongs in written to
 *            X-Whorl-Folder ("activefilter spam folder" / "inbox folder")
 *            for the delivery agent (Sieve, procmail) to file it
 *   discard  reported, and the missed spam dropped
 *
 * Disagreement: the local decision is "not spam" (no header, or a value
 * other than yes/true/spam/1) and the score is at or above "activefilter
 * score" (score_af): reported as spam. The local decision is spam and the
 * verdict is not spam (below "minimum score"): reported as ham, in move
 * mode only (as Momentum says, keep and discard have nothing to undo).
 * Not for: the other actions (action.c, conn.c) or the spool (libwhorl).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libmilter/mfapi.h>

#include "milter.h"

#define WM_AF_FOLDER_HEADER "X-Whorl-Folder"

static const char *const wm_af_mode_names[] = { "off", "keep", "move", "discard" };

void wm_af_defaults(struct wm_af_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->mode = WM_AF_OFF;
	c->score = 90;
	snprintf(c->header, sizeof(c->header), "X-Spam-Flag");
	snprintf(c->spam_folder, sizeof(c->spam_folder), "Spam");
	snprintf(c->inbox_folder, sizeof(c->inbox_folder), "Inbox");
}

/* A header name or folder: printable, no blanks or ':' (a folder may
 * hold '/' and '.'), shorter than cap. */
static int wm_af_token(const char *v, size_t cap)
{
	if (*v == '\0' || strlen(v) >= cap)
		return 0;
	for (; *v != '\0'; v++)
		if (!isgraph((unsigned char)*v) || *v == ':')
			return 0;
	return 1;
}

int wm_af_key(struct wm_af_cfg *c, const char *key, const char *v, char *why, size_t why_len)
{
	char *end;
	unsigned long n;
	int bad = 0;

	if (strcmp(key, "activefilter mode") == 0) {
		bad = 1;
		for (unsigned i = 0; i < sizeof(wm_af_mode_names) / sizeof(char *); i++)
			if (strcasecmp(v, wm_af_mode_names[i]) == 0)
				c->mode = (enum wm_af_mode)i, bad = 0;
	} else if (strcmp(key, "activefilter score") == 0) {
		n = strtoul(v, &end, 10);
		bad = end == v || *end != '\0' || n > 100;
		c->score = bad ? c->score : (unsigned)n;
	} else if (strcmp(key, "activefilter header") == 0) {
		bad = !wm_af_token(v, sizeof(c->header));
		if (!bad)
			strcpy(c->header, v);
	} else if (strcmp(key, "activefilter spam folder") == 0) {
		bad = !wm_af_token(v, sizeof(c->spam_folder));
		if (!bad)
			strcpy(c->spam_folder, v);
	} else if (strcmp(key, "activefilter inbox folder") == 0) {
		bad = !wm_af_token(v, sizeof(c->inbox_folder));
		if (!bad)
			strcpy(c->inbox_folder, v);
	} else {
		return WHORL_DCFG_NOT_MINE;
	}
	if (bad) {
		snprintf(why, why_len, "%s = '%s': not a valid value (docs/WHORL-MILTER.md)", key,
		         v);
		return WHORL_ECONFIG;
	}
	return 0;
}

const char *wm_af_mode_name(enum wm_af_mode m)
{
	return (unsigned)m < 4 ? wm_af_mode_names[m] : "unknown";
}

void wm_af_header(const struct wm_af_cfg *c, struct wm_af_seen *s, const char *name,
                  const char *value)
{
	static const char *const spam_words[] = { "yes", "true", "spam", "1" };
	size_t n;

	if (c->mode == WM_AF_OFF)
		return;
	if (strcasecmp(name, WM_AF_FOLDER_HEADER) == 0)
		s->n_folder++;
	if (strcasecmp(name, c->header) != 0)
		return;
	value += strspn(value, " \t");
	n = strcspn(value, " \t\r\n,;");
	s->local_spam = 0;
	for (size_t i = 0; i < sizeof(spam_words) / sizeof(spam_words[0]); i++)
		if (n == strlen(spam_words[i]) && strncasecmp(value, spam_words[i], n) == 0)
			s->local_spam = 1;
}

void wm_af_decide(const struct wm_af_cfg *c, int local_spam, unsigned score, unsigned minimum,
                  struct wm_af_decision *d)
{
	memset(d, 0, sizeof(*d));
	if (c->mode == WM_AF_OFF)
		return;
	if (!local_spam && score >= c->score) {
		d->report = WHORL_FEEDBACK_SPAM;
		d->discard = c->mode == WM_AF_DISCARD;
		d->folder = c->mode == WM_AF_MOVE ? c->spam_folder : NULL;
		snprintf(d->reason, sizeof(d->reason),
		         "activefilter %s: local decision not spam, verdict %u >= score_af %u",
		         wm_af_mode_name(c->mode), score, c->score);
	} else if (local_spam && score < minimum && c->mode == WM_AF_MOVE) {
		d->report = WHORL_FEEDBACK_HAM;
		d->folder = c->inbox_folder;
		snprintf(d->reason, sizeof(d->reason),
		         "activefilter move: local decision spam, verdict %u < minimum score %u",
		         score, minimum);
	}
}

/* X-Whorl-Folder: the first copy changed (or added: libmilter adds a
 * header whose index is past the copies there), the others deleted. */
static void wm_af_folder_set(SMFICTX *ctx, const struct wm_af_seen *s, const char *folder)
{
	smfi_chgheader(ctx, (char *)WM_AF_FOLDER_HEADER, 1, (char *)folder);
	for (unsigned k = s->n_folder; k >= 2; k--)
		smfi_chgheader(ctx, (char *)WM_AF_FOLDER_HEADER, (int)k, NULL);
}

int wm_af_apply(void *smfi_ctx, const struct wm_cfg *cfg, whorl_host *host,
                const struct wm_af_seen *s, const struct wm_msg *m, const struct whorl_verdict *v,
                const char *queue_id)
{
	struct wm_af_decision d;
	struct whorl_feedback fb = { .size = sizeof(fb),
		                     .actions = WHORL_FEEDBACK_SET_LOCAL,
		                     .content = (unsigned)cfg->common.feedback_content,
		                     .reporter = m->n_rcpt > 0 ? m->rcpt[0] : NULL,
		                     .client = m->client_ip[0] ? m->client_ip : NULL,
		                     .source = "milter",
		                     .score = (int)v->score };
	char name[128];
	int rc;

	wm_af_decide(&cfg->af, s->local_spam, v->score, cfg->common.minimum_score, &d);
	if (d.report == 0)
		return 0;
	fb.feedback_class = d.report;
	fb.reason = d.reason;
	rc = whorl_feedback_record(host, cfg->common.feedback_spool, &fb, m->buf, m->len, name,
	                           sizeof(name));
	if (rc != 0)
		whorl_dlog_write(WHORL_LOG_ERROR, "FEEDBACK",
		                 "%s: cannot record a report in %s: %s", queue_id,
		                 cfg->common.feedback_spool, whorl_strerror(rc));
	else
		whorl_dlog_write(WHORL_LOG_INFO, "FEEDBACK", "%s: reported %s (%s): %s", queue_id,
		                 whorl_feedback_class_name(d.report), d.reason, name);
	if (d.folder != NULL)
		wm_af_folder_set(smfi_ctx, s, d.folder);
	return d.discard;
}
