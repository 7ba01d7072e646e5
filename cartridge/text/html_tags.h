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

/*
 * The elements, in the order of enum tag_id and of html_tags.c's table (its
 * hash index stores positions in it: html_tags.c says how to regenerate it
 * after an edit). X(ID, name, TF_* flags); the name is lower case, at most
 * HTML_TAG_MAX_NAME bytes. The one list: the enum, the table and the test
 * (tests/unit/test_html_tags.c) are all made from it.
 */
#define HTML_TAG_LIST(X)                      \
	X(A, "a", TF_INLINE)                  \
	X(ABBR, "abbr", TF_INLINE)            \
	X(ACRONYM, "acronym", TF_INLINE)      \
	X(ADDRESS, "address", TF_BLOCK)       \
	X(APPLET, "applet", TF_INLINE)        \
	X(AREA, "area", TF_VOID)              \
	X(ARTICLE, "article", TF_BLOCK)       \
	X(ASIDE, "aside", TF_BLOCK)           \
	X(AUDIO, "audio", TF_INLINE)          \
	X(B, "b", TF_INLINE)                  \
	X(BASE, "base", TF_VOID)              \
	X(BASEFONT, "basefont", TF_VOID)      \
	X(BDI, "bdi", TF_INLINE)              \
	X(BDO, "bdo", TF_INLINE)              \
	X(BIG, "big", TF_INLINE)              \
	X(BLINK, "blink", TF_INLINE)          \
	X(BLOCKQUOTE, "blockquote", TF_BLOCK) \
	X(BODY, "body", TF_BLOCK)             \
	X(BR, "br", TF_VOID | TF_BLOCK)       \
	X(BUTTON, "button", TF_INLINE)        \
	X(CANVAS, "canvas", TF_INLINE)        \
	X(CAPTION, "caption", TF_BLOCK)       \
	X(CENTER, "center", TF_BLOCK)         \
	X(CITE, "cite", TF_INLINE)            \
	X(CODE, "code", TF_INLINE)            \
	X(COL, "col", TF_VOID)                \
	X(COLGROUP, "colgroup", TF_BLOCK)     \
	X(DD, "dd", TF_BLOCK)                 \
	X(DEL, "del", TF_INLINE)              \
	X(DETAILS, "details", TF_BLOCK)       \
	X(DFN, "dfn", TF_INLINE)              \
	X(DIALOG, "dialog", TF_BLOCK)         \
	X(DIR, "dir", TF_BLOCK)               \
	X(DIV, "div", TF_BLOCK)               \
	X(DL, "dl", TF_BLOCK)                 \
	X(DT, "dt", TF_BLOCK)                 \
	X(EM, "em", TF_INLINE)                \
	X(EMBED, "embed", TF_VOID)            \
	X(FIELDSET, "fieldset", TF_BLOCK)     \
	X(FIGCAPTION, "figcaption", TF_BLOCK) \
	X(FIGURE, "figure", TF_BLOCK)         \
	X(FONT, "font", TF_INLINE)            \
	X(FOOTER, "footer", TF_BLOCK)         \
	X(FORM, "form", TF_BLOCK)             \
	X(FRAME, "frame", TF_VOID)            \
	X(FRAMESET, "frameset", TF_BLOCK)     \
	X(H1, "h1", TF_BLOCK)                 \
	X(H2, "h2", TF_BLOCK)                 \
	X(H3, "h3", TF_BLOCK)                 \
	X(H4, "h4", TF_BLOCK)                 \
	X(H5, "h5", TF_BLOCK)                 \
	X(H6, "h6", TF_BLOCK)                 \
	X(HEAD, "head", TF_BLOCK)             \
	X(HEADER, "header", TF_BLOCK)         \
	X(HR, "hr", TF_VOID | TF_BLOCK)       \
	X(HTML, "html", TF_BLOCK)             \
	X(I, "i", TF_INLINE)                  \
	X(IFRAME, "iframe", TF_RAW)           \
	X(IMG, "img", TF_VOID)                \
	X(INPUT, "input", TF_VOID)            \
	X(INS, "ins", TF_INLINE)              \
	X(KBD, "kbd", TF_INLINE)              \
	X(KEYGEN, "keygen", TF_VOID)          \
	X(LABEL, "label", TF_INLINE)          \
	X(LEGEND, "legend", TF_BLOCK)         \
	X(LI, "li", TF_BLOCK)                 \
	X(LINK, "link", TF_VOID)              \
	X(MAIN, "main", TF_BLOCK)             \
	X(MAP, "map", TF_INLINE)              \
	X(MARK, "mark", TF_INLINE)            \
	X(MARQUEE, "marquee", TF_BLOCK)       \
	X(MENU, "menu", TF_BLOCK)             \
	X(META, "meta", TF_VOID)              \
	X(METER, "meter", TF_INLINE)          \
	X(NAV, "nav", TF_BLOCK)               \
	X(NOBR, "nobr", TF_INLINE)            \
	X(NOEMBED, "noembed", TF_RAW)         \
	X(NOFRAMES, "noframes", TF_RAW)       \
	X(NOSCRIPT, "noscript", TF_INLINE)    \
	X(OBJECT, "object", TF_INLINE)        \
	X(OL, "ol", TF_BLOCK)                 \
	X(OPTGROUP, "optgroup", TF_BLOCK)     \
	X(OPTION, "option", TF_BLOCK)         \
	X(OUTPUT, "output", TF_INLINE)        \
	X(P, "p", TF_BLOCK)                   \
	X(PARAM, "param", TF_VOID)            \
	X(PICTURE, "picture", TF_INLINE)      \
	X(PLAINTEXT, "plaintext", TF_BLOCK)   \
	X(PRE, "pre", TF_BLOCK)               \
	X(PROGRESS, "progress", TF_INLINE)    \
	X(Q, "q", TF_INLINE)                  \
	X(RP, "rp", TF_INLINE)                \
	X(RT, "rt", TF_INLINE)                \
	X(RUBY, "ruby", TF_INLINE)            \
	X(S, "s", TF_INLINE)                  \
	X(SAMP, "samp", TF_INLINE)            \
	X(SCRIPT, "script", TF_RAW)           \
	X(SECTION, "section", TF_BLOCK)       \
	X(SELECT, "select", TF_BLOCK)         \
	X(SMALL, "small", TF_INLINE)          \
	X(SOURCE, "source", TF_VOID)          \
	X(SPAN, "span", TF_INLINE)            \
	X(STRIKE, "strike", TF_INLINE)        \
	X(STRONG, "strong", TF_INLINE)        \
	X(STYLE, "style", TF_RAW)             \
	X(SUB, "sub", TF_INLINE)              \
	X(SUMMARY, "summary", TF_BLOCK)       \
	X(SUP, "sup", TF_INLINE)              \
	X(SVG, "svg", TF_INLINE)              \
	X(TABLE, "table", TF_BLOCK)           \
	X(TBODY, "tbody", TF_BLOCK)           \
	X(TD, "td", TF_CELL)                  \
	X(TEMPLATE, "template", TF_RAW)       \
	X(TEXTAREA, "textarea", TF_INLINE)    \
	X(TFOOT, "tfoot", TF_BLOCK)           \
	X(TH, "th", TF_CELL)                  \
	X(THEAD, "thead", TF_BLOCK)           \
	X(TIME, "time", TF_INLINE)            \
	X(TITLE, "title", TF_RAW)             \
	X(TR, "tr", TF_BLOCK)                 \
	X(TRACK, "track", TF_VOID)            \
	X(TT, "tt", TF_INLINE)                \
	X(U, "u", TF_INLINE)                  \
	X(UL, "ul", TF_BLOCK)                 \
	X(VAR, "var", TF_INLINE)              \
	X(VIDEO, "video", TF_INLINE)          \
	X(WBR, "wbr", TF_VOID)                \
	X(XMP, "xmp", TF_RAW)

enum tag_id {
	TAG_UNKNOWN = 0,
#define HTML_TAG_ENUM(id, name, flags) TAG_##id,
	HTML_TAG_LIST(HTML_TAG_ENUM)
#undef HTML_TAG_ENUM
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
