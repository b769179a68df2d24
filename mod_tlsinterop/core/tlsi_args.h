/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * tlsi_args: parsers for directive arguments.
 *
 * Pure core: needs APR only.  Each parser returns NULL on success, else a
 * message that says what is accepted; the httpd glue prefixes the
 * directive's name and httpd adds the file and line.
 */
#ifndef TLSI_ARGS_H
#define TLSI_ARGS_H

#include <apr.h>

#include <apr_tables.h>

#include "tlsi_agent.h"
#include "tlsi_careq.h"

typedef enum {
    TLSI_CALIMIT_UNSET = 0,
    TLSI_CALIMIT_BYTES,         /* trim to a byte budget */
    TLSI_CALIMIT_NONE,          /* advertise no names */
    TLSI_CALIMIT_OFF            /* leave mod_ssl's list alone */
} tlsi_calimit_mode_e;

#define TLSI_CALIMIT_MIN 256
#define TLSI_CALIMIT_AUTO TLSI_MAX_RECORD_PLAINTEXT

/* TLSInteropCAListLimit auto|<bytes>|none|off.  *bytes is set for auto
 * (TLSI_CALIMIT_AUTO) and for a number. */
const char *tlsi_parse_ca_limit(const char *arg, tlsi_calimit_mode_e *mode,
                                apr_size_t *bytes);

/* The mode of a name tlsi_shutdown_name() gave: "accurate", "unclean";
 * anything else is standard. */
tlsi_shutdown_e tlsi_shutdown_from_name(const char *name);

/* The mode mod_ssl takes from a request's environment: the first ssl-*
 * variable decides, as its ssl_configure_env() does (ssl-unclean-shutdown,
 * ssl-accurate-shutdown; any other ssl-* variable means standard). */
tlsi_shutdown_e tlsi_shutdown_from_env(const apr_table_t *env);

/* TLSInteropLegacyAgent's option: shutdown=standard|accurate|unclean. */
const char *tlsi_parse_shutdown_option(const char *arg, tlsi_shutdown_e *mode);

#define TLSI_MARGIN_MAX 3600

/* TLSInteropKeepAliveMargin <seconds>|off: *off is set for off, else
 * *seconds (0 to TLSI_MARGIN_MAX). */
const char *tlsi_parse_margin(const char *arg, int *off, int *seconds);

#endif /* TLSI_ARGS_H */
