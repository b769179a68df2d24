/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Client stacks learned by fingerprint: exploration steps, outcomes,
 * tickets, bounds, and what survives a restart. */

#include <stdlib.h>
#include <string.h>

#include "tlsi_learned.h"
#include "tlsi_stacks.h"
#include "tlsi_test.h"

static const char *const go = "t13d1312h2_f57a46bbacb6_e7c285222651";
static const char *const mbed = "t12d0907h1_c7886603b240_ad3e8a4b2b4d";

#define DAY TLSI_STACKS_SECONDS_PER_DAY
/* A fixed "now": these tests must not depend on today's date. */
#define NOW ((apr_uint32_t)20000 * DAY + 3600)

static tlsi_stacks_t *table(apr_pool_t *p, int names_fitted, int names_32k,
                            int names_whole)
{
    tlsi_stacks_t *t = apr_pcalloc(p, sizeof(*t));
    int names[TLSI_STEPS] = { names_fitted, names_32k, names_whole };

    tlsi_stacks_init(t, names);
    tlsi_stacks_attach(t, apr_pcalloc(p, tlsi_stacks_bytes(8)), 8);
    return t;
}

static tlsi_stacks_change_e outcome(tlsi_stacks_t *t, const char *ja4,
                                    tlsi_stack_choice_t *c,
                                    tlsi_outcome_e o, apr_uint32_t now)
{
    return tlsi_stacks_outcome(t, ja4, c, o, now);
}

static int chosen(tlsi_stacks_t *t, const char *ja4, apr_uint32_t now,
                  tlsi_stack_choice_t *c)
{
    tlsi_stacks_choose(t, ja4, now, c);
    return c->step;
}

static void steps_skip_what_gives_nothing_more(apr_pool_t *p)
{
    tlsi_stacks_t *t = table(p, 76, 150, 200);

    CHECK_EQ(t->next[TLSI_STEP_FITTED], TLSI_STEP_STEP_BYTES);
    CHECK_EQ(t->next[TLSI_STEP_STEP_BYTES], TLSI_STEP_WHOLE);
    CHECK_EQ(t->next[TLSI_STEP_WHOLE], -1);
    /* the whole list within 32,768 bytes: straight to it */
    t = table(p, 76, 120, 120);
    CHECK_EQ(t->next[TLSI_STEP_FITTED], TLSI_STEP_WHOLE);
    /* a fitted budget as large as the step */
    t = table(p, 150, 150, 200);
    CHECK_EQ(t->next[TLSI_STEP_FITTED], TLSI_STEP_WHOLE);
    /* nothing dropped: nothing to explore */
    t = table(p, 200, 200, 200);
    CHECK_EQ(t->next[TLSI_STEP_FITTED], -1);
}

/* Go: refused after the fitted list, authenticates with the next. */
static void refused_once_then_learned(apr_pool_t *p)
{
    tlsi_stacks_t *t = table(p, 76, 120, 120);
    tlsi_stack_choice_t c;
    int larger, held;

    CHECK_EQ(chosen(t, go, NOW, &c), TLSI_STEP_FITTED);
    CHECK(c.slot == NULL && !c.exploring);
    CHECK_EQ(outcome(t, go, &c, TLSI_OUTCOME_NO_CERTIFICATE, NOW),
             TLSI_STACKS_EXPLORE);
    CHECK_EQ(chosen(t, go, NOW + 1, &c), TLSI_STEP_WHOLE);
    CHECK(c.exploring);
    CHECK_EQ(outcome(t, go, &c, TLSI_OUTCOME_AUTHENTICATED, NOW + 1),
             TLSI_STACKS_LEARNED);
    /* learned: every later handshake, no ticket needed */
    CHECK_EQ(chosen(t, go, NOW + 2, &c), TLSI_STEP_WHOLE);
    CHECK(!c.exploring);
    CHECK_EQ(chosen(t, go, NOW + 3, &c), TLSI_STEP_WHOLE);
    tlsi_stacks_totals(tlsi_stacks_export(p, t, NOW / DAY), &larger, &held);
    CHECK_EQ(larger, 1);
    CHECK_EQ(held, 0);
    /* other fingerprints are not affected */
    CHECK_EQ(chosen(t, mbed, NOW, &c), TLSI_STEP_FITTED);
}

/* Java: the 32,768-byte step first; then the whole list, which breaks it
 * off: held to the step it authenticated at. */
static void java_held_at_the_step(apr_pool_t *p)
{
    tlsi_stacks_t *t = table(p, 76, 150, 200);
    tlsi_stack_choice_t c;

    chosen(t, go, NOW, &c);
    outcome(t, go, &c, TLSI_OUTCOME_NO_CERTIFICATE, NOW);
    CHECK_EQ(chosen(t, go, NOW, &c), TLSI_STEP_STEP_BYTES);
    CHECK_EQ(outcome(t, go, &c, TLSI_OUTCOME_AUTHENTICATED, NOW),
             TLSI_STACKS_LEARNED);
    /* a user whose CA is past the step sends none: explore the whole */
    CHECK_EQ(chosen(t, go, NOW, &c), TLSI_STEP_STEP_BYTES);
    CHECK_EQ(outcome(t, go, &c, TLSI_OUTCOME_NO_CERTIFICATE, NOW),
             TLSI_STACKS_EXPLORE);
    CHECK_EQ(chosen(t, go, NOW, &c), TLSI_STEP_WHOLE);
    CHECK_EQ(outcome(t, go, &c, TLSI_OUTCOME_BROKE_OFF, NOW),
             TLSI_STACKS_HELD);
    CHECK_EQ(chosen(t, go, NOW, &c), TLSI_STEP_STEP_BYTES);
    /* and not explored again for the retry time, however often refused */
    CHECK_EQ(outcome(t, go, &c, TLSI_OUTCOME_NO_CERTIFICATE, NOW),
             TLSI_STACKS_NO_CHANGE);
    CHECK_EQ(chosen(t, go, NOW + (TLSI_STACKS_RETRY_DAYS - 1) * DAY, &c),
             TLSI_STEP_STEP_BYTES);
    CHECK_EQ(outcome(t, go, &c, TLSI_OUTCOME_NO_CERTIFICATE,
                     NOW + TLSI_STACKS_RETRY_DAYS * DAY),
             TLSI_STACKS_EXPLORE);
    CHECK_EQ(chosen(t, go, NOW + TLSI_STACKS_RETRY_DAYS * DAY, &c),
             TLSI_STEP_WHOLE);
    CHECK_EQ(outcome(t, go, &c, TLSI_OUTCOME_AUTHENTICATED,
                     NOW + TLSI_STACKS_RETRY_DAYS * DAY),
             TLSI_STACKS_LEARNED_MORE);
}

/* Mbed TLS cannot reassemble: one failed handshake, then the fitted list
 * for the retry time. */
static void a_stack_that_breaks_off_fails_once(apr_pool_t *p)
{
    tlsi_stacks_t *t = table(p, 76, 120, 120);
    tlsi_stack_choice_t c;
    int i, larger, held;

    chosen(t, mbed, NOW, &c);
    outcome(t, mbed, &c, TLSI_OUTCOME_NO_CERTIFICATE, NOW);
    CHECK_EQ(chosen(t, mbed, NOW, &c), TLSI_STEP_WHOLE);
    CHECK_EQ(outcome(t, mbed, &c, TLSI_OUTCOME_BROKE_OFF, NOW),
             TLSI_STACKS_HELD);
    for (i = 0; i < 10; i++) {
        CHECK_EQ(chosen(t, mbed, NOW + (apr_uint32_t)i, &c),
                 TLSI_STEP_FITTED);
        CHECK(!c.exploring);
        outcome(t, mbed, &c, TLSI_OUTCOME_NO_CERTIFICATE, NOW);
    }
    tlsi_stacks_totals(tlsi_stacks_export(p, t, NOW / DAY), &larger, &held);
    CHECK_EQ(larger, 0);
    CHECK_EQ(held, 1);
}

/* One exploring handshake at a time: others get the learned step. */
static void one_ticket_at_a_time(apr_pool_t *p)
{
    tlsi_stacks_t *t = table(p, 76, 120, 120);
    tlsi_stack_choice_t first, second;

    chosen(t, mbed, NOW, &first);
    outcome(t, mbed, &first, TLSI_OUTCOME_NO_CERTIFICATE, NOW);
    CHECK_EQ(chosen(t, mbed, NOW, &first), TLSI_STEP_WHOLE);
    CHECK_EQ(chosen(t, mbed, NOW, &second), TLSI_STEP_FITTED);
    CHECK(first.exploring && !second.exploring);
    /* a ticket whose outcome never came lapses */
    CHECK_EQ(chosen(t, mbed, NOW + TLSI_STACKS_TICKET_SECONDS, &second),
             TLSI_STEP_WHOLE);
    CHECK(second.exploring);
    /* the old holder's outcome no longer matters much: nothing crashes,
     * and the step stays to explore until an outcome settles it */
    outcome(t, mbed, &second, TLSI_OUTCOME_BAD_CERTIFICATE, NOW);
    CHECK_EQ(chosen(t, mbed, NOW + 1, &second), TLSI_STEP_WHOLE);
}

/* A liar with no certificate cannot make a stack learned; a learned step
 * is not lowered by a handshake that breaks off. */
static void lying_clients(apr_pool_t *p)
{
    tlsi_stacks_t *t = table(p, 76, 150, 200);
    tlsi_stack_choice_t c;

    /* sends empty Certificates at every step: never learned */
    chosen(t, go, NOW, &c);
    outcome(t, go, &c, TLSI_OUTCOME_NO_CERTIFICATE, NOW);
    chosen(t, go, NOW, &c);
    CHECK(c.exploring && c.step == TLSI_STEP_STEP_BYTES);
    outcome(t, go, &c, TLSI_OUTCOME_NO_CERTIFICATE, NOW);
    CHECK_EQ(chosen(t, go, NOW, &c), TLSI_STEP_WHOLE);
    CHECK_EQ(outcome(t, go, &c, TLSI_OUTCOME_NO_CERTIFICATE, NOW),
             TLSI_STACKS_NO_CHANGE);
    CHECK_EQ(chosen(t, go, NOW, &c), TLSI_STEP_FITTED);
    /* the real stack authenticates in its own exploration later */
    outcome(t, go, &c, TLSI_OUTCOME_NO_CERTIFICATE, NOW);
    chosen(t, go, NOW, &c);
    outcome(t, go, &c, TLSI_OUTCOME_AUTHENTICATED, NOW);
    /* a non-exploring handshake that breaks off lowers nothing */
    CHECK_EQ(chosen(t, go, NOW, &c), TLSI_STEP_STEP_BYTES);
    CHECK_EQ(outcome(t, go, &c, TLSI_OUTCOME_BROKE_OFF, NOW),
             TLSI_STACKS_NO_CHANGE);
    CHECK_EQ(chosen(t, go, NOW, &c), TLSI_STEP_STEP_BYTES);
    /* malformed fingerprints get no slot */
    chosen(t, "not a fingerprint", NOW, &c);
    CHECK(outcome(t, "not a fingerprint", &c, TLSI_OUTCOME_NO_CERTIFICATE,
                  NOW) == TLSI_STACKS_NO_CHANGE);
    CHECK(c.slot == NULL);
}

/* A full table explores no new fingerprint; known ones go on. */
static void bounded_slots(apr_pool_t *p)
{
    tlsi_stacks_t *t = table(p, 76, 120, 120);
    tlsi_stack_choice_t c;
    char ja4[TLSI_JA4_LEN + 1];
    int i, explored = 0;

    for (i = 0; i < 20; i++) {
        memcpy(ja4, go, sizeof(ja4));
        ja4[34] = (char)('a' + i);
        chosen(t, ja4, NOW, &c);
        if (outcome(t, ja4, &c, TLSI_OUTCOME_NO_CERTIFICATE, NOW)
            == TLSI_STACKS_EXPLORE) {
            explored++;
        }
    }
    CHECK_EQ(explored, 8);
    memcpy(ja4, go, sizeof(ja4));
    ja4[34] = 'a';
    CHECK_EQ(chosen(t, ja4, NOW, &c), TLSI_STEP_WHOLE);
    /* an unattached table gives the fitted list, and keeps nothing */
    memset(t, 0, sizeof(*t));
    CHECK_EQ(chosen(t, go, NOW, &c), TLSI_STEP_FITTED);
    CHECK_EQ(outcome(t, go, &c, TLSI_OUTCOME_NO_CERTIFICATE, NOW),
             TLSI_STACKS_NO_CHANGE);
}

/* Export, the file's lines, and load into the next generation's table. */
static void survives_a_restart(apr_pool_t *p)
{
    tlsi_stacks_t *t = table(p, 76, 150, 200), *next;
    tlsi_learned_t *l = tlsi_learned_make(p), *back = tlsi_learned_make(p);
    tlsi_stack_choice_t c;
    const char *text, *err;
    int today = (int)(NOW / DAY);

    chosen(t, go, NOW, &c);
    outcome(t, go, &c, TLSI_OUTCOME_NO_CERTIFICATE, NOW);
    chosen(t, go, NOW, &c);
    outcome(t, go, &c, TLSI_OUTCOME_AUTHENTICATED, NOW);
    chosen(t, mbed, NOW, &c);
    outcome(t, mbed, &c, TLSI_OUTCOME_NO_CERTIFICATE, NOW);
    chosen(t, mbed, NOW, &c);
    outcome(t, mbed, &c, TLSI_OUTCOME_BROKE_OFF, NOW);
    l->stacks = tlsi_stacks_export(p, t, today);
    CHECK_EQ(l->stacks->nelts, 2);
    text = tlsi_learned_format(p, l, "Virtual host: test");
    CHECK(strstr(text, TLSI_LEARNED_STACK_TAG " ja4=") != NULL);
    CHECK(strstr(text, "takes=32768") != NULL);
    CHECK(strstr(text, "takes=fitted") != NULL && strstr(text, " retry="));
    err = tlsi_learned_parse(back, text, strlen(text));
    CHECK(err == NULL);
    CHECK_EQ(back->stacks->nelts, 2);

    next = table(p, 76, 150, 200);
    tlsi_stacks_load(next, back->stacks, today + 1);
    CHECK_EQ(chosen(next, go, NOW + DAY, &c), TLSI_STEP_STEP_BYTES);
    CHECK_EQ(chosen(next, mbed, NOW + DAY, &c), TLSI_STEP_FITTED);
    chosen(next, mbed, NOW + DAY, &c);
    CHECK_EQ(outcome(next, mbed, &c, TLSI_OUTCOME_NO_CERTIFICATE, NOW + DAY),
             TLSI_STACKS_NO_CHANGE);
    /* ageing: the retry passes, and an unseen stack is forgotten */
    next = table(p, 76, 150, 200);
    tlsi_stacks_load(next, back->stacks,
                     today + TLSI_STACKS_FORGET_DAYS + 1);
    CHECK_EQ(chosen(next, go, NOW, &c), TLSI_STEP_FITTED);
    CHECK(c.slot == NULL);
    CHECK_EQ(chosen(next, mbed, NOW, &c), TLSI_STEP_FITTED);
    CHECK(c.slot == NULL);
}

static void bad_lines(apr_pool_t *p)
{
    static const char *const bad[] = {
        TLSI_LEARNED_STACK_TAG " ja4=t13d1312h2_f57a46bbacb6 takes=whole "
        "last-seen=2026-01-01\n",
        TLSI_LEARNED_STACK_TAG " ja4=T13D1312H2_F57A46BBACB6_E7C285222651 "
        "takes=whole last-seen=2026-01-01\n",
        TLSI_LEARNED_STACK_TAG " ja4=t13d1312h2_f57a46bbacb6_e7c285222651 "
        "takes=all last-seen=2026-01-01\n",
        TLSI_LEARNED_STACK_TAG " ja4=t13d1312h2_f57a46bbacb6_e7c285222651 "
        "takes=whole last-seen=2026-02-30\n",
        TLSI_LEARNED_STACK_TAG " ja4=t13d1312h2_f57a46bbacb6_e7c285222651 "
        "takes=whole\n",
        TLSI_LEARNED_STACK_TAG " ja4=t13d1312h2_f57a46bbacb6_e7c285222651 "
        "takes=whole last-seen=2026-01-01 retry=soon\n",
        TLSI_LEARNED_STACK_TAG " ja4=t13d1312h2_f57a46bbacb6_e7c285222651 "
        "takes=whole last-seen=2026-01-01 retry=2026-01-02 more\n",
    };
    const char *good = TLSI_LEARNED_STACK_TAG
        " ja4=t13d1312h2_f57a46bbacb6_e7c285222651 takes=whole "
        "last-seen=2026-01-01 retry=2026-01-02\n";
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tlsi_learned_t *l = tlsi_learned_make(p);

        CHECK(tlsi_learned_parse(l, bad[i], strlen(bad[i])) != NULL);
        CHECK_EQ(l->stacks->nelts, 0);
    }
    {
        tlsi_learned_t *l = tlsi_learned_make(p);
        char *many = apr_pcalloc(p, strlen(good) * 100 + 1);

        for (i = 0; i < 100; i++) {
            strcat(many, good);
        }
        CHECK(tlsi_learned_parse(l, many, strlen(many)) == NULL);
        CHECK_EQ(l->stacks->nelts, TLSI_STACKS_SLOTS);
    }
}

int main(void)
{
    apr_pool_t *pool = tlsi_test_init();

    TLSI_RUN(steps_skip_what_gives_nothing_more, pool);
    TLSI_RUN(refused_once_then_learned, pool);
    TLSI_RUN(java_held_at_the_step, pool);
    TLSI_RUN(a_stack_that_breaks_off_fails_once, pool);
    TLSI_RUN(one_ticket_at_a_time, pool);
    TLSI_RUN(lying_clients, pool);
    TLSI_RUN(bounded_slots, pool);
    TLSI_RUN(survives_a_restart, pool);
    TLSI_RUN(bad_lines, pool);
    return tlsi_test_done("test_stacks");
}
