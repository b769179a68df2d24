"""The core cases under each MPM httpd ships: event, worker and prefork."""

import http.client
import re
import time

import pytest

from harness import http1, status, tls, vhosts
from harness.http1 import IE6, MODERN
from harness.httpd import free_ports

MPMS = ["event", "worker", "prefork"]
IDLE = 2


@pytest.fixture(scope="module", params=MPMS)
def site(request, make_module_httpd, pki):
    mpm = request.param
    ports = dict(zip(["tls", "admin"], free_ports(2)))
    body = vhosts.listen(*ports.values())
    body += vhosts.ssl_vhost(ports["tls"], pki.server, pki.bundle200,
                             extra="KeepAliveTimeout %d" % IDLE)
    body += status.vhost(ports["admin"])
    # Several children, so that counting has to go through shared memory.
    if mpm == "prefork":
        body += "StartServers 4\nMinSpareServers 4\n"
    else:
        body += "StartServers 2\nThreadsPerChild 4\nMinSpareThreads 4\n"
    server = make_module_httpd(mpm=mpm, extra_modules=["status"])
    server.write_index()
    server.start(body)
    server.ports = ports
    return server


def test_ca_list_fits_one_record(site):
    port = site.ports["tls"]
    for version in ("1.2", "1.3"):
        assert tls.certreq(port, version).size <= 16384
        status, out = tls.splitcheck(port, version)
        assert status == 0, out


def test_legacy_agent_gets_close_and_close_notify(site):
    conn = http1.Conn(site.ports["tls"])
    try:
        resp = conn.request(agent=IE6)
        how, _, _ = conn.read_until_close(timeout=10)
    finally:
        conn.close()
    assert "close" in resp.connection_tokens()
    assert resp.get("Keep-Alive") is None
    assert how == "close_notify"


def test_hint_and_idle_close(site):
    conn = http1.Conn(site.ports["tls"])
    try:
        resp = conn.request(agent=MODERN)
        how, _, waited = conn.read_until_close(timeout=15)
    finally:
        conn.close()
    assert re.match(r"timeout=%d\b" % (IDLE - 1), resp.get("Keep-Alive"))
    assert how == "close_notify"
    assert IDLE - 1 < waited < IDLE + 2


def test_python_http_client_with_a_legacy_agent(site):
    conn = http.client.HTTPSConnection("127.0.0.1", site.ports["tls"],
                                       timeout=20,
                                       context=http1.client_context())
    try:
        for _ in range(2):
            conn.request("GET", "/index.html", headers={"User-Agent": IE6})
            resp = conn.getresponse()
            assert resp.status == 200 and resp.read() == b"hello\n"
            time.sleep(IDLE + 1)
    finally:
        conn.close()


def test_counters_add_up_across_children(site):
    def legacy_matches():
        return status.counters(site.ports["admin"])[("LegacyAgentMatches",
                                                     None)]
    before = legacy_matches()
    for _ in range(12):
        conn = http1.Conn(site.ports["tls"])
        try:
            conn.request(agent=IE6)
        finally:
            conn.close()
    assert legacy_matches() == before + 12
