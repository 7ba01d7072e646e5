/*
 * scan_text.c - joins the visible text of every inline text part, collects
 * links, and produces the normalised text the engines hash.
 *
 * Links and e-mail addresses are blanked out of the text before it is
 * normalised: they rotate with every message of a campaign (that is what
 * the url engine is for) and would only add noise to the text engines.
 *
 * Footers that mailing-list managers append ("___ / Foo mailing list /
 * listinfo", sponsor blocks) are cut off each part (text/footer.c): they are
 * not the author's words, and they make every post to a list look alike,
 * including the spam that reached it. Separator lines play no part in it.
 */
#include "scan_text.h"

#include <ctype.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

struct text_buf {
	char *p;
	size_t len, cap;
	int full;
};

static void buf_append(struct arena *a, struct text_buf *b, const char *s, size_t n)
{
	if (b->full)
		return;
	if (b->len + n + 2 > SCAN_MAX_VISIBLE) {
		n = SCAN_MAX_VISIBLE > b->len + 2 ? SCAN_MAX_VISIBLE - b->len - 2 : 0;
		b->full = 1;
	}
	if (b->len + n + 2 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 2)
			cap *= 2;
		char *q = arena_realloc(a, b->p, b->cap, cap);
		if (q == NULL) {
			b->full = 1;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len++] = '\n';
	b->p[b->len] = '\0';
}

static int part_is_inline_text(const struct mime_part *p)
{
	return !p->is_multipart && !p->is_attachment && strcmp(p->type, "text") == 0 &&
	       p->data != NULL;
}

/* ASCII-only lower case (strncasecmp's folding in the C locale). */
static inline int lower_ascii(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Whether s[0..n) equals the lower-case literal lit ignoring ASCII case. */
static inline int prefix_ci(const char *s, const char *lit, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (lower_ascii((unsigned char)s[k]) != (unsigned char)lit[k])
			return 0;
	return 1;
}

/* Length of a link or address starting at s[i], 0 when none starts there. */
static size_t link_span(const char *s, size_t len, size_t i)
{
	size_t start = i;
	int c = s[i] | 0x20;
	if (c != 'h' && c != 'w')
		return 0;
	if (len - i >= 7 && (prefix_ci(s + i, "http://", 7) || prefix_ci(s + i, "https:/", 7)))
		i += 7;
	else if (len - i >= 4 && prefix_ci(s + i, "www.", 4) &&
	         (i == 0 || !isalnum((unsigned char)s[i - 1])))
		i += 4;
	else
		return 0;
	while (i < len && !isspace((unsigned char)s[i]) && s[i] != '"' && s[i] != '<' &&
	       s[i] != '>')
		i++;
	return i - start;
}

/* The bytes a link or an address can hinge on: the first letter of
 * "http", "https" and "www." in either case, and '@'. Every other byte is
 * passed over (next_lead: this runs over every byte of the text). */
static const unsigned char link_lead[256] = {
	['h'] = 1, ['H'] = 1, ['w'] = 1, ['W'] = 1, ['@'] = 1,
};

/* The first byte at or after i that link_lead marks, or len. With SSE2
 * (the x86-64 baseline) 16 bytes are tested at a time: 'h' and 'w' in
 * either case (a byte with bit 5 set is one of them only if it was one of
 * them before), and '@'. */
static size_t next_lead(const char *s, size_t len, size_t i)
{
#if defined(__SSE2__)
	const __m128i h = _mm_set1_epi8('h'), w = _mm_set1_epi8('w'), at = _mm_set1_epi8('@');
	const __m128i fold = _mm_set1_epi8(0x20);
	for (; i + 16 <= len; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i f = _mm_or_si128(v, fold);
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(f, h), _mm_cmpeq_epi8(f, w)),
		                         _mm_cmpeq_epi8(v, at));
		unsigned bits = (unsigned)_mm_movemask_epi8(m);
		if (bits != 0)
			return i + (size_t)__builtin_ctz(bits);
	}
#endif
	while (i < len && !link_lead[(unsigned char)s[i]])
		i++;
	return i;
}

/* Blanks links and e-mail addresses in place. */
static void blank_links(char *s, size_t len)
{
	for (size_t i = next_lead(s, len, 0); i < len; i = next_lead(s, len, i + 1)) {
		size_t n = link_span(s, len, i);
		if (n > 0) {
			memset(s + i, ' ', n);
			i += n - 1;
			continue;
		}
		if (s[i] == '@') {
			size_t a = i, b = i + 1;
			while (a > 0 && !isspace((unsigned char)s[a - 1]) && s[a - 1] != '<')
				a--;
			while (b < len && !isspace((unsigned char)s[b]) && s[b] != '>')
				b++;
			memset(s + a, ' ', b - a);
			i = b;
		}
	}
}

static void gather_part(struct fp_input *in, const struct mime_part *p, struct text_buf *vis,
                        struct text_link *links, size_t *n_links, unsigned *flags)
{
	struct arena *a = in->arena;
	if (strcmp(p->subtype, "html") == 0) {
		struct html_out h;
		if (html_render(a, (const char *)p->data, p->data_len, &h) != 0) {
			*flags |= TEXT_F_NOMEM;
			return;
		}
		*flags |= h.flags;
		buf_append(a, vis, h.text, text_strip_footers(h.text, h.text_len));
		for (size_t i = 0; i < h.n_links; i++) {
			if (*n_links == TEXT_MAX_URLS) {
				*flags |= TEXT_F_LIMIT; /* links of other parts filled it */
				break;
			}
			links[(*n_links)++] = h.links[i];
		}
		if (in->skeleton_len == 0) {
			in->skeleton = h.skeleton;
			in->skeleton_len = h.skeleton_len;
		}
		return;
	}
	size_t len = text_strip_footers((const char *)p->data, p->data_len);
	buf_append(a, vis, (const char *)p->data, len);
	*flags |= text_find_urls((const char *)p->data, len, links, n_links, TEXT_MAX_URLS, a);
}

unsigned scan_text_gather(struct fp_input *in)
{
	struct arena *a = in->arena;
	struct text_buf vis = { 0 };
	unsigned flags = 0;
	size_t n_links = 0;
	struct text_link *links = arena_alloc(a, TEXT_MAX_URLS * sizeof(*links));
	in->skeleton = "";
	in->skeleton_len = 0;
	if (links == NULL)
		return TEXT_F_NOMEM;
	for (size_t i = 0; i < in->mime->n_parts; i++)
		if (part_is_inline_text(&in->mime->parts[i]))
			gather_part(in, &in->mime->parts[i], &vis, links, &n_links, &flags);
	if (vis.full)
		flags |= TEXT_F_LIMIT;
	in->links = links;
	in->n_links = n_links;
	in->visible = vis.p != NULL ? vis.p : "";
	in->visible_len = vis.len;
	char *clean = arena_alloc(a, vis.len + 1);
	char *norm = arena_alloc(a, vis.len + 1);
	struct text_part *parts = arena_alloc(a, FP_BODY_MAX_PARTS * sizeof(*parts));
	if (clean == NULL || norm == NULL || parts == NULL) {
		in->norm = "";
		in->norm_len = 0;
		return flags | TEXT_F_NOMEM;
	}
	memcpy(clean, in->visible, vis.len);
	clean[vis.len] = '\0';
	blank_links(clean, vis.len);
	in->norm_len = text_normalise_parts(clean, vis.len, norm, parts, FP_BODY_MAX_PARTS,
	                                    &in->n_parts, &flags);
	in->norm = norm;
	in->parts = parts;
	return flags;
}

int scan_text_is_empty(const struct fp_input *in)
{
	for (const char *s = in->mime->subject; *s; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	for (size_t i = 0; i < in->visible_len; i++)
		if (!isspace((unsigned char)in->visible[i]))
			return 0;
	for (size_t i = 0; i < in->mime->n_parts; i++)
		if (!in->mime->parts[i].is_multipart && in->mime->parts[i].is_attachment)
			return 0;
	return 1;
}
