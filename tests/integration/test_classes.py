"""Client stacks recognised as ones that reassemble long messages get the
largest CA list they take; every other client keeps the fitted one.

The traits come from tests/clients/splitcheck -trait, an OpenSSL client
that adds what identifies a stack family to its ClientHello: nss the
delegated_credentials extension (Firefox), grease an RFC 8701 GREASE
extension (Chromium's BoringSSL).
"""

import re

import pytest

from harness import tls, vhosts
from harness.httpd import free_ports

VERSIONS = tls.VERSIONS
RECORD = tls.RECORD

PORT_NAMES = ["site", "off", "nss_off", "ja4", "tiny", "none", "require"]
JA4 = re.compile(r"^t1[23][di]\d{4}[0-9a-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def site(make_module_httpd, pki):
    ports = dict(zip(PORT_NAMES, free_ports(len(PORT_NAMES))))
    ja4_header = 'Header always set X-JA4 "%{TLSINTEROP_JA4}e"'

    def vhost(name, extra="", verify="optional"):
        return vhosts.ssl_vhost(ports[name], pki.server, pki.bundle200,
                                extra=ja4_header + "\n" + extra, verify=verify)
    body = vhosts.listen(*ports.values())
    body += vhost("site")
    body += vhost("off", "TLSInteropCAListLimit off")
    body += vhost("nss_off", "TLSInteropClientClass nss off")
    # splitcheck's TLS 1.3 fingerprint begins so; a partner's stack that
    # takes 20,000 bytes.
    body += vhost("ja4", "TLSInteropClientClass t13i 20000")
    # A class whose limit holds no name at all: CA names of about 600
    # bytes (ten OUs at X.520's 64-character bound), 60 of them.
    big = pki.pki.filler_cas("big-name", [
        [("OU", ("%02d" % n) + "x" * 62) for _ in range(9)]
        + [("CN", "Big Name CA %02d" % n)] for n in range(60)])
    body += vhosts.ssl_vhost(ports["tiny"], pki.server,
                             pki.pki.bundle("big-names.pem", big),
                             extra="TLSInteropClientClass t13i 512",
                             verify="optional")
    body += vhost("none", verify=None)
    body += vhost("require", verify="require")
    server = make_module_httpd()
    server.write_index()
    server.start(body)
    server.ports = ports
    return server


def given(port, version, *args):
    """(CA names, CertificateRequest bytes) a splitcheck client got."""
    status, out = tls.splitcheck(port, version,
                                 args=["-accept-split", *args])
    assert status == 0, out
    m = re.search(r"CertificateRequest (\d+) bytes in \d+ record\(s\), "
                  r"(\d+) CA names", out)
    assert m, out
    return int(m.group(2)), int(m.group(1))


@pytest.mark.parametrize("version", VERSIONS)
def test_unknown_clients_get_the_fitted_list(site, version):
    names, size = given(site.ports["site"], version)
    assert 0 < names < 200 and size <= RECORD


@pytest.mark.parametrize("trait", ["nss", "grease"])
@pytest.mark.parametrize("version", VERSIONS)
def test_recognised_stacks_get_the_whole_list(site, version, trait):
    names, size = given(site.ports["site"], version, "-trait", trait)
    whole = tls.certreq(site.ports["off"], version)
    assert names == 200 == len(whole.names)
    assert size == whole.size > RECORD


@pytest.mark.parametrize("version", VERSIONS)
def test_whole_list_is_the_vhosts_own_names(site, version, pki):
    """No name is added: what a recognised client gets is the vhost's
    list, in the module's priority order."""
    fitted = tls.certreq(site.ports["site"], version).names
    names, _ = given(site.ports["site"], version, "-trait", "nss")
    assert names == len(pki.list200)
    # The fitted list is a prefix of the same order: the whole list starts
    # with it (the recognised client's names are not readable through
    # s_client, which sends no trait; the counts and sizes above, and the
    # invariant tests, cover the rest).
    assert len(fitted) < names


@pytest.mark.parametrize("version", VERSIONS)
def test_a_negotiated_fragment_length_wins(site, version):
    names, size = given(site.ports["site"], version, "-trait", "nss",
                       "-maxfrag", "2048")
    assert size <= 2048 and names > 0


@pytest.mark.parametrize("version", VERSIONS)
def test_a_builtin_class_turned_off(site, version):
    fitted, _ = given(site.ports["site"], version)
    assert given(site.ports["nss_off"], version, "-trait", "nss")[0] == fitted
    # the other built-in still applies there
    assert given(site.ports["nss_off"], version, "-trait", "grease")[0] == 200


def test_an_admin_class_by_ja4_prefix(site):
    """A stack that takes 20,000 bytes gets the longest list that fits
    them: more than the fitted list, less than the whole (copies)."""
    names, size = given(site.ports["ja4"], "1.3")
    fitted, _ = given(site.ports["site"], "1.3")
    assert fitted < names < 200 and RECORD < size <= 20000
    # TLS 1.2's fingerprint starts t12: not this class.
    assert given(site.ports["ja4"], "1.2")[0] == fitted


def test_a_class_whose_limit_holds_no_name_gets_none(site):
    """Not the context's CA list, which holds the whole list: an empty
    client CA list would let it through."""
    names, size = given(site.ports["tiny"], "1.3")
    assert names == 0 and size <= 512
    # ... where clients of no class get the fitted list.
    assert 0 < given(site.ports["tiny"], "1.2")[0] < 60


@pytest.mark.parametrize("version", VERSIONS)
def test_no_choice_where_no_certificate_is_asked(site, version):
    status, out = tls.splitcheck(site.ports["none"], version,
                                 args=["-trait", "nss"])
    assert status == 0 and "CertificateRequest" not in out, out


def test_untrusted_client_still_refused_with_the_whole_list(site, pki):
    """Trust never changes: the list a client is given does not decide who
    verifies.  (TLS 1.2, where the refusal ends the handshake itself.)"""
    status, out = tls.splitcheck(site.ports["require"], "1.2",
                                 args=["-trait", "nss", "-accept-split",
                                       "-cert", pki.client_untrusted.path,
                                       "-key", pki.client_untrusted.key])
    assert status != 0 and tls.refused_certificate(out), out
    status, out = tls.splitcheck(site.ports["require"], "1.2",
                                 args=["-trait", "nss", "-accept-split",
                                       "-cert", pki.client_last.path,
                                       "-key", pki.client_last.key])
    assert status == 0 and ", 200 CA names" in out, out


def test_fingerprint_as_request_variable_and_in_the_log(site):
    status, out, err = tls.curl("https://localhost:%d/index.html"
                                % site.ports["site"], "-k", "-D", "-",
                                "-o", "/dev/null")
    assert status == 0, err
    ja4 = re.search(r"^X-JA4: (\S+)\r?$", out, re.M)
    assert ja4 and JA4.match(ja4.group(1)), out
    # curl offers no certificate here: the log line names its stack.
    log = site.error_log()
    assert re.search(r"\[tlsinterop:info\].*no client certificate after a "
                     r"list of \d+ CA names; client JA4 %s"
                     % re.escape(ja4.group(1)), log), log[-3000:]


def test_startup_says_what_recognised_stacks_get(site):
    log = site.error_log()
    port = site.ports["site"]
    m = re.search(r"\[tlsinterop:info\].*:%d \(.*\): client stacks "
                  r"recognised as taking more get up to 200 CA names "
                  r"\(\d+ bytes; (\d+) of the (\d+) trusted CAs covered\); "
                  r"others get the \d+ that fit \((\d+) covered\)" % port, log)
    assert m, log[-3000:]
    whole, total, fitted = (int(x) for x in m.groups())
    assert whole == total == 200 and fitted <= whole
