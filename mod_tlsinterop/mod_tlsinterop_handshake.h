/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * mod_tlsinterop_handshake: the OpenSSL callbacks that run during a
 * handshake on a vhost whose CA list is trimmed or needs fitting.
 *
 *  - The certificate callback runs on every full handshake, after SNI has
 *    chosen the vhost and before the CertificateRequest is built: it fits
 *    the list to the connection's negotiated max_fragment_length, and
 *    counts the handshakes that advertise a trimmed list.
 *  - Where the vhost asks for a client certificate, it gives a client
 *    stack recognised as one that reassembles long messages (tlsi_class)
 *    the largest list it accepts, instead of the fitted one.
 *  - On those, an info callback tells at the end of the handshake whether
 *    the client sent a certificate, and so what a client stack explored
 *    with a larger list did (tlsi_stacks).
 *  - Per-directory SSLVerifyClient asks after the handshake: a TLS 1.2
 *    renegotiation comes through the certificate callback again; for
 *    TLS 1.3 post-handshake authentication an info callback chooses just
 *    before the request is written.
 *
 * A vhost whose list was not trimmed and fits every fragment length gets
 * no callback, so its handshakes cost nothing.
 */
#ifndef MOD_TLSINTEROP_HANDSHAKE_H
#define MOD_TLSINTEROP_HANDSHAKE_H

#include "httpd.h"

#include <openssl/ssl.h>

#include "tlsi_class.h"
#include "tlsi_fragment.h"
#include "tlsi_stacks.h"

/* What a vhost's callbacks need, made at start-up from pconf. */
typedef struct tlsi_handshake {
    server_rec *s;
    int trimmed;                /* the vhost's list is a trimmed one */
    int fit_needed;             /* some fragment length needs a shorter list */
    tlsi_fragment_fit_t fit;
    /* Lists for recognised client stacks; classes is NULL for none. */
    const tlsi_classes_t *classes;
    const tlsi_calist_t *order; /* the priority order, names the context's */
    tlsi_cr_shape_t shape;
    int fitted;                 /* names in the context's client CA list */
    int reachable;              /* names in the context's CA list, which a
                                 * connection reaches by an empty client CA
                                 * list; 0: it gets copies instead */
    /* Client stacks explored and learned (SSLVerifyClient require and
     * TLSInteropClientLearn), or NULL; stacks->names[step]: names given. */
    tlsi_stacks_t *stacks;
} tlsi_handshake_t;

/* Set the callbacks on ctx where hs says there is work. */
void tlsi_handshake_install(SSL_CTX *ctx, const tlsi_handshake_t *hs);

#endif /* MOD_TLSINTEROP_HANDSHAKE_H */
