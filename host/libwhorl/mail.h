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
 * Nothing is mapped: the walk reads an mbox once, in fixed pieces, to find
 * its messages, and mail_read() reads one message at a time with pread, so
 * a file that shrinks or is replaced while it is read gives that message an
 * error (FILE_WHY_CHANGED), never SIGBUS. Every open goes through
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

/* Called for each input that is skipped: path and a short reason. */
typedef void (*mail_report_fn)(void *ctx, const char *path, const char *why);

/* One input file: a path, or standard input held in memory. */
struct mail_file {
	char *path;
	char *data; /* standard input's bytes (malloc'd), else NULL */
	size_t data_len;
	dev_t dev; /* identity seen by the walk: a file replaced */
	ino_t ino; /* afterwards is refused, not misread */
};

/* One message: bytes [off, off + len) of a file. */
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

/* How a message is named: its path (as given), or "PATH:N" for message N
 * of an mbox, written into buf when needed. Returns path or buf. */
const char *mail_msg_name(const struct mail_msg *m, const char *path, char *buf, size_t len);

/* A reusable buffer, one per reading thread. Start it zeroed. */
struct mail_buf {
	char *buf;
	size_t cap;
};

/* Reads message i into b (or points into standard input's bytes) and sets
 * *msg and *len; *msg stays valid until the next call with b. Returns 0,
 * or WHORL_EIO / WHORL_ELIMIT / WHORL_ENOMEM with *why set (an errno value
 * or a FILE_WHY_* code; text from file_why_text()). Thread-safe for
 * distinct buffers once the list is built. */
int mail_read(const struct mail_list *l, size_t i, struct mail_buf *b, const char **msg,
              size_t *len, int *why);

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
