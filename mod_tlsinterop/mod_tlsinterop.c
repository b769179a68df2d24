/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * mod_tlsinterop: fixes two TLS interoperability failures of httpd sites.
 *
 *  - A CertificateRequest too large for one TLS record: the advertised CA
 *    names are trimmed at start-up to fit a budget, and per connection to
 *    a negotiated max_fragment_length (mod_tlsinterop_startup.c).
 *  - close_notify versus the Connection header: responses say what will
 *    happen to the connection, and legacy agents get Connection: close
 *    (mod_tlsinterop_conn.c).
 *
 * This file only ties the parts to httpd.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_connection.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_status.h"
#include "mpm_common.h"
/* mod_ssl's optional hooks (apache2-ssl-dev): joined by name at run time,
 * so nothing links against mod_ssl, and they never run without it. */
#include "mod_ssl_openssl.h"

#include <apr_optional_hooks.h>

#include "mod_tlsinterop_config.h"
#include "mod_tlsinterop_conn.h"
#include "mod_tlsinterop_counters.h"
#include "mod_tlsinterop_learn.h"
#include "mod_tlsinterop_hello.h"
#include "mod_tlsinterop_log.h"
#include "mod_tlsinterop_startup.h"
#include "mod_tlsinterop_status.h"

/* Before the directives are read. */
static int pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    tlsi_hello_watch(0);
    return tlsi_config_pre_config(pconf, plog, ptemp);
}

/*
 * After mod_ssl's, which ran the per-vhost start-up steps (init_server):
 * the one place that stores what each subsystem prepares for an SSL vhost
 * into its start-up state, then starts the generation's learning.
 */
static int post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                       server_rec *base)
{
    apr_array_header_t *timeouts;
    int fate_variable;
    server_rec *s;

    (void)plog;
    if (tlsi_counters_init(base) != APR_SUCCESS) {
        return DONE;
    }
    timeouts = tlsi_conn_timeouts(ptemp, base);
    fate_variable = tlsi_conn_fate_variable_named();
    for (s = base; s != NULL; s = s->next) {
        tlsi_srv_state_t *state = tlsi_srv_state(s);

        if (state == NULL) {
            continue;
        }
        state->counter_slot = tlsi_counters_slot(pconf, s);
        state->request = tlsi_conn_settings(pconf, s, timeouts,
                                            fate_variable);
    }
    tlsi_learn_start_generation(pconf, base);
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG) {
        tlsi_log_startup(ptemp, base);
    }
    return OK;
}

/*
 * Every hook of the module, and why each runs where it does.
 */
static void register_hooks(apr_pool_t *p)
{
    /* mod_setenvif's BrowserMatch may set ssl-*-shutdown itself: our rules
     * come after it, and before mod_ssl, which reads the variables in its
     * own post_read_request hook (on a connection's first request only). */
    static const char *const after_setenvif[] = { "mod_setenvif.c", NULL };
    static const char *const before_ssl[] = { "mod_ssl.c", NULL };
    static const char *const after_ssl[] = { "mod_ssl.c", NULL };

    (void)p;
    /* The built-in legacy-agent rules, compiled once per generation before
     * the directives that may replace them are read. */
    ap_hook_pre_config(pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    /* apache2ctl -t runs check_config: it refuses a shared learning file. */
    ap_hook_check_config(tlsi_config_check, NULL, NULL, APR_HOOK_MIDDLE);
    /* Runs inside mod_ssl's post_config, once per SSL vhost context, after
     * mod_ssl set the client CA list.  Joined by name: without mod_ssl it
     * never runs, and nothing links against mod_ssl. */
    APR_OPTIONAL_HOOK(ssl, init_server, tlsi_startup_init_server, NULL, NULL,
                      APR_HOOK_MIDDLE);
    /* Each connection, once mod_ssl made its SSL: keep the ClientHello
     * where some vhost gives recognised client stacks a list of their
     * own. */
    APR_OPTIONAL_HOOK(ssl, pre_handshake, tlsi_hello_pre_handshake, NULL,
                      NULL, APR_HOOK_MIDDLE);
    /* After mod_ssl's post_config, so that every init_server has run:
     * counters, request-path settings and learning for the generation. */
    ap_hook_post_config(post_config, after_ssl, NULL, APR_HOOK_LAST);

    ap_hook_post_read_request(tlsi_conn_post_read_request, after_setenvif,
                              before_ssl, APR_HOOK_MIDDLE);
    /* The filter sits below AP_FTYPE_PROTOCOL, so it runs after every
     * content filter and before ap_set_keepalive() decides, inside the
     * HTTP_HEADER filter.  Error responses drop the filters insert_filter
     * added, hence insert_error_filter too. */
    tlsi_conn_register_filter();
    ap_hook_insert_filter(tlsi_conn_insert_filter, NULL, NULL, APR_HOOK_LAST);
    ap_hook_insert_error_filter(tlsi_conn_insert_filter, NULL, NULL,
                                APR_HOOK_LAST);
    /* Before mod_log_config, so that the logged connection fate is the
     * real one. */
    ap_hook_log_transaction(tlsi_conn_log_transaction, NULL, NULL,
                            APR_HOOK_FIRST);
    /* Before mod_ssl sends close_notify (ap_flush_conn after the hooks). */
    ap_hook_pre_close_connection(tlsi_conn_pre_close, NULL, NULL,
                                 APR_HOOK_MIDDLE);
    /* Whether the child is stopping, for log_transaction's check. */
    ap_hook_child_init(tlsi_conn_child_init, NULL, NULL, APR_HOOK_MIDDLE);
#if TLSI_HAVE_CHILD_STOPPING
    ap_hook_child_stopping(tlsi_conn_child_stopping, NULL, NULL,
                           APR_HOOK_MIDDLE);
#endif
    /* Joined by name: nothing happens without mod_status. */
    APR_OPTIONAL_HOOK(ap, status_hook, tlsi_status_hook, NULL, NULL,
                      APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(tlsinterop) = {
    STANDARD20_MODULE_STUFF,
    NULL,                       /* per-directory config creator */
    NULL,                       /* per-directory config merger */
    tlsi_create_srv_conf,       /* per-server config creator */
    tlsi_merge_srv_conf,        /* per-server config merger */
    tlsi_cmds,                  /* command table */
    register_hooks,
    /* No AP_MODULE_FLAG_ALWAYS_MERGE: a vhost without our directives
     * shares its parent's configuration, and only SSL vhosts get state of
     * their own (tlsi_srv_state_make()). */
    AP_MODULE_FLAG_NONE
};
