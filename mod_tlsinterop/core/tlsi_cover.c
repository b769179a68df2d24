/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <stdlib.h>

#include <openssl/x509_vfy.h>

#include "tlsi_cover.h"
#include "tlsi_cover_layout.h"

tlsi_hierarchy_t *tlsi_hierarchy_make(apr_pool_t *p, int count)
{
    tlsi_hierarchy_t *h = apr_pcalloc(p, sizeof(*h));

    h->pool = p;
    h->count = count > 0 ? count : 0;
    h->issuers = apr_pcalloc(p, sizeof(*h->issuers) * (h->count + 1));
    h->outside = apr_pcalloc(p, h->count + 1);
    h->anchor = apr_pcalloc(p, h->count + 1);
    h->reach = apr_pcalloc(p, sizeof(*h->reach) * (h->count + 1));
    return h;
}

void tlsi_hierarchy_add_issuer(tlsi_hierarchy_t *h, int child, int issuer)
{
    int i;

    if (child < 0 || child >= h->count) {
        return;
    }
    if (issuer < 0 || issuer >= h->count || issuer == child) {
        h->outside[child] = 1;
        return;
    }
    if (h->issuers[child] == NULL) {
        h->issuers[child] = apr_array_make(h->pool, 2, sizeof(int));
    }
    for (i = 0; i < h->issuers[child]->nelts; i++) {
        if (APR_ARRAY_IDX(h->issuers[child], i, int) == issuer) {
            return;
        }
    }
    APR_ARRAY_PUSH(h->issuers[child], int) = issuer;
}

int tlsi_hierarchy_count(const tlsi_hierarchy_t *h)
{
    return h->count;
}

/* Whether every issuer of CA i is covered. */
static int issuers_covered(const tlsi_hierarchy_t *h, int i, const char *state)
{
    const apr_array_header_t *issuers = h->issuers[i];
    int k;

    for (k = 0; k < issuers->nelts; k++) {
        if (state[APR_ARRAY_IDX(issuers, k, int)] == TLSI_COVER_NONE) {
            return 0;
        }
    }
    return 1;
}

/* The least fixed point: a CA in a cycle with no covered way out stays
 * uncovered.  Each pass settles at least one level of the hierarchy. */
static void cover(const tlsi_hierarchy_t *h, const char *advertised,
                  char *state)
{
    int i, changed = 1;

    for (i = 0; i < h->count; i++) {
        state[i] = advertised[i] ? TLSI_COVER_OWN : TLSI_COVER_NONE;
    }
    while (changed) {
        changed = 0;
        for (i = 0; i < h->count; i++) {
            if (state[i] == TLSI_COVER_NONE && !h->anchor[i]
                && issuers_covered(h, i, state)) {
                state[i] = TLSI_COVER_ANCESTOR;
                changed = 1;
            }
        }
    }
}

void tlsi_hierarchy_coverage(const tlsi_hierarchy_t *h,
                             const char *advertised, char *state,
                             tlsi_coverage_t *totals)
{
    char *own_state = state;
    apr_pool_t *scratch = NULL;
    int i;

    if (own_state == NULL) {
        apr_pool_create(&scratch, h->pool);
        own_state = apr_palloc(scratch, h->count + 1);
    }
    cover(h, advertised, own_state);
    totals->own = totals->ancestor = totals->none = 0;
    for (i = 0; i < h->count; i++) {
        switch (own_state[i]) {
        case TLSI_COVER_OWN:
            totals->own++;
            break;
        case TLSI_COVER_ANCESTOR:
            totals->ancestor++;
            break;
        default:
            totals->none++;
            break;
        }
    }
    if (scratch != NULL) {
        apr_pool_destroy(scratch);
    }
}

/* For each anchor, how many CAs it covers: walk up from every CA,
 * marking what one walk visited with that CA's stamp.  A walk stops at an
 * anchor: only the anchor's own name covers it, and so what is under it. */
static void count_reach(tlsi_hierarchy_t *h, apr_pool_t *p)
{
    int *stamp = apr_palloc(p, sizeof(*stamp) * (h->count + 1));
    int *todo = apr_palloc(p, sizeof(*todo) * (h->count + 1));
    int i;

    for (i = 0; i < h->count; i++) {
        stamp[i] = -1;
    }
    for (i = 0; i < h->count; i++) {
        int top = 0;

        todo[top++] = i;
        stamp[i] = i;
        while (top > 0) {
            int at = todo[--top], k;

            if (h->anchor[at]) {
                h->reach[at]++;
                continue;
            }
            for (k = 0; h->issuers[at] != NULL && k < h->issuers[at]->nelts;
                 k++) {
                int up = APR_ARRAY_IDX(h->issuers[at], k, int);

                if (stamp[up] != i) {
                    stamp[up] = i;
                    todo[top++] = up;
                }
            }
        }
    }
}

/* Whether uncovered CA i lies on a cycle of uncovered CAs: whether
 * walking up their issuers from i comes back to it.  Uncovered CAs are not
 * anchors, so each has issuers. */
static int on_uncovered_cycle(const tlsi_hierarchy_t *h, const char *state,
                              int i, int *stamp, int *todo)
{
    int top = 0, k;

    todo[top++] = i;
    while (top > 0) {
        int at = todo[--top];

        for (k = 0; k < h->issuers[at]->nelts; k++) {
            int up = APR_ARRAY_IDX(h->issuers[at], k, int);

            if (up == i) {
                return 1;
            }
            if (state[up] == TLSI_COVER_NONE && stamp[up] != i) {
                stamp[up] = i;
                todo[top++] = up;
            }
        }
    }
    return 0;
}

void tlsi_hierarchy_finish(tlsi_hierarchy_t *h)
{
    apr_pool_t *scratch;
    char *state;
    int *stamp, *todo;
    int i;

    apr_pool_create(&scratch, h->pool);
    state = apr_palloc(scratch, h->count + 1);
    stamp = apr_palloc(scratch, sizeof(*stamp) * (h->count + 1));
    todo = apr_palloc(scratch, sizeof(*todo) * (h->count + 1));
    for (i = 0; i < h->count; i++) {
        h->anchor[i] = h->outside[i] || h->issuers[i] == NULL;
    }
    /* Cross-certified CAs can issue each other with no way out; make the
     * first CA of such a cycle an anchor until advertising the anchors
     * covers all.  Not merely the first uncovered CA: that may be one that
     * only hangs below a cycle, which the cycle's anchor covers.  Every
     * uncovered CA has an uncovered issuer, so some lie on a cycle. */
    for (;;) {
        cover(h, h->anchor, state);
        for (i = 0; i < h->count; i++) {
            stamp[i] = -1;
        }
        for (i = 0; i < h->count; i++) {
            if (state[i] == TLSI_COVER_NONE
                && on_uncovered_cycle(h, state, i, stamp, todo)) {
                break;
            }
        }
        if (i == h->count) {
            break;
        }
        h->anchor[i] = 1;
    }
    count_reach(h, scratch);
    apr_pool_destroy(scratch);
}

tlsi_hierarchy_t *tlsi_hierarchy_from_store(apr_pool_t *p,
                                            const STACK_OF(X509_NAME) *list,
                                            const tlsi_namemap_t *map,
                                            X509_STORE *store)
{
    int count = sk_X509_NAME_num(list), i;
    tlsi_hierarchy_t *h = tlsi_hierarchy_make(p, count);
    X509_STORE_CTX *sctx = X509_STORE_CTX_new();

    if (sctx == NULL || store == NULL
        || !X509_STORE_CTX_init(sctx, store, NULL, NULL)) {
        X509_STORE_CTX_free(sctx);
        tlsi_hierarchy_finish(h);   /* every CA an anchor */
        return h;
    }
    for (i = 0; i < count; i++) {
        const X509_NAME *name = sk_X509_NAME_value(list, i);
        STACK_OF(X509) *certs = X509_STORE_CTX_get1_certs(sctx,
                                                          (X509_NAME *)name);
        int k;

        for (k = 0; k < sk_X509_num(certs); k++) {
            const X509_NAME *issuer = X509_get_issuer_name(sk_X509_value(certs,
                                                                         k));

            tlsi_hierarchy_add_issuer(h, i, X509_NAME_cmp(issuer, name) == 0
                                            ? i : tlsi_namemap_find(map, issuer));
        }
        sk_X509_pop_free(certs, X509_free);
    }
    X509_STORE_CTX_free(sctx);
    tlsi_hierarchy_finish(h);
    return h;
}

typedef struct {
    int index;
    int reach;
} ranked_anchor_t;

/* Anchors: the one covering more CAs first, then list order. */
static int anchor_cmp(const void *a, const void *b)
{
    const ranked_anchor_t *ra = a, *rb = b;

    if (ra->reach != rb->reach) {
        return rb->reach - ra->reach;
    }
    return ra->index - rb->index;
}

/* Names placed so far, and their bytes on the wire. */
typedef struct {
    apr_array_header_t *order;
    char *placed;
    const apr_size_t *wire;
    apr_size_t bytes;
} order_t;

static void place(order_t *o, int index)
{
    if (!o->placed[index]) {
        o->placed[index] = 1;
        o->bytes += o->wire[index];
        APR_ARRAY_PUSH(o->order, int) = index;
    }
}

apr_array_header_t *tlsi_cover_order(apr_pool_t *p, const tlsi_hierarchy_t *h,
                                     const STACK_OF(X509_NAME) *list,
                                     const apr_array_header_t *preferred,
                                     const apr_array_header_t *learned,
                                     const tlsi_cr_shape_t *shape,
                                     apr_size_t budget)
{
    int count = h->count, anchors = 0, i, next_learned = 0;
    apr_size_t *wire = apr_palloc(p, sizeof(*wire) * (count + 1));
    ranked_anchor_t *anchor_order = apr_palloc(p, sizeof(*anchor_order)
                                                  * (count + 1));
    apr_size_t anchor_bytes = 0;
    order_t o;

    o.order = apr_array_make(p, count > 0 ? count : 1, sizeof(int));
    o.placed = apr_pcalloc(p, count + 1);
    o.wire = wire;
    o.bytes = 0;
    for (i = 0; i < count; i++) {
        wire[i] = tlsi_name_wire_len(sk_X509_NAME_value(list, i));
    }
    for (i = 0; preferred != NULL && i < preferred->nelts; i++) {
        int index = APR_ARRAY_IDX(preferred, i, int);

        if (index >= 0 && index < count) {
            place(&o, index);
        }
    }
    for (i = 0; i < count; i++) {
        if (h->anchor[i] && !o.placed[i]) {
            anchor_order[anchors].index = i;
            anchor_order[anchors++].reach = h->reach[i];
            anchor_bytes += wire[i];
        }
    }
    qsort(anchor_order, anchors, sizeof(*anchor_order), anchor_cmp);

    /* Learned names go first, but not at the cost of an anchor that would
     * otherwise fit: that could hide a client who presents its chain. */
    if (learned != NULL) {
        int anchors_fit = tlsi_cr_size(shape, o.bytes + anchor_bytes) <= budget;

        for (; next_learned < learned->nelts; next_learned++) {
            int index = APR_ARRAY_IDX(learned, next_learned, int);
            apr_size_t more;

            if (index < 0 || index >= count || o.placed[index]) {
                continue;
            }
            /* an anchor's bytes are counted among the anchors' already */
            more = h->anchor[index] ? 0 : wire[index];
            if (anchors_fit && tlsi_cr_size(shape, o.bytes + anchor_bytes
                                                   + more) > budget) {
                break;
            }
            if (h->anchor[index]) {
                anchor_bytes -= wire[index];
            }
            place(&o, index);
        }
    }
    for (i = 0; i < anchors; i++) {
        place(&o, anchor_order[i].index);
    }
    for (; learned != NULL && next_learned < learned->nelts; next_learned++) {
        int index = APR_ARRAY_IDX(learned, next_learned, int);

        if (index >= 0 && index < count) {
            place(&o, index);
        }
    }
    for (i = 0; i < count; i++) {
        place(&o, i);
    }
    return o.order;
}

const int *tlsi_cover_rank(apr_pool_t *p, const apr_array_header_t *order)
{
    int *rank = apr_pcalloc(p, sizeof(*rank) * (order->nelts + 1));
    int i;

    for (i = 0; i < order->nelts; i++) {
        int index = APR_ARRAY_IDX(order, i, int);

        if (index >= 0 && index < order->nelts) {
            rank[index] = i;
        }
    }
    return rank;
}

int tlsi_cover_kept_of(apr_pool_t *p, const apr_array_header_t *order,
                       int kept, const apr_array_header_t *picked, int count)
{
    char *is_picked = apr_pcalloc(p, count + 1);
    int i, n = 0;

    for (i = 0; i < picked->nelts; i++) {
        int index = APR_ARRAY_IDX(picked, i, int);

        if (index >= 0 && index < count) {
            is_picked[index] = 1;
        }
    }
    for (i = 0; i < kept && i < order->nelts; i++) {
        int index = APR_ARRAY_IDX(order, i, int);

        n += index >= 0 && index < count && is_picked[index];
    }
    return n;
}

X509_STORE *tlsi_client_trust_store(SSL_CTX *ctx)
{
    X509_STORE *store = NULL;

    SSL_CTX_get0_verify_cert_store(ctx, &store);
    return store != NULL ? store : SSL_CTX_get_cert_store(ctx);
}
