/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include "tlsi_hint.h"

int tlsi_hint_seconds(apr_interval_time_t enforced, int margin)
{
    return (int)apr_time_sec(enforced - apr_time_from_sec(margin));
}

tlsi_timeouts_t *tlsi_timeouts_make(apr_pool_t *p, int capacity)
{
    tlsi_timeouts_t *hints = apr_pcalloc(p, sizeof(*hints));

    hints->capacity = capacity > 0 ? capacity : 0;
    hints->seconds = apr_pcalloc(p, sizeof(*hints->seconds)
                                    * (hints->capacity + 1));
    return hints;
}

int tlsi_timeouts_find(const tlsi_timeouts_t *hints, int seconds)
{
    int i;

    /* A handful at most: one per distinct KeepAliveTimeout. */
    for (i = 0; i < hints->count; i++) {
        if (hints->seconds[i] == seconds) {
            return i;
        }
    }
    return -1;
}

int tlsi_timeouts_add(tlsi_timeouts_t *hints, int seconds)
{
    int at;

    if (seconds < 1) {
        return -1;
    }
    if ((at = tlsi_timeouts_find(hints, seconds)) >= 0) {
        return at;
    }
    if (hints->count >= hints->capacity) {
        return -1;
    }
    hints->seconds[hints->count] = seconds;
    return hints->count++;
}
