/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Priority order and trimming of the advertised CA names. */

#include <string.h>

#include "tlsi_calist.h"
#include "tlsi_ossl.h"
#include "tlsi_test.h"
#include "tlsi_testnames.h"

static const tlsi_cr_shape_t shape = { 1, 3, 20, 1, 16, 0 };

static apr_array_header_t *prefer_of(apr_pool_t *p, const X509_NAME **names,
                                     int count)
{
    apr_array_header_t *prefer = apr_array_make(p, count, sizeof(X509_NAME *));
    int i;

    for (i = 0; i < count; i++) {
        APR_ARRAY_PUSH(prefer, const X509_NAME *) = names[i];
    }
    return prefer;
}

static void order_without_prefer_is_list_order(apr_pool_t *p)
{
    STACK_OF(X509_NAME) *names = test_names(20, 1);
    tlsi_calist_t *order = tlsi_calist_arrange(p, names, NULL);
    apr_size_t sum = 0;
    int i;

    CHECK(order != NULL);
    CHECK_EQ(order->count, 20);
    CHECK_EQ(order->wire_sum[0], 0);
    for (i = 0; i < 20; i++) {
        CHECK(order->names[i] == sk_X509_NAME_value(names, i));
        sum += tlsi_name_wire_len(sk_X509_NAME_value(names, i));
        CHECK_EQ(order->wire_sum[i + 1], sum);
    }
    sk_X509_NAME_pop_free(names, X509_NAME_free);
}

static void preferred_subjects_lead_in_file_order(apr_pool_t *p)
{
    STACK_OF(X509_NAME) *names = test_names(10, 2);
    X509_NAME *stranger = test_name(99, 999);
    /* the 8th and 3rd names, a stranger, then the 8th again */
    const X509_NAME *wanted[] = {
        sk_X509_NAME_value(names, 7), sk_X509_NAME_value(names, 2), stranger,
        sk_X509_NAME_value(names, 7)
    };
    apr_array_header_t *unmatched = apr_array_make(p, 1, sizeof(X509_NAME *));
    int lead;
    tlsi_calist_t *order = test_order(p, names, prefer_of(p, wanted, 4),
                                      unmatched, &lead);
    static const int expected[] = { 7, 2, 0, 1, 3, 4, 5, 6, 8, 9 };
    int i;

    CHECK_EQ(order->count, 10);
    CHECK_EQ(lead, 2);
    for (i = 0; i < 10; i++) {
        CHECK(order->names[i] == sk_X509_NAME_value(names, expected[i]));
    }
    /* The stranger is reported; the repeated subject is not. */
    CHECK_EQ(unmatched->nelts, 1);
    CHECK(APR_ARRAY_IDX(unmatched, 0, const X509_NAME *) == stranger);
    X509_NAME_free(stranger);
    sk_X509_NAME_pop_free(names, X509_NAME_free);
}

/* Names compare as X.509 does: PrintableString and UTF8String spellings
 * of one name are the same CA. */
static void preferred_matching_ignores_string_type(apr_pool_t *p)
{
    STACK_OF(X509_NAME) *names = sk_X509_NAME_new_null();
    X509_NAME *printable = X509_NAME_new(), *utf8 = X509_NAME_new();
    const X509_NAME *wanted[1];
    tlsi_calist_t *order;
    int lead;

    X509_NAME_add_entry_by_NID(printable, NID_commonName, V_ASN1_PRINTABLESTRING,
                               (const unsigned char *)"Same CA", -1, -1, 0);
    X509_NAME_add_entry_by_NID(utf8, NID_commonName, V_ASN1_UTF8STRING,
                               (const unsigned char *)"Same CA", -1, -1, 0);
    sk_X509_NAME_push(names, test_name(1, 1));
    sk_X509_NAME_push(names, printable);
    wanted[0] = utf8;
    order = test_order(p, names, prefer_of(p, wanted, 1), NULL, &lead);
    CHECK_EQ(lead, 1);
    CHECK(order->names[0] == printable);
    X509_NAME_free(utf8);
    sk_X509_NAME_pop_free(names, X509_NAME_free);
}

/* The kept prefix fits, and one more name would not: checked against a
 * plain scan for many lists and budgets. */
static void fit_is_largest_prefix(apr_pool_t *p)
{
    unsigned int seed;

    for (seed = 0; seed < 40; seed++) {
        STACK_OF(X509_NAME) *names = test_names((int)(seed * 7 % 150), seed);
        tlsi_calist_t *order = test_order(p, names, NULL, NULL, NULL);
        apr_size_t budget;

        for (budget = 0; budget < 20000; budget += 97 + seed) {
            int k = tlsi_calist_fit(order, &shape, budget), scan = 0;

            while (scan < order->count
                   && tlsi_calist_cr_size(order, &shape, scan + 1) <= budget) {
                scan++;
            }
            CHECK_EQ(k, scan);
            if (k > 0) {
                CHECK(tlsi_calist_cr_size(order, &shape, k) <= budget);
            }
            if (k < order->count) {
                CHECK(tlsi_calist_cr_size(order, &shape, k + 1) > budget);
            }
        }
        sk_X509_NAME_pop_free(names, X509_NAME_free);
    }
}

static int list_holds(const STACK_OF(X509_NAME) *names, const X509_NAME *name)
{
    int i;

    for (i = 0; i < sk_X509_NAME_num(names); i++) {
        if (X509_NAME_cmp(sk_X509_NAME_value(names, i), name) == 0) {
            return 1;
        }
    }
    return 0;
}

/* A copy holds equal names, the first k of the order, and nothing else. */
static void copy_never_adds_a_name(apr_pool_t *p)
{
    STACK_OF(X509_NAME) *names = test_names(50, 5), *copy;
    const X509_NAME *wanted[] = { sk_X509_NAME_value(names, 49) };
    tlsi_calist_t *order = test_order(p, names, prefer_of(p, wanted, 1),
                                      NULL, NULL);
    int k = tlsi_calist_fit(order, &shape, 4096), i;

    copy = tlsi_calist_copy(order, k);
    CHECK(copy != NULL);
    CHECK_EQ(sk_X509_NAME_num(copy), k);
    CHECK(k > 1 && k < 50);
    for (i = 0; i < k; i++) {
        CHECK(X509_NAME_cmp(sk_X509_NAME_value(copy, i), order->names[i]) == 0);
        CHECK(sk_X509_NAME_value(copy, i) != order->names[i]);
        CHECK(list_holds(names, sk_X509_NAME_value(copy, i)));
    }
    CHECK(X509_NAME_cmp(sk_X509_NAME_value(copy, 0), wanted[0]) == 0);
    sk_X509_NAME_pop_free(copy, X509_NAME_free);
    copy = tlsi_calist_copy(order, 0);
    CHECK(copy != NULL && sk_X509_NAME_num(copy) == 0);
    sk_X509_NAME_pop_free(copy, X509_NAME_free);
    sk_X509_NAME_pop_free(names, X509_NAME_free);
}

static void empty_list(apr_pool_t *p)
{
    STACK_OF(X509_NAME) *names = sk_X509_NAME_new_null();
    tlsi_calist_t *order = test_order(p, names, NULL, NULL, NULL);

    CHECK_EQ(order->count, 0);
    CHECK_EQ(tlsi_calist_fit(order, &shape, 16384), 0);
    /* TLS 1.3's post-handshake request (45 + a 32-byte context) is the
     * larger: TLS 1.2's is 52 */
    CHECK_EQ(tlsi_calist_cr_size(order, &shape, 0), 45 + 32);
    sk_X509_NAME_free(names);
}

static void names_len_is_the_sum_of_wire_lengths(apr_pool_t *p)
{
    STACK_OF(X509_NAME) *names = test_names(12, 5);
    tlsi_calist_t *order = test_order(p, names, NULL, NULL, NULL);

    CHECK(order != NULL);
    CHECK_EQ(tlsi_calist_names_len(names), order->wire_sum[order->count]);
    CHECK_EQ(tlsi_calist_names_len(NULL), 0);
    sk_X509_NAME_pop_free(names, X509_NAME_free);
}

/* Which list a CertificateRequest takes: the client CA list, else the CA
 * list, none when the option says so; a connection falls back to its
 * context. */
static void the_list_openssl_sends(apr_pool_t *p)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    STACK_OF(X509_NAME) *client = test_names(3, 7), *ca = test_names(5, 8);
    SSL *ssl;

    (void)p;
    CHECK(ctx != NULL);
    CHECK(tlsi_calist_sent_by_ctx(ctx) == NULL
          || sk_X509_NAME_num(tlsi_calist_sent_by_ctx(ctx)) == 0);
    SSL_CTX_set0_CA_list(ctx, ca);
    CHECK(tlsi_calist_sent_by_ctx(ctx) == ca);
    SSL_CTX_set_client_CA_list(ctx, client);
    CHECK(tlsi_calist_sent_by_ctx(ctx) == client);
    ssl = SSL_new(ctx);
    CHECK(ssl != NULL && tlsi_calist_sent_by(ssl) == client);
    /* an empty list on the connection lets the CA list through */
    SSL_set_client_CA_list(ssl, sk_X509_NAME_new_null());
    CHECK(sk_X509_NAME_num(tlsi_calist_sent_by(ssl)) == 5);
    /* OpenSSL 1.1.1 has no such option (tlsi_ossl.h makes it 0) */
    if (SSL_OP_DISABLE_TLSEXT_CA_NAMES != 0) {
        SSL_set_options(ssl, SSL_OP_DISABLE_TLSEXT_CA_NAMES);
        CHECK(tlsi_calist_sent_by(ssl) == NULL);
        SSL_CTX_set_options(ctx, SSL_OP_DISABLE_TLSEXT_CA_NAMES);
        CHECK(tlsi_calist_sent_by_ctx(ctx) == NULL);
    }
    SSL_free(ssl);
    SSL_CTX_free(ctx);
}

int main(void)
{
    apr_pool_t *pool = tlsi_test_init();

    TLSI_RUN(order_without_prefer_is_list_order, pool);
    TLSI_RUN(preferred_subjects_lead_in_file_order, pool);
    TLSI_RUN(preferred_matching_ignores_string_type, pool);
    TLSI_RUN(fit_is_largest_prefix, pool);
    TLSI_RUN(copy_never_adds_a_name, pool);
    TLSI_RUN(empty_list, pool);
    TLSI_RUN(names_len_is_the_sum_of_wire_lengths, pool);
    TLSI_RUN(the_list_openssl_sends, pool);
    return tlsi_test_done("test_calist");
}
