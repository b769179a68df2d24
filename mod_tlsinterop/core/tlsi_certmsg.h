/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * tlsi_certmsg: the wire size of the server's Certificate message.
 *
 * Pure core: needs OpenSSL and APR only.  The message carries the leaf and
 * its chain, each DER certificate behind a 3-byte length; TLS 1.3 adds a
 * request context and a (here empty) extensions block per certificate.
 * A stapled OCSP response or SCTs in TLS 1.3 add to the first entry.
 */
#ifndef TLSI_CERTMSG_H
#define TLSI_CERTMSG_H

#include <apr.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

/* Sizes, handshake header included, for certs (leaf first). */
apr_size_t tlsi_certmsg_size_tls12(const STACK_OF(X509) *certs);
apr_size_t tlsi_certmsg_size_tls13(const STACK_OF(X509) *certs);

/*
 * The certificates ctx sends with leaf, as OpenSSL picks them: the
 * context's chain for that certificate, else its extra chain, else the
 * chain it builds from the trust store (unless SSL_MODE_NO_AUTO_CHAIN),
 * else the leaf alone.  The caller frees the stack with
 * sk_X509_pop_free(certs, X509_free); NULL when out of memory.
 */
STACK_OF(X509) *tlsi_certmsg_sent_chain(SSL_CTX *ctx, X509 *leaf);

/* The certificate's key type for log lines: "EC", "RSA", ... */
const char *tlsi_certmsg_key_kind(X509 *cert);

#endif /* TLSI_CERTMSG_H */
