/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include "httpd.h"
#include "http_config.h"

#include <apr_time.h>

#include "http_log.h"

#include "mod_tlsinterop_log.h"
#include "mod_tlsinterop_counters.h"
#include "mod_tlsinterop_handshake.h"
#include "mod_tlsinterop_hello.h"
#include "tlsi_ossl.h"

APLOG_USE_MODULE(tlsinterop);

/* SSL_CTX ex_data: the vhost's tlsi_handshake_t, for the info callback. */
static int handshake_index = -1;

static apr_uint32_t now_seconds(void)
{
    return (apr_uint32_t)apr_time_sec(apr_time_now());
}

/* Record how a handshake that chose by its client stack ended, and say
 * what that changed. */
static void stack_outcome(const tlsi_handshake_t *hs, tlsi_hello_seen_t *seen,
                          tlsi_outcome_e outcome)
{
    int step = seen->stack.step;
    tlsi_stacks_change_e change;

    seen->stack_pending = 0;
    change = tlsi_stacks_outcome(hs->stacks, seen->ja4, &seen->stack,
                                 outcome, now_seconds());
    switch (change) {
    case TLSI_STACKS_EXPLORE:
        ap_log_cerror(APLOG_MARK, APLOG_INFO, 0, seen->c, TLSILOGNO(0005)
                      "client JA4 %s sent no certificate after %d CA names; "
                      "its next handshake gets a larger list", seen->ja4,
                      hs->stacks->names[step]);
        break;
    case TLSI_STACKS_LEARNED:
        tlsi_count(hs->s, TLSI_CNT_LEARNED_STACKS);
        /* fall through */
    case TLSI_STACKS_LEARNED_MORE:
        ap_log_cerror(APLOG_MARK, APLOG_INFO, 0, seen->c, TLSILOGNO(0006)
                      "client JA4 %s authenticated after a list of %d CA "
                      "names: learned, its handshakes get that list",
                      seen->ja4, hs->stacks->names[step]);
        break;
    case TLSI_STACKS_HELD:
        tlsi_count(hs->s, TLSI_CNT_HELD_STACKS);
        ap_log_cerror(APLOG_MARK, APLOG_INFO, 0, seen->c, TLSILOGNO(0007)
                      "client JA4 %s broke the handshake off after a list of "
                      "%d CA names: it keeps the list it was learned at, "
                      "and is not explored again for %d days", seen->ja4,
                      hs->stacks->names[step], TLSI_STACKS_RETRY_DAYS);
        break;
    default:
        break;
    }
}

/* A connection that ends with its exploring handshake's outcome still to
 * come broke it off: an alert, a reset or a close after the larger list. */
static apr_status_t stack_broke_off(void *data)
{
    tlsi_hello_seen_t *seen = data;

    if (seen->stack_pending) {
        stack_outcome(seen->stack_vhost, seen, TLSI_OUTCOME_BROKE_OFF);
    }
    return APR_SUCCESS;
}

/* A connection's info callback replaces the context's (mod_ssl's, which
 * guards against client-initiated renegotiation): run it first.  Returns
 * the vhost's handshake settings. */
static const tlsi_handshake_t *run_context_callback(const SSL *ssl, int where,
                                                    int ret)
{
    SSL_CTX *ctx = SSL_get_SSL_CTX(ssl);
    void (*chained)(const SSL *, int, int) = SSL_CTX_get_info_callback(ctx);

    if (chained != NULL) {
        chained(ssl, where, ret);
    }
    return SSL_CTX_get_ex_data(ctx, handshake_index);
}

/*
 * Set on a connection that requests a certificate with a trimmed list:
 * tells at the end of the handshake whether the client sent one, then
 * leaves the connection to the context's own callback.
 */
static void on_info(const SSL *ssl, int where, int ret)
{
    const tlsi_handshake_t *hs = run_context_callback(ssl, where, ret);
    tlsi_hello_seen_t *seen;
    tlsi_outcome_e outcome;

    if (where & SSL_CB_HANDSHAKE_DONE) {
        outcome = tlsi_ossl_peer_sent_certificate(ssl)
                  ? TLSI_OUTCOME_AUTHENTICATED : TLSI_OUTCOME_NO_CERTIFICATE;
    }
    else if ((where & SSL_CB_WRITE_ALERT) && (ret >> 8) == SSL3_AL_FATAL
             && SSL_get_state(ssl) == TLS_ST_SR_CERT) {
        /* Refused while reading the client's Certificate: empty
         * (SSLVerifyClient require), or one that failed to verify. */
        outcome = SSL_get_verify_result(ssl) == X509_V_OK
                  ? TLSI_OUTCOME_NO_CERTIFICATE
                  : TLSI_OUTCOME_BAD_CERTIFICATE;
    }
    else {
        /* Anything else before the end: the connection's end tells. */
        return;
    }
    seen = tlsi_hello_of((SSL *)ssl);
    if (hs != NULL && seen != NULL && seen->stack_pending) {
        stack_outcome(hs, seen, outcome);
    }
    if (outcome == TLSI_OUTCOME_NO_CERTIFICATE && hs != NULL) {
        const STACK_OF(X509_NAME) *names = tlsi_calist_sent_by(ssl);

        tlsi_count(hs->s, TLSI_CNT_TRIMMED_NO_CERT);
        /* Which stacks a fitted list locks out: their fingerprint. */
        if (seen != NULL) {
            ap_log_cerror(APLOG_MARK, APLOG_INFO, 0, seen->c, TLSILOGNO(0008)
                          "no client certificate after a list of %d CA "
                          "names; client JA4 %s",
                          seen->names_given >= 0 ? seen->names_given
                          : names ? sk_X509_NAME_num(names) : 0, seen->ja4);
        }
    }
    SSL_set_info_callback((SSL *)ssl, NULL);
}

/* Give the connection the first kept names of the vhost's order.  The
 * whole list sits in the context's CA list, which an empty client CA list
 * lets through (checked at start-up): no copy on the common path. */
static int give_names(const tlsi_handshake_t *hs, SSL *ssl,
                      tlsi_hello_seen_t *seen, int kept)
{
    if (kept == hs->reachable && kept > 0) {
        STACK_OF(X509_NAME) *empty = sk_X509_NAME_new_null();

        if (empty == NULL) {
            return -1;
        }
        SSL_set_client_CA_list(ssl, empty);
    }
    else if (tlsi_calist_give(ssl, hs->order, kept) < 0) {
        return -1;
    }
    seen->names_given = kept;
    tlsi_count(hs->s, kept == hs->order->count ? TLSI_CNT_WHOLE_LISTS
                                               : TLSI_CNT_LARGER_LISTS);
    return 1;
}

/*
 * The list a client not recognised by a class gets where the vhost learns
 * client stacks: the step its fingerprint was learned at, or one larger
 * while it is explored.  Only in a connection's first handshake, and only
 * where a client without a certificate is refused anyway.
 */
static int list_for_stack(const tlsi_handshake_t *hs, SSL *ssl,
                          tlsi_hello_seen_t *seen)
{
    if (hs->stacks == NULL || seen->stack_vhost != NULL
        || !(SSL_get_verify_mode(ssl) & SSL_VERIFY_FAIL_IF_NO_PEER_CERT)) {
        return 0;
    }
    seen->stack_vhost = hs;
    tlsi_stacks_choose(hs->stacks, seen->ja4, now_seconds(), &seen->stack);
    seen->stack_pending = 1;
    if (seen->stack.exploring) {
        tlsi_count(hs->s, TLSI_CNT_EXPLORATIONS);
        apr_pool_cleanup_register(seen->c->pool, seen, stack_broke_off,
                                  apr_pool_cleanup_null);
    }
    if (seen->stack.step == TLSI_STEP_FITTED
        || hs->stacks->names[seen->stack.step] == hs->fitted) {
        return 0;
    }
    return give_names(hs, ssl, seen, hs->stacks->names[seen->stack.step]);
}

/*
 * A client recognised as a stack that takes more than the fitted list gets
 * the largest prefix of the priority order it accepts; one of no class
 * may have been learned to take more.  Returns 1 if the connection got
 * another list, 0 if not, -1 when out of memory.
 */
static int list_for_client(const tlsi_handshake_t *hs, SSL *ssl)
{
    tlsi_hello_seen_t *seen = tlsi_hello_of(ssl);
    const tlsi_class_rule_t *rule = NULL;
    apr_size_t limit;
    int kept;

    if (seen == NULL) {
        return 0;
    }
    limit = tlsi_classes_limit(hs->classes, seen->hello, seen->ja4, &rule);
    if (limit == 0) {
        /* An admin's "off" says the fitted list: no exploring either. */
        return rule == NULL ? list_for_stack(hs, ssl, seen) : 0;
    }
    kept = tlsi_calist_fit_sendable(hs->order, &hs->shape, limit);
    if (kept == hs->fitted) {
        return 0;
    }
    return give_names(hs, ssl, seen, kept);
}

/*
 * Set on a TLS 1.3 connection whose handshake did not ask for a client
 * certificate, on a vhost whose per-directory SSLVerifyClient may ask
 * after it (post-handshake authentication).  OpenSSL reports a loop in the
 * write state machine before it moves on to the next message; a move from
 * the finished state (TLS_ST_OK) while mod_ssl has set verification on
 * is the post-handshake CertificateRequest, which takes its names from
 * the connection's list afterwards.  Choose it then, and leave the
 * connection to mod_ssl's own callback.
 */
static void on_post_handshake(const SSL *ssl, int where, int ret)
{
    const tlsi_handshake_t *hs = run_context_callback(ssl, where, ret);

    if ((where & SSL_CB_ACCEPT_LOOP) != SSL_CB_ACCEPT_LOOP
        || SSL_get_state(ssl) != TLS_ST_OK
        || !(SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER)) {
        return;
    }
    if (hs != NULL) {
        /* out of memory: the fitted list it has */
        list_for_client(hs, (SSL *)ssl);
    }
    SSL_set_info_callback((SSL *)ssl, NULL);
}

static int on_certificate(SSL *ssl, void *arg)
{
    const tlsi_handshake_t *hs = arg;
    /* A CertificateRequest goes out when the server verifies clients. */
    int asks = (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) != 0;
    int cut = 0;

    if (hs->fit_needed) {
        cut = tlsi_fragment_fit_connection(&hs->fit, ssl);
        if (cut < 0) {
            return 0;   /* out of memory: fail the handshake */
        }
        if (cut > 0) {
            tlsi_count(hs->s, TLSI_CNT_FRAGMENT_FITS);
        }
    }
    /* A negotiated max_fragment_length says what the client takes.  A
     * renegotiation that asks (TLS 1.2, per-directory SSLVerifyClient)
     * comes here again. */
    if (!cut && hs->classes != NULL && asks
        && list_for_client(hs, ssl) < 0) {
        return 0;
    }
    if (!cut && hs->classes != NULL && !asks
        && SSL_version(ssl) == TLS1_3_VERSION) {
        SSL_set_info_callback(ssl, on_post_handshake);
    }
    if ((hs->trimmed || cut) && asks) {
        tlsi_count(hs->s, TLSI_CNT_TRIMMED_HANDSHAKES);
        SSL_set_info_callback(ssl, on_info);
    }
    return 1;
}

void tlsi_handshake_install(SSL_CTX *ctx, const tlsi_handshake_t *hs)
{
    if (!hs->trimmed && !hs->fit_needed && hs->classes == NULL) {
        return;
    }
    if (handshake_index < 0) {
        handshake_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    }
    SSL_CTX_set_ex_data(ctx, handshake_index, (void *)hs);
    SSL_CTX_set_cert_cb(ctx, on_certificate, (void *)hs);
}
