/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* Legacy user-agent rules and matching. */

#include <pthread.h>
#include <string.h>

#include "tlsi_agent.h"
#include "tlsi_test.h"

/* Count allocations: this binary's malloc() wraps glibc's.  Not under
 * AddressSanitizer (make test SANITIZE=1), which owns malloc itself. */
#ifndef __SANITIZE_ADDRESS__
#define COUNTS_MALLOCS 1
extern void *__libc_malloc(size_t size);
static int counting_mallocs;
static long mallocs;

void *malloc(size_t size)
{
    if (counting_mallocs) {
        mallocs++;
    }
    return __libc_malloc(size);
}
#endif

static int matches(const tlsi_agent_rules_t *rules, const char *agent)
{
    return tlsi_agent_match(rules, agent, strlen(agent)) != NULL;
}

static void builtin_list_is_ie6_and_older(apr_pool_t *p)
{
    tlsi_agent_rules_t *rules = tlsi_agent_rules_builtin(p);
    static const char *const legacy[] = {
        "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)",
        "Mozilla/4.0 (compatible; MSIE 5.5; Windows 98)",
        "Mozilla/4.0 (compatible; MSIE 5.01; Windows NT 5.0)",
        "Mozilla/2.0 (compatible; MSIE 2.0; Windows 95)",
    };
    static const char *const modern[] = {
        "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.0)",
        "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1; Trident/6.0)",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko Firefox/128.0",
        "curl/7.88.1", "", "MSIE 6", "msie 6.0",
    };
    apr_size_t i;

    CHECK_EQ(rules->rules->nelts, 1);
    for (i = 0; i < sizeof(legacy) / sizeof(legacy[0]); i++) {
        CHECK(matches(rules, legacy[i]));
    }
    for (i = 0; i < sizeof(modern) / sizeof(modern[0]); i++) {
        CHECK(!matches(rules, modern[i]));
    }
}

static void first_matching_rule_wins(apr_pool_t *p)
{
    tlsi_agent_rules_t *rules = tlsi_agent_rules_make(p);
    const tlsi_agent_rule_t *rule;

    CHECK(tlsi_agent_rules_add(rules, p, "Bot", TLSI_SHUTDOWN_UNCLEAN) == NULL);
    CHECK(tlsi_agent_rules_add(rules, p, "Special", TLSI_SHUTDOWN_ACCURATE) == NULL);
    CHECK(tlsi_agent_rules_add(rules, p, "^$", TLSI_SHUTDOWN_STANDARD) == NULL);
    rule = tlsi_agent_match(rules, "SpecialBot", 10);
    CHECK(rule != NULL && !strcmp(rule->pattern, "Bot")
          && rule->shutdown == TLSI_SHUTDOWN_UNCLEAN);
    rule = tlsi_agent_match(rules, "Special", 7);
    CHECK(rule != NULL && rule->shutdown == TLSI_SHUTDOWN_ACCURATE);
    rule = tlsi_agent_match(rules, "", 0);
    CHECK(rule != NULL && !strcmp(rule->pattern, "^$"));
    CHECK(tlsi_agent_match(rules, "Other", 5) == NULL);
    CHECK(tlsi_agent_match(tlsi_agent_rules_make(p), "Bot", 3) == NULL);
    CHECK(tlsi_agent_match(NULL, "Bot", 3) == NULL);
}

static void any_bytes_are_matched_by_length(apr_pool_t *p)
{
    tlsi_agent_rules_t *rules = tlsi_agent_rules_make(p);
    static const char with_nul[] = "junk\0MSIE 6.0\r\n\x01\xff";

    CHECK(tlsi_agent_rules_add(rules, p, "MSIE [2-6]\\.", 0) == NULL);
    CHECK(tlsi_agent_match(rules, with_nul, sizeof(with_nul) - 1) != NULL);
    /* Only len bytes count. */
    CHECK(tlsi_agent_match(rules, with_nul, 4) == NULL);
    /* Invalid UTF-8 is just bytes: patterns are not compiled as UTF. */
    CHECK(tlsi_agent_match(rules, "\xc3\x28MSIE 5.5", 10) != NULL);
}

/*
 * A match may cost at most the work limit.  "^(a?){20}a{20}$" does match
 * twenty a's, but only after about two million backtracking steps: more
 * than the limit allows, so it counts as no match.  (PCRE2's own default
 * limit would let it match.)  A crafted 64 KB header against nested
 * quantifiers ends the same way instead of stalling the worker.
 */
static void hostile_header_costs_bounded_work(apr_pool_t *p)
{
    tlsi_agent_rules_t *rules = tlsi_agent_rules_make(p);
    apr_size_t len = 64 * 1024;
    char *agent = apr_palloc(p, len);

    CHECK(tlsi_agent_rules_add(rules, p, "^(a?){20}a{20}$", 0) == NULL);
    CHECK(tlsi_agent_match(rules, "aaaaaaaaaaaaaaaaaaaa", 20) == NULL);

    rules = tlsi_agent_rules_make(p);
    CHECK(tlsi_agent_rules_add(rules, p, "(a+)+$", 0) == NULL);
    CHECK(tlsi_agent_rules_add(rules, p, "^(\\w+\\s?)*$", 0) == NULL);
    memset(agent, 'a', len);
    agent[len - 1] = '!';
    CHECK(tlsi_agent_match(rules, agent, len) == NULL);
}

static void invalid_patterns_are_named(apr_pool_t *p)
{
    tlsi_agent_rules_t *rules = tlsi_agent_rules_make(p);
    const char *err = tlsi_agent_rules_add(rules, p, "MSIE (6", 0);

    CHECK(err != NULL && strstr(err, "'MSIE (6'") != NULL
          && strstr(err, "offset") != NULL);
    CHECK_EQ(rules->rules->nelts, 0);
}

typedef struct {
    const tlsi_agent_rules_t *rules;
    int wrong;
} worker_t;

static void *match_many(void *arg)
{
    worker_t *w = arg;
    int i;

    for (i = 0; i < 20000; i++) {
        int legacy = i % 3 == 0;
        const char *agent = legacy ? "Mozilla/4.0 (compatible; MSIE 6.0)"
                                   : "Mozilla/5.0 (X11) Firefox/128.0";

        if ((tlsi_agent_match(w->rules, agent, strlen(agent)) != NULL) != legacy) {
            w->wrong++;
        }
    }
    return NULL;
}

/* As httpd uses them: one rule set, made at start-up, shared by every
 * worker thread of a child. */
static void matching_is_thread_safe(apr_pool_t *p)
{
    const tlsi_agent_rules_t *shared = tlsi_agent_rules_builtin(p);
    worker_t workers[4];
    pthread_t threads[4];
    int i;

    for (i = 0; i < 4; i++) {
        workers[i].rules = shared;
        workers[i].wrong = 0;
        pthread_create(&threads[i], NULL, match_many, &workers[i]);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        CHECK_EQ(workers[i].wrong, 0);
    }
}

/* After a thread's first match, matching allocates nothing, whether a rule
 * matches or not. */
#ifdef COUNTS_MALLOCS
static void matching_allocates_nothing(apr_pool_t *p)
{
    tlsi_agent_rules_t *rules = tlsi_agent_rules_builtin(p);
    static const char modern[] = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0";
    static const char legacy[] = "Mozilla/4.0 (compatible; MSIE 6.0)";
    int i;

    CHECK(tlsi_agent_rules_add(rules, p, "^(?i)curl/", 0) == NULL);
    tlsi_agent_match(rules, modern, sizeof(modern) - 1);
    mallocs = 0;
    counting_mallocs = 1;
    for (i = 0; i < 1000; i++) {
        tlsi_agent_match(rules, modern, sizeof(modern) - 1);
        tlsi_agent_match(rules, legacy, sizeof(legacy) - 1);
        tlsi_agent_match(rules, "", 0);
    }
    counting_mallocs = 0;
    CHECK_EQ(mallocs, 0);
}
#endif

static void shutdown_names(apr_pool_t *p)
{
    (void)p;
    CHECK(!strcmp(tlsi_shutdown_name(TLSI_SHUTDOWN_STANDARD), "standard"));
    CHECK(!strcmp(tlsi_shutdown_name(TLSI_SHUTDOWN_ACCURATE), "accurate"));
    CHECK(!strcmp(tlsi_shutdown_name(TLSI_SHUTDOWN_UNCLEAN), "unclean"));
}

int main(void)
{
    apr_pool_t *pool = tlsi_test_init();

    TLSI_RUN(builtin_list_is_ie6_and_older, pool);
    TLSI_RUN(first_matching_rule_wins, pool);
    TLSI_RUN(any_bytes_are_matched_by_length, pool);
    TLSI_RUN(hostile_header_costs_bounded_work, pool);
    TLSI_RUN(invalid_patterns_are_named, pool);
    TLSI_RUN(matching_is_thread_safe, pool);
#ifdef COUNTS_MALLOCS
    TLSI_RUN(matching_allocates_nothing, pool);
#else
    printf("skip matching_allocates_nothing (malloc is AddressSanitizer's)\n");
#endif
    TLSI_RUN(shutdown_names, pool);
    return tlsi_test_done("test_agent");
}
