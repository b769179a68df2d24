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

#include "tlsi_counters.h"
#include "tlsi_fragfit.h"
#include "tlsi_fragment.h"
#include "tlsi_shape.h"
#include "tlsi_trim.h"

APLOG_USE_MODULE(tlsinterop);

/* What a vhost's callback needs, made at start-up from pconf. */
typedef struct {
    server_rec *s;
    tlsi_fragment_fit_t fit;
} fragfit_t;

static int fit_to_fragment(SSL *ssl, void *arg)
{
    const fragfit_t *ff = arg;
    int rc = tlsi_fragment_fit_connection(&ff->fit, ssl);

    if (rc > 0) {
        tlsi_count(ff->s, TLSI_CNT_FRAGMENT_FITS);
    }
    return rc >= 0;     /* out of memory fails the handshake */
}

static apr_status_t release_fit(void *fit)
{
    tlsi_fragment_fit_release(fit);
    return APR_SUCCESS;
}

void tlsi_fragfit_install(const tlsi_vhost_init_t *vi)
{
    const STACK_OF(X509_NAME) *advertised;
    const tlsi_calist_t *order;
    const char *counts = "";
    apr_size_t budget;
    fragfit_t *ff;
    unsigned int code;

    if (!tlsi_fit_fragment(vi->conf)
        || tlsi_ca_limit(vi->conf, &budget) != TLSI_CALIMIT_BYTES) {
        return;
    }
    advertised = tlsi_advertised_names(vi->ctx);
    if (advertised == NULL || sk_X509_NAME_num(advertised) == 0) {
        return;
    }
    /* The context owns these names for as long as the callback can run. */
    order = tlsi_calist_order(vi->pconf, advertised, NULL, NULL);
    if (order == NULL) {
        return;
    }
    ff = apr_pcalloc(vi->pconf, sizeof(*ff));
    ff->s = vi->s;
    switch (tlsi_fragment_fit_prepare(&ff->fit, order, tlsi_shape_of(vi))) {
    case 0:
        return;     /* fits every length: no callback, no per-handshake work */
    case -1:
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, vi->s, "%s: out of memory "
                     "preparing CA lists for max_fragment_length", vi->vhost);
        return;
    }
    apr_pool_cleanup_register(vi->pconf, &ff->fit, release_fit,
                              apr_pool_cleanup_null);
    SSL_CTX_set_cert_cb(vi->ctx, fit_to_fragment, ff);
    for (code = 1; code <= TLSI_FRAGMENT_CODES; code++) {
        counts = apr_psprintf(vi->ptemp, "%s%s%u bytes: %d", counts,
                              code > 1 ? ", " : "", TLSI_FRAGMENT_BYTES(code),
                              ff->fit.kept[code - 1]);
    }
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, vi->s,
                 "%s: connections that negotiate max_fragment_length get the "
                 "first CA names of %d that fit: %s", vi->vhost, order->count,
                 counts);
}
