/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * probe_net: host[:port] targets and TCP connections that never wait
 * longer than they are told.
 */
#ifndef PROBE_NET_H
#define PROBE_NET_H

#include <openssl/ssl.h>

#include <stddef.h>

/*
 * Split "host", "host:port", "[v6]" or "[v6]:port" into host and port
 * (default "443").  Returns 0, or -1 for a malformed target.
 */
int probe_parse_target(const char *target, char *host, size_t hostlen,
                       char *port, size_t portlen);

/*
 * Connect within timeout seconds.  Returns the socket, or -1 with a
 * one-line reason in err.
 */
/* Make ctx's ClientHellos carry an empty extension of type: what
 * identifies a stack family (34, delegated_credentials: NSS; 0x0a0a, an
 * RFC 8701 GREASE value: BoringSSL).  0 if OpenSSL refuses the type. */
int probe_add_trait(SSL_CTX *ctx, unsigned int type);

int probe_connect(const char *host, const char *port, int timeout, char *err,
                  size_t errlen);

/* Every later blocking read or write on fd gives up after seconds. */
void probe_set_timeout(int fd, double seconds);

/* Seconds since some fixed point. */
double probe_now(void);

#endif /* PROBE_NET_H */
