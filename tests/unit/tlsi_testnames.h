/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Test helpers: X.509 names and name lists, random but reproducible. */
#ifndef TLSI_TESTNAMES_H
#define TLSI_TESTNAMES_H

#include <stdio.h>
#include <stdlib.h>

#include <openssl/x509.h>

/* A name like a CA's: C, O, OU and CN, with lengths that vary by seed. */
static inline X509_NAME *test_name(unsigned int seed, int index)
{
    static const char *const words[] = {
        "Global", "Trust", "Services", "Root", "Certification", "Authority",
        "Secure", "Digital", "Network", "International", "Public", "Server"
    };
    X509_NAME *name = X509_NAME_new();
    char org[160] = "", cn[200];
    int i, nwords = 1 + (int)(seed % 7);

    for (i = 0; i < nwords; i++) {
        strcat(org, words[(seed / 7 + (unsigned int)i * 5) % 12]);
        strcat(org, i + 1 < nwords ? " " : "");
    }
    snprintf(cn, sizeof(cn), "%s CA %d", org, index);
    X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC,
                               (const unsigned char *)"US", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               (const unsigned char *)org, -1, -1, 0);
    if (seed % 3 == 0) {
        X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_ASC,
                                   (const unsigned char *)"Certification "
                                   "Authority Operations", -1, -1, 0);
    }
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    return name;
}

/* count distinct names; free with sk_X509_NAME_pop_free(.., X509_NAME_free) */
static inline STACK_OF(X509_NAME) *test_names(int count, unsigned int seed)
{
    STACK_OF(X509_NAME) *names = sk_X509_NAME_new_null();
    int i;

    srand(seed);
    for (i = 0; i < count; i++) {
        sk_X509_NAME_push(names, test_name((unsigned int)rand(), i));
    }
    return names;
}

static inline apr_size_t test_names_len(const STACK_OF(X509_NAME) *names)
{
    apr_size_t len = 0;
    int i;

    for (i = 0; i < sk_X509_NAME_num(names); i++) {
        len += tlsi_name_wire_len(sk_X509_NAME_value(names, i));
    }
    return len;
}

#ifdef TLSI_CALIST_H
#include "tlsi_names.h"

/*
 * The names of list in the order the module builds for preferred subjects
 * (an array of X509_NAME *, may be NULL): their indices by the vhost's
 * name map (tlsi_namemap_match), then tlsi_calist_arrange, as the start-up
 * path does before tlsi_cover_order adds the anchors.  *lead_count, when
 * not NULL, says how many lead.
 */
static inline tlsi_calist_t *test_order(apr_pool_t *p,
                                        const STACK_OF(X509_NAME) *list,
                                        const apr_array_header_t *prefer,
                                        apr_array_header_t *unmatched,
                                        int *lead_count)
{
    apr_array_header_t *lead = NULL;

    if (prefer != NULL && prefer->nelts > 0) {
        lead = tlsi_namemap_match(p, tlsi_namemap_make(p, list), prefer,
                                  unmatched);
    }
    if (lead_count != NULL) {
        *lead_count = lead != NULL ? lead->nelts : 0;
    }
    return tlsi_calist_arrange(p, list, lead);
}
#endif

#endif /* TLSI_TESTNAMES_H */
