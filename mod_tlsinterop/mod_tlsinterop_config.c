/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include <apr_hash.h>
#include <apr_strings.h>

#include "mod_tlsinterop_log.h"
#include "mod_tlsinterop_config.h"
#include "mod_tlsinterop_learn.h"
#include "tlsi_names.h"

APLOG_USE_MODULE(tlsinterop);

#define DEFAULT_KEEPALIVE_MARGIN 1

/* The built-in legacy agent list and client classes of this
 * configuration generation. */
static tlsi_agent_rules_t *builtin_agents;
static tlsi_classes_t *builtin_classes;

/*
 * Only the main server and the vhosts that set one of the module's
 * directives get a configuration of their own (the module does not ask
 * httpd to merge for every vhost): the others share their parent's, so a
 * vhost costs the module no memory, and mass hosting with thousands of
 * vhosts stays flat.
 */
void *tlsi_create_srv_conf(apr_pool_t *p, server_rec *s)
{
    tlsi_srv_conf_t *conf = apr_pcalloc(p, sizeof(*conf));

    (void)s;
    conf->enabled = TLSI_UNSET;
    conf->ca_fit_fragment = TLSI_UNSET;
    conf->ca_learn = TLSI_UNSET;
    conf->client_learn = TLSI_UNSET;
    conf->ka_margin = TLSI_UNSET;
    return conf;
}

void *tlsi_merge_srv_conf(apr_pool_t *p, void *basev, void *addv)
{
    const tlsi_srv_conf_t *base = basev, *add = addv;
    tlsi_srv_conf_t *merged = apr_pcalloc(p, sizeof(*merged));

    merged->enabled = add->enabled != TLSI_UNSET ? add->enabled : base->enabled;
    merged->ca_fit_fragment = add->ca_fit_fragment != TLSI_UNSET
                              ? add->ca_fit_fragment : base->ca_fit_fragment;
    merged->agents = add->agents ? add->agents : base->agents;
    merged->classes = add->classes ? add->classes : base->classes;
    merged->client_learn = add->client_learn != TLSI_UNSET
                           ? add->client_learn : base->client_learn;
    /* A learned-names file belongs to the vhost that names it: a vhost
     * that inherits "learn" gets its own default file. */
    merged->ca_learn = add->ca_learn != TLSI_UNSET ? add->ca_learn
                                                   : base->ca_learn;
    merged->ca_learn_file = add->ca_learn_file;
    merged->ca_learn_where = add->ca_learn_where;
    merged->ca_learn_owner = add->ca_learn_owner;
    merged->ka_margin = add->ka_margin != TLSI_UNSET ? add->ka_margin
                                                     : base->ka_margin;
    if (add->ca_limit_mode != TLSI_CALIMIT_UNSET) {
        merged->ca_limit_mode = add->ca_limit_mode;
        merged->ca_limit_bytes = add->ca_limit_bytes;
        merged->ca_limit_arg = add->ca_limit_arg;
    }
    else {
        merged->ca_limit_mode = base->ca_limit_mode;
        merged->ca_limit_bytes = base->ca_limit_bytes;
        merged->ca_limit_arg = base->ca_limit_arg;
    }
    if (add->ca_prefer != NULL) {
        merged->ca_prefer = add->ca_prefer;
        merged->ca_prefer_path = add->ca_prefer_path;
    }
    else {
        merged->ca_prefer = base->ca_prefer;
        merged->ca_prefer_path = base->ca_prefer_path;
    }
    return merged;
}

const char *tlsi_ca_learn_file(const tlsi_srv_conf_t *conf,
                               const server_rec *s)
{
    return conf->ca_learn_owner == s ? conf->ca_learn_file : NULL;
}

int tlsi_enabled(const tlsi_srv_conf_t *conf)
{
    return conf->enabled != 0;
}

int tlsi_fit_fragment(const tlsi_srv_conf_t *conf)
{
    return conf->ca_fit_fragment != 0;
}

int tlsi_ca_learn(const tlsi_srv_conf_t *conf)
{
    return conf->ca_learn != 0;
}

int tlsi_client_learn(const tlsi_srv_conf_t *conf)
{
    return conf->client_learn != 0;
}

const tlsi_classes_t *tlsi_classes(const tlsi_srv_conf_t *conf)
{
    return conf->classes ? conf->classes : builtin_classes;
}

const tlsi_agent_rules_t *tlsi_agents(const tlsi_srv_conf_t *conf)
{
    return conf->agents ? conf->agents : builtin_agents;
}

int tlsi_keepalive_margin(const tlsi_srv_conf_t *conf)
{
    return conf->ka_margin == TLSI_UNSET ? DEFAULT_KEEPALIVE_MARGIN
                                         : conf->ka_margin;
}

tlsi_calimit_mode_e tlsi_ca_limit(const tlsi_srv_conf_t *conf,
                                  apr_size_t *budget)
{
    if (conf->ca_limit_mode == TLSI_CALIMIT_UNSET) {
        *budget = TLSI_CALIMIT_AUTO;
        return TLSI_CALIMIT_BYTES;
    }
    *budget = conf->ca_limit_bytes;
    return conf->ca_limit_mode;
}

static tlsi_srv_conf_t *conf_of(cmd_parms *cmd)
{
    return ap_get_module_config(cmd->server->module_config, &tlsinterop_module);
}

tlsi_srv_state_t *tlsi_srv_state_make(apr_pool_t *pconf, server_rec *s)
{
    tlsi_srv_conf_t *conf = ap_get_module_config(s->module_config,
                                                 &tlsinterop_module);

    if (conf->state == NULL) {
        /* The configuration may be its parent's: s gets a copy of its own
         * to hang its state on. */
        conf = apr_pmemdup(pconf, conf, sizeof(*conf));
        conf->state = apr_pcalloc(pconf, sizeof(*conf->state));
        conf->state->counter_slot = -1;
        ap_set_module_config(s->module_config, &tlsinterop_module, conf);
    }
    return conf->state;
}

static const char *set_ca_limit(cmd_parms *cmd, void *dconf, const char *arg)
{
    tlsi_srv_conf_t *conf = conf_of(cmd);
    const char *err;

    (void)dconf;
    err = tlsi_parse_ca_limit(arg, &conf->ca_limit_mode, &conf->ca_limit_bytes);
    if (err != NULL) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not valid; %s",
                            cmd->cmd->name, arg, err);
    }
    if (conf->ca_limit_mode != TLSI_CALIMIT_BYTES
        && conf->ca_prefer_path != NULL) {
        return apr_psprintf(cmd->pool, "%s %s: conflicts with "
                            "TLSInteropCAListPrefer above in the same "
                            "context, which only orders a trimmed list; use "
                            "auto or a number of bytes, or remove one",
                            cmd->cmd->name, arg);
    }
    conf->ca_limit_arg = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

static const char *set_ca_prefer(cmd_parms *cmd, void *dconf, const char *arg)
{
    tlsi_srv_conf_t *conf = conf_of(cmd);
    const char *err, *path;

    (void)dconf;
    if (conf->ca_limit_mode == TLSI_CALIMIT_NONE
        || conf->ca_limit_mode == TLSI_CALIMIT_OFF) {
        return apr_psprintf(cmd->pool, "%s: conflicts with "
                            "TLSInteropCAListLimit %s above in the same "
                            "context: it only orders a trimmed list; set "
                            "TLSInteropCAListLimit auto or a number of "
                            "bytes, or remove one", cmd->cmd->name,
                            conf->ca_limit_arg);
    }
    path = ap_server_root_relative(cmd->pool, arg);
    if (path == NULL) {
        return apr_psprintf(cmd->pool, "%s: invalid file path '%s'",
                            cmd->cmd->name, arg);
    }
    /* Read now, so that apache2ctl -t reports a bad file. */
    err = tlsi_pem_subjects(cmd->pool, path, &conf->ca_prefer);
    if (err != NULL) {
        conf->ca_prefer = NULL;
        return apr_psprintf(cmd->pool, "%s: %s; it must hold the PEM "
                            "certificates whose subjects are advertised first",
                            cmd->cmd->name, err);
    }
    conf->ca_prefer_path = path;
    return NULL;
}

static const char *set_enabled(cmd_parms *cmd, void *dconf, int flag)
{
    (void)dconf;
    conf_of(cmd)->enabled = flag;
    return NULL;
}

static const char *set_fit_fragment(cmd_parms *cmd, void *dconf, int flag)
{
    (void)dconf;
    conf_of(cmd)->ca_fit_fragment = flag;
    return NULL;
}

static const char *set_client_learn(cmd_parms *cmd, void *dconf, int flag)
{
    (void)dconf;
    conf_of(cmd)->client_learn = flag;
    return NULL;
}

static const char *set_ca_learn(cmd_parms *cmd, void *dconf, const char *arg)
{
    tlsi_srv_conf_t *conf = conf_of(cmd);

    (void)dconf;
    conf->ca_learn_file = NULL;
    if (!strcasecmp(arg, "off") || !strcasecmp(arg, "on")) {
        conf->ca_learn = !strcasecmp(arg, "on");
        return NULL;
    }
    if (*arg == '\0' || arg[strlen(arg) - 1] == '/') {
        return apr_psprintf(cmd->pool, "%s: '%s' is not valid; use on, off "
                            "or the path of a file (not a directory) for "
                            "the names this vhost learns", cmd->cmd->name,
                            arg);
    }
    conf->ca_learn_file = ap_server_root_relative(cmd->pool, arg);
    if (conf->ca_learn_file == NULL) {
        return apr_psprintf(cmd->pool, "%s: invalid file path '%s'",
                            cmd->cmd->name, arg);
    }
    conf->ca_learn = 1;
    conf->ca_learn_owner = cmd->server;
    conf->ca_learn_where = apr_psprintf(cmd->pool, "%s:%d",
                                        cmd->directive->filename,
                                        cmd->directive->line_num);
    return NULL;
}

/* A vhost that names classes starts from the built-ins, not from its
 * parent's lines (as other list directives of httpd replace). */
static const char *set_client_class(cmd_parms *cmd, void *dconf,
                                    const char *what, const char *bytes)
{
    tlsi_srv_conf_t *conf = conf_of(cmd);
    const char *err;

    (void)dconf;
    if (conf->classes == NULL) {
        conf->classes = tlsi_classes_builtin(cmd->pool);
    }
    err = tlsi_classes_add(cmd->pool, conf->classes, what, bytes);
    return err ? apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err)
               : NULL;
}

static const tlsi_agent_rule_t *find_rule(const tlsi_agent_rules_t *rules,
                                          const char *pattern)
{
    int i;

    for (i = 0; i < rules->rules->nelts; i++) {
        const tlsi_agent_rule_t *rule = &APR_ARRAY_IDX(rules->rules, i,
                                                       tlsi_agent_rule_t);
        if (!strcmp(rule->pattern, pattern)) {
            return rule;
        }
    }
    return NULL;
}

static const char *add_legacy_agent(cmd_parms *cmd, void *dconf,
                                    const char *pattern, const char *option)
{
    tlsi_srv_conf_t *conf = conf_of(cmd);
    tlsi_shutdown_e mode = TLSI_SHUTDOWN_STANDARD;
    const tlsi_agent_rule_t *listed;
    const char *err;

    (void)dconf;
    /* The first rule in a context replaces the inherited list. */
    if (conf->agents == NULL) {
        conf->agents = tlsi_agent_rules_make(cmd->pool);
    }
    if (!strcmp(pattern, "none")) {
        if (option != NULL) {
            return apr_psprintf(cmd->pool, "%s: none takes no option",
                                cmd->cmd->name);
        }
        if (conf->agents->rules->nelts > 0) {
            return apr_psprintf(cmd->pool, "%s none: conflicts with the "
                                "rules above it in the same context; keep "
                                "either none or the rules", cmd->cmd->name);
        }
        return NULL;
    }
    if ((listed = find_rule(conf->agents, pattern)) != NULL) {
        return apr_psprintf(cmd->pool, "%s: '%s' is already listed in this "
                            "context (with shutdown=%s); the first match "
                            "wins, so list each regular expression once",
                            cmd->cmd->name, pattern,
                            tlsi_shutdown_name(listed->shutdown));
    }
    if (option != NULL
        && (err = tlsi_parse_shutdown_option(option, &mode)) != NULL) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not valid; %s",
                            cmd->cmd->name, option, err);
    }
    err = tlsi_agent_rules_add(conf->agents, cmd->pool, pattern, mode);
    return err ? apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err) : NULL;
}

static const char *set_keepalive_margin(cmd_parms *cmd, void *dconf,
                                        const char *arg)
{
    tlsi_srv_conf_t *conf = conf_of(cmd);
    int off = 0, seconds = 0;
    const char *err = tlsi_parse_margin(arg, &off, &seconds);

    (void)dconf;
    if (err != NULL) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not valid; %s",
                            cmd->cmd->name, arg, err);
    }
    conf->ka_margin = off ? TLSI_MARGIN_OFF : seconds;
    return NULL;
}

/* Two vhosts learning into one file would mix their names. */
int tlsi_config_check(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *base)
{
    apr_hash_t *seen = apr_hash_make(ptemp);
    server_rec *s;

    (void)pconf;
    for (s = base; s != NULL; s = s->next) {
        const tlsi_srv_conf_t *conf = tlsi_srv_conf(s), *other;

        if (tlsi_ca_learn_file(conf, s) == NULL) {
            continue;
        }
        other = apr_hash_get(seen, conf->ca_learn_file, APR_HASH_KEY_STRING);
        if (other != NULL && other != conf) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, NULL,
                         TLSILOGNO(0001)
                         "TLSInteropCALearn: '%s' is named at %s and again "
                         "at %s; each vhost needs a file of its own, or "
                         "'on' for its default file",
                         conf->ca_learn_file, other->ca_learn_where,
                         conf->ca_learn_where);
            return !OK;
        }
        apr_hash_set(seen, conf->ca_learn_file, APR_HASH_KEY_STRING, conf);
    }
    (void)plog;
    return OK;
}

int tlsi_config_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                                  apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    builtin_agents = tlsi_agent_rules_builtin(pconf);
    builtin_classes = tlsi_classes_builtin(pconf);
    return OK;
}

const command_rec tlsi_cmds[] = {
    AP_INIT_FLAG("TLSInterop", set_enabled, NULL, RSRC_CONF,
                 "On|Off: whether mod_tlsinterop acts in this server; "
                 "default On"),
    AP_INIT_TAKE1("TLSInteropCAListLimit", set_ca_limit, NULL, RSRC_CONF,
                  "auto|<bytes>|none|off: the largest CertificateRequest, in "
                  "bytes (256-16384), that the advertised CA names may make; "
                  "default auto, one TLS record (16384)"),
    AP_INIT_TAKE1("TLSInteropCAListPrefer", set_ca_prefer, NULL, RSRC_CONF,
                  "<file>: PEM certificates whose subjects are advertised "
                  "first, in file order, when the CA list is trimmed; "
                  "default none"),
    AP_INIT_FLAG("TLSInteropCAListFitFragment", set_fit_fragment, NULL,
                 RSRC_CONF, "On|Off: fit the CA list to a connection's "
                 "negotiated max_fragment_length; default On"),
    AP_INIT_TAKE1("TLSInteropCALearn", set_ca_learn, NULL, RSRC_CONF,
                  "on|off|<file>: learn which CAs issue the client "
                  "certificates that verify, and advertise them first "
                  "after the next restart when the list is trimmed; <file> "
                  "keeps them (on: " TLSI_LEARN_DEFAULT_DIR "/<host>_<port>"
                  ".pem, relative to ServerRoot); default on"),
    AP_INIT_TAKE12("TLSInteropLegacyAgent", add_legacy_agent, NULL, RSRC_CONF,
                   "<regex> [shutdown=standard|accurate|unclean], or none: "
                   "User-Agents that get Connection: close, and how the "
                   "connection is then closed; default \"MSIE [2-6]\\.\""),
    AP_INIT_TAKE1("TLSInteropKeepAliveMargin", set_keepalive_margin, NULL,
                  RSRC_CONF, "<seconds>|off: Keep-Alive: timeout= advertises "
                  "the enforced idle timeout less this margin (0-3600); "
                  "default 1"),
    AP_INIT_TAKE2("TLSInteropClientClass", set_client_class, NULL, RSRC_CONF,
                  "boringssl|nss|<JA4 fingerprint or prefix> <bytes>|off: "
                  "client stacks that take a CertificateRequest of up to "
                  "<bytes> (512-131071) get the largest CA list that fits, "
                  "on vhosts that ask for client certificates; default "
                  "boringssl 102400 and nss 131071"),
    AP_INIT_FLAG("TLSInteropClientLearn", set_client_learn, NULL, RSRC_CONF,
                 "On|Off: on a vhost with SSLVerifyClient require whose CA "
                 "list is trimmed, give a client stack refused after the "
                 "fitted list a larger one next time, and learn which "
                 "stacks take it; default On"),
    { NULL }
};
