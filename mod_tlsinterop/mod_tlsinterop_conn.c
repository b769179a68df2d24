/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include "httpd.h"
#include "http_config.h"
#include "http_connection.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "http_ssl.h"
#include "ap_mpm.h"
#include "util_cfgtree.h"
#include "util_filter.h"

#include <apr_atomic.h>
#include <apr_strings.h>

#include "tlsi_agent.h"
#include "tlsi_args.h"
#include "tlsi_hint.h"
#include "mod_tlsinterop_log.h"
#include "mod_tlsinterop_hello.h"
#include "mod_tlsinterop_config.h"
#include "mod_tlsinterop_conn.h"
#include "mod_tlsinterop_counters.h"

APLOG_USE_MODULE(tlsinterop);

#define FILTER_NAME "TLSINTEROP_CONNECTION"

/* c->notes key holding the connection's shutdown mode when it is not
 * standard: mod_ssl fixes the mode on the connection's first request. */
#define NOTE_SHUTDOWN "tlsinterop-shutdown"

/* Longest User-Agent remembered per connection; longer ones are matched
 * on every request. */
#define AGENT_CACHE_MAX 256

static ap_filter_rec_t *connection_filter;

/*
 * A Keep-Alive timeout a server may announce, made at start-up: the copy of
 * the server_rec that makes ap_set_keepalive() say it, and the log value.
 */
struct tlsi_hint {
    server_rec *server;
    const char *fate;
};

/* What the module keeps per connection, made on first use. */
typedef struct {
    /* the legacy-agent rule of the request being served, or NULL (HTTP/1.x
     * serves a connection's requests in turn) */
    const tlsi_agent_rule_t *request_rule;
    /* the last User-Agent matched on this connection, and the result */
    const tlsi_agent_rules_t *rules;
    const tlsi_agent_rule_t *rule;
    apr_size_t agent_len;
    char agent[AGENT_CACHE_MAX];
    /* the request whose response announced keep-alive, and its vhost;
     * NULL again once the next request arrives or the close is counted */
    const request_rec *announced;
    server_rec *announced_server;
    /* the hint for the last vhost a request named, or NULL for none */
    const server_rec *hint_server;
    const struct tlsi_hint *hint;
} conn_memo_t;

/* What the filter changes for the pass that carries the headers. */
typedef struct {
    server_rec *server;         /* r->server to put back, or NULL */
    const char *connection_in;  /* the request's Connection header */
    int token_added;
} hint_undo_t;

/* Whether any rule concerns a server's requests: legacy agents, or the
 * Keep-Alive hint.  Without (and on servers that are no SSL vhost, which
 * have no memo), requests cost nothing more. */
static int has_work(const tlsi_srv_state_t *srv)
{
    return srv != NULL && (srv->request.rules != NULL
                           || srv->request.margin != TLSI_MARGIN_OFF);
}

/* What the module remembers about c, or NULL before applies() first made
 * it. */
static conn_memo_t *conn_memo(const conn_rec *c)
{
    return ap_get_module_config(c->conn_config, &tlsinterop_module);
}

/* What the module remembers about a TLS connection, made on its first
 * request, or NULL when the connection is not TLS.  Only a positive answer
 * is kept: a plain connection may still upgrade to TLS (RFC 2817). */
static conn_memo_t *tls_conn_memo(conn_rec *c)
{
    conn_memo_t *memo = conn_memo(c);

    if (memo == NULL && ap_ssl_conn_is_ssl(c)) {
        memo = apr_pcalloc(c->pool, sizeof(*memo));
        ap_set_module_config(c->conn_config, &tlsinterop_module, memo);
    }
    return memo;
}

/*
 * The start-up state of r's server when the module has work for r:
 * HTTP/1.x over TLS, in a server with rules; cheapest tests first.  Else
 * NULL.  HTTP/2 streams run on secondary connections (c->master);
 * r->proto_num is no test, as an HTTP/1.x request line may claim any
 * version ("HTTP/9.9") and httpd still answers it as HTTP/1.1.  Once it
 * answered, the connection has its memo: conn_memo() is never NULL for
 * r and later requests.
 */
static APR_INLINE const tlsi_srv_state_t *applies(request_rec *r)
{
    conn_rec *c = r->connection;
    const tlsi_srv_state_t *srv;

    if (c->master != NULL) {
        return NULL;
    }
    srv = tlsi_srv_state(r->server);
    if (!has_work(srv) || tls_conn_memo(c) == NULL) {
        return NULL;
    }
    return srv;
}

/*
 * The rule a User-Agent matches.  A connection's requests nearly always
 * carry one User-Agent, so the last result is kept per connection, with a
 * copy of the header up to AGENT_CACHE_MAX bytes: no allocation per
 * request, and no match when the header is the same.
 */
static const tlsi_agent_rule_t *match_agent(request_rec *r,
                                            const tlsi_agent_rules_t *rules)
{
    const char *agent = apr_table_get(r->headers_in, "User-Agent");
    apr_size_t len = agent ? strlen(agent) : 0;
    conn_memo_t *memo = conn_memo(r->connection);

    if (agent == NULL) {
        agent = "";
    }
    if (memo->rules == rules && memo->agent_len == len
        && memcmp(memo->agent, agent, len) == 0) {
        return memo->rule;
    }
    memo->rule = tlsi_agent_match(rules, agent, len);
    memo->rules = NULL;
    if (len <= AGENT_CACHE_MAX) {
        memcpy(memo->agent, agent, len);
        memo->agent_len = len;
        memo->rules = rules;
    }
    return memo->rule;
}

/* A rule's non-standard mode replaces any other ssl-*-shutdown choice; a
 * standard rule leaves an admin's own BrowserMatch choice alone. */
static void request_shutdown_mode(request_rec *r, tlsi_shutdown_e mode)
{
    if (mode == TLSI_SHUTDOWN_STANDARD) {
        return;
    }
    apr_table_unset(r->subprocess_env,
                    tlsi_shutdown_info(TLSI_SHUTDOWN_UNCLEAN)->env);
    apr_table_unset(r->subprocess_env,
                    tlsi_shutdown_info(TLSI_SHUTDOWN_ACCURATE)->env);
    apr_table_setn(r->subprocess_env, tlsi_shutdown_info(mode)->env, "1");
}

static tlsi_shutdown_e connection_shutdown_mode(const conn_rec *c)
{
    return tlsi_shutdown_from_name(apr_table_get(c->notes, NOTE_SHUTDOWN));
}

/* The legacy-agent rule of r's User-Agent, or NULL: matched for the
 * request the client sent, and kept for the requests an internal redirect
 * makes of it (httpd runs post_read_request for those too). */
static const tlsi_agent_rule_t *request_rule(request_rec *r,
                                             const tlsi_srv_state_t *srv)
{
    conn_memo_t *memo = conn_memo(r->connection);

    if (r->prev == NULL && srv->request.rules != NULL) {
        memo->request_rule = match_agent(r, srv->request.rules);
        if (memo->request_rule != NULL) {
            tlsi_count(r->server, TLSI_CNT_LEGACY_MATCHES);
        }
    }
    return memo->request_rule;
}

/* Match the User-Agent and settle the shutdown mode of a request the
 * module applies to. */
static void start_request(request_rec *r)
{
    conn_rec *c = r->connection;
    const tlsi_srv_state_t *srv = applies(r);
    const tlsi_agent_rule_t *rule;

    if (srv == NULL) {
        return;
    }
    rule = request_rule(r, srv);
    if (rule != NULL) {
        /* Again after an internal redirect, which renamed the variables. */
        apr_table_setn(r->subprocess_env, TLSI_ENV_AGENT_RULE, rule->pattern);
        request_shutdown_mode(r, rule->shutdown);
    }
    if (c->keepalives == 0) {
        tlsi_shutdown_e mode = tlsi_shutdown_from_env(r->subprocess_env);

        if (mode != TLSI_SHUTDOWN_STANDARD) {
            apr_table_setn(c->notes, NOTE_SHUTDOWN, tlsi_shutdown_name(mode));
        }
    }
}

/* Ordered after mod_setenvif (BrowserMatch) and before mod_ssl, which reads
 * ssl-*-shutdown in its own post_read_request hook. */
int tlsi_conn_post_read_request(request_rec *r)
{
    conn_memo_t *memo = conn_memo(r->connection);

    /* A new request: the connection is no longer idle after a promise;
     * one the client sent has no rule yet. */
    if (memo != NULL) {
        memo->announced = NULL;
        if (r->prev == NULL) {
            memo->request_rule = NULL;
        }
    }
    if (tlsi_hello_watching()) {
        tlsi_hello_request_env(r);
    }
    /* Cheapest test first: most servers have no rule and no hint. */
    if (has_work(tlsi_srv_state(r->server))) {
        start_request(r);
    }
    return DECLINED;
}

/* Close after this response, and say so: ap_set_keepalive() then writes
 * Connection: close. */
static void force_close(request_rec *r)
{
    r->connection->keepalive = AP_CONN_CLOSE;
    apr_table_unset(r->headers_out, "Keep-Alive");
    apr_table_unset(r->err_headers_out, "Keep-Alive");
    tlsi_count(r->server, TLSI_CNT_FORCED_CLOSES);
}

/*
 * The idle timeout the MPM will enforce after this response: the vhost's
 * KeepAliveTimeout where it is set explicitly, else the first vhost's on
 * the address.  (event, worker and prefork agree; the timeout httpd itself
 * advertises is the vhost's, inherited from the main server.)
 */
static apr_interval_time_t enforced_timeout(const request_rec *r)
{
    if (r->server->keep_alive_timeout_set) {
        return r->server->keep_alive_timeout;
    }
    return r->connection->base_server->keep_alive_timeout;
}

/* The start-up-made hint for r, or NULL for none.  It depends only on r's
 * server and the connection's base server, so a connection keeps the last
 * one. */
static const struct tlsi_hint *find_hint(const request_rec *r,
                                         const tlsi_srv_state_t *srv)
{
    conn_memo_t *memo = conn_memo(r->connection);

    if (memo->hint_server != r->server) {
        int seconds = tlsi_hint_seconds(enforced_timeout(r),
                                        srv->request.margin);
        int at = tlsi_timeouts_find(srv->request.timeouts, seconds);

        memo->hint = at >= 0 ? &srv->request.hints[at] : NULL;
        memo->hint_server = r->server;
    }
    return memo->hint;
}

/*
 * Make ap_set_keepalive() announce the hint's timeout if it keeps the
 * connection, leaving the decision to it.  It writes Keep-Alive: timeout=
 * from r->server only when the request carries a keep-alive token, so for
 * the one pass that carries the headers r gets a copy of its server with
 * that timeout, and an HTTP/1.1 request the token.  undo_hint() puts both
 * back.
 */
static void announce_timeout(request_rec *r, const struct tlsi_hint *hint,
                             hint_undo_t *undo)
{
    undo->server = r->server;
    r->server = hint->server;
    if (r->proto_num >= HTTP_VERSION(1, 1)) {
        const char *connection = apr_table_get(r->headers_in, "Connection");

        /* Browsers send exactly "keep-alive": no token scan for them, and
         * strcmp() is the cheapest test (ap_find_token() ignores case). */
        if (connection == NULL
            || (strcmp(connection, "keep-alive") != 0
                && !ap_find_token(r->pool, connection, "keep-alive"))) {
            undo->connection_in = connection;
            undo->token_added = 1;
            apr_table_setn(r->headers_in, "Connection", connection
                           ? apr_pstrcat(r->pool, connection, ", keep-alive",
                                         NULL)
                           : "keep-alive");
        }
    }
}

static void undo_hint(request_rec *r, const hint_undo_t *undo)
{
    if (undo->server != NULL) {
        r->server = undo->server;
    }
    if (undo->token_added) {
        if (undo->connection_in != NULL) {
            apr_table_setn(r->headers_in, "Connection", undo->connection_in);
        }
        else {
            apr_table_unset(r->headers_in, "Connection");
        }
    }
}

/* Settle what the headers will say.  Returns the hint to announce, or
 * NULL for none. */
static const struct tlsi_hint *decide(request_rec *r, hint_undo_t *undo)
{
    const tlsi_srv_state_t *srv = tlsi_srv_state(r->server);
    const struct tlsi_hint *hint;

    if (conn_memo(r->connection)->request_rule != NULL) {
        force_close(r);
        return NULL;
    }
    if (srv->request.margin == TLSI_MARGIN_OFF) {
        return NULL;
    }
    hint = find_hint(r, srv);
    if (hint == NULL) {
        /* No timeout left to advertise that a client could rely on. */
        force_close(r);
        return NULL;
    }
    announce_timeout(r, hint, undo);
    return hint;
}

static const char *close_fate(const conn_rec *c)
{
    return tlsi_shutdown_info(connection_shutdown_mode(c))->fate;
}

static void count_close(const request_rec *r)
{
    if (connection_shutdown_mode(r->connection) == TLSI_SHUTDOWN_UNCLEAN) {
        tlsi_count(r->server, TLSI_CNT_UNCLEAN_CLOSES);
    }
}

/* The connection's fate after r, for %{TLSINTEROP_CONNECTION}e where the
 * configuration names it (s is the server whose settings say so). */
static void set_fate_variable(request_rec *r, const server_rec *s,
                              const char *fate)
{
    if (tlsi_srv_state(s)->request.fate_variable) {
        apr_table_setn(r->subprocess_env, TLSI_ENV_CONNECTION, fate);
    }
}

/* After the headers went out: what they told the client. */
static void record_fate(request_rec *r, const struct tlsi_hint *hint)
{
    const char *fate;

    if (r->connection->keepalive == AP_CONN_KEEPALIVE) {
        conn_memo_t *memo = conn_memo(r->connection);

        memo->announced = r;
        memo->announced_server = r->server;
        if (hint != NULL) {
            fate = hint->fate;
            tlsi_count(r->server, TLSI_CNT_KEEPALIVE_HINTS);
        }
        else {
            fate = "keep-alive";
        }
    }
    else {
        fate = close_fate(r->connection);
        count_close(r);
    }
    set_fate_variable(r, r->server, fate);
}

static apr_status_t connection_filter_out(ap_filter_t *f,
                                          apr_bucket_brigade *bb)
{
    request_rec *r = f->r;
    hint_undo_t undo = { NULL, NULL, 0 };
    const struct tlsi_hint *hint;
    apr_status_t rv;

    if (r->sent_bodyct) {
        ap_remove_output_filter(f);
        return ap_pass_brigade(f->next, bb);
    }
    hint = decide(r, &undo);
    rv = ap_pass_brigade(f->next, bb);
    undo_hint(r, &undo);
    if (r->sent_bodyct) {
        record_fate(r, hint);
        /* Usually this pass was the whole response (ap_pass_brigade() set
         * eos_sent): then no later pass needs the filter out of its way. */
        if (!r->eos_sent) {
            ap_remove_output_filter(f);
        }
    }
    return rv;
}

static int filter_present(const request_rec *r)
{
    const ap_filter_t *f;

    for (f = r->output_filters; f != NULL && f != r->proto_output_filters;
         f = f->next) {
        if (f->frec == connection_filter) {
            return 1;
        }
    }
    return 0;
}

/* Add the filter where r, of a server with work, needs it. */
static void add_filter(request_rec *r, const tlsi_srv_state_t *srv)
{
    if (applies(r) == NULL) {
        return;
    }
    if (srv->request.margin == TLSI_MARGIN_OFF
        && conn_memo(r->connection)->request_rule == NULL) {
        return;
    }
    if (!filter_present(r)) {
        ap_add_output_filter_handle(connection_filter, NULL, r, r->connection);
    }
}

/* Also the insert_error_filter hook: error responses drop the filters that
 * insert_filter added. */
void tlsi_conn_insert_filter(request_rec *r)
{
    const tlsi_srv_state_t *srv = tlsi_srv_state(r->server);

    /* Cheapest tests first: most servers have no rule and no hint. */
    if (has_work(srv) && r->main == NULL) {
        add_filter(r, srv);
    }
}

/* Whether the MPM is stopping this child now (a graceful restart or a
 * stop), as it says itself: for a connection's close. */
static int mpm_says_stopping(void)
{
    int state;

    return ap_mpm_query(AP_MPMQ_MPM_STATE, &state) == APR_SUCCESS
           && state == AP_MPMQ_STOPPING;
}

/*
 * The same for every keep-alive response, without asking: event and
 * worker say so through the child_stopping hook, documented to come while
 * ongoing requests are still served.  They run it just after setting the
 * state they answer with and waking their listener, so a response that
 * ends in between is counted at its close instead (tlsi_conn_pre_close()
 * asks).  prefork runs the hook only as the child exits (its signal
 * handler just notes the stop), so under prefork, and with an httpd
 * older than the hook, the MPM is asked each time.
 */
static apr_uint32_t child_stopping;
static int ask_mpm_if_stopping;

void tlsi_conn_child_init(apr_pool_t *pchild, server_rec *s)
{
    (void)pchild;
    (void)s;
    apr_atomic_set32(&child_stopping, 0);
    ask_mpm_if_stopping = !TLSI_HAVE_CHILD_STOPPING
                          || strcmp(ap_show_mpm(), "prefork") == 0;
}

void tlsi_conn_child_stopping(apr_pool_t *pchild, int graceful)
{
    (void)pchild;
    (void)graceful;
    apr_atomic_set32(&child_stopping, 1);
}

static int child_is_stopping(void)
{
    if (ask_mpm_if_stopping) {
        return mpm_says_stopping();
    }
    return apr_atomic_read32(&child_stopping) != 0;
}

/* After a response that announced keep-alive: count and log the close
 * if the connection will close all the same. */
static void check_promise(request_rec *r, conn_memo_t *memo)
{
    int stopping = child_is_stopping();

    if (r->connection->keepalive == AP_CONN_KEEPALIVE && !stopping) {
        return;
    }
    memo->announced = NULL;    /* counted once, not again at the close */
    tlsi_count(r->server, TLSI_CNT_CLOSES_AFTER_KEEPALIVE);
    count_close(r);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, TLSILOGNO(0002)
                  "connection closes although its response announced "
                  "keep-alive (%s; %" APR_UINT64_T_FMT " on this vhost): %s",
                  stopping ? "server stopping" : "marked to close after the "
                  "headers were sent",
                  tlsi_counter_value(r->server,
                                     TLSI_CNT_CLOSES_AFTER_KEEPALIVE),
                  r->the_request);
    set_fate_variable(r, memo->announced_server, close_fate(r->connection));
}

/* Before mod_log_config, so that the logged fate is the real one. */
int tlsi_conn_log_transaction(request_rec *r)
{
    conn_memo_t *memo = conn_memo(r->connection);

    /* Most connections: the module never had work for them. */
    if (memo == NULL) {
        return DECLINED;
    }
    while (r->next != NULL) {
        r = r->next;
    }
    /* A client that went away broke no promise of ours. */
    if (memo->announced == r && !r->connection->aborted) {
        check_promise(r, memo);
    }
    return DECLINED;
}

/*
 * A graceful restart or a stop closes idle keep-alive connections at once
 * (mpm_event with close_notify), breaking the last response's promise.
 * No hook can keep such a connection open, so the close is counted and
 * logged like one decided during a response.
 */
int tlsi_conn_pre_close(conn_rec *c)
{
    conn_memo_t *memo = conn_memo(c);

    if (memo == NULL || memo->announced == NULL || c->aborted
        || !mpm_says_stopping()) {
        return OK;
    }
    memo->announced = NULL;
    tlsi_count(memo->announced_server, TLSI_CNT_CLOSES_AFTER_KEEPALIVE);
    ap_log_cerror(APLOG_MARK, APLOG_INFO, 0, c, TLSILOGNO(0003)
                  "idle connection closed by a graceful restart or stop "
                  "although its last response announced keep-alive (%d "
                  "request(s) served; %" APR_UINT64_T_FMT " on this vhost)",
                  c->keepalives,
                  tlsi_counter_value(memo->announced_server,
                                     TLSI_CNT_CLOSES_AFTER_KEEPALIVE));
    return OK;
}

/* Add a hint for an enforced timeout to settings, unless it has one for
 * the same number of seconds or none is left after the margin. */
static void add_hint(apr_pool_t *p, server_rec *s,
                     tlsi_request_settings_t *settings,
                     apr_interval_time_t enforced)
{
    int seconds = tlsi_hint_seconds(enforced, settings->margin);
    int at = tlsi_timeouts_add(settings->timeouts, seconds);
    struct tlsi_hint *hint;

    if (at < 0 || settings->hints[at].server != NULL) {
        return;
    }
    hint = &settings->hints[at];
    hint->server = apr_pmemdup(p, s, sizeof(*s));
    hint->server->keep_alive_timeout = apr_time_from_sec(seconds);
    hint->fate = apr_psprintf(p, "keep-alive timeout=%d", seconds);
}

apr_array_header_t *tlsi_conn_timeouts(apr_pool_t *p, const server_rec *base)
{
    apr_array_header_t *found = apr_array_make(p, 4,
                                               sizeof(apr_interval_time_t));
    const server_rec *s;
    int i;

    for (s = base; s != NULL; s = s->next) {
        for (i = 0; i < found->nelts; i++) {
            if (APR_ARRAY_IDX(found, i, apr_interval_time_t)
                == s->keep_alive_timeout) {
                break;
            }
        }
        if (i == found->nelts) {
            APR_ARRAY_PUSH(found, apr_interval_time_t) = s->keep_alive_timeout;
        }
    }
    return found;
}

static int names_variable(const ap_directive_t *d, const char *name)
{
    for (; d != NULL; d = d->next) {
        if ((d->args != NULL && ap_strcasestr(d->args, name) != NULL)
            || names_variable(d->first_child, name)) {
            return 1;
        }
    }
    return 0;
}

/*
 * Setting the variable is a table write on every request, and only a log
 * format reads it (it is set after the response went out): so it is set
 * only where some directive names it.  Names of environment variables are
 * matched without regard to case, as %{...}e looks them up.
 */
int tlsi_conn_fate_variable_named(void)
{
    return names_variable(ap_conftree, TLSI_ENV_CONNECTION);
}

/*
 * The timeout a connection is held to after a response is s's
 * KeepAliveTimeout if it sets one, else that of whichever server is first
 * on the connection's address (one of the distinct timeouts of all
 * servers).  For each, the hint is made once here, so that a request
 * copies and formats nothing.  Time and memory grow with the SSL vhosts
 * times the distinct timeouts, not with the square of all servers.
 */
tlsi_request_settings_t tlsi_conn_settings(apr_pool_t *pconf, server_rec *s,
                                           const apr_array_header_t *timeouts,
                                           int fate_variable)
{
    const tlsi_srv_conf_t *conf = tlsi_srv_conf(s);
    const tlsi_agent_rules_t *rules = tlsi_agents(conf);
    tlsi_request_settings_t settings = { NULL, TLSI_MARGIN_OFF, NULL, NULL,
                                         0 };
    int i;

    if (!tlsi_enabled(conf)) {
        return settings;
    }
    settings.fate_variable = fate_variable;
    if (rules != NULL && rules->rules->nelts > 0) {
        settings.rules = rules;
    }
    settings.margin = tlsi_keepalive_margin(conf);
    if (settings.margin == TLSI_MARGIN_OFF) {
        return settings;
    }
    if (s->keep_alive_timeout_set) {
        settings.timeouts = tlsi_timeouts_make(pconf, 1);
        settings.hints = apr_pcalloc(pconf, sizeof(*settings.hints));
        add_hint(pconf, s, &settings, s->keep_alive_timeout);
        return settings;
    }
    settings.timeouts = tlsi_timeouts_make(pconf, timeouts->nelts);
    settings.hints = apr_pcalloc(pconf,
                                 sizeof(*settings.hints) * timeouts->nelts);
    for (i = 0; i < timeouts->nelts; i++) {
        add_hint(pconf, s, &settings,
                 APR_ARRAY_IDX(timeouts, i, apr_interval_time_t));
    }
    return settings;
}

void tlsi_conn_register_filter(void)
{
    connection_filter = ap_register_output_filter(
        FILTER_NAME, connection_filter_out, NULL,
        (ap_filter_type)(AP_FTYPE_PROTOCOL - 1));
}
