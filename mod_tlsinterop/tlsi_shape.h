/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * tlsi_shape: the shape of the CertificateRequest a vhost's context sends
 * (what it carries besides the CA names).  It depends only on the security
 * level and the signature algorithm settings, so vhosts that share them
 * share one probe handshake per configuration generation.
 */
#ifndef TLSI_SHAPE_H
#define TLSI_SHAPE_H

#include "tlsi_careq.h"
#include "tlsi_sslinit.h"

const tlsi_cr_shape_t *tlsi_shape_of(const tlsi_vhost_init_t *vi);

#endif /* TLSI_SHAPE_H */
