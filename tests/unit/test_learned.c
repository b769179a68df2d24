/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* The learned CA names: the state file's text, ranking with decay, and
 * reading and writing the file. */

#include <dirent.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <apr_strings.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ui.h>

#include "tlsi_learned.h"
#include "tlsi_test.h"
#include "tlsi_testcerts.h"

static char dir[] = "/tmp/tlsi-test-learned-XXXXXX";

static const char *pem(apr_pool_t *p, X509 *cert)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data;
    long len;
    const char *text;

    PEM_write_bio_X509(bio, cert);
    len = BIO_get_mem_data(bio, &data);
    text = apr_pstrmemdup(p, data, (apr_size_t)len);
    BIO_free(bio);
    return text;
}

/* A day number, computed apart from the code under test. */
static int day_of(int year, int month, int mday)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = mday;
    return (int)(timegm(&tm) / 86400);
}

static const tlsi_learned_entry_t *entry(const tlsi_learned_t *l, int i)
{
    return &APR_ARRAY_IDX(l->entries, i, tlsi_learned_entry_t);
}

static int is_cert(const tlsi_learned_entry_t *e, X509 *cert)
{
    return X509_cmp(e->cert, cert) == 0;
}

static const char *counts(apr_pool_t *p, const char *issued,
                          const char *above, const char *date)
{
    return apr_psprintf(p, TLSI_LEARNED_TAG " issued=%s above=%s "
                        "last-seen=%s\n", issued, above, date);
}

static const char *crlf(apr_pool_t *p, const char *text)
{
    char *out = apr_palloc(p, strlen(text) * 2 + 1), *at = out;

    for (; *text; text++) {
        if (*text == '\n') {
            *at++ = '\r';
        }
        *at++ = *text;
    }
    *at = '\0';
    return out;
}

static int lines_in(const char *text)
{
    int n = 0;

    for (; *text; text++) {
        n += *text == '\n';
    }
    return n;
}

static const char *parse(tlsi_learned_t *l, const char *text)
{
    return tlsi_learned_parse(l, text, strlen(text));
}

/* -- parsing -------------------------------------------------------------- */

static void parse_a_well_formed_file(apr_pool_t *p)
{
    X509 *a = test_ca("Learned A"), *b = test_ca("Learned B");
    const char *text = apr_pstrcat(p,
        "# mod_tlsinterop: CA names learned\n"
        "# Virtual host: test\n"
        "\n",
        counts(p, "12", "3", "2025-03-01"),
        "subject=CN=Learned A\n",
        pem(p, a),
        "\n"
        "# a comment between entries\n",
        counts(p, "0", "18446744073", "2024-02-29"),
        "subject=CN=Learned B\n",
        pem(p, b), NULL);
    const char *variants[3];
    int v;

    variants[0] = text;
    variants[1] = crlf(p, text);
    /* no line end after the last line */
    variants[2] = apr_pstrndup(p, text, strlen(text) - 1);
    for (v = 0; v < 3; v++) {
        tlsi_learned_t *l = tlsi_learned_make(p);
        const char *err = parse(l, variants[v]);

        CHECK(err == NULL);
        if (err != NULL) {
            fprintf(stderr, "    variant %d: %s\n", v, err);
        }
        CHECK_EQ(l->entries->nelts, 2);
        if (l->entries->nelts != 2) {
            continue;
        }
        /* the file's order, not a rank */
        CHECK(is_cert(entry(l, 0), a));
        CHECK_EQ(entry(l, 0)->issued, 12);
        CHECK_EQ(entry(l, 0)->above, 3);
        CHECK_EQ(entry(l, 0)->last_seen, day_of(2025, 3, 1));
        CHECK(is_cert(entry(l, 1), b));
        CHECK_EQ(entry(l, 1)->issued, 0);
        CHECK_EQ(entry(l, 1)->above, 18446744073ULL);
        CHECK_EQ(entry(l, 1)->last_seen, day_of(2024, 2, 29));
    }

    /* the largest count the line takes: counts that large all rank the
     * same */
    {
        tlsi_learned_t *l = tlsi_learned_make(p);

        CHECK(parse(l, apr_pstrcat(p, counts(p, "9999999999999999999",
                                             "1000000000000", "2025-03-01"),
                                   pem(p, a), NULL)) == NULL);
        CHECK_EQ(l->entries->nelts, 1);
        if (l->entries->nelts == 1) {
            CHECK(entry(l, 0)->issued == entry(l, 0)->above);
        }
    }

    /* nothing but comments is an empty state */
    {
        tlsi_learned_t *l = tlsi_learned_make(p);

        CHECK(parse(l, "# nothing yet\n\nsubject=CN=x\n") == NULL);
        CHECK(tlsi_learned_parse(l, "", 0) == NULL);
        CHECK_EQ(l->entries->nelts, 0);
    }
    X509_free(a);
    X509_free(b);
}

/* A prompt for a pass phrase, which parsing must never ask for. */
static int prompted;

static int record_prompt(UI *ui, UI_STRING *uis)
{
    (void)ui;
    (void)uis;
    prompted = 1;
    return -1;
}

static void faults_name_their_line_and_keep_what_came_before(apr_pool_t *p)
{
    X509 *a = test_ca("Kept A"), *b = test_ca("After B");
    const char *good = apr_pstrcat(p, "# header\n",
                                   counts(p, "5", "1", "2025-01-02"),
                                   pem(p, a), NULL);
    const char *pem_b = pem(p, b);
    /* pem_b's lines: BEGIN, the base64, END */
    const char *body = strchr(pem_b, '\n') + 1;
    const char *base64 = apr_pstrndup(p, body, strstr(body, "-----END")
                                               - body);
    const char *line = counts(p, "1", "1", "2025-01-02");
    int after = lines_in(good) + 1;
    struct {
        const char *text;       /* after good */
        int line;               /* of the fault, after good's lines */
        const char *what;
    } cases[] = {
        { "hello world\n", 0, "unexpected text" },
        { " TLSInteropLearned: issued=1 above=1 last-seen=2025-01-02\n", 0,
          "unexpected text" },
        { "-----BEGIN PRIVATE KEY-----\n", 0, "unexpected text" },
        /* malformed counts lines */
        { "TLSInteropLearned: issued=1 above=1 last-seen=2025-13-01\n", 0,
          "malformed" },
        { "TLSInteropLearned: issued=1 above=1 last-seen=2025-02-30\n", 0,
          "malformed" },
        { "TLSInteropLearned: issued=1 above=1 last-seen=2025-00-10\n", 0,
          "malformed" },
        { "TLSInteropLearned: issued=1 above=1 last-seen=1969-12-31\n", 0,
          "malformed" },
        { "TLSInteropLearned: issued=1 above=1 last-seen=2025-1-02\n", 0,
          "malformed" },
        { "TLSInteropLearned: issued=1 above=1 last-seen=2025/01/02\n", 0,
          "malformed" },
        { "TLSInteropLearned: issued=1 above=1 last-seen=2025-01-02 x\n", 0,
          "malformed" },
        { "TLSInteropLearned: issued=1 above=1\n", 0, "malformed" },
        { "TLSInteropLearned: issued=1 last-seen=2025-01-02\n", 0,
          "malformed" },
        { "TLSInteropLearned: above=1 last-seen=2025-01-02\n", 0,
          "malformed" },
        { "TLSInteropLearned: issued=1x above=1 last-seen=2025-01-02\n", 0,
          "malformed" },
        { "TLSInteropLearned: issued=-1 above=1 last-seen=2025-01-02\n", 0,
          "malformed" },
        { "TLSInteropLearned: issued= above=1 last-seen=2025-01-02\n", 0,
          "malformed" },
        { "TLSInteropLearned: issued=1 above=0x10 last-seen=2025-01-02\n", 0,
          "malformed" },
        { "TLSInteropLearned: issued=12345678901234567890 above=1 "
          "last-seen=2025-01-02\n", 0, "malformed" },
        { "TLSInteropLearned: issued=1  above=1 last-seen=2025-01-02\n", 0,
          "malformed" },
        /* a certificate without its counts, counts without a certificate */
        { pem_b, 0, "a certificate without a " TLSI_LEARNED_TAG " line" },
        { line, 0, "no certificate after " TLSI_LEARNED_TAG },
        { apr_pstrcat(p, line, "\n# comment\n", NULL), 0,
          "no certificate after" },
        { apr_pstrcat(p, line, line, pem_b, NULL), 0,
          "no certificate after" },
        /* broken PEM blocks: the fault is at the BEGIN line */
        { apr_pstrcat(p, line, "-----BEGIN CERTIFICATE-----\n", base64,
                      NULL), 1, "the certificate does not end" },
        { apr_pstrcat(p, line, "-----BEGIN CERTIFICATE-----\n", base64,
                      "-----END CERTIFICATE----- \n", NULL), 1,
          "the certificate does not end" },
        { apr_pstrcat(p, line, "-----BEGIN CERTIFICATE-----\n"
                      "!!!! not base64 ****\n"
                      "-----END CERTIFICATE-----\n", NULL), 1,
          "a malformed certificate" },
        { apr_pstrcat(p, line, "-----BEGIN CERTIFICATE-----\n"
                      "-----END CERTIFICATE-----\n", NULL), 1,
          "a malformed certificate" },
        /* base64 of something that is not a certificate */
        { apr_pstrcat(p, line, "-----BEGIN CERTIFICATE-----\n"
                      "MAMCAQE=\n"
                      "-----END CERTIFICATE-----\n", NULL), 1,
          "a malformed certificate" },
        /* the base64 cut short */
        { apr_pstrcat(p, line, "-----BEGIN CERTIFICATE-----\n",
                      apr_pstrndup(p, base64, 100), "\n"
                      "-----END CERTIFICATE-----\n", NULL), 1,
          "a malformed certificate" },
        /* an encrypted block: no pass phrase is asked for */
        { apr_pstrcat(p, line, "-----BEGIN CERTIFICATE-----\n"
                      "Proc-Type: 4,ENCRYPTED\n"
                      "DEK-Info: AES-128-CBC,"
                      "00112233445566778899AABBCCDDEEFF\n"
                      "\n", base64, "-----END CERTIFICATE-----\n", NULL), 1,
          "a malformed certificate" },
    };
    UI_METHOD *ui = UI_create_method("tlsi test");
    int c;

    UI_method_set_reader(ui, record_prompt);
    UI_set_default_method(ui);
    for (c = 0; c < (int)(sizeof(cases) / sizeof(cases[0])); c++) {
        const char *variants[2];
        int v;

        variants[0] = apr_pstrcat(p, good, cases[c].text, NULL);
        variants[1] = crlf(p, variants[0]);
        for (v = 0; v < 2; v++) {
            tlsi_learned_t *l = tlsi_learned_make(p);
            const char *want = apr_psprintf(p, "line %d: ",
                                            after + cases[c].line);
            const char *err;

            ERR_clear_error();
            prompted = 0;
            err = parse(l, variants[v]);
            if (err == NULL || strncmp(err, want, strlen(want)) != 0
                || strstr(err, cases[c].what) == NULL) {
                fprintf(stderr, "    case %d%s: got \"%s\", expected "
                        "\"%s...%s\"\n", c, v ? " (CRLF)" : "",
                        err ? err : "(none)", want, cases[c].what);
                tlsi_test_failed_here = 1;
            }
            CHECK_EQ(l->entries->nelts, 1);
            if (l->entries->nelts == 1) {
                CHECK(is_cert(entry(l, 0), a));
                CHECK_EQ(entry(l, 0)->issued, 5);
                CHECK_EQ(entry(l, 0)->above, 1);
            }
            CHECK(!prompted);
            /* OpenSSL's complaints about the text stay out of the way of
             * whatever the caller does next */
            CHECK_EQ(ERR_peek_error(), 0);
        }
    }
    UI_set_default_method(UI_OpenSSL());
    UI_destroy_method(ui);

    /* a fault on the first line keeps nothing */
    {
        tlsi_learned_t *l = tlsi_learned_make(p);
        const char *err = parse(l, "garbage\n");

        CHECK(err != NULL && strcmp(err, "line 1: unexpected text") == 0);
        CHECK_EQ(l->entries->nelts, 0);
    }
    X509_free(a);
    X509_free(b);
}

/* The same CA twice merges, counts decayed to the later day whichever
 * comes first in the file. */
static void duplicates_merge(apr_pool_t *p)
{
    X509 *a = test_ca("Twice A"), *b = test_ca("Once B");
    const char *a_now = apr_pstrcat(p, counts(p, "10", "4", "2025-03-31"),
                                    pem(p, a), NULL);
    const char *a_before = apr_pstrcat(p, counts(p, "64", "8", "2025-03-01"),
                                       pem(p, a), NULL);
    const char *a_same = apr_pstrcat(p, counts(p, "5", "1", "2025-03-31"),
                                     pem(p, a), NULL);
    const char *b_text = apr_pstrcat(p, counts(p, "1", "0", "2025-03-31"),
                                     pem(p, b), NULL);
    const char *texts[] = {
        apr_pstrcat(p, a_before, b_text, a_now, NULL),
        apr_pstrcat(p, a_now, b_text, a_before, NULL),
    };
    int t;

    for (t = 0; t < 2; t++) {
        tlsi_learned_t *l = tlsi_learned_make(p);

        CHECK(parse(l, texts[t]) == NULL);
        CHECK_EQ(l->entries->nelts, 2);
        CHECK(is_cert(entry(l, 0), a));
        /* 64 and 8 thirty days before: half of each */
        CHECK_EQ(entry(l, 0)->issued, 32 + 10);
        CHECK_EQ(entry(l, 0)->above, 4 + 4);
        CHECK_EQ(entry(l, 0)->last_seen, day_of(2025, 3, 31));
        CHECK(is_cert(entry(l, 1), b));
    }
    {
        tlsi_learned_t *l = tlsi_learned_make(p);

        CHECK(parse(l, apr_pstrcat(p, a_now, a_same, NULL)) == NULL);
        CHECK_EQ(l->entries->nelts, 1);
        CHECK_EQ(entry(l, 0)->issued, 15);
        CHECK_EQ(entry(l, 0)->above, 5);
    }
    X509_free(a);
    X509_free(b);
}

/* -- counting and ranking ------------------------------------------------- */

static void add_decays_to_today_first(apr_pool_t *p)
{
    tlsi_learned_t *l = tlsi_learned_make(p);
    X509 *a = test_ca("Decay A"), *b = test_ca("Decay B");
    int day = day_of(2025, 1, 1);

    tlsi_learned_add(l, a, 100, 40, day);
    /* the state holds its own reference */
    X509_free(a);
    a = NULL;
    tlsi_learned_add(l, b, 7, 0, day);
    CHECK_EQ(l->entries->nelts, 2);
    CHECK_EQ(entry(l, 0)->issued, 100);
    CHECK_EQ(entry(l, 0)->above, 40);
    CHECK_EQ(entry(l, 0)->last_seen, day);

    /* the same day: no decay */
    tlsi_learned_add(l, entry(l, 0)->cert, 1, 1, day);
    CHECK_EQ(entry(l, 0)->issued, 101);
    CHECK_EQ(entry(l, 0)->above, 41);

    /* one half-life later: half, rounded, then today's counts */
    tlsi_learned_add(l, entry(l, 0)->cert, 10, 0, day + 30);
    CHECK_EQ(entry(l, 0)->issued, 51 + 10);
    CHECK_EQ(entry(l, 0)->above, 21);
    CHECK_EQ(entry(l, 0)->last_seen, day + 30);

    /* two more: a quarter */
    tlsi_learned_add(l, entry(l, 0)->cert, 0, 0, day + 90);
    CHECK_EQ(entry(l, 0)->issued, 15);
    CHECK_EQ(entry(l, 0)->above, 5);
    CHECK_EQ(entry(l, 0)->last_seen, day + 90);

    /* half a half-life: 100 / sqrt(2) */
    tlsi_learned_add(l, b, 93, 0, day);
    tlsi_learned_add(l, b, 0, 0, day + 15);
    CHECK_EQ(entry(l, 1)->issued, 71);
    CHECK_EQ(entry(l, 1)->last_seen, day + 15);
    CHECK_EQ(l->entries->nelts, 2);

    /* the weight decays the same way, without rounding */
    CHECK(tlsi_learned_weight(entry(l, 0), day + 90, 1) == 15.0);
    CHECK(tlsi_learned_weight(entry(l, 0), day + 120, 1) == 7.5);
    CHECK(tlsi_learned_weight(entry(l, 0), day + 120, 0) == 2.5);
    CHECK(tlsi_learned_weight(entry(l, 0), day + 80, 1) == 15.0);
    X509_free(b);
}

static void rank_puts_issuers_first_and_forgets(apr_pool_t *p)
{
    static const char *const cns[] = {
        "Rank A", "Rank B", "Rank C", "Rank D", "Rank E", "Rank F", "Rank G",
        "Rank I"
    };
    tlsi_learned_t *l = tlsi_learned_make(p);
    int today = day_of(2025, 6, 1);
    X509 *c[8];
    int i;

    for (i = 0; i < 8; i++) {
        c[i] = test_ca(cns[i]);
    }
    tlsi_learned_add(l, c[0], 10, 0, today);            /* A: 10 */
    tlsi_learned_add(l, c[1], 0, 1000, today);          /* B: above only */
    tlsi_learned_add(l, c[2], 80, 0, today - 60);       /* C: 20 by now */
    tlsi_learned_add(l, c[3], 1000, 0, today - 366);    /* D: forgotten */
    tlsi_learned_add(l, c[4], 1, 0, today - 365);       /* E: just kept */
    tlsi_learned_add(l, c[5], 0, 0, today);             /* F: nothing */
    tlsi_learned_add(l, c[6], 0, 5, today);             /* G: above only */
    tlsi_learned_add(l, c[7], 10, 0, today);            /* I: ties with A */
    tlsi_learned_rank(l, today);

    CHECK_EQ(l->entries->nelts, 6);
    if (l->entries->nelts == 6) {
        CHECK(is_cert(entry(l, 0), c[2]));
        CHECK(is_cert(entry(l, 1), c[0]));
        CHECK(is_cert(entry(l, 2), c[7]));
        CHECK(is_cert(entry(l, 3), c[4]));
        CHECK(is_cert(entry(l, 4), c[1]));
        CHECK(is_cert(entry(l, 5), c[6]));
        /* ranking does not rewrite the counts */
        CHECK_EQ(entry(l, 0)->issued, 80);
        CHECK_EQ(entry(l, 0)->last_seen, today - 60);
    }
    /* a day later E is forgotten too */
    tlsi_learned_rank(l, today + 1);
    CHECK_EQ(l->entries->nelts, 5);
    for (i = 0; i < l->entries->nelts; i++) {
        CHECK(!is_cert(entry(l, i), c[4]));
    }
    for (i = 0; i < 8; i++) {
        X509_free(c[i]);
    }
}

static void rank_keeps_the_best_max(apr_pool_t *p)
{
    tlsi_learned_t *l = tlsi_learned_make(p);
    int today = day_of(2025, 6, 1), i;
    int count = TLSI_LEARNED_MAX + 44;

    for (i = 0; i < count; i++) {
        X509 *cert = test_ca(apr_psprintf(p, "Many %d", i));

        tlsi_learned_add(l, cert, (apr_uint64_t)i + 1, 0, today);
        X509_free(cert);
    }
    CHECK_EQ(l->entries->nelts, count);
    tlsi_learned_rank(l, today);
    CHECK_EQ(l->entries->nelts, TLSI_LEARNED_MAX);
    for (i = 0; i < l->entries->nelts; i++) {
        CHECK_EQ(entry(l, i)->issued, count - i);
    }
}

/* -- the file's text ------------------------------------------------------ */

static void format_then_parse_gives_the_same(apr_pool_t *p)
{
    static const char *const cns[] = {
        "Round A", "Round B, Inc.", "Line\nbreak", "Gr\303\274\303\237e",
        "# not a comment", "Round E"
    };
    tlsi_learned_t *l = tlsi_learned_make(p), *again = tlsi_learned_make(p);
    int today = day_of(2025, 6, 1), i;
    const char *text, *err;
    X509 *c[6];

    for (i = 0; i < 6; i++) {
        c[i] = test_ca(cns[i]);
    }
    tlsi_learned_add(l, c[0], 5, 2, today);
    tlsi_learned_add(l, c[1], 0, 300, today - 10);
    tlsi_learned_add(l, c[2], 1000000000000ULL, 1000000000000ULL, today);
    tlsi_learned_add(l, c[3], 77, 0, today - 200);
    tlsi_learned_add(l, c[4], 3, 0, today + 2);
    tlsi_learned_add(l, c[5], 0, 1, day_of(2024, 12, 31));
    tlsi_learned_rank(l, today);
    CHECK_EQ(l->entries->nelts, 6);

    text = tlsi_learned_format(p, l, "Virtual host: www.example.org:443");
    CHECK(strstr(text, "# Virtual host: www.example.org:443\n") != NULL);
    CHECK(strstr(text, "\n" TLSI_LEARNED_TAG " issued=5 above=2 last-seen="
                 "2025-06-01\nsubject=CN=Round A\n-----BEGIN CERTIFICATE"
                 "-----\n") != NULL);
    CHECK(strstr(text, " last-seen=2024-12-31\n") != NULL);
    err = parse(again, text);
    CHECK(err == NULL);
    if (err != NULL) {
        fprintf(stderr, "    %s\n", err);
    }
    CHECK_EQ(again->entries->nelts, l->entries->nelts);
    for (i = 0; i < l->entries->nelts && i < again->entries->nelts; i++) {
        CHECK(X509_cmp(entry(again, i)->cert, entry(l, i)->cert) == 0);
        CHECK_EQ(entry(again, i)->issued, entry(l, i)->issued);
        CHECK_EQ(entry(again, i)->above, entry(l, i)->above);
        CHECK_EQ(entry(again, i)->last_seen, entry(l, i)->last_seen);
    }
    CHECK(strcmp(tlsi_learned_format(p, again,
                                     "Virtual host: www.example.org:443"),
                 text) == 0);

    /* the subjects, in the same order */
    {
        apr_array_header_t *subjects = tlsi_learned_subjects(p, l);

        CHECK_EQ(subjects->nelts, 6);
        for (i = 0; i < subjects->nelts; i++) {
            CHECK(X509_NAME_cmp(APR_ARRAY_IDX(subjects, i, X509_NAME *),
                                X509_get_subject_name(entry(l, i)->cert))
                  == 0);
        }
    }
    for (i = 0; i < 6; i++) {
        X509_free(c[i]);
    }
}

/* -- the file ------------------------------------------------------------- */

static const char *slurp(apr_pool_t *p, const char *path)
{
    FILE *f = fopen(path, "rb");
    char buf[4096];
    size_t n;

    if (f == NULL) {
        return NULL;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    return apr_pstrmemdup(p, buf, n);
}

/* The names in a directory other than . and .., comma separated. */
static const char *listing(apr_pool_t *p, const char *path)
{
    DIR *d = opendir(path);
    const char *names = "";
    struct dirent *de;

    if (d == NULL) {
        return "(none)";
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            names = apr_pstrcat(p, names, *names ? "," : "", de->d_name, NULL);
        }
    }
    closedir(d);
    return names;
}

static void write_replaces_atomically(apr_pool_t *p)
{
    const char *sub = apr_pstrcat(p, dir, "/new/deeper", NULL);
    const char *path = apr_pstrcat(p, sub, "/learned.pem", NULL);
    struct stat before, after;
    mode_t mask = umask(077);
    const char *err;

    err = tlsi_learned_write(p, path, "first\n");
    CHECK(err == NULL);
    CHECK(slurp(p, path) != NULL && strcmp(slurp(p, path), "first\n") == 0);
    CHECK(stat(path, &before) == 0);
    CHECK_EQ(before.st_mode & 07777, 0644);
    CHECK(strcmp(listing(p, sub), "learned.pem") == 0);

    /* a new file renamed over the old one, whatever the old one's mode */
    chmod(path, 0600);
    err = tlsi_learned_write(p, path, "second, longer\n");
    CHECK(err == NULL);
    CHECK(slurp(p, path) != NULL
          && strcmp(slurp(p, path), "second, longer\n") == 0);
    CHECK(stat(path, &after) == 0);
    CHECK(after.st_ino != before.st_ino);
    CHECK_EQ(after.st_mode & 07777, 0644);
    CHECK(strcmp(listing(p, sub), "learned.pem") == 0);

    /* an empty state writes an empty file */
    CHECK(tlsi_learned_write(p, path, "") == NULL);
    CHECK(slurp(p, path) != NULL && *slurp(p, path) == '\0');

    /* a name without a directory part has nothing to prepare */
    CHECK(tlsi_learned_prepare_dir(p, "learned.pem") == NULL);
    CHECK(tlsi_learned_prepare_dir(p, "/learned.pem") == NULL);
    umask(mask);
}

static void write_fails_clearly(apr_pool_t *p)
{
    const char *base = apr_pstrcat(p, dir, "/fail", NULL);
    const char *isdir = apr_pstrcat(p, base, "/learned.pem", NULL);
    const char *plain = apr_pstrcat(p, base, "/plain", NULL);
    const char *err;
    FILE *f;

    CHECK(mkdir(base, 0755) == 0);
    CHECK(mkdir(isdir, 0755) == 0);
    err = tlsi_learned_write(p, isdir, "text\n");
    CHECK(err != NULL && strstr(err, "cannot replace") != NULL
          && strstr(err, isdir) != NULL);
    /* no temporary file left behind */
    CHECK(strcmp(listing(p, base), "learned.pem") == 0);

    f = fopen(plain, "w");
    fclose(f);
    err = tlsi_learned_write(p, apr_pstrcat(p, plain, "/learned.pem", NULL),
                             "text\n");
    CHECK(err != NULL
          && strcmp(err, apr_psprintf(p, "'%s' is not a directory", plain))
             == 0);
    err = tlsi_learned_prepare_dir(p, apr_pstrcat(p, plain, "/a/learned.pem",
                                                  NULL));
    CHECK(err != NULL && strstr(err, "cannot make the directory") != NULL);
}

static const char *write_file(apr_pool_t *p, const char *name,
                              const char *text, apr_size_t len)
{
    const char *path = apr_pstrcat(p, dir, "/", name, NULL);
    FILE *f = fopen(path, "wb");

    fwrite(text, 1, len, f);
    fclose(f);
    return path;
}

static void read_files(apr_pool_t *p)
{
    tlsi_learned_t *l = tlsi_learned_make(p);
    X509 *a = test_ca("Read A");
    const char *good = apr_pstrcat(p, counts(p, "9", "2", "2025-05-05"),
                                   pem(p, a), NULL);
    char *big = apr_palloc(p, TLSI_LEARNED_MAX_FILE + 1);
    const char *err;

    /* missing: an empty state */
    CHECK(tlsi_learned_read(l, apr_pstrcat(p, dir, "/missing.pem", NULL))
          == NULL);
    CHECK_EQ(l->entries->nelts, 0);

    err = tlsi_learned_read(l, dir);
    CHECK(err != NULL && strstr(err, "not a regular file") != NULL);

    /* as large as a file may be, then one byte more */
    memset(big, '#', TLSI_LEARNED_MAX_FILE + 1);
    big[TLSI_LEARNED_MAX_FILE - 1] = '\n';
    CHECK(tlsi_learned_read(l, write_file(p, "max.pem", big,
                                          TLSI_LEARNED_MAX_FILE)) == NULL);
    err = tlsi_learned_read(l, write_file(p, "big.pem", big,
                                          TLSI_LEARNED_MAX_FILE + 1));
    CHECK(err != NULL && strstr(err, apr_psprintf(p, "%d bytes",
                                                  TLSI_LEARNED_MAX_FILE + 1))
                         != NULL);
    CHECK_EQ(l->entries->nelts, 0);

    CHECK(tlsi_learned_read(l, write_file(p, "good.pem", good,
                                          strlen(good))) == NULL);
    CHECK_EQ(l->entries->nelts, 1);
    CHECK(is_cert(entry(l, 0), a));
    CHECK_EQ(entry(l, 0)->issued, 9);

    /* corrupt after the first entry: that one is kept */
    l = tlsi_learned_make(p);
    good = apr_pstrcat(p, good, "junk\n", NULL);
    err = tlsi_learned_read(l, write_file(p, "junk.pem", good, strlen(good)));
    CHECK(err != NULL && strcmp(err, apr_psprintf(p, "line %d: unexpected "
                                                  "text", lines_in(good)))
                         == 0);
    CHECK_EQ(l->entries->nelts, 1);
    X509_free(a);
}

/* What the module writes, it reads back. */
static void write_then_read(apr_pool_t *p)
{
    tlsi_learned_t *l = tlsi_learned_make(p), *again = tlsi_learned_make(p);
    const char *path = apr_pstrcat(p, dir, "/state/learned.pem", NULL);
    int today = day_of(2025, 6, 1), i;

    for (i = 0; i < 5; i++) {
        X509 *cert = test_ca(apr_psprintf(p, "Stored %d", i));

        tlsi_learned_add(l, cert, (apr_uint64_t)(i % 2) * 10, 3,
                         today - i);
        X509_free(cert);
    }
    tlsi_learned_rank(l, today);
    CHECK(tlsi_learned_write(p, path, tlsi_learned_format(p, l, "test"))
          == NULL);
    CHECK(tlsi_learned_read(again, path) == NULL);
    CHECK_EQ(again->entries->nelts, 5);
    for (i = 0; i < 5 && i < again->entries->nelts; i++) {
        CHECK(X509_cmp(entry(again, i)->cert, entry(l, i)->cert) == 0);
        CHECK_EQ(entry(again, i)->last_seen, entry(l, i)->last_seen);
    }
}

static int remove_one(const char *path, const struct stat *sb, int flag,
                      struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int main(void)
{
    apr_pool_t *pool = tlsi_test_init();

    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    TLSI_RUN(parse_a_well_formed_file, pool);
    TLSI_RUN(faults_name_their_line_and_keep_what_came_before, pool);
    TLSI_RUN(duplicates_merge, pool);
    TLSI_RUN(add_decays_to_today_first, pool);
    TLSI_RUN(rank_puts_issuers_first_and_forgets, pool);
    TLSI_RUN(rank_keeps_the_best_max, pool);
    TLSI_RUN(format_then_parse_gives_the_same, pool);
    TLSI_RUN(write_replaces_atomically, pool);
    TLSI_RUN(write_fails_clearly, pool);
    TLSI_RUN(read_files, pool);
    TLSI_RUN(write_then_read, pool);
    nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    return tlsi_test_done("test_learned");
}
