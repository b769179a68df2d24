/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * mod_tlsi_floor: a yardstick for bench section 2, never installed.
 *
 * The least per-request work with which any module could give a browser's
 * request what mod_tlsinterop gives it under httpd 2.4's API:
 *
 *   - read the User-Agent, as legacy-agent rules apply per request, and
 *     compare it with the connection's last one (no match when the same);
 *   - add a request output filter ahead of HTTP_HEADER, the only place
 *     between the handler and ap_set_keepalive();
 *   - in it, point r->server at a copy whose KeepAliveTimeout is the hint,
 *     read the request's Connection header for the keep-alive token (a
 *     browser sends exactly "keep-alive"; for a request without it, add it
 *     so that httpd announces the timeout), pass the brigade on, and put
 *     both back.
 *
 * It leaves out everything else mod_tlsinterop does per request (matching a
 * new User-Agent, the shutdown mode, counters, the log variable, the check
 * for a close after a promise), so that the difference between the two is
 * what mod_tlsinterop's own choices cost.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"
#include "http_request.h"
#include "http_ssl.h"
#include "util_filter.h"

#include <apr_strings.h>

module AP_MODULE_DECLARE_DATA tlsi_floor_module;

#define AGENT_MAX 256

typedef struct {
    apr_size_t agent_len;
    char agent[AGENT_MAX];
} floor_conn_t;

static ap_filter_rec_t *floor_filter;

static int floor_post_read_request(request_rec *r)
{
    conn_rec *c = r->connection;
    floor_conn_t *fc = ap_get_module_config(c->conn_config,
                                            &tlsi_floor_module);
    const char *agent;
    apr_size_t len;

    if (fc == NULL) {
        if (c->master != NULL || !ap_ssl_conn_is_ssl(c)) {
            return DECLINED;
        }
        fc = apr_pcalloc(c->pool, sizeof(*fc));
        ap_set_module_config(c->conn_config, &tlsi_floor_module, fc);
    }
    agent = apr_table_get(r->headers_in, "User-Agent");
    if (agent == NULL) {
        agent = "";
    }
    len = strlen(agent);
    if (len <= AGENT_MAX && (len != fc->agent_len
                             || memcmp(fc->agent, agent, len) != 0)) {
        memcpy(fc->agent, agent, len);
        fc->agent_len = len;
    }
    return DECLINED;
}

static void floor_insert_filter(request_rec *r)
{
    if (r->main == NULL && ap_get_module_config(r->connection->conn_config,
                                                &tlsi_floor_module)) {
        ap_add_output_filter_handle(floor_filter, NULL, r, r->connection);
    }
}

static apr_status_t floor_filter_out(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;
    server_rec *server = r->server;
    const char *connection;
    int token_added = 0;
    apr_status_t rv;

    if (r->sent_bodyct) {
        return ap_pass_brigade(f->next, bb);
    }
    r->server = ap_get_module_config(server->module_config,
                                     &tlsi_floor_module);
    connection = apr_table_get(r->headers_in, "Connection");
    if (r->proto_num >= HTTP_VERSION(1, 1)
        && (connection == NULL
            || (strcmp(connection, "keep-alive") != 0
                && !ap_find_token(r->pool, connection, "keep-alive")))) {
        apr_table_setn(r->headers_in, "Connection", connection
                       ? apr_pstrcat(r->pool, connection, ", keep-alive",
                                     NULL)
                       : "keep-alive");
        token_added = 1;
    }
    rv = ap_pass_brigade(f->next, bb);
    r->server = server;
    if (token_added) {
        if (connection != NULL) {
            apr_table_setn(r->headers_in, "Connection", connection);
        }
        else {
            apr_table_unset(r->headers_in, "Connection");
        }
    }
    return rv;
}

/* Each server's copy with the hint's timeout, made once. */
static int floor_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *base)
{
    server_rec *s;

    (void)plog;
    (void)ptemp;
    for (s = base; s != NULL; s = s->next) {
        server_rec *copy = apr_pmemdup(pconf, s, sizeof(*s));

        copy->keep_alive_timeout -= apr_time_from_sec(1);
        ap_set_module_config(s->module_config, &tlsi_floor_module, copy);
    }
    return OK;
}

static void floor_register_hooks(apr_pool_t *p)
{
    static const char *const after_setenvif[] = { "mod_setenvif.c", NULL };

    (void)p;
    ap_hook_post_config(floor_post_config, NULL, NULL, APR_HOOK_LAST);
    ap_hook_post_read_request(floor_post_read_request, after_setenvif, NULL,
                              APR_HOOK_MIDDLE);
    ap_hook_insert_filter(floor_insert_filter, NULL, NULL, APR_HOOK_LAST);
    floor_filter = ap_register_output_filter(
        "TLSI_FLOOR", floor_filter_out, NULL,
        (ap_filter_type)(AP_FTYPE_PROTOCOL - 1));
}

AP_DECLARE_MODULE(tlsi_floor) = {
    STANDARD20_MODULE_STUFF,
    NULL, NULL, NULL, NULL, NULL,
    floor_register_hooks,
    AP_MODULE_FLAG_NONE
};
