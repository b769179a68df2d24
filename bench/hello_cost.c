/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * hello_cost: what recognising a client stack costs per full handshake on
 * a vhost that asks for client certificates: parse its ClientHello, take
 * its JA4 fingerprint and try the classes (core/tlsi_hello, tlsi_class),
 * against the time of a full in-memory TLS 1.3 handshake measured in the
 * same run (ECDSA P-256, client certificate requested, 60 CA names).
 *
 * usage: hello_cost CLIENTHELLO-FILE...   (tests/fuzz/corpus/hello/)
 */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <apr_general.h>
#include <openssl/ssl.h>

#include "tlsi_class.h"
#include "tlsi_hello.h"
#include "tlsi_loopback.h"
#include "tlsi_stacks.h"
#include "../tests/unit/tlsi_testnames.h"

static double now_us(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = malloc(65536);

    *len = f ? fread(buf, 1, 65536, f) : 0;
    if (f) {
        fclose(f);
    }
    return buf;
}

int main(int argc, char **argv)
{
    apr_pool_t *p;
    tlsi_classes_t *classes;
    tlsi_stacks_t stacks;
    int steps[TLSI_STEPS] = { 76, 150, 200 };
    tlsi_loopback_cfg_t cfg = { .security_level = 2 };
    STACK_OF(X509_NAME) *names;
    double start, hs_us, per_hello = 0;
    int i, rounds = 20000, handshakes = 200;

    apr_initialize();
    apr_pool_create(&p, NULL);
    classes = tlsi_classes_builtin(p);
    /* A full table of learned stacks, as a busy vhost's: the look-up an
     * unknown client's handshake adds (TLSInteropClientLearn). */
    tlsi_stacks_init(&stacks, steps);
    tlsi_stacks_attach(&stacks, apr_pcalloc(p, tlsi_stacks_bytes(
                           TLSI_STACKS_SLOTS)), TLSI_STACKS_SLOTS);
    for (i = 0; i < TLSI_STACKS_SLOTS; i++) {
        char fake[TLSI_JA4_LEN + 1];
        tlsi_stack_choice_t c;

        snprintf(fake, sizeof(fake), "t13d1312h2_f57a46bbacb6_e7c2852226%02d",
                 i % 100);
        tlsi_stacks_choose(&stacks, fake, 1, &c);
        tlsi_stacks_outcome(&stacks, fake, &c, TLSI_OUTCOME_NO_CERTIFICATE, 1);
    }
    names = test_names(60, 11);
    /* A full TLS 1.3 handshake, as tlsi_loopback makes it in memory. */
    start = now_us();
    for (i = 0; i < handshakes; i++) {
        unsigned char *msg;
        apr_size_t len;
        const char *err;

        tlsi_loopback_certreq(&cfg, TLS1_3_VERSION, names, p, &msg, &len, &err);
    }
    hs_us = (now_us() - start) / handshakes;
    printf("in-memory TLS 1.3 handshake to the CertificateRequest, both sides: "
           "%.1f us\n", hs_us);
    for (i = 1; i < argc; i++) {
        size_t len;
        unsigned char *msg = slurp(argv[i], &len);
        tlsi_hello_t hello;
        char ja4[TLSI_JA4_LEN + 1];
        const tlsi_class_rule_t *rule;
        double us;
        int n;

        start = now_us();
        for (n = 0; n < rounds; n++) {
            if (tlsi_hello_parse(msg, len, &hello)) {
                tlsi_stack_choice_t c;

                tlsi_hello_ja4(&hello, ja4);
                if (tlsi_classes_limit(classes, &hello, ja4, &rule) == 0) {
                    tlsi_stacks_choose(&stacks, ja4, 1, &c);
                }
            }
        }
        us = (now_us() - start) / rounds;
        per_hello = us > per_hello ? us : per_hello;
        printf("  %-40s %5zu bytes: %.2f us (%s)\n", argv[i], len, us, ja4);
        free(msg);
    }
    printf("recognising a client, at most: %.2f us, %.2f %% of that "
           "handshake\n", per_hello, 100.0 * per_hello / hs_us);
    return 0;
}
