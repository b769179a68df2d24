/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * tlsi_loopback: learn the shape of the CertificateRequest a server context
 * sends, by an in-memory handshake between two private SSL_CTXs.
 *
 * Pure core: needs OpenSSL and APR only.  The vhost's own SSL_CTX is never
 * handshaked with: mod_ssl's callbacks on it expect a conn_rec.  Instead
 * the loopback server copies what decides the fixed part of the message: the
 * security level and the signature algorithm settings.
 */
#ifndef TLSI_LOOPBACK_H
#define TLSI_LOOPBACK_H

#include <apr_pools.h>
#include <openssl/ssl.h>

#include "tlsi_careq.h"

typedef struct tlsi_loopback_cfg {
    int security_level;
    const char *sigalgs;          /* SSL_CONF "SignatureAlgorithms", or NULL */
    const char *client_sigalgs;   /* "ClientSignatureAlgorithms", or NULL */
    X509 *cert;                   /* server identity; NULL: a throwaway key */
    EVP_PKEY *key;
    /* the server's "CA list" (SSL_CTX_set0_CA_list), or NULL */
    const STACK_OF(X509_NAME) *ca_list;
    /* a certificate callback for the loopback server, or NULL */
    int (*cert_cb)(SSL *ssl, void *arg);
    void *cert_cb_arg;
} tlsi_loopback_cfg_t;

/*
 * Handshake in memory at the given version (TLS1_2_VERSION or
 * TLS1_3_VERSION) with a server that requests a client certificate and
 * advertises names (NULL: none), and capture the first server handshake
 * message of type msg_type (SSL3_MT_*).  A client max_fragment_length
 * (TLSEXT_max_fragment_length_*, 0 for none) may be asked for.  On success
 * returns 1 and sets *msg (allocated from p) and *len.  On failure returns
 * 0 and sets *err.  Leaves OpenSSL's error queue as found.
 */
int tlsi_loopback_message(const tlsi_loopback_cfg_t *cfg, int version,
                       const STACK_OF(X509_NAME) *names, int msg_type,
                       int max_fragment, apr_pool_t *p, unsigned char **msg,
                       apr_size_t *len, const char **err);

/* tlsi_loopback_message() for the CertificateRequest, without max_fragment. */
int tlsi_loopback_certreq(const tlsi_loopback_cfg_t *cfg, int version,
                       const STACK_OF(X509_NAME) *names, apr_pool_t *p,
                       unsigned char **msg, apr_size_t *len,
                       const char **err);

/*
 * Learn both versions' shapes.  A version whose loopback handshake fails
 * stays unknown in *shape.  Returns 1 if at least one version is known, else 0 with *err.
 */
int tlsi_loopback_shape(const tlsi_loopback_cfg_t *cfg, apr_pool_t *p,
                     tlsi_cr_shape_t *shape, const char **err);

#endif /* TLSI_LOOPBACK_H */
