/*
 * action.c - from a verdict to what the milter does: the action by
 * category, score band or is-spam, and the SMTP reply text.
 * Not for: talking to the MTA (conn.c).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "milter.h"

enum wm_action wm_action_for(const struct wm_cfg *c, unsigned score, int is_spam,
                             const char *category)
{
	const struct wm_band *best = NULL;

	if (is_spam && category != NULL) {
		for (size_t i = 0; i < c->n_category_actions; i++)
			if (strcasecmp(c->category_actions[i].category, category) == 0)
				return c->category_actions[i].action;
	}
	for (size_t i = 0; i < c->n_bands; i++)
		if (score >= c->bands[i].score && (best == NULL || c->bands[i].score > best->score))
			best = &c->bands[i];
	if (best != NULL)
		return best->action;
	return is_spam ? c->spam_action : c->ham_action;
}

/* Appends s to out (room WM_REPLY_MAX), keeping only printable bytes and
 * doubling '%' (libmilter's smfi_setreply reads the text as a format). */
static size_t wm_reply_put(char *out, size_t o, const char *s)
{
	for (; *s != '\0' && o + 3 < WM_REPLY_MAX; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			continue;
		out[o++] = *s;
		if (*s == '%')
			out[o++] = '%';
	}
	out[o] = '\0';
	return o;
}

int wm_reply_format(const char *tmpl, const char *category, unsigned score, char *rcode,
                    char *xcode, char *text)
{
	const char *p = tmpl;
	size_t n, o = 0;
	char num[16];

	if (!((p[0] == '4' || p[0] == '5') && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
	      p[2] <= '9' && (p[3] == ' ' || p[3] == '\0')))
		return WHORL_EINVAL;
	memcpy(rcode, p, 3);
	rcode[3] = '\0';
	p += 3;
	p += strspn(p, " ");
	n = strspn(p, "0123456789.");
	xcode[0] = '\0';
	if (n > 0 && (p[n] == ' ' || p[n] == '\0') && p[0] == tmpl[0] && n < 16) {
		memcpy(xcode, p, n);
		xcode[n] = '\0';
		p += n;
		p += strspn(p, " ");
	}
	text[0] = '\0';
	for (; *p != '\0' && o + 3 < WM_REPLY_MAX; p++) {
		if (*p == '%' && p[1] == 'c') {
			o = wm_reply_put(text, o, category != NULL ? category : "unknown");
			p++;
		} else if (*p == '%' && p[1] == 's') {
			snprintf(num, sizeof(num), "%u", score);
			o = wm_reply_put(text, o, num);
			p++;
		} else if (*p == '%' && p[1] == '%') {
			o = wm_reply_put(text, o, "%");
			p++;
		} else {
			char one[2] = { *p, '\0' };
			o = wm_reply_put(text, o, one);
		}
	}
	return 0;
}
