/*
 * footer.c - text_strip_footers(): where the footers that mailing-list
 * managers append start, so that they are not fingerprinted.
 *
 * A footer ("___ / Foo mailing list / listinfo", the "-- " block of a list
 * such as ILUG, Yahoo! Groups sponsor and unsubscribe blocks) is not the
 * author's words, and it makes every post to a list look alike, including
 * the spam that reached it. Only the end of a text is looked at, one block at
 * a time (at most TEXT_FOOTER_MAX_CUTS, for stacked footers). A block is the
 * last paragraph: it starts after a blank line, or at an RFC 3676 signature
 * delimiter ("-- "); it is a footer when it names a list (a marker below: a
 * list manager's address or page), holds at most TEXT_FOOTER_MAX_LINES lines
 * and TEXT_FOOTER_MAX bytes, and enough stays before it: as many letters and digits as it holds, or at
 * least TEXT_FOOTER_MIN_KEPT (so a short message is never cut whole). A last
 * paragraph too long for a footer, or whose cut would leave too little, can
 * still end in one: then the cut is at its last line that names a list,
 * moved up over the lines right above it that read like a footer ("Foo
 * mailing list", an address, a link).
 *
 * Decoration lines (no letter or digit: dashes, equals signs, underscores,
 * asterisks, box drawing, ...) are transparent here: they neither start,
 * end nor count towards a block, as they count for nothing in the
 * normalised text. So adding or removing separator lines anywhere cannot
 * change what is cut (issue 9: a separator at the top of a message used to
 * make everything under it a "footer").
 *
 * Not for: signatures that name no list (they stay), HTML (its rendered
 * text comes here like any other).
 */
#include "text.h"

#include <string.h>

struct footer_marker {
	const char *text;
	size_t len;
};
#define FOOTER_MARKER(s)         \
	{                        \
		s, sizeof(s) - 1 \
	}
/* What list managers write and a message's own text hardly does: their
 * addresses and pages. Words any mail uses ("unsubscribe", "mailing list",
 * "sponsored by") are no marker: a spam's own closing lines are its text. */
static const struct footer_marker footer_markers[] = {
	FOOTER_MARKER("listinfo"),      FOOTER_MARKER("mailman"),
	FOOTER_MARKER("-request@"),     FOOTER_MARKER("-unsubscribe@"),
	FOOTER_MARKER("yahoo! groups"), FOOTER_MARKER("leave this list"),
	FOOTER_MARKER("list archive"),
};

static int is_alnum_ascii(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Code points that only decorate: dashes, bullets, box drawing, blocks,
 * geometric shapes, stars. */
static int decorative_cp(uint32_t cp)
{
	return (cp >= 0x2010 && cp <= 0x2015) || cp == 0x2022 || cp == 0x2026 || cp == 0x00B7 ||
	       cp == 0x00AD || (cp >= 0x2500 && cp <= 0x25FF) || cp == 0x2605 || cp == 0x2606;
}

/* 1 when s[0..n) holds no letter or digit and is not blank. */
static int line_is_decoration(const char *s, size_t n)
{
	int marks = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			if (is_alnum_ascii(c))
				return 0;
			marks |= !is_space(c);
			continue;
		}
		/* Only the 2- and 3-byte sequences above can decorate. */
		uint32_t cp;
		if ((c & 0xE0) == 0xC0 && i + 1 < n) {
			cp = (uint32_t)(c & 0x1F) << 6 | ((unsigned char)s[i + 1] & 0x3F);
			i += 1;
		} else if ((c & 0xF0) == 0xE0 && i + 2 < n) {
			cp = (uint32_t)(c & 0x0F) << 12 |
			     ((uint32_t)((unsigned char)s[i + 1] & 0x3F) << 6) |
			     ((unsigned char)s[i + 2] & 0x3F);
			i += 2;
		} else {
			return 0;
		}
		if (!decorative_cp(cp))
			return 0;
		marks = 1;
	}
	return marks;
}

static int line_is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_space((unsigned char)s[i]))
			return 0;
	return 1;
}

/* RFC 3676 4.3: "-- " alone on a line (the space is often lost). */
static int line_is_sig_delimiter(const char *s, size_t n)
{
	while (n > 0 && is_space((unsigned char)s[n - 1]))
		n--;
	return n == 2 && s[0] == '-' && s[1] == '-';
}

/* Words a footer's other lines hold ("Foo mailing list", its address):
 * they extend a footer upwards from a line that names a list, never start
 * one. */
static const struct footer_marker footer_words[] = {
	FOOTER_MARKER("mailing list"), FOOTER_MARKER("unsubscri"),
	FOOTER_MARKER("sponsored by"), FOOTER_MARKER("@"),
	FOOTER_MARKER("http"),
};

/* ASCII-only lower case (strncasecmp's folding in the C locale). */
static inline unsigned char lower_ascii(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* Whether s[0..n) starts with the lower-case literal lit[0..len), ignoring
 * ASCII case. */
static int starts_with_ci(const char *s, const char *lit, size_t len)
{
	for (size_t k = 0; k < len; k++)
		if (lower_ascii((unsigned char)s[k]) != (unsigned char)lit[k])
			return 0;
	return 1;
}

/* Whether s[0..n) holds one of m[0..n_m) (lower-case ASCII literals),
 * case-insensitively. A byte whose lower case starts no marker (a 128-bit
 * set of the markers' first bytes) is passed over with one test: this runs
 * over every line of a message's last paragraphs. */
static int has_marker(const char *s, size_t n, const struct footer_marker *m, size_t n_m)
{
	uint64_t starts[2] = { 0, 0 };
	for (size_t k = 0; k < n_m; k++) {
		unsigned char f = (unsigned char)m[k].text[0];
		starts[f >> 6] |= 1ull << (f & 63);
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = lower_ascii((unsigned char)s[i]);
		if (c >= 128 || ((starts[c >> 6] >> (c & 63)) & 1) == 0)
			continue;
		for (size_t k = 0; k < n_m; k++)
			if (c == (unsigned char)m[k].text[0] && i + m[k].len <= n &&
			    starts_with_ci(s + i, m[k].text, m[k].len))
				return 1;
	}
	return 0;
}

static int names_a_list(const char *s, size_t n)
{
	return has_marker(s, n, footer_markers, sizeof(footer_markers) / sizeof(footer_markers[0]));
}

static int footer_wording(const char *s, size_t n)
{
	return names_a_list(s, n) ||
	       has_marker(s, n, footer_words, sizeof(footer_words) / sizeof(footer_words[0]));
}

static size_t count_alnum(const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += is_alnum_ascii((unsigned char)s[i]);
	return k;
}

/* Whether t[0..n) holds at least `want` letters and digits; stops counting
 * there (the text before a footer can be the whole message). */
static int has_alnum(const char *t, size_t n, size_t want)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k < want; i++)
		k += is_alnum_ascii((unsigned char)t[i]);
	return k >= want;
}

/* Whether cutting t[0..n) at `cut` leaves enough of it. */
static int leaves_enough(const char *t, size_t cut, size_t n)
{
	size_t cut_off = count_alnum(t + cut, n - cut);
	return has_alnum(t, cut, cut_off < TEXT_FOOTER_MIN_KEPT ? cut_off : TEXT_FOOTER_MIN_KEPT);
}

/* Where the footer block ending at t[n] starts, or n when it is none. */
static size_t footer_block(const char *t, size_t n)
{
	size_t end = n, lines = 0, bytes = 0;
	size_t para = n;   /* start of the paragraph's highest line so far */
	size_t naming = n; /* the lowest line naming a list, extended upwards over
	                               the footer wording right above it */
	int extending = 0; /* the lines visited since `naming` all had footer wording */
	int closed = 0;    /* the paragraph's start was found within bounds */
	while (end > 0) {
		size_t start = end;
		while (start > 0 && t[start - 1] != '\n')
			start--;
		const char *s = t + start;
		size_t len = end - start;
		if (line_is_sig_delimiter(s, len)) {
			para = start;
			closed = 1;
			break;
		}
		if (line_is_blank(s, len)) {
			closed = para != n;
			if (closed)
				break;
		} else if (!line_is_decoration(s, len)) {
			if (++lines > TEXT_FOOTER_MAX_LINES || (bytes += len) > TEXT_FOOTER_MAX)
				break;
			para = start;
			if (naming == n ? names_a_list(s, len)
			                : extending && footer_wording(s, len)) {
				naming = start;
				extending = 1;
			} else {
				extending = 0;
			}
		}
		if (start == 0) {
			closed = para != n;
			break;
		}
		end = start - 1;
	}
	if (naming == n)
		return n;
	if (closed && leaves_enough(t, para, n))
		return para;
	return leaves_enough(t, naming, n) ? naming : n;
}

size_t text_strip_footers(const char *t, size_t n)
{
	for (int k = 0; k < TEXT_FOOTER_MAX_CUTS; k++) {
		size_t cut = footer_block(t, n);
		if (cut == n)
			break;
		n = cut;
	}
	return n;
}
