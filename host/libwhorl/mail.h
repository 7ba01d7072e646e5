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
 * A list entry is one message, or a small file (at most
 * MAIL_SMALL_FILE_BYTES when walked) that the walk only stats: it is read
 * once, whole, when it is read, and gives one message or, when it is an
 * mbox, each of its messages. Mail is mostly files of one message, so each
 * is opened and read once (the walk opening it to look for "From " lines
 * and the read opening it again cost twice the system calls). A larger file
 * is read by the walk once, in fixed pieces, to find its messages, and each
 * message is read with pread when it is read, so the messages of a big mbox
 * are entries of their own (whorl-scan's threads share them).
 *
 * Nothing is mapped: a file that shrinks or is replaced after the walk gives
 * the entry an error (FILE_WHY_CHANGED), never SIGBUS. Every open goes
 * through cartridge/util/file_read.h (O_NONBLOCK, fstat on the descriptor,
 * regular files only) and no message is larger than MAIL_MAX_MESSAGE_BYTES.
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
/* mail_msg.len of a small file, split when it is read (see above). */
#define MAIL_LEN_SMALL_FILE (UINT64_MAX - 1)
/* The largest file the walk lists without opening it. Every message of a
 * small mbox is scanned by one thread of whorl-scan, so this also bounds
 * the work one entry can hold. */
#define MAIL_SMALL_FILE_BYTES ((size_t)256 << 10)

/* Called for each input that is skipped: path and a short reason. */
typedef void (*mail_report_fn)(void *ctx, const char *path, const char *why);

/* One input file: a path, or standard input held in memory. */
struct mail_file {
	char *path;
	char *data; /* standard input's bytes (malloc'd), else NULL */
	size_t data_len;
	dev_t dev;       /* identity seen by the walk: a file replaced */
	ino_t ino;       /* afterwards is refused, not misread */
	size_t dir;      /* the walked directory it was found in (1, 2, ...), or 0 */
	size_t name_off; /* with dir: its name in that directory, path + name_off */
};

/* One entry: bytes [off, off + len) of a file (one message), or a whole
 * small file (len MAIL_LEN_SMALL_FILE: its messages are found when read). */
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
 * *n_msgs to the messages it holds: 1, or any number for a small file that
 * is an mbox; take each with mail_read_msg. Returns 0, or WHORL_EIO /
 * WHORL_ELIMIT / WHORL_ENOMEM with *why set (an errno value or a FILE_WHY_*
 * code; text from file_why_text()) for the entry as a whole (it is named
 * by mail_msg_name(entry's index, ...)). Thread-safe for distinct buffers
 * once the list is built. */
int mail_read(const struct mail_list *l, size_t i, struct mail_buf *b, size_t *n_msgs, int *why);

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
