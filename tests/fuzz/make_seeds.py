#!/usr/bin/python3
"""Write the seed corpus of each fuzz target into tests/fuzz/corpus/.

The seeds are small, valid-looking inputs that get each target past its
format checks at once; libFuzzer mutates from there.  Run again after
changing an input format, and commit the result; name targets to write
only their seeds."""

import os
import shutil
import subprocess
import struct
import sys

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


def real_pem_named(cn):
    """A real self-signed certificate for CA cn, made for the seed."""
    out = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-keyout", "/dev/null",
         "-subj", "/O=tlsinterop fuzz seed/CN=" + cn, "-days", "3650"],
        check=True, capture_output=True)
    return out.stdout.decode()


def real_pem():
    return real_pem_named("Seed Root CA")


PEM = real_pem()

def learned_entry(issued, above, day, pem, subject="CN=Seed"):
    return ("\nTLSInteropLearned: issued=%d above=%d last-seen=%s\n"
            "subject=%s\n%s" % (issued, above, day, subject, pem))


STACK_LINES = (
    "TLSInteropClientStack: ja4=t13d1312h2_f57a46bbacb6_e7c285222651 "
    "takes=whole last-seen=2025-05-30\n"
    "TLSInteropClientStack: ja4=t13i1810h2_e8f1e7e78f70_1f79a8ce6ad0 "
    "takes=32768 last-seen=2025-05-01 retry=2025-06-01\n"
    "TLSInteropClientStack: ja4=t12d0907h1_c7886603b240_ad3e8a4b2b4d "
    "takes=fitted last-seen=2025-05-01 retry=2025-05-31\n")


def learned_files():
    """State files for fuzz_learned: valid ones, then corrupt variants."""
    pems = [real_pem_named("Learned Seed CA %d" % i) for i in range(3)]
    head = ("# mod_tlsinterop: CA names learned from verified client "
            "certificates\n# Virtual host: seed\n")
    good = head + "".join(learned_entry(*e) for e in [
        (120, 4, "2025-05-30", pems[0]),
        (0, 900, "2025-05-01", pems[1]),
        (3, 0, "2024-08-15", pems[2])])
    body = pems[0].split("\n")
    broken_b64 = "\n".join(body[:2] + ["!!!!" + body[2][4:]] + body[3:])
    encrypted = "\n".join(body[:1] + ["Proc-Type: 4,ENCRYPTED",
                                      "DEK-Info: AES-128-CBC,"
                                      "00112233445566778899AABBCCDDEEFF", ""]
                           + body[1:])
    return {
        "good": good.encode(),
        "good-crlf": good.replace("\n", "\r\n").encode(),
        "one": learned_entry(1, 1, "2025-01-01", pems[0]).encode(),
        "duplicates": (learned_entry(64, 8, "2025-03-01", pems[0])
                       + learned_entry(10, 4, "2025-03-31", pems[0])).encode(),
        "old": learned_entry(5, 5, "2023-01-01", pems[1]).encode(),
        "big-counts": learned_entry(999999999999, 1000000000000, "2025-06-01",
                                    pems[2]).encode(),
        "empty": b"",
        "comments": head.encode(),
        "bad-date": learned_entry(1, 1, "2025-02-30", pems[0]).encode(),
        "bad-count": good.replace("issued=120", "issued=12x0").encode(),
        "no-counts": (head + pems[0]).encode(),
        "no-cert": (good + "\nTLSInteropLearned: issued=1 above=1 "
                    "last-seen=2025-01-01\n").encode(),
        "unterminated": (good + learned_entry(1, 1, "2025-01-01",
                                              "\n".join(body[:4]))).encode(),
        "bad-base64": learned_entry(1, 1, "2025-01-01", broken_b64).encode(),
        "encrypted": learned_entry(1, 1, "2025-01-01", encrypted).encode(),
        "junk": (good + "junk\n").encode(),
        "stacks": (head + STACK_LINES + good[len(head):]).encode(),
        "bad-stack": (head + STACK_LINES.replace("takes=whole",
                                                 "takes=all")).encode(),
    }


def cover(count, budget, shape, sizes, edges, prefer=(), learned=()):
    """fuzz_cover's input: edges are (child, issuer), issuer None outside."""
    out = bytes([count]) + u16(budget) + bytes([shape]) + bytes(sizes)
    for child, issuer in edges:
        out += bytes([child, 255 if issuer is None else issuer])
    out += b"".join(bytes([0x80, i + 4]) for i in prefer)
    out += b"".join(bytes([0xc0, i + 4]) for i in learned)
    return out


def cover_seeds():
    # two roots with intermediates, a sub-intermediate, one CA under both
    tree = [(0, 0), (1, 1), (2, 0), (3, 1), (4, 2), (5, 0), (5, 1)]
    # a cross-certified cycle below which a CA hangs, listed first
    ring = [(0, 1), (2, 1), (3, 2), (1, 3), (4, 4)]
    # 60 CAs: 6 roots, each with intermediates, some cross-signed
    big = [(i, i) for i in range(6)]
    big += [(i, i % 6) for i in range(6, 60)]
    big += [(i, (i + 1) % 6) for i in range(6, 60, 7)]
    big += [(i, None) for i in range(50, 60, 3)]
    return {
        "tree": cover(6, 600, 1, [40] * 6, tree, learned=[3, 4]),
        "tree-tight": cover(6, 150, 3, [60, 60, 30, 30, 30, 30], tree,
                            prefer=[4], learned=[3, 0, 2]),
        "ring": cover(5, 1000, 2, [20] * 5, ring),
        "flat": cover(30, 2000, 1, [i * 7 % 100 for i in range(30)],
                      [(i, i) for i in range(30)], prefer=[7, 3]),
        "bare": cover(20, 300, 0, [50] * 20, []),
        "big": cover(60, 4000, 0x53, [(i * 13) % 90 for i in range(60)], big,
                     prefer=[40], learned=[12, 13, 14, 50, 51]),
        "empty": cover(0, 100, 1, [], []),
    }


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
    "learned": learned_files(),
    "cover": cover_seeds(),
}


def main():
    """make_seeds.py [target...]: rewrite only those targets' seeds."""
    targets = sys.argv[1:] or list(SEEDS)
    for target in targets:
        seeds = SEEDS[target]
        d = os.path.join(CORPUS, target)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for name, data in seeds.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
