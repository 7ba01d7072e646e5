/*
 * cfg.c - reads cartridge.cfg: defaults, file loading, line splitting.
 *
 * A line is "key = value". Keys are case-insensitive and runs of blanks in
 * them count as one space ("Favor  Analysis over speed"); values are
 * trimmed and lose one pair of surrounding quotes. Lines whose first
 * non-blank character is '#' and blank lines are skipped; CRLF and a UTF-8
 * byte order mark are accepted. Every line is copied into a stack buffer
 * of CFG_MAX_LINE bytes before it is looked at; longer lines, lines with
 * control characters and lines without '=' are logged and skipped. The
 * file itself is bounded by CFG_MAX_FILE_BYTES. The last occurrence of a
 * key wins.
 *
 * Not for: the meaning of each key (cfg_keys.c), license.cfg (license.c),
 * the categories list (categories.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../log/log_bound.h"
#include "../util/file_read.h"
#include "cfg_internal.h"

/* Longest config_dir accepted: leaves room for "/publisher.pub" and the like. */
#define CFG_MAX_DIR (CFG_MAX_STR - 64)

static void cfg_copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

void cfg_defaults(struct cfg *c, const char *config_dir)
{
	size_t n;

	memset(c, 0, sizeof(*c));
	cfg_copy(c->config_dir, CFG_MAX_DIR, config_dir != NULL && *config_dir ? config_dir : ".");
	/* "etc/" and "etc" name the same directory; keep "/" itself. */
	n = strlen(c->config_dir);
	while (n > 1 && c->config_dir[n - 1] == '/')
		c->config_dir[--n] = '\0';
	cfg_copy(c->customer_id, sizeof(c->customer_id), "none");
	c->enable_micro_updates = 1;
	c->image_depth = CFG_IMAGE_HIGH;
	cfg_copy(c->cache_path, sizeof(c->cache_path), c->config_dir);
	cfg_copy(c->mu_hostname, sizeof(c->mu_hostname), "localhost");
	c->mu_interval_auto = 1;
	c->mu_interval_hours = 3;
	c->mu_port = 80;
	c->mu_timeout = 60;
	c->mu_trial_seconds = CFG_MU_TRIAL_DEFAULT;
	c->report_statistics = 1;
	c->use_ip_information = 1;
	cfg_path_resolve(c->config_dir, "publisher.pub", c->publisher_key,
	                 sizeof(c->publisher_key));
	cfg_path_resolve(c->config_dir, "collector.pub", c->statistics_key,
	                 sizeof(c->statistics_key));
	c->minimum_score = 50;
}

static int cfg_is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Lower-cases s[0..n) into out with blank runs as one space, trimmed. */
static void cfg_key_normalise(const char *s, size_t n, char *out)
{
	size_t o = 0;
	int pending_space = 0;

	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (cfg_is_blank(ch)) {
			pending_space = o > 0;
			continue;
		}
		if (pending_space)
			out[o++] = ' ';
		pending_space = 0;
		out[o++] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
	}
	out[o] = '\0';
}

/* Trims blanks and one pair of matching surrounding quotes, in place. */
static char *cfg_value_trim(char *v)
{
	size_t n;

	while (cfg_is_blank(*v))
		v++;
	n = strlen(v);
	while (n > 0 && cfg_is_blank(v[n - 1]))
		v[--n] = '\0';
	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
		v[n - 1] = '\0';
		v++;
	}
	return v;
}

/* 1 when line[0..n) holds a control character other than a tab. */
static int cfg_line_has_control(const char *line, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)line[i];
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return 1;
	}
	return 0;
}

/* Handles one line (without its line end), n <= CFG_MAX_LINE. */
static void cfg_line_apply(struct cfg *c, const char *s, size_t n, int line_no,
                           const struct logger *lg)
{
	char line[CFG_MAX_LINE + 1];
	char key[CFG_MAX_LINE + 1];
	size_t i = 0;
	char *eq;

	while (i < n && cfg_is_blank(s[i]))
		i++;
	if (i == n || s[i] == '#')
		return;
	if (cfg_line_has_control(s, n)) {
		log_warn(lg, CFG_MODULE,
		         "Malformed line %d in cartridge.cfg (control character), ignoring",
		         line_no);
		return;
	}
	memcpy(line, s, n);
	line[n] = '\0';
	eq = strchr(line, '=');
	if (eq == NULL || eq == line) {
		log_warn(lg, CFG_MODULE,
		         "Malformed line %d in cartridge.cfg (expected key = value), ignoring",
		         line_no);
		return;
	}
	*eq = '\0';
	cfg_key_normalise(line, (size_t)(eq - line), key);
	if (key[0] == '\0') {
		log_warn(lg, CFG_MODULE,
		         "Malformed line %d in cartridge.cfg (expected key = value), ignoring",
		         line_no);
		return;
	}
	cfg_key_apply(c, key, cfg_value_trim(eq + 1), lg);
}

/* The load-time lines the guide's Appendix A lists for these options. */
static void cfg_log_summary(const struct cfg *c, const struct logger *lg)
{
	if (c->consider_empty_spam)
		log_info(lg, CFG_MODULE, "Will consider empty messages as spam");
	else
		log_info(lg, CFG_MODULE, "Will not consider empty messages as spam");
	if (c->report_statistics && strcasecmp(c->customer_id, "none") == 0)
		log_warn(lg, CFG_MODULE,
		         "Statistics reporting is enabled, but \"customer id\" is set to \"none\". "
		         "Set it to your organization's name or feedback login name.");
}

static void cfg_lines_apply(struct cfg *c, const char *buf, size_t len, const struct logger *lg)
{
	size_t pos = 0;
	int line_no = 0;

	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t)(nl - buf) : len;
		size_t n = end - pos;

		line_no++;
		if (n > 0 && buf[pos + n - 1] == '\r')
			n--;
		if (n > CFG_MAX_LINE)
			log_warn(lg, CFG_MODULE,
			         "Line %d of cartridge.cfg is longer than %d bytes, ignoring",
			         line_no, CFG_MAX_LINE);
		else
			cfg_line_apply(c, buf + pos, n, line_no, lg);
		pos = end + 1;
	}
}

void cfg_parse(struct cfg *c, const char *buf, size_t len, const struct logger *lg)
{
	if (len > CFG_MAX_FILE_BYTES)
		log_error(lg, CFG_MODULE,
		          "cartridge.cfg is larger than %zu bytes, using default settings",
		          CFG_MAX_FILE_BYTES);
	else if (buf != NULL) {
		struct log_bound bound; /* 20,000 unknown keys: 20 lines and a count */
		log_bound_init(&bound, lg, LOG_BOUND_LINES);
		cfg_lines_apply(c, buf, len, &bound.lg);
		log_bound_end(&bound, CFG_MODULE, "cartridge.cfg");
	}
	cfg_log_summary(c, lg);
}

int cfg_load(struct cfg *c, const char *config_dir, const struct logger *lg)
{
	char path[CFG_MAX_STR + 32];
	char *buf = NULL;
	size_t n = 0;
	int why = 0, rc;

	cfg_defaults(c, config_dir);
	if (config_dir == NULL || strlen(config_dir) >= CFG_MAX_DIR) {
		log_error(lg, CFG_MODULE,
		          "Invalid configuration directory, using default settings");
		cfg_parse(c, NULL, 0, lg);
		return WHORL_ECONFIG;
	}
	snprintf(path, sizeof(path), "%s/cartridge.cfg", c->config_dir);
	rc = file_read_whole(path, 0, CFG_MAX_FILE_BYTES, &buf, &n, &why);
	if (rc != 0 && why == ENOENT) {
		log_info(lg, CFG_MODULE, "No config file %s, using default settings", path);
		rc = 0;
	} else if (rc == WHORL_ELIMIT) {
		log_error(lg, CFG_MODULE,
		          "Config file %s is larger than %zu bytes, using default settings", path,
		          CFG_MAX_FILE_BYTES);
	} else if (rc != 0) {
		log_error(lg, CFG_MODULE,
		          "Could not read config file %s (%s), using default settings", path,
		          file_why_text(why));
	}
	cfg_parse(c, buf, n, lg);
	free(buf);
	return rc;
}
