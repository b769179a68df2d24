/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * Coverage and the priority order, fed random hierarchies (cycles,
 * several issuers, issuers outside the list, CAs without certificates),
 * name sizes, preferred and learned indices and budgets.  Whatever they
 * are:
 *  - a CA with a self-signed certificate, an issuer outside the list or
 *    no certificate is an anchor; any other anchor lies on a cycle;
 *  - advertising every anchor covers every CA;
 *  - coverage totals add up, and each CA's state follows from its
 *    issuers';
 *  - the order is a permutation of the list with the preferred first;
 *  - when the preferred names and the anchors fit the budget, the kept
 *    prefix holds every anchor and so covers every CA; when they cannot,
 *    the learned names come right after the preferred;
 *  - with nothing learned and no CA under another, the order is the
 *    list's after the preferred.
 *
 * Input: count (1 byte), budget (2), shape (1), count name sizes (1 each),
 * then pairs: the first byte's top two bits say what the pair is (0 and
 * 1: child (low six bits) has a certificate from issuer (second byte;
 * 255: outside the list); 2: a preferred index; 3: a learned index).
 */
#include <stdint.h>
#include <string.h>

#include <apr_tables.h>

#include "fuzz.h"
#include "tlsi_calist.h"
#include "tlsi_careq.h"
#include "tlsi_cover.h"
#include "tlsi_cover_layout.h"

#define MAX_CAS 64
#define HEADER_LEN 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the input said, to check the hierarchy against. */
typedef struct {
    int count;
    char edge[MAX_CAS][MAX_CAS];    /* edge[child][issuer] */
    char outside[MAX_CAS];
    char has_cert[MAX_CAS];
} model_t;

/* Whether tlsi_hierarchy_finish() made CA index an anchor (the layout is
 * the core's; production reads it only inside tlsi_cover.c). */
static int is_anchor(const tlsi_hierarchy_t *h, int index)
{
    return index >= 0 && index < h->count && h->anchor[index];
}

static X509_NAME *sized_name(int index, int len)
{
    X509_NAME *name = X509_NAME_new();
    char cn[160];
    int n = snprintf(cn, sizeof(cn), "CA %d ", index);

    while (n < len && n < (int)sizeof(cn) - 1) {
        cn[n++] = 'x';
    }
    cn[n] = '\0';
    if (name != NULL) {
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   (const unsigned char *)cn, -1, -1, 0);
    }
    return name;
}

static void read_shape(uint8_t b, tlsi_cr_shape_t *shape)
{
    memset(shape, 0, sizeof(*shape));
    shape->tls12_known = (b & 1) || !(b & 2);
    shape->tls13_known = (b & 2) != 0;
    shape->tls12_cert_types = 1 + (b >> 2) % 4;
    shape->tls12_sigalgs = 4 + (b >> 4);
    shape->tls13_sigalgs = 4 + (b >> 4);
    shape->tls13_other_ext = (b & 0x80) ? 40 : 0;
}

/* Whether CA i can reach itself through issuers in the list. */
static int on_cycle(const model_t *m, int i)
{
    char seen[MAX_CAS] = { 0 };
    int todo[MAX_CAS], top = 0, k;

    todo[top++] = i;
    while (top > 0) {
        int at = todo[--top];

        for (k = 0; k < m->count; k++) {
            if (!m->edge[at][k]) {
                continue;
            }
            if (k == i) {
                return 1;
            }
            if (!seen[k]) {
                seen[k] = 1;
                todo[top++] = k;
            }
        }
    }
    return 0;
}

static void check_anchors(const model_t *m, const tlsi_hierarchy_t *h)
{
    int i;

    FUZZ_CHECK(tlsi_hierarchy_count(h) == m->count);
    FUZZ_CHECK(!is_anchor(h, -1));
    FUZZ_CHECK(!is_anchor(h, m->count));
    for (i = 0; i < m->count; i++) {
        if (m->outside[i] || !m->has_cert[i]) {
            FUZZ_CHECK(is_anchor(h, i));
        }
        else if (is_anchor(h, i)) {
            FUZZ_CHECK(on_cycle(m, i));
        }
    }
}

/* The totals add up, and each CA's state follows from its issuers'. */
static void check_coverage(const model_t *m, const tlsi_hierarchy_t *h,
                           const char *advertised, tlsi_coverage_t *totals)
{
    char state[MAX_CAS + 1];
    tlsi_coverage_t again;
    int i, k, own = 0, ancestor = 0, none = 0;

    tlsi_hierarchy_coverage(h, advertised, state, totals);
    tlsi_hierarchy_coverage(h, advertised, NULL, &again);
    FUZZ_CHECK(memcmp(totals, &again, sizeof(again)) == 0);
    FUZZ_CHECK(totals->own + totals->ancestor + totals->none == m->count);
    for (i = 0; i < m->count; i++) {
        int issuers_covered = 1;

        for (k = 0; k < m->count; k++) {
            if (m->edge[i][k] && state[k] == TLSI_COVER_NONE) {
                issuers_covered = 0;
            }
        }
        switch (state[i]) {
        case TLSI_COVER_OWN:
            FUZZ_CHECK(advertised[i]);
            own++;
            break;
        case TLSI_COVER_ANCESTOR:
            FUZZ_CHECK(!advertised[i] && !is_anchor(h, i));
            FUZZ_CHECK(issuers_covered);
            ancestor++;
            break;
        case TLSI_COVER_NONE:
            FUZZ_CHECK(!advertised[i]);
            FUZZ_CHECK(is_anchor(h, i) || !issuers_covered);
            none++;
            break;
        default:
            FUZZ_CHECK(!"a state out of range");
        }
    }
    FUZZ_CHECK(own == totals->own && ancestor == totals->ancestor
               && none == totals->none);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static model_t m;
    STACK_OF(X509_NAME) *list;
    apr_array_header_t *prefer, *learned, *order;
    const tlsi_calist_t *kept;
    tlsi_hierarchy_t *h;
    tlsi_cr_shape_t shape;
    tlsi_coverage_t totals;
    char advertised[MAX_CAS + 1], placed[MAX_CAS + 1], must[MAX_CAS + 1];
    apr_size_t budget, must_bytes = 0;
    int i, k, at, anchors = 0, flat = 1, fits;
    size_t pos;
    apr_pool_t *p;

    if (size < HEADER_LEN) {
        return 0;
    }
    memset(&m, 0, sizeof(m));
    m.count = data[0] % (MAX_CAS + 1);
    budget = (apr_size_t)data[1] << 8 | data[2];
    read_shape(data[3], &shape);
    apr_pool_create(&p, fuzz_root_pool());
    list = sk_X509_NAME_new_null();
    for (i = 0; i < m.count; i++) {
        size_t from = HEADER_LEN + (size_t)i;
        X509_NAME *name = sized_name(i, from < size ? 1 + data[from] % 120
                                                    : 20);

        if (name == NULL || !sk_X509_NAME_push(list, name)) {
            X509_NAME_free(name);
            sk_X509_NAME_pop_free(list, X509_NAME_free);
            apr_pool_destroy(p);
            return 0;
        }
    }

    h = tlsi_hierarchy_make(p, m.count);
    prefer = apr_array_make(p, 4, sizeof(int));
    learned = apr_array_make(p, 4, sizeof(int));
    for (pos = HEADER_LEN + (size_t)m.count; pos + 2 <= size; pos += 2) {
        int kind = data[pos] >> 6;
        int index = m.count > 0 ? data[pos + 1] % (m.count + 8) - 4 : -1;

        if (kind >= 2) {
            APR_ARRAY_PUSH(kind == 2 ? prefer : learned, int) = index;
            continue;
        }
        if (m.count == 0) {
            continue;
        }
        i = (data[pos] & 63) % m.count;
        k = data[pos + 1] == 255 ? -1 : data[pos + 1] % m.count;
        tlsi_hierarchy_add_issuer(h, i, k);
        m.has_cert[i] = 1;
        if (k < 0 || k == i) {
            m.outside[i] = 1;
        }
        else {
            m.edge[i][k] = 1;
            flat = 0;
        }
    }
    tlsi_hierarchy_finish(h);
    check_anchors(&m, h);

    /* every anchor advertised covers every CA */
    for (i = 0; i < m.count; i++) {
        must[i] = (char)is_anchor(h, i);
        anchors += must[i];
    }
    check_coverage(&m, h, must, &totals);
    FUZZ_CHECK(totals.none == 0 && totals.own == anchors);

    /* some other set, from the input's bytes */
    for (i = 0; i < m.count; i++) {
        advertised[i] = (data[(size_t)i % size] >> (i % 8)) & 1;
    }
    check_coverage(&m, h, advertised, &totals);

    /* the order: a permutation, the preferred first */
    order = tlsi_cover_order(p, h, list, prefer, learned, &shape, budget);
    FUZZ_CHECK(order->nelts == m.count);
    memset(placed, 0, sizeof(placed));
    for (i = 0; i < order->nelts; i++) {
        int index = APR_ARRAY_IDX(order, i, int);

        FUZZ_CHECK(index >= 0 && index < m.count && !placed[index]);
        placed[index] = 1;
    }
    memset(placed, 0, sizeof(placed));
    at = 0;
    for (i = 0; i < prefer->nelts; i++) {
        int index = APR_ARRAY_IDX(prefer, i, int);

        if (index >= 0 && index < m.count && !placed[index]) {
            FUZZ_CHECK(APR_ARRAY_IDX(order, at, int) == index);
            placed[index] = 1;
            must[index] = 1;
            at++;
        }
    }
    for (i = 0; i < m.count; i++) {
        must_bytes += must[i] ? tlsi_name_wire_len(sk_X509_NAME_value(list,
                                                                      i))
                              : 0;
    }
    fits = tlsi_cr_size(&shape, must_bytes) <= budget;

    if (fits) {
        /* the kept prefix holds every anchor, and so covers every CA */
        kept = tlsi_calist_arrange(p, list, order);
        FUZZ_CHECK(kept != NULL);
        k = tlsi_calist_fit(kept, &shape, budget);
        memset(advertised, 0, sizeof(advertised));
        for (i = 0; i < k; i++) {
            FUZZ_CHECK(kept->names[i] == sk_X509_NAME_value(
                                             list, APR_ARRAY_IDX(order, i,
                                                                 int)));
            advertised[APR_ARRAY_IDX(order, i, int)] = 1;
        }
        for (i = 0; i < m.count; i++) {
            FUZZ_CHECK(!must[i] || advertised[i]);
        }
        check_coverage(&m, h, advertised, &totals);
        FUZZ_CHECK(totals.none == 0);
    }
    else {
        /* every learned name right after the preferred */
        for (i = 0; i < learned->nelts; i++) {
            int index = APR_ARRAY_IDX(learned, i, int);

            if (index >= 0 && index < m.count && !placed[index]) {
                FUZZ_CHECK(APR_ARRAY_IDX(order, at, int) == index);
                placed[index] = 1;
                at++;
            }
        }
    }

    /* nothing learned and no CA under another: the list's order */
    if (flat && learned->nelts == 0) {
        for (i = 0; i < m.count; i++) {
            if (!placed[i]) {
                FUZZ_CHECK(APR_ARRAY_IDX(order, at, int) == i);
                at++;
            }
        }
    }
    sk_X509_NAME_pop_free(list, X509_NAME_free);
    apr_pool_destroy(p);
    return 0;
}
