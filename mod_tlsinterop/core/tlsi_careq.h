/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * tlsi_careq: the wire size of a server's CertificateRequest message.
 *
 * Pure core: needs OpenSSL and APR only.  A CertificateRequest is a fixed
 * part that depends on the TLS version and the context's signature
 * algorithm configuration (its "shape"), plus the CA names.  Knowing the
 * shape, the size for any list of names is arithmetic.
 */
#ifndef TLSI_CAREQ_H
#define TLSI_CAREQ_H

#include <apr.h>
#include <openssl/x509.h>

/* Largest plaintext a TLS record may carry (RFC 8446 5.1, RFC 5246 6.2.1). */
#define TLSI_MAX_RECORD_PLAINTEXT 16384

/* The handshake message header: type (1) and 24-bit length (3). */
#define TLSI_HS_HEADER_LEN 4

/* The certificate_request_context OpenSSL sends in a TLS 1.3
 * post-handshake CertificateRequest (per-directory SSLVerifyClient); one in
 * the handshake is empty.  A budget holds the larger of the two. */
#define TLSI_PHA_CONTEXT_LEN 32

/* OpenSSL aborts the handshake when the names list passes this size. */
#define TLSI_MAX_NAMES_LEN 65535

/* Everything in a CertificateRequest except the CA names. */
typedef struct tlsi_cr_shape {
    /* TLS 1.2 (and 1.0/1.1, which send a subset): */
    int tls12_known;                /* 0 if the shape could not be learned */
    unsigned int tls12_cert_types;  /* entries in certificate_types */
    unsigned int tls12_sigalgs;     /* supported_signature_algorithms */
    /* TLS 1.3: */
    int tls13_known;
    unsigned int tls13_sigalgs;     /* in the signature_algorithms ext */
    apr_size_t tls13_other_ext;     /* other extensions' bytes, headers too */
} tlsi_cr_shape_t;

/*
 * The bytes one CA name adds to the names list: its 2-byte length prefix
 * plus its DER encoding.  Returns 0 if the name cannot be encoded.
 */
apr_size_t tlsi_name_wire_len(const X509_NAME *name);

/*
 * Whole CertificateRequest size, handshake header included, for a names
 * list whose entries add up to names_len bytes (the sum of
 * tlsi_name_wire_len; 0 for an empty list), as sent in a handshake (TLS
 * 1.3: with an empty request context).  Returns 0 for an unknown shape.
 */
apr_size_t tlsi_cr_size_tls12(const tlsi_cr_shape_t *shape,
                              apr_size_t names_len);
apr_size_t tlsi_cr_size_tls13(const tlsi_cr_shape_t *shape,
                              apr_size_t names_len);

/* The size a budget has to hold: the larger of TLS 1.2's and TLS 1.3's
 * post-handshake request (TLSI_PHA_CONTEXT_LEN more than in the
 * handshake). */
apr_size_t tlsi_cr_size(const tlsi_cr_shape_t *shape, apr_size_t names_len);

/* What a parsed CertificateRequest held. */
typedef struct tlsi_cr_info {
    int tls13;
    apr_size_t msg_len;        /* whole message, header included */
    unsigned int cert_types;   /* TLS 1.2 */
    unsigned int sigalgs;
    unsigned int ca_names;     /* number of names */
    apr_size_t names_len;      /* sum of the names' wire lengths */
    apr_size_t other_ext;      /* TLS 1.3: other extensions, headers included */
    apr_size_t context_len;    /* TLS 1.3: certificate_request_context */
} tlsi_cr_info_t;

/*
 * Parse a whole CertificateRequest message (header included) as sent in
 * TLS 1.3 (tls13 != 0) or TLS 1.2.  Returns 1 on success, 0 if the bytes
 * are not a well-formed CertificateRequest.
 */
int tlsi_cr_parse(const unsigned char *msg, apr_size_t len, int tls13,
                  tlsi_cr_info_t *info);

/* Fill the version's part of a shape from a parsed message. */
void tlsi_cr_shape_learn(tlsi_cr_shape_t *shape, const tlsi_cr_info_t *info);

#endif /* TLSI_CAREQ_H */
