/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * hsrate: full TLS handshakes per second against a server, like
 * "openssl s_time -new", with an optional max_fragment_length (which
 * s_time cannot ask for).  Each connection does a full handshake (no
 * session reuse) and closes.
 *
 * usage: hsrate [-tls1_2|-tls1_3] [-maxfrag 512|1024|2048|4096]
 *               [-seconds N | -count N] [-cert FILE -key FILE]
 *               [-get PATH] host port
 * Prints: "<handshakes> handshakes in <seconds> s: <rate> per second".
 *
 * -cert and -key present a client certificate when the server asks for
 * one (FILE may hold the chain after the leaf).  -get sends
 * "GET PATH HTTP/1.0" after each handshake and reads the response to its
 * end: in TLS 1.3 the client's handshake ends before the server has
 * looked at its certificate, so only a response says the server verified
 * it.  A response other than 200 is an error.  -count makes exactly N
 * handshakes, however long they take.
 */

#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

static double now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int tcp_connect(const struct addrinfo *ai)
{
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);

    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* GET path on ssl and read the response to its end: 0 when it came whole
 * (the server closed with close_notify) and its status was 200. */
static int get(SSL *ssl, const char *path)
{
    char buf[4096];
    int n, len = 0;

    n = snprintf(buf, sizeof(buf), "GET %s HTTP/1.0\r\nHost: localhost\r\n"
                 "\r\n", path);
    if (n <= 0 || (size_t)n >= sizeof(buf) || SSL_write(ssl, buf, n) != n) {
        return -1;
    }
    /* The status line is in the first 12 bytes; the rest is read and
     * dropped. */
    while ((n = SSL_read(ssl, buf + len, (int)sizeof(buf) - len)) > 0) {
        len = len + n < 12 ? len + n : 12;
    }
    if (SSL_get_error(ssl, n) != SSL_ERROR_ZERO_RETURN || len < 12) {
        return -1;
    }
    return strncmp(buf, "HTTP/1.", 7) == 0 && strncmp(buf + 8, " 200", 4) == 0
           ? 0 : -1;
}

static int maxfrag_code(int bytes)
{
    switch (bytes) {
    case 512: return TLSEXT_max_fragment_length_512;
    case 1024: return TLSEXT_max_fragment_length_1024;
    case 2048: return TLSEXT_max_fragment_length_2048;
    case 4096: return TLSEXT_max_fragment_length_4096;
    default: return -1;
    }
}

int main(int argc, char **argv)
{
    int version = 0, maxfrag = 0, i, count = 0, limit = 0;
    const char *cert = NULL, *key = NULL, *path = NULL;
    double seconds = 5, start, elapsed;
    struct addrinfo hints, *ai;
    SSL_CTX *ctx;

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-tls1_2")) {
            version = TLS1_2_VERSION;
        }
        else if (!strcmp(argv[i], "-tls1_3")) {
            version = TLS1_3_VERSION;
        }
        else if (i + 1 < argc && !strcmp(argv[i], "-maxfrag")) {
            maxfrag = maxfrag_code(atoi(argv[++i]));
        }
        else if (i + 1 < argc && !strcmp(argv[i], "-seconds")) {
            seconds = atof(argv[++i]);
        }
        else if (i + 1 < argc && !strcmp(argv[i], "-count")) {
            limit = atoi(argv[++i]);
        }
        else if (i + 1 < argc && !strcmp(argv[i], "-cert")) {
            cert = argv[++i];
        }
        else if (i + 1 < argc && !strcmp(argv[i], "-key")) {
            key = argv[++i];
        }
        else if (i + 1 < argc && !strcmp(argv[i], "-get")) {
            path = argv[++i];
        }
        else {
            break;
        }
    }
    if (argc - i != 2 || maxfrag < 0 || limit < 0 || !cert != !key) {
        fprintf(stderr, "usage: hsrate [-tls1_2|-tls1_3] [-maxfrag N] "
                "[-seconds N | -count N] [-cert FILE -key FILE] "
                "[-get PATH] host port\n");
        return 2;
    }
    /* A server that has closed must not kill us when we say goodbye. */
    signal(SIGPIPE, SIG_IGN);
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(argv[i], argv[i + 1], &hints, &ai) != 0) {
        fprintf(stderr, "hsrate: cannot resolve %s\n", argv[i]);
        return 2;
    }
    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    if (version) {
        SSL_CTX_set_min_proto_version(ctx, version);
        SSL_CTX_set_max_proto_version(ctx, version);
    }
    if (maxfrag) {
        SSL_CTX_set_tlsext_max_fragment_length(ctx, maxfrag);
    }
    if (cert && (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1
                 || SSL_CTX_use_PrivateKey_file(ctx, key,
                                                SSL_FILETYPE_PEM) != 1
                 || SSL_CTX_check_private_key(ctx) != 1)) {
        fprintf(stderr, "hsrate: cannot use %s with %s\n", cert, key);
        return 2;
    }

    start = now();
    while (limit ? count < limit : now() - start < seconds) {
        int fd = tcp_connect(ai);
        SSL *ssl;

        if (fd < 0) {
            perror("hsrate: connect");
            return 2;
        }
        ssl = SSL_new(ctx);
        SSL_set_fd(ssl, fd);
        if (SSL_connect(ssl) != 1) {
            fprintf(stderr, "hsrate: handshake failed\n");
            return 2;
        }
        if (path && get(ssl, path) != 0) {
            fprintf(stderr, "hsrate: GET %s failed\n", path);
            return 2;
        }
        count++;
        SSL_shutdown(ssl);
        SSL_free(ssl);
        close(fd);
    }
    elapsed = now() - start;
    printf("%d handshakes in %.2f s: %.1f per second\n", count, elapsed,
           count / elapsed);
    freeaddrinfo(ai);
    SSL_CTX_free(ctx);
    return 0;
}
