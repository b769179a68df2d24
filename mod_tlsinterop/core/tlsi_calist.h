/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * tlsi_calist: which advertised CA names to keep under a byte budget.
 *
 * Pure core: needs OpenSSL and APR only.  Names are put in priority order
 * once (tlsi_cover decides it; preferred subjects lead), with the
 * running sum of their wire sizes, so fitting any budget is a binary search
 * and the kept names are always a prefix of that order.  The order only
 * ever holds names of the source list: trimming never adds a name.
 */
#ifndef TLSI_CALIST_H
#define TLSI_CALIST_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tlsi_careq.h"

typedef struct tlsi_calist {
    int count;                 /* names, in priority order */
    const X509_NAME **names;   /* borrowed from the source list */
    apr_size_t *wire_sum;      /* wire_sum[k]: bytes of the first k names */
} tlsi_calist_t;

/*
 * Order the names of list: first the entries at the indices in lead (an
 * array of int; may be NULL), in lead's order, then the others in list's
 * order.  Indices out of range or repeated are skipped.  Returns NULL if a
 * name cannot be DER-encoded.
 */
tlsi_calist_t *tlsi_calist_arrange(apr_pool_t *p,
                                   const STACK_OF(X509_NAME) *list,
                                   const apr_array_header_t *lead);

/* The CertificateRequest size (the larger of TLS 1.2 and 1.3) with the
 * first k names. */
apr_size_t tlsi_calist_cr_size(const tlsi_calist_t *list,
                               const tlsi_cr_shape_t *shape, int k);

/*
 * The largest k whose CertificateRequest fits budget bytes.  Returns 0
 * both when no name fits and when even an empty list does not fit; tell
 * them apart with tlsi_calist_cr_size(list, shape, 0).
 */
int tlsi_calist_fit(const tlsi_calist_t *list, const tlsi_cr_shape_t *shape,
                    apr_size_t budget);

/* tlsi_calist_fit(), and no more names than OpenSSL can send at all
 * (TLSI_MAX_NAMES_LEN bytes of them): for budgets above one record. */
int tlsi_calist_fit_sendable(const tlsi_calist_t *list,
                             const tlsi_cr_shape_t *shape, apr_size_t budget);

/*
 * The names OpenSSL puts in a CertificateRequest: the client CA list, or
 * when that is empty the "CA list" (SSL_CTX_set0_CA_list); NULL when
 * SSL_OP_DISABLE_TLSEXT_CA_NAMES sends none.  For a context, or for a
 * connection (whose lists fall back to its context's).  The one place
 * the module decides it.
 */
const STACK_OF(X509_NAME) *tlsi_calist_sent_by_ctx(const SSL_CTX *ctx);
const STACK_OF(X509_NAME) *tlsi_calist_sent_by(const SSL *ssl);

/* A new stack holding copies of the first k names, owned by the caller
 * (ready for SSL_CTX_set_client_CA_list).  NULL when out of memory. */
STACK_OF(X509_NAME) *tlsi_calist_copy(const tlsi_calist_t *list, int k);

/*
 * Give ssl a client CA list of its own: copies of the first k names,
 * which the connection owns (SSL_set_client_CA_list(3)).  With k == 0 its
 * CA list is emptied too: OpenSSL does not document which list an empty
 * client CA list defers to, and the context's may hold more names.
 * Returns 1, or -1 when out of memory (ssl unchanged).
 */
int tlsi_calist_give(SSL *ssl, const tlsi_calist_t *list, int k);

/* The bytes all names of list take in a CertificateRequest (the sum of
 * tlsi_name_wire_len); names that cannot be encoded count nothing. */
apr_size_t tlsi_calist_names_len(const STACK_OF(X509_NAME) *list);

#endif /* TLSI_CALIST_H */
