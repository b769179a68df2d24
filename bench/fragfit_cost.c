/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * fragfit_cost: what fitting the CA list to a negotiated max_fragment_length
 * adds to a full TLS handshake.
 *
 * Full in-memory handshakes (client and server in this process, ECDSA
 * P-256, the server requesting a client certificate, a 60-CA list) are
 * timed one by one in four set-ups, taking turns handshake by handshake so
 * that drift in the machine's speed hits all alike:
 *
 *   A  the module's certificate callback cuts the list for the connection
 *      (the client negotiates max_fragment_length 4096);
 *   B  no callback; the context already holds the cut list (same client):
 *      the same CertificateRequest, without the per-connection copy;
 *   C  the callback installed, a client without the extension: the cost
 *      every other connection pays;
 *   D  as C without the callback.
 *
 * usage: fragfit_cost [handshakes-per-set-up]
 * Prints the median handshake time of each set-up and the differences A-B
 * and C-D.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apr_general.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "tlsi_fragment.h"
#include "tlsi_ossl.h"
#include "tlsi_loopback.h"
#include "../tests/unit/tlsi_testnames.h"

#define NAMES 60

static EVP_PKEY *server_key;
static X509 *server_cert;

static double now_us(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int accept_any(int ok, X509_STORE_CTX *store)
{
    (void)ok;
    (void)store;
    return 1;
}

static int fit_callback(SSL *ssl, void *arg)
{
    return tlsi_fragment_fit_connection(arg, ssl) >= 0;
}

static void make_identity(void)
{
    X509_NAME *name;

    server_key = tlsi_ossl_ec_key(NID_X9_62_prime256v1);
    server_cert = X509_new();
    name = X509_get_subject_name(server_cert);
    X509_set_version(server_cert, TLSI_X509_V3);
    X509_gmtime_adj(X509_getm_notBefore(server_cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(server_cert), 3600);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *)"bench", -1, -1, 0);
    X509_set_issuer_name(server_cert, name);
    X509_set_pubkey(server_cert, server_key);
    X509_sign(server_cert, server_key, EVP_sha256());
}

static SSL_CTX *server_ctx(STACK_OF(X509_NAME) *names, tlsi_fragment_fit_t *fit)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

    SSL_CTX_use_certificate(ctx, server_cert);
    SSL_CTX_use_PrivateKey(ctx, server_key);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any);
    SSL_CTX_set_client_CA_list(ctx, names);
    SSL_CTX_set_num_tickets(ctx, 0);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    if (fit != NULL) {
        SSL_CTX_set_cert_cb(ctx, fit_callback, fit);
    }
    return ctx;
}

static SSL_CTX *client_ctx(int max_fragment)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    if (max_fragment) {
        SSL_CTX_set_tlsext_max_fragment_length(ctx, max_fragment);
    }
    return ctx;
}

static int one_handshake(SSL_CTX *sctx, SSL_CTX *cctx)
{
    SSL *server = SSL_new(sctx), *client = SSL_new(cctx);
    BIO *a, *b;
    int done = 0, i;

    BIO_new_bio_pair(&a, 65536, &b, 65536);
    SSL_set_bio(client, a, a);
    SSL_set_bio(server, b, b);
    SSL_set_connect_state(client);
    SSL_set_accept_state(server);
    for (i = 0; i < 20 && done != 3; i++) {
        if (SSL_do_handshake(client) == 1) {
            done |= 1;
        }
        if (SSL_do_handshake(server) == 1) {
            done |= 2;
        }
    }
    SSL_free(client);
    SSL_free(server);
    return done == 3;
}

static double time_one(SSL_CTX *sctx, SSL_CTX *cctx)
{
    double start = now_us();

    if (!one_handshake(sctx, cctx)) {
        fprintf(stderr, "fragfit_cost: handshake failed\n");
        exit(2);
    }
    return now_us() - start;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    int count = argc > 1 ? atoi(argv[1]) : 2000;
    apr_pool_t *pool;
    STACK_OF(X509_NAME) *names;
    tlsi_calist_t *order;
    tlsi_fragment_fit_t fit;
    tlsi_loopback_cfg_t cfg = { .security_level = 2 };
    tlsi_cr_shape_t shape;
    const char *err;
    SSL_CTX *with_cb, *precut, *with_cb_plain, *plain, *cmax, *cnone;
    double *t[4], m[4];
    int n, i, kept;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    make_identity();
    names = test_names(NAMES, 42);
    order = test_order(pool, names, NULL, NULL, NULL);
    if (!tlsi_loopback_shape(&cfg, pool, &shape, &err)) {
        fprintf(stderr, "fragfit_cost: %s\n", err);
        return 2;
    }
    tlsi_fragment_fit_prepare(&fit, order, &shape);
    kept = fit.kept[TLSEXT_max_fragment_length_4096 - 1];

    with_cb = server_ctx(tlsi_calist_copy(order, NAMES), &fit);
    precut = server_ctx(tlsi_calist_copy(order, kept), NULL);
    with_cb_plain = server_ctx(tlsi_calist_copy(order, NAMES), &fit);
    plain = server_ctx(tlsi_calist_copy(order, NAMES), NULL);
    cmax = client_ctx(TLSEXT_max_fragment_length_4096);
    cnone = client_ctx(0);

    for (i = 0; i < 4; i++) {
        t[i] = calloc(count, sizeof(double));
    }
    for (n = 0; n < 50; n++) {
        time_one(plain, cnone);     /* warm up */
    }
    for (n = 0; n < count; n++) {
        /* a different set-up goes first each time */
        for (i = 0; i < 4; i++) {
            switch ((n + i) % 4) {
            case 0: t[0][n] = time_one(with_cb, cmax); break;
            case 1: t[1][n] = time_one(precut, cmax); break;
            case 2: t[2][n] = time_one(with_cb_plain, cnone); break;
            default: t[3][n] = time_one(plain, cnone); break;
            }
        }
    }
    for (i = 0; i < 4; i++) {
        m[i] = median(t[i], count);
    }
    printf("Full TLS 1.3 handshakes in memory, ECDSA P-256, client certificate "
           "requested, %d CA names;\n%d handshakes per set-up, taking turns; "
           "median per handshake:\n", NAMES, count);
    printf("  A callback cuts the list to %d names (max_fragment_length 4096): "
           "%7.1f us\n", kept, m[0]);
    printf("  B context already holds those %d names, no callback:          "
           "%7.1f us\n", kept, m[1]);
    printf("  C callback installed, client without the extension:           "
           "%7.1f us\n", m[2]);
    printf("  D no callback, client without the extension:                  "
           "%7.1f us\n", m[3]);
    printf("  cost of cutting the list (A - B):   %+.1f us per handshake "
           "(%+.2f %%)\n", m[0] - m[1], 100 * (m[0] / m[1] - 1));
    printf("  cost for other connections (C - D): %+.1f us per handshake "
           "(%+.2f %%)\n", m[2] - m[3], 100 * (m[2] / m[3] - 1));
    return 0;
}
