/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Which CAs an advertised list covers, and the priority order of names. */

#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509_vfy.h>

#include "tlsi_calist.h"
#include "tlsi_cover.h"
#include "tlsi_cover_layout.h"
#include "tlsi_test.h"
#include "tlsi_testcerts.h"

static const tlsi_cr_shape_t shape = { 1, 3, 20, 1, 16, 0 };

#define COUNT_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* A name whose common name is padded to len characters, so that a test
 * knows which names are larger than others. */
static X509_NAME *sized_name(int index, int len)
{
    X509_NAME *name = X509_NAME_new();
    char cn[256];
    int n = snprintf(cn, sizeof(cn), "CA %d ", index);

    while (n < len && n < (int)sizeof(cn) - 1) {
        cn[n++] = 'x';
    }
    cn[n] = '\0';
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    return name;
}

/* count names of len characters each */
static STACK_OF(X509_NAME) *names_of(int count, int len)
{
    STACK_OF(X509_NAME) *names = sk_X509_NAME_new_null();
    int i;

    for (i = 0; i < count; i++) {
        sk_X509_NAME_push(names, sized_name(i, len));
    }
    return names;
}

static void free_names(STACK_OF(X509_NAME) *names)
{
    sk_X509_NAME_pop_free(names, X509_NAME_free);
}

/* Whether tlsi_hierarchy_finish() made CA index an anchor (the layout is
 * the core's; production reads it only inside tlsi_cover.c). */
static int is_anchor(const tlsi_hierarchy_t *h, int index)
{
    return index >= 0 && index < h->count && h->anchor[index];
}

/* A finished hierarchy from { child, issuer } pairs. */
static tlsi_hierarchy_t *build(apr_pool_t *p, int count, const int (*edges)[2],
                               int nedges)
{
    tlsi_hierarchy_t *h = tlsi_hierarchy_make(p, count);
    int i;

    for (i = 0; i < nedges; i++) {
        tlsi_hierarchy_add_issuer(h, edges[i][0], edges[i][1]);
    }
    tlsi_hierarchy_finish(h);
    return h;
}

static apr_array_header_t *ints(apr_pool_t *p, const int *values, int count)
{
    apr_array_header_t *a = apr_array_make(p, count + 1, sizeof(int));
    int i;

    for (i = 0; i < count; i++) {
        APR_ARRAY_PUSH(a, int) = values[i];
    }
    return a;
}

static void print_ints(const char *what, const int *v, int n)
{
    int i;

    fprintf(stderr, "    %s:", what);
    for (i = 0; i < n; i++) {
        fprintf(stderr, " %d", v[i]);
    }
    fprintf(stderr, "\n");
}

/* Whether order is exactly expected; prints both when not. */
static int same_order(const apr_array_header_t *order, const int *expected,
                      int count)
{
    int i;

    for (i = 0; i < count && order->nelts == count; i++) {
        if (APR_ARRAY_IDX(order, i, int) != expected[i]) {
            break;
        }
    }
    if (order->nelts == count && i == count) {
        return 1;
    }
    print_ints("order   ", (const int *)order->elts, order->nelts);
    print_ints("expected", expected, count);
    return 0;
}

static int is_permutation(const apr_array_header_t *order, int count)
{
    char seen[256] = { 0 };
    int i;

    if (order->nelts != count || count > (int)sizeof(seen)) {
        return 0;
    }
    for (i = 0; i < count; i++) {
        int index = APR_ARRAY_IDX(order, i, int);

        if (index < 0 || index >= count || seen[index]) {
            return 0;
        }
        seen[index] = 1;
    }
    return 1;
}

static int anchor_mask(const tlsi_hierarchy_t *h)
{
    int i, mask = 0;

    for (i = 0; i < tlsi_hierarchy_count(h) && i < 30; i++) {
        mask |= is_anchor(h, i) << i;
    }
    return mask;
}

/* -- anchors -------------------------------------------------------------- */

static void anchors_are_what_only_their_own_name_covers(apr_pool_t *p)
{
    /* 0 self-signed, 1 issued outside the list, 2 no certificate, 3 and 4
     * issued by 0, 4 also self-signed (a root cross-signed by 0), 5 issued
     * by 3 and by a CA outside the list */
    static const int edges[][2] = {
        { 0, 0 }, { 1, -1 }, { 3, 0 }, { 4, 0 }, { 4, 4 }, { 5, 3 }, { 5, -1 }
    };
    tlsi_hierarchy_t *h = build(p, 6, edges, COUNT_OF(edges));

    CHECK_EQ(tlsi_hierarchy_count(h), 6);
    CHECK_EQ(anchor_mask(h), 1 << 0 | 1 << 1 | 1 << 2 | 1 << 4 | 1 << 5);
    CHECK(!is_anchor(h, -1));
    CHECK(!is_anchor(h, 6));

    /* out-of-range children are ignored, and a negative count is none */
    tlsi_hierarchy_add_issuer(h, 6, 0);
    tlsi_hierarchy_add_issuer(h, -1, 0);
    CHECK_EQ(tlsi_hierarchy_count(tlsi_hierarchy_make(p, -3)), 0);
}

/* Cross-certified CAs with no way out: the cycle's first member in list
 * order is its anchor, and nothing else becomes one. */
static void a_cycle_gets_its_first_member_as_anchor(apr_pool_t *p)
{
    /* 0 and 1 issue each other; 2 is under 0 */
    static const int pair[][2] = { { 0, 1 }, { 1, 0 }, { 2, 0 } };
    /* 0 is under the cycle 2 -> 3 -> 1 -> 2, listed before it; 4 is a
     * root of its own */
    static const int ring[][2] = {
        { 0, 1 }, { 2, 1 }, { 3, 2 }, { 1, 3 }, { 4, 4 }
    };
    /* two separate cycles, 1 <-> 3 and 2 <-> 4, below both 0 */
    static const int two[][2] = {
        { 0, 3 }, { 0, 4 }, { 1, 3 }, { 3, 1 }, { 2, 4 }, { 4, 2 }
    };
    tlsi_hierarchy_t *h;
    tlsi_coverage_t totals;
    char advertised[5];

    h = build(p, 3, pair, COUNT_OF(pair));
    CHECK_EQ(anchor_mask(h), 1 << 0);

    h = build(p, 5, ring, COUNT_OF(ring));
    CHECK_EQ(anchor_mask(h), 1 << 1 | 1 << 4);
    memset(advertised, 0, sizeof(advertised));
    advertised[1] = advertised[4] = 1;
    tlsi_hierarchy_coverage(h, advertised, NULL, &totals);
    CHECK_EQ(totals.none, 0);

    h = build(p, 5, two, COUNT_OF(two));
    CHECK_EQ(anchor_mask(h), 1 << 1 | 1 << 2);
}

/* -- coverage ------------------------------------------------------------- */

/* Roots R1 (0) and R2 (1); I1 (2) under R1, I2 (3) under R2; S (4) under
 * I1; X (5) issued by both R1 and R2. */
static const int tree[][2] = {
    { 0, 0 }, { 1, 1 }, { 2, 0 }, { 3, 1 }, { 4, 2 }, { 5, 0 }, { 5, 1 }
};

static void check_coverage(const tlsi_hierarchy_t *h, const char *advertise,
                           const char *expected, int own, int ancestor,
                           int none)
{
    char advertised[6], state[6];
    tlsi_coverage_t totals, again;
    int i;

    for (i = 0; i < 6; i++) {
        advertised[i] = advertise[i] == '1';
    }
    memset(state, 9, sizeof(state));
    tlsi_hierarchy_coverage(h, advertised, state, &totals);
    CHECK_EQ(totals.own, own);
    CHECK_EQ(totals.ancestor, ancestor);
    CHECK_EQ(totals.none, none);
    for (i = 0; i < 6; i++) {
        if (state[i] != expected[i] - '0') {
            fprintf(stderr, "    advertised %s: CA %d is %d, expected %c\n",
                    advertise, i, state[i], expected[i]);
            tlsi_test_failed_here = 1;
        }
    }
    /* the totals do not depend on whether the states are wanted */
    tlsi_hierarchy_coverage(h, advertised, NULL, &again);
    CHECK(memcmp(&totals, &again, sizeof(totals)) == 0);
}

static void coverage_counts_own_ancestor_and_none(apr_pool_t *p)
{
    tlsi_hierarchy_t *h = build(p, 6, tree, COUNT_OF(tree));

    CHECK_EQ(anchor_mask(h), 1 << 0 | 1 << 1);
    /*                   R1 R2 I1 I2 S  X */
    check_coverage(h, "000000", "000000", 0, 0, 6);
    /* X has an issuer that is not advertised: not covered */
    check_coverage(h, "100000", "102020", 1, 2, 3);
    check_coverage(h, "010000", "010200", 1, 1, 4);
    check_coverage(h, "110000", "112222", 2, 4, 0);
    /* an intermediate covers what is under it, not its issuer */
    check_coverage(h, "001000", "001020", 1, 1, 4);
    check_coverage(h, "000001", "000001", 1, 0, 5);
    check_coverage(h, "111111", "111111", 6, 0, 0);
}

/* -- the priority order --------------------------------------------------- */

static void preferred_lead_in_their_order(apr_pool_t *p)
{
    STACK_OF(X509_NAME) *names = names_of(6, 20);
    tlsi_hierarchy_t *h = build(p, 6, tree, COUNT_OF(tree));
    /* out of range and repeated indices are skipped */
    static const int prefer[] = { 4, 7, 2, -1, 4, 5 };
    static const int expected[] = { 4, 2, 5, 0, 1, 3 };
    apr_array_header_t *order;

    order = tlsi_cover_order(p, h, names, ints(p, prefer, COUNT_OF(prefer)),
                             NULL, &shape, 16384);
    CHECK(same_order(order, expected, 6));
    free_names(names);
}

/* Anchors by the CAs they cover, most first, ties in list order; then the
 * rest in list order. */
static void anchors_lead_by_reach(apr_pool_t *p)
{
    /* 0 root, alone; 1 under 2; 2 root over 1 and 4; 3 root over 5;
     * 6 root over 7 (ties with 3); 8 root, also cross-signed by 0, over 9,
     * 10 and 11: 0 does not cover them, 8 is an anchor of its own */
    static const int edges[][2] = {
        { 0, 0 }, { 1, 2 }, { 2, 2 }, { 3, 3 }, { 4, 2 }, { 5, 3 }, { 6, 6 },
        { 7, 6 }, { 8, 8 }, { 8, 0 }, { 9, 8 }, { 10, 8 }, { 11, 8 }
    };
    static const int expected[] = { 8, 2, 3, 6, 0, 1, 4, 5, 7, 9, 10, 11 };
    STACK_OF(X509_NAME) *names = names_of(12, 20);
    tlsi_hierarchy_t *h = build(p, 12, edges, COUNT_OF(edges));
    apr_array_header_t *order;

    CHECK_EQ(anchor_mask(h), 1 << 0 | 1 << 2 | 1 << 3 | 1 << 6 | 1 << 8);
    order = tlsi_cover_order(p, h, names, NULL, NULL, &shape, 16384);
    CHECK(same_order(order, expected, 12));
    free_names(names);
}

/* Self-signed roots only, or no certificates at all: mod_ssl's order. */
static void flat_list_keeps_list_order(apr_pool_t *p)
{
    STACK_OF(X509_NAME) *names = sk_X509_NAME_new_null();
    tlsi_hierarchy_t *flat = tlsi_hierarchy_make(p, 40);
    tlsi_hierarchy_t *bare = tlsi_hierarchy_make(p, 40);
    int expected[40], i;

    for (i = 0; i < 40; i++) {
        /* sizes that vary, so no order by size could pass */
        sk_X509_NAME_push(names, sized_name(i, 10 + (i * 37) % 90));
        tlsi_hierarchy_add_issuer(flat, i, i);
        expected[i] = i;
    }
    tlsi_hierarchy_finish(flat);
    tlsi_hierarchy_finish(bare);
    CHECK(same_order(tlsi_cover_order(p, flat, names, NULL, NULL, &shape,
                                      16384), expected, 40));
    CHECK(same_order(tlsi_cover_order(p, bare, names, NULL, NULL, &shape,
                                      200), expected, 40));
    free_names(names);
}

/* Roots 0 and 1 (larger names); intermediates 2 and 4 under 0, 3 under
 * 1.  Anchors in order: 0 (covers 3 CAs), 1. */
static const int learned_tree[][2] = {
    { 0, 0 }, { 1, 1 }, { 2, 0 }, { 3, 1 }, { 4, 0 }
};

static STACK_OF(X509_NAME) *learned_names(apr_size_t *wire)
{
    static const int lens[] = { 60, 60, 30, 30, 30 };
    STACK_OF(X509_NAME) *names = sk_X509_NAME_new_null();
    int i;

    for (i = 0; i < 5; i++) {
        sk_X509_NAME_push(names, sized_name(i, lens[i]));
        wire[i] = tlsi_name_wire_len(sk_X509_NAME_value(names, i));
    }
    return names;
}

static void learned_lead_while_the_anchors_fit(apr_pool_t *p)
{
    apr_size_t wire[5], anchors;
    STACK_OF(X509_NAME) *names = learned_names(wire);
    tlsi_hierarchy_t *h = build(p, 5, learned_tree, COUNT_OF(learned_tree));
    static const int learned[] = { 3, 4, 2 };
    /* room for the anchors and one learned name */
    static const int one[] = { 3, 0, 1, 4, 2 };
    /* no room beside the anchors */
    static const int none[] = { 0, 1, 3, 4, 2 };
    /* room for all */
    static const int all[] = { 3, 4, 2, 0, 1 };
    apr_array_header_t *l = ints(p, learned, 3);

    anchors = wire[0] + wire[1];
    CHECK(same_order(tlsi_cover_order(p, h, names, NULL, l, &shape,
                                      tlsi_cr_size(&shape, anchors + wire[3])),
                     one, 5));
    CHECK(same_order(tlsi_cover_order(p, h, names, NULL, l, &shape,
                                      tlsi_cr_size(&shape, anchors + wire[3])
                                      - 1), none, 5));
    CHECK(same_order(tlsi_cover_order(p, h, names, NULL, l, &shape,
                                      tlsi_cr_size(&shape, anchors)), none,
                     5));
    CHECK(same_order(tlsi_cover_order(p, h, names, NULL, l, &shape,
                                      tlsi_cr_size(&shape, anchors + wire[2]
                                                   + wire[3] + wire[4])),
                     all, 5));
    free_names(names);
}

/* The anchors fit only after the preferred names: those count too. */
static void learned_after_preferred_within_the_budget(apr_pool_t *p)
{
    apr_size_t wire[5];
    STACK_OF(X509_NAME) *names = learned_names(wire);
    tlsi_hierarchy_t *h = build(p, 5, learned_tree, COUNT_OF(learned_tree));
    static const int prefer[] = { 2 };
    static const int learned[] = { 3, 4 };
    static const int expected[] = { 2, 3, 0, 1, 4 };

    CHECK(same_order(tlsi_cover_order(p, h, names, ints(p, prefer, 1),
                                      ints(p, learned, 2), &shape,
                                      tlsi_cr_size(&shape, wire[2] + wire[0]
                                                   + wire[1] + wire[3])),
                     expected, 5));
    free_names(names);
}

/* A learned name that is an anchor takes no room beyond the anchors'. */
static void learned_anchor_counts_once(apr_pool_t *p)
{
    apr_size_t wire[5];
    STACK_OF(X509_NAME) *names = learned_names(wire);
    tlsi_hierarchy_t *h = build(p, 5, learned_tree, COUNT_OF(learned_tree));
    static const int learned[] = { 0, 3, 4 };
    static const int expected[] = { 0, 3, 1, 4, 2 };

    CHECK(same_order(tlsi_cover_order(p, h, names, NULL, ints(p, learned, 3),
                                      &shape,
                                      tlsi_cr_size(&shape, wire[0] + wire[1]
                                                   + wire[3])),
                     expected, 5));
    free_names(names);
}

static void learned_all_lead_when_the_anchors_cannot_fit(apr_pool_t *p)
{
    apr_size_t wire[5];
    STACK_OF(X509_NAME) *names = learned_names(wire);
    tlsi_hierarchy_t *h = build(p, 5, learned_tree, COUNT_OF(learned_tree));
    /* out of range and repeated indices are skipped */
    static const int learned[] = { 3, 9, 4, -2, 3, 2 };
    static const int expected[] = { 3, 4, 2, 0, 1 };

    CHECK(same_order(tlsi_cover_order(p, h, names, NULL,
                                      ints(p, learned, COUNT_OF(learned)),
                                      &shape,
                                      tlsi_cr_size(&shape, wire[0] + wire[1])
                                      - 1), expected, 5));
    CHECK(same_order(tlsi_cover_order(p, h, names, NULL,
                                      ints(p, learned, COUNT_OF(learned)),
                                      &shape, 0), expected, 5));
    free_names(names);
}

/* A small generator, so that the hierarchies do not depend on libc. */
static unsigned int next_random(unsigned int *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return *state;
}

/* Random hierarchies (cycles, several issuers, missing certificates),
 * preferred and learned indices (some invalid) and budgets: the order is
 * a permutation, and whenever the preferred names and the anchors fit the
 * budget, the kept prefix covers every CA. */
static void kept_prefix_covers_every_ca(apr_pool_t *p)
{
    unsigned int r = 2463534242u;
    int round, fitting = 0, tight = 0;

    for (round = 0; round < 300; round++) {
        int count = 1 + (int)(next_random(&r) % 60), i, k;
        STACK_OF(X509_NAME) *names = sk_X509_NAME_new_null();
        tlsi_hierarchy_t *h = tlsi_hierarchy_make(p, count);
        apr_array_header_t *prefer = apr_array_make(p, 4, sizeof(int));
        apr_array_header_t *learned = apr_array_make(p, 8, sizeof(int));
        apr_array_header_t *order;
        const tlsi_calist_t *kept;
        char advertised[64], must[64];
        apr_size_t must_bytes = 0, budget;
        tlsi_coverage_t totals;
        long slack;

        for (i = 0; i < count; i++) {
            int certs = (int)(next_random(&r) % 3), c;

            sk_X509_NAME_push(names, sized_name(i, 8 + (int)(next_random(&r)
                                                             % 80)));
            for (c = 0; c < certs; c++) {
                unsigned int pick = next_random(&r) % 10;
                int issuer;

                if (pick == 0) {
                    issuer = -1;
                }
                else if (pick == 1) {
                    issuer = i;
                }
                else if (pick < 8 && i > 0) {
                    issuer = (int)(next_random(&r) % (unsigned int)i);
                }
                else {
                    issuer = (int)(next_random(&r) % (unsigned int)count);
                }
                tlsi_hierarchy_add_issuer(h, i, issuer);
            }
        }
        tlsi_hierarchy_finish(h);
        for (i = (int)(next_random(&r) % 4); i > 0; i--) {
            APR_ARRAY_PUSH(prefer, int) = (int)(next_random(&r) % 70) - 3;
        }
        for (i = (int)(next_random(&r) % 8); i > 0; i--) {
            APR_ARRAY_PUSH(learned, int) = (int)(next_random(&r) % 70) - 3;
        }

        /* every anchor advertised covers every CA */
        memset(must, 0, sizeof(must));
        for (i = 0; i < count; i++) {
            must[i] = (char)is_anchor(h, i);
        }
        tlsi_hierarchy_coverage(h, must, NULL, &totals);
        CHECK_EQ(totals.none, 0);

        for (i = 0; i < prefer->nelts; i++) {
            int index = APR_ARRAY_IDX(prefer, i, int);

            if (index >= 0 && index < count) {
                must[index] = 1;
            }
        }
        for (i = 0; i < count; i++) {
            must_bytes += must[i] ? tlsi_name_wire_len(sk_X509_NAME_value(
                                                           names, i)) : 0;
        }
        /* from well below what they need to well above */
        slack = (long)(next_random(&r) % 400) - 150;
        budget = (long)tlsi_cr_size(&shape, must_bytes) + slack > 0
                 ? tlsi_cr_size(&shape, must_bytes) + slack : 0;

        order = tlsi_cover_order(p, h, names, prefer, learned, &shape, budget);
        CHECK(is_permutation(order, count));
        kept = tlsi_calist_arrange(p, names, order);
        k = tlsi_calist_fit(kept, &shape, budget);
        memset(advertised, 0, sizeof(advertised));
        for (i = 0; i < k; i++) {
            CHECK(kept->names[i]
                  == sk_X509_NAME_value(names, APR_ARRAY_IDX(order, i, int)));
            advertised[APR_ARRAY_IDX(order, i, int)] = 1;
        }
        if (tlsi_cr_size(&shape, must_bytes) <= budget) {
            fitting++;
            tight += k < count;
            tlsi_hierarchy_coverage(h, advertised, NULL, &totals);
            if (totals.none != 0) {
                fprintf(stderr, "    round %d: %d of %d CAs uncovered\n",
                        round, totals.none, count);
                tlsi_test_failed_here = 1;
            }
        }
        free_names(names);
    }
    /* the cases that matter happened: anchors fit, and names were cut */
    CHECK(fitting > 50);
    CHECK(tight > 25);
}

/* -- from a trust store --------------------------------------------------- */

static X509_NAME *cn_name(const char *cn)
{
    X509_NAME *name = X509_NAME_new();

    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    return name;
}

static void store_add(X509_STORE *store, const X509_NAME *subject,
                      const X509_NAME *issuer)
{
    X509 *cert = test_cert(subject, issuer);

    X509_STORE_add_cert(store, cert);
    X509_free(cert);
}

static void hierarchy_from_a_trust_store(apr_pool_t *p)
{
    /* the list: 0 intermediate I under R; 1 root R; 2 intermediate C
     * cross-signed by R and R2; 3 root R2; 4 a name without certificate;
     * 5 D, issued by X, which the store holds but the list does not;
     * 6 root R3, also cross-signed by R */
    static const char *const cns[] = {
        "Intermediate I", "Root R", "Intermediate C", "Root R2",
        "No certificate N", "Intermediate D", "Root R3"
    };
    static const int expected[] = { 1, 3, 4, 5, 6, 0, 2 };
    STACK_OF(X509_NAME) *list = sk_X509_NAME_new_null();
    X509_NAME *x = cn_name("Outside X");
    X509_STORE *store = X509_STORE_new();
    const tlsi_hierarchy_t *h;
    char advertised[7], state[7];
    tlsi_coverage_t totals;
    int i;

    for (i = 0; i < 7; i++) {
        sk_X509_NAME_push(list, cn_name(cns[i]));
    }
#define NAME(i) sk_X509_NAME_value(list, (i))
    store_add(store, NAME(0), NAME(1));
    store_add(store, NAME(1), NAME(1));
    store_add(store, NAME(2), NAME(1));
    store_add(store, NAME(2), NAME(3));
    store_add(store, NAME(3), NAME(3));
    store_add(store, NAME(5), x);
    store_add(store, x, x);
    store_add(store, NAME(6), NAME(6));
    store_add(store, NAME(6), NAME(1));
#undef NAME

    h = tlsi_hierarchy_from_store(p, list, tlsi_namemap_make(p, list), store);
    CHECK_EQ(tlsi_hierarchy_count(h), 7);
    CHECK_EQ(anchor_mask(h), 1 << 1 | 1 << 3 | 1 << 4 | 1 << 5 | 1 << 6);

    /* C needs both of its issuers */
    memset(advertised, 0, sizeof(advertised));
    advertised[1] = 1;
    tlsi_hierarchy_coverage(h, advertised, state, &totals);
    CHECK_EQ(state[0], TLSI_COVER_ANCESTOR);
    CHECK_EQ(state[2], TLSI_COVER_NONE);
    CHECK_EQ(state[6], TLSI_COVER_NONE);
    CHECK_EQ(totals.own, 1);
    CHECK_EQ(totals.ancestor, 1);
    advertised[3] = 1;
    tlsi_hierarchy_coverage(h, advertised, state, &totals);
    CHECK_EQ(state[2], TLSI_COVER_ANCESTOR);
    CHECK_EQ(totals.ancestor, 2);

    /* R covers I and C, R2 covers C: R, R2, then the rest in list order */
    CHECK(same_order(tlsi_cover_order(p, h, list, NULL, NULL, &shape, 16384),
                     expected, 7));

    /* no store: every name is an anchor */
    h = tlsi_hierarchy_from_store(p, list, tlsi_namemap_make(p, list), NULL);
    CHECK_EQ(anchor_mask(h), 0x7f);

    X509_STORE_free(store);
    X509_NAME_free(x);
    free_names(list);
}

static void rank_and_kept_counts(apr_pool_t *p)
{
    apr_array_header_t *order = apr_array_make(p, 5, sizeof(int));
    apr_array_header_t *picked = apr_array_make(p, 2, sizeof(int));
    static const int perm[] = { 3, 0, 4, 1, 2 };
    const int *rank;
    int i;

    for (i = 0; i < 5; i++) {
        APR_ARRAY_PUSH(order, int) = perm[i];
    }
    rank = tlsi_cover_rank(p, order);
    for (i = 0; i < 5; i++) {
        CHECK_EQ(rank[perm[i]], i);
    }
    APR_ARRAY_PUSH(picked, int) = 4;
    APR_ARRAY_PUSH(picked, int) = 2;
    CHECK_EQ(tlsi_cover_kept_of(p, order, 0, picked, 5), 0);
    CHECK_EQ(tlsi_cover_kept_of(p, order, 2, picked, 5), 0);
    CHECK_EQ(tlsi_cover_kept_of(p, order, 3, picked, 5), 1);
    CHECK_EQ(tlsi_cover_kept_of(p, order, 5, picked, 5), 2);
    CHECK_EQ(tlsi_cover_kept_of(p, order, 9, picked, 5), 2);
}

int main(void)
{
    apr_pool_t *pool = tlsi_test_init();

    TLSI_RUN(anchors_are_what_only_their_own_name_covers, pool);
    TLSI_RUN(a_cycle_gets_its_first_member_as_anchor, pool);
    TLSI_RUN(coverage_counts_own_ancestor_and_none, pool);
    TLSI_RUN(preferred_lead_in_their_order, pool);
    TLSI_RUN(anchors_lead_by_reach, pool);
    TLSI_RUN(flat_list_keeps_list_order, pool);
    TLSI_RUN(learned_lead_while_the_anchors_fit, pool);
    TLSI_RUN(learned_after_preferred_within_the_budget, pool);
    TLSI_RUN(learned_anchor_counts_once, pool);
    TLSI_RUN(learned_all_lead_when_the_anchors_cannot_fit, pool);
    TLSI_RUN(kept_prefix_covers_every_ca, pool);
    TLSI_RUN(hierarchy_from_a_trust_store, pool);
    TLSI_RUN(rank_and_kept_counts, pool);
    return tlsi_test_done("test_cover");
}
