"""Client stacks that take more than the fitted list are learned.

On a vhost with SSLVerifyClient require whose fitted list drops names, a
client that sends no certificate after the fitted list is refused anyway:
its stack's next handshake gets a larger list (the largest within 32,768
bytes, then the whole), and what happens then is learned.

The trust lists are flat (independent roots with long names, as in
test_browsers): 120 roots (about 26 KB, within 32,768 bytes: one step)
and 200 roots (about 41 KB: two steps).  Each user's certificate comes
from a root the fitted list drops (root, intermediate, leaf).

Clients: Go (tests/clients/gofilter) and wget (GnuTLS), which offer a
certificate only when an advertised name issued one in their chain;
splitcheck -accept-split -max-list 32768 -filter, which stands in for
Java (reassembles up to 32,768 bytes, filters by name); plain splitcheck,
which refuses split messages as Mbed TLS or old SChannel do.
"""

import os
import re
import shutil
import subprocess

import pytest

from harness import names, status, tls, vhosts
from harness.httpd import free_ports

PORT_NAMES = ["flat", "twin", "java", "split", "optional", "off", "admin"]
JAVA = ["-accept-split", "-max-list", "32768", "-filter", "-get",
        "/index.html"]


class Site:
    pass


def dropped_in_order(server, port):
    """The names the fitted list of the vhost on port drops, in the
    vhost's priority order (the start-up log lists them so)."""
    found = re.findall(r":%d \([^)]*\): CA name not advertised: (.*)$"
                       % port, server.error_log(), re.M)
    # the error log escapes backslashes
    return [name.replace("\\\\", "\\") for name in found]


def explored_steps(server, port):
    m = re.search(r":%d \([^)]*\): client stacks refused after the fitted "
                  r"list are explored \((\d+) CA names, then (\d+), then all "
                  r"(\d+)\)" % port, server.error_log())
    assert m, server.error_log()[-3000:]
    return [int(x) for x in m.groups()]


@pytest.fixture(scope="module")
def site(make_module_httpd, pki):
    p = pki.pki
    roots120 = p.filler_cas("flat-root", names.subjects(120, seed=29))
    roots200 = roots120 + p.filler_cas("flat-root-b",
                                       names.subjects(80, seed=31))
    bundle120 = p.bundle("flat-roots.pem", roots120)
    bundle200 = p.bundle("flat-roots-200.pem", roots200)
    ports = dict(zip(PORT_NAMES, free_ports(len(PORT_NAMES))))
    body = vhosts.listen(*ports.values())
    body += status.vhost(ports["admin"])
    for name, bundle, verify, extra in [
            ("flat", bundle120, "require", ""),
            ("twin", bundle120, "require", ""),
            ("java", bundle200, "require", ""),
            ("split", bundle120, "require", ""),
            ("optional", bundle120, "optional", ""),
            ("off", bundle120, "require", "TLSInteropClientLearn off")]:
        body += vhosts.ssl_vhost(ports[name], pki.server, bundle,
                                 verify=verify, extra=extra)
    server = make_module_httpd(extra_modules=["status"])
    server.write_index()
    # refused clients, as the tests intend
    server.expect_log(r"\[ssl:(error|info)\].*(AH02261|AH02263|peer did not "
                      r"return a certificate|AH10158|AH02255|AH02262)")
    server.start(body)
    by_name = {r.rfc2253: r for r in roots200}

    def user(name, root):
        inter = p.ca(name + "-inter", [("O", "Partner " + name),
                                       ("CN", name + " Issuing CA")],
                     issuer=root)
        leaf = p.leaf(name, [("CN", name)], inter, client=True)
        leaf.chain = p.bundle(name + "-chain.pem", [leaf, inter])
        return leaf

    s = Site()
    s.server, s.ports = server, ports
    dropped = [by_name[n] for n in dropped_in_order(server, ports["flat"])]
    s.flat_user = user("flat-user", dropped[-1])
    # Java's user: past the fitted list, within the 32,768-byte step; and
    # one past the step.
    steps = explored_steps(server, ports["java"])
    assert steps[0] < steps[1] < steps[2] == 200, steps
    order = [by_name[n] for n in dropped_in_order(server, ports["java"])]
    s.java_steps = steps
    s.java_user = user("java-user", order[steps[1] - steps[0] - 1])
    s.java_far_user = user("java-far-user", order[-1])
    s.ca = pki.server_ca
    fitted = tls.certreq(ports["split"], "1.3").names
    s.split_user = user("split-user", by_name[fitted[0]])
    return s


def go(site, gofilter, port, cert):
    return tls.gofilter(gofilter, port, cert.chain, cert.key)


def wget(site, port, cert):
    res = subprocess.run(
        ["wget", "-q", "-O", "-", "--tries=1", "--timeout=20",
         "--no-check-certificate", "--certificate=" + cert.chain,
         "--private-key=" + cert.key,
         "https://localhost:%d/index.html" % port],
        capture_output=True, text=True, timeout=60)
    return res.returncode == 0 and res.stdout == "hello\n"


def splitcheck(port, *args):
    status_, out = tls.splitcheck(port, "1.3", args=list(args))
    return status_, out


def counters(site, port):
    return status.vhost_counters(site.ports["admin"], port)


def test_go_and_wget_refused_once_then_learned(site, gofilter):
    """Both pick a certificate by the advertised names; the fitted list
    lacks their root.  Refused once each, then authenticated, and they stay
    so through a graceful restart and a stop and start."""
    if not shutil.which("wget"):
        pytest.skip("wget is not installed (make deps installs it)")
    port = site.ports["flat"]
    first = go(site, gofilter, port, site.flat_user)
    assert not first.ok and not first.offered, first
    second = go(site, gofilter, port, site.flat_user)
    assert second.ok and second.offered, second
    assert go(site, gofilter, port, site.flat_user).ok
    assert not wget(site, port, site.flat_user)
    assert wget(site, port, site.flat_user)
    log = site.server.error_log()
    assert len(re.findall(r"client JA4 \S+ authenticated after a list of "
                          r"120 CA names: learned", log)) == 2, log[-3000:]
    c = status.settled(lambda: counters(site, port)["LearnedClientStacks"], 2)
    assert c == 2
    assert counters(site, port)["Explorations"] == 2

    site.server.graceful()
    assert go(site, gofilter, port, site.flat_user).ok
    assert wget(site, port, site.flat_user)
    state = site.server.path("state", "tlsinterop")
    files = [f for f in os.listdir(state) if f.endswith("_%d.pem" % port)]
    assert len(files) == 1, os.listdir(state)
    with open(os.path.join(state, files[0])) as f:
        text = f.read()
    assert len(re.findall(r"^TLSInteropClientStack: ja4=\S+ takes=whole "
                          r"last-seen=\d{4}-\d\d-\d\d$", text, re.M)) == 2, text

    site.server.stop()
    site.server.start()
    assert go(site, gofilter, port, site.flat_user).ok
    assert wget(site, port, site.flat_user)
    assert re.search(r":%d \([^)]*\): client stacks refused .* learned so "
                     r"far: 2 take more, 0 held" % port,
                     site.server.error_log())


def test_no_state_leaks_into_another_vhost(site, gofilter):
    """Go is learned on "flat" (the test above, or now): "twin", with the
    same list, has learned nothing."""
    go(site, gofilter, site.ports["flat"], site.flat_user)
    assert go(site, gofilter, site.ports["flat"], site.flat_user).ok
    assert not go(site, gofilter, site.ports["twin"], site.flat_user).ok


def test_java_like_client_learned_at_the_32768_step(site):
    port = site.ports["java"]
    user = ["-cert", site.java_user.chain, "-key", site.java_user.key]
    status_, out = splitcheck(port, *JAVA, *user)
    assert status_ == 3 and ", %d CA names" % site.java_steps[0] in out, out
    status_, out = splitcheck(port, *JAVA, *user)
    assert status_ == 0 and ", %d CA names" % site.java_steps[1] in out, out
    assert "response: HTTP/1.1 200" in out
    assert re.search(r"authenticated after a list of %d CA names: learned"
                     % site.java_steps[1], site.server.error_log())
    # A user whose root is past the step: refused with the step's list, so
    # the whole list is explored, which the client cannot take (over
    # 32,768 bytes): one broken-off handshake, and the stack is held at
    # the step.
    far = ["-cert", site.java_far_user.chain, "-key", site.java_far_user.key]
    status_, out = splitcheck(port, *JAVA, *far)
    assert status_ == 3 and ", %d CA names" % site.java_steps[1] in out, out
    status_, out = splitcheck(port, *JAVA, *far)
    assert status_ == 2 and "excessive message size" in out, out
    assert status.settled(
        lambda: counters(site, port)["HeldClientStacks"], 1) == 1
    for _ in range(3):
        status_, out = splitcheck(port, *JAVA, *user)
        assert status_ == 0 and ", %d CA names" % site.java_steps[1] in out


def test_a_client_that_cannot_reassemble_fails_at_most_once(site):
    """splitcheck refuses split messages.  Its certificate's CA is in the
    fitted list.  A certificate-less handshake of the same stack starts an
    exploration: one handshake then fails; every later one succeeds."""
    port = site.ports["split"]
    user = ["-cert", site.split_user.chain, "-key", site.split_user.key,
            "-get", "/index.html"]
    assert splitcheck(port, *user)[0] == 0
    status_, out = splitcheck(port, "-get", "/index.html")
    assert status_ == 3 and tls.refused_certificate(out), out
    results = [splitcheck(port, *user) for _ in range(20)]
    failures = [out for status_, out in results if status_ != 0]
    assert len(failures) <= 1, failures
    assert failures and "refused: CertificateRequest" in failures[0], results
    assert re.search(r"broke the handshake off after a list of 120 CA names",
                     site.server.error_log())


@pytest.mark.parametrize("name", ["optional", "off"])
def test_no_exploring_where_a_client_without_certificate_is_not_refused_or_learning_is_off(site, name):
    port = site.ports[name]
    given = []
    for _ in range(3):
        status_, out = splitcheck(port, "-accept-split", "-get",
                                  "/index.html")
        assert status_ == (0 if name == "optional" else 3), out
        given += re.findall(r", (\d+) CA names", out)
    assert len(given) == 3 and len(set(given)) == 1, given
    assert int(given[0]) < 120
    assert not re.search(r":%d\b.*its next handshake gets a larger list"
                         % port, site.server.error_log())


def test_trust_unchanged_for_a_learned_stack(site, pki):
    """The java vhost gives splitcheck's stack the 32,768-byte list now:
    a certificate no trusted CA issued is refused all the same."""
    port = site.ports["java"]
    status_, out = splitcheck(port, "-accept-split", "-max-list", "32768",
                              "-get", "/index.html",
                              "-cert", pki.client_untrusted.path,
                              "-key", pki.client_untrusted.key)
    assert status_ != 0 and tls.refused_certificate(out), out
