/*
 * text.h - from decoded MIME parts to what a reader sees.
 *
 * html_render() turns HTML into its visible text (hidden content dropped:
 * comments, script/style, display:none, visibility:hidden, zero-size fonts,
 * text coloured like its background, invisible Unicode), collects the links
 * and image references, and records the tag skeleton. text_normalise() folds
 * visible text into the canonical form the fingerprint engines hash: lower
 * case, accents stripped, look-alike letters mapped to ASCII, invisible code
 * points dropped, punctuation turned into spaces, runs of spaces collapsed.
 * All output goes into the caller's arena.
 *
 * Not for: MIME decoding (mime/mime.h) or hashing (fp/).
 */
#ifndef WHORL_TEXT_H
#define WHORL_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "../util/arena.h"

#define HTML_MAX_TAGS 65536      /* tags looked at per document; more sets TEXT_F_LIMIT */
#define HTML_MAX_NESTING 256     /* open elements tracked for hidden-ness */
#define HTML_MAX_SKELETON 4096   /* bytes of tag skeleton kept */
#define TEXT_MAX_URLS 256        /* links kept per message */
#define TEXT_MAX_URL_LEN 2048    /* longer links are cut */
#define TEXT_FOOTER_MAX 1500     /* bytes of one list footer block (footer.c) */
#define TEXT_FOOTER_MAX_LINES 15 /* lines of one list footer block */
#define TEXT_FOOTER_MAX_CUTS 4   /* stacked footers cut from one text */
#define TEXT_FOOTER_MIN_KEPT 40  /* letters and digits a cut must leave (or the footer's) */

#define TEXT_F_HIDDEN (1u << 0)    /* hidden content was dropped */
#define TEXT_F_LIMIT (1u << 1)     /* a limit above was reached (rescan) */
#define TEXT_F_INVISIBLE (1u << 2) /* invisible code points were dropped */
#define TEXT_F_NOMEM (1u << 3)

struct text_link {
	const char *url; /* as found, entity-decoded, NUL terminated */
	size_t len;
	uint8_t kind; /* TEXT_LINK_* */
};
#define TEXT_LINK_HREF 1 /* <a href>, <area href> */
#define TEXT_LINK_IMG 2  /* <img src>, background= */
#define TEXT_LINK_TEXT 3 /* bare URL found in visible text */
#define TEXT_LINK_FORM 4 /* <form action> */

struct html_out {
	char *text; /* visible text, UTF-8, NUL terminated */
	size_t text_len;
	struct text_link *links;
	size_t n_links;
	char *skeleton; /* tag names in document order, space separated,
	                                  attributes dropped, e.g. "html body table tr td a" */
	size_t skeleton_len;
	size_t hidden_bytes; /* bytes of text dropped as hidden */
	unsigned flags;      /* TEXT_F_* */
};

/* The length of t[0..n) without the mailing-list footers at its end (see
 * footer.c): n when there are none. Separator lines anywhere in t do not
 * change the result. Reads only t; allocates nothing. */
size_t text_strip_footers(const char *t, size_t n);

/* Renders html[0..len) (UTF-8) to visible text. Returns 0, or WHORL_ENOMEM. */
int html_render(struct arena *a, const char *html, size_t len, struct html_out *out);

/* Appends the bare URLs found in plain text t[0..len) (http://, https://,
 * then www. at a word boundary) to links[*n] (capacity cap), copied into
 * the arena with kind TEXT_LINK_TEXT. A URL ends at whitespace, a quote,
 * '<', '>' or '`'; trailing punctuation (.,;:!?)]}*) is not part of it.
 * Returns TEXT_F_LIMIT when a URL was cut at TEXT_MAX_URL_LEN or did not fit
 * (links full), TEXT_F_NOMEM when the arena ran out, else 0. */
unsigned text_find_urls(const char *t, size_t len, struct text_link *links, size_t *n, size_t cap,
                        struct arena *a);

/* Normalises UTF-8 text in[0..len) into out (capacity cap, at least len + 1
 * bytes is always enough). Returns the length written (NUL terminated).
 * *flags (may be NULL) gets TEXT_F_INVISIBLE when invisible code points
 * were dropped. */
size_t text_normalise(const char *in, size_t len, char *out, size_t cap, unsigned *flags);

/* A range [from, to) of normalised text: a paragraph or a line. */
struct text_part {
	uint32_t from, to;
};

/* text_normalise() of in[0..len) into out (at least len + 1 bytes), the
 * same bytes, and the ranges in out of each non-empty line and of each
 * paragraph of two or more lines (lines between blank lines), in order of
 * their end, at most cap of them in parts[] (*n_parts: how many). Returns
 * the length written (NUL terminated). */
size_t text_normalise_parts(const char *in, size_t len, char *out, struct text_part *parts,
                            size_t cap, size_t *n_parts, unsigned *flags);

/* Word iteration over normalised text: returns the next word's start and
 * sets *wlen, or NULL at the end. `*pos` starts at 0. Words are runs of
 * letters and digits; runs of three or more one-letter words ("f r e e")
 * are returned joined as one word in `joinbuf` (capacity joincap). */
const char *text_next_word(const char *norm, size_t len, size_t *pos, size_t *wlen, char *joinbuf,
                           size_t joincap);

#endif
