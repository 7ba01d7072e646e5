/*
 * test_mime_lines.c - mime_line_find() against the plain line-by-line
 * search it replaces (one memchr per line): random buffers dense in
 * newlines and prefix bytes, every start offset, prefixes of 1 to 8 bytes,
 * matches at the very start, across 16-byte blocks and at the very end.
 */
#include <check.h>

#include "check_main.h"
#include <string.h>

#include "cartridge/mime/mime_int.h"

static size_t reference(const char *p, size_t len, size_t from, const char *prefix, size_t plen)
{
	size_t i = from;
	if (i > 0 && i < len && p[i - 1] != '\n') {
		const char *nl = memchr(p + i, '\n', len - i);
		i = nl != NULL ? (size_t)(nl - p) + 1 : len;
	}
	while (i < len) {
		if (len - i >= plen && memcmp(p + i, prefix, plen) == 0)
			return i;
		const char *nl = memchr(p + i, '\n', len - i);
		if (nl == NULL)
			break;
		i = (size_t)(nl - p) + 1;
	}
	return len;
}

START_TEST(test_line_find_equals_reference)
{
	static const char alphabet[] = "\n\n--ab-\r .xbegin ";
	char buf[80], prefix[8];
	unsigned seed = 7, found = 0;
	for (unsigned round = 0; round < 20000; round++) {
		seed = seed * 1103515245u + 12345u;
		size_t len = (seed >> 8) % sizeof(buf), plen = 1 + (seed >> 20) % sizeof(prefix);
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		for (size_t i = 0; i < plen; i++) {
			seed = seed * 1103515245u + 12345u;
			prefix[i] = "-a.b"[(seed >> 16) % 4];
		}
		if (round % 3 == 0 && len > plen) /* a sure match somewhere */
			memcpy(buf + (seed >> 4) % (len - plen + 1), prefix, plen);
		for (size_t from = 0; from <= len + 1; from++) {
			size_t want = reference(buf, len, from, prefix, plen);
			size_t got = mime_line_find(buf, len, from, prefix, plen);
			ck_assert_msg(got == want, "round %u from %zu: %zu, reference %zu", round,
			              from, got, want);
			found += want < len;
		}
	}
	ck_assert_uint_gt(found, 10000); /* the buffers hold matches */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mime_lines");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_line_find_equals_reference);
	suite_add_tcase(s, tc);
	return check_run(s);
}
