/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * mod_tlsinterop_conn: make each HTTP/1.x response on a TLS connection say what the
 * server will do with the connection, and close it the way that matches.
 *
 *  - Legacy user agents get Connection: close, and the shutdown mode of
 *    their rule (set before mod_ssl reads ssl-*-shutdown).
 *  - Keep-alive responses carry Keep-Alive: timeout=T, T being the idle
 *    timeout the MPM really enforces less TLSInteropKeepAliveMargin.
 *  - A connection that closes although its response announced keep-alive
 *    is logged and counted, also an idle one that a restart closes.
 *
 * Requests on HTTP/2 streams are left alone.
 */
#ifndef MOD_TLSINTEROP_CONN_H
#define MOD_TLSINTEROP_CONN_H

#include "httpd.h"

#include "mod_tlsinterop_config.h"

/* Per-request environment variables, for LogFormat's %{...}e.  The
 * connection's fate is set only where the configuration names it. */
#define TLSI_ENV_AGENT_RULE "TLSINTEROP_AGENT_RULE"
#define TLSI_ENV_CONNECTION "TLSINTEROP_CONNECTION"

/* The output filter that settles what the headers say; registered once. */
void tlsi_conn_register_filter(void);

/* post_read_request: match the User-Agent, set the shutdown mode. */
int tlsi_conn_post_read_request(request_rec *r);

/* insert_filter and insert_error_filter: add the filter where it has work. */
void tlsi_conn_insert_filter(request_rec *r);

/* log_transaction: log and count a close after a keep-alive promise. */
int tlsi_conn_log_transaction(request_rec *r);

/* pre_close_connection: likewise for an idle connection a restart closes. */
int tlsi_conn_pre_close(conn_rec *c);

/* child_init and child_stopping (httpd 2.4.49 and later): whether the
 * child is stopping. */
#define TLSI_HAVE_CHILD_STOPPING AP_MODULE_MAGIC_AT_LEAST(20120211, 110)
void tlsi_conn_child_init(apr_pool_t *pchild, server_rec *s);
void tlsi_conn_child_stopping(apr_pool_t *pchild, int graceful);

/* The distinct KeepAliveTimeouts of all servers (a handful), for
 * tlsi_conn_settings(). */
apr_array_header_t *tlsi_conn_timeouts(apr_pool_t *p, const server_rec *base);

/* Whether any directive of the configuration names TLSINTEROP_CONNECTION
 * (a LogFormat, a CustomLog's own format...), for tlsi_conn_settings(). */
int tlsi_conn_fate_variable_named(void);

/* post_config: what an SSL vhost's requests need, ready-made (hints from
 * pconf). */
tlsi_request_settings_t tlsi_conn_settings(apr_pool_t *pconf, server_rec *s,
                                           const apr_array_header_t *timeouts,
                                           int fate_variable);

#endif /* MOD_TLSINTEROP_CONN_H */
