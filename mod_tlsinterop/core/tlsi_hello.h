/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * tlsi_hello: what a ClientHello says about the client's TLS stack.
 *
 * Pure core: needs OpenSSL (SHA-256) only.  The parser reads a ClientHello
 * handshake message as a server receives it, every byte of which is the
 * client's to choose: it checks every length against what is left, keeps
 * nothing that points into the message, and gives up (returns 0) on
 * anything malformed or longer than the bounds below, so that the caller
 * falls back to what it gives an unknown client.
 *
 * From it come the traits that identify a stack family (RFC 8701 GREASE
 * values, which BoringSSL clients such as Chromium send; the
 * delegated_credentials extension, which only NSS, as in Firefox, sends)
 * and the JA4 TLS client fingerprint (FoxIO's published specification,
 * technical_details/JA4.md in FoxIO-LLC/ja4), which admins can see in
 * their logs and name in TLSInteropClientClass.
 */
#ifndef TLSI_HELLO_H
#define TLSI_HELLO_H

#include <stddef.h>

/* Bounds on what a ClientHello may list; more fails the parse. */
#define TLSI_HELLO_MAX_CIPHERS 256
#define TLSI_HELLO_MAX_EXTENSIONS 96
#define TLSI_HELLO_MAX_SIGALGS 96

/* "t13d1516h2_8daaf6152771_e5627efa2ab1" */
#define TLSI_JA4_LEN 36

#define TLSI_EXT_SERVER_NAME 0x0000
#define TLSI_EXT_ALPN 0x0010
#define TLSI_EXT_SIGNATURE_ALGORITHMS 0x000d
#define TLSI_EXT_SUPPORTED_VERSIONS 0x002b
#define TLSI_EXT_DELEGATED_CREDENTIALS 0x0022

typedef struct tlsi_hello {
    unsigned int legacy_version;
    unsigned int version;           /* the highest offered, GREASE aside */
    int grease;                     /* any RFC 8701 value anywhere seen */
    int has_sni;
    /* GREASE left out, in the order sent */
    int cipher_count, extension_count, sigalg_count;
    unsigned short ciphers[TLSI_HELLO_MAX_CIPHERS];
    unsigned short extensions[TLSI_HELLO_MAX_EXTENSIONS];
    unsigned short sigalgs[TLSI_HELLO_MAX_SIGALGS];
    /* the first ALPN value's first and last bytes, and its length */
    unsigned char alpn_first, alpn_last;
    size_t alpn_len;
} tlsi_hello_t;

/* Is value one of RFC 8701's reserved GREASE code points (0x?a?a)? */
int tlsi_hello_is_grease(unsigned int value);

/*
 * Parse a ClientHello handshake message, its 4-byte header included
 * (type 1 and a 24-bit length that must match len).  Returns 1 and fills
 * hello, or 0 when msg is no well-formed ClientHello within the bounds.
 */
int tlsi_hello_parse(const unsigned char *msg, size_t len,
                     tlsi_hello_t *hello);

/* Did the client send the extension (GREASE types are never kept)? */
int tlsi_hello_has_extension(const tlsi_hello_t *hello, unsigned int type);

/* The JA4 fingerprint of TLS over TCP, NUL-terminated. */
void tlsi_hello_ja4(const tlsi_hello_t *hello, char out[TLSI_JA4_LEN + 1]);

#endif /* TLSI_HELLO_H */
