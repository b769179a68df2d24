/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include "httpd.h"
#include "http_config.h"

#include "http_log.h"

#include "mod_tlsinterop_counters.h"
#include "mod_tlsinterop_handshake.h"
#include "mod_tlsinterop_hello.h"
#include "tlsi_ossl.h"

APLOG_USE_MODULE(tlsinterop);

/* SSL_CTX ex_data: the vhost's tlsi_handshake_t, for the info callback. */
static int handshake_index = -1;

/*
 * Set on a connection that requests a certificate with a trimmed list:
 * tells at the end of the handshake whether the client sent one.  It
 * first runs the context's own callback (mod_ssl's), which the
 * connection's replaces, and leaves the connection to it once it knows.
 */
static void on_info(const SSL *ssl, int where, int ret)
{
    SSL_CTX *ctx = SSL_get_SSL_CTX(ssl);
    void (*chained)(const SSL *, int, int) = SSL_CTX_get_info_callback(ctx);
    const tlsi_handshake_t *hs = SSL_CTX_get_ex_data(ctx, handshake_index);
    int none;

    if (chained != NULL) {
        chained(ssl, where, ret);
    }
    if (where & SSL_CB_HANDSHAKE_DONE) {
        none = !tlsi_ossl_peer_sent_certificate(ssl);
    }
    else if ((where & SSL_CB_WRITE_ALERT) && (ret >> 8) == SSL3_AL_FATAL) {
        /* Refused while reading an empty Certificate (SSLVerifyClient
         * require); a certificate that failed to verify sets the result. */
        none = SSL_get_state(ssl) == TLS_ST_SR_CERT
               && SSL_get_verify_result(ssl) == X509_V_OK;
    }
    else {
        return;
    }
    if (none && hs != NULL) {
        tlsi_hello_seen_t *seen = tlsi_hello_of((SSL *)ssl);
        const STACK_OF(X509_NAME) *names = SSL_get_client_CA_list(ssl);

        tlsi_count(hs->s, TLSI_CNT_TRIMMED_NO_CERT);
        /* Which stacks a fitted list locks out: their fingerprint. */
        if (seen != NULL) {
            ap_log_cerror(APLOG_MARK, APLOG_INFO, 0, seen->c,
                          "no client certificate after a list of %d CA "
                          "names; client JA4 %s",
                          seen->names_given >= 0 ? seen->names_given
                          : names ? sk_X509_NAME_num(names) : 0, seen->ja4);
        }
    }
    SSL_set_info_callback((SSL *)ssl, NULL);
}

/*
 * A client recognised as a stack that takes more than the fitted list gets
 * the largest prefix of the priority order it accepts.  The whole list
 * sits in the context's CA list, which an empty client CA list lets
 * through (checked at start-up): no copy on the common path.  Returns 1
 * if the connection got another list, 0 if not, -1 when out of memory.
 */
static int list_for_client(const tlsi_handshake_t *hs, SSL *ssl)
{
    tlsi_hello_seen_t *seen = tlsi_hello_of(ssl);
    const tlsi_class_rule_t *rule;
    apr_size_t limit;
    int kept;

    if (seen == NULL) {
        return 0;
    }
    limit = tlsi_classes_limit(hs->classes, seen->hello, seen->ja4, &rule);
    if (limit == 0) {
        return 0;
    }
    kept = tlsi_calist_fit_sendable(hs->order, &hs->shape, limit);
    if (kept == hs->fitted) {
        return 0;
    }
    if (kept == hs->reachable && kept > 0) {
        STACK_OF(X509_NAME) *empty = sk_X509_NAME_new_null();

        if (empty == NULL) {
            return -1;
        }
        SSL_set_client_CA_list(ssl, empty);
    }
    else if (tlsi_calist_give(ssl, hs->order, kept) < 0) {
        return -1;
    }
    seen->names_given = kept;
    tlsi_count(hs->s, kept == hs->order->count ? TLSI_CNT_WHOLE_LISTS
                                               : TLSI_CNT_LARGER_LISTS);
    return 1;
}

static int on_certificate(SSL *ssl, void *arg)
{
    const tlsi_handshake_t *hs = arg;
    /* A CertificateRequest goes out when the server verifies clients. */
    int asks = (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) != 0;
    int cut = 0;

    if (hs->fit_needed) {
        cut = tlsi_fragment_fit_connection(&hs->fit, ssl);
        if (cut < 0) {
            return 0;   /* out of memory: fail the handshake */
        }
        if (cut > 0) {
            tlsi_count(hs->s, TLSI_CNT_FRAGMENT_FITS);
        }
    }
    /* A negotiated max_fragment_length says what the client takes. */
    if (!cut && hs->classes != NULL && asks
        && list_for_client(hs, ssl) < 0) {
        return 0;
    }
    if ((hs->trimmed || cut) && asks) {
        tlsi_count(hs->s, TLSI_CNT_TRIMMED_HANDSHAKES);
        SSL_set_info_callback(ssl, on_info);
    }
    return 1;
}

void tlsi_handshake_install(SSL_CTX *ctx, const tlsi_handshake_t *hs)
{
    if (!hs->trimmed && !hs->fit_needed && hs->classes == NULL) {
        return;
    }
    if (handshake_index < 0) {
        handshake_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    }
    SSL_CTX_set_ex_data(ctx, handshake_index, (void *)hs);
    SSL_CTX_set_cert_cb(ctx, on_certificate, (void *)hs);
}
