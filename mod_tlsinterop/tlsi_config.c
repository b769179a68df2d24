/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include "httpd.h"
#include "http_config.h"

#include <apr_strings.h>

#include "tlsi_config.h"
#include "tlsi_names.h"

void *tlsi_create_srv_conf(apr_pool_t *p, server_rec *s)
{
    (void)s;
    return apr_pcalloc(p, sizeof(tlsi_srv_conf_t));
}

void *tlsi_merge_srv_conf(apr_pool_t *p, void *basev, void *addv)
{
    const tlsi_srv_conf_t *base = basev, *add = addv;
    tlsi_srv_conf_t *merged = apr_pcalloc(p, sizeof(*merged));

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

const tlsi_srv_conf_t *tlsi_srv_conf(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &tlsinterop_module);
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
    conf->ca_limit_arg = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

static const char *set_ca_prefer(cmd_parms *cmd, void *dconf, const char *arg)
{
    tlsi_srv_conf_t *conf = conf_of(cmd);
    const char *err, *path;

    (void)dconf;
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

const command_rec tlsi_cmds[] = {
    AP_INIT_TAKE1("TLSInteropCAListLimit", set_ca_limit, NULL, RSRC_CONF,
                  "auto|<bytes>|none|off: the largest CertificateRequest, in "
                  "bytes, that the advertised CA names may make (auto: 16384, "
                  "one TLS record)"),
    AP_INIT_TAKE1("TLSInteropCAListPrefer", set_ca_prefer, NULL, RSRC_CONF,
                  "<file>: PEM certificates whose subjects are advertised "
                  "first, in file order, when the CA list is trimmed"),
    { NULL }
};
