"""Learning: the CAs that issue verified client certificates are advertised
first after the next restart, kept in a PEM file across full restarts, and
never change trust or another vhost's list.  Bad state files cost one
warning each and nothing else."""

import datetime
import os
import re
import stat

import pytest

# Dates matter here: make test runs these again two years ahead.
pytestmark = pytest.mark.dates

from harness import status, tls, vhosts
from harness.httpd import free_port, free_ports

VERSIONS = tls.VERSIONS

TAG = "TLSInteropLearned:"


def default_file(server, port):
    return server.path("state", "tlsinterop", "localhost_%d.pem" % port)


def write_index(server):
    server.write_index()


def curl_with_cert(port, cert, key):
    """curl does not filter by CA name: it always sends its certificate."""
    return tls.curl("https://127.0.0.1:%d/index.html" % port, "-k",
                    "--cert", cert, "--key", key)


def counters(port, vhost_port):
    """The counters of the vhost on vhost_port, by name."""
    return status.vhost_counters(port, vhost_port)


def days_ago(days):
    """A last-seen date relative to today, never a fixed one: the state
    forgets names unseen for a year, and the suite also runs with the clock
    two years ahead (make test, faketime)."""
    return (datetime.date.today() - datetime.timedelta(days=days)).isoformat()


def learned_file_text(entries):
    """A state file as the module writes it: [(cert, issued, above, day)]."""
    out = ["# written by the tests\n"]
    for cert, issued, above, day in entries:
        out.append("\n%s issued=%d above=%d last-seen=%s\n" % (TAG, issued,
                                                             above, day))
        out.append(cert.pem.decode())
    return "".join(out)


def advertised(port, version="1.3"):
    return tls.certreq(port, version).names


def test_leaf_only_client_logs_in_after_learning(make_httpd, hier, gofilter):
    """A client that presents only its leaf needs its issuing CA's own name;
    one login by a client that does not filter teaches it."""
    ports = dict(zip(["site", "admin"], free_ports(2)))
    server = make_httpd(extra_modules=["status"])
    server.write_index()
    body = vhosts.listen(*ports.values()) + vhosts.ssl_vhost(
        ports["site"], hier.server, hier.bundle, verify="require")
    body += status.vhost(ports["admin"])
    server.start(body)
    ca = hier.ca("last")
    _, leaf, key = hier.chain("last")
    assert ca.rfc2253 not in advertised(ports["site"])
    for version in VERSIONS:
        result = tls.gofilter(gofilter, ports["site"], leaf, key, version)
        assert not result.offered and not result.ok, result
    # s_client above and the two Go handshakes sent none
    assert status.settled(lambda: counters(ports["admin"], ports["site"])[
        "TrimmedNoClientCert"], 3) == 3

    code, out, err = curl_with_cert(ports["site"], leaf, key)
    assert code == 0 and out == "hello\n", err
    c = counters(ports["admin"], ports["site"])
    assert c["IssuerNotAdvertised"] == 1
    assert c["LearnedNames"] == 2       # the issuing CA and its root

    server.graceful()
    path = default_file(server, ports["site"])
    text = open(path).read()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o755
    assert "%s issued=1 above=0 " % TAG in text
    assert "%s issued=0 above=1 " % TAG in text
    # The issuing CA ranks first, its root after it.
    assert text.index("subject=" + ca.rfc2253) < text.index(TAG + " issued=0")
    assert re.search(r"saved 2 learned CA name\(s\) to '%s'" % re.escape(path),
                     server.error_log())
    assert advertised(ports["site"])[0] == ca.rfc2253
    assert re.search(r"CA list trimmed from 252 names \(\d+ bytes\) to \d+ "
                     r"names \(\d+ bytes, 2 of them learned\)",
                     server.error_log())
    assert counters(ports["admin"], ports["site"])["LearnedNames"] == 2
    for version in VERSIONS:
        result = tls.gofilter(gofilter, ports["site"], leaf, key, version)
        assert result.offered and result.ok, result

    server.stop()
    server.start()
    for version in VERSIONS:
        result = tls.gofilter(gofilter, ports["site"], leaf, key, version)
        assert result.offered and result.ok, result


def test_learned_file_serves_as_a_prefer_file(make_httpd, hier, pki):
    port = free_port()
    state = os.path.join(make_httpd().dir, "learned.pem")
    with open(state, "w") as f:
        f.write(learned_file_text([(hier.ca("middle"), 3, 0, days_ago(30))]))
    server = make_httpd()
    server.write_index()
    server.start(vhosts.listen(port) + vhosts.ssl_vhost(
        port, hier.server, hier.bundle, verify="optional",
        extra="TLSInteropCAListPrefer %s\nTLSInteropCALearn off" % state))
    assert advertised(port)[0] == hier.ca("middle").rfc2253


def test_learning_off_learns_nothing(make_httpd, hier, gofilter):
    """Off still counts a certificate whose issuer was not advertised, and
    records nothing."""
    port, admin = free_ports(2)
    server = make_httpd(extra_modules=["status"])
    server.write_index()
    server.start(vhosts.listen(port, admin) + vhosts.ssl_vhost(
        port, hier.server, hier.bundle, verify="require",
        extra="TLSInteropCALearn off") + status.vhost(admin))
    _, leaf, key = hier.chain("last")
    assert curl_with_cert(port, leaf, key)[0] == 0
    c = counters(admin, port)
    assert c["IssuerNotAdvertised"] == 1 and c["LearnedNames"] == 0, c
    server.graceful()
    assert not os.path.exists(server.path("state"))
    assert not tls.gofilter(gofilter, port, leaf, key).ok
    assert hier.ca("last").rfc2253 not in advertised(port)


def test_flat_bundle_learns_a_dropped_ca(make_httpd, pki):
    """All self-signed: the order is mod_ssl's, as before, but for the
    learned name in front."""
    port = free_port()
    server = make_httpd()
    server.write_index()
    server.start(vhosts.listen(port) + vhosts.ssl_vhost(
        port, pki.server, pki.bundle200, verify="require"))
    before = advertised(port)
    assert pki.ca_last.rfc2253 not in before
    assert curl_with_cert(port, pki.client_last.path,
                          pki.client_last.key)[0] == 0
    server.graceful()
    after = advertised(port)
    assert after[0] == pki.ca_last.rfc2253
    assert after[1:] == before[:len(after) - 1]


@pytest.fixture
def two_vhosts(make_httpd, pki):
    ports = dict(zip(["a", "b"], free_ports(2)))
    server = make_httpd()
    server.write_index()
    body = vhosts.listen(*ports.values())
    for name in ports:
        body += vhosts.ssl_vhost(ports[name], pki.server, pki.bundle200,
                                 verify="require")
    server.start(body)
    return server, ports


def test_learning_never_moves_a_name_to_another_vhost(two_vhosts, pki):
    server, ports = two_vhosts
    before_b = advertised(ports["b"])
    assert curl_with_cert(ports["a"], pki.client_last.path,
                          pki.client_last.key)[0] == 0
    server.graceful()
    assert advertised(ports["a"])[0] == pki.ca_last.rfc2253
    assert advertised(ports["b"]) == before_b
    assert not os.path.exists(default_file(server, ports["b"]))


def test_learning_never_adds_a_name_nor_changes_trust(two_vhosts, pki):
    """A state file naming a CA outside the vhost's list: the name is not
    advertised, and the CA's clients are still refused."""
    server, ports = two_vhosts
    path = default_file(server, ports["a"])
    with open(path, "w") as f:
        f.write(learned_file_text([(pki.ca_untrusted, 50, 0, days_ago(20)),
                                   (pki.ca_last, 1, 0, days_ago(20))]))
    server.graceful()
    names = advertised(ports["a"])
    assert pki.ca_untrusted.rfc2253 not in names
    assert names[0] == pki.ca_last.rfc2253
    assert set(names) <= {c.rfc2253 for c in pki.list200}
    status_, _, err = curl_with_cert(ports["a"], pki.client_untrusted.path,
                                     pki.client_untrusted.key)
    assert status_ != 0 and tls.refused_certificate(err), err
    for port in ports.values():
        for client in (pki.client_first, pki.client_last):
            assert curl_with_cert(port, client.path, client.key)[0] == 0


BAD_FILES = ["corrupt", "truncated", "huge", "directory", "unwritable"]


def test_bad_state_files_cost_one_warning_each(make_httpd, pki, tmp_root):
    names = BAD_FILES + ["deleted", "good"]
    ports = dict(zip(names, free_ports(len(names))))
    server = make_httpd()
    server.write_index()
    files = {name: server.path("state-%s.pem" % name) for name in names}
    with open(files["corrupt"], "wb") as f:
        f.write(b"\x00\xffnot a learned list\n" * 10)
    whole = learned_file_text([(pki.ca_last, 2, 0, days_ago(5)),
                               (pki.ca_first, 1, 0, days_ago(5))])
    with open(files["truncated"], "w") as f:
        f.write(whole[:whole.rindex("-----END")])
    with open(files["huge"], "w") as f:
        f.write("# padding\n" * 200000)
    os.makedirs(files["directory"])
    with open(server.path("not-a-dir"), "w") as f:
        f.write("a file where a directory should be\n")
    files["unwritable"] = server.path("not-a-dir", "learned.pem")
    body = vhosts.listen(*ports.values())
    for name in names:
        body += vhosts.ssl_vhost(ports[name], pki.server, pki.bundle200,
                                 verify="optional",
                                 extra="TLSInteropCALearn %s" % files[name])
    server.start(body)

    def warnings(log, name):
        return re.findall(r"\[tlsinterop:warn\].*:%d \(.*TLSInteropCALearn.*"
                          % ports[name], log)
    log = server.error_log()
    for name in BAD_FILES:
        assert len(warnings(log, name)) == 1, (name, warnings(log, name))
    assert warnings(log, "good") == [] and warnings(log, "deleted") == []
    assert "not a regular file" in warnings(log, "directory")[0]
    assert "more than the 1048576" in warnings(log, "huge")[0]
    assert "line" in warnings(log, "corrupt")[0]
    assert "1 learned name(s) kept" in warnings(log, "truncated")[0]
    # Nothing else is lost: every vhost trims and serves, and the entry
    # before the fault still leads.
    for name in names:
        cr = tls.certreq(ports[name], "1.3")
        assert cr.size <= 16384
    assert advertised(ports["truncated"])[0] == pki.ca_last.rfc2253
    for name in names:
        assert curl_with_cert(ports[name], pki.client_last.path,
                              pki.client_last.key)[0] == 0

    # Saved at the restart; deleted; the next restart says so once.
    server.graceful()
    assert os.path.exists(files["deleted"])
    assert "could not" not in server.error_log()
    os.remove(files["deleted"])
    mark = len(server.error_log())
    server.graceful()
    log = server.error_log()[mark:]
    assert len(warnings(log, "deleted")) == 1
    assert "is gone" in warnings(log, "deleted")[0]
    assert re.search(r":%d \(.*TLSInteropCALearn.*cannot" % ports["unwritable"],
                     server.error_log()[:mark])
    assert tls.certreq(ports["deleted"], "1.3").size <= 16384


def test_one_file_for_two_vhosts_is_refused(make_httpd, pki):
    server = make_httpd()
    ports = free_ports(2)
    shared = server.path("shared.pem")
    body = vhosts.listen(*ports)
    for port in ports:
        body += vhosts.ssl_vhost(port, pki.server, pki.bundle200,
                                 extra="TLSInteropCALearn %s" % shared)
    status, out = server.configtest(body)
    assert status != 0, out
    lines = [i for i, text in enumerate(open(server.conf_path), 1)
             if "TLSInteropCALearn" in text]
    assert "TLSInteropCALearn: '%s' is named at" % shared in out, out
    for line in lines:
        assert "%s:%d" % (server.conf_path, line) in out, out


@pytest.mark.parametrize("value,accepted", [
    ("/tmp/learned/", "use on, off or the path of a file"),
    ('""', "on|off|<file>")])
def test_bad_learn_value(make_httpd, value, accepted):
    server = make_httpd()
    status, out = server.configtest("TLSInteropCALearn %s\n" % value)
    assert status != 0, out
    assert "TLSInteropCALearn" in out and accepted in out, out
    assert re.search(r"line \d+ of %s" % re.escape(server.conf_path), out), out


@pytest.mark.parametrize("value", ["on", "off", "On", "learned.pem"])
def test_good_learn_value(make_httpd, value):
    status, out = make_httpd().configtest("TLSInteropCALearn %s\n" % value)
    assert status == 0, out
