"""Operating the module like any Debian httpd module: counters on
server-status, directives in mod_info, a2enmod, the start-up line."""

import os
import re
import shutil
import subprocess

import pytest

from harness import http1, status, tls, vhosts
from harness.http1 import IE6, MODERN
from harness.httpd import APACHE2, MODULE_SO, REPO, apache_env, free_ports

# Every directive the module registers.
DIRECTIVES = re.findall(r'AP_INIT_\w+\("(\w+)"', open(os.path.join(
    REPO, "mod_tlsinterop", "mod_tlsinterop_config.c")).read())
COUNTERS = ["TrimmedHandshakes", "FragmentFits", "LegacyAgentMatches",
            "ForcedCloses", "KeepAliveHints", "ClosesAfterKeepAlive",
            "UncleanCloses", "TrimmedNoClientCert", "IssuerNotAdvertised",
            "LearnedNames"]


class Site:
    def __init__(self, server, ports):
        self.server = server
        self.ports = ports

    def get(self, path):
        return status.page(self.ports["admin"], path)

    def counters(self):
        return status.counters(self.ports["admin"])


@pytest.fixture(scope="module")
def site(make_module_httpd, pki):
    ports = dict(zip(["counted", "quiet", "admin"], free_ports(3)))
    body = vhosts.listen(*ports.values())
    body += vhosts.ssl_vhost(ports["counted"], pki.server, pki.bundle200,
                             servername="counted.test", extra="""
        KeepAliveTimeout 2
        TLSInteropLegacyAgent "MSIE [2-6]\\."
        TLSInteropLegacyAgent UncleanBot shutdown=unclean""")
    body += vhosts.ssl_vhost(ports["quiet"], pki.server, verify=None,
                             servername="quiet.test")
    body += status.vhost(ports["admin"], """
    <Location "/server-info">
        SetHandler server-info
    </Location>""")
    server = make_module_httpd(extra_modules=["status", "info"])
    server.write_index()
    server.start(body)
    return Site(server, ports)


def request(port, agent, count=1):
    conn = http1.Conn(port)
    try:
        for _ in range(count):
            conn.request(agent=agent)
    finally:
        conn.close()


def test_counters_match_the_traffic(site):
    counted, quiet = site.ports["counted"], site.ports["quiet"]
    for _ in range(5):
        request(counted, IE6)                   # 5 legacy requests
    for _ in range(2):
        request(counted, "UncleanBot/1")        # 2 more, closed uncleanly
    request(counted, MODERN, count=3)           # 3 keep-alive responses
    for _ in range(2):                          # 2 handshakes, maxfrag 1024
        tls.certreq(counted, "1.3", args=["-maxfraglen", "1024"])
    request(quiet, MODERN, count=2)

    c = site.counters()
    key = "counted.test:%d" % counted
    expected = {
        "LegacyAgentMatches": 7, "ForcedCloses": 7, "UncleanCloses": 2,
        "KeepAliveHints": 3, "FragmentFits": 2,
        # one handshake for each connection: 5 + 2 + 1 + 2
        "TrimmedHandshakes": 10, "ClosesAfterKeepAlive": 0,
        # none of these clients had a certificate to send
        "TrimmedNoClientCert": 10, "IssuerNotAdvertised": 0,
        "LearnedNames": 0,
    }
    for name, value in expected.items():
        assert c[(name, key)] == value, name
    quiet_key = "quiet.test:%d" % quiet
    assert c[("KeepAliveHints", quiet_key)] == 2
    assert c[("TrimmedHandshakes", quiet_key)] == 0
    # The totals add up the SSL vhosts; the plain-HTTP one is not listed.
    for name in COUNTERS:
        assert c[(name, None)] == c[(name, key)] + c[(name, quiet_key)]
    assert not any(v and v.startswith("admin.test") for _, v in c)


def test_status_page_shows_a_table(site):
    page = site.get("/server-status")
    assert "<h2>mod_tlsinterop</h2>" in page
    assert all("<th>%s</th>" % name in page for name in COUNTERS)
    assert "<td>counted.test:%d (" % site.ports["counted"] in page


def test_counters_survive_a_graceful_restart(site):
    before = site.counters()
    site.server.graceful()
    after = site.counters()
    assert after == before
    request(site.ports["counted"], IE6)
    key = "counted.test:%d" % site.ports["counted"]
    assert site.counters()[("LegacyAgentMatches", key)] \
        == before[("LegacyAgentMatches", key)] + 1


def test_startup_line(site):
    lines = re.findall(r"\[tlsinterop:notice\] .*(mod_tlsinterop/.*)",
                       site.server.error_log())
    assert lines
    assert re.match(r"mod_tlsinterop/\d+\.\d+\.\d+ \(OpenSSL \d+\.\d+\.\d+[a-z]?, PCRE2 "
                    r"[\d.]+\): CA-list trimming, max_fragment_length "
                    r"fitting, chain audit, legacy-agent closes, Keep-Alive "
                    r"hints; 2 SSL virtual host\(s\), 1 with a trimmed CA "
                    r"list$", lines[0]), lines[0]


def test_every_log_line_carries_the_module_tag(site):
    """The module's lines carry its tag and a message ID; the server's
    start-up and a trimmed list give at least two to examine."""
    ours = [line for line in site.server.error_log().splitlines()
            if "[tlsinterop:" in line]
    assert len(ours) >= 2, site.server.error_log()[-2000:]
    assert any("mod_tlsinterop/" in line for line in ours)
    assert any("CA list trimmed" in line for line in ours)
    for line in ours:
        # after the tag, or a debug line's source file and line
        assert re.search(r"(\] |\): )TLSI\d{4}: ", line), line
    for line in site.server.error_log().splitlines():
        if re.search(r"\bTLSI\d{4}: ", line):
            assert "[tlsinterop:" in line, line


def test_mod_info_lists_every_directive(site):
    page = site.get("/server-info?mod_tlsinterop.c")
    text = re.sub(r"<[^>]+>", "", page).replace("&nbsp;", " ")
    # Every directive with its help, which states the default ...
    for directive in DIRECTIVES:
        assert re.search(r"(^|:)%s - .*; default " % directive, text, re.M), \
            directive
    # ... and the configured values, with file and line.
    assert re.search(r"\d+: +TLSInteropLegacyAgent UncleanBot shutdown=unclean",
                     text)


def test_debian_a2enmod_layout(tmp_path):
    """conf-examples/tlsinterop.{load,conf} in mods-available, enabled with
    a2enmod, pass apache2ctl -t."""
    confdir = tmp_path / "apache2"
    shutil.copytree("/etc/apache2/mods-available", confdir / "mods-available")
    (confdir / "mods-enabled").mkdir()
    for name in ("tlsinterop.load", "tlsinterop.conf"):
        text = open(os.path.join(REPO, "conf-examples", name)).read()
        text = text.replace("/usr/lib/apache2/modules/mod_tlsinterop.so",
                            MODULE_SO)
        (confdir / "mods-available" / name).write_text(text)
    (confdir / "envvars").write_text("")
    for name in ("mpm_event.load", "mpm_event.conf", "authz_core.load"):
        os.symlink("../mods-available/" + name,
                   confdir / "mods-enabled" / name)
    run = tmp_path / "run"
    run.mkdir()
    (confdir / "apache2.conf").write_text("""
Define APACHE_RUN_DIR {run}
Define APACHE_LOCK_DIR {run}
Define APACHE_LOG_DIR {run}
ServerRoot "{confdir}"
ServerName localhost
PidFile {run}/httpd.pid
Mutex file:{run} default
ErrorLog {run}/error.log
Listen 127.0.0.1:{port}
IncludeOptional mods-enabled/*.load
IncludeOptional mods-enabled/*.conf
""".format(run=run, confdir=confdir, port=free_ports(1)[0]))

    env = dict(os.environ, APACHE_CONFDIR=str(confdir))
    res = subprocess.run(["a2enmod", "tlsinterop"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Considering dependency ssl" in res.stdout
    assert "Enabling module tlsinterop" in res.stdout
    for name in ("tlsinterop.load", "tlsinterop.conf", "ssl.load"):
        assert (confdir / "mods-enabled" / name).is_symlink(), name

    cmd = [APACHE2, "-d", str(confdir), "-f", str(confdir / "apache2.conf")]
    res = subprocess.run(cmd + ["-t"], capture_output=True, text=True,
                         env=apache_env())
    assert res.returncode == 0 and "Syntax OK" in res.stderr, res.stderr
    res = subprocess.run(cmd + ["-M"], capture_output=True, text=True,
                         env=apache_env())
    assert "tlsinterop_module (shared)" in res.stdout
    assert "ssl_module (shared)" in res.stdout
