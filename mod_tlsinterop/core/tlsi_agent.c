/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <pthread.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <apr_strings.h>

#include "tlsi_agent.h"

/*
 * Bounds on the work one match may do.  A User-Agent is at most
 * LimitRequestFieldSize bytes; a sane pattern needs a few steps per byte,
 * while a pattern with nested quantifiers against a crafted header would
 * otherwise backtrack for minutes and stall the worker.
 */
#define MATCH_LIMIT 1000000
#define DEPTH_LIMIT 10000

/*
 * One match-data block per thread, made on the thread's first match and
 * reused after: matching a request then allocates nothing.  A one-pair
 * ovector is enough to learn whether a pattern matched.
 */
static pthread_key_t match_data_key;
static pthread_once_t match_data_once = PTHREAD_ONCE_INIT;

static void free_match_data(void *data)
{
    pcre2_match_data_free(data);
}

static void make_match_data_key(void)
{
    pthread_key_create(&match_data_key, free_match_data);
}

static pcre2_match_data *thread_match_data(void)
{
    pcre2_match_data *data;

    pthread_once(&match_data_once, make_match_data_key);
    data = pthread_getspecific(match_data_key);
    if (data == NULL) {
        data = pcre2_match_data_create(1, NULL);
        if (data != NULL) {
            pthread_setspecific(match_data_key, data);
        }
    }
    return data;
}

static apr_status_t free_match_context(void *context)
{
    pcre2_match_context_free(context);
    return APR_SUCCESS;
}

static apr_status_t free_code(void *code)
{
    pcre2_code_free(code);
    return APR_SUCCESS;
}

tlsi_agent_rules_t *tlsi_agent_rules_make(apr_pool_t *p)
{
    tlsi_agent_rules_t *rules = apr_palloc(p, sizeof(*rules));

    rules->rules = apr_array_make(p, 4, sizeof(tlsi_agent_rule_t));
    /* The limits that bound a match; owned by the pool, so that nothing
     * outlives the configuration. */
    rules->match_context = pcre2_match_context_create(NULL);
    if (rules->match_context != NULL) {
        pcre2_set_match_limit(rules->match_context, MATCH_LIMIT);
        pcre2_set_depth_limit(rules->match_context, DEPTH_LIMIT);
        apr_pool_cleanup_register(p, rules->match_context, free_match_context,
                                  apr_pool_cleanup_null);
    }
    return rules;
}

tlsi_agent_rules_t *tlsi_agent_rules_builtin(apr_pool_t *p)
{
    tlsi_agent_rules_t *rules = tlsi_agent_rules_make(p);

    tlsi_agent_rules_add(rules, p, TLSI_BUILTIN_AGENT_PATTERN,
                         TLSI_SHUTDOWN_STANDARD);
    return rules;
}

const char *tlsi_agent_rules_add(tlsi_agent_rules_t *rules, apr_pool_t *p,
                                 const char *pattern, tlsi_shutdown_e shutdown)
{
    tlsi_agent_rule_t *rule;
    pcre2_code *code;
    int errcode;
    PCRE2_SIZE erroffset;
    PCRE2_UCHAR message[256];

    code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0,
                         &errcode, &erroffset, NULL);
    if (code == NULL) {
        pcre2_get_error_message(errcode, message, sizeof(message));
        return apr_psprintf(p, "invalid regular expression '%s': %s at "
                            "offset %" APR_SIZE_T_FMT, pattern,
                            (const char *)message, (apr_size_t)erroffset);
    }
    /* Without JIT support pcre2_match() is used: slower, same results. */
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    apr_pool_cleanup_register(p, code, free_code, apr_pool_cleanup_null);

    rule = apr_array_push(rules->rules);
    rule->pattern = apr_pstrdup(p, pattern);
    rule->shutdown = shutdown;
    rule->code = code;
    return NULL;
}

const tlsi_agent_rule_t *tlsi_agent_match(const tlsi_agent_rules_t *rules,
                                          const char *user_agent,
                                          apr_size_t len)
{
    pcre2_match_data *data;
    int i;

    if (rules == NULL || rules->rules->nelts == 0) {
        return NULL;
    }
    data = thread_match_data();
    if (data == NULL || rules->match_context == NULL) {
        return NULL;
    }
    for (i = 0; i < rules->rules->nelts; i++) {
        const tlsi_agent_rule_t *rule = &APR_ARRAY_IDX(rules->rules, i,
                                                       tlsi_agent_rule_t);
        /* 0 means a match whose captures did not fit the ovector. */
        if (pcre2_match(rule->code, (PCRE2_SPTR)user_agent, len, 0, 0, data,
                        rules->match_context) >= 0) {
            return rule;
        }
    }
    return NULL;
}

const char *tlsi_agent_engine(apr_pool_t *p)
{
    char version[64];

    if (pcre2_config(PCRE2_CONFIG_VERSION, version) < 0) {
        return "PCRE2";
    }
    return apr_pstrcat(p, "PCRE2 ", strtok(version, " "), NULL);
}

static const tlsi_shutdown_info_t shutdown_modes[] = {
    { TLSI_SHUTDOWN_STANDARD, "standard", NULL, "close standard" },
    { TLSI_SHUTDOWN_ACCURATE, "accurate", "ssl-accurate-shutdown",
      "close accurate" },
    { TLSI_SHUTDOWN_UNCLEAN, "unclean", "ssl-unclean-shutdown",
      "close unclean" }
};

const tlsi_shutdown_info_t *tlsi_shutdown_info(tlsi_shutdown_e mode)
{
    size_t i;

    for (i = 0; i < sizeof(shutdown_modes) / sizeof(shutdown_modes[0]); i++) {
        if (shutdown_modes[i].mode == mode) {
            return &shutdown_modes[i];
        }
    }
    return &shutdown_modes[0];
}

const tlsi_shutdown_info_t *tlsi_shutdown_named(const char *name,
                                                apr_size_t len)
{
    size_t i;

    for (i = 0; name != NULL
                && i < sizeof(shutdown_modes) / sizeof(shutdown_modes[0]);
         i++) {
        if (strlen(shutdown_modes[i].name) == len
            && strncasecmp(shutdown_modes[i].name, name, len) == 0) {
            return &shutdown_modes[i];
        }
    }
    return NULL;
}

const char *tlsi_shutdown_name(tlsi_shutdown_e mode)
{
    return tlsi_shutdown_info(mode)->name;
}
