/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Client classes: built-ins, admin rules by JA4, their order, off. */

#include <string.h>

#include "tlsi_class.h"
#include "tlsi_test.h"

static const char *const chrome = "t13d1516h2_8daaf6152771_02713d6af862";

static void builtins_recognise_traits(apr_pool_t *p)
{
    tlsi_classes_t *c = tlsi_classes_builtin(p);
    const tlsi_class_rule_t *rule;
    tlsi_hello_t hello;

    memset(&hello, 0, sizeof(hello));
    CHECK_EQ(tlsi_classes_limit(c, &hello, chrome, &rule), 0);
    CHECK(rule == NULL);
    hello.grease = 1;
    CHECK_EQ(tlsi_classes_limit(c, &hello, chrome, &rule),
             TLSI_CLASS_BORINGSSL_BYTES);
    CHECK(rule != NULL && strcmp(rule->name, "boringssl") == 0);
    hello.grease = 0;
    hello.extensions[hello.extension_count++] = TLSI_EXT_DELEGATED_CREDENTIALS;
    CHECK_EQ(tlsi_classes_limit(c, &hello, chrome, &rule),
             TLSI_CLASS_NSS_BYTES);
    CHECK_EQ(tlsi_classes_max(c), TLSI_CLASS_NSS_BYTES);
    /* No ClientHello: unknown. */
    CHECK_EQ(tlsi_classes_limit(c, NULL, NULL, &rule), 0);
}

static void admin_rules_come_first_in_order(apr_pool_t *p)
{
    tlsi_classes_t *c = tlsi_classes_builtin(p);
    const tlsi_class_rule_t *rule;
    tlsi_hello_t hello;

    memset(&hello, 0, sizeof(hello));
    hello.grease = 1;
    CHECK(tlsi_classes_add(p, c, "t13d1516h2_", "32768") == NULL);
    CHECK(tlsi_classes_add(p, c, chrome, "20000") == NULL);
    /* The first admin rule matches first, before the GREASE built-in. */
    CHECK_EQ(tlsi_classes_limit(c, &hello, chrome, &rule), 32768);
    CHECK(strcmp(rule->name, "t13d1516h2_") == 0);
    CHECK_EQ(tlsi_classes_limit(c, &hello, "t12d1516h2_x", &rule),
             TLSI_CLASS_BORINGSSL_BYTES);
    CHECK_EQ(c->rules->nelts, 4);
}

static void off_means_unknown(apr_pool_t *p)
{
    tlsi_classes_t *c = tlsi_classes_builtin(p);
    const tlsi_class_rule_t *rule;
    tlsi_hello_t hello;

    memset(&hello, 0, sizeof(hello));
    hello.grease = 1;
    CHECK(tlsi_classes_add(p, c, "boringssl", "off") == NULL);
    CHECK_EQ(tlsi_classes_limit(c, &hello, chrome, &rule), 0);
    CHECK(tlsi_classes_add(p, c, "nss", "off") == NULL);
    CHECK_EQ(tlsi_classes_max(c), 0);
    /* An admin rule set off keeps its stack unknown, ahead of the
     * built-ins. */
    c = tlsi_classes_builtin(p);
    CHECK(tlsi_classes_add(p, c, "t13", "off") == NULL);
    CHECK_EQ(tlsi_classes_limit(c, &hello, chrome, &rule), 0);
    CHECK(rule != NULL && strcmp(rule->name, "t13") == 0);
}

static void bad_arguments(apr_pool_t *p)
{
    tlsi_classes_t *c = tlsi_classes_builtin(p);
    static const char *const bad_bytes[] = { "511", "131072", "-1", "1e4",
                                             "", "32k", "0x8000" };
    static const char *const bad_what[] = {
        "", "T13", "t13-", "t13d1516h2_8daaf6152771_e5627efa2ab1x", "java"
        " client"
    };
    size_t i;

    for (i = 0; i < sizeof(bad_bytes) / sizeof(bad_bytes[0]); i++) {
        CHECK(tlsi_classes_add(p, c, "nss", bad_bytes[i]) != NULL);
    }
    for (i = 0; i < sizeof(bad_what) / sizeof(bad_what[0]); i++) {
        CHECK(tlsi_classes_add(p, c, bad_what[i], "32768") != NULL);
    }
    CHECK_EQ(c->rules->nelts, 2);
    CHECK(tlsi_classes_add(p, c, "NSS", "512") == NULL);
    CHECK(tlsi_classes_add(p, c, "nss", "131071") == NULL);
}

int main(void)
{
    apr_pool_t *pool = tlsi_test_init();

    TLSI_RUN(builtins_recognise_traits, pool);
    TLSI_RUN(admin_rules_come_first_in_order, pool);
    TLSI_RUN(off_means_unknown, pool);
    TLSI_RUN(bad_arguments, pool);
    return tlsi_test_done("test_class");
}
