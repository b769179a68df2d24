"""make demo: demo/demo.py starts its httpd, shows what it promises, leaves
the server running with commands that work, and stops it.

The demo prints what its clients really did, so these checks fail when the
behaviour it shows breaks: the trimmed list covering a client that presents
its chain, the refusal of one that presents its leaf alone, and learning.
"""

import os
import re
import socket
import subprocess
import time
import sys
import tempfile

import pytest

from harness import httpd as httpd_mod
from harness.httpd import free_port, wait_port

DEMO = os.path.join(httpd_mod.REPO, "demo", "demo.py")


def free_run(count):
    """A port p with p .. p+count-1 free: the demo listens on p, p+1, p+2."""
    for _ in range(100):
        first = free_port()
        socks = []
        try:
            for port in range(first, first + count):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    pytest.skip("no %d consecutive free loopback ports" % count)


def run_demo(workdir, *args):
    return subprocess.run([sys.executable, DEMO, *args], capture_output=True,
                          text=True, timeout=600,
                          env=dict(os.environ, TLSI_DEMO_DIR=workdir))


@pytest.fixture(scope="module")
def demo(tmp_root):
    workdir = tempfile.mkdtemp(prefix="demo-", dir=tmp_root)
    os.chmod(workdir, 0o755)
    port = free_run(3)
    res = run_demo(workdir, "start", "--port", str(port))
    try:
        yield workdir, port, res
    finally:
        run_demo(workdir, "stop")


def test_demo_starts(demo):
    _, _, res = demo
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stderr == ""


def test_what_it_showed_before_is_still_there(demo):
    _, port, res = demo
    out = res.stdout
    assert re.search(r"^  port %d: refused: CertificateRequest of \d+ bytes "
                     r"split across \d+ records$" % (port + 1), out, re.M), out
    assert re.search(r"^  port %d: ok: TLSv1\.2, " % port, out, re.M), out
    assert re.search(r"^  port %d: ok$" % port, out, re.M), out
    assert re.search(r"^  TLSI0032: localhost:%d \(.*\): CA list trimmed from 300 names"
                     % port, out, re.M), out


def row(out, label):
    """The text of the demo's row with that label (None: no such row)."""
    found = re.search(r"^  %s +(.*)$" % re.escape(label), out, re.M)
    return found and found.group(1)


def rows_after(out, label):
    """The unlabelled rows that follow label's row."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines)
                 if line.startswith("  " + label))
    rest = []
    for line in lines[start + 1:]:
        if not line.startswith(" " * 22):
            break
        rest.append(line.strip())
    return rest


def test_hierarchical_vhost_advertises_the_roots_and_covers_every_ca(demo):
    _, port, res = demo
    out = res.stdout
    assert "Port %d requires a client certificate and trusts 252 CAs" \
        % (port + 2) in out, out
    assert re.search(r"^  CertificateRequest: \d+ names, \d+ bytes, the 12 "
                     r"roots first$", out, re.M), out
    assert re.search(r"^  coverage of the 252 trusted CAs: \d+ by their own "
                     r"name, \d+ only by an ancestor's \(for clients that "
                     r"present their chain\), 0 not at all$", out, re.M), out
    assert "A client certificate whose issuing CA is not advertised:" in out


def test_covered_client_presenting_its_chain_authenticates(demo):
    _, _, res = demo
    assert row(res.stdout, "1. covered:") == (
        "Go client presenting leaf + intermediate: certificate offered, "
        "HTTP 200: authenticated"), res.stdout


def test_uncovered_leaf_alone_is_refused_and_the_probe_names_the_fix(demo):
    _, _, res = demo
    out = res.stdout
    assert row(out, "2. uncovered:").startswith(
        "Go client presenting its leaf alone: certificate not offered, "
        "refused ("), out
    issuer = re.search(r"^  issuer: (.+)$", out, re.M).group(1)
    probe, fix = rows_after(out, "2. uncovered:")[:2]
    assert probe == ("tlsinterop-probe --cert hier-client.pem: exit status 1, "
                     "a client would NOT offer it; the fix, advertise:"), out
    assert fix == issuer, out


def test_after_learning_the_leaf_alone_authenticates(demo):
    workdir, port, res = demo
    out = res.stdout
    assert row(out, "3. learning:") == (
        "curl --cert hier-client.pem (curl does not filter): HTTP 200"), out
    learned = os.path.join(workdir, "state", "tlsinterop",
                           "localhost_%d.pem" % (port + 2))
    after = rows_after(out, "3. learning:")
    assert after[1] == learned and os.path.isfile(learned), out
    assert after[2].startswith("the issuing CA (issued="), out
    assert re.match(r"CertificateRequest: \d+ names, \d+ bytes, the issuing "
                    r"CA first$", after[3]), out
    assert after[4].startswith("coverage of the 252 trusted CAs: "), out
    assert row(out, "   after learning:") == (
        "Go client presenting its leaf alone: certificate offered, "
        "HTTP 200: authenticated"), out


def test_the_printed_commands_work_on_the_running_server(demo):
    _, port, res = demo
    tries = res.stdout.split("Try it yourself:\n", 1)[1].splitlines()
    go = next(line.split() for line in tries if "gofilter -addr" in line)
    assert "127.0.0.1:%d" % (port + 2) in go
    ran = subprocess.run(go, capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "certificate: offered" in ran.stdout and "status: 200" in ran.stdout
    probe = next(line.split() for line in tries
                 if line.startswith("  build/bin/tlsinterop-probe"))
    ran = subprocess.run([os.path.join(httpd_mod.REPO, probe[0])] + probe[1:],
                         capture_output=True, text=True, timeout=60)
    assert "a client would offer it" in ran.stdout, ran.stdout + ran.stderr


def test_stop_stops_it(demo):
    workdir, port, _ = demo
    res = run_demo(workdir, "stop")
    assert res.stdout == "Demo server stopped.\n", res.stdout + res.stderr
    assert not os.path.exists(os.path.join(workdir, "run", "httpd.pid"))
    # The listeners go with the last child, which takes a moment longer
    # under make test SANITIZE=1.
    deadline = time.monotonic() + 15
    for p in (port, port + 1, port + 2):
        while wait_port(p, 0.2) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not wait_port(p, 0.2), p
