/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * The learned-names state file, fed arbitrary text.  Whatever it holds:
 *  - parsing keeps at most the entries before a fault, each with a
 *    certificate and a day on or after 1970-01-01;
 *  - ranking keeps at most TLSI_LEARNED_MAX entries, none older than
 *    TLSI_LEARNED_FORGET days and none with nothing counted, issuers
 *    first;
 *  - the formatted text parses again with no fault, to the same entries
 *    in the same order, and formats to the same text: what httpd writes,
 *    it reads back.
 *
 * Input: the file's text.  Its first byte also moves "today" from the
 * first entry's day, so that some inputs forget entries.
 */
#include <stdint.h>
#include <string.h>

#include <openssl/err.h>

#include "fuzz.h"
#include "tlsi_learned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const tlsi_learned_entry_t *entry(const tlsi_learned_t *l, int i)
{
    return &APR_ARRAY_IDX(l->entries, i, tlsi_learned_entry_t);
}

static void check_ranked(const tlsi_learned_t *l, int today)
{
    int i, issuers = 1;

    FUZZ_CHECK(l->entries->nelts <= TLSI_LEARNED_MAX);
    for (i = 0; i < l->entries->nelts; i++) {
        const tlsi_learned_entry_t *e = entry(l, i);
        double issued = tlsi_learned_weight(e, today, 1);

        FUZZ_CHECK(e->cert != NULL);
        FUZZ_CHECK(today - e->last_seen <= TLSI_LEARNED_FORGET);
        FUZZ_CHECK(e->issued > 0 || e->above > 0);
        /* once an entry issued nothing, none after it did */
        if (issued <= 0) {
            issuers = 0;
        }
        FUZZ_CHECK(issuers || issued <= 0);
        if (i > 0 && issuers) {
            FUZZ_CHECK(tlsi_learned_weight(entry(l, i - 1), today, 1)
                       >= issued);
        }
    }
}

/* What a file kept goes into a table that only holds what is worth it. */
static void check_stacks_load(apr_pool_t *p, const tlsi_learned_t *l,
                              int today)
{
    int names[TLSI_STEPS] = { 10, 20, 30 };
    tlsi_stacks_t t;
    apr_array_header_t *kept;
    int i;

    tlsi_stacks_init(&t, names);
    tlsi_stacks_attach(&t, apr_pcalloc(p, tlsi_stacks_bytes(8)), 8);
    tlsi_stacks_load(&t, l->stacks, today);
    kept = tlsi_stacks_export(p, &t, today);
    FUZZ_CHECK(kept->nelts <= 8 && kept->nelts <= l->stacks->nelts);
    for (i = 0; i < kept->nelts; i++) {
        FUZZ_CHECK(tlsi_stacks_keep(&APR_ARRAY_IDX(kept, i, tlsi_stack_rec_t),
                                    today));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tlsi_learned_t *l, *again;
    const char *text, *err;
    apr_pool_t *p;
    int today, i;

    ERR_clear_error();
    apr_pool_create(&p, fuzz_root_pool());
    l = tlsi_learned_make(p);
    tlsi_learned_parse(l, (const char *)data, size);
    for (i = 0; i < l->entries->nelts; i++) {
        FUZZ_CHECK(entry(l, i)->cert != NULL);
        FUZZ_CHECK(entry(l, i)->last_seen >= 0);
    }
    /* the parser leaves nothing in OpenSSL's error queue */
    FUZZ_CHECK(ERR_peek_error() == 0);

    today = l->entries->nelts > 0 ? entry(l, 0)->last_seen : 20000;
    today += size > 0 ? (data[0] % 64) * 7 : 0;
    tlsi_learned_rank(l, today);
    check_ranked(l, today);

    text = tlsi_learned_format(p, l, "Virtual host: fuzz");
    again = tlsi_learned_make(p);
    err = tlsi_learned_parse(again, text, strlen(text));
    if (err != NULL) {
        fprintf(stderr, "formatted text does not parse: %s\n%s\n", err,
                text);
    }
    FUZZ_CHECK(err == NULL);
    FUZZ_CHECK(again->entries->nelts == l->entries->nelts);
    FUZZ_CHECK(l->stacks->nelts <= TLSI_STACKS_SLOTS);
    FUZZ_CHECK(again->stacks->nelts == l->stacks->nelts);
    for (i = 0; i < l->stacks->nelts; i++) {
        const tlsi_stack_rec_t *a = &APR_ARRAY_IDX(l->stacks, i,
                                                   tlsi_stack_rec_t);
        const tlsi_stack_rec_t *b = &APR_ARRAY_IDX(again->stacks, i,
                                                   tlsi_stack_rec_t);

        FUZZ_CHECK(tlsi_ja4_valid(a->ja4, strlen(a->ja4)));
        FUZZ_CHECK(a->takes >= 0 && a->takes < TLSI_STEPS);
        FUZZ_CHECK(strcmp(a->ja4, b->ja4) == 0 && a->takes == b->takes
                   && a->last_seen == b->last_seen
                   && a->retry_day == b->retry_day);
    }
    check_stacks_load(p, l, today);
    for (i = 0; i < l->entries->nelts; i++) {
        FUZZ_CHECK(X509_cmp(entry(again, i)->cert, entry(l, i)->cert) == 0);
        FUZZ_CHECK(entry(again, i)->issued == entry(l, i)->issued);
        FUZZ_CHECK(entry(again, i)->above == entry(l, i)->above);
        FUZZ_CHECK(entry(again, i)->last_seen == entry(l, i)->last_seen);
    }
    FUZZ_CHECK(strcmp(tlsi_learned_format(p, again, "Virtual host: fuzz"),
                      text) == 0);
    apr_pool_destroy(p);
    return 0;
}
