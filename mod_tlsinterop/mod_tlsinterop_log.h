/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * mod_tlsinterop_log: how mod_tlsinterop names things in its log lines.
 * Every line carries httpd's [tlsinterop:<level>] tag, then a stable
 * message ID (TLSILOGNO, as httpd's APLOGNO: "TLSI0012: "), which
 * docs/operations.md lists with what each line means; messages about a
 * vhost go on with its id.  A new line takes the next free number, and a
 * number is never reused for another meaning.
 */
#ifndef MOD_TLSINTEROP_LOG_H
#define MOD_TLSINTEROP_LOG_H

#include "httpd.h"

#define TLSILOGNO(n) "TLSI" #n ": "

/* "host:port", plus " (file:line)" for a <VirtualHost>. */
const char *tlsi_vhost_id(apr_pool_t *p, const server_rec *s);

/* The one line logged at each start-up: version, features, and how many
 * SSL vhosts the module acts for. */
void tlsi_log_startup(apr_pool_t *ptemp, server_rec *base);

/* Just "host:port". */
const char *tlsi_vhost_key(apr_pool_t *p, const server_rec *s);

#endif /* MOD_TLSINTEROP_LOG_H */
