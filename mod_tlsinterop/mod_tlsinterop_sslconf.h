/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * mod_tlsinterop_sslconf: what a server's SSLOpenSSLConfCmd directives set.
 *
 * mod_ssl keeps them private, and OpenSSL has no getter for the signature
 * algorithms they configure, so they are read from httpd's configuration
 * tree, the same one mod_info shows.
 */
#ifndef MOD_TLSINTEROP_SSLCONF_H
#define MOD_TLSINTEROP_SSLCONF_H

#include "httpd.h"

/*
 * The value that "SSLOpenSSLConfCmd <command> <value>" leaves in effect for
 * s, applying the main server's directives and then the vhost's, as
 * mod_ssl does.  NULL if no such directive applies.
 */
const char *tlsi_sslconf_value(apr_pool_t *p, const server_rec *s,
                               const char *command);

#endif /* MOD_TLSINTEROP_SSLCONF_H */
