/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * tlsi_cover_layout: what a tlsi_hierarchy_t holds.  For tlsi_cover.c, and
 * for the unit test and fuzz target that check the anchors it decides;
 * everything else uses tlsi_cover.h, where the type is opaque.
 */
#ifndef TLSI_COVER_LAYOUT_H
#define TLSI_COVER_LAYOUT_H

#include <apr_pools.h>
#include <apr_tables.h>

struct tlsi_hierarchy {
    apr_pool_t *pool;
    int count;
    apr_array_header_t **issuers;   /* per CA: issuer indices in the list */
    char *outside;                  /* per CA: self-signed, or an issuer
                                     * outside the list */
    char *anchor;                   /* decided by tlsi_hierarchy_finish */
    int *reach;                     /* per anchor: CAs it covers */
};

#endif /* TLSI_COVER_LAYOUT_H */
