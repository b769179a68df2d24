/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Directive argument parsers. */

#include <string.h>

#include "tlsi_args.h"
#include "tlsi_test.h"

static void ca_limit_accepts(apr_pool_t *p)
{
    static const struct {
        const char *arg;
        tlsi_calimit_mode_e mode;
        apr_size_t bytes;
    } good[] = {
        { "auto", TLSI_CALIMIT_BYTES, 16384 },
        { "AUTO", TLSI_CALIMIT_BYTES, 16384 },
        { "none", TLSI_CALIMIT_NONE, 0 },
        { "None", TLSI_CALIMIT_NONE, 0 },
        { "off", TLSI_CALIMIT_OFF, 0 },
        { "256", TLSI_CALIMIT_BYTES, 256 },
        { "4096", TLSI_CALIMIT_BYTES, 4096 },
        { "12288", TLSI_CALIMIT_BYTES, 12288 },
        { "16384", TLSI_CALIMIT_BYTES, 16384 },
        { "0000512", TLSI_CALIMIT_BYTES, 512 },
    };
    apr_size_t i;

    (void)p;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        tlsi_calimit_mode_e mode = TLSI_CALIMIT_UNSET;
        apr_size_t bytes = 0;

        CHECK(tlsi_parse_ca_limit(good[i].arg, &mode, &bytes) == NULL);
        CHECK_EQ(mode, good[i].mode);
        if (mode == TLSI_CALIMIT_BYTES) {
            CHECK_EQ(bytes, good[i].bytes);
        }
    }
}

static void ca_limit_refuses(apr_pool_t *p)
{
    static const char *const bad[] = {
        "", "255", "16385", "-1", "0", "+512", " 512", "512 ", "0x400",
        "1e4", "4k", "4096.0", "auto4096", "yes", "on",
        "99999999999999999999999999999999",
    };
    apr_size_t i;

    (void)p;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tlsi_calimit_mode_e mode = TLSI_CALIMIT_UNSET;
        apr_size_t bytes = 0;
        const char *err = tlsi_parse_ca_limit(bad[i], &mode, &bytes);

        CHECK(err != NULL);
        CHECK_EQ(mode, TLSI_CALIMIT_UNSET);
        /* The message lists what is accepted. */
        CHECK(err && strstr(err, "auto, none, off") && strstr(err, "256")
              && strstr(err, "16384"));
    }
}

int main(void)
{
    apr_pool_t *pool = tlsi_test_init();

    TLSI_RUN(ca_limit_accepts, pool);
    TLSI_RUN(ca_limit_refuses, pool);
    return tlsi_test_done("test_args");
}
