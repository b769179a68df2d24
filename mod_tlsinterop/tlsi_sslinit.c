/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"

#include "tlsi_audit.h"
#include "tlsi_certcb.h"
#include "tlsi_log.h"
#include "tlsi_sslinit.h"
#include "tlsi_trim.h"

int tlsi_sslinit_init_server(server_rec *s, apr_pool_t *p, int is_proxy,
                             SSL_CTX *ctx)
{
    tlsi_vhost_init_t vi;
    tlsi_trim_result_t trim;

    /* Proxy contexts are clients, and may be shared between sections. */
    if (is_proxy) {
        return OK;
    }
    /* The pre-flight pass's contexts are thrown away. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    vi.s = s;
    vi.pconf = p;
    vi.ctx = ctx;
    vi.conf = tlsi_srv_conf(s);
    if (!tlsi_enabled(vi.conf)) {
        return OK;
    }
    tlsi_srv_state(s)->tls_vhost = 1;
    apr_pool_create(&vi.ptemp, p);
    vi.vhost = tlsi_vhost_id(vi.ptemp, s);

    tlsi_audit_certificates(&vi);
    tlsi_trim_ca_list(&vi, &trim);
    tlsi_srv_state(s)->ca_trimmed |= trim.trimmed;
    tlsi_certcb_install(&vi, &trim);

    apr_pool_destroy(vi.ptemp);
    return OK;
}
