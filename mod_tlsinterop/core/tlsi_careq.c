/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <string.h>

#include "tlsi_careq.h"
#include "tlsi_ossl.h"

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

/* A bounds-checked reader over a byte range. */
typedef struct {
    const unsigned char *p;
    apr_size_t left;
} reader_t;

static int read_u8(reader_t *r, apr_size_t *v)
{
    if (r->left < 1) {
        return 0;
    }
    *v = r->p[0];
    r->p += 1;
    r->left -= 1;
    return 1;
}

static int read_u16(reader_t *r, apr_size_t *v)
{
    if (r->left < 2) {
        return 0;
    }
    *v = ((apr_size_t)r->p[0] << 8) | r->p[1];
    r->p += 2;
    r->left -= 2;
    return 1;
}

static int read_u24(reader_t *r, apr_size_t *v)
{
    if (r->left < 3) {
        return 0;
    }
    *v = ((apr_size_t)r->p[0] << 16) | ((apr_size_t)r->p[1] << 8) | r->p[2];
    r->p += 3;
    r->left -= 3;
    return 1;
}

/* Split off the next len bytes of r into sub. */
static int read_sub(reader_t *r, apr_size_t len, reader_t *sub)
{
    if (r->left < len) {
        return 0;
    }
    sub->p = r->p;
    sub->left = len;
    r->p += len;
    r->left -= len;
    return 1;
}

/* A u16-prefixed vector that must take all of r. */
static int read_whole_vec16(reader_t *r, reader_t *vec)
{
    apr_size_t len;

    return read_u16(r, &len) && read_sub(r, len, vec) && r->left == 0;
}

static int parse_names(reader_t *names, tlsi_cr_info_t *info)
{
    info->names_len = names->left;
    while (names->left > 0) {
        apr_size_t len;
        reader_t der;

        if (!read_u16(names, &len) || len == 0 || !read_sub(names, len, &der)) {
            return 0;
        }
        info->ca_names++;
    }
    return 1;
}

static int parse_sigalgs(reader_t *sigalgs, tlsi_cr_info_t *info)
{
    if (sigalgs->left % 2 != 0) {
        return 0;
    }
    info->sigalgs = (unsigned int)(sigalgs->left / 2);
    return 1;
}

static int parse_tls12(reader_t *body, tlsi_cr_info_t *info)
{
    apr_size_t len;
    reader_t types, sigalgs, names;

    if (!read_u8(body, &len) || !read_sub(body, len, &types)) {
        return 0;
    }
    info->cert_types = (unsigned int)len;
    if (!read_u16(body, &len) || !read_sub(body, len, &sigalgs)
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
static int parse_tls13(reader_t *body, tlsi_cr_info_t *info)
{
    apr_size_t len;
    reader_t context, exts;
    int seen_sigalgs = 0, seen_authorities = 0;

    if (!read_u8(body, &len) || !read_sub(body, len, &context)) {
        return 0;
    }
    info->context_len = len;
    if (!read_whole_vec16(body, &exts)) {
        return 0;
    }
    while (exts.left > 0) {
        apr_size_t type;
        reader_t data, vec;

        if (!read_u16(&exts, &type) || !read_u16(&exts, &len)
            || !read_sub(&exts, len, &data)) {
            return 0;
        }
        if (type == EXT_SIGNATURE_ALGORITHMS) {
            if (seen_sigalgs++ || !read_whole_vec16(&data, &vec)
                || vec.left == 0 || !parse_sigalgs(&vec, info)) {
                return 0;
            }
        }
        else if (type == EXT_CERTIFICATE_AUTHORITIES) {
            if (seen_authorities++ || !read_whole_vec16(&data, &vec)
                || vec.left == 0 || !parse_names(&vec, info)) {
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
    reader_t r = { msg, len }, body;
    apr_size_t type, body_len;

    memset(info, 0, sizeof(*info));
    info->tls13 = tls13;
    info->msg_len = len;
    if (!read_u8(&r, &type) || type != SSL3_MT_CERTIFICATE_REQUEST_TYPE
        || !read_u24(&r, &body_len) || body_len != r.left
        || !read_sub(&r, body_len, &body)) {
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
