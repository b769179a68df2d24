/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include <apr_strings.h>
#include <openssl/err.h>

#include "tlsi_audit.h"
#include "tlsi_careq.h"
#include "tlsi_certmsg.h"

APLOG_USE_MODULE(tlsinterop);

static const unsigned int fragment_lengths[] = { 512, 1024, 2048, 4096 };
#define FRAGMENT_LENGTHS \
    (sizeof(fragment_lengths) / sizeof(fragment_lengths[0]))

static void push_ref(STACK_OF(X509) *certs, X509 *cert)
{
    if (X509_up_ref(cert)) {
        sk_X509_push(certs, cert);
    }
}

/*
 * The certificates OpenSSL sends for the context's current certificate,
 * leaf first, chosen as its ssl_add_cert_chain() does: the certificate's
 * own chain, else the context's extra chain certificates, else (unless
 * auto-chaining is off) as much of a chain as the context's store builds.
 */
static STACK_OF(X509) *sent_certificates(SSL_CTX *ctx, X509 *leaf)
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

static const char *key_kind(X509 *cert)
{
    EVP_PKEY *key = X509_get0_pubkey(cert);
    const char *name = key ? EVP_PKEY_get0_type_name(key) : NULL;

    return name ? name : "unknown";
}

static void audit_current(const tlsi_vhost_init_t *vi, X509 *leaf)
{
    STACK_OF(X509) *certs = sent_certificates(vi->ctx, leaf);
    apr_size_t tls12, tls13, size;
    const char *too_small = NULL;
    apr_size_t i;
    int n;

    if (certs == NULL) {
        return;
    }
    n = sk_X509_num(certs);
    tls12 = tlsi_certmsg_size_tls12(certs);
    tls13 = tlsi_certmsg_size_tls13(certs);
    size = tls12 > tls13 ? tls12 : tls13;
    sk_X509_pop_free(certs, X509_free);

    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, vi->s,
                 "%s: %s certificate with %d certificate(s) sent: Certificate "
                 "message TLS 1.2 %" APR_SIZE_T_FMT " bytes, TLS 1.3 %"
                 APR_SIZE_T_FMT " bytes", vi->vhost, key_kind(leaf), n, tls12,
                 tls13);
    if (size > TLSI_MAX_RECORD_PLAINTEXT) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, vi->s,
                     "%s: the %s certificate and its chain (%d certificates) "
                     "make a %" APR_SIZE_T_FMT "-byte Certificate message, "
                     "more than one %d-byte TLS record: clients that cannot "
                     "reassemble a split handshake message will fail. A "
                     "shorter chain (no root, no cross-signed certificates) or "
                     "an ECDSA certificate helps", vi->vhost, key_kind(leaf),
                     n, size, TLSI_MAX_RECORD_PLAINTEXT);
    }
    for (i = 0; i < FRAGMENT_LENGTHS; i++) {
        if (size > fragment_lengths[i]) {
            too_small = apr_psprintf(vi->ptemp, "%s%s%u",
                                     too_small ? too_small : "",
                                     too_small ? ", " : "",
                                     fragment_lengths[i]);
        }
    }
    if (too_small != NULL) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, vi->s,
                     "%s: the %s certificate's %" APR_SIZE_T_FMT "-byte "
                     "Certificate message does not fit a max_fragment_length "
                     "of %s bytes: clients that negotiate such a length and "
                     "cannot reassemble a split message will fail. A shorter "
                     "chain or an ECDSA certificate helps", vi->vhost,
                     key_kind(leaf), size, too_small);
    }
}

void tlsi_audit_certificates(const tlsi_vhost_init_t *vi)
{
    X509 *current = SSL_CTX_get0_certificate(vi->ctx);
    int rc;

    /* One line per certificate (an RSA and an ECDSA one, say), then leave
     * the context's current certificate as it was. */
    for (rc = SSL_CTX_set_current_cert(vi->ctx, SSL_CERT_SET_FIRST); rc == 1;
         rc = SSL_CTX_set_current_cert(vi->ctx, SSL_CERT_SET_NEXT)) {
        X509 *leaf = SSL_CTX_get0_certificate(vi->ctx);

        if (leaf != NULL) {
            audit_current(vi, leaf);
        }
    }
    for (rc = SSL_CTX_set_current_cert(vi->ctx, SSL_CERT_SET_FIRST);
         rc == 1 && SSL_CTX_get0_certificate(vi->ctx) != current;
         rc = SSL_CTX_set_current_cert(vi->ctx, SSL_CERT_SET_NEXT)) {
    }
}
