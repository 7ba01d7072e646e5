/*
 * test_mail.c - libwhorl's shared mail reader (host/libwhorl/mail*.c):
 * mbox splitting (whole and fed in pieces of every size), "From " unquoting,
 * the walk over files, mbox files, maildirs and symbolic links, refusals
 * named through the report callback, a message whose file shrank, a
 * listed file split when it is read, and a big mbox found in a directory
 * split when it is read (MAIL_READ_SPLIT, mail_list_split_entry,
 * mail_read_each).
 * Not for: the command lines (tests/integration/scan_cli.sh,
 * scan_hostile_files.sh, publish_sources.sh).
 */
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abi/whorl_cartridge.h"
#include "cartridge/util/file_read.h"
#include "host/libwhorl/mail.h"

struct spans {
	uint64_t off[16], len[16];
	size_t n;
};

static int spans_add(void *ctx, uint64_t off, uint64_t len)
{
	struct spans *s = ctx;

	ck_assert_uint_lt(s->n, 16);
	s->off[s->n] = off;
	s->len[s->n++] = len;
	return 0;
}

/* Splits text fed in pieces of `piece` bytes. */
static void split(const char *text, size_t piece, struct spans *out)
{
	struct mail_mbox_split s;
	size_t len = strlen(text), at;

	memset(out, 0, sizeof(*out));
	mail_mbox_split_init(&s, spans_add, out);
	for (at = 0; at < len; at += piece)
		ck_assert_int_eq(
		    mail_mbox_split_feed(&s, text + at, len - at < piece ? len - at : piece), 0);
	ck_assert_int_eq(mail_mbox_split_end(&s), 0);
}

START_TEST(split_messages)
{
	/* lines starting 'F' that are not "From " lines, and "From " mid-line */
	const char *box = "From a x\nS: 1\n\nFromage\nFFrom z\nx From q\nF\nFrom\n\n"
	                  "From b y\nS: 2\n\nb\nFrom c\n";
	struct spans whole, pieces;
	size_t piece;

	split(box, 1 << 20, &whole);
	ck_assert_uint_eq(whole.n, 3);
	ck_assert_uint_eq(whole.off[0], 9);
	ck_assert_uint_eq(whole.len[0], strlen("S: 1\n\nFromage\nFFrom z\nx From q\nF\nFrom\n\n"));
	ck_assert_uint_eq(whole.len[1], strlen("S: 2\n\nb\n"));
	ck_assert_uint_eq(whole.len[2], 0);
	for (piece = 1; piece < 20; piece++) {
		split(box, piece, &pieces);
		ck_assert_mem_eq(&pieces, &whole, sizeof(whole));
	}
	split("From only", 3, &pieces); /* an envelope with no newline */
	ck_assert_uint_eq(pieces.n, 1);
	ck_assert_uint_eq(pieces.off[0], 9);
	ck_assert_uint_eq(pieces.len[0], 0);
}
END_TEST

START_TEST(unescape_rules)
{
	char buf[256];
	size_t n;

	strcpy(buf, ">From a\n>>From b\n>>>From c\n> From d\n>Fromage\n");
	n = mail_mbox_unescape(buf, strlen(buf));
	buf[n] = '\0';
	ck_assert_str_eq(buf, "From a\n>From b\n>>From c\n> From d\n>Fromage\n");
	strcpy(buf, "x >From mid-line\n>From");
	n = mail_mbox_unescape(buf, strlen(buf));
	buf[n] = '\0';
	ck_assert_str_eq(buf, "x >From mid-line\n>From");
	ck_assert_uint_eq(mail_mbox_unescape(buf, 0), 0);
	ck_assert_int_eq(mail_mbox_looks_like("From", 4), 0);
	ck_assert_int_eq(mail_mbox_looks_like("From ", 5), 1);
}
END_TEST

static char dir[] = "/tmp/whorl-test-mail-XXXXXX";
static char reported[4096];

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	reported[0] = '\0';
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *at(const char *name)
{
	static char path[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(path[k], sizeof path[k], "%s/%s", dir, name);
	return path[k];
}

static void put(const char *name, const char *text)
{
	FILE *f = fopen(at(name), "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static void report(void *ctx, const char *path, const char *why)
{
	snprintf(reported + strlen(reported), sizeof reported - strlen(reported), "%s: %s\n",
	         path + strlen(dir) + 1, why);
}

/* Message j of entry i as a string (static buffer); the entry must hold
 * n messages, and j's index is returned in *index. */
static const char *text_of(const struct mail_list *l, size_t i, size_t j, size_t n,
                           struct mail_buf *b, size_t *index)
{
	static char out[512];
	const char *msg;
	size_t len, got;
	int why;

	ck_assert_int_eq(mail_read(l, i, b, &got, &why), 0);
	ck_assert_uint_eq(got, n);
	mail_read_msg(b, j, index, &msg, &len);
	snprintf(out, sizeof out, "%.*s", (int)len, msg);
	return out;
}

START_TEST(walk_files_mboxes_maildirs_links)
{
	struct mail_list l;
	struct mail_buf b;
	size_t index;

	memset(&b, 0, sizeof(b));
	ck_assert_int_eq(mkdir(at("d"), 0700), 0);
	ck_assert_int_eq(mkdir(at("d/md"), 0700), 0);
	ck_assert_int_eq(mkdir(at("d/md/cur"), 0700), 0);
	ck_assert_int_eq(mkdir(at("d/md/new"), 0700), 0);
	ck_assert_int_eq(mkdir(at("d/md/tmp"), 0700), 0);
	put("d/a.eml", "Subject: a\n\nA\n");
	put("d/box", "From x\nSubject: 1\n\n>From q\nFrom y\nSubject: 2\n\n");
	put("d/md/cur/1", "Subject: c\n\nC\n");
	put("d/md/new/2", "From z\nSubject: n\n");
	put("d/md/tmp/3", "Subject: t\n\n");
	put("outside", "From w\nSubject: linked\n\n>From kept\n");
	ck_assert_int_eq(symlink(at("outside"), at("d/link")), 0);
	ck_assert_int_eq(symlink(dir, at("d/loop")), 0);
	mail_list_init(&l, report, NULL);
	ck_assert_int_eq(mail_list_add_path(&l, at("d")), 0);
	ck_assert_uint_eq(l.n_msgs, 5); /* entries: the small mbox is one */
	ck_assert_str_eq(text_of(&l, 0, 0, 1, &b, &index), "Subject: a\n\nA\n");
	ck_assert_uint_eq(index, 0);
	/* a small mbox of two: split when read, numbered, unquoted */
	ck_assert_uint_eq(l.msgs[1].len, MAIL_LEN_LISTED_FILE);
	ck_assert_str_eq(text_of(&l, 1, 0, 2, &b, &index), "Subject: 1\n\nFrom q\n");
	ck_assert_uint_eq(index, 1);
	ck_assert_str_eq(text_of(&l, 1, 1, 2, &b, &index), "Subject: 2\n\n");
	ck_assert_uint_eq(index, 2);
	/* one message behind a From line: named by path, not unquoted */
	ck_assert_str_eq(text_of(&l, 2, 0, 1, &b, &index), "Subject: linked\n\n>From kept\n");
	ck_assert_uint_eq(index, 0);
	ck_assert_str_eq(text_of(&l, 3, 0, 1, &b, &index), "Subject: c\n\nC\n");
	/* maildir: the whole file, even behind a From line */
	ck_assert_str_eq(text_of(&l, 4, 0, 1, &b, &index), "From z\nSubject: n\n");
	ck_assert_uint_eq(l.n_unreadable, 0);
	mail_list_free(&l);
	mail_buf_free(&b);
}
END_TEST

START_TEST(refusals_are_named)
{
	struct mail_list l;

	ck_assert_int_eq(mkdir(at("d"), 0700), 0);
	ck_assert_int_eq(mkfifo(at("d/fifo"), 0600), 0);
	ck_assert_int_eq(symlink("/nowhere", at("d/dangling")), 0);
	ck_assert_int_eq(symlink("/dev/zero", at("d/zero")), 0);
	mail_list_init(&l, report, NULL);
	ck_assert_int_eq(mail_list_add_path(&l, at("d")), 0);
	ck_assert_int_eq(mail_list_add_path(&l, at("missing")), 0);
	ck_assert_uint_eq(l.n_msgs, 0);
	ck_assert_uint_eq(l.n_unreadable, 4);
	ck_assert_str_eq(reported, "d/dangling: dangling symbolic link\n"
	                           "d/fifo: not a regular file\n"
	                           "d/zero: not a regular file\n"
	                           "missing: No such file or directory\n");
	mail_list_free(&l);
}
END_TEST

/* Writes an mbox larger than MAIL_SMALL_FILE_BYTES (so the walk splits it):
 * message 1 is padded past the limit, 2 and 3 are short. Returns the offset
 * where message 2's "From " line starts. */
static long put_big_mbox(const char *name)
{
	FILE *f = fopen(at(name), "w");
	long cut;
	size_t k;

	ck_assert_ptr_nonnull(f);
	fputs("From a\nSubject: 1\n\n", f);
	for (k = 0; k <= MAIL_SMALL_FILE_BYTES / 64; k++)
		fputs("012345678901234567890123456789012345678901234567890123456789012\n", f);
	cut = ftell(f);
	fputs("From b\nSubject: 2\n\nFrom c\nSubject: 3\n\n", f);
	ck_assert_int_eq(fclose(f), 0);
	return cut;
}

/* The walk listed three messages of a large mbox; the file then shrinks:
 * the last two get FILE_WHY_CHANGED, the first still reads. */
START_TEST(shrunk_mbox_gives_per_message_errors)
{
	struct mail_list l;
	struct mail_buf b;
	size_t n, index;
	long cut = put_big_mbox("box");
	int why = 0;

	memset(&b, 0, sizeof(b));
	mail_list_init(&l, report, NULL);
	ck_assert_int_eq(mail_list_add_path(&l, at("box")), 0);
	ck_assert_uint_eq(l.n_msgs, 3);
	ck_assert_str_eq(text_of(&l, 2, 0, 1, &b, &index), "Subject: 3\n\n");
	ck_assert_uint_eq(index, 3);
	ck_assert_int_eq(truncate(at("box"), cut + 6), 0);
	ck_assert_int_eq(strncmp(text_of(&l, 0, 0, 1, &b, &index), "Subject: 1\n\n0123", 16), 0);
	ck_assert_uint_eq(index, 1);
	ck_assert_int_eq(mail_read(&l, 1, &b, &n, &why), WHORL_EIO);
	ck_assert_int_eq(why, FILE_WHY_CHANGED);
	ck_assert_int_eq(mail_read(&l, 2, &b, &n, &why), WHORL_EIO);
	ck_assert_int_eq(why, FILE_WHY_CHANGED);
	/* replaced by another file of the same size: refused, not misread */
	put_big_mbox("box2");
	ck_assert_int_eq(rename(at("box2"), at("box")), 0);
	ck_assert_int_eq(mail_read(&l, 0, &b, &n, &why), WHORL_EIO);
	ck_assert_int_eq(why, FILE_WHY_CHANGED);
	mail_list_free(&l);
	mail_buf_free(&b);
}
END_TEST

/* A listed file is read once, when it is read: what it holds then counts
 * (grown, or replaced by another file), and what is no longer a regular
 * file is refused. */
START_TEST(listed_file_read_when_read)
{
	struct mail_list l;
	struct mail_buf b;
	size_t n, index;
	int why = 0;

	memset(&b, 0, sizeof(b));
	put("box", "From a\nSubject: 1\n\n");
	mail_list_init(&l, report, NULL);
	ck_assert_int_eq(mail_list_add_path(&l, at("box")), 0);
	ck_assert_uint_eq(l.n_msgs, 1);
	put("box", "From a\nSubject: 1\n\nFrom b\nSubject: 2\n\n"); /* same file, grown */
	ck_assert_str_eq(text_of(&l, 0, 1, 2, &b, &index), "Subject: 2\n\n");
	ck_assert_uint_eq(index, 2);
	put("box2", "From a\nSubject: new\n\n");
	ck_assert_int_eq(rename(at("box2"), at("box")), 0);
	ck_assert_str_eq(text_of(&l, 0, 0, 1, &b, &index), "Subject: new\n\n");
	ck_assert_int_eq(unlink(at("box")), 0);
	ck_assert_int_eq(mkfifo(at("box"), 0600), 0);
	ck_assert_int_eq(mail_read(&l, 0, &b, &n, &why), WHORL_EIO);
	ck_assert_int_eq(why, FILE_WHY_NOT_REGULAR);
	mail_list_free(&l);
	mail_buf_free(&b);
}
END_TEST

/* mail_read_each's callback: appends "index:first line|" or "index:!why|". */
static void each_line(void *ctx, size_t index, int rc, int why, const char *msg, size_t len)
{
	char *out = ctx;
	size_t used = strlen(out);
	const char *nl = msg != NULL ? memchr(msg, '\n', len) : NULL;

	if (rc != 0)
		snprintf(out + used, 512 - used, "%zu:!%s|", index, file_why_text(why));
	else
		snprintf(out + used, 512 - used, "%zu:%.*s|", index,
		         (int)(nl != NULL ? (size_t)(nl - msg) : len), msg);
}

/* In a directory, a file is listed without being opened; when it is read
 * and turns out to be an mbox over MAIL_SMALL_FILE_BYTES it is split then,
 * into entries of their own, as a big mbox given by name is split by the
 * walk; a big file of one message is read whole. */
START_TEST(big_mbox_in_directory_split_when_read)
{
	struct mail_list l, sub;
	struct mail_buf b;
	char seen[512] = "";
	size_t n, index, k;
	int why = 0;
	FILE *f;

	memset(&b, 0, sizeof(b));
	ck_assert_int_eq(mkdir(at("d"), 0700), 0);
	put_big_mbox("d/box");
	f = fopen(at("d/big.eml"), "w");
	ck_assert_ptr_nonnull(f);
	fputs("Subject: big\n\n", f);
	for (k = 0; k <= MAIL_SMALL_FILE_BYTES / 64; k++)
		fputs("012345678901234567890123456789012345678901234567890123456789012\n", f);
	ck_assert_int_eq(fclose(f), 0);
	mail_list_init(&l, report, NULL);
	ck_assert_int_eq(mail_list_add_path(&l, at("d")), 0);
	ck_assert_uint_eq(l.n_msgs, 2); /* listed, not opened */
	ck_assert_uint_eq(l.msgs[0].len, MAIL_LEN_LISTED_FILE);
	ck_assert_uint_eq(l.msgs[1].len, MAIL_LEN_LISTED_FILE);
	ck_assert_int_eq(strncmp(text_of(&l, 0, 0, 1, &b, &index), "Subject: big\n", 13), 0);
	ck_assert_int_eq(mail_read(&l, 1, &b, &n, &why), MAIL_READ_SPLIT);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(mail_list_split_entry(&l, 1, &sub, &why), 0);
	ck_assert_uint_eq(sub.n_msgs, 3);
	ck_assert_str_eq(text_of(&sub, 2, 0, 1, &b, &index), "Subject: 3\n\n");
	ck_assert_uint_eq(index, 3);
	mail_list_free(&sub);
	ck_assert_int_eq(mail_read_each(&l, 1, &b, each_line, seen), 0);
	ck_assert_str_eq(seen, "1:Subject: 1|2:Subject: 2|3:Subject: 3|");
	ck_assert_int_eq(unlink(at("d/box")), 0); /* gone before it is split */
	seen[0] = '\0';
	ck_assert_int_eq(mail_read_each(&l, 1, &b, each_line, seen), 0);
	ck_assert_str_eq(seen, "0:!No such file or directory|");
	ck_assert_str_eq(reported, "");
	mail_list_free(&l);
	mail_buf_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mail");
	TCase *tc = tcase_create("mbox");
	TCase *tw = tcase_create("walk");

	tcase_add_test(tc, split_messages);
	tcase_add_test(tc, unescape_rules);
	tcase_add_checked_fixture(tw, setup, teardown);
	tcase_add_test(tw, walk_files_mboxes_maildirs_links);
	tcase_add_test(tw, refusals_are_named);
	tcase_add_test(tw, shrunk_mbox_gives_per_message_errors);
	tcase_add_test(tw, listed_file_read_when_read);
	tcase_add_test(tw, big_mbox_in_directory_split_when_read);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tw);
	return check_run(s);
}
