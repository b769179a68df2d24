/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * mod_tlsinterop_startup: what the module does to each SSL vhost's context
 * at start-up, from mod_ssl's init_server hook, in this order:
 *
 *  1. audit: the Certificate message each server certificate makes, and a
 *     notice when it cannot fit one record or a max_fragment_length;
 *  2. order: the vhost's CA names in priority order (core/tlsi_cover.c);
 *  3. trim: the longest prefix of that order that fits the budget, and
 *     which trusted CAs it covers;
 *  4. fragment lists: shorter prefixes for a negotiated
 *     max_fragment_length (core/tlsi_fragment.c);
 *  5. callbacks: the certificate callback (mod_tlsinterop_handshake) and
 *     learning's verification callback (mod_tlsinterop_learn).
 *
 * Only the advertised names change: the store that verifies clients is
 * never touched.
 */
#ifndef MOD_TLSINTEROP_STARTUP_H
#define MOD_TLSINTEROP_STARTUP_H

#include "httpd.h"

#include <openssl/ssl.h>

#include "mod_tlsinterop_config.h"


/* mod_ssl's init_server hook. */
int tlsi_startup_init_server(server_rec *s, apr_pool_t *p, int is_proxy,
                             SSL_CTX *ctx);


#endif /* MOD_TLSINTEROP_STARTUP_H */
