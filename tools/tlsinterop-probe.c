/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * tlsinterop-probe: diagnose a TLS server for the two interoperability
 * failures mod_tlsinterop fixes, from the outside, whatever the server.
 *
 *  1. Handshake messages split across records: each server handshake
 *     message with its size and the records that carried it, the
 *     CertificateRequest's CA names, optionally under a negotiated
 *     max_fragment_length.
 *  2. close_notify versus keep-alive: one keep-alive GET, what the response
 *     says about the connection, and when and how the server then closes
 *     it.
 *
 * With --cert, also whether a client that offers only certificates from an
 * advertised CA would offer a given one, since a trimmed CA list can hide
 * it (probe_cert).
 *
 * Exit status: 0 no problem found, 1 a problem found, 2 could not probe.
 */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "probe_cert.h"
#include "probe_report.h"
#include "probe_http.h"
#include "probe_net.h"
#include "probe_track.h"
#include "tlsi_agent.h"
#include "tlsi_careq.h"
#include "tlsi_fragment.h"
#include "tlsi_version.h"

/* One version for the module and its probe. */
#define PROBE_VERSION TLSI_VERSION
#define DEFAULT_AGENT "tlsinterop-probe/" PROBE_VERSION
#define IDLE_DEFAULT 30
#define IDLE_MAX 600
#define TIMEOUT_DEFAULT 10
#define TIMEOUT_MAX 300

static probe_problems_t found;

/* -- failing ------------------------------------------------------------ */

static int json_output;

/* Could not probe: one line, exit 2. */
static void fail(const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (json_output) {
        printf("{\"error\": ");
        probe_json_string(stdout, msg);
        printf(", \"exit\": 2}\n");
    }
    else {
        fprintf(stderr, "tlsinterop-probe: %s\n", msg);
    }
    exit(2);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: tlsinterop-probe [options] host[:port]\n"
            "  -s, --sni NAME       server name to send (default: host)\n"
            "  -2, --tls1.2         use TLS 1.2 only\n"
            "  -3, --tls1.3         use TLS 1.3 only\n"
            "  -k, --insecure       do not verify the server's certificate\n"
            "  -u, --ua AGENT       User-Agent of the request (default %s)\n"
            "  -p, --path PATH      path to request (default /)\n"
            "  -m, --maxfrag N      also handshake with max_fragment_length N\n"
            "                       (512, 1024, 2048 or 4096)\n"
            "  -i, --idle SECONDS   wait up to this long for the server to\n"
            "                       close an idle connection (default %d, "
            "at most %d)\n"
            "  -j, --json           print the report as JSON\n"
            "  -t, --timeout SECONDS  for each network step (default %d, "
            "at most %d)\n"
            "  -c, --cert FILE      would a client that filters by CA name "
            "offer this\n"
            "                       certificate? (PEM: the leaf, then the "
            "chain it\n"
            "                       presents)\n"
            "exit status: 0 no problem found, 1 a problem found, "
            "2 could not probe\n",
            DEFAULT_AGENT, IDLE_DEFAULT, IDLE_MAX, TIMEOUT_DEFAULT,
            TIMEOUT_MAX);
    exit(2);
}

static int number_arg(const char *arg, int min, int max, const char *what)
{
    char *end;
    long v = strtol(arg, &end, 10);

    if (*arg == '\0' || *end != '\0' || v < min || v > max) {
        fail("%s must be a whole number from %d to %d, not '%s'", what, min,
             max, arg);
    }
    return (int)v;
}

static void parse_options(int argc, char **argv, probe_opts_t *o)
{
    static const struct option longopts[] = {
        { "sni", required_argument, NULL, 's' },
        { "tls1.2", no_argument, NULL, '2' },
        { "tls1.3", no_argument, NULL, '3' },
        { "insecure", no_argument, NULL, 'k' },
        { "ua", required_argument, NULL, 'u' },
        { "path", required_argument, NULL, 'p' },
        { "maxfrag", required_argument, NULL, 'm' },
        { "idle", required_argument, NULL, 'i' },
        { "json", no_argument, NULL, 'j' },
        { "timeout", required_argument, NULL, 't' },
        { "cert", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    int c;

    memset(o, 0, sizeof(*o));
    o->agent = DEFAULT_AGENT;
    o->path = "/";
    o->idle = IDLE_DEFAULT;
    o->timeout = TIMEOUT_DEFAULT;
    /* Seen first, so that errors in other options come out as JSON. */
    for (c = 1; c < argc; c++) {
        json_output |= !strcmp(argv[c], "--json") || !strcmp(argv[c], "-j");
    }
    while ((c = getopt_long(argc, argv, "s:23ku:p:m:i:jt:c:h", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 's': o->sni = optarg; break;
        case '2': o->version = TLS1_2_VERSION; break;
        case '3': o->version = TLS1_3_VERSION; break;
        case 'k': o->insecure = 1; break;
        case 'u': o->agent = optarg; break;
        case 'p':
            if (optarg[0] != '/' || strpbrk(optarg, " \r\n")) {
                fail("the path must start with / and hold no spaces");
            }
            o->path = optarg;
            break;
        case 'm':
            o->maxfrag = number_arg(optarg, 512, 4096, "--maxfrag");
            if (o->maxfrag != 512 && o->maxfrag != 1024 && o->maxfrag != 2048
                && o->maxfrag != 4096) {
                fail("--maxfrag must be 512, 1024, 2048 or 4096");
            }
            break;
        case 'i': o->idle = number_arg(optarg, 0, IDLE_MAX, "--idle"); break;
        case 'j': o->json = 1; break;
        case 't':
            o->timeout = number_arg(optarg, 1, TIMEOUT_MAX, "--timeout");
            break;
        case 'c': o->cert = optarg; break;
        default: usage();
        }
    }
    if (optind != argc - 1) {
        usage();
    }
    o->target = argv[optind];
    if (probe_parse_target(o->target, o->host, sizeof(o->host), o->port,
                           sizeof(o->port)) < 0) {
        fail("'%s' is not host[:port]", o->target);
    }
    if (strpbrk(o->agent, "\r\n") || (o->sni && strpbrk(o->sni, "\r\n/ "))) {
        fail("the User-Agent and server name must be one line");
    }
}

/* -- the handshake ------------------------------------------------------ */

static int is_ip_literal(const char *host)
{
    return strspn(host, "0123456789.") == strlen(host) || strchr(host, ':');
}

static const char *server_name(const probe_opts_t *o)
{
    if (o->sni != NULL) {
        return o->sni;
    }
    return is_ip_literal(o->host) ? NULL : o->host;
}

static SSL_CTX *client_ctx(const probe_opts_t *o)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    if (ctx == NULL) {
        fail("cannot set up OpenSSL");
    }
    SSL_CTX_set_ciphersuites(ctx, PROBE_TLS13_SUITES);
    if (o->version) {
        SSL_CTX_set_min_proto_version(ctx, o->version);
        SSL_CTX_set_max_proto_version(ctx, o->version);
    }
    if (o->insecure) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    }
    else {
        SSL_CTX_set_default_verify_paths(ctx);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    }
    return ctx;
}

/* The first bytes the server sent, to tell a server that is not TLS. */
typedef struct {
    unsigned char bytes[48];
    size_t len;
} first_bytes_t;

static long remember_first_bytes(BIO *bio, int oper, const char *argp,
                                 size_t len, int argi, long argl, int ret,
                                 size_t *processed)
{
    first_bytes_t *first = (first_bytes_t *)BIO_get_callback_arg(bio);

    (void)len;
    (void)argi;
    (void)argl;
    if (oper == (BIO_CB_READ | BIO_CB_RETURN) && ret > 0 && processed
        && first->len < sizeof(first->bytes)) {
        size_t take = *processed;

        if (take > sizeof(first->bytes) - first->len) {
            take = sizeof(first->bytes) - first->len;
        }
        memcpy(first->bytes + first->len, argp, take);
        first->len += take;
    }
    return ret;
}

static int maxfrag_code(int bytes)
{
    switch (bytes) {
    case 512: return TLSEXT_max_fragment_length_512;
    case 1024: return TLSEXT_max_fragment_length_1024;
    case 2048: return TLSEXT_max_fragment_length_2048;
    default: return TLSEXT_max_fragment_length_4096;
    }
}

static int alert_means_certificate(void)
{
    int reason = ERR_GET_REASON(ERR_peek_last_error());

    return reason == SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE
           || reason == SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED
           || reason == SSL_R_SSLV3_ALERT_BAD_CERTIFICATE
           || reason == SSL_R_TLSV1_ALERT_UNKNOWN_CA
           || reason == SSL_R_TLSV1_ALERT_ACCESS_DENIED;
}

static int is_text(const first_bytes_t *first)
{
    size_t i;

    for (i = 0; i < first->len; i++) {
        if (first->bytes[i] < 0x20 || first->bytes[i] > 0x7e) {
            return 0;
        }
    }
    return 1;
}

/* Why a handshake failed, for exit 2. */
static void explain_failure(const probe_opts_t *o, SSL *ssl, int rc, int fd,
                            first_bytes_t *first)
{
    int why = SSL_get_error(ssl, rc);
    long verify = SSL_get_verify_result(ssl);
    const char *reason = ERR_reason_error_string(ERR_peek_last_error());

    if (why == SSL_ERROR_WANT_READ || why == SSL_ERROR_WANT_WRITE
        || (why == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK))) {
        fail("no TLS answer from %s port %s within %d s", o->host, o->port,
             o->timeout);
    }
    if (!o->insecure && verify != X509_V_OK) {
        fail("the server's certificate is not trusted: %s (-k skips the check)",
             X509_verify_cert_error_string(verify));
    }
    if (first->len >= 5 && !memcmp(first->bytes, "HTTP/", 5)) {
        fail("%s port %s is not a TLS server: it answered in plain HTTP",
             o->host, o->port);
    }
    if (first->len > 0 && is_text(first)) {
        /* OpenSSL read a record header's worth; show a little more. */
        ssize_t more = recv(fd, first->bytes + first->len,
                            sizeof(first->bytes) - first->len, MSG_DONTWAIT);

        if (more > 0) {
            first->len += (size_t)more;
            while (first->len > 0 && !is_text(first)) {
                first->len--;
            }
        }
        fail("%s port %s is not a TLS server: it answered in plain text "
             "(\"%.*s\")", o->host, o->port, (int)first->len, first->bytes);
    }
    if (first->len == 0) {
        fail("%s port %s closed the connection without answering the TLS "
             "handshake", o->host, o->port);
    }
    if (first->bytes[0] < 20 || first->bytes[0] > 23) {
        fail("%s port %s is not a TLS server: its answer is not a TLS record "
             "(first byte 0x%02x)", o->host, o->port, first->bytes[0]);
    }
    fail("the TLS handshake with %s port %s failed: %s", o->host, o->port,
         reason ? reason : "connection closed");
}

/*
 * One handshake.  On success returns the connection (or NULL when the
 * server wants a client certificate: hs->client_cert_required), else
 * exits with a reason.
 */
static SSL *handshake(const probe_opts_t *o, SSL_CTX *ctx, int maxfrag,
                      probe_handshake_t *hs, int *pfd)
{
    const char *name = server_name(o);
    const probe_msg_t *certreq;
    first_bytes_t first = { { 0 }, 0 };
    char err[512];
    SSL *ssl;
    int fd, rc;

    memset(hs, 0, sizeof(*hs));
    hs->maxfrag = maxfrag;
    hs->ca_names = -1;
    fd = probe_connect(o->host, o->port, o->timeout, err, sizeof(err));
    if (fd < 0) {
        fail("%s", err);
    }
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    BIO_set_callback_ex(SSL_get_rbio(ssl), remember_first_bytes);
    BIO_set_callback_arg(SSL_get_rbio(ssl), (char *)&first);
    if (name != NULL) {
        SSL_set_tlsext_host_name(ssl, name);
    }
    if (!o->insecure) {
        SSL_set1_host(ssl, name ? name : o->host);
    }
    if (maxfrag) {
        SSL_set_tlsext_max_fragment_length(ssl, maxfrag_code(maxfrag));
        SSL_set1_groups_list(ssl, PROBE_CONSTRAINED_GROUPS);
    }
    probe_track_init(&hs->track, -1, SSL3_MT_CERTIFICATE_REQUEST);
    probe_track_attach(&hs->track, ssl);
    probe_set_timeout(fd, o->timeout);

    ERR_clear_error();
    rc = SSL_connect(ssl);
    certreq = probe_track_find(&hs->track, SSL3_MT_CERTIFICATE_REQUEST);
    snprintf(hs->version, sizeof(hs->version), "%s", SSL_get_version(ssl));
    snprintf(hs->cipher, sizeof(hs->cipher), "%s", SSL_get_cipher(ssl));
    hs->tls13 = SSL_version(ssl) >= TLS1_3_VERSION;
    if (certreq != NULL && certreq->bytes != NULL) {
        tlsi_cr_info_t info;

        if (tlsi_cr_parse(certreq->bytes, certreq->len,
                          SSL_version(ssl) >= TLS1_3_VERSION, &info)) {
            hs->ca_names = (int)info.ca_names;
        }
    }
    if (rc != 1) {
        if (certreq != NULL && alert_means_certificate()) {
            hs->client_cert_required = 1;
            SSL_free(ssl);
            close(fd);
            return NULL;
        }
        explain_failure(o, ssl, rc, fd, &first);
    }
    if (maxfrag) {
        hs->maxfrag_accepted =
            SSL_SESSION_get_max_fragment_length(SSL_get_session(ssl)) != 0;
    }
    BIO_set_callback_ex(SSL_get_rbio(ssl), NULL);
    *pfd = fd;
    return ssl;
}

/* -- the connection ----------------------------------------------------- */

/* Whether the module's built-in TLSInteropLegacyAgent rules match agent:
 * the same rules, the same matcher (core/tlsi_agent.c). */
static int is_legacy_agent(const char *agent)
{
    const tlsi_agent_rules_t *rules;
    apr_pool_t *pool;
    int match;

    if (apr_pool_create(&pool, NULL) != APR_SUCCESS) {
        return 0;
    }
    rules = tlsi_agent_rules_builtin(pool);
    match = rules != NULL
            && tlsi_agent_match(rules, agent, strlen(agent)) != NULL;
    apr_pool_destroy(pool);
    return match;
}

static void check_connection(const probe_opts_t *o, SSL *ssl, int fd,
                             probe_handshake_t *hs, probe_connection_t *conn)
{
    const char *host = server_name(o) ? server_name(o) : o->host;
    char err[512];

    memset(conn, 0, sizeof(*conn));
    conn->legacy_agent = is_legacy_agent(o->agent);
    snprintf(conn->request, sizeof(conn->request),
             "GET %s HTTP/1.1, User-Agent: %s", o->path, o->agent);
    ERR_clear_error();
    if (probe_http_get(ssl, fd, host, o->path, o->agent, o->timeout,
                       &conn->resp, err, sizeof(err)) < 0) {
        if (alert_means_certificate()) {
            /* TLS 1.3: the server refuses our empty certificate now. */
            hs->client_cert_required = 1;
            return;
        }
        fail("%s", err);
    }
    conn->ran = 1;
    /* A closing response: the close follows at once.  A keep-alive one:
     * the server closes it when it has been idle long enough. */
    conn->waited = conn->resp.says_close ? o->timeout : o->idle;
    conn->how = probe_wait_close(ssl, fd, conn->waited, conn->resp.says_close,
                                 &conn->after);
}

/* -- the client certificate (--cert) ----------------------------------- */

/* Whether a client would offer the chain in answer to this handshake's
 * CertificateRequest. */
static void check_cert(const probe_chain_t *chain, probe_handshake_t *hs)
{
    const probe_msg_t *certreq = probe_track_find(&hs->track,
                                                  SSL3_MT_CERTIFICATE_REQUEST);

    if (certreq != NULL && certreq->bytes == NULL) {
        fail("out of memory keeping the CertificateRequest");
    }
    probe_offer_check(chain, certreq ? certreq->bytes : NULL,
                      certreq ? certreq->len : 0, hs->tls13, &hs->offer);
    if (hs->offer.verdict == PROBE_OFFER_UNREADABLE) {
        fail("the server's CertificateRequest is malformed: cannot tell "
             "whether a client would offer %s", chain->file);
    }
}

/* -- the verdict -------------------------------------------------------- */

static void add_problem(const char *id, const char *fix, const char *fmt, ...)
{
    probe_problem_t *p;
    va_list ap;

    if (found.count >= PROBE_MAX_PROBLEMS) {
        return;
    }
    p = &found.items[found.count++];
    p->id = id;
    va_start(ap, fmt);
    vsnprintf(p->text, sizeof(p->text), fmt, ap);
    va_end(ap);
    snprintf(p->fix, sizeof(p->fix), "%s", fix);
}

static void judge_handshake(const probe_handshake_t *hs)
{
    char where[64] = "";
    int i;

    if (hs->maxfrag) {
        snprintf(where, sizeof(where), " with max_fragment_length %d",
                 hs->maxfrag);
    }
    for (i = 0; i < hs->track.count; i++) {
        const probe_msg_t *m = &hs->track.msgs[i];

        if (m->records <= 1) {
            continue;
        }
        if (m->type == SSL3_MT_CERTIFICATE_REQUEST) {
            add_problem(hs->maxfrag ? "split-certificate-request-maxfrag"
                                    : "split-certificate-request",
                        "Advertise fewer client-CA names, so that the message "
                        "fits one record. Apache with mod_tlsinterop does this "
                        "by itself (TLSInteropCAListLimit, and "
                        "TLSInteropCAListFitFragment for max_fragment_length); "
                        "elsewhere keep a short list of the CAs to name "
                        "(SSLCADNRequestFile; nginx ssl_trusted_certificate "
                        "for CAs that need not be named).",
                        "The CertificateRequest%s (%zu bytes, %d CA names) is "
                        "split across %d records. Clients that cannot "
                        "reassemble a split handshake message abort: Windows "
                        "SChannel before Windows 7, many embedded TLS stacks.",
                        where, m->len, hs->ca_names, m->records);
        }
        else if (m->type == SSL3_MT_CERTIFICATE) {
            add_problem("split-certificate",
                        "Send a shorter chain (no root, no cross-signed "
                        "certificates), or use an ECDSA certificate.",
                        "The server's Certificate message%s (%zu bytes) is "
                        "split across %d records, which clients that cannot "
                        "reassemble handshake messages refuse.", where, m->len,
                        m->records);
        }
        else {
            add_problem("split-message", "Look at the server's TLS settings.",
                        "The %s message%s (%zu bytes) is split across %d "
                        "records.", probe_message_name(m->type), where, m->len,
                        m->records);
        }
    }
}

static void judge_connection(const probe_connection_t *c)
{
    const probe_response_t *r = &c->resp;

    if (!c->ran) {
        return;
    }
    if (c->legacy_agent && !r->says_close) {
        add_problem("legacy-agent-keep-alive",
                    "Send Connection: close to these agents: Apache with "
                    "mod_tlsinterop does by default (TLSInteropLegacyAgent).",
                    "This User-Agent belongs to a client that mishandles "
                    "close_notify (Internet Explorer 6 and older), yet the "
                    "response keeps the connection open: when the server later "
                    "closes it, the client reuses the dead socket and shows "
                    "\"Page cannot be displayed\".");
    }
    if (c->how == PROBE_CLOSE_FIN_ONLY) {
        add_problem("unclean-close",
                    "Send close_notify on every close: drop "
                    "ssl-unclean-shutdown settings (BrowserMatch, SetEnvIf) "
                    "and TLSInteropLegacyAgent ... shutdown=unclean rules that "
                    "match this client.",
                    "The server closed the connection without close_notify. "
                    "Clients report \"unexpected eof while reading\" and "
                    "cannot tell a cut-off response from a whole one.");
    }
    if (c->how == PROBE_CLOSE_RESET) {
        add_problem("reset", "Look for a proxy or firewall that resets idle "
                    "connections, or for a crashing server.",
                    "The server reset the connection instead of closing it.");
    }
    if (r->says_close || c->how == PROBE_CLOSE_STILL_OPEN) {
        return;
    }
    if (r->keep_alive_timeout < 0) {
        add_problem("no-keep-alive-timeout",
                    "Tell clients when idle connections close: Apache with "
                    "mod_tlsinterop sends Keep-Alive: timeout= (the enforced "
                    "timeout less TLSInteropKeepAliveMargin); nginx: the second "
                    "parameter of keepalive_timeout.",
                    "The response keeps the connection open without saying for "
                    "how long (no Keep-Alive: timeout=), and the server closed "
                    "it after %.1f s idle. A client that reuses it later fails: "
                    "Python's http.client raises RemoteDisconnected.",
                    c->after);
    }
    else if (c->after < r->keep_alive_timeout) {
        add_problem("early-close",
                    "Advertise less than the idle timeout the server enforces "
                    "(mod_tlsinterop computes it).",
                    "The server closed the idle connection after %.1f s, before "
                    "the advertised Keep-Alive timeout of %d s: clients that "
                    "honour the hint reuse a closed connection.", c->after,
                    r->keep_alive_timeout);
    }
}

/* fmt appended to the text in buf, truncated to fit. */
static void append(char *buf, size_t size, const char *fmt, ...)
{
    size_t used = strlen(buf);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf + used, size - used, fmt, ap);
    va_end(ap);
}

static void judge_cert(const probe_chain_t *chain, const probe_handshake_t *hs)
{
    const X509_NAME *issuers[PROBE_MAX_ISSUERS];
    char where[64] = "", fix[sizeof(found.items[0].fix)], name[512];
    int count, i;

    if (hs->maxfrag) {
        snprintf(where, sizeof(where), " with max_fragment_length %d",
                 hs->maxfrag);
    }
    if (hs->offer.verdict == PROBE_OFFER_NO_REQUEST) {
        add_problem(hs->maxfrag ? "no-certificate-request-maxfrag"
                                : "no-certificate-request",
                    "Ask for client certificates in the vhost (SSLVerifyClient "
                    "optional or require; nginx ssl_verify_client). A "
                    "per-directory SSLVerifyClient asks only after a request, "
                    "which the probe does not see.",
                    "The server sent no CertificateRequest%s: it asks for no "
                    "client certificate, so a client sends none, whatever it "
                    "holds.", where);
        return;
    }
    if (hs->offer.verdict != PROBE_OFFER_NO_MATCH) {
        return;
    }
    count = probe_chain_issuers(chain, issuers, PROBE_MAX_ISSUERS);
    snprintf(fix, sizeof(fix), "Advertise the leaf's issuer, %s: that serves "
             "every client.", probe_name_text(issuers[0], name, sizeof(name)));
    for (i = 1; i < count; i++) {
        append(fix, sizeof(fix), "%s%s", i == 1 ? " Or one further up, which "
               "serves only clients that present their chain: " : " or ",
               probe_name_text(issuers[i], name, sizeof(name)));
    }
    append(fix, sizeof(fix), "%s With mod_tlsinterop, put that CA's "
           "certificate in a TLSInteropCAListPrefer file (it must be in the "
           "vhost's CA list); elsewhere, add it to the advertised list "
           "(SSLCADNRequestFile; nginx ssl_client_certificate).",
           count > 1 ? "." : "");
    if (hs->offer.names > 1) {
        snprintf(name, sizeof(name), "none of the %d CA names in the "
                 "CertificateRequest%s issued", hs->offer.names, where);
    }
    else {
        snprintf(name, sizeof(name), "the one CA name in the "
                 "CertificateRequest%s did not issue", where);
    }
    add_problem(hs->maxfrag ? "certificate-not-offered-maxfrag"
                            : "certificate-not-offered", fix,
                "A client that offers only certificates from an advertised CA "
                "(Go's crypto/tls, .NET, browsers, smart-card middleware) "
                "would not offer the one in %s: %s a certificate of its "
                "chain.", chain->file, name);
}

/* -- a client recognised as one that takes long lists ------------------- */

/* The delegated_credentials extension, which only NSS (Firefox) sends: a
 * server with mod_tlsinterop gives such a client the largest list it
 * takes (TLSInteropClientClass nss). */
#define NSS_TRAIT_EXTENSION 34

/* A handshake as a client recognised as NSS; 0 if the probe cannot send
 * the trait. */
static int recognised_handshake(const probe_opts_t *o, probe_handshake_t *hs)
{
    SSL_CTX *ctx = client_ctx(o);
    SSL *ssl;
    int fd = -1;

    if (!probe_add_trait(ctx, NSS_TRAIT_EXTENSION)) {
        SSL_CTX_free(ctx);
        return 0;
    }
    ssl = handshake(o, ctx, 0, hs, &fd);
    if (ssl != NULL) {
        SSL_free(ssl);
        close(fd);
    }
    SSL_CTX_free(ctx);
    return 1;
}

int main(int argc, char **argv)
{
    probe_report_t report;
    probe_opts_t o;
    probe_handshake_t hs, frag, nss;
    int recognised = 0;
    probe_connection_t conn;
    probe_chain_t chain = { NULL, NULL };
    char err[512];
    SSL_CTX *ctx;
    SSL *ssl;
    int fd = -1;

    signal(SIGPIPE, SIG_IGN);
    apr_initialize();
    atexit(apr_terminate);
    parse_options(argc, argv, &o);
    /* A bad file is found before any network step. */
    if (o.cert && probe_chain_load(&chain, o.cert, err, sizeof(err)) < 0) {
        fail("%s", err);
    }
    ctx = client_ctx(&o);

    ssl = handshake(&o, ctx, 0, &hs, &fd);
    if (o.maxfrag) {
        int frag_fd = -1;
        SSL *frag_ssl = handshake(&o, ctx, o.maxfrag, &frag, &frag_fd);

        if (frag_ssl != NULL) {
            SSL_free(frag_ssl);
            close(frag_fd);
        }
    }
    if (o.cert) {
        check_cert(&chain, &hs);
        if (o.maxfrag) {
            check_cert(&chain, &frag);
        }
    }
    memset(&conn, 0, sizeof(conn));
    if (ssl != NULL) {
        check_connection(&o, ssl, fd, &hs, &conn);
        SSL_free(ssl);
        close(fd);
    }
    /* Where the server asks for a certificate: does it give a client that
     * takes long lists more?  (After the first connection closed: some
     * servers serve one at a time.) */
    if (hs.ca_names >= 0) {
        recognised = recognised_handshake(&o, &nss);
    }

    judge_handshake(&hs);
    if (o.maxfrag) {
        judge_handshake(&frag);
    }
    judge_connection(&conn);
    if (o.cert) {
        judge_cert(&chain, &hs);
        if (o.maxfrag) {
            judge_cert(&chain, &frag);
        }
    }
    report.opts = &o;
    report.server_name = server_name(&o);
    report.hs = &hs;
    report.frag = o.maxfrag ? &frag : NULL;
    report.nss = recognised ? &nss : NULL;
    report.conn = &conn;
    report.chain = o.cert ? &chain : NULL;
    report.problems = &found;
    if (o.json) {
        probe_report_json(&report);
    }
    else {
        probe_report_text(&report);
    }
    probe_track_free(&hs.track);
    if (o.maxfrag) {
        probe_track_free(&frag.track);
    }
    if (recognised) {
        probe_track_free(&nss.track);
    }
    probe_chain_free(&chain);
    SSL_CTX_free(ctx);
    return found.count ? 1 : 0;
}
