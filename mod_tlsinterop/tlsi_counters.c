/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include <apr_atomic.h>
#include <apr_shm.h>

#include "tlsi_config.h"
#include "tlsi_counters.h"

APLOG_USE_MODULE(tlsinterop);

typedef struct {
    apr_uint64_t value[TLSI_CNT_COUNT];
} slot_t;

/* This generation's slots; children inherit the mapping across fork(). */
static slot_t *slots;
static int slot_count;

static const char *const names[TLSI_CNT_COUNT] = {
    "LegacyAgentMatches",
    "ForcedCloses",
    "KeepAliveHints",
    "ClosesAfterKeepAlive",
    "UncleanCloses",
    "FragmentFits",
};

static apr_status_t forget_slots(void *data)
{
    (void)data;
    slots = NULL;
    slot_count = 0;
    return APR_SUCCESS;
}

apr_status_t tlsi_counters_init(apr_pool_t *pconf, server_rec *base)
{
    apr_shm_t *shm;
    apr_size_t size;
    apr_status_t rv;
    server_rec *s;
    int count = 0;

    for (s = base; s != NULL; s = s->next) {
        tlsi_srv_conf(s)->counter_slot = count++;
    }
    size = sizeof(slot_t) * count;
    rv = apr_shm_create(&shm, size, NULL, pconf);
    if (rv == APR_SUCCESS) {
        slots = apr_shm_baseaddr_get(shm);
        memset(slots, 0, size);
    }
    else {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, base,
                     "cannot create shared memory for counters; each child "
                     "counts on its own");
        slots = apr_pcalloc(pconf, size);
    }
    slot_count = count;
    apr_pool_cleanup_register(pconf, NULL, forget_slots, apr_pool_cleanup_null);
    return APR_SUCCESS;
}

static apr_uint64_t *counter(const server_rec *s, tlsi_counter_e which)
{
    int slot = tlsi_srv_conf(s)->counter_slot;

    if (slots == NULL || slot < 0 || slot >= slot_count) {
        return NULL;
    }
    return &slots[slot].value[which];
}

void tlsi_count(const server_rec *s, tlsi_counter_e which)
{
    apr_uint64_t *c = counter(s, which);

    if (c != NULL) {
        apr_atomic_inc64(c);
    }
}

apr_uint64_t tlsi_counter_value(const server_rec *s, tlsi_counter_e which)
{
    apr_uint64_t *c = counter(s, which);

    return c != NULL ? apr_atomic_read64(c) : 0;
}

const char *tlsi_counter_name(tlsi_counter_e which)
{
    return names[which];
}
