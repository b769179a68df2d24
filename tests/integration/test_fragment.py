"""The CA list fits each connection's negotiated max_fragment_length; the
start-up audit reports certificate chains too large for a record."""

import re

import pytest

from harness import tls, vhosts
from harness.httpd import free_ports

VERSIONS = tls.VERSIONS

LENGTHS = [512, 1024, 2048, 4096]
PORT_NAMES = ["fit", "nofit", "long", "medium", "chained"]


class Site:
    def __init__(self, server, ports, certs):
        self.server = server
        self.ports = ports
        self.certs = certs


@pytest.fixture(scope="module")
def site(make_module_httpd, pki):
    p = pki.pki
    ports = dict(zip(PORT_NAMES, free_ports(len(PORT_NAMES))))
    # A server certificate small enough for every fragment length.
    small = p.leaf("frag-small", [("CN", "localhost")], None, dns=["localhost"])
    # One that makes a Certificate message larger than a record.
    many = ["host%04d.long-chain.example" % i for i in range(700)]
    big = p.leaf("frag-big", [("CN", "long-chain.example")], pki.server_ca,
                 dns=many)
    # A realistic RSA chain: root, intermediate, leaf.
    root = p.ca("frag-root", [("C", "US"), ("O", "Example Trust"),
                              ("CN", "Example Root R1")], kind="rsa")
    inter = p.ca("frag-inter", [("C", "US"), ("O", "Example Trust"),
                                ("CN", "Example Issuing CA R3")],
                 issuer=root, kind="rsa")
    leaf = p.leaf("frag-rsa", [("CN", "localhost")], inter, dns=["localhost"],
                  kind="rsa")
    leaf_and_inter = p.bundle("frag-rsa-chain.pem", [leaf, inter])
    root_and_inter = p.bundle("frag-ca-chain.pem", [inter, root])

    body = vhosts.listen(*ports.values())
    body += vhosts.ssl_vhost(ports["fit"], small, pki.bundle60)
    body += vhosts.ssl_vhost(ports["nofit"], small, pki.bundle60,
                             extra="TLSInteropCAListFitFragment off")
    body += vhosts.ssl_vhost(ports["long"], big, verify=None)
    # No chain configured: OpenSSL builds one from SSLCACertificateFile.
    body += vhosts.ssl_vhost(ports["medium"], leaf, root_and_inter)
    # The chain in SSLCertificateFile.
    body += """<VirtualHost 127.0.0.1:%d>
    ServerName localhost
    SSLEngine on
    SSLCertificateFile %s
    SSLCertificateKeyFile %s
</VirtualHost>
""" % (ports["chained"], leaf_and_inter, leaf.key)
    server = make_module_httpd()
    server.start(body)
    return Site(server, ports, {c.rfc2253: c for c in pki.list60})


def measure(site, port, version, length=None):
    args = ["-maxfraglen", str(length)] if length else []
    return tls.certreq(site.ports[port], version, args=args)


def test_without_the_extension_the_full_list_is_sent(site):
    for version in VERSIONS:
        assert len(measure(site, "fit", version).names) == 60


@pytest.mark.parametrize("length", LENGTHS)
def test_list_fits_the_negotiated_fragment_length(site, length):
    full = measure(site, "fit", "1.2").names
    crs = {v: measure(site, "fit", v, length) for v in VERSIONS}
    kept = len(crs["1.2"].names)
    # The vhost's order, the same names in both versions, and as many as
    # fit: the next name would not fit the larger message.
    for cr in crs.values():
        assert cr.size <= length
        assert cr.names == full[:kept]
    assert kept < len(full)
    assert tls.budgeted_size(crs) <= length
    assert tls.budgeted_size(crs) + site.certs[full[kept]].name_wire_len \
        > length


@pytest.mark.parametrize("version", VERSIONS)
def test_many_fitted_connections_crash_no_child(site, version):
    """500 connections per version (1,000 in all), 125 per length: each gets
    a list of its own, and freeing it leaves the vhost's names alone.  The
    list used to borrow the vhost's names and rely on the order in which
    OpenSSL frees a connection's parts; OpenSSL 3.5 frees them in another
    order, and every such connection crashed its child.  A crash shows here
    as a failed handshake and as a signal line in the error log, which the
    log check fails on."""
    for length in LENGTHS:
        status, out = tls.splitcheck(site.ports["fit"], version,
                                     args=["-maxfrag", str(length),
                                           "-count", "125"])
        assert status == 0, out
        assert "125 of 125 connections done" in out
    # The vhost's own list is whole after all of them.
    assert len(measure(site, "fit", version).names) == 60


@pytest.mark.parametrize("version", VERSIONS)
def test_feature_off_sends_the_whole_list(site, version):
    cr = measure(site, "nofit", version, 1024)
    assert len(cr.names) == 60 and cr.size > 1024


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("length", LENGTHS)
def test_split_refusing_client_with_max_fragment_length(site, version, length):
    args = ["-maxfrag", str(length)]
    status, out = tls.splitcheck(site.ports["fit"], version, args=args)
    assert status == 0, out
    status, out = tls.splitcheck(site.ports["nofit"], version, args=args)
    assert status == 1, out
    assert "refused: CertificateRequest" in out


def audit_lines(site, port):
    return re.findall(r"\[tlsinterop:notice\].*:%d \(.*\): (the .*)" % port,
                      site.server.error_log())


def model_sizes(site, port):
    m = re.search(r":%d \(.*\): \w+ certificate with (\d+) certificate\(s\) "
                  r"sent: Certificate message TLS 1\.2 (\d+) bytes, TLS 1\.3 "
                  r"(\d+) bytes" % port, site.server.error_log())
    assert m, "no audit figures for port %d" % port
    return int(m.group(1)), {"1.2": int(m.group(2)), "1.3": int(m.group(3))}


@pytest.mark.parametrize("port,count", [("long", 1), ("medium", 3),
                                        ("chained", 2), ("fit", 1)])
def test_certificate_message_model_matches_s_client(site, port, count):
    certs, model = model_sizes(site, site.ports[port])
    assert certs == count
    for version in VERSIONS:
        sizes = tls.server_messages(site.ports[port], version)
        assert sizes["Certificate"] == model[version], version


def test_audit_warns_for_a_chain_larger_than_a_record(site):
    lines = audit_lines(site, site.ports["long"])
    assert len(lines) == 2
    assert re.match(r"the EC certificate and its chain \(1 certificates\) make "
                    r"a \d+-byte Certificate message, more than one 16384-byte "
                    r"TLS record", lines[0])
    assert "shorter chain" in lines[0] and "ECDSA certificate helps" in lines[0]
    assert re.match(r"the EC certificate's \d+-byte Certificate message does "
                    r"not fit a max_fragment_length of 512, 1024, 2048, 4096 "
                    r"bytes", lines[1])


def test_audit_names_the_fragment_lengths_a_chain_does_not_fit(site):
    _, model = model_sizes(site, site.ports["medium"])
    size = max(model.values())
    too_small = ", ".join(str(n) for n in LENGTHS if n < size)
    lines = audit_lines(site, site.ports["medium"])
    assert len(lines) == 1 and 16384 > size > 512
    assert "RSA certificate's %d-byte" % size in lines[0]
    assert "max_fragment_length of %s bytes" % too_small in lines[0]


def test_audit_is_quiet_for_a_short_chain(site):
    assert audit_lines(site, site.ports["fit"]) == []
