/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * mod_tlsinterop_counters: what the module did, counted per virtual host in shared
 * memory that every child adds to.  The parent keeps the memory across
 * restarts, so counters run on through graceful and full restarts; a
 * vhost is known by its "host:port", and vhosts that share one share
 * their counters.
 */
#ifndef MOD_TLSINTEROP_COUNTERS_H
#define MOD_TLSINTEROP_COUNTERS_H

#include "httpd.h"

typedef enum {
    TLSI_CNT_TRIMMED_HANDSHAKES = 0, /* handshakes that sent a trimmed list */
    TLSI_CNT_FRAGMENT_FITS,         /* lists cut to a max_fragment_length */
    TLSI_CNT_LEGACY_MATCHES,        /* requests from a legacy agent */
    TLSI_CNT_FORCED_CLOSES,         /* responses the module made close */
    TLSI_CNT_KEEPALIVE_HINTS,       /* Keep-Alive: timeout= sent */
    TLSI_CNT_CLOSES_AFTER_KEEPALIVE, /* closed after announcing keep-alive */
    TLSI_CNT_UNCLEAN_CLOSES,        /* closed without close_notify, by rule */
    TLSI_CNT_TRIMMED_NO_CERT,       /* trimmed list sent, no certificate */
    TLSI_CNT_ISSUER_NOT_ADVERTISED, /* verified, its issuer not advertised */
    TLSI_CNT_LEARNED_NAMES,         /* names learned (a level, not a sum) */
    TLSI_CNT_LARGER_LISTS,          /* recognised clients given more */
    TLSI_CNT_WHOLE_LISTS,           /* ... given the whole list */
    TLSI_CNT_EXPLORATIONS,          /* handshakes that explored a step */
    TLSI_CNT_LEARNED_STACKS,        /* stacks that take more (a level) */
    TLSI_CNT_HELD_STACKS,           /* stacks held after breaking off (a
                                     * level) */
    TLSI_CNT_COUNT
} tlsi_counter_e;

/* post_config: room for a slot for each SSL vhost.  Falls back to
 * per-process counters (with a warning) if shared memory cannot be had. */
apr_status_t tlsi_counters_init(server_rec *base);

/* post_config, after tlsi_counters_init: s's slot, shared by the servers
 * with its host:port, and kept across restarts. */
int tlsi_counters_slot(apr_pool_t *pconf, const server_rec *s);

void tlsi_count(const server_rec *s, tlsi_counter_e which);

/* For a level such as TLSI_CNT_LEARNED_NAMES, set at start-up. */
void tlsi_counter_set(const server_rec *s, tlsi_counter_e which,
                      apr_uint64_t value);

apr_uint64_t tlsi_counter_value(const server_rec *s, tlsi_counter_e which);

/* The counter's name in status output, e.g. "LegacyAgentMatches". */
const char *tlsi_counter_name(tlsi_counter_e which);

#endif /* MOD_TLSINTEROP_COUNTERS_H */
