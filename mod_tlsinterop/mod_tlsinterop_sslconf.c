/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include "httpd.h"
#include "http_config.h"
#include "util_cfgtree.h"

#include <apr_strings.h>

#include "mod_tlsinterop_sslconf.h"

/* The value of node if it is "SSLOpenSSLConfCmd <command> <value>". */
static const char *confcmd_value(apr_pool_t *p, const ap_directive_t *node,
                                 const char *command)
{
    const char *args = node->args;
    const char *name;

    if (strcasecmp(node->directive, "SSLOpenSSLConfCmd") != 0) {
        return NULL;
    }
    name = ap_getword_conf(p, &args);
    /* OpenSSL matches configuration-file command names case-blind. */
    if (strcasecmp(name, command) != 0) {
        return NULL;
    }
    return ap_getword_conf(p, &args);
}

static int is_section_of(const ap_directive_t *node, const server_rec *s)
{
    return s->is_virtual && s->defn_name != NULL
           && strcasecmp(node->directive, "<VirtualHost") == 0
           && (unsigned int)node->line_num == s->defn_line_number
           && strcmp(node->filename, s->defn_name) == 0;
}

const char *tlsi_sslconf_value(apr_pool_t *p, const server_rec *s,
                               const char *command)
{
    const ap_directive_t *node, *child;
    const char *value = NULL, *v;

    /* Conditional sections and includes are already resolved in the tree:
     * the top level holds the main server's directives. */
    for (node = ap_conftree; node != NULL; node = node->next) {
        if ((v = confcmd_value(p, node, command)) != NULL) {
            value = v;
        }
    }
    for (node = ap_conftree; node != NULL; node = node->next) {
        if (!is_section_of(node, s)) {
            continue;
        }
        for (child = node->first_child; child != NULL; child = child->next) {
            if ((v = confcmd_value(p, child, command)) != NULL) {
                value = v;
            }
        }
    }
    return value;
}
