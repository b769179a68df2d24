/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * probe_report: what tlsinterop-probe found, and how it says it (text or
 * JSON).  tlsinterop-probe.c runs the handshakes and the checks; this part
 * only reports them.
 */
#ifndef PROBE_REPORT_H
#define PROBE_REPORT_H

#include <stdio.h>

#include "probe_cert.h"
#include "probe_http.h"
#include "probe_net.h"
#include "probe_track.h"

#define PROBE_MAX_PROBLEMS 16
/* Issuers of a --cert chain that a report names. */
#define PROBE_MAX_ISSUERS 16

/* The command line. */
typedef struct probe_opts {
    const char *target, *sni, *agent, *path, *cert;
    char host[256], port[8];
    int version, insecure, maxfrag, idle, json, timeout;
} probe_opts_t;

/* One handshake and what it showed. */
typedef struct probe_handshake {
    int maxfrag;                    /* negotiated length asked for, or 0 */
    int maxfrag_accepted;
    probe_track_t track;
    char version[32], cipher[64];
    int tls13;
    int client_cert_required;
    int ca_names;                   /* in the CertificateRequest, or -1 */
    probe_offer_t offer;            /* --cert: would a client offer it */
} probe_handshake_t;

/* The keep-alive request and how the connection ended. */
typedef struct probe_connection {
    int ran;
    char request[600];
    probe_response_t resp;
    probe_close_e how;
    double after;                   /* seconds from the response to the close */
    double waited;                  /* how long the probe was willing to wait */
    int legacy_agent;
} probe_connection_t;

/* One problem found, with what to do. */
typedef struct probe_problem {
    const char *id;
    char text[600];
    char fix[2048];                 /* room for a few CA names */
} probe_problem_t;

typedef struct probe_problems {
    probe_problem_t items[PROBE_MAX_PROBLEMS];
    int count;
} probe_problems_t;

/* Everything one report says; NULL for the parts not run. */
typedef struct probe_report {
    const probe_opts_t *opts;
    const char *server_name;            /* SNI sent, or NULL */
    const probe_handshake_t *hs;
    const probe_handshake_t *frag;      /* --maxfrag */
    const probe_handshake_t *nss;       /* as a client recognised as NSS */
    const probe_connection_t *conn;
    const probe_chain_t *chain;         /* --cert */
    const probe_problems_t *problems;
} probe_report_t;

void probe_report_text(const probe_report_t *r);
void probe_report_json(const probe_report_t *r);

/* s as a JSON string. */
void probe_json_string(FILE *out, const char *s);

/* The smallest record size a client can use that holds len bytes, or 0. */
int probe_smallest_record(size_t len);

#endif /* PROBE_REPORT_H */
