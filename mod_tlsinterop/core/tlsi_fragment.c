/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <string.h>

#include "tlsi_fragment.h"

int tlsi_fragment_fit_prepare(tlsi_fragment_fit_t *fit,
                              const tlsi_calist_t *order,
                              const tlsi_cr_shape_t *shape)
{
    int needed = 0;
    unsigned int code;

    memset(fit, 0, sizeof(*fit));
    fit->order = order;
    for (code = 1; code <= TLSI_FRAGMENT_CODES; code++) {
        int kept = tlsi_calist_fit(order, shape, TLSI_FRAGMENT_BYTES(code));

        fit->kept[code - 1] = kept;
        if (kept < order->count) {
            needed = 1;
        }
    }
    return needed;
}

int tlsi_fragment_fit_connection(const tlsi_fragment_fit_t *fit, SSL *ssl)
{
    SSL_SESSION *session = SSL_get_session(ssl);
    unsigned int code;
    int kept;

    if (session == NULL) {
        return 0;
    }
    code = SSL_SESSION_get_max_fragment_length(session);
    if (code < TLSEXT_max_fragment_length_512
        || code > TLSEXT_max_fragment_length_4096) {
        return 0;
    }
    kept = fit->kept[code - 1];
    if (kept >= fit->order->count) {
        return 0;   /* the whole list fits */
    }
    return tlsi_calist_give(ssl, fit->order, kept);
}
