/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_core.h"

#include <apr_hash.h>
#include <apr_strings.h>

#include "tlsi_calist.h"
#include "tlsi_config.h"
#include "tlsi_log.h"
#include "tlsi_names.h"
#include "tlsi_probe.h"
#include "tlsi_ssl_hooks.h"
#include "tlsi_sslconf.h"
#include "tlsi_trim.h"

APLOG_USE_MODULE(tlsinterop);

/* Per-generation cache of learned shapes, kept as pconf user data. */
#define SHAPE_CACHE_KEY "tlsinterop-cr-shapes"

/* Budget with these if no probe handshake works: no real configuration
 * sends more certificate types or signature algorithms. */
static const tlsi_cr_shape_t conservative_shape = { 1, 8, 128, 1, 128, 0 };

/* Where OpenSSL takes the advertised names from: the client CA list, or
 * when that is empty, the CA list (SSLOpenSSLConfCmd RequestCAFile). */
typedef enum {
    SOURCE_CLIENT_CA_LIST,
    SOURCE_CA_LIST
} source_e;

/* What one init_server call works on. */
typedef struct {
    server_rec *s;
    apr_pool_t *pconf;
    apr_pool_t *ptemp;
    SSL_CTX *ctx;
    const tlsi_srv_conf_t *conf;
    const char *vhost;
    source_e source;
    const STACK_OF(X509_NAME) *names;   /* the list mod_ssl left */
} fit_t;

static const tlsi_cr_shape_t *learn_shape(fit_t *f, tlsi_probe_cfg_t *cfg,
                                          const char *key)
{
    tlsi_cr_shape_t *shape = apr_pcalloc(f->pconf, sizeof(*shape));
    const char *err;

    cfg->cert = SSL_CTX_get0_certificate(f->ctx);
    cfg->key = SSL_CTX_get0_privatekey(f->ctx);
    if (!tlsi_probe_shape(cfg, f->ptemp, shape, &err)) {
        cfg->cert = NULL;
        cfg->key = NULL;
        if (!tlsi_probe_shape(cfg, f->ptemp, shape, &err)) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, f->s,
                         "%s: cannot learn the CertificateRequest layout (%s); "
                         "budgeting with a conservative estimate",
                         f->vhost, err);
            *shape = conservative_shape;
        }
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, f->s,
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

/*
 * The shape of this context's CertificateRequest.  It depends only on the
 * security level and the signature algorithm settings, so vhosts that share
 * them share one probe.
 */
static const tlsi_cr_shape_t *shape_of(fit_t *f)
{
    apr_hash_t *cache = NULL;
    tlsi_probe_cfg_t cfg;
    const tlsi_cr_shape_t *shape;
    const char *key;

    apr_pool_userdata_get((void **)&cache, SHAPE_CACHE_KEY, f->pconf);
    if (cache == NULL) {
        cache = apr_hash_make(f->pconf);
        apr_pool_userdata_set(cache, SHAPE_CACHE_KEY, apr_pool_cleanup_null,
                              f->pconf);
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.security_level = SSL_CTX_get_security_level(f->ctx);
    cfg.sigalgs = tlsi_sslconf_value(f->ptemp, f->s, "SignatureAlgorithms");
    cfg.client_sigalgs = tlsi_sslconf_value(f->ptemp, f->s,
                                            "ClientSignatureAlgorithms");
    key = apr_psprintf(f->ptemp, "security level %d, SignatureAlgorithms %s, "
                       "ClientSignatureAlgorithms %s", cfg.security_level,
                       cfg.sigalgs ? cfg.sigalgs : "default",
                       cfg.client_sigalgs ? cfg.client_sigalgs : "default");
    shape = apr_hash_get(cache, key, APR_HASH_KEY_STRING);
    if (shape == NULL) {
        shape = learn_shape(f, &cfg, key);
        apr_hash_set(cache, apr_pstrdup(f->pconf, key), APR_HASH_KEY_STRING,
                     shape);
    }
    return shape;
}

/* Replace the advertised names; takes ownership of names.  This frees the
 * list mod_ssl left, and the names borrowed from it. */
static void advertise(fit_t *f, STACK_OF(X509_NAME) *names)
{
    if (f->source == SOURCE_CA_LIST) {
        SSL_CTX_set0_CA_list(f->ctx, names);
        return;
    }
    SSL_CTX_set_client_CA_list(f->ctx, names);
    /* OpenSSL falls back to the CA list when the client CA list is empty. */
    if (sk_X509_NAME_num(names) == 0) {
        SSL_CTX_set0_CA_list(f->ctx, sk_X509_NAME_new_null());
    }
}

static void report_unmatched(fit_t *f, const apr_array_header_t *unmatched)
{
    int i;

    if (unmatched->nelts == 0) {
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, f->s,
                 "%s: %d subject(s) in TLSInteropCAListPrefer '%s' are not in "
                 "the vhost's CA list and are ignored (trimming never adds a "
                 "name)", f->vhost, unmatched->nelts, f->conf->ca_prefer_path);
    if (!APLOG_IS_LEVEL(f->s, APLOG_INFO)) {
        return;
    }
    for (i = 0; i < unmatched->nelts; i++) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, f->s,
                     "%s: preferred but not in the CA list: %s", f->vhost,
                     tlsi_name_text(f->ptemp,
                                    APR_ARRAY_IDX(unmatched, i, X509_NAME *)));
    }
}

static void report_dropped(fit_t *f, const tlsi_calist_t *order, int kept)
{
    int i;

    if (!APLOG_IS_LEVEL(f->s, APLOG_INFO)) {
        return;
    }
    for (i = kept; i < order->count; i++) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, f->s,
                     "%s: CA name not advertised: %s", f->vhost,
                     tlsi_name_text(f->ptemp, order->names[i]));
    }
}

/* The model's figure for each version, to check against a real client. */
static void log_model_sizes(const fit_t *f, const tlsi_calist_t *order,
                            const tlsi_cr_shape_t *shape, int kept)
{
    apr_size_t names_len = order->wire_sum[kept];

    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, f->s,
                 "%s: CertificateRequest with %d CA names: TLS 1.2 %"
                 APR_SIZE_T_FMT " bytes, TLS 1.3 %" APR_SIZE_T_FMT " bytes",
                 f->vhost, kept, tlsi_cr_size_tls12(shape, names_len),
                 tlsi_cr_size_tls13(shape, names_len));
}

static const char *limit_arg(const fit_t *f)
{
    return f->conf->ca_limit_arg ? f->conf->ca_limit_arg : "auto";
}

static const char *preferred_clause(const fit_t *f, const tlsi_calist_t *order,
                                    int kept)
{
    if (f->conf->ca_prefer == NULL) {
        return "";
    }
    return apr_psprintf(f->ptemp, ", %d of them preferred",
                        kept < order->preferred ? kept : order->preferred);
}

static void trim_to_budget(fit_t *f, apr_size_t budget)
{
    apr_array_header_t *unmatched = apr_array_make(f->ptemp, 4,
                                                   sizeof(X509_NAME *));
    const tlsi_calist_t *order;
    const tlsi_cr_shape_t *shape;
    STACK_OF(X509_NAME) *kept_names;
    apr_size_t before, after;
    int kept;

    order = tlsi_calist_order(f->ptemp, f->names, f->conf->ca_prefer, unmatched);
    if (order == NULL) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, f->s,
                     "%s: a CA name cannot be DER-encoded; CA list left "
                     "unchanged", f->vhost);
        return;
    }
    report_unmatched(f, unmatched);
    shape = shape_of(f);
    before = tlsi_calist_cr_size(order, shape, order->count);
    if (before <= budget) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, f->s,
                     "%s: %d CA names, CertificateRequest %" APR_SIZE_T_FMT
                     " bytes, within the %" APR_SIZE_T_FMT "-byte budget; "
                     "unchanged", f->vhost, order->count, before, budget);
        log_model_sizes(f, order, shape, order->count);
        return;
    }

    kept = tlsi_calist_fit(order, shape, budget);
    after = tlsi_calist_cr_size(order, shape, kept);
    kept_names = tlsi_calist_copy(order, kept);
    if (kept_names == NULL) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, f->s,
                     "%s: out of memory trimming the CA list; left unchanged",
                     f->vhost);
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, f->s,
                 "%s: CA list trimmed from %d names (%" APR_SIZE_T_FMT
                 " bytes) to %d names (%" APR_SIZE_T_FMT " bytes%s) to fit "
                 "the %" APR_SIZE_T_FMT "-byte budget (TLSInteropCAListLimit "
                 "%s); dropped CAs still verify clients", f->vhost,
                 order->count, before, kept, after,
                 preferred_clause(f, order, kept), budget, limit_arg(f));
    if (kept == 0) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, f->s,
                     "%s: the %" APR_SIZE_T_FMT "-byte budget holds no CA "
                     "name (the first needs %" APR_SIZE_T_FMT " bytes); the "
                     "CertificateRequest advertises none", f->vhost, budget,
                     tlsi_calist_cr_size(order, shape, 1));
    }
    log_model_sizes(f, order, shape, kept);
    report_dropped(f, order, kept);
    advertise(f, kept_names);
}

static void advertise_none(fit_t *f)
{
    const tlsi_calist_t *order = tlsi_calist_order(f->ptemp, f->names, NULL,
                                                   NULL);
    const tlsi_cr_shape_t *shape = shape_of(f);

    if (order == NULL) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, f->s,
                     "%s: a CA name cannot be DER-encoded; CA list left "
                     "unchanged", f->vhost);
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, f->s,
                 "%s: CA list emptied from %d names (%" APR_SIZE_T_FMT
                 " bytes) to 0 names (%" APR_SIZE_T_FMT " bytes) "
                 "(TLSInteropCAListLimit none); clients are still verified",
                 f->vhost, order->count,
                 tlsi_calist_cr_size(order, shape, order->count),
                 tlsi_calist_cr_size(order, shape, 0));
    log_model_sizes(f, order, shape, 0);
    report_dropped(f, order, 0);
    f->source = SOURCE_CLIENT_CA_LIST;
    advertise(f, sk_X509_NAME_new_null());
}

/* With TLSInteropCAListLimit off, still say so when OpenSSL cannot send
 * the list at all. */
static void check_names_limit(fit_t *f)
{
    apr_size_t names_len = 0;
    int i;

    for (i = 0; i < sk_X509_NAME_num(f->names); i++) {
        names_len += tlsi_name_wire_len(sk_X509_NAME_value(f->names, i));
    }
    if (names_len > TLSI_MAX_NAMES_LEN) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, f->s,
                     "%s: the advertised CA names take %" APR_SIZE_T_FMT
                     " bytes, more than the %d a CertificateRequest can "
                     "carry: OpenSSL will abort every handshake that requests "
                     "a client certificate (TLSInteropCAListLimit off)",
                     f->vhost, names_len, TLSI_MAX_NAMES_LEN);
    }
}

static int init_server(server_rec *s, apr_pool_t *p, int is_proxy,
                       SSL_CTX *ctx)
{
    const STACK_OF(X509_NAME) *client_list;
    apr_size_t budget;
    tlsi_calimit_mode_e mode;
    apr_time_t started;
    int count;
    fit_t f;

    /* Proxy contexts are clients, and may be shared between sections. */
    if (is_proxy) {
        return OK;
    }
    /* The pre-flight pass's contexts are thrown away. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    if (SSL_CTX_get_options(ctx) & SSL_OP_DISABLE_TLSEXT_CA_NAMES) {
        return OK;
    }

    memset(&f, 0, sizeof(f));
    f.s = s;
    f.pconf = p;
    f.ctx = ctx;
    f.conf = tlsi_srv_conf(s);
    if (!tlsi_enabled(f.conf)) {
        return OK;
    }
    client_list = SSL_CTX_get_client_CA_list(ctx);
    if (client_list != NULL && sk_X509_NAME_num(client_list) > 0) {
        f.source = SOURCE_CLIENT_CA_LIST;
        f.names = client_list;
    }
    else {
        f.source = SOURCE_CA_LIST;
        f.names = SSL_CTX_get0_CA_list(ctx);
    }
    if (f.names == NULL || sk_X509_NAME_num(f.names) == 0) {
        return OK;
    }

    started = apr_time_now();
    count = sk_X509_NAME_num(f.names);   /* f.names dies when replaced */
    apr_pool_create(&f.ptemp, p);
    f.vhost = tlsi_vhost_id(f.ptemp, s);
    mode = tlsi_ca_limit(f.conf, &budget);
    switch (mode) {
    case TLSI_CALIMIT_OFF:
        check_names_limit(&f);
        break;
    case TLSI_CALIMIT_NONE:
        advertise_none(&f);
        break;
    default:
        trim_to_budget(&f, budget);
        break;
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                 "%s: CA list of %d names handled in %" APR_TIME_T_FMT " us",
                 f.vhost, count, apr_time_now() - started);
    apr_pool_destroy(f.ptemp);
    return OK;
}

void tlsi_trim_register_hooks(apr_pool_t *p)
{
    (void)p;
    APR_OPTIONAL_HOOK(ssl, init_server, init_server, NULL, NULL,
                      APR_HOOK_MIDDLE);
}
