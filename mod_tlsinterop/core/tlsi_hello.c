/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "tlsi_hello.h"
#include "tlsi_ossl.h"
#include "tlsi_wire.h"

#define CLIENT_HELLO 1

int tlsi_hello_is_grease(unsigned int value)
{
    return (value & 0x0f0f) == 0x0a0a && (value >> 8) == (value & 0xff);
}

/* A list of 16-bit values, GREASE counted and left out. */
static int values(tlsi_wire_t *r, tlsi_hello_t *hello, unsigned short *out,
                  int max, int *count)
{
    apr_size_t v;

    if (tlsi_wire_left(r) % 2 != 0) {
        return 0;
    }
    while (tlsi_wire_left(r) >= 2) {
        tlsi_wire_uint(r, 2, &v);
        if (tlsi_hello_is_grease(v)) {
            hello->grease = 1;
            continue;
        }
        if (*count >= max) {
            return 0;
        }
        out[(*count)++] = (unsigned short)v;
    }
    return 1;
}

static int supported_versions(tlsi_wire_t *data, tlsi_hello_t *hello)
{
    tlsi_wire_t list;
    apr_size_t v;

    if (!tlsi_wire_vector(data, 1, &list) || tlsi_wire_left(&list) % 2 != 0) {
        return 0;
    }
    while (tlsi_wire_left(&list) >= 2) {
        tlsi_wire_uint(&list, 2, &v);
        if (tlsi_hello_is_grease(v)) {
            hello->grease = 1;
        }
        else if (v > hello->version) {
            hello->version = v;
        }
    }
    return 1;
}

static int alpn(tlsi_wire_t *data, tlsi_hello_t *hello)
{
    tlsi_wire_t list, first;

    if (!tlsi_wire_vector(data, 2, &list)) {
        return 0;
    }
    if (tlsi_wire_left(&list) == 0) {
        return 1;
    }
    if (!tlsi_wire_vector(&list, 1, &first)) {
        return 0;
    }
    hello->alpn_len = tlsi_wire_left(&first);
    if (hello->alpn_len > 0) {
        hello->alpn_first = first.at[0];
        hello->alpn_last = first.end[-1];
    }
    return 1;
}

static int extension(apr_size_t type, tlsi_wire_t *data, tlsi_hello_t *hello)
{
    tlsi_wire_t list;

    switch (type) {
    case TLSI_EXT_SERVER_NAME:
        hello->has_sni = 1;
        return 1;
    case TLSI_EXT_ALPN:
        return alpn(data, hello);
    case TLSI_EXT_SIGNATURE_ALGORITHMS:
        return tlsi_wire_vector(data, 2, &list)
               && values(&list, hello, hello->sigalgs, TLSI_HELLO_MAX_SIGALGS,
                         &hello->sigalg_count);
    case TLSI_EXT_SUPPORTED_VERSIONS:
        hello->version = 0;
        return supported_versions(data, hello);
    default:
        return 1;
    }
}

int tlsi_hello_parse(const unsigned char *msg, size_t len,
                     tlsi_hello_t *hello)
{
    tlsi_wire_t r, body, part, exts, data;
    apr_size_t type, value, length, legacy_version;

    memset(hello, 0, sizeof(*hello));
    tlsi_wire_init(&r, msg, len);
    /* The header's 24-bit length covers exactly the rest. */
    if (msg == NULL || !tlsi_wire_uint(&r, 1, &type) || type != CLIENT_HELLO
        || !tlsi_wire_uint(&r, 3, &length) || !tlsi_wire_sub(&r, length, &body)
        || tlsi_wire_left(&r) != 0) {
        return 0;
    }
    if (!tlsi_wire_uint(&body, 2, &legacy_version)
        || !tlsi_wire_sub(&body, 32, &part)                    /* random */
        || !tlsi_wire_vector(&body, 1, &part)                  /* session id */
        || tlsi_wire_left(&part) > 32
        || !tlsi_wire_vector(&body, 2, &part)
        || !values(&part, hello, hello->ciphers, TLSI_HELLO_MAX_CIPHERS,
                   &hello->cipher_count)
        || !tlsi_wire_vector(&body, 1, &part)) {               /* compression */
        return 0;
    }
    hello->legacy_version = (unsigned int)legacy_version;
    hello->version = hello->legacy_version;
    if (tlsi_wire_left(&body) == 0) {
        return 1;                                    /* no extensions */
    }
    if (!tlsi_wire_vector(&body, 2, &exts) || tlsi_wire_left(&body) != 0) {
        return 0;
    }
    while (tlsi_wire_left(&exts) > 0) {
        if (!tlsi_wire_uint(&exts, 2, &value)
            || !tlsi_wire_vector(&exts, 2, &data)) {
            return 0;
        }
        if (tlsi_hello_is_grease(value)) {
            hello->grease = 1;
            continue;
        }
        if (hello->extension_count >= TLSI_HELLO_MAX_EXTENSIONS
            || !extension(value, &data, hello)) {
            return 0;
        }
        hello->extensions[hello->extension_count++] = (unsigned short)value;
    }
    return 1;
}

int tlsi_hello_has_extension(const tlsi_hello_t *hello, unsigned int type)
{
    int i;

    for (i = 0; i < hello->extension_count; i++) {
        if (hello->extensions[i] == type) {
            return 1;
        }
    }
    return 0;
}

/* -- JA4 ----------------------------------------------------------------- */

static const char *version_code(unsigned int version)
{
    switch (version) {
    case 0x0304: return "13";
    case 0x0303: return "12";
    case 0x0302: return "11";
    case 0x0301: return "10";
    case 0x0300: return "s3";
    case 0x0002: return "s2";
    case 0xfeff: return "d1";
    case 0xfefd: return "d2";
    case 0xfefc: return "d3";
    default: return "00";
    }
}

static int alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')
           || (c >= 'a' && c <= 'z');
}

/* The first and last characters of the first ALPN value; their hex
 * digits where either byte is not alphanumeric; "00" for none. */
static void alpn_code(const tlsi_hello_t *hello, char out[3])
{
    static const char hex[] = "0123456789abcdef";

    if (hello->alpn_len == 0) {
        strcpy(out, "00");
    }
    else if (alnum(hello->alpn_first) && alnum(hello->alpn_last)) {
        out[0] = (char)hello->alpn_first;
        out[1] = (char)hello->alpn_last;
        out[2] = '\0';
    }
    else {
        out[0] = hex[hello->alpn_first >> 4];
        out[1] = hex[hello->alpn_last & 0x0f];
        out[2] = '\0';
    }
}

static void sort(unsigned short *v, int n)
{
    int i, j;

    for (i = 1; i < n; i++) {
        unsigned short x = v[i];

        for (j = i; j > 0 && v[j - 1] > x; j--) {
            v[j] = v[j - 1];
        }
        v[j] = x;
    }
}

/* "0a0b,..." into out (5 bytes a value, room checked by the bounds);
 * by hand, as sprintf() would cost more than all the rest. */
static size_t hex_list(char *out, const unsigned short *v, int n)
{
    static const char hex[] = "0123456789abcdef";
    size_t at = 0;
    int i;

    for (i = 0; i < n; i++) {
        if (i > 0) {
            out[at++] = ',';
        }
        out[at++] = hex[v[i] >> 12];
        out[at++] = hex[(v[i] >> 8) & 0x0f];
        out[at++] = hex[(v[i] >> 4) & 0x0f];
        out[at++] = hex[v[i] & 0x0f];
    }
    return at;
}

/* The first 12 hex digits of the SHA-256 of text. */
static void hash12(const char *text, size_t len, char out[13])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    const EVP_MD *sha256 = tlsi_ossl_sha256();
    int i;

    if (sha256 == NULL
        || !EVP_Digest(text, len, md, NULL, sha256, NULL)) {
        memset(md, 0, sizeof(md));
    }
    for (i = 0; i < 6; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0x0f];
    }
    out[12] = '\0';
}

static int two_digits(int n)
{
    return n > 99 ? 99 : n;
}

void tlsi_hello_ja4(const tlsi_hello_t *hello, char out[TLSI_JA4_LEN + 1])
{
    /* Room for the longest lists the parser keeps, as "xxxx," each. */
    char text[5 * (TLSI_HELLO_MAX_EXTENSIONS + TLSI_HELLO_MAX_SIGALGS) + 2];
    unsigned short sorted[TLSI_HELLO_MAX_CIPHERS];
    char alpn[3], ciphers[13], extensions[13];
    int i, n = 0;
    size_t len;

    memcpy(sorted, hello->ciphers, sizeof(*sorted) * hello->cipher_count);
    sort(sorted, hello->cipher_count);
    if (hello->cipher_count == 0) {
        strcpy(ciphers, "000000000000");
    }
    else {
        char list[5 * TLSI_HELLO_MAX_CIPHERS + 1];

        hash12(list, hex_list(list, sorted, hello->cipher_count), ciphers);
    }

    /* Extensions sorted, SNI and ALPN left out (the first part says
     * them), then the signature algorithms in the order sent. */
    for (i = 0; i < hello->extension_count; i++) {
        if (hello->extensions[i] != TLSI_EXT_SERVER_NAME
            && hello->extensions[i] != TLSI_EXT_ALPN) {
            sorted[n++] = hello->extensions[i];
        }
    }
    sort(sorted, n);
    if (n == 0) {
        strcpy(extensions, "000000000000");
    }
    else {
        len = hex_list(text, sorted, n);
        if (hello->sigalg_count > 0) {
            text[len++] = '_';
            len += hex_list(text + len, hello->sigalgs, hello->sigalg_count);
        }
        hash12(text, len, extensions);
    }

    alpn_code(hello, alpn);
    snprintf(out, TLSI_JA4_LEN + 1, "t%s%c%02d%02d%s_%s_%s",
             version_code(hello->version), hello->has_sni ? 'd' : 'i',
             two_digits(hello->cipher_count),
             two_digits(hello->extension_count), alpn, ciphers, extensions);
}
