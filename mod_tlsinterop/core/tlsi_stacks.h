/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * tlsi_stacks: which client stacks, known by their JA4 fingerprint, a
 * vhost has learned to give more than its fitted CA list.
 *
 * Pure core: needs APR only.  For a vhost with "SSLVerifyClient require"
 * whose fitted list drops names.  A client that sends no certificate after
 * the fitted list is refused anyway, so the next full handshake with its
 * fingerprint explores one step larger: first the largest list within
 * TLSI_STACKS_STEP_BYTES (what Java takes), then the whole list.  That
 * handshake's outcome settles the step:
 *
 *   - a certificate that verifies: the stack is learned at that step, and
 *     its handshakes get that list from then on;
 *   - no certificate again: the next step is explored;
 *   - a certificate that does not verify: the step is explored again;
 *   - the handshake broke off before the client's Certificate message
 *     (alert, reset, close): the stack gets what it was learned at (the
 *     fitted list if nothing), and is not explored again for
 *     TLSI_STACKS_RETRY_DAYS.
 *
 * Bounds, also against a client that lies about its fingerprint: only one
 * handshake per fingerprint explores at a time (a ticket, which lapses
 * after TLSI_STACKS_TICKET_SECONDS if its handshake's outcome never
 * comes); a stack is learned larger only from a certificate that
 * verifies; a learned step is never lowered by a client (a broken-off
 * exploration ends only the exploration); and a vhost tracks at most
 * TLSI_STACKS_SLOTS fingerprints per generation.  Trust never depends on
 * any of it: the list only decides which certificate a client offers.
 *
 * The table lives in memory that every child shares (the caller provides
 * it, zeroed) and is changed with atomic operations only, no lock.  Races
 * are benign: at worst a fingerprint gets two slots, or one more handshake
 * explores.
 */
#ifndef TLSI_STACKS_H
#define TLSI_STACKS_H

#include <apr.h>
#include <apr_pools.h>
#include <apr_tables.h>

#include "tlsi_hello.h"

#define TLSI_STACKS_SLOTS          64
#define TLSI_STACKS_STEP_BYTES     32768
#define TLSI_STACKS_RETRY_DAYS     30
#define TLSI_STACKS_FORGET_DAYS    365
#define TLSI_STACKS_TICKET_SECONDS 120
#define TLSI_STACKS_SECONDS_PER_DAY 86400

/* The lists a vhost gives, smallest first. */
typedef enum {
    TLSI_STEP_FITTED = 0,       /* the fitted list (what every client gets) */
    TLSI_STEP_STEP_BYTES,       /* the largest within TLSI_STACKS_STEP_BYTES */
    TLSI_STEP_WHOLE,            /* the whole list */
    TLSI_STEPS
} tlsi_step_e;

/* What a fingerprint was learned to take, as kept across restarts. */
typedef struct tlsi_stack_rec {
    char ja4[TLSI_JA4_LEN + 1];
    int takes;                  /* a tlsi_step_e */
    int retry_day;              /* no exploration before; 0: none */
    int last_seen;              /* day it last authenticated or was set */
} tlsi_stack_rec_t;

typedef struct tlsi_stack_slot tlsi_stack_slot_t;

typedef struct tlsi_stacks {
    tlsi_stack_slot_t *slots;   /* NULL until attached: nothing explored */
    int count;
    int names[TLSI_STEPS];      /* CA names each step's list holds */
    int next[TLSI_STEPS];       /* the step explored after each; -1: none */
} tlsi_stacks_t;

/* What one handshake was given. */
typedef struct tlsi_stack_choice {
    tlsi_stack_slot_t *slot;    /* the fingerprint's, or NULL */
    int step;
    int exploring;              /* it holds the slot's ticket */
    apr_uint32_t ticket;        /* which: the second it was taken */
} tlsi_stack_choice_t;

typedef enum {
    TLSI_OUTCOME_AUTHENTICATED,     /* a certificate that verifies */
    TLSI_OUTCOME_NO_CERTIFICATE,    /* an empty Certificate: refused */
    TLSI_OUTCOME_BAD_CERTIFICATE,   /* one that does not verify */
    TLSI_OUTCOME_BROKE_OFF          /* ended before its Certificate */
} tlsi_outcome_e;

/* What an outcome changed, for counters and logs. */
typedef enum {
    TLSI_STACKS_NO_CHANGE = 0,
    TLSI_STACKS_EXPLORE,        /* the next handshake explores a step */
    TLSI_STACKS_LEARNED,        /* learned at a larger list, the first */
    TLSI_STACKS_LEARNED_MORE,   /* learned at a larger step than before */
    TLSI_STACKS_HELD            /* held to what it was learned at (the
                                 * fitted list if nothing) and not explored
                                 * for TLSI_STACKS_RETRY_DAYS */
} tlsi_stacks_change_e;

/* Bytes of shared memory for slots fingerprints. */
apr_size_t tlsi_stacks_bytes(int slots);

/*
 * A table for a vhost whose steps' lists hold names[step] CA names: a step
 * that gives no more names than the one below it is skipped.  It explores
 * nothing until attached.
 */
void tlsi_stacks_init(tlsi_stacks_t *t, const int names[TLSI_STEPS]);

/* Use mem (tlsi_stacks_bytes(slots), zeroed) for t's fingerprints. */
void tlsi_stacks_attach(tlsi_stacks_t *t, void *mem, int slots);

/* Put what a file kept (tlsi_stack_rec_t) into a freshly attached table;
 * records forgotten by today (see tlsi_stacks_keep) are left out. */
void tlsi_stacks_load(tlsi_stacks_t *t, const apr_array_header_t *recs,
                      int today);

/* Whether a record is still worth keeping today: learned larger and seen
 * within TLSI_STACKS_FORGET_DAYS days, or not to be explored yet. */
int tlsi_stacks_keep(const tlsi_stack_rec_t *rec, int today);

/* The table's records worth keeping (tlsi_stack_rec_t), for the file. */
apr_array_header_t *tlsi_stacks_export(apr_pool_t *p, const tlsi_stacks_t *t,
                                       int today);

/* Of records from tlsi_stacks_export: how many stacks take more than the
 * fitted list, and how many are held to it for now. */
void tlsi_stacks_totals(const apr_array_header_t *recs, int *larger,
                        int *held);

/*
 * The step a full handshake of a client with fingerprint ja4 gets, at
 * now (seconds since the epoch), into *c.  Takes the exploring ticket
 * where one is due and free.
 */
void tlsi_stacks_choose(tlsi_stacks_t *t, const char *ja4, apr_uint32_t now,
                        tlsi_stack_choice_t *c);

/* Record how a handshake chosen with c ended; c's ticket is released. */
tlsi_stacks_change_e tlsi_stacks_outcome(tlsi_stacks_t *t, const char *ja4,
                                         tlsi_stack_choice_t *c,
                                         tlsi_outcome_e outcome,
                                         apr_uint32_t now);

/* "fitted", "32768" or "whole"; and back (-1 for none of them). */
const char *tlsi_step_name(int step);
int tlsi_step_parse(const char *text, apr_size_t len);

/* Whether text (len bytes) is a well-formed JA4 fingerprint. */
int tlsi_ja4_valid(const char *text, apr_size_t len);

#endif /* TLSI_STACKS_H */
