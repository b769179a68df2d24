/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <stdlib.h>
#include <string.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_time.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "tlsi_learned.h"
#include "tlsi_names.h"

#define PEM_BEGIN "-----BEGIN CERTIFICATE-----"
#define PEM_END   "-----END CERTIFICATE-----"
#define SECONDS_PER_DAY 86400
/* Counts beyond this add nothing to a rank. */
#define COUNT_CAP 1000000000000ULL

static apr_status_t free_entries(void *data)
{
    tlsi_learned_t *l = data;
    int i;

    for (i = 0; i < l->entries->nelts; i++) {
        X509_free(APR_ARRAY_IDX(l->entries, i, tlsi_learned_entry_t).cert);
    }
    l->entries->nelts = 0;
    return APR_SUCCESS;
}

tlsi_learned_t *tlsi_learned_make(apr_pool_t *p)
{
    tlsi_learned_t *l = apr_pcalloc(p, sizeof(*l));

    l->pool = p;
    l->entries = apr_array_make(p, 16, sizeof(tlsi_learned_entry_t));
    l->stacks = apr_array_make(p, 4, sizeof(tlsi_stack_rec_t));
    apr_pool_cleanup_register(p, l, free_entries, apr_pool_cleanup_null);
    return l;
}

int tlsi_learned_today(void)
{
    return (int)(apr_time_sec(apr_time_now()) / SECONDS_PER_DAY);
}

static tlsi_learned_entry_t *find_entry(tlsi_learned_t *l,
                                        const X509_NAME *subject)
{
    int i;

    for (i = 0; i < l->entries->nelts; i++) {
        tlsi_learned_entry_t *e = &APR_ARRAY_IDX(l->entries, i,
                                                 tlsi_learned_entry_t);

        if (X509_NAME_cmp(X509_get_subject_name(e->cert), subject) == 0) {
            return e;
        }
    }
    return NULL;
}

/* 0.5 ** (days / TLSI_LEARNED_HALF_LIFE), 1 for days <= 0: whole half
 * lives halve exactly, the rest of a half life comes from a table of
 * 2 ** (-r / 30), so that the module needs no libm. */
static double half_life_factor(int days)
{
    static const double part[TLSI_LEARNED_HALF_LIFE] = {
    1, 0.97715996843424591, 0.9548416039104165, 0.93303299153680741,
    0.9117224885582168, 0.89089871814033927, 0.87055056329612412,
    0.85066716095085571, 0.83123789614278776, 0.81225239635623558,
    0.79370052598409979, 0.77557238091686731, 0.75785828325519899,
    0.74054877614328207, 0.72363461872018908, 0.70710678118654757,
    0.690956439983888, 0.67517497308409502, 0.6597539553864471,
    0.64468515421978956, 0.6299605249474366, 0.61557220667245816,
    0.60151251804105832, 0.58777395314180436, 0.57434917749851744,
    0.56123102415468651, 0.54841248984731295, 0.53588673126814657,
    0.52364706141031336, 0.51168694599838749
    };
    double factor;

    if (days <= 0) {
        return 1.0;
    }
    factor = part[days % TLSI_LEARNED_HALF_LIFE];
    for (days /= TLSI_LEARNED_HALF_LIFE; days > 0 && factor > 0; days--) {
        factor /= 2;
    }
    return factor;
}

static apr_uint64_t decayed(apr_uint64_t count, int days)
{
    if (days <= 0) {
        return count;
    }
    return (apr_uint64_t)((double)count * half_life_factor(days) + 0.5);
}

static apr_uint64_t capped_sum(apr_uint64_t a, apr_uint64_t b)
{
    return a >= COUNT_CAP || b >= COUNT_CAP - a ? COUNT_CAP : a + b;
}

void tlsi_learned_add(tlsi_learned_t *l, X509 *cert, apr_uint64_t issued,
                      apr_uint64_t above, int today)
{
    tlsi_learned_entry_t *e = find_entry(l, X509_get_subject_name(cert));

    if (e == NULL) {
        e = apr_array_push(l->entries);
        X509_up_ref(cert);
        e->cert = cert;
        e->issued = e->above = 0;
        e->last_seen = today;
    }
    /* Both counts as of the later day: a file's duplicate may be older
     * than the entry it merges into. */
    e->issued = capped_sum(decayed(e->issued, today - e->last_seen),
                           decayed(issued, e->last_seen - today));
    e->above = capped_sum(decayed(e->above, today - e->last_seen),
                          decayed(above, e->last_seen - today));
    if (today > e->last_seen) {
        e->last_seen = today;
    }
}

double tlsi_learned_weight(const tlsi_learned_entry_t *e, int today,
                           int issued)
{
    double count = (double)(issued ? e->issued : e->above);

    return count * half_life_factor(today - e->last_seen);
}

static int ranking_day;

/* Issuers of client certificates first: a client that presents only its
 * leaf needs its issuer's own name. */
static int entry_cmp(const void *a, const void *b)
{
    const tlsi_learned_entry_t *ea = a, *eb = b;
    double ia = tlsi_learned_weight(ea, ranking_day, 1);
    double ib = tlsi_learned_weight(eb, ranking_day, 1);
    double aa, ab;

    if ((ia > 0) != (ib > 0)) {
        return ia > 0 ? -1 : 1;
    }
    if (ia != ib) {
        return ia > ib ? -1 : 1;
    }
    aa = tlsi_learned_weight(ea, ranking_day, 0);
    ab = tlsi_learned_weight(eb, ranking_day, 0);
    if (aa != ab) {
        return aa > ab ? -1 : 1;
    }
    if (ea->last_seen != eb->last_seen) {
        return ea->last_seen > eb->last_seen ? -1 : 1;
    }
    return X509_NAME_cmp(X509_get_subject_name(ea->cert),
                         X509_get_subject_name(eb->cert));
}

void tlsi_learned_rank(tlsi_learned_t *l, int today)
{
    int i, kept = 0;

    for (i = 0; i < l->entries->nelts; i++) {
        tlsi_learned_entry_t *e = &APR_ARRAY_IDX(l->entries, i,
                                                 tlsi_learned_entry_t);

        if (today - e->last_seen > TLSI_LEARNED_FORGET
            || (e->issued == 0 && e->above == 0)) {
            X509_free(e->cert);
            continue;
        }
        APR_ARRAY_IDX(l->entries, kept++, tlsi_learned_entry_t) = *e;
    }
    l->entries->nelts = kept;
    /* start-up is single-threaded, and so is each fuzz run */
    ranking_day = today;
    qsort(l->entries->elts, kept, sizeof(tlsi_learned_entry_t), entry_cmp);
    for (i = TLSI_LEARNED_MAX; i < l->entries->nelts; i++) {
        X509_free(APR_ARRAY_IDX(l->entries, i, tlsi_learned_entry_t).cert);
    }
    if (l->entries->nelts > TLSI_LEARNED_MAX) {
        l->entries->nelts = TLSI_LEARNED_MAX;
    }
}

apr_array_header_t *tlsi_learned_subjects(apr_pool_t *p,
                                          const tlsi_learned_t *l)
{
    apr_array_header_t *subjects = apr_array_make(p, l->entries->nelts + 1,
                                                  sizeof(X509_NAME *));
    int i;

    for (i = 0; i < l->entries->nelts; i++) {
        APR_ARRAY_PUSH(subjects, X509_NAME *) = X509_get_subject_name(
            APR_ARRAY_IDX(l->entries, i, tlsi_learned_entry_t).cert);
    }
    return subjects;
}

/* -- the file's text ------------------------------------------------------ */

static int starts_with(const char *line, apr_size_t len, const char *prefix)
{
    apr_size_t plen = strlen(prefix);

    return len >= plen && memcmp(line, prefix, plen) == 0;
}

static int is_line(const char *line, apr_size_t len, const char *text)
{
    return len == strlen(text) && memcmp(line, text, len) == 0;
}

/* Digits at *at (at most 19), advancing past them. */
static int parse_count(const char **at, const char *end, apr_uint64_t *out)
{
    int digits = 0;

    *out = 0;
    while (*at < end && **at >= '0' && **at <= '9' && digits < 19) {
        *out = *out * 10 + (apr_uint64_t)(**at - '0');
        (*at)++;
        digits++;
    }
    if (*out > COUNT_CAP) {
        *out = COUNT_CAP;
    }
    return digits > 0 && (*at == end || **at < '0' || **at > '9');
}

static int expect(const char **at, const char *end, const char *word)
{
    apr_size_t len = strlen(word);

    if ((apr_size_t)(end - *at) < len || memcmp(*at, word, len) != 0) {
        return 0;
    }
    *at += len;
    return 1;
}

/* The number in the n digits at at: the text is not NUL-terminated, so
 * atoi() could read past its end. */
static int digits(const char *at, int n)
{
    int value = 0;

    while (n-- > 0) {
        value = value * 10 + (*at++ - '0');
    }
    return value;
}

static int parse_day(const char *at, const char *end, int *day)
{
    apr_time_exp_t tm, back;
    apr_time_t t;
    int i;

    if (end - at != 10 || at[4] != '-' || at[7] != '-') {
        return 0;
    }
    for (i = 0; i < 10; i++) {
        if (i != 4 && i != 7 && (at[i] < '0' || at[i] > '9')) {
            return 0;
        }
    }
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = digits(at, 4) - 1900;
    tm.tm_mon = digits(at + 5, 2) - 1;
    tm.tm_mday = digits(at + 8, 2);
    if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11
        || tm.tm_mday < 1 || tm.tm_mday > 31
        || apr_time_exp_gmt_get(&t, &tm) != APR_SUCCESS) {
        return 0;
    }
    /* apr_time_exp_gmt_get() takes February 30th for March 2nd */
    apr_time_exp_gmt(&back, t);
    if (back.tm_mday != tm.tm_mday) {
        return 0;
    }
    *day = (int)(apr_time_sec(t) / SECONDS_PER_DAY);
    return 1;
}

/* "TLSInteropLearned: issued=<n> above=<n> last-seen=<YYYY-MM-DD>" */
static int parse_counts(const char *line, apr_size_t len,
                        tlsi_learned_entry_t *e)
{
    const char *at = line, *end = line + len;

    return expect(&at, end, TLSI_LEARNED_TAG " issued=")
           && parse_count(&at, end, &e->issued)
           && expect(&at, end, " above=")
           && parse_count(&at, end, &e->above)
           && expect(&at, end, " last-seen=")
           && parse_day(at, end, &e->last_seen);
}

/* The next space-separated word of a line. */
static int word(const char **at, const char *end, const char **w,
                apr_size_t *len)
{
    const char *space = memchr(*at, ' ', (apr_size_t)(end - *at));

    *w = *at;
    *len = (apr_size_t)((space ? space : end) - *at);
    *at = space ? space + 1 : end;
    return *len > 0;
}

/* "TLSInteropClientStack: ja4=<JA4> takes=<step> last-seen=<day>
 * [retry=<day>]" */
static int parse_stack(const char *line, apr_size_t len,
                       tlsi_stack_rec_t *rec)
{
    const char *at = line, *end = line + len, *w;
    apr_size_t wlen;

    memset(rec, 0, sizeof(*rec));
    if (!expect(&at, end, TLSI_LEARNED_STACK_TAG " ja4=")
        || !word(&at, end, &w, &wlen) || !tlsi_ja4_valid(w, wlen)) {
        return 0;
    }
    memcpy(rec->ja4, w, wlen);
    if (!expect(&at, end, "takes=") || !word(&at, end, &w, &wlen)
        || (rec->takes = tlsi_step_parse(w, wlen)) < 0
        || !expect(&at, end, "last-seen=") || !word(&at, end, &w, &wlen)
        || !parse_day(w, w + wlen, &rec->last_seen)) {
        return 0;
    }
    if (at == end) {
        return 1;
    }
    return expect(&at, end, "retry=") && word(&at, end, &w, &wlen)
           && at == end && parse_day(w, w + wlen, &rec->retry_day);
}

static const char *fault(tlsi_learned_t *l, int line, const char *what)
{
    return apr_psprintf(l->pool, "line %d: %s", line, what);
}

/* One line of text: where it starts, its length without the line end. */
typedef struct {
    const char *at, *end;       /* what is left to read */
    int number;                 /* of the line last read */
    const char *line;
    apr_size_t len;
} line_reader_t;

static int next_line(line_reader_t *r)
{
    const char *eol;

    if (r->at >= r->end) {
        return 0;
    }
    eol = memchr(r->at, '\n', r->end - r->at);
    r->line = r->at;
    r->len = (eol ? eol : r->end) - r->at;
    r->at = eol ? eol + 1 : r->end;
    r->number++;
    if (r->len > 0 && r->line[r->len - 1] == '\r') {
        r->len--;
    }
    return 1;
}

/* A PEM block from its BEGIN line, which r has just read. */
static const char *read_certificate(tlsi_learned_t *l, line_reader_t *r,
                                    const tlsi_learned_entry_t *counts)
{
    const char *block = r->line;
    int begin_line = r->number;
    BIO *bio;
    X509 *cert;

    for (;;) {
        if (!next_line(r)) {
            return fault(l, begin_line, "the certificate does not end");
        }
        if (is_line(r->line, r->len, PEM_END)) {
            break;
        }
    }
    /* OpenSSL's complaints about a bad block must not linger in the
     * error queue for whatever the caller does next */
    ERR_set_mark();
    bio = BIO_new_mem_buf(block, (int)(r->at - block));
    cert = bio ? PEM_read_bio_X509(bio, NULL, tlsi_no_pass_phrase, NULL) : NULL;
    BIO_free(bio);
    ERR_pop_to_mark();
    if (cert == NULL) {
        return fault(l, begin_line, "a malformed certificate");
    }
    tlsi_learned_add(l, cert, counts->issued, counts->above,
                     counts->last_seen);
    X509_free(cert);
    return NULL;
}

const char *tlsi_learned_parse(tlsi_learned_t *l, const char *text,
                               apr_size_t len)
{
    line_reader_t r;
    tlsi_learned_entry_t counts;
    int counts_line = 0;
    const char *err;

    memset(&r, 0, sizeof(r));
    r.at = text;
    r.end = text + len;
    while (next_line(&r)) {
        if (r.len == 0 || r.line[0] == '#'
            || starts_with(r.line, r.len, "subject=")) {
            continue;
        }
        if (starts_with(r.line, r.len, TLSI_LEARNED_STACK_TAG)
            && !counts_line) {
            tlsi_stack_rec_t rec;

            if (!parse_stack(r.line, r.len, &rec)) {
                return fault(l, r.number, "malformed "
                             TLSI_LEARNED_STACK_TAG " line");
            }
            if (l->stacks->nelts < TLSI_STACKS_SLOTS) {
                *(tlsi_stack_rec_t *)apr_array_push(l->stacks) = rec;
            }
            continue;
        }
        if (starts_with(r.line, r.len, TLSI_LEARNED_TAG)) {
            if (counts_line) {
                break;
            }
            if (!parse_counts(r.line, r.len, &counts)) {
                return fault(l, r.number, "malformed " TLSI_LEARNED_TAG
                             " line");
            }
            counts_line = r.number;
            continue;
        }
        if (!is_line(r.line, r.len, PEM_BEGIN)) {
            return fault(l, r.number, "unexpected text");
        }
        if (!counts_line) {
            return fault(l, r.number, "a certificate without a "
                         TLSI_LEARNED_TAG " line before it");
        }
        if ((err = read_certificate(l, &r, &counts)) != NULL) {
            return err;
        }
        counts_line = 0;
    }
    if (counts_line) {
        return fault(l, counts_line, "no certificate after "
                     TLSI_LEARNED_TAG);
    }
    return NULL;
}

const char *tlsi_learned_read(tlsi_learned_t *l, const char *path)
{
    apr_finfo_t finfo;
    apr_file_t *file;
    apr_status_t rv;
    apr_size_t got;
    char errbuf[128], *text;

    rv = apr_stat(&finfo, path, APR_FINFO_TYPE | APR_FINFO_SIZE, l->pool);
    if (APR_STATUS_IS_ENOENT(rv)) {
        return NULL;
    }
    if (rv != APR_SUCCESS) {
        return apr_psprintf(l->pool, "cannot read it: %s",
                            apr_strerror(rv, errbuf, sizeof(errbuf)));
    }
    if (finfo.filetype != APR_REG) {
        return "it is not a regular file";
    }
    if (finfo.size > TLSI_LEARNED_MAX_FILE) {
        return apr_psprintf(l->pool, "it holds %" APR_OFF_T_FMT " bytes, "
                            "more than the %d a learned list can take",
                            finfo.size, TLSI_LEARNED_MAX_FILE);
    }
    text = apr_palloc(l->pool, (apr_size_t)finfo.size + 1);
    rv = apr_file_open(&file, path, APR_FOPEN_READ | APR_FOPEN_BINARY, 0,
                       l->pool);
    if (rv == APR_SUCCESS) {
        rv = apr_file_read_full(file, text, (apr_size_t)finfo.size, &got);
        apr_file_close(file);
    }
    if (rv != APR_SUCCESS) {
        return apr_psprintf(l->pool, "cannot read it: %s",
                            apr_strerror(rv, errbuf, sizeof(errbuf)));
    }
    return tlsi_learned_parse(l, text, got);
}

static const char *day_text(apr_pool_t *p, int day)
{
    apr_time_exp_t tm;

    apr_time_exp_gmt(&tm, apr_time_from_sec((apr_time_t)day * SECONDS_PER_DAY));
    return apr_psprintf(p, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                        tm.tm_mday);
}

static const char *pem_of(apr_pool_t *p, X509 *cert)
{
    BIO *bio = BIO_new(BIO_s_mem());
    const char *text = NULL;
    char *data;
    long len;

    if (bio != NULL && PEM_write_bio_X509(bio, cert)
        && (len = BIO_get_mem_data(bio, &data)) > 0) {
        text = apr_pstrmemdup(p, data, (apr_size_t)len);
    }
    BIO_free(bio);
    return text;
}

const char *tlsi_learned_format(apr_pool_t *p, const tlsi_learned_t *l,
                                const char *header)
{
    apr_array_header_t *parts = apr_array_make(p, l->entries->nelts * 2 + 2,
                                               sizeof(const char *));
    int i;

    APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(p,
        "# mod_tlsinterop: CA names learned from verified client "
        "certificates\n"
        "# %s\n"
        "# Written by httpd's parent process at each restart and stop; "
        "edits are lost.\n"
        "# Best first; the file also serves as a TLSInteropCAListPrefer "
        "file.\n"
        "# issued: client certificates the CA issued; above: chains in "
        "which it stood\n"
        "# higher up; both as of the day it was last seen.  A count halves "
        "for every\n"
        "# %d days unseen; a name unseen for %d days is forgotten.\n",
        header, TLSI_LEARNED_HALF_LIFE, TLSI_LEARNED_FORGET);
    if (l->stacks->nelts > 0) {
        APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(p,
            "\n# Client stacks (JA4) that take more than the fitted CA list, "
            "or that are\n# held to it until the retry day; one unseen for "
            "%d days is forgotten.\n", TLSI_STACKS_FORGET_DAYS);
    }
    for (i = 0; i < l->stacks->nelts && i < TLSI_STACKS_SLOTS; i++) {
        const tlsi_stack_rec_t *rec = &APR_ARRAY_IDX(l->stacks, i,
                                                     tlsi_stack_rec_t);

        APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(p,
            TLSI_LEARNED_STACK_TAG " ja4=%s takes=%s last-seen=%s%s%s\n",
            rec->ja4, tlsi_step_name(rec->takes), day_text(p, rec->last_seen),
            rec->retry_day ? " retry=" : "",
            rec->retry_day ? day_text(p, rec->retry_day) : "");
    }
    for (i = 0; i < l->entries->nelts; i++) {
        const tlsi_learned_entry_t *e = &APR_ARRAY_IDX(l->entries, i,
                                                       tlsi_learned_entry_t);
        const char *pem = pem_of(p, e->cert);

        if (pem == NULL) {
            continue;
        }
        APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(p,
            "\n" TLSI_LEARNED_TAG " issued=%" APR_UINT64_T_FMT
            " above=%" APR_UINT64_T_FMT " last-seen=%s\nsubject=%s\n%s",
            e->issued, e->above, day_text(p, e->last_seen),
            tlsi_name_text(p, X509_get_subject_name(e->cert)), pem);
    }
    return apr_array_pstrcat(p, parts, 0);
}

static const char *io_error(apr_pool_t *p, const char *what, const char *path,
                            apr_status_t rv)
{
    char errbuf[128];

    return apr_psprintf(p, "cannot %s '%s': %s", what, path,
                        apr_strerror(rv, errbuf, sizeof(errbuf)));
}

const char *tlsi_learned_prepare_dir(apr_pool_t *p, const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dir;
    apr_finfo_t finfo;
    apr_status_t rv;

    if (slash == NULL || slash == path) {
        return NULL;
    }
    dir = apr_pstrmemdup(p, path, slash - path);
    rv = apr_dir_make_recursive(dir, APR_FPROT_UREAD | APR_FPROT_UWRITE
                                | APR_FPROT_UEXECUTE | APR_FPROT_GREAD
                                | APR_FPROT_GEXECUTE | APR_FPROT_WREAD
                                | APR_FPROT_WEXECUTE, p);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_EEXIST(rv)) {
        return io_error(p, "make the directory", dir, rv);
    }
    rv = apr_stat(&finfo, dir, APR_FINFO_TYPE, p);
    if (rv != APR_SUCCESS) {
        return io_error(p, "use the directory", dir, rv);
    }
    if (finfo.filetype != APR_DIR) {
        return apr_psprintf(p, "'%s' is not a directory", dir);
    }
    return NULL;
}

const char *tlsi_learned_write(apr_pool_t *p, const char *path,
                               const char *text)
{
    char *temp = apr_pstrcat(p, path, ".XXXXXX", NULL);
    apr_size_t len = strlen(text);
    apr_file_t *file;
    apr_status_t rv;
    const char *err;

    if ((err = tlsi_learned_prepare_dir(p, path)) != NULL) {
        return err;
    }
    rv = apr_file_mktemp(&file, temp, APR_FOPEN_CREATE | APR_FOPEN_WRITE
                         | APR_FOPEN_EXCL | APR_FOPEN_BINARY, p);
    if (rv != APR_SUCCESS) {
        return io_error(p, "create", temp, rv);
    }
    rv = apr_file_write_full(file, text, len, NULL);
    if (rv == APR_SUCCESS) {
        rv = apr_file_sync(file);
    }
    if (rv == APR_SUCCESS) {
        rv = apr_file_perms_set(temp, APR_FPROT_UREAD | APR_FPROT_UWRITE
                                | APR_FPROT_GREAD | APR_FPROT_WREAD);
        if (rv == APR_ENOTIMPL) {
            rv = APR_SUCCESS;
        }
    }
    apr_file_close(file);
    if (rv != APR_SUCCESS) {
        apr_file_remove(temp, p);
        return io_error(p, "write", temp, rv);
    }
    rv = apr_file_rename(temp, path, p);
    if (rv != APR_SUCCESS) {
        apr_file_remove(temp, p);
        return io_error(p, "replace", path, rv);
    }
    return NULL;
}
