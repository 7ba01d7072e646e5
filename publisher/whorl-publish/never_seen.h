/*
 * never_seen.h - whorl-publish --never-seen: the published abuse
 * fingerprints no gateway reported seeing, from the collector's database.
 *
 * Not for: publishing (main.c).
 */
#ifndef WHORL_PUBLISH_NEVER_SEEN_H
#define WHORL_PUBLISH_NEVER_SEEN_H

/* When argv is "--key KEY --out MIRROR --never-seen DATABASE" (any order)
 * runs it, sets *rc (0, or 1 with the reason on stderr) and returns 1;
 * returns 0 for any other argv. */
int never_seen_mode(int argc, char **argv, int *rc);

#endif
