/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Reading certificate subjects from PEM files, and printing names. */

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <apr_strings.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "tlsi_names.h"
#include "tlsi_ossl.h"
#include "tlsi_test.h"

static char dir[] = "/tmp/tlsi-test-names-XXXXXX";
static char *written[16];     /* outlive the per-test pools */
static int nwritten;

static X509 *make_cert(const char *cn)
{
    static EVP_PKEY *key;
    X509 *cert = X509_new();

    if (key == NULL) {
        key = tlsi_ossl_ec_key(NID_X9_62_prime256v1);
    }
    X509_set_version(cert, TLSI_X509_V3);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 60);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(cert, X509_get_subject_name(cert));
    X509_set_pubkey(cert, key);
    X509_sign(cert, key, EVP_sha256());
    return cert;
}

/* Write a file of PEM certificates named by cns, then extra text. */
static const char *write_file(apr_pool_t *p, const char *base,
                              const char *const *cns, const char *extra)
{
    const char *path = apr_pstrcat(p, dir, "/", base, NULL);
    FILE *f = fopen(path, "w");

    written[nwritten++] = strdup(path);
    for (; cns && *cns; cns++) {
        X509 *cert = make_cert(*cns);

        PEM_write_X509(f, cert);
        X509_free(cert);
    }
    if (extra) {
        fputs(extra, f);
    }
    fclose(f);
    return path;
}

static void reads_subjects_in_file_order(apr_pool_t *p)
{
    static const char *const cns[] = { "Third", "First", "Second", NULL };
    apr_array_header_t *subjects = NULL;
    const char *path = write_file(p, "good.pem", cns, "trailing words\n");
    int i;

    CHECK(tlsi_pem_subjects(p, path, &subjects) == NULL);
    CHECK_EQ(subjects->nelts, 3);
    for (i = 0; i < 3 && i < subjects->nelts; i++) {
        const char *text = tlsi_name_text(p, APR_ARRAY_IDX(subjects, i,
                                                           X509_NAME *));
        CHECK(strcmp(text, apr_pstrcat(p, "CN=", cns[i], NULL)) == 0);
    }
}

static void refuses_bad_files(apr_pool_t *p)
{
    static const char *const one[] = { "Good", NULL };
    static const char *const garbage =
        "-----BEGIN CERTIFICATE-----\nnot base64 at all!!\n"
        "-----END CERTIFICATE-----\n";
    const struct {
        const char *path;
        const char *why;
    } bad[] = {
        { apr_pstrcat(p, dir, "/missing.pem", NULL), "cannot read" },
        { dir, "not a regular file" },
        { write_file(p, "empty.pem", NULL, ""), "holds no PEM certificate" },
        { write_file(p, "text.pem", NULL, "hello\n"), "holds no PEM certificate" },
        { write_file(p, "key.pem", NULL, "-----BEGIN PRIVATE KEY-----\nAAAA\n"
                     "-----END PRIVATE KEY-----\n"), "holds no PEM certificate" },
        { write_file(p, "garbage.pem", NULL, garbage), "malformed" },
        { write_file(p, "good-then-garbage.pem", one, garbage),
          "after 1 good one(s)" },
    };
    apr_size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        apr_array_header_t *subjects = NULL;
        const char *err = tlsi_pem_subjects(p, bad[i].path, &subjects);

        CHECK(err != NULL);
        if (err == NULL || strstr(err, bad[i].why) == NULL
            || strstr(err, bad[i].path) == NULL) {
            fprintf(stderr, "  %s: got '%s', wanted '%s'\n", bad[i].path,
                    err ? err : "(no error)", bad[i].why);
            CHECK(!"message names the file and the fault");
        }
    }
}

/* One printer for log lines and the probe: whole from a pool, cut to a
 * buffer, RFC 2253 either way. */
static void names_print_whole_or_cut(apr_pool_t *p)
{
    X509_NAME *name = X509_NAME_new();
    char unit[61], small[16];
    const char *whole;
    apr_size_t len;
    int i;

    memset(unit, 'x', sizeof(unit) - 1);
    unit[sizeof(unit) - 1] = '\0';
    for (i = 0; i < 12; i++) {      /* over the 512 bytes text starts with */
        X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_ASC,
                                   (const unsigned char *)unit, -1, -1, 0);
    }
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *)"Long, Name", -1, -1, 0);
    whole = tlsi_name_text(p, name);
    len = tlsi_name_format(name, small, sizeof(small));
    CHECK_EQ(len, strlen(whole));
    CHECK(len > 700 && strncmp(whole, "CN=Long\\, Name,OU=xxx", 21) == 0);
    CHECK_EQ(strlen(small), sizeof(small) - 1);
    CHECK(strncmp(small, whole, sizeof(small) - 1) == 0);
    X509_NAME_free(name);
    name = X509_NAME_new();
    CHECK_EQ(tlsi_name_format(name, small, sizeof(small)), 0);
    CHECK(small[0] == '\0');
    CHECK(strcmp(tlsi_name_text(p, name), "(unprintable name)") == 0);
    X509_NAME_free(name);
}

int main(void)
{
    apr_pool_t *pool = tlsi_test_init();
    int rc;

    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    TLSI_RUN(reads_subjects_in_file_order, pool);
    TLSI_RUN(refuses_bad_files, pool);
    TLSI_RUN(names_print_whole_or_cut, pool);
    rc = tlsi_test_done("test_names");
    while (nwritten > 0) {
        unlink(written[--nwritten]);
        free(written[nwritten]);
    }
    rmdir(dir);
    return rc;
}
