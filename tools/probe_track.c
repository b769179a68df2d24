/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "probe_track.h"

#define AEAD_TAG_LEN 16
#define RT_CHANGE_CIPHER_SPEC 20
#define RT_HANDSHAKE 22
#define RT_APPLICATION_DATA 23

const char *probe_message_name(int type)
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
    case 24: return "KeyUpdate";
    default: return "handshake message";
    }
}

void probe_track_init(probe_track_t *t, int abort_fd, int keep_type)
{
    memset(t, 0, sizeof(*t));
    t->abort_fd = abort_fd;
    t->keep_type = keep_type;
    t->split = -1;
    t->tracking = 1;
}

void probe_track_free(probe_track_t *t)
{
    int i;

    for (i = 0; i < t->count; i++) {
        free((void *)t->msgs[i].bytes);
        t->msgs[i].bytes = NULL;
    }
}

const probe_msg_t *probe_track_find(const probe_track_t *t, int type)
{
    int i;

    for (i = 0; i < t->count; i++) {
        if (t->msgs[i].type == type) {
            return &t->msgs[i];
        }
    }
    return NULL;
}

/* A handshake record with len bytes of plaintext arrived. */
static void on_handshake_record(probe_track_t *t, size_t len)
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

static void on_record_header(probe_track_t *t, const unsigned char *h)
{
    size_t len = ((size_t)h[3] << 8) | h[4];

    if (h[0] == RT_CHANGE_CIPHER_SPEC) {
        t->after_ccs = 1;
    }
    else if (h[0] == RT_HANDSHAKE) {
        if (t->after_ccs) {
            t->tracking = 0;        /* TLS 1.2: ciphertext from here */
            t->post_ccs_record = 1;
        }
        else if (t->tracking) {
            on_handshake_record(t, len);
        }
    }
    else if (h[0] == RT_APPLICATION_DATA) {
        t->pending_outer_len = len;
    }
}

static void on_message(probe_track_t *t, const unsigned char *msg, size_t len)
{
    probe_msg_t *m;

    if (t->count >= PROBE_MAX_MESSAGES) {
        return;
    }
    m = &t->msgs[t->count++];
    m->type = msg[0];
    m->len = len;
    if (t->tracking) {
        t->message_bytes += len;
        m->records = t->records_in_message;
    }
    else {
        m->records = t->post_ccs_record;
        t->post_ccs_record = 0;
    }
    if (m->type == t->keep_type && probe_track_find(t, m->type) == m
        && (m->bytes = malloc(len)) != NULL) {
        memcpy((void *)m->bytes, msg, len);
    }
    if (m->records > 1 && t->split < 0) {
        t->split = t->count - 1;
        if (t->abort_fd >= 0) {
            /* Abort, as the clients that refuse split messages do. */
            shutdown(t->abort_fd, SHUT_RDWR);
        }
    }
}

static void msg_cb(int write_p, int version, int content_type, const void *buf,
                   size_t len, SSL *ssl, void *arg)
{
    probe_track_t *t = arg;
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

void probe_track_attach(probe_track_t *t, SSL *ssl)
{
    SSL_set_msg_callback(ssl, msg_cb);
    SSL_set_msg_callback_arg(ssl, t);
}
