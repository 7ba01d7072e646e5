/*
 * html_render.c - html_render(): HTML to the text a reader sees, in one
 * tolerant pass without a DOM (see text.h).
 *
 * What is dropped: comments (conditional ones included), <!...> and <?...>
 * declarations, the content of script, style, title, iframe, template,
 * xmp, noembed and noframes (title is dropped: mail readers do not show
 * it, and it is a quiet place for hash-busters), and hidden content
 * (counted in hidden_bytes, TEXT_F_HIDDEN): an element whose inline style
 * hides it (html_style.c), the `hidden` attribute, <font size=0> (size 1
 * is small but readable, so only 0 hides), and text whose colour matches
 * its background (style color / <font color> against background /
 * bgcolor of the element or an enclosing one; the default background is
 * white, an unset text colour is never hidden because a style sheet we do
 * not read may set it).
 *
 * Open elements live on a stack (HTML_MAX_NESTING) that carries the
 * inherited hidden-ness and colours; misnesting is forgiven: an end tag
 * closes everything opened after its match and is ignored without one;
 * p, li, dd/dt, td/th, tr and table sections close implicitly.
 * Inline elements add no whitespace, block elements a newline, table
 * cells a space. Links (a/area href, iframe/frame src, img src, background=, form action)
 * are kept unless inside hidden content; bare URLs come from the visible
 * text. The skeleton lists known start tags only, so random made-up tags
 * cannot bust it; reaching HTML_MAX_SKELETON just stops it (no flag).
 * Output bound: every construct renders to no more bytes than it spans.
 *
 * Not for: CSS style sheets, scripts, charsets (input is UTF-8 already).
 */
#include "text_internal.h"

#include <string.h>

#include "../../abi/whorl_cartridge.h"
#include "html_tags.h"

/* One open element and what it passes on to its content. */
struct elem {
	uint8_t tag;        /* enum tag_id */
	uint8_t hidden;     /* hidden by style (inherited) */
	uint8_t invisible;  /* hidden, or text colour on its own background */
	uint32_t name_hash; /* unknown elements: which end tag closes them */
	int32_t color;
	int32_t background;
};

/* Attributes of one tag that matter to us (pointers into the input). */
struct attrs {
	const char *style, *color, *bgcolor, *size, *href, *src, *background, *action;
	size_t style_n, color_n, bgcolor_n, size_n, href_n, src_n, background_n, action_n;
	int hidden;
};

struct render {
	struct arena *a;
	const char *src;
	size_t len;
	char *text;
	size_t text_len, text_cap;
	char pending; /* separator owed before the next text: 0, ' ', '\n' */
	char *skel;
	size_t skel_len;
	int skel_full;
	struct text_link *links;
	size_t n_links;
	size_t n_tags;
	size_t hidden_bytes;
	unsigned flags;
	int err;
	size_t depth;
	struct elem root;
	struct elem stack[HTML_MAX_NESTING];
};

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static int is_alpha(unsigned char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static const struct elem *top(const struct render *r)
{
	return r->depth > 0 ? &r->stack[r->depth - 1] : &r->root;
}

/* ---- output ---- */

static void out_sep(struct render *r, char sep)
{
	if (r->text_len > 0 && r->pending != '\n')
		r->pending = sep;
}

static void out_bytes(struct render *r, const char *s, size_t n)
{
	size_t need = n + (r->pending ? 1 : 0);
	if (r->text_len + need >= r->text_cap)
		return; /* cannot happen (output bound); kept as a guard */
	if (r->pending)
		r->text[r->text_len++] = r->pending;
	memcpy(r->text + r->text_len, s, n);
	r->text_len += n;
	r->pending = 0;
}

static void skel_add(struct render *r, const char *name, size_t n)
{
	size_t need = n + (r->skel_len > 0);
	if (r->skel_full || r->skel_len + need > HTML_MAX_SKELETON) {
		r->skel_full = 1;
		return;
	}
	if (r->skel_len > 0)
		r->skel[r->skel_len++] = ' ';
	memcpy(r->skel + r->skel_len, name, n);
	r->skel_len += n;
}

/* ---- text ---- */

/* An entity in text at r->src[i..): decoded into the output. Returns the
 * bytes consumed (1 when the '&' is literal). */
static size_t text_entity(struct render *r, size_t i, int invisible)
{
	uint32_t cp = 0;
	size_t n = html_entity_decode(r->src + i, r->len - i, 0, &cp);
	if (n == 0) {
		if (invisible)
			r->hidden_bytes++;
		else
			out_bytes(r, "&", 1);
		return 1;
	}
	if (invisible) {
		r->hidden_bytes += n;
		return n;
	}
	if (cp == 0xA0 || cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') {
		out_sep(r, ' ');
	} else if (cp != 0) {
		char buf[4];
		out_bytes(r, buf, text_utf8_encode(cp, buf));
	}
	return n;
}

/* Text from i up to the next '<'; returns where it stopped. */
static size_t text_run(struct render *r, size_t i)
{
	int invisible = top(r)->invisible;
	while (i < r->len) {
		unsigned char c = (unsigned char)r->src[i];
		if (c == '<')
			break;
		if (c == '&') {
			i += text_entity(r, i, invisible);
			continue;
		}
		if (is_space(c)) {
			if (!invisible)
				out_sep(r, ' ');
			i++;
			continue;
		}
		size_t start = i;
		while (i < r->len) {
			c = (unsigned char)r->src[i];
			if (c == '<' || c == '&' || is_space(c))
				break;
			i++;
		}
		if (invisible)
			r->hidden_bytes += i - start;
		else
			out_bytes(r, r->src + start, i - start);
	}
	return i;
}

/* ---- tags ---- */

/* Position after the next '>' from i (or the end). */
static size_t skip_to_gt(const struct render *r, size_t i)
{
	const char *gt = memchr(r->src + i, '>', r->len - i);
	return gt ? (size_t)(gt - r->src) + 1 : r->len;
}

/* "<!" at i: a comment (to "-->", also "--!>") or a declaration. */
static size_t skip_markup_decl(const struct render *r, size_t i)
{
	if (i + 4 <= r->len && r->src[i + 2] == '-' && r->src[i + 3] == '-') {
		size_t p = i + 2; /* "<!-->" and "<!--->" are complete comments */
		while (p < r->len) {
			const char *dash = memchr(r->src + p, '-', r->len - p);
			if (dash == NULL)
				return r->len;
			p = (size_t)(dash - r->src);
			if (p + 2 < r->len && r->src[p + 1] == '-' && r->src[p + 2] == '>')
				return p + 3;
			if (p + 3 < r->len && r->src[p + 1] == '-' && r->src[p + 2] == '!' &&
			    r->src[p + 3] == '>')
				return p + 4;
			p++;
		}
		return r->len;
	}
	return skip_to_gt(r, i);
}

static int name_char(unsigned char c)
{
	return !is_space(c) && c != '/' && c != '>';
}

/* Reads a tag name at i into name (lower case, cut at HTML_TAG_MAX_NAME + 1). */
static size_t read_name(const struct render *r, size_t i, char *name, size_t *nlen)
{
	size_t n = 0;
	while (i < r->len && name_char((unsigned char)r->src[i])) {
		if (n <= HTML_TAG_MAX_NAME) {
			unsigned char c = (unsigned char)r->src[i];
			name[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		}
		i++;
	}
	*nlen = n;
	return i;
}

static uint32_t name_hash(const char *name, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t k = 0; k < n; k++)
		h = (h ^ (uint8_t)name[k]) * 16777619u;
	return h;
}

static int attr_is(const char *s, size_t n, const char *w, size_t wn)
{
	if (n != wn)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((s[i] | 0x20) != w[i])
			return 0;
	return 1;
}

#define ATTR_IS(s, n, lit) attr_is((s), (n), lit, sizeof(lit) - 1)

static void attr_store(struct attrs *at, const char *name, size_t nn, const char *v, size_t vn)
{
	if (ATTR_IS(name, nn, "style"))
		at->style = v, at->style_n = vn;
	else if (ATTR_IS(name, nn, "href"))
		at->href = v, at->href_n = vn;
	else if (ATTR_IS(name, nn, "src"))
		at->src = v, at->src_n = vn;
	else if (ATTR_IS(name, nn, "color"))
		at->color = v, at->color_n = vn;
	else if (ATTR_IS(name, nn, "bgcolor"))
		at->bgcolor = v, at->bgcolor_n = vn;
	else if (ATTR_IS(name, nn, "size"))
		at->size = v, at->size_n = vn;
	else if (ATTR_IS(name, nn, "background"))
		at->background = v, at->background_n = vn;
	else if (ATTR_IS(name, nn, "action"))
		at->action = v, at->action_n = vn;
	else if (ATTR_IS(name, nn, "hidden"))
		at->hidden = 1;
}

/* One attribute value at i (after '='): quoted or bare. */
static size_t read_value(const struct render *r, size_t i, const char **v, size_t *vn)
{
	while (i < r->len && is_space((unsigned char)r->src[i]))
		i++;
	if (i < r->len && (r->src[i] == '"' || r->src[i] == '\'')) {
		const char *q = memchr(r->src + i + 1, r->src[i], r->len - i - 1);
		size_t end = q ? (size_t)(q - r->src) : r->len;
		*v = r->src + i + 1;
		*vn = end - i - 1;
		return q ? end + 1 : end;
	}
	size_t start = i;
	while (i < r->len && !is_space((unsigned char)r->src[i]) && r->src[i] != '>')
		i++;
	*v = r->src + start;
	*vn = i - start;
	return i;
}

/* Attributes from i to the tag's '>'; returns the position after it. */
static size_t read_attrs(const struct render *r, size_t i, struct attrs *at)
{
	while (i < r->len) {
		unsigned char c = (unsigned char)r->src[i];
		if (c == '>')
			return i + 1;
		if (is_space(c) || c == '/') {
			i++;
			continue;
		}
		size_t ns = i;
		while (i < r->len && !is_space((unsigned char)r->src[i]) && r->src[i] != '>' &&
		       r->src[i] != '=' && (r->src[i] != '/' || i == ns))
			i++;
		if (i == ns)
			i++; /* a lone '=' */
		size_t nn = i - ns;
		size_t p = i;
		while (p < r->len && is_space((unsigned char)r->src[p]))
			p++;
		const char *v = NULL;
		size_t vn = 0;
		if (p < r->len && r->src[p] == '=')
			i = read_value(r, p + 1, &v, &vn);
		attr_store(at, r->src + ns, nn, v, vn);
	}
	return i;
}

/* Entity-decodes an attribute value into buf (capacity cap). */
static size_t attr_decode(const char *v, size_t n, char *buf, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 4 <= cap;) {
		uint32_t cp;
		size_t used = v[i] == '&' ? html_entity_decode(v + i, n - i, 1, &cp) : 0;
		if (used == 0) {
			buf[o++] = v[i++];
			continue;
		}
		if (cp != 0)
			o += text_utf8_encode(cp, buf + o);
		i += used;
	}
	return o;
}

static void link_add(struct render *r, const char *v, size_t vn, uint8_t kind)
{
	char buf[TEXT_MAX_URL_LEN + 4];
	if (v == NULL || r->err)
		return;
	if (vn > TEXT_MAX_URL_LEN)
		r->flags |= TEXT_F_LIMIT; /* cut below, whether decoded or not */
	if (memchr(v, '&', vn) != NULL)
		vn = attr_decode(v, vn, buf, sizeof(buf)), v = buf;
	int rc = text_link_add(r->a, r->links, &r->n_links, TEXT_MAX_URLS, v, vn, kind);
	if (rc < 0)
		r->err = rc;
	else if (rc > 0)
		r->flags |= TEXT_F_LIMIT;
}

static void links_record(struct render *r, const struct tag_info *t, const struct attrs *at)
{
	if (t != NULL && (t->id == TAG_A || t->id == TAG_AREA))
		link_add(r, at->href, at->href_n, TEXT_LINK_HREF);
	if (t != NULL && t->id == TAG_IMG)
		link_add(r, at->src, at->src_n, TEXT_LINK_IMG);
	/* A frame shows a whole page inside the message: its address is
	 * as much the payload as a link's. */
	if (t != NULL && (t->id == TAG_IFRAME || t->id == TAG_FRAME))
		link_add(r, at->src, at->src_n, TEXT_LINK_HREF);
	if (t != NULL && t->id == TAG_FORM)
		link_add(r, at->action, at->action_n, TEXT_LINK_FORM);
	link_add(r, at->background, at->background_n, TEXT_LINK_IMG);
}

/* Applies a style attribute, whatever its length (entities decoded into
 * the arena: the decoded form is never longer than the attribute). */
static void style_apply(struct render *r, const char *s, size_t n, struct html_style *st)
{
	if (memchr(s, '&', n) != NULL) {
		char *buf = arena_alloc(r->a, n + 4);
		if (buf == NULL) {
			r->err = WHORL_ENOMEM;
			return;
		}
		n = attr_decode(s, n, buf, n + 4);
		s = buf;
	}
	if (html_style_parse(s, n, st) != 0)
		r->flags |= TEXT_F_LIMIT;
}

/* The state an element with attributes `at` passes to its content. */
static struct elem elem_make(struct render *r, const struct elem *parent, uint8_t tag,
                             const struct attrs *at)
{
	struct elem e = *parent;
	struct html_style st = { 0, HTML_COLOR_NONE, HTML_COLOR_NONE };
	e.tag = tag;
	if (at->style != NULL)
		style_apply(r, at->style, at->style_n, &st);
	if (at->color != NULL && (tag == TAG_FONT || tag == TAG_BASEFONT)) {
		int32_t c = html_color_parse(at->color, at->color_n);
		if (c != HTML_COLOR_NONE && st.color == HTML_COLOR_NONE)
			st.color = c;
	}
	if (at->bgcolor != NULL && st.background == HTML_COLOR_NONE)
		st.background = html_color_parse(at->bgcolor, at->bgcolor_n);
	if (at->size != NULL && tag == TAG_FONT) {
		size_t k = 0;
		while (k < at->size_n && is_space((unsigned char)at->size[k]))
			k++;
		if (k < at->size_n && at->size[k] == '0')
			st.hidden = 1;
	}
	if (st.color != HTML_COLOR_NONE)
		e.color = st.color;
	if (st.background >= 0) /* a transparent background shows the parent's */
		e.background = st.background;
	e.hidden = parent->hidden || st.hidden || at->hidden;
	e.invisible = e.hidden || html_color_hidden(e.color, e.background);
	return e;
}

/* Pops up to and including the nearest `want` (or either of want/want2),
 * unless a boundary tag comes first. */
static void pop_to(struct render *r, uint8_t want, uint8_t want2, const uint8_t *bounds,
                   size_t n_bounds)
{
	for (size_t d = r->depth; d > 0; d--) {
		uint8_t t = r->stack[d - 1].tag;
		if (t == want || t == want2) {
			r->depth = d - 1;
			return;
		}
		for (size_t b = 0; b < n_bounds; b++)
			if (t == bounds[b])
				return;
	}
}

/* Elements a new element closes when still open (HTML's implied ends). */
static void implicit_close(struct render *r, const struct tag_info *t)
{
	static const uint8_t p_bounds[] = { TAG_TABLE, TAG_TD, TAG_TH, TAG_BUTTON, TAG_CAPTION };
	static const uint8_t li_bounds[] = { TAG_UL, TAG_OL, TAG_MENU, TAG_TABLE, TAG_TD, TAG_TH };
	static const uint8_t dd_bounds[] = { TAG_DL, TAG_TABLE, TAG_TD, TAG_TH };
	static const uint8_t td_bounds[] = { TAG_TR, TAG_TABLE };
	static const uint8_t tr_bounds[] = { TAG_TABLE, TAG_TBODY, TAG_THEAD, TAG_TFOOT };
	static const uint8_t sect_bounds[] = { TAG_TABLE };
	switch (t->id) {
	case TAG_LI: pop_to(r, TAG_LI, TAG_LI, li_bounds, sizeof(li_bounds)); break;
	case TAG_DD:
	case TAG_DT: pop_to(r, TAG_DD, TAG_DT, dd_bounds, sizeof(dd_bounds)); break;
	case TAG_TD:
	case TAG_TH: pop_to(r, TAG_TD, TAG_TH, td_bounds, sizeof(td_bounds)); break;
	case TAG_TR: pop_to(r, TAG_TR, TAG_TR, tr_bounds, sizeof(tr_bounds)); break;
	case TAG_TBODY:
	case TAG_THEAD:
	case TAG_TFOOT:
		pop_to(r, TAG_TBODY, TAG_THEAD, sect_bounds, sizeof(sect_bounds));
		pop_to(r, TAG_TFOOT, TAG_TFOOT, sect_bounds, sizeof(sect_bounds));
		break;
	case TAG_OPTION:
		if (r->depth > 0 && r->stack[r->depth - 1].tag == TAG_OPTION)
			r->depth--;
		return;
	default: break;
	}
	if (t->flags & TF_BLOCK)
		pop_to(r, TAG_P, TAG_P, p_bounds, sizeof(p_bounds));
}

/* Skips the raw content of `t` from i to after its end tag. */
static size_t skip_raw(const struct render *r, size_t i, const struct tag_info *t)
{
	while (i < r->len) {
		const char *lt = memchr(r->src + i, '<', r->len - i);
		if (lt == NULL)
			return r->len;
		i = (size_t)(lt - r->src) + 1;
		if (i + 1 + t->len > r->len || r->src[i] != '/')
			continue;
		size_t k = 0;
		while (k < t->len && (r->src[i + 1 + k] | 0x20) == t->name[k])
			k++;
		if (k == t->len &&
		    (i + 1 + k == r->len || !name_char((unsigned char)r->src[i + 1 + k]) ||
		     r->src[i + 1 + k] == '/'))
			return skip_to_gt(r, i);
	}
	return r->len;
}

static void elem_push(struct render *r, const struct elem *e)
{
	if (r->depth == HTML_MAX_NESTING) {
		r->flags |= TEXT_F_LIMIT;
		return;
	}
	r->stack[r->depth++] = *e;
}

static char sep_of(const struct tag_info *t)
{
	if (t == NULL)
		return 0;
	if (t->flags & TF_BLOCK)
		return '\n';
	if (t->flags & TF_CELL)
		return ' ';
	return 0;
}

/* "<name" at i: a start tag. */
static size_t start_tag(struct render *r, size_t i)
{
	char name[HTML_TAG_MAX_NAME + 1];
	size_t nlen;
	struct attrs at;
	/* Field by field: a memset of the struct (rep stos) cost more than
	 * the rest of a small tag. */
	at.style = at.color = at.bgcolor = at.size = NULL;
	at.href = at.src = at.background = at.action = NULL;
	at.style_n = at.color_n = at.bgcolor_n = at.size_n = 0;
	at.href_n = at.src_n = at.background_n = at.action_n = 0;
	at.hidden = 0;
	i = read_name(r, i + 1, name, &nlen);
	i = read_attrs(r, i, &at);
	const struct tag_info *t = html_tag_lookup(name, nlen);
	if (t != NULL) {
		skel_add(r, t->name, t->len);
		implicit_close(r, t);
	}
	uint8_t id = t ? t->id : TAG_UNKNOWN;
	struct elem e = elem_make(r, top(r), id, &at);
	e.name_hash = t ? 0 : name_hash(name, nlen);
	if (!e.invisible)
		links_record(r, t, &at);
	char sep = sep_of(t);
	if (sep)
		out_sep(r, sep);
	if (t != NULL && (t->flags & TF_RAW))
		return skip_raw(r, i, t);
	if (t == NULL || !(t->flags & TF_VOID))
		elem_push(r, &e);
	return i;
}

/* "</name" at i: an end tag. */
static size_t end_tag(struct render *r, size_t i)
{
	char name[HTML_TAG_MAX_NAME + 1];
	size_t nlen;
	i = read_name(r, i + 2, name, &nlen);
	i = skip_to_gt(r, i);
	const struct tag_info *t = html_tag_lookup(name, nlen);
	uint8_t id = t ? t->id : TAG_UNKNOWN;
	uint32_t h = t ? 0 : name_hash(name, nlen);
	for (size_t d = r->depth; d > 0; d--) {
		if (r->stack[d - 1].tag == id && r->stack[d - 1].name_hash == h) {
			r->depth = d - 1;
			break;
		}
	}
	char sep = sep_of(t);
	if (sep)
		out_sep(r, sep);
	return i;
}

/* Markup at i (r->src[i] == '<'); returns the position after it. */
static size_t markup(struct render *r, size_t i)
{
	unsigned char next = i + 1 < r->len ? (unsigned char)r->src[i + 1] : 0;
	if (next == '!')
		return skip_markup_decl(r, i);
	if (next == '?')
		return skip_to_gt(r, i);
	if (next == '/') {
		if (i + 2 < r->len && is_alpha((unsigned char)r->src[i + 2])) {
			r->n_tags++;
			return end_tag(r, i);
		}
		return skip_to_gt(r, i);
	}
	if (is_alpha(next)) {
		r->n_tags++;
		return start_tag(r, i);
	}
	if (!top(r)->invisible)
		out_bytes(r, "<", 1);
	return i + 1;
}

static int render_alloc(struct render *r)
{
	r->text_cap = r->len + 1;
	r->text = arena_alloc(r->a, r->text_cap);
	r->skel = arena_alloc(r->a, HTML_MAX_SKELETON + 1);
	r->links = arena_alloc(r->a, TEXT_MAX_URLS * sizeof(*r->links));
	return r->text && r->skel && r->links ? 0 : WHORL_ENOMEM;
}

int html_render(struct arena *a, const char *html, size_t len, struct html_out *out)
{
	memset(out, 0, sizeof(*out));
	struct render *r = arena_alloc(a, sizeof(*r));
	if (r == NULL) {
		out->flags = TEXT_F_NOMEM;
		return WHORL_ENOMEM;
	}
	memset(r, 0, offsetof(struct render, stack));
	r->a = a;
	r->src = html;
	r->len = len;
	r->root = (struct elem){ TAG_UNKNOWN, 0, 0, 0, HTML_COLOR_NONE, HTML_COLOR_WHITE };
	int rc = render_alloc(r);
	if (rc < 0)
		goto out;
	size_t i = 0;
	while (i < len && !r->err) {
		if (r->n_tags >= HTML_MAX_TAGS) {
			r->flags |= TEXT_F_LIMIT;
			break;
		}
		i = html[i] == '<' ? markup(r, i) : text_run(r, i);
	}
	r->text[r->text_len] = '\0';
	r->skel[r->skel_len] = '\0';
	r->flags |= text_find_urls(r->text, r->text_len, r->links, &r->n_links, TEXT_MAX_URLS, a);
	rc = r->err;
	if (r->hidden_bytes > 0)
		r->flags |= TEXT_F_HIDDEN;
	out->text = r->text;
	out->text_len = r->text_len;
	out->links = r->links;
	out->n_links = r->n_links;
	out->skeleton = r->skel;
	out->skeleton_len = r->skel_len;
	out->hidden_bytes = r->hidden_bytes;
	out->flags = r->flags;
out:
	if (rc < 0)
		out->flags |= TEXT_F_NOMEM;
	return rc;
}
