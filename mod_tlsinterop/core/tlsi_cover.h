/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * tlsi_cover: which trusted CAs an advertised list covers, and the order
 * of a vhost's CA names that covers the most of them in a budget.
 *
 * Pure core: needs OpenSSL and APR only.
 *
 * A client that filters by name (Go, .NET, browsers, smart-card
 * middleware) offers a certificate when an advertised name issued one of
 * the certificates it presents.  A CA is covered by its own name, or by an
 * ancestor's when every certificate the store holds for it was issued by
 * a covered CA of the list: then a client that presents its chain finds a
 * name.  An anchor is a CA that only its own name can cover: one with a
 * self-signed certificate, an issuer outside the list, or no certificate
 * in the store.  Advertising every anchor covers every CA.
 */
#ifndef TLSI_COVER_H
#define TLSI_COVER_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tlsi_careq.h"
#include "tlsi_names.h"

typedef struct tlsi_hierarchy tlsi_hierarchy_t;

/* How a CA is covered by an advertised list. */
#define TLSI_COVER_NONE     0
#define TLSI_COVER_OWN      1   /* its own name is advertised */
#define TLSI_COVER_ANCESTOR 2   /* only through its issuers */

typedef struct tlsi_coverage {
    int own;
    int ancestor;
    int none;
} tlsi_coverage_t;

/* count CAs, known by their index in the vhost's list, with no issuer
 * recorded yet. */
tlsi_hierarchy_t *tlsi_hierarchy_make(apr_pool_t *p, int count);

/* CA child holds a certificate issued by CA issuer: an index of the list,
 * -1 for a CA outside it, or child itself when self-signed. */
void tlsi_hierarchy_add_issuer(tlsi_hierarchy_t *h, int child, int issuer);

/* After the last tlsi_hierarchy_add_issuer: decide the anchors (a cycle
 * of cross-certified CAs gets its first member in list order as one). */
void tlsi_hierarchy_finish(tlsi_hierarchy_t *h);

/* The issuers of every name in list, read from the trust store. */
tlsi_hierarchy_t *tlsi_hierarchy_from_store(apr_pool_t *p,
                                            const STACK_OF(X509_NAME) *list,
                                            const tlsi_namemap_t *map,
                                            X509_STORE *store);

int tlsi_hierarchy_count(const tlsi_hierarchy_t *h);

/*
 * Coverage when the CAs whose advertised[i] is nonzero are advertised.
 * state, when not NULL, gets a TLSI_COVER_* value for each CA.
 */
void tlsi_hierarchy_coverage(const tlsi_hierarchy_t *h,
                             const char *advertised, char *state,
                             tlsi_coverage_t *totals);

/*
 * The priority order of list's names: every index of list once (an array
 * of int, for tlsi_calist_arrange()):
 *   1. preferred (indices, in their order: the admin's word);
 *   2. learned (indices, best first), as far as the anchors still fit
 *      the budget after them; all of them when the anchors cannot fit;
 *   3. the anchors, those covering the most CAs first, ties in list
 *      order;
 *   4. the learned names that step 2 left;
 *   5. the rest, in list order.
 * So when the anchors fit the budget, the kept prefix covers every CA,
 * and learned names take the room that is left.
 */
apr_array_header_t *tlsi_cover_order(apr_pool_t *p, const tlsi_hierarchy_t *h,
                                     const STACK_OF(X509_NAME) *list,
                                     const apr_array_header_t *preferred,
                                     const apr_array_header_t *learned,
                                     const tlsi_cr_shape_t *shape,
                                     apr_size_t budget);

/* rank[i]: the place of list index i in order (an array of int that holds
 * every index once, as tlsi_cover_order() returns). */
const int *tlsi_cover_rank(apr_pool_t *p, const apr_array_header_t *order);

/* How many of the first kept entries of order are among picked (an array
 * of indices below count). */
int tlsi_cover_kept_of(apr_pool_t *p, const apr_array_header_t *order,
                       int kept, const apr_array_header_t *picked, int count);

/* The store that verifies the clients of ctx: the verify store where one
 * is set (mod_ssl sets none today), else the context's own.  The
 * hierarchy and learning read the CAs from it. */
X509_STORE *tlsi_client_trust_store(SSL_CTX *ctx);

#endif /* TLSI_COVER_H */
