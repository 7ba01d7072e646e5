/*
 * text_internal.h - helpers shared by the files of the text layer
 * (entities, inline CSS, UTF-8 encoding, link recording).
 *
 * Not for: callers outside cartridge/text/ (they use text.h).
 */
#ifndef WHORL_TEXT_INTERNAL_H
#define WHORL_TEXT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "text.h"

/* Longest entity name we look up (the HTML 4 set tops out at 8). */
#define HTML_ENTITY_MAX_NAME 8
/* Digits of a numeric reference looked at; more are consumed but ignored. */
#define HTML_ENTITY_MAX_DIGITS 8

/* Decodes the character reference at s[0..n) (s[0] == '&'). Returns the
 * bytes consumed and sets *cp (0 means "decodes to nothing"), or returns 0
 * when it is not a reference and the '&' is literal. In attributes
 * (in_attr), a name without ';' followed by a letter, digit or '=' is not
 * decoded (query strings). Every decoding is no longer in UTF-8 than the
 * bytes it consumed. */
size_t html_entity_decode(const char *s, size_t n, int in_attr, uint32_t *cp);

/* Encodes cp (< 0x110000) as UTF-8 into out[0..4); returns its length. */
size_t text_utf8_encode(uint32_t cp, char *out);

/* Colours are 0xRRGGBB; HTML_COLOR_NONE means not set. */
#define HTML_COLOR_NONE (-1)
#define HTML_COLOR_TRANSPARENT (-2)
#define HTML_COLOR_WHITE 0xFFFFFF

/* What an element's inline style says about the visibility of its text. */
struct html_style {
	int hidden;         /* display:none, visibility:hidden, font-size ~0, ... */
	int32_t color;      /* text colour, HTML_COLOR_* when not a colour */
	int32_t background; /* background colour */
};

/* Longest style attribute with CSS comments looked at (comments are cut
 * out into a buffer of this size); without comments any length is read. */
#define HTML_STYLE_MAX 8192

/* Parses the CSS declarations of a style attribute s[0..n) (already
 * entity-decoded) into st; only sets fields the declarations mention.
 * Returns 1 when a part past HTML_STYLE_MAX was not looked at (the caller
 * flags TEXT_F_LIMIT), else 0. */
int html_style_parse(const char *s, size_t n, struct html_style *st);

/* Parses a colour (CSS or HTML attribute form: "#fff", "ffffff", "rgb(..)",
 * a common colour name). Returns 0xRRGGBB, HTML_COLOR_TRANSPARENT, or
 * HTML_COLOR_NONE when s[0..n) is not a colour. */
int32_t html_color_parse(const char *s, size_t n);

/* True when text in colour fg is unreadable on background bg (equal or
 * within HTML_COLOR_NEAR per channel, or fg transparent). */
int html_color_hidden(int32_t fg, int32_t bg);
#define HTML_COLOR_NEAR 12

/* Appends a link url[0..len) (trimmed, tabs and newlines removed, cut at
 * TEXT_MAX_URL_LEN) to links[*n] unless *n == cap. Returns 0, 1 when the
 * cap was reached (not added), 2 when it was added cut, or WHORL_ENOMEM. */
int text_link_add(struct arena *a, struct text_link *links, size_t *n, size_t cap, const char *url,
                  size_t len, uint8_t kind);

#endif
