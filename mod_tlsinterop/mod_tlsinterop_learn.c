/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_main.h"

#include <unistd.h>

#include <apr_lib.h>

#include <apr_atomic.h>
#include <apr_hash.h>
#include <apr_shm.h>
#include <apr_strings.h>
#include <openssl/x509_vfy.h>

#include "mod_tlsinterop_counters.h"
#include "mod_tlsinterop_learn.h"
#include "mod_tlsinterop_log.h"
#include "tlsi_names.h"
#include "tlsi_calist.h"
#include "tlsi_cover.h"

APLOG_USE_MODULE(tlsinterop);

#define GENERATION_KEY "tlsinterop-learn-generation"
#define SAVED_KEY      "mod_tlsinterop-learn-saved"

/* Per name in shared memory: how often it issued a verified client
 * certificate, stood higher in a verified chain, and whether this
 * generation saw it at all. */
enum { HIT_ISSUED, HIT_ABOVE, HIT_SEEN, HIT_WORDS };

struct tlsi_learner {
    server_rec *s;
    const char *vhost;
    const char *path;               /* NULL: counting only */
    STACK_OF(X509_NAME) *names;     /* the whole list, our copies */
    tlsi_namemap_t *map;
    const int *rank;                /* place in the advertised order */
    const char *known;              /* per name: in the file already */
    int known_count;
    X509_STORE *store;              /* certificates to save, referenced */
    tlsi_learned_t *kept;           /* what the file kept, read at start-up */
    apr_uint32_t *hits;             /* HIT_WORDS per name, shared */
    /* Client stacks learned to take more (tlsi_stacks), or NULL where
     * none are: their table is attached at the end of start-up. */
    tlsi_stacks_t *stacks;
};

/* This configuration generation's learners, in pconf's user data. */
typedef struct {
    apr_array_header_t *learners;   /* tlsi_learner_t * */
    apr_hash_t *files;              /* paths handed out */
    pid_t parent;
} generation_t;

/* Kept by the parent across restarts: the files it saved, so that one
 * deleted in between is noticed. */
typedef struct {
    apr_hash_t *saved;
} saved_files_t;

static generation_t *generation_of(apr_pool_t *pconf)
{
    void *data = NULL;
    generation_t *g;

    apr_pool_userdata_get(&data, GENERATION_KEY, pconf);
    if (data != NULL) {
        return data;
    }
    g = apr_pcalloc(pconf, sizeof(*g));
    g->learners = apr_array_make(pconf, 4, sizeof(tlsi_learner_t *));
    g->files = apr_hash_make(pconf);
    apr_pool_userdata_setn(g, GENERATION_KEY, NULL, pconf);
    return g;
}

static saved_files_t *retained(void)
{
    saved_files_t *r = ap_retained_data_get(SAVED_KEY);

    if (r == NULL) {
        r = ap_retained_data_create(SAVED_KEY, sizeof(*r));
        r->saved = apr_hash_make(ap_pglobal);
    }
    return r;
}

/* state/tlsinterop/<host>_<port>.pem, with a suffix for a vhost whose
 * host:port another vhost has already. */
static const char *default_file(const tlsi_vhost_init_t *vi, generation_t *g)
{
    char *base = apr_pstrdup(vi->pconf, tlsi_vhost_key(vi->pconf, vi->s));
    const char *path;
    char *c;
    int n = 1;

    for (c = base; *c; c++) {
        if (!apr_isalnum(*c) && *c != '.' && *c != '-') {
            *c = '_';
        }
    }
    do {
        path = ap_server_root_relative(vi->pconf, apr_psprintf(vi->pconf,
            "%s/%s%s.pem", TLSI_LEARN_DEFAULT_DIR, base,
            n > 1 ? apr_psprintf(vi->pconf, "-%d", n) : ""));
        n++;
    } while (apr_hash_get(g->files, path, APR_HASH_KEY_STRING) != NULL);
    return path;
}

static const char *learn_file(const tlsi_vhost_init_t *vi)
{
    generation_t *g = generation_of(vi->pconf);
    const char *path = tlsi_ca_learn_file(vi->conf, vi->s);

    if (path == NULL) {
        path = default_file(vi, g);
    }

    apr_hash_set(g->files, path, APR_HASH_KEY_STRING, path);
    return path;
}

tlsi_learner_t *tlsi_learn_open(const tlsi_vhost_init_t *vi)
{
    tlsi_learner_t *l = apr_pcalloc(vi->pconf, sizeof(*l));
    const char *err;
    apr_finfo_t finfo;

    l->s = vi->s;
    l->vhost = apr_pstrdup(vi->pconf, vi->vhost);
    l->kept = tlsi_learned_make(vi->pconf);
    if (!tlsi_ca_learn(vi->conf)) {
        return l;
    }
    l->path = learn_file(vi);
    err = tlsi_learned_read(l->kept, l->path);
    if (err == NULL
        && apr_stat(&finfo, l->path, APR_FINFO_TYPE, vi->ptemp) != APR_SUCCESS
        && apr_hash_get(retained()->saved, l->path, APR_HASH_KEY_STRING)) {
        err = "it was saved when the last generation ended and is gone";
    }
    if (err == NULL) {
        err = tlsi_learned_prepare_dir(vi->ptemp, l->path);
    }
    if (err != NULL) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, vi->s, TLSILOGNO(0009)
                     "%s: TLSInteropCALearn file '%s': %s; %d learned "
                     "name(s) kept from it, and learning goes on",
                     vi->vhost, l->path, err, l->kept->entries->nelts);
    }
    tlsi_learned_rank(l->kept, tlsi_learned_today());
    return l;
}

const tlsi_learned_t *tlsi_learn_kept(const tlsi_learner_t *l)
{
    return l->kept;
}

/* -- in the children: one handshake's verified chain ---------------------- */

/* How many names the connection advertised: always a prefix of the
 * advertised order. */
static int advertised_count(const SSL *ssl)
{
    const STACK_OF(X509_NAME) *names = tlsi_calist_sent_by(ssl);

    return names != NULL ? sk_X509_NAME_num(names) : 0;
}

static void record(const tlsi_learner_t *l, int index, int issued)
{
    apr_uint32_t *hits = l->hits + (apr_size_t)index * HIT_WORDS;

    apr_atomic_inc32(&hits[issued ? HIT_ISSUED : HIT_ABOVE]);
    if (apr_atomic_cas32(&hits[HIT_SEEN], 1, 0) == 0 && !l->known[index]) {
        tlsi_count(l->s, TLSI_CNT_LEARNED_NAMES);
    }
}

static void observe(const tlsi_learner_t *l, X509_STORE_CTX *xctx)
{
    STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(xctx);
    const SSL *ssl = X509_STORE_CTX_get_ex_data(
        xctx, SSL_get_ex_data_X509_STORE_CTX_idx());
    int i;

    /* The issuer of each certificate, the leaf's first; a self-signed CA
     * above the leaf names itself, which its child already counted. */
    for (i = 0; i < sk_X509_num(chain); i++) {
        X509 *cert = sk_X509_value(chain, i);
        const X509_NAME *issuer = X509_get_issuer_name(cert);
        int index;

        if (i > 0 && X509_NAME_cmp(issuer, X509_get_subject_name(cert)) == 0) {
            break;
        }
        index = tlsi_namemap_find(l->map, issuer);
        if (i == 0 && ssl != NULL
            && (index < 0 || l->rank[index] >= advertised_count(ssl))) {
            tlsi_count(l->s, TLSI_CNT_ISSUER_NOT_ADVERTISED);
        }
        if (index >= 0 && l->hits != NULL) {
            record(l, index, i == 0);
        }
    }
}

/* Called by OpenSSL only when the client sent a certificate; mod_ssl's
 * verify callback still runs inside X509_verify_cert. */
static int verify_and_learn(X509_STORE_CTX *xctx, void *arg)
{
    int ok = X509_verify_cert(xctx);

    if (ok > 0 && X509_STORE_CTX_get_error(xctx) == X509_V_OK) {
        observe(arg, xctx);
    }
    return ok;
}

/* -- at start-up ---------------------------------------------------------- */

static apr_status_t release_learner(void *data)
{
    tlsi_learner_t *l = data;

    sk_X509_NAME_pop_free(l->names, X509_NAME_free);
    X509_STORE_free(l->store);
    return APR_SUCCESS;
}

void tlsi_learn_watch(tlsi_learner_t *l, const tlsi_vhost_init_t *vi,
                      STACK_OF(X509_NAME) *names, const int *rank,
                      const apr_array_header_t *learned)
{
    char *known_flags;
    int count = sk_X509_NAME_num(names), i;

    l->names = names;
    l->store = tlsi_client_trust_store(vi->ctx);
    if (l->store != NULL) {
        X509_STORE_up_ref(l->store);
    }
    apr_pool_cleanup_register(vi->pconf, l, release_learner,
                              apr_pool_cleanup_null);
    l->map = tlsi_namemap_make(vi->pconf, l->names);
    l->rank = rank;
    known_flags = apr_pcalloc(vi->pconf, count + 1);
    for (i = 0; learned != NULL && i < learned->nelts; i++) {
        known_flags[APR_ARRAY_IDX(learned, i, int)] = 1;
    }
    l->known = known_flags;
    l->known_count = learned != NULL ? learned->nelts : 0;
    SSL_CTX_set_cert_verify_callback(vi->ctx, verify_and_learn, l);
    APR_ARRAY_PUSH(generation_of(vi->pconf)->learners, tlsi_learner_t *) = l;
}

tlsi_stacks_t *tlsi_learn_stacks(tlsi_learner_t *l, apr_pool_t *pconf,
                                 const int names[TLSI_STEPS])
{
    l->stacks = apr_palloc(pconf, sizeof(*l->stacks));
    tlsi_stacks_init(l->stacks, names);
    return l->stacks;
}

/* -- when a generation ends, in the parent -------------------------------- */

static X509 *certificate_of(X509_STORE *store, const X509_NAME *name)
{
    X509_STORE_CTX *sctx = X509_STORE_CTX_new();
    STACK_OF(X509) *certs = NULL;
    X509 *cert = NULL;

    if (sctx != NULL && store != NULL
        && X509_STORE_CTX_init(sctx, store, NULL, NULL)) {
        certs = X509_STORE_CTX_get1_certs(sctx, (X509_NAME *)name);
    }
    if (sk_X509_num(certs) > 0) {
        cert = sk_X509_value(certs, 0);
        X509_up_ref(cert);
    }
    sk_X509_pop_free(certs, X509_free);
    X509_STORE_CTX_free(sctx);
    return cert;
}

static void save(tlsi_learner_t *l, apr_pool_t *p, int today)
{
    int count = sk_X509_NAME_num(l->names), i, added = 0, stacks_before;
    const char *err;

    for (i = 0; l->hits != NULL && i < count; i++) {
        apr_uint32_t *hits = l->hits + (apr_size_t)i * HIT_WORDS;
        apr_uint32_t issued = apr_atomic_read32(&hits[HIT_ISSUED]);
        apr_uint32_t above = apr_atomic_read32(&hits[HIT_ABOVE]);
        X509 *cert;

        if (issued == 0 && above == 0) {
            continue;
        }
        cert = certificate_of(l->store, sk_X509_NAME_value(l->names, i));
        if (cert != NULL) {
            tlsi_learned_add(l->kept, cert, issued, above, today);
            X509_free(cert);
            added++;
        }
    }
    stacks_before = l->kept->stacks->nelts;
    if (l->stacks != NULL && l->stacks->slots != NULL) {
        l->kept->stacks = tlsi_stacks_export(l->kept->pool, l->stacks,
                                              today);
    }
    if (added == 0 && stacks_before == 0 && l->kept->stacks->nelts == 0) {
        return;
    }
    tlsi_learned_rank(l->kept, today);
    err = tlsi_learned_write(p, l->path, tlsi_learned_format(p, l->kept,
        apr_psprintf(p, "Virtual host: %s", l->vhost)));
    if (err != NULL) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, l->s, TLSILOGNO(0010)
                     "%s: TLSInteropCALearn: %s; the names learned since "
                     "start-up are lost", l->vhost, err);
        return;
    }
    apr_hash_set(retained()->saved, apr_pstrdup(ap_pglobal, l->path),
                 APR_HASH_KEY_STRING, "");
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, l->s, TLSILOGNO(0011)
                 "%s: saved %d learned CA name(s)%s to '%s'", l->vhost,
                 l->kept->entries->nelts, l->kept->stacks->nelts == 0 ? ""
                 : apr_psprintf(p, " and %d client stack(s)",
                                l->kept->stacks->nelts), l->path);
}

/* Registered last on pconf, so it runs before the shared memory, the
 * stores and the states it reads are released. */
static apr_status_t save_all(void *data)
{
    generation_t *g = data;
    apr_pool_t *p;
    int today = tlsi_learned_today(), i;

    if (getpid() != g->parent) {
        return APR_SUCCESS;
    }
    apr_pool_create(&p, NULL);
    for (i = 0; i < g->learners->nelts; i++) {
        tlsi_learner_t *l = APR_ARRAY_IDX(g->learners, i, tlsi_learner_t *);

        if (l->path != NULL
            && (l->hits != NULL
                || (l->stacks != NULL && l->stacks->slots != NULL))) {
            save(l, p, today);
        }
        apr_pool_clear(p);
    }
    apr_pool_destroy(p);
    return APR_SUCCESS;
}

/* Say what the vhost's client stacks were learned to take, as read from
 * its file. */
static void report_stacks(const tlsi_learner_t *l, int today)
{
    int larger, held, i;
    apr_array_header_t *recs;
    apr_pool_t *p;

    apr_pool_create(&p, NULL);
    recs = tlsi_stacks_export(p, l->stacks, today);
    tlsi_stacks_totals(recs, &larger, &held);
    tlsi_counter_set(l->s, TLSI_CNT_LEARNED_STACKS, (apr_uint64_t)larger);
    tlsi_counter_set(l->s, TLSI_CNT_HELD_STACKS, (apr_uint64_t)held);
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, l->s, TLSILOGNO(0012)
                 "%s: client stacks refused after the fitted list are "
                 "explored (%d CA names, then %d, then all %d); learned so "
                 "far: %d take more, %d held to what they took", l->vhost,
                 l->stacks->names[TLSI_STEP_FITTED],
                 l->stacks->names[TLSI_STEP_STEP_BYTES],
                 l->stacks->names[TLSI_STEP_WHOLE], larger, held);
    for (i = 0; APLOG_IS_LEVEL(l->s, APLOG_INFO) && i < recs->nelts; i++) {
        const tlsi_stack_rec_t *rec = &APR_ARRAY_IDX(recs, i,
                                                     tlsi_stack_rec_t);

        ap_log_error(APLOG_MARK, APLOG_INFO, 0, l->s, TLSILOGNO(0013)
                     "%s: client JA4 %s gets %d CA names (learned: %s)%s",
                     l->vhost, rec->ja4, l->stacks->names[rec->takes],
                     tlsi_step_name(rec->takes),
                     rec->retry_day > today ? "; not explored again for now"
                     : "");
    }
    apr_pool_destroy(p);
}

/* One segment for every vhost's client stacks, loaded from their files. */
static void start_stacks(generation_t *g, apr_pool_t *pconf,
                         server_rec *base)
{
    apr_size_t bytes = tlsi_stacks_bytes(TLSI_STACKS_SLOTS), total = 0;
    int today = tlsi_learned_today(), i;
    char *shared;
    apr_shm_t *shm;
    apr_status_t rv;

    for (i = 0; i < g->learners->nelts; i++) {
        if (APR_ARRAY_IDX(g->learners, i, tlsi_learner_t *)->stacks) {
            total += bytes;
        }
    }
    if (total == 0) {
        return;
    }
    rv = apr_shm_create(&shm, total, NULL, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, base, TLSILOGNO(0014)
                     "cannot create shared memory for client stacks; every "
                     "client gets the fitted CA list until the next restart");
        return;
    }
    shared = apr_shm_baseaddr_get(shm);
    memset(shared, 0, total);
    for (i = 0; i < g->learners->nelts; i++) {
        tlsi_learner_t *l = APR_ARRAY_IDX(g->learners, i, tlsi_learner_t *);

        if (l->stacks == NULL) {
            continue;
        }
        tlsi_stacks_attach(l->stacks, shared, TLSI_STACKS_SLOTS);
        tlsi_stacks_load(l->stacks, l->kept->stacks, today);
        shared += bytes;
        report_stacks(l, today);
    }
}

void tlsi_learn_start_generation(apr_pool_t *pconf, server_rec *base)
{
    generation_t *g = generation_of(pconf);
    apr_size_t words = 0, offset = 0;
    apr_uint32_t *shared;
    apr_shm_t *shm;
    apr_status_t rv;
    int i;

    /* Shared counts only for the vhosts that learn: with
     * TLSInteropCALearn off, the callback counts certificates whose issuer
     * was not advertised and records nothing. */
    for (i = 0; i < g->learners->nelts; i++) {
        tlsi_learner_t *l = APR_ARRAY_IDX(g->learners, i, tlsi_learner_t *);

        tlsi_counter_set(l->s, TLSI_CNT_LEARNED_NAMES, l->known_count);
        if (l->path != NULL) {
            words += (apr_size_t)sk_X509_NAME_num(l->names) * HIT_WORDS;
        }
    }
    start_stacks(g, pconf, base);
    g->parent = getpid();
    if (words == 0) {
        goto save_at_end;
    }
    rv = apr_shm_create(&shm, words * sizeof(apr_uint32_t), NULL, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, base, TLSILOGNO(0015)
                     "cannot create shared memory for learning CA names; "
                     "nothing is learned until the next restart");
        goto save_at_end;
    }
    shared = apr_shm_baseaddr_get(shm);
    memset(shared, 0, words * sizeof(apr_uint32_t));
    for (i = 0; i < g->learners->nelts; i++) {
        tlsi_learner_t *l = APR_ARRAY_IDX(g->learners, i, tlsi_learner_t *);

        if (l->path != NULL) {
            l->hits = shared + offset;
            offset += (apr_size_t)sk_X509_NAME_num(l->names) * HIT_WORDS;
        }
    }
save_at_end:
    apr_pool_cleanup_register(pconf, g, save_all, apr_pool_cleanup_null);
}
