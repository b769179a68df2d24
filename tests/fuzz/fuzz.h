/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Shared by the libFuzzer targets: APR set-up and a checked assertion
 * that survives -DNDEBUG. */
#ifndef TLSI_FUZZ_H
#define TLSI_FUZZ_H

#include <stdio.h>
#include <stdlib.h>

#include <apr_general.h>
#include <apr_pools.h>

#define FUZZ_CHECK(cond) do {                                            \
        if (!(cond)) {                                                   \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__,   \
                    __LINE__, #cond);                                    \
            abort();                                                     \
        }                                                                \
    } while (0)

/* The process-wide pool; each input gets a subpool of it. */
static apr_pool_t *fuzz_root_pool(void)
{
    static apr_pool_t *root;

    if (root == NULL) {
        apr_initialize();
        /* Destroying every pool at exit frees what they own, so that the
         * leak checker reports only real leaks. */
        atexit(apr_terminate);
        apr_pool_create(&root, NULL);
    }
    return root;
}

#endif /* TLSI_FUZZ_H */
