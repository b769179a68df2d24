"""The advertised CA list fits one TLS record; which clients verify does not change.

One httpd serves every configuration under test, one port each.
"""

import re

import pytest

from harness import tls, vhosts
from harness.httpd import free_ports

VERSIONS = tls.VERSIONS
RECORD = tls.RECORD


PORT_NAMES = ["off", "disabled", "auto", "b4096", "b12288", "none", "prefer", "fits",
              "fits_off", "reqca", "reqca_off", "empty", "require"]


class Site:
    def __init__(self, server, ports, pki, preferred):
        self.server = server
        self.ports = ports
        self.pki = pki
        self.preferred = preferred
        self._by_name = {c.rfc2253: c for c in pki.fillers + pki.list200}

    def untrimmed(self, name):
        """The certificates whose names the untrimmed twin vhost advertises,
        in the order mod_ssl (which sorts its list) sends them."""
        cr = tls.certreq(self.ports[name], "1.2")
        return [self._by_name[n] for n in cr.names]

    def prefer_order(self):
        return self.preferred + [c for c in self.untrimmed("off")
                                 if c not in self.preferred]


@pytest.fixture(scope="module")
def site(make_module_httpd, pki):
    ports = dict(zip(PORT_NAMES, free_ports(len(PORT_NAMES))))
    # Until the server shows which names trimming drops (mod_ssl sorts its
    # list with X509_NAME_cmp(), whose order differs between OpenSSL
    # releases), the Prefer file holds any three names.
    prefer_file = pki.pki.bundle("prefer.pem", pki.list200[:3])
    # A bundle whose every name is too big for a 256-byte budget.
    long_names = [c for c in pki.fillers if c.name_wire_len > 240][:5]
    assert len(long_names) == 5
    long_file = pki.pki.bundle("long-names.pem", long_names)

    def vhost(name, ca_file=pki.bundle200, extra="", verify="optional"):
        return vhosts.ssl_vhost(ports[name], pki.server, ca_file, extra,
                                verify=verify)
    body = vhosts.listen(*ports.values())
    body += vhost("off", extra="TLSInteropCAListLimit off")
    body += vhost("disabled", extra="TLSInterop off")
    body += vhost("auto", extra='Header always set X-Client-Verify '
                                '"%{SSL_CLIENT_VERIFY}s"')
    body += vhost("b4096", extra="TLSInteropCAListLimit 4096")
    body += vhost("b12288", extra="TLSInteropCAListLimit 12288")
    body += vhost("none", extra="TLSInteropCAListLimit none")
    body += vhost("prefer", extra="TLSInteropCAListPrefer %s" % prefer_file)
    body += vhost("fits", ca_file=pki.bundle60)
    body += vhost("fits_off", ca_file=pki.bundle60,
                  extra="TLSInteropCAListLimit off")
    # Names from SSLOpenSSLConfCmd RequestCAFile, trust from VerifyCAFile.
    reqca = """
        SSLOpenSSLConfCmd VerifyCAFile %s
        SSLOpenSSLConfCmd RequestCAFile %s""" % (pki.bundle200, pki.bundle200)
    body += vhost("reqca", ca_file=None, extra=reqca)
    body += vhost("reqca_off", ca_file=None,
                  extra=reqca + "\nTLSInteropCAListLimit off")
    # Both lists set; the client CA list trims to nothing.
    body += vhost("empty", ca_file=long_file, extra="""
        SSLOpenSSLConfCmd RequestCAFile %s
        TLSInteropCAListLimit 256""" % pki.bundle200)
    body += vhost("require", verify="require", extra="""
        Header always set X-Client-Verify "%{SSL_CLIENT_VERIFY}s"
        Header always set X-Client-DN "%{SSL_CLIENT_S_DN}s"
    """)
    server = make_module_httpd()
    server.write_index()
    server.start(body)
    # Names that trimming drops, the longest, in a scrambled order.
    site = Site(server, ports, pki, [])
    kept = set(tls.certreq(ports["auto"], "1.2").names)
    dropped = [c for c in site.untrimmed("off") if c.rfc2253 not in kept]
    longest = sorted(dropped, key=lambda c: c.name_wire_len)[-3:]
    site.preferred = [longest[1], longest[2], longest[0]]
    pki.pki.bundle("prefer.pem", site.preferred)
    server.stop()
    server.new_log()
    server.start(body)
    return site


def measure(port, servername=None):
    return {v: tls.certreq(port, v, servername) for v in VERSIONS}


def assert_fits_and_maximal(crs, order, budget):
    """The names are a prefix of the priority order, the message fits the
    budget in both versions, and the next name would not fit."""
    kept = len(crs["1.2"].names)
    assert crs["1.3"].names == crs["1.2"].names
    assert crs["1.2"].names == [c.rfc2253 for c in order[:kept]]
    largest = tls.budgeted_size(crs)
    assert largest <= budget
    assert kept < len(order)
    assert largest + order[kept].name_wire_len > budget
    return kept


def model_sizes(server, port):
    """What the module logged it would send for the vhost on port."""
    m = re.findall(r":%d \([^)]*\): CertificateRequest with (\d+) CA names: "
                   r"TLS 1\.2 (\d+) bytes, TLS 1\.3 (\d+) bytes" % port,
                   server.error_log())
    assert m, "no model sizes logged for port %d" % port
    names, s12, s13 = (int(x) for x in m[-1])
    return names, {"1.2": s12, "1.3": s13}


@pytest.mark.parametrize("version", VERSIONS)
def test_untrimmed_list_is_split_across_records(site, version):
    cr = tls.certreq(site.ports["off"], version)
    assert cr.size > RECORD
    assert len(cr.names) == 200
    status, out = tls.splitcheck(site.ports["off"], version)
    assert status == 1, out
    assert "refused: CertificateRequest" in out


def test_master_switch_off_means_no_trimming(site):
    for version in VERSIONS:
        cr = tls.certreq(site.ports["disabled"], version)
        assert cr.size > RECORD and len(cr.names) == 200
    assert not re.search(r":%d \(" % site.ports["disabled"], site.server.error_log())


@pytest.mark.parametrize("version", VERSIONS)
def test_split_refusing_client_completes_against_trimmed_list(site, version):
    status, out = tls.splitcheck(site.ports["auto"], version)
    assert status == 0, out
    assert "CertificateRequest" in out and "in 1 record" in out


def test_default_budget_is_one_record_and_maximal(site):
    kept = assert_fits_and_maximal(measure(site.ports["auto"]),
                                   site.untrimmed("off"), RECORD)
    assert 60 < kept < 120


@pytest.mark.parametrize("name,budget", [("b4096", 4096), ("b12288", 12288)])
def test_byte_budgets_are_honoured(site, name, budget):
    assert_fits_and_maximal(measure(site.ports[name]), site.untrimmed("off"),
                            budget)


def test_none_advertises_no_names(site):
    for version, cr in measure(site.ports["none"]).items():
        assert cr.names == [], version
    status, out = tls.splitcheck(site.ports["none"])
    assert status == 0, out


def test_prefer_file_order_comes_first(site):
    crs = measure(site.ports["prefer"])
    order = site.prefer_order()
    assert crs["1.2"].names[:3] == [c.rfc2253 for c in site.preferred]
    # The preferred names would not be advertised without the Prefer file.
    plain = tls.certreq(site.ports["auto"], "1.2").names
    assert not set(c.rfc2253 for c in site.preferred) & set(plain)
    assert_fits_and_maximal(crs, order, RECORD)


def test_list_that_fits_is_left_alone(site):
    crs = measure(site.ports["fits"])
    assert len(crs["1.2"].names) == 60
    assert crs["1.2"].names == [c.rfc2253 for c in site.untrimmed("fits_off")]
    assert "within the 16384-byte budget; unchanged" in site.server.error_log()


@pytest.mark.parametrize("name", ["auto", "b4096", "b12288", "none", "prefer",
                                  "fits", "reqca"])
def test_size_model_matches_s_client_exactly(site, name):
    port = site.ports[name]
    names, model = model_sizes(site.server, port)
    for version, cr in measure(port).items():
        assert len(cr.names) == names
        assert cr.size == model[version], version


def test_request_ca_file_list_is_trimmed(site):
    assert_fits_and_maximal(measure(site.ports["reqca"]),
                            site.untrimmed("reqca_off"), RECORD)


def test_empty_client_list_does_not_fall_back_to_request_ca_file(site):
    for version, cr in measure(site.ports["empty"]).items():
        assert cr.names == [], version
    log = site.server.error_log()
    assert re.search(r"\[tlsinterop:warn\].*:%d \(.*the 256-byte budget holds "
                     r"no CA name" % site.ports["empty"], log)


def test_startup_log_reports_each_trimmed_vhost(site):
    log = site.server.error_log()
    port = site.ports["auto"]
    notice = re.findall(r"\[tlsinterop:notice\].*:%d \(.*\): CA list trimmed "
                        r"from 200 names \((\d+) bytes\) to (\d+) names "
                        r"\((\d+) bytes\) to fit the 16384-byte budget" % port, log)
    assert len(notice) == 1
    before, kept, after = (int(x) for x in notice[0])
    assert before > RECORD >= after
    dropped = [name.replace("\\\\", "\\") for name in re.findall(
        r"\[tlsinterop:info\].*:%d \(.*\): CA name not advertised: (.*)" % port,
        log)]
    assert dropped == [c.rfc2253 for c in site.untrimmed("off")[kept:]]
    # Nothing is said of a vhost the module left alone, above info level.
    assert not re.search(r"\[tlsinterop:(notice|warn)\].*:%d " % site.ports["fits"], log)


def curl_args(site, cert=None):
    args = ["--cacert", site.pki.server_ca.path, "-D", "-", "-o", "/dev/null"]
    if cert is not None:
        args += ["--cert", cert.path, "--key", cert.key]
    return args


def test_client_of_a_dropped_ca_is_still_accepted(site):
    cr = tls.certreq(site.ports["require"], "1.3")
    assert site.pki.ca_last.rfc2253 not in cr.names
    for tls_flag in ("--tlsv1.2 --tls-max 1.2", "--tlsv1.3"):
        status, out, err = tls.curl(
            "https://localhost:%d/index.html" % site.ports["require"],
            *tls_flag.split(), *curl_args(site, site.pki.client_last))
        assert status == 0, err
        assert " 200 " in out.splitlines()[0]
        assert "X-Client-Verify: SUCCESS" in out
        assert "X-Client-DN: CN=last client" in out


def test_client_of_an_advertised_ca_is_accepted(site):
    status, out, err = tls.curl("https://localhost:%d/index.html" % site.ports["require"],
                                *curl_args(site, site.pki.client_first))
    assert status == 0, err
    assert "X-Client-Verify: SUCCESS" in out


def test_client_of_an_untrusted_ca_is_still_rejected(site):
    status, out, err = tls.curl("https://localhost:%d/index.html" % site.ports["require"],
                                *curl_args(site, site.pki.client_untrusted))
    assert status != 0 and tls.refused_certificate(err), err
    assert "200" not in out


def test_client_without_certificate_under_optional(site):
    status, out, err = tls.curl("https://localhost:%d/index.html" % site.ports["auto"],
                                *curl_args(site))
    assert status == 0, err
    assert " 200 " in out.splitlines()[0]
    assert "X-Client-Verify: NONE" in out
