/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * probe_cert: would a client that filters by CA name offer a given
 * certificate chain in answer to a server's CertificateRequest?
 *
 * Many clients (Go's crypto/tls, .NET SslStream, browsers, smart-card
 * middleware) offer a certificate only if an advertised CA name issued a
 * certificate of the chain they hold: the DER issuer of the leaf or of an
 * intermediate they present must equal an advertised name byte for byte.
 * An empty list makes any certificate acceptable.
 */
#ifndef PROBE_CERT_H
#define PROBE_CERT_H

#include <stddef.h>

#include <openssl/x509.h>

/* The chain a client holds: the leaf, then what it presents. */
typedef struct {
    const char *file;
    STACK_OF(X509) *certs;
} probe_chain_t;

typedef enum {
    PROBE_OFFER_NO_REQUEST,     /* no CertificateRequest: nothing is sent */
    PROBE_OFFER_EMPTY_LIST,     /* no names: any certificate will do */
    PROBE_OFFER_MATCH,          /* an issuer in the chain is advertised */
    PROBE_OFFER_NO_MATCH,       /* names advertised, none of the issuers */
    PROBE_OFFER_UNREADABLE      /* the CertificateRequest is malformed */
} probe_offer_e;

typedef struct {
    probe_offer_e verdict;
    int names;                  /* advertised CA names */
    int matched;                /* chain index whose issuer matched, or -1 */
} probe_offer_t;

/*
 * Read every PEM certificate in file, in order.  Returns 0, or -1 with a
 * one-line reason in err (unreadable, no certificate, a malformed one).
 */
int probe_chain_load(probe_chain_t *chain, const char *file, char *err,
                     size_t errlen);

void probe_chain_free(probe_chain_t *chain);

int probe_chain_count(const probe_chain_t *chain);

X509 *probe_chain_get(const probe_chain_t *chain, int i);

/*
 * The answer to a CertificateRequest message (msg, header included, as
 * sent in TLS 1.3 if tls13; msg NULL if the server sent none).
 */
void probe_offer_check(const probe_chain_t *chain, const unsigned char *msg,
                       size_t len, int tls13, probe_offer_t *res);

/* Whether a client offers the chain, by the verdict. */
int probe_offer_ok(const probe_offer_t *res);

/*
 * The issuers that would make the chain acceptable, in chain order (the
 * leaf's issuer first), each once.  Returns how many were stored in
 * names (at most max).
 */
int probe_chain_issuers(const probe_chain_t *chain, const X509_NAME **names,
                        int max);

/* name as RFC 2253 text, truncated to fit buf. */
const char *probe_name_text(const X509_NAME *name, char *buf, size_t len);

#endif /* PROBE_CERT_H */
