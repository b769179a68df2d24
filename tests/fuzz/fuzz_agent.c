/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * The User-Agent matcher, fed any bytes (NUL and control bytes included,
 * up to 64 KB, as a hostile header may hold): it answers one of its rules
 * or none, answers the same twice, and agrees with a plain C reading of
 * the built-in rule "MSIE [2-6]\.".
 */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "tlsi_agent.h"

#define MAX_AGENT (64 * 1024)

static tlsi_agent_rules_t *builtin, *admin_list;

/* A list like the ones admins write, slow patterns included: the match
 * limits must keep them bounded. */
static const char *const admin_patterns[] = {
    "^$", "(?i)curl/", "MSIE [2-6]\\.", "Python-urllib/[0-9.]+$",
    "^Mozilla/4\\.0 \\(compatible; MSIE 6\\.0; Windows NT 5\\.[12]",
    "(a|aa)+$", "(\\w+\\s?)*X$", "Java/1\\.[4-6]", "[\\x00-\\x1f]", "bot|spider",
};

static int reference_builtin(const uint8_t *data, size_t size)
{
    size_t i;

    for (i = 0; i + 7 <= size; i++) {
        if (memcmp(data + i, "MSIE ", 5) == 0 && data[i + 5] >= '2'
            && data[i + 5] <= '6' && data[i + 6] == '.') {
            return 1;
        }
    }
    return 0;
}

static int in_list(const tlsi_agent_rules_t *rules,
                   const tlsi_agent_rule_t *rule)
{
    const tlsi_agent_rule_t *first = (const tlsi_agent_rule_t *)
                                     rules->rules->elts;

    return rule >= first && rule < first + rules->rules->nelts;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    apr_pool_t *p = fuzz_root_pool();
    size_t i;

    (void)argc;
    (void)argv;
    builtin = tlsi_agent_rules_builtin(p);
    admin_list = tlsi_agent_rules_make(p);
    for (i = 0; i < sizeof(admin_patterns) / sizeof(*admin_patterns); i++) {
        FUZZ_CHECK(tlsi_agent_rules_add(admin_list, p, admin_patterns[i],
                                        (tlsi_shutdown_e)(i % 3)) == NULL);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *agent = (const char *)data;
    const tlsi_agent_rule_t *rule;

    if (size > MAX_AGENT) {
        return 0;
    }
    rule = tlsi_agent_match(builtin, agent, size);
    FUZZ_CHECK((rule != NULL) == reference_builtin(data, size));

    rule = tlsi_agent_match(admin_list, agent, size);
    FUZZ_CHECK(rule == NULL || in_list(admin_list, rule));
    FUZZ_CHECK(tlsi_agent_match(admin_list, agent, size) == rule);
    return 0;
}
