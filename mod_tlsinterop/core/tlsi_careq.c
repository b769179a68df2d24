/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <string.h>

#include "tlsi_careq.h"
#include "tlsi_ossl.h"
#include "tlsi_wire.h"

#define SSL3_MT_CERTIFICATE_REQUEST_TYPE 13
#define EXT_SIGNATURE_ALGORITHMS 13
#define EXT_CERTIFICATE_AUTHORITIES 47

/* type (2) + length (2) of a TLS extension */
#define EXT_HEADER_LEN 4

apr_size_t tlsi_name_wire_len(const X509_NAME *name)
{
    int der_len = tlsi_ossl_name_der_len(name);

    return der_len > 0 ? 2 + (apr_size_t)der_len : 0;
}

apr_size_t tlsi_cr_size_tls12(const tlsi_cr_shape_t *shape,
                              apr_size_t names_len)
{
    if (!shape->tls12_known) {
        return 0;
    }
    return TLSI_HS_HEADER_LEN
           + 1 + shape->tls12_cert_types
           + 2 + 2 * (apr_size_t)shape->tls12_sigalgs
           + 2 + names_len;
}

apr_size_t tlsi_cr_size_tls13(const tlsi_cr_shape_t *shape,
                              apr_size_t names_len)
{
    apr_size_t size;

    if (!shape->tls13_known) {
        return 0;
    }
    size = TLSI_HS_HEADER_LEN
           + 1                                  /* empty request context */
           + 2                                  /* extensions length */
           + EXT_HEADER_LEN + 2 + 2 * (apr_size_t)shape->tls13_sigalgs
           + shape->tls13_other_ext;
    /* OpenSSL leaves certificate_authorities out when there are no names */
    if (names_len > 0) {
        size += EXT_HEADER_LEN + 2 + names_len;
    }
    return size;
}

apr_size_t tlsi_cr_size(const tlsi_cr_shape_t *shape, apr_size_t names_len)
{
    apr_size_t s12 = tlsi_cr_size_tls12(shape, names_len);
    apr_size_t s13 = tlsi_cr_size_tls13(shape, names_len);

    if (s13 > 0) {
        s13 += TLSI_PHA_CONTEXT_LEN;
    }
    return s12 > s13 ? s12 : s13;
}

/* A u16-prefixed vector that must take all of r. */
static int read_whole_vec16(tlsi_wire_t *r, tlsi_wire_t *vec)
{
    return tlsi_wire_vector(r, 2, vec) && tlsi_wire_left(r) == 0;
}

static int parse_names(tlsi_wire_t *names, tlsi_cr_info_t *info)
{
    info->names_len = tlsi_wire_left(names);
    while (tlsi_wire_left(names) > 0) {
        apr_size_t len;
        tlsi_wire_t der;

        if (!tlsi_wire_uint(names, 2, &len) || len == 0
            || !tlsi_wire_sub(names, len, &der)) {
            return 0;
        }
        info->ca_names++;
    }
    return 1;
}

static int parse_sigalgs(tlsi_wire_t *sigalgs, tlsi_cr_info_t *info)
{
    if (tlsi_wire_left(sigalgs) % 2 != 0) {
        return 0;
    }
    info->sigalgs = (unsigned int)(tlsi_wire_left(sigalgs) / 2);
    return 1;
}

static int parse_tls12(tlsi_wire_t *body, tlsi_cr_info_t *info)
{
    apr_size_t len;
    tlsi_wire_t types, sigalgs, names;

    if (!tlsi_wire_uint(body, 1, &len) || !tlsi_wire_sub(body, len, &types)) {
        return 0;
    }
    info->cert_types = (unsigned int)len;
    if (!tlsi_wire_uint(body, 2, &len) || !tlsi_wire_sub(body, len, &sigalgs)
        || !parse_sigalgs(&sigalgs, info)) {
        return 0;
    }
    return read_whole_vec16(body, &names) && parse_names(&names, info);
}

/*
 * RFC 8446 4.3.2 and 4.2: signature_algorithms must be present, no
 * extension may appear twice, and neither list may be empty.  A message
 * breaking those rules is not one the size model describes.
 */
static int parse_tls13(tlsi_wire_t *body, tlsi_cr_info_t *info)
{
    apr_size_t len;
    tlsi_wire_t context, exts;
    int seen_sigalgs = 0, seen_authorities = 0;

    if (!tlsi_wire_uint(body, 1, &len) || !tlsi_wire_sub(body, len, &context)) {
        return 0;
    }
    info->context_len = len;
    if (!read_whole_vec16(body, &exts)) {
        return 0;
    }
    while (tlsi_wire_left(&exts) > 0) {
        apr_size_t type;
        tlsi_wire_t data, vec;

        if (!tlsi_wire_uint(&exts, 2, &type) || !tlsi_wire_uint(&exts, 2, &len)
            || !tlsi_wire_sub(&exts, len, &data)) {
            return 0;
        }
        if (type == EXT_SIGNATURE_ALGORITHMS) {
            if (seen_sigalgs++ || !read_whole_vec16(&data, &vec)
                || tlsi_wire_left(&vec) == 0 || !parse_sigalgs(&vec, info)) {
                return 0;
            }
        }
        else if (type == EXT_CERTIFICATE_AUTHORITIES) {
            if (seen_authorities++ || !read_whole_vec16(&data, &vec)
                || tlsi_wire_left(&vec) == 0 || !parse_names(&vec, info)) {
                return 0;
            }
        }
        else {
            info->other_ext += EXT_HEADER_LEN + len;
        }
    }
    return seen_sigalgs;
}

int tlsi_cr_parse(const unsigned char *msg, apr_size_t len, int tls13,
                  tlsi_cr_info_t *info)
{
    tlsi_wire_t r, body;
    apr_size_t type, body_len;

    memset(info, 0, sizeof(*info));
    tlsi_wire_init(&r, msg, len);
    info->tls13 = tls13;
    info->msg_len = len;
    if (!tlsi_wire_uint(&r, 1, &type)
        || type != SSL3_MT_CERTIFICATE_REQUEST_TYPE
        || !tlsi_wire_uint(&r, 3, &body_len) || body_len != tlsi_wire_left(&r)
        || !tlsi_wire_sub(&r, body_len, &body)) {
        return 0;
    }
    return tls13 ? parse_tls13(&body, info) : parse_tls12(&body, info);
}

void tlsi_cr_shape_learn(tlsi_cr_shape_t *shape, const tlsi_cr_info_t *info)
{
    if (info->tls13) {
        shape->tls13_known = 1;
        shape->tls13_sigalgs = info->sigalgs;
        shape->tls13_other_ext = info->other_ext;
    }
    else {
        shape->tls12_known = 1;
        shape->tls12_cert_types = info->cert_types;
        shape->tls12_sigalgs = info->sigalgs;
    }
}
