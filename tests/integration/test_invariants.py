"""The module's security invariants, each checked across every way the module
can change a handshake or a close:

1. trimming never adds a name;
2. trimming never changes which client certificates verify;
3. close_notify is skipped only because of an explicit rule;
4. the module never sends a Connection header on HTTP/2.
"""

import re

import pytest

from harness import http1, tls, vhosts
from harness.http1 import IE6, MODERN
from harness.httpd import free_ports

# Every list the module can make from the 200-CA bundle: the untouched one,
# budgets, none, a prefer file mostly of CAs outside the bundle, and the
# per-connection fragment fits.
LISTS = {
    "off": "TLSInteropCAListLimit off",
    "auto": "",
    "b4096": "TLSInteropCAListLimit 4096",
    "b256": "TLSInteropCAListLimit 256",
    "none": "TLSInteropCAListLimit none",
    "prefer": "TLSInteropCAListPrefer {alt}",
}
FRAGMENTS = ["512", "1024", "2048", "4096"]
AGENTS = {"modern": MODERN, "ie6": IE6, "none": None,
          "unclean-bot": "UncleanBot/1.0", "accurate-bot": "AccurateBot/1.0"}


@pytest.fixture(scope="module")
def site(make_module_httpd, pki):
    names = list(LISTS) + ["rules", "h2"]
    ports = dict(zip(names, free_ports(len(names))))
    body = vhosts.listen(*ports.values())
    for name, extra in LISTS.items():
        body += vhosts.ssl_vhost(ports[name], pki.server, pki.bundle200,
                                 verify="require", extra="""
            %s
            Header always set X-Client-Verify "%%{SSL_CLIENT_VERIFY}s"
        """ % extra.format(alt=pki.bundle_alt))
    body += vhosts.ssl_vhost(ports["rules"], pki.server, verify=None, extra="""
        KeepAliveTimeout 2
        TLSInteropLegacyAgent UncleanBot shutdown=unclean
        TLSInteropLegacyAgent AccurateBot shutdown=accurate
        TLSInteropLegacyAgent "MSIE [2-6]\\."
    """)
    body += vhosts.ssl_vhost(ports["h2"], pki.server, verify=None, extra="""
        Protocols h2 http/1.1
        TLSInteropLegacyAgent "MSIE [2-6]\\."
        TLSInteropLegacyAgent "^$"
    """)
    server = make_module_httpd(extra_modules=["http2"])
    server.write_index()
    server.start(body)
    return server, ports, pki


def test_trimming_never_adds_a_name(site):
    server, ports, pki = site
    trusted = {ca.rfc2253 for ca in pki.list200}
    seen = {}
    for name in LISTS:
        for version in ("1.2", "1.3"):
            cases = [[]] + [["-maxfraglen", f] for f in FRAGMENTS]
            for args in cases if version == "1.2" else cases[:1]:
                names = tls.certreq(ports[name], version, args=args).names
                assert set(names) <= trusted, (name, version, args)
                assert len(names) == len(set(names)), (name, version, args)
                seen[(name, version, tuple(args))] = len(names)
    # The cases did cut the list: the check is not vacuous.
    assert seen[("off", "1.2", ())] == len(pki.list200)
    assert seen[("b256", "1.2", ())] < seen[("auto", "1.2", ())] < len(pki.list200)
    assert seen[("auto", "1.2", ("-maxfraglen", "512"))] < seen[("auto", "1.2", ())]
    assert seen[("none", "1.3", ())] == 0


def verifies(port, pki, cert, version_args):
    args = ["--cacert", pki.server_ca.path, "-D", "-", "-o", "/dev/null"]
    if cert is not None:
        args += ["--cert", cert.path, "--key", cert.key]
    status, out, _ = tls.curl("https://localhost:%d/index.html" % port,
                              *version_args, *args)
    return status == 0 and "X-Client-Verify: SUCCESS" in out


def test_trimming_never_changes_which_client_certificates_verify(site):
    server, ports, pki = site
    clients = {"first (advertised everywhere but none)": pki.client_first,
               "last (dropped by every budget)": pki.client_last,
               "untrusted": pki.client_untrusted,
               "no certificate": None}
    for version_args in (["--tlsv1.2", "--tls-max", "1.2"], ["--tlsv1.3"]):
        outcomes = {name: {label: verifies(ports[name], pki, cert, version_args)
                           for label, cert in clients.items()}
                    for name in LISTS}
        expected = {label: cert in (pki.client_first, pki.client_last)
                    for label, cert in clients.items()}
        for name, outcome in outcomes.items():
            assert outcome == expected, (name, version_args, outcome)


def close_of(port, agent, **kwargs):
    conn = http1.Conn(port)
    try:
        resp = conn.request(agent=agent, **kwargs)
        how, data, _ = conn.read_until_close(timeout=15)
        assert data == b""
        return resp, how
    finally:
        conn.close()


def test_close_notify_is_skipped_only_by_an_explicit_rule(site):
    """Every way a connection can end after a response, for every kind of
    agent: the close carries close_notify unless the agent matched a rule
    that says shutdown=unclean."""
    server, ports, pki = site
    ends = {
        "idle timeout": {},
        "HTTP/1.0": {"version": "HTTP/1.0"},
        "Connection: close": {"headers": [("Connection", "close")]},
        "error response": {"path": "/missing", "method": "POST",
                           "body": b"x"},
    }
    results = {}
    for agent_name, agent in AGENTS.items():
        for end, kwargs in ends.items():
            resp, how = close_of(ports["rules"], agent, **kwargs)
            results[(agent_name, end)] = how
            expected = "eof" if agent_name == "unclean-bot" else "close_notify"
            assert how == expected, (agent_name, end, resp)
    assert set(results.values()) == {"close_notify", "eof"}


def test_module_never_sends_a_connection_header_on_h2(site):
    server, ports, pki = site
    url = "https://localhost:%d" % ports["h2"]
    for agent in (IE6, MODERN, ""):
        for path in ("/index.html", "/missing"):
            status, out, err = tls.curl(url + path, "--http2", "-k", "-A",
                                        agent, "-D", "-", "-o", "/dev/null")
            assert status == 0, err
            heads = [l for l in out.splitlines() if l.strip()]
            assert heads[0].startswith("HTTP/2 "), heads
            names = {l.split(":")[0].lower() for l in heads[1:] if ":" in l}
            assert not names & {"connection", "keep-alive"}, (agent, path, heads)
    # The same vhost over HTTP/1.1 does send them: the check can fail.
    status, out, _ = tls.curl(url + "/index.html", "--http1.1", "-k", "-A", IE6,
                              "-D", "-", "-o", "/dev/null")
    assert re.search(r"^Connection: .*\bclose\b", out, re.M), out
