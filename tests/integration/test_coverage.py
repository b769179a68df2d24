"""Trimming keeps every client that filters by CA name able to log in.

A hierarchical bundle (12 roots, 240 intermediates, about 25 KB) is
trimmed to one record.  Go's crypto/tls (tests/clients/gofilter) offers a
certificate only when an advertised name issued one in the chain it
presents, so which names are kept decides who can log in.
"""

import re

import pytest

from harness import tls, vhosts
from harness.httpd import free_ports

VERSIONS = tls.VERSIONS

LABELS = ["first", "middle", "last"]


@pytest.fixture(scope="module")
def site(make_module_httpd, hier):
    ports = dict(zip(["auto", "b1024"], free_ports(2)))
    body = vhosts.listen(*ports.values())
    body += vhosts.ssl_vhost(ports["auto"], hier.server, hier.bundle,
                             verify="require")
    body += vhosts.ssl_vhost(ports["b1024"], hier.server, hier.bundle,
                             verify="require",
                             extra="TLSInteropCAListLimit 1024")
    server = make_module_httpd()
    server.write_index()
    server.start(body)
    return server, ports


def test_untrimmed_bundle_needs_more_than_one_record(hier, site):
    server, ports = site
    assert re.search(r":%d \([^)]*\): CA list trimmed from 252 names \((\d+) "
                     % ports["auto"], server.error_log())
    size = int(re.search(r"CA list trimmed from 252 names \((\d+) bytes",
                         server.error_log()).group(1))
    assert size > 16384


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("label", LABELS)
def test_client_presenting_its_chain_authenticates(hier, site, gofilter,
                                                   version, label):
    server, ports = site
    chain, _, key = hier.chain(label)
    result = tls.gofilter(gofilter, ports["auto"], chain, key, version)
    assert result.offered and result.ok, result


@pytest.mark.parametrize("version", VERSIONS)
def test_every_root_is_advertised(hier, site, version):
    server, ports = site
    cr = tls.certreq(ports["auto"], version)
    assert cr.size <= 16384
    for root in hier.roots:
        assert root.rfc2253 in cr.names


def test_coverage_report_at_start_up(hier, site):
    """The auto budget holds every root: all 252 CAs covered.  A 1024-byte
    budget holds a few roots: a warning, and each CA left out at info."""
    server, ports = site
    log = server.error_log()
    covered = re.search(r":%d \([^)]*\): coverage of the 252 trusted CAs: "
                        r"(\d+) by their own name, (\d+) only by an "
                        r"ancestor's \(for clients that present their "
                        r"chain\), 0 not at all" % ports["auto"], log)
    assert covered, log[-3000:]
    own, ancestor = int(covered.group(1)), int(covered.group(2))
    assert own + ancestor == 252 and own < 252
    assert not re.search(r":%d \(.*have no advertised name above them"
                         % ports["auto"], log)

    small = re.search(r":%d \([^)]*\): coverage of the 252 trusted CAs: "
                      r"(\d+) by their own name, (\d+) only by an "
                      r"ancestor's .*, (\d+) not at all" % ports["b1024"], log)
    assert small, log[-3000:]
    none = int(small.group(3))
    assert none > 0 and sum(int(g) for g in small.groups()) == 252
    assert re.search(r"\[tlsinterop:warn\].*:%d \(.*: %d trusted CA\(s\) have "
                     r"no advertised name above them" % (ports["b1024"], none),
                     log)
    listed = re.findall(r"\[tlsinterop:info\].*:%d \(.*: CA not covered: (.*)"
                        % ports["b1024"], log)
    assert len(listed) == none
    # The kept names are roots; what is not covered is under the others.
    cr = tls.certreq(ports["b1024"], "1.3")
    roots = {r.rfc2253 for r in hier.roots}
    assert cr.names and set(cr.names) <= roots
