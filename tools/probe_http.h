/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * probe_http: one HTTP/1.1 keep-alive request over a TLS connection, and
 * how and when the server then closes the connection.
 */
#ifndef PROBE_HTTP_H
#define PROBE_HTTP_H

#include <stddef.h>

#include <openssl/ssl.h>

typedef struct {
    char status_line[256];
    char connection[256];       /* the Connection header(s), or "" */
    char keep_alive[256];       /* the Keep-Alive header, or "" */
    int keep_alive_timeout;     /* its timeout=, or -1 */
    int says_close;             /* the connection ends after this response */
} probe_response_t;

typedef enum {
    PROBE_CLOSE_NOTIFY_FIN,     /* close_notify, then the TCP FIN */
    PROBE_CLOSE_NOTIFY_ONLY,    /* close_notify, the socket left open */
    PROBE_CLOSE_FIN_ONLY,       /* FIN without close_notify: unclean */
    PROBE_CLOSE_RESET,          /* TCP reset */
    PROBE_CLOSE_ALERT,          /* another alert, or a TLS error */
    PROBE_CLOSE_DATA,           /* the server sent unexpected data */
    PROBE_CLOSE_STILL_OPEN      /* nothing happened in the time given */
} probe_close_e;

/*
 * Send "GET path" with the User-Agent agent and read the whole response,
 * giving up after timeout seconds.  Returns 0, or -1 with a reason in err.
 */
int probe_http_get(SSL *ssl, int fd, const char *host, const char *path,
                   const char *agent, int timeout, probe_response_t *resp,
                   char *err, size_t errlen);

/* Wait up to seconds for the server to close the connection, reading and
 * dropping data if drain is set (a body that ends with the connection). */
probe_close_e probe_wait_close(SSL *ssl, int fd, double seconds, int drain,
                               double *after);

/* "close_notify + FIN", ... */
const char *probe_close_name(probe_close_e how);

#endif /* PROBE_HTTP_H */
