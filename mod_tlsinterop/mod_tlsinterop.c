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

#include "tlsi_config.h"
#include "tlsi_conn.h"
#include "tlsi_counters.h"
#include "tlsi_sslinit.h"

static int post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                       server_rec *s)
{
    (void)plog;
    (void)ptemp;
    return tlsi_counters_init(pconf, s) == APR_SUCCESS ? OK : DONE;
}

static void register_hooks(apr_pool_t *p)
{
    tlsi_config_register_hooks(p);
    ap_hook_post_config(post_config, NULL, NULL, APR_HOOK_MIDDLE);
    tlsi_sslinit_register_hooks(p);
    tlsi_conn_register_hooks(p);
}

AP_DECLARE_MODULE(tlsinterop) = {
    STANDARD20_MODULE_STUFF,
    NULL,                       /* per-directory config creator */
    NULL,                       /* per-directory config merger */
    tlsi_create_srv_conf,       /* per-server config creator */
    tlsi_merge_srv_conf,        /* per-server config merger */
    tlsi_cmds,                  /* command table */
    register_hooks,
    0                           /* flags */
};
