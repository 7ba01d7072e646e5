/*
 * test_fp_fuzzy.c - the fuzzy engine: golden sketches, and the behaviour
 * the campaign-variant benchmark relies on (order-insensitive, tolerant of
 * hash-busters and of words split or spaced out, distinct for unrelated
 * texts, no sketch for tiny texts).
 * A failing golden vector means the algorithm changed: bump
 * the fuzzy engine's algo_version in cartridge/fp/engines.c and re-publish, do not just update the bytes.
 */
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cartridge/fp/fp.h"
#include "cartridge/util/hash.h"

#define FUZZY_GOLDEN 16460606092590001398ull /* whorl_hash64 of the golden sketch bytes */

static const char text_a[] =
    "dear friend we are pleased to announce our exclusive offer on genuine swiss "
    "watches rolex omega breitling and cartier at prices you will not believe "
    "every watch ships within two days with a certificate of authenticity and "
    "full warranty visit our online store today and save up to eighty percent "
    "this offer is valid only while supplies last so order now";

static struct arena test_arena;
static struct cfg test_cfg;
static struct mime_msg test_msg;

static void setup(void)
{
	arena_init(&test_arena);
	cfg_defaults(&test_cfg, "/nonexistent");
	memset(&test_msg, 0, sizeof(test_msg));
}

static void teardown(void)
{
	arena_destroy(&test_arena);
}

/* The fuzzy sketch of already normalised text; NULL when none is made. */
static const struct fp_sketch *sketch_of(const char *norm, struct fp_list *out)
{
	struct fp_input in = { .mime = &test_msg,
		               .norm = norm,
		               .norm_len = strlen(norm),
		               .cfg = &test_cfg,
		               .arena = &test_arena,
		               .skeleton = "" };
	memset(out, 0, sizeof(*out));
	fp_fuzzy_compute(&in, out);
	return out->n_sketches == 1 ? &out->sketches[0] : NULL;
}

static double sim(const char *a, const char *b)
{
	static struct fp_list la, lb;
	const struct fp_sketch *sa = sketch_of(a, &la), *sb = sketch_of(b, &lb);
	ck_assert_ptr_nonnull(sa);
	ck_assert_ptr_nonnull(sb);
	return fp_sketch_similarity(WHORL_FP_FUZZY, sa->algo_version, sa->bytes, sa->len, sb->bytes,
	                            sb->len);
}

/* Normalised texts of every kind of word the engine tells apart: plain and
 * stop words, one-letter words alone and in spaced-out runs, numbers, leet
 * spellings, ASCII runs past FUZZY_MAX_WORD, multibyte letters of 2, 3 and
 * 4 bytes alone and in long runs; and one digest of every sketch made of
 * them (bytes, query anchors and query extra, overflow flags), as the
 * engine computed them before it split words itself (golden). */
static const char *const word_pieces[] = {
	"offer",
	"the",
	"watches",
	"a",
	"b",
	"c",
	"d",
	"x",
	"v1agra",
	"fr33",
	"m0ney",
	"2024",
	"12ab",
	"e\xcc\x81",
	"\xc3\xa9",
	"\xe6\x97\xa5",
	"\xf0\x9f\x98\x80",
	"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"
	"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"
	"\xe6\x97\xa5\xe6\x9c\xac",
	"qwertyuiopasdfghjklzxcvbnmqwertyuiopasdfghjkl",
	"because",
	"breitling",
	"certificate",
	"l0ng3r",
	"o",
	"i",
	"ab",
	"1999",
	"9am",
	"x9y",
	"4567",
	"s8me",
	"w0rld9",
};

static size_t words_text(uint64_t *x, char *out, size_t cap)
{
	size_t n = 0, words = 1 + (size_t)(*x % 300);
	for (size_t k = 0; k < words; k++) {
		*x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
		const char *w =
		    word_pieces[(*x >> 20) % (sizeof(word_pieces) / sizeof(word_pieces[0]))];
		char gen[12];
		if ((*x >> 40) % 3 ==
		    0) { /* a made-up word of 1 to 8 letters, digits now and then */
			size_t len = 1 + (size_t)((*x >> 44) % 8);
			for (size_t i = 0; i < len; i++)
				gen[i] = (char)((*x >> (4 * i + 2)) % 13 == 0
				                    ? '0' + (*x >> (4 * i)) % 10
				                    : 'a' + (*x >> (4 * i)) % 26);
			gen[len] = '\0';
			w = gen;
		}
		size_t len = strlen(w);
		if (n + len + 2 > cap)
			break;
		if (n > 0)
			out[n++] = ' ';
		memcpy(out + n, w, len);
		n += len;
	}
	out[n] = '\0';
	return n;
}

START_TEST(test_fuzzy_words_golden)
{
	static char text[300 * 64];
	uint64_t x = 0x853c49e6748fea9bull, digest = 0;
	for (int round = 0; round < 400; round++) {
		words_text(&x, text, sizeof(text));
		struct fp_list out;
		const struct fp_sketch *s = sketch_of(text, &out);
		digest = whorl_hash_combine(digest, (uint64_t)out.overflow);
		if (s == NULL)
			continue;
		digest = whorl_hash_combine(digest, whorl_hash64(s->bytes, s->len, 1));
		digest = whorl_hash_combine(
		    digest,
		    whorl_hash64(s->query_anchors, s->n_query_anchors * sizeof(uint32_t), 2));
		digest =
		    whorl_hash_combine(digest, whorl_hash64(s->query_extra, s->query_extra_len, 3));
	}
	ck_assert_msg(digest == 0x8bc58a7e7b49d3cbull, "digest 0x%016llxull",
	              (unsigned long long)digest);
}
END_TEST

START_TEST(test_fuzzy_golden)
{
	struct fp_list out;
	const struct fp_sketch *s = sketch_of(text_a, &out);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->engine, WHORL_FP_FUZZY);
	ck_assert_uint_eq(s->algo_version, 2);
	ck_assert_uint_eq(s->len, 166);
	ck_assert_uint_eq(whorl_hash64(s->bytes, s->len, 0), FUZZY_GOLDEN);
	uint32_t anchors[16];
	ck_assert_uint_eq(
	    fp_sketch_stored_anchors(WHORL_FP_FUZZY, 2, s->bytes, s->len, anchors, 16), 8);
	ck_assert_uint_ge(s->n_query_anchors, 40);
}
END_TEST

START_TEST(test_fuzzy_identity_and_order)
{
	ck_assert_double_ge(sim(text_a, text_a), 0.999);
	/* Sentences in another order: the word set is the same. */
	const char *reordered =
	    "this offer is valid only while supplies last so order now every watch ships "
	    "within two days with a certificate of authenticity and full warranty dear "
	    "friend we are pleased to announce our exclusive offer on genuine swiss watches "
	    "rolex omega breitling and cartier at prices you will not believe visit our "
	    "online store today and save up to eighty percent";
	ck_assert_double_ge(sim(text_a, reordered), 0.85);
}
END_TEST

START_TEST(test_fuzzy_hashbusters_and_spacing)
{
	char busted[2048];
	snprintf(busted, sizeof(busted), "%s %s", text_a,
	         "quartz meadow lantern pebble orchard velvet harbor tundra sparrow mosaic");
	ck_assert_double_ge(sim(text_a, busted), 0.75);
	const char *spaced =
	    "dear friend we are pleased to announce our exclusive offer on genuine s w i s s "
	    "w a t c h e s rolex omega breitling and cartier at prices you will not believe "
	    "every watch ships within two days with a certificate of authenticity and "
	    "full warranty visit our online store today and save up to eighty percent "
	    "this offer is valid only while supplies last so order now";
	ck_assert_double_ge(sim(text_a, spaced), 0.85);
}
END_TEST

START_TEST(test_fuzzy_unrelated_texts_differ)
{
	const char *other =
	    "the meeting about the quarterly budget review has moved to thursday afternoon "
	    "please bring the spreadsheets for the regional offices and the draft of the "
	    "hiring plan we will also discuss the new expense policy and the schedule for "
	    "the office move next spring lunch will be provided for everyone attending";
	ck_assert_double_lt(sim(text_a, other), 0.3);
}
END_TEST

START_TEST(test_fuzzy_tiny_text_no_sketch)
{
	struct fp_list out;
	ck_assert_ptr_null(sketch_of("click here now", &out));
	ck_assert_ptr_null(sketch_of("", &out));
}
END_TEST

/* Look-alike digits inside words read as letters; a real number is not a
 * word at all. */
/* Ordinary prose a spammer pads the campaign with (many distinct words, so
 * the padded text has 3-4 times the campaign's distinct words and grams). */
static const char filler[] =
    "the quarterly meeting has been moved to the second thursday because several "
    "committee members travel abroad the library extended its opening hours on "
    "wednesday evenings volunteers still help with the spring cleanup near the harbour "
    "tickets for the charity concert can be collected from reception before noon "
    "the printer on the third floor gets replaced after lunch and the heating in the "
    "east wing will be serviced during the holidays our treasurer reports balanced "
    "accounts for the year the photography club shows pictures in the foyer and the "
    "school choir rehearses for the winter festival every tuesday road works near the "
    "station may cause delays recycling bins are collected on thursdays lunchtime yoga "
    "resumes after the summer break the museum offers free entry on the first sunday "
    "the bakery on the corner opens at seven lost property stays at the front desk "
    "for a fortnight the swimming pool closes for maintenance in august and next "
    "month a guest speaker talks about the history of lighthouses along the coast "
    "registration for autumn pottery courses opens soon the lift in building b "
    "remains out of service";

START_TEST(test_fuzzy_campaign_padded_with_filler)
{
	char padded[sizeof(text_a) + 2 * sizeof(filler) + 4];
	size_t half = sizeof(filler) / 2;
	while (filler[half] != ' ')
		half++;
	snprintf(padded, sizeof(padded), "%.*s %s %s", (int)half, filler, text_a,
	         filler + half + 1);
	static struct fp_list lp, la;
	const struct fp_sketch *sp = sketch_of(padded, &lp), *sa = sketch_of(text_a, &la);
	ck_assert_ptr_nonnull(sp);
	ck_assert_ptr_nonnull(sa);
	unsigned pw = sp->bytes[2] | sp->bytes[3] << 8, aw = sa->bytes[2] | sa->bytes[3] << 8;
	ck_assert_msg(pw > 3 * aw && pw <= 4 * aw, "words %u vs %u: not the case tested", pw, aw);
	/* The campaign (stored) is contained in the padded variant (query). */
	ck_assert_double_ge(sim(padded, text_a), 0.70);
	/* A short text is not "contained" in a long stored one past the usual ratio. */
	ck_assert_double_lt(sim(text_a, padded), 0.70);
}
END_TEST

/* How much of stored text s the query text q contains (fp_sketch_containment). */
static double contained(const char *q, const char *s)
{
	static struct fp_list lq, ls;
	const struct fp_sketch *sq = sketch_of(q, &lq), *ss = sketch_of(s, &ls);
	ck_assert_ptr_nonnull(sq);
	ck_assert_ptr_nonnull(ss);
	return fp_sketch_containment(sq, ss->algo_version, ss->bytes, ss->len);
}

/* The campaign between filler paragraphs three times its size: past the
 * ratio where the overlap estimate is trusted, the query still holds every
 * stored bin minimum. */
START_TEST(test_fuzzy_campaign_inside_long_filler)
{
	char padded[sizeof(text_a) + 6 * sizeof(filler)];
	snprintf(padded, sizeof(padded), "%s %s %s %s %s", filler, filler, text_a, filler, filler);
	/* The filler repeats, so add distinct words too: the query's sets grow. */
	size_t n = strlen(padded);
	for (unsigned i = 0; i < 150 && n + 16 < sizeof(padded); i++)
		n += (size_t)snprintf(padded + n, sizeof(padded) - n, " zq%cx%cword", 'a' + i % 26,
		                      'a' + i / 26);
	ck_assert_double_lt(sim(padded, text_a), 0.70);
	ck_assert_double_ge(contained(padded, text_a), 0.85);
	/* Containment is one way: the short text does not hold the long one. */
	ck_assert_double_eq(contained(text_a, padded), 0);
}
END_TEST

START_TEST(test_fuzzy_containment_needs_the_text)
{
	const char *other =
	    "the meeting about the quarterly budget review has moved to thursday afternoon "
	    "please bring the spreadsheets for the regional offices and the draft of the "
	    "hiring plan we will also discuss the new expense policy and the schedule for "
	    "the office move next spring lunch will be provided for everyone attending";
	char padded[2 * sizeof(filler) + 512];
	snprintf(padded, sizeof(padded), "%s %s", filler, other);
	ck_assert_double_eq(contained(padded, text_a), 0);
	/* Half of the campaign's text is not "contained". */
	char half[sizeof(text_a) / 2 + sizeof(filler) + 4];
	snprintf(half, sizeof(half), "%s %.*s", filler, (int)(sizeof(text_a) / 2), text_a);
	ck_assert_double_eq(contained(half, text_a), 0);
	/* A short stored text (under three times the minimum of letter grams)
	 * never counts, even when the query holds all of it. */
	const char *pitch = "genuine swiss watches rolex omega breitling cartier discount";
	char with_pitch[sizeof(filler) + 128];
	snprintf(with_pitch, sizeof(with_pitch), "%s %s", filler, pitch);
	ck_assert_double_eq(contained(with_pitch, pitch), 0);
}
END_TEST

START_TEST(test_fuzzy_containment_rejects_foreign_bytes)
{
	static struct fp_list lq, ls;
	const struct fp_sketch *q = sketch_of(text_a, &lq), *s = sketch_of(text_a, &ls);
	uint8_t junk[166] = { 0 };
	ck_assert_ptr_nonnull(q->query_extra);
	ck_assert_double_eq(fp_sketch_containment(q, 2, junk, sizeof(junk)), 0);
	ck_assert_double_eq(fp_sketch_containment(q, 2, junk, 50), 0);
	ck_assert_double_eq(fp_sketch_containment(q, 9, s->bytes, s->len), 0);
	struct fp_sketch bare = *q;
	bare.query_extra = NULL;
	ck_assert_double_eq(fp_sketch_containment(&bare, 2, s->bytes, s->len), 0);
	bare.query_extra = q->query_extra;
	bare.query_extra_len = q->query_extra_len - 1;
	ck_assert_double_eq(fp_sketch_containment(&bare, 2, s->bytes, s->len), 0);
}
END_TEST

START_TEST(test_fuzzy_leetspeak)
{
	const char *leet =
	    "d3ar fr1end we are pl3ased to announce our exclus1ve 0ffer on genu1ne sw1ss "
	    "watch3s r0lex 0mega bre1tl1ng and cart1er at pr1ces you w1ll not bel1eve "
	    "every watch sh1ps w1th1n two days w1th a cert1f1cate of authent1c1ty and "
	    "full warranty v1s1t our onl1ne st0re today and save up to e1ghty percent "
	    "th1s 0ffer 1s val1d only wh1le suppl1es last so 0rder n0w 2002 100";
	ck_assert_double_ge(sim(text_a, leet), 0.9);
}
END_TEST

/* Scripts without spaces make one long "word": the letter-gram view must
 * still see it (the word view cannot). */
START_TEST(test_fuzzy_cjk_text)
{
	const char *zh = "\u4eca\u5929\u5c31\u8cfc\u8cb7\u6211\u5011\u7684\u7522\u54c1"
	                 "\u4eab\u53d7\u516d\u6298\u512a\u60e0\u514d\u8cbb\u9001\u8ca8"
	                 "\u5230\u5168\u570b\u5404\u5730\u6578\u91cf\u6709\u9650\u552e"
	                 "\u5b8c\u70ba\u6b62\u8acb\u7acb\u5373\u806f\u7d61\u6211\u5011";
	char other[512];
	/* The same offer with two characters changed and one added. */
	snprintf(other, sizeof(other), "%s%s", zh, "\u5feb");
	memcpy(other + 3, "\u660e", 3);
	ck_assert_double_ge(sim(zh, other), 0.7);
}
END_TEST

START_TEST(test_fuzzy_rejects_foreign_bytes)
{
	uint8_t junk[166] = { 0 };
	struct fp_list out;
	const struct fp_sketch *s = sketch_of(text_a, &out);
	ck_assert_double_lt(fp_sketch_similarity(WHORL_FP_FUZZY, 2, s->bytes, s->len, junk, 50), 0);
	ck_assert_double_lt(fp_sketch_similarity(WHORL_FP_FUZZY, 2, s->bytes, s->len, junk, 166),
	                    0);
	ck_assert_double_lt(
	    fp_sketch_similarity(WHORL_FP_FUZZY, 9, s->bytes, s->len, s->bytes, s->len), 0);
	uint32_t anchors[16];
	ck_assert_uint_eq(fp_sketch_stored_anchors(WHORL_FP_FUZZY, 2, junk, 166, anchors, 16), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_fuzzy");
	TCase *tc = tcase_create("fuzzy");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fuzzy_golden);
	tcase_add_test(tc, test_fuzzy_words_golden);
	tcase_add_test(tc, test_fuzzy_identity_and_order);
	tcase_add_test(tc, test_fuzzy_hashbusters_and_spacing);
	tcase_add_test(tc, test_fuzzy_unrelated_texts_differ);
	tcase_add_test(tc, test_fuzzy_tiny_text_no_sketch);
	tcase_add_test(tc, test_fuzzy_cjk_text);
	tcase_add_test(tc, test_fuzzy_campaign_padded_with_filler);
	tcase_add_test(tc, test_fuzzy_campaign_inside_long_filler);
	tcase_add_test(tc, test_fuzzy_containment_needs_the_text);
	tcase_add_test(tc, test_fuzzy_containment_rejects_foreign_bytes);
	tcase_add_test(tc, test_fuzzy_leetspeak);
	tcase_add_test(tc, test_fuzzy_rejects_foreign_bytes);
	suite_add_tcase(s, tc);
	return check_run(s);
}
