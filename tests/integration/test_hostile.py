"""Hostile and odd requests: nothing crashes or stalls a worker, and every
response still tells the truth about the connection.

One httpd; its ten legacy-agent rules include patterns that backtrack
badly, so that a crafted User-Agent would stall a worker without the
matcher's limits.
"""

import re
import socket
import time

import pytest

from harness import http1, vhosts
from harness.http1 import IE6, MODERN
from harness.httpd import free_ports

FIELD_LIMIT = 8190          # httpd's default LimitRequestFieldSize
RULES = ["UncleanBot", "(a|aa)+$", "(\\w+\\s?)*X$", "^(([a-z])+.)+[A-Z]$",
         "Java/1\\.[4-6]", "[\\x01-\\x08]", "^$", "(?i)oldbot",
         "Python-urllib/1\\.", "MSIE [2-6]\\."]


@pytest.fixture(scope="module")
def ports(make_module_httpd, pki):
    strict, unsafe = free_ports(2)
    server = make_module_httpd()
    rules = "\n".join('TLSInteropLegacyAgent "%s"' % r for r in RULES)
    body = vhosts.listen(strict, unsafe)
    body += vhosts.ssl_vhost(strict, pki.server, verify=None,
                             extra="KeepAliveTimeout 5\n" + rules)
    body += vhosts.ssl_vhost(unsafe, pki.server, verify=None, extra=(
        "KeepAliveTimeout 5\nHttpProtocolOptions Unsafe\n" + rules))
    server.write_index()
    server.start(body)
    yield {"strict": strict, "unsafe": unsafe, "server": server}


def one(port, **kwargs):
    conn = http1.Conn(port)
    try:
        start = time.monotonic()
        resp = conn.request(**kwargs)
        return resp, time.monotonic() - start
    finally:
        conn.close()


def closes(resp):
    return "close" in resp.connection_tokens() and resp.get("Keep-Alive") is None


def keeps_alive(resp):
    return ("close" not in resp.connection_tokens()
            and re.match(r"timeout=4\b", resp.get("Keep-Alive") or ""))


def field_value_room(name):
    """The longest value httpd accepts for a header called name."""
    return FIELD_LIMIT - len(name) - 2


@pytest.mark.parametrize("agent,legacy", [
    ("x" * field_value_room("User-Agent"), False),
    ("x" * (field_value_room("User-Agent") - 10) + "MSIE 6.0;", True),
    # Inputs that make the backtracking rules explode without limits.
    ("a" * field_value_room("User-Agent") + "b", False),
    ("word " * 1500 + "!", False),
    ("ab" * 3000 + "!", False),
])
def test_user_agent_as_large_as_the_limit_allows(ports, agent, legacy):
    agent = agent[:field_value_room("User-Agent")]
    resp, seconds = one(ports["strict"], agent=agent)
    assert resp.status == 200
    assert closes(resp) if legacy else keeps_alive(resp), resp
    assert seconds < 5, "a %d-byte User-Agent took %.1f s" % (len(agent), seconds)


def test_user_agent_over_the_limit_is_refused_and_closed(ports):
    resp, _ = one(ports["strict"], agent="x" * (FIELD_LIMIT + 10))
    assert resp.status == 400
    assert closes(resp), resp


def test_many_user_agent_headers(ports):
    """httpd joins repeated headers with commas: a legacy token in any of
    them makes the request legacy, and the matcher sees it all."""
    modern = [("User-Agent", MODERN)] * 90
    resp, _ = one(ports["strict"], agent=None, headers=modern)
    assert resp.status == 200 and keeps_alive(resp), resp
    resp, _ = one(ports["strict"], agent=None,
                  headers=modern[:45] + [("User-Agent", IE6)] + modern[:44])
    assert resp.status == 200 and closes(resp), resp


@pytest.mark.parametrize("agent,status", [
    ("Mozilla/5.0\x01", 400),   # a control byte: httpd refuses it itself
    ("\x7fMSIE 6.0;", 400),
])
def test_control_bytes_are_refused_by_httpd(ports, agent, status):
    resp, _ = one(ports["strict"], agent=agent)
    assert resp.status == status
    assert closes(resp), resp


@pytest.mark.parametrize("agent,legacy", [
    ("Mozilla/5.0\x01", True),          # the [\x01-\x08] rule
    ("\x7fMSIE 6.0;", True),
    ("tab\there \x7f", False),
])
def test_control_bytes_reach_the_rules_where_httpd_allows_them(ports, agent,
                                                               legacy):
    resp, _ = one(ports["unsafe"], agent=agent)
    assert resp.status == 200
    assert closes(resp) if legacy else keeps_alive(resp), resp


def test_agent_changing_on_one_connection(ports):
    """The connection remembers its last User-Agent's answer; a different
    one, long or short, is matched afresh."""
    long_modern = MODERN + " " + "z" * 400
    conn = http1.Conn(ports["strict"])
    try:
        for agent in (MODERN, long_modern, MODERN, long_modern):
            assert keeps_alive(conn.request(agent=agent))
        assert closes(conn.request(agent=IE6))
        how, data, _ = conn.read_until_close(timeout=10)
        assert (how, data) == ("close_notify", b"")
    finally:
        conn.close()


def pipeline(port, agents, version="HTTP/1.1"):
    """Send every request in one write; return the responses and whatever
    came after the last one, and how the connection ended."""
    conn = http1.Conn(port)
    try:
        data = "".join(
            "GET /index.html?%d %s\r\nHost: localhost\r\nUser-Agent: %s\r\n\r\n"
            % (i, version, agent) for i, agent in enumerate(agents))
        conn.send(data.encode())
        responses = []
        while True:
            resp = conn.read_response()
            responses.append(resp)
            if closes(resp):
                break
        how, rest, _ = conn.read_until_close(timeout=10)
        return responses, how, rest
    finally:
        conn.close()


def test_pipelined_legacy_requests_stop_at_the_first_close(ports):
    responses, how, rest = pipeline(ports["strict"], [IE6] * 5)
    assert len(responses) == 1 and responses[0].body == b"hello\n"
    assert (how, rest) == ("close_notify", b"")


def test_pipelined_mixed_agents_answer_in_order_until_the_close(ports):
    responses, how, rest = pipeline(ports["strict"],
                                    [MODERN, MODERN, IE6, MODERN, MODERN])
    assert [closes(r) for r in responses] == [False, False, True]
    assert all(keeps_alive(r) for r in responses[:2])
    assert all(r.status == 200 and r.body == b"hello\n" for r in responses)
    assert (how, rest) == ("close_notify", b"")


@pytest.mark.parametrize("agent,keepalive,expect_close", [
    (MODERN, False, True),
    (MODERN, True, False),
    (IE6, True, True),
])
def test_http10(ports, agent, keepalive, expect_close):
    headers = [("Connection", "keep-alive")] if keepalive else []
    resp, _ = one(ports["strict"], agent=agent, version="HTTP/1.0",
                  headers=headers)
    assert resp.status == 200
    assert closes(resp) if expect_close else keeps_alive(resp), resp


@pytest.mark.parametrize("agent", [IE6, MODERN])
def test_via_header(ports, agent):
    resp, _ = one(ports["strict"], agent=agent,
                  headers=[("Via", "1.1 proxy.example")])
    assert closes(resp) if agent == IE6 else keeps_alive(resp), resp


def test_garbage_request_lines(ports):
    """Malformed requests get httpd's error and a close; a request line
    claiming HTTP/9.9 is still HTTP/1.x on the wire and is treated so (it
    carries no User-Agent, so the "^$" rule closes it)."""
    for junk in (b"\x00\x01\x02\r\n\r\n", b"GET\r\n\r\n",
                 b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
                 b"G" * 9000 + b" / HTTP/1.1\r\n\r\n"):
        conn = http1.Conn(ports["strict"])
        try:
            conn.send(junk)
            how, data, _ = conn.read_until_close(timeout=10)
            assert how == "close_notify", junk[:20]
            assert re.match(rb"HTTP/1.1 [45]\d\d ", data), data[:100]
            assert b"\r\nConnection: close\r\n" in data, data[:400]
        finally:
            conn.close()
    # The server still serves.
    assert one(ports["strict"], agent=MODERN)[0].status == 200


def test_aborted_clients_leave_no_crash_and_no_log_flood(ports):
    """Clients that give up mid-handshake or mid-response."""
    server = ports["server"]
    port = ports["strict"]
    before = server.error_log().splitlines()
    ctx = http1.client_context()
    aborted = 0
    for i in range(40):
        raw = socket.create_connection(("127.0.0.1", port), timeout=5)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                       b"\x01\x00\x00\x00\x00\x00\x00\x00")
        if i % 2 == 0:
            # Half a ClientHello, then a reset.
            raw.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40)
            raw.close()
        else:
            tls = ctx.wrap_socket(raw, server_hostname="localhost")
            tls.sendall(("GET /index.html HTTP/1.1\r\nHost: localhost\r\n"
                         "User-Agent: %s\r\n\r\n" % (IE6 if i % 4 == 1 else MODERN)).encode())
            tls.close()    # reset before reading the response
        aborted += 1
    assert one(port, agent=MODERN)[0].status == 200
    time.sleep(0.5)
    after = server.error_log().splitlines()[len(before):]
    assert not [l for l in after if re.search(r"\[core:(crit|alert|emerg)\]|"
                                             r"child pid \d+ exit signal", l)], after
    ours = [l for l in after if "[tlsinterop:" in l]
    assert ours == [], ours
    # mod_ssl notes an aborted handshake at info level: a few lines each at
    # most, never a flood.
    assert len(after) <= 4 * aborted, "\n".join(after[-20:])
