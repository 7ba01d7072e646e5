/*
 * html_tags.c - lookup of known HTML elements (see html_tags.h).
 *
 * Not for: parsing; the renderer hands over a lower-cased name.
 */
#include "html_tags.h"

#include <string.h>

/* Byte i of a name's key (html_tag_key() at compile time): the literal is
 * padded with NULs so that bytes past a short name read as 0. */
#define TAG_KEY_BYTE(name, i) \
	((uint64_t)(unsigned char)(name "\0\0\0\0\0\0\0\0")[i] << (56 - 8 * (i)))
#define TAG_KEY(name)                                                            \
	(TAG_KEY_BYTE(name, 0) | TAG_KEY_BYTE(name, 1) | TAG_KEY_BYTE(name, 2) | \
	 TAG_KEY_BYTE(name, 3) | TAG_KEY_BYTE(name, 4) | TAG_KEY_BYTE(name, 5) | \
	 TAG_KEY_BYTE(name, 6) | TAG_KEY_BYTE(name, 7))

/* Known elements, from HTML_TAG_LIST (key: the name packed big-endian into
 * 8 bytes). */
static const struct tag_info tag_table[] = {
#define TAG_ENTRY(id, name, flags) { TAG_KEY(name), name, sizeof(name) - 1, TAG_##id, flags },
	HTML_TAG_LIST(TAG_ENTRY)
#undef TAG_ENTRY
};
_Static_assert(sizeof(tag_table) / sizeof(tag_table[0]) == TAG_COUNT - 1,
               "one table entry per enum tag_id");

/* Open-addressing index into tag_table (entry + 1, 0 = empty), slot =
 * TAG_HASH(key), linear probing. Made from the table above: for each entry
 * in order, store its position + 1 in the first empty slot from
 * TAG_HASH(key) on. After an edit of HTML_TAG_LIST, make it again that way;
 * tests/unit/test_html_tags.c fails while it is stale. */
#define TAG_HASH_MUL 0x9E3779B97F4A7C15ULL
#define TAG_HASH(key) ((size_t)(((key)*TAG_HASH_MUL) >> 56))
static const uint8_t tag_slots[256] = {
	71,  79,  117, 0,   0,   76, 40,  0,   41,  0,   10,  119, 0,  0,   0,   13,  0,  39,
	0,   72,  0,   83,  0,   0,  0,   18,  22,  97,  0,   37,  77, 0,   17,  0,   0,  0,
	0,   7,   23,  8,   0,   3,  16,  56,  0,   0,   0,   0,   84, 85,  0,   68,  0,  0,
	0,   0,   51,  0,   45,  0,  25,  0,   0,   0,   49,  65,  78, 33,  128, 91,  0,  0,
	47,  0,   0,   19,  0,   0,  0,   38,  82,  126, 0,   0,   70, 0,   0,   118, 26, 0,
	0,   0,   0,   0,   0,   62, 75,  0,   0,   61,  114, 0,   9,  0,   0,   59,  0,  0,
	32,  34,  36,  53,  87,  95, 100, 81,  127, 58,  0,   0,   74, 0,   0,   0,   46, 0,
	30,  115, 0,   0,   0,   0,  27,  0,   0,   0,   43,  44,  0,  69,  35,  0,   0,  80,
	0,   98,  0,   90,  29,  86, 93,  103, 109, 123, 0,   0,   0,  57,  0,   0,   0,  0,
	0,   63,  92,  31,  102, 2,  106, 0,   0,   0,   28,  0,   0,  0,   0,   0,   0,  104,
	52,  0,   111, 0,   101, 0,  108, 0,   11,  50,  94,  60,  66, 105, 121, 122, 48, 107,
	120, 0,   21,  55,  0,   0,  0,   0,   14,  113, 0,   0,   54, 0,   6,   89,  0,  0,
	0,   0,   42,  96,  0,   64, 125, 5,   73,  88,  0,   0,   0,  0,   15,  0,   0,  20,
	0,   0,   99,  116, 110, 0,  0,   124, 0,   12,  0,   1,   67, 0,   0,   0,   0,  0,
	24,  112, 4,   0,
};

uint64_t html_tag_key(const char *name, size_t len)
{
	uint64_t key = 0;
	for (size_t i = 0; i < 8; i++)
		key = key << 8 | (i < len ? (uint8_t)name[i] : 0);
	return key;
}

const struct tag_info *html_tag_lookup(const char *name, size_t len)
{
	if (len == 0 || len > HTML_TAG_MAX_NAME)
		return NULL;
	uint64_t key = html_tag_key(name, len);
	for (size_t slot = TAG_HASH(key);; slot = (slot + 1) & 255) {
		unsigned idx = tag_slots[slot];
		if (idx == 0)
			return NULL;
		const struct tag_info *t = &tag_table[idx - 1];
		if (t->key != key)
			continue;
		if (t->len != len || (len > 8 && memcmp(t->name, name, len) != 0))
			return NULL;
		return t;
	}
}
