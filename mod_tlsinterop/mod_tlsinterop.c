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
 *    a negotiated max_fragment_length (tlsi_sslinit.c).
 *  - close_notify versus the Connection header: responses say what will
 *    happen to the connection, and legacy agents get Connection: close
 *    (tlsi_conn.c).
 *
 * This file only ties the parts to httpd.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"

#include "tlsi_config.h"
#include "tlsi_conn.h"
#include "tlsi_counters.h"
#include "tlsi_learn.h"
#include "tlsi_log.h"
#include "tlsi_sslinit.h"
#include "tlsi_status.h"

/* After mod_ssl's, which runs the per-vhost start-up steps. */
static int post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                       server_rec *s)
{
    (void)plog;
    if (tlsi_counters_init(pconf, s) != APR_SUCCESS) {
        return DONE;
    }
    tlsi_conn_prepare(pconf, s);
    tlsi_learn_start_generation(pconf, s);
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG) {
        tlsi_log_startup(ptemp, s);
    }
    return OK;
}

static void register_hooks(apr_pool_t *p)
{
    tlsi_config_register_hooks(p);
    ap_hook_post_config(post_config, NULL, NULL, APR_HOOK_LAST);
    tlsi_sslinit_register_hooks(p);
    tlsi_conn_register_hooks(p);
    tlsi_status_register_hooks(p);
}

AP_DECLARE_MODULE(tlsinterop) = {
    STANDARD20_MODULE_STUFF,
    NULL,                       /* per-directory config creator */
    NULL,                       /* per-directory config merger */
    tlsi_create_srv_conf,       /* per-server config creator */
    tlsi_merge_srv_conf,        /* per-server config merger */
    tlsi_cmds,                  /* command table */
    register_hooks,
    /* Every vhost gets its own merged configuration, even one without our
     * directives: it holds the vhost's counter slot and start-up state. */
    AP_MODULE_FLAG_ALWAYS_MERGE
};
