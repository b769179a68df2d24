/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * tlsi_hint: the Keep-Alive timeouts a server may announce.
 *
 * Pure core: needs APR only.  A keep-alive response announces the idle
 * timeout the MPM will enforce less a margin (Keep-Alive: timeout=T).  The
 * timeouts a server's connections may be enforced are known at start-up,
 * so the set of T is made then and a request only looks its T up.
 */
#ifndef TLSI_HINT_H
#define TLSI_HINT_H

#include <apr_pools.h>
#include <apr_time.h>

typedef struct tlsi_timeouts {
    int count;
    int capacity;
    int *seconds;
} tlsi_timeouts_t;

/* What Keep-Alive: timeout= says for an enforced timeout: the margin
 * (seconds) less.  Below 1, nothing a client could rely on is left. */
int tlsi_hint_seconds(apr_interval_time_t enforced, int margin);

tlsi_timeouts_t *tlsi_timeouts_make(apr_pool_t *p, int capacity);

/* The index of seconds in hints, added when new; -1 when seconds is below
 * 1 or the set is full. */
int tlsi_timeouts_add(tlsi_timeouts_t *hints, int seconds);

/* The index of seconds in hints, or -1. */
int tlsi_timeouts_find(const tlsi_timeouts_t *hints, int seconds);

#endif /* TLSI_HINT_H */
