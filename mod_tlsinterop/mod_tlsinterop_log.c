/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include <apr_strings.h>
#include <openssl/crypto.h>

#include "tlsi_agent.h"
#include "mod_tlsinterop_config.h"
#include "mod_tlsinterop_log.h"
#include "tlsi_ossl.h"
#include "tlsi_version.h"

APLOG_USE_MODULE(tlsinterop);

#define DEFAULT_TLS_PORT 443

const char *tlsi_vhost_key(apr_pool_t *p, const server_rec *s)
{
    apr_port_t port = s->port;

    if (port == 0 && s->addrs != NULL) {
        port = s->addrs->host_port;
    }
    if (port == 0) {
        port = DEFAULT_TLS_PORT;
    }
    return apr_psprintf(p, "%s:%u", s->server_hostname, (unsigned)port);
}

const char *tlsi_vhost_id(apr_pool_t *p, const server_rec *s)
{
    const char *key = tlsi_vhost_key(p, s);

    if (s->is_virtual && s->defn_name != NULL) {
        return apr_psprintf(p, "%s (%s:%u)", key, s->defn_name,
                            s->defn_line_number);
    }
    return key;
}

void tlsi_log_startup(apr_pool_t *ptemp, server_rec *base)
{
    const server_rec *s;
    int vhosts = 0, trimmed = 0;

    for (s = base; s != NULL; s = s->next) {
        const tlsi_srv_state_t *state = tlsi_srv_state(s);

        if (state != NULL) {
            vhosts += state->tls_vhost;
            trimmed += state->ca_trimmed;
        }
    }
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, base, TLSILOGNO(0016)
                 "mod_tlsinterop/%s (OpenSSL %s, %s): CA-list trimming, "
                 "max_fragment_length fitting, chain audit, legacy-agent "
                 "closes, Keep-Alive hints; %d SSL virtual host(s), %d with "
                 "a trimmed CA list", TLSI_VERSION,
                 tlsi_ossl_version(),
                 tlsi_agent_engine(ptemp), vhosts, trimmed);
}
