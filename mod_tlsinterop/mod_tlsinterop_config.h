/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * mod_tlsinterop_config: mod_tlsinterop's directives and per-server configuration.
 * A <VirtualHost> inherits every setting it does not make from the main
 * server.
 */
#ifndef MOD_TLSINTEROP_CONFIG_H
#define MOD_TLSINTEROP_CONFIG_H

#include "httpd.h"
#include "http_config.h"

#include "tlsi_args.h"
#include "tlsi_class.h"

#define TLSI_UNSET -1
#define TLSI_MARGIN_OFF -2

extern module AP_MODULE_DECLARE_DATA tlsinterop_module;

/* What a server's request path needs, made once per generation by
 * tlsi_conn_settings(). */
typedef struct tlsi_request_settings {
    /* The legacy-agent rules in force (NULL for none, or when the module
     * is off) and the Keep-Alive margin (TLSI_MARGIN_OFF likewise). */
    const tlsi_agent_rules_t *rules;
    int margin;
    /* The Keep-Alive timeouts the server may announce, and what each
     * needs, by the same index; NULL when the margin is off. */
    struct tlsi_timeouts *timeouts;
    struct tlsi_hint *hints;
    /* Whether the configuration names TLSINTEROP_CONNECTION: only then is
     * it set for each request. */
    int fate_variable;
} tlsi_request_settings_t;

/*
 * What the module works out for a server at start-up.  Only servers mod_ssl
 * set up a context for (SSL vhosts) have one: tlsi_srv_state() is NULL for
 * the others, and the module leaves their requests alone.  Two writers,
 * each once per generation: mod_ssl's init_server makes it and says what
 * the context is (mod_tlsinterop_startup); then the module's post_config
 * (mod_tlsinterop.c) stores what each subsystem prepares for the server.
 * After that it is only read.  The directive values (tlsi_srv_conf_t) are
 * never written once the configuration is read.
 */
typedef struct tlsi_srv_state {
    int tls_vhost;                     /* mod_ssl set up a server context */
    int ca_trimmed;                    /* and its advertised list was cut */
    int counter_slot;                  /* its slot in tlsi_counters */
    tlsi_request_settings_t request;
} tlsi_srv_state_t;

/* A server's directive values, defaults not applied. */
typedef struct tlsi_srv_conf {
    int enabled;                       /* TLSInterop; TLSI_UNSET */
    tlsi_calimit_mode_e ca_limit_mode;
    apr_size_t ca_limit_bytes;
    const char *ca_limit_arg;          /* as written, for logs */
    const char *ca_prefer_path;        /* TLSInteropCAListPrefer, resolved */
    apr_array_header_t *ca_prefer;     /* its subjects, X509_NAME * */
    int ca_fit_fragment;               /* TLSInteropCAListFitFragment */
    int ca_learn;                      /* TLSInteropCALearn; TLSI_UNSET */
    const char *ca_learn_file;         /* its file, resolved; never
                                        * inherited: NULL for the default */
    const char *ca_learn_where;        /* "file:line" of that setting */
    const server_rec *ca_learn_owner;  /* the server that named the file */
    tlsi_agent_rules_t *agents;        /* NULL: not set here */
    int ka_margin;                     /* seconds, TLSI_MARGIN_OFF or unset */
    tlsi_classes_t *classes;           /* TLSInteropClientClass; NULL: not
                                        * set here */
    int client_learn;                  /* TLSInteropClientLearn; unset */
    /* What start-up works out for this server (NULL but for SSL vhosts):
     * see tlsi_srv_state_make(). */
    struct tlsi_srv_state *state;
} tlsi_srv_conf_t;

/* One SSL vhost context at start-up, as mod_ssl's init_server hands it
 * to the start-up steps and to learning. */
typedef struct tlsi_vhost_init {
    server_rec *s;
    apr_pool_t *pconf;          /* lives as long as ctx */
    apr_pool_t *ptemp;          /* cleared when the hook returns */
    struct ssl_ctx_st *ctx;     /* SSL_CTX */
    const tlsi_srv_conf_t *conf;
    const char *vhost;          /* for log lines */
} tlsi_vhost_init_t;

extern const command_rec tlsi_cmds[];

void *tlsi_create_srv_conf(apr_pool_t *p, server_rec *s);
void *tlsi_merge_srv_conf(apr_pool_t *p, void *basev, void *addv);

/* The configuration of s (read-only outside the directive handlers).
 * Inline: every hook of the request path starts here. */
static APR_INLINE const tlsi_srv_conf_t *tlsi_srv_conf(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &tlsinterop_module);
}

/* What start-up worked out for s, or NULL when s is no SSL vhost. */
static APR_INLINE tlsi_srv_state_t *tlsi_srv_state(const server_rec *s)
{
    return tlsi_srv_conf(s)->state;
}

/* From init_server: s's state, made on the first call. */
tlsi_srv_state_t *tlsi_srv_state_make(apr_pool_t *pconf, server_rec *s);

/* Effective values, defaults applied. */
/* The file s learns into, or NULL for its default one: a file belongs to
 * the server that names it, also where a vhost shares its parent's
 * configuration. */
const char *tlsi_ca_learn_file(const tlsi_srv_conf_t *conf,
                               const server_rec *s);
int tlsi_enabled(const tlsi_srv_conf_t *conf);
int tlsi_fit_fragment(const tlsi_srv_conf_t *conf);
int tlsi_ca_learn(const tlsi_srv_conf_t *conf);
const tlsi_agent_rules_t *tlsi_agents(const tlsi_srv_conf_t *conf);
/* The client stacks that get a list of their own (built-ins unless set). */
const tlsi_classes_t *tlsi_classes(const tlsi_srv_conf_t *conf);
/* Whether client stacks refused after the fitted list are explored. */
int tlsi_client_learn(const tlsi_srv_conf_t *conf);
/* Seconds, or TLSI_MARGIN_OFF. */
int tlsi_keepalive_margin(const tlsi_srv_conf_t *conf);

/* pre_config: compile the built-in legacy-agent list. */
int tlsi_config_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp);

/* check_config: refuse one TLSInteropCALearn file named for two vhosts. */
int tlsi_config_check(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                      server_rec *base);

/* The CA list budget in bytes for s; meaningful with TLSI_CALIMIT_BYTES. */
tlsi_calimit_mode_e tlsi_ca_limit(const tlsi_srv_conf_t *conf,
                                  apr_size_t *budget);

#endif /* MOD_TLSINTEROP_CONFIG_H */
