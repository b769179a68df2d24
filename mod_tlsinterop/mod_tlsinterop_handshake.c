/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include "httpd.h"
#include "http_config.h"

#include "mod_tlsinterop_counters.h"
#include "mod_tlsinterop_handshake.h"
#include "tlsi_ossl.h"

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
        tlsi_count(hs->s, TLSI_CNT_TRIMMED_NO_CERT);
    }
    SSL_set_info_callback((SSL *)ssl, NULL);
}

static int on_certificate(SSL *ssl, void *arg)
{
    const tlsi_handshake_t *hs = arg;
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
    /* A CertificateRequest goes out when the server verifies clients. */
    if ((hs->trimmed || cut) && (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER)) {
        tlsi_count(hs->s, TLSI_CNT_TRIMMED_HANDSHAKES);
        SSL_set_info_callback(ssl, on_info);
    }
    return 1;
}

void tlsi_handshake_install(SSL_CTX *ctx, const tlsi_handshake_t *hs)
{
    if (!hs->trimmed && !hs->fit_needed) {
        return;
    }
    if (handshake_index < 0) {
        handshake_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    }
    SSL_CTX_set_ex_data(ctx, handshake_index, (void *)hs);
    SSL_CTX_set_cert_cb(ctx, on_certificate, (void *)hs);
}
