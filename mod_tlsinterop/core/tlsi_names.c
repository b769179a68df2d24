/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <stdlib.h>
#include <string.h>

#include <apr_file_info.h>
#include <apr_strings.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tlsi_names.h"

int tlsi_no_pass_phrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

static apr_status_t free_subjects(void *data)
{
    apr_array_header_t *subjects = data;
    int i;

    for (i = 0; i < subjects->nelts; i++) {
        X509_NAME_free(APR_ARRAY_IDX(subjects, i, X509_NAME *));
    }
    subjects->nelts = 0;
    return APR_SUCCESS;
}

/* Why the last PEM read stopped, as OpenSSL puts it. */
static const char *openssl_reason(apr_pool_t *p)
{
    unsigned long code = ERR_peek_last_error();
    const char *reason = code ? ERR_reason_error_string(code) : NULL;

    return apr_pstrdup(p, reason ? reason : "unknown error");
}

static int is_end_of_pem(void)
{
    unsigned long code = ERR_peek_last_error();

    return ERR_GET_LIB(code) == ERR_LIB_PEM
           && ERR_GET_REASON(code) == PEM_R_NO_START_LINE;
}

const char *tlsi_pem_subjects(apr_pool_t *p, const char *path,
                              apr_array_header_t **subjects)
{
    apr_finfo_t finfo;
    apr_status_t rv;
    const char *error = NULL;
    char errbuf[128];
    BIO *bio;
    X509 *cert;

    rv = apr_stat(&finfo, path, APR_FINFO_TYPE, p);
    if (rv != APR_SUCCESS) {
        return apr_psprintf(p, "cannot read '%s': %s", path,
                            apr_strerror(rv, errbuf, sizeof(errbuf)));
    }
    if (finfo.filetype != APR_REG) {
        return apr_psprintf(p, "'%s' is not a regular file", path);
    }

    ERR_set_mark();
    bio = BIO_new_file(path, "r");
    if (bio == NULL) {
        /* fopen's reason ("Permission denied"), not OpenSSL's "system
         * lib" */
        rv = apr_get_os_error();
        error = apr_psprintf(p, "cannot open '%s': %s", path,
                             rv ? apr_strerror(rv, errbuf, sizeof(errbuf))
                                : openssl_reason(p));
        ERR_pop_to_mark();
        return error;
    }

    *subjects = apr_array_make(p, 16, sizeof(X509_NAME *));
    apr_pool_cleanup_register(p, *subjects, free_subjects,
                              apr_pool_cleanup_null);
    while ((cert = PEM_read_bio_X509(bio, NULL, tlsi_no_pass_phrase, NULL))
           != NULL) {
        X509_NAME *subject = X509_NAME_dup(X509_get_subject_name(cert));

        X509_free(cert);
        if (subject == NULL) {
            error = "out of memory";
            break;
        }
        APR_ARRAY_PUSH(*subjects, X509_NAME *) = subject;
    }
    if (error == NULL && !is_end_of_pem()) {
        error = apr_psprintf(p, "'%s' holds a malformed PEM certificate "
                             "after %d good one(s): %s", path,
                             (*subjects)->nelts, openssl_reason(p));
    }
    else if (error == NULL && (*subjects)->nelts == 0) {
        error = apr_psprintf(p, "'%s' holds no PEM certificate", path);
    }
    BIO_free(bio);
    ERR_pop_to_mark();
    return error;
}

apr_size_t tlsi_name_format(const X509_NAME *name, char *buf, apr_size_t len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    long n = 0;

    if (bio != NULL && X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
        n = BIO_get_mem_data(bio, &data);
    }
    if (len > 0) {
        apr_size_t copy = n > 0 ? (apr_size_t)n : 0;

        if (copy > len - 1) {
            copy = len - 1;
        }
        if (copy > 0) {
            memcpy(buf, data, copy);
        }
        buf[copy] = '\0';
    }
    BIO_free(bio);
    return n > 0 ? (apr_size_t)n : 0;
}

const char *tlsi_name_text(apr_pool_t *p, const X509_NAME *name)
{
    char small[512], *text;
    apr_size_t len = tlsi_name_format(name, small, sizeof(small));

    if (len == 0) {
        return "(unprintable name)";
    }
    if (len < sizeof(small)) {
        return apr_pstrmemdup(p, small, len);
    }
    text = apr_palloc(p, len + 1);
    tlsi_name_format(name, text, len + 1);
    return text;
}

/* A list entry, for finding names by binary search. */
typedef struct {
    const X509_NAME *name;
    int index;
} map_entry_t;

struct tlsi_namemap {
    int count;
    map_entry_t *sorted;
};

static int map_entry_cmp(const void *a, const void *b)
{
    const map_entry_t *ea = a, *eb = b;
    int rc = X509_NAME_cmp(ea->name, eb->name);

    return rc != 0 ? rc : ea->index - eb->index;
}

tlsi_namemap_t *tlsi_namemap_make(apr_pool_t *p,
                                  const STACK_OF(X509_NAME) *list)
{
    tlsi_namemap_t *map = apr_pcalloc(p, sizeof(*map));
    int count = list != NULL ? sk_X509_NAME_num(list) : 0, i;

    map->count = count > 0 ? count : 0;
    map->sorted = apr_palloc(p, sizeof(*map->sorted) * (map->count + 1));
    for (i = 0; i < map->count; i++) {
        map->sorted[i].name = sk_X509_NAME_value(list, i);
        map->sorted[i].index = i;
    }
    qsort(map->sorted, map->count, sizeof(*map->sorted), map_entry_cmp);
    return map;
}

/* Position in sorted of the first entry equal to name, or count. */
static int lower_bound(const tlsi_namemap_t *map, const X509_NAME *name)
{
    int lo = 0, hi = map->count;

    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;

        if (X509_NAME_cmp(map->sorted[mid].name, name) < 0) {
            lo = mid + 1;
        }
        else {
            hi = mid;
        }
    }
    return lo;
}

int tlsi_namemap_find(const tlsi_namemap_t *map, const X509_NAME *name)
{
    int at = lower_bound(map, name);

    if (at < map->count && X509_NAME_cmp(map->sorted[at].name, name) == 0) {
        return map->sorted[at].index;
    }
    return -1;
}

apr_array_header_t *tlsi_namemap_match(apr_pool_t *p,
                                       const tlsi_namemap_t *map,
                                       const apr_array_header_t *subjects,
                                       apr_array_header_t *unmatched)
{
    apr_array_header_t *found = apr_array_make(p, 8, sizeof(int));
    char *taken = apr_pcalloc(p, map->count + 1);
    int i;

    for (i = 0; subjects != NULL && i < subjects->nelts; i++) {
        const X509_NAME *want = APR_ARRAY_IDX(subjects, i, const X509_NAME *);
        int at = lower_bound(map, want), seen = 0;

        /* Equal entries sort by index: the earliest untaken one wins. */
        for (; at < map->count
               && X509_NAME_cmp(map->sorted[at].name, want) == 0; at++) {
            seen = 1;
            if (!taken[map->sorted[at].index]) {
                taken[map->sorted[at].index] = 1;
                APR_ARRAY_PUSH(found, int) = map->sorted[at].index;
                break;
            }
        }
        if (!seen && unmatched != NULL) {
            APR_ARRAY_PUSH(unmatched, const X509_NAME *) = want;
        }
    }
    return found;
}
