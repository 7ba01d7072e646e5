/*
 * msg.c - one message and its envelope as the milter collects them,
 * bounded by "max body length" (what arrives past it is counted, not kept).
 * Not for: the libmilter callbacks (conn.c).
 */
#include <stdlib.h>
#include <string.h>

#include "milter.h"

#define WM_MSG_FIRST_CAP 16384 /* first buffer; doubled as the message grows */

struct wm_msg *wm_msg_new(void)
{
	struct wm_msg *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->buf = malloc(WM_MSG_FIRST_CAP);
	if (m->buf == NULL) {
		free(m);
		return NULL;
	}
	m->cap = WM_MSG_FIRST_CAP;
	return m;
}

void wm_msg_free(struct wm_msg *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n_rcpt; i++)
		free(m->rcpt[i]);
	free(m->buf);
	free(m);
}

int wm_msg_append(struct wm_msg *m, const char *p, size_t n, size_t max)
{
	if (m->len + n > max) {
		m->truncated = 1;
		n = max - m->len;
	}
	if (m->len + n > m->cap) {
		size_t cap = m->cap;
		char *nb;
		while (cap < m->len + n)
			cap *= 2;
		cap = cap < max ? cap : max;
		nb = realloc(m->buf, cap);
		if (nb == NULL)
			return WHORL_ENOMEM;
		m->buf = nb;
		m->cap = cap;
	}
	memcpy(m->buf + m->len, p, n);
	m->len += n;
	return 0;
}
