"""The yardstick of bench section 2 (bench/floor_module.c) gives a request
what mod_tlsinterop's request path gives it, so that its cost is a fair
floor: the same Keep-Alive hint to browsers and to clients that send no
Connection header, and httpd's own close where the client asks for one."""

import os
import re

import pytest

from harness import http1, vhosts
from harness.http1 import MODERN
from harness.httpd import REPO, free_ports

YARDSTICK = os.path.join(REPO, "build", "bench", "mod_tlsi_floor.so")
TIMEOUT = 7     # KeepAliveTimeout; both announce one second less


def hint(resp):
    found = re.match(r"timeout=(\d+)", resp.get("Keep-Alive") or "")
    return int(found.group(1)) if found else None


@pytest.fixture(scope="module")
def servers(make_module_httpd, pki):
    """The yardstick alone, and mod_tlsinterop alone, on one port each."""
    ports = {}
    for name, module in (("yardstick", False), ("module", True)):
        port = free_ports(1)[0]
        server = make_module_httpd(load_module=module, loglevel="info")
        server.write_index()
        body = vhosts.listen(port) + vhosts.ssl_vhost(
            port, pki.server, verify=None,
            extra="KeepAliveTimeout %d\nMaxKeepAliveRequests 0" % TIMEOUT)
        if not module:
            body = "LoadModule tlsi_floor_module %s\n%s" % (YARDSTICK, body)
        server.start(body)
        ports[name] = port
    return ports


@pytest.mark.parametrize("headers", [
    [("Connection", "keep-alive")],    # a browser
    [],                                # curl, wrk
    [("Connection", "TE")],            # another token
], ids=["browser", "no-connection-header", "other-token"])
def test_yardstick_announces_what_the_module_announces(servers, headers):
    got = {}
    for name, port in servers.items():
        conn = http1.Conn(port)
        try:
            resp = conn.request(agent=MODERN, headers=headers)
        finally:
            conn.close()
        assert resp.status == 200, resp
        got[name] = (hint(resp), "close" in resp.connection_tokens())
    assert got["yardstick"] == got["module"] == (TIMEOUT - 1, False), got


def test_yardstick_leaves_a_close_to_httpd(servers):
    for port in servers.values():
        conn = http1.Conn(port)
        try:
            resp = conn.request(agent=MODERN,
                                headers=[("Connection", "close")])
        finally:
            conn.close()
        assert "close" in resp.connection_tokens(), resp
        assert hint(resp) is None, resp
