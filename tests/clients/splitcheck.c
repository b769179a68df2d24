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
 *                   [-cert FILE -key FILE] [-v] host port
 *
 * Exit status: 0 handshake done, no message split; 1 a message was split
 * (refused); 2 any other failure.
 *
 * Record boundaries come from OpenSSL's message callback: every record
 * header, and for TLS 1.3 the inner content type.  A TLS 1.3 record's
 * plaintext is its length less the inner type byte and a 16-byte AEAD tag,
 * so only AES-GCM and ChaCha20-Poly1305 suites are offered.  After a TLS
 * 1.2 ChangeCipherSpec only Finished follows, and is not tracked.
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

#define AEAD_TAG_LEN 16
#define RT_CHANGE_CIPHER_SPEC 20
#define RT_HANDSHAKE 22
#define RT_APPLICATION_DATA 23

typedef struct {
    int fd;
    int verbose;
    int tracking;              /* 0 once plaintext lengths are unknown */
    int after_ccs;
    size_t pending_outer_len;  /* TLS 1.3 record awaiting its inner type */
    size_t record_bytes;       /* handshake plaintext received in records */
    size_t message_bytes;      /* ... and consumed by whole messages */
    int records_in_message;    /* records the current message touched */
    int split;                 /* a split message was seen */
    int split_type;
    size_t split_len;
    int split_records;
    size_t certreq_len;
    int certreq_records;
} track_t;

static const char *message_name(int type)
{
    switch (type) {
    case 1: return "ClientHello";
    case 2: return "ServerHello";
    case 4: return "NewSessionTicket";
    case 8: return "EncryptedExtensions";
    case 11: return "Certificate";
    case 12: return "ServerKeyExchange";
    case 13: return "CertificateRequest";
    case 14: return "ServerHelloDone";
    case 15: return "CertificateVerify";
    case 20: return "Finished";
    case 22: return "CertificateStatus";
    default: return "handshake message";
    }
}

/* A handshake record with len bytes of plaintext arrived. */
static void on_handshake_record(track_t *t, size_t len)
{
    if (t->record_bytes > t->message_bytes) {
        /* The previous record ended inside a message: this one carries the
         * rest of it. */
        t->records_in_message++;
    }
    else {
        t->records_in_message = 1;
    }
    t->record_bytes += len;
}

static void on_record_header(track_t *t, const unsigned char *h)
{
    size_t len = ((size_t)h[3] << 8) | h[4];

    if (h[0] == RT_CHANGE_CIPHER_SPEC) {
        t->after_ccs = 1;
    }
    else if (h[0] == RT_HANDSHAKE) {
        if (t->after_ccs) {
            t->tracking = 0;   /* TLS 1.2: encrypted Finished */
        }
        else if (t->tracking) {
            on_handshake_record(t, len);
        }
    }
    else if (h[0] == RT_APPLICATION_DATA) {
        t->pending_outer_len = len;
    }
}

static void on_message(track_t *t, const unsigned char *msg, size_t len)
{
    int type = msg[0];

    if (!t->tracking) {
        return;
    }
    t->message_bytes += len;
    if (t->verbose) {
        fprintf(stderr, "<<< %s, %zu bytes, %d record(s)\n", message_name(type),
                len, t->records_in_message);
    }
    if (type == 13) {
        t->certreq_len = len;
        t->certreq_records = t->records_in_message;
    }
    if (t->records_in_message > 1 && !t->split) {
        t->split = 1;
        t->split_type = type;
        t->split_len = len;
        t->split_records = t->records_in_message;
        /* Abort, as the clients we stand in for do. */
        shutdown(t->fd, SHUT_RDWR);
    }
}

static void msg_cb(int write_p, int version, int content_type, const void *buf,
                   size_t len, SSL *ssl, void *arg)
{
    track_t *t = arg;
    const unsigned char *bytes = buf;

    (void)version;
    (void)ssl;
    if (write_p) {
        return;
    }
    if (content_type == SSL3_RT_HEADER && len >= 5) {
        on_record_header(t, bytes);
    }
    else if (content_type == SSL3_RT_INNER_CONTENT_TYPE && len == 1) {
        if (bytes[0] == RT_HANDSHAKE && t->tracking
            && t->pending_outer_len > AEAD_TAG_LEN) {
            on_handshake_record(t, t->pending_outer_len - 1 - AEAD_TAG_LEN);
        }
        t->pending_outer_len = 0;
    }
    else if (content_type == SSL3_RT_HANDSHAKE && len >= 4) {
        on_message(t, bytes, len);
    }
}

static int tcp_connect(const char *host, const char *port)
{
    struct addrinfo hints, *res, *ai;
    int fd = -1, rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "splitcheck: %s: %s\n", host, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            break;
        }
        if (fd >= 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        fprintf(stderr, "splitcheck: cannot connect to %s:%s: %s\n", host, port,
                strerror(errno));
    }
    return fd;
}

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
            "[-maxfrag 512|1024|2048|4096] [-cert FILE -key FILE] [-v] "
            "host port\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *servername = NULL, *cert = NULL, *key = NULL;
    int version = 0, maxfrag = 0, i, rc;
    track_t t;
    SSL_CTX *ctx;
    SSL *ssl;

    /* Writes after the abort must fail, not kill us. */
    signal(SIGPIPE, SIG_IGN);
    memset(&t, 0, sizeof(t));
    t.tracking = 1;
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-tls1_2")) {
            version = TLS1_2_VERSION;
        }
        else if (!strcmp(argv[i], "-tls1_3")) {
            version = TLS1_3_VERSION;
        }
        else if (!strcmp(argv[i], "-v")) {
            t.verbose = 1;
        }
        else if (i + 1 < argc && !strcmp(argv[i], "-servername")) {
            servername = argv[++i];
        }
        else if (i + 1 < argc && !strcmp(argv[i], "-cert")) {
            cert = argv[++i];
        }
        else if (i + 1 < argc && !strcmp(argv[i], "-key")) {
            key = argv[++i];
        }
        else if (i + 1 < argc && !strcmp(argv[i], "-maxfrag")) {
            maxfrag = maxfrag_code(argv[++i]);
            if (maxfrag < 0) {
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

    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:"
                             "TLS_AES_256_GCM_SHA384:"
                             "TLS_CHACHA20_POLY1305_SHA256");
    if (version) {
        SSL_CTX_set_min_proto_version(ctx, version);
        SSL_CTX_set_max_proto_version(ctx, version);
    }
    if (cert && (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1
                 || SSL_CTX_use_PrivateKey_file(ctx, key ? key : cert,
                                                SSL_FILETYPE_PEM) != 1)) {
        fprintf(stderr, "splitcheck: cannot load the client certificate\n");
        ERR_print_errors_fp(stderr);
        return 2;
    }

    t.fd = tcp_connect(argv[i], argv[i + 1]);
    if (t.fd < 0) {
        return 2;
    }
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, t.fd);
    if (servername) {
        SSL_set_tlsext_host_name(ssl, servername);
    }
    if (maxfrag) {
        SSL_set_tlsext_max_fragment_length(ssl, maxfrag);
    }
    SSL_set_msg_callback(ssl, msg_cb);
    SSL_set_msg_callback_arg(ssl, &t);

    rc = SSL_connect(ssl);
    if (t.split) {
        printf("refused: %s of %zu bytes split across %d records\n",
               message_name(t.split_type), t.split_len, t.split_records);
        return 1;
    }
    if (rc != 1) {
        fprintf(stderr, "splitcheck: handshake failed\n");
        ERR_print_errors_fp(stderr);
        return 2;
    }
    printf("ok: %s, %s", SSL_get_version(ssl), SSL_get_cipher(ssl));
    if (t.certreq_len) {
        printf(", CertificateRequest %zu bytes in %d record(s)", t.certreq_len,
               t.certreq_records);
    }
    printf("\n");
    SSL_shutdown(ssl);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    close(t.fd);
    return 0;
}
