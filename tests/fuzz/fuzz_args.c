/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * Every directive-argument parser of the pure core.  The first byte picks
 * the parser, the rest is the argument as httpd would pass it (up to the
 * first NUL):
 *   0  TLSInteropCAListLimit       3  TLSInteropLegacyAgent's regex
 *   1  TLSInteropLegacyAgent's     4  TLSInteropCAListPrefer's file (the
 *      shutdown= option               rest of the input is its content)
 *   2  TLSInteropKeepAliveMargin
 *   5  TLSInteropClientClass (its two arguments, split at the first space)
 * A parser either accepts a value inside its documented range or returns
 * a message; it never crashes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <apr_strings.h>

#include "fuzz.h"
#include "tlsi_agent.h"
#include "tlsi_args.h"
#include "tlsi_class.h"
#include "tlsi_names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_message(const char *err)
{
    FUZZ_CHECK(err == NULL || strlen(err) > 10);
}

static void fuzz_ca_limit(const char *arg)
{
    tlsi_calimit_mode_e mode = TLSI_CALIMIT_UNSET;
    apr_size_t bytes = 0;
    const char *err = tlsi_parse_ca_limit(arg, &mode, &bytes);

    check_message(err);
    if (err == NULL) {
        FUZZ_CHECK(mode == TLSI_CALIMIT_BYTES || mode == TLSI_CALIMIT_NONE
                   || mode == TLSI_CALIMIT_OFF);
        FUZZ_CHECK(mode != TLSI_CALIMIT_BYTES
                   || (bytes >= TLSI_CALIMIT_MIN
                       && bytes <= TLSI_CALIMIT_AUTO));
    }
    else {
        FUZZ_CHECK(mode == TLSI_CALIMIT_UNSET);
    }
}

static void fuzz_shutdown(const char *arg)
{
    tlsi_shutdown_e mode = (tlsi_shutdown_e)-1;
    const char *err = tlsi_parse_shutdown_option(arg, &mode);

    check_message(err);
    FUZZ_CHECK(err != NULL || (mode >= TLSI_SHUTDOWN_STANDARD
                               && mode <= TLSI_SHUTDOWN_UNCLEAN));
    FUZZ_CHECK(err != NULL || strncasecmp(arg, "shutdown=", 9) == 0);
}

static void fuzz_margin(const char *arg)
{
    int off = -1, seconds = -1;
    const char *err = tlsi_parse_margin(arg, &off, &seconds);

    check_message(err);
    if (err == NULL) {
        FUZZ_CHECK(off == 1 || (off == 0 && seconds >= 0
                                && seconds <= TLSI_MARGIN_MAX));
    }
}

static void fuzz_regex(apr_pool_t *p, const char *arg)
{
    tlsi_agent_rules_t *rules = tlsi_agent_rules_make(p);
    const char *err = tlsi_agent_rules_add(rules, p, arg,
                                           TLSI_SHUTDOWN_STANDARD);

    check_message(err);
    FUZZ_CHECK(rules->rules->nelts == (err == NULL ? 1 : 0));
    if (err == NULL) {
        /* A compiled rule must match its own text without crashing. */
        tlsi_agent_match(rules, arg, strlen(arg));
    }
}

/* The file goes through a memfd: a regular file that never touches disk. */
static void fuzz_prefer_file(apr_pool_t *p, const uint8_t *data, size_t size)
{
    apr_array_header_t *subjects = NULL;
    const char *err, *path;
    int fd = memfd_create("prefer.pem", 0);

    if (fd < 0) {
        return;
    }
    if (write(fd, data, size) == (ssize_t)size) {
        path = apr_psprintf(p, "/proc/self/fd/%d", fd);
        err = tlsi_pem_subjects(p, path, &subjects);
        check_message(err);
        FUZZ_CHECK(err != NULL || (subjects != NULL && subjects->nelts > 0));
    }
    close(fd);
}

static void fuzz_client_class(apr_pool_t *p, char *arg)
{
    tlsi_classes_t *classes = tlsi_classes_builtin(p);
    char *bytes = strchr(arg, ' ');
    const char *err;
    int before = classes->rules->nelts;

    if (bytes != NULL) {
        *bytes++ = '\0';
    }
    err = tlsi_classes_add(p, classes, arg, bytes ? bytes : "");
    check_message(err);
    FUZZ_CHECK(classes->rules->nelts == before
               || (err == NULL && classes->rules->nelts == before + 1));
    FUZZ_CHECK(tlsi_classes_max(classes) <= TLSI_CLASS_MAX_BYTES);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    char *arg;

    if (size < 1) {
        return 0;
    }
    apr_pool_create(&p, fuzz_root_pool());
    arg = apr_pstrmemdup(p, (const char *)data + 1, size - 1);
    switch (data[0] % 6) {
    case 0:
        fuzz_ca_limit(arg);
        break;
    case 1:
        fuzz_shutdown(arg);
        break;
    case 2:
        fuzz_margin(arg);
        break;
    case 3:
        fuzz_regex(p, arg);
        break;
    case 4:
        fuzz_prefer_file(p, data + 1, size - 1);
        break;
    default:
        fuzz_client_class(p, arg);
        break;
    }
    apr_pool_destroy(p);
    return 0;
}
