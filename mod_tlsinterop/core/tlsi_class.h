/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * tlsi_class: which client stacks are known to take a CertificateRequest
 * larger than one record, and how large.
 *
 * Pure core: needs APR only (and tlsi_hello's parse).  A client is
 * recognised only positively; anything else is "unknown" and gets the
 * fitted list.  Built-in classes, each from the stack's own source (see
 * docs):
 *
 *   boringssl  RFC 8701 GREASE values, which BoringSSL sends when the
 *              application enables it (Chromium, Edge, Android): 102,400
 *              bytes (SSL_MAX_CERT_LIST_DEFAULT)
 *   nss        the delegated_credentials extension, which only NSS sends
 *              (Firefox): 131,071 bytes (MAX_HANDSHAKE_MSG_LEN)
 *
 * Admins add classes by JA4 fingerprint or prefix, and turn built-ins off
 * (TLSInteropClientClass).  Their rules come first, in configuration order.
 */
#ifndef TLSI_CLASS_H
#define TLSI_CLASS_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "tlsi_hello.h"

#define TLSI_CLASS_BORINGSSL_BYTES 102400
#define TLSI_CLASS_NSS_BYTES 131071
/* The most a client can be said to take: nothing a CertificateRequest can
 * hold is larger (65,535 bytes of names). */
#define TLSI_CLASS_MAX_BYTES 131071
#define TLSI_CLASS_MIN_BYTES 512

typedef enum {
    TLSI_CLASS_JA4,             /* an admin's fingerprint or prefix */
    TLSI_CLASS_BORINGSSL,
    TLSI_CLASS_NSS
} tlsi_class_kind_e;

typedef struct tlsi_class_rule {
    tlsi_class_kind_e kind;
    const char *name;           /* "boringssl", "nss" or the JA4 text */
    apr_size_t bytes;           /* the largest message; 0: class off */
} tlsi_class_rule_t;

/* Rules in the order they are tried: an array of tlsi_class_rule_t. */
typedef struct tlsi_classes {
    apr_array_header_t *rules;
} tlsi_classes_t;

/* The built-in classes, on. */
tlsi_classes_t *tlsi_classes_builtin(apr_pool_t *p);

/*
 * Apply one "TLSInteropClientClass WHAT BYTES|off" to classes (which must
 * be a copy the caller owns): WHAT is boringssl, nss, a JA4 fingerprint
 * or a prefix of one.  An admin rule goes before the built-ins and after
 * earlier admin rules; naming a built-in changes it in place.  Returns
 * NULL, or an error message naming the accepted values.
 */
const char *tlsi_classes_add(apr_pool_t *p, tlsi_classes_t *classes,
                             const char *what, const char *bytes);

/* A copy of classes (for a vhost that adds to its parent's). */
tlsi_classes_t *tlsi_classes_copy(apr_pool_t *p, const tlsi_classes_t *c);

/*
 * The largest CertificateRequest the client of hello (fingerprint ja4)
 * accepts by the first rule that matches, with *rule set to it; 0 when
 * no rule matches, or the matching one is off: the client is unknown.
 */
apr_size_t tlsi_classes_limit(const tlsi_classes_t *classes,
                              const tlsi_hello_t *hello, const char *ja4,
                              const tlsi_class_rule_t **rule);

/* The largest limit any rule gives (0 when all are off). */
apr_size_t tlsi_classes_max(const tlsi_classes_t *classes);

#endif /* TLSI_CLASS_H */
