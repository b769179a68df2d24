/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ie6client: reuses a keep-alive connection the way Internet Explorer 6
 * did (Microsoft, "Internet Explorer and SSL Closure Alerts", 2007).
 *
 * usage: ie6client [-wait SECONDS] [-path PATH] [-ua AGENT]
 *                  [-servername NAME] host port
 *
 * It sends a keep-alive request with an MSIE 6 User-Agent and reads exactly
 * Content-Length bytes of the response, leaving anything that follows (a
 * close_notify, a FIN) unread, as WININET did.  It then waits, and sends a
 * second request: on a new connection if the response said Connection:
 * close, else on the same socket, where any alert or close is a failure:
 * IE 6 showed "Page cannot be displayed".
 *
 * Exit status: 0 both requests answered; 1 the reused socket failed; 2 any
 * other failure.
 */

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "probe_net.h"

#define IE6_AGENT "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)"
#define MAX_HEAD 16384

typedef struct {
    int fd;
    SSL *ssl;
} conn_t;

typedef struct {
    char status[128];
    int keep_alive;           /* the response did not say Connection: close */
    long content_length;
} response_t;

static int open_conn(conn_t *conn, SSL_CTX *ctx, const char *host,
                     const char *port, const char *servername)
{
    char err[256];

    conn->fd = probe_connect(host, port, 20, err, sizeof(err));
    if (conn->fd < 0) {
        fprintf(stderr, "ie6client: %s\n", err);
        return 0;
    }
    conn->ssl = SSL_new(ctx);
    SSL_set_fd(conn->ssl, conn->fd);
    SSL_set_tlsext_host_name(conn->ssl, servername);
    if (SSL_connect(conn->ssl) != 1) {
        fprintf(stderr, "ie6client: handshake failed\n");
        ERR_print_errors_fp(stderr);
        return 0;
    }
    return 1;
}

static void close_conn(conn_t *conn)
{
    /* IE closed its side without reading what the server had sent. */
    SSL_free(conn->ssl);
    close(conn->fd);
}

static int send_request(conn_t *conn, const char *path, const char *host,
                        const char *agent)
{
    char req[2048];
    int len = snprintf(req, sizeof(req),
                       "GET %s HTTP/1.1\r\nAccept: */*\r\nAccept-Language: "
                       "en-us\r\nUser-Agent: %s\r\nHost: %s\r\nConnection: "
                       "Keep-Alive\r\n\r\n", path, agent, host);

    return SSL_write(conn->ssl, req, len) == len;
}

/* Header lines, byte by byte: nothing past the blank line is consumed. */
static int read_head(conn_t *conn, char *head, size_t size)
{
    size_t n = 0;

    while (n + 1 < size) {
        if (SSL_read(conn->ssl, head + n, 1) != 1) {
            return 0;
        }
        n++;
        if (n >= 4 && !memcmp(head + n - 4, "\r\n\r\n", 4)) {
            head[n] = '\0';
            return 1;
        }
    }
    return 0;
}

static void parse_head(const char *head, response_t *resp)
{
    const char *line = head, *eol;

    memset(resp, 0, sizeof(*resp));
    resp->keep_alive = 1;
    eol = strstr(line, "\r\n");
    snprintf(resp->status, sizeof(resp->status), "%.*s", (int)(eol - line), line);
    for (line = eol + 2; (eol = strstr(line, "\r\n")) != NULL && eol != line;
         line = eol + 2) {
        if (!strncasecmp(line, "Content-Length:", 15)) {
            resp->content_length = strtol(line + 15, NULL, 10);
        }
        else if (!strncasecmp(line, "Connection:", 11)) {
            const char *v = line + 11;

            while (*v == ' ') {
                v++;
            }
            if (!strncasecmp(v, "close", 5)) {
                resp->keep_alive = 0;
            }
        }
    }
}

/* Read the response: its head, then exactly Content-Length bytes. */
static int read_response(conn_t *conn, response_t *resp)
{
    char head[MAX_HEAD], body[4096];
    long left;

    if (!read_head(conn, head, sizeof(head))) {
        return 0;
    }
    parse_head(head, resp);
    for (left = resp->content_length; left > 0;) {
        int n = SSL_read(conn->ssl, body, left < (long)sizeof(body)
                                          ? (int)left : (int)sizeof(body));
        if (n <= 0) {
            return 0;
        }
        left -= n;
    }
    return 1;
}

static void usage(void)
{
    fprintf(stderr, "usage: ie6client [-wait SECONDS] [-path PATH] [-ua AGENT] "
            "[-servername NAME] host port\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *path = "/", *agent = IE6_AGENT, *servername = "localhost";
    double wait = 0;
    response_t resp;
    SSL_CTX *ctx;
    conn_t conn;
    int i;

    signal(SIGPIPE, SIG_IGN);
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (i + 1 >= argc) {
            usage();
        }
        if (!strcmp(argv[i], "-wait")) {
            wait = atof(argv[++i]);
        }
        else if (!strcmp(argv[i], "-path")) {
            path = argv[++i];
        }
        else if (!strcmp(argv[i], "-ua")) {
            agent = argv[++i];
        }
        else if (!strcmp(argv[i], "-servername")) {
            servername = argv[++i];
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

    if (!open_conn(&conn, ctx, argv[i], argv[i + 1], servername)
        || !send_request(&conn, path, servername, agent)
        || !read_response(&conn, &resp)) {
        fprintf(stderr, "ie6client: first request failed\n");
        return 2;
    }
    printf("request 1: %s (%s)\n", resp.status,
           resp.keep_alive ? "keep-alive" : "Connection: close");
    usleep((useconds_t)(wait * 1e6));

    if (!resp.keep_alive) {
        close_conn(&conn);
        if (!open_conn(&conn, ctx, argv[i], argv[i + 1], servername)) {
            return 2;
        }
        printf("request 2: on a new connection\n");
    }
    else {
        printf("request 2: reusing the connection after %.1f s\n", wait);
    }
    if (!send_request(&conn, path, servername, agent)
        || !read_response(&conn, &resp)) {
        printf("failed: Page cannot be displayed (the server had closed the "
               "connection)\n");
        return 1;
    }
    printf("request 2: %s\nok\n", resp.status);
    close_conn(&conn);
    SSL_CTX_free(ctx);
    return 0;
}
