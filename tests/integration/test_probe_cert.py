"""tlsinterop-probe --cert: would a client that filters by CA name offer a
certificate, against httpd vhosts whose CA list the module trims.

One httpd serves every configuration under test, one port each.
"""

import json
import os
import subprocess

import pytest

from harness import tls, vhosts
from harness.httpd import REPO, free_ports

PROBE = os.path.join(REPO, "build", "bin", "tlsinterop-probe")
PORT_NAMES = ["trimmed", "require", "nocertreq", "none"]
VERSIONS = {"1.2": "-2", "1.3": "-3"}
ORG = ("O", "tlsinterop tests")


def probe(port, *args):
    """Run the probe quickly: (exit status, stdout, stderr)."""
    res = subprocess.run([PROBE, "-k", "--idle", "0", *args,
                          "127.0.0.1:%d" % port],
                         capture_output=True, text=True, timeout=60)
    return res.returncode, res.stdout, res.stderr


def probe_json(port, *args):
    status, out, err = probe(port, "--json", *args)
    assert err == ""
    return status, json.loads(out)


def problem_ids(report):
    return [p["id"] for p in report["problems"]]


def line_after(out, line):
    """The line that follows line in out."""
    lines = out.splitlines()
    return lines[lines.index(line) + 1]


class Certs:
    """Client certificates and chains made for these tests."""

    def __init__(self, pki):
        p = pki.pki
        # A chain whose root alone is advertised (it is preferred), while
        # its intermediate is not in the vhost's CA list at all.
        self.root = p.ca("probe-chain-root", [ORG, ("CN", "Probe Chain Root")])
        self.inter = p.ca("probe-chain-inter",
                          [ORG, ("CN", "Probe Chain Intermediate")],
                          issuer=self.root)
        self.chain_leaf = p.leaf("probe-chain-leaf", [("CN", "chain client")],
                                 self.inter, client=True)
        self.chain = p.bundle("probe-chain.pem", [self.chain_leaf, self.inter])
        # A chain nobody advertises: leaf, intermediate, self-signed root.
        self.other_inter = p.ca("probe-other-inter",
                                [ORG, ("CN", "Probe Other Intermediate")],
                                issuer=pki.ca_untrusted)
        self.other_leaf = p.leaf("probe-other-leaf", [("CN", "other client")],
                                 self.other_inter, client=True)
        self.other_chain = p.bundle("probe-other-chain.pem",
                                    [self.other_leaf, self.other_inter,
                                     pki.ca_untrusted])
        self.bundle = p.bundle("probe-cert-bundle.pem",
                               pki.list200 + [self.root])


@pytest.fixture(scope="module")
def certs(pki):
    return Certs(pki)


@pytest.fixture(scope="module")
def site(make_module_httpd, pki, certs):
    ports = dict(zip(PORT_NAMES, free_ports(len(PORT_NAMES))))
    # Over 200 CAs trimmed to 4096 bytes, the Prefer file's root first:
    # ca_first stays and ca_last goes (checked below, as the tests rely on
    # it).
    trim = "TLSInteropCAListLimit 4096\nTLSInteropCAListPrefer %s" \
        % certs.root.path
    body = vhosts.listen(*ports.values())
    body += vhosts.ssl_vhost(ports["trimmed"], pki.server, certs.bundle,
                             extra=trim)
    body += vhosts.ssl_vhost(ports["require"], pki.server, certs.bundle,
                             verify="require", extra=trim)
    body += vhosts.ssl_vhost(ports["nocertreq"], pki.server, verify=None)
    body += vhosts.ssl_vhost(ports["none"], pki.server, certs.bundle,
                             extra="TLSInteropCAListLimit none")
    server = make_module_httpd()
    server.write_index()
    server.start(body)
    return ports


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_the_advertised_names_are_the_ones_the_tests_assume(site, pki, certs,
                                                            version):
    names = tls.certreq(site["trimmed"], version).names
    assert names[0] == certs.root.rfc2253
    assert pki.ca_first.rfc2253 in names
    assert pki.ca_last.rfc2253 not in names
    assert certs.inter.rfc2253 not in names
    assert len(names) < len(pki.list200)


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_a_certificate_from_an_advertised_ca_would_be_offered(site, pki,
                                                              version):
    status, out, err = probe(site["trimmed"], VERSIONS[version],
                             "--cert", pki.client_first.path)
    assert status == 0, out + err
    assert "TLSv%s, " % version in out
    assert "a client would offer it\n" in out
    assert ("    certificate 1 (the leaf) was issued by an advertised CA: %s\n"
            % pki.ca_first.rfc2253) in out
    assert out.rstrip().endswith("Verdict: no problem found.")


@pytest.mark.parametrize("port", ["trimmed", "require"])
@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_a_certificate_from_a_trimmed_ca_would_not_be_offered(site, pki,
                                                              version, port):
    status, out, err = probe(site[port], VERSIONS[version],
                             "--cert", pki.client_last.path)
    assert status == 1, out + err
    assert "a client would NOT offer it\n" in out
    fix = line_after(out, "    advertise the leaf's issuer (serves every "
                          "client):")
    assert fix == "      " + pki.ca_last.rfc2253
    assert "one further up" not in out
    verdict = " ".join(out[out.index("Verdict:"):].split())
    assert "Verdict: 1 problem found." in verdict
    assert "TLSInteropCAListPrefer" in verdict


def test_a_chain_served_by_its_root_would_be_offered(site, certs):
    status, out, err = probe(site["trimmed"], "--cert", certs.chain)
    assert status == 0, out + err
    assert "Client certificate: %s (2 certificates, leaf first)" \
        % certs.chain in out
    assert ("    certificate 2 was issued by an advertised CA: %s\n"
            % certs.root.rfc2253) in out


def test_the_same_leaf_alone_would_not_be_offered(site, certs):
    status, report = probe_json(site["trimmed"], "--cert",
                                certs.chain_leaf.path)
    assert status == 1 and report["exit"] == 1
    assert problem_ids(report) == ["certificate-not-offered"]
    cert = report["client_certificate"]
    assert not cert["offered"]
    assert cert["fix"] == [certs.inter.rfc2253]
    assert certs.inter.rfc2253 in report["problems"][0]["fix"]


def test_the_fix_names_the_issuers_in_chain_order(site, pki, certs):
    status, out, _ = probe(site["trimmed"], "--cert", certs.other_chain)
    assert status == 1
    assert line_after(out, "    advertise the leaf's issuer (serves every "
                           "client):") == "      " + certs.other_inter.rfc2253
    # The self-signed root's issuer is itself: named once.
    assert line_after(out, "    or one further up (serves only clients that "
                           "present their chain):") \
        == "      " + pki.ca_untrusted.rfc2253
    assert out.count("      " + pki.ca_untrusted.rfc2253 + "\n") == 1
    status, report = probe_json(site["trimmed"], "--cert", certs.other_chain)
    assert report["client_certificate"]["fix"] == [certs.other_inter.rfc2253,
                                                   pki.ca_untrusted.rfc2253]
    fix = report["problems"][0]["fix"]
    assert fix.index(certs.other_inter.rfc2253) \
        < fix.index("further up") < fix.index(pki.ca_untrusted.rfc2253)


def test_json_has_the_verdict(site, pki, certs):
    status, report = probe_json(site["trimmed"], "--cert", certs.chain)
    assert status == 0 and report["exit"] == 0 and report["problems"] == []
    cert = report["client_certificate"]
    assert cert["file"] == certs.chain and cert["offered"]
    assert cert["chain"] == [
        {"subject": certs.chain_leaf.rfc2253, "issuer": certs.inter.rfc2253},
        {"subject": certs.inter.rfc2253, "issuer": certs.root.rfc2253}]
    check, = cert["checks"]
    assert check["verdict"] == "issuer-advertised" and check["offered"]
    assert check["matched_index"] == 1
    assert check["matched_issuer"] == certs.root.rfc2253
    assert check["ca_names"] == report["handshake"]["certificate_request"][
        "ca_names"]
    assert check["version"] == report["handshake"]["version"]
    assert cert["fix"] == []

    status, report = probe_json(site["trimmed"], "--cert",
                                pki.client_last.path)
    assert status == 1 and report["exit"] == 1
    check, = report["client_certificate"]["checks"]
    assert check["verdict"] == "issuer-not-advertised" and not check["offered"]
    assert check["matched_index"] is None
    assert report["client_certificate"]["fix"] == [pki.ca_last.rfc2253]


def test_without_cert_there_is_no_certificate_report(site):
    status, report = probe_json(site["trimmed"])
    assert status == 0 and report["client_certificate"] is None


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_an_empty_list_accepts_any_certificate(site, pki, version):
    status, report = probe_json(site["none"], VERSIONS[version],
                                "--cert", pki.client_last.path)
    assert status == 0
    check, = report["client_certificate"]["checks"]
    assert check["verdict"] == "empty-list" and check["ca_names"] == 0
    assert check["version"] == "TLSv" + version
    assert report["client_certificate"]["offered"]


def test_max_fragment_length_list_is_checked_too(site, pki, certs):
    full_names = tls.certreq(site["trimmed"], "1.3").names
    names = tls.certreq(site["trimmed"], "1.3",
                        args=["-maxfraglen", "512"]).names
    assert pki.ca_first.rfc2253 in names
    # A CA advertised in full, but not in a 512-byte record.
    fillers = {c.rfc2253: c for c in pki.fillers}
    ca = next(fillers[n] for n in full_names[len(names):] if n in fillers)
    leaf = pki.pki.leaf("probe-maxfrag-leaf", [("CN", "small client")], ca,
                        client=True)

    status, report = probe_json(site["trimmed"], "--maxfrag", "512",
                                "--cert", pki.client_first.path)
    assert status == 0
    full, frag = report["client_certificate"]["checks"]
    assert full["max_fragment_length"] is None and full["offered"]
    assert frag["max_fragment_length"] == 512 and frag["offered"]
    fitted = report["max_fragment_length_handshake"]["certificate_request"]
    assert frag["ca_names"] == fitted["ca_names"] == len(names)
    assert full["ca_names"] == len(full_names)

    status, report = probe_json(site["trimmed"], "--maxfrag", "512",
                                "--cert", leaf.path)
    assert status == 1
    assert problem_ids(report) == ["certificate-not-offered-maxfrag"]
    full, frag = report["client_certificate"]["checks"]
    assert full["offered"] and not frag["offered"]
    assert not report["client_certificate"]["offered"]
    assert report["client_certificate"]["fix"] == [ca.rfc2253]
    assert "with max_fragment_length 512" in report["problems"][0]["text"]


def test_no_certificate_request_means_no_certificate(site, pki):
    status, _ = probe_json(site["nocertreq"])
    assert status == 0
    status, report = probe_json(site["nocertreq"], "--cert",
                                pki.client_first.path)
    assert status == 1
    assert problem_ids(report) == ["no-certificate-request"]
    assert report["client_certificate"]["checks"][0]["verdict"] \
        == "no-certificate-request"
    assert not report["client_certificate"]["offered"]
    status, out, _ = probe(site["nocertreq"], "--cert", pki.client_first.path)
    assert status == 1
    assert "no CertificateRequest: a client sends no certificate" in out


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory, pki):
    d = tmp_path_factory.mktemp("probe-cert")
    pem = open(pki.client_first.path).read()
    lines = pem.splitlines()
    files = {
        "missing": str(d / "missing.pem"),
        "empty": d / "empty.pem",
        "key": d / "key.pem",
        "garbage": d / "garbage.pem",
        "truncated": d / "truncated.pem",
        "second": d / "second.pem",
    }
    files["empty"].write_text("")
    files["key"].write_text(open(pki.client_first.key).read())
    files["garbage"].write_text(
        "-----BEGIN CERTIFICATE-----\nAAAAAAAAAAAA\n-----END CERTIFICATE-----\n")
    files["truncated"].write_text("\n".join(lines[:4]) + "\n")
    files["second"].write_text(pem + "\n".join(lines[:4]) + "\n")
    return {k: str(v) for k, v in files.items()}


@pytest.mark.parametrize("name,message", [
    ("missing", "cannot read --cert {}: No such file or directory"),
    ("empty", "--cert {} holds no PEM certificate"),
    ("key", "--cert {} holds no PEM certificate"),
    ("garbage", "--cert {}: certificate 1 is malformed"),
    ("truncated", "--cert {}: certificate 1 is malformed"),
    ("second", "--cert {}: certificate 2 is malformed"),
])
def test_a_bad_cert_file_cannot_be_probed(bad_files, name, message):
    path = bad_files[name]
    # Port 1 refuses: the file is checked before any network step.
    res = subprocess.run([PROBE, "--cert", path, "127.0.0.1:1"],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.startswith("tlsinterop-probe: " + message.format(path))
    res = subprocess.run([PROBE, "--json", "--cert", path, "127.0.0.1:1"],
                         capture_output=True, text=True, timeout=30)
    report = json.loads(res.stdout)
    assert res.returncode == 2 and report["exit"] == 2
    assert report["error"].startswith(message.format(path))


def test_a_directory_cannot_be_probed(tmp_path):
    res = subprocess.run([PROBE, "--cert", str(tmp_path), "127.0.0.1:1"],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 2
    assert "cannot read --cert %s: Is a directory" % tmp_path in res.stderr
