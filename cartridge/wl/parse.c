/*
 * parse.c - one whitelist line into one entry: the "key = [value]; ..."
 * fields, then the entry its type asks for, with its regex compiled.
 *
 * A bracketed value runs to the first ']' that is followed by the end of
 * the line or by "; key =" (so a regex may hold ']' and ';'); an unbracketed
 * value runs to the next ';'. Every failure has a short reason that goes
 * into "Malformed line '<line>', <why>, skipping".
 *
 * Not for: reading files or logging (list.c), matching (match.c).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <pcre2.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "wl_internal.h"

enum wl_key {
	K_TYPE,
	K_ADDRESS,
	K_HEADER,
	K_VALUE,
	K_REGEX,
	K_COMMAND,
	K_N
};
static const char *const key_names[K_N] = {
	"type", "address", "header", "value", "regex", "command"
};

struct fields {
	const char *val[K_N];
	size_t len[K_N];
	int present[K_N];
};

static size_t skip_ws(const char *s, size_t i, size_t n)
{
	while (i < n && isspace((unsigned char)s[i]))
		i++;
	return i;
}

/* 1 when s[i..n) is the end of a field: spaces, then the end of the line,
 * or ';' and then the end or "key =". */
static int field_ends_at(const char *s, size_t i, size_t n)
{
	i = skip_ws(s, i, n);
	if (i == n)
		return 1;
	if (s[i] != ';')
		return 0;
	i = skip_ws(s, i + 1, n);
	if (i == n)
		return 1;
	size_t k = i;
	while (k < n && isalpha((unsigned char)s[k]))
		k++;
	return k > i && skip_ws(s, k, n) < n && s[skip_ws(s, k, n)] == '=';
}

static int key_find(const char *k, size_t n)
{
	for (int i = 0; i < K_N; i++)
		if (strlen(key_names[i]) == n && strncasecmp(key_names[i], k, n) == 0)
			return i;
	return -1;
}

/* Reads the value at s[*i..n) into f[key]; advances *i past it. */
static int value_read(const char *s, size_t *i, size_t n, const char **v, size_t *vlen,
                      struct wl_parse_error *err)
{
	size_t p = *i;
	if (p < n && s[p] == '[') {
		for (size_t j = p + 1; j < n; j++)
			if (s[j] == ']' && field_ends_at(s, j + 1, n)) {
				*v = s + p + 1;
				*vlen = j - p - 1;
				*i = j + 1;
				return 0;
			}
		snprintf(err->why, sizeof(err->why), "missing ']'");
		return -1;
	}
	size_t end = p;
	while (end < n && s[end] != ';')
		end++;
	size_t e = end;
	while (e > p && isspace((unsigned char)s[e - 1]))
		e--;
	*v = s + p;
	*vlen = e - p;
	*i = end;
	return 0;
}

static int fields_read(const char *s, size_t n, struct fields *f, struct wl_parse_error *err)
{
	memset(f, 0, sizeof(*f));
	size_t i = 0;
	for (;;) {
		i = skip_ws(s, i, n);
		if (i == n)
			return 0;
		if (s[i] == ';') {
			i++;
			continue;
		}
		size_t k = i;
		while (k < n && s[k] != '=' && s[k] != ';')
			k++;
		if (k == n || s[k] != '=') {
			snprintf(err->why, sizeof(err->why), "missing '='");
			return -1;
		}
		size_t ke = k;
		while (ke > i && isspace((unsigned char)s[ke - 1]))
			ke--;
		int key = key_find(s + i, ke - i);
		if (key < 0) {
			snprintf(err->why, sizeof(err->why), "unknown key '%.*s'",
			         (int)(ke - i > 32 ? 32 : ke - i), s + i);
			return -1;
		}
		if (f->present[key]) {
			snprintf(err->why, sizeof(err->why), "duplicate key '%s'", key_names[key]);
			return -1;
		}
		i = skip_ws(s, k + 1, n);
		if (value_read(s, &i, n, &f->val[key], &f->len[key], err) != 0)
			return -1;
		f->present[key] = 1;
		i = skip_ws(s, i, n);
		if (i < n && s[i] != ';') {
			snprintf(err->why, sizeof(err->why), "expected ';' after %s",
			         key_names[key]);
			return -1;
		}
	}
}

static int type_find(const struct fields *f, enum wl_type *t)
{
	static const char *const names[WL_N_TYPES] = { "host", "header", "body", "envelope" };
	for (int i = 0; i < WL_N_TYPES; i++)
		if (strlen(names[i]) == f->len[K_TYPE] &&
		    strncasecmp(names[i], f->val[K_TYPE], f->len[K_TYPE]) == 0) {
			*t = (enum wl_type)i;
			return 0;
		}
	return -1;
}

/* Keys each type takes (besides "type"). */
static const unsigned type_keys[WL_N_TYPES] = {
	[WL_HOST] = 1u << K_ADDRESS,
	[WL_HEADER] = (1u << K_HEADER) | (1u << K_VALUE),
	[WL_BODY] = 1u << K_REGEX,
	[WL_ENVELOPE] = (1u << K_COMMAND) | (1u << K_VALUE),
};

static int regex_compile(const char *p, size_t len, void *gctx, struct wl_entry *e,
                         struct wl_parse_error *err)
{
	int code;
	PCRE2_SIZE off;
	pcre2_compile_context *cctx = pcre2_compile_context_create(gctx);
	if (cctx == NULL) {
		snprintf(err->why, sizeof(err->why), "out of memory");
		return -1;
	}
	/* Bounded nesting: a hostile pattern cannot exhaust the compiler. */
	pcre2_set_parens_nest_limit(cctx, 64);
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)p, len, 0, &code, &off, cctx);
	pcre2_compile_context_free(cctx);
	if (re == NULL) {
		PCRE2_UCHAR msg[120];
		if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", code);
		snprintf(err->why, sizeof(err->why), "malformed regex (%s at offset %zu)",
		         (char *)msg, (size_t)off);
		return -1;
	}
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* the interpreter when JIT is missing */
	e->re = re;
	return 0;
}

static int command_find(const char *v, size_t n, enum wl_command *c)
{
	static const char *const names[] = { "helo", "mail from", "rcpt to" };
	for (int i = 0; i < 3; i++)
		if (strlen(names[i]) == n && strncasecmp(names[i], v, n) == 0) {
			*c = (enum wl_command)i;
			return 0;
		}
	return -1;
}

static int entry_build(const struct fields *f, enum wl_type t, void *gctx, struct wl_entry *e,
                       struct wl_parse_error *err)
{
	const char *why = NULL;
	e->type = t;
	switch (t) {
	case WL_HOST:
		if (!f->present[K_ADDRESS] || f->len[K_ADDRESS] == 0)
			why = "missing address";
		else if (wl_host_parse(f->val[K_ADDRESS], f->len[K_ADDRESS], e, &why) == 0)
			return 0;
		break;
	case WL_HEADER:
		if (!f->present[K_HEADER] || f->len[K_HEADER] == 0)
			why = "missing header";
		else if (f->len[K_HEADER] >= sizeof(e->name))
			why = "header name too long";
		else if (!f->present[K_VALUE] || f->len[K_VALUE] == 0)
			why = "missing command or regex";
		else {
			memcpy(e->name, f->val[K_HEADER], f->len[K_HEADER]);
			e->name[f->len[K_HEADER]] = '\0';
			return regex_compile(f->val[K_VALUE], f->len[K_VALUE], gctx, e, err);
		}
		break;
	case WL_BODY:
		if (!f->present[K_REGEX] || f->len[K_REGEX] == 0)
			why = "missing command or regex";
		else
			return regex_compile(f->val[K_REGEX], f->len[K_REGEX], gctx, e, err);
		break;
	case WL_ENVELOPE:
		if (!f->present[K_COMMAND] || f->len[K_COMMAND] == 0 || !f->present[K_VALUE] ||
		    f->len[K_VALUE] == 0)
			why = "missing command or regex";
		else if (command_find(f->val[K_COMMAND], f->len[K_COMMAND], &e->command) != 0)
			why = "unknown command";
		else
			return regex_compile(f->val[K_VALUE], f->len[K_VALUE], gctx, e, err);
		break;
	default: why = "unknown type";
	}
	snprintf(err->why, sizeof(err->why), "%s", why);
	return -1;
}

int wl_line_parse(const char *s, size_t n, void *gctx, struct wl_entry *e,
                  struct wl_parse_error *err)
{
	struct fields f;
	enum wl_type t;
	memset(e, 0, sizeof(*e));
	if (fields_read(s, n, &f, err) != 0)
		return -1;
	if (!f.present[K_TYPE] || f.len[K_TYPE] == 0) {
		snprintf(err->why, sizeof(err->why), "missing type");
		return -1;
	}
	if (type_find(&f, &t) != 0) {
		snprintf(err->why, sizeof(err->why), "unknown type");
		return -1;
	}
	for (int k = K_ADDRESS; k < K_N; k++)
		if (f.present[k] && !(type_keys[t] & (1u << k))) {
			snprintf(err->why, sizeof(err->why), "unexpected key '%s' for type %s",
			         key_names[k], wl_type_name(t));
			return -1;
		}
	return entry_build(&f, t, gctx, e, err);
}
