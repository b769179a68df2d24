/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * The start-up path, in the order it runs for each SSL vhost context:
 * audit, order, trim, fragment lists, callbacks.  The logic lives in the
 * core (core/tlsi_*.c); this file applies it to the context and says what
 * it did in the error log.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"

#include <apr_hash.h>
#include <apr_strings.h>

#include "mod_tlsinterop_handshake.h"
#include "mod_tlsinterop_learn.h"
#include "mod_tlsinterop_log.h"
#include "mod_tlsinterop_sslconf.h"
#include "mod_tlsinterop_startup.h"
#include "tlsi_calist.h"
#include "tlsi_certmsg.h"
#include "tlsi_cover.h"
#include "tlsi_fragment.h"
#include "tlsi_class.h"
#include "mod_tlsinterop_hello.h"
#include "tlsi_ossl.h"
#include "tlsi_names.h"
#include "tlsi_loopback.h"

APLOG_USE_MODULE(tlsinterop);

/* Per-generation cache of learned shapes, kept as pconf user data. */
#define SHAPE_CACHE_KEY "tlsinterop-cr-shapes"

/* Budget with these if no loopback handshake works: no real configuration
 * sends more certificate types or signature algorithms. */
static const tlsi_cr_shape_t conservative_shape = { 1, 8, 128, 1, 128, 0 };

/* Where OpenSSL takes the advertised names from: the client CA list, or
 * when that is empty, the CA list (SSLOpenSSLConfCmd RequestCAFile). */
typedef enum {
    SOURCE_CLIENT_CA_LIST,
    SOURCE_CA_LIST
} source_e;

/* One vhost's list, as the steps see it. */
typedef struct {
    const tlsi_vhost_init_t *vi;
    source_e source;
    const STACK_OF(X509_NAME) *names;   /* the list mod_ssl left */
    tlsi_calimit_mode_e mode;           /* TLSInteropCAListLimit */
    apr_size_t budget;
    const tlsi_cr_shape_t *shape;
    /* Step 2, order: */
    const tlsi_namemap_t *map;
    const tlsi_hierarchy_t *hierarchy;
    apr_array_header_t *preferred;      /* indices of the Prefer subjects */
    apr_array_header_t *learned;        /* of the learned names, best first */
    tlsi_learner_t *learner;            /* the vhost's learning, or NULL */
    apr_array_header_t *perm;           /* every index, in priority order */
    const tlsi_calist_t *order;         /* the names in that order, pconf */
    apr_size_t before;                  /* CertificateRequest, all names */
    /* Step 3, trim: */
    int trimmed;                        /* the list was cut or emptied */
    /* The advertised names in priority order, from pconf, for the lists
     * of step 4; NULL where the limit does not apply. */
    const tlsi_calist_t *advertised;
    /* For recognised client stacks (step 5): the longest prefix any of
     * them takes, in the context's CA list; NULL for none. */
    const tlsi_calist_t *large;
} vhost_list_t;

/* -- 1. audit: the Certificate message of each server certificate -------- */

static void audit_current(const tlsi_vhost_init_t *vi, X509 *leaf)
{
    STACK_OF(X509) *certs = tlsi_certmsg_sent_chain(vi->ctx, leaf);
    const char *kind = tlsi_certmsg_key_kind(leaf), *too_small = NULL;
    apr_size_t tls12, tls13, size;
    unsigned int code;
    int n;

    if (certs == NULL) {
        return;
    }
    n = sk_X509_num(certs);
    tls12 = tlsi_certmsg_size_tls12(certs);
    tls13 = tlsi_certmsg_size_tls13(certs);
    size = tls12 > tls13 ? tls12 : tls13;
    sk_X509_pop_free(certs, X509_free);

    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, vi->s, TLSILOGNO(0017)
                 "%s: %s certificate with %d certificate(s) sent: Certificate "
                 "message TLS 1.2 %" APR_SIZE_T_FMT " bytes, TLS 1.3 %"
                 APR_SIZE_T_FMT " bytes", vi->vhost, kind, n, tls12, tls13);
    if (size > TLSI_MAX_RECORD_PLAINTEXT) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, vi->s, TLSILOGNO(0018)
                     "%s: the %s certificate and its chain (%d certificates) "
                     "make a %" APR_SIZE_T_FMT "-byte Certificate message, "
                     "more than one %d-byte TLS record: clients that cannot "
                     "reassemble a split handshake message will fail. A "
                     "shorter chain (no root, no cross-signed certificates) or "
                     "an ECDSA certificate helps", vi->vhost, kind, n, size,
                     TLSI_MAX_RECORD_PLAINTEXT);
    }
    for (code = 1; code <= TLSI_FRAGMENT_CODES; code++) {
        if (size > TLSI_FRAGMENT_BYTES(code)) {
            too_small = apr_psprintf(vi->ptemp, "%s%s%u",
                                     too_small ? too_small : "",
                                     too_small ? ", " : "",
                                     TLSI_FRAGMENT_BYTES(code));
        }
    }
    if (too_small != NULL) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, vi->s, TLSILOGNO(0019)
                     "%s: the %s certificate's %" APR_SIZE_T_FMT "-byte "
                     "Certificate message does not fit a max_fragment_length "
                     "of %s bytes: clients that negotiate such a length and "
                     "cannot reassemble a split message will fail. A shorter "
                     "chain or an ECDSA certificate helps", vi->vhost, kind,
                     size, too_small);
    }
}

static void audit_certificates(const tlsi_vhost_init_t *vi)
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

/* -- 2. order: the vhost's CA names, in priority order -------------------- */

/* The CertificateRequest's fixed part depends only on the security level
 * and the signature algorithm settings: vhosts that share them share one
 * loopback handshake per generation. */
static const tlsi_cr_shape_t *learn_shape(const tlsi_vhost_init_t *vi,
                                          tlsi_loopback_cfg_t *cfg,
                                          const char *key)
{
    tlsi_cr_shape_t *shape = apr_pcalloc(vi->pconf, sizeof(*shape));
    const char *err;

    cfg->cert = SSL_CTX_get0_certificate(vi->ctx);
    cfg->key = SSL_CTX_get0_privatekey(vi->ctx);
    if (!tlsi_loopback_shape(cfg, vi->ptemp, shape, &err)) {
        cfg->cert = NULL;
        cfg->key = NULL;
        if (!tlsi_loopback_shape(cfg, vi->ptemp, shape, &err)) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, vi->s, TLSILOGNO(0020)
                         "%s: cannot learn the CertificateRequest layout (%s); "
                         "budgeting with a conservative estimate",
                         vi->vhost, err);
            *shape = conservative_shape;
        }
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, vi->s, TLSILOGNO(0021)
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

static const tlsi_cr_shape_t *shape_of(const tlsi_vhost_init_t *vi)
{
    apr_hash_t *cache = NULL;
    tlsi_loopback_cfg_t cfg;
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

/* The vhost's list and budget; 0 if it advertises no name. */
static int find_list(const tlsi_vhost_init_t *vi, vhost_list_t *l)
{
    const STACK_OF(X509_NAME) *client_list =
        SSL_CTX_get_client_CA_list(vi->ctx);

    memset(l, 0, sizeof(*l));
    l->vi = vi;
    l->names = tlsi_calist_sent_by_ctx(vi->ctx);
    if (l->names == NULL || sk_X509_NAME_num(l->names) == 0) {
        return 0;
    }
    l->source = l->names == client_list ? SOURCE_CLIENT_CA_LIST
                                        : SOURCE_CA_LIST;
    l->mode = tlsi_ca_limit(vi->conf, &l->budget);
    return 1;
}

static void report_unmatched(vhost_list_t *l,
                             const apr_array_header_t *unmatched)
{
    int i;

    if (unmatched->nelts == 0) {
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, l->vi->s, TLSILOGNO(0022)
                 "%s: %d subject(s) in TLSInteropCAListPrefer '%s' are not in "
                 "the vhost's CA list and are ignored (trimming never adds a "
                 "name)", l->vi->vhost, unmatched->nelts,
                 l->vi->conf->ca_prefer_path);
    if (!APLOG_IS_LEVEL(l->vi->s, APLOG_INFO)) {
        return;
    }
    for (i = 0; i < unmatched->nelts; i++) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, l->vi->s, TLSILOGNO(0023)
                     "%s: preferred but not in the CA list: %s", l->vi->vhost,
                     tlsi_name_text(l->vi->ptemp,
                                    APR_ARRAY_IDX(unmatched, i, X509_NAME *)));
    }
}

/*
 * Prefer subjects, then learned names (only where the list will lose
 * some), the anchors, the rest: see tlsi_cover_order().  Returns 0 if a
 * name cannot be DER-encoded.
 */
static int order_names(vhost_list_t *l)
{
    const tlsi_vhost_init_t *vi = l->vi;
    apr_array_header_t *unmatched = apr_array_make(vi->ptemp, 4,
                                                   sizeof(X509_NAME *));
    const tlsi_calist_t *as_is = tlsi_calist_arrange(vi->ptemp, l->names,
                                                     NULL);

    if (as_is == NULL) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, vi->s, TLSILOGNO(0024)
                     "%s: a CA name cannot be DER-encoded; CA list left "
                     "unchanged", vi->vhost);
        return 0;
    }
    l->shape = shape_of(vi);
    l->before = tlsi_calist_cr_size(as_is, l->shape, as_is->count);
    l->map = tlsi_namemap_make(vi->ptemp, l->names);
    l->preferred = tlsi_namemap_match(vi->ptemp, l->map, vi->conf->ca_prefer,
                                      unmatched);
    report_unmatched(l, unmatched);
    l->hierarchy = tlsi_hierarchy_from_store(vi->ptemp, l->names, l->map,
                                             tlsi_client_trust_store(vi->ctx));
    /* Learning is for lists that lose names. */
    if (l->before > l->budget) {
        apr_array_header_t *kept;

        l->learner = tlsi_learn_open(vi);
        kept = tlsi_learned_subjects(vi->ptemp, tlsi_learn_kept(l->learner));
        l->learned = tlsi_namemap_match(vi->ptemp, l->map, kept, NULL);
    }
    l->perm = tlsi_cover_order(vi->ptemp, l->hierarchy, l->names,
                               l->preferred, l->learned, l->shape, l->budget);
    /* From pconf: a list that keeps all its names advertises this one. */
    l->order = tlsi_calist_arrange(vi->pconf, l->names, l->perm);
    return l->order != NULL;
}

/* -- 3. trim: the longest prefix of that order that fits the budget ------- */

/* Replace the advertised names; takes ownership of names.  This frees the
 * list mod_ssl left, and the names borrowed from it. */
static void advertise(vhost_list_t *l, STACK_OF(X509_NAME) *names)
{
    if (l->source == SOURCE_CA_LIST) {
        SSL_CTX_set0_CA_list(l->vi->ctx, names);
        return;
    }
    SSL_CTX_set_client_CA_list(l->vi->ctx, names);
    /* OpenSSL falls back to the CA list when the client CA list is empty. */
    if (sk_X509_NAME_num(names) == 0) {
        SSL_CTX_set0_CA_list(l->vi->ctx, sk_X509_NAME_new_null());
    }
}

static void report_dropped(vhost_list_t *l, const tlsi_calist_t *order,
                           int kept)
{
    int i;

    if (!APLOG_IS_LEVEL(l->vi->s, APLOG_INFO)) {
        return;
    }
    for (i = kept; i < order->count; i++) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, l->vi->s, TLSILOGNO(0025)
                     "%s: CA name not advertised: %s", l->vi->vhost,
                     tlsi_name_text(l->vi->ptemp, order->names[i]));
    }
}

/* The model's figure for each version, to check against a real client. */
static void log_model_sizes(const vhost_list_t *l, const tlsi_calist_t *order,
                            const tlsi_cr_shape_t *shape, int kept)
{
    apr_size_t names_len = order->wire_sum[kept];

    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, l->vi->s, TLSILOGNO(0026)
                 "%s: CertificateRequest with %d CA names: TLS 1.2 %"
                 APR_SIZE_T_FMT " bytes, TLS 1.3 %" APR_SIZE_T_FMT " bytes",
                 l->vi->vhost, kept, tlsi_cr_size_tls12(shape, names_len),
                 tlsi_cr_size_tls13(shape, names_len));
}

static const char *limit_arg(const vhost_list_t *l)
{
    return l->vi->conf->ca_limit_arg ? l->vi->conf->ca_limit_arg : "auto";
}

/* Which trusted CAs the first kept names of the priority order cover;
 * state[i] says how CA i is (TLSI_COVER_*). */
static char *coverage_of(const vhost_list_t *l, int kept,
                         tlsi_coverage_t *totals)
{
    int count = tlsi_hierarchy_count(l->hierarchy), i;
    char *advertised = apr_pcalloc(l->vi->ptemp, count + 1);
    char *state = apr_palloc(l->vi->ptemp, count + 1);

    for (i = 0; i < kept; i++) {
        advertised[APR_ARRAY_IDX(l->perm, i, int)] = 1;
    }
    tlsi_hierarchy_coverage(l->hierarchy, advertised, state, totals);
    return state;
}

/* Which trusted CAs the kept names still cover, for clients that pick a
 * certificate by the advertised names. */
static void report_coverage(vhost_list_t *l, int kept)
{
    int count = tlsi_hierarchy_count(l->hierarchy), i;
    tlsi_coverage_t totals;
    char *state = coverage_of(l, kept, &totals);

    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, l->vi->s, TLSILOGNO(0027)
                 "%s: coverage of the %d trusted CAs: %d by their own "
                 "name, %d only by an ancestor's (for clients that present "
                 "their chain), %d not at all", l->vi->vhost, count,
                 totals.own, totals.ancestor, totals.none);
    if (totals.none == 0) {
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, l->vi->s, TLSILOGNO(0028)
                 "%s: %d trusted CA(s) have no advertised name above them: "
                 "clients that choose a certificate by CA name (Go, .NET, "
                 "browsers) will not offer the certificates they issued. "
                 "The root CAs do not all fit the budget (after any "
                 "TLSInteropCAListPrefer names): list the ones that must "
                 "work in TLSInteropCAListPrefer, or serve some CAs on "
                 "another vhost (names not covered are logged at info "
                 "level)", l->vi->vhost, totals.none);
    if (!APLOG_IS_LEVEL(l->vi->s, APLOG_INFO)) {
        return;
    }
    for (i = 0; i < count; i++) {
        if (state[i] == TLSI_COVER_NONE) {
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, l->vi->s, TLSILOGNO(0029)
                         "%s: CA not covered: %s", l->vi->vhost,
                         tlsi_name_text(l->vi->ptemp,
                                        sk_X509_NAME_value(l->names, i)));
        }
    }
}

static int give_empty_client_list(SSL *ssl, void *arg)
{
    (void)arg;
    SSL_set_client_CA_list(ssl, sk_X509_NAME_new_null());
    return 1;
}

/*
 * Does an empty client CA list on a connection let the context's CA list
 * through?  OpenSSL does so (ssl/statem get_ca_names()) but does not
 * document it, so an in-memory handshake checks it once per process, in
 * both versions; where it does not hold, recognised clients get copies.
 */
static int empty_list_reaches_ca_list(apr_pool_t *p)
{
    static int known = -1;
    STACK_OF(X509_NAME) *one = sk_X509_NAME_new_null();
    STACK_OF(X509_NAME) *two = sk_X509_NAME_new_null();
    tlsi_loopback_cfg_t cfg = { 0 };
    int v;

    if (known >= 0) {
        return known;
    }
    known = 0;
    for (v = 0; v < 2 && one != NULL && two != NULL; v++) {
        X509_NAME *name = X509_NAME_new();

        if (name == NULL
            || !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                           (const unsigned char *)(v ? "b"
                                                                     : "a"),
                                           -1, -1, 0)
            || !sk_X509_NAME_push(two, name)) {
            X509_NAME_free(name);
            goto done;
        }
    }
    if (one == NULL || two == NULL
        || !sk_X509_NAME_push(one, X509_NAME_dup(sk_X509_NAME_value(two, 0)))) {
        goto done;
    }
    cfg.security_level = 1;
    cfg.ca_list = two;
    cfg.cert_cb = give_empty_client_list;
    known = 1;
    for (v = 0; v < 2; v++) {
        int version = v ? TLS1_3_VERSION : TLS1_2_VERSION;
        unsigned char *msg;
        apr_size_t len;
        tlsi_cr_info_t info;
        const char *err;

        if (!tlsi_loopback_certreq(&cfg, version, one, p, &msg, &len, &err)
            || !tlsi_cr_parse(msg, len, version == TLS1_3_VERSION, &info)
            || info.ca_names != 2) {
            known = 0;
        }
    }
done:
    sk_X509_NAME_pop_free(one, X509_NAME_free);
    sk_X509_NAME_pop_free(two, X509_NAME_free);
    return known;
}

/* Whether the vhost explores client stacks refused after its fitted
 * list: only where a client without a certificate is refused anyway
 * (SSLVerifyClient require, for the whole vhost). */
static int explores_stacks(const tlsi_vhost_init_t *vi)
{
    int mode = SSL_CTX_get_verify_mode(vi->ctx);

    return tlsi_client_learn(vi->conf) && (mode & SSL_VERIFY_PEER)
           && (mode & SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
}

/* Step 5's list for a vhost that asks for client certificates: copies of
 * the longest prefix of order that a recognised or explored stack takes,
 * or NULL where none takes more than the kept names. */
static STACK_OF(X509_NAME) *large_list(vhost_list_t *l,
                                       const tlsi_calist_t *order, int kept)
{
    const tlsi_vhost_init_t *vi = l->vi;
    apr_size_t most = tlsi_classes_max(tlsi_classes(vi->conf));
    int reachable;

    if (explores_stacks(vi)) {
        most = TLSI_CLASS_MAX_BYTES;
    }

    /* An empty fitted list would itself let the CA list through.  A vhost
     * that does not ask for certificates itself may ask per directory
     * (renegotiation, post-handshake authentication). */
    if (kept == 0 || most <= l->budget) {
        return NULL;
    }
    reachable = tlsi_calist_fit_sendable(order, l->shape, most);
    if (reachable <= kept) {
        return NULL;
    }
    return tlsi_calist_copy(order, reachable);
}

static void trim_to_budget(vhost_list_t *l)
{
    const tlsi_vhost_init_t *vi = l->vi;
    const tlsi_calist_t *order = l->order;
    STACK_OF(X509_NAME) *kept_names, *whole = NULL, *large;
    apr_size_t after;
    int kept;

    if (l->before <= l->budget) {
        l->advertised = order;
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, vi->s, TLSILOGNO(0030)
                     "%s: %d CA names, CertificateRequest %" APR_SIZE_T_FMT
                     " bytes, within the %" APR_SIZE_T_FMT "-byte budget; "
                     "unchanged", vi->vhost, order->count, l->before,
                     l->budget);
        log_model_sizes(l, order, l->shape, order->count);
        return;
    }
    kept = tlsi_calist_fit(order, l->shape, l->budget);
    after = tlsi_calist_cr_size(order, l->shape, kept);
    kept_names = tlsi_calist_copy(order, kept);
    /* Learning watches the whole list, which advertise() frees. */
    whole = sk_X509_NAME_deep_copy(l->names, tlsi_ossl_name_dup,
                                   X509_NAME_free);
    if (kept_names == NULL || whole == NULL) {
        sk_X509_NAME_pop_free(kept_names, X509_NAME_free);
        sk_X509_NAME_pop_free(whole, X509_NAME_free);
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, vi->s, TLSILOGNO(0031)
                     "%s: out of memory trimming the CA list; left unchanged",
                     vi->vhost);
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, vi->s, TLSILOGNO(0032)
                 "%s: CA list trimmed from %d names (%" APR_SIZE_T_FMT
                 " bytes) to %d names (%" APR_SIZE_T_FMT " bytes%s%s) to fit "
                 "the %" APR_SIZE_T_FMT "-byte budget (TLSInteropCAListLimit "
                 "%s); dropped CAs still verify clients", vi->vhost,
                 order->count, l->before, kept, after,
                 vi->conf->ca_prefer == NULL ? "" : apr_psprintf(vi->ptemp,
                     ", %d of them preferred",
                     tlsi_cover_kept_of(vi->ptemp, l->perm, kept,
                                        l->preferred, order->count)),
                 l->learned->nelts == 0 ? "" : apr_psprintf(vi->ptemp,
                     ", %d of them learned",
                     tlsi_cover_kept_of(vi->ptemp, l->perm, kept, l->learned,
                                        order->count)),
                 l->budget, limit_arg(l));
    if (kept == 0) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, vi->s, TLSILOGNO(0033)
                     "%s: the %" APR_SIZE_T_FMT "-byte budget holds no CA "
                     "name (the first needs %" APR_SIZE_T_FMT " bytes); the "
                     "CertificateRequest advertises none", vi->vhost,
                     l->budget, tlsi_calist_cr_size(order, l->shape, 1));
    }
    log_model_sizes(l, order, l->shape, kept);
    report_coverage(l, kept);
    report_dropped(l, order, kept);
    tlsi_learn_watch(l->learner, vi, whole,
                     tlsi_cover_rank(vi->pconf, l->perm), l->learned);
    /* Made before the lists are replaced, which frees the names order
     * points into. */
    large = large_list(l, order, kept);
    if (large != NULL) {
        /* The fitted list in the client CA list, which takes precedence
         * (SSL_CTX_set0_CA_list(3)), whichever list mod_ssl filled; the
         * large one in the CA list. */
        SSL_CTX_set_client_CA_list(vi->ctx, kept_names);
        SSL_CTX_set0_CA_list(vi->ctx, large);
        l->large = tlsi_calist_arrange(vi->pconf, large, NULL);
    }
    else {
        advertise(l, kept_names);
    }
    l->trimmed = 1;
    l->advertised = tlsi_calist_arrange(vi->pconf, kept_names, NULL);
}

static void advertise_none(vhost_list_t *l)
{
    const tlsi_calist_t *order = tlsi_calist_arrange(l->vi->ptemp, l->names,
                                                     NULL);
    const tlsi_cr_shape_t *shape = shape_of(l->vi);

    if (order == NULL) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, l->vi->s, TLSILOGNO(0034)
                     "%s: a CA name cannot be DER-encoded; CA list left "
                     "unchanged", l->vi->vhost);
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, l->vi->s, TLSILOGNO(0035)
                 "%s: CA list emptied from %d names (%" APR_SIZE_T_FMT
                 " bytes) to 0 names (%" APR_SIZE_T_FMT " bytes) "
                 "(TLSInteropCAListLimit none); clients are still verified",
                 l->vi->vhost, order->count,
                 tlsi_calist_cr_size(order, shape, order->count),
                 tlsi_calist_cr_size(order, shape, 0));
    log_model_sizes(l, order, shape, 0);
    report_dropped(l, order, 0);
    l->source = SOURCE_CLIENT_CA_LIST;
    advertise(l, sk_X509_NAME_new_null());
    l->trimmed = 1;
}

/* With TLSInteropCAListLimit off, still say so when OpenSSL cannot send
 * the list at all. */
static void check_names_limit(const vhost_list_t *l)
{
    apr_size_t names_len = tlsi_calist_names_len(l->names);

    if (names_len > TLSI_MAX_NAMES_LEN) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, l->vi->s, TLSILOGNO(0036)
                     "%s: the advertised CA names take %" APR_SIZE_T_FMT
                     " bytes, more than the %d a CertificateRequest can "
                     "carry: OpenSSL will abort every handshake that requests "
                     "a client certificate (TLSInteropCAListLimit off)",
                     l->vi->vhost, names_len, TLSI_MAX_NAMES_LEN);
    }
}

static void trim(vhost_list_t *l)
{
    apr_time_t started = apr_time_now();
    int count = sk_X509_NAME_num(l->names);   /* l->names dies if replaced */

    switch (l->mode) {
    case TLSI_CALIMIT_OFF:
        check_names_limit(l);
        break;
    case TLSI_CALIMIT_NONE:
        advertise_none(l);
        break;
    default:
        if (order_names(l)) {
            trim_to_budget(l);
        }
        break;
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, l->vi->s, TLSILOGNO(0037)
                 "%s: CA list of %d names handled in %" APR_TIME_T_FMT " us",
                 l->vi->vhost, count, apr_time_now() - started);
}

/* -- 4. fragment lists: prefixes for a negotiated max_fragment_length ---- */

/* Prepare the per-fragment-length lists, prefixes of the vhost's
 * priority order; 1 if some length needs one. */
static int prepare_fragment_lists(const tlsi_vhost_init_t *vi,
                                  tlsi_handshake_t *hs,
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
    if (!tlsi_fragment_fit_prepare(&hs->fit, order, shape_of(vi))) {
        return 0;
    }
    for (code = 1; code <= TLSI_FRAGMENT_CODES; code++) {
        counts = apr_psprintf(vi->ptemp, "%s%s%u bytes: %d", counts,
                              code > 1 ? ", " : "", TLSI_FRAGMENT_BYTES(code),
                              hs->fit.kept[code - 1]);
    }
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, vi->s, TLSILOGNO(0038)
                 "%s: connections that negotiate max_fragment_length get the "
                 "first CA names of %d that fit: %s", vi->vhost, order->count,
                 counts);
    return 1;
}

/* -- 5. lists for recognised client stacks ------------------------------- */

static void prepare_client_lists(const tlsi_vhost_init_t *vi,
                                 const vhost_list_t *l, tlsi_handshake_t *hs)
{
    const tlsi_calist_t *large = l->large;
    int zero_copy = empty_list_reaches_ca_list(vi->ptemp);
    tlsi_coverage_t larger, fitted;

    hs->classes = tlsi_classes(vi->conf);
    hs->order = large;
    hs->shape = *l->shape;
    hs->fitted = l->advertised->count;
    hs->reachable = zero_copy ? large->count : 0;
    if (explores_stacks(vi) && l->learner != NULL) {
        int names[TLSI_STEPS];

        names[TLSI_STEP_FITTED] = hs->fitted;
        names[TLSI_STEP_STEP_BYTES] = tlsi_calist_fit_sendable(
            large, l->shape, TLSI_STACKS_STEP_BYTES);
        names[TLSI_STEP_WHOLE] = large->count;
        hs->stacks = tlsi_learn_stacks(l->learner, vi->pconf, names);
    }
    tlsi_hello_watch(1);
    coverage_of(l, large->count, &larger);
    coverage_of(l, hs->fitted, &fitted);
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, vi->s, TLSILOGNO(0039)
                 "%s: client stacks recognised as taking more get up to %d "
                 "CA names (%" APR_SIZE_T_FMT " bytes%s; %d of the %d trusted "
                 "CAs covered); others get the %d that fit (%d covered)",
                 vi->vhost, large->count,
                 tlsi_calist_cr_size(large, l->shape, large->count),
                 zero_copy ? "" : "; copied per connection, as this OpenSSL "
                 "does not let an empty client CA list reach the CA list",
                 larger.own + larger.ancestor,
                 tlsi_hierarchy_count(l->hierarchy), l->advertised->count,
                 fitted.own + fitted.ancestor);
}

/* -- 6. callbacks, and the hook that runs the steps ----------------------- */

int tlsi_startup_init_server(server_rec *s, apr_pool_t *p, int is_proxy,
                             SSL_CTX *ctx)
{
    tlsi_vhost_init_t vi;
    tlsi_srv_state_t *state;
    tlsi_handshake_t *hs;
    vhost_list_t list;
    int has_list;

    /* Proxy contexts are clients, and may be shared between sections. */
    if (is_proxy) {
        return OK;
    }
    /* The pre-flight pass's contexts are thrown away. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    if (!tlsi_enabled(tlsi_srv_conf(s))) {
        return OK;
    }
    state = tlsi_srv_state_make(p, s);
    state->tls_vhost = 1;
    vi.s = s;
    vi.pconf = p;
    vi.ctx = ctx;
    vi.conf = tlsi_srv_conf(s);
    apr_pool_create(&vi.ptemp, p);
    vi.vhost = tlsi_vhost_id(vi.ptemp, s);

    audit_certificates(&vi);
    has_list = find_list(&vi, &list);
    if (has_list) {
        trim(&list);
    }
    state->ca_trimmed |= list.trimmed;

    hs = apr_pcalloc(p, sizeof(*hs));
    hs->s = s;
    hs->trimmed = has_list && list.trimmed;
    hs->fit_needed = has_list && prepare_fragment_lists(&vi, hs,
                                                        list.advertised);
    if (has_list && list.large != NULL) {
        prepare_client_lists(&vi, &list, hs);
    }
    tlsi_handshake_install(ctx, hs);

    apr_pool_destroy(vi.ptemp);
    return OK;
}
