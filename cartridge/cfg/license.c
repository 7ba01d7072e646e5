/*
 * license.c - reads license.cfg: line 1 the numeric license id, line 2 the
 * password (the HTTP basic auth credentials of the update client).
 *
 * The file is read with file_read_whole (regular files only, at most
 * LICENSE_MAX_BYTES); every copy of the password outside struct license is
 * wiped with sodium_memzero, and
 * license_clear() wipes the struct. Trailing blanks and CRLF are tolerated,
 * lines after the second are ignored. Nothing is logged for a missing or
 * malformed file: that is reported by the update module when it needs the
 * license, with the texts from license_error_text().
 *
 * Not for: checking the license with a server (update/).
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/file_read.h"
#include "cfg_internal.h"

#define LICENSE_MAX_BYTES 4096 /* a larger license.cfg is malformed */

/* Next line of buf[*pos..len) with trailing blanks and CR removed. */
static const char *license_line(const char *buf, size_t len, size_t *pos, size_t *line_len)
{
	const char *start = buf + *pos;
	const char *nl = memchr(start, '\n', len - *pos);
	size_t n = nl != NULL ? (size_t)(nl - start) : len - *pos;

	*pos += n + (nl != NULL);
	while (n > 0 && (start[n - 1] == '\r' || start[n - 1] == ' ' || start[n - 1] == '\t'))
		n--;
	*line_len = n;
	return start;
}

/* Parses a license id: leading blanks, then 1-19 digits; -1 otherwise. */
static int license_id_parse(const char *s, size_t n, unsigned long *id)
{
	unsigned long long v = 0;
	size_t i = 0, digits = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	for (; i < n; i++, digits++) {
		if (s[i] < '0' || s[i] > '9' || digits >= 19)
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (digits == 0 || v == 0 || v > (unsigned long long)(unsigned long)-1)
		return -1;
	*id = (unsigned long)v;
	return 0;
}

static int license_parse(struct license *l, const char *buf, size_t len)
{
	size_t pos = 0, id_len, pw_len;
	const char *id_line, *pw_line;

	if (len > LICENSE_MAX_BYTES || memchr(buf, '\0', len) != NULL)
		return WHORL_ECONFIG;
	id_line = license_line(buf, len, &pos, &id_len);
	if (pos >= len)
		return WHORL_ECONFIG;
	pw_line = license_line(buf, len, &pos, &pw_len);
	if (license_id_parse(id_line, id_len, &l->id) != 0)
		return WHORL_ECONFIG;
	if (pw_len == 0 || pw_len >= sizeof(l->password)) {
		l->id = 0;
		return WHORL_ECONFIG;
	}
	memcpy(l->password, pw_line, pw_len);
	l->password[pw_len] = '\0';
	l->valid = 1;
	return 0;
}

int license_load(struct license *l, const char *config_dir, const struct logger *lg)
{
	char path[CFG_MAX_STR + 32];
	char *buf = NULL;
	size_t n = 0;
	int rc, why = 0;

	license_clear(l);
	if (config_dir == NULL ||
	    (size_t)snprintf(path, sizeof(path), "%s/license.cfg", config_dir) >= sizeof(path))
		return WHORL_EINVAL;
	rc = file_read_whole(path, 0, LICENSE_MAX_BYTES, &buf, &n, &why);
	if (rc != 0 && why == ENOENT)
		return WHORL_ENODATA;
	l->present = 1;
	if (rc == 0)
		rc = license_parse(l, buf, n);
	else if (rc == WHORL_ELIMIT)
		rc = WHORL_ECONFIG; /* a larger license.cfg is malformed */
	else
		log_error(lg, CFG_MODULE, "Could not read license file %s (%s)", path,
		          file_why_text(why));
	if (buf != NULL)
		sodium_memzero(buf, n);
	free(buf);
	return rc;
}

void license_clear(struct license *l)
{
	sodium_memzero(l, sizeof(*l));
}

const char *license_error_text(int rc, const char *config_dir, char *buf, size_t len)
{
	const char *dir = config_dir != NULL ? config_dir : "(none)";

	switch (rc) {
	case 0: return NULL;
	case WHORL_ENODATA:
		snprintf(buf, len,
		         "Could not update signatures from network (missing license file "
		         "[%s/license.cfg]).",
		         dir);
		break;
	case WHORL_ECONFIG:
		snprintf(buf, len,
		         "Could not update signatures from network (malformed license id "
		         "in %s/license.cfg).",
		         dir);
		break;
	default:
		snprintf(buf, len,
		         "Could not update signatures from network (could not read license "
		         "file [%s/license.cfg]).",
		         dir);
		break;
	}
	return buf;
}
