/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * tlsi_fragment: the CA names to advertise on a connection that negotiated
 * max_fragment_length (RFC 6066: 512, 1024, 2048 or 4096 bytes).
 *
 * Pure core: needs OpenSSL and APR only.  The names that fit each length
 * (by the larger of the TLS 1.2 and 1.3 messages, as the vhost's budget)
 * are worked out once, as stacks that point into the vhost's list.  A
 * connection that needs a shorter list gets a copy of such a stack, not of
 * the names: copying a name costs about 5 us with OpenSSL 3.0, where a
 * stack of pointers costs next to nothing.  The connection borrows the
 * names, as all connections share the context's own list; an SSL ex_data
 * free callback empties the borrowed stack before OpenSSL frees the
 * connection's lists, so the names are never freed with it.
 */
#ifndef TLSI_FRAGMENT_H
#define TLSI_FRAGMENT_H

#include <openssl/ssl.h>

#include "tlsi_calist.h"

/* RFC 6066 codes 1 to 4 stand for 2^9 to 2^12 bytes. */
#define TLSI_FRAGMENT_CODES 4
#define TLSI_FRAGMENT_BYTES(code) (256u << (code))

typedef struct tlsi_fragment_fit {
    const tlsi_calist_t *order;    /* the advertised list, in its order */
    int kept[TLSI_FRAGMENT_CODES];  /* names that fit, by code - 1 */
    /* the first kept names, pointing into order; NULL where all fit */
    STACK_OF(X509_NAME) *lists[TLSI_FRAGMENT_CODES];
} tlsi_fragment_fit_t;

/*
 * Work out what fits each length for order and shape.  The names of order
 * must outlive fit and every connection that uses it.  Returns 1 if some
 * length needs fewer names than order holds, 0 if the list fits every
 * length, -1 when out of memory.  Release with tlsi_fragment_fit_release().
 */
int tlsi_fragment_fit_prepare(tlsi_fragment_fit_t *fit,
                              const tlsi_calist_t *order,
                              const tlsi_cr_shape_t *shape);

void tlsi_fragment_fit_release(tlsi_fragment_fit_t *fit);

/*
 * From a server's certificate callback: give ssl the names that fit its
 * negotiated max_fragment_length.  Returns 1 if it got a shorter list, 0 if
 * nothing needed changing, -1 when out of memory.
 */
int tlsi_fragment_fit_connection(const tlsi_fragment_fit_t *fit, SSL *ssl);

#endif /* TLSI_FRAGMENT_H */
