/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * mod_tlsinterop_ssl_hooks: mod_ssl's optional hooks that mod_tlsinterop uses.
 *
 * mod_ssl_openssl.h declares them, but Debian's apache2-dev does not ship
 * it.  Optional hooks are joined by name at run time, so declaring the
 * same prototype here is enough: no link to mod_ssl.so, and the hook just
 * never runs when mod_ssl is not loaded.
 */
#ifndef MOD_TLSINTEROP_SSL_HOOKS_H
#define MOD_TLSINTEROP_SSL_HOOKS_H

#include "httpd.h"
#include "mod_ssl.h"

#include <apr_optional_hooks.h>
#include <openssl/ssl.h>

/* Runs in the parent once per SSL context, after mod_ssl configured it. */
APR_DECLARE_EXTERNAL_HOOK(ssl, SSL, int, init_server,
                          (server_rec *s, apr_pool_t *p, int is_proxy,
                           SSL_CTX *ctx))

/* Runs for each connection once mod_ssl made its SSL, before the
 * handshake. */
APR_DECLARE_EXTERNAL_HOOK(ssl, SSL, int, pre_handshake,
                          (conn_rec *c, SSL *ssl, int is_proxy))

#endif /* MOD_TLSINTEROP_SSL_HOOKS_H */
