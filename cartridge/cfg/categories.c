/*
 * categories.c - the categories list (the guide's .cats): numbers to names.
 *
 * One entry a line, "<category>/<subcategory> <name> <subname>", e.g.
 * "7/0 virus undefined"; '#' comments and blank lines are skipped. Lines
 * are at most CATS_MAX_LINE bytes, numbers at most CATS_MAX_NUMBER, names
 * 1..47 printable non-blank bytes, at most CATS_MAX entries, no duplicate
 * pair, one name per category number and one number per name (any case): anything else makes the whole file malformed and the list in use
 * is kept. categories_defaults() holds the same table as etc/categories
 * (tests/unit/test_cfg_categories.c compares them).
 *
 * Not for: downloading the cats source (update/).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cfg_internal.h"

#define CATS_MAX_LINE 256    /* longest line in a categories file */
#define CATS_MAX_NUMBER 9999 /* largest category or subcategory number */

/* Built-in table; etc/categories must list exactly these. */
static const struct category_name cats_builtin[] = {
	{ 0, 0, "legit", "undefined" },    { 0, 1, "legit", "personal" },
	{ 0, 2, "legit", "newsletter" },   { 0, 3, "legit", "transactional" },
	{ 0, 4, "legit", "mailing-list" }, { 1, 0, "spam", "undefined" },
	{ 1, 1, "spam", "pharma" },        { 1, 2, "spam", "stock" },
	{ 1, 3, "spam", "replica" },       { 1, 4, "spam", "adult" },
	{ 1, 5, "spam", "dating" },        { 1, 6, "spam", "loans" },
	{ 1, 7, "spam", "seo" },           { 1, 8, "spam", "image" },
	{ 2, 0, "bulk", "undefined" },     { 2, 1, "bulk", "marketing" },
	{ 2, 2, "bulk", "newsletter" },    { 3, 0, "phishing", "undefined" },
	{ 3, 1, "phishing", "banking" },   { 3, 2, "phishing", "credentials" },
	{ 3, 3, "phishing", "payment" },   { 3, 4, "phishing", "delivery" },
	{ 4, 0, "fraud", "undefined" },    { 4, 1, "fraud", "advance-fee" },
	{ 4, 2, "fraud", "lottery" },      { 4, 3, "fraud", "bec" },
	{ 4, 4, "fraud", "extortion" },    { 5, 0, "malware", "undefined" },
	{ 5, 1, "malware", "attachment" }, { 5, 2, "malware", "link" },
	{ 5, 3, "malware", "macro" },      { 7, 0, "virus", "undefined" },
	{ 7, 1, "virus", "worm" },         { 7, 2, "virus", "trojan" },
};

void categories_defaults(struct categories *cats)
{
	size_t n = sizeof(cats_builtin) / sizeof(cats_builtin[0]);

	memset(cats, 0, sizeof(*cats));
	memcpy(cats->names, cats_builtin, sizeof(cats_builtin));
	cats->n = (int)n;
}

/* Reads a number of 1-4 digits at *p; -1 when there is none. */
static int cats_number(const char **p, const char *end, unsigned *out)
{
	unsigned v = 0;
	int digits = 0;

	while (*p < end && **p >= '0' && **p <= '9') {
		if (++digits > 4)
			return -1;
		v = v * 10 + (unsigned)(**p - '0');
		(*p)++;
	}
	if (digits == 0 || v > CATS_MAX_NUMBER)
		return -1;
	*out = v;
	return 0;
}

static int cats_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Reads one name (printable, non-blank) into out[48] after skipping blanks. */
static int cats_name(const char **p, const char *end, char *out, size_t size)
{
	size_t n = 0;

	if (*p >= end || !cats_blank(**p))
		return -1;
	while (*p < end && cats_blank(**p))
		(*p)++;
	while (*p < end && !cats_blank(**p)) {
		unsigned char ch = (unsigned char)**p;
		if (ch < 0x21 || ch == 0x7f || n + 1 >= size)
			return -1;
		out[n++] = (char)ch;
		(*p)++;
	}
	out[n] = '\0';
	return n > 0 ? 0 : -1;
}

static int cats_find(const struct categories *cats, unsigned cat, unsigned sub)
{
	for (int i = 0; i < cats->n; i++)
		if (cats->names[i].category == cat && cats->names[i].subcategory == sub)
			return i;
	return -1;
}

/* Why a file was refused, written only when the caller asked (why != NULL). */
static int cats_refuse(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int cats_refuse(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && why_len > 0) {
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return WHORL_EFORMAT;
}

/* The first conflict of e with the entries so far, described; 0 if none. */
static int cats_conflict(const struct categories *cats, const struct category_name *e, char *why,
                         size_t why_len)
{
	if (cats->n >= CATS_MAX)
		return cats_refuse(why, why_len, "more than %d entries", CATS_MAX);
	if (cats_find(cats, e->category, e->subcategory) >= 0)
		return cats_refuse(why, why_len, "%u/%u is listed twice", e->category,
		                   e->subcategory);
	/* One number, one name and back: "3/0 phishing" conflicts with
	 * "3/1 spam" and with "4/0 Phishing" (names compare in any case). */
	for (int i = 0; i < cats->n; i++) {
		const struct category_name *o = &cats->names[i];
		if (o->category == e->category && strcmp(o->name, e->name) != 0)
			return cats_refuse(why, why_len, "category %u is already named \"%s\"",
			                   e->category, o->name);
		if (o->category != e->category && strcasecmp(o->name, e->name) == 0)
			return cats_refuse(why, why_len, "name \"%s\" is already category %u",
			                   e->name, o->category);
	}
	return 0;
}

/* Parses the entry in s[0..n) (no line end, not a comment) into cats. */
static int cats_entry_add(struct categories *cats, const char *s, size_t n, char *why,
                          size_t why_len)
{
	const char *p = s, *end = s + n;
	struct category_name e;

	memset(&e, 0, sizeof(e));
	if (cats_number(&p, end, &e.category) != 0 || p >= end || *p++ != '/' ||
	    cats_number(&p, end, &e.subcategory) != 0 ||
	    cats_name(&p, end, e.name, sizeof(e.name)) != 0 ||
	    cats_name(&p, end, e.sub_name, sizeof(e.sub_name)) != 0)
		return cats_refuse(why, why_len,
		                   "not \"<category>/<subcategory> <name> <subname>\" "
		                   "(numbers 0-%d, names 1-47 printable bytes)",
		                   CATS_MAX_NUMBER);
	while (p < end && cats_blank(*p))
		p++;
	if (p != end)
		return cats_refuse(why, why_len, "text after the subcategory name");
	if (cats_conflict(cats, &e, why, why_len) != 0)
		return WHORL_EFORMAT;
	cats->names[cats->n++] = e;
	return 0;
}

/* Handles one line (without '\n'); blank lines and comments add nothing. */
static int cats_line(struct categories *cats, const char *s, size_t n, char *why, size_t why_len)
{
	size_t i = 0;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n > CATS_MAX_LINE)
		return cats_refuse(why, why_len, "longer than %d bytes", CATS_MAX_LINE);
	while (n > 0 && cats_blank(s[n - 1]))
		n--;
	while (i < n && cats_blank(s[i]))
		i++;
	if (i == n || s[i] == '#')
		return 0;
	return cats_entry_add(cats, s + i, n - i, why, why_len);
}

int categories_parse_why(struct categories *cats, const char *buf, size_t len, char *why,
                         size_t why_len)
{
	static const struct categories empty;
	struct categories next = empty;
	char line_why[160];
	size_t pos = 0, line = 0;

	if (buf == NULL)
		return cats_refuse(why, why_len, "no text");
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - (buf + pos)) : len - pos;

		line++;
		if (cats_line(&next, buf + pos, n, line_why, sizeof line_why) != 0)
			return cats_refuse(why, why_len, "line %zu: %s", line, line_why);
		pos += n + 1;
	}
	if (next.n == 0)
		return cats_refuse(why, why_len, "no entries");
	*cats = next;
	return 0;
}

int categories_parse(struct categories *cats, const char *buf, size_t len)
{
	return categories_parse_why(cats, buf, len, NULL, 0);
}

const char *categories_name(const struct categories *cats, unsigned category, unsigned subcategory,
                            const char **sub_name)
{
	const char *name = "unknown";
	int i = cats_find(cats, category, subcategory);

	if (sub_name != NULL)
		*sub_name = i >= 0 ? cats->names[i].sub_name : "unknown";
	if (i >= 0)
		return cats->names[i].name;
	/* Unknown subcategory of a known category: still name the category. */
	for (int j = 0; j < cats->n; j++)
		if (cats->names[j].category == category)
			return cats->names[j].name;
	return name;
}

int categories_lookup(const struct categories *cats, const char *name)
{
	for (int i = 0; i < cats->n; i++)
		if (strcasecmp(cats->names[i].name, name) == 0)
			return (int)cats->names[i].category;
	return -1;
}
