/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * tlsi_fragfit: fit the CA list to a connection's negotiated
 * max_fragment_length (RFC 6066: 512, 1024, 2048 or 4096 bytes).
 *
 * At start-up the number of names that fit each length is worked out for
 * each vhost (tlsi_fragment.c); an OpenSSL certificate callback, set on the
 * vhost's SSL_CTX, then gives a connection that negotiated the extension a
 * copy of that many names.  A vhost whose list fits every length gets no
 * callback; a connection without the extension costs one check.
 */
#ifndef TLSI_FRAGFIT_H
#define TLSI_FRAGFIT_H

#include "tlsi_sslinit.h"

/* After trimming: prepare vi's context, if any fragment length needs it. */
void tlsi_fragfit_install(const tlsi_vhost_init_t *vi);

#endif /* TLSI_FRAGFIT_H */
