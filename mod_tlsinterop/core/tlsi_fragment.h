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
 * Pure core: needs OpenSSL and APR only.  The number of names that fit
 * each length (by the larger of the TLS 1.2 and 1.3 messages, as the
 * vhost's budget) is worked out once.  A connection that needs a shorter
 * list gets copies of those names, which it owns and frees itself, as
 * OpenSSL documents for SSL_set_client_CA_list(): nothing a connection
 * holds points into the vhost's list, whatever order OpenSSL frees a
 * connection's parts in.  Copying costs a few microseconds a name, on the
 * rare connections that negotiate the extension (make bench-fragfit).
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
} tlsi_fragment_fit_t;

/*
 * Work out what fits each length for order and shape.  order must outlive
 * fit (connections copy what they are given).  Returns 1 if some length
 * needs fewer names than order holds, 0 if the list fits every length.
 */
int tlsi_fragment_fit_prepare(tlsi_fragment_fit_t *fit,
                              const tlsi_calist_t *order,
                              const tlsi_cr_shape_t *shape);

/*
 * From a server's certificate callback: give ssl the names that fit its
 * negotiated max_fragment_length.  Returns 1 if it got a shorter list, 0 if
 * nothing needed changing, -1 when out of memory.
 */
int tlsi_fragment_fit_connection(const tlsi_fragment_fit_t *fit, SSL *ssl);

#endif /* TLSI_FRAGMENT_H */
