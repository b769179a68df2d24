/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <string.h>

#include <apr_strings.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "tlsi_loopback.h"
#include "tlsi_ossl.h"

/* More than any handshake needs to reach CertificateRequest. */
#define PROBE_MAX_ROUNDS 8

/* Room for a whole server flight: a CertificateRequest can carry 64 KB of
 * names, and OpenSSL reports a message only once all of it is written. */
#define PROBE_BIO_BUFFER (256 * 1024)

typedef struct {
    apr_pool_t *pool;
    int type;
    unsigned char *msg;
    apr_size_t len;
} capture_t;

static void capture_message(int write_p, int version, int content_type,
                            const void *buf, size_t len, SSL *ssl, void *arg)
{
    capture_t *cap = arg;
    const unsigned char *bytes = buf;

    (void)version;
    (void)ssl;
    if (write_p && content_type == SSL3_RT_HANDSHAKE && len > 0
        && bytes[0] == cap->type && cap->msg == NULL) {
        cap->msg = apr_pmemdup(cap->pool, buf, len);
        cap->len = len;
    }
}

static int accept_any_peer(int ok, X509_STORE_CTX *store)
{
    (void)ok;
    (void)store;
    return 1;
}

/* The curve that meets a security level's minimum strength. */
static int curve_for_level(int level)
{
    return level >= 5 ? NID_secp521r1
           : level == 4 ? NID_secp384r1 : NID_X9_62_prime256v1;
}

static int use_throwaway_identity(SSL_CTX *ctx, int level)
{
    static const unsigned char loopback_cn[] = "tlsinterop loopback";
    EVP_PKEY *key = tlsi_ossl_ec_key(curve_for_level(level));
    X509 *cert = X509_new();
    X509_NAME *name;
    int ok = 0;

    if (key == NULL || cert == NULL) {
        goto done;
    }
    name = X509_get_subject_name(cert);
    if (!X509_set_version(cert, TLSI_X509_V3)
        || !ASN1_INTEGER_set(X509_get_serialNumber(cert), 1)
        || !X509_gmtime_adj(X509_getm_notBefore(cert), 0)
        || !X509_gmtime_adj(X509_getm_notAfter(cert), 3600)
        || !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, loopback_cn,
                                       -1, -1, 0)
        || !X509_set_issuer_name(cert, name)
        || !X509_set_pubkey(cert, key)
        || !X509_sign(cert, key, EVP_sha256())) {
        goto done;
    }
    ok = SSL_CTX_use_certificate(ctx, cert) == 1
         && SSL_CTX_use_PrivateKey(ctx, key) == 1;
done:
    X509_free(cert);
    EVP_PKEY_free(key);
    return ok;
}

static int apply_sigalgs(SSL_CTX *ctx, const tlsi_loopback_cfg_t *cfg)
{
    SSL_CONF_CTX *conf;
    int ok = 1;

    if (cfg->sigalgs == NULL && cfg->client_sigalgs == NULL) {
        return 1;
    }
    conf = SSL_CONF_CTX_new();
    if (conf == NULL) {
        return 0;
    }
    SSL_CONF_CTX_set_flags(conf, SSL_CONF_FLAG_FILE | SSL_CONF_FLAG_SERVER);
    SSL_CONF_CTX_set_ssl_ctx(conf, ctx);
    if (cfg->sigalgs != NULL) {
        ok = SSL_CONF_cmd(conf, "SignatureAlgorithms", cfg->sigalgs) > 0;
    }
    if (ok && cfg->client_sigalgs != NULL) {
        ok = SSL_CONF_cmd(conf, "ClientSignatureAlgorithms",
                          cfg->client_sigalgs) > 0;
    }
    ok = ok && SSL_CONF_CTX_finish(conf);
    SSL_CONF_CTX_free(conf);
    return ok;
}

static SSL_CTX *make_server_ctx(const tlsi_loopback_cfg_t *cfg,
                                const STACK_OF(X509_NAME) *names,
                                const char **err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

    if (ctx == NULL) {
        *err = "cannot create a loopback SSL_CTX";
        return NULL;
    }
    SSL_CTX_set_security_level(ctx, cfg->security_level);
    if (!apply_sigalgs(ctx, cfg)) {
        *err = "the signature algorithm settings are not accepted";
        goto fail;
    }
    if (cfg->cert != NULL && cfg->key != NULL) {
        if (SSL_CTX_use_certificate(ctx, cfg->cert) != 1
            || SSL_CTX_use_PrivateKey(ctx, cfg->key) != 1) {
            *err = "the server certificate or key is not usable";
            goto fail;
        }
    }
    else if (!use_throwaway_identity(ctx, cfg->security_level)) {
        *err = "cannot create a throwaway server key";
        goto fail;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any_peer);
    if (cfg->cert_cb != NULL) {
        SSL_CTX_set_cert_cb(ctx, cfg->cert_cb, cfg->cert_cb_arg);
    }
    if (names != NULL) {
        STACK_OF(X509_NAME) *copy = sk_X509_NAME_deep_copy(names,
                                                           tlsi_ossl_name_dup,
                                                           X509_NAME_free);
        if (copy == NULL) {
            *err = "out of memory";
            goto fail;
        }
        SSL_CTX_set_client_CA_list(ctx, copy);
    }
    if (cfg->ca_list != NULL) {
        STACK_OF(X509_NAME) *copy = sk_X509_NAME_deep_copy(cfg->ca_list,
                                                           tlsi_ossl_name_dup,
                                                           X509_NAME_free);
        if (copy == NULL) {
            *err = "out of memory";
            goto fail;
        }
        SSL_CTX_set0_CA_list(ctx, copy);
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

static SSL_CTX *make_client_ctx(int version, int max_fragment)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    if (ctx == NULL) {
        return NULL;
    }
    /* The loopback client must accept whatever the server is set up with. */
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    if (!SSL_CTX_set_min_proto_version(ctx, version)
        || !SSL_CTX_set_max_proto_version(ctx, version)
        || (max_fragment
            && !SSL_CTX_set_tlsext_max_fragment_length(ctx, max_fragment))) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static int handshake_until_captured(SSL *client, SSL *server,
                                    const capture_t *cap)
{
    int round;

    for (round = 0; round < PROBE_MAX_ROUNDS && cap->msg == NULL; round++) {
        int rc = SSL_do_handshake(client);

        if (rc <= 0 && SSL_get_error(client, rc) != SSL_ERROR_WANT_READ) {
            return 0;
        }
        rc = SSL_do_handshake(server);
        if (rc <= 0 && cap->msg == NULL) {
            int why = SSL_get_error(server, rc);

            if (why != SSL_ERROR_WANT_READ && why != SSL_ERROR_WANT_WRITE) {
                return 0;
            }
        }
    }
    return cap->msg != NULL;
}

int tlsi_loopback_message(const tlsi_loopback_cfg_t *cfg, int version,
                       const STACK_OF(X509_NAME) *names, int msg_type,
                       int max_fragment, apr_pool_t *p, unsigned char **msg,
                       apr_size_t *len, const char **err)
{
    SSL_CTX *sctx = NULL, *cctx = NULL;
    SSL *server = NULL, *client = NULL;
    BIO *client_bio = NULL, *server_bio = NULL;
    capture_t cap = { p, msg_type, NULL, 0 };
    int ok = 0;

    *err = NULL;
    ERR_set_mark();
    sctx = make_server_ctx(cfg, names, err);
    if (sctx == NULL) {
        goto done;
    }
    cctx = make_client_ctx(version, max_fragment);
    if (cctx == NULL
        || (server = SSL_new(sctx)) == NULL
        || (client = SSL_new(cctx)) == NULL
        || !BIO_new_bio_pair(&client_bio, PROBE_BIO_BUFFER, &server_bio,
                             PROBE_BIO_BUFFER)) {
        *err = "cannot set up the loopback connection";
        goto done;
    }
    SSL_set_bio(client, client_bio, client_bio);
    SSL_set_bio(server, server_bio, server_bio);
    SSL_set_connect_state(client);
    SSL_set_accept_state(server);
    SSL_set_msg_callback(server, capture_message);
    SSL_set_msg_callback_arg(server, &cap);
    if (!handshake_until_captured(client, server, &cap)) {
        *err = "the loopback handshake did not send the message looked for";
        goto done;
    }
    *msg = cap.msg;
    *len = cap.len;
    ok = 1;
done:
    SSL_free(client);
    SSL_free(server);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    ERR_pop_to_mark();
    return ok;
}

int tlsi_loopback_certreq(const tlsi_loopback_cfg_t *cfg, int version,
                       const STACK_OF(X509_NAME) *names, apr_pool_t *p,
                       unsigned char **msg, apr_size_t *len,
                       const char **err)
{
    return tlsi_loopback_message(cfg, version, names,
                                 SSL3_MT_CERTIFICATE_REQUEST, 0, p, msg, len,
                                 err);
}

int tlsi_loopback_shape(const tlsi_loopback_cfg_t *cfg, apr_pool_t *p,
                     tlsi_cr_shape_t *shape, const char **err)
{
    static const int versions[] = { TLS1_2_VERSION, TLS1_3_VERSION };
    apr_size_t i;

    memset(shape, 0, sizeof(*shape));
    *err = NULL;
    for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
        unsigned char *msg;
        apr_size_t len;
        tlsi_cr_info_t info;
        const char *why;

        if (!tlsi_loopback_certreq(cfg, versions[i], NULL, p, &msg, &len, &why)) {
            *err = why;
            continue;
        }
        if (!tlsi_cr_parse(msg, len, versions[i] == TLS1_3_VERSION, &info)) {
            *err = "the loopback CertificateRequest did not parse";
            continue;
        }
        tlsi_cr_shape_learn(shape, &info);
    }
    return shape->tls12_known || shape->tls13_known;
}
