/*
 * body.c - the "body" engine: digests of the normalised visible text, and
 * at scan time one per paragraph and per line.
 *
 * Catches exact re-sends of a message and its re-encodings: base64 versus
 * quoted-printable, another charset, re-wrapped lines, HTML versus the same
 * words in plain text, changed headers. Misses any change to the visible
 * words themselves (a hash-buster, a name, a rotated link text): that is the
 * fuzzy engine's job.
 *
 * Two digests of a text, both published:
 *   words    the normalised text as it is (words and the single spaces
 *            between them; FP_BODY_SEED). Unchanged since the first format.
 *   letters  the same bytes without the spaces (FP_BODY_SEED_LETTERS): where
 *            the word boundaries fall plays no part. Invisible characters
 *            (U+200B-U+200D, U+2060, U+FEFF, soft hyphens: Unicode format
 *            characters) are dropped by the normaliser, so a campaign whose
 *            words are joined by them ("Wind<U+200D>up<U+200D>your"), glued
 *            together ("Windupyour"), split inside words ("Wi<U+200B>nd") or
 *            spaced out ("W i n d") has the letters digest of the original.
 *            Treating the invisible characters as spaces instead would only
 *            move the trick: a joiner inside a word would then split it.
 *            Only for texts of FP_BODY_LETTERS_MAX_BYTES or fewer.
 *
 * Part keys (FP_BODY_F_PART): the letters digest of each line and of each
 * paragraph of several lines (lines between blank lines) of the normalised
 * text (in->parts, text_normalise_parts). A part key that equals a stored
 * whole-text letters digest says that a known message's entire text
 * stands, letter for letter, as one paragraph or line of this one: a short
 * campaign (a link and a line, too short for a fuzzy sketch) with filler
 * prose, a greeting or a reference number added around it. The scan looks
 * them up; the publisher never publishes them (a known message's paragraph
 * is not the message).
 * Bounded: the first FP_BODY_MAX_PARTS lines and paragraphs of a text,
 * those of FP_BODY_MIN_LETTERS to FP_BODY_PART_MAX_BYTES bytes, none once
 * the message's list is half full (the other engines' keys come first).
 * The letters are copied once per text into the scan's arena (one pass,
 * which also maps the parts' ranges to letter offsets) and hashed in
 * FP_BODY_LETTER_BLOCK blocks where they lie; fp_body_add_text() (a QR
 * code's text) hashes them through a stack buffer instead, to the same value.
 */
#include "fp.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "../util/hash.h"

#define FP_BODY_SEED 0x626f6479ull           /* "body" */
#define FP_BODY_SEED_LETTERS 0x626f64794cull /* "bodyL" */
#define FP_BODY_MIN_BYTES 24                 /* shorter texts identify nothing */
/* The letters digest's minimum: FP_BODY_MIN_BYTES less the spaces of a
 * text of five-letter words. */
#define FP_BODY_MIN_LETTERS 20
/* Longer parts are left to the fuzzy engine: a stored text that long has a
 * sketch, and containment finds it inside filler. */
#define FP_BODY_PART_MAX_BYTES 512
/* Longer texts get no whole-text letters digest (their part keys still do):
 * copying every byte of a long text costs on every scan, and the fuzzy
 * engine's gram view reads its letters as one stream already. Not less:
 * at 4 KiB, a 7 KB campaign (spam-1/00237) rebuilt as a table with some
 * sentences' words joined by U+200D matched neither sketch nor digest. */
#define FP_BODY_LETTERS_MAX_BYTES 16384
#define FP_BODY_LETTER_BLOCK 256 /* letters hashed at a time */
/* Part boundaries (from and to of each part) mapped to letter offsets. */
#define FP_BODY_MAX_BOUNDS (2 * FP_BODY_MAX_PARTS)

/* The letters digest: the letters (the normalised bytes other than spaces)
 * hashed FP_BODY_LETTER_BLOCK at a time and chained, so that the value
 * depends only on the letters, whether they are hashed where they lie or
 * gathered block by block.
 * letters_chain() takes the letters block by block, as letters_digest()
 * (through a stack buffer) and letters_of() (in place) hand them over. */
static uint64_t letters_chain(uint64_t h, const char *block, size_t n)
{
	return whorl_hash_combine(h, whorl_hash64(block, n, FP_BODY_SEED_LETTERS));
}

/* The letters digest of letters[0..n) (no spaces in it). */
static uint64_t letters_of(const char *letters, size_t n)
{
	uint64_t h = FP_BODY_SEED_LETTERS;
	size_t off = 0;
	do {
		size_t k = n - off < FP_BODY_LETTER_BLOCK ? n - off : FP_BODY_LETTER_BLOCK;
		h = letters_chain(h, letters + off, k);
		off += k;
	} while (off < n);
	return h;
}

/* The letters digest of norm[0..len), spaces skipped. Sets *n_letters. */
static uint64_t letters_digest(const char *norm, size_t len, size_t *n_letters)
{
	char block[FP_BODY_LETTER_BLOCK];
	uint64_t h = FP_BODY_SEED_LETTERS;
	size_t n = 0, total = 0;
	for (size_t i = 0; i < len; i++) {
		if (norm[i] == ' ')
			continue;
		block[n++] = norm[i];
		if (n == sizeof(block)) {
			h = letters_chain(h, block, n);
			total += n;
			n = 0;
		}
	}
	if (n > 0 || total == 0)
		h = letters_chain(h, block, n);
	*n_letters = total + n;
	return h;
}

static void add_letters(struct fp_list *out, uint64_t letters, size_t n, uint16_t flags)
{
	if (n >= FP_BODY_MIN_LETTERS)
		fp_list_add(out, WHORL_FP_BODY, letters, flags);
}

void fp_body_add_text(struct fp_list *out, const char *norm, size_t len)
{
	if (len >= FP_BODY_MIN_BYTES)
		fp_list_add(out, WHORL_FP_BODY, whorl_hash64(norm, len, FP_BODY_SEED), 0);
	if (len > FP_BODY_LETTERS_MAX_BYTES)
		return;
	size_t n; /* glued words: under FP_BODY_MIN_BYTES, the same letters */
	uint64_t letters = letters_digest(norm, len, &n);
	add_letters(out, letters, n, 0);
}

/* Whether part k is keyed: not longer than FP_BODY_PART_MAX_BYTES, not the
 * whole text (its whole-text key says it all). */
static int part_keyed(const struct fp_input *in, size_t k)
{
	size_t len = in->parts[k].to - in->parts[k].from;
	return len <= FP_BODY_PART_MAX_BYTES && len != in->norm_len;
}

/* Copies the letters of in->norm[0..upto) to letters[] in one pass and maps
 * the from and to of each keyed part (b[0..nb), sorted by position, none past
 * upto) to letter offsets: at[slot]. Returns the number of letters. */
struct body_bound {
	uint32_t pos, slot;
};

/* Appends the bytes of s[*i..stop) that are not spaces to letters[*n..)
 * (letters has room for stop bytes, and *n <= *i). With SSE2 a step takes
 * the 16 bytes at *i, stores them all at *n and keeps those before the
 * first space (skipping it): the bytes stored past what is kept lie where
 * the next step stores, and never past stop. */
static void copy_letters(const char *s, size_t *i, size_t stop, char *letters, size_t *n)
{
	size_t k = *i, o = *n;
#if defined(__SSE2__)
	const __m128i sp = _mm_set1_epi8(' ');
	while (k + 16 <= stop) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + k));
		unsigned spaces = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, sp));
		_mm_storeu_si128((__m128i *)(void *)(letters + o), v);
		size_t run = spaces != 0 ? (size_t)__builtin_ctz(spaces) : 16;
		o += run;
		k += run + (spaces != 0);
	}
#endif
	for (; k < stop; k++) { /* branch-free: every byte is stored */
		char c = s[k];
		letters[o] = c;
		o += c != ' ';
	}
	*i = k;
	*n = o;
}

static size_t letters_and_bounds(const struct fp_input *in, size_t upto, const struct body_bound *b,
                                 size_t nb, char *letters, uint32_t *at)
{
	size_t n = 0, i = 0;
	for (size_t next = 0; next <= nb; next++) {
		size_t stop = next < nb ? b[next].pos : upto;
		if (i < stop)
			copy_letters(in->norm, &i, stop, letters, &n);
		if (next < nb)
			at[b[next].slot] = (uint32_t)n;
	}
	return n;
}

/* The from and to of each keyed part, sorted by position: returns how many. */
static size_t part_bounds(const struct fp_input *in, struct body_bound *b)
{
	size_t nb = 0;
	for (size_t k = 0; k < in->n_parts && k < FP_BODY_MAX_PARTS; k++) {
		if (!part_keyed(in, k))
			continue;
		b[nb++] = (struct body_bound){ in->parts[k].from, (uint32_t)(2 * k) };
		b[nb++] = (struct body_bound){ in->parts[k].to, (uint32_t)(2 * k + 1) };
	}
	for (size_t i = 1; i < nb; i++) { /* insertion sort: at most 128 */
		struct body_bound x = b[i];
		size_t j = i;
		for (; j > 0 && b[j - 1].pos > x.pos; j--)
			b[j] = b[j - 1];
		b[j] = x;
	}
	return nb;
}

/* The whole-text letters key and the part keys (see the top of this file),
 * from one copy of the letters in the scan's arena, as far as the keys need
 * (no room: none, and the list says overflow, so the verdict says rescan). */
static void body_letters(const struct fp_input *in, struct fp_list *out)
{
	struct body_bound b[FP_BODY_MAX_BOUNDS];
	size_t nb = part_bounds(in, b);
	int whole = in->norm_len <= FP_BODY_LETTERS_MAX_BYTES;
	size_t upto = whole ? in->norm_len : nb > 0 ? b[nb - 1].pos : 0;
	if (upto == 0)
		return;
	char *letters = arena_alloc(in->arena, upto);
	if (letters == NULL) {
		out->overflow = 1;
		return;
	}
	uint32_t at[FP_BODY_MAX_BOUNDS];
	size_t n = letters_and_bounds(in, upto, b, nb, letters, at);
	if (whole)
		add_letters(out, letters_of(letters, n), n, 0);
	for (size_t k = 0; k < in->n_parts && k < FP_BODY_MAX_PARTS && out->n_fps < FP_MAX_FPS / 2;
	     k++) {
		if (!part_keyed(in, k))
			continue;
		size_t from = at[2 * k], to = at[2 * k + 1];
		add_letters(out, letters_of(letters + from, to - from), to - from, FP_BODY_F_PART);
	}
}

void fp_body_compute(const struct fp_input *in, struct fp_list *out)
{
	if (in->norm_len >= FP_BODY_MIN_BYTES)
		fp_list_add(out, WHORL_FP_BODY, whorl_hash64(in->norm, in->norm_len, FP_BODY_SEED),
		            0);
	body_letters(in, out);
}
