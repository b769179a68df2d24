/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * mod_tlsinterop_hello: keeps each connection's ClientHello, so that the
 * certificate callback can tell which client stack is on the other end.
 *
 * Only when some vhost gives recognised clients a list of their own
 * (tlsi_hello_watch()): mod_ssl's pre_handshake hook then sets a message
 * callback on the connection, which copies the first ClientHello into the
 * connection's pool and removes itself.  Nothing is parsed until a vhost
 * asks for a client certificate (in the handshake or after it).
 */
#ifndef MOD_TLSINTEROP_HELLO_H
#define MOD_TLSINTEROP_HELLO_H

#include "httpd.h"

#include <openssl/ssl.h>

#include "tlsi_hello.h"
#include "tlsi_stacks.h"

struct tlsi_handshake;

/* What one connection's ClientHello said, kept in its pool. */
typedef struct tlsi_hello_seen {
    conn_rec *c;
    unsigned char *msg;         /* the ClientHello, or NULL before */
    apr_size_t len;
    char ja4[TLSI_JA4_LEN + 1]; /* "" until tlsi_hello_fingerprint() */
    tlsi_hello_t *hello;        /* parsed, or NULL */
    int names_given;            /* CA names a list of its own held, or -1 */
    /* Where the vhost learns client stacks: the step this connection's
     * full handshake was given, and whether its outcome is still to be
     * recorded (a connection that ends first broke the handshake off). */
    tlsi_stack_choice_t stack;
    const struct tlsi_handshake *stack_vhost;   /* the vhost that chose */
    int stack_pending;
} tlsi_hello_seen_t;

/* The note on c->notes (and the request variable) holding the JA4. */
#define TLSI_NOTE_JA4 "tlsinterop-ja4"
#define TLSI_ENV_JA4 "TLSINTEROP_JA4"

/* Whether connections' ClientHellos are kept this generation: off at
 * pre_config, on from the first init_server that needs them. */
void tlsi_hello_watch(int on);
int tlsi_hello_watching(void);

/* post_read_request: the connection's JA4 as TLSINTEROP_JA4, where one was
 * computed. */
void tlsi_hello_request_env(request_rec *r);

/* mod_ssl's pre_handshake hook. */
int tlsi_hello_pre_handshake(conn_rec *c, SSL *ssl, int is_proxy);

/* The connection's ClientHello, parsed and fingerprinted on the first
 * call (the JA4 is also noted on c->notes); NULL if none was kept or it is
 * malformed. */
tlsi_hello_seen_t *tlsi_hello_of(SSL *ssl);

#endif /* MOD_TLSINTEROP_HELLO_H */
