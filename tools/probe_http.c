/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <openssl/err.h>

#include "probe_http.h"
#include "tlsi_ossl.h"
#include "probe_net.h"

#define HEAD_MAX 65536
#define BODY_MAX (64L * 1024 * 1024)

typedef struct {
    SSL *ssl;
    int fd;
    double deadline;
    char buf[16384];
    size_t start, end;
} http_reader_t;

/* More bytes into the buffer: 1, 0 at the end of the stream, -1 on error
 * or timeout. */
static int fill(http_reader_t *r)
{
    double left = r->deadline - probe_now();
    int n;

    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    if (left <= 0 || r->end == sizeof(r->buf)) {
        return -1;
    }
    probe_set_timeout(r->fd, left);
    n = SSL_read(r->ssl, r->buf + r->end, (int)(sizeof(r->buf) - r->end));
    if (n > 0) {
        r->end += n;
        return 1;
    }
    return SSL_get_error(r->ssl, n) == SSL_ERROR_ZERO_RETURN ? 0 : -1;
}

/* The next line, without its CRLF, in line (truncated to size). */
static int read_line(http_reader_t *r, char *line, size_t size, size_t *total)
{
    for (;;) {
        char *eol = memchr(r->buf + r->start, '\n', r->end - r->start);

        if (eol != NULL) {
            size_t len = eol - (r->buf + r->start);
            size_t keep = len < size - 1 ? len : size - 1;

            memcpy(line, r->buf + r->start, keep);
            line[keep] = '\0';
            if (keep > 0 && line[keep - 1] == '\r') {
                line[keep - 1] = '\0';
            }
            r->start += len + 1;
            *total += len + 1;
            return *total <= HEAD_MAX ? 0 : -1;
        }
        if (fill(r) <= 0) {
            return -1;
        }
    }
}

static int skip(http_reader_t *r, long count)
{
    while (count > 0) {
        size_t have = r->end - r->start;

        if (have == 0) {
            if (fill(r) <= 0) {
                return -1;
            }
            continue;
        }
        if ((long)have > count) {
            have = (size_t)count;
        }
        r->start += have;
        count -= (long)have;
    }
    return 0;
}

static int skip_chunked(http_reader_t *r)
{
    char line[256];
    size_t total = 0;
    long size;

    for (;;) {
        if (read_line(r, line, sizeof(line), &total) < 0) {
            return -1;
        }
        size = strtol(line, NULL, 16);
        if (size < 0 || size > BODY_MAX) {
            return -1;
        }
        if (size == 0) {
            /* trailers, up to the blank line */
            do {
                if (read_line(r, line, sizeof(line), &total) < 0) {
                    return -1;
                }
            } while (line[0] != '\0');
            return 0;
        }
        if (skip(r, size) < 0 || read_line(r, line, sizeof(line), &total) < 0) {
            return -1;
        }
    }
}

static int has_token(const char *list, const char *token)
{
    size_t len = strlen(token);
    const char *p = list;

    while ((p = strcasestr(p, token)) != NULL) {
        int starts = p == list || p[-1] == ',' || p[-1] == ' ';
        int ends = p[len] == '\0' || p[len] == ',' || p[len] == ' ';

        if (starts && ends) {
            return 1;
        }
        p += len;
    }
    return 0;
}

static void append(char *dst, size_t size, const char *value)
{
    size_t used = strlen(dst);

    snprintf(dst + used, size - used, "%s%s", used ? ", " : "", value);
}

int probe_http_get(SSL *ssl, int fd, const char *host, const char *path,
                   const char *agent, int timeout, probe_response_t *resp,
                   char *err, size_t errlen)
{
    http_reader_t r;
    char req[4096], line[1024];
    long length = -1;
    int chunked = 0, http10, status, n;
    size_t total = 0;

    memset(resp, 0, sizeof(*resp));
    resp->keep_alive_timeout = -1;
    memset(&r, 0, sizeof(r));
    r.ssl = ssl;
    r.fd = fd;
    r.deadline = probe_now() + timeout;

    n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: "
                 "%s\r\nAccept: */*\r\n\r\n", path, host, agent);
    probe_set_timeout(fd, timeout);
    if (n >= (int)sizeof(req) || SSL_write(ssl, req, n) != n) {
        snprintf(err, errlen, "cannot send the request");
        return -1;
    }
    if (read_line(&r, resp->status_line, sizeof(resp->status_line), &total)
        < 0 || sscanf(resp->status_line, "HTTP/1.%*d %d", &status) != 1) {
        snprintf(err, errlen, "no HTTP response within %d s", timeout);
        return -1;
    }
    http10 = !strncmp(resp->status_line, "HTTP/1.0", 8);
    for (;;) {
        if (read_line(&r, line, sizeof(line), &total) < 0) {
            snprintf(err, errlen, "incomplete response headers");
            return -1;
        }
        if (line[0] == '\0') {
            break;
        }
        if (!strncasecmp(line, "Connection:", 11)) {
            append(resp->connection, sizeof(resp->connection), line + 12);
        }
        else if (!strncasecmp(line, "Keep-Alive:", 11)) {
            const char *t;

            append(resp->keep_alive, sizeof(resp->keep_alive), line + 12);
            t = strcasestr(line, "timeout=");
            if (t != NULL) {
                resp->keep_alive_timeout = atoi(t + 8);
            }
        }
        else if (!strncasecmp(line, "Content-Length:", 15)) {
            length = strtol(line + 15, NULL, 10);
        }
        else if (!strncasecmp(line, "Transfer-Encoding:", 18)
                 && strcasestr(line, "chunked")) {
            chunked = 1;
        }
    }
    resp->says_close = has_token(resp->connection, "close")
                       || (http10 && !has_token(resp->connection, "keep-alive"));
    if (status < 200 || status == 204 || status == 304) {
        return 0;
    }
    if (chunked ? skip_chunked(&r) < 0
                : length >= 0 ? (length > BODY_MAX || skip(&r, length) < 0)
                              : !resp->says_close) {
        snprintf(err, errlen, "incomplete response body");
        return -1;
    }
    /* A body delimited by the close is read by probe_wait_close(). */
    return 0;
}

/* After a close_notify: does the FIN follow within a second? */
static int fin_follows(int fd)
{
    struct pollfd pfd = { fd, POLLIN, 0 };
    char byte;

    if (poll(&pfd, 1, 1000) <= 0) {
        return 0;
    }
    return recv(fd, &byte, 1, MSG_PEEK) <= 0;
}

probe_close_e probe_wait_close(SSL *ssl, int fd, double seconds, int drain,
                               double *after)
{
    double start = probe_now();
    char buf[4096];

    for (;;) {
        double left = seconds - (probe_now() - start);
        int n, why;

        if (left <= 0) {
            *after = seconds;
            return PROBE_CLOSE_STILL_OPEN;
        }
        probe_set_timeout(fd, left);
        ERR_clear_error();
        errno = 0;
        n = SSL_read(ssl, buf, sizeof(buf));
        *after = probe_now() - start;
        if (n > 0) {
            if (drain) {
                continue;       /* a body that ends with the connection */
            }
            return PROBE_CLOSE_DATA;
        }
        why = SSL_get_error(ssl, n);
        switch (why) {
        case SSL_ERROR_ZERO_RETURN:
            return fin_follows(fd) ? PROBE_CLOSE_NOTIFY_FIN
                                   : PROBE_CLOSE_NOTIFY_ONLY;
        case SSL_ERROR_WANT_READ:
            continue;           /* timed out, or a post-handshake message */
        case SSL_ERROR_SYSCALL:
            if (errno == ECONNRESET) {
                return PROBE_CLOSE_RESET;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                continue;
            }
            return PROBE_CLOSE_FIN_ONLY;
        default:
            return tlsi_ossl_unexpected_eof() ? PROBE_CLOSE_FIN_ONLY
                                             : PROBE_CLOSE_ALERT;
        }
    }
}

const char *probe_close_name(probe_close_e how)
{
    switch (how) {
    case PROBE_CLOSE_NOTIFY_FIN: return "close_notify + FIN";
    case PROBE_CLOSE_NOTIFY_ONLY: return "close_notify, connection left open";
    case PROBE_CLOSE_FIN_ONLY: return "FIN without close_notify (unclean)";
    case PROBE_CLOSE_RESET: return "TCP reset";
    case PROBE_CLOSE_ALERT: return "a TLS alert or error";
    case PROBE_CLOSE_DATA: return "unexpected data";
    default: return "still open";
    }
}
