/*
 * html_tags.h - the HTML elements the renderer knows, and how each one
 * affects rendering (block, inline, void, raw text).
 *
 * Not for: attributes or hidden-ness (html_render.c, html_style.c).
 */
#ifndef WHORL_HTML_TAGS_H
#define WHORL_HTML_TAGS_H

#include <stddef.h>
#include <stdint.h>

/* Longest tag name looked up; longer names are unknown elements. */
#define HTML_TAG_MAX_NAME 15

#define TF_INLINE 0x00 /* adds no whitespace: "V<b></b>ia" is "Via" */
#define TF_BLOCK 0x01  /* starts and ends a line */
#define TF_CELL 0x02   /* table cell: separated by a space */
#define TF_VOID 0x04   /* never has content or an end tag */
#define TF_RAW 0x08    /* content is not rendered (script, style, title...) */

enum tag_id {
	TAG_UNKNOWN = 0,
	TAG_A,
	TAG_ABBR,
	TAG_ACRONYM,
	TAG_ADDRESS,
	TAG_APPLET,
	TAG_AREA,
	TAG_ARTICLE,
	TAG_ASIDE,
	TAG_AUDIO,
	TAG_B,
	TAG_BASE,
	TAG_BASEFONT,
	TAG_BDI,
	TAG_BDO,
	TAG_BIG,
	TAG_BLINK,
	TAG_BLOCKQUOTE,
	TAG_BODY,
	TAG_BR,
	TAG_BUTTON,
	TAG_CANVAS,
	TAG_CAPTION,
	TAG_CENTER,
	TAG_CITE,
	TAG_CODE,
	TAG_COL,
	TAG_COLGROUP,
	TAG_DD,
	TAG_DEL,
	TAG_DETAILS,
	TAG_DFN,
	TAG_DIALOG,
	TAG_DIR,
	TAG_DIV,
	TAG_DL,
	TAG_DT,
	TAG_EM,
	TAG_EMBED,
	TAG_FIELDSET,
	TAG_FIGCAPTION,
	TAG_FIGURE,
	TAG_FONT,
	TAG_FOOTER,
	TAG_FORM,
	TAG_FRAME,
	TAG_FRAMESET,
	TAG_H1,
	TAG_H2,
	TAG_H3,
	TAG_H4,
	TAG_H5,
	TAG_H6,
	TAG_HEAD,
	TAG_HEADER,
	TAG_HR,
	TAG_HTML,
	TAG_I,
	TAG_IFRAME,
	TAG_IMG,
	TAG_INPUT,
	TAG_INS,
	TAG_KBD,
	TAG_KEYGEN,
	TAG_LABEL,
	TAG_LEGEND,
	TAG_LI,
	TAG_LINK,
	TAG_MAIN,
	TAG_MAP,
	TAG_MARK,
	TAG_MARQUEE,
	TAG_MENU,
	TAG_META,
	TAG_METER,
	TAG_NAV,
	TAG_NOBR,
	TAG_NOEMBED,
	TAG_NOFRAMES,
	TAG_NOSCRIPT,
	TAG_OBJECT,
	TAG_OL,
	TAG_OPTGROUP,
	TAG_OPTION,
	TAG_OUTPUT,
	TAG_P,
	TAG_PARAM,
	TAG_PICTURE,
	TAG_PLAINTEXT,
	TAG_PRE,
	TAG_PROGRESS,
	TAG_Q,
	TAG_RP,
	TAG_RT,
	TAG_RUBY,
	TAG_S,
	TAG_SAMP,
	TAG_SCRIPT,
	TAG_SECTION,
	TAG_SELECT,
	TAG_SMALL,
	TAG_SOURCE,
	TAG_SPAN,
	TAG_STRIKE,
	TAG_STRONG,
	TAG_STYLE,
	TAG_SUB,
	TAG_SUMMARY,
	TAG_SUP,
	TAG_SVG,
	TAG_TABLE,
	TAG_TBODY,
	TAG_TD,
	TAG_TEMPLATE,
	TAG_TEXTAREA,
	TAG_TFOOT,
	TAG_TH,
	TAG_THEAD,
	TAG_TIME,
	TAG_TITLE,
	TAG_TR,
	TAG_TRACK,
	TAG_TT,
	TAG_U,
	TAG_UL,
	TAG_VAR,
	TAG_VIDEO,
	TAG_WBR,
	TAG_XMP,
	TAG_COUNT
};

struct tag_info {
	uint64_t key; /* name packed big-endian into 8 bytes, zero padded */
	const char *name;
	uint8_t len;
	uint8_t id;    /* enum tag_id */
	uint8_t flags; /* TF_* */
};

/* The element named name[0..len) (lower case), or NULL when unknown. */
const struct tag_info *html_tag_lookup(const char *name, size_t len);

/* Packs up to 8 bytes of a lower-case name into a lookup key. */
uint64_t html_tag_key(const char *name, size_t len);

#endif
