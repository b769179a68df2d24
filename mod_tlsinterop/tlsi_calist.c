/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <stdlib.h>

#include "tlsi_calist.h"

/* A list entry, for finding preferred subjects by binary search. */
typedef struct {
    const X509_NAME *name;
    int index;
} entry_t;

static int entry_cmp(const void *a, const void *b)
{
    const entry_t *ea = a, *eb = b;
    int rc = X509_NAME_cmp(ea->name, eb->name);

    return rc != 0 ? rc : ea->index - eb->index;
}

/* What looking up a preferred subject in the list can find. */
#define NOT_IN_LIST   -1
#define ALREADY_TAKEN -2

/*
 * Index of the first list entry equal to name that is not taken yet,
 * else NOT_IN_LIST or ALREADY_TAKEN.  Equal entries sort by index, so the
 * earliest untaken one wins.
 */
static int find_untaken(const entry_t *sorted, int count, const char *taken,
                        const X509_NAME *name)
{
    int lo = 0, hi = count, found = NOT_IN_LIST;

    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;

        if (X509_NAME_cmp(sorted[mid].name, name) < 0) {
            lo = mid + 1;
        }
        else {
            hi = mid;
        }
    }
    for (; lo < count && X509_NAME_cmp(sorted[lo].name, name) == 0; lo++) {
        if (!taken[sorted[lo].index]) {
            return sorted[lo].index;
        }
        found = ALREADY_TAKEN;
    }
    return found;
}

static int place_preferred(tlsi_calist_t *out, apr_pool_t *p,
                           const STACK_OF(X509_NAME) *list,
                           const apr_array_header_t *prefer, char *taken,
                           apr_array_header_t *unmatched)
{
    int count = sk_X509_NAME_num(list), i;
    entry_t *sorted = apr_palloc(p, sizeof(*sorted) * (count > 0 ? count : 1));

    for (i = 0; i < count; i++) {
        sorted[i].name = sk_X509_NAME_value(list, i);
        sorted[i].index = i;
    }
    qsort(sorted, count, sizeof(*sorted), entry_cmp);

    for (i = 0; i < prefer->nelts; i++) {
        const X509_NAME *want = APR_ARRAY_IDX(prefer, i, const X509_NAME *);
        int index = find_untaken(sorted, count, taken, want);

        if (index >= 0) {
            taken[index] = 1;
            out->names[out->preferred++] = sk_X509_NAME_value(list, index);
        }
        else if (index == NOT_IN_LIST && unmatched != NULL) {
            APR_ARRAY_PUSH(unmatched, const X509_NAME *) = want;
        }
    }
    return out->preferred;
}

tlsi_calist_t *tlsi_calist_order(apr_pool_t *p, const STACK_OF(X509_NAME) *list,
                                 const apr_array_header_t *prefer,
                                 apr_array_header_t *unmatched)
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

    if (prefer != NULL && prefer->nelts > 0) {
        placed = place_preferred(out, p, list, prefer, taken, unmatched);
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

STACK_OF(X509_NAME) *tlsi_calist_copy(const tlsi_calist_t *list, int k)
{
    STACK_OF(X509_NAME) *copy = sk_X509_NAME_new_reserve(NULL, k);
    int i;

    if (copy == NULL) {
        return NULL;
    }
    for (i = 0; i < k; i++) {
        X509_NAME *dup = X509_NAME_dup(list->names[i]);

        if (dup == NULL) {
            sk_X509_NAME_pop_free(copy, X509_NAME_free);
            return NULL;
        }
        sk_X509_NAME_push(copy, dup);
    }
    return copy;
}
