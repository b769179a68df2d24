/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * tlsi_wire: a bounds-checked reader of TLS handshake bytes (big-endian
 * integers, length-prefixed vectors), for the ClientHello (tlsi_hello) and
 * CertificateRequest (tlsi_careq) parsers.  Every read checks what is
 * left, so no input can make a parser read outside the message.
 *
 * Pure core: needs APR only.
 */
#ifndef TLSI_WIRE_H
#define TLSI_WIRE_H

#include <apr.h>

/* A window onto the bytes still to read. */
typedef struct tlsi_wire {
    const unsigned char *at, *end;
} tlsi_wire_t;

static APR_INLINE void tlsi_wire_init(tlsi_wire_t *w, const unsigned char *p,
                                      apr_size_t len)
{
    w->at = p;
    w->end = p != NULL ? p + len : p;
}

static APR_INLINE apr_size_t tlsi_wire_left(const tlsi_wire_t *w)
{
    return (apr_size_t)(w->end - w->at);
}

/* A big-endian integer of bytes (1 to 3) bytes. */
static APR_INLINE int tlsi_wire_uint(tlsi_wire_t *w, int bytes, apr_size_t *v)
{
    int i;

    if (bytes < 1 || bytes > 3 || tlsi_wire_left(w) < (apr_size_t)bytes) {
        return 0;
    }
    *v = 0;
    for (i = 0; i < bytes; i++) {
        *v = *v << 8 | *w->at++;
    }
    return 1;
}

/* The next len bytes, as a window of their own. */
static APR_INLINE int tlsi_wire_sub(tlsi_wire_t *w, apr_size_t len,
                                    tlsi_wire_t *out)
{
    if (tlsi_wire_left(w) < len) {
        return 0;
    }
    out->at = w->at;
    out->end = w->at + len;
    w->at += len;
    return 1;
}

/* A vector with a length prefix of width bytes (1 to 3). */
static APR_INLINE int tlsi_wire_vector(tlsi_wire_t *w, int width,
                                       tlsi_wire_t *out)
{
    apr_size_t len;

    return tlsi_wire_uint(w, width, &len) && tlsi_wire_sub(w, len, out);
}

#endif /* TLSI_WIRE_H */
