/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * tlsi_trim: fit a vhost's advertised CA names to its TLSInteropCAListLimit
 * at start-up.  Only the advertised names change; the store that verifies
 * clients is never touched.
 */
#ifndef TLSI_TRIM_H
#define TLSI_TRIM_H

#include "httpd.h"

#include <openssl/ssl.h>

#include "tlsi_sslinit.h"

#include "tlsi_calist.h"

/* What trimming leaves for the certificate callback. */
typedef struct tlsi_trim_result {
    int trimmed;                /* the advertised list was cut or emptied */
    /* The advertised names in priority order, from pconf, for the lists
     * of shorter records; NULL when the limit does not apply. */
    const tlsi_calist_t *order;
} tlsi_trim_result_t;

void tlsi_trim_ca_list(const tlsi_vhost_init_t *vi, tlsi_trim_result_t *out);

/* The store that verifies clients of ctx. */
X509_STORE *tlsi_trust_store(SSL_CTX *ctx);

/* The names OpenSSL will advertise for ctx: the client CA list, or when
 * that is empty the CA list; NULL if it sends none. */
const STACK_OF(X509_NAME) *tlsi_advertised_names(SSL_CTX *ctx);

#endif /* TLSI_TRIM_H */
