/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include "httpd.h"
#include "http_config.h"

#include <apr_strings.h>

#include "mod_tlsinterop_hello.h"

/* A ClientHello larger than this is not kept: the client is unknown. */
#define MAX_HELLO 16384

static int watching;

/* SSL ex_data: the connection's tlsi_hello_seen_t, from its pool (no free
 * callback: the pool outlives the SSL, which mod_ssl frees in one of the
 * pool's cleanups). */
static int seen_index = -1;

void tlsi_hello_watch(int on)
{
    watching = on;
    if (on && seen_index < 0) {
        seen_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    }
}

int tlsi_hello_watching(void)
{
    return watching;
}

void tlsi_hello_request_env(request_rec *r)
{
    conn_rec *c = r->connection->master ? r->connection->master
                                        : r->connection;
    const char *ja4 = apr_table_get(c->notes, TLSI_NOTE_JA4);

    if (ja4 != NULL) {
        apr_table_setn(r->subprocess_env, TLSI_ENV_JA4, ja4);
    }
}

static void on_message(int write_p, int version, int content_type,
                       const void *buf, size_t len, SSL *ssl, void *arg)
{
    const unsigned char *msg = buf;
    tlsi_hello_seen_t *seen;

    (void)version;
    (void)arg;
    if (write_p || content_type != SSL3_RT_HANDSHAKE || len < 4
        || msg[0] != SSL3_MT_CLIENT_HELLO) {
        return;
    }
    /* The first ClientHello names the stack; a second (after a
     * HelloRetryRequest, or a renegotiation) is the same client.  Nothing
     * more to watch: OpenSSL would call this for every record. */
    SSL_set_msg_callback(ssl, NULL);
    seen = SSL_get_ex_data(ssl, seen_index);
    if (seen == NULL || seen->msg != NULL || len > MAX_HELLO) {
        return;
    }
    seen->msg = apr_pmemdup(seen->c->pool, msg, len);
    seen->len = len;
}

int tlsi_hello_pre_handshake(conn_rec *c, SSL *ssl, int is_proxy)
{
    tlsi_hello_seen_t *seen;

    if (!watching || is_proxy || seen_index < 0) {
        return DECLINED;
    }
    seen = apr_pcalloc(c->pool, sizeof(*seen));
    seen->c = c;
    seen->names_given = -1;
    if (SSL_set_ex_data(ssl, seen_index, seen)) {
        SSL_set_msg_callback(ssl, on_message);
    }
    return DECLINED;
}

tlsi_hello_seen_t *tlsi_hello_of(SSL *ssl)
{
    tlsi_hello_seen_t *seen;

    if (!watching || seen_index < 0
        || (seen = SSL_get_ex_data(ssl, seen_index)) == NULL
        || seen->msg == NULL) {
        return NULL;
    }
    if (seen->hello == NULL) {
        tlsi_hello_t *hello = apr_palloc(seen->c->pool, sizeof(*hello));

        if (!tlsi_hello_parse(seen->msg, seen->len, hello)) {
            seen->msg = NULL;       /* malformed: the client is unknown */
            return NULL;
        }
        tlsi_hello_ja4(hello, seen->ja4);
        seen->hello = hello;
        apr_table_setn(seen->c->notes, TLSI_NOTE_JA4, seen->ja4);
    }
    return seen;
}
