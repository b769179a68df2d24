"""Responses say what happens to the connection; legacy agents get a close.

One httpd, one port per configuration.  Idle timeouts are short (2-3 s) so
the tests that wait for them stay quick.
"""

import http.client
import os
import re
import subprocess
import time

import pytest

from harness import http1, status, tls, vhosts
from harness.http1 import IE6, MODERN
from harness.httpd import free_ports

PORT_NAMES = ["builtin", "rules", "off", "shared", "nohint", "tiny", "h2",
              "setenvif", "admin"]
IDLE = 2            # KeepAliveTimeout of most vhosts
SHARED_IDLE = 3     # first vhost on the shared port

LOG_FORMAT = ('LogFormat "%{Host}i %r %>s conn=[%{TLSINTEROP_CONNECTION}e] '
              'rule=[%{TLSINTEROP_AGENT_RULE}e]" tlsiconn')


class Site:
    def __init__(self, server, ports):
        self.server = server
        self.ports = ports

    def access_log(self, expect=(), timeout=5):
        """The access log, once every pattern in expect is in it (httpd
        logs a request just after its response reaches the client)."""
        deadline = time.monotonic() + timeout
        while True:
            with open(self.server.path("logs", "conn.log")) as f:
                log = f.read()
            if all(re.search(p, log) for p in expect) \
                    or time.monotonic() > deadline:
                return log
            time.sleep(0.05)


@pytest.fixture(scope="module")
def site(make_module_httpd, pki):
    ports = dict(zip(PORT_NAMES, free_ports(len(PORT_NAMES))))
    server = make_module_httpd(extra_modules=["rewrite", "http2", "status"])

    def vhost(name, extra="", servername="localhost"):
        return vhosts.ssl_vhost(ports[name], pki.server, verify=None,
                                servername=servername, extra=extra)
    common = """
        KeepAliveTimeout %d
        RewriteEngine on
        RewriteRule ^/boom$ - [R=500]
        <Location "/limited">
            LimitRequestBody 10
        </Location>
        <Location "/gone">
            ErrorDocument 404 /notfound.html
        </Location>
        CustomLog "%s" tlsiconn
    """ % (IDLE, server.path("logs", "conn.log"))
    body = vhosts.listen(*ports.values())
    body += "KeepAliveTimeout 10\n" + LOG_FORMAT + "\n"
    body += vhost("builtin", common)
    body += vhost("rules", common + """
        TLSInteropLegacyAgent UncleanBot shutdown=unclean
        TLSInteropLegacyAgent AccurateBot shutdown=accurate
        TLSInteropLegacyAgent "^$"
        TLSInteropLegacyAgent "MSIE [2-6]\\."
    """)
    body += vhost("off", common + "TLSInterop off")
    # Name-based vhosts: httpd enforces the first one's KeepAliveTimeout on
    # the others, but advertises theirs (inherited from the main server).
    shared_log = 'CustomLog "%s" tlsiconn' % server.path("logs", "conn.log")
    body += vhost("shared", "KeepAliveTimeout %d\n%s" % (SHARED_IDLE, shared_log),
                  servername="first.test")
    body += vhost("shared", shared_log, servername="second.test")
    body += vhost("shared", shared_log + "\nTLSInteropKeepAliveMargin off",
                  servername="third.test")
    body += vhost("nohint", common + "TLSInteropKeepAliveMargin off")
    body += vhost("tiny", "KeepAliveTimeout 1")
    body += vhost("h2", common + "Protocols h2 http/1.1")
    body += vhost("setenvif", common + """
        TLSInterop off
        BrowserMatch "MSIE [2-6]\\." nokeepalive
    """)
    body += status.vhost(ports["admin"])
    server.write_index()
    with open(server.path("htdocs", "notfound.html"), "w") as f:
        f.write("not found here\n")
    server.start(body)
    return Site(server, ports)


def get(port, agent=MODERN, servername="localhost", **kwargs):
    conn = http1.Conn(port, servername)
    try:
        return conn.request(agent=agent, **kwargs)
    finally:
        conn.close()


def assert_closes(resp):
    assert "close" in resp.connection_tokens(), resp
    assert resp.get("Keep-Alive") is None, resp


def assert_keeps_alive(resp, timeout):
    assert "close" not in resp.connection_tokens(), resp
    assert re.match(r"timeout=%d(, max=\d+)?$" % timeout,
                    resp.get("Keep-Alive") or ""), resp


# -- legacy agents --------------------------------------------------------

def run_ie6client(port, wait):
    res = subprocess.run([os.path.join(tls.CLIENTS, "ie6client"), "-wait",
                          str(wait), "-path", "/index.html", "127.0.0.1",
                          str(port)], capture_output=True, text=True, timeout=60)
    return res.returncode, res.stdout + res.stderr


def test_emulated_ie6_succeeds_only_with_the_module(site):
    status, out = run_ie6client(site.ports["builtin"], IDLE + 1.5)
    assert status == 0, out
    assert "Connection: close" in out and "new connection" in out
    status, out = run_ie6client(site.ports["off"], IDLE + 1.5)
    assert status == 1, out
    assert "Page cannot be displayed" in out


def python_two_requests(port, pause):
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=20,
                                       context=http1.client_context())
    try:
        for _ in range(2):
            conn.request("GET", "/index.html", headers={"User-Agent": IE6})
            resp = conn.getresponse()
            resp.read()
            assert resp.status == 200
            time.sleep(pause)
    finally:
        conn.close()


def test_python_http_client_succeeds_only_with_the_module(site):
    python_two_requests(site.ports["builtin"], IDLE + 1.5)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, OSError)):
        python_two_requests(site.ports["off"], IDLE + 1.5)


@pytest.mark.parametrize("method,path,body,status", [
    ("GET", "/index.html", b"", 200),
    ("HEAD", "/index.html", b"", 200),
    ("POST", "/index.html", b"name=value&x=1", 200),
    ("GET", "/missing", b"", 404),
    ("POST", "/limited/x", b"x" * 100, 413),
    ("GET", "/boom", b"", 500),
])
def test_legacy_agent_gets_close_for_every_method_and_status(site, method, path,
                                                             body, status):
    resp = get(site.ports["builtin"], IE6, method=method, path=path, body=body)
    assert resp.status == status
    assert_closes(resp)


@pytest.mark.parametrize("method,path,body", [
    ("GET", "/index.html", b""), ("HEAD", "/index.html", b""),
    ("POST", "/index.html", b"name=value"), ("GET", "/missing", b"")])
def test_modern_agent_keeps_alive_for_the_same_requests(site, method, path, body):
    resp = get(site.ports["builtin"], MODERN, method=method, path=path, body=body)
    assert_keeps_alive(resp, IDLE - 1)


def test_legacy_agent_with_via_header_still_gets_close(site):
    via = [("Via", "1.1 proxy.example")]
    assert_closes(get(site.ports["builtin"], IE6, headers=via))
    # httpd alone ignores nokeepalive when a Via header is present.
    resp = get(site.ports["setenvif"], IE6, headers=via)
    assert "close" not in resp.connection_tokens()
    assert_closes(get(site.ports["setenvif"], IE6))


def test_missing_user_agent_matches_the_empty_string(site):
    assert_closes(get(site.ports["rules"], agent=None))
    assert_keeps_alive(get(site.ports["builtin"], agent=None), IDLE - 1)


def test_configured_rules_replace_the_builtin_list(site):
    assert_closes(get(site.ports["rules"], "UncleanBot/1.0"))
    assert_keeps_alive(get(site.ports["builtin"], "UncleanBot/1.0"), IDLE - 1)


# -- the Keep-Alive hint ----------------------------------------------------

def test_hint_is_the_enforced_timeout_less_the_margin(site):
    assert_keeps_alive(get(site.ports["builtin"]), IDLE - 1)
    # second.test inherits KeepAliveTimeout 10 from the main server, but
    # httpd enforces the first vhost's 3 seconds on this address.
    for name in ("first.test", "second.test"):
        assert_keeps_alive(get(site.ports["shared"], servername=name),
                           SHARED_IDLE - 1)


def test_httpd_alone_advertises_a_timeout_it_does_not_enforce(site):
    # third.test has no hint: an HTTP/1.0 keep-alive client gets httpd's own
    # Keep-Alive header, which states the inherited 10 seconds.
    resp = get(site.ports["shared"], servername="third.test", version="HTTP/1.0",
               headers=[("Connection", "keep-alive")])
    assert resp.get("Keep-Alive").startswith("timeout=10")


def test_server_closes_after_the_enforced_timeout(site):
    conn = http1.Conn(site.ports["shared"], "second.test")
    try:
        resp = conn.request()
        assert_keeps_alive(resp, SHARED_IDLE - 1)
        how, _, waited = conn.read_until_close(timeout=15)
    finally:
        conn.close()
    assert how == "close_notify"
    # Closed after the enforced 3 s, not the advertised-by-httpd 10 s, and
    # not before the hint's 2 s.
    assert SHARED_IDLE - 1 < waited < SHARED_IDLE + 2, waited


def test_margin_off_sends_no_hint(site):
    resp = get(site.ports["nohint"])
    assert resp.get("Keep-Alive") is None
    assert "close" not in resp.connection_tokens()


def test_timeout_not_above_the_margin_closes_instead(site):
    assert_closes(get(site.ports["tiny"]))


def test_http10_with_and_without_keepalive_token(site):
    port = site.ports["builtin"]
    assert_closes(get(port, version="HTTP/1.0"))
    resp = get(port, version="HTTP/1.0", headers=[("Connection", "keep-alive")])
    assert_keeps_alive(resp, IDLE - 1)
    assert "keep-alive" in resp.connection_tokens()


# -- how connections close --------------------------------------------------

def close_after(port, agent, **kwargs):
    conn = http1.Conn(port)
    try:
        resp = conn.request(agent=agent, **kwargs)
        how, _, _ = conn.read_until_close(timeout=15)
        return resp, how, conn
    finally:
        conn.close()


@pytest.mark.parametrize("port,agent,kwargs", [
    ("builtin", MODERN, {}),                      # idle keep-alive timeout
    ("builtin", IE6, {}),                         # legacy, standard
    ("builtin", MODERN, {"version": "HTTP/1.0"}), # HTTP/1.0 close
    ("tiny", MODERN, {}),                         # forced: timeout too short
    ("builtin", IE6, {"path": "/boom"}),          # error response
    ("rules", "AccurateBot", {}),
])
def test_every_server_close_sends_close_notify(site, port, agent, kwargs):
    _, how, _ = close_after(site.ports[port], agent, **kwargs)
    assert how == "close_notify"


def test_unclean_close_only_under_a_rule_that_asks(site):
    resp, how, _ = close_after(site.ports["rules"], "UncleanBot/2")
    assert_closes(resp)
    assert how == "eof"


def test_accurate_shutdown_waits_for_the_clients_close_notify(site):
    def server_waits(agent):
        conn = http1.Conn(site.ports["rules"])
        try:
            assert_closes(conn.request(agent=agent))
            how, _, _ = conn.read_until_close(timeout=15)
            assert how == "close_notify"
            return not conn.tcp_closed_within(0.8)
        finally:
            conn.close()
    assert server_waits("AccurateBot/1")
    assert not server_waits(IE6)


# -- HTTP/2 and the log ------------------------------------------------------

def test_h2_requests_are_untouched(site):
    url = "https://localhost:%d/index.html" % site.ports["h2"]
    status, out, err = tls.curl(url, "--http2", "-k", "-v", "-A", IE6,
                                "-D", "-", "-o", "/dev/null", url)
    assert status == 0, err
    heads = [line for line in out.splitlines() if line.strip()]
    assert heads[0].startswith("HTTP/2 200")
    names = {line.split(":")[0].lower() for line in heads[1:] if ":" in line}
    assert not names & {"connection", "keep-alive"}
    # One connection for both: curl 7 says "Re-using existing connection",
    # curl 8.10 and later "Reusing existing https: connection".
    assert re.search(r"Re-?using existing (https: )?connection", err), err
    log = site.access_log([r"HTTP/2.0 200.*\n.*HTTP/2.0 200"])
    h2_lines = [line for line in log.splitlines() if "HTTP/2.0" in line]
    assert len(h2_lines) == 2
    assert all("conn=[-] rule=[-]" in line for line in h2_lines)


def test_log_variables_tell_rule_and_fate(site):
    get(site.ports["rules"], "UncleanBot/3", path="/index.html?log-unclean")
    get(site.ports["builtin"], IE6, path="/index.html?log-ie6")
    get(site.ports["builtin"], MODERN, path="/index.html?log-modern")
    expected = [
        r"log-unclean HTTP/1.1 200 conn=\[close unclean\] rule=\[UncleanBot\]",
        r"log-ie6 HTTP/1.1 200 conn=\[close standard\] "
        r"rule=\[MSIE \[2-6\]\\\\\.\]",
        r"log-modern HTTP/1.1 200 conn=\[keep-alive timeout=1\] rule=\[-\]",
    ]
    log = site.access_log(expected)
    for pattern in expected:
        assert re.search(pattern, log), pattern


def test_internal_redirect_keeps_the_rule_of_the_request_sent(site):
    """An ErrorDocument is served by an internal redirect, a new request
    of the one the client sent: it keeps that request's rule, for its close
    and for the log variable (which the redirect renamed REDIRECT_...), and
    the match is counted once."""
    port = site.ports["builtin"]
    key = ("LegacyAgentMatches", "localhost:%d" % port)
    before = status.counters(site.ports["admin"])[key]
    resp = get(port, IE6, path="/gone/page?log-redirect-ie6")
    assert resp.status == 404 and b"not found here" in resp.body, resp
    assert_closes(resp)
    resp = get(port, MODERN, path="/gone/page?log-redirect-modern")
    assert resp.status == 404 and b"not found here" in resp.body, resp
    assert_keeps_alive(resp, IDLE - 1)
    expected = [
        r"log-redirect-ie6 HTTP/1.1 404 conn=\[close standard\] "
        r"rule=\[MSIE \[2-6\]\\\\\.\]",
        r"log-redirect-modern HTTP/1.1 404 conn=\[keep-alive timeout=1\] "
        r"rule=\[-\]",
    ]
    log = site.access_log(expected)
    for pattern in expected:
        assert re.search(pattern, log), (pattern, log)
    assert status.counters(site.ports["admin"])[key] == before + 1


LUA_FATE = """
function fate(r)
    r.notes["seen-fate"] = r.subprocess_env["TLSINTEROP_CONNECTION"] or "unset"
    return apache2.DECLINED
end
"""


@pytest.mark.parametrize("named", [False, True])
def test_fate_variable_is_set_only_where_the_configuration_names_it(
        make_httpd, pki, named):
    """Setting TLSINTEROP_CONNECTION costs a table write a request, so the
    module sets it only when some directive names it.  A log hook in a Lua
    file (which is no directive) shows whether it was set."""
    port = free_ports(1)[0]
    server = make_httpd(extra_modules=["lua"])
    server.write_index()
    script = server.path("fate.lua")
    with open(script, "w") as f:
        f.write(LUA_FATE)
    log = server.path("logs", "fate.log")
    extra = 'LuaHookLog "%s" fate\nCustomLog "%s" "%%{seen-fate}n"\n' % (
        script, log)
    if named:
        # Named anywhere, even in a format nothing uses, and in any case.
        extra += 'LogFormat "%{tlsinterop_connection}e" unused\n'
    server.start(vhosts.listen(port) + vhosts.ssl_vhost(
        port, pki.server, verify=None, extra=extra))
    assert get(port).status == 200
    server.wait_logged(1, log="fate.log")
    with open(log) as f:
        seen = f.read().splitlines()
    assert seen == (["keep-alive timeout=4"] if named else ["unset"]), seen


# -- closes after a keep-alive announcement ----------------------------------

@pytest.mark.parametrize("mpm", ["event", "worker", "prefork"])
def test_close_after_keepalive_announcement_is_logged_and_counted(make_httpd,
                                                                  pki, mpm):
    """A graceful restart while a response is in flight: its headers
    promised keep-alive, then the stopping child closes the connection.
    event and worker tell the module through child_stopping; prefork is
    asked."""
    port = free_ports(1)[0]
    server = make_httpd(mpm=mpm, extra_modules=["ratelimit"])
    with open(server.path("htdocs", "slow.bin"), "wb") as f:
        f.write(b"x" * 64 * 1024)
    body = vhosts.listen(port) + vhosts.ssl_vhost(port, pki.server, verify=None,
                                                  extra="""
        KeepAliveTimeout 10
        SetEnvIf Request_URI "^/slow" rate-limit=32
        <Location "/slow.bin">
            SetOutputFilter RATE_LIMIT
        </Location>
    """)
    server.start(body)
    conn = http1.Conn(port)
    try:
        conn.send(b"GET /slow.bin HTTP/1.1\r\nHost: localhost\r\n\r\n")
        status_line, headers = conn.read_head()
        resp = http1.Response(status_line, headers, b"")
        assert_keeps_alive(resp, 9)
        server.graceful()
        conn.read_exactly(int(resp.get("Content-Length")))
        how, _, waited = conn.read_until_close(timeout=15)
    finally:
        conn.close()
    assert how == "close_notify"
    assert waited < 5       # right after the response, not after 10 s idle
    assert re.search(r"\[tlsinterop:info\].* connection closes although its "
                     r"response announced keep-alive \(server stopping; 1 on "
                     r"this vhost\): GET /slow.bin HTTP/1.1", server.error_log())


def test_idle_close_at_a_graceful_restart_is_logged_and_counted(make_httpd,
                                                                pki):
    """httpd closes idle keep-alive connections at once on a graceful
    restart: no module can keep them, but each such close is counted."""
    ports = dict(zip(["site", "admin"], free_ports(2)))
    server = make_httpd(extra_modules=["status"])
    server.write_index()
    body = vhosts.listen(*ports.values()) + vhosts.ssl_vhost(
        ports["site"], pki.server, verify=None, extra="KeepAliveTimeout 30")
    body += status.vhost(ports["admin"])
    server.start(body)
    conn = http1.Conn(ports["site"])
    try:
        resp = conn.request()
        assert_keeps_alive(resp, 29)
        conn.request()
        # Idle: the server is done with the request, not only its answer.
        server.wait_logged(2)
        server.graceful()
        how, _, waited = conn.read_until_close(timeout=15)
    finally:
        conn.close()
    assert how == "close_notify"
    assert waited < 10          # at once, not after the 30 s idle timeout
    assert re.search(r"\[tlsinterop:info\].* idle connection closed by a "
                     r"graceful restart or stop although its last response "
                     r"announced keep-alive \(2 request\(s\) served; 1 on "
                     r"this vhost\)", server.error_log())
    counted = status.counters(ports["admin"])
    assert counted[("ClosesAfterKeepAlive", "localhost:%d" % ports["site"])] == 1


def test_idle_timeout_close_is_no_broken_promise(make_httpd, pki):
    port = free_ports(1)[0]
    server = make_httpd()
    server.write_index()
    server.start(vhosts.listen(port) + vhosts.ssl_vhost(
        port, pki.server, verify=None, extra="KeepAliveTimeout 2"))
    conn = http1.Conn(port)
    try:
        assert_keeps_alive(conn.request(), 1)
        how, _, _ = conn.read_until_close(timeout=15)
    finally:
        conn.close()
    assert how == "close_notify"
    assert "idle connection closed" not in server.error_log()
