/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>

#include "tlsi_ossl.h"

EVP_PKEY *tlsi_ossl_ec_key(int nid)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
    EVP_PKEY *key = NULL;

    if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0
        || EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, nid) <= 0
        || EVP_PKEY_keygen(ctx, &key) <= 0) {
        key = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    return key;
}

/* By the key's base type, which every release has: OpenSSL 3.0's
 * EVP_PKEY_get0_type_name() gives the same words for these types. */
const char *tlsi_ossl_key_kind(const EVP_PKEY *key)
{
    switch (key != NULL ? EVP_PKEY_base_id(key) : EVP_PKEY_NONE) {
    case EVP_PKEY_RSA:
        return "RSA";
    case EVP_PKEY_RSA_PSS:
        return "RSA-PSS";
    case EVP_PKEY_EC:
        return "EC";
    case EVP_PKEY_ED25519:
        return "ED25519";
    case EVP_PKEY_ED448:
        return "ED448";
    case EVP_PKEY_DSA:
        return "DSA";
    default:
        return "unknown";
    }
}

/* Both only read the name: OpenSSL 3.0 declares them const. */
X509_NAME *tlsi_ossl_name_dup(const X509_NAME *name)
{
    return X509_NAME_dup((X509_NAME *)name);
}

int tlsi_ossl_name_der_len(const X509_NAME *name)
{
    return i2d_X509_NAME((X509_NAME *)name, NULL);
}

const char *tlsi_ossl_version(void)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    return OpenSSL_version(OPENSSL_VERSION_STRING);
#else
    /* "OpenSSL 1.1.1w  11 Sep 2023": the second word */
    static char number[32];
    const char *text = OpenSSL_version(OPENSSL_VERSION);
    const char *start = strchr(text, ' ');
    size_t len;

    if (start == NULL) {
        return text;
    }
    start++;
    len = strcspn(start, " ");
    if (len >= sizeof(number)) {
        len = sizeof(number) - 1;
    }
    memcpy(number, start, len);
    number[len] = '\0';
    return number;
#endif
}

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
static EVP_MD *sha256;
static CRYPTO_ONCE sha256_once = CRYPTO_ONCE_STATIC_INIT;

static void fetch_sha256(void)
{
    sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}
#endif

const EVP_MD *tlsi_ossl_sha256(void)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    if (!CRYPTO_THREAD_run_once(&sha256_once, fetch_sha256)) {
        return NULL;
    }
    return sha256;
#else
    return EVP_sha256();
#endif
}

int tlsi_ossl_unexpected_eof(void)
{
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
    return ERR_GET_REASON(ERR_peek_last_error())
           == SSL_R_UNEXPECTED_EOF_WHILE_READING;
#else
    return 0;
#endif
}

int tlsi_ossl_peer_sent_certificate(const SSL *ssl)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    return SSL_get0_peer_certificate(ssl) != NULL;
#else
    /* 1.1.1 has only the call that takes a reference. */
    X509 *cert = SSL_get_peer_certificate(ssl);

    X509_free(cert);
    return cert != NULL;
#endif
}
