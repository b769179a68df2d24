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
 *  - On those, an info callback tells at the end of the handshake whether
 *    the client sent a certificate.
 *
 * A vhost whose list was not trimmed and fits every fragment length gets
 * no callback, so its handshakes cost nothing.
 */
#ifndef MOD_TLSINTEROP_HANDSHAKE_H
#define MOD_TLSINTEROP_HANDSHAKE_H

#include "httpd.h"

#include <openssl/ssl.h>

#include "tlsi_fragment.h"

/* What a vhost's callbacks need, made at start-up from pconf. */
typedef struct tlsi_handshake {
    server_rec *s;
    int trimmed;                /* the vhost's list is a trimmed one */
    int fit_needed;             /* some fragment length needs a shorter list */
    tlsi_fragment_fit_t fit;
} tlsi_handshake_t;

/* Set the callbacks on ctx where hs says there is work. */
void tlsi_handshake_install(SSL_CTX *ctx, const tlsi_handshake_t *hs);

#endif /* MOD_TLSINTEROP_HANDSHAKE_H */
