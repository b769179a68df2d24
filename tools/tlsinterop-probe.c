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
#define MAX_PROBLEMS 16

typedef struct {
    const char *target, *sni, *agent, *path, *cert;
    char host[256], port[8];
    int version, insecure, maxfrag, idle, json, timeout;
} opts_t;

typedef struct {
    int maxfrag;                    /* negotiated length asked for, or 0 */
    int maxfrag_accepted;
    probe_track_t track;
    char version[32], cipher[64];
    int tls13;
    int client_cert_required;
    int ca_names;                   /* in the CertificateRequest, or -1 */
    probe_offer_t offer;            /* --cert: would a client offer it */
} handshake_t;

typedef struct {
    int ran;
    char request[600];
    probe_response_t resp;
    probe_close_e how;
    double after;                   /* seconds from the response to the close */
    double waited;                  /* how long the probe was willing to wait */
    int legacy_agent;
} connection_t;

typedef struct {
    const char *id;
    char text[600];
    char fix[2048];                 /* room for a few CA names */
} problem_t;

static problem_t problems[MAX_PROBLEMS];
static int problem_count;

/* -- failing ------------------------------------------------------------ */

static int json_output;

static void json_string(FILE *out, const char *s)
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
        json_string(stdout, msg);
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

static void parse_options(int argc, char **argv, opts_t *o)
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

static const char *server_name(const opts_t *o)
{
    if (o->sni != NULL) {
        return o->sni;
    }
    return is_ip_literal(o->host) ? NULL : o->host;
}

static SSL_CTX *client_ctx(const opts_t *o)
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
static void explain_failure(const opts_t *o, SSL *ssl, int rc, int fd,
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
static SSL *handshake(const opts_t *o, SSL_CTX *ctx, int maxfrag,
                      handshake_t *hs, int *pfd)
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

static void check_connection(const opts_t *o, SSL *ssl, int fd,
                             handshake_t *hs, connection_t *conn)
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
static void check_cert(const probe_chain_t *chain, handshake_t *hs)
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
    problem_t *p;
    va_list ap;

    if (problem_count >= MAX_PROBLEMS) {
        return;
    }
    p = &problems[problem_count++];
    p->id = id;
    va_start(ap, fmt);
    vsnprintf(p->text, sizeof(p->text), fmt, ap);
    va_end(ap);
    snprintf(p->fix, sizeof(p->fix), "%s", fix);
}

/* The smallest record size a client can use that holds len bytes, or 0. */
static int smallest_record(size_t len)
{
    unsigned int code;

    for (code = 1; code <= TLSI_FRAGMENT_CODES; code++) {
        if (len <= TLSI_FRAGMENT_BYTES(code)) {
            return (int)TLSI_FRAGMENT_BYTES(code);
        }
    }
    return len <= TLSI_MAX_RECORD_PLAINTEXT ? TLSI_MAX_RECORD_PLAINTEXT : 0;
}

static void judge_handshake(const handshake_t *hs)
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

static void judge_connection(const connection_t *c)
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

#define MAX_ISSUERS 16

static void judge_cert(const probe_chain_t *chain, const handshake_t *hs)
{
    const X509_NAME *issuers[MAX_ISSUERS];
    char where[64] = "", fix[sizeof(problems[0].fix)], name[512];
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
    count = probe_chain_issuers(chain, issuers, MAX_ISSUERS);
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

/* -- the report --------------------------------------------------------- */

static void print_handshake_text(const handshake_t *hs)
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
        int fits = smallest_record(certreq->len);

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

static void print_connection_text(const opts_t *o, const connection_t *c)
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

static void print_offer_text(const probe_chain_t *chain, const handshake_t *hs)
{
    const probe_offer_t *r = &hs->offer;
    const X509_NAME *issuers[MAX_ISSUERS];
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
        count = probe_chain_issuers(chain, issuers, MAX_ISSUERS);
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

static void print_cert_text(const probe_chain_t *chain, const handshake_t *hs,
                            const handshake_t *frag)
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

/* -- a client recognised as one that takes long lists ------------------- */

/* The delegated_credentials extension, which only NSS (Firefox) sends: a
 * server with mod_tlsinterop gives such a client the largest list it
 * takes (TLSInteropClientClass nss). */
#define NSS_TRAIT_EXTENSION 34

/* A handshake as a client recognised as NSS; 0 if the probe cannot send
 * the trait. */
static int recognised_handshake(const opts_t *o, handshake_t *hs)
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

static void print_recognised_text(const handshake_t *hs,
                                  const handshake_t *nss)
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

static void print_text(const opts_t *o, const handshake_t *hs,
                       const handshake_t *frag, const handshake_t *nss,
                       const connection_t *conn, const probe_chain_t *chain)
{
    int i;

    printf("tlsinterop-probe %s: %s port %s", PROBE_VERSION, o->host, o->port);
    if (server_name(o)) {
        printf(" (SNI %s)", server_name(o));
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

static void print_handshake_json(const handshake_t *hs)
{
    const probe_msg_t *certreq = probe_track_find(&hs->track,
                                                  SSL3_MT_CERTIFICATE_REQUEST);
    const probe_msg_t *cert = probe_track_find(&hs->track, SSL3_MT_CERTIFICATE);
    int i;

    printf("{\"version\": ");
    json_string(stdout, hs->version);
    printf(", \"cipher\": ");
    json_string(stdout, hs->cipher);
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
               smallest_record(certreq->len));
    }
    else {
        printf("null");
    }
    printf(", \"certificate_bytes\": %zu, \"client_certificate_required\": %s}",
           cert ? cert->len : 0, hs->client_cert_required ? "true" : "false");
}

static void print_offer_json(const probe_chain_t *chain,
                             const handshake_t *hs)
{
    static const char *const verdicts[] = {
        "no-certificate-request", "empty-list", "issuer-advertised",
        "issuer-not-advertised", "unreadable"
    };
    const probe_offer_t *r = &hs->offer;
    char name[512];

    printf("{\"version\": ");
    json_string(stdout, hs->version);
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
        json_string(stdout, probe_name_text(X509_get_issuer_name(
                        probe_chain_get(chain, r->matched)), name,
                        sizeof(name)));
    }
    else {
        printf("null, \"matched_issuer\": null");
    }
    printf("}");
}

static void print_cert_json(const probe_chain_t *chain, const handshake_t *hs,
                            const handshake_t *frag)
{
    const X509_NAME *issuers[MAX_ISSUERS];
    char name[512];
    int offered = probe_offer_ok(&hs->offer), i, count = 0;

    if (frag != NULL) {
        offered = offered && probe_offer_ok(&frag->offer);
    }
    printf("{\"file\": ");
    json_string(stdout, chain->file);
    printf(", \"chain\": [");
    for (i = 0; i < probe_chain_count(chain); i++) {
        X509 *cert = probe_chain_get(chain, i);

        printf("%s{\"subject\": ", i ? ", " : "");
        json_string(stdout, probe_name_text(X509_get_subject_name(cert), name,
                                            sizeof(name)));
        printf(", \"issuer\": ");
        json_string(stdout, probe_name_text(X509_get_issuer_name(cert), name,
                                            sizeof(name)));
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
        count = probe_chain_issuers(chain, issuers, MAX_ISSUERS);
    }
    printf("], \"fix\": [");
    for (i = 0; i < count; i++) {
        printf("%s", i ? ", " : "");
        json_string(stdout, probe_name_text(issuers[i], name, sizeof(name)));
    }
    printf("]}");
}

static void print_json(const opts_t *o, const handshake_t *hs,
                       const handshake_t *frag, const handshake_t *nss,
                       const connection_t *c, const probe_chain_t *chain)
{
    const probe_msg_t *nss_certreq = nss == NULL ? NULL
        : probe_track_find(&nss->track, SSL3_MT_CERTIFICATE_REQUEST);

    int i;

    printf("{\"target\": ");
    json_string(stdout, o->target);
    printf(", \"host\": ");
    json_string(stdout, o->host);
    printf(", \"port\": %s, \"sni\": ", o->port);
    if (server_name(o)) {
        json_string(stdout, server_name(o));
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
        json_string(stdout, c->request);
        printf(", \"status\": ");
        json_string(stdout, c->resp.status_line);
        printf(", \"connection_header\": ");
        json_string(stdout, c->resp.connection);
        printf(", \"keep_alive_header\": ");
        json_string(stdout, c->resp.keep_alive);
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
        json_string(stdout, problems[i].text);
        printf(", \"fix\": ");
        json_string(stdout, problems[i].fix);
        printf("}");
    }
    printf("], \"exit\": %d}\n", problem_count ? 1 : 0);
}

int main(int argc, char **argv)
{
    opts_t o;
    handshake_t hs, frag, nss;
    int recognised = 0;
    connection_t conn;
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
    if (o.json) {
        print_json(&o, &hs, o.maxfrag ? &frag : NULL,
                   recognised ? &nss : NULL, &conn, o.cert ? &chain : NULL);
    }
    else {
        print_text(&o, &hs, o.maxfrag ? &frag : NULL,
                   recognised ? &nss : NULL, &conn, o.cert ? &chain : NULL);
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
    return problem_count ? 1 : 0;
}
