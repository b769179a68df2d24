/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "tlsi_class.h"

#define ACCEPTED "boringssl, nss, a JA4 fingerprint such as " \
                 "t13d1516h2_8daaf6152771_e5627efa2ab1 or a prefix of one"

tlsi_classes_t *tlsi_classes_builtin(apr_pool_t *p)
{
    tlsi_classes_t *classes = apr_palloc(p, sizeof(*classes));
    tlsi_class_rule_t *rule;

    classes->rules = apr_array_make(p, 4, sizeof(tlsi_class_rule_t));
    rule = apr_array_push(classes->rules);
    rule->kind = TLSI_CLASS_BORINGSSL;
    rule->name = "boringssl";
    rule->bytes = TLSI_CLASS_BORINGSSL_BYTES;
    rule = apr_array_push(classes->rules);
    rule->kind = TLSI_CLASS_NSS;
    rule->name = "nss";
    rule->bytes = TLSI_CLASS_NSS_BYTES;
    return classes;
}

tlsi_classes_t *tlsi_classes_copy(apr_pool_t *p, const tlsi_classes_t *c)
{
    tlsi_classes_t *copy = apr_palloc(p, sizeof(*copy));

    copy->rules = apr_array_copy(p, c->rules);
    return copy;
}

/* JA4's alphabet: lower-case letters, digits and "_", at most its length. */
static int ja4_text(const char *what)
{
    size_t len = strlen(what);

    return len > 0 && len <= TLSI_JA4_LEN
           && strspn(what, "abcdefghijklmnopqrstuvwxyz0123456789_") == len;
}

static const char *parse_bytes(apr_pool_t *p, const char *text,
                               apr_size_t *bytes)
{
    char *end;
    long value;

    if (!strcasecmp(text, "off")) {
        *bytes = 0;
        return NULL;
    }
    value = strtol(text, &end, 10);
    if (*text < '0' || *text > '9' || *end != '\0'
        || value < TLSI_CLASS_MIN_BYTES || value > TLSI_CLASS_MAX_BYTES) {
        return apr_psprintf(p, "'%s' is not valid; use the largest "
                            "handshake message the client accepts, %d to "
                            "%d bytes, or off", text, TLSI_CLASS_MIN_BYTES,
                            TLSI_CLASS_MAX_BYTES);
    }
    *bytes = (apr_size_t)value;
    return NULL;
}

const char *tlsi_classes_add(apr_pool_t *p, tlsi_classes_t *classes,
                             const char *what, const char *bytes_text)
{
    tlsi_class_rule_t rule, *rules;
    const char *err;
    int i, admin = 0;

    if ((err = parse_bytes(p, bytes_text, &rule.bytes)) != NULL) {
        return err;
    }
    if (!strcasecmp(what, "boringssl") || !strcasecmp(what, "nss")) {
        tlsi_class_kind_e kind = !strcasecmp(what, "nss") ? TLSI_CLASS_NSS
                                                          : TLSI_CLASS_BORINGSSL;

        rules = (tlsi_class_rule_t *)classes->rules->elts;
        for (i = 0; i < classes->rules->nelts; i++) {
            if (rules[i].kind == kind) {
                rules[i].bytes = rule.bytes;
            }
        }
        return NULL;
    }
    if (!ja4_text(what)) {
        return apr_psprintf(p, "'%s' is not valid; use %s", what, ACCEPTED);
    }
    rule.kind = TLSI_CLASS_JA4;
    rule.name = apr_pstrdup(p, what);
    /* After the admin rules already there, before the built-ins. */
    rules = (tlsi_class_rule_t *)classes->rules->elts;
    while (admin < classes->rules->nelts && rules[admin].kind == TLSI_CLASS_JA4) {
        admin++;
    }
    apr_array_push(classes->rules);
    rules = (tlsi_class_rule_t *)classes->rules->elts;
    memmove(&rules[admin + 1], &rules[admin],
            sizeof(*rules) * (size_t)(classes->rules->nelts - 1 - admin));
    rules[admin] = rule;
    return NULL;
}

static int matches(const tlsi_class_rule_t *rule, const tlsi_hello_t *hello,
                   const char *ja4)
{
    switch (rule->kind) {
    case TLSI_CLASS_BORINGSSL:
        return hello->grease;
    case TLSI_CLASS_NSS:
        return tlsi_hello_has_extension(hello, TLSI_EXT_DELEGATED_CREDENTIALS);
    default:
        return ja4 != NULL && !strncmp(ja4, rule->name, strlen(rule->name));
    }
}

apr_size_t tlsi_classes_limit(const tlsi_classes_t *classes,
                              const tlsi_hello_t *hello, const char *ja4,
                              const tlsi_class_rule_t **rule)
{
    const tlsi_class_rule_t *rules;
    int i;

    *rule = NULL;
    if (classes == NULL || hello == NULL) {
        return 0;
    }
    rules = (const tlsi_class_rule_t *)classes->rules->elts;
    for (i = 0; i < classes->rules->nelts; i++) {
        if (matches(&rules[i], hello, ja4)) {
            *rule = &rules[i];
            return rules[i].bytes;
        }
    }
    return 0;
}

apr_size_t tlsi_classes_max(const tlsi_classes_t *classes)
{
    const tlsi_class_rule_t *rules = (const tlsi_class_rule_t *)
                                     classes->rules->elts;
    apr_size_t most = 0;
    int i;

    for (i = 0; i < classes->rules->nelts; i++) {
        if (rules[i].bytes > most) {
            most = rules[i].bytes;
        }
    }
    return most;
}
