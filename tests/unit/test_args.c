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

static void shutdown_option(apr_pool_t *p)
{
    static const char *const bad[] = {
        "", "shutdown=", "shutdown=clean", "shutdown", "standard",
        "shutdown =unclean", "shutdown=unclean ", "mode=unclean",
    };
    tlsi_shutdown_e mode = TLSI_SHUTDOWN_STANDARD;
    apr_size_t i;

    (void)p;
    CHECK(tlsi_parse_shutdown_option("shutdown=unclean", &mode) == NULL);
    CHECK_EQ(mode, TLSI_SHUTDOWN_UNCLEAN);
    CHECK(tlsi_parse_shutdown_option("SHUTDOWN=Accurate", &mode) == NULL);
    CHECK_EQ(mode, TLSI_SHUTDOWN_ACCURATE);
    CHECK(tlsi_parse_shutdown_option("shutdown=standard", &mode) == NULL);
    CHECK_EQ(mode, TLSI_SHUTDOWN_STANDARD);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *err = tlsi_parse_shutdown_option(bad[i], &mode);

        CHECK(err != NULL && strstr(err, "shutdown=unclean") != NULL);
    }
}

static void keepalive_margin(apr_pool_t *p)
{
    static const char *const bad[] = {
        "", "-1", "3601", "1.5", "1s", "on", "0x1", " 1", "99999999999999999999",
    };
    int off = -1, seconds = -1;
    apr_size_t i;

    (void)p;
    CHECK(tlsi_parse_margin("off", &off, &seconds) == NULL && off == 1);
    CHECK(tlsi_parse_margin("OFF", &off, &seconds) == NULL && off == 1);
    CHECK(tlsi_parse_margin("0", &off, &seconds) == NULL);
    CHECK(off == 0 && seconds == 0);
    CHECK(tlsi_parse_margin("3600", &off, &seconds) == NULL && seconds == 3600);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *err = tlsi_parse_margin(bad[i], &off, &seconds);

        CHECK(err != NULL && strstr(err, "0 to 3600") != NULL);
    }
}

/* The mode mod_ssl would take: the first ssl-* variable decides. */
static void shutdown_from_env(apr_pool_t *p)
{
    apr_table_t *env = apr_table_make(p, 4);

    CHECK_EQ(tlsi_shutdown_from_env(env), TLSI_SHUTDOWN_STANDARD);
    apr_table_setn(env, "HTTPS", "on");
    apr_table_setn(env, "ssl-accurate-shutdown", "1");
    CHECK_EQ(tlsi_shutdown_from_env(env), TLSI_SHUTDOWN_ACCURATE);
    apr_table_setn(env, "ssl-unclean-shutdown", "1");
    CHECK_EQ(tlsi_shutdown_from_env(env), TLSI_SHUTDOWN_ACCURATE);

    apr_table_clear(env);
    apr_table_setn(env, "ssl-unclean-shutdown", "1");
    CHECK_EQ(tlsi_shutdown_from_env(env), TLSI_SHUTDOWN_UNCLEAN);
    apr_table_clear(env);
    apr_table_setn(env, "ssl-other", "1");
    apr_table_setn(env, "ssl-unclean-shutdown", "1");
    CHECK_EQ(tlsi_shutdown_from_env(env), TLSI_SHUTDOWN_STANDARD);
}

static void shutdown_names_round_trip(apr_pool_t *p)
{
    (void)p;
    CHECK_EQ(tlsi_shutdown_from_name(tlsi_shutdown_name(
        TLSI_SHUTDOWN_UNCLEAN)), TLSI_SHUTDOWN_UNCLEAN);
    CHECK_EQ(tlsi_shutdown_from_name(tlsi_shutdown_name(
        TLSI_SHUTDOWN_ACCURATE)), TLSI_SHUTDOWN_ACCURATE);
    CHECK_EQ(tlsi_shutdown_from_name(tlsi_shutdown_name(
        TLSI_SHUTDOWN_STANDARD)), TLSI_SHUTDOWN_STANDARD);
    CHECK_EQ(tlsi_shutdown_from_name(NULL), TLSI_SHUTDOWN_STANDARD);
    CHECK_EQ(tlsi_shutdown_from_name("bogus"), TLSI_SHUTDOWN_STANDARD);
}

int main(void)
{
    apr_pool_t *pool = tlsi_test_init();

    TLSI_RUN(ca_limit_accepts, pool);
    TLSI_RUN(ca_limit_refuses, pool);
    TLSI_RUN(shutdown_option, pool);
    TLSI_RUN(keepalive_margin, pool);
    TLSI_RUN(shutdown_from_env, pool);
    TLSI_RUN(shutdown_names_round_trip, pool);
    return tlsi_test_done("test_args");
}
