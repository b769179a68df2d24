/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * mod_tlsinterop_status: the module's counters on mod_status's server-status page:
 * a table per SSL vhost, and in the ?auto output one
 * "TLSInterop<Counter>: n" line with the total and one
 * "TLSInterop<Counter>[host:port]: n" line per SSL vhost.
 */
#ifndef MOD_TLSINTEROP_STATUS_H
#define MOD_TLSINTEROP_STATUS_H

#include "httpd.h"

/* mod_status's status_hook: the counters, as a table or ?auto lines. */
int tlsi_status_hook(request_rec *r, int flags);

#endif /* MOD_TLSINTEROP_STATUS_H */
