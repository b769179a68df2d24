/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * probe_track: which records carried each handshake message a TLS client
 * receives, from OpenSSL's message callback (every record header, and for
 * TLS 1.3 the inner content type).
 *
 * A TLS 1.3 record's plaintext is its length less the inner type byte and
 * a 16-byte AEAD tag: offer only AES-GCM and ChaCha20-Poly1305 suites
 * (PROBE_TLS13_SUITES).  After a TLS 1.2 ChangeCipherSpec the record sizes
 * are ciphertext; the Finished that follows is counted as one record.
 */
#ifndef PROBE_TRACK_H
#define PROBE_TRACK_H

#include <stddef.h>

#include <openssl/ssl.h>

#define PROBE_TLS13_SUITES "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:" \
                           "TLS_CHACHA20_POLY1305_SHA256"
/* The key exchange groups of a client that asks for max_fragment_length:
 * small devices offer classical key shares.  OpenSSL 3.5's default hybrid
 * ML-KEM share draws a ServerHello of over 1,200 bytes, which no 512- or
 * 1024-byte fragment holds, whatever the server does. */
#define PROBE_CONSTRAINED_GROUPS "X25519:P-256:P-384"
#define PROBE_MAX_MESSAGES 64

typedef struct {
    int type;               /* handshake message type */
    size_t len;             /* whole message, header included */
    int records;            /* records that carried part of it */
    const unsigned char *bytes;  /* the message, if kept (see keep_type) */
} probe_msg_t;

typedef struct probe_track {
    /* settings */
    int abort_fd;           /* >= 0: shut this socket on a split message */
    int keep_type;          /* keep a copy of the first message of this type */
    /* results */
    probe_msg_t msgs[PROBE_MAX_MESSAGES];
    int count;
    int split;              /* index of the first split message, or -1 */
    /* state */
    int tracking, after_ccs, post_ccs_record;
    size_t pending_outer_len, record_bytes, message_bytes;
    int records_in_message;
} probe_track_t;

void probe_track_init(probe_track_t *t, int abort_fd, int keep_type);

/* Start tracking ssl's incoming messages into t. */
void probe_track_attach(probe_track_t *t, SSL *ssl);

/* Free kept message copies. */
void probe_track_free(probe_track_t *t);

/* The first message of a type, or NULL. */
const probe_msg_t *probe_track_find(const probe_track_t *t, int type);

/* "CertificateRequest", ... */
const char *probe_message_name(int type);

#endif /* PROBE_TRACK_H */
