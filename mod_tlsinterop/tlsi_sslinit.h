/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * tlsi_sslinit: what the module does to each SSL vhost's context at
 * start-up, from mod_ssl's init_server hook: audit the certificate chain,
 * fit the advertised CA names to the budget, and prepare per-connection
 * lists for clients that negotiate a smaller record size.
 */
#ifndef TLSI_SSLINIT_H
#define TLSI_SSLINIT_H

#include "httpd.h"

#include <openssl/ssl.h>

#include "tlsi_config.h"

/* One vhost context, as the start-up steps see it. */
typedef struct tlsi_vhost_init {
    server_rec *s;
    apr_pool_t *pconf;          /* lives as long as ctx */
    apr_pool_t *ptemp;          /* cleared when the hook returns */
    SSL_CTX *ctx;
    const tlsi_srv_conf_t *conf;
    const char *vhost;          /* for log lines */
} tlsi_vhost_init_t;

/* mod_ssl's init_server hook: the start-up steps for one context. */
int tlsi_sslinit_init_server(server_rec *s, apr_pool_t *p, int is_proxy,
                             SSL_CTX *ctx);

#endif /* TLSI_SSLINIT_H */
