/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * fuzz_hello: the ClientHello parser and the JA4 fingerprint on arbitrary
 * bytes.  Seeds: ClientHellos of real clients (openssl s_client, curl,
 * Python, gnutls-cli).  Invariants: the parse reads nothing outside the
 * input (ASan), keeps its bounds, and a parsed hello always gives a
 * fingerprint of the fixed length in JA4's alphabet.
 */

#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "tlsi_hello.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tlsi_hello_t hello;
    char ja4[TLSI_JA4_LEN + 1];
    size_t i;

    if (!tlsi_hello_parse(data, size, &hello)) {
        return 0;
    }
    FUZZ_CHECK(hello.cipher_count <= TLSI_HELLO_MAX_CIPHERS);
    FUZZ_CHECK(hello.extension_count <= TLSI_HELLO_MAX_EXTENSIONS);
    FUZZ_CHECK(hello.sigalg_count <= TLSI_HELLO_MAX_SIGALGS);
    for (i = 0; i < (size_t)hello.extension_count; i++) {
        FUZZ_CHECK(!tlsi_hello_is_grease(hello.extensions[i]));
        FUZZ_CHECK(tlsi_hello_has_extension(&hello, hello.extensions[i]));
    }
    tlsi_hello_ja4(&hello, ja4);
    FUZZ_CHECK(strlen(ja4) == TLSI_JA4_LEN);
    FUZZ_CHECK(ja4[0] == 't' && ja4[10] == '_' && ja4[23] == '_');
    for (i = 11; i < TLSI_JA4_LEN; i++) {
        FUZZ_CHECK(i == 23 || strchr("0123456789abcdef", ja4[i]) != NULL);
    }
    return 0;
}
