/*
 * test_fp.c - golden vectors and behaviour of the body, url, ip, attach and
 * struct engines, on hand-built inputs (no MIME parser involved).
 * A failing golden vector means an algorithm changed: bump that engine's
 * version and re-publish, do not just update the number.
 */
#include <arpa/inet.h>
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cartridge/fp/fp.h"
#include "cartridge/text/text.h"
#include "cartridge/util/arena.h"
#include "cartridge/util/hash.h"

/* Pinned outputs; see the header comment before changing any. */
#define BODY_GOLDEN 14998983918159609781ull
#define URL_GOLDEN_HOSTPATH 15135920246847932074ull
#define URL_GOLDEN_DOMAIN 7798040871972660108ull
#define IP_GOLDEN 1098907487065175081ull
#define ATTACH_GOLDEN 7180711907310599610ull
#define STRUCT_GOLDEN 10569799939066666078ull
/* The letters digest of "buy cheap watches today and save more than ever
 * before" (body.c), published beside BODY_GOLDEN. */
#define BODY_LETTERS_GOLDEN 17938965192931396618ull
/* The letters digest of "Wind up your mates today! Please visit" (body.c):
 * its whole-text key and the part key of a line that holds it. */
#define BODY_PART_GOLDEN 13059839102264118485ull

static struct cfg test_cfg;
static struct mime_part test_parts[4];
static struct mime_header test_headers[8];
static struct mime_msg test_msg;
static struct fp_input test_in;
static struct fp_list test_out;
static struct arena test_arena;

static void setup(void)
{
	cfg_defaults(&test_cfg, "/nonexistent");
	memset(test_parts, 0, sizeof(test_parts));
	memset(&test_msg, 0, sizeof(test_msg));
	memset(&test_in, 0, sizeof(test_in));
	memset(&test_out, 0, sizeof(test_out));
	test_parts[0] = (struct mime_part){ .parent = -1,
		                            .type = "text",
		                            .subtype = "plain",
		                            .charset = "",
		                            .filename = "",
		                            .content_id = "" };
	test_msg.parts = test_parts;
	test_msg.n_parts = 1;
	test_msg.headers = test_headers;
	test_msg.subject = "";
	test_in.mime = &test_msg;
	test_in.cfg = &test_cfg;
	test_in.skeleton = "";
	test_in.norm = "";
	arena_init(&test_arena);
	test_in.arena = &test_arena;
}

static void teardown(void)
{
	arena_destroy(&test_arena);
}

static uint64_t only_key(unsigned engine)
{
	ck_assert_uint_eq(test_out.n_fps, 1);
	ck_assert_uint_eq(test_out.fps[0].engine, engine);
	return test_out.fps[0].key;
}

START_TEST(test_body_golden)
{
	test_in.norm = "buy cheap watches today and save more than ever before";
	test_in.norm_len = strlen(test_in.norm);
	fp_body_compute(&test_in, &test_out);
	ck_assert_uint_eq(test_out.n_fps, 2);
	ck_assert_uint_eq(test_out.fps[0].engine, WHORL_FP_BODY);
	ck_assert_uint_eq(test_out.fps[0].key, BODY_GOLDEN);
	ck_assert_uint_eq(test_out.fps[1].engine, WHORL_FP_BODY);
	ck_assert_uint_eq(test_out.fps[1].key, BODY_LETTERS_GOLDEN);
	ck_assert_uint_eq(test_out.fps[1].flags, 0);
}
END_TEST

START_TEST(test_body_short_text_makes_no_key)
{
	test_in.norm = "hi there";
	test_in.norm_len = strlen(test_in.norm);
	fp_body_compute(&test_in, &test_out);
	ck_assert_uint_eq(test_out.n_fps, 0);
	/* 19 letters: under both minimums. */
	test_in.norm = "win up your mates t";
	test_in.norm_len = strlen(test_in.norm);
	fp_body_compute(&test_in, &test_out);
	ck_assert_uint_eq(test_out.n_fps, 0);
}
END_TEST

/* Body keys of visible text `vis` (links already blanked), with part keys:
 * the whole-text keys first (words, letters), then parts. */
static struct text_part test_parts_buf[FP_BODY_MAX_PARTS];

static void body_of(const char *vis, char *norm)
{
	memset(&test_out, 0, sizeof(test_out));
	test_in.norm_len = text_normalise_parts(vis, strlen(vis), norm, test_parts_buf,
	                                        FP_BODY_MAX_PARTS, &test_in.n_parts, NULL);
	test_in.norm = norm;
	test_in.parts = test_parts_buf;
	fp_body_compute(&test_in, &test_out);
}

static int has_key(uint64_t key, uint16_t flags)
{
	for (size_t i = 0; i < test_out.n_fps; i++)
		if (test_out.fps[i].key == key && test_out.fps[i].flags == flags)
			return 1;
	return 0;
}

static int has_part(uint64_t key)
{
	return has_key(key, FP_BODY_F_PART);
}

/* The letters digest does not depend on where the words break: joined by
 * invisible format characters (zero-width joiner, space, non-joiner, word
 * joiner, BOM, soft hyphen), glued together, split or spaced out, the
 * same text has the same letters key; its words key is another. */
START_TEST(test_body_letters_ignore_word_boundaries)
{
	char norm[512];
	body_of("Wind up your mates today! Please visit", norm);
	ck_assert_uint_eq(test_out.n_fps, 2);
	uint64_t words = test_out.fps[0].key, letters = test_out.fps[1].key;
	ck_assert_uint_eq(letters, BODY_PART_GOLDEN);
	static const char *const same[] = {
		"Wind\u200dup\u200dyour\u200dmates\u200dtoday!\u200dPlease\u200dvisit",
		"Wind\u200bup\u200byour\u200cmates\u2060today!\ufeffPlease\u00advisit",
		"WindUpYourMatesToday!PleaseVisit",
		"W i n d up your ma\u00adtes to\u200bday!  Please v-i-s-i-t",
		"<Wind> up\tyour\r\nmates...today (Please) visit\r\n",
	};
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		body_of(same[i], norm);
		ck_assert_msg(has_key(letters, 0), "letters key of \"%s\"", same[i]);
	}
	ck_assert(has_key(words, 0)); /* the last one: the same words */
	body_of(same[0], norm);
	ck_assert(!has_key(words, 0)); /* one word to the words digest */
	/* Glued under FP_BODY_MIN_BYTES: the letters key only, still the
	 * same. */
	body_of("Wind up your mates today", norm);
	ck_assert_uint_eq(test_out.n_fps, 2);
	uint64_t short_letters = test_out.fps[1].key;
	body_of("WindUpYourMatesToday", norm);
	ck_assert_uint_eq(test_out.n_fps, 1);
	ck_assert_uint_eq(test_out.fps[0].key, short_letters);
	/* Past one FP_BODY_LETTER_BLOCK: the scan's in-place digest and
	 * fp_body_add_text()'s copying one agree, whatever the spacing. */
	static char long_text[2048], long_norm[2048];
	size_t o = 0;
	for (int i = 0; o < 1500; i++)
		o += (size_t)snprintf(long_text + o, sizeof(long_text) - o, "word%c%d ",
		                      'a' + i % 26, i);
	body_of(long_text, long_norm);
	uint64_t long_letters = test_out.fps[1].key;
	memset(&test_out, 0, sizeof(test_out));
	fp_body_add_text(&test_out, long_norm, strlen(long_norm));
	ck_assert_uint_eq(test_out.fps[1].key, long_letters);
	for (size_t i = 0; long_text[i]; i++)
		if (long_text[i] == ' ' && i % 3 == 0)
			long_text[i] = '\n'; /* new lines, new parts, same letters */
	body_of(long_text, long_norm);
	ck_assert(has_key(long_letters, 0));
	/* Other letters, another key. */
	body_of("Wind up your mates today! Please visis", norm);
	ck_assert(!has_key(letters, 0));
}
END_TEST

/* A short campaign's whole text, with filler paragraphs, a greeting and a
 * reference number around it, is one of the message's part keys; the same
 * text on its own makes no part key (its whole-text key says it all). */
START_TEST(test_body_part_keys)
{
	char norm[512];
	body_of("Wind up your mates today! Please visit \r\n", norm);
	ck_assert_uint_eq(test_out.n_fps, 2);
	ck_assert_uint_eq(test_out.fps[0].flags, 0);
	ck_assert_uint_eq(test_out.fps[1].flags, 0);
	uint64_t whole = test_out.fps[1].key; /* the letters digest */
	ck_assert_uint_eq(whole, BODY_PART_GOLDEN);
	body_of("The garden committee thanks everyone who donated plants and\r\nseeds.\r\n"
	        "\r\nHi Jane,\r\n  \r\n-----------------\r\nWind up your mates today! Please "
	        "visit \r\n\r\nRef: TP-3879784\r\n",
	        norm);
	ck_assert_uint_eq(test_out.fps[0].flags, 0);
	ck_assert(!has_key(whole, 0));
	ck_assert(has_part(whole)); /* a separator line ends no paragraph */
	/* The campaign's words joined by zero-width joiners in one line. */
	body_of("Hi Jane,\n\nWind\u200dup\u200dyour\u200dmates\u200dtoday!\u200dPlease\u200dvisit\n"
	        "\nRef: TP-3879784\n",
	        norm);
	ck_assert(has_part(whole));
	/* Wrapped over two lines, inside a paragraph of three: the paragraph
	 * and each line are parts, not the two lines joined. */
	body_of("Dear friend\nWind up your mates\ntoday! Please visit\n", norm);
	ck_assert(!has_part(whole));
	ck_assert_uint_eq(test_out.n_fps, 2); /* lines under 20 letters make no key */
	body_of("Dear friend, this one is for you\n\nWind up your mates\ntoday! Please visit\n",
	        norm);
	ck_assert(has_part(whole));
	/* A part key never hides an equal whole-text key added after it
	 * (an attachment's text unit): both stay. */
	fp_body_add_text(&test_out, "wind up your mates today please visit", 37);
	size_t n = 0;
	for (size_t i = 0; i < test_out.n_fps; i++)
		n += test_out.fps[i].key == whole;
	ck_assert_uint_eq(n, 2);
}
END_TEST

static void url_keys(const char *url, uint64_t keys[2])
{
	struct text_link l = { .url = url, .len = strlen(url), .kind = TEXT_LINK_HREF };
	memset(&test_out, 0, sizeof(test_out));
	test_in.links = &l;
	test_in.n_links = 1;
	fp_url_compute(&test_in, &test_out);
	ck_assert_uint_eq(test_out.n_fps, 2);
	keys[0] = test_out.fps[0].key;
	keys[1] = test_out.fps[1].key;
}

START_TEST(test_url_golden_and_normalisation)
{
	uint64_t a[2], b[2];
	url_keys("http://shop.example.com/pills/buy", a);
	ck_assert_uint_eq(a[0], URL_GOLDEN_HOSTPATH);
	ck_assert_uint_eq(a[1], URL_GOLDEN_DOMAIN);
	const char *same[] = {
		"HTTPS://www.Shop.Example.COM:8080/pills/buy/?id=12345#top",
		"http://victim@shop.example.com./pills/buy",
		"http://shop.example.com/pills%2Fbuy", /* %2F is reserved: stays encoded */
	};
	url_keys(same[0], b);
	ck_assert_uint_eq(a[0], b[0]);
	url_keys(same[1], b);
	ck_assert_uint_eq(a[0], b[0]);
	url_keys(same[2], b);
	ck_assert_uint_ne(a[0], b[0]);
	ck_assert_uint_eq(a[1], b[1]);
	/* Another subdomain and path: same registered domain, new host+path. */
	url_keys("http://x7.example.com/other", b);
	ck_assert_uint_ne(a[0], b[0]);
	ck_assert_uint_eq(a[1], b[1]);
	/* Second-level registries keep three labels. */
	uint64_t c[2], d[2];
	url_keys("http://a.shop.example.co.uk/", c);
	url_keys("http://b.other.co.uk/", d);
	ck_assert_uint_ne(c[1], d[1]);
}
END_TEST

START_TEST(test_url_skips_non_web_links)
{
	struct text_link l[3] = {
		{ .url = "mailto:someone@example.com", .len = 26, .kind = TEXT_LINK_HREF },
		{ .url = "cid:part1.abc", .len = 13, .kind = TEXT_LINK_HREF },
		{ .url = "http://img.example.com/a.gif", .len = 28, .kind = TEXT_LINK_IMG },
	};
	test_in.links = l;
	test_in.n_links = 3;
	fp_url_compute(&test_in, &test_out);
	ck_assert_uint_eq(test_out.n_fps, 0);
}
END_TEST

static void add_received(size_t i, const char *value)
{
	test_headers[i] =
	    (struct mime_header){ .name = "Received", .raw = value, .raw_len = strlen(value) };
	test_msg.n_headers = i + 1;
}

START_TEST(test_ip_first_public_hop)
{
	char ip[64];
	add_received(0,
	             "from mail.internal (mail.internal [10.0.0.5]) by mx.example.org with ESMTP");
	add_received(
	    1, "from sender.example.net (sender.example.net [198.51.100.7]) by mail.internal");
	ck_assert_int_eq(fp_ip_sender(&test_in, ip, sizeof(ip)), 0);
	ck_assert_str_eq(ip, "198.51.100.7");
	fp_ip_compute(&test_in, &test_out);
	ck_assert_uint_eq(only_key(WHORL_FP_IP), IP_GOLDEN);
}
END_TEST

START_TEST(test_ip_skips_our_own_relays)
{
	char ip[64];
	/* A mail store's view: our MX handed the message to the store. */
	add_received(0, "from mx1.example.com (mx1.example.com [192.0.2.25]) by store.example.com");
	add_received(1,
	             "from bot.example.net (bot.example.net [198.51.100.77]) by mx1.example.com");
	ck_assert_int_eq(fp_ip_sender(&test_in, ip, sizeof(ip)), 0);
	ck_assert_str_eq(ip, "198.51.100.77");
	/* The sender's own HELO is not trusted to chain: forged lower hops
	 * naming it do not move the sender down. */
	add_received(0, "from liar.example (bot.example.net [198.51.100.77]) by mx1.example.com");
	add_received(1, "from innocent.example ([203.0.113.5]) by liar.example");
	ck_assert_int_eq(fp_ip_sender(&test_in, ip, sizeof(ip)), 0);
	ck_assert_str_eq(ip, "198.51.100.77");
}
END_TEST

START_TEST(test_ip_gateway_hosts)
{
	char ip[64];
	add_received(0, "from relay.example.org ([203.0.113.9]) by inner.example.org");
	add_received(1, "from bot.example.net ([192.0.2.44]) by gw.example.org (Postfix)");
	add_received(2, "from forged ([198.51.100.1]) by somewhere.example");
	snprintf(test_cfg.gateway_hosts[0], sizeof(test_cfg.gateway_hosts[0]), "gw.example.org");
	test_cfg.n_gateway_hosts = 1;
	ck_assert_int_eq(fp_ip_sender(&test_in, ip, sizeof(ip)), 0);
	ck_assert_str_eq(ip, "192.0.2.44");
}
END_TEST

START_TEST(test_ip_envelope_and_off)
{
	char ip[64];
	struct whorl_envelope env = { .size = sizeof(env), .client_ip = "2001:DB8::0:1" };
	add_received(0, "from x ([198.51.100.7]) by y");
	test_in.env = &env;
	test_cfg.use_envelope_ip = 1;
	ck_assert_int_eq(fp_ip_sender(&test_in, ip, sizeof(ip)), 0);
	ck_assert_str_eq(ip, "2001:db8::1");
	test_cfg.use_ip_information = 0;
	ck_assert_int_ne(fp_ip_sender(&test_in, ip, sizeof(ip)), 0);
}
END_TEST

/* IPv4 addresses are written as inet_ntop writes them (ip.c formats them
 * itself): every octet of one, two and three digits, and a buffer one byte
 * too small is refused. */
START_TEST(test_ip_v4_text_as_inet_ntop)
{
	static const unsigned octets[] = { 0, 1, 9, 10, 42, 99, 100, 199, 200, 255 };
	struct whorl_envelope env = { .size = sizeof(env) };
	char in[32], got[64], want[INET_ADDRSTRLEN];
	test_in.env = &env;
	test_cfg.use_envelope_ip = 1;
	for (unsigned i = 0; i < 10000; i++) {
		unsigned char a[4] = { (unsigned char)octets[i % 10],
			               (unsigned char)octets[i / 10 % 10],
			               (unsigned char)octets[i / 100 % 10],
			               (unsigned char)octets[i / 1000] };
		snprintf(in, sizeof(in), "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
		env.client_ip = in;
		ck_assert_ptr_nonnull(inet_ntop(AF_INET, a, want, sizeof(want)));
		ck_assert_int_eq(fp_ip_sender(&test_in, got, sizeof(got)), 0);
		ck_assert_str_eq(got, want);
		ck_assert_int_eq(fp_ip_sender(&test_in, got, strlen(want) + 1), 0);
		ck_assert_int_ne(fp_ip_sender(&test_in, got, strlen(want)), 0);
	}
}
END_TEST

/* The letters keys of a scan (body.c copies the letters 16 bytes at a
 * time) equal those fp_body_add_text computes from the text and from each
 * keyed part's text alone (letter by letter): random words between one or
 * two spaces, parts of lines and paragraphs of every size. */
static size_t letters_key(const char *t, size_t len, uint64_t *key)
{
	static struct fp_list l;
	memset(&l, 0, sizeof(l));
	fp_body_add_text(&l, t, len);
	size_t hashed = len >= 24; /* FP_BODY_MIN_BYTES: the key of the bytes comes first */
	if (l.n_fps <= hashed)
		return 0;
	*key = l.fps[hashed].key;
	return 1;
}

START_TEST(test_body_letters_as_text)
{
	static char text[4096];
	static struct text_part parts[8];
	uint64_t x = 0x6a09e667f3bcc908ull;
	for (int round = 0; round < 3000; round++) {
		size_t n = 0, target = 1 + (size_t)(x % (round % 2 ? 200 : 4000));
		while (n + 44 < target) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			if ((x >> 8) % 7 == 0 || n == 0)
				text[n++] = ' ';
			for (size_t k = 0, len = 1 + (x >> 16) % (round % 3 ? 11 : 40); k < len;
			     k++)
				text[n++] = (char)('a' + (x >> (3 * (k % 21))) % 26);
			text[n++] = ' ';
		}
		text[n] = '\0';
		size_t np = (size_t)(x % 9);
		for (size_t k = 0; k < np; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			uint32_t from = (uint32_t)(x % (n + 1)), len = (uint32_t)((x >> 20) % 600);
			parts[k] =
			    (struct text_part){ from, from + len > n ? (uint32_t)n : from + len };
		}
		memset(&test_out, 0, sizeof(test_out));
		test_in.norm = text;
		test_in.norm_len = n;
		test_in.parts = parts;
		test_in.n_parts = np;
		fp_body_compute(&test_in, &test_out);
		/* Expected: the letters keys of the text and of each keyed part (a
		 * list keeps a key once); the list holds those after the key of the
		 * bytes, in any order of equal keys. */
		uint64_t want[9], key;
		size_t nw = 0;
		if (letters_key(text, n, &key))
			want[nw++] = key;
		for (size_t k = 0; k < np; k++) {
			size_t len = parts[k].to - parts[k].from;
			if (len <= 512 && len != n && letters_key(text + parts[k].from, len, &key))
				want[nw++] = key;
		}
		size_t first = n >= 24; /* FP_BODY_MIN_BYTES */
		for (size_t i = 0; i < nw; i++) {
			size_t j = first;
			while (j < test_out.n_fps && want[i] != test_out.fps[j].key)
				j++;
			ck_assert_msg(j < test_out.n_fps, "round %d: letters key %zu missing",
			              round, i);
		}
		for (size_t j = first; j < test_out.n_fps; j++) {
			size_t i = 0;
			while (i < nw && want[i] != test_out.fps[j].key)
				i++;
			ck_assert_msg(i < nw, "round %d: key %zu not expected", round, j);
		}
		arena_reset(&test_arena);
	}
}
END_TEST

START_TEST(test_attach_golden)
{
	static unsigned char payload[64];
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (unsigned char)(i * 7);
	test_parts[1] = (struct mime_part){ .parent = 0,
		                            .depth = 1,
		                            .type = "application",
		                            .subtype = "zip",
		                            .charset = "",
		                            .filename = "a.zip",
		                            .content_id = "",
		                            .is_attachment = 1,
		                            .data = payload,
		                            .data_len = sizeof(payload) };
	test_parts[2] = test_parts[1];
	test_parts[2].type = "image";
	test_msg.n_parts = 3;
	fp_attach_compute(&test_in, &test_out);
	ck_assert_uint_eq(only_key(WHORL_FP_ATTACH), ATTACH_GOLDEN);
}
END_TEST

START_TEST(test_struct_needs_a_template)
{
	test_in.skeleton = "html body p";
	test_in.skeleton_len = strlen(test_in.skeleton);
	fp_struct_compute(&test_in, &test_out);
	ck_assert_uint_eq(test_out.n_fps, 0);
	test_in.skeleton = "html body table tr td img tr td a font b tr td p a";
	test_in.skeleton_len = strlen(test_in.skeleton);
	fp_struct_compute(&test_in, &test_out);
	ck_assert_uint_eq(only_key(WHORL_FP_STRUCT), STRUCT_GOLDEN);
}
END_TEST

START_TEST(test_list_dedupes_and_bounds)
{
	for (int i = 0; i < 3; i++)
		fp_list_add(&test_out, WHORL_FP_URL, 42, 0);
	ck_assert_uint_eq(test_out.n_fps, 1);
	for (uint64_t i = 0; i < FP_MAX_FPS + 5; i++)
		fp_list_add(&test_out, WHORL_FP_BODY, i, 0);
	ck_assert_uint_eq(test_out.n_fps, FP_MAX_FPS);
	ck_assert_int_eq(test_out.overflow, 1);
	ck_assert_str_eq(fp_engine_name(WHORL_FP_FUZZY), "fuzzy");
}
END_TEST

/* The one engine table: each id once, in its slot, named, versioned and
 * run; a sketch engine has all its operations; what an engine adds carries
 * the table's version. */
START_TEST(test_engine_table)
{
	int seen[WHORL_FP_ENGINE_MAX + 1] = { 0 };
	ck_assert_ptr_null(fp_engine_get(0));
	ck_assert_ptr_null(fp_engine_get(WHORL_FP_ENGINE_MAX + 1));
	for (unsigned id = 1; id <= WHORL_FP_ENGINE_MAX; id++) {
		const struct fp_engine *e = fp_engine_get(id);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->id, id);
		ck_assert(e->name != NULL && e->algo_version > 0 && e->compute != NULL);
		int ops = (e->stored_anchors != NULL) + (e->similarity != NULL) +
		          (e->threshold != NULL) + (e->weak_threshold != NULL);
		ck_assert_msg(ops == 0 || ops == 4, "%s has %d of 4 sketch operations", e->name,
		              ops);
		for (unsigned other = 1; other < id; other++)
			ck_assert_str_ne(e->name, fp_engine_get(other)->name);
	}
	for (size_t k = 0; k < FP_N_ENGINES; k++)
		seen[fp_engine_scan_order[k]]++;
	for (unsigned id = 1; id <= WHORL_FP_ENGINE_MAX; id++)
		ck_assert_int_eq(seen[id], 1);
	fp_list_add(&test_out, WHORL_FP_IP, 7, 0);
	ck_assert_uint_eq(test_out.fps[test_out.n_fps - 1].algo_version,
	                  fp_engine_get(WHORL_FP_IP)->algo_version);
	/* A sketch is only compared by the version that made it. */
	uint8_t b[8] = { 0 };
	ck_assert(fp_sketch_similarity(WHORL_FP_FUZZY,
	                               fp_engine_get(WHORL_FP_FUZZY)->algo_version + 1, b,
	                               sizeof(b), b, sizeof(b)) < 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp");
	TCase *tc = tcase_create("engines");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_body_golden);
	tcase_add_test(tc, test_body_short_text_makes_no_key);
	tcase_add_test(tc, test_body_letters_ignore_word_boundaries);
	tcase_add_test(tc, test_body_part_keys);
	tcase_add_test(tc, test_url_golden_and_normalisation);
	tcase_add_test(tc, test_url_skips_non_web_links);
	tcase_add_test(tc, test_ip_first_public_hop);
	tcase_add_test(tc, test_ip_skips_our_own_relays);
	tcase_add_test(tc, test_ip_gateway_hosts);
	tcase_add_test(tc, test_ip_envelope_and_off);
	tcase_add_test(tc, test_ip_v4_text_as_inet_ntop);
	tcase_add_test(tc, test_body_letters_as_text);
	tcase_add_test(tc, test_attach_golden);
	tcase_add_test(tc, test_struct_needs_a_template);
	tcase_add_test(tc, test_list_dedupes_and_bounds);
	tcase_add_test(tc, test_engine_table);
	suite_add_tcase(s, tc);
	return check_run(s);
}
