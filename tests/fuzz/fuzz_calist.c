/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * The size model and trimming, fed random name sets, message shapes,
 * preferred subjects and budgets.  Whatever they are:
 *  - the kept names fit the budget, and the list is maximal: the next name
 *    in priority order would not fit;
 *  - the priority order is a permutation of the server's list with the
 *    preferred names first, and the copy holds exactly the kept names:
 *    trimming never adds a name;
 *  - each max_fragment_length list is the longest prefix that fits.
 *
 * Input: budget (2 bytes), shape (4 bytes), then names, each a length
 * byte, a flags byte and that many bytes of common name.
 */
#include <stdint.h>
#include <string.h>

#include <apr_tables.h>

#include "fuzz.h"
#include "tlsi_calist.h"
#include "tlsi_careq.h"
#include "tlsi_fragment.h"
#include "../unit/tlsi_testnames.h"

#define MAX_NAMES 600
#define HEADER_LEN 6

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static X509_NAME *make_name(const uint8_t *cn, size_t len, uint8_t flags)
{
    X509_NAME *name = X509_NAME_new();

    if (name == NULL) {
        return NULL;
    }
    if (flags & 1) {
        X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC,
                                   (const unsigned char *)"US", -1, -1, 0);
    }
    if (flags & 2) {
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, cn, (int)len,
                                   -1, 0);
    }
    if (len > 0 || !(flags & 3)) {
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, cn, (int)len,
                                   -1, 0);
    }
    return name;
}

static void read_shape(const uint8_t *h, tlsi_cr_shape_t *shape)
{
    memset(shape, 0, sizeof(*shape));
    shape->tls12_known = (h[0] & 1) || !(h[0] & 2);
    shape->tls13_known = (h[0] & 2) != 0;
    shape->tls12_cert_types = 1 + h[1] % 8;
    shape->tls12_sigalgs = h[2] % 48;
    shape->tls13_sigalgs = 1 + h[2] % 48;
    shape->tls13_other_ext = 4 * (apr_size_t)h[3];
}

static int position_in(const STACK_OF(X509_NAME) *list, const X509_NAME *n)
{
    int i;

    for (i = 0; i < sk_X509_NAME_num(list); i++) {
        if (sk_X509_NAME_value(list, i) == n) {
            return i;
        }
    }
    return -1;
}

static void check_order(const tlsi_calist_t *order,
                        const STACK_OF(X509_NAME) *list,
                        const apr_array_header_t *prefer)
{
    char seen[MAX_NAMES] = { 0 };
    int i;

    FUZZ_CHECK(order->count == sk_X509_NAME_num(list));
    for (i = 0; i < order->count; i++) {
        int at = position_in(list, order->names[i]);

        FUZZ_CHECK(at >= 0 && !seen[at]);
        seen[at] = 1;
        FUZZ_CHECK(order->wire_sum[i + 1] == order->wire_sum[i]
                   + tlsi_name_wire_len(order->names[i]));
    }
}

static void check_fit(const tlsi_calist_t *order, const tlsi_cr_shape_t *shape,
                      apr_size_t budget)
{
    int k = tlsi_calist_fit(order, shape, budget);
    STACK_OF(X509_NAME) *copy;
    int i;

    FUZZ_CHECK(k >= 0 && k <= order->count);
    FUZZ_CHECK(k == 0 || tlsi_calist_cr_size(order, shape, k) <= budget);
    FUZZ_CHECK(k == order->count
               || tlsi_calist_cr_size(order, shape, k + 1) > budget);
    FUZZ_CHECK(tlsi_calist_cr_size(order, shape, k)
               == tlsi_cr_size(shape, order->wire_sum[k]));

    copy = tlsi_calist_copy(order, k);
    if (copy == NULL) {
        return;
    }
    FUZZ_CHECK(sk_X509_NAME_num(copy) == k);
    for (i = 0; i < k; i++) {
        FUZZ_CHECK(X509_NAME_cmp(sk_X509_NAME_value(copy, i),
                                 order->names[i]) == 0);
    }
    sk_X509_NAME_pop_free(copy, X509_NAME_free);
}

static void check_fragments(const tlsi_calist_t *order,
                            const tlsi_cr_shape_t *shape)
{
    tlsi_fragment_fit_t fit;
    int code;

    int needed = tlsi_fragment_fit_prepare(&fit, order, shape);
    int shorter = 0;

    for (code = 1; code <= TLSI_FRAGMENT_CODES; code++) {
        int kept = fit.kept[code - 1];

        FUZZ_CHECK(kept == tlsi_calist_fit(order, shape,
                                           TLSI_FRAGMENT_BYTES(code)));
        FUZZ_CHECK(kept <= order->count);
        shorter |= kept < order->count;
    }
    FUZZ_CHECK(needed == shorter);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    STACK_OF(X509_NAME) *list, *extra;
    apr_array_header_t *prefer, *unmatched;
    const tlsi_calist_t *order;
    int lead = 0;
    tlsi_cr_shape_t shape;
    apr_size_t budget;
    apr_pool_t *p;
    size_t at;
    int i;

    if (size < HEADER_LEN) {
        return 0;
    }
    budget = (apr_size_t)data[0] << 8 | data[1];
    read_shape(data + 2, &shape);
    apr_pool_create(&p, fuzz_root_pool());
    list = sk_X509_NAME_new_null();
    extra = sk_X509_NAME_new_null();
    prefer = apr_array_make(p, 4, sizeof(X509_NAME *));
    unmatched = apr_array_make(p, 4, sizeof(X509_NAME *));

    for (at = HEADER_LEN; at + 2 <= size
         && sk_X509_NAME_num(list) < MAX_NAMES;) {
        size_t len = data[at];
        uint8_t flags = data[at + 1];
        X509_NAME *name;

        at += 2;
        if (len > size - at) {
            len = size - at;
        }
        name = make_name(data + at, len, flags);
        at += len;
        if (name == NULL) {
            continue;
        }
        /* flags 4: preferred; 8: preferred but not in the list */
        if (flags & 8) {
            sk_X509_NAME_push(extra, name);
            APR_ARRAY_PUSH(prefer, X509_NAME *) = name;
            continue;
        }
        sk_X509_NAME_push(list, name);
        if (flags & 4) {
            APR_ARRAY_PUSH(prefer, X509_NAME *) = name;
        }
    }

    order = test_order(p, list, prefer, unmatched, &lead);
    FUZZ_CHECK(lead <= prefer->nelts);
    if (order != NULL) {
        check_order(order, list, prefer);
        check_fit(order, &shape, budget);
        check_fit(order, &shape, TLSI_MAX_RECORD_PLAINTEXT);
        check_fragments(order, &shape);
        for (i = 0; i < unmatched->nelts; i++) {
            FUZZ_CHECK(position_in(list, APR_ARRAY_IDX(unmatched, i,
                                                       X509_NAME *)) < 0);
        }
    }
    sk_X509_NAME_pop_free(list, X509_NAME_free);
    sk_X509_NAME_pop_free(extra, X509_NAME_free);
    apr_pool_destroy(p);
    return 0;
}
