/*
 * dcfg.c - reads whorld.cfg: defaults, the file, and splitting lines.
 *
 * The line syntax is cartridge.cfg's (docs/CONFIG.md): "key = value", keys
 * case-insensitive with blank runs as one space, '#' starts a comment line,
 * one pair of surrounding quotes is dropped, CRLF accepted. The host cannot
 * link the cartridge's reader (the ABI is the only thing that crosses), so
 * this is the host side's own, small copy of that syntax. Each line is
 * bounded by WHORL_DCFG_LINE_MAX and the file by WHORL_DCFG_FILE_MAX.
 * Not for: what each key means (dcfg_keys.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "../../cartridge/util/file_read.h"
#include "whorl_daemon.h"
#include "dcfg_internal.h"

void whorl_dcfg_defaults(struct whorl_dcfg *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->spamd_listen.a[0].addr, sizeof(c->spamd_listen.a[0].addr), "127.0.0.1");
	c->spamd_listen.a[0].port = 783;
	c->spamd_listen.n = 1;
	c->unix_socket_mode = 0660;
	c->threads = 2;
	c->max_message_size = 10u << 20;
	c->request_deadline_ms = 20000;
	c->queue_size = 64;
	c->max_connections = 1024;
	c->idle_timeout_ms = 10000;
	c->client_timeout_ms = 30000;
	c->drain_timeout_ms = 10000;
	c->spamd_protocol = 1;
	c->rspamc_protocol = 1;
	c->cloudmark_api = 1;
	c->minimum_score = 50;
	c->feedback_content = WHORL_FEEDBACK_MESSAGE;
	c->log_destination = WHORL_DLOG_AUTO;
	c->log_level = WHORL_LOG_INFO;
	c->log_scans = 1;
	c->syslog_facility = LOG_MAIL;
}

static int dcfg_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Lower-cases s[0..n) into out (room for n + 1) with blank runs as one
 * space, trimmed at both ends. */
static void dcfg_key_normalise(const char *s, size_t n, char *out)
{
	size_t o = 0;
	int pending = 0;

	for (size_t i = 0; i < n; i++) {
		if (dcfg_blank(s[i])) {
			pending = o > 0;
			continue;
		}
		if (pending)
			out[o++] = ' ';
		pending = 0;
		out[o++] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
	}
	out[o] = '\0';
}

/* Trims value blanks and drops one pair of matching quotes, in place. */
static char *dcfg_value_trim(char *v)
{
	size_t n;

	while (dcfg_blank(*v))
		v++;
	n = strlen(v);
	while (n > 0 && dcfg_blank(v[n - 1]))
		v[--n] = '\0';
	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
		v[n - 1] = '\0';
		v++;
	}
	return v;
}

/* Splits one line and applies it: first through extra (when not NULL),
 * then, when extra says the key is not its own, as a common key. */
static int dcfg_line_apply(struct whorl_dcfg *c, const char *line, size_t len,
                           whorl_dcfg_extra_fn extra, void *ctx, char *why, size_t why_len)
{
	char copy[WHORL_DCFG_LINE_MAX + 1], key[WHORL_DCFG_LINE_MAX + 1];
	char *eq, *p;

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	if (len > WHORL_DCFG_LINE_MAX) {
		snprintf(why, why_len, "line longer than %u bytes", WHORL_DCFG_LINE_MAX);
		return WHORL_ECONFIG;
	}
	memcpy(copy, line, len);
	copy[len] = '\0';
	if (strlen(copy) != len) {
		snprintf(why, why_len, "NUL byte in line");
		return WHORL_ECONFIG;
	}
	for (p = copy; dcfg_blank(*p); p++)
		;
	if (*p == '\0' || *p == '#')
		return 0;
	for (const char *q = p; *q != '\0'; q++) {
		if ((unsigned char)*q < 0x20 && *q != '\t') {
			snprintf(why, why_len, "control character in line");
			return WHORL_ECONFIG;
		}
	}
	eq = strchr(p, '=');
	if (eq == NULL) {
		snprintf(why, why_len, "no '=' in line");
		return WHORL_ECONFIG;
	}
	dcfg_key_normalise(p, (size_t)(eq - p), key);
	p = dcfg_value_trim(eq + 1);
	if (extra != NULL) {
		int rc = extra(ctx, key, p, why, why_len);
		if (rc != WHORL_DCFG_NOT_MINE)
			return rc;
	}
	return dcfg_key_apply(c, key, p, why, why_len);
}

int whorl_dcfg_line(struct whorl_dcfg *c, const char *line, size_t len, char *why, size_t why_len)
{
	return dcfg_line_apply(c, line, len, NULL, NULL, why, why_len);
}

static void dcfg_error(struct whorl_dcfg_errors *errs, const char *path, unsigned lineno,
                       const char *why)
{
	if (errs == NULL || errs->n >= WHORL_DCFG_ERRORS_MAX)
		return;
	if (lineno > 0)
		snprintf(errs->line[errs->n++], sizeof(errs->line[0]), "%s:%u: %s", path, lineno,
		         why);
	else
		snprintf(errs->line[errs->n++], sizeof(errs->line[0]), "%s: %s", path, why);
}

/* Reads the whole file (a regular file, bounded) into a malloc'd,
 * NUL-terminated buffer through file_read: a FIFO or device is refused at
 * once, never blocked on or read without end. */
static int dcfg_read_file(const char *path, char **out, size_t *len_out, char *why, size_t why_len)
{
	int err = 0, rc = file_read_whole(path, 0, WHORL_DCFG_FILE_MAX, out, len_out, &err);

	if (rc == WHORL_ELIMIT)
		snprintf(why, why_len, "larger than %u bytes", WHORL_DCFG_FILE_MAX);
	else if (rc != 0)
		snprintf(why, why_len, "cannot open: %s", file_why_text(err));
	return rc == WHORL_ELIMIT ? WHORL_EIO : rc;
}

int whorl_dcfg_load(const char *path, struct whorl_dcfg *c, struct whorl_dcfg_errors *errs)
{
	return whorl_dcfg_load_ext(path, c, NULL, NULL, errs);
}

int whorl_dcfg_load_ext(const char *path, struct whorl_dcfg *c, whorl_dcfg_extra_fn extra,
                        void *ctx, struct whorl_dcfg_errors *errs)
{
	char why[256], *buf, *line, *end;
	size_t len;
	unsigned lineno = 0;
	int rc, failed = 0;

	rc = dcfg_read_file(path, &buf, &len, why, sizeof(why));
	if (rc != 0) {
		dcfg_error(errs, path, 0, why);
		return rc;
	}
	line = buf;
	/* A UTF-8 byte order mark is accepted, as in cartridge.cfg. */
	if (len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0)
		line += 3;
	while (line < buf + len) {
		end = memchr(line, '\n', (size_t)(buf + len - line));
		if (end == NULL)
			end = buf + len;
		lineno++;
		if (dcfg_line_apply(c, line, (size_t)(end - line), extra, ctx, why, sizeof(why)) !=
		    0) {
			dcfg_error(errs, path, lineno, why);
			failed = 1;
		}
		line = end + 1;
	}
	free(buf);
	if (!failed && (rc = dcfg_check(c, why, sizeof(why))) != 0) {
		dcfg_error(errs, path, 0, why);
		failed = 1;
	}
	return failed ? WHORL_ECONFIG : 0;
}
