/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * CA certificates for unit tests.  One key signs them all, as only the
 * names matter to the code under test.
 */
#ifndef TLSI_TESTCERTS_H
#define TLSI_TESTCERTS_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include "tlsi_ossl.h"

/* A new RSA key (EVP_RSA_gen() is OpenSSL 3.0 only). */
static inline EVP_PKEY *test_rsa_key(int bits)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, NULL);
    EVP_PKEY *key = NULL;

    if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0
        || EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits) <= 0
        || EVP_PKEY_keygen(ctx, &key) <= 0) {
        key = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    return key;
}

/* A CA certificate for subject, issued by issuer; the caller frees it. */
static inline X509 *test_cert(const X509_NAME *subject,
                              const X509_NAME *issuer)
{
    static EVP_PKEY *key;
    static long serial;
    X509 *cert = X509_new();

    if (key == NULL) {
        key = tlsi_ossl_ec_key(NID_X9_62_prime256v1);
    }
    X509_set_version(cert, TLSI_X509_V3);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), ++serial);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    /* OpenSSL 1.1.1 declares no const; they copy the names. */
    X509_set_subject_name(cert, (X509_NAME *)subject);
    X509_set_issuer_name(cert, (X509_NAME *)issuer);
    X509_set_pubkey(cert, key);
    X509_sign(cert, key, EVP_sha256());
    return cert;
}

/* A self-signed CA certificate named CN=cn; the caller frees it. */
static inline X509 *test_ca(const char *cn)
{
    X509_NAME *name = X509_NAME_new();
    X509 *cert;

    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               (const unsigned char *)cn, -1, -1, 0);
    cert = test_cert(name, name);
    X509_NAME_free(name);
    return cert;
}

#endif /* TLSI_TESTCERTS_H */
