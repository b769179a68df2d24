"""What the sections of make bench share: constants, the report, helpers
and BenchBase (bench.py runs the sections)."""

import datetime
import os
import platform
import re
import statistics
import subprocess
import tempfile
import time

from harness import http1, httpd as H, names, pki as P, vhosts

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(BENCH)
# The benchmark programs, as make builds them.
BENCH_BIN = os.path.join(REPO, "build", "bench")

# The sections, in the order a full run takes them (bench.py --only).
STEPS = ["requests", "instructions", "handshakes", "latency", "startup",
         "learning", "vhostmem", "classify"]

IE6 = http1.IE6
MODERN = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
LEGACY_RULES = [
    r'"MSIE [2-6]\."', r'"^OldKiosk/1\." shutdown=unclean',
    r'"^Java/1\.[0-6]"', r'"Symbian/[1-8]"', r'"^Embedded-HTTP/0\."',
    r'"Nokia[0-9]+/"', r'"^libwww-perl/5\."', r'"^Wget/1\.[0-9]\b"',
    r'"BlackBerry[0-9]+/4"', r'"Opera/[5-8]\." shutdown=accurate',
]
INITCWND = 10       # Linux's initial congestion window, in segments
MSS = 1448          # Ethernet MSS with TCP timestamps


def median(values):
    return statistics.median(values) if values else float("nan")


def run(cmd, timeout=600, **kwargs):
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                         **kwargs)
    if res.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s%s" % (" ".join(cmd),
                                                     res.returncode,
                                                     res.stdout, res.stderr))
    return res.stdout + res.stderr


def shell_words(cmd):
    return " ".join("'%s'" % c if re.search(r"[\s;()*]", c) else c for c in cmd)


class Report:
    """The sections of RESULTS.md, and the console as they are made."""

    def __init__(self):
        self.parts = []
        self.targets = []

    def add(self, text):
        self.parts.append(text.rstrip() + "\n")
        print(text.rstrip() + "\n", flush=True)

    def table(self, header, rows):
        lines = ["| " + " | ".join(header) + " |",
                 "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
        self.add("\n".join(lines))

    def target(self, name, value, met):
        """met: True, False, or None for a figure with no bound."""
        self.targets.append((name, value, "-" if met is None else
                             "yes" if met else "**no**"))


def split_results(text):
    """RESULTS.md as (its head, with the targets table; the table's rows by
    target; its sections by number)."""
    first = re.search(r"^## \d+\. ", text, re.M)
    head, body = (text[:first.start()], text[first.start():]) if first \
        else (text, "")
    rows = {}
    for line in head.splitlines():
        m = re.match(r"^\| (.+?) \| .* \|$", line)
        if m and m.group(1) != "target":
            rows[m.group(1)] = line
    sections = {int(m.group(1)): m.group(0).rstrip("\n") + "\n"
                for m in re.finditer(r"^## (\d+)\. .*?(?=^## \d+\. |\Z)",
                                     body, re.M | re.S)}
    return head, rows, sections


def merge_results(old, new, note):
    """The old RESULTS.md with the targets and sections of new put in, each
    new section marked with note."""
    head, old_rows, sections = split_results(old)
    _, new_rows, new_sections = split_results(new)
    for name, line in new_rows.items():
        if name in old_rows:
            head = head.replace(old_rows[name], line)
        else:
            last = list(old_rows.values())[-1] if old_rows else None
            head = head.replace(last, last + "\n" + line) if last \
                else head + line + "\n"
            old_rows[name] = line
    for number, section in new_sections.items():
        title, rest = section.split("\n", 1)
        sections[number] = "%s\n\n%s\n%s" % (title, note, rest)
    return head.rstrip("\n") + "\n\n" + "\n".join(
        sections[n] for n in sorted(sections))


def count(value):
    """Calls per request: whole numbers without decimals."""
    text = "%.1f" % value
    return text[:-2] if text.endswith(".0") else text


def first_line(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True).stdout
        out = out or subprocess.run(cmd, capture_output=True,
                                    text=True).stderr
    except OSError:
        return cmd[0] + " (not found)"
    return out.strip().splitlines()[0].replace("Server version: ", "")


def cpu_model():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def memory():
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal"):
            return "%.0f GiB RAM" % (int(line.split()[1]) / 2**20)
    return "unknown RAM"


def cpu_seconds(pid):
    """User and system CPU time a running process has used."""
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class BenchBase:
    """What every section uses: the run's directory, PKI and servers, the
    vhost of the request comparisons, callgrind, and RESULTS.md."""

    def __init__(self, quick):
        self.quick = quick
        self.rounds = 2 if quick else 5
        self.root = tempfile.mkdtemp(prefix="tlsi-bench-")
        os.chmod(self.root, 0o755)
        self.report = Report()
        self.servers = []
        self.cg_runs = 0

    def make_pki(self):
        p = P.Pki(os.path.join(self.root, "pki"))
        ca = p.ca("server-ca", [("O", "bench"), ("CN", "Bench Server CA")])
        self.server_cert = p.leaf("server", [("CN", "localhost")], ca,
                                  dns=["localhost"])
        cas = p.filler_cas("ca", names.subjects(1000, seed=7))
        self.bundle300 = p.bundle("bundle300.pem", cas[:300])
        self.bundle1000 = p.bundle("bundle1000.pem", cas)

    def httpd(self, name, module, body, mpm="event", extra_modules=()):
        server = H.Httpd(os.path.join(self.root, name), mpm=mpm,
                         load_module=module, loglevel="warn",
                         extra_modules=list(extra_modules))
        with open(server.path("htdocs", "small.html"), "w") as f:
            f.write("x" * 256)
        server.write_config(body)
        self.servers.append(server)
        return server

    def stop_all(self):
        for server in self.servers:
            server.stop()

    @staticmethod
    def module_only(text):
        return "<IfModule tlsinterop_module>\n%s\n</IfModule>\n" % text

    def request_vhost(self, port, legacy_baseline=False, extra=""):
        """The vhost of the request comparisons.  With legacy_baseline, the
        baseline closes MSIE 6 connections the way admins did before the
        module (BrowserMatch ... nokeepalive)."""
        rules = "\n".join("TLSInteropLegacyAgent " + r for r in LEGACY_RULES)
        if "TLSInteropLegacyAgent none" in extra:
            rules = ""      # none and rules in one context conflict
        browsermatch = """
            <IfModule !tlsinterop_module>
                BrowserMatch "MSIE [2-6]\\." nokeepalive
            </IfModule>""" if legacy_baseline else ""
        return vhosts.ssl_vhost(port, self.server_cert, verify=None, extra="""
            KeepAliveTimeout 60
            MaxKeepAliveRequests 0
            %s%s""" % (self.module_only(rules + "\n" + extra), browsermatch))

    def callgrind_httpd(self, server, port, drive, toggle=None, options=()):
        """Run server as httpd -X under callgrind, call drive() once its
        port answers, stop it, and return the profile's path.  options are
        more valgrind options; drive() finds httpd's pid in
        self.callgrind_pid."""
        out = server.path("callgrind.out")
        # Run as www-data from the start, so that httpd switches no user
        # and can write its profile where it is.
        for top, dirs, files in os.walk(self.root):
            for entry in dirs + files:
                os.chmod(os.path.join(top, entry),
                         0o755 if entry in dirs else 0o644)
        subprocess.run(["chown", "-R", "www-data:www-data", server.dir])
        cmd = ["valgrind", "--tool=callgrind"]
        if toggle:
            cmd.append("--toggle-collect=" + toggle)
        cmd += list(options)
        cmd += ["--callgrind-out-file=" + out, H.APACHE2, "-X", "-f",
                server.conf_path]
        proc = subprocess.Popen(["setpriv", "--reuid=www-data",
                                 "--regid=www-data", "--clear-groups"] + cmd,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL,
                                start_new_session=True)
        self.callgrind_pid = proc.pid
        try:
            # Up to half an hour under callgrind, unless it exits at once.
            deadline = time.monotonic() + 1800
            while not H.wait_port(port, 1):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("httpd under callgrind did not start "
                                       "(%s)" % " ".join(cmd))
            drive()
        finally:
            proc.terminate()
            try:
                proc.wait(300)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait()
        self.last_callgrind_cmd = cmd
        return out

    @staticmethod
    def wait_idle(server, port, requests):
        """Wait until server has logged its requests and closed every
        connection on port, so that callgrind's count ends the same way in
        every run: a stop that arrives while httpd still closes the
        connection takes another path out (an exit without OpenSSL's
        clean-up, some 1.5 million instructions, was seen in one run of
        ten)."""
        server.wait_logged(requests, timeout=600)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            out = subprocess.run(["ss", "-Htn", "state", "all",
                                  "( sport = :%d )" % port],
                                 capture_output=True, text=True).stdout
            states = [line.split()[0] for line in out.splitlines()
                      if line.strip()]
            if all(state in ("LISTEN", "TIME-WAIT") for state in states):
                return
            time.sleep(0.05)

    @staticmethod
    def callgrind_functions(path):
        """A callgrind profile as one flat dict: (function, library, "self")
        -> its own instructions; (function, library, "calls" or "ir",
        caller, caller's library) -> the calls it got from that caller and
        the instructions spent in them.  Recursion levels (f'2) count as f;
        a static function of a stripped library is named by its address.
        Read from the file itself (callgrind format: names are compressed
        to "(id)" after their first use; cob= names the object of the next
        call only, the caller's when absent)."""
        names = {"ob": {}, "fl": {}, "fn": {}}

        def name(kind, text):
            m = re.match(r"\((\d+)\)(?: (.*))?$", text.strip())
            if m is None:
                return text.strip()
            if m.group(2) is not None:
                names[kind][m.group(1)] = m.group(2)
            return names[kind][m.group(1)]

        def function(fn, ob):
            return re.sub(r"'\d+$", "", fn), os.path.basename(ob)
        profile = {}
        ob = fn = cob = cfn = calls = None
        with open(path) as f:
            for line in f:
                if line[:1].isdigit() or line[:1] in "+-*":
                    fields = line.split()
                    cost = int(fields[1]) if len(fields) > 1 else 0
                    if calls is None:
                        key = function(fn, ob) + ("self",)
                        profile[key] = profile.get(key, 0) + cost
                        continue
                    callee = function(cfn, cob or ob)
                    for what, value in (("calls", calls), ("ir", cost)):
                        key = callee + (what,) + function(fn, ob)
                        profile[key] = profile.get(key, 0) + value
                    calls = cob = None
                elif line.startswith("ob="):
                    ob = name("ob", line[3:])
                elif line.startswith("fn="):
                    fn = name("fn", line[3:])
                elif line.startswith("cob="):
                    cob = name("ob", line[4:])
                elif line.startswith("cfn="):
                    cfn = name("fn", line[4:])
                elif line.startswith("calls="):
                    calls = int(line[6:].split()[0])
                elif line[:3] in ("fl=", "fi=", "fe="):
                    name("fl", line[3:])
                elif line[:4] in ("cfi=", "cfl="):
                    name("fl", line[4:])
        return profile

    def cg_name(self):
        """A new server directory for a callgrind run; all have one length."""
        self.cg_runs += 1
        return "cg-%03d" % self.cg_runs

    def write(self, path, seconds, steps=None):
        machine = "%s, %d cores, %s, Linux %s" % (
            cpu_model(), os.cpu_count(), memory(), platform.release())
        software = "%s; %s; %s; %s; mpm_event" % (
            first_line([H.APACHE2, "-v"]), first_line(["openssl", "version"]),
            first_line(["wrk", "-v"]), first_line(["valgrind", "--version"]))
        now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
        head = [
            "# mod_tlsinterop benchmark results",
            "",
            "Written by `make bench%s` on %s, in %.0f s." % (
                " QUICK=1" if self.quick else "", now, seconds),
            "",
            "- Machine: " + machine,
            "- Software: " + software,
            "- Method: each comparison runs both sides in this run, "
            "alternating them round by round, and reports medians. The "
            "baseline is the same httpd and configuration without "
            "mod_tlsinterop loaded.",
            "",
            "## Targets",
            "",
            "| target | result | met |",
            "|---|---|---|",
        ]
        head += ["| %s | %s | %s |" % t for t in self.report.targets]
        text = "\n".join(head) + "\n\n" + "\n".join(self.report.parts)
        if steps and set(steps) != set(STEPS) and os.path.exists(path):
            # Only some steps ran: they replace their sections and targets
            # in the file, and the rest stays as the last full run wrote it.
            note = ("_Rerun alone on %s by `bench/bench.py%s --only %s` "
                    "(%.0f s), on %s; %s. The other sections are from the "
                    "run the header names._" % (
                        now, " --quick" if self.quick else "",
                        ",".join(steps), seconds, machine, software))
            with open(path) as f:
                text = merge_results(f.read(), text, note)
        with open(path, "w") as f:
            f.write(text)
