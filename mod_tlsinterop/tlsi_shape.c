/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include <apr_hash.h>
#include <apr_strings.h>

#include "tlsi_probe.h"
#include "tlsi_shape.h"
#include "tlsi_sslconf.h"

APLOG_USE_MODULE(tlsinterop);

/* Per-generation cache of learned shapes, kept as pconf user data. */
#define SHAPE_CACHE_KEY "tlsinterop-cr-shapes"

/* Budget with these if no probe handshake works: no real configuration
 * sends more certificate types or signature algorithms. */
static const tlsi_cr_shape_t conservative_shape = { 1, 8, 128, 1, 128, 0 };

static const tlsi_cr_shape_t *learn_shape(const tlsi_vhost_init_t *vi,
                                          tlsi_probe_cfg_t *cfg,
                                          const char *key)
{
    tlsi_cr_shape_t *shape = apr_pcalloc(vi->pconf, sizeof(*shape));
    const char *err;

    cfg->cert = SSL_CTX_get0_certificate(vi->ctx);
    cfg->key = SSL_CTX_get0_privatekey(vi->ctx);
    if (!tlsi_probe_shape(cfg, vi->ptemp, shape, &err)) {
        cfg->cert = NULL;
        cfg->key = NULL;
        if (!tlsi_probe_shape(cfg, vi->ptemp, shape, &err)) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, vi->s,
                         "%s: cannot learn the CertificateRequest layout (%s); "
                         "budgeting with a conservative estimate",
                         vi->vhost, err);
            *shape = conservative_shape;
        }
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, vi->s,
                 "CertificateRequest layout for [%s]: TLS 1.2 %s, %u "
                 "certificate types, %u signature algorithms; TLS 1.3 %s, %u "
                 "signature algorithms, %" APR_SIZE_T_FMT " bytes of other "
                 "extensions", key,
                 shape->tls12_known ? "known" : "unknown",
                 shape->tls12_cert_types, shape->tls12_sigalgs,
                 shape->tls13_known ? "known" : "unknown",
                 shape->tls13_sigalgs, shape->tls13_other_ext);
    return shape;
}

const tlsi_cr_shape_t *tlsi_shape_of(const tlsi_vhost_init_t *vi)
{
    apr_hash_t *cache = NULL;
    tlsi_probe_cfg_t cfg;
    const tlsi_cr_shape_t *shape;
    const char *key;

    apr_pool_userdata_get((void **)&cache, SHAPE_CACHE_KEY, vi->pconf);
    if (cache == NULL) {
        cache = apr_hash_make(vi->pconf);
        apr_pool_userdata_set(cache, SHAPE_CACHE_KEY, apr_pool_cleanup_null,
                              vi->pconf);
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.security_level = SSL_CTX_get_security_level(vi->ctx);
    cfg.sigalgs = tlsi_sslconf_value(vi->ptemp, vi->s, "SignatureAlgorithms");
    cfg.client_sigalgs = tlsi_sslconf_value(vi->ptemp, vi->s,
                                            "ClientSignatureAlgorithms");
    key = apr_psprintf(vi->ptemp, "security level %d, SignatureAlgorithms %s, "
                       "ClientSignatureAlgorithms %s", cfg.security_level,
                       cfg.sigalgs ? cfg.sigalgs : "default",
                       cfg.client_sigalgs ? cfg.client_sigalgs : "default");
    shape = apr_hash_get(cache, key, APR_HASH_KEY_STRING);
    if (shape == NULL) {
        shape = learn_shape(vi, &cfg, key);
        apr_hash_set(cache, apr_pstrdup(vi->pconf, key), APR_HASH_KEY_STRING,
                     shape);
    }
    return shape;
}
