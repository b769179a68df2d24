/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/* The ClientHello parser and the JA4 fingerprint, against the example of
 * FoxIO's JA4 specification, real clients' traits and hostile bytes. */

#include <string.h>

#include <openssl/sha.h>

#include "tlsi_hello.h"
#include "tlsi_test.h"

/* A ClientHello under construction. */
typedef struct {
    unsigned char buf[8192];
    size_t len;
} msg_t;

static void put8(msg_t *m, unsigned int v)
{
    m->buf[m->len++] = (unsigned char)v;
}

static void put16(msg_t *m, unsigned int v)
{
    put8(m, v >> 8);
    put8(m, v & 0xff);
}

/* Start a length of width bytes; returns where to fill it in. */
static size_t open_len(msg_t *m, int width)
{
    size_t at = m->len;

    m->len += (size_t)width;
    return at;
}

static void close_len(msg_t *m, size_t at, int width)
{
    size_t n = m->len - at - (size_t)width;
    int i;

    for (i = 0; i < width; i++) {
        m->buf[at + i] = (unsigned char)(n >> (8 * (width - 1 - i)));
    }
}

typedef struct {
    const unsigned short *ciphers;
    int cipher_count;
    const unsigned short *extensions;   /* types, in order */
    int extension_count;
    const unsigned short *sigalgs;
    int sigalg_count;
    const char *alpn;                   /* first value, or NULL */
    unsigned int max_version;           /* in supported_versions, or 0 */
} hello_spec_t;

static void build(msg_t *m, const hello_spec_t *h)
{
    size_t header, ciphers, exts, ext, inner;
    int i, j;

    m->len = 0;
    put8(m, 1);
    header = open_len(m, 3);
    put16(m, 0x0303);
    for (i = 0; i < 32; i++) {
        put8(m, i);
    }
    put8(m, 0);                                 /* session id */
    ciphers = open_len(m, 2);
    for (i = 0; i < h->cipher_count; i++) {
        put16(m, h->ciphers[i]);
    }
    close_len(m, ciphers, 2);
    put8(m, 1);
    put8(m, 0);                                 /* null compression */
    exts = open_len(m, 2);
    for (i = 0; i < h->extension_count; i++) {
        put16(m, h->extensions[i]);
        ext = open_len(m, 2);
        switch (h->extensions[i]) {
        case TLSI_EXT_SERVER_NAME:
            inner = open_len(m, 2);
            put8(m, 0);
            put16(m, 9);
            memcpy(m->buf + m->len, "localhost", 9);
            m->len += 9;
            close_len(m, inner, 2);
            break;
        case TLSI_EXT_ALPN:
            inner = open_len(m, 2);
            put8(m, strlen(h->alpn));
            memcpy(m->buf + m->len, h->alpn, strlen(h->alpn));
            m->len += strlen(h->alpn);
            put8(m, 8);
            memcpy(m->buf + m->len, "http/1.1", 8);
            m->len += 8;
            close_len(m, inner, 2);
            break;
        case TLSI_EXT_SIGNATURE_ALGORITHMS:
            inner = open_len(m, 2);
            for (j = 0; j < h->sigalg_count; j++) {
                put16(m, h->sigalgs[j]);
            }
            close_len(m, inner, 2);
            break;
        case TLSI_EXT_SUPPORTED_VERSIONS:
            inner = open_len(m, 1);
            put16(m, 0x3a3a);                   /* GREASE */
            put16(m, h->max_version);
            put16(m, 0x0303);
            close_len(m, inner, 1);
            break;
        default:
            put8(m, 0);
            break;
        }
        close_len(m, ext, 2);
    }
    close_len(m, exts, 2);
    close_len(m, header, 3);
}

/* The example of FoxIO's JA4 specification (technical_details/JA4.md). */
static const unsigned short spec_ciphers[] = {
    0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
    0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035
};
static const unsigned short spec_extensions[] = {
    0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005,
    0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015
};
static const unsigned short spec_sigalgs[] = {
    0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601
};

static hello_spec_t spec_example(void)
{
    hello_spec_t h = { spec_ciphers, 15, spec_extensions, 16, spec_sigalgs,
                       8, "h2", 0x0304 };
    return h;
}

static void the_specifications_example(apr_pool_t *p)
{
    hello_spec_t h = spec_example();
    tlsi_hello_t hello;
    char ja4[TLSI_JA4_LEN + 1];
    msg_t m;

    (void)p;
    build(&m, &h);
    CHECK(tlsi_hello_parse(m.buf, m.len, &hello));
    tlsi_hello_ja4(&hello, ja4);
    CHECK(strcmp(ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1") == 0);
    CHECK_EQ(hello.version, 0x0304);
    /* the builder puts a GREASE version in supported_versions */
    CHECK(hello.grease);
}

/* The specification's intermediate hashes, each from its own string. */
static void the_specifications_hashes(apr_pool_t *p)
{
    static const struct {
        const char *text, *hash;
    } cases[] = {
        { "002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,"
          "c030,cca8,cca9", "8daaf6152771" },
        { "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,"
          "4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601",
          "e5627efa2ab1" },
        { "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,"
          "4469,ff01", "6d807ffa2a79" },
    };
    /* With no signature algorithms, the string ends without "_". */
    hello_spec_t h = spec_example();
    tlsi_hello_t hello;
    char ja4[TLSI_JA4_LEN + 1];
    msg_t m;
    size_t i;

    (void)p;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned char md[SHA256_DIGEST_LENGTH];
        char hex[13];
        int j;

        SHA256((const unsigned char *)cases[i].text, strlen(cases[i].text),
               md);
        for (j = 0; j < 6; j++) {
            sprintf(hex + 2 * j, "%02x", md[j]);
        }
        CHECK(strcmp(hex, cases[i].hash) == 0);
    }
    /* The same hello without signature_algorithms: 15 extensions, and the
     * third part from the list alone. */
    {
        static unsigned short no_sigalgs[15];
        int n = 0;

        for (i = 0; i < 16; i++) {
            if (spec_extensions[i] != TLSI_EXT_SIGNATURE_ALGORITHMS) {
                no_sigalgs[n++] = spec_extensions[i];
            }
        }
        h.extensions = no_sigalgs;
        h.extension_count = n;
    }
    build(&m, &h);
    CHECK(tlsi_hello_parse(m.buf, m.len, &hello));
    tlsi_hello_ja4(&hello, ja4);
    /* 000d gone from the sorted list: a different third part. */
    CHECK(strncmp(ja4, "t13d1515h2_8daaf6152771_", 24) == 0);
}

static void grease_and_traits(apr_pool_t *p)
{
    static const unsigned short ciphers[] = { 0x0a0a, 0x1301, 0x1302 };
    static const unsigned short exts[] = { 0x2a2a, 0x0000, 0x0022, 0x002b };
    hello_spec_t h = { ciphers, 3, exts, 4, NULL, 0, NULL, 0x0304 };
    tlsi_hello_t hello;
    char ja4[TLSI_JA4_LEN + 1];
    msg_t m;

    (void)p;
    CHECK(tlsi_hello_is_grease(0x0a0a) && tlsi_hello_is_grease(0xfafa));
    CHECK(!tlsi_hello_is_grease(0x0a1a) && !tlsi_hello_is_grease(0x1301));
    build(&m, &h);
    CHECK(tlsi_hello_parse(m.buf, m.len, &hello));
    CHECK(hello.grease);
    CHECK(tlsi_hello_has_extension(&hello, TLSI_EXT_DELEGATED_CREDENTIALS));
    CHECK(!tlsi_hello_has_extension(&hello, 0x2a2a));
    CHECK_EQ(hello.cipher_count, 2);
    CHECK_EQ(hello.extension_count, 3);
    tlsi_hello_ja4(&hello, ja4);
    /* GREASE not counted; no ALPN: "00" */
    CHECK(strncmp(ja4, "t13d020300_", 11) == 0);
}

static void alpn_codes(apr_pool_t *p)
{
    static const struct {
        const char *alpn, *code;
    } cases[] = {
        { "h2", "h2" }, { "http/1.1", "h1" }, { "x", "xx" },
        { "\xab", "ab" }, { "\xab\xcd", "ad" }, { "0\xab", "3b" },
        { "0\xab\xcd" "1", "01" },
    };
    static const unsigned short exts[] = { 0x0010 };
    static const unsigned short ciphers[] = { 0x1301 };
    size_t i;

    (void)p;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        hello_spec_t h = { ciphers, 1, exts, 1, NULL, 0, cases[i].alpn, 0 };
        tlsi_hello_t hello;
        char ja4[TLSI_JA4_LEN + 1];
        msg_t m;

        build(&m, &h);
        CHECK(tlsi_hello_parse(m.buf, m.len, &hello));
        tlsi_hello_ja4(&hello, ja4);
        CHECK(strncmp(ja4 + 8, cases[i].code, 2) == 0);
        /* TLS 1.2 (no supported_versions), no SNI */
        CHECK(strncmp(ja4, "t12i0101", 8) == 0);
    }
}

/* Every truncation and every single-byte change: never a crash, never a
 * read outside the message (ASan under make test SANITIZE=1). */
static void hostile_bytes(apr_pool_t *p)
{
    hello_spec_t h = spec_example();
    tlsi_hello_t hello;
    char ja4[TLSI_JA4_LEN + 1];
    msg_t m;
    size_t cut, at;
    int ok = 0;

    (void)p;
    build(&m, &h);
    for (cut = 0; cut < m.len; cut++) {
        /* A shorter copy, so that a read past its end would be caught. */
        unsigned char *copy = malloc(cut ? cut : 1);

        memcpy(copy, m.buf, cut);
        CHECK(!tlsi_hello_parse(copy, cut, &hello));
        free(copy);
    }
    for (at = 0; at < m.len; at++) {
        unsigned char saved = m.buf[at];

        m.buf[at] ^= 0xff;
        if (tlsi_hello_parse(m.buf, m.len, &hello)) {
            tlsi_hello_ja4(&hello, ja4);
            CHECK_EQ(strlen(ja4), TLSI_JA4_LEN);
            ok++;
        }
        m.buf[at] = saved;
    }
    CHECK(ok > 0);
    CHECK(!tlsi_hello_parse(NULL, 0, &hello));
}

/* More values than the bounds: the parse gives up. */
static void too_many_values(apr_pool_t *p)
{
    static unsigned short ciphers[TLSI_HELLO_MAX_CIPHERS + 1];
    hello_spec_t h = { ciphers, TLSI_HELLO_MAX_CIPHERS + 1, NULL, 0, NULL, 0,
                       NULL, 0 };
    tlsi_hello_t hello;
    msg_t m;
    int i;

    (void)p;
    for (i = 0; i <= TLSI_HELLO_MAX_CIPHERS; i++) {
        ciphers[i] = (unsigned short)(0x1000 + i);
    }
    build(&m, &h);
    CHECK(!tlsi_hello_parse(m.buf, m.len, &hello));
    h.cipher_count = TLSI_HELLO_MAX_CIPHERS;
    build(&m, &h);
    CHECK(tlsi_hello_parse(m.buf, m.len, &hello));
}

int main(void)
{
    apr_pool_t *pool = tlsi_test_init();

    TLSI_RUN(the_specifications_example, pool);
    TLSI_RUN(the_specifications_hashes, pool);
    TLSI_RUN(grease_and_traits, pool);
    TLSI_RUN(alpn_codes, pool);
    TLSI_RUN(hostile_bytes, pool);
    TLSI_RUN(too_many_values, pool);
    return tlsi_test_done("test_hello");
}
