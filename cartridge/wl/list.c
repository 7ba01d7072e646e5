/*
 * list.c - a whole whitelist: compiling a text line by line (with the
 * guide's log lines), reading whitelist.cfg, freeing, and the statistics
 * lines.
 *
 * Not for: the grammar of one line (parse.c) or matching (match.c).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../log/log_bound.h"
#include "../util/file_read.h"
#include "wl_internal.h"

#define WL_LOG_LINE 512 /* characters of a malformed line shown in the log */
#define WL_MOD "WHITELIST"

const char *wl_type_name(enum wl_type t)
{
	static const char *const names[WL_N_TYPES] = { "host", "header", "body", "envelope" };
	return (unsigned)t < WL_N_TYPES ? names[t] : "unknown";
}

const char *wl_kind_name(enum wl_kind k)
{
	return k == WL_AWL ? "awl" : "local";
}

/* The guide's module names, as in "(Host whitelist) enabled with ...". */
static const char *const module_names[WL_N_TYPES] = { "Host whitelist", "Header whitelist",
	                                              "Body whitelist", "Envelope whitelist" };

void wl_free(struct wl *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->n; i++)
		pcre2_code_free(w->entries[i].re);
	pcre2_match_context_free(w->mctx);
	free(w->entries);
	free(w);
}

/* Copies a line for the log, control bytes shown as '.'. */
static void line_printable(const char *s, size_t n, char *out, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k + 1 < cap; i++)
		out[k++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '.' : s[i];
	out[k] = '\0';
}

static int line_has_control(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			return 1;
	return 0;
}

static void line_malformed(const struct logger *lg, const char *s, size_t n, const char *why)
{
	char shown[WL_LOG_LINE];
	line_printable(s, n, shown, sizeof(shown));
	log_warn(lg, WL_MOD, "Malformed line '%s', %s, skipping", shown, why);
}

/* Handles one line; adds its entry to w when it is one. */
static void line_take(struct wl *w, const char *s, size_t n, unsigned line_no,
                      const struct logger *lg)
{
	size_t lead = 0;
	while (lead < n && (s[lead] == ' ' || s[lead] == '\t'))
		lead++;
	if (lead == n || s[lead] == '#')
		return;
	struct wl_parse_error err = { { 0 } };
	if (n > WL_MAX_LINE)
		snprintf(err.why, sizeof(err.why), "line longer than %d bytes", WL_MAX_LINE);
	else if (line_has_control(s, n))
		snprintf(err.why, sizeof(err.why), "control character");
	else if (w->n == WL_MAX_ENTRIES)
		snprintf(err.why, sizeof(err.why), "more than %d entries", WL_MAX_ENTRIES);
	if (err.why[0] == '\0') {
		struct wl_entry *e = &w->entries[w->n];
		if (wl_line_parse(s, n, NULL, e, &err) == 0) {
			e->line = line_no;
			w->per_type[e->type]++;
			w->n++;
			return;
		}
	}
	line_malformed(lg, s, n, err.why);
}

static size_t count_lines(const char *text, size_t len)
{
	size_t n = 1;
	for (const char *p = text; (p = memchr(p, '\n', len - (size_t)(p - text))) != NULL; p++)
		n++;
	return n;
}

static void log_enabled(const struct wl *w, const struct logger *lg)
{
	for (int t = 0; t < WL_N_TYPES; t++)
		if (w->per_type[t] > 0)
			log_info(lg, WL_MOD, "(%s) %senabled with %zu %s", module_names[t],
			         w->kind == WL_AWL ? "Backend whitelist " : "", w->per_type[t],
			         w->per_type[t] == 1 ? "entry" : "entries");
}

struct wl *wl_compile(const char *text, size_t len, enum wl_kind kind, const struct logger *lg)
{
	struct wl *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->kind = kind;
	size_t cap = count_lines(text, len);
	if (cap > WL_MAX_ENTRIES)
		cap = WL_MAX_ENTRIES;
	w->entries = calloc(cap, sizeof(*w->entries));
	w->mctx = pcre2_match_context_create(NULL);
	if (w->entries == NULL || w->mctx == NULL) {
		wl_free(w);
		return NULL;
	}
	pcre2_set_match_limit(w->mctx, WL_MATCH_LIMIT);
	pcre2_set_depth_limit(w->mctx, WL_DEPTH_LIMIT);
	pcre2_set_heap_limit(w->mctx, WL_HEAP_LIMIT_KIB);
	unsigned line_no = 0;
	struct log_bound bound; /* 100,000 bad lines: 20 lines and a count */
	const struct logger *all_lg = lg;
	log_bound_init(&bound, all_lg, LOG_BOUND_LINES);
	lg = &bound.lg;
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t)(nl - text) : len, n = end - pos;
		line_no++;
		if (n > 0 && text[pos + n - 1] == '\r')
			n--;
		line_take(w, text + pos, n, line_no, lg);
		pos = end + 1;
	}
	char what[64];
	snprintf(what, sizeof(what), "the %s whitelist", wl_kind_name(kind));
	log_bound_end(&bound, WL_MOD, what);
	log_enabled(w, all_lg);
	return w;
}

/* Reads path whole (at most WL_MAX_FILE_BYTES, regular files only);
 * logs the path and the real cause when it cannot. */
static int wl_file_read(const char *path, const struct logger *lg, char **text, size_t *len)
{
	int why = 0, rc = file_read_whole(path, 0, WL_MAX_FILE_BYTES, text, len, &why);

	if (rc == 0)
		return 0;
	if (why == ENOENT) {
		log_warn(lg, WL_MOD,
		         "Could not find config file %s (%s), local whitelist will be disabled",
		         path, file_why_text(why));
		return WHORL_ENODATA;
	}
	log_warn(lg, WL_MOD, "Could not open config file %s (%s), local whitelist will be disabled",
	         path, rc == WHORL_ELIMIT ? "file too large" : file_why_text(why));
	return rc;
}

int wl_load_file(const char *config_dir, const struct logger *lg, struct wl **out)
{
	struct stat st;
	char path[4096];
	char *text = NULL;
	size_t len = 0;
	int rc = 0;
	*out = NULL;
	if (config_dir == NULL || stat(config_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		log_warn(lg, WL_MOD, "Invalid configuration directory");
	} else if ((size_t)snprintf(path, sizeof(path), "%s/%s", config_dir, WL_FILE) >=
	           sizeof(path)) {
		log_warn(lg, WL_MOD, "Invalid configuration directory");
	} else {
		rc = wl_file_read(path, lg, &text, &len);
		if (rc == WHORL_ENODATA)
			rc = 0; /* no file: an empty list */
		else if (rc != 0)
			return rc;
	}
	*out = wl_compile(text != NULL ? text : "", len, WL_LOCAL, lg);
	free(text);
	return *out != NULL ? rc : WHORL_ENOMEM;
}

static void put(char *buf, size_t cap, size_t *pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void put(char *buf, size_t cap, size_t *pos, const char *fmt, ...)
{
	if (*pos >= cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *pos, cap - *pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - *pos) {
		buf[*pos] = '\0'; /* never half a line */
		*pos = cap;
		return;
	}
	*pos += (size_t)n;
}

void wl_stats_format(const struct wl_stats *st, const struct wl *const lists[WL_N_KINDS], char *buf,
                     size_t cap, size_t *pos)
{
	/* The guide's order and names: header, envelope, body, ip. */
	static const enum wl_type order[WL_N_TYPES] = { WL_HEADER, WL_ENVELOPE, WL_BODY, WL_HOST };
	static const char *const stat_names[WL_N_TYPES] = { "ip", "header", "body", "envelope" };
	for (int k = 0; k < WL_N_KINDS; k++)
		for (int i = 0; i < WL_N_TYPES; i++)
			put(buf, cap, pos, "%s %s whitelist = %llu\n",
			    wl_kind_name((enum wl_kind)k), stat_names[order[i]],
			    (unsigned long long)atomic_load(&st->by_type[k][order[i]]));
	for (int k = 0; k < WL_N_KINDS; k++) {
		const struct wl *w = lists[k];
		for (size_t i = 0; w != NULL && i < w->n; i++) {
			unsigned long long hits = atomic_load(&w->entries[i].hits);
			if (hits > 0)
				put(buf, cap, pos, "%s whitelist entry hits = %s:%u:%llu\n",
				    wl_kind_name(w->kind), wl_type_name(w->entries[i].type),
				    w->entries[i].line, hits);
		}
	}
}
