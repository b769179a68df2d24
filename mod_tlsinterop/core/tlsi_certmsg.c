/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include "tlsi_careq.h"
#include <openssl/err.h>

#include "tlsi_certmsg.h"
#include "tlsi_ossl.h"

/* Every certificate's DER with its 3-byte length, plus per_entry bytes. */
static apr_size_t entries_len(const STACK_OF(X509) *certs, apr_size_t per_entry)
{
    apr_size_t len = 0;
    int i;

    for (i = 0; i < sk_X509_num(certs); i++) {
        int der = i2d_X509(sk_X509_value(certs, i), NULL);

        len += 3 + (der > 0 ? (apr_size_t)der : 0) + per_entry;
    }
    return len;
}

apr_size_t tlsi_certmsg_size_tls12(const STACK_OF(X509) *certs)
{
    return TLSI_HS_HEADER_LEN + 3 + entries_len(certs, 0);
}

apr_size_t tlsi_certmsg_size_tls13(const STACK_OF(X509) *certs)
{
    /* empty request context (1); each entry's empty extensions (2) */
    return TLSI_HS_HEADER_LEN + 1 + 3 + entries_len(certs, 2);
}

static void push_ref(STACK_OF(X509) *certs, X509 *cert)
{
    if (X509_up_ref(cert)) {
        sk_X509_push(certs, cert);
    }
}

STACK_OF(X509) *tlsi_certmsg_sent_chain(SSL_CTX *ctx, X509 *leaf)
{
    STACK_OF(X509) *certs = sk_X509_new_null(), *chain = NULL;
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    int i;

    if (certs == NULL) {
        return NULL;
    }
    SSL_CTX_get0_chain_certs(ctx, &chain);
    if (chain == NULL) {
        SSL_CTX_get_extra_chain_certs_only(ctx, &chain);
    }
    if (chain == NULL && store != NULL
        && !(SSL_CTX_get_mode(ctx) & SSL_MODE_NO_AUTO_CHAIN)) {
        X509_STORE_CTX *build = X509_STORE_CTX_new();

        ERR_set_mark();
        if (build != NULL && X509_STORE_CTX_init(build, store, leaf, NULL)) {
            /* An incomplete chain is fine: we want what can be built. */
            (void)X509_verify_cert(build);
            chain = X509_STORE_CTX_get0_chain(build);
            for (i = 0; chain != NULL && i < sk_X509_num(chain); i++) {
                push_ref(certs, sk_X509_value(chain, i));
            }
        }
        ERR_pop_to_mark();
        X509_STORE_CTX_free(build);
        if (sk_X509_num(certs) > 0) {
            return certs;
        }
        chain = NULL;
    }
    push_ref(certs, leaf);
    for (i = 0; chain != NULL && i < sk_X509_num(chain); i++) {
        push_ref(certs, sk_X509_value(chain, i));
    }
    return certs;
}

const char *tlsi_certmsg_key_kind(X509 *cert)
{
    return tlsi_ossl_key_kind(X509_get0_pubkey(cert));
}
