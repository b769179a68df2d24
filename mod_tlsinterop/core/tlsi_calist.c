/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include "tlsi_calist.h"
#include "tlsi_ossl.h"
#include "tlsi_names.h"

tlsi_calist_t *tlsi_calist_arrange(apr_pool_t *p,
                                   const STACK_OF(X509_NAME) *list,
                                   const apr_array_header_t *lead)
{
    tlsi_calist_t *out = apr_pcalloc(p, sizeof(*out));
    int count = sk_X509_NAME_num(list), placed = 0, i;
    char *taken;

    if (count < 0) {
        count = 0;
    }
    out->count = count;
    out->names = apr_palloc(p, sizeof(*out->names) * (count + 1));
    out->wire_sum = apr_palloc(p, sizeof(*out->wire_sum) * (count + 1));
    taken = apr_pcalloc(p, count + 1);

    for (i = 0; lead != NULL && i < lead->nelts; i++) {
        int index = APR_ARRAY_IDX(lead, i, int);

        if (index >= 0 && index < count && !taken[index]) {
            taken[index] = 1;
            out->names[placed++] = sk_X509_NAME_value(list, index);
        }
    }
    for (i = 0; i < count; i++) {
        if (!taken[i]) {
            out->names[placed++] = sk_X509_NAME_value(list, i);
        }
    }

    out->wire_sum[0] = 0;
    for (i = 0; i < count; i++) {
        apr_size_t len = tlsi_name_wire_len(out->names[i]);

        if (len == 0) {
            return NULL;
        }
        out->wire_sum[i + 1] = out->wire_sum[i] + len;
    }
    return out;
}

apr_size_t tlsi_calist_cr_size(const tlsi_calist_t *list,
                               const tlsi_cr_shape_t *shape, int k)
{
    return tlsi_cr_size(shape, list->wire_sum[k]);
}

int tlsi_calist_fit(const tlsi_calist_t *list, const tlsi_cr_shape_t *shape,
                    apr_size_t budget)
{
    int lo = 0, hi = list->count;

    /* The size grows with k, so find the last k that fits. */
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;

        if (tlsi_calist_cr_size(list, shape, mid) <= budget) {
            lo = mid;
        }
        else {
            hi = mid - 1;
        }
    }
    return lo;
}

int tlsi_calist_fit_sendable(const tlsi_calist_t *list,
                             const tlsi_cr_shape_t *shape, apr_size_t budget)
{
    int k = tlsi_calist_fit(list, shape, budget);

    while (k > 0 && list->wire_sum[k] > TLSI_MAX_NAMES_LEN) {
        k--;
    }
    return k;
}

int tlsi_calist_give(SSL *ssl, const tlsi_calist_t *list, int k)
{
    STACK_OF(X509_NAME) *names = tlsi_calist_copy(list, k), *none = NULL;

    if (names == NULL
        || (k == 0 && (none = sk_X509_NAME_new_null()) == NULL)) {
        sk_X509_NAME_free(names);
        return -1;
    }
    /* The connection frees both, and any list an earlier handshake on it
     * was given. */
    SSL_set_client_CA_list(ssl, names);
    if (none != NULL) {
        SSL_set0_CA_list(ssl, none);
    }
    return 1;
}

STACK_OF(X509_NAME) *tlsi_calist_copy(const tlsi_calist_t *list, int k)
{
    STACK_OF(X509_NAME) *copy = sk_X509_NAME_new_reserve(NULL, k);
    int i;

    if (copy == NULL) {
        return NULL;
    }
    for (i = 0; i < k; i++) {
        X509_NAME *dup = tlsi_ossl_name_dup(list->names[i]);

        if (dup == NULL) {
            sk_X509_NAME_pop_free(copy, X509_NAME_free);
            return NULL;
        }
        sk_X509_NAME_push(copy, dup);
    }
    return copy;
}

apr_size_t tlsi_calist_names_len(const STACK_OF(X509_NAME) *list)
{
    apr_size_t len = 0;
    int i;

    for (i = 0; i < sk_X509_NAME_num(list); i++) {
        len += tlsi_name_wire_len(sk_X509_NAME_value(list, i));
    }
    return len;
}

static const STACK_OF(X509_NAME) *nonempty(const STACK_OF(X509_NAME) *names)
{
    return names != NULL && sk_X509_NAME_num(names) > 0 ? names : NULL;
}

const STACK_OF(X509_NAME) *tlsi_calist_sent_by_ctx(const SSL_CTX *ctx)
{
    const STACK_OF(X509_NAME) *names;

    if (SSL_CTX_get_options(ctx) & SSL_OP_DISABLE_TLSEXT_CA_NAMES) {
        return NULL;
    }
    names = nonempty(SSL_CTX_get_client_CA_list(ctx));
    return names != NULL ? names : SSL_CTX_get0_CA_list(ctx);
}

const STACK_OF(X509_NAME) *tlsi_calist_sent_by(const SSL *ssl)
{
    const STACK_OF(X509_NAME) *names;

    if (SSL_get_options(ssl) & SSL_OP_DISABLE_TLSEXT_CA_NAMES) {
        return NULL;
    }
    names = nonempty(SSL_get_client_CA_list(ssl));
    return names != NULL ? names : SSL_get0_CA_list(ssl);
}
