"""tlsinterop-probe against real servers, good, broken and bogus."""

import json
import os
import socket
import subprocess
import threading
import time

import pytest

from harness import vhosts
from harness.http1 import IE6
from harness.httpd import REPO, free_ports, wait_port

PROBE = os.path.join(REPO, "build", "bin", "tlsinterop-probe")
PORT_NAMES = ["module", "plain_off", "unclean", "require", "nofit", "http"]


def probe(target, *args, timeout=60):
    """Run the probe: (exit status, stdout, stderr, seconds)."""
    start = time.monotonic()
    res = subprocess.run([PROBE, *args, target], capture_output=True, text=True,
                         timeout=timeout)
    return res.returncode, res.stdout, res.stderr, time.monotonic() - start


def probe_json(target, *args):
    status, out, err, _ = probe(target, "--json", *args)
    return status, json.loads(out)


def problem_ids(report):
    return [p["id"] for p in report["problems"]]


@pytest.fixture(scope="module")
def site(make_module_httpd, pki):
    ports = dict(zip(PORT_NAMES, free_ports(len(PORT_NAMES))))
    keepalive = "KeepAliveTimeout 2"
    body = vhosts.listen(*ports.values())
    body += vhosts.ssl_vhost(ports["module"], pki.server, pki.bundle200,
                             extra=keepalive)
    body += vhosts.ssl_vhost(ports["plain_off"], pki.server, pki.bundle200,
                             extra=keepalive + "\nTLSInterop off")
    # Closes every connection, idle ones included, without close_notify.
    body += vhosts.ssl_vhost(ports["unclean"], pki.server, verify=None,
                             extra=keepalive + """
        TLSInterop off
        SetEnvIf Request_URI "." ssl-unclean-shutdown""")
    body += vhosts.ssl_vhost(ports["require"], pki.server, pki.bundle200,
                             verify="require", extra=keepalive)
    body += vhosts.ssl_vhost(ports["nofit"], pki.server, pki.bundle60,
                             extra=keepalive + "\nTLSInteropCAListFitFragment off")
    body += "<VirtualHost 127.0.0.1:%d>\n</VirtualHost>\n" % ports["http"]
    server = make_module_httpd()
    server.write_index()
    server.start(body)
    return ports


@pytest.fixture(scope="module")
def s_server(pki):
    """openssl s_server asking for client certificates, trusting 200 CAs."""
    port = free_ports(1)[0]
    proc = subprocess.Popen(
        ["openssl", "s_server", "-accept", "127.0.0.1:%d" % port,
         "-cert", pki.server.path, "-key", pki.server.key, "-verify", "1",
         "-CAfile", pki.bundle200, "-www", "-quiet"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        assert wait_port(port, 10)
        yield port
    finally:
        proc.kill()
        proc.wait()


class FakeServer:
    """A TCP server on loopback that answers every connection with reply
    (None: never answers)."""

    def __init__(self, reply):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.reply = reply
        self.conns = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            if self.reply is not None:
                try:
                    conn.recv(4096)
                    conn.sendall(self.reply)
                    conn.close()
                except OSError:
                    pass

    def close(self):
        self.sock.close()
        for conn in self.conns:
            conn.close()


def target(port):
    return "127.0.0.1:%d" % port


def test_split_certificate_request_is_found_in_s_server(s_server):
    status, report = probe_json(target(s_server), "-k", "--idle", "1")
    assert status == 1
    certreq = report["handshake"]["certificate_request"]
    assert certreq["ca_names"] == 200
    assert certreq["records"] > 1 and not certreq["fits_one_record"]
    assert certreq["smallest_record_size"] == 0
    assert "split-certificate-request" in problem_ids(report)
    types = [m["type"] for m in report["handshake"]["messages"]]
    assert "CertificateRequest" in types and "Certificate" in types


def test_httpd_with_the_module_has_no_problem(site):
    status, out, err, _ = probe(target(site["module"]), "-k", "--idle", "5")
    assert status == 0, out + err
    assert "in one record" in out
    assert "Keep-Alive: timeout=1" in out
    assert "close_notify + FIN" in out
    assert out.rstrip().endswith("Verdict: no problem found.")


def test_httpd_without_the_module_has_both_problems(site):
    status, report = probe_json(target(site["plain_off"]), "-k", "--idle", "5",
                                "--ua", IE6)
    assert status == 1
    assert problem_ids(report) == ["split-certificate-request",
                                   "legacy-agent-keep-alive",
                                   "no-keep-alive-timeout"]
    conn = report["connection"]
    assert conn["keep_alive_timeout"] == -1 and not conn["response_closes"]
    assert conn["close"] == "close_notify + FIN"
    assert 1.5 < conn["closed_after"] < 4


def test_legacy_agent_against_the_module(site):
    status, report = probe_json(target(site["module"]), "-k", "--ua", IE6)
    assert status == 0
    conn = report["connection"]
    assert conn["response_closes"] and conn["connection_header"] == "close"
    assert conn["close"] == "close_notify + FIN"


def test_idle_close_without_close_notify_is_found(site):
    status, report = probe_json(target(site["unclean"]), "-k", "--idle", "5")
    assert status == 1
    assert "unclean-close" in problem_ids(report)
    assert report["connection"]["close"] == "FIN without close_notify (unclean)"


@pytest.mark.parametrize("length", [512, 1024, 2048, 4096])
def test_max_fragment_length_report(site, length):
    status, report = probe_json(target(site["module"]), "-k", "--idle", "0",
                                "--maxfrag", str(length))
    assert status == 0
    frag = report["max_fragment_length_handshake"]
    assert frag["max_fragment_length"] == length
    assert frag["max_fragment_length_accepted"]
    assert frag["certificate_request"]["bytes"] <= length
    status, report = probe_json(target(site["nofit"]), "-k", "--idle", "0",
                                "--maxfrag", str(length))
    assert status == 1
    assert problem_ids(report) == ["split-certificate-request-maxfrag"]


def test_tls12_report(site):
    status, out, _, _ = probe(target(site["module"]), "-k", "-2", "--idle", "0")
    assert status == 0
    assert "Handshake: TLSv1.2" in out and "ServerHelloDone" in out


def test_required_client_certificate_skips_the_connection_checks(site):
    for version in ("-2", "-3"):
        status, report = probe_json(target(site["require"]), "-k", version)
        assert status == 0
        assert report["handshake"]["client_certificate_required"]
        assert report["connection"] is None


def test_refused_port(site):
    closed = free_ports(1)[0]
    status, out, err, _ = probe(target(closed))
    assert status == 2 and out == ""
    assert err.strip() == ("tlsinterop-probe: cannot connect to 127.0.0.1 port "
                           "%d: Connection refused" % closed)


def test_plain_http_port(site):
    status, _, err, _ = probe(target(site["http"]), "-k")
    assert status == 2
    assert "is not a TLS server: it answered in plain HTTP" in err


def test_garbage_server():
    fake = FakeServer(bytes(range(256)) * 4)
    try:
        status, _, err, _ = probe(target(fake.port), "-k", "--timeout", "3")
    finally:
        fake.close()
    assert status == 2
    assert "is not a TLS server: its answer is not a TLS record" in err


def test_silent_server_times_out():
    fake = FakeServer(None)
    try:
        status, _, err, seconds = probe(target(fake.port), "-k", "--timeout", "2")
    finally:
        fake.close()
    assert status == 2
    assert "no TLS answer from 127.0.0.1 port %d within 2 s" % fake.port in err
    assert seconds < 5


def test_unresolvable_host():
    status, out, err, _ = probe("no-such-host.invalid:443", "--json")
    assert status == 2
    report = json.loads(out)
    assert report["exit"] == 2
    assert report["error"].startswith("cannot resolve no-such-host.invalid")


@pytest.mark.parametrize("args,message", [
    (["--maxfrag", "100"], "--maxfrag must be a whole number from 512 to 4096"),
    (["--idle", "601"], "--idle must be a whole number from 0 to 600"),
    (["--timeout", "0"], "--timeout must be a whole number from 1 to 300"),
    (["--path", "no-slash"], "the path must start with /"),
])
def test_bad_options(args, message):
    status, _, err, _ = probe("127.0.0.1:1", *args)
    assert status == 2 and message in err


def test_what_a_recognised_client_gets(site):
    """The probe presents the NSS trait in a second handshake and reports
    the list such a client gets beside the one others get."""
    status, report = probe_json(target(site["module"]), "-k", "--idle", "0")
    assert status == 0
    others = report["handshake"]["certificate_request"]
    nss = report["recognised_client"]
    assert nss["trait"] == "nss"
    assert nss["certificate_request"]["ca_names"] == 200 > others["ca_names"]
    assert nss["longer_than_others"] is True
    assert nss["certificate_request"]["records"] > 1
    # Without the module, both get the same list.
    status, report = probe_json(target(site["plain_off"]), "-k", "--idle", "0")
    assert report["recognised_client"]["longer_than_others"] is False
    status, out, err, _ = probe(target(site["module"]), "-k", "--idle", "0")
    assert "A client recognised as NSS" in out
    assert "the server gives such clients a longer list than others" in out
