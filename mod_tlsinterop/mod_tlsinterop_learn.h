/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * mod_tlsinterop_learn: which of a trimmed vhost's CAs issue the client certificates
 * that verify.  Children count them in shared memory from OpenSSL's
 * certificate verification callback, which runs only for clients that
 * send a certificate.  When a generation ends (graceful or full restart,
 * stop) the parent adds the counts to the vhost's file (tlsi_learned),
 * which the next start-up reads to order the names.
 */
#ifndef MOD_TLSINTEROP_LEARN_H
#define MOD_TLSINTEROP_LEARN_H

#include "httpd.h"

#include <openssl/ssl.h>

#include "tlsi_learned.h"
#include "mod_tlsinterop_config.h"
#include "tlsi_stacks.h"

/* Where "TLSInteropCALearn on" keeps its files, relative to ServerRoot
 * unless absolute.  A distribution may build with its own directory:
 * -DTLSI_LEARN_DIR=/var/lib/apache2/tlsinterop (a bare path: it is made a
 * string here, so it must not contain a macro name such as "linux"). */
#define TLSI_STRING(x) #x
#define TLSI_EXPANDED_STRING(x) TLSI_STRING(x)
#ifdef TLSI_LEARN_DIR
#define TLSI_LEARN_DEFAULT_DIR TLSI_EXPANDED_STRING(TLSI_LEARN_DIR)
#else
#define TLSI_LEARN_DEFAULT_DIR "state/tlsinterop"
#endif

/*
 * One vhost's learning, from its start-up to the end of the generation:
 * the context every call below takes.
 */
typedef struct tlsi_learner tlsi_learner_t;

/*
 * Open the vhost's learning: read what its file kept (nothing when
 * TLSInteropCALearn is off).  A file that cannot be used gets one warning;
 * start-up goes on without it.
 */
tlsi_learner_t *tlsi_learn_open(const tlsi_vhost_init_t *vi);

/* The names and client stacks the file kept, ranked. */
const tlsi_learned_t *tlsi_learn_kept(const tlsi_learner_t *l);

/*
 * Watch the client certificates that verify on a vhost whose list is
 * trimmed: count those whose issuer was not advertised and, when the
 * vhost learns, record the names of the vhost's list in their chains.
 * names is a copy of the whole list before trimming, which this takes
 * over; rank[i] is the place of its name i in the advertised order;
 * learned holds the indices of the names the file already had.
 */
void tlsi_learn_watch(tlsi_learner_t *l, const tlsi_vhost_init_t *vi,
                      STACK_OF(X509_NAME) *names, const int *rank,
                      const apr_array_header_t *learned);

/*
 * The vhost also learns which client stacks take more than its fitted
 * list (tlsi_stacks); names[step] is how many CA names each step gives.
 * Returns the table, empty until tlsi_learn_start_generation attaches its
 * shared memory and loads what the vhost's file kept.  Persisted only
 * where the vhost has a file (TLSInteropCALearn).
 */
tlsi_stacks_t *tlsi_learn_stacks(tlsi_learner_t *l, apr_pool_t *pconf,
                                 const int names[TLSI_STEPS]);

/* post_config, after every init_server: shared memory for this
 * generation's counts and client stacks, and saving them when it ends. */
void tlsi_learn_start_generation(apr_pool_t *pconf, server_rec *base);

#endif /* MOD_TLSINTEROP_LEARN_H */
