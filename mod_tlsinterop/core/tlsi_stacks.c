/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <string.h>

#include <apr_atomic.h>

#include "tlsi_stacks.h"

/* A slot's life: free, being written by the child that claimed it, then
 * ready for all (its fingerprint never changes after that). */
enum { SLOT_FREE = 0, SLOT_WRITING, SLOT_READY };

/* One fingerprint, in shared memory; every field is read and written
 * atomically. */
struct tlsi_stack_slot {
    apr_uint32_t state;
    apr_uint32_t learned;       /* step it authenticated at */
    apr_uint32_t trying;        /* step to explore; 0: none */
    apr_uint32_t ticket;        /* second an exploring handshake began */
    apr_uint32_t retry_day;     /* no exploration before this day */
    apr_uint32_t last_seen;     /* day */
    char ja4[TLSI_JA4_LEN + 1];
};

apr_size_t tlsi_stacks_bytes(int slots)
{
    return slots > 0 ? (apr_size_t)slots * sizeof(tlsi_stack_slot_t) : 0;
}

void tlsi_stacks_init(tlsi_stacks_t *t, const int names[TLSI_STEPS])
{
    int step, above;

    memset(t, 0, sizeof(*t));
    memcpy(t->names, names, sizeof(t->names));
    for (step = 0; step < TLSI_STEPS; step++) {
        t->next[step] = -1;
        /* The next step that gives more; a step that gives as much as the
         * whole list is the whole list. */
        for (above = step + 1; above < TLSI_STEPS; above++) {
            if (names[above] > names[step]
                && (above == TLSI_STEP_WHOLE
                    || names[above] < names[TLSI_STEP_WHOLE])) {
                t->next[step] = above;
                break;
            }
        }
    }
}

void tlsi_stacks_attach(tlsi_stacks_t *t, void *mem, int slots)
{
    t->slots = mem;
    t->count = mem != NULL ? slots : 0;
}

int tlsi_ja4_valid(const char *text, apr_size_t len)
{
    apr_size_t i;

    if (len != TLSI_JA4_LEN || text[10] != '_' || text[23] != '_') {
        return 0;
    }
    for (i = 0; i < len; i++) {
        char c = text[i];

        if (i != 10 && i != 23
            && !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
            return 0;
        }
    }
    return 1;
}

/* FNV-1a: where a fingerprint's probing starts. */
static apr_uint32_t hash_of(const char *ja4)
{
    apr_uint32_t h = 2166136261u;

    while (*ja4) {
        h = (h ^ (unsigned char)*ja4++) * 16777619u;
    }
    return h;
}

/* Slots are claimed in probe order and never freed, so a free slot ends
 * the search.  A slot still being written is passed over: at worst a
 * fingerprint that two children claim at once gets two. */
static tlsi_stack_slot_t *find(const tlsi_stacks_t *t, const char *ja4,
                               int claim)
{
    apr_uint32_t start;
    int i;

    if (t->slots == NULL || t->count <= 0 || !tlsi_ja4_valid(ja4,
                                                             strlen(ja4))) {
        return NULL;
    }
    start = hash_of(ja4) % (apr_uint32_t)t->count;
    for (i = 0; i < t->count; i++) {
        tlsi_stack_slot_t *s = &t->slots[(start + (apr_uint32_t)i)
                                         % (apr_uint32_t)t->count];
        apr_uint32_t state = apr_atomic_read32(&s->state);

        if (state == SLOT_READY && strcmp(s->ja4, ja4) == 0) {
            return s;
        }
        if (state != SLOT_FREE) {
            continue;
        }
        if (!claim) {
            return NULL;
        }
        if (apr_atomic_cas32(&s->state, SLOT_WRITING, SLOT_FREE)
            == SLOT_FREE) {
            memcpy(s->ja4, ja4, TLSI_JA4_LEN + 1);
            apr_atomic_set32(&s->learned, TLSI_STEP_FITTED);
            apr_atomic_set32(&s->trying, 0);
            apr_atomic_set32(&s->ticket, 0);
            apr_atomic_set32(&s->retry_day, 0);
            apr_atomic_set32(&s->last_seen, 0);
            /* a full barrier: the fields are there before it is ready */
            apr_atomic_cas32(&s->state, SLOT_READY, SLOT_WRITING);
            return s;
        }
        /* another child took it: look again at the same place */
        i--;
    }
    return NULL;
}

/* Whether a record still says its stack takes more than the fitted list:
 * learned larger, and seen within TLSI_STACKS_FORGET_DAYS. */
static int still_learned(const tlsi_stack_rec_t *rec, int today)
{
    return rec->takes > TLSI_STEP_FITTED && rec->takes < TLSI_STEPS
           && today - rec->last_seen <= TLSI_STACKS_FORGET_DAYS;
}

int tlsi_stacks_keep(const tlsi_stack_rec_t *rec, int today)
{
    return rec->retry_day > today || still_learned(rec, today);
}

void tlsi_stacks_load(tlsi_stacks_t *t, const apr_array_header_t *recs,
                      int today)
{
    int i;

    for (i = 0; recs != NULL && i < recs->nelts; i++) {
        const tlsi_stack_rec_t *rec = &APR_ARRAY_IDX(recs, i,
                                                     tlsi_stack_rec_t);
        tlsi_stack_slot_t *s;

        if (!tlsi_stacks_keep(rec, today)
            || (s = find(t, rec->ja4, 1)) == NULL) {
            continue;
        }
        if (still_learned(rec, today)) {
            apr_atomic_set32(&s->learned, (apr_uint32_t)rec->takes);
        }
        if (rec->retry_day > today) {
            apr_atomic_set32(&s->retry_day, (apr_uint32_t)rec->retry_day);
        }
        apr_atomic_set32(&s->last_seen, (apr_uint32_t)rec->last_seen);
    }
}

static void record_of(const tlsi_stack_slot_t *s, tlsi_stack_rec_t *rec)
{
    memcpy(rec->ja4, s->ja4, TLSI_JA4_LEN + 1);
    rec->takes = (int)apr_atomic_read32((apr_uint32_t *)&s->learned);
    rec->retry_day = (int)apr_atomic_read32((apr_uint32_t *)&s->retry_day);
    rec->last_seen = (int)apr_atomic_read32((apr_uint32_t *)&s->last_seen);
}

apr_array_header_t *tlsi_stacks_export(apr_pool_t *p, const tlsi_stacks_t *t,
                                       int today)
{
    apr_array_header_t *recs = apr_array_make(p, 4, sizeof(tlsi_stack_rec_t));
    int i;

    for (i = 0; t->slots != NULL && i < t->count; i++) {
        tlsi_stack_rec_t rec;

        if (apr_atomic_read32(&t->slots[i].state) != SLOT_READY) {
            continue;
        }
        record_of(&t->slots[i], &rec);
        if (tlsi_stacks_keep(&rec, today)) {
            *(tlsi_stack_rec_t *)apr_array_push(recs) = rec;
        }
    }
    return recs;
}

void tlsi_stacks_totals(const apr_array_header_t *recs, int *larger,
                        int *held)
{
    int i;

    *larger = *held = 0;
    for (i = 0; i < recs->nelts; i++) {
        if (APR_ARRAY_IDX(recs, i, tlsi_stack_rec_t).takes > TLSI_STEP_FITTED) {
            (*larger)++;
        }
        else {
            (*held)++;      /* kept only while its retry day is ahead */
        }
    }
}

/* Take the slot's ticket: free, or lapsed (its handshake's outcome never
 * came: a child that died). */
static int take_ticket(tlsi_stack_slot_t *s, apr_uint32_t now,
                       apr_uint32_t *ticket)
{
    apr_uint32_t held = apr_atomic_read32(&s->ticket);

    *ticket = now ? now : 1;
    if (held != 0 && now - held < TLSI_STACKS_TICKET_SECONDS) {
        return 0;
    }
    return apr_atomic_cas32(&s->ticket, *ticket, held) == held;
}

void tlsi_stacks_choose(tlsi_stacks_t *t, const char *ja4, apr_uint32_t now,
                        tlsi_stack_choice_t *c)
{
    tlsi_stack_slot_t *s = find(t, ja4, 0);
    apr_uint32_t today = now / TLSI_STACKS_SECONDS_PER_DAY, trying;

    c->slot = s;
    c->step = TLSI_STEP_FITTED;
    c->exploring = 0;
    c->ticket = 0;
    if (s == NULL) {
        return;
    }
    c->step = (int)apr_atomic_read32(&s->learned);
    trying = apr_atomic_read32(&s->trying);
    if (trying > (apr_uint32_t)c->step
        && apr_atomic_read32(&s->retry_day) <= today
        && take_ticket(s, now, &c->ticket)) {
        c->step = (int)trying;
        c->exploring = 1;
    }
}

/* Raise *word to value unless it is already as high: 1 if it did, with
 * what it held in *before. */
static int raise_to(apr_uint32_t *word, apr_uint32_t value,
                    apr_uint32_t *before)
{
    apr_uint32_t seen = apr_atomic_read32(word);

    while (seen < value) {
        apr_uint32_t was = apr_atomic_cas32(word, value, seen);

        if (was == seen) {
            *before = seen;
            return 1;
        }
        seen = was;
    }
    return 0;
}

/* The exploration of step from is over: none is due unless another
 * step was set meanwhile. */
static void stop_trying(tlsi_stack_slot_t *s, apr_uint32_t from)
{
    apr_atomic_cas32(&s->trying, 0, from);
}

tlsi_stacks_change_e tlsi_stacks_outcome(tlsi_stacks_t *t, const char *ja4,
                                         tlsi_stack_choice_t *c,
                                         tlsi_outcome_e outcome,
                                         apr_uint32_t now)
{
    apr_uint32_t today = now / TLSI_STACKS_SECONDS_PER_DAY;
    tlsi_stack_slot_t *s = c->slot;
    tlsi_stacks_change_e change = TLSI_STACKS_NO_CHANGE;
    apr_uint32_t before;
    int next = c->step >= 0 && c->step < TLSI_STEPS ? t->next[c->step] : -1;

    switch (outcome) {
    case TLSI_OUTCOME_AUTHENTICATED:
        if (s != NULL) {
            if (raise_to(&s->learned, (apr_uint32_t)c->step, &before)) {
                change = before == TLSI_STEP_FITTED
                         ? TLSI_STACKS_LEARNED : TLSI_STACKS_LEARNED_MORE;
            }
            if (c->step > TLSI_STEP_FITTED) {
                apr_atomic_set32(&s->last_seen, today);
            }
            if (c->exploring) {
                stop_trying(s, (apr_uint32_t)c->step);
            }
        }
        break;
    case TLSI_OUTCOME_NO_CERTIFICATE:
        if (next < 0) {
            /* the whole list, and still none: the client has none */
            if (s != NULL && c->exploring) {
                stop_trying(s, (apr_uint32_t)c->step);
            }
            break;
        }
        if (s == NULL) {
            s = c->slot = find(t, ja4, 1);
        }
        if (s == NULL
            || apr_atomic_read32(&s->retry_day) > today) {
            break;
        }
        if (c->exploring) {
            /* explore the next step: only this handshake's step moves on */
            if (apr_atomic_cas32(&s->trying, (apr_uint32_t)next,
                                 (apr_uint32_t)c->step)
                == (apr_uint32_t)c->step) {
                change = TLSI_STACKS_EXPLORE;
            }
        }
        else if (apr_atomic_cas32(&s->trying, (apr_uint32_t)next, 0) == 0) {
            change = TLSI_STACKS_EXPLORE;
        }
        break;
    case TLSI_OUTCOME_BAD_CERTIFICATE:
        /* it read the list, and has a certificate of another CA: the step
         * stays to explore */
        break;
    case TLSI_OUTCOME_BROKE_OFF:
        if (s != NULL && c->exploring) {
            apr_atomic_set32(&s->retry_day, today + TLSI_STACKS_RETRY_DAYS);
            apr_atomic_set32(&s->last_seen, today);
            stop_trying(s, (apr_uint32_t)c->step);
            change = TLSI_STACKS_HELD;
        }
        break;
    }
    if (s != NULL && c->exploring) {
        /* unless it lapsed and another handshake holds it now */
        apr_atomic_cas32(&s->ticket, 0, c->ticket);
        c->exploring = 0;
    }
    return change;
}

static const char *const step_names[TLSI_STEPS] = {
    "fitted", "32768", "whole"
};

const char *tlsi_step_name(int step)
{
    return step >= 0 && step < TLSI_STEPS ? step_names[step] : "?";
}

int tlsi_step_parse(const char *text, apr_size_t len)
{
    int step;

    for (step = 0; step < TLSI_STEPS; step++) {
        if (strlen(step_names[step]) == len
            && memcmp(step_names[step], text, len) == 0) {
            return step;
        }
    }
    return -1;
}
