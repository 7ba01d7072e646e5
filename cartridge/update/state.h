/*
 * state.h - the micro-update state files under <cache>/micro_updates/states/
 * (docs/UPDATES-STATE.md): which complete file of each source makes up the
 * package, current, safe and on-trial ("unsafe") sets, the run marker that
 * tells a clean shutdown from a crash, and the start-up choice between sets.
 *
 * Every file is written to a temporary name, fsync'd, renamed and the
 * directory fsync'd, so a crash leaves the old or the new file, never half.
 *
 * Not for: verifying or loading data files (state_load.c, loader.c).
 */
#ifndef WHORL_UPDATE_STATE_H
#define WHORL_UPDATE_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "update.h"
#include "update_format.h"

#define UPDATE_STATE_SUBDIR "states"
#define UPDATE_STATE_MAX_BYTES 2048 /* a larger state file is malformed */
#define UPDATE_STATE_MAX_LINE 128   /* longest line a state file may hold */
#define UPDATE_RUN_MARKER "running" /* present while an engine runs */

enum update_set_kind {
	UPDATE_SET_PACKAGE,
	UPDATE_SET_CURRENT,
	UPDATE_SET_SAFE,
	UPDATE_SET_UNSAFE,
	UPDATE_SET_KINDS
};

/* One set: per source the serial of its complete file (0: not in the set).
 * Files are named locally "<source>.<serial>.z.enc" (+ ".cksum"). */
struct update_set {
	uint64_t complete[UPDATE_N_SOURCES];
	uint64_t incremental[UPDATE_N_SOURCES]; /* state serial: sigs deltas from complete
	                                           to it are kept in the cache (chain.c) */
	uint64_t manifest_serial;               /* highest manifest accepted so far */
	int64_t since;                          /* unix seconds the set went live */
	int64_t expires;                        /* expiry of the newest manifest accepted
	                                           (0: not recorded), so a restart in a
	                                           freeze still shows the set stale */
};

/* "package", "current", "safe", "unsafe". */
const char *update_set_name(int kind);

/* Parses a state file's bytes. 0, or WHORL_EFORMAT (*line_no set to the
 * first bad line, 1-based). Bounds: UPDATE_STATE_MAX_BYTES in all,
 * UPDATE_STATE_MAX_LINE per line, each source at most once. */
int update_set_parse(const char *text, size_t len, struct update_set *out, int *line_no);
/* Formats s into buf; length, or WHORL_ELIMIT when cap is too small. */
long update_set_format(const struct update_set *s, char *buf, size_t cap);
/* 1 when both sets name the same complete files. */
int update_set_same(const struct update_set *a, const struct update_set *b);

/* <micro_updates dir>/states/srl_set.<kind> -> *out. 0, WHORL_ENODATA (no
 * such file), WHORL_EIO or WHORL_EFORMAT (logged: "Malformed line in %s"). */
int update_state_read(const char *mu_dir, int kind, struct update_set *out,
                      const struct logger *lg);
/* Writes it crash-safe. 0 or WHORL_EIO (logged with the guide's lines). */
int update_state_write(const char *mu_dir, int kind, const struct update_set *s,
                       const struct logger *lg);
/* Removes the file (absent is fine). 0 or WHORL_EIO (logged). */
int update_state_remove(const char *mu_dir, int kind, const struct logger *lg);

/* The run marker (states/running): the count of unclean starts in a row it
 * holds (-1: no marker, the last run shut down cleanly); write; remove. */
int update_state_marker_read(const char *mu_dir);
int update_state_marker_write(const char *mu_dir, int unclean, const struct logger *lg);
void update_state_marker_remove(const char *mu_dir);

/* Engine start: creates the 0700 directories, removes leftover .part files
 * ("Removed partial <source> file <file>"), copies the package set to safe
 * on first init, and notes the start in the run marker. Returns how many
 * starts in a row followed an unclean shutdown (0 after a clean one). */
int update_state_start(const struct cfg *cfg, const struct logger *lg);
/* Engine close: removes the run marker (a clean shutdown). */
void update_state_stop(const struct cfg *cfg, const struct logger *lg);
/* After each cycle: a set on trial for trial_s seconds or more becomes the
 * safe set, and the run counts as clean again. */
void update_state_tick(const struct cfg *cfg, const struct logger *lg, int64_t now,
                       unsigned trial_s);
/* After a new set went live (status: what is loaded now): it becomes the
 * current set and, unless it is the safe one, the set on trial. Only sets
 * whose complete files are all in the cache are recorded. */
void update_state_commit(const struct cfg *cfg, const struct logger *lg,
                         const struct update_status *status, int64_t now);
/* After a cycle that accepted a manifest but brought no new set: records
 * its serial (the rollback guard) and expiry in the current set, when they
 * moved on. */
void update_state_note_manifest(const struct cfg *cfg, const struct logger *lg,
                                const struct update_status *status);

/* Start-up: which set to load after `unclean` unclean starts in a row, as
 * an ordered list of kinds to try (each is re-verified; the first that loads
 * wins). Returns the count written to order[] (at most UPDATE_SET_KINDS). */
size_t update_state_choose(const char *mu_dir, int unclean, const struct logger *lg,
                           int order[UPDATE_SET_KINDS]);

/* Cache directory helpers (cache.c). prepare: <cache>/micro_updates and its
 * states/ made 0700 and refused when a symlink; path into dir. 0 or -1
 * (logged). name: "<source>.<serial>.z.enc", the only names written. */
int update_cache_prepare(const struct cfg *cfg, const struct logger *lg, char *dir, size_t len);
void update_cache_name(int source, uint64_t serial, char *buf, size_t len);
/* Keeps UPDATE_CACHE_KEEP complete files per source: the current set's, the
 * safe set's, then the newest; removes the rest ("Removed old <s> file <f>."). */
void update_cache_prune(const struct cfg *cfg, const struct logger *lg);

/* The sigs deltas kept in the cache (chain.c): the chain from a complete
 * serial to an incremental one, oldest link first. */
struct update_chain {
	size_t n;
	uint64_t base[UPDATE_MAX_DELTAS], serial[UPDATE_MAX_DELTAS];
};
/* "sigs.<base>-<serial>.z.enc", the only delta names written. */
void update_chain_name(uint64_t base, uint64_t serial, char *buf, size_t len);
/* Finds in the cache dir the deltas leading from `complete` to
 * `incremental` (by their names; nothing is verified here). 0 and *out
 * (n = 0 when they are equal), WHORL_ENODATA when no whole chain of at most
 * UPDATE_MAX_DELTAS links is there, WHORL_ENOMEM. */
int update_chain_find(const char *dir, uint64_t complete, uint64_t incremental,
                      struct update_chain *out);
/* 1 when every link's data file and checksum file are regular files. */
int update_chain_present(const char *dir, const struct update_chain *c);
/* Removes every delta file of dir that is not a link of keep[0..n_keep)
 * ("Removed old sigs file <f>."). */
void update_chain_prune(const struct logger *lg, const char *dir, const struct update_chain *keep,
                        size_t n_keep);

/* Start-up load from disk (state_load.c): tries the sets in the order of
 * update_state_choose(), re-verifying every file against the pinned key;
 * the first set whose complete files load whole wins, then its cached sigs
 * deltas are replayed as far as they verify. Each source loaded logs
 * "Successfully updated <s> from disk (new serial <c>.<i>)." and bumps
 * hooks->counters->disk_ok (a set that fails: disk_fail). When it is not
 * the current set, or the current set's chain was cut short, the current one
 * is replaced by what loaded (the set on trial is dropped); a set named but
 * not loaded is logged WARN with both serials, and each source that differs
 * from the current set's is logged ("Will load source <s> from safe set (<s>
 * is not safe)"). 0 with *out (one reference) and *kind, or WHORL_ENODATA
 * (no set loads), ECONFIG (no key), ENOMEM. st (may be NULL) gets the
 * serials and the chain length. */
int update_state_load(const struct cfg *cfg, const struct logger *lg,
                      const struct update_hooks *hooks, int unclean, struct update_status *st,
                      struct sigdb **out, int *kind);

#endif
