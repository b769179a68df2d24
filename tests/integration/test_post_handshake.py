"""Per-directory SSLVerifyClient: the CertificateRequest that mod_ssl sends
after the handshake (TLS 1.3 post-handshake authentication, TLS 1.2
renegotiation) fits the budget too.

OpenSSL's post-handshake request carries a 32-byte
certificate_request_context, which the one in the handshake leaves
empty: a list fitted to the handshake's request alone overflows there by
up to 32 bytes.
"""

import os
import re

import pytest

from harness import tls, vhosts
from harness.httpd import free_ports

RECORD = tls.RECORD

SECURE = """<Location "/secure">
    SSLVerifyClient require
    SSLVerifyDepth 3
</Location>
"""
REQUEST = b"GET /secure/index.html HTTP/1.1\r\nHost: localhost\r\n" \
          b"Connection: close\r\n\r\n"


def certreqs(port, version, args=()):
    """([sizes], CA names) of every CertificateRequest of one request to
    /secure, in order (the handshake sends none here)."""
    _, out, err = tls.s_client(port, version,
                               args=["-msg", "-ign_eof", *args],
                               stdin=REQUEST)
    sizes = [int(size, 16) for _, size in tls.CERTREQ.findall(out)]
    assert sizes, "no CertificateRequest:\n%s\n%s" % (out[-3000:], err)
    return sizes, tls.ca_names(out)


@pytest.fixture(scope="module")
def site(make_module_httpd, pki):
    ports = dict(zip(["auto", "tight", "handshake"], free_ports(3)))
    server = make_module_httpd()
    # s_client offers no certificate when asked: mod_ssl refuses the request
    server.expect_log(r"\[ssl:error\].*(AH02261|AH02263|peer did not "
                      r"return a certificate|AH10158|AH02255|AH02262)")
    server.write_index()
    os.makedirs(server.path("htdocs", "secure"), exist_ok=True)
    with open(server.path("htdocs", "secure", "index.html"), "w") as f:
        f.write("secure\n")
    secure = SECURE

    def body(tight_budget=None):
        text = vhosts.listen(*ports.values())
        text += vhosts.ssl_vhost(ports["auto"], pki.server, pki.bundle200,
                                 extra=secure, verify=None)
        text += vhosts.ssl_vhost(ports["handshake"], pki.server,
                                 pki.bundle200, verify="optional")
        if tight_budget:
            text += vhosts.ssl_vhost(
                ports["tight"], pki.server, pki.bundle200, verify=None,
                extra=secure + "TLSInteropCAListLimit %d" % tight_budget)
        return text
    server.start(body())
    # A budget that the handshake's TLS 1.3 request of the fitted list
    # fills to within 16 bytes: the post-handshake request, 32 larger, only
    # fits it if the module counts the context.
    crs = {v: tls.certreq(ports["handshake"], v) for v in ("1.2", "1.3")}
    server.tight_budget = crs["1.3"].size + 16
    server.handshake_sizes = {v: cr.size for v, cr in crs.items()}
    server.graceful(body(server.tight_budget))
    server.ports = ports
    return server


def test_post_handshake_request_fits_one_record(site):
    sizes, names = certreqs(site.ports["auto"], "1.3", ["-enable_pha"])
    assert len(sizes) == 1 and sizes[0] <= RECORD
    # the handshake's fitted names (which s_client prints only for a
    # handshake), with the context on top
    assert sizes[0] == site.handshake_sizes["1.3"] + tls.PHA_CONTEXT


def test_post_handshake_request_fits_a_tight_budget(site):
    if site.handshake_sizes["1.2"] > site.tight_budget:
        pytest.skip("TLS 1.2's request is the larger here")
    sizes, _ = certreqs(site.ports["tight"], "1.3", ["-enable_pha"])
    assert sizes[0] <= site.tight_budget, (sizes, site.tight_budget)


def test_renegotiation_request_fits_one_record(site):
    sizes, _ = certreqs(site.ports["auto"], "1.2",
                        ["-legacy_renegotiation"])
    assert sizes[-1] <= RECORD
    assert sizes[-1] == site.handshake_sizes["1.2"]


def after_handshake(port, version, *args):
    """Sizes of the CertificateRequests splitcheck got after the handshake
    for a request to /secure."""
    _, out = tls.splitcheck(port, version,
                            args=["-accept-split", "-get",
                                  "/secure/index.html", *args])
    sizes = [int(n) for n in re.findall(r"CertificateRequest after the "
                                        r"handshake: (\d+) bytes", out)]
    assert sizes, out
    return sizes


@pytest.mark.parametrize("version,args", [("1.3", ["-pha"]), ("1.2", [])],
                         ids=["post-handshake", "renegotiation"])
def test_recognised_stack_gets_its_list_after_the_handshake_too(
        site, version, args):
    """Per-directory SSLVerifyClient on a vhost that does not ask in the
    handshake: a client recognised as NSS gets the whole list in the
    request that comes after it; others the fitted one."""
    fitted = after_handshake(site.ports["auto"], version, *args)
    assert fitted[-1] <= RECORD
    whole = after_handshake(site.ports["auto"], version, "-trait", "nss",
                            *args)
    assert whole[-1] > RECORD, whole
