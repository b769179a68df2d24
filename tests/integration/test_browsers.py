"""Real browsers pick their certificate by the advertised CA names.

A flat trust list of 120 independent roots with long names (the shape of
eIDAS qualified lists, or "any of our partners' CAs") does not fit one
record: the fitted list drops some roots.  A browser user's certificate
comes from a dropped root (root, intermediate, leaf).  Headless Chromium
(its AutoSelectCertificateForUrls policy) and Firefox ESR (a profile whose
NSS database holds the certificate, security.default_personal_cert "Select
Automatically") choose their certificate automatically, among those an
advertised name issued: with the fitted list they find none and are
refused; recognised by their ClientHello, they get the whole list and log
in at the first attempt.
"""

import json
import os
import re
import shutil
import signal
import subprocess

import pytest

from harness import names, tls, vhosts
from harness.httpd import free_ports
from harness.root import needs_root

CHROMIUM = shutil.which("chromium")
FIREFOX = shutil.which("firefox-esr")
POLICY_DIR = "/etc/chromium/policies/managed"
POLICY = os.path.join(POLICY_DIR, "tlsinterop-tests.json")
PAGE = "logged in with a client certificate\n"

pytestmark = [
    needs_root("Chromium reads its certificate policy from /etc/chromium"),
    pytest.mark.skipif(not (CHROMIUM and FIREFOX and shutil.which("pk12util")),
                       reason="chromium, firefox-esr and libnss3-tools are "
                       "not installed (make deps installs them)"),
]


class Site:
    pass


@pytest.fixture(scope="module")
def site(make_module_httpd, pki, tmp_root):
    p = pki.pki
    roots = p.filler_cas("flat-root", names.subjects(120, seed=29))
    bundle = p.bundle("flat-roots.pem", roots)
    ports = dict(zip(["site", "off"], free_ports(2)))
    body = vhosts.listen(*ports.values())
    body += vhosts.ssl_vhost(ports["site"], pki.server, bundle,
                             verify="require")
    # The same vhost where no client stack is recognised: what the
    # browsers got before.
    body += vhosts.ssl_vhost(ports["off"], pki.server, bundle,
                             verify="require",
                             extra="TLSInteropClientClass boringssl off\n"
                                   "TLSInteropClientClass nss off")
    server = make_module_httpd()
    server.write_index(PAGE)
    server.start(body)
    fitted = set(tls.certreq(ports["site"], "1.3").names)
    dropped = [r for r in roots if r.rfc2253 not in fitted]
    assert dropped and len(fitted) < len(roots)
    inter = p.ca("flat-inter", [("O", "Partner Example"),
                                ("CN", "Partner Example Issuing CA")],
                 issuer=dropped[-1])
    leaf = p.leaf("browser-user", [("CN", "browser user")], inter,
                  client=True)
    chain = p.bundle("browser-user-chain.pem", [leaf, inter])
    p12 = os.path.join(tmp_root, "browser-user.p12")
    subprocess.run(["openssl", "pkcs12", "-export", "-in", chain, "-inkey",
                    leaf.key, "-out", p12, "-passout", "pass:", "-name",
                    "browser user"], check=True, capture_output=True)
    s = Site()
    s.server, s.ports, s.p12, s.ca = server, ports, p12, pki.server_ca
    s.dir = tmp_root
    return s


def nss_db(directory, site):
    """An NSS database holding the user's certificate and trusting the
    server's CA."""
    os.makedirs(directory, exist_ok=True)
    for cmd in (["certutil", "-N", "-d", "sql:" + directory,
                 "--empty-password"],
                ["pk12util", "-i", site.p12, "-d", "sql:" + directory,
                 "-W", ""],
                ["certutil", "-A", "-n", "server-ca", "-t", "CT,,", "-i",
                 site.ca.path, "-d", "sql:" + directory]):
        subprocess.run(cmd, check=True, capture_output=True)


def pages_served(site, agent):
    """Requests from agent (a User-Agent fragment) that got the page: with
    SSLVerifyClient require, only after a verified client certificate."""
    with open(site.server.path("logs", "access.log")) as f:
        return sum(1 for line in f if agent in line
                   and '"GET /index.html' in line and '" 200 ' in line)


@pytest.fixture
def chromium_home(site, tmp_path):
    home = str(tmp_path / "home")
    nss_db(os.path.join(home, ".pki", "nssdb"), site)
    os.makedirs(POLICY_DIR, exist_ok=True)
    with open(POLICY, "w") as f:
        json.dump({"AutoSelectCertificateForUrls": [
            json.dumps({"pattern": "https://localhost:%d" % port,
                        "filter": {}}) for port in site.ports.values()]}, f)
    yield home
    os.unlink(POLICY)


def chromium(home, port):
    """The page as headless Chromium got it.  The new headless mode (the
    default from Chromium 132; Debian 11 ships an older one) selects client
    certificates as the browser does; the old one never sends any."""
    res = subprocess.run(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
         "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync",
         "--user-data-dir=" + os.path.join(home, "profile"), "--dump-dom",
         "https://localhost:%d/index.html" % port],
        capture_output=True, text=True, timeout=90,
        env=dict(os.environ, HOME=home))
    return res.stdout


def firefox(site, tmp_path, port, wait=120):
    profile = str(tmp_path / "firefox")
    nss_db(profile, site)
    with open(os.path.join(profile, "user.js"), "w") as f:
        f.write('user_pref("security.default_personal_cert", '
                '"Select Automatically");\n'
                'user_pref("browser.shell.checkDefaultBrowser", false);\n'
                'user_pref("app.update.enabled", false);\n'
                'user_pref("datareporting.policy.dataSubmissionEnabled", '
                'false);\n')
    # On a refused handshake --screenshot may wait for a page that never
    # comes: what counts is the server's access log, so stop it then.
    proc = subprocess.Popen([FIREFOX, "--headless", "--no-remote", "--profile",
                             profile, "--screenshot",
                             str(tmp_path / "page.png"),
                             "https://localhost:%d/index.html" % port],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True,
                            env=dict(os.environ, HOME=str(tmp_path),
                                     MOZ_HEADLESS="1"))
    try:
        proc.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        pass
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def test_chromium_logs_in_with_a_certificate_under_a_dropped_root(
        site, chromium_home):
    before = pages_served(site, "HeadlessChrome")
    assert PAGE.strip() in chromium(chromium_home, site.ports["site"])
    assert pages_served(site, "HeadlessChrome") == before + 1


def test_chromium_is_refused_with_the_fitted_list(site, chromium_home):
    before = pages_served(site, "HeadlessChrome")
    assert PAGE.strip() not in chromium(chromium_home, site.ports["off"])
    assert pages_served(site, "HeadlessChrome") == before
    assert re.search(r"no client certificate after a list of \d+ CA names; "
                     r"client JA4 t13d", site.server.error_log())


def test_firefox_logs_in_with_a_certificate_under_a_dropped_root(
        site, tmp_path):
    before = pages_served(site, "Firefox/")
    firefox(site, tmp_path, site.ports["site"])
    assert pages_served(site, "Firefox/") == before + 1


def test_firefox_is_refused_with_the_fitted_list(site, tmp_path):
    before = pages_served(site, "Firefox/")
    firefox(site, tmp_path, site.ports["off"], wait=20)
    assert pages_served(site, "Firefox/") == before
