/*
 * mail.h - the one mail reader every whorl program uses (whorl-scan,
 * whorl-publish): paths in, an ordered list of messages out, and each
 * message's bytes read on demand.
 *
 * A file is one RFC 822 message, or an mbox when it starts with "From "
 * (every line starting "From " begins the next message; that envelope line
 * is not part of the message; ">From " quoting is undone in messages of a
 * file holding more than one). A directory is walked recursively in byte
 * order of the names. A maildir (a directory with cur/ and new/) gives the
 * files of cur/ then new/ (never tmp/, never files at its top), then its
 * other subdirectories (Maildir++ folders). Symbolic links to files are
 * followed, links to directories are not (no loops). "-" is standard input.
 * Entries that are not regular files (FIFOs, sockets, devices) and
 * unreadable entries are named through the report callback and counted.
 *
 * A list entry is one message, or a listed file: one the walk did not
 * open, read whole when it is read, giving one message or, when it is an
 * mbox, each of its messages. Mail is mostly files of one message, so each
 * is opened and read once, and a file in a directory is not even stat'ed
 * by the walk when readdir says it is a regular file (a stat per file was
 * 3 % of whorl-scan's run over a corpus). A listed file that turns out to
 * be an mbox larger than MAIL_SMALL_FILE_BYTES is not read whole: mail_read
 * answers MAIL_READ_SPLIT and mail_list_split_entry lists its messages
 * then, as the walk lists a large mbox given by name: read once in fixed
 * pieces to find its messages, each read with pread when it is read, so
 * its messages are entries of their own (whorl-scan's threads share them).
 *
 * Nothing is mapped: an mbox that shrinks or is replaced after its messages
 * were found gives them an error (FILE_WHY_CHANGED), never SIGBUS; a file
 * read whole is read as it is then. Every open goes through
 * cartridge/util/file_read.h (O_NONBLOCK, fstat on the descriptor, regular
 * files only) and no message is larger than MAIL_MAX_MESSAGE_BYTES.
 *
 * Programs link it from libwhorl.a; it is not part of libwhorl.so's API.
 * Not for: scoring, output, threads (the programs do that).
 */
#ifndef WHORL_MAIL_H
#define WHORL_MAIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The largest message read (a file or an mbox message); larger ones are
 * refused with EFBIG. Documented in whorl-scan(1) and docs/LIMITS.md. */
#define MAIL_MAX_MESSAGE_BYTES ((size_t)64 << 20)
/* The most bytes read from standard input (it is held in memory). */
#define MAIL_MAX_STDIN_BYTES ((size_t)1 << 30)
/* Size of the pieces the walk reads an mbox in. */
#define MAIL_WALK_CHUNK ((size_t)1 << 20)
/* mail_msg.len of a message that is a whole file, read to its end. */
#define MAIL_LEN_WHOLE_FILE UINT64_MAX
/* mail_msg.len of a listed file, split when it is read (see above). */
#define MAIL_LEN_LISTED_FILE (UINT64_MAX - 1)
/* The largest mbox read whole: a larger one is split into entries of its
 * own (mail_read answers MAIL_READ_SPLIT). Every message of an mbox read
 * whole is scanned by one thread of whorl-scan, so this also bounds the
 * work one entry can hold. */
#define MAIL_SMALL_FILE_BYTES ((size_t)256 << 10)
/* mail_read's answer for a listed file that is a larger mbox. */
#define MAIL_READ_SPLIT 1

/* Called for each input that is skipped: path and a short reason. */
typedef void (*mail_report_fn)(void *ctx, const char *path, const char *why);

/* One input file: a path, or standard input held in memory. */
struct mail_file {
	char *path;
	char *data; /* standard input's bytes (malloc'd), else NULL */
	size_t data_len;
	dev_t dev;       /* identity of an mbox split by the walk: a file */
	ino_t ino;       /* replaced afterwards is refused, not misread */
	size_t dir;      /* the walked directory it was found in (1, 2, ...), or 0 */
	size_t name_off; /* with dir: its name in that directory, path + name_off */
};

/* One entry: bytes [off, off + len) of a file (one message), or a whole
 * listed file (len MAIL_LEN_LISTED_FILE: its messages are found when read). */
struct mail_msg {
	size_t file;       /* index into mail_list.files */
	size_t index;      /* 1-based number in an mbox of several, else 0 */
	uint64_t off, len; /* len MAIL_LEN_WHOLE_FILE: the whole file */
};

struct mail_list {
	struct mail_file *files;
	size_t n_files, cap_files;
	struct mail_msg *msgs;
	size_t n_msgs, cap_msgs;
	size_t n_unreadable;   /* inputs reported and skipped */
	size_t n_dirs;         /* directories walked (mail_file.dir) */
	mail_report_fn report; /* may be NULL: skip silently, only count */
	void *report_ctx;
	char *chunk; /* the walk's read buffer (MAIL_WALK_CHUNK) */
};

/* Starts an empty list that reports skipped inputs to report(ctx, ...). */
void mail_list_init(struct mail_list *l, mail_report_fn report, void *ctx);

/* Appends the messages of path (a file, a directory, or "-") in order.
 * Unreadable inputs are reported and counted, not errors. Returns 0 or
 * WHORL_ENOMEM. Not thread-safe (one list per thread while it is built). */
int mail_list_add_path(struct mail_list *l, const char *path);

/* Frees everything the list owns. */
void mail_list_free(struct mail_list *l);

/* The path a message is named by (its file's; "-" for standard input). */
const char *mail_msg_path(const struct mail_list *l, const struct mail_msg *m);

/* How message `index` of path is named: the path (as given) for index 0,
 * else "PATH:N" written into buf. Returns path or buf. */
const char *mail_msg_name(size_t index, const char *path, char *buf, size_t len);

/* One message of the entry last read into a mail_buf. */
struct mail_span {
	size_t index;    /* as mail_msg.index: 0, or N of an mbox of several */
	size_t off, len; /* its bytes, from mail_buf.data */
};

/* A reusable buffer, one per reading thread. Start it zeroed. */
struct mail_buf {
	char *buf;
	size_t cap;
	const char *data; /* the entry's bytes: buf, or standard input's */
	struct mail_span *spans;
	size_t n_spans, cap_spans;
	size_t dir; /* mail_file.dir that dir_fd holds open, or 0 */
	int dir_fd; /* files are opened from it, as the walk stat'ed them */
};

/* Reads entry i into b (or points into standard input's bytes) and sets
 * *n_msgs to the messages it holds: 1, or any number for a listed file that
 * is an mbox; take each with mail_read_msg. Returns 0; MAIL_READ_SPLIT for
 * a listed file that is an mbox over MAIL_SMALL_FILE_BYTES (nothing read:
 * list its messages with mail_list_split_entry); or WHORL_EIO /
 * WHORL_ELIMIT / WHORL_ENOMEM with *why set (an errno value or a FILE_WHY_*
 * code; text from file_why_text()) for the entry as a whole (it is named
 * by mail_msg_name(entry's index, ...)). Thread-safe for distinct buffers
 * once the list is built. */
int mail_read(const struct mail_list *l, size_t i, struct mail_buf *b, size_t *n_msgs, int *why);

/* Entry i of l, for which mail_read answered MAIL_READ_SPLIT: lists the
 * file's messages in sub (started here, reporting as l does; free it with
 * mail_list_free) as the walk lists an mbox given by name. Never answers
 * MAIL_READ_SPLIT for sub's entries. Returns 0; WHORL_EIO with *why when
 * the file could not be opened, or could not be read to its end (the
 * messages found before are listed); or WHORL_ENOMEM. */
int mail_list_split_entry(const struct mail_list *l, size_t i, struct mail_list *sub, int *why);

/* Called by mail_read_each for each message of an entry, or once with
 * rc != 0 (msg NULL) for what could not be read: index is as
 * mail_read_msg's (for mail_msg_name with the entry's path). */
typedef void (*mail_each_fn)(void *ctx, size_t index, int rc, int why, const char *msg, size_t len);

/* Every message of entry i in order, for a reader of one thread: reads it
 * with b, splits it when mail_read answers MAIL_READ_SPLIT. Returns 0 or
 * WHORL_ENOMEM (what could not be read was passed to fn). */
int mail_read_each(const struct mail_list *l, size_t i, struct mail_buf *b, mail_each_fn fn,
                   void *ctx);

/* Message j (< *n_msgs) of the entry last read into b: its index (for
 * mail_msg_name) and bytes, valid until the next mail_read with b. */
void mail_read_msg(const struct mail_buf *b, size_t j, size_t *index, const char **msg,
                   size_t *len);

void mail_buf_free(struct mail_buf *b);

/* The mbox splitter, fed the file in pieces in order (mail_mbox.c).
 * Finds each message's bytes: after its "From " line, up to and including
 * the newline before the next "From " line or the end. */
typedef int (*mail_mbox_emit_fn)(void *ctx, uint64_t off, uint64_t len);
struct mail_mbox_split {
	uint64_t pos;          /* bytes fed so far */
	uint64_t line_begin;   /* offset of the line being read */
	uint64_t msg_start;    /* current message's first byte, or UINT64_MAX */
	unsigned from_matched; /* bytes of "From " matched at the line start */
	int at_line_start, in_envelope;
	size_t n_msgs;
	mail_mbox_emit_fn emit;
	void *ctx;
};
void mail_mbox_split_init(struct mail_mbox_split *s, mail_mbox_emit_fn emit, void *ctx);
/* Feeds the next n bytes. Returns 0 or the first non-zero emit() return. */
int mail_mbox_split_feed(struct mail_mbox_split *s, const char *p, size_t n);
/* Ends the input: emits the last message. Returns 0 or emit()'s return. */
int mail_mbox_split_end(struct mail_mbox_split *s);

/* 1 when p starts with "From " (the file is an mbox), else 0. */
int mail_mbox_looks_like(const char *p, size_t len);

/* Removes one '>' from every line of p[0..len) matching ^>+From , in place;
 * returns the new length. */
size_t mail_mbox_unescape(char *p, size_t len);

#endif
