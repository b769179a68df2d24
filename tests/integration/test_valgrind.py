"""httpd -X under valgrind's memcheck, driven through every path of the
module: a trimmed list, per-connection fragment fits, client certificates
from a dropped CA, legacy agents, Keep-Alive hints, errors, pipelining.
No invalid access anywhere in the module's code, and no definite leak from
it.  (Skipped under make test SANITIZE=1: ASan and valgrind exclude each
other.)
"""

import os
import re
import shutil

import pytest

from harness import http1, tls, vhosts
from harness.http1 import IE6, MODERN
from harness.httpd import REPO, SANITIZE, free_ports

pytestmark = pytest.mark.skipif(SANITIZE, reason="the module is built with ASan")

# A frame in the module: its object, or one of its source files (named even
# after httpd unloads it at exit, thanks to --keep-debuginfo).
MODULE_FRAME = re.compile(r"mod_tlsinterop|\((tlsi_\w+|mod_tlsinterop)\.c:\d+\)")
SUPPRESSIONS = os.path.join(REPO, "tests", "valgrind", "openssl.supp")
INVALID_ACCESS = re.compile(r"Invalid (read|write|free)|Mismatched free|"
                            r"overlap|invalid file descriptor")
UNINITIALISED = re.compile(r"uninitialised|Conditional jump")


def module_fault(record):
    """An invalid access with the module anywhere on the stack, or a use of
    an uninitialised value in the module's own code (its top frame) that
    memcheck traces to an allocation outside OpenSSL.

    Memcheck takes the bytes OpenSSL decrypts for being uninitialised
    (their origin is a stack buffer in libcrypto), so every branch on a
    request's contents, in httpd and in the module alike, is reported;
    where it names no origin at all, the report is the same one reached by
    another path.  Those are not counted."""
    lines = record.splitlines()
    if INVALID_ACCESS.search(lines[0]):
        return bool(MODULE_FRAME.search(record))
    if not UNINITIALISED.search(lines[0]) or len(lines) < 2 \
            or not MODULE_FRAME.search(lines[1]):
        return False
    origin = record.partition("Uninitialised value was created")[2]
    return bool(origin) and (not re.search(r"libcrypto|libssl", origin)
                             or bool(MODULE_FRAME.search(origin)))


def records(log):
    """valgrind's report, one record (a message and its stack) at a time."""
    record = []
    for line in log.splitlines():
        text = re.sub(r"^==\d+== ?", "", line)
        if text.strip():
            record.append(text)
        elif record:
            yield "\n".join(record)
            record = []
    if record:
        yield "\n".join(record)


@pytest.fixture(scope="module")
def memcheck(make_module_httpd, pki):
    if shutil.which("valgrind") is None:
        pytest.fail("valgrind is not installed (make test installs it)")
    trimmed, plain = free_ports(2)
    server = make_module_httpd()
    body = vhosts.listen(trimmed, plain)
    body += vhosts.ssl_vhost(trimmed, pki.server, pki.bundle200,
                             verify="optional", extra="""
        TLSInteropCAListPrefer %s
        TLSInteropLegacyAgent "MSIE [2-6]\\."
        TLSInteropLegacyAgent "^$" shutdown=unclean
        KeepAliveTimeout 3
    """ % pki.bundle60)
    body += vhosts.ssl_vhost(plain, pki.server, verify=None,
                             extra="TLSInteropKeepAliveMargin off")
    server.write_index()
    log_path = server.path("logs", "valgrind.log")
    server.start(body, timeout=240, one_process=True, prefix=[
        "valgrind", "--tool=memcheck", "--leak-check=full",
        "--show-leak-kinds=definite", "--errors-for-leak-kinds=definite",
        "--num-callers=40", "--keep-debuginfo=yes", "--track-origins=yes",
        "--error-limit=no", "--suppressions=" + SUPPRESSIONS,
        "--log-file=" + log_path])
    try:
        drive(trimmed, plain, pki)
    finally:
        server.stop(timeout=180)
    with open(log_path) as f:
        return f.read(), server.error_log()


# Everything is tens of times slower under memcheck, the first handshake
# most of all.
SLOW = 180


def drive(trimmed, plain, pki):
    for version in ("1.2", "1.3"):
        assert tls.certreq(trimmed, version, timeout=SLOW).names
    for length in ("512", "2048"):
        assert tls.certreq(trimmed, "1.2", args=["-maxfraglen", length],
                           timeout=SLOW).names
    status, out, err = tls.curl(
        "https://localhost:%d/index.html" % trimmed, "--cacert",
        pki.server_ca.path, "--cert", pki.client_last.path, "--key",
        pki.client_last.key, timeout=SLOW)
    assert status == 0 and out == "hello\n", err
    for port in (trimmed, plain):
        conn = http1.Conn(port, timeout=SLOW)
        try:
            for agent in (MODERN, MODERN, "x" * 600, MODERN):
                assert conn.request(agent=agent).status == 200
            assert conn.request(method="POST", path="/missing", body=b"x",
                                agent=MODERN).status in (404, 405)
            conn.request(agent=IE6)
        finally:
            conn.close()
        for kwargs in ({"agent": None}, {"version": "HTTP/1.0"}):
            conn = http1.Conn(port, timeout=SLOW)
            try:
                conn.request(**kwargs)
                conn.read_until_close(timeout=SLOW)
            finally:
                conn.close()
        conn = http1.Conn(port, timeout=SLOW)
        try:
            conn.send(("GET /index.html HTTP/1.1\r\nHost: x\r\nUser-Agent: %s"
                       "\r\n\r\n" % MODERN).encode() * 2
                      + ("GET /index.html HTTP/1.1\r\nHost: x\r\nUser-Agent: "
                         "%s\r\n\r\n" % IE6).encode())
            for _ in range(3):
                conn.read_response()
        finally:
            conn.close()


def test_valgrind_ran_to_the_end(memcheck):
    report, error_log = memcheck
    assert "ERROR SUMMARY" in report, report[-3000:]
    # The module was loaded and acted.
    assert re.search(r"CA list trimmed from 200 names", error_log), error_log


def test_no_invalid_access_in_module_code(memcheck):
    report, _ = memcheck
    bad = [r for r in records(report)
           if module_fault(r)]
    assert not bad, "\n\n".join(bad[:5])


def test_no_definite_leak_from_module_code(memcheck):
    report, _ = memcheck
    leaks = [r for r in records(report)
             if "definitely lost" in r and MODULE_FRAME.search(r)]
    summary = re.search(r"definitely lost: ([\d,]+) bytes in ([\d,]+) blocks",
                        report)
    print("\nvalgrind: %s; %s" % (
        re.search(r"ERROR SUMMARY: .*", report).group(0),
        summary.group(0) if summary else "no definite leak at all"))
    assert not leaks, "\n\n".join(leaks[:5])
