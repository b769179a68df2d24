/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * tlsi_ossl: the few calls whose API differs between the OpenSSL releases
 * we support (1.1.1, 3.0, 3.5).  Every version check of the project lives
 * here; the rest of the code calls these.
 */
#ifndef TLSI_OSSL_H
#define TLSI_OSSL_H

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

/* X509_set_version()'s value for a version 3 certificate (named
 * X509_VERSION_3 from OpenSSL 3.0 on). */
#define TLSI_X509_V3 2

#ifndef SSL_OP_DISABLE_TLSEXT_CA_NAMES
/* OpenSSL 1.1.1 has no way to stop the CA names: never set. */
#define SSL_OP_DISABLE_TLSEXT_CA_NAMES 0
#endif

/* A new EC key on the curve nid (NID_X9_62_prime256v1, NID_secp384r1,
 * ...), or NULL. */
EVP_PKEY *tlsi_ossl_ec_key(int nid);

/* "RSA", "RSA-PSS", "EC", "ED25519", "ED448", "DSA" or "unknown". */
const char *tlsi_ossl_key_kind(const EVP_PKEY *key);

/* A copy of name (OpenSSL 1.1.1's X509_NAME_dup() takes no const). */
X509_NAME *tlsi_ossl_name_dup(const X509_NAME *name);

/* name's DER length, or <= 0 (likewise for i2d_X509_NAME()). */
int tlsi_ossl_name_der_len(const X509_NAME *name);

/* The library's version number, such as "3.0.19" or "1.1.1w". */
const char *tlsi_ossl_version(void);

/* After SSL_ERROR_SSL: was it the peer closing without close_notify?
 * (OpenSSL 1.1.1 reports that as SSL_ERROR_SYSCALL instead.) */
int tlsi_ossl_unexpected_eof(void);

/* SHA-256, fetched once: OpenSSL 3's one-shot SHA256() looks the
 * algorithm up on every call, which costs more than hashing a short
 * string.  NULL only when the library has no SHA-256. */
const EVP_MD *tlsi_ossl_sha256(void);

/* Did the peer of ssl present a certificate? */
int tlsi_ossl_peer_sent_certificate(const SSL *ssl);

#endif /* TLSI_OSSL_H */
