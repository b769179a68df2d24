/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * tlsi_audit: at start-up, the size of each server certificate's
 * Certificate message, with the chain OpenSSL will send, and a notice when
 * it cannot fit one TLS record or a max_fragment_length.  The module cannot
 * shrink that message; the admin can.
 */
#ifndef TLSI_AUDIT_H
#define TLSI_AUDIT_H

#include "tlsi_sslinit.h"

void tlsi_audit_certificates(const tlsi_vhost_init_t *vi);

#endif /* TLSI_AUDIT_H */
