#!/usr/bin/python3
"""Write the seed corpus of each fuzz target into tests/fuzz/corpus/.

The seeds are small, valid-looking inputs that get each target past its
format checks at once; libFuzzer mutates from there.  Run again after
changing an input format, and commit the result."""

import os
import shutil
import subprocess
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def der(tag, body):
    n = len(body)
    if n < 128:
        length = bytes([n])
    elif n < 256:
        length = bytes([0x81, n])
    else:
        length = bytes([0x82, n >> 8, n & 0xff])
    return bytes([tag]) + length + body


def dn(*attrs):
    oids = {"C": b"\x55\x04\x06", "O": b"\x55\x04\x0a", "CN": b"\x55\x04\x03"}
    rdns = b"".join(der(0x31, der(0x30, der(0x06, oids[k]) + der(0x0c, v.encode())))
                    for k, v in attrs)
    return der(0x30, rdns)


def u16(n):
    return struct.pack(">H", n)


def u24(n):
    return struct.pack(">I", n)[1:]


def names_block(count):
    out = b""
    for i in range(count):
        name = dn(("C", "US"), ("O", "Example Trust %d" % i), ("CN", "Root CA %d" % i))
        out += u16(len(name)) + name
    return out


def cr12(count, sigalgs=9):
    names = names_block(count)
    body = bytes([3, 1, 2, 64]) + u16(2 * sigalgs) + b"\x04\x03" * sigalgs
    body += u16(len(names)) + names
    return bytes([13]) + u24(len(body)) + body


def cr13(count, sigalgs=9):
    names = names_block(count)
    exts = u16(13) + u16(2 + 2 * sigalgs) + u16(2 * sigalgs) + b"\x08\x04" * sigalgs
    if count:
        exts += u16(47) + u16(2 + len(names)) + u16(len(names)) + names
    body = b"\x00" + u16(len(exts)) + exts
    return bytes([13]) + u24(len(body)) + body


def calist(budget, shape, names):
    out = u16(budget) + bytes(shape)
    for flags, cn in names:
        out += bytes([len(cn), flags]) + cn.encode()
    return out


def real_pem():
    """A real self-signed certificate, made for the seed."""
    out = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-keyout", "/dev/null",
         "-subj", "/O=tlsinterop fuzz seed/CN=Seed Root CA", "-days", "3650"],
        check=True, capture_output=True)
    return out.stdout.decode()


PEM = real_pem()

SEEDS = {
    "agent": {
        "ie6": b"Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)",
        "ie5": b"Mozilla/4.0 (compatible; MSIE 5.5; Windows 98)",
        "ie11": b"Mozilla/5.0 (Windows NT 10.0; Trident/7.0; rv:11.0) like Gecko",
        "chrome": b"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
                  b"(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "curl": b"curl/7.88.1",
        "python": b"Python-urllib/3.11",
        "empty": b"",
        "nul": b"MSIE\x006.0; MSIE 6\x00.",
        "control": b"\x01\x1f\x7fMSIE 4.\r\n\t",
        "backtrack": b"a" * 300 + b"b",
    },
    "args": {
        "limit-auto": b"\x00auto",
        "limit-bytes": b"\x0012288",
        "limit-off": b"\x00OFF",
        "limit-big": b"\x0099999999999999999999",
        "shutdown": b"\x01shutdown=unclean",
        "shutdown-bad": b"\x01shutdown=",
        "margin": b"\x021",
        "margin-off": b"\x02off",
        "margin-neg": b"\x02-1",
        "regex": b"\x03MSIE [2-6]\\.",
        "regex-bad": b"\x03(?<bad",
        "regex-long": b"\x03" + b"(a|b)*" * 40,
        "pem": b"\x04" + PEM.encode(),
        "pem-two": b"\x04" + (PEM * 2).encode(),
        "pem-garbage": b"\x04-----BEGIN CERTIFICATE-----\nbm90!!\n-----END CERTIFICATE-----\n",
    },
    "calist": {
        "small": calist(16384, [1, 3, 9, 0], [(3, "Root CA %d" % i) for i in range(20)]),
        "tight": calist(300, [3, 3, 9, 2], [(1, "A" * 200), (2, "B" * 10), (0, "C")]),
        "prefer": calist(1024, [2, 1, 11, 0], [(4, "Preferred %d" % i) for i in range(5)]
                         + [(3, "Other %d" % i) for i in range(40)]
                         + [(8, "Absent")]),
        "many": calist(16384, [1, 3, 9, 1], [(3, "Authority number %04d" % i)
                                             for i in range(120)]),
    },
    "careq": {
        "tls12-empty": b"\x00" + cr12(0),
        "tls12-3": b"\x00" + cr12(3),
        "tls12-40": b"\x00" + cr12(40),
        "tls13-empty": b"\x01" + cr13(0),
        "tls13-3": b"\x01" + cr13(3),
        "tls13-40": b"\x01" + cr13(40, sigalgs=20),
    },
}


def main():
    shutil.rmtree(CORPUS, ignore_errors=True)
    for target, seeds in SEEDS.items():
        d = os.path.join(CORPUS, target)
        os.makedirs(d)
        for name, data in seeds.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
