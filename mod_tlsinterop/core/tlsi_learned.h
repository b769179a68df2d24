/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * tlsi_learned: the CA names a vhost learned from verified client
 * certificates, and the file that keeps them across restarts.
 *
 * Pure core: needs OpenSSL and APR only.
 *
 * The file is PEM: each CA certificate follows one line of counts,
 *
 *   TLSInteropLearned: issued=<n> above=<n> last-seen=<YYYY-MM-DD>
 *
 * best first, so it also serves as a TLSInteropCAListPrefer file.
 * "issued" counts verified client certificates the CA issued itself,
 * "above" chains in which it stood higher up, both as of the day it was
 * last seen.  A name's weight halves for every TLSI_LEARNED_HALF_LIFE
 * days it goes unseen; it is forgotten after TLSI_LEARNED_FORGET days.
 * The file keeps at most TLSI_LEARNED_MAX names.  Lines starting with
 * '#', "subject=" lines and blank lines are comments.
 *
 * Before the certificates, one line per client stack learned to take
 * more than the fitted list (tlsi_stacks), or held to it for now:
 *
 *   TLSInteropClientStack: ja4=<JA4> takes=fitted|32768|whole
 *       last-seen=<YYYY-MM-DD>[ retry=<YYYY-MM-DD>]
 *
 * (on one line), at most TLSI_STACKS_SLOTS of them.
 */
#ifndef TLSI_LEARNED_H
#define TLSI_LEARNED_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <openssl/x509.h>

#include "tlsi_stacks.h"

#define TLSI_LEARNED_MAX        256
#define TLSI_LEARNED_HALF_LIFE  30
#define TLSI_LEARNED_FORGET     365
/* Far more than TLSI_LEARNED_MAX certificates take. */
#define TLSI_LEARNED_MAX_FILE   (1024 * 1024)
#define TLSI_LEARNED_TAG        "TLSInteropLearned:"
#define TLSI_LEARNED_STACK_TAG  "TLSInteropClientStack:"

typedef struct tlsi_learned_entry {
    X509 *cert;                 /* the CA's certificate, owned */
    apr_uint64_t issued;        /* as of last_seen */
    apr_uint64_t above;
    int last_seen;              /* days since 1970-01-01 */
} tlsi_learned_entry_t;

typedef struct tlsi_learned {
    apr_pool_t *pool;           /* frees the certificates */
    apr_array_header_t *entries;    /* tlsi_learned_entry_t */
    apr_array_header_t *stacks;     /* tlsi_stack_rec_t */
} tlsi_learned_t;

tlsi_learned_t *tlsi_learned_make(apr_pool_t *p);

/* Today, as a day number. */
int tlsi_learned_today(void);

/*
 * Parse a file's contents into l.  Returns NULL, or what is wrong with
 * the text (with its line number); the entries before the fault are kept.
 */
const char *tlsi_learned_parse(tlsi_learned_t *l, const char *text,
                               apr_size_t len);

/*
 * Read the file at path into l.  Returns NULL (a missing file is an empty
 * state), or why nothing or only part of it could be read: not a regular
 * file, larger than TLSI_LEARNED_MAX_FILE, unreadable, or corrupt.
 */
const char *tlsi_learned_read(tlsi_learned_t *l, const char *path);

/*
 * Count what was seen today for the CA of cert (the state takes its own
 * reference).  Counts kept for it first decay to today.
 */
void tlsi_learned_add(tlsi_learned_t *l, X509 *cert, apr_uint64_t issued,
                      apr_uint64_t above, int today);

/* Best first; forget what is too old, and keep at most
 * TLSI_LEARNED_MAX. */
void tlsi_learned_rank(tlsi_learned_t *l, int today);

/* The entry's weight today: issued counts first. */
double tlsi_learned_weight(const tlsi_learned_entry_t *e, int today,
                           int issued);

/* The subjects of the entries, in order (X509_NAME *, borrowed). */
apr_array_header_t *tlsi_learned_subjects(apr_pool_t *p,
                                          const tlsi_learned_t *l);

/* The file's text; header names the vhost. */
const char *tlsi_learned_format(apr_pool_t *p, const tlsi_learned_t *l,
                                const char *header);

/*
 * Replace the file at path with text atomically: a temporary file in the
 * same directory, synced, then renamed over it.  The directory is made
 * when missing.  Returns NULL or what went wrong.
 */
const char *tlsi_learned_write(apr_pool_t *p, const char *path,
                               const char *text);

/* Make path's directory if missing; NULL or why it cannot be. */
const char *tlsi_learned_prepare_dir(apr_pool_t *p, const char *path);

#endif /* TLSI_LEARNED_H */
