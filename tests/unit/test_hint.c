/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Keep-Alive hints: the arithmetic, and the set made at start-up. */

#include "tlsi_hint.h"
#include "tlsi_test.h"

static void seconds_are_the_enforced_timeout_less_the_margin(apr_pool_t *p)
{
    (void)p;
    CHECK_EQ(tlsi_hint_seconds(apr_time_from_sec(5), 1), 4);
    CHECK_EQ(tlsi_hint_seconds(apr_time_from_sec(5), 0), 5);
    CHECK_EQ(tlsi_hint_seconds(apr_time_from_sec(1), 1), 0);
    CHECK_EQ(tlsi_hint_seconds(apr_time_from_sec(2), 5), -3);
    /* a fraction of a second rounds down: never promise more */
    CHECK_EQ(tlsi_hint_seconds(apr_time_from_msec(4500), 1), 3);
}

static void a_set_holds_each_timeout_once(apr_pool_t *p)
{
    tlsi_timeouts_t *hints = tlsi_timeouts_make(p, 3);

    CHECK_EQ(tlsi_timeouts_add(hints, 4), 0);
    CHECK_EQ(tlsi_timeouts_add(hints, 9), 1);
    CHECK_EQ(tlsi_timeouts_add(hints, 4), 0);
    CHECK_EQ(hints->count, 2);
    CHECK_EQ(tlsi_timeouts_find(hints, 9), 1);
    CHECK_EQ(tlsi_timeouts_find(hints, 4), 0);
    CHECK_EQ(tlsi_timeouts_find(hints, 5), -1);
    /* nothing left to announce */
    CHECK_EQ(tlsi_timeouts_add(hints, 0), -1);
    CHECK_EQ(tlsi_timeouts_add(hints, -2), -1);
    CHECK_EQ(tlsi_timeouts_find(hints, 0), -1);
    /* full */
    CHECK_EQ(tlsi_timeouts_add(hints, 7), 2);
    CHECK_EQ(tlsi_timeouts_add(hints, 8), -1);
    CHECK_EQ(tlsi_timeouts_add(hints, 7), 2);
    CHECK_EQ(hints->count, 3);
}

static void an_empty_set_finds_nothing(apr_pool_t *p)
{
    tlsi_timeouts_t *hints = tlsi_timeouts_make(p, 0);

    CHECK_EQ(tlsi_timeouts_find(hints, 1), -1);
    CHECK_EQ(tlsi_timeouts_add(hints, 1), -1);
}

int main(void)
{
    apr_pool_t *pool = tlsi_test_init();

    TLSI_RUN(seconds_are_the_enforced_timeout_less_the_margin, pool);
    TLSI_RUN(a_set_holds_each_timeout_once, pool);
    TLSI_RUN(an_empty_set_finds_nothing, pool);
    return tlsi_test_done("test_hint");
}
