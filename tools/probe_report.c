/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * probe_report: how tlsinterop-probe says what it found, as text or JSON.
 * The checks (tlsinterop-probe.c) fill a probe_report_t; nothing here
 * touches the network.
 */

#include <stdio.h>
#include <string.h>

#include <openssl/ssl.h>

#include "probe_report.h"
#include "tlsi_careq.h"
#include "tlsi_fragment.h"
#include "tlsi_version.h"

#define PROBE_VERSION TLSI_VERSION

void probe_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\') {
            fprintf(out, "\\%c", c);
        }
        else if (c < 0x20 || c >= 0x7f) {
            fprintf(out, "\\u%04x", c);
        }
        else {
            fputc(c, out);
        }
    }
    fputc('"', out);
}

/* The smallest record size a client can use that holds len bytes, or 0. */
int probe_smallest_record(size_t len)
{
    unsigned int code;

    for (code = 1; code <= TLSI_FRAGMENT_CODES; code++) {
        if (len <= TLSI_FRAGMENT_BYTES(code)) {
            return (int)TLSI_FRAGMENT_BYTES(code);
        }
    }
    return len <= TLSI_MAX_RECORD_PLAINTEXT ? TLSI_MAX_RECORD_PLAINTEXT : 0;
}

/* -- text ------------------------------------------------------------- */

static void print_handshake_text(const probe_handshake_t *hs)
{
    const probe_msg_t *certreq = probe_track_find(&hs->track,
                                                  SSL3_MT_CERTIFICATE_REQUEST);
    const probe_msg_t *cert = probe_track_find(&hs->track, SSL3_MT_CERTIFICATE);
    int i;

    if (hs->maxfrag) {
        printf("\nHandshake with max_fragment_length %d%s: %s, %s\n",
               hs->maxfrag, hs->maxfrag_accepted ? "" : " (not accepted)",
               hs->version, hs->cipher);
    }
    else {
        printf("\nHandshake: %s, %s\n", hs->version, hs->cipher);
    }
    printf("  %-22s %7s %8s\n", "server message", "bytes", "records");
    for (i = 0; i < hs->track.count; i++) {
        const probe_msg_t *m = &hs->track.msgs[i];

        printf("  %-22s %7zu %8d%s\n", probe_message_name(m->type), m->len,
               m->records, m->records > 1 ? "  SPLIT" : "");
    }
    if (certreq != NULL) {
        int fits = probe_smallest_record(certreq->len);

        printf("  CertificateRequest: %zu bytes, %d CA names, %s\n",
               certreq->len, hs->ca_names,
               certreq->records > 1 ? "split across records" : "in one record");
        if (fits) {
            printf("    the smallest record size that holds it: %d bytes\n",
                   fits);
        }
        else {
            printf("    no record holds it: it must shrink to %d bytes or "
                   "less\n", TLSI_MAX_RECORD_PLAINTEXT);
        }
    }
    else {
        printf("  no CertificateRequest: the server asks for no client "
               "certificate\n");
    }
    if (cert != NULL) {
        printf("  Certificate: %zu bytes\n", cert->len);
    }
    if (hs->client_cert_required) {
        printf("  the server requires a client certificate: the connection "
               "checks were skipped\n");
    }
}

static void print_connection_text(const probe_opts_t *o,
                                  const probe_connection_t *c)
{
    const probe_response_t *r = &c->resp;

    if (!c->ran) {
        return;
    }
    printf("\nConnection: %s\n", c->request);
    printf("  response: %s\n", r->status_line);
    printf("  Connection: %s\n", r->connection[0] ? r->connection : "(none)");
    printf("  Keep-Alive: %s\n", r->keep_alive[0] ? r->keep_alive : "(none)");
    if (r->says_close) {
        printf("  the response closes the connection; the server then sent "
               "%s after %.1f s\n", probe_close_name(c->how), c->after);
    }
    else if (c->how == PROBE_CLOSE_STILL_OPEN) {
        printf("  the connection was still open after %d s idle (--idle)\n",
               o->idle);
    }
    else {
        printf("  the server closed the idle connection after %.1f s: %s\n",
               c->after, probe_close_name(c->how));
        if (r->keep_alive_timeout >= 0) {
            printf("  advertised timeout %d s: the close came %s it\n",
                   r->keep_alive_timeout,
                   c->after < r->keep_alive_timeout ? "before" : "after");
        }
    }
}

static void print_offer_text(const probe_chain_t *chain,
                             const probe_handshake_t *hs)
{
    const probe_offer_t *r = &hs->offer;
    const X509_NAME *issuers[PROBE_MAX_ISSUERS];
    char name[512];
    int count, i;

    printf("  %s", hs->version);
    if (hs->maxfrag) {
        printf(" with max_fragment_length %d", hs->maxfrag);
    }
    switch (r->verdict) {
    case PROBE_OFFER_NO_REQUEST:
        printf(", no CertificateRequest: a client sends no certificate\n");
        break;
    case PROBE_OFFER_EMPTY_LIST:
        printf(", no CA names advertised: a client would offer it (any "
               "certificate will do)\n");
        break;
    case PROBE_OFFER_MATCH:
        printf(", %d CA name%s advertised: a client would offer it\n"
               "    certificate %d%s was issued by an advertised CA: %s\n",
               r->names, r->names > 1 ? "s" : "", r->matched + 1,
               r->matched ? "" : " (the leaf)",
               probe_name_text(X509_get_issuer_name(
                   probe_chain_get(chain, r->matched)), name, sizeof(name)));
        break;
    default:
        printf(", %d CA name%s advertised: a client would NOT offer it\n"
               "    no certificate in the chain was issued by an advertised "
               "CA; to fix it,\n", r->names, r->names > 1 ? "s" : "");
        count = probe_chain_issuers(chain, issuers, PROBE_MAX_ISSUERS);
        printf("    advertise the leaf's issuer (serves every client):\n"
               "      %s\n", probe_name_text(issuers[0], name, sizeof(name)));
        if (count > 1) {
            printf("    or one further up (serves only clients that present "
                   "their chain):\n");
        }
        for (i = 1; i < count; i++) {
            printf("      %s\n", probe_name_text(issuers[i], name,
                                                 sizeof(name)));
        }
    }
}

static void print_cert_text(const probe_chain_t *chain,
                            const probe_handshake_t *hs,
                            const probe_handshake_t *frag)
{
    char name[512];
    int n = probe_chain_count(chain), i;

    printf("\nClient certificate: %s (%d certificate%s, leaf first)\n",
           chain->file, n, n > 1 ? "s" : "");
    for (i = 0; i < n; i++) {
        X509 *cert = probe_chain_get(chain, i);

        printf("  %d. %s\n", i + 1,
               probe_name_text(X509_get_subject_name(cert), name,
                               sizeof(name)));
        printf("     issued by %s\n",
               probe_name_text(X509_get_issuer_name(cert), name,
                               sizeof(name)));
    }
    print_offer_text(chain, hs);
    if (frag != NULL) {
        print_offer_text(chain, frag);
    }
}

/* text, folded at spaces to 78 columns: first line after lead, the rest
 * after indent spaces. */
static void print_folded(const char *lead, int indent, const char *text)
{
    int column = printf("%s", lead), first = 1;

    while (*text) {
        size_t word = strcspn(text, " ");

        if (!first && column + 1 + (int)word > 78) {
            printf("\n%*s", indent, "");
            column = indent;
        }
        else {
            column += printf(" ");
        }
        column += printf("%.*s", (int)word, text);
        text += word;
        text += strspn(text, " ");
        first = 0;
    }
    printf("\n");
}

static void print_recognised_text(const probe_handshake_t *hs,
                                  const probe_handshake_t *nss)
{
    const probe_msg_t *mine = probe_track_find(&nss->track,
                                               SSL3_MT_CERTIFICATE_REQUEST);

    if (mine == NULL) {
        return;
    }
    printf("\nA client recognised as NSS (Firefox: the delegated_credentials "
           "extension):\n  CertificateRequest %zu bytes, %d CA names, in %d "
           "record(s): %s\n", mine->len, nss->ca_names, mine->records,
           nss->ca_names > hs->ca_names
           ? "the server gives such clients a longer list than others"
           : "the same list as other clients");
}

void probe_report_text(const probe_report_t *r)
{
    const probe_opts_t *o = r->opts;
    const probe_handshake_t *hs = r->hs, *frag = r->frag, *nss = r->nss;
    const probe_connection_t *conn = r->conn;
    const probe_chain_t *chain = r->chain;
    const probe_problem_t *problems = r->problems->items;
    int problem_count = r->problems->count, i;

    printf("tlsinterop-probe %s: %s port %s", PROBE_VERSION, o->host, o->port);
    if (r->server_name) {
        printf(" (SNI %s)", r->server_name);
    }
    printf("\n");
    print_handshake_text(hs);
    if (frag != NULL) {
        print_handshake_text(frag);
    }
    if (nss != NULL) {
        print_recognised_text(hs, nss);
    }
    if (chain != NULL) {
        print_cert_text(chain, hs, frag);
    }
    print_connection_text(o, conn);
    if (problem_count == 0) {
        printf("\nVerdict: no problem found.\n");
        return;
    }
    printf("\nVerdict: %d problem%s found.\n", problem_count,
           problem_count > 1 ? "s" : "");
    for (i = 0; i < problem_count; i++) {
        char lead[16];

        snprintf(lead, sizeof(lead), "  %d.", i + 1);
        print_folded(lead, 5, problems[i].text);
        print_folded("     What to do:", 5, problems[i].fix);
    }
}

static void print_handshake_json(const probe_handshake_t *hs)
{
    const probe_msg_t *certreq = probe_track_find(&hs->track,
                                                  SSL3_MT_CERTIFICATE_REQUEST);
    const probe_msg_t *cert = probe_track_find(&hs->track, SSL3_MT_CERTIFICATE);
    int i;

    printf("{\"version\": ");
    probe_json_string(stdout, hs->version);
    printf(", \"cipher\": ");
    probe_json_string(stdout, hs->cipher);
    if (hs->maxfrag) {
        printf(", \"max_fragment_length\": %d, \"max_fragment_length_accepted\": "
               "%s", hs->maxfrag, hs->maxfrag_accepted ? "true" : "false");
    }
    printf(", \"messages\": [");
    for (i = 0; i < hs->track.count; i++) {
        printf("%s{\"type\": \"%s\", \"bytes\": %zu, \"records\": %d}",
               i ? ", " : "", probe_message_name(hs->track.msgs[i].type),
               hs->track.msgs[i].len, hs->track.msgs[i].records);
    }
    printf("], \"certificate_request\": ");
    if (certreq != NULL) {
        printf("{\"bytes\": %zu, \"ca_names\": %d, \"records\": %d, "
               "\"fits_one_record\": %s, \"smallest_record_size\": %d}",
               certreq->len, hs->ca_names, certreq->records,
               certreq->records <= 1 ? "true" : "false",
               probe_smallest_record(certreq->len));
    }
    else {
        printf("null");
    }
    printf(", \"certificate_bytes\": %zu, \"client_certificate_required\": %s}",
           cert ? cert->len : 0, hs->client_cert_required ? "true" : "false");
}

static void print_offer_json(const probe_chain_t *chain,
                             const probe_handshake_t *hs)
{
    static const char *const verdicts[] = {
        "no-certificate-request", "empty-list", "issuer-advertised",
        "issuer-not-advertised", "unreadable"
    };
    const probe_offer_t *r = &hs->offer;
    char name[512];

    printf("{\"version\": ");
    probe_json_string(stdout, hs->version);
    printf(", \"max_fragment_length\": ");
    if (hs->maxfrag) {
        printf("%d", hs->maxfrag);
    }
    else {
        printf("null");
    }
    printf(", \"verdict\": \"%s\", \"offered\": %s, \"ca_names\": %d, "
           "\"matched_index\": ", verdicts[r->verdict],
           probe_offer_ok(r) ? "true" : "false", r->names);
    if (r->matched >= 0) {
        printf("%d, \"matched_issuer\": ", r->matched);
        probe_json_string(stdout, probe_name_text(X509_get_issuer_name(
                        probe_chain_get(chain, r->matched)), name,
                        sizeof(name)));
    }
    else {
        printf("null, \"matched_issuer\": null");
    }
    printf("}");
}

static void print_cert_json(const probe_chain_t *chain,
                            const probe_handshake_t *hs,
                            const probe_handshake_t *frag)
{
    const X509_NAME *issuers[PROBE_MAX_ISSUERS];
    char name[512];
    int offered = probe_offer_ok(&hs->offer), i, count = 0;

    if (frag != NULL) {
        offered = offered && probe_offer_ok(&frag->offer);
    }
    printf("{\"file\": ");
    probe_json_string(stdout, chain->file);
    printf(", \"chain\": [");
    for (i = 0; i < probe_chain_count(chain); i++) {
        X509 *cert = probe_chain_get(chain, i);

        printf("%s{\"subject\": ", i ? ", " : "");
        probe_json_string(stdout, probe_name_text(X509_get_subject_name(cert),
                                                  name, sizeof(name)));
        printf(", \"issuer\": ");
        probe_json_string(stdout, probe_name_text(X509_get_issuer_name(cert),
                                                  name, sizeof(name)));
        printf("}");
    }
    printf("], \"offered\": %s, \"checks\": [", offered ? "true" : "false");
    print_offer_json(chain, hs);
    if (frag != NULL) {
        printf(", ");
        print_offer_json(chain, frag);
    }
    /* The names that would fix it, only when names are what is missing. */
    if (hs->offer.verdict == PROBE_OFFER_NO_MATCH
        || (frag != NULL && frag->offer.verdict == PROBE_OFFER_NO_MATCH)) {
        count = probe_chain_issuers(chain, issuers, PROBE_MAX_ISSUERS);
    }
    printf("], \"fix\": [");
    for (i = 0; i < count; i++) {
        printf("%s", i ? ", " : "");
        probe_json_string(stdout,
                          probe_name_text(issuers[i], name, sizeof(name)));
    }
    printf("]}");
}

void probe_report_json(const probe_report_t *r)
{
    const probe_opts_t *o = r->opts;
    const probe_handshake_t *hs = r->hs, *frag = r->frag, *nss = r->nss;
    const probe_connection_t *c = r->conn;
    const probe_chain_t *chain = r->chain;
    const probe_problem_t *problems = r->problems->items;
    const probe_msg_t *nss_certreq = nss == NULL ? NULL
        : probe_track_find(&nss->track, SSL3_MT_CERTIFICATE_REQUEST);
    int problem_count = r->problems->count, i;

    printf("{\"target\": ");
    probe_json_string(stdout, o->target);
    printf(", \"host\": ");
    probe_json_string(stdout, o->host);
    printf(", \"port\": %s, \"sni\": ", o->port);
    if (r->server_name) {
        probe_json_string(stdout, r->server_name);
    }
    else {
        printf("null");
    }
    printf(", \"handshake\": ");
    print_handshake_json(hs);
    printf(", \"max_fragment_length_handshake\": ");
    if (frag != NULL) {
        print_handshake_json(frag);
    }
    else {
        printf("null");
    }
    printf(", \"recognised_client\": ");
    if (nss_certreq != NULL) {
        printf("{\"trait\": \"nss\", \"certificate_request\": {\"bytes\": "
               "%zu, \"ca_names\": %d, \"records\": %d}, "
               "\"longer_than_others\": %s}", nss_certreq->len, nss->ca_names,
               nss_certreq->records,
               nss->ca_names > hs->ca_names ? "true" : "false");
    }
    else {
        printf("null");
    }
    printf(", \"connection\": ");
    if (c->ran) {
        printf("{\"request\": ");
        probe_json_string(stdout, c->request);
        printf(", \"status\": ");
        probe_json_string(stdout, c->resp.status_line);
        printf(", \"connection_header\": ");
        probe_json_string(stdout, c->resp.connection);
        printf(", \"keep_alive_header\": ");
        probe_json_string(stdout, c->resp.keep_alive);
        printf(", \"keep_alive_timeout\": %d, \"response_closes\": %s, "
               "\"close\": \"%s\", \"closed_after\": %.2f, \"waited\": %.0f}",
               c->resp.keep_alive_timeout,
               c->resp.says_close ? "true" : "false", probe_close_name(c->how),
               c->after, c->waited);
    }
    else {
        printf("null");
    }
    printf(", \"client_certificate\": ");
    if (chain != NULL) {
        print_cert_json(chain, hs, frag);
    }
    else {
        printf("null");
    }
    printf(", \"problems\": [");
    for (i = 0; i < problem_count; i++) {
        printf("%s{\"id\": \"%s\", \"text\": ", i ? ", " : "", problems[i].id);
        probe_json_string(stdout, problems[i].text);
        printf(", \"fix\": ");
        probe_json_string(stdout, problems[i].fix);
        printf("}");
    }
    printf("], \"exit\": %d}\n", problem_count ? 1 : 0);
}
