/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "probe_cert.h"
#include "tlsi_names.h"
#include "tlsi_careq.h"

/* A chain is a few kilobytes; this stops a device or a wrong file early. */
#define CHAIN_FILE_MAX (1024 * 1024)
#define EXT_CERTIFICATE_AUTHORITIES 47

/* -- reading the chain -------------------------------------------------- */

/* The whole file into buf.  Returns its length, or -1 with errno set
 * (EFBIG when it is larger than the cap). */
static long read_file(const char *file, char *buf, size_t size)
{
    FILE *f = fopen(file, "rb");
    size_t len;
    int failed;

    if (f == NULL) {
        return -1;
    }
    len = fread(buf, 1, size, f);
    failed = ferror(f);
    if (!failed && len == size && fgetc(f) != EOF) {
        errno = EFBIG;
        failed = 1;
    }
    fclose(f);
    if (failed) {
        if (errno == 0) {
            errno = EIO;
        }
        return -1;
    }
    return (long)len;
}

/* The PEM reader stopped because no certificate block is left, rather
 * than on a malformed one. */
static int ran_out_of_blocks(void)
{
    unsigned long code = ERR_peek_last_error();

    return code == 0 || (ERR_GET_LIB(code) == ERR_LIB_PEM
                         && ERR_GET_REASON(code) == PEM_R_NO_START_LINE);
}

int probe_chain_load(probe_chain_t *chain, const char *file, char *err,
                     size_t errlen)
{
    char *buf = malloc(CHAIN_FILE_MAX);
    X509 *cert;
    BIO *bio;
    long len;

    chain->file = file;
    chain->certs = sk_X509_new_null();
    if (buf == NULL || chain->certs == NULL) {
        snprintf(err, errlen, "out of memory reading --cert %s", file);
        free(buf);
        return -1;
    }
    errno = 0;
    len = read_file(file, buf, CHAIN_FILE_MAX);
    if (len < 0) {
        snprintf(err, errlen, "cannot read --cert %s: %s", file,
                 errno == EFBIG ? "larger than 1 MB" : strerror(errno));
        free(buf);
        return -1;
    }
    bio = BIO_new_mem_buf(buf, (int)len);
    if (bio == NULL) {
        snprintf(err, errlen, "out of memory reading --cert %s", file);
        free(buf);
        return -1;
    }
    ERR_clear_error();
    while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (!sk_X509_push(chain->certs, cert)) {
            X509_free(cert);
            BIO_free(bio);
            free(buf);
            snprintf(err, errlen, "out of memory reading --cert %s", file);
            return -1;
        }
    }
    BIO_free(bio);
    free(buf);
    if (!ran_out_of_blocks()) {
        /* The first error on the stack is the cause; later ones wrap it. */
        const char *why = ERR_reason_error_string(ERR_peek_error());

        snprintf(err, errlen, "--cert %s: certificate %d is malformed (%s)",
                 file, sk_X509_num(chain->certs) + 1, why ? why : "unknown");
        return -1;
    }
    if (sk_X509_num(chain->certs) == 0) {
        snprintf(err, errlen, "--cert %s holds no PEM certificate", file);
        return -1;
    }
    ERR_clear_error();
    return 0;
}

void probe_chain_free(probe_chain_t *chain)
{
    sk_X509_pop_free(chain->certs, X509_free);
    chain->certs = NULL;
}

int probe_chain_count(const probe_chain_t *chain)
{
    return chain->certs ? sk_X509_num(chain->certs) : 0;
}

X509 *probe_chain_get(const probe_chain_t *chain, int i)
{
    return sk_X509_value(chain->certs, i);
}

/* -- the advertised names ----------------------------------------------- */

typedef struct {
    const unsigned char *p;
    size_t left;
} span_t;

/* Split a vector with a width-byte length prefix off the front of s. */
static int take_vector(span_t *s, size_t width, span_t *vec)
{
    size_t len = 0, i;

    if (s->left < width) {
        return 0;
    }
    for (i = 0; i < width; i++) {
        len = (len << 8) | s->p[i];
    }
    if (s->left - width < len) {
        return 0;
    }
    vec->p = s->p + width;
    vec->left = len;
    s->p += width + len;
    s->left -= width + len;
    return 1;
}

/*
 * The certificate_authorities list of a CertificateRequest, as the bytes
 * of its DistinguishedName entries (empty if there is none).  tlsi_cr_parse
 * has checked the message; this only finds the list.
 */
static int find_names(const unsigned char *msg, size_t len, int tls13,
                      span_t *names)
{
    span_t s = { msg + 4, len - 4 }, skip, exts;

    names->p = NULL;
    names->left = 0;
    if (!tls13) {
        /* certificate_types, supported_signature_algorithms, names */
        return take_vector(&s, 1, &skip) && take_vector(&s, 2, &skip)
               && take_vector(&s, 2, names);
    }
    if (!take_vector(&s, 1, &skip) || !take_vector(&s, 2, &exts)) {
        return 0;
    }
    while (exts.left >= 2) {
        unsigned int type = ((unsigned int)exts.p[0] << 8) | exts.p[1];
        span_t data;

        exts.p += 2;
        exts.left -= 2;
        if (!take_vector(&exts, 2, &data)) {
            return 0;
        }
        if (type == EXT_CERTIFICATE_AUTHORITIES) {
            return take_vector(&data, 2, names);
        }
    }
    return 1;
}

/* The name's DER encoding, as the certificate carries it (OpenSSL keeps
 * the bytes it parsed), to OPENSSL_free; NULL on failure. */
static unsigned char *name_der(const X509_NAME *name, int *len)
{
    unsigned char *der = NULL;

    /* OpenSSL 1.1.1 declares no const; it only reads the name. */
    *len = i2d_X509_NAME((X509_NAME *)name, &der);
    return *len > 0 ? der : NULL;
}

/* Byte for byte, as Go compares RawIssuer with the advertised names. */
static int name_advertised(const X509_NAME *name, span_t names)
{
    int der_len, found = 0;
    unsigned char *der = name_der(name, &der_len);

    while (der != NULL && !found && names.left > 0) {
        span_t one;

        if (!take_vector(&names, 2, &one)) {
            break;
        }
        found = one.left == (size_t)der_len && !memcmp(one.p, der, one.left);
    }
    OPENSSL_free(der);
    return found;
}

void probe_offer_check(const probe_chain_t *chain, const unsigned char *msg,
                       size_t len, int tls13, probe_offer_t *res)
{
    tlsi_cr_info_t info;
    span_t names;
    int i;

    res->names = 0;
    res->matched = -1;
    if (msg == NULL) {
        res->verdict = PROBE_OFFER_NO_REQUEST;
        return;
    }
    if (!tlsi_cr_parse(msg, len, tls13, &info)
        || !find_names(msg, len, tls13, &names)) {
        res->verdict = PROBE_OFFER_UNREADABLE;
        return;
    }
    res->names = (int)info.ca_names;
    if (info.ca_names == 0) {
        res->verdict = PROBE_OFFER_EMPTY_LIST;
        return;
    }
    /* Go's order: the leaf, then each certificate the client presents. */
    for (i = 0; i < probe_chain_count(chain); i++) {
        if (name_advertised(X509_get_issuer_name(probe_chain_get(chain, i)),
                            names)) {
            res->verdict = PROBE_OFFER_MATCH;
            res->matched = i;
            return;
        }
    }
    res->verdict = PROBE_OFFER_NO_MATCH;
}

int probe_offer_ok(const probe_offer_t *res)
{
    return res->verdict == PROBE_OFFER_EMPTY_LIST
           || res->verdict == PROBE_OFFER_MATCH;
}

/* -- the fix ------------------------------------------------------------ */

static int same_der(const X509_NAME *a, const X509_NAME *b)
{
    int alen, blen, same;
    unsigned char *ader = name_der(a, &alen), *bder = name_der(b, &blen);

    same = ader && bder && alen == blen && !memcmp(ader, bder, (size_t)alen);
    OPENSSL_free(ader);
    OPENSSL_free(bder);
    return same;
}

static int listed(const X509_NAME **names, int count, const X509_NAME *name)
{
    int i;

    for (i = 0; i < count; i++) {
        if (same_der(names[i], name)) {
            return 1;
        }
    }
    return 0;
}

int probe_chain_issuers(const probe_chain_t *chain, const X509_NAME **names,
                        int max)
{
    int i, count = 0;

    for (i = 0; i < probe_chain_count(chain) && count < max; i++) {
        const X509_NAME *issuer =
            X509_get_issuer_name(probe_chain_get(chain, i));

        /* A self-signed root at the end repeats the name above it. */
        if (!listed(names, count, issuer)) {
            names[count++] = issuer;
        }
    }
    return count;
}

const char *probe_name_text(const X509_NAME *name, char *buf, size_t len)
{
    if (tlsi_name_format(name, buf, len) == 0) {
        snprintf(buf, len, "(empty name)");
    }
    return buf;
}
