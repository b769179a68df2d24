/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * The CertificateRequest parser, which tlsinterop-probe and the start-up
 * shape learning feed with bytes a server sent.  The first input byte
 * picks TLS 1.3 (odd) or 1.2; the rest is the message.  A message it
 * accepts must agree with the size model: the shape learned from it,
 * applied to its names, gives back its exact length.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "tlsi_careq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tlsi_cr_info_t info;
    tlsi_cr_shape_t shape;
    int tls13;

    if (size < 1) {
        return 0;
    }
    tls13 = data[0] & 1;
    memset(&info, 0, sizeof(info));
    if (!tlsi_cr_parse(data + 1, size - 1, tls13, &info)) {
        return 0;
    }
    FUZZ_CHECK(info.msg_len == size - 1);
    FUZZ_CHECK(info.names_len <= info.msg_len);
    FUZZ_CHECK(info.ca_names <= info.names_len / 2);

    memset(&shape, 0, sizeof(shape));
    tlsi_cr_shape_learn(&shape, &info);
    if (tls13 && info.context_len == 0) {
        FUZZ_CHECK(tlsi_cr_size_tls13(&shape, info.names_len)
                   == info.msg_len);
    }
    if (!tls13) {
        FUZZ_CHECK(tlsi_cr_size_tls12(&shape, info.names_len)
                   == info.msg_len);
    }
    return 0;
}
