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

#include "tlsi_certcb.h"
#include "tlsi_counters.h"
#include "tlsi_fragment.h"
#include "tlsi_shape.h"
#include "tlsi_trim.h"

APLOG_USE_MODULE(tlsinterop);

/* What a vhost's callback needs, made at start-up from pconf. */
typedef struct {
    server_rec *s;
    int trimmed;                /* the vhost's list is a trimmed one */
    int fit_needed;             /* some fragment length needs a shorter list */
    tlsi_fragment_fit_t fit;
} certcb_t;

/* SSL_CTX ex_data: the vhost's certcb_t, for the info callback. */
static int certcb_index = -1;

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
    const certcb_t *cb = SSL_CTX_get_ex_data(ctx, certcb_index);
    int none;

    if (chained != NULL) {
        chained(ssl, where, ret);
    }
    if (where & SSL_CB_HANDSHAKE_DONE) {
        none = SSL_get0_peer_certificate(ssl) == NULL;
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
    if (none && cb != NULL) {
        tlsi_count(cb->s, TLSI_CNT_TRIMMED_NO_CERT);
    }
    SSL_set_info_callback((SSL *)ssl, NULL);
}

static int on_certificate(SSL *ssl, void *arg)
{
    const certcb_t *cb = arg;
    int cut = 0;

    if (cb->fit_needed) {
        cut = tlsi_fragment_fit_connection(&cb->fit, ssl);
        if (cut < 0) {
            return 0;   /* out of memory: fail the handshake */
        }
        if (cut > 0) {
            tlsi_count(cb->s, TLSI_CNT_FRAGMENT_FITS);
        }
    }
    /* A CertificateRequest goes out when the server verifies clients. */
    if ((cb->trimmed || cut) && (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER)) {
        tlsi_count(cb->s, TLSI_CNT_TRIMMED_HANDSHAKES);
        SSL_set_info_callback(ssl, on_info);
    }
    return 1;
}

static apr_status_t release_fit(void *fit)
{
    tlsi_fragment_fit_release(fit);
    return APR_SUCCESS;
}

/* Prepare the per-fragment-length lists, prefixes of the vhost's
 * priority order; 1 if some length needs one. */
static int prepare_fit(const tlsi_vhost_init_t *vi, certcb_t *cb,
                       const tlsi_calist_t *order)
{
    const char *counts = "";
    apr_size_t budget;
    unsigned int code;

    /* The context owns the order's names for as long as the callback can
     * run. */
    if (!tlsi_fit_fragment(vi->conf)
        || tlsi_ca_limit(vi->conf, &budget) != TLSI_CALIMIT_BYTES
        || order == NULL || order->count == 0) {
        return 0;
    }
    switch (tlsi_fragment_fit_prepare(&cb->fit, order, tlsi_shape_of(vi))) {
    case 0:
        return 0;
    case -1:
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, vi->s, "%s: out of memory "
                     "preparing CA lists for max_fragment_length", vi->vhost);
        return 0;
    }
    apr_pool_cleanup_register(vi->pconf, &cb->fit, release_fit,
                              apr_pool_cleanup_null);
    for (code = 1; code <= TLSI_FRAGMENT_CODES; code++) {
        counts = apr_psprintf(vi->ptemp, "%s%s%u bytes: %d", counts,
                              code > 1 ? ", " : "", TLSI_FRAGMENT_BYTES(code),
                              cb->fit.kept[code - 1]);
    }
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, vi->s,
                 "%s: connections that negotiate max_fragment_length get the "
                 "first CA names of %d that fit: %s", vi->vhost, order->count,
                 counts);
    return 1;
}

void tlsi_certcb_install(const tlsi_vhost_init_t *vi,
                         const tlsi_trim_result_t *trim)
{
    certcb_t *cb = apr_pcalloc(vi->pconf, sizeof(*cb));

    cb->s = vi->s;
    cb->trimmed = trim->trimmed;
    cb->fit_needed = prepare_fit(vi, cb, trim->order);
    if (!cb->trimmed && !cb->fit_needed) {
        return;
    }
    if (certcb_index < 0) {
        certcb_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    }
    SSL_CTX_set_ex_data(vi->ctx, certcb_index, cb);
    SSL_CTX_set_cert_cb(vi->ctx, on_certificate, cb);
}
