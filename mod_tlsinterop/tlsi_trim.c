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

#include "tlsi_calist.h"
#include "tlsi_cover.h"
#include "tlsi_learn.h"
#include "tlsi_names.h"
#include "tlsi_shape.h"
#include "tlsi_trim.h"

APLOG_USE_MODULE(tlsinterop);

/* Where OpenSSL takes the advertised names from: the client CA list, or
 * when that is empty, the CA list (SSLOpenSSLConfCmd RequestCAFile). */
typedef enum {
    SOURCE_CLIENT_CA_LIST,
    SOURCE_CA_LIST
} source_e;

/* One vhost's list, as trimming sees it. */
typedef struct {
    const tlsi_vhost_init_t *vi;
    source_e source;
    const STACK_OF(X509_NAME) *names;   /* the list mod_ssl left */
} fit_t;

/* Replace the advertised names; takes ownership of names.  This frees the
 * list mod_ssl left, and the names borrowed from it. */
static void advertise(fit_t *f, STACK_OF(X509_NAME) *names)
{
    if (f->source == SOURCE_CA_LIST) {
        SSL_CTX_set0_CA_list(f->vi->ctx, names);
        return;
    }
    SSL_CTX_set_client_CA_list(f->vi->ctx, names);
    /* OpenSSL falls back to the CA list when the client CA list is empty. */
    if (sk_X509_NAME_num(names) == 0) {
        SSL_CTX_set0_CA_list(f->vi->ctx, sk_X509_NAME_new_null());
    }
}

static void report_unmatched(fit_t *f, const apr_array_header_t *unmatched)
{
    int i;

    if (unmatched->nelts == 0) {
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, f->vi->s,
                 "%s: %d subject(s) in TLSInteropCAListPrefer '%s' are not in "
                 "the vhost's CA list and are ignored (trimming never adds a "
                 "name)", f->vi->vhost, unmatched->nelts,
                 f->vi->conf->ca_prefer_path);
    if (!APLOG_IS_LEVEL(f->vi->s, APLOG_INFO)) {
        return;
    }
    for (i = 0; i < unmatched->nelts; i++) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, f->vi->s,
                     "%s: preferred but not in the CA list: %s", f->vi->vhost,
                     tlsi_name_text(f->vi->ptemp,
                                    APR_ARRAY_IDX(unmatched, i, X509_NAME *)));
    }
}

static void report_dropped(fit_t *f, const tlsi_calist_t *order, int kept)
{
    int i;

    if (!APLOG_IS_LEVEL(f->vi->s, APLOG_INFO)) {
        return;
    }
    for (i = kept; i < order->count; i++) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, f->vi->s,
                     "%s: CA name not advertised: %s", f->vi->vhost,
                     tlsi_name_text(f->vi->ptemp, order->names[i]));
    }
}

/* The model's figure for each version, to check against a real client. */
static void log_model_sizes(const fit_t *f, const tlsi_calist_t *order,
                            const tlsi_cr_shape_t *shape, int kept)
{
    apr_size_t names_len = order->wire_sum[kept];

    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, f->vi->s,
                 "%s: CertificateRequest with %d CA names: TLS 1.2 %"
                 APR_SIZE_T_FMT " bytes, TLS 1.3 %" APR_SIZE_T_FMT " bytes",
                 f->vi->vhost, kept, tlsi_cr_size_tls12(shape, names_len),
                 tlsi_cr_size_tls13(shape, names_len));
}

static const char *limit_arg(const fit_t *f)
{
    return f->vi->conf->ca_limit_arg ? f->vi->conf->ca_limit_arg : "auto";
}

/* How many of the first kept names of perm are in picked (an array of
 * indices). */
static int kept_of(const apr_array_header_t *perm, int kept,
                   const apr_array_header_t *picked, int count)
{
    char *is_picked = apr_pcalloc(perm->pool, count + 1);
    int i, n = 0;

    for (i = 0; i < picked->nelts; i++) {
        is_picked[APR_ARRAY_IDX(picked, i, int)] = 1;
    }
    for (i = 0; i < kept; i++) {
        n += is_picked[APR_ARRAY_IDX(perm, i, int)];
    }
    return n;
}

/* Which trusted CAs the kept names still cover, for clients that pick a
 * certificate by the advertised names. */
static void report_coverage(fit_t *f, const tlsi_hierarchy_t *h,
                            const apr_array_header_t *perm, int kept)
{
    int count = tlsi_hierarchy_count(h), i;
    char *advertised = apr_pcalloc(f->vi->ptemp, count + 1);
    char *state = apr_palloc(f->vi->ptemp, count + 1);
    tlsi_coverage_t totals;

    for (i = 0; i < kept; i++) {
        advertised[APR_ARRAY_IDX(perm, i, int)] = 1;
    }
    tlsi_hierarchy_coverage(h, advertised, state, &totals);
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, f->vi->s,
                 "%s: coverage of the %d trusted CAs: %d by their own "
                 "name, %d only by an ancestor's (for clients that present "
                 "their chain), %d not at all", f->vi->vhost, count,
                 totals.own, totals.ancestor, totals.none);
    if (totals.none == 0) {
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, f->vi->s,
                 "%s: %d trusted CA(s) have no advertised name above them: "
                 "clients that choose a certificate by CA name (Go, .NET, "
                 "browsers) will not offer the certificates they issued. "
                 "The root CAs do not fit the budget together: list the "
                 "ones that must work in TLSInteropCAListPrefer, or serve "
                 "some CAs on another vhost (names not covered are logged "
                 "at info level)", f->vi->vhost, totals.none);
    if (!APLOG_IS_LEVEL(f->vi->s, APLOG_INFO)) {
        return;
    }
    for (i = 0; i < count; i++) {
        if (state[i] == TLSI_COVER_NONE) {
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, f->vi->s,
                         "%s: CA not covered: %s", f->vi->vhost,
                         tlsi_name_text(f->vi->ptemp,
                                        sk_X509_NAME_value(f->names, i)));
        }
    }
}

/* rank[i]: the place of the list's name i in the order perm. */
static const int *rank_of(apr_pool_t *p, const apr_array_header_t *perm)
{
    int *rank = apr_palloc(p, sizeof(*rank) * (perm->nelts + 1));
    int i;

    for (i = 0; i < perm->nelts; i++) {
        rank[APR_ARRAY_IDX(perm, i, int)] = i;
    }
    return rank;
}

static void trim_to_budget(fit_t *f, apr_size_t budget,
                           tlsi_trim_result_t *out)
{
    const tlsi_vhost_init_t *vi = f->vi;
    apr_array_header_t *unmatched = apr_array_make(vi->ptemp, 4,
                                                   sizeof(X509_NAME *));
    apr_array_header_t *preferred, *learned = NULL, *perm;
    const tlsi_cr_shape_t *shape = tlsi_shape_of(vi);
    const tlsi_namemap_t *map = tlsi_namemap_make(vi->ptemp, f->names);
    const tlsi_hierarchy_t *h;
    const tlsi_calist_t *order;
    tlsi_learned_t *state = NULL;
    STACK_OF(X509_NAME) *kept_names;
    const char *learn_file = NULL;
    apr_size_t before, after;
    int kept;

    preferred = tlsi_namemap_match(vi->ptemp, map, vi->conf->ca_prefer,
                                   unmatched);
    report_unmatched(f, unmatched);
    h = tlsi_hierarchy_from_store(vi->ptemp, f->names, map,
                                  tlsi_trust_store(vi->ctx));
    order = tlsi_calist_arrange(vi->ptemp, f->names, NULL);
    if (order == NULL) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, vi->s,
                     "%s: a CA name cannot be DER-encoded; CA list left "
                     "unchanged", vi->vhost);
        return;
    }
    before = tlsi_calist_cr_size(order, shape, order->count);
    if (before <= budget) {
        /* Learning is for lists that lose names: this one keeps all. */
        perm = tlsi_cover_order(vi->ptemp, h, f->names, preferred, NULL,
                                shape, budget);
        out->order = tlsi_calist_arrange(vi->pconf, f->names, perm);
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, vi->s,
                     "%s: %d CA names, CertificateRequest %" APR_SIZE_T_FMT
                     " bytes, within the %" APR_SIZE_T_FMT "-byte budget; "
                     "unchanged", vi->vhost, order->count, before, budget);
        log_model_sizes(f, order, shape, order->count);
        return;
    }

    state = tlsi_learn_load(vi, &learn_file);
    learned = tlsi_namemap_match(vi->ptemp, map,
                                 tlsi_learned_subjects(vi->ptemp, state),
                                 NULL);
    perm = tlsi_cover_order(vi->ptemp, h, f->names, preferred, learned, shape,
                            budget);
    order = tlsi_calist_arrange(vi->ptemp, f->names, perm);
    kept = tlsi_calist_fit(order, shape, budget);
    after = tlsi_calist_cr_size(order, shape, kept);
    kept_names = tlsi_calist_copy(order, kept);
    if (kept_names == NULL) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, vi->s,
                     "%s: out of memory trimming the CA list; left unchanged",
                     vi->vhost);
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, vi->s,
                 "%s: CA list trimmed from %d names (%" APR_SIZE_T_FMT
                 " bytes) to %d names (%" APR_SIZE_T_FMT " bytes%s%s) to fit "
                 "the %" APR_SIZE_T_FMT "-byte budget (TLSInteropCAListLimit "
                 "%s); dropped CAs still verify clients", vi->vhost,
                 order->count, before, kept, after,
                 vi->conf->ca_prefer == NULL ? "" : apr_psprintf(vi->ptemp,
                     ", %d of them preferred",
                     kept_of(perm, kept, preferred, order->count)),
                 learned->nelts == 0 ? "" : apr_psprintf(vi->ptemp,
                     ", %d of them learned",
                     kept_of(perm, kept, learned, order->count)),
                 budget, limit_arg(f));
    if (kept == 0) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, vi->s,
                     "%s: the %" APR_SIZE_T_FMT "-byte budget holds no CA "
                     "name (the first needs %" APR_SIZE_T_FMT " bytes); the "
                     "CertificateRequest advertises none", vi->vhost, budget,
                     tlsi_calist_cr_size(order, shape, 1));
    }
    log_model_sizes(f, order, shape, kept);
    report_coverage(f, h, perm, kept);
    report_dropped(f, order, kept);
    /* Before advertise(), which frees the names of f->names. */
    tlsi_learn_install(vi, f->names, rank_of(vi->pconf, perm), state,
                       learn_file);
    advertise(f, kept_names);
    out->trimmed = 1;
    out->order = tlsi_calist_arrange(vi->pconf, kept_names, NULL);
}

static void advertise_none(fit_t *f, tlsi_trim_result_t *out)
{
    const tlsi_calist_t *order = tlsi_calist_order(f->vi->ptemp, f->names, NULL,
                                                   NULL);
    const tlsi_cr_shape_t *shape = tlsi_shape_of(f->vi);

    if (order == NULL) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, f->vi->s,
                     "%s: a CA name cannot be DER-encoded; CA list left "
                     "unchanged", f->vi->vhost);
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, f->vi->s,
                 "%s: CA list emptied from %d names (%" APR_SIZE_T_FMT
                 " bytes) to 0 names (%" APR_SIZE_T_FMT " bytes) "
                 "(TLSInteropCAListLimit none); clients are still verified",
                 f->vi->vhost, order->count,
                 tlsi_calist_cr_size(order, shape, order->count),
                 tlsi_calist_cr_size(order, shape, 0));
    log_model_sizes(f, order, shape, 0);
    report_dropped(f, order, 0);
    f->source = SOURCE_CLIENT_CA_LIST;
    advertise(f, sk_X509_NAME_new_null());
    out->trimmed = 1;
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
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, f->vi->s,
                     "%s: the advertised CA names take %" APR_SIZE_T_FMT
                     " bytes, more than the %d a CertificateRequest can "
                     "carry: OpenSSL will abort every handshake that requests "
                     "a client certificate (TLSInteropCAListLimit off)",
                     f->vi->vhost, names_len, TLSI_MAX_NAMES_LEN);
    }
}

const STACK_OF(X509_NAME) *tlsi_advertised_names(SSL_CTX *ctx)
{
    const STACK_OF(X509_NAME) *client_list = SSL_CTX_get_client_CA_list(ctx);

    if (SSL_CTX_get_options(ctx) & SSL_OP_DISABLE_TLSEXT_CA_NAMES) {
        return NULL;
    }
    if (client_list != NULL && sk_X509_NAME_num(client_list) > 0) {
        return client_list;
    }
    return SSL_CTX_get0_CA_list(ctx);
}

X509_STORE *tlsi_trust_store(SSL_CTX *ctx)
{
    X509_STORE *store = NULL;

    SSL_CTX_get0_verify_cert_store(ctx, &store);
    return store != NULL ? store : SSL_CTX_get_cert_store(ctx);
}

void tlsi_trim_ca_list(const tlsi_vhost_init_t *vi, tlsi_trim_result_t *out)
{
    const STACK_OF(X509_NAME) *client_list =
        SSL_CTX_get_client_CA_list(vi->ctx);
    apr_size_t budget;
    apr_time_t started = apr_time_now();
    int count;
    fit_t f;

    memset(out, 0, sizeof(*out));
    memset(&f, 0, sizeof(f));
    f.vi = vi;
    f.names = tlsi_advertised_names(vi->ctx);
    if (f.names == NULL || sk_X509_NAME_num(f.names) == 0) {
        return;
    }
    f.source = f.names == client_list ? SOURCE_CLIENT_CA_LIST : SOURCE_CA_LIST;
    count = sk_X509_NAME_num(f.names);   /* f.names dies when replaced */
    switch (tlsi_ca_limit(vi->conf, &budget)) {
    case TLSI_CALIMIT_OFF:
        check_names_limit(&f);
        break;
    case TLSI_CALIMIT_NONE:
        advertise_none(&f, out);
        break;
    default:
        trim_to_budget(&f, budget, out);
        break;
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, vi->s,
                 "%s: CA list of %d names handled in %" APR_TIME_T_FMT " us",
                 vi->vhost, count, apr_time_now() - started);
}
