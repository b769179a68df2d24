/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * splitcheck: a TLS client that refuses any server handshake message split
 * across records, as Windows SChannel before Windows 7 and several embedded
 * stacks do.  It aborts the handshake the moment it sees one.
 *
 * usage: splitcheck [-tls1_2|-tls1_3] [-servername NAME] [-maxfrag N]
 *                   [-cert FILE -key FILE] [-count N] [-trait nss|grease]
 *                   [-accept-split] [-max-list BYTES] [-filter]
 *                   [-get PATH] [-pha] [-v] host port
 *
 * Exit status: 0 handshake done, no message split; 1 a message was split
 * (refused); 2 any other failure; 3 the -get request failed or was not
 * answered 200.  With -count N it makes N connections one
 * after another, stops at the first that does not succeed and exits with
 * its status.
 *
 * -trait makes the ClientHello carry what identifies a stack family: nss
 * the delegated_credentials extension (34), as Firefox sends it; grease an
 * RFC 8701 GREASE extension (0x0a0a), as Chromium's BoringSSL sends.
 * -accept-split takes split messages as a stack that reassembles does, and
 * says how many CA names the CertificateRequest held.
 *
 * To stand in for Java's client (it reassembles, stops at 32,768 bytes,
 * and offers a certificate only when an advertised name issued it):
 * -max-list caps the handshake message size (SSL_CTX_set_max_cert_list),
 * and -filter offers the -cert chain only when a CA name in the request
 * issued one of its certificates, an empty Certificate otherwise.  -get
 * sends one request after the handshake; under TLS 1.3 a client without a
 * certificate learns only then that it was refused.  -pha offers TLS 1.3
 * post-handshake authentication; a CertificateRequest the server sends
 * after the handshake (for a per-directory SSLVerifyClient) is reported.
 *
 * Record boundaries come from OpenSSL's message callback, through the
 * tracker the tlsinterop-probe tool uses (tools/probe_track.c).
 */

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "probe_cert.h"
#include "probe_net.h"
#include "probe_track.h"
#include "tlsi_careq.h"

static int maxfrag_code(const char *arg)
{
    switch (atoi(arg)) {
    case 512: return TLSEXT_max_fragment_length_512;
    case 1024: return TLSEXT_max_fragment_length_1024;
    case 2048: return TLSEXT_max_fragment_length_2048;
    case 4096: return TLSEXT_max_fragment_length_4096;
    default: return -1;
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: splitcheck [-tls1_2|-tls1_3] [-servername NAME] "
            "[-maxfrag 512|1024|2048|4096] [-cert FILE -key FILE] [-count N] "
            "[-trait nss|grease] [-accept-split] [-max-list BYTES] "
            "[-filter] [-get PATH] [-pha] [-v] host port\n");
    exit(2);
}

typedef struct options {
    const char *servername, *host, *port, *get;
    int maxfrag, verbose, accept_split, version, pha;
} options_t;

/* -filter: the client certificate, offered only when an advertised CA
 * name issued one of its chain (as Java, Go, browsers and GnuTLS choose). */
typedef struct filter {
    const char *cert, *key;
    probe_chain_t chain;
} filter_t;

static int offer_if_advertised(SSL *ssl, void *arg)
{
    const filter_t *f = arg;
    const STACK_OF(X509_NAME) *names = SSL_get_client_CA_list(ssl);
    int i, j;

    for (i = 0; i < probe_chain_count(&f->chain); i++) {
        X509_NAME *issuer = X509_get_issuer_name(probe_chain_get(&f->chain,
                                                                 i));

        for (j = 0; j < sk_X509_NAME_num(names); j++) {
            if (X509_NAME_cmp(issuer, sk_X509_NAME_value(names, j)) == 0) {
                return SSL_use_certificate_chain_file(ssl, f->cert) == 1
                       && SSL_use_PrivateKey_file(ssl, f->key,
                                                  SSL_FILETYPE_PEM) == 1;
            }
        }
    }
    return 1;   /* none advertised: an empty Certificate */
}

/* -get: one request after the handshake; 0 for a 200 response.  Under
 * TLS 1.3 a refused client learns it here. */
static int request(SSL *ssl, const options_t *o)
{
    char req[512], buf[256];
    int n;

    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n"
             "Connection: close\r\n\r\n", o->get,
             o->servername ? o->servername : "localhost");
    if (SSL_write(ssl, req, (int)strlen(req)) <= 0
        || (n = SSL_read(ssl, buf, sizeof(buf) - 1)) <= 0) {
        printf("request failed\n");
        ERR_print_errors_fp(stderr);
        return 3;
    }
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    printf("response: %s\n", buf);
    return strncmp(buf, "HTTP/1.1 200", 12) == 0 ? 0 : 3;
}

/* One connection and handshake: 0, 1 or 2 as the exit status says. */
static int handshake_once(SSL_CTX *ctx, const options_t *o, int quiet)
{
    const probe_msg_t *certreq;
    probe_track_t t;
    char err[256];
    int i, rc, fd, handshake_messages;
    SSL *ssl;

    fd = probe_connect(o->host, o->port, 20, err, sizeof(err));
    if (fd < 0) {
        fprintf(stderr, "splitcheck: %s\n", err);
        return 2;
    }
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (o->servername) {
        SSL_set_tlsext_host_name(ssl, o->servername);
    }
    if (o->pha) {
        SSL_set_post_handshake_auth(ssl, 1);
    }
    if (o->maxfrag) {
        SSL_set_tlsext_max_fragment_length(ssl, o->maxfrag);
        SSL_set1_groups_list(ssl, PROBE_CONSTRAINED_GROUPS);
    }
    probe_track_init(&t, o->accept_split ? -1 : fd,
                     o->accept_split ? SSL3_MT_CERTIFICATE_REQUEST : -1);
    probe_track_attach(&t, ssl);

    rc = SSL_connect(ssl);
    for (i = 0; o->verbose && i < t.count; i++) {
        fprintf(stderr, "<<< %s, %zu bytes, %d record(s)\n",
                probe_message_name(t.msgs[i].type), t.msgs[i].len,
                t.msgs[i].records);
    }
    if (t.split >= 0 && !o->accept_split) {
        printf("refused: %s of %zu bytes split across %d records\n",
               probe_message_name(t.msgs[t.split].type), t.msgs[t.split].len,
               t.msgs[t.split].records);
        rc = 1;
    }
    else if (rc != 1) {
        fprintf(stderr, "splitcheck: handshake failed\n");
        ERR_print_errors_fp(stderr);
        rc = 2;
    }
    else {
        if (!quiet) {
            printf("ok: %s, %s", SSL_get_version(ssl), SSL_get_cipher(ssl));
            certreq = probe_track_find(&t, SSL3_MT_CERTIFICATE_REQUEST);
            if (certreq != NULL) {
                printf(", CertificateRequest %zu bytes in %d record(s)",
                       certreq->len, certreq->records);
            }
            if (certreq != NULL && certreq->bytes != NULL) {
                tlsi_cr_info_t info;

                if (tlsi_cr_parse(certreq->bytes, certreq->len,
                                  SSL_version(ssl) == TLS1_3_VERSION, &info)) {
                    printf(", %d CA names", info.ca_names);
                }
            }
            printf("\n");
        }
        handshake_messages = t.count;
        rc = o->get != NULL ? request(ssl, o) : 0;
        /* what the server asked after the handshake: post-handshake
         * authentication, or a renegotiation */
        for (i = handshake_messages; i < t.count; i++) {
            if (t.msgs[i].type == SSL3_MT_CERTIFICATE_REQUEST) {
                printf("CertificateRequest after the handshake: %zu bytes "
                       "in %d record(s)\n", t.msgs[i].len,
                       t.msgs[i].records);
            }
        }
        if (rc == 0) {
            SSL_shutdown(ssl);
        }
    }
    probe_track_free(&t);
    SSL_free(ssl);
    close(fd);
    return rc;
}

int main(int argc, char **argv)
{
    const char *cert = NULL, *key = NULL;
    options_t o = { 0 };
    filter_t filter = { 0 };
    char err[256];
    long max_list = 0;
    int filtering = 0;
    int version = 0, count = 1, i, n, rc = 0, trait = -1;
    SSL_CTX *ctx;

    /* Writes after the abort must fail, not kill us. */
    signal(SIGPIPE, SIG_IGN);
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-tls1_2")) {
            version = TLS1_2_VERSION;
        }
        else if (!strcmp(argv[i], "-tls1_3")) {
            version = TLS1_3_VERSION;
        }
        else if (!strcmp(argv[i], "-v")) {
            o.verbose = 1;
        }
        else if (i + 1 < argc && !strcmp(argv[i], "-servername")) {
            o.servername = argv[++i];
        }
        else if (i + 1 < argc && !strcmp(argv[i], "-cert")) {
            cert = argv[++i];
        }
        else if (i + 1 < argc && !strcmp(argv[i], "-key")) {
            key = argv[++i];
        }
        else if (!strcmp(argv[i], "-accept-split")) {
            o.accept_split = 1;
        }
        else if (!strcmp(argv[i], "-pha")) {
            o.pha = 1;
        }
        else if (!strcmp(argv[i], "-filter")) {
            filtering = 1;
        }
        else if (i + 1 < argc && !strcmp(argv[i], "-max-list")) {
            max_list = atol(argv[++i]);
            if (max_list < 1) {
                usage();
            }
        }
        else if (i + 1 < argc && !strcmp(argv[i], "-get")) {
            o.get = argv[++i];
        }
        else if (i + 1 < argc && !strcmp(argv[i], "-trait")) {
            i++;
            trait = !strcmp(argv[i], "nss") ? 34
                    : !strcmp(argv[i], "grease") ? 0x0a0a : -2;
            if (trait == -2) {
                usage();
            }
        }
        else if (i + 1 < argc && !strcmp(argv[i], "-count")) {
            count = atoi(argv[++i]);
            if (count < 1) {
                usage();
            }
        }
        else if (i + 1 < argc && !strcmp(argv[i], "-maxfrag")) {
            o.maxfrag = maxfrag_code(argv[++i]);
            if (o.maxfrag < 0) {
                usage();
            }
        }
        else {
            usage();
        }
    }
    if (argc - i != 2) {
        usage();
    }
    o.host = argv[i];
    o.port = argv[i + 1];

    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_ciphersuites(ctx, PROBE_TLS13_SUITES);
    if (version) {
        SSL_CTX_set_min_proto_version(ctx, version);
        SSL_CTX_set_max_proto_version(ctx, version);
    }
    if (max_list > 0) {
        /* as Java's jdk.tls.maxHandshakeMessageSize: 32768 */
        SSL_CTX_set_max_cert_list(ctx, max_list);
    }
    if (cert && filtering) {
        filter.cert = cert;
        filter.key = key ? key : cert;
        if (probe_chain_load(&filter.chain, cert, err, sizeof(err)) < 0) {
            fprintf(stderr, "splitcheck: %s\n", err);
            return 2;
        }
        SSL_CTX_set_cert_cb(ctx, offer_if_advertised, &filter);
    }
    else if (cert && (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1
                 || SSL_CTX_use_PrivateKey_file(ctx, key ? key : cert,
                                                SSL_FILETYPE_PEM) != 1)) {
        fprintf(stderr, "splitcheck: cannot load the client certificate\n");
        ERR_print_errors_fp(stderr);
        return 2;
    }
    if (trait >= 0 && !probe_add_trait(ctx, (unsigned int)trait)) {
        fprintf(stderr, "splitcheck: cannot add extension %d\n", trait);
        return 2;
    }
    for (n = 0; n < count && rc == 0; n++) {
        rc = handshake_once(ctx, &o, n + 1 < count);
    }
    if (count > 1) {
        printf("%d of %d connections done\n", rc == 0 ? n : n - 1, count);
    }
    SSL_CTX_free(ctx);
    probe_chain_free(&filter.chain);
    return rc;
}
