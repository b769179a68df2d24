/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* The CertificateRequest size model against what OpenSSL really sends. */

#include <string.h>

#include <apr_strings.h>
#include <openssl/evp.h>

#include "tlsi_careq.h"
#include "tlsi_ossl.h"
#include "tlsi_certmsg.h"
#include "tlsi_loopback.h"
#include "tlsi_test.h"
#include "tlsi_testcerts.h"
#include "tlsi_testnames.h"

static const tlsi_loopback_cfg_t default_cfg = { .security_level = 2 };

static void size_arithmetic(apr_pool_t *p)
{
    tlsi_cr_shape_t shape = { 1, 3, 20, 1, 16, 0 };

    (void)p;
    /* header 4, types 1+3, sigalgs 2+40, names 2 */
    CHECK_EQ(tlsi_cr_size_tls12(&shape, 0), 52);
    CHECK_EQ(tlsi_cr_size_tls12(&shape, 100), 152);
    /* header 4, context 1, exts 2, sigalgs ext 4+2+32; no CA ext when empty */
    CHECK_EQ(tlsi_cr_size_tls13(&shape, 0), 45);
    CHECK_EQ(tlsi_cr_size_tls13(&shape, 100), 45 + 6 + 100);
    /* a budget holds TLS 1.3's post-handshake request: 32 more */
    CHECK_EQ(tlsi_cr_size(&shape, 100), 45 + 6 + 100 + 32);
    shape.tls13_sigalgs = 0;     /* 119 + 32 < 152 */
    CHECK_EQ(tlsi_cr_size(&shape, 100), 152);
    shape.tls13_sigalgs = 16;
    shape.tls12_known = 0;
    CHECK_EQ(tlsi_cr_size_tls12(&shape, 100), 0);
    CHECK_EQ(tlsi_cr_size(&shape, 100), 151 + 32);
}

/* The model must equal, to the byte, the message OpenSSL builds. */
static void model_matches_openssl(apr_pool_t *p)
{
    static const int counts[] = { 0, 1, 2, 7, 40, 90, 200 };
    static const int versions[] = { TLS1_2_VERSION, TLS1_3_VERSION };
    tlsi_cr_shape_t shape;
    const char *err;
    apr_size_t c, v;

    CHECK(tlsi_loopback_shape(&default_cfg, p, &shape, &err));
    CHECK(shape.tls12_known && shape.tls13_known);
    for (c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
        STACK_OF(X509_NAME) *names = test_names(counts[c], 1000 + (unsigned)c);
        apr_size_t names_len = test_names_len(names);

        for (v = 0; v < 2; v++) {
            unsigned char *msg;
            apr_size_t len, model;
            tlsi_cr_info_t info;
            int tls13 = versions[v] == TLS1_3_VERSION;

            if (!tlsi_loopback_certreq(&default_cfg, versions[v], names, p, &msg,
                                    &len, &err)) {
                CHECK(!"probe handshake failed");
                continue;
            }
            model = tls13 ? tlsi_cr_size_tls13(&shape, names_len)
                          : tlsi_cr_size_tls12(&shape, names_len);
            CHECK_EQ(model, len);
            CHECK(tlsi_cr_parse(msg, len, tls13, &info));
            CHECK_EQ(info.ca_names, counts[c]);
            CHECK_EQ(info.names_len, names_len);
        }
        sk_X509_NAME_pop_free(names, X509_NAME_free);
    }
}

static void parse_rejects_malformed(apr_pool_t *p)
{
    STACK_OF(X509_NAME) *names = test_names(3, 7);
    static const int versions[] = { TLS1_2_VERSION, TLS1_3_VERSION };
    const char *err;
    apr_size_t v;

    for (v = 0; v < 2; v++) {
        unsigned char *msg, *copy;
        apr_size_t len, cut;
        tlsi_cr_info_t info;
        int tls13 = versions[v] == TLS1_3_VERSION;

        if (!tlsi_loopback_certreq(&default_cfg, versions[v], names, p, &msg,
                                &len, &err)) {
            CHECK(!"probe handshake failed");
            continue;
        }
        CHECK(tlsi_cr_parse(msg, len, tls13, &info));
        /* Every truncation is refused, reading nothing past the end. */
        for (cut = 0; cut < len; cut++) {
            copy = malloc(cut ? cut : 1);
            memcpy(copy, msg, cut);
            CHECK(!tlsi_cr_parse(copy, cut, tls13, &info));
            free(copy);
        }
        /* Parsed as the other version, it does not fit. */
        CHECK(!tlsi_cr_parse(msg, len, !tls13, &info));
        /* Not a CertificateRequest. */
        copy = apr_pmemdup(p, msg, len);
        copy[0] = 11;
        CHECK(!tlsi_cr_parse(copy, len, tls13, &info));
    }
    sk_X509_NAME_pop_free(names, X509_NAME_free);
}

/*
 * TLS 1.3 messages that break RFC 8446's rules are refused, so that an
 * accepted message is always one the size model describes.  (Found by
 * tests/fuzz/fuzz_careq.)  Each is: context 0, then extensions.
 */
static void parse_enforces_tls13_rules(apr_pool_t *p)
{
    static const unsigned char sigalgs[] = { 0, 13, 0, 4, 0, 2, 8, 4 };
    static const unsigned char no_sigalgs[] = { 0, 13, 0, 2, 0, 0 };
    static const unsigned char authorities[] = {
        0, 47, 0, 7, 0, 5, 0, 3, 0x30, 1, 0 };
    static const unsigned char no_authorities[] = { 0, 47, 0, 2, 0, 0 };
    static const unsigned char other[] = { 0xff, 1, 0, 1, 0 };
    const struct {
        const char *what;
        int ok;
        const unsigned char *parts[3];
        apr_size_t sizes[3];
    } cases[] = {
        { "signature_algorithms only", 1, { sigalgs }, { sizeof(sigalgs) } },
        { "and CA names and another", 1, { other, authorities, sigalgs },
          { sizeof(other), sizeof(authorities), sizeof(sigalgs) } },
        { "no signature_algorithms", 0, { authorities, other },
          { sizeof(authorities), sizeof(other) } },
        { "empty signature_algorithms", 0, { no_sigalgs },
          { sizeof(no_sigalgs) } },
        { "signature_algorithms twice", 0, { sigalgs, sigalgs },
          { sizeof(sigalgs), sizeof(sigalgs) } },
        { "empty CA names", 0, { sigalgs, no_authorities },
          { sizeof(sigalgs), sizeof(no_authorities) } },
        { "CA names twice", 0, { authorities, sigalgs, authorities },
          { sizeof(authorities), sizeof(sigalgs), sizeof(authorities) } },
    };
    apr_size_t i, j;

    for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        unsigned char *msg = apr_pcalloc(p, 64);
        apr_size_t len = 7, exts = 0;
        tlsi_cr_info_t info;

        for (j = 0; j < 3 && cases[i].parts[j] != NULL; j++) {
            memcpy(msg + len, cases[i].parts[j], cases[i].sizes[j]);
            len += cases[i].sizes[j];
            exts += cases[i].sizes[j];
        }
        msg[0] = 13;
        msg[3] = (unsigned char)(len - 4);
        msg[5] = (unsigned char)(exts >> 8);
        msg[6] = (unsigned char)exts;
        if (tlsi_cr_parse(msg, len, 1, &info) != cases[i].ok) {
            fprintf(stderr, "  case: %s\n", cases[i].what);
            CHECK(!"TLS 1.3 rule not enforced");
        }
    }
}

static void probe_follows_sigalg_settings(apr_pool_t *p)
{
    tlsi_loopback_cfg_t cfg = default_cfg;
    tlsi_cr_shape_t level2, level0, custom;
    const char *err;

    CHECK(tlsi_loopback_shape(&cfg, p, &level2, &err));
    cfg.security_level = 0;
    CHECK(tlsi_loopback_shape(&cfg, p, &level0, &err));
    /* Level 0 lets SHA-1 and SHA-224 signatures back in. */
    CHECK(level0.tls12_sigalgs > level2.tls12_sigalgs);

    cfg.security_level = 2;
    cfg.client_sigalgs = "ECDSA+SHA256:RSA-PSS+SHA256";
    CHECK(tlsi_loopback_shape(&cfg, p, &custom, &err));
    CHECK_EQ(custom.tls12_sigalgs, 2);
    CHECK_EQ(custom.tls13_sigalgs, 2);
    CHECK_EQ(custom.tls12_cert_types, 2);   /* rsa_sign, ecdsa_sign */

    cfg.client_sigalgs = "NOT-A-SIGALG";
    CHECK(!tlsi_loopback_shape(&cfg, p, &custom, &err));
    CHECK(err != NULL);
}

static void probe_uses_given_identity(apr_pool_t *p)
{
    tlsi_loopback_cfg_t cfg = default_cfg;
    EVP_PKEY *key = test_rsa_key(2048);
    X509 *cert = X509_new();
    tlsi_cr_shape_t mine, throwaway;
    const char *err;

    X509_set_version(cert, TLSI_X509_V3);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 60);
    X509_set_pubkey(cert, key);
    X509_sign(cert, key, EVP_sha256());
    cfg.cert = cert;
    cfg.key = key;
    CHECK(tlsi_loopback_shape(&cfg, p, &mine, &err));
    CHECK(tlsi_loopback_shape(&default_cfg, p, &throwaway, &err));
    /* The server's own key type does not change what it asks of clients. */
    CHECK(memcmp(&mine, &throwaway, sizeof(mine)) == 0);
    X509_free(cert);
    EVP_PKEY_free(key);
}

static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer,
                       EVP_PKEY *issuer_key, int extra_names)
{
    X509 *cert = X509_new();
    X509_NAME *name = X509_get_subject_name(cert);
    int i;

    X509_set_version(cert, TLSI_X509_V3);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 7);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 600);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    for (i = 0; i < extra_names; i++) {
        X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_ASC,
                                   (const unsigned char *)"padding unit", -1,
                                   -1, 0);
    }
    X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name);
    X509_set_pubkey(cert, key);
    X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256());
    return cert;
}

/* The loopback server's certificate callback: send the chain in arg (NULL
 * for none) after the certificate. */
static int send_chain(SSL *ssl, void *arg)
{
    return arg == NULL || SSL_set1_chain(ssl, arg) == 1;
}

/* The Certificate message model against the message OpenSSL builds, for a
 * lone certificate and for a three-certificate chain. */
static void certificate_message_model(apr_pool_t *p)
{
    EVP_PKEY *root_key = tlsi_ossl_ec_key(NID_X9_62_prime256v1),
             *leaf_key = tlsi_ossl_ec_key(NID_secp384r1);
    X509 *root = make_cert("Test Root", root_key, NULL, NULL, 0);
    X509 *inter = make_cert("Test Intermediate", root_key, root, root_key, 40);
    X509 *leaf = make_cert("localhost", leaf_key, inter, root_key, 3);
    STACK_OF(X509) *chain = sk_X509_new_null(), *sent = sk_X509_new_null();
    tlsi_loopback_cfg_t cfg = default_cfg;
    static const int versions[] = { TLS1_2_VERSION, TLS1_3_VERSION };
    int round, v;

    cfg.cert = leaf;
    cfg.key = leaf_key;
    sk_X509_push(sent, leaf);
    for (round = 0; round < 2; round++) {
        cfg.cert_cb = send_chain;
        cfg.cert_cb_arg = round ? chain : NULL;
        for (v = 0; v < 2; v++) {
            unsigned char *msg;
            apr_size_t len;
            const char *err;

            if (!tlsi_loopback_message(&cfg, versions[v], NULL,
                                       SSL3_MT_CERTIFICATE, 0, p, &msg, &len,
                                       &err)) {
                CHECK(!"probe handshake failed");
                continue;
            }
            CHECK_EQ(len, versions[v] == TLS1_3_VERSION
                          ? tlsi_certmsg_size_tls13(sent)
                          : tlsi_certmsg_size_tls12(sent));
        }
        sk_X509_push(chain, inter);
        sk_X509_push(chain, root);
        sk_X509_push(sent, inter);
        sk_X509_push(sent, root);
    }
    sk_X509_free(chain);
    sk_X509_free(sent);
    X509_free(leaf);
    X509_free(inter);
    X509_free(root);
    EVP_PKEY_free(leaf_key);
    EVP_PKEY_free(root_key);
}

int main(void)
{
    apr_pool_t *pool = tlsi_test_init();

    TLSI_RUN(size_arithmetic, pool);
    TLSI_RUN(model_matches_openssl, pool);
    TLSI_RUN(parse_rejects_malformed, pool);
    TLSI_RUN(parse_enforces_tls13_rules, pool);
    TLSI_RUN(probe_follows_sigalg_settings, pool);
    TLSI_RUN(probe_uses_given_identity, pool);
    TLSI_RUN(certificate_message_model, pool);
    return tlsi_test_done("test_careq");
}
