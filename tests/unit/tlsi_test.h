/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * A minimal unit-test harness: CHECK macros count failures and print
 * where they happened; TLSI_RUN runs a test and prints one line for it.
 */
#ifndef TLSI_TEST_H
#define TLSI_TEST_H

#include <stdio.h>
#include <stdlib.h>

#include <apr_general.h>
#include <apr_pools.h>

static int tlsi_test_failures;
static int tlsi_test_failed_here;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__,         \
                    __LINE__, #cond);                                        \
            tlsi_test_failed_here = 1;                                       \
        }                                                                    \
    } while (0)

#define CHECK_EQ(a, b)                                                       \
    do {                                                                     \
        long long va_ = (long long)(a), vb_ = (long long)(b);                \
        if (va_ != vb_) {                                                    \
            fprintf(stderr, "  %s:%d: %s == %lld, expected %s == %lld\n",    \
                    __FILE__, __LINE__, #a, va_, #b, vb_);                   \
            tlsi_test_failed_here = 1;                                       \
        }                                                                    \
    } while (0)

#define TLSI_RUN(fn, pool)                                                   \
    do {                                                                     \
        apr_pool_t *sub_;                                                    \
        apr_pool_create(&sub_, (pool));                                      \
        tlsi_test_failed_here = 0;                                           \
        fn(sub_);                                                            \
        apr_pool_destroy(sub_);                                              \
        printf("%s %s\n", tlsi_test_failed_here ? "FAIL" : "ok  ", #fn);     \
        tlsi_test_failures += tlsi_test_failed_here;                         \
    } while (0)

static apr_pool_t *tlsi_test_init(void)
{
    apr_pool_t *pool;

    apr_initialize();
    atexit(apr_terminate);
    apr_pool_create(&pool, NULL);
    return pool;
}

static int tlsi_test_done(const char *suite)
{
    printf("%s: %s\n", suite, tlsi_test_failures ? "FAILED" : "passed");
    return tlsi_test_failures ? 1 : 0;
}

#endif /* TLSI_TEST_H */
