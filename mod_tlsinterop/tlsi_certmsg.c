/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include "tlsi_careq.h"
#include "tlsi_certmsg.h"

/* Every certificate's DER with its 3-byte length, plus per_entry bytes. */
static apr_size_t entries_len(const STACK_OF(X509) *certs, apr_size_t per_entry)
{
    apr_size_t len = 0;
    int i;

    for (i = 0; i < sk_X509_num(certs); i++) {
        int der = i2d_X509(sk_X509_value(certs, i), NULL);

        len += 3 + (der > 0 ? (apr_size_t)der : 0) + per_entry;
    }
    return len;
}

apr_size_t tlsi_certmsg_size_tls12(const STACK_OF(X509) *certs)
{
    return TLSI_HS_HEADER_LEN + 3 + entries_len(certs, 0);
}

apr_size_t tlsi_certmsg_size_tls13(const STACK_OF(X509) *certs)
{
    /* empty request context (1); each entry's empty extensions (2) */
    return TLSI_HS_HEADER_LEN + 1 + 3 + entries_len(certs, 2);
}
