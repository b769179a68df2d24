/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_main.h"

#include <apr_atomic.h>
#include <apr_hash.h>
#include <apr_shm.h>
#include <apr_strings.h>

#include "mod_tlsinterop_config.h"
#include "mod_tlsinterop_counters.h"
#include "mod_tlsinterop_log.h"

APLOG_USE_MODULE(tlsinterop);

/* Named for the layout of a slot, so that a module with other counters,
 * loaded by a restart, starts a segment of its own: change it with them. */
#define RETAINED_KEY "mod_tlsinterop-counters-15"
#define MIN_CAPACITY 64

typedef struct {
    apr_uint64_t value[TLSI_CNT_COUNT];
} slot_t;

/* Kept by the parent across restarts, like the scoreboard: counters go on
 * counting through graceful and full restarts. */
typedef struct {
    apr_shm_t *shm;             /* from the process pool */
    slot_t *slots;
    int capacity, used;
    apr_hash_t *by_vhost;       /* "host:port" -> int slot, process pool */
} counter_memory_t;

/* This process's view; children inherit the mapping across fork(). */
static slot_t *slots;
static int slot_count;

static const char *const names[TLSI_CNT_COUNT] = {
    "TrimmedHandshakes",
    "FragmentFits",
    "LegacyAgentMatches",
    "ForcedCloses",
    "KeepAliveHints",
    "ClosesAfterKeepAlive",
    "UncleanCloses",
    "TrimmedNoClientCert",
    "IssuerNotAdvertised",
    "LearnedNames",
    "LargerListHandshakes",
    "WholeListHandshakes",
    "Explorations",
    "LearnedClientStacks",
    "HeldClientStacks",
};

/* Room for at least needed slots; a larger segment keeps what was counted
 * (increments that old children make after the copy are lost). */
static apr_status_t reserve(counter_memory_t *kept, int needed,
                            server_rec *base)
{
    apr_shm_t *shm;
    int capacity = kept->capacity ? kept->capacity : MIN_CAPACITY;
    apr_status_t rv;

    if (needed <= kept->capacity) {
        return APR_SUCCESS;
    }
    while (capacity < needed) {
        capacity *= 2;
    }
    rv = apr_shm_create(&shm, sizeof(slot_t) * capacity, NULL, ap_pglobal);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, base, TLSILOGNO(0004)
                     "cannot create shared memory for counters; each child "
                     "counts on its own");
        kept->slots = apr_pcalloc(ap_pglobal, sizeof(slot_t) * capacity);
        kept->shm = NULL;
    }
    else {
        slot_t *fresh = apr_shm_baseaddr_get(shm);

        memset(fresh, 0, sizeof(slot_t) * capacity);
        if (kept->slots != NULL) {
            memcpy(fresh, kept->slots, sizeof(slot_t) * kept->used);
        }
        if (kept->shm != NULL) {
            apr_shm_destroy(kept->shm);
        }
        kept->shm = shm;
        kept->slots = fresh;
    }
    kept->capacity = capacity;
    return APR_SUCCESS;
}

static counter_memory_t *memory(void)
{
    counter_memory_t *kept = ap_retained_data_get(RETAINED_KEY);

    if (kept == NULL) {
        kept = ap_retained_data_create(RETAINED_KEY, sizeof(*kept));
        kept->by_vhost = apr_hash_make(ap_pglobal);
    }
    return kept;
}

apr_status_t tlsi_counters_init(server_rec *base)
{
    counter_memory_t *kept = memory();
    server_rec *s;
    int count = 0;

    /* Only SSL vhosts have start-up state, and only they count. */
    for (s = base; s != NULL; s = s->next) {
        count += tlsi_srv_state(s) != NULL;
    }
    reserve(kept, kept->used + count, base);
    slots = kept->slots;
    slot_count = kept->used;
    return APR_SUCCESS;
}

int tlsi_counters_slot(apr_pool_t *pconf, const server_rec *s)
{
    counter_memory_t *kept = memory();
    const char *key = tlsi_vhost_key(pconf, s);
    int *slot = apr_hash_get(kept->by_vhost, key, APR_HASH_KEY_STRING);

    /* Servers with one host:port share their counters. */
    if (slot == NULL) {
        slot = apr_palloc(ap_pglobal, sizeof(*slot));
        *slot = kept->used++;
        apr_hash_set(kept->by_vhost, apr_pstrdup(ap_pglobal, key),
                     APR_HASH_KEY_STRING, slot);
    }
    slots = kept->slots;
    slot_count = kept->used;
    return *slot;
}

static apr_uint64_t *counter(const server_rec *s, tlsi_counter_e which)
{
    const tlsi_srv_state_t *state = tlsi_srv_state(s);
    int slot = state != NULL ? state->counter_slot : -1;

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

void tlsi_counter_set(const server_rec *s, tlsi_counter_e which,
                      apr_uint64_t value)
{
    apr_uint64_t *c = counter(s, which);

    if (c != NULL) {
        apr_atomic_set64(c, value);
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
