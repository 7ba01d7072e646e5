/*
 * html_style.c - the little CSS that decides whether text is visible:
 * inline style declarations and colours (style=, color=, bgcolor=).
 *
 * Hidden when: display:none; visibility:hidden|collapse; mso-hide:all;
 * font-size 0 in any unit, <= 1px/1pt, <= 0.1em/rem, <= 10%; opacity
 * <= 0.05; a zero height/width/max-height/max-width together with
 * overflow:hidden; text-indent, left or top <= -999px (pushed off screen);
 * colour transparent. Colour versus background is compared by the caller.
 *
 * Not for: style sheets (<style> is dropped whole), selectors, cascading.
 */
#include "text_internal.h"
#include "../util/hex.h"

#include <string.h>

struct named_color {
	const char *name;
	int32_t rgb;
};

/* The colours mail HTML actually names; others are treated as unknown. */
static const struct named_color named_colors[] = {
	{ "aqua", 0x00FFFF },   { "black", 0x000000 },      { "blue", 0x0000FF },
	{ "cyan", 0x00FFFF },   { "fuchsia", 0xFF00FF },    { "gainsboro", 0xDCDCDC },
	{ "gray", 0x808080 },   { "green", 0x008000 },      { "grey", 0x808080 },
	{ "ivory", 0xFFFFF0 },  { "lime", 0x00FF00 },       { "magenta", 0xFF00FF },
	{ "maroon", 0x800000 }, { "navy", 0x000080 },       { "olive", 0x808000 },
	{ "orange", 0xFFA500 }, { "purple", 0x800080 },     { "red", 0xFF0000 },
	{ "silver", 0xC0C0C0 }, { "snow", 0xFFFAFA },       { "teal", 0x008080 },
	{ "white", 0xFFFFFF },  { "whitesmoke", 0xF5F5F5 }, { "yellow", 0xFFFF00 },
};

/* Longest declaration name or value token looked at. */
#define STYLE_MAX_TOKEN 64

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static void trim(const char **s, size_t *n)
{
	while (*n > 0 && is_space((unsigned char)**s))
		(*s)++, (*n)--;
	while (*n > 0 && is_space((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

static int word_is(const char *s, size_t n, const char *w)
{
	size_t wl = strlen(w);
	if (n != wl)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)s[i]) != w[i])
			return 0;
	return 1;
}

static int32_t color_hex(const char *s, size_t n)
{
	int d[6];
	if (n != 3 && n != 6)
		return HTML_COLOR_NONE;
	for (size_t i = 0; i < n; i++)
		if ((d[i] = hex_digit_value((unsigned char)s[i])) < 0)
			return HTML_COLOR_NONE;
	if (n == 3)
		return (d[0] * 17) << 16 | (d[1] * 17) << 8 | d[2] * 17;
	return d[0] << 20 | d[1] << 16 | d[2] << 12 | d[3] << 8 | d[4] << 4 | d[5];
}

/* One rgb() component: "255", "100%"; clamps to 0..255. */
static int rgb_component(const char **p, const char *end)
{
	const char *s = *p;
	while (s < end && (is_space((unsigned char)*s) || *s == ','))
		s++;
	long v = 0;
	int digits = 0;
	while (s < end && *s >= '0' && *s <= '9') {
		if (v < 100000)
			v = v * 10 + (*s - '0');
		s++, digits++;
	}
	while (s < end && (*s == '.' || (*s >= '0' && *s <= '9')))
		s++;
	if (s < end && *s == '%') {
		v = v * 255 / 100;
		s++;
	}
	*p = s;
	if (digits == 0)
		return -1;
	return v > 255 ? 255 : (int)v;
}

/* rgb(r,g,b) / rgba(r,g,b,a): s[0..n) starts after "rgb(" or "rgba(". */
static int32_t color_rgb(const char *s, size_t n, int has_alpha)
{
	const char *p = s, *end = s + n;
	int r = rgb_component(&p, end), g = rgb_component(&p, end), b = rgb_component(&p, end);
	if (r < 0 || g < 0 || b < 0)
		return HTML_COLOR_NONE;
	if (has_alpha) {
		while (p < end && (is_space((unsigned char)*p) || *p == ',' || *p == '/'))
			p++;
		/* alpha 0, 0.0, 0.01...: see-through text */
		if (p < end && *p == '0') {
			const char *q = p + 1;
			if (q < end && *q == '.')
				q++;
			while (q < end && *q == '0')
				q++;
			if (q >= end || *q < '1' || *q > '9' || (q - p >= 3 && *q <= '5'))
				return HTML_COLOR_TRANSPARENT;
		}
	}
	return r << 16 | g << 8 | b;
}

int32_t html_color_parse(const char *s, size_t n)
{
	trim(&s, &n);
	if (n > 0 && s[0] == '#')
		return color_hex(s + 1, n - 1);
	if (n > 4 && word_is(s, 4, "rgb("))
		return color_rgb(s + 4, n - 4, 0);
	if (n > 5 && word_is(s, 5, "rgba("))
		return color_rgb(s + 5, n - 5, 1);
	if (word_is(s, n, "transparent"))
		return HTML_COLOR_TRANSPARENT;
	for (size_t i = 0; i < sizeof(named_colors) / sizeof(named_colors[0]); i++)
		if (word_is(s, n, named_colors[i].name))
			return named_colors[i].rgb;
	if (n == 6) /* legacy attribute form without '#' */
		return color_hex(s, n);
	return HTML_COLOR_NONE;
}

int html_color_hidden(int32_t fg, int32_t bg)
{
	if (fg == HTML_COLOR_TRANSPARENT)
		return 1;
	if (fg < 0 || bg < 0)
		return 0;
	for (int shift = 0; shift <= 16; shift += 8) {
		int d = ((fg >> shift) & 0xFF) - ((bg >> shift) & 0xFF);
		if (d > HTML_COLOR_NEAR || d < -HTML_COLOR_NEAR)
			return 0;
	}
	return 1;
}

/* A CSS length: number and unit. Returns 0 when s is not one. */
static int length_parse(const char *s, size_t n, double *num, char unit[4])
{
	size_t i = 0;
	int neg = 0;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	double v = 0, scale = 0;
	int digits = 0;
	for (; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			if (scale == 0)
				v = v < 1e9 ? v * 10 + (s[i] - '0') : v;
			else
				v += (s[i] - '0') * (scale /= 10);
			digits++;
		} else if (s[i] == '.' && scale == 0) {
			scale = 1;
		} else {
			break;
		}
	}
	if (digits == 0)
		return 0;
	size_t u = 0;
	while (i < n && u < 3 && (((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z') || s[i] == '%'))
		unit[u++] = (char)lower((unsigned char)s[i++]);
	unit[u] = '\0';
	*num = neg ? -v : v;
	return 1;
}

static int font_size_hidden(const char *v, size_t n)
{
	double x;
	char unit[4];
	if (!length_parse(v, n, &x, unit))
		return 0;
	if (x <= 0)
		return 1;
	if (!strcmp(unit, "px") || !strcmp(unit, "pt") || unit[0] == '\0')
		return x <= 1;
	if (!strcmp(unit, "em") || !strcmp(unit, "rem") || !strcmp(unit, "ex") ||
	    !strcmp(unit, "ch"))
		return x <= 0.1;
	if (!strcmp(unit, "%"))
		return x <= 10;
	return 0;
}

static int is_zero_length(const char *v, size_t n)
{
	double x;
	char unit[4];
	return length_parse(v, n, &x, unit) && x <= 0;
}

static int is_far_negative(const char *v, size_t n)
{
	double x;
	char unit[4];
	return length_parse(v, n, &x, unit) && x <= -999;
}

static int opacity_hidden(const char *v, size_t n)
{
	double x;
	char unit[4];
	return length_parse(v, n, &x, unit) && (unit[0] == '%' ? x <= 5 : x <= 0.05);
}

/* background: shorthand: the first token that is a colour. */
static int32_t background_color(const char *v, size_t n)
{
	size_t i = 0;
	while (i < n) {
		while (i < n && is_space((unsigned char)v[i]))
			i++;
		size_t start = i;
		int depth = 0;
		while (i < n && (depth > 0 || !is_space((unsigned char)v[i]))) {
			depth += v[i] == '(' ? 1 : v[i] == ')' ? -1 : 0;
			i++;
		}
		int32_t c = html_color_parse(v + start, i - start);
		if (c != HTML_COLOR_NONE)
			return c;
	}
	return HTML_COLOR_NONE;
}

struct style_flags {
	int zero_box;
	int overflow_hidden;
};

static void declaration_apply(const char *name, size_t nl, const char *v, size_t vn,
                              struct html_style *st, struct style_flags *f)
{
	if (word_is(name, nl, "display")) {
		st->hidden |= word_is(v, vn, "none");
	} else if (word_is(name, nl, "visibility")) {
		st->hidden |= word_is(v, vn, "hidden") || word_is(v, vn, "collapse");
	} else if (word_is(name, nl, "mso-hide")) {
		st->hidden |= word_is(v, vn, "all");
	} else if (word_is(name, nl, "font-size")) {
		st->hidden |= font_size_hidden(v, vn);
	} else if (word_is(name, nl, "opacity")) {
		st->hidden |= opacity_hidden(v, vn);
	} else if (word_is(name, nl, "height") || word_is(name, nl, "width") ||
	           word_is(name, nl, "max-height") || word_is(name, nl, "max-width")) {
		f->zero_box |= is_zero_length(v, vn);
	} else if (word_is(name, nl, "overflow") || word_is(name, nl, "overflow-x") ||
	           word_is(name, nl, "overflow-y")) {
		f->overflow_hidden |= word_is(v, vn, "hidden");
	} else if (word_is(name, nl, "text-indent") || word_is(name, nl, "left") ||
	           word_is(name, nl, "top") || word_is(name, nl, "margin-left")) {
		st->hidden |= is_far_negative(v, vn);
	} else if (word_is(name, nl, "color")) {
		int32_t c = html_color_parse(v, vn);
		if (c != HTML_COLOR_NONE)
			st->color = c;
	} else if (word_is(name, nl, "background-color") || word_is(name, nl, "background")) {
		int32_t c = background_color(v, vn);
		if (c != HTML_COLOR_NONE)
			st->background = c;
	}
}

/* Copies s[0..n) without CSS comments into buf (cap HTML_STYLE_MAX). */
static size_t strip_comments(const char *s, size_t n, char *buf)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o < HTML_STYLE_MAX; i++) {
		if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
			const char *end = memmem(s + i + 2, n - i - 2, "*/", 2);
			if (end == NULL)
				break;
			i = (size_t)(end - s) + 1;
			buf[o++] = ' ';
			continue;
		}
		buf[o++] = s[i];
	}
	return o;
}

int html_style_parse(const char *s, size_t n, struct html_style *st)
{
	char buf[HTML_STYLE_MAX];
	int cut = 0;
	if (n >= 2 && memmem(s, n, "/*", 2) != NULL) {
		cut = n > HTML_STYLE_MAX;
		n = strip_comments(s, n, buf);
		s = buf;
	}
	struct style_flags f = { 0, 0 };
	size_t i = 0;
	while (i < n) {
		const char *decl = s + i;
		const char *semi = memchr(decl, ';', n - i);
		size_t dn = semi ? (size_t)(semi - decl) : n - i;
		i += dn + 1;
		const char *colon = memchr(decl, ':', dn);
		if (colon == NULL)
			continue;
		const char *name = decl, *v = colon + 1;
		size_t nl = (size_t)(colon - decl), vn = dn - nl - 1;
		trim(&name, &nl);
		trim(&v, &vn);
		/* "!important" changes nothing for one inline declaration */
		const char *bang = memchr(v, '!', vn);
		if (bang != NULL) {
			vn = (size_t)(bang - v);
			trim(&v, &vn);
		}
		if (nl <= STYLE_MAX_TOKEN)
			declaration_apply(name, nl, v, vn, st, &f);
	}
	if (f.zero_box && f.overflow_hidden)
		st->hidden = 1;
	return cut;
}
