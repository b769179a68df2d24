/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <string.h>

#include "tlsi_fragment.h"

/* SSL ex_data slot holding the stack whose names a connection borrows. */
static int borrowed_index = -1;
static CRYPTO_ONCE borrowed_once = CRYPTO_ONCE_STATIC_INIT;

/* Runs in SSL_free() before the connection's CA lists are freed. */
static void give_back_names(void *parent, void *ptr, CRYPTO_EX_DATA *ad,
                            int idx, long argl, void *argp)
{
    STACK_OF(X509_NAME) *borrowed = ptr;

    (void)ad;
    (void)idx;
    (void)argl;
    (void)argp;
    if (borrowed != NULL && SSL_get_client_CA_list(parent) == borrowed) {
        sk_X509_NAME_zero(borrowed);
    }
}

static void make_borrowed_index(void)
{
    borrowed_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, give_back_names);
}

/* A stack of the first count names of order, not copies of them. */
static STACK_OF(X509_NAME) *borrowing_stack(const tlsi_calist_t *order,
                                            int count)
{
    STACK_OF(X509_NAME) *names = sk_X509_NAME_new_reserve(NULL, count);
    int i;

    for (i = 0; names != NULL && i < count; i++) {
        sk_X509_NAME_push(names, (X509_NAME *)order->names[i]);
    }
    return names;
}

int tlsi_fragment_fit_prepare(tlsi_fragment_fit_t *fit,
                              const tlsi_calist_t *order,
                              const tlsi_cr_shape_t *shape)
{
    int needed = 0;
    unsigned int code;

    memset(fit, 0, sizeof(*fit));
    CRYPTO_THREAD_run_once(&borrowed_once, make_borrowed_index);
    if (borrowed_index < 0) {
        return -1;
    }
    fit->order = order;
    for (code = 1; code <= TLSI_FRAGMENT_CODES; code++) {
        int kept = tlsi_calist_fit(order, shape, TLSI_FRAGMENT_BYTES(code));

        fit->kept[code - 1] = kept;
        if (kept < order->count) {
            needed = 1;
            fit->lists[code - 1] = borrowing_stack(order, kept);
            if (fit->lists[code - 1] == NULL) {
                tlsi_fragment_fit_release(fit);
                return -1;
            }
        }
    }
    return needed;
}

void tlsi_fragment_fit_release(tlsi_fragment_fit_t *fit)
{
    unsigned int code;

    for (code = 0; code < TLSI_FRAGMENT_CODES; code++) {
        /* the stacks only: the names belong to the list */
        sk_X509_NAME_free(fit->lists[code]);
        fit->lists[code] = NULL;
    }
}

int tlsi_fragment_fit_connection(const tlsi_fragment_fit_t *fit, SSL *ssl)
{
    SSL_SESSION *session = SSL_get_session(ssl);
    STACK_OF(X509_NAME) *names, *previous;
    unsigned int code;

    if (session == NULL) {
        return 0;
    }
    code = SSL_SESSION_get_max_fragment_length(session);
    if (code < TLSEXT_max_fragment_length_512
        || code > TLSEXT_max_fragment_length_4096) {
        return 0;
    }
    if (fit->lists[code - 1] == NULL) {
        return 0;   /* the whole list fits */
    }
    names = sk_X509_NAME_dup(fit->lists[code - 1]);
    if (names == NULL) {
        return -1;
    }
    /* A second full handshake (renegotiation) replaces the list: the names
     * the first one borrowed must not be freed with it. */
    previous = SSL_get_ex_data(ssl, borrowed_index);
    if (previous != NULL && SSL_get_client_CA_list(ssl) == previous) {
        sk_X509_NAME_zero(previous);
    }
    if (!SSL_set_ex_data(ssl, borrowed_index, names)) {
        sk_X509_NAME_free(names);
        return -1;
    }
    SSL_set_client_CA_list(ssl, names);
    if (fit->kept[code - 1] == 0) {
        /* An empty client CA list would let the context's CA list through. */
        SSL_set0_CA_list(ssl, sk_X509_NAME_new_null());
    }
    return 1;
}
