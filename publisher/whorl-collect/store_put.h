/*
 * store_put.h - whorl-collect's writes to its database (store.h): a report
 * in one transaction, and retention.
 *
 * Not thread safe: as store.h.
 */
#ifndef WHORL_COLLECT_STORE_PUT_H
#define WHORL_COLLECT_STORE_PUT_H

#include <stdint.h>

#include "../collectdb/store.h"
#include "report.h"

/* Stores r (and its text) received at `now` from addr, in one transaction.
 * STORE_OK, STORE_REPLAY (nothing written), or STORE_ERROR (rolled back). */
int store_put(struct store *st, const struct collect_report *r, const char *text, const char *addr,
              int64_t now);

/* Deletes reports received before `before` (with their counts and sigs). */
int store_prune(struct store *st, int64_t before);

#endif
