/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * tlsi_certcb: the OpenSSL certificate callback set on a vhost's SSL_CTX.
 * It runs on every full handshake, after SNI has chosen the vhost and
 * before the CertificateRequest is built, and
 *
 *  - fits the CA list to the connection's negotiated max_fragment_length
 *    (tlsi_fragment.c), and
 *  - counts the handshakes that advertise a trimmed list.
 *
 * A vhost whose list was not trimmed and fits every fragment length gets
 * no callback, so its handshakes cost nothing.
 */
#ifndef TLSI_CERTCB_H
#define TLSI_CERTCB_H

#include "tlsi_sslinit.h"
#include "tlsi_trim.h"

/* After trimming (trimmed: the vhost's own list was cut or emptied). */
void tlsi_certcb_install(const tlsi_vhost_init_t *vi,
                         const tlsi_trim_result_t *trim);

#endif /* TLSI_CERTCB_H */
