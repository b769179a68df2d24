/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "probe_net.h"

double probe_now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int copy(char *dst, size_t dstlen, const char *src, size_t len)
{
    if (len == 0 || len >= dstlen) {
        return -1;
    }
    memcpy(dst, src, len);
    dst[len] = '\0';
    return 0;
}

int probe_parse_target(const char *target, char *host, size_t hostlen,
                       char *port, size_t portlen)
{
    const char *end, *colon;

    if (target[0] == '[') {
        end = strchr(target, ']');
        if (end == NULL || copy(host, hostlen, target + 1, end - target - 1)) {
            return -1;
        }
        colon = end[1] == ':' ? end + 1 : NULL;
        if (end[1] != '\0' && colon == NULL) {
            return -1;
        }
    }
    else {
        colon = strrchr(target, ':');
        if (colon != NULL && strchr(target, ':') != colon) {
            colon = NULL;       /* a bare IPv6 address */
        }
        if (copy(host, hostlen, target,
                 colon ? (size_t)(colon - target) : strlen(target))) {
            return -1;
        }
    }
    if (colon == NULL) {
        return copy(port, portlen, "443", 3);
    }
    if (strspn(colon + 1, "0123456789") != strlen(colon + 1)
        || atoi(colon + 1) < 1 || atoi(colon + 1) > 65535) {
        return -1;
    }
    return copy(port, portlen, colon + 1, strlen(colon + 1));
}

/* Wait for a non-blocking connect; 0 when connected. */
static int finish_connect(int fd, int timeout_ms)
{
    struct pollfd pfd = { fd, POLLOUT, 0 };
    int rc, soerr = 0;
    socklen_t len = sizeof(soerr);

    do {
        rc = poll(&pfd, 1, timeout_ms);
    } while (rc < 0 && errno == EINTR);
    if (rc == 0) {
        errno = ETIMEDOUT;
        return -1;
    }
    if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0) {
        return -1;
    }
    if (soerr != 0) {
        errno = soerr;
        return -1;
    }
    return 0;
}

int probe_connect(const char *host, const char *port, int timeout, char *err,
                  size_t errlen)
{
    struct addrinfo hints, *res, *ai;
    double deadline = probe_now() + timeout;
    int fd = -1, rc, saved = 0;

    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        int left_ms = (int)((deadline - probe_now()) * 1000);

        if (left_ms <= 0) {
            saved = ETIMEDOUT;
            break;
        }
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0
            || (errno == EINPROGRESS && finish_connect(fd, left_ms) == 0)) {
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
            break;
        }
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        if (saved == ETIMEDOUT) {
            snprintf(err, errlen, "no answer from %s port %s within %d s",
                     host, port, timeout);
        }
        else {
            snprintf(err, errlen, "cannot connect to %s port %s: %s", host,
                     port, strerror(saved));
        }
    }
    return fd;
}

void probe_set_timeout(int fd, double seconds)
{
    struct timeval tv;

    if (seconds < 0.001) {
        seconds = 0.001;
    }
    tv.tv_sec = (time_t)seconds;
    tv.tv_usec = (suseconds_t)((seconds - tv.tv_sec) * 1e6);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int add_empty_extension(SSL *ssl, unsigned int type,
                               unsigned int context, const unsigned char **out,
                               size_t *outlen, X509 *x, size_t chainidx,
                               int *al, void *arg)
{
    (void)ssl;
    (void)type;
    (void)context;
    (void)x;
    (void)chainidx;
    (void)al;
    (void)arg;
    *out = NULL;
    *outlen = 0;
    return 1;
}

int probe_add_trait(SSL_CTX *ctx, unsigned int type)
{
    return SSL_CTX_add_custom_ext(ctx, type, SSL_EXT_CLIENT_HELLO,
                                  add_empty_extension, NULL, NULL, NULL,
                                  NULL);
}
