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
 *    names are trimmed at start-up to fit a budget (tlsi_trim.c).
 *
 * This file only ties the parts to httpd.
 */

#include "httpd.h"
#include "http_config.h"

#include "tlsi_config.h"
#include "tlsi_trim.h"

static void register_hooks(apr_pool_t *p)
{
    tlsi_trim_register_hooks(p);
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
