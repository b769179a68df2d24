/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include "httpd.h"

#include <apr_strings.h>

#include "tlsi_log.h"

#define DEFAULT_TLS_PORT 443

const char *tlsi_vhost_id(apr_pool_t *p, const server_rec *s)
{
    apr_port_t port = s->port;

    if (port == 0 && s->addrs != NULL) {
        port = s->addrs->host_port;
    }
    if (port == 0) {
        port = DEFAULT_TLS_PORT;
    }
    if (s->is_virtual && s->defn_name != NULL) {
        return apr_psprintf(p, "%s:%u (%s:%u)", s->server_hostname,
                            (unsigned)port, s->defn_name, s->defn_line_number);
    }
    return apr_psprintf(p, "%s:%u", s->server_hostname, (unsigned)port);
}
