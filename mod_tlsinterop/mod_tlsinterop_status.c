/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include "httpd.h"
#include "http_config.h"
#include "http_main.h"
#include "http_protocol.h"
#include "mod_status.h"

#include <apr_strings.h>

#include "mod_tlsinterop_config.h"
#include "mod_tlsinterop_counters.h"
#include "mod_tlsinterop_log.h"
#include "mod_tlsinterop_status.h"

/* SSL vhosts where the module is on (the only servers with start-up
 * state): the ones it counts for. */
static int counted(const server_rec *s)
{
    return tlsi_srv_state(s) != NULL;
}

static void short_report(request_rec *r)
{
    const server_rec *s;
    int c;

    for (c = 0; c < TLSI_CNT_COUNT; c++) {
        apr_uint64_t total = 0;

        for (s = ap_server_conf; s != NULL; s = s->next) {
            if (counted(s)) {
                total += tlsi_counter_value(s, c);
            }
        }
        ap_rprintf(r, "TLSInterop%s: %" APR_UINT64_T_FMT "\n",
                   tlsi_counter_name(c), total);
    }
    for (s = ap_server_conf; s != NULL; s = s->next) {
        if (!counted(s)) {
            continue;
        }
        for (c = 0; c < TLSI_CNT_COUNT; c++) {
            ap_rprintf(r, "TLSInterop%s[%s]: %" APR_UINT64_T_FMT "\n",
                       tlsi_counter_name(c), tlsi_vhost_key(r->pool, s),
                       tlsi_counter_value(s, c));
        }
    }
}

static void html_report(request_rec *r)
{
    const server_rec *s;
    int c;

    ap_rputs("<hr />\n<h2>mod_tlsinterop</h2>\n"
             "<table border=\"1\"><tr><th>Virtual host</th>", r);
    for (c = 0; c < TLSI_CNT_COUNT; c++) {
        ap_rprintf(r, "<th>%s</th>", tlsi_counter_name(c));
    }
    ap_rputs("</tr>\n", r);
    for (s = ap_server_conf; s != NULL; s = s->next) {
        if (!counted(s)) {
            continue;
        }
        ap_rprintf(r, "<tr><td>%s</td>",
                   ap_escape_html(r->pool, tlsi_vhost_id(r->pool, s)));
        for (c = 0; c < TLSI_CNT_COUNT; c++) {
            ap_rprintf(r, "<td>%" APR_UINT64_T_FMT "</td>",
                       tlsi_counter_value(s, c));
        }
        ap_rputs("</tr>\n", r);
    }
    ap_rputs("</table>\n", r);
}

int tlsi_status_hook(request_rec *r, int flags)
{
    if (flags & AP_STATUS_SHORT) {
        short_report(r);
    }
    else {
        html_report(r);
    }
    return OK;
}
