/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <apr_lib.h>
#include <apr_strings.h>

#include "tlsi_args.h"

/*
 * A plain decimal number from min to max: digits only, so "0x100", "1e4",
 * "+512" and " 512" are refused rather than guessed at.
 */
static int parse_decimal(const char *arg, apr_int64_t min, apr_int64_t max,
                         apr_int64_t *value)
{
    apr_int64_t v = 0;
    const char *c;

    if (*arg == '\0') {
        return 0;
    }
    for (c = arg; *c; c++) {
        if (!apr_isdigit(*c)) {
            return 0;
        }
        v = v * 10 + (*c - '0');
        if (v > max) {
            return 0;
        }
    }
    if (v < min) {
        return 0;
    }
    *value = v;
    return 1;
}

const char *tlsi_parse_ca_limit(const char *arg, tlsi_calimit_mode_e *mode,
                                apr_size_t *bytes)
{
    apr_int64_t value;

    if (!strcasecmp(arg, "auto")) {
        *mode = TLSI_CALIMIT_BYTES;
        *bytes = TLSI_CALIMIT_AUTO;
    }
    else if (!strcasecmp(arg, "none")) {
        *mode = TLSI_CALIMIT_NONE;
    }
    else if (!strcasecmp(arg, "off")) {
        *mode = TLSI_CALIMIT_OFF;
    }
    else if (parse_decimal(arg, TLSI_CALIMIT_MIN, TLSI_CALIMIT_AUTO, &value)) {
        *mode = TLSI_CALIMIT_BYTES;
        *bytes = (apr_size_t)value;
    }
    else {
        return "use auto, none, off, or a whole number of bytes from "
               APR_STRINGIFY(TLSI_CALIMIT_MIN) " to "
               APR_STRINGIFY(TLSI_CALIMIT_AUTO);
    }
    return NULL;
}

const char *tlsi_parse_shutdown_option(const char *arg, tlsi_shutdown_e *mode)
{
    static const char prefix[] = "shutdown=";
    const tlsi_shutdown_info_t *info;

    if (strncasecmp(arg, prefix, sizeof(prefix) - 1) != 0) {
        return "the option after the regular expression must be "
               "shutdown=standard, shutdown=accurate or shutdown=unclean";
    }
    arg += sizeof(prefix) - 1;
    info = tlsi_shutdown_named(arg, strlen(arg));
    if (info == NULL) {
        return "use shutdown=standard, shutdown=accurate or shutdown=unclean";
    }
    *mode = info->mode;
    return NULL;
}

const char *tlsi_parse_margin(const char *arg, int *off, int *seconds)
{
    apr_int64_t value;

    if (!strcasecmp(arg, "off")) {
        *off = 1;
        return NULL;
    }
    if (!parse_decimal(arg, 0, TLSI_MARGIN_MAX, &value)) {
        return "use off, or a whole number of seconds from 0 to "
               APR_STRINGIFY(TLSI_MARGIN_MAX);
    }
    *off = 0;
    *seconds = (int)value;
    return NULL;
}

tlsi_shutdown_e tlsi_shutdown_from_name(const char *name)
{
    const tlsi_shutdown_info_t *info =
        tlsi_shutdown_named(name, name != NULL ? strlen(name) : 0);

    return info != NULL ? info->mode : TLSI_SHUTDOWN_STANDARD;
}

tlsi_shutdown_e tlsi_shutdown_from_env(const apr_table_t *env)
{
    const apr_array_header_t *arr = apr_table_elts(env);
    const apr_table_entry_t *entry = (const apr_table_entry_t *)arr->elts;
    int i;

    /* As mod_ssl's ssl_configure_env(): the first ssl-* variable decides,
     * by its prefix ("ssl-unclean-shutdown", "ssl-unclean"...). */
    for (i = 0; i < arr->nelts; i++) {
        if (!strncmp(entry[i].key, "ssl-", 4)) {
            tlsi_shutdown_e mode;

            for (mode = TLSI_SHUTDOWN_ACCURATE; mode <= TLSI_SHUTDOWN_UNCLEAN;
                 mode++) {
                const char *name = tlsi_shutdown_name(mode);

                if (!strncmp(entry[i].key + 4, name, strlen(name))) {
                    return mode;
                }
            }
            break;
        }
    }
    return TLSI_SHUTDOWN_STANDARD;
}
