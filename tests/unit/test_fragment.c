/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Fitting the CA list to a negotiated max_fragment_length, in real
 * in-memory handshakes. */

#include <string.h>

#include "tlsi_fragment.h"
#include "tlsi_loopback.h"
#include "tlsi_test.h"
#include "tlsi_testnames.h"

static const int versions[] = { TLS1_2_VERSION, TLS1_3_VERSION };

static int fit_callback(SSL *ssl, void *arg)
{
    return tlsi_fragment_fit_connection(arg, ssl) >= 0;
}

/* What the server sent, parsed. */
static int handshake(tlsi_loopback_cfg_t *cfg, const STACK_OF(X509_NAME) *names,
                     int version, int code, apr_pool_t *p,
                     tlsi_cr_info_t *info)
{
    unsigned char *msg;
    apr_size_t len;
    const char *err;

    return tlsi_loopback_message(cfg, version, names, SSL3_MT_CERTIFICATE_REQUEST,
                              code, p, &msg, &len, &err)
           && tlsi_cr_parse(msg, len, version == TLS1_3_VERSION, info);
}

/* The largest CertificateRequest OpenSSL builds with the first k names of
 * order, as a budget counts it: TLS 1.2's, or TLS 1.3's post-handshake one
 * (the handshake's plus its 32-byte context). */
static apr_size_t measured_size(apr_pool_t *p, const tlsi_calist_t *order,
                                int k)
{
    STACK_OF(X509_NAME) *first = tlsi_calist_copy(order, k);
    tlsi_loopback_cfg_t plain = { .security_level = 2 };
    apr_size_t largest = 0;
    int v;

    for (v = 0; v < 2; v++) {
        tlsi_cr_info_t info;

        if (!handshake(&plain, first, versions[v], 0, p, &info)) {
            CHECK(!"handshake failed");
            continue;
        }
        if (versions[v] == TLS1_3_VERSION) {
            info.msg_len += TLSI_PHA_CONTEXT_LEN;
        }
        largest = info.msg_len > largest ? info.msg_len : largest;
    }
    sk_X509_NAME_pop_free(first, X509_NAME_free);
    return largest;
}

static void lists_fit_each_length_and_version(apr_pool_t *p)
{
    STACK_OF(X509_NAME) *names = test_names(60, 11);
    tlsi_calist_t *order = test_order(p, names, NULL, NULL, NULL);
    tlsi_loopback_cfg_t cfg = { .security_level = 2 };
    tlsi_fragment_fit_t fit;
    tlsi_cr_shape_t shape;
    const char *err;
    unsigned int code;
    int v;

    CHECK(tlsi_loopback_shape(&cfg, p, &shape, &err));
    CHECK(tlsi_fragment_fit_prepare(&fit, order, &shape) == 1);
    cfg.cert_cb = fit_callback;
    cfg.cert_cb_arg = &fit;
    for (v = 0; v < 2; v++) {
        tlsi_cr_info_t info;

        /* No extension: the whole list. */
        CHECK(handshake(&cfg, names, versions[v], 0, p, &info));
        CHECK_EQ(info.ca_names, 60);
        for (code = 1; code <= TLSI_FRAGMENT_CODES; code++) {
            apr_size_t limit = TLSI_FRAGMENT_BYTES(code);
            int kept = fit.kept[code - 1];

            if (!handshake(&cfg, names, versions[v], (int)code, p, &info)) {
                CHECK(!"handshake failed");
                continue;
            }
            CHECK_EQ(info.ca_names, kept);
            CHECK(info.msg_len <= limit);
            /* As many names as fit in both versions: with the next, the
             * request OpenSSL really builds would not (measured, not the
             * model's figure). */
            CHECK(kept < 60 && measured_size(p, order, kept + 1) > limit);
        }
    }
    /* Connections got copies: the vhost's names are all still there. */
    CHECK_EQ(sk_X509_NAME_num(names), 60);
    CHECK(X509_NAME_cmp(order->names[0], sk_X509_NAME_value(names, 0)) == 0);
    sk_X509_NAME_pop_free(names, X509_NAME_free);
}

/* A length that holds no name at all must not let another list through. */
static void an_empty_fit_sends_no_names(apr_pool_t *p)
{
    STACK_OF(X509_NAME) *names = sk_X509_NAME_new_null();
    tlsi_calist_t *order;
    tlsi_loopback_cfg_t cfg = { .security_level = 2 };
    tlsi_fragment_fit_t fit;
    tlsi_cr_shape_t shape;
    tlsi_cr_info_t info;
    const char *err;
    char unit[61];
    int i;

    /* A name of about 650 bytes: ten OUs at X.520's 64-character bound. */
    memset(unit, 'x', sizeof(unit) - 1);
    unit[sizeof(unit) - 1] = '\0';
    sk_X509_NAME_push(names, X509_NAME_new());
    for (i = 0; i < 10; i++) {
        CHECK(X509_NAME_add_entry_by_txt(sk_X509_NAME_value(names, 0), "OU",
                                         MBSTRING_ASC,
                                         (const unsigned char *)unit, -1, -1,
                                         0));
    }
    order = test_order(p, names, NULL, NULL, NULL);
    CHECK(tlsi_loopback_shape(&cfg, p, &shape, &err));
    CHECK(tlsi_fragment_fit_prepare(&fit, order, &shape) == 1);
    CHECK_EQ(fit.kept[0], 0);
    cfg.cert_cb = fit_callback;
    cfg.cert_cb_arg = &fit;
    CHECK(handshake(&cfg, names, TLS1_2_VERSION, TLSEXT_max_fragment_length_512,
                    p, &info));
    CHECK_EQ(info.ca_names, 0);
    sk_X509_NAME_pop_free(names, X509_NAME_free);
}

static void short_list_needs_no_callback(apr_pool_t *p)
{
    STACK_OF(X509_NAME) *names = test_names(1, 3);
    tlsi_calist_t *order = test_order(p, names, NULL, NULL, NULL);
    tlsi_cr_shape_t shape = { 1, 3, 20, 1, 16, 0 };
    tlsi_fragment_fit_t fit;

    CHECK(tlsi_fragment_fit_prepare(&fit, order, &shape) == 0);
    sk_X509_NAME_pop_free(names, X509_NAME_free);
}

int main(void)
{
    apr_pool_t *pool = tlsi_test_init();

    TLSI_RUN(lists_fit_each_length_and_version, pool);
    TLSI_RUN(an_empty_fit_sends_no_names, pool);
    TLSI_RUN(short_list_needs_no_callback, pool);
    return tlsi_test_done("test_fragment");
}
