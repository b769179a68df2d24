"""The Debian package libapache2-mod-tlsinterop.

make deb from a fresh clone, lintian-clean; what the package holds and
depends on; the package extracted into a temporary root and enabled with
a2enmod in a copy of Debian's /etc/apache2 (APACHE_CONFDIR), where httpd
serves TLS with the packaged module and the packaged tlsinterop-probe finds
no problem; debian/tests run in a throwaway root.  Nothing here writes to
the machine's /etc/apache2 or /var/lib/apache2.

The package is built once for the module, from a clone of the repository:
that is, from what is committed.
"""

import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from harness.httpd import REPO, free_ports, wait_port
from harness.root import needs_root

PACKAGE = "libapache2-mod-tlsinterop"
MODULE_PATH = "/usr/lib/apache2/modules/mod_tlsinterop.so"
DOC = "usr/share/doc/" + PACKAGE
# What make deb needs besides the build dependencies, and which package
# setup/install-deps.sh installs for each.
TOOLS = {"dpkg-buildpackage": "dpkg-dev", "dh": "debhelper",
         "dh_apache2": "apache2-dev", "lintian": "lintian",
         "fakeroot": "fakeroot", "git": "git"}
READY = "resuming normal operations"


def make_env():
    """Our environment without make's: the package is built as from a
    shell, whatever make test was given (SANITIZE=1 ...)."""
    env = dict(os.environ)
    for name in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES",
                 "SANITIZE"):
        env.pop(name, None)
    return env


def run(cmd, **kwargs):
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    kwargs.setdefault("timeout", 120)
    return subprocess.run(cmd, **kwargs)


def clone(tmp_root, name):
    path = os.path.join(tmp_root, name)
    res = run(["git", "clone", "-q", REPO, path])
    assert res.returncode == 0, "cannot clone %s: %s" % (REPO, res.stderr)
    return path


class Build:
    def __init__(self, tree, result, seconds):
        self.tree = tree
        self.result = result
        self.seconds = seconds
        self.dist = os.path.join(tree, "dist")
        version = run(["dpkg-parsechangelog", "-S", "Version"],
                      cwd=tree).stdout.strip()
        arch = run(["dpkg", "--print-architecture"]).stdout.strip()
        self.version = version
        self.deb = os.path.join(self.dist, "%s_%s_%s.deb"
                                % (PACKAGE, version, arch))
        self.changes = os.path.join(self.dist, "%s_%s_%s.changes"
                                    % (PACKAGE, version, arch))
        self.dsc = os.path.join(self.dist, "%s_%s.dsc" % (PACKAGE, version))

    def output(self):
        return self.result.stdout + self.result.stderr


@pytest.fixture(scope="module")
def build(tmp_root):
    """make deb, once, in a fresh clone."""
    missing = sorted({pkg for tool, pkg in TOOLS.items()
                      if shutil.which(tool) is None})
    assert not missing, ("packaging tools missing (make test installs them "
                         "with setup/install-deps.sh): " + " ".join(missing))
    tree = clone(tmp_root, "deb-clone")
    start = time.monotonic()
    res = run(["make", "deb"], cwd=tree, env=make_env(), timeout=900)
    seconds = time.monotonic() - start
    print("\nmake deb: %.0f s" % seconds)
    return Build(tree, res, seconds)


@pytest.fixture(scope="module")
def deb(build):
    assert build.result.returncode == 0, \
        "make deb failed:\n" + build.output()[-6000:]
    return build.deb


@pytest.fixture(scope="module")
def root(deb, tmp_root):
    """The package's files extracted into a temporary root."""
    path = tempfile.mkdtemp(prefix="deb-root-", dir=tmp_root)
    res = run(["dpkg-deb", "-x", deb, path])
    assert res.returncode == 0, res.stderr
    os.chmod(path, 0o755)
    return path


# -- make deb ----------------------------------------------------------------

def test_make_deb_from_a_fresh_clone(build):
    out = build.output()
    assert build.result.returncode == 0, "make deb failed:\n" + out[-6000:]
    for path in (build.deb, build.changes, build.dsc):
        assert os.path.isfile(path), path
    assert "lintian reports no error or warning" in out
    assert not re.search(r"^[EW]: ", out, re.M), out
    # Built elsewhere: nothing in the tree but dist/, which git ignores.
    res = run(["git", "status", "--porcelain", "--ignored"], cwd=build.tree)
    assert res.stdout.splitlines() == ["!! dist/"], res.stdout


def test_lintian_reports_no_error_or_warning(build, deb):
    res = run(["lintian", "--fail-on", "error,warning", build.changes])
    tags = [line for line in res.stdout.splitlines()
            if re.match(r"[EW]: ", line)]
    assert res.returncode == 0 and not tags, res.stdout + res.stderr


def test_make_deb_with_a_missing_build_dependency(tmp_root):
    """It stops before building and prints the apt-get line."""
    tree = clone(tmp_root, "deb-clone-missing")
    control = os.path.join(tree, "debian", "control")
    with open(control) as f:
        text = f.read()
    text = text.replace("Build-Depends: debhelper-compat (= 13),",
                        "Build-Depends: debhelper-compat (= 13),\n"
                        "               tlsinterop-no-such-package (>= 1),",
                        1)
    assert "tlsinterop-no-such-package" in text
    with open(control, "w") as f:
        f.write(text)
    for target in ("deb-deps", "deb"):
        res = run(["make", target], cwd=tree, env=make_env())
        assert res.returncode != 0, target
        assert re.search(r"apt-get install -y --no-install-recommends .*"
                         r"\btlsinterop-no-such-package\b", res.stderr), \
            res.stdout + res.stderr
        assert "dpkg-buildpackage" not in res.stdout
    assert not os.path.exists(os.path.join(tree, "dist"))


# -- what the package holds ---------------------------------------------------

def contents(deb):
    """{path: mode string} of the files (not directories) in the package."""
    files = {}
    for line in run(["dpkg-deb", "-c", deb]).stdout.splitlines():
        fields = line.split()
        if fields[0].startswith("d"):
            continue
        path = fields[5][2:] if fields[5].startswith("./") else fields[5]
        files[path] = fields[0]
    return files


def test_package_contents(deb):
    files = contents(deb)
    assert sorted(files) == sorted([
        "etc/apache2/mods-available/tlsinterop.conf",
        "etc/apache2/mods-available/tlsinterop.load",
        "usr/bin/tlsinterop-probe",
        MODULE_PATH[1:],
        DOC + "/README.md.gz",
        DOC + "/directives.md.gz",
        DOC + "/how-it-works.md.gz",
        DOC + "/operations.md.gz",
        DOC + "/platforms.md.gz",
        DOC + "/changelog.gz",
        DOC + "/copyright",
        DOC + "/examples/vhost-client-certs.conf",
        "usr/share/man/man1/tlsinterop-probe.1.gz",
    ]), files
    assert files["usr/bin/tlsinterop-probe"] == "-rwxr-xr-x"
    assert files[MODULE_PATH[1:]] == "-rw-r--r--"
    conffiles = run(["dpkg-deb", "--info", deb, "conffiles"]).stdout.split()
    assert sorted(conffiles) == ["/etc/apache2/mods-available/tlsinterop.conf",
                                 "/etc/apache2/mods-available/tlsinterop.load"]


def openssl_package():
    """The installed package of the libssl the module links."""
    installed = run(["dpkg-query", "-W", "-f",
                     "${Package} ${db:Status-Status}\\n", "libssl*"]).stdout
    found = [line.split()[0] for line in installed.splitlines()
             if re.fullmatch(r"libssl\d[\d.]*(t64)? installed", line)]
    assert len(found) == 1, installed
    return found[0]


def test_package_fields_and_dependencies(deb, build):
    def field(name):
        return run(["dpkg-deb", "-f", deb, name]).stdout.strip()

    assert field("Package") == PACKAGE
    assert field("Section") == "httpd"
    assert field("Architecture") == run(["dpkg", "--print-architecture"]
                                        ).stdout.strip()
    depends = [d.strip() for d in field("Depends").split(",")]
    names = [re.split(r"[ (]", d)[0] for d in depends]
    # From dh_apache2, because apache2-ssl-dev is a build dependency.
    api = [n for n in names if re.fullmatch(r"apache2-api-\d{8}", n)]
    ssl_api = [n for n in names
               if re.fullmatch(r"apache2-api-\d{8}-openssl[\d.]+", n)]
    assert api and ssl_api, depends
    # ... which this machine's apache2 provides: the package installs here.
    provides = run(["dpkg-query", "-W", "-f", "${Provides}", "apache2-bin"]
                   ).stdout
    assert api[0] in provides and ssl_api[0] in provides, (depends, provides)
    # From shlibs: OpenSSL (libssl1.1, libssl3 or libssl3t64, by release),
    # PCRE2, libc.
    for lib in (openssl_package(), "libpcre2-8-0", "libc6"):
        assert lib in names, depends
    # A module depends on the API, never on the apache2 package itself.
    assert "apache2" not in names, depends
    with open(build.dsc) as f:
        dsc = f.read()
    assert re.search(r"^Format: 3\.0 \(native\)$", dsc, re.M)
    assert re.search(r"^Build-Depends:.*\bapache2-ssl-dev\b", dsc, re.M)
    assert re.search(r"^Testsuite: autopkgtest$", dsc, re.M)


def test_enable_files(root):
    with open(os.path.join(root, "etc/apache2/mods-available/tlsinterop.load")) as f:
        load = f.read()
    assert re.search(r"^# Depends: ssl$", load, re.M)
    assert re.search(r"^LoadModule tlsinterop_module %s$" % MODULE_PATH,
                     load, re.M)
    with open(os.path.join(root, "etc/apache2/mods-available/tlsinterop.conf")) as f:
        conf = f.read()
    assert "<IfModule tlsinterop_module>" in conf


def test_hardened_binaries(root):
    for path in (MODULE_PATH[1:], "usr/bin/tlsinterop-probe"):
        full = os.path.join(root, path)
        dynamic = run(["readelf", "-d", full]).stdout
        assert "BIND_NOW" in dynamic, path
        assert "GNU_RELRO" in run(["readelf", "-lW", full]).stdout, path
    probe = os.path.join(root, "usr/bin/tlsinterop-probe")
    assert "PIE" in run(["readelf", "-d", probe]).stdout
    # _FORTIFY_SOURCE reached the probe's build.
    assert re.search(r"__\w+_chk@", run(["nm", "-D", probe]).stdout)


def test_man_page_documents_every_option(root, build):
    with gzip.open(os.path.join(root, "usr/share/man/man1/tlsinterop-probe.1.gz"),
                   "rt") as f:
        page = f.read()
    text = page.replace("\\-", "-")
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "VERDICTS",
                    "EXIT STATUS", "EXAMPLES"):
        assert re.search(r'^\.SH "?%s"?$' % section, page, re.M), section
    usage = run([os.path.join(root, "usr/bin/tlsinterop-probe"), "--help"]
                ).stderr
    options = set(re.findall(r"(?<![\w-])(--[a-z][\w.-]*)", usage))
    options |= set(re.findall(r"(?<![\w-])(-[a-z0-9])\b", usage))
    assert "--json" in options and "-k" in options, usage
    for option in sorted(options | {"--cert", "--help"}):
        assert re.search(r"(?<![\w-])%s\b" % re.escape(option), text), option
    # Every problem the probe can report, by the identifier --json gives it.
    with open(os.path.join(build.tree, "tools", "tlsinterop-probe.c")) as f:
        source = f.read()
    ids = set(re.findall(r'add_problem\(\s*(?:hs->maxfrag \? )?"([a-z-]+)"',
                         source))
    ids |= set(re.findall(r':\s*"(split-certificate-request[a-z-]*)"', source))
    assert len(ids) >= 9, ids
    for problem in ids:
        assert re.search(r"^\.B %s$" % problem, text, re.M), problem
    for status in ("0", "1", "2"):
        assert re.search(r"^\.B %s$" % status, text, re.M), status


# -- installed into a copy of Debian's apache2 configuration ---------------

def tree_listing(path):
    """Every path under path with what it is or points to."""
    listing = []
    for top, dirs, files in os.walk(path):
        for name in sorted(dirs + files):
            full = os.path.join(top, name)
            kind = ("-> " + os.readlink(full) if os.path.islink(full)
                    else "dir" if os.path.isdir(full) else
                    "file %d" % os.path.getsize(full))
            listing.append((full, kind))
    return sorted(listing)


class DebianSandbox:
    """A copy of /etc/apache2 in a temporary directory, used through
    APACHE_CONFDIR by a2enmod, apache2ctl and apache2."""

    def __init__(self, base, root):
        self.base = base
        self.root = root
        self.confdir = os.path.join(base, "apache2")
        shutil.copytree("/etc/apache2", self.confdir, symlinks=True)
        for sub in ("run", "lock", "log", "state", "htdocs"):
            os.makedirs(self.path(sub), exist_ok=True)
            os.chmod(self.path(sub), 0o755)
        self.proc = None
        # Paths and ports: nothing of the machine's apache2 is used.
        with open(self.conf("envvars"), "a") as f:
            f.write("\n# tests/integration/test_deb.py\n"
                    "export APACHE_RUN_DIR=%s\n"
                    "export APACHE_PID_FILE=%s/apache2.pid\n"
                    "export APACHE_LOCK_DIR=%s\n"
                    "export APACHE_LOG_DIR=%s\n"
                    % (self.path("run"), self.path("run"), self.path("lock"),
                       self.path("log")))
        self.env = dict(make_env(), APACHE_CONFDIR=self.confdir,
                        APACHE_STATE_DIRECTORY=self.path("state"))

    def path(self, *parts):
        return os.path.join(self.base, *parts)

    def conf(self, *parts):
        return os.path.join(self.confdir, *parts)

    def install(self):
        """What dpkg does with the package's files under /etc, with the
        module's path pointed at the extracted root."""
        for name in os.listdir(self.conf("mods-available")):
            if name.startswith("tlsinterop."):
                os.unlink(self.conf("mods-available", name))
        for name in os.listdir(self.conf("mods-enabled")):
            if name.startswith("tlsinterop."):
                os.unlink(self.conf("mods-enabled", name))
        for name in ("tlsinterop.load", "tlsinterop.conf"):
            shutil.copy(os.path.join(self.root, "etc/apache2/mods-available",
                                     name), self.conf("mods-available", name))
        load = self.conf("mods-available", "tlsinterop.load")
        with open(load) as f:
            text = f.read()
        assert MODULE_PATH in text
        with open(load, "w") as f:
            f.write(text.replace(MODULE_PATH, self.root + MODULE_PATH))

    def command(self, *cmd):
        res = run(list(cmd), env=self.env)
        assert res.returncode == 0, "%s: %s%s" % (" ".join(cmd), res.stdout,
                                                 res.stderr)
        return res

    def enabled(self, kind):
        return sorted(os.listdir(self.conf(kind + "-enabled")))

    def error_log(self):
        try:
            with open(self.path("log", "error.log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def start(self, port):
        """apache2ctl -DFOREGROUND: apache2 -d <the copy>, with its
        envvars, in a process group of its own."""
        before = self.error_log().count(READY)
        self.proc = subprocess.Popen(
            ["apache2ctl", "-DFOREGROUND"], env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        deadline = time.monotonic() + 30
        while self.error_log().count(READY) <= before:
            assert self.proc.poll() is None, \
                "apache2 exited:\n" + self.error_log()[-3000:]
            assert time.monotonic() < deadline, \
                "apache2 not ready:\n" + self.error_log()[-3000:]
            time.sleep(0.05)
        assert wait_port(port, 20)

    def stop(self):
        """SIGTERM to the group (apache2ctl and apache2, which stops its
        children), then SIGKILL to whatever is left."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                proc.poll()
                os.killpg(proc.pid, 0)
                time.sleep(0.05)
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def test_install_into_a_copy_of_debians_apache2(root, pki, tmp_root):
    """a2enmod tlsinterop (with ssl), configtest, then an httpd on loopback
    ports with the packaged module: a vhost asking for client certificates
    gets a trimmed list, and the packaged probe finds no problem."""
    etc_before = tree_listing("/etc/apache2")
    state_before = tree_listing("/var/lib/apache2")
    base = tempfile.mkdtemp(prefix="deb-sandbox-", dir=tmp_root)
    os.chmod(base, 0o755)
    box = DebianSandbox(base, root)
    try:
        box.install()
        assert "tlsinterop.load" not in box.enabled("mods")

        res = box.command("a2enmod", "tlsinterop")
        assert "Considering dependency ssl for tlsinterop" in res.stdout
        assert "Enabling module tlsinterop." in res.stdout
        for name in ("tlsinterop.load", "tlsinterop.conf", "ssl.load",
                     "ssl.conf", "socache_shmcb.load"):
            assert name in box.enabled("mods"), box.enabled("mods")
        assert os.path.exists(box.path("state", "module", "enabled_by_admin",
                                       "tlsinterop"))

        http, https = free_ports(2)
        with open(box.conf("ports.conf"), "w") as f:
            f.write("Listen 127.0.0.1:%d\n<IfModule ssl_module>\n"
                    "    Listen 127.0.0.1:%d\n</IfModule>\n" % (http, https))
        for site in box.enabled("sites"):
            box.command("a2dissite", site[:-len(".conf")])
        with open(box.conf("sites-available", "tlsi-test.conf"), "w") as f:
            f.write("""<VirtualHost 127.0.0.1:{port}>
    ServerName localhost
    DocumentRoot {htdocs}
    <Directory {htdocs}>
        Require all granted
    </Directory>
    SSLEngine on
    SSLCertificateFile {cert}
    SSLCertificateKeyFile {key}
    # 200 CAs: their names do not fit one TLS record.
    SSLCACertificateFile {bundle}
    SSLVerifyClient optional
    KeepAliveTimeout 2
    # Not the package's /var/lib/apache2/tlsinterop: this machine's.
    <IfModule tlsinterop_module>
        TLSInteropCALearn {learned}
    </IfModule>
</VirtualHost>
""".format(port=https, htdocs=box.path("htdocs"), cert=pki.server.path,
                key=pki.server.key, bundle=pki.bundle200,
                learned=box.path("state", "tlsinterop", "learned.pem")))
        with open(box.path("htdocs", "index.html"), "w") as f:
            f.write("hello\n")
        box.command("a2ensite", "tlsi-test")
        assert box.enabled("sites") == ["tlsi-test.conf"]

        res = box.command("apache2ctl", "configtest")
        assert "Syntax OK" in res.stderr
        modules = box.command("apache2ctl", "-M").stdout
        assert "tlsinterop_module (shared)" in modules
        assert "ssl_module (shared)" in modules

        # The package keeps learned names under /var/lib, not in /etc.
        with open(os.path.join(root, MODULE_PATH[1:]), "rb") as f:
            assert b"/var/lib/apache2/tlsinterop\0" in f.read()
        box.start(https)
        assert re.search(r"mod_tlsinterop/\S+ .*: .*1 SSL virtual host\(s\), "
                         r"1 with a trimmed CA list", box.error_log()), \
            box.error_log()[-3000:]
        probe = os.path.join(root, "usr/bin/tlsinterop-probe")
        res = run([probe, "--json", "-k", "--idle", "6",
                   "127.0.0.1:%d" % https], timeout=60)
        report = json.loads(res.stdout)
        assert res.returncode == 0 and report["problems"] == [], res.stdout
        request = report["handshake"]["certificate_request"]
        assert request["fits_one_record"] and request["records"] == 1, request
        assert 0 < request["ca_names"] < len(pki.list200), request
        assert report["connection"]["close"] == "close_notify + FIN", report
        box.stop()

        res = box.command("a2dismod", "tlsinterop")
        assert "Module tlsinterop disabled." in res.stdout
        assert "tlsinterop.load" not in box.enabled("mods")
        assert "ssl.load" in box.enabled("mods")
        box.command("apache2ctl", "configtest")
    finally:
        box.stop()
    assert tree_listing("/etc/apache2") == etc_before
    assert tree_listing("/var/lib/apache2") == state_before


# -- debian/tests ---------------------------------------------------------------

# Runs in namespaces of its own (mount, PID, network): / is mounted again as
# an overlay whose writes go to a tmpfs, and the autopkgtest runs chrooted
# there, with the package installed by dpkg.  Everything it writes, and
# every process it starts, goes when the namespace's first process exits.
THROWAWAY_ROOT = r"""
set -eu
R=$1; DEB=$2; TESTS=$3
mount --make-rprivate /
mount -t tmpfs tmpfs "$R"
mkdir "$R/upper" "$R/work" "$R/root"
mount -t overlay overlay \
    -o "lowerdir=/,upperdir=$R/upper,workdir=$R/work" "$R/root"
mount -t proc proc "$R/root/proc"
mount --rbind /dev "$R/root/dev"
mount -t sysfs sysfs "$R/root/sys"
mount -t tmpfs tmpfs "$R/root/run"
mount -t tmpfs tmpfs "$R/root/tmp"
mkdir -p "$R/root/run/lock" "$R/root/tmp/adt/tests" "$R/root/tmp/adt/tmp"
ip link set lo up
cp "$DEB" "$R/root/tmp/adt/"
cp "$TESTS"/* "$R/root/tmp/adt/tests/"
chroot "$R/root" /bin/sh -euc '
    export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    # A testbed where the module was never installed or enabled.
    rm -f /etc/apache2/mods-enabled/tlsinterop.* \
          /etc/apache2/mods-available/tlsinterop.*
    find /var/lib/apache2 -name tlsinterop -delete
    dpkg -i /tmp/adt/*.deb
    cd /tmp/adt/tmp
    AUTOPKGTEST_TMP=/tmp/adt/tmp sh /tmp/adt/tests/system-apache2
'
"""


@needs_root("unshare and mount make the throwaway root")
def test_autopkgtest_in_a_throwaway_root(deb, build, tmp_root):
    with open(os.path.join(build.tree, "debian", "tests", "control")) as f:
        control = f.read()
    tests = re.findall(r"^Tests:\s*(.+)$", control, re.M)
    assert tests == ["system-apache2"], control
    mountpoint = tempfile.mkdtemp(prefix="adt-", dir=tmp_root)
    etc_before = tree_listing("/etc/apache2")
    status = run(["dpkg-query", "-W", "-f", "${Status}", PACKAGE]).stdout
    res = run(["unshare", "--mount", "--pid", "--fork", "--net", "--uts",
               "--ipc", "sh", "-c", THROWAWAY_ROOT, "sh", mountpoint, deb,
               os.path.join(build.tree, "debian", "tests")], timeout=180)
    out = res.stdout + res.stderr
    assert res.returncode == 0 and "\nPASS" in res.stdout, out[-6000:]
    assert "Verdict: no problem found." in res.stdout
    assert tree_listing("/etc/apache2") == etc_before
    assert run(["dpkg-query", "-W", "-f", "${Status}", PACKAGE]
               ).stdout == status, "dpkg's database on this machine changed"


# -- README ---------------------------------------------------------------------

def test_readme_install_section():
    """The package route first, then make install, then a plain
    LoadModule; and whether installing enables the module."""
    with open(os.path.join(REPO, "README.md")) as f:
        readme = f.read()
    section = re.search(r"^## Build and install\n(.*?)^## ", readme,
                        re.M | re.S).group(1)
    headings = re.findall(r"^### (.+)$", section, re.M)
    assert len(headings) == 3, headings
    assert "Debian package" in headings[0]
    assert "make install" in headings[1]
    assert "LoadModule" in headings[2]
    parts = re.split(r"^### .+$", section, flags=re.M)[1:]
    assert "make deb" in parts[0] and "apt install ./dist/" in parts[0]
    assert "a2enmod tlsinterop" in parts[0]
    assert "does not enable the module" in parts[0]
    assert "Listen 443" in parts[0]
    assert "make install" in parts[1] and "DESTDIR" in parts[1]
    assert "LoadModule tlsinterop_module" in parts[2]
