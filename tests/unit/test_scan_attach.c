/*
 * test_scan_attach.c - a campaign carried in an attachment is still the
 * campaign: the real cartridge.so fingerprints the same text the same way
 * whether it is the body, an attached .html (text/html or
 * application/octet-stream, UTF-8 or UTF-16), a forwarded message/rfc822 part
 * or an attached .eml (a UTF-8 page with a stale meta charset too); a set
 * published from one form catches the others, in both directions; unrelated attachments stay clean; malformed, lying, huge
 * and deeply nested attachments get a verdict (rescan where text was cut).
 *
 * Not for: the text engines themselves (test_fp, test_fp_fuzzy), MIME
 * decoding (test_mime).
 */
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_engine_env.h"

#define MSG_MAX ((size_t)4 << 20)
#define HUGE_ATTACHMENT ((size_t)3 << 20) /* past SCAN_ATTACH_MAX_BYTES (1 MiB) */
#define DEEP_FORWARDS 20                  /* past MIME_MAX_DEPTH (16) */

/* Pinned: the body key of the campaign's text, in every form. A change
 * means the body engine or the rendering changed: bump the body engine's
 * algo_version (fp/engines.c). */
#define CAMPAIGN_BODY_KEY 0x5c1322c9a7441ff1ull

static const char CAMPAIGN[] =
    "<html><body><p>Dear customer, your mailbox storage is almost full and incoming "
    "messages will be returned to their senders within 24 hours.</p>"
    "<p>To keep receiving mail, confirm your account details on the secure page below "
    "and your quota will be raised to 50 GB at no cost.</p>"
    "<p><a href=\"http://quota-upgrade.example.net/confirm?u=1\">Confirm my account now</a></p>"
    "<p>Failure to confirm within one day will close the mailbox permanently. "
    "Thank you for choosing our mail service.</p></body></html>";

static const char HEAD[] =
    "From: IT Desk <desk@mailhost.example.net>\r\n"
    "To: user@example.org\r\nSubject: Mailbox notice\r\nMIME-Version: 1.0\r\n";

static struct eenv E;

static void setup(void)
{
	eenv_init(&E);
}

static void teardown(void)
{
	eenv_fini(&E);
}

static void b64(const unsigned char *s, size_t n, char *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0, col = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) |
		             (i + 2 < n ? s[i + 2] : 0);
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
		if ((col += 4) == 76) {
			out[o++] = '\r';
			out[o++] = '\n';
			col = 0;
		}
	}
	out[o] = '\0';
}

/* The campaign as the body of a message. */
static size_t form_body(char *out)
{
	return (size_t)sprintf(out, "%sContent-Type: text/html; charset=utf-8\r\n\r\n%s\r\n", HEAD,
	                       CAMPAIGN);
}

static const char NOTE[] = "Please see the attached file.";

/* A one-line note and one attachment part (its header and body). */
static size_t form_mixed_note(char *out, const char *note, const char *part_head,
                              const char *part_body)
{
	return (size_t)sprintf(out,
	                       "%sContent-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n"
	                       "--zz\r\nContent-Type: text/plain\r\n\r\n%s"
	                       "\r\n--zz\r\n%s\r\n%s\r\n--zz--\r\n",
	                       HEAD, note, part_head, part_body);
}

static size_t form_mixed(char *out, const char *part_head, const char *part_body)
{
	return form_mixed_note(out, NOTE, part_head, part_body);
}

static size_t form_attached(char *out, const char *ctype, const unsigned char *data, size_t n)
{
	char *enc = malloc(n * 2 + 16), head[256];
	b64(data, n, enc);
	snprintf(head, sizeof(head),
	         "Content-Type: %s\r\nContent-Transfer-Encoding: base64\r\n"
	         "Content-Disposition: attachment; filename=\"%s\"\r\n",
	         ctype, strstr(ctype, "eml") ? "fwd.eml" : "notice.htm");
	size_t len = form_mixed(out, head, enc);
	free(enc);
	return len;
}

enum form {
	F_BODY,
	F_HTML,
	F_OCTET,
	F_UTF16,
	F_RFC822,
	F_EML,
	F_N
};

static size_t make_form(enum form f, char *out)
{
	static char inner[8192];
	static unsigned char u16[8192];
	size_t n = 0;
	switch (f) {
	case F_BODY: return form_body(out);
	case F_HTML:
		return form_attached(out, "text/html; charset=utf-8",
		                     (const unsigned char *)CAMPAIGN, strlen(CAMPAIGN));
	case F_OCTET:
		return form_attached(out, "application/octet-stream",
		                     (const unsigned char *)CAMPAIGN, strlen(CAMPAIGN));
	case F_UTF16:
		u16[n++] = 0xff;
		u16[n++] = 0xfe;
		for (const char *s = CAMPAIGN; *s; s++) {
			u16[n++] = (unsigned char)*s;
			u16[n++] = 0;
		}
		return form_attached(out, "application/octet-stream", u16, n);
	case F_RFC822:
		form_body(inner);
		return form_mixed(out, "Content-Type: message/rfc822\r\n", inner);
	case F_EML:
		n = form_body(inner);
		return form_attached(out, "application/octet-stream; name=fwd.eml",
		                     (const unsigned char *)inner, n);
	default: return 0;
	}
}

static struct whorl_fpset *fingerprint(const char *msg, size_t len)
{
	struct whorl_fpset *fps = NULL;
	ck_assert_int_eq(whorl_host_fingerprint(E.fp_host, msg, len, &fps), 0);
	return fps;
}

static int has_key(const struct whorl_fpset *s, unsigned engine, uint64_t key)
{
	for (size_t i = 0; i < s->n_fps; i++)
		if (s->fps[i].engine == engine && s->fps[i].key == key)
			return 1;
	return 0;
}

static int has_sketch(const struct whorl_fpset *s, const struct whorl_sketch *k)
{
	for (size_t i = 0; i < s->n_sketches; i++)
		if (s->sketches[i].engine == k->engine && s->sketches[i].len == k->len &&
		    memcmp(s->sketches[i].bytes, k->bytes, k->len) == 0)
			return 1;
	return 0;
}

static uint64_t body_key(const struct whorl_fpset *s)
{
	for (size_t i = 0; i < s->n_fps; i++)
		if (s->fps[i].engine == WHORL_FP_BODY)
			return s->fps[i].key;
	ck_abort_msg("no body key");
	return 0;
}

START_TEST(test_same_fingerprints_in_every_form)
{
	char *msg = malloc(MSG_MAX);
	size_t len = make_form(F_BODY, msg);
	struct whorl_fpset *ref = fingerprint(msg, len);
	uint64_t key = body_key(ref);
	ck_assert_msg(key == CAMPAIGN_BODY_KEY, "body key %#llx", (unsigned long long)key);
	ck_assert_uint_gt(ref->n_sketches, 0);
	for (int f = F_HTML; f < F_N; f++) {
		len = make_form((enum form)f, msg);
		struct whorl_fpset *s = fingerprint(msg, len);
		ck_assert_msg(has_key(s, WHORL_FP_BODY, key), "form %d: no campaign body key", f);
		for (size_t i = 0; i < ref->n_fps; i++)
			if (ref->fps[i].engine == WHORL_FP_URL)
				ck_assert_msg(has_key(s, WHORL_FP_URL, ref->fps[i].key),
				              "form %d: url", f);
		for (size_t i = 0; i < ref->n_sketches; i++)
			ck_assert_msg(has_sketch(s, &ref->sketches[i]), "form %d: sketch %zu", f,
			              i);
		ck_assert_int_eq(s->rescan, 0);
		whorl_host_fpset_free(E.fp_host, s);
	}
	whorl_host_fpset_free(E.fp_host, ref);
	free(msg);
}
END_TEST

/* Publishes form `pub` as spam and scores every form on a gateway. */
static void catches_all_from(enum form pub)
{
	char *msg = malloc(MSG_MAX);
	struct publish_set *s = publish_set_new();
	size_t len = make_form(pub, msg);
	eenv_add(&E, s, msg, len, CAT_SPAM, 0);
	eenv_publish(&E, s, NULL);
	publish_set_free(s);
	char dir[EENV_PATH];
	whorl_host *h = NULL;
	eenv_config(&E, "gw",
	            "download micro-updates before init = yes\n"
	            "favor analysis over speed = yes\n",
	            dir, sizeof(dir));
	eenv_open(&E, dir, &h);
	for (int f = 0; f < F_N; f++) {
		len = make_form((enum form)f, msg);
		struct whorl_verdict *v = eenv_score(h, msg, len);
		ck_assert_msg(v->is_spam, "published form %d, scanned form %d: %s", pub, f,
		              v->analysis);
		ck_assert_msg(strstr(v->analysis, "body") != NULL, "form %d: %s", f, v->analysis);
		whorl_host_verdict_free(h, v);
	}
	/* Unrelated mail with attachments stays clean. (Its note differs: a
	 * published attachment campaign's one-line note is a body fingerprint of
	 * its own, as any short spam body is.) */
	len = form_mixed_note(msg, "Here are the minutes, see you on Tuesday.",
	                      "Content-Type: text/plain\r\nContent-Disposition: attachment; "
	                      "filename=minutes.txt\r\n",
	                      "Minutes of the allotment committee: the "
	                      "compost delivery is booked for the 14th, the shed roof is mended.");
	struct whorl_verdict *v = eenv_score(h, msg, len);
	ck_assert_msg(!v->is_spam, "unrelated attachment: %s", v->analysis);
	whorl_host_verdict_free(h, v);
	whorl_host_close(h);
	free(msg);
}

START_TEST(test_published_as_body_caught_as_attachment)
{
	catches_all_from(F_BODY);
}
END_TEST

START_TEST(test_published_as_attachment_caught_as_body)
{
	catches_all_from(F_OCTET);
}
END_TEST

START_TEST(test_published_as_forward_caught_as_body)
{
	catches_all_from(F_EML);
}
END_TEST

/* Scores and fingerprints msg; returns the fingerprint set's rescan (the
 * verdict's is always set here: the host has no data). */
static int score_fp(const char *msg, size_t len)
{
	struct whorl_verdict *v = eenv_score(E.fp_host, msg, len);
	whorl_host_verdict_free(E.fp_host, v);
	struct whorl_fpset *s = fingerprint(msg, len);
	int rescan = s->rescan;
	whorl_host_fpset_free(E.fp_host, s);
	return rescan;
}

/* A page saved as UTF-8 that kept its old meta charset reads as UTF-8: the
 * same fingerprints as its text in a UTF-8 body. */
START_TEST(test_utf8_page_with_a_stale_meta_charset)
{
	static const char page[] =
	    "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=big5\">"
	    "</head><body><p>\xe6\x9c\x89\xe4\xb8\x80\xe9\x9a\xbb\xe7\x83\x8f\xe9\xb4\x89"
	    "\xe6\x95\xb4\xe5\xa4\xa9\xe5\xb0\xb1\xe5\x9d\x90\xe5\x9c\xa8\xe6\xa8\xb9"
	    "\xe4\xb8\x8a\xef\xbc\x8c\xe4\xbd\x86\xe5\xb0\xb1\xe6\x98\xaf\xe4\xb8\x8d"
	    "\xe5\x81\x9a\xe4\xba\x8b\xe3\x80\x82 Call now for the lowest rates on every "
	    "loan, approval in minutes, no credit check at all.</p></body></html>";
	char *msg = malloc(MSG_MAX);
	size_t len = (size_t)sprintf(msg, "%sContent-Type: text/html; charset=utf-8\r\n\r\n%s\r\n",
	                             HEAD, page);
	struct whorl_fpset *ref = fingerprint(msg, len);
	uint64_t key = body_key(ref);
	len = form_attached(msg, "application/octet-stream", (const unsigned char *)page,
	                    strlen(page));
	struct whorl_fpset *s = fingerprint(msg, len);
	ck_assert(has_key(s, WHORL_FP_BODY, key));
	whorl_host_fpset_free(E.fp_host, s);
	whorl_host_fpset_free(E.fp_host, ref);
	free(msg);
}
END_TEST

START_TEST(test_bad_attachments_get_a_verdict)
{
	char *msg = malloc(MSG_MAX), *big = malloc(HUGE_ATTACHMENT + 1);
	static const char *const bad[][2] = {
		{ "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
		  "Content-Disposition: attachment; filename=x.eml\r\n",
		  "%%%% not base64 ==== PGh0" },
		{ "Content-Type: text/html\r\nContent-Disposition: attachment; filename=a.eml\r\n",
		  "<p>an HTML page that claims to be a message" },
		{ "Content-Type: image/gif\r\nContent-Disposition: attachment; filename=a.html\r\n",
		  "GIF89a\x01\x02\x03\xff\xfe\x00\x00" },
		{ "Content-Type: application/octet-stream; charset=no-such-charset\r\n"
		  "Content-Disposition: attachment; filename=a.txt\r\n",
		  "\xff\xfe\xd8\x00" },
		{ "Content-Type: message/rfc822\r\n", "no header at all" },
		{ "Content-Type: application/octet-stream; name=m.mht\r\n",
		  "Content-Type: multipart/related; boundary=q\r\n\r\n--q\r\nContent-Type: text/html" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = form_mixed(msg, bad[i][0], bad[i][1]);
		score_fp(msg, len);
	}
	/* Huge: rendered up to the limit, then rescan. */
	memset(big, 'a', HUGE_ATTACHMENT);
	for (size_t i = 80; i < HUGE_ATTACHMENT; i += 81)
		big[i] = ' ';
	big[HUGE_ATTACHMENT] = '\0';
	size_t len = form_mixed(msg,
	                        "Content-Type: text/plain\r\n"
	                        "Content-Disposition: attachment; filename=log.txt\r\n",
	                        big);
	ck_assert_int_eq(score_fp(msg, len), 1);
	/* Forwards inside forwards, past every depth limit. */
	len = (size_t)sprintf(msg, "%s", HEAD);
	for (int d = 0; d < DEEP_FORWARDS; d++)
		len += (size_t)sprintf(msg + len, "Content-Type: message/rfc822\r\n\r\n%s", HEAD);
	len += (size_t)sprintf(msg + len, "Content-Type: text/plain\r\n\r\nthe innermost text\r\n");
	ck_assert_int_eq(score_fp(msg, len), 1);
	free(big);
	free(msg);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("scan_attach");
	TCase *tc = tcase_create("forms");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_same_fingerprints_in_every_form);
	tcase_add_test(tc, test_published_as_body_caught_as_attachment);
	tcase_add_test(tc, test_published_as_attachment_caught_as_body);
	tcase_add_test(tc, test_published_as_forward_caught_as_body);
	tcase_add_test(tc, test_utf8_page_with_a_stale_meta_charset);
	tcase_add_test(tc, test_bad_attachments_get_a_verdict);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
