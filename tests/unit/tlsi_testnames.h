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

#endif /* TLSI_TESTNAMES_H */
