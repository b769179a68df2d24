/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * fuzz_stacks: any sequence of handshakes and outcomes, from any mix of
 * honest and lying clients, against one vhost's table of client stacks.
 *
 * Each input byte pair is one event: which of 12 fingerprints (one of
 * them malformed), which of 4 open handshakes, and what happens (a new
 * handshake chooses; or its outcome; or time passes).  Invariants:
 *   - a handshake gets the fitted list, the step its stack was learned
 *     at, or (holding the ticket) the one being explored;
 *   - at most one open handshake per fingerprint holds a live ticket;
 *   - a stack is learned larger only by a handshake that authenticated
 *     with that list, and never lowered;
 *   - no step outside the vhost's.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "tlsi_stacks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PRINTS 12
#define OPEN 4

typedef struct {
    int used, print;
    apr_uint32_t started;
    tlsi_stack_choice_t c;
} handshake_t;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int shapes[][TLSI_STEPS] = {
        { 76, 150, 200 }, { 76, 120, 120 }, { 0, 10, 20 }, { 200, 200, 200 }
    };
    char prints[PRINTS][TLSI_JA4_LEN + 1];
    int learned[PRINTS] = { 0 };
    handshake_t open[OPEN];
    tlsi_stacks_t t;
    apr_pool_t *p;
    apr_uint32_t now = 20000u * TLSI_STACKS_SECONDS_PER_DAY;
    size_t i;
    int k;

    if (size < 1) {
        return 0;
    }
    apr_pool_create(&p, fuzz_root_pool());
    memset(open, 0, sizeof(open));
    tlsi_stacks_init(&t, shapes[data[0] % 4]);
    tlsi_stacks_attach(&t, apr_pcalloc(p, tlsi_stacks_bytes(8)), 8);
    for (k = 0; k < PRINTS; k++) {
        snprintf(prints[k], sizeof(prints[k]),
                 "t13d1312h2_f57a46bbacb6_e7c2852226%02d", k);
    }
    strcpy(prints[PRINTS - 1], "t13d1312h2_F57A46BBACB6_e7c285222651");

    for (i = 1; i + 1 < size; i += 2) {
        handshake_t *h = &open[data[i] % OPEN];
        int print = (data[i] / OPEN) % PRINTS, action = data[i + 1] % 8;

        if (action == 7) {
            /* time passes: seconds to about two months */
            now += (apr_uint32_t)data[i + 1] * (data[i + 1] & 8 ? 50000 : 7);
            continue;
        }
        if (!h->used || action == 0) {
            int holders = 0, j;

            if (h->used && h->c.exploring) {
                /* the old one ends without outcome: broke off */
                tlsi_stacks_outcome(&t, prints[h->print], &h->c,
                                    TLSI_OUTCOME_BROKE_OFF, now);
            }
            h->used = 1;
            h->print = print;
            h->started = now;
            tlsi_stacks_choose(&t, prints[print], now, &h->c);
            FUZZ_CHECK(h->c.step >= 0 && h->c.step < TLSI_STEPS);
            FUZZ_CHECK(h->c.exploring || h->c.step == learned[print]
                       || h->c.slot == NULL);
            FUZZ_CHECK(h->c.step >= learned[print] || h->c.slot == NULL);
            for (j = 0; j < OPEN; j++) {
                holders += open[j].used && open[j].print == print
                           && open[j].c.exploring
                           && now - open[j].started
                              < TLSI_STACKS_TICKET_SECONDS;
            }
            FUZZ_CHECK(holders <= 1);
            continue;
        }
        {
            int step = h->c.step;
            tlsi_outcome_e o = (tlsi_outcome_e)(action % 4);
            tlsi_stacks_change_e ch = tlsi_stacks_outcome(
                &t, prints[h->print], &h->c, o, now);

            if (ch == TLSI_STACKS_LEARNED || ch == TLSI_STACKS_LEARNED_MORE) {
                FUZZ_CHECK(o == TLSI_OUTCOME_AUTHENTICATED);
                FUZZ_CHECK(step > learned[h->print]);
                learned[h->print] = step;
            }
            if (ch == TLSI_STACKS_HELD) {
                FUZZ_CHECK(o == TLSI_OUTCOME_BROKE_OFF);
            }
            FUZZ_CHECK(!h->c.exploring);
            h->used = 0;
        }
    }
    FUZZ_CHECK(learned[PRINTS - 1] == 0);
    apr_pool_destroy(p);
    return 0;
}
