/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * tlsi_agent: legacy user-agent rules, and matching a User-Agent to them.
 *
 * Pure core: needs APR and PCRE2 only (PCRE2 is the engine behind httpd's
 * own regexes, so patterns read as they do in BrowserMatch).  Rules are
 * compiled once, at configuration time.  Matching allocates nothing after
 * a thread's first match, and a hostile User-Agent costs a bounded amount
 * of work.
 */
#ifndef TLSI_AGENT_H
#define TLSI_AGENT_H

#include <apr_pools.h>
#include <apr_tables.h>

/* How the server closes the connection after a legacy agent's response:
 * the ssl-*-shutdown modes of mod_ssl. */
typedef enum {
    TLSI_SHUTDOWN_STANDARD = 0,     /* send close_notify */
    TLSI_SHUTDOWN_ACCURATE,         /* send close_notify, wait for the peer's */
    TLSI_SHUTDOWN_UNCLEAN           /* no close_notify */
} tlsi_shutdown_e;

typedef struct tlsi_agent_rule {
    const char *pattern;            /* as configured */
    tlsi_shutdown_e shutdown;
    void *code;                     /* compiled pattern (pcre2_code) */
} tlsi_agent_rule_t;

typedef struct tlsi_agent_rules {
    apr_array_header_t *rules;      /* tlsi_agent_rule_t, in order */
    void *match_context;            /* match limits (pcre2_match_context) */
} tlsi_agent_rules_t;

/* The rule that applies when a vhost configures none: Internet Explorer 6
 * and older, per Microsoft's "Internet Explorer and SSL Closure Alerts". */
#define TLSI_BUILTIN_AGENT_PATTERN "MSIE [2-6]\\."

tlsi_agent_rules_t *tlsi_agent_rules_make(apr_pool_t *p);

/* The built-in list, compiled. */
tlsi_agent_rules_t *tlsi_agent_rules_builtin(apr_pool_t *p);

/*
 * Compile pattern and append it with the given shutdown mode.  Returns
 * NULL, or a message naming the pattern and what is wrong with it.  The
 * compiled code lives as long as p.
 */
const char *tlsi_agent_rules_add(tlsi_agent_rules_t *rules, apr_pool_t *p,
                                 const char *pattern, tlsi_shutdown_e shutdown);

/*
 * The first rule whose pattern matches user_agent (len bytes, which may
 * hold NUL and any other byte; a missing header is the empty string), or
 * NULL.  A match that exceeds the work limit counts as no match.
 */
const tlsi_agent_rule_t *tlsi_agent_match(const tlsi_agent_rules_t *rules,
                                          const char *user_agent,
                                          apr_size_t len);

/* The regular expression engine and its version, e.g. "PCRE2 10.42". */
const char *tlsi_agent_engine(apr_pool_t *p);

/* What one shutdown mode is called in each place: the one table of that
 * vocabulary. */
typedef struct tlsi_shutdown_info {
    tlsi_shutdown_e mode;
    const char *name;           /* "standard": shutdown=<name>, the notes */
    const char *env;            /* mod_ssl's variable ("ssl-<name>-shutdown"),
                                 * NULL for standard */
    const char *fate;           /* TLSINTEROP_CONNECTION: "close <name>" */
} tlsi_shutdown_info_t;

/* The entry for mode (standard for an unknown one). */
const tlsi_shutdown_info_t *tlsi_shutdown_info(tlsi_shutdown_e mode);

/* The entry named name (len bytes, case-blind), or NULL. */
const tlsi_shutdown_info_t *tlsi_shutdown_named(const char *name,
                                                apr_size_t len);

/* "standard", "accurate" or "unclean". */
const char *tlsi_shutdown_name(tlsi_shutdown_e mode);

#endif /* TLSI_AGENT_H */
