/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * tlsi_trim: fit each SSL vhost's advertised CA names to its
 * TLSInteropCAListLimit at start-up, from mod_ssl's init_server hook.
 * Only the advertised names change; the store that verifies clients is
 * never touched.
 */
#ifndef TLSI_TRIM_H
#define TLSI_TRIM_H

#include "httpd.h"

void tlsi_trim_register_hooks(apr_pool_t *p);

#endif /* TLSI_TRIM_H */
