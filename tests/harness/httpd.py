"""A private httpd: Debian's /usr/sbin/apache2 with a generated config.

It listens on loopback ports only, runs in the foreground under our
control, and is always stopped: stop() stops it gracefully, then makes sure
by killing its whole process group.
"""

import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import time

APACHE2 = "/usr/sbin/apache2"
MODULES = "/usr/lib/apache2/modules"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULE_SO = os.environ.get(
    "TLSI_MODULE", os.path.join(REPO, "mod_tlsinterop", ".libs", "mod_tlsinterop.so"))

# make test SANITIZE=1 sets TLSI_SANITIZE: httpd then runs with the ASan
# and UBSan runtimes preloaded, and each report lands in SANITIZER_LOGS.
SANITIZE = bool(os.environ.get("TLSI_SANITIZE"))
SANITIZER_LOGS = os.environ.get("TLSI_SANITIZER_LOGS",
                                "/tmp/tlsi-sanitizer-%d" % os.getpid())


def _gcc_runtime(name):
    out = subprocess.run(["gcc", "-print-file-name=" + name],
                         capture_output=True, text=True).stdout.strip()
    return out if os.path.isabs(out) else name


def core_dir():
    """Where crashing children leave core files: TLSI_CORE_DIR, else one
    directory per test session; None when it cannot be made."""
    global CORE_DIR
    if CORE_DIR is None:
        path = os.environ.get("TLSI_CORE_DIR") or \
            "/tmp/tlsi-cores-%d" % os.getpid()
        try:
            os.makedirs(path, exist_ok=True)
            os.chmod(path, 0o1777)
            CORE_DIR = path
        except OSError:
            CORE_DIR = ""
    return CORE_DIR or None


CORE_DIR = None


def allow_core_files():
    """preexec_fn for httpd: core files as large as the hard limit allows
    (the kernel's core_pattern decides where they go)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))


def crash_reports():
    """Backtraces of the core files children left since the last call
    (gdb, where installed); each core is reported once, then removed."""
    found = []
    directory = core_dir()
    if directory is None:
        return found
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if not name.startswith("core"):
            continue
        text = "core file %s" % path
        if shutil.which("gdb"):
            res = subprocess.run(["gdb", "-batch", "-nx", "-ex", "bt 30",
                                  APACHE2, path], capture_output=True,
                                 text=True, timeout=120)
            text += ":\n" + res.stdout[-6000:]
        found.append(text)
        os.unlink(path)
    return found


def apache_env():
    """The environment to run apache2 in (sanitizer runtimes preloaded
    under make test SANITIZE=1), or None for ours."""
    if not SANITIZE:
        return None
    os.makedirs(SANITIZER_LOGS, mode=0o1777, exist_ok=True)
    os.chmod(SANITIZER_LOGS, 0o1777)
    env = dict(os.environ)
    # The sanitizer runtimes first, as ASan requires; what was preloaded
    # already (libfaketime in make integration-dates) after them.
    env["LD_PRELOAD"] = " ".join([_gcc_runtime(n) for n in
                                  ("libasan.so", "libubsan.so")]
                                 + os.environ.get("LD_PRELOAD", "").split())
    # httpd itself is not instrumented and frees much at exit only by
    # ending: leaks are valgrind's part (tests/integration/test_valgrind.py).
    env["ASAN_OPTIONS"] = ("detect_leaks=0:log_path=%s/asan"
                           % SANITIZER_LOGS)
    env["UBSAN_OPTIONS"] = ("print_stacktrace=1:log_path=%s/ubsan"
                            % SANITIZER_LOGS)
    return env


def sanitizer_reports():
    """Paths of the sanitizer reports written so far."""
    try:
        return sorted(os.path.join(SANITIZER_LOGS, n)
                      for n in os.listdir(SANITIZER_LOGS))
    except FileNotFoundError:
        return []


BASE_MODULES = ["authz_core", "mime", "headers", "setenvif",
                "socache_shmcb", "ssl"]
READY = "resuming normal operations"


def free_ports(count):
    """count distinct free loopback ports (held open together while picked)."""
    socks = [socket.socket() for _ in range(count)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def free_port():
    return free_ports(1)[0]


def wait_port(port, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def child_pids(pid):
    """The live httpd children of pid (not its piped loggers, not zombies
    it has yet to reap)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
            exe = os.readlink("/proc/%s/exe" % entry)
        except OSError:
            continue
        # The command name may hold spaces or parentheses: fields after it.
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z" and int(fields[1]) == pid and exe == APACHE2:
            found.append(int(entry))
    return found


class HttpdError(RuntimeError):
    pass


# Lines that fail a test unless it says it expects them: the module's own
# errors, any crit/alert/emerg, and a child that died of a signal.
BAD_LOG_LINE = re.compile(r"\[tlsinterop:error\]|\[[a-z_]*:(?:crit|alert|emerg)\]"
                          r"|exit signal|Segmentation fault|AddressSanitizer")

# Every Httpd made in this process, for the log check after each test.
INSTANCES = []


class Httpd:
    """One httpd instance in its own directory.

    body is the config after the common part: Listen lines, vhosts, and
    directives under test.  load_module=False leaves mod_tlsinterop out.
    """

    def __init__(self, workdir, mpm="event", load_module=True,
                 loglevel="info tlsinterop:debug", extra_modules=()):
        self.dir = workdir
        self.mpm = mpm
        self.load_module = load_module
        self.loglevel = loglevel
        self.modules = BASE_MODULES + list(extra_modules)
        self.proc = None
        self.one_process = False
        for sub in ("run", "logs", "htdocs"):
            os.makedirs(os.path.join(workdir, sub), exist_ok=True)
        os.chmod(workdir, 0o755)
        os.chmod(os.path.join(workdir, "htdocs"), 0o755)
        self.conf_path = os.path.join(workdir, "httpd.conf")
        self.error_log_path = os.path.join(workdir, "logs", "error.log")
        self.expected_lines = []
        # How much of the error log the check after each test has read.
        self.log_checked = 0
        INSTANCES.append(self)

    def expect_log(self, pattern):
        """Say that the error log may hold lines matching pattern (a regular
        expression) that would otherwise fail the test."""
        self.expected_lines.append(re.compile(pattern))

    def unexpected_log_lines(self):
        """Bad lines that no expect_log() allows, written since the last
        call (from the first start-up line on the first call; from the
        start again if the log was replaced)."""
        text = self.error_log()
        start = self.log_checked if self.log_checked <= len(text) else 0
        self.log_checked = len(text)
        return [line for line in text[start:].splitlines()
                if BAD_LOG_LINE.search(line)
                and not any(p.search(line) for p in self.expected_lines)]

    def new_log(self):
        """Start the error log afresh (the server must be stopped)."""
        assert self.proc is None, "stop the server first"
        self.unexpected_log_lines()
        if os.path.exists(self.error_log_path):
            os.unlink(self.error_log_path)
        self.log_checked = 0

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def write_index(self, text="hello\n"):
        """The page most tests request: /index.html."""
        with open(self.path("htdocs", "index.html"), "w") as f:
            f.write(text)

    def common_config(self):
        lines = [
            'ServerRoot "%s"' % self.dir,
            "ServerName localhost",
            'PidFile "%s"' % self.path("run", "httpd.pid"),
            'DefaultRuntimeDir "%s"' % self.path("run"),
            "Mutex file:%s default" % self.path("run"),
            'ErrorLog "%s"' % self.error_log_path,
            "LogLevel %s" % self.loglevel,
        ]
        # A crashing child leaves a core file here (see crash_reports()).
        if core_dir() is not None:
            lines.append('CoreDumpDirectory "%s"' % core_dir())
        lines += [
            "User www-data",
            "Group www-data",
            "LoadModule mpm_%s_module %s/mod_mpm_%s.so" % (self.mpm, MODULES, self.mpm),
        ]
        lines += ["LoadModule %s_module %s/mod_%s.so" % (m, MODULES, m)
                  for m in self.modules]
        if self.load_module:
            lines.append("LoadModule tlsinterop_module %s" % MODULE_SO)
        lines += [
            "TypesConfig /etc/mime.types",
            'LogFormat "%h \\"%r\\" %>s %b \\"%{User-Agent}i\\"" tlsi',
            'CustomLog "%s" tlsi' % self.path("logs", "access.log"),
            "SSLSessionCache shmcb:%s(512000)" % self.path("run", "scache"),
            "SSLRandomSeed startup builtin",
            'DocumentRoot "%s"' % self.path("htdocs"),
            '<Directory "%s">' % self.path("htdocs"),
            "    Require all granted",
            "</Directory>",
        ]
        return "\n".join(lines) + "\n"

    def write_config(self, body):
        with open(self.conf_path, "w") as f:
            f.write(self.common_config())
            f.write(body)

    def configtest(self, body):
        """Run apache2 -t on a config; returns (exit status, output)."""
        self.write_config(body)
        res = subprocess.run([APACHE2, "-t", "-f", self.conf_path],
                             capture_output=True, text=True, timeout=60,
                             env=apache_env())
        return res.returncode, res.stdout + res.stderr

    def error_log(self):
        try:
            with open(self.error_log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_logged(self, count, timeout=10, log="access.log"):
        """Wait until an access log (in logs/) holds count requests: by then
        every log_transaction hook has run for them (mod_log_config's runs
        last), so the requests are truly over on the server's side, not
        only answered."""
        path = self.path("logs", log)
        deadline = time.monotonic() + timeout
        while True:
            try:
                with open(path) as f:
                    lines = f.read().count("\n")
            except FileNotFoundError:
                lines = 0
            if lines >= count:
                return
            if time.monotonic() > deadline:
                raise HttpdError("%d of %d requests in %s" % (lines, count, path))
            time.sleep(0.02)

    def _generations(self):
        return self.error_log().count(READY)

    def _wait_generation(self, count, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._generations() >= count:
                return
            if self.proc.poll() is not None:
                raise HttpdError("httpd exited (%s):\n%s"
                                 % (self.proc.returncode, self._tail()))
            time.sleep(0.05)
        raise HttpdError("httpd not ready after %ss:\n%s" % (timeout, self._tail()))

    def _tail(self, lines=40):
        out = self.error_log().splitlines()[-lines:]
        if self.proc is not None and self.proc.stderr is not None \
                and self.proc.poll() is not None:
            out += self.proc.stderr.read().decode(errors="replace").splitlines()
        return "\n".join(out)

    def listen_ports(self):
        with open(self.conf_path) as f:
            return [int(p) for p in re.findall(r"^Listen\s+127\.0\.0\.1:(\d+)",
                                               f.read(), re.M)]

    def start(self, body=None, timeout=20, prefix=(), one_process=False,
              extra_env=None):
        """Start httpd; prefix is a command to run it under (valgrind), and
        one_process runs it as httpd -X, which logs no "resuming" line: it
        is ready when its ports answer."""
        if body is not None:
            self.write_config(body)
        before = self._generations()
        env = apache_env()
        if extra_env:
            env = dict(env or os.environ, **extra_env)
        self.one_process = one_process
        self.proc = subprocess.Popen(
            list(prefix) + [APACHE2, "-f", self.conf_path, "-DFOREGROUND"]
            + (["-X"] if one_process else []), preexec_fn=allow_core_files,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True, env=env)
        try:
            if not one_process:
                self._wait_generation(before + 1, timeout)
            for port in self.listen_ports():
                if not wait_port(port, timeout):
                    raise HttpdError("port %d not answering" % port)
        except Exception:
            self.stop()
            raise
        return self

    def graceful(self, body=None, timeout=20):
        """Re-read the config (optionally a new one) with a graceful restart."""
        if body is not None:
            self.write_config(body)
        before = self._generations()
        os.kill(self.proc.pid, signal.SIGUSR1)
        self._wait_generation(before + 1, timeout)

    def restart(self, body=None, timeout=20):
        """A full restart (SIGHUP): children are killed, config re-read."""
        if body is not None:
            self.write_config(body)
        before = self._generations()
        os.kill(self.proc.pid, signal.SIGHUP)
        self._wait_generation(before + 1, timeout)

    def stop(self, timeout=10, graceful=True):
        """Stop httpd as apache2ctl graceful-stop does, then make sure.

        Not with SIGTERM first: an immediate stop has each child's main
        thread close the sockets its workers hold, and when a worker is
        finishing one of them at that moment httpd's event MPM reads the
        freed socket and the child crashes (close_worker_sockets(); about
        one stop in a hundred right after a connection, with or without
        this module: tests/README.md).  A graceful stop lets the workers
        finish; once the children are gone, SIGTERM ends the parent's
        one-second wait.  A server run with -X (valgrind) knows only
        SIGTERM; graceful=False stops with it at once
        (tests/repro/event_stop_race.py)."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        deadline = time.monotonic() + timeout
        if proc.poll() is None and graceful and not self.one_process:
            proc.send_signal(signal.SIGWINCH)
            while child_pids(proc.pid) and time.monotonic() < deadline:
                time.sleep(0.02)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(max(deadline - time.monotonic(), 1))
            except subprocess.TimeoutExpired:
                pass
        # Whatever is left of the group (children of a killed parent).
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        if proc.stderr:
            proc.stderr.close()
