/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <apr_file_info.h>
#include <apr_strings.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tlsi_names.h"

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
    while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
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

const char *tlsi_name_text(apr_pool_t *p, const X509_NAME *name)
{
    BIO *bio = BIO_new(BIO_s_mem());
    const char *text = "(unprintable name)";
    char *data;
    long len;

    if (bio != NULL && X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0
        && (len = BIO_get_mem_data(bio, &data)) >= 0) {
        text = apr_pstrmemdup(p, data, (apr_size_t)len);
    }
    BIO_free(bio);
    return text;
}
