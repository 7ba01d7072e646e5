/*
 * fuzzy.c - the "fuzzy" engine: a similarity sketch of the visible text.
 *
 * Catches the next variant of a campaign: hash-buster words, personalisation,
 * swapped synonyms, reordered sentences, split or spaced-out words, added
 * invisible text (already dropped by the renderer). Misses a campaign that
 * rewrites most of its text, and very short texts (fewer than
 * FUZZY_MIN_WORDS content words and FUZZY_MIN_GRAMS letter grams make no
 * sketch: too little to tell a campaign from a coincidence).
 *
 * Two views of the text, each a set:
 *   W  content words: letters only, 3 to FUZZY_MAX_WORD bytes, stopwords
 *      dropped; look-alike digits inside words read as letters ("v1agra"),
 *      numbers dropped. Insensitive to order; a swapped word changes one element.
 *   C  5-byte grams of the letter stream (all words without digits joined,
 *      including the long runs of scripts written without spaces):
 *      insensitive to how words are split, spaced or joined.
 * Each set gets a one-permutation MinHash (FUZZY_K bins, 8 bits kept per
 * bin) and a distinct-count estimate (linear counting). Similarity per view
 * is the larger of the Jaccard estimate and the overlap coefficient (what
 * share of the smaller set is in the larger one; it shrugs off added
 * hash-busters), the latter only while the sizes are within FUZZY_MAX_RATIO
 * (FUZZY_MAX_RATIO_CONTAINED when the stored text is the smaller set: a
 * campaign padded with filler prose).
 *
 * Containment (scan side only, abuse records only): a query also keeps,
 * per bin, which 8-bit values its set holds (FUZZY_EXTRA_BYTES, never
 * stored). A stored text is inside the query when the query holds most of
 * its bin minima, beyond chance: a campaign between paragraphs of filler
 * prose, however much filler, still matches (fp_fuzzy_containment).
 *
 * Lookup: a stored sketch is indexed by the FUZZY_STORED_ANCHORS smallest
 * feature hashes of each view; a query looks up its FUZZY_QUERY_ANCHORS
 * smallest. A stored text whose features survive in the variant keeps its
 * smallest ones among the variant's smallest, so it is found, then verified
 * against the whole stored sketch.
 *
 * Stored form (little endian), FUZZY_SKETCH_BYTES bytes:
 *   0 u8 format (FUZZY_FORMAT)   1 u8 flags   2 u16 words   4 u16 grams
 *   6 u8 W[FUZZY_K]   6+K u8 C[FUZZY_K]
 *   6+2K u32 W anchors[FUZZY_STORED_ANCHORS], then C anchors (0 = none)
 */
#include "fp.h"

#include <math.h>
#include <pthread.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "../util/bits.h"
#include "../util/hash.h"
#include "sketch.h"

#define FUZZY_K 64 /* bins per view; the top 6 hash bits pick one */
#define FUZZY_BIN_SHIFT 58
#define FUZZY_STORED_ANCHORS 4 /* per view */
#define FUZZY_QUERY_ANCHORS 24 /* per view */
#define FUZZY_MIN_WORDS 8      /* fewer distinct content words: W unusable */
#define FUZZY_MIN_GRAMS 40     /* fewer distinct grams: C unusable */
#define FUZZY_MAX_WORD 40      /* longer ASCII "words" are base64 debris */
#define FUZZY_FORMAT 2         /* byte 0 of the stored form */
#define FUZZY_GRAM 5
#define FUZZY_MAX_WORDS 20000                /* words looked at per message */
#define FUZZY_MAX_STREAM ((size_t)128 << 10) /* letter bytes looked at per message */
#define FUZZY_LC_BITS 4096                   /* linear-counting bitmap per view */
#define FUZZY_MAX_RATIO 3u                   /* overlap coefficient trusted up to this size ratio */
/* When the stored text is the smaller set (the variant holds the campaign
 * plus padding: filler prose, hash-busters), the overlap is trusted up to
 * this ratio, for stored sets of FUZZY_CONTAINED_MIN x the view's minimum. */
#define FUZZY_MAX_RATIO_CONTAINED 4u
#define FUZZY_CONTAINED_MIN 3
#define FUZZY_SEED_W 0x66757a7a7957ull /* "fuzzyW" */
#define FUZZY_SEED_C 0x66757a7a7943ull /* "fuzzyC" */
#define FUZZY_SKETCH_BYTES (6 + 2 * FUZZY_K + 2 * 4 * FUZZY_STORED_ANCHORS)
#define FUZZY_THRESHOLD 0.70 /* similarity that counts as a match alone */
#define FUZZY_SEEN_WORDS 4   /* 256 bits: which 8-bit bin values a query holds */
#define FUZZY_SEEN_BYTES (FUZZY_K * FUZZY_SEEN_WORDS * 8) /* one view's bitmaps */
/* Query-only extra: W bitmaps, C bitmaps, then per view (W, C) a u32: how
 * many values its bins hold in all. */
#define FUZZY_EXTRA_BYTES (2 * FUZZY_SEEN_BYTES + 2 * 4)
/* Containment is only estimated while a query bin's values are sparse: past
 * this mean share of the 256 values present, chance agreement drowns it. */
#define FUZZY_CONTAIN_MAX_CHANCE 0.25
#define FUZZY_CONTAIN_STEP 4 /* bins compared between two early-exit tests */
_Static_assert(FUZZY_K % FUZZY_CONTAIN_STEP == 0, "containment steps cover the bins");
#define FUZZY_WEAK_THRESHOLD 0.50 /* similarity that supports other evidence */

struct fuzzy_view {
	uint32_t minv[FUZZY_K];
	uint64_t seen[FUZZY_K][FUZZY_SEEN_WORDS]; /* per bin: the 8-bit values present */
	uint32_t bottom[FUZZY_QUERY_ANCHORS];     /* ascending, distinct */
	size_t n_bottom;
	uint64_t admit; /* anchors below this may enter bottom[]: 2^32
	                               * until it is full, then its largest */
	uint64_t bits[FUZZY_LC_BITS / 64];
};

static void view_init(struct fuzzy_view *v)
{
	memset(v, 0, sizeof(*v));
	memset(v->minv, 0xff, sizeof(v->minv));
	v->admit = (uint64_t)1 << 32;
}

static void bottom_insert(struct fuzzy_view *v, uint32_t a)
{
	size_t n = v->n_bottom;
	if (n == FUZZY_QUERY_ANCHORS && a >= v->bottom[n - 1])
		return;
	size_t i = n;
	while (i > 0 && v->bottom[i - 1] > a)
		i--;
	if (i > 0 && v->bottom[i - 1] == a)
		return;
	if (n == FUZZY_QUERY_ANCHORS)
		n--;
	memmove(&v->bottom[i + 1], &v->bottom[i], (n - i) * sizeof(uint32_t));
	v->bottom[i] = a;
	v->n_bottom = n + 1;
	if (v->n_bottom == FUZZY_QUERY_ANCHORS)
		v->admit = v->bottom[FUZZY_QUERY_ANCHORS - 1];
}

static inline void view_add(struct fuzzy_view *v, uint64_t h)
{
	unsigned bin = (unsigned)(h >> FUZZY_BIN_SHIFT);
	uint32_t val = (uint32_t)h, old = v->minv[bin];
	v->minv[bin] = val < old ? val : old; /* branch-free: the outcome is random */
	v->seen[bin][(val & 0xff) >> 6] |= 1ull << (val & 63);
	unsigned bit = (unsigned)(h >> 32) & (FUZZY_LC_BITS - 1);
	v->bits[bit >> 6] |= 1ull << (bit & 63);
	uint32_t anchor = (uint32_t)(h >> 27) | 1u;
	if (anchor < v->admit)
		bottom_insert(v, anchor);
}

/* Distinct elements: linear counting, or the bottom-k estimate once the
 * bitmap is full. */
static unsigned view_count(const struct fuzzy_view *v)
{
	size_t zeros = 0;
	for (size_t i = 0; i < FUZZY_LC_BITS / 64; i++)
		zeros += 64 - (size_t)whorl_popcount64(v->bits[i]);
	double n;
	if (zeros > 0)
		n = -(double)FUZZY_LC_BITS * log((double)zeros / FUZZY_LC_BITS);
	else
		n = (FUZZY_QUERY_ANCHORS - 1) * 4294967296.0 /
		    ((double)v->bottom[FUZZY_QUERY_ANCHORS - 1] + 1);
	if (n > 65535)
		n = 65535;
	return (unsigned)(n + 0.5);
}

/* The 8 bits kept per bin; an empty bin borrows from the next filled one
 * (rotation densification) so that sparse texts still compare bin by bin. */
static void view_bins(const struct fuzzy_view *v, uint8_t *out)
{
	for (unsigned i = 0; i < FUZZY_K; i++) {
		unsigned j = i, step = 0;
		while (v->minv[j] == UINT32_MAX && step < FUZZY_K) {
			j = (j + 1) % FUZZY_K;
			step++;
		}
		uint32_t m = v->minv[j];
		out[i] =
		    step == 0 ? (uint8_t)m : (uint8_t)whorl_mix64((uint64_t)m + step * 0x9e3779b9u);
	}
}

/* Stopwords carry no campaign identity: about after all also and any are
 * because been but can could did does for from had has have her here him
 * his how its just may more most not now off one only other our out over
 * she should some such than that the their them then there these they this
 * those too very was way were what when where which who why will with
 * would you your.
 *
 * Each is kept as a packed key (word_key: the bytes big-endian in the top
 * 56 bits, the length in the low 8; unique for words of up to 7 bytes) in
 * the slot picked by the top 8 bits of key * FUZZY_STOP_MUL, a multiplier
 * found by trying random odd ones until the 69 keys fell into 69 distinct
 * slots; every other slot holds 0, which no key equals. A lookup is one
 * multiply, one load and one compare. To change the list, redo that search
 * (a few lines of Python: pack, multiply mod 2^64, shift right 56, check
 * the slots are distinct) and regenerate the table - and know that any
 * change alters published fuzzy sketches. */
#define FUZZY_MAX_STOPWORD 7
#define FUZZY_STOP_MUL 0x97038126c0984f2bull
static const uint64_t fuzzy_stop_slots[256] = {
	[0x00] = 0x7375636800000004ull, /* such */
	[0x03] = 0x6861766500000004ull, /* have */
	[0x07] = 0x796f750000000003ull, /* you */
	[0x09] = 0x6a75737400000004ull, /* just */
	[0x0a] = 0x6166746572000005ull, /* after */
	[0x0d] = 0x666f720000000003ull, /* for */
	[0x10] = 0x6d61790000000003ull, /* may */
	[0x11] = 0x616e790000000003ull, /* any */
	[0x13] = 0x7769746800000004ull, /* with */
	[0x17] = 0x646f657300000004ull, /* does */
	[0x19] = 0x7468656d00000004ull, /* them */
	[0x20] = 0x7468657900000004ull, /* they */
	[0x21] = 0x6869730000000003ull, /* his */
	[0x2b] = 0x61626f7574000005ull, /* about */
	[0x2c] = 0x7761730000000003ull, /* was */
	[0x3e] = 0x7768657265000005ull, /* where */
	[0x43] = 0x776f756c64000005ull, /* would */
	[0x45] = 0x7665727900000004ull, /* very */
	[0x4c] = 0x6865720000000003ull, /* her */
	[0x4e] = 0x6f6e6c7900000004ull, /* only */
	[0x53] = 0x77696c6c00000004ull, /* will */
	[0x56] = 0x7368650000000003ull, /* she */
	[0x59] = 0x6f76657200000004ull, /* over */
	[0x5b] = 0x7768656e00000004ull, /* when */
	[0x5d] = 0x686f770000000003ull, /* how */
	[0x5f] = 0x6e6f770000000003ull, /* now */
	[0x62] = 0x796f757200000004ull, /* your */
	[0x64] = 0x7765726500000004ull, /* were */
	[0x68] = 0x6172650000000003ull, /* are */
	[0x6b] = 0x6f75720000000003ull, /* our */
	[0x6d] = 0x6275740000000003ull, /* but */
	[0x71] = 0x74686f7365000005ull, /* those */
	[0x78] = 0x7468616e00000004ull, /* than */
	[0x7d] = 0x7768617400000004ull, /* what */
	[0x7e] = 0x7468657365000005ull, /* these */
	[0x81] = 0x7468650000000003ull, /* the */
	[0x85] = 0x6f6e650000000003ull, /* one */
	[0x88] = 0x6469640000000003ull, /* did */
	[0x8f] = 0x68696d0000000003ull, /* him */
	[0x93] = 0x616e640000000003ull, /* and */
	[0x95] = 0x6f74686572000005ull, /* other */
	[0x96] = 0x6e6f740000000003ull, /* not */
	[0x9c] = 0x6f75740000000003ull, /* out */
	[0x9f] = 0x746f6f0000000003ull, /* too */
	[0xa4] = 0x6f66660000000003ull, /* off */
	[0xa7] = 0x6861730000000003ull, /* has */
	[0xaf] = 0x6d6f737400000004ull, /* most */
	[0xb3] = 0x6974730000000003ull, /* its */
	[0xb7] = 0x616c6c0000000003ull, /* all */
	[0xbb] = 0x6861640000000003ull, /* had */
	[0xbd] = 0x7468657265000005ull, /* there */
	[0xbe] = 0x7761790000000003ull, /* way */
	[0xca] = 0x66726f6d00000004ull, /* from */
	[0xcb] = 0x7768696368000005ull, /* which */
	[0xce] = 0x6d6f726500000004ull, /* more */
	[0xcf] = 0x6265636175736507ull, /* because */
	[0xd6] = 0x736f6d6500000004ull, /* some */
	[0xd7] = 0x63616e0000000003ull, /* can */
	[0xda] = 0x7468656e00000004ull, /* then */
	[0xdf] = 0x6865726500000004ull, /* here */
	[0xe0] = 0x73686f756c640006ull, /* should */
	[0xe6] = 0x6265656e00000004ull, /* been */
	[0xe7] = 0x636f756c64000005ull, /* could */
	[0xe8] = 0x7768790000000003ull, /* why */
	[0xf0] = 0x7468656972000005ull, /* their */
	[0xf5] = 0x77686f0000000003ull, /* who */
	[0xfa] = 0x616c736f00000004ull, /* also */
	[0xfc] = 0x7468617400000004ull, /* that */
	[0xfe] = 0x7468697300000004ull, /* this */
};

/* w[0..n) packed as described above; n <= FUZZY_MAX_STOPWORD. */
static inline uint64_t word_key(const char *w, size_t n)
{
	uint64_t k = 0;
	for (size_t i = 0; i < n; i++)
		k = k << 8 | (unsigned char)w[i];
	return (k << (8 * (FUZZY_MAX_STOPWORD - n)) << 8) | n;
}

static inline int is_stopword(const char *w, size_t n)
{
	if (n > FUZZY_MAX_STOPWORD)
		return 0;
	uint64_t k = word_key(w, n);
	return fuzzy_stop_slots[(k * FUZZY_STOP_MUL) >> 56] == k;
}

/* What a word's bytes hold, or'ed over them: WORD_DIGIT for '0'-'9',
 * WORD_HIGH for a byte of a multibyte letter (scripts written without
 * spaces make long "words" of those: text, unlike long ASCII runs, which
 * are base64 debris). */
#define WORD_DIGIT 1u
#define WORD_HIGH 2u
#define R16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
static const uint8_t word_class[256] = {
	R16(0), R16(0), R16(0), /* 0x00-0x2f */
	1,      1,      1,      1,      1,      1,      1,      1,
	1,      1,      0,      0,      0,      0,      0,      0, /* 0x30-0x3f */
	R16(0), R16(0), R16(0), R16(0),                            /* 0x40-0x7f */
	R16(2), R16(2), R16(2), R16(2), R16(2), R16(2), R16(2), R16(2),
};
#undef R16

static unsigned class_of(const char *w, size_t n)
{
	unsigned k = 0;
	for (size_t i = 0; i < n; i++)
		k |= word_class[(unsigned char)w[i]];
	return k;
}

/* The next word of the normalised text from *pos, exactly as
 * text_next_word() gives it, and *cls, class_of() its bytes. A word of
 * more than one letter (one UTF-8 sequence) is found here, its bytes
 * classed in the same pass; a one-letter word may start a spaced-out run
 * ("f r e e"), which text_next_word() joins. */
static inline const char *next_word(const char *norm, size_t len, size_t *pos, size_t *wlen,
                                    char *join, size_t joincap, unsigned *cls)
{
	size_t p = *pos;
	while (p < len && norm[p] == ' ')
		p++;
	if (p >= len) {
		*pos = len;
		return NULL;
	}
	size_t e = p;
	unsigned k = 0;
#if defined(__SSE2__)
	/* A word that ends within the 16 bytes at p (most do): its end from
	 * the first space, its classes from the bytes before it. */
	unsigned spaces = 0;
	if (p + 16 <= len) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(norm + p));
		spaces = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));
		if (spaces != 0) {
			unsigned n = (unsigned)__builtin_ctz(spaces), before = (1u << n) - 1;
			/* v - '0' below 10, unsigned: as signed bytes after adding -128 */
			__m128i d = _mm_xor_si128(_mm_sub_epi8(v, _mm_set1_epi8('0')),
			                          _mm_set1_epi8((char)0x80));
			unsigned digits = (unsigned)_mm_movemask_epi8(
			    _mm_cmplt_epi8(d, _mm_set1_epi8((char)(-128 + 10))));
			unsigned high = (unsigned)_mm_movemask_epi8(v);
			k = ((digits & before) != 0 ? WORD_DIGIT : 0) |
			    ((high & before) != 0 ? WORD_HIGH : 0);
			e = p + n;
		}
	}
	if (spaces == 0)
#endif
		while (e < len && norm[e] != ' ')
			k |= word_class[(unsigned char)norm[e++]];
	unsigned char lead = (unsigned char)norm[p];
	size_t one = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
	if (e - p != one) {
		*pos = e;
		*wlen = e - p;
		*cls = k;
		return norm + p;
	}
	const char *w = text_next_word(norm, len, pos, wlen, join, joincap);
	*cls = class_of(w, *wlen);
	return w;
}

/* Feeds the 5-byte grams of a word continuing the letter stream (at most
 * FUZZY_MAX_STREAM bytes in all): each byte from the stream's fifth on
 * ends a gram. */
static inline void stream_add(struct fuzzy_view *c, uint64_t *reg, size_t *stream, const char *w,
                              size_t n)
{
	size_t s = *stream, i = 0;
	uint64_t r = *reg;            /* in a register: view_add's stores could alias *reg */
	if (n > FUZZY_MAX_STREAM - s) /* s never passes FUZZY_MAX_STREAM */
		n = FUZZY_MAX_STREAM - s;
	for (; i < n && s + i < FUZZY_GRAM - 1; i++)
		r = ((r << 8) | (unsigned char)w[i]) & 0xffffffffffull;
	for (; i < n; i++) {
		r = ((r << 8) | (unsigned char)w[i]) & 0xffffffffffull;
		view_add(c, whorl_mix64(r ^ FUZZY_SEED_C));
	}
	*reg = r;
	*stream = s + n;
}

/* Digits that stand for letters in "v1agra", "fr33", "m0ney". */
static char leet_letter(char d)
{
	switch (d) {
	case '0': return 'o';
	case '1': return 'i';
	case '3': return 'e';
	case '4': return 'a';
	case '5': return 's';
	case '7': return 't';
	default: return 0;
	}
}

/* A word mixing letters with look-alike digits, spelled with the letters
 * into buf; NULL for a word that is a number, holds other digits, or is too
 * long (those identify nothing: prices, dates, order numbers, busters). */
static const char *leet_unspell(const char *w, size_t n, char *buf)
{
	int letters = 0;
	if (n > FUZZY_MAX_WORD)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (w[i] >= '0' && w[i] <= '9') {
			if ((buf[i] = leet_letter(w[i])) == 0)
				return NULL;
		} else {
			buf[i] = w[i];
			letters++;
		}
	}
	return letters > 0 ? buf : NULL;
}

/* Builds both views; returns 1 when FUZZY_MAX_WORDS or FUZZY_MAX_STREAM
 * left words unseen (the scan then reports rescan), else 0. */
static int views_build(const struct fp_input *in, struct fuzzy_view *w, struct fuzzy_view *c)
{
	char join[256], unleet[FUZZY_MAX_WORD];
	size_t pos = 0, wlen, n_words = 0, stream = 0;
	uint64_t reg = 0;
	const char *word;
	unsigned cls;
	view_init(w);
	view_init(c);
	int cut = 0;
	while ((word = next_word(in->norm, in->norm_len, &pos, &wlen, join, sizeof(join), &cls)) !=
	       NULL) {
		if (n_words++ == FUZZY_MAX_WORDS)
			return 1;
		cut |= stream >= FUZZY_MAX_STREAM;
		if ((cls & WORD_DIGIT) && (word = leet_unspell(word, wlen, unleet)) == NULL)
			continue;
		/* Spelled out, a word is at most FUZZY_MAX_WORD bytes: this is the
		 * word as it came, whose high bytes the spelling kept. */
		if (wlen > FUZZY_MAX_WORD && !(cls & WORD_HIGH))
			continue;
		stream_add(c, &reg, &stream, word, wlen);
		if (wlen >= 3 && wlen <= FUZZY_MAX_WORD && !is_stopword(word, wlen))
			view_add(w, whorl_hash64(word, wlen, FUZZY_SEED_W));
	}
	return cut;
}

static void put_u16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static unsigned get_u16(const uint8_t *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void sketch_write(uint8_t *b, const struct fuzzy_view *w, const struct fuzzy_view *c,
                         unsigned nw, unsigned nc)
{
	memset(b, 0, FUZZY_SKETCH_BYTES);
	b[0] = FUZZY_FORMAT;
	put_u16(b + 2, nw);
	put_u16(b + 4, nc);
	view_bins(w, b + 6);
	view_bins(c, b + 6 + FUZZY_K);
	uint8_t *a = b + 6 + 2 * FUZZY_K;
	for (size_t i = 0; i < FUZZY_STORED_ANCHORS; i++) {
		if (nw >= FUZZY_MIN_WORDS && i < w->n_bottom)
			put_u32(a + 4 * i, w->bottom[i]);
		if (nc >= FUZZY_MIN_GRAMS && i < c->n_bottom)
			put_u32(a + 4 * (FUZZY_STORED_ANCHORS + i), c->bottom[i]);
	}
}

/* A view's per-bin value bitmaps as bytes, bit v of a bin in byte v / 8
 * (whatever the host's byte order), and their total population. */
static void seen_write(uint8_t *out, uint8_t *count, const struct fuzzy_view *v)
{
	uint32_t present = 0;
	const uint64_t *w = &v->seen[0][0];
	/* Two loops, each one the compiler vectorises: the bytes, then the count. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(out, w, sizeof(v->seen));
#else
	for (size_t i = 0; i < FUZZY_K * FUZZY_SEEN_WORDS; i++)
		for (unsigned k = 0; k < 8; k++)
			out[8 * i + k] = (uint8_t)(w[i] >> (8 * k));
#endif
	for (size_t i = 0; i < FUZZY_K * FUZZY_SEEN_WORDS; i++)
		present += whorl_popcount64(w[i]);
	put_u32(count, present);
}

void fp_fuzzy_compute(const struct fp_input *in, struct fp_list *out)
{
	struct fuzzy_view w, c;
	if (views_build(in, &w, &c))
		out->overflow = 1; /* words past the limits were not looked at */
	unsigned nw = view_count(&w), nc = view_count(&c);
	if (nw < FUZZY_MIN_WORDS && nc < FUZZY_MIN_GRAMS)
		return;
	uint8_t *bytes = arena_alloc(in->arena, FUZZY_SKETCH_BYTES);
	uint32_t *anchors = arena_alloc(in->arena, 2 * FUZZY_QUERY_ANCHORS * sizeof(uint32_t));
	uint8_t *extra = arena_alloc(in->arena, FUZZY_EXTRA_BYTES);
	if (bytes == NULL || anchors == NULL || extra == NULL) {
		out->overflow = 1;
		return;
	}
	sketch_write(bytes, &w, &c, nw, nc);
	seen_write(extra, extra + 2 * FUZZY_SEEN_BYTES, &w);
	seen_write(extra + FUZZY_SEEN_BYTES, extra + 2 * FUZZY_SEEN_BYTES + 4, &c);
	size_t na = 0;
	if (nw >= FUZZY_MIN_WORDS)
		for (size_t i = 0; i < w.n_bottom; i++)
			anchors[na++] = w.bottom[i];
	if (nc >= FUZZY_MIN_GRAMS)
		for (size_t i = 0; i < c.n_bottom; i++)
			anchors[na++] = c.bottom[i];
	struct fp_sketch sk = {
		.engine = WHORL_FP_FUZZY,
		.len = FUZZY_SKETCH_BYTES,
		.bytes = bytes,
		.query_anchors = anchors,
		.n_query_anchors = na,
		.query_extra = extra,
		.query_extra_len = FUZZY_EXTRA_BYTES,
	};
	fp_list_add_sketch(out, &sk);
}

size_t fp_fuzzy_stored_anchors(const uint8_t *b, size_t len, uint32_t *anchors, size_t cap)
{
	if (len != FUZZY_SKETCH_BYTES || b[0] != FUZZY_FORMAT)
		return 0;
	size_t n = 0;
	for (size_t i = 0; i < 2 * FUZZY_STORED_ANCHORS && n < cap; i++) {
		uint32_t a = get_u32(b + 6 + 2 * FUZZY_K + 4 * i);
		if (a != 0)
			anchors[n++] = a;
	}
	return n;
}

/* How many of the FUZZY_K bins of q and s hold the same value. Every
 * candidate of a query is compared this way (about 170 a message on the
 * corpus), so it is one compare of 16 bytes at a time where SSE2 is there
 * (the x86-64 baseline), the byte loop elsewhere: the same count either way. */
_Static_assert(FUZZY_K % 16 == 0 && FUZZY_K / 16 < 256, "bins_equal's byte lanes do not overflow");
static unsigned bins_equal(const uint8_t *q, const uint8_t *s)
{
#if defined(__SSE2__)
	/* Each equal byte adds 1 to its lane (a compare gives -1); one sum of
	 * absolute differences then adds the lanes up. */
	__m128i acc = _mm_setzero_si128();
	for (unsigned i = 0; i < FUZZY_K; i += 16) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)(q + i));
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(a, b));
	}
	__m128i sum = _mm_sad_epu8(acc, _mm_setzero_si128());
	return (unsigned)_mm_cvtsi128_si32(sum) +
	       (unsigned)_mm_cvtsi128_si32(_mm_srli_si128(sum, 8));
#else
	unsigned same = 0;
	for (unsigned i = 0; i < FUZZY_K; i++)
		same += q[i] == s[i];
	return same;
#endif
}

/* Jaccard from n matching bins, corrected for the 1/256 chance that 8-bit
 * values agree by accident: (n / K - 1/256) / (1 - 1/256), each entry the
 * compiler's fold of that same expression (IEEE double, as at run time). */
#define FUZZY_J(n) (((double)(n) / FUZZY_K - 1.0 / 256) / (1.0 - 1.0 / 256))
#define FUZZY_J4(n) FUZZY_J(n), FUZZY_J((n) + 1), FUZZY_J((n) + 2), FUZZY_J((n) + 3)
#define FUZZY_J16(n) FUZZY_J4(n), FUZZY_J4((n) + 4), FUZZY_J4((n) + 8), FUZZY_J4((n) + 12)
static const double fuzzy_jaccard[FUZZY_K + 1] = {
	FUZZY_J16(0), FUZZY_J16(16), FUZZY_J16(32), FUZZY_J16(48), FUZZY_J(64),
};
_Static_assert(FUZZY_K == 64, "fuzzy_jaccard lists K + 1 entries");

/* Similarity of one view: Jaccard from matching bins (corrected for the
 * 1/256 chance that 8-bit values agree by accident), raised to the overlap
 * coefficient when the sizes are comparable: within FUZZY_MAX_RATIO, or
 * within FUZZY_MAX_RATIO_CONTAINED when the stored set (of at least
 * contained_min elements) is the smaller one, and then only when the overlap
 * reaches FUZZY_THRESHOLD (the estimate is noisy there: a weak overlap must
 * not become supporting evidence). A short query is never taken
 * as "contained" in a long stored text further than FUZZY_MAX_RATIO: that
 * is how short legitimate posts would match a long spam. */
static double view_similarity(const uint8_t *q, const uint8_t *s, unsigned nq, unsigned ns,
                              unsigned contained_min)
{
	double j = fuzzy_jaccard[bins_equal(q, s)];
	if (j <= 0)
		return 0;
	unsigned lo_n = nq < ns ? nq : ns, hi_n = nq < ns ? ns : nq;
	/* hi / lo > ratio, decided on the integers: the same answer as the
	 * quotient in doubles, as sizes are below 2^16 (a quotient above the
	 * integer ratio exceeds it by at least 1/lo, far more than rounding). */
	unsigned max_ratio =
	    ns < nq && ns >= contained_min ? FUZZY_MAX_RATIO_CONTAINED : FUZZY_MAX_RATIO;
	if (lo_n == 0 || hi_n > max_ratio * lo_n)
		return j;
	double lo = lo_n, hi = hi_n;
	double overlap = j * (lo + hi) / ((1 + j) * lo);
	if (overlap > 1)
		overlap = 1;
	if (hi_n > FUZZY_MAX_RATIO * lo_n && overlap < FUZZY_THRESHOLD)
		return j; /* past the usual ratio, only a clear containment counts */
	return overlap > j ? overlap : j;
}

double fp_fuzzy_similarity(const uint8_t *q, size_t qlen, const uint8_t *s, size_t slen)
{
	if (qlen != FUZZY_SKETCH_BYTES || slen != FUZZY_SKETCH_BYTES || q[0] != FUZZY_FORMAT ||
	    s[0] != FUZZY_FORMAT)
		return -1;
	unsigned qw = get_u16(q + 2), qc = get_u16(q + 4), sw = get_u16(s + 2), sc = get_u16(s + 4);
	int use_w = qw >= FUZZY_MIN_WORDS && sw >= FUZZY_MIN_WORDS;
	int use_c = qc >= FUZZY_MIN_GRAMS && sc >= FUZZY_MIN_GRAMS;
	double simw =
	    use_w ? view_similarity(q + 6, s + 6, qw, sw, FUZZY_CONTAINED_MIN * FUZZY_MIN_WORDS)
	          : 0;
	double simc = use_c ? view_similarity(q + 6 + FUZZY_K, s + 6 + FUZZY_K, qc, sc,
	                                      FUZZY_CONTAINED_MIN * FUZZY_MIN_GRAMS)
	                    : 0;
	if (use_w && use_c)
		return (simw > simc ? simw : simc) * 0.75 + (simw + simc) / 2 * 0.25;
	return use_w ? simw : simc;
}

/* Expected filled bins of a stored set of n elements, K (1 - (1 - 1/K)^n),
 * for n < FUZZY_FILLED_TABLE, filled once per process: pow() per candidate
 * cost more than the rest of the comparison. The same pow() fills it, so
 * every value is the one computed per call before; larger sets (rare: a
 * text of over 4,096 distinct words or grams) still call pow(). */
#define FUZZY_FILLED_TABLE 4096
static double fuzzy_filled_table[FUZZY_FILLED_TABLE];
static pthread_once_t fuzzy_filled_once = PTHREAD_ONCE_INIT;

static double filled_bins_pow(unsigned n)
{
	return FUZZY_K * (1 - pow(1 - 1.0 / FUZZY_K, n));
}

static void filled_table_init(void)
{
	for (unsigned n = 0; n < FUZZY_FILLED_TABLE; n++)
		fuzzy_filled_table[n] = filled_bins_pow(n);
}

static double filled_bins(unsigned n)
{
	if (n >= FUZZY_FILLED_TABLE)
		return filled_bins_pow(n);
	pthread_once(&fuzzy_filled_once, filled_table_init);
	return fuzzy_filled_table[n];
}

/* The fewest hits h (0 to FUZZY_K + 1) for which view_containment's
 * result, (h - chance) / scale, reaches FUZZY_THRESHOLD. That formula grows
 * with h, so comparing integer hit counts with this one decides exactly as
 * computing it would, and a candidate can be dropped as soon as the bins
 * left could not bring its hits to it. A guess, then steps to the exact
 * boundary of the same floating-point expression. */
static unsigned contain_need(double chance, double scale)
{
	double guess = ceil(FUZZY_THRESHOLD * scale + chance);
	unsigned h = guess <= 0 ? 0 : guess >= FUZZY_K + 1 ? FUZZY_K + 1 : (unsigned)guess;
	while (h > 0 && !(((double)(h - 1) - chance) / scale < FUZZY_THRESHOLD))
		h--;
	while (h <= FUZZY_K && ((double)h - chance) / scale < FUZZY_THRESHOLD)
		h++;
	return h;
}

/* How much of a stored view's set the query holds, 0 to 1, or 0 when it
 * cannot be told. The stored bin values are the minima of the stored set;
 * each one the query holds too (its 8 bits are among the query's values in
 * that bin) is a stored element found in the query. Bins the stored set
 * left empty carry borrowed values, so hits are counted against the
 * expected number of filled bins, after taking away what chance agreement
 * explains: a bin holding p of the 256 values agrees by chance with
 * probability p/256 (present: p summed over the bins). Only for a stored
 * set of at least contained_min elements, smaller than the query, and
 * while the query's bins are sparse (FUZZY_CONTAIN_MAX_CHANCE). A result
 * under FUZZY_THRESHOLD may come back as 0: callers use none below it. */
static double view_containment(const uint8_t *seen, uint32_t present, const uint8_t *s, unsigned nq,
                               unsigned ns, unsigned contained_min)
{
	if (ns < contained_min || nq <= ns)
		return 0;
	double chance = present / 256.0, mean_chance = chance / FUZZY_K;
	if (mean_chance > FUZZY_CONTAIN_MAX_CHANCE)
		return 0;
	double scale = filled_bins(ns) * (1 - mean_chance);
	unsigned need = contain_need(chance, scale), hits = 0;
	for (unsigned b = 0; b < FUZZY_K; b += FUZZY_CONTAIN_STEP) {
		/* Most candidates hold too little: stop once all the bins left
		 * could not reach need. */
		if (hits + FUZZY_K - b < need)
			return 0;
		for (unsigned k = b; k < b + FUZZY_CONTAIN_STEP; k++)
			hits += (seen[k * FUZZY_SEEN_WORDS * 8 + (s[k] >> 3)] >> (s[k] & 7)) & 1u;
	}
	if (hits < need)
		return 0;
	double c = (hits - chance) / scale;
	return c > 1 ? 1 : c;
}

/* Both views must show the stored text inside the query: the words alone
 * are found in any long text, the letter grams keep their order. A stored
 * text of fewer than FUZZY_CONTAINED_MIN x FUZZY_MIN_GRAMS grams (a
 * one-line pitch, a spam that was mostly a list's boilerplate) is found
 * inside long legitimate mail by coincidence, so it never counts. */
double fp_fuzzy_containment(const uint8_t *extra, size_t elen, const uint8_t *q, size_t qlen,
                            const uint8_t *s, size_t slen)
{
	if (extra == NULL || elen != FUZZY_EXTRA_BYTES || qlen != FUZZY_SKETCH_BYTES ||
	    slen != FUZZY_SKETCH_BYTES || q[0] != FUZZY_FORMAT || s[0] != FUZZY_FORMAT)
		return 0;
	unsigned qw = get_u16(q + 2), qc = get_u16(q + 4), sw = get_u16(s + 2), sc = get_u16(s + 4);
	if (qw < FUZZY_MIN_WORDS || sw < FUZZY_MIN_WORDS || qc < FUZZY_MIN_GRAMS ||
	    sc < FUZZY_MIN_GRAMS)
		return 0;
	const uint8_t *counts = extra + 2 * FUZZY_SEEN_BYTES;
	/* Grams first: they fail far more often than words, and either failing
	 * decides. */
	double cc = view_containment(extra + FUZZY_SEEN_BYTES, get_u32(counts + 4), s + 6 + FUZZY_K,
	                             qc, sc, FUZZY_CONTAINED_MIN * FUZZY_MIN_GRAMS);
	if (cc < FUZZY_THRESHOLD)
		return 0;
	double cw = view_containment(extra, get_u32(counts), s + 6, qw, sw, FUZZY_MIN_WORDS);
	double c = cw < cc ? cw : cc;
	return c >= FUZZY_THRESHOLD ? c : 0;
}

double fp_fuzzy_threshold(void)
{
	return FUZZY_THRESHOLD;
}

double fp_fuzzy_weak_threshold(void)
{
	return FUZZY_WEAK_THRESHOLD;
}
