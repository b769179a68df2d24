"""A private httpd: Debian's /usr/sbin/apache2 with a generated config.

It listens on loopback ports only, runs in the foreground under our
control, and is always stopped: stop() kills its whole process group.
"""

import os
import re
import signal
import socket
import subprocess
import time

APACHE2 = "/usr/sbin/apache2"
MODULES = "/usr/lib/apache2/modules"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULE_SO = os.environ.get(
    "TLSI_MODULE", os.path.join(REPO, "mod_tlsinterop", ".libs", "mod_tlsinterop.so"))

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


class HttpdError(RuntimeError):
    pass


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
        for sub in ("run", "logs", "htdocs"):
            os.makedirs(os.path.join(workdir, sub), exist_ok=True)
        os.chmod(workdir, 0o755)
        os.chmod(os.path.join(workdir, "htdocs"), 0o755)
        self.conf_path = os.path.join(workdir, "httpd.conf")
        self.error_log_path = os.path.join(workdir, "logs", "error.log")

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def common_config(self):
        lines = [
            'ServerRoot "%s"' % self.dir,
            "ServerName localhost",
            'PidFile "%s"' % self.path("run", "httpd.pid"),
            'DefaultRuntimeDir "%s"' % self.path("run"),
            "Mutex file:%s default" % self.path("run"),
            'ErrorLog "%s"' % self.error_log_path,
            "LogLevel %s" % self.loglevel,
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
                             capture_output=True, text=True, timeout=60)
        return res.returncode, res.stdout + res.stderr

    def error_log(self):
        try:
            with open(self.error_log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

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

    def start(self, body=None, timeout=20):
        if body is not None:
            self.write_config(body)
        before = self._generations()
        self.proc = subprocess.Popen(
            [APACHE2, "-f", self.conf_path, "-DFOREGROUND"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True)
        try:
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

    def stop(self, timeout=10):
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
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
