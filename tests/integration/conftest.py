"""Fixtures: a PKI made once per run, and private httpds that always stop."""

import os
import random
import shutil
import subprocess
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from harness import httpd as httpd_mod  # noqa: E402
from harness import names, pki as pki_mod  # noqa: E402
from harness import tls  # noqa: E402
from harness.tls import CLIENTS  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "dates: depends on the date; make test also runs these "
        "with the clock two years ahead (faketime)")


def pytest_sessionstart(session):
    missing = [p for p in (httpd_mod.MODULE_SO, os.path.join(CLIENTS, "splitcheck"))
               if not os.path.exists(p)]
    if missing:
        pytest.exit("not built: %s (run make)" % ", ".join(missing), returncode=2)
    if httpd_mod.SANITIZE and "__asan_report" not in subprocess.run(
            ["nm", "-D", httpd_mod.MODULE_SO], capture_output=True,
            text=True).stdout:
        pytest.exit("TLSI_SANITIZE is set but %s is not built with ASan "
                    "(run make test SANITIZE=1)" % httpd_mod.MODULE_SO,
                    returncode=2)


def pytest_report_header(config):
    if httpd_mod.SANITIZE:
        return ("httpd runs the module under ASan and UBSan; reports go to "
                + httpd_mod.SANITIZER_LOGS)
    return None


@pytest.fixture(autouse=True)
def no_sanitizer_reports():
    """Under make test SANITIZE=1, a test fails if httpd wrote a report."""
    before = set(httpd_mod.sanitizer_reports())
    yield
    new = [p for p in httpd_mod.sanitizer_reports() if p not in before]
    if new:
        text = "".join(open(p, errors="replace").read()[:4000] for p in new)
        pytest.fail("sanitizer reports %s:\n%s" % (", ".join(new), text))


@pytest.fixture(autouse=True)
def no_unexpected_log_lines():
    """A test fails on any error, crit or crash line in a server's error log
    that it did not declare with Httpd.expect_log(): every line from the
    server's first start-up line on, also of servers that module-scoped
    fixtures started before the test."""
    yield
    found = []
    for server in httpd_mod.INSTANCES:
        for line in server.unexpected_log_lines():
            found.append("%s: %s" % (server.error_log_path, line))
    if found:
        crashes = "\n".join(httpd_mod.crash_reports())
        pytest.fail("unexpected lines in the error log:\n" + "\n".join(found[:20])
                    + ("\n" + crashes if crashes else ""))


@pytest.fixture(scope="session", autouse=True)
def core_files_dir():
    """The session's directory for core files, removed at the end when no
    crash left one there."""
    yield httpd_mod.core_dir()
    directory = httpd_mod.core_dir()
    if directory is not None and not os.environ.get("TLSI_CORE_DIR"):
        try:
            os.rmdir(directory)
        except OSError:
            pass


@pytest.fixture(scope="session")
def tmp_root():
    root = tempfile.mkdtemp(prefix="tlsi-test-")
    os.chmod(root, 0o755)
    yield root
    if not os.environ.get("TLSI_KEEP"):
        shutil.rmtree(root, ignore_errors=True)


class TestPki:
    """Everything the integration tests trust, present or refuse."""

    def __init__(self, directory):
        p = self.pki = pki_mod.Pki(directory)
        self.server_ca = p.ca("server-ca", [("O", "tlsinterop tests"),
                                            ("CN", "Test Server CA")])
        self.server = p.leaf("server", [("CN", "localhost")], self.server_ca,
                             dns=["localhost", "a.test", "b.test"])
        # mod_ssl sorts its list, shortest canonical name first, so the CA
        # with the longest name is the one trimming drops.
        subjects = sorted(names.subjects(262),
                          key=lambda s: len(names.openssl_subject(s)))
        self.fillers = p.filler_cas("filler", subjects[1:-1])
        # CAs that issue client certificates have keys of their own.
        self.ca_first = p.ca("ca-first", subjects[0])
        self.ca_last = p.ca("ca-last", subjects[-1])
        self.ca_untrusted = p.ca("ca-untrusted", [
            ("C", "US"), ("O", "Untrusted Example Authority"),
            ("CN", "Untrusted Example Root")])
        self.client_first = p.leaf("client-first", [("CN", "first client")],
                                   self.ca_first, client=True)
        self.client_last = p.leaf("client-last", [("CN", "last client")],
                                  self.ca_last, client=True)
        self.client_untrusted = p.leaf("client-untrusted",
                                       [("CN", "untrusted client")],
                                       self.ca_untrusted, client=True)
        # 200 CAs: the one with the shortest name issues a client
        # certificate, so does the one with the longest, which trimming drops.
        mixed = list(self.fillers)
        random.Random(7).shuffle(mixed)
        self.list200 = [self.ca_first] + mixed[:198] + [self.ca_last]
        rest = mixed[198:]
        self.bundle200 = p.bundle("bundle200.pem", self.list200)
        self.list60 = rest[:60]
        self.bundle60 = p.bundle("bundle60.pem", self.list60)
        self.list_alt = mixed[100:250]
        self.bundle_alt = p.bundle("bundle-alt.pem", self.list_alt)

    def path(self, name):
        return self.pki.path(name)


@pytest.fixture(scope="session")
def pki(tmp_root):
    return TestPki(os.path.join(tmp_root, "pki"))


class HierPki:
    """A typical enterprise or government client-auth list: 12 roots with
    long names, each issuing 20 intermediates; 252 names, about 25 KB.

    Three intermediates, under different roots, issue client
    certificates: the one whose name sorts first in mod_ssl's order, one
    from the middle, and the one that sorts last (the first that trimming
    in mod_ssl's order would drop).
    """

    ROOTS = 12
    PER_ROOT = 20

    def __init__(self, base):
        p = self.pki = pki_mod.Pki(os.path.join(os.path.dirname(base.pki.dir),
                                                "hier-pki"))
        self.server = base.server
        subjects = sorted(names.subjects(self.ROOTS, seed=1212),
                          key=lambda s: len(names.openssl_subject(s)))
        self.roots = [p.ca("root-%02d" % i, subject)
                      for i, subject in enumerate(subjects)]
        plan = []
        for r, root in enumerate(self.roots):
            org = dict(root.subject)["O"]
            for k in range(self.PER_ROOT):
                plan.append((root, [("C", dict(root.subject)["C"]),
                                    ("O", org), ("OU", "Client Authentication"),
                                    ("CN", "%s Issuing CA %02d" % (org[:40], k))]))
        # mod_ssl sends the names sorted, shortest encoding first.
        order = sorted(range(len(plan)),
                       key=lambda i: len(names.openssl_subject(plan[i][1])))
        issuing = {order[0]: "first", order[len(order) // 2]: "middle",
                   order[-1]: "last"}
        self.intermediates = [None] * len(plan)
        self.issuing = {}

        def make(i):
            root, subject = plan[i]
            key = None if i in issuing else p.filler_key()
            return p.ca("int-%03d" % i, subject, key=key, issuer=root)
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            self.intermediates = list(pool.map(make, range(len(plan))))
        for i, label in issuing.items():
            ca = self.intermediates[i]
            leaf = p.leaf("client-" + label, [("CN", "client of " + label)],
                          ca, client=True)
            self.issuing[label] = (ca, leaf)
        self.bundle = p.bundle("hier.pem", self.roots + self.intermediates)

    def chain(self, label):
        """(leaf + intermediate file, leaf-only file, key) of a client."""
        ca, leaf = self.issuing[label]
        full = self.pki.bundle("chain-%s.pem" % label, [leaf, ca])
        return full, leaf.path, leaf.key

    def ca(self, label):
        return self.issuing[label][0]


@pytest.fixture(scope="session")
def hier(pki):
    return HierPki(pki)


@pytest.fixture(scope="session")
def gofilter(tmp_root):
    """Build the Go client that picks its certificate by CA names."""
    return tls.build_gofilter(os.path.join(tmp_root, "go"))


def _factory(tmp_root):
    servers = []

    def make(**kwargs):
        workdir = tempfile.mkdtemp(prefix="httpd-", dir=tmp_root)
        server = httpd_mod.Httpd(workdir, **kwargs)
        servers.append(server)
        return server
    return make, servers


@pytest.fixture
def make_httpd(tmp_root):
    """Make private httpds for one test; all are stopped after it."""
    make, servers = _factory(tmp_root)
    yield make
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def make_module_httpd(tmp_root):
    """Likewise, shared by a test module."""
    make, servers = _factory(tmp_root)
    yield make
    for server in servers:
        server.stop()
