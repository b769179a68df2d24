"""Just enough DER to find a certificate's subject, for size arithmetic."""

import base64
import re

PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----",
                      re.S)


def pem_certs(data):
    """The DER bytes of each certificate in PEM text, in order."""
    return [base64.b64decode(b"".join(m.group(1).split()))
            for m in PEM_CERT.finditer(data)]


def _tlv(buf, pos):
    """(tag, start of value, end of value) of the element at pos."""
    tag = buf[pos]
    length = buf[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(buf[pos:pos + count], "big")
        pos += count
    return tag, pos, pos + length


def subject_der(cert):
    """The DER encoding of a certificate's subject Name."""
    _, pos, _ = _tlv(cert, 0)             # Certificate
    _, pos, _ = _tlv(cert, pos)           # tbsCertificate
    fields = []
    while len(fields) < 6:
        tag, start, end = _tlv(cert, pos)
        if tag != 0xA0:                   # skip the explicit version
            fields.append((pos, end))
        pos = end
    # serial, signature, issuer, validity, subject
    begin, end = fields[4]
    return cert[begin:end]


def name_wire_len(cert):
    """Bytes the certificate's subject adds to a CertificateRequest's list."""
    return 2 + len(subject_der(cert))
