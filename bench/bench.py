#!/usr/bin/python3
"""make bench: what mod_tlsinterop costs, and what a trimmed list saves.

    bench.py [--quick] [--only STEP,...] [--out FILE]

Every comparison runs both of its sides in this one run, alternating them
over several rounds, and reports medians.  The baseline is the same httpd
with the same configuration and mod_tlsinterop not loaded (its directives
sit in <IfModule tlsinterop_module>); section 6 (learning) compares vhosts
of one httpd instead.  Writes bench/RESULTS.md: machine, versions, the
exact commands, and the tables.  --quick (make bench QUICK=1) runs a short
version of every comparison.  --only runs some steps and puts their
sections into an existing --out, keeping the others.
"""

import argparse
import datetime
import glob
import os
import platform
import re
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import types
from concurrent.futures import ThreadPoolExecutor

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
# The benchmark programs, as make builds them.
BENCH_BIN = os.path.join(REPO, "build", "bench")
sys.path.insert(0, os.path.join(REPO, "tests"))

from harness import http1, httpd as H, names, pki as P, tls, vhosts  # noqa: E402

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
ONE_WAY_DELAY = 0.025


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


class Bench:
    def __init__(self, quick):
        self.quick = quick
        self.rounds = 2 if quick else 5
        self.root = tempfile.mkdtemp(prefix="tlsi-bench-")
        os.chmod(self.root, 0o755)
        self.report = Report()
        self.servers = []
        self.cg_runs = 0

    # -- set-up ------------------------------------------------------------

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

    # -- 1. requests -------------------------------------------------------

    def wrk(self, port, agent, seconds):
        cmd = ["wrk", "-t2", "-c64", "-d%ds" % seconds, "--latency",
               "-H", "User-Agent: " + agent,
               "https://127.0.0.1:%d/small.html" % port]
        out = run(cmd, timeout=seconds + 60)
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        p99 = float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        return rps, p99, cmd, int(errors.group(1)) if errors else 0

    def requests(self):
        seconds = 3 if self.quick else 10
        ports = H.free_ports(2)
        on = self.httpd("req-on", True, vhosts.listen(ports[0])
                        + self.request_vhost(ports[0], legacy_baseline=True))
        off = self.httpd("req-off", False, vhosts.listen(ports[1])
                         + self.request_vhost(ports[1], legacy_baseline=True))
        on.start()
        off.start()
        results = {}
        for agent_name, agent in (("modern", MODERN), ("legacy", IE6)):
            for name, port in (("on", ports[0]), ("off", ports[1])):
                self.wrk(port, agent, 1)            # warm up
            for _ in range(self.rounds):
                for name, port in (("on", ports[0]), ("off", ports[1])):
                    rps, p99, cmd, errors = self.wrk(port, agent, seconds)
                    results.setdefault((agent_name, name), []).append((rps, p99))
                    results[("cmd", agent_name)] = cmd
        on.stop()
        off.stop()

        r = self.report
        r.add("## 1. Requests\n\nTLS 1.3 keep-alive GETs of a 256-byte file, "
              "wrk with 64 connections over 2 threads, %d rounds of %d s per "
              "side, alternated. Ten TLSInteropLegacyAgent rules are "
              "configured. Command (module on; the baseline's port "
              "differs):\n\n    %s" % (self.rounds, seconds,
                                      shell_words(results[("cmd", "modern")])))
        rows = []
        ratio = {}
        for agent_name, label in (("modern", "User-Agent matching no rule"),
                                  ("legacy", "MSIE 6 User-Agent: every "
                                   "response closes (per second = handshakes)")):
            on_rps = median([x[0] for x in results[(agent_name, "on")]])
            off_rps = median([x[0] for x in results[(agent_name, "off")]])
            on_p99 = median([x[1] for x in results[(agent_name, "on")]])
            off_p99 = median([x[1] for x in results[(agent_name, "off")]])
            ratio[agent_name] = on_rps / off_rps
            rows.append([label, "%.0f" % on_rps, "%.0f" % off_rps,
                         "%.3f" % ratio[agent_name], "%.2f" % on_p99,
                         "%.2f" % off_p99])
        r.table(["workload", "module: req/s", "not loaded: req/s",
                 "ratio", "module: p99 ms", "not loaded: p99 ms"], rows)
        r.add("For the MSIE 6 workload the baseline closes the same "
              "connections with `BrowserMatch \"MSIE [2-6]\\.\" nokeepalive`, "
              "the recipe admins used before the module. Rounds (req/s, "
              "module/not loaded): " + "; ".join(
                  "%s: %s" % (a, ", ".join(
                      "%.0f/%.0f" % (x[0], y[0]) for x, y in
                      zip(results[(a, "on")], results[(a, "off")])))
                  for a in ("modern", "legacy")))
        r.target("throughput ratio >= 0.99 (no rule matching)",
                 "%.3f" % ratio["modern"], ratio["modern"] >= 0.99)
        spread = {side: [x[0] for x in results[("modern", side)]]
                  for side in ("on", "off")}
        # Each round's two sides ran back to back: their ratio cancels a
        # drift of the machine that a ratio of medians keeps.
        paired = median([a / b for a, b in zip(spread["on"], spread["off"])])
        r.add("Median of the per-round ratios (each round's two sides ran "
              "back to back): %.3f." % paired)
        r.add("wrk and httpd share the machine's two cores, so rounds of one "
              "side vary (module: %.0f to %.0f req/s; not loaded: %.0f to "
              "%.0f) as much as the sides differ. Read the ratio as \"no "
              "slowdown measurable\", not as a speed-up; section 2 counts "
              "the cost exactly." % (min(spread["on"]), max(spread["on"]),
                                     min(spread["off"]), max(spread["off"])))

    # -- 2. instructions per request ----------------------------------------

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
            if not H.wait_port(port, 1800):
                raise RuntimeError("httpd under callgrind did not start")
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

    def callgrind_run(self, name, module, requests, extra="", headers=()):
        """httpd -X serving requests keep-alive GETs on one connection:
        instructions in all, in mod_tlsinterop's code and in PCRE2, the
        command, and the profile by function (callgrind_functions())."""
        port = H.free_ports(1)[0]
        # One length for every server's directory name: httpd's per-request
        # path handling costs more for a longer DocumentRoot.
        server = self.httpd("%s-%04d" % (name, requests), module,
                            vhosts.listen(port)
                            + self.request_vhost(port, extra=extra))

        def drive():
            conn = http1.Conn(port)
            for _ in range(requests):
                conn.request(agent=MODERN, path="/small.html",
                             headers=headers)
            conn.close()
        out = self.callgrind_httpd(server, port, drive)
        cmd = self.last_callgrind_cmd
        total = int(re.search(r"^(?:summary|totals): (\d+)", open(out).read(),
                              re.M).group(1))
        functions = self.callgrind_functions(out)
        own = sum(v for k, v in functions.items() if k[2] == "self"
                  and k[1] == "mod_tlsinterop.so")
        pcre = sum(v for k, v in functions.items() if k[2] == "self"
                   and "libpcre2" in k[1])
        return (total, own, pcre), cmd, functions

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

    def per_request(self, name, module, few, many, extra="", headers=()):
        """Counts per request: the difference of a run with many requests
        and one with few, so that start-up and shutdown cancel out.  Also
        the profile, per request."""
        small, _, small_fn = self.callgrind_run(name, module, few, extra,
                                                headers)
        large, cmd, large_fn = self.callgrind_run(name, module, many, extra,
                                                  headers)
        profile = {k: (large_fn.get(k, 0) - small_fn.get(k, 0)) / (many - few)
                   for k in set(small_fn) | set(large_fn)}
        return [(b - a) / (many - few) for a, b in zip(small, large)], cmd, \
            profile

    # Requests as curl and wrk send them, and as browsers do: an HTTP/1.1
    # browser asks for keep-alive, so httpd itself writes the Keep-Alive
    # header and the module's hint only changes its timeout.
    REQUEST_KINDS = (("plain", "no Connection header (curl, wrk)", ()),
                     ("browser", "Connection: keep-alive (browsers)",
                      (("Connection", "keep-alive"),)))

    def cg_name(self):
        """A new server directory for a callgrind run; all have one length."""
        self.cg_runs += 1
        return "cg-%03d" % self.cg_runs

    # The module loaded with parts of it switched off: label, directives.
    INSTRUCTION_PARTS = (
        ("no rule and no hint (TLSInteropLegacyAgent none, "
         "TLSInteropKeepAliveMargin off)",
         "TLSInteropLegacyAgent none\nTLSInteropKeepAliveMargin off"),
        ("the ten rules only (TLSInteropKeepAliveMargin off)",
         "TLSInteropKeepAliveMargin off"),
        ("the Keep-Alive hint only (TLSInteropLegacyAgent none)",
         "TLSInteropLegacyAgent none"))

    def instructions(self):
        few, many = 20, (120 if self.quick else 520)
        rounds = 1 if self.quick else 5
        runs, part_runs = {}, {}
        for i in range(rounds):
            for kind, _, headers in self.REQUEST_KINDS:
                for side, module in (("on", True), ("off", False)):
                    runs.setdefault((kind, side), []).append(
                        self.per_request(self.cg_name(), module, few, many,
                                         headers=headers))
            # Parts of the module, without a Connection header (full mode)
            for label, extra in () if self.quick else self.INSTRUCTION_PARTS:
                part_runs.setdefault(label, []).append(self.per_request(
                    self.cg_name(), True, few, many, extra))
        profiles = {key: median_profile([x[2] for x in value])
                    for key, value in runs.items()}
        r = self.report
        r.add("## 2. Instructions per request\n\ncallgrind on `httpd -X` "
              "(one process) serving keep-alive GETs of the 256-byte file on "
              "one TLS connection, with a User-Agent that matches none of the "
              "ten rules. Every instruction of the process counts: a "
              "request's work does not end when ap_run_process_connection "
              "returns, as the event MPM then finishes writing the response, "
              "runs the log_transaction hooks (the module's among them) and "
              "frees the request's pool. Per request = (instructions with %d "
              "requests - instructions with %d) / %d, so that start-up, the "
              "TLS handshake, the close and shutdown cancel out; %d round(s) "
              "per side, alternated. Command (httpd run as www-data):\n\n"
              "    %s\n\nthen each profile read function by function (what "
              "`callgrind_annotate --inclusive=no --tree=caller` shows). Two "
              "kinds of request: without a Connection header, as curl and "
              "wrk send, and with `Connection: keep-alive`, as browsers send."
              % (many, few, many - few, rounds,
                 shell_words(runs[("plain", "on")][0][1])))
        rows = []
        deltas = {}
        for kind, label, _ in self.REQUEST_KINDS:
            on = median([x[0][0] for x in runs[(kind, "on")]])
            off = median([x[0][0] for x in runs[(kind, "off")]])
            own = median([x[0][1] for x in runs[(kind, "on")]])
            pcre = median([x[0][2] for x in runs[(kind, "on")]])
            deltas[kind] = (on - off, 100 * (on / off - 1))
            rows.append([label, "%.0f" % off, "%.0f" % on,
                         "%+.0f (%+.2f %%)" % deltas[kind],
                         "%.0f" % own, "%.0f" % pcre])
        r.table(["request", "not loaded", "module loaded", "difference",
                 "in mod_tlsinterop's own code", "in PCRE2 (JIT code is not "
                 "attributed)"], rows)
        r.target("instructions per request up by <= 0.5 %",
                 "%+.2f %% (browser requests), %+.2f %% (no Connection "
                 "header)" % (deltas["browser"][1], deltas["plain"][1]),
                 max(d[1] for d in deltas.values()) <= 0.5)
        parts = {}
        for kind, label, _ in self.REQUEST_KINDS:
            on, off = profiles[(kind, "on")], profiles[(kind, "off")]
            self.profile_report(label, on, off)
            parts[kind] = self.difference_parts(on, off)
        self.explain_instructions(deltas, parts)
        self.instruction_parts(runs, part_runs)

    PROFILE_ROWS = 15

    def profile_report(self, label, on, off):
        """Where a kind of request's extra instructions go: the functions
        whose own instructions per request differ most between the module
        loaded (profile on) and not (off), and what called them."""
        diff = {k: on.get(k, 0) - off.get(k, 0) for k in set(on) | set(off)}
        own, by_lib, callers, calls = {}, {}, {}, {}
        for key, value in diff.items():
            if key[2] == "self":
                own[key[:2]] = value
                by_lib[key[1]] = by_lib.get(key[1], 0) + value
            else:
                caller = callers.setdefault(key[:2], {}).setdefault(
                    key[3:], [0, 0])
                caller[key[2] == "ir"] += value
        for side, profile in enumerate((on, off)):
            for key, value in profile.items():
                if key[2] == "calls":
                    calls.setdefault(key[:2], [0, 0])[side] += value
        total = sum(own.values())
        top = sorted((k for k in own if abs(own[k]) >= 0.5),
                     key=lambda k: -abs(own[k]))[:self.PROFILE_ROWS]
        rows = []
        for fn in top:
            near = sorted(callers.get(fn, {}).items(),
                          key=lambda kv: -abs(kv[1][1]))
            near = [(c, d) for c, d in near if abs(d[0]) >= 0.5
                    or abs(d[1]) >= max(2, abs(own[fn]) / 10)][:3]
            rows.append([function_label(fn[0]), fn[1],
                         "%+.0f" % own[fn],
                         "%s / %s" % tuple(count(c) for c in
                                           calls.get(fn, (0, 0))),
                         ", ".join("%s (%s)" % (function_label(*c),
                                                calls_or_cost(*d))
                                   for c, d in near) or "-"])
        self.report.add(
            "Profile of the difference, %s: both sides' profiles function "
            "by function, as `callgrind_annotate --inclusive=no "
            "--tree=caller` shows them, per request (median of the rounds), "
            "module loaded minus not loaded. The "
            "functions' own instructions add up to %+.0f; the %d whose own "
            "instructions differ most:" % (label, total, len(top)))
        self.report.table(
            ["function", "library", "own instructions", "calls, loaded / "
             "not loaded", "callers whose calls to it changed (or, for as "
             "many calls, the instructions in them)"], rows)
        self.report.add("By library: " + ", ".join(
            "%s %+.0f" % (lib, value) for lib, value in
            sorted(by_lib.items(), key=lambda kv: -abs(kv[1]))
            if abs(value) >= 0.5) + ".")

    # Called by the module, but the response itself: its pass down the
    # filter chain, which httpd makes without the module too.
    NOT_THE_MODULES = ("ap_pass_brigade",)

    def difference_parts(self, on, off):
        """A profile difference in three parts: the module's own
        instructions; those in the functions of httpd, APR and libc it calls
        itself, callee by callee (calls, instructions, callers); and the
        rest, httpd's and the libraries' work that follows from it.  Also
        the functions' own differences, for the text."""
        module = "mod_tlsinterop.so"
        diff = {k: on.get(k, 0) - off.get(k, 0) for k in set(on) | set(off)}
        own = {k[0]: v for k, v in diff.items()
               if k[2] == "self" and k[1] == module}
        by_name, by_lib = {}, {}
        for key, value in diff.items():
            if key[2] == "self":
                by_name[key[0]] = by_name.get(key[0], 0) + value
                by_lib[key[1]] = by_lib.get(key[1], 0) + value
        called = {}
        for key, value in diff.items():
            if key[2] == "self" or key[4] != module or key[1] == module \
                    or key[0] in self.NOT_THE_MODULES:
                continue
            entry = called.setdefault(key[0], [0, 0, set()])
            entry[key[2] == "ir"] += value
            if key[2] == "calls" and value >= 0.5:
                entry[2].add(key[3])
        total = sum(v for k, v in diff.items() if k[2] == "self")
        rest = total - sum(own.values()) - sum(c[1] for c in called.values())
        return types.SimpleNamespace(total=total, own=own, called=called,
                                     rest=rest, by_name=by_name,
                                     by_lib=by_lib)

    def explain_instructions(self, deltas, parts):
        """What the difference is made of and why it stays: the text of
        section 2, from this run's profiles."""
        r = self.report
        browser, plain = parts["browser"], parts["plain"]

        def called(p, name):
            return p.called.get(name, [0, 0, set()])[1]

        def own(p, *names):
            return sum(p.by_name.get(n, 0) for n in names)
        rows = []
        for kind, label, _ in self.REQUEST_KINDS:
            p = parts[kind]
            rows.append([label, "%+.0f" % p.total,
                         "%.0f" % sum(p.own.values()),
                         "%.0f" % sum(c[1] for c in p.called.values()),
                         "%.0f" % p.rest])
        r.add("The difference in three parts: the module's own code; the "
              "httpd, APR and libc functions it calls (each call's "
              "instructions, callees included; its pass of the response "
              "down the filter chain is httpd's work with or without it and "
              "not counted here); and the rest, work of httpd and the "
              "libraries that follows from what the module did.")
        r.table(["request", "difference (profiles)", "module's own code",
                 "in functions it calls", "the rest"], rows)
        r.table(["function the module calls", "browser: calls, "
                 "instructions", "no Connection header: calls, instructions",
                 "called from"],
                [["`%s`" % name,
                  "%s, %.0f" % (count(browser.called.get(name, [0, 0])[0]),
                                called(browser, name)),
                  "%s, %.0f" % (count(plain.called.get(name, [0, 0])[0]),
                                called(plain, name)),
                  ", ".join(sorted(browser.called.get(name, [0, 0, set()])[2]
                                   | plain.called.get(name,
                                                      [0, 0, set()])[2]))]
                 for name in sorted(set(browser.called) | set(plain.called),
                                    key=lambda n: -called(plain, n))
                 if max(abs(browser.called.get(name, [0])[0]),
                        abs(plain.called.get(name, [0])[0])) >= 0.5])
        r.add(
            "**Why these instructions remain.** For a browser's request "
            "(%+.0f here, %+.2f %%) each part is either the feature or the "
            "least any module could spend on it:\n\n"
            "- *The module's own code*, %.0f instructions: the rule look-up "
            "in post_read_request, insert_filter, the filter (`%s`, %.0f: "
            "the decision, the hint, putting r->server back, the fate), "
            "log_transaction and the counters. Each request's User-Agent is "
            "read once; a connection keeps its last User-Agent, the rule it "
            "matched and its last hint, so a repeated request runs no "
            "match and no hint look-up.\n"
            "- *Reading two request headers*, `apr_table_get`, %.0f: the "
            "rules match the User-Agent, so it must be read, and compared "
            "(`strlen`, `memcmp`: %.0f) with the connection's last one to "
            "skip the match; whether httpd writes Keep-Alive at all depends "
            "on the request's Connection header, read after the handler "
            "(a RequestHeader directive may change it) with `strcmp` "
            "(%.0f) first for the usual exact `keep-alive`. A table "
            "look-up is the cheapest way httpd offers to read a header.\n"
            "- *The filter*, `ap_add_output_filter_handle`, %.0f, and one "
            "more hop down the chain: the close and the announced timeout "
            "must be settled after the handler and before "
            "ap_set_keepalive(), which runs inside httpd's HTTP_HEADER "
            "filter. httpd has no hook between the two; a connection filter "
            "runs after HTTP_HEADER; so a request filter is the only place. "
            "The one other way, replacing the function of httpd's own "
            "HTTP_HEADER filter record, would patch httpd for every module, "
            "vhost and plain-HTTP request, which no module should do. The "
            "filter stays in the chain after a response that ended in its "
            "first pass (ap_pass_brigade() set eos_sent), which saves "
            "removing it.\n"
            "- *The log variable*, `apr_table_setn`, %.0f: "
            "TLSINTEROP_CONNECTION is documented for LogFormat, and "
            "`%%{...}e` reads r->subprocess_env, a table.\n"
            "- *The stopping check*, `ap_mpm_query`, %.0f: a response that "
            "announced keep-alive is checked in log_transaction for a close "
            "the MPM decided meanwhile (a graceful stop), which is "
            "documented to be logged with its request line and counted; "
            "ap_mpm_query() is httpd's only way to ask.\n"
            "- *The rest*, %.0f: httpd calling one more module's hooks, and "
            "the filters after the module's walking past it, and the noise "
            "between runs (allocations, APR's hash seeds).\n\n"
            "Without a Connection header (curl, wrk: %+.0f, %+.2f %%) the "
            "same parts cost about the same, and the Keep-Alive hint adds "
            "the feature itself: httpd writes `Keep-Alive: timeout=T` and "
            "`Connection: Keep-Alive` only when the request carries a "
            "keep-alive token, so the module adds the token to the "
            "request's Connection header for the pass that writes the "
            "headers and takes it out again (`apr_table_setn`, "
            "`apr_table_unset`: %.0f), leaving httpd's keep-alive decision "
            "and its reasons to close untouched. httpd then does what it "
            "does for a browser's request: it scans the token "
            "(`ap_find_token`, %+.0f), formats the header "
            "(`apr_vformatter` and its callers, %+.0f), checks and writes "
            "two more header lines (`ap_scan_http_token`, "
            "`ap_scan_http_field_content`, `apr_brigade_writev`, "
            "`memcpy`: %+.0f) and encrypts them (libcrypto, %+.0f). That "
            "is most of the rest, %.0f, and no design "
            "can avoid it: those bytes are what such a client is told. "
            "A site that does not want them sets "
            "`TLSInteropKeepAliveMargin off`."
            % (deltas["browser"][0], deltas["browser"][1],
               sum(browser.own.values()), "connection_filter_out",
               browser.own.get("connection_filter_out", 0),
               called(browser, "apr_table_get"),
               called(browser, "strlen") + called(browser, "memcmp")
               + called(browser, "__strlen_avx2")
               + called(browser, "__memcmp_avx2_movbe"),
               called(browser, "strcmp") + called(browser, "__strcmp_avx2"),
               called(browser, "ap_add_output_filter_handle"),
               called(browser, "apr_table_setn"),
               called(browser, "ap_mpm_query"), browser.rest,
               deltas["plain"][0], deltas["plain"][1],
               called(plain, "apr_table_setn") - called(browser,
                                                        "apr_table_setn")
               + called(plain, "apr_table_unset"),
               own(plain, "ap_find_token"),
               own(plain, "apr_vformatter", "apr_pvsprintf", "apr_psprintf"),
               own(plain, "ap_scan_http_token", "ap_scan_http_field_content",
                   "apr_brigade_writev", "__memcpy_avx_unaligned_erms"),
               sum(v for k, v in plain.by_lib.items() if "libcrypto" in k),
               plain.rest))

    def instruction_parts(self, runs, part_runs):
        """The module loaded with parts of it switched off, against not
        loaded, for requests without a Connection header (full mode)."""
        if self.quick:
            return
        offs = [x[0][0] for x in runs[("plain", "off")]]
        off = median(offs)
        rows = []
        for label, _ in self.INSTRUCTION_PARTS:
            per = median([x[0][0] for x in part_runs[label]])
            rows.append([label, "%.0f" % per, "%+.0f (%+.2f %%)"
                         % (per - off, 100 * (per / off - 1)),
                         "%.0f" % median([x[0][1] for x in part_runs[label]])])
        r = self.report
        r.add("Where the difference comes from, for requests without a "
              "Connection header: the module loaded with parts of it "
              "switched off, against not loaded (same rounds).")
        r.table(["module loaded with", "instructions per request",
                 "against not loaded", "in mod_tlsinterop's own code"], rows)
        r.add("Requests that no rule and no hint concern cost little: the "
              "module's three per-request hooks (post_read_request, "
              "insert_filter, log_transaction) return after a look at the "
              "server's and the connection's state, the column on the "
              "right, and httpd spends a few instructions more on calling "
              "one more module's hooks and merging its per-directory "
              "configuration. Everything else in that row is noise: between "
              "rounds one side's count varies by %.0f instructions a request "
              "here (malloc's and the TLS library's allocations, APR's hash "
              "seeds, which differ from run to run). Matching the ten rules "
              "costs little because a connection remembers its last "
              "User-Agent and the rule it matched. The hint's cost is nearly "
              "all httpd's own, as above. An admin who wants neither turns "
              "the hint off with `TLSInteropKeepAliveMargin off`."
              % (max(offs) - min(offs)))

    # -- 3. handshakes -------------------------------------------------------

    def s_time(self, port, seconds):
        cmd = ["openssl", "s_time", "-connect", "127.0.0.1:%d" % port, "-new",
               "-time", str(seconds)]
        out = run(cmd, timeout=seconds + 60)
        m = re.search(r"(\d+) connections in ([\d.]+) real seconds", out)
        return int(m.group(1)) / float(m.group(2)), cmd

    def hsrate(self, port, seconds, maxfrag):
        cmd = [os.path.join(BENCH_BIN, "hsrate"), "-maxfrag", str(maxfrag),
               "-seconds", str(seconds), "127.0.0.1", str(port)]
        out = run(cmd, timeout=seconds + 60)
        return float(re.search(r"([\d.]+) per second", out).group(1)), cmd

    def handshakes(self):
        seconds = 2 if self.quick else 10
        ports = dict(zip(["trimmed", "untrimmed", "precut"], H.free_ports(3)))
        body = vhosts.listen(*ports.values())
        body += vhosts.ssl_vhost(ports["trimmed"], self.server_cert,
                                 self.bundle300)
        body += vhosts.ssl_vhost(ports["untrimmed"], self.server_cert,
                                 self.bundle300,
                                 extra="TLSInteropCAListLimit off")
        body += vhosts.ssl_vhost(ports["precut"], self.server_cert,
                                 self.bundle300,
                                 extra="TLSInteropCAListLimit 1024")
        server = self.httpd("handshakes", True, body)
        server.start()
        rates = {}
        cmds = {}
        for _ in range(self.rounds):
            for name in ("trimmed", "untrimmed"):
                rate, cmds["s_time"] = self.s_time(ports[name], seconds)
                rates.setdefault(name, []).append(rate)
            for name in ("trimmed", "precut"):
                rate, cmds["hsrate"] = self.hsrate(ports[name], seconds, 1024)
                rates.setdefault("frag-" + name, []).append(rate)
        flights = {(name, v): first_flight(ports[name], v)
                   for name in ("trimmed", "untrimmed")
                   for v in ("-tls1_3", "-tls1_2")}
        cert_msg = certificate_message(ports["trimmed"])
        server.stop()
        self.flights = flights

        r = self.report
        trimmed, untrimmed = median(rates["trimmed"]), median(rates["untrimmed"])
        r.add("## 3. Handshakes\n\nA vhost asking for client certificates "
              "and trusting 300 CAs, served trimmed (the default) and with "
              "`TLSInteropCAListLimit off`, side by side in one httpd. Full "
              "handshakes per second, %d rounds of %d s per side, alternated:"
              "\n\n    %s" % (self.rounds, seconds,
                              shell_words(cmds["s_time"])))
        r.table(["vhost", "full handshakes/s (median)", "rounds"],
                [["trimmed (auto)", "%.0f" % trimmed,
                  ", ".join("%.0f" % x for x in rates["trimmed"])],
                 ["untrimmed (off)", "%.0f" % untrimmed,
                  ", ".join("%.0f" % x for x in rates["untrimmed"])]])
        r.target("trimmed handshakes/s >= untrimmed", "%.0f vs %.0f"
                 % (trimmed, untrimmed), trimmed >= untrimmed)
        r.add("The server's first flight (every byte the server sends "
              "before the client's second flight), counted by a relay on "
              "loopback while `openssl s_client` connects, and the "
              "Certificate message within it (the chain: %d bytes):"
              % cert_msg)
        rows = []
        for version, label in (("-tls1_3", "TLS 1.3"), ("-tls1_2", "TLS 1.2")):
            rows.append([label, flights[("trimmed", version)],
                         flights[("untrimmed", version)],
                         flights[("trimmed", version)] - cert_msg])
        r.table(["", "trimmed: bytes", "untrimmed: bytes",
                 "trimmed minus the chain"], rows)
        worst = max(flights[("trimmed", v)] for v in ("-tls1_3", "-tls1_2"))
        besides_chain = worst - cert_msg
        r.target("first flight <= 16 KB (16,384 bytes) plus the certificate "
                 "chain", "%d bytes = %d + %d-byte chain message" % (
                     worst, besides_chain, cert_msg),
                 besides_chain <= 16384)
        excess = besides_chain - 16384
        note = ("The part besides the chain is the CertificateRequest, which "
                "the module fits to one 16,384-byte record, plus "
                "ServerHello, EncryptedExtensions, CertificateVerify, "
                "Finished and TLS record framing.")
        if excess > 0:
            note += (" Those other messages are why the flight is %d bytes "
                     "over the strict reading of this target; the module "
                     "budgets the message a client must reassemble, not the "
                     "flight. An admin who wants the flight itself within "
                     "16 KB plus the chain can set `TLSInteropCAListLimit %d`"
                     ". It buys no round trip here: a flight of either size "
                     "overflows the initial congestion window of %d bytes "
                     "(section 4)." % (excess, 16384 - excess,
                                       INITCWND * MSS))
        r.add(note)

        fit, precut = median(rates["frag-trimmed"]), median(rates["frag-precut"])
        r.add("Fitting to a negotiated max_fragment_length on a real server: "
              "full handshakes per second from a client asking for 1024-byte "
              "fragments, against the trimmed vhost (each connection gets a "
              "list cut to 1024 bytes by the certificate callback) and "
              "against one with `TLSInteropCAListLimit 1024` (the same list "
              "already in the context), %d rounds of %d s, alternated:\n\n"
              "    %s" % (self.rounds, seconds, shell_words(cmds["hsrate"])))
        r.table(["vhost", "handshakes/s (median)"],
                [["cut per connection", "%.0f" % fit],
                 ["cut at start-up", "%.0f" % precut],
                 ["ratio", "%.3f" % (fit / precut)]])
        out = run([os.path.join(BENCH_BIN, "fragfit_cost"),
                   "300" if self.quick else "2000"])
        r.add("The same cost in memory, without the network "
              "(`bench/fragfit_cost`):\n\n" + "\n".join(
                  "    " + line for line in out.strip().splitlines()))

    # -- 4. latency on a real path -------------------------------------------

    def latency(self):
        r = self.report
        r.add("## 4. Latency on a real path\n\nThe plan: two network "
              "namespaces joined by veth, netem adding %d ms each way, and "
              "the time to first byte of a fresh TLS connection to the "
              "300-CA vhost, trimmed and untrimmed." % (ONE_WAY_DELAY * 1000))
        error = netem_available()
        if error is None:
            self.measured_latency()
            return
        r.add("This kernel forbids netem: `tc qdisc add dev <veth> root netem "
              "delay 25ms` fails with \"%s\". So the round trips are counted "
              "from the flight sizes measured in section 3 instead. A new "
              "connection starts with an initial congestion window of %d "
              "segments (%d bytes at an MSS of %d), and slow start doubles it "
              "each round trip; a flight larger than the window waits for "
              "the client's acknowledgements." % (error, INITCWND,
                                                  INITCWND * MSS, MSS))
        rows = []
        rtt = 2 * ONE_WAY_DELAY
        if not hasattr(self, "flights"):
            self.report.add("(Run the handshakes step first.)")
            return
        for name in ("trimmed", "untrimmed"):
            flight = self.flights[(name, "-tls1_3")]
            trips = flight_round_trips(flight)
            # TCP handshake, the flight, then the request and its response.
            ttfb = (1 + trips + 1) * rtt
            rows.append([name, flight, trips, "%d ms" % (ttfb * 1000)])
        r.table(["vhost", "TLS 1.3 first flight, bytes",
                 "round trips to deliver it", "time to first byte at 50 ms "
                 "RTT"], rows)
        r.add("The untrimmed flight is several congestion windows long, so "
              "the client waits extra round trips before it can even send "
              "its Finished; the trimmed one fits the first two windows.")

    def measured_latency(self):
        self.report.add("(netem is available here; the measured variant is "
                        "not implemented in this version of the bench.)")

    # -- 5. start-up ----------------------------------------------------------

    def startup(self):
        count = 4 if self.quick else 100
        rounds = 3
        times = {}
        for i in range(rounds):
            for name, module in (("on", True), ("off", False)):
                ports = H.free_ports(count)
                body = vhosts.listen(*ports) + "".join(
                    vhosts.ssl_vhost(p, self.server_cert, self.bundle1000)
                    for p in ports)
                server = self.httpd("startup-%s-%d" % (name, i), module, body)
                # apache2 -t takes tens of milliseconds: the median of
                # several runs, so that one slow fork does not decide.
                checks = []
                for _ in range(9):
                    start = time.monotonic()
                    run([H.APACHE2, "-t", "-f", server.conf_path])
                    checks.append(time.monotonic() - start)
                times.setdefault(("t", name), []).append(median(checks))
                start = time.monotonic()
                server.start(timeout=1800)
                times.setdefault(("start", name), []).append(
                    time.monotonic() - start)
                times.setdefault(("cpu", name), []).append(
                    cpu_seconds(server.proc.pid))
                server.stop()
                shutil.rmtree(server.dir, ignore_errors=True)
        # Exact, but too slow for QUICK=1's two minutes.
        counted = None if self.quick else self.startup_instructions(
            2, self.bundle1000)
        r = self.report
        r.add("## 5. Start-up\n\n%d vhosts, each asking for client "
              "certificates and trusting the same 1000-CA bundle; %d rounds "
              "per side, alternated. `apache2 -t -f httpd.conf` (it stops "
              "before any module sets up TLS); the time from starting "
              "`apache2 -f httpd.conf -DFOREGROUND` until it logs \"resuming "
              "normal operations\"; and the CPU time the parent process used "
              "by then, which other load on the machine does not inflate."
              % (count, rounds))
        rows = []
        for key, label, scale, unit in (
                ("t", "apache2 -t (median of 9 per round)", 1000, "ms"),
                ("start", "start (wall clock)", 1, "s"),
                ("cpu", "start (parent's CPU time)", 1, "s")):
            on, off = median(times[(key, "on")]), median(times[(key, "off")])
            rows.append(["%s, %s" % (label, unit), "%.2f" % (on * scale),
                         "%.2f" % (off * scale), "%.3f" % (on / off),
                         ", ".join("%.2f/%.2f" % (a * scale, b * scale)
                                   for a, b in zip(times[(key, "on")],
                                                   times[(key, "off")]))])
        r.table(["", "module loaded", "not loaded", "ratio",
                 "rounds (loaded/not)"], rows)
        r.add("Nearly all of the start time is mod_ssl reading the bundle "
              "into each vhost, twice (httpd reads its configuration twice "
              "at start-up). The module then trims each vhost's list once: "
              "a few milliseconds for 1000 names. `apache2 -t` reads no "
              "bundle at all, so there the module's few milliseconds (loading "
              "it, compiling the built-in rule) show as a larger ratio of a "
              "very small time.")
        on, off = median(times[("start", "on")]), median(times[("start",
                                                                "off")])
        cpu = median(times[("cpu", "on")]) / median(times[("cpu", "off")])
        if counted is None:
            r.target("start-up ratio <= 1.05", "%.3f (CPU time: %.3f; the "
                     "exact count runs in the full bench only)"
                     % (on / off, cpu), on / off <= 1.05)
            return
        vhost_count, cas, total, init = counted
        ratio = total["on"] / total["off"]
        r.add("On this shared machine the same start varies by up to a tenth "
              "from round to round, more than anything the module does, so "
              "the start-up is also counted exactly: callgrind on `httpd -X` "
              "with %d vhosts trusting %d CAs (and one more to connect to), "
              "from exec until it "
              "completes one TLS handshake, then stops; module loaded and "
              "not:\n\n    %s"
              % (vhost_count, cas, shell_words(self.last_callgrind_cmd)))
        r.table(["", "instructions"], [
            ["not loaded", "{:,}".format(total["off"])],
            ["module loaded", "{:,}".format(total["on"])],
            ["ratio", "%.4f" % ratio],
            ["of which the module's start-up work (mod_ssl's init_server "
             "hook, inclusive: shape probe, trimming, fragment lists, "
             "audit)", "{:,} ({:.2f} %)".format(init, 100.0 * init
                                                / total["on"])]])
        r.target("start-up ratio <= 1.05", "%.4f in instructions (wall "
                 "clock %.3f, CPU time %.3f)" % (ratio, on / off, cpu),
                 ratio <= 1.05)

    def vhostmem(self):
        """The parent's memory and start-up with many plain vhosts: the
        module's per-server state must grow with the SSL vhosts, not with
        all servers (let alone their square)."""
        counts = (100, 1000) if self.quick else (100, 1000, 10000)
        rounds = 2 if self.quick else 3
        seen = {}
        for i in range(rounds):
            for count in counts:
                for name, module in (("on", True), ("off", False)):
                    plain, ssl = H.free_ports(2)
                    body = vhosts.listen(plain, ssl) + vhosts.ssl_vhost(
                        ssl, self.server_cert, verify=None)
                    body += "".join(
                        "<VirtualHost 127.0.0.1:%d>\n    ServerName "
                        "v%05d.example\n</VirtualHost>\n" % (plain, n)
                        for n in range(count))
                    server = self.httpd("vhostmem-%d-%s-%d" % (count, name, i),
                                        module, body)
                    start = time.monotonic()
                    server.start(timeout=600)
                    took = time.monotonic() - start
                    seen.setdefault((count, name), []).append(
                        (rss_kib(server.proc.pid), took,
                         cpu_seconds(server.proc.pid)))
                    server.stop()
                    shutil.rmtree(server.dir, ignore_errors=True)
        r = self.report
        r.add("## 7. Memory and start-up with many vhosts\n\nOne SSL vhost "
              "and N plain name-based vhosts on one more port, module "
              "loaded and not; %d rounds, alternated; medians. The parent's "
              "resident memory (VmRSS) once it logs \"resuming normal "
              "operations\", the time until then, and the parent's CPU time "
              "by then. Loading any module costs httpd itself a few bytes "
              "per vhost (one more slot in each server's configuration "
              "vectors); the module keeps no state for servers that are not "
              "SSL vhosts, and a vhost without its directives shares its "
              "parent's configuration." % rounds)
        rows = []
        for count in counts:
            on, off = seen[(count, "on")], seen[(count, "off")]
            rss_on = median([x[0] for x in on])
            rss_off = median([x[0] for x in off])
            t_on, t_off = (median([x[1] for x in on]),
                           median([x[1] for x in off]))
            c_on, c_off = (median([x[2] for x in on]),
                           median([x[2] for x in off]))
            rows.append(["{:,}".format(count), "{:,}".format(rss_off),
                         "{:,}".format(rss_on),
                         "{:+,}".format(rss_on - rss_off),
                         "%.2f / %.2f" % (t_on, t_off),
                         "%.3f" % (t_on / t_off),
                         "%.2f / %.2f" % (c_on, c_off),
                         "%.3f" % (c_on / c_off if c_off else 1.0)])
        r.table(["plain vhosts", "RSS not loaded, KiB", "RSS loaded, KiB",
                 "difference, KiB", "start s (loaded/not)", "ratio",
                 "CPU s (loaded/not)", "ratio"], rows)
        largest = counts[-1]
        diff = (median([x[0] for x in seen[(largest, "on")]])
                - median([x[0] for x in seen[(largest, "off")]]))
        cpu = (median([x[2] for x in seen[(largest, "on")]])
               / max(median([x[2] for x in seen[(largest, "off")]]), 0.01))
        r.target("parent RSS with %s plain vhosts <= +1 MiB" %
                 "{:,}".format(largest), "{:+,} KiB".format(diff),
                 diff <= 1024)
        r.target("start-up with %s plain vhosts within 5 %% (parent's CPU "
                 "time)" % "{:,}".format(largest), "%.3f" % cpu, cpu <= 1.05)

    def classify(self):
        """What recognising a client stack costs per full handshake on a
        vhost that asks for client certificates (TLSInteropClientClass)."""
        seeds = sorted(os.path.relpath(path, REPO) for path in glob.glob(
            os.path.join(REPO, "tests", "fuzz", "corpus", "hello", "*")))
        out = run([os.path.join(BENCH_BIN, "hello_cost")] + seeds, cwd=REPO)
        share = re.search(r"at most: ([\d.]+) us, ([\d.]+) %", out)
        r = self.report
        r.add("## 8. Recognising a client stack\n\nPer full handshake on a "
              "vhost that asks for client certificates, the module parses "
              "the client's ClientHello, computes its JA4 fingerprint, "
              "tries the classes and, where the vhost learns client stacks, "
              "looks the fingerprint up among the 64 it tracks; on other "
              "connections it only copies the "
              "ClientHello, and where no vhost gives recognised stacks a "
              "list of their own, it does nothing. `bench/hello_cost` times "
              "that on real clients' ClientHellos (tests/fuzz/corpus/hello) "
              "against a full in-memory TLS 1.3 handshake in the same "
              "process:\n\n" + "\n".join("    " + line for line in
                                         out.strip().splitlines()))
        if share:
            r.target("recognising a client <= 1 % of a TLS 1.3 handshake",
                     "%s us, %s %%" % share.groups(),
                     float(share.group(2)) <= 1.0)

    def startup_instructions(self, count, bundle):
        """Instructions to start and stop httpd -X with count vhosts
        trusting bundle, module loaded and not, and those of the module's
        init_server hook (inclusive)."""
        total, init = {}, 0
        for name, module in (("on", True), ("off", False)):
            ports = H.free_ports(count + 1)
            body = vhosts.listen(*ports) + "".join(
                vhosts.ssl_vhost(p, self.server_cert, bundle)
                for p in ports[1:])
            # The ports take connections before mod_ssl has even read the
            # bundles: a completed TLS handshake says the start is over.
            # (Untrimmed, 1000 names are too many for any handshake, so
            # it is made with a vhost that asks for no certificate.)
            body += vhosts.ssl_vhost(ports[0], self.server_cert, verify=None)
            server = self.httpd("cg-startup-" + name, module, body)
            out = self.callgrind_httpd(
                server, ports[0], lambda: http1.Conn(ports[0],
                                                     timeout=1800).close())
            total[name] = int(re.search(r"^(?:summary|totals): (\d+)",
                                        open(out).read(), re.M).group(1))
            if module:
                annotate = run(["callgrind_annotate", "--inclusive=yes",
                                "--threshold=100", out])
                init = max([int(m.group(1).replace(",", "")) for m in
                            re.finditer(r"^\s*([\d,]+) .*mod_tlsinterop_startup\.c:"
                                        r"tlsi_startup_init_server", annotate,
                                        re.M)]
                           or [0])
            shutil.rmtree(server.dir, ignore_errors=True)
        return count, 1000 if bundle == self.bundle1000 else 300, total, init

    # -- 6. learning: the verify callback ----------------------------------

    # What the module installs with SSL_CTX_set_cert_verify_callback on a
    # vhost whose list it trims.
    VERIFY_CALLBACK = "verify_and_learn"

    # name, SSLVerifyClient, directives, does the client send a certificate
    LEARN_VHOSTS = (
        ("learn", "require", "TLSInteropCALearn on", True),
        ("count", "require", "TLSInteropCALearn off", True),
        ("handcut", "require", "TLSInteropCAListLimit off", True),
        ("untrimmed", "require", "TLSInteropCAListLimit off", True),
        ("learn-nocert", "optional", "TLSInteropCALearn on", False),
        ("count-nocert", "optional", "TLSInteropCALearn off", False),
    )
    LEARN_LABELS = {
        "learn": "learning on (the default)",
        "count": "TLSInteropCALearn off",
        "handcut": "the same names in SSLCADNRequestFile, "
                   "TLSInteropCAListLimit off: no callback",
        "untrimmed": "TLSInteropCAListLimit off: all 252 names, no callback",
        "learn-nocert": "learning on, no client certificate",
        "count-nocert": "TLSInteropCALearn off, no client certificate",
    }

    def learn_label(self, name):
        return "`%s`: %s" % (name, self.LEARN_LABELS[name])

    def make_hier_pki(self):
        """A client-auth bundle shaped like an enterprise's: 12 roots with
        long names, 20 issuing CAs under each, 252 names.  The issuing CA
        with the longest name has a key of its own and issues the client's
        certificate."""
        p = P.Pki(os.path.join(self.root, "hier-pki"))
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            roots = list(pool.map(
                lambda item: p.ca("root-%02d" % item[0], item[1]),
                enumerate(names.subjects(12, seed=1212))))
            plan = []
            for root in roots:
                attrs = dict(root.subject)
                plan += [(root, [("C", attrs["C"]), ("O", attrs["O"]),
                                 ("OU", "Client Authentication"),
                                 ("CN", "%s Issuing CA %02d"
                                  % (attrs["O"][:40], k))])
                         for k in range(20)]
            issuing = max(range(len(plan)), key=lambda i: len(
                names.openssl_subject(plan[i][1])))
            shared = p.filler_key()
            cas = list(pool.map(
                lambda i: p.ca("int-%03d" % i, plan[i][1], issuer=plan[i][0],
                               key=None if i == issuing else shared),
                range(len(plan))))
        leaf = p.leaf("client", [("CN", "bench client")], cas[issuing],
                      client=True)
        return types.SimpleNamespace(
            pki=p, cas=roots + cas, issuer=cas[issuing], key=leaf.key,
            bundle=p.bundle("hier.pem", roots + cas),
            chain=p.bundle("client-chain.pem", [leaf, cas[issuing]]),
            handcut=None)

    def learn_vhost(self, port, name, hier):
        _, verify, extra, _ = [v for v in self.LEARN_VHOSTS if v[0] == name][0]
        if name == "handcut":
            extra += "\nSSLCADNRequestFile " + hier.handcut
        return vhosts.ssl_vhost(port, self.server_cert, hier.bundle,
                                extra=extra, verify=verify)

    def learn_body(self, ports, hier):
        return vhosts.listen(*ports.values()) + "".join(
            self.learn_vhost(ports[name], name, hier) for name in ports)

    def hsrate_cert(self, port, hier, cert, seconds=None, count=None,
                    timeout=None):
        """Full TLS 1.3 handshakes, each with one GET of small.html, for
        seconds or count times; returns (handshakes/s, command)."""
        cmd = [os.path.join(BENCH_BIN, "hsrate"), "-tls1_3"]
        cmd += ["-count", str(count)] if count else ["-seconds", str(seconds)]
        if cert:
            cmd += ["-cert", hier.chain, "-key", hier.key]
        cmd += ["-get", "/small.html", "127.0.0.1", str(port)]
        out = run(cmd, timeout=timeout or (seconds or 0) + 600)
        return float(re.search(r"([\d.]+) per second", out).group(1)), cmd

    def callgrind_calls(self, path):
        """One dump of the learning run: its label, total instructions, the
        module's own, and what the verify callback cost."""
        text = run(["callgrind_annotate", "--inclusive=no", "--tree=calling",
                    "--auto=no", "--threshold=100", path])
        label = re.search(r"^Trigger: dump (\S+)", text, re.M).group(1)
        total = int(re.search(r"^\s*([\d,]+) \S+\s+PROGRAM TOTALS", text,
                              re.M).group(1).replace(",", ""))
        line = re.compile(r"^\s*([\d,]+) \([\s\d.]+%\)\s+([*>])\s+(.+?)"
                          r"(?: \(([\d,]+)x\))? \[([^\]]*)\]\s*$")
        blocks, own_by_fn = {}, {}
        for block in text.split("\n\n"):
            rows = [line.match(row) for row in block.strip("\n").splitlines()]
            if not rows or not rows[0] or rows[0].group(2) != "*":
                continue
            fn, obj = rows[0].group(3), rows[0].group(5)
            self_ir = int(rows[0].group(1).replace(",", ""))
            callees = [(m.group(3), int(m.group(1).replace(",", "")),
                        int((m.group(4) or "0").replace(",", "")), m.group(5))
                       for m in rows[1:] if m and m.group(2) == ">"]
            if obj.endswith("mod_tlsinterop.so"):
                short = fn.rsplit(":", 1)[-1]
                own_by_fn[short] = own_by_fn.get(short, 0) + self_ir
                blocks[short] = (self_ir, callees)
        cb = {"calls": 0, "inside": 0, "verify": 0, "callees": []}
        if self.VERIFY_CALLBACK in blocks:
            self_ir, callees = blocks[self.VERIFY_CALLBACK]
            cb["inside"] = self_ir + sum(c[1] for c in callees)
            for fn, ir, calls, _ in callees:
                if fn.endswith("X509_verify_cert"):
                    cb["verify"], cb["calls"] = ir, calls
            # Everything the callback reaches besides X509_verify_cert: its
            # callees, and those of the module's functions among them.
            seen, todo = set(), [self.VERIFY_CALLBACK]
            while todo:
                for fn, ir, calls, obj in blocks.get(todo.pop(), (0, []))[1]:
                    short = fn.rsplit(":", 1)[-1]
                    if short == "X509_verify_cert" or short in seen:
                        continue
                    seen.add(short)
                    cb["callees"].append(short)
                    if obj.endswith("mod_tlsinterop.so"):
                        todo.append(short)
        return label, total, own_by_fn, cb

    def learning(self):
        quick = self.quick
        seconds, rounds = (0.5, 2) if quick else (5, 5)
        per_dump, cg_rounds = (3, 2) if quick else (30, 3)
        started = time.monotonic()
        hier = self.make_hier_pki()
        all_names = [v[0] for v in self.LEARN_VHOSTS]
        cert_of = {v[0]: v[3] for v in self.LEARN_VHOSTS}
        rate_names = [n for n in all_names if cert_of[n] or not quick]

        # The names the module keeps, in its order: the hand-cut list.
        port = H.free_ports(1)[0]
        probe = self.httpd("learn-probe", True, vhosts.listen(port)
                           + self.learn_vhost(port, "learn", hier))
        probe.start()
        kept = tls.certreq(port, "1.3").names
        probe.stop()
        by_name = {ca.rfc2253: ca for ca in hier.cas}
        hier.handcut = hier.pki.bundle("handcut.pem",
                                       [by_name[n] for n in kept])

        # Handshakes per second, the vhosts taking turns.
        ports = dict(zip(all_names, H.free_ports(len(all_names))))
        server = self.httpd("learning", True, self.learn_body(ports, hier))
        server.start()
        certreq = {n: tls.certreq(ports[n], "1.3")
                   for n in all_names if cert_of[n]}
        for name in rate_names:
            self.hsrate_cert(ports[name], hier, cert_of[name], count=20)
        rates, cmd = {}, None
        for r in range(rounds):
            for name in rate_names[r % len(rate_names):] \
                    + rate_names[:r % len(rate_names)]:
                rate, command = self.hsrate_cert(ports[name], hier,
                                                 cert_of[name], seconds)
                rates.setdefault(name, []).append(rate)
                cmd = command if name == "learn" else cmd
        server.stop()

        # Instructions: one httpd -X under callgrind, instrumented only once
        # started, dumping its counts after each vhost's handshakes.
        cports = dict(zip(all_names, H.free_ports(len(all_names))))
        cserver = self.httpd("learning-cg", True,
                             self.learn_body(cports, hier))
        prefix = cserver.path("run", "vgdb")

        def control(*args):
            out = run(["setpriv", "--reuid=www-data", "--regid=www-data",
                       "--clear-groups", "callgrind_control",
                       "--vgdb-prefix=" + prefix] + list(args)
                      + [str(self.callgrind_pid)], timeout=600)
            if "OK" not in out:
                raise RuntimeError("callgrind_control %s: %s" % (args, out))

        def drive():
            # The first handshakes wait for the configuration to be read.
            for name in all_names:
                self.hsrate_cert(cports[name], hier, cert_of[name], count=1,
                                 timeout=1800)
            control("--instr=on")
            for name in all_names:
                self.hsrate_cert(cports[name], hier, cert_of[name], count=1)
            control("--dump=warm-up")
            for r in range(cg_rounds):
                for name in all_names[r:] + all_names[:r]:
                    self.hsrate_cert(cports[name], hier, cert_of[name],
                                     count=per_dump)
                    control("--dump=%s:%d" % (name, r))
        out = self.callgrind_httpd(
            cserver, cports["learn"], drive,
            toggle="ap_run_process_connection",
            options=["--instr-atstart=no", "--vgdb-prefix=" + prefix])
        cg_cmd = self.last_callgrind_cmd
        # counts[vhost]: per round (instructions per connection, the
        # module's own, the callback's counts, the module's by function)
        dumps = {}
        for path in glob.glob(out + ".*"):
            label, total, own_by_fn, cb = self.callgrind_calls(path)
            if ":" in label:
                name, r = label.split(":")
                dumps[(name, int(r))] = (total / per_dump,
                                         sum(own_by_fn.values()) / per_dump,
                                         cb, own_by_fn)
        counts = {}
        for name, r in sorted(dumps):
            counts.setdefault(name, []).append(dumps[(name, r)])
        shutil.rmtree(cserver.dir, ignore_errors=True)
        self.learning_report(hier, kept, certreq, rates, cmd, counts,
                             (seconds, rounds, per_dump, cg_rounds),
                             cg_cmd, time.monotonic() - started)

    def learning_report(self, hier, kept, certreq, rates, cmd, counts,
                        sizes, cg_cmd, elapsed):
        seconds, rounds, per_dump, cg_rounds = sizes
        r = self.report
        issuer_kept = hier.issuer.rfc2253 in kept
        r.add("## 6. Learning: the verify callback\n\n"
              "A client-auth bundle shaped like an enterprise's: 12 roots "
              "with long names, 20 issuing CAs under each (252 names; an "
              "untrimmed TLS 1.3 CertificateRequest of %d bytes). The module "
              "keeps %d names (%d bytes). Six vhosts in one httpd trust it, "
              "each with `SSLVerifyClient require`, or `optional` for the "
              "handshakes without a certificate. The client, `bench/hsrate`, "
              "presents a leaf and its issuing CA, whose name is %s; every "
              "connection is a full TLS 1.3 handshake and one GET of a "
              "256-byte file (in TLS 1.3 only the response says that the "
              "server accepted the certificate). The hand-cut vhost "
              "advertises the very names the module keeps, from "
              "`SSLCADNRequestFile`, so it differs from the trimmed ones "
              "only in what the module does per connection. This section "
              "took %.0f s."
              % (certreq["untrimmed"].size, len(kept), certreq["learn"].size,
                 "among them" if issuer_kept else
                 "not among them (a client that filters by CA name would "
                 "not offer it: the case learning exists for)", elapsed))
        r.table(["vhost", "CertificateRequest, bytes (TLS 1.3)"],
                [[self.learn_label(n), certreq[n].size] for n in certreq])

        def med(name, index):
            return median([x[index] for x in counts.get(name, [])])

        def cb_med(name, key):
            return median([x[2][key] / per_dump for x in counts.get(name, [])])

        rows = []
        for name in [v[0] for v in self.LEARN_VHOSTS]:
            per_round = [x[0] for x in counts.get(name, [])]
            calls = cb_med(name, "calls")
            own_cb = cb_med(name, "inside") - cb_med(name, "verify")
            rows.append([self.learn_label(name), "{:,.0f}".format(
                med(name, 0)), ", ".join("{:,.0f}".format(x)
                                         for x in per_round),
                "%.2f" % calls,
                "{:,.0f}".format(own_cb / calls) if calls else "-",
                "{:,.0f}".format(med(name, 1))])
        r.add("Instructions per connection, counted by callgrind in `httpd "
              "-X` inside ap_run_process_connection (the TLS handshake, the "
              "request and the response). One httpd, started without "
              "instrumentation (`--instr-atstart=no`); once it serves, "
              "`callgrind_control --instr=on`, one warm-up connection per "
              "vhost, then %d round(s) of %d connections to each vhost in "
              "turn, each vhost's followed by `callgrind_control --dump` "
              "(which writes the counts so far and zeroes them). Command "
              "(httpd run as www-data):\n\n    %s\n\nand per dump "
              "`callgrind_annotate --inclusive=no --tree=calling`: the "
              "program total, the module's own code, and the verify "
              "callback `%s` with everything it calls (its inclusive "
              "count) less `X509_verify_cert`, which OpenSSL runs for every "
              "client certificate with or without the callback."
              % (cg_rounds, per_dump, shell_words(cg_cmd),
                 self.VERIFY_CALLBACK))
        r.table(["vhost", "instructions per connection (median)",
                 "rounds", "verify callbacks per connection",
                 "callback's cost per verified certificate (besides "
                 "X509_verify_cert)", "in mod_tlsinterop's own code, per "
                 "connection"], rows)

        def diff(a, b):
            pairs = [x[0] - y[0] for x, y in zip(counts.get(a, []),
                                                  counts.get(b, []))]
            return median(pairs), pairs
        noise = max([max(x[0] for x in v) - min(x[0] for x in v)
                     for v in counts.values() if len(v) > 1] or [None])
        rows = []
        for a, b in (("learn", "count"), ("count", "handcut"),
                     ("learn", "handcut"), ("learn", "untrimmed"),
                     ("learn-nocert", "count-nocert")):
            d, pairs = diff(a, b)
            rows.append(["%s - %s" % (a, b), "{:+,.0f}".format(d),
                         ", ".join("{:+,.0f}".format(x) for x in pairs),
                         "{:+,.0f}".format(med(a, 1) - med(b, 1))])
        r.table(["difference per connection", "instructions (median of "
                 "rounds)", "per round", "in the module's own code"], rows)
        per_cert = {n: (cb_med(n, "inside") - cb_med(n, "verify"))
                    / (cb_med(n, "calls") or 1) for n in ("learn", "count")}
        share = 100.0 * per_cert["learn"] / (med("learn", 0) or 1)

        def callees(name):
            return sorted(set(c for x in counts.get(name, [])
                              for c in x[2]["callees"]))
        allocates = [c for c in callees("learn") + callees("count")
                     if re.search(r"alloc|strdup|_new$|_dup$", c)]
        if noise is None:
            spread = ("With one round per vhost the spread of the totals "
                      "between rounds is not measured here; the full run "
                      "measures it")
        else:
            spread = ("Between rounds, the program total of one vhost moves "
                      "by up to %s instructions per connection (mostly the "
                      "heap's state: whether a realloc grows a buffer in "
                      "place or copies it; also random keys, nonces and "
                      "signatures)" % "{:,.0f}".format(noise))
        r.add("%s. So the callback is measured by its own inclusive count: "
              "%s instructions per verified certificate with learning on, "
              "%s with it off, %.3f %% of a connection. Besides "
              "X509_verify_cert it calls %s; %s. With learning off it calls "
              "%s."
              % (spread, "{:,.0f}".format(per_cert["learn"]),
                 "{:,.0f}".format(per_cert["count"]), share,
                 ", ".join("`%s`" % c for c in callees("learn")) or "nothing",
                 "none of them allocates" if not allocates else
                 "**allocating: %s**" % ", ".join(allocates),
                 "the same" if callees("count") == callees("learn") else
                 ", ".join("`%s`" % c for c in callees("count"))
                 or "nothing"))

        def by_function(name):
            fns = set(f for x in counts.get(name, []) for f in x[3])
            return {f: median([x[3].get(f, 0) / per_dump
                               for x in counts[name]]) for f in fns}
        trimmed, handcut = by_function("count"), by_function("handcut")
        extra = sorted(((trimmed.get(f, 0) - handcut.get(f, 0), f)
                        for f in set(trimmed) | set(handcut)),
                       reverse=True)
        r.add("The module's own code on a trimmed vhost against the "
              "hand-cut one (`count` - `handcut`, instructions per "
              "connection, by function): %s. These are the callbacks the "
              "module sets on a vhost whose list it trims."
              % (", ".join("`%s` %s" % (f, "{:+,.0f}".format(d))
                           for d, f in extra if abs(d) >= 1) or "none"))
        nocert_calls = cb_med("learn-nocert", "calls") \
            + cb_med("count-nocert", "calls")
        own_gap = med("learn-nocert", 1) - med("count-nocert", 1)
        r.target("no extra work on handshakes without a client certificate "
                 "(learning on vs off)", "verify callback called %d times; "
                 "module's own code %s vs %s instructions per connection "
                 "(totals %s vs %s; between rounds a total varies by %s)"
                 % (nocert_calls * per_dump * cg_rounds,
                    "{:,.0f}".format(med("learn-nocert", 1)),
                    "{:,.0f}".format(med("count-nocert", 1)),
                    "{:,.0f}".format(med("learn-nocert", 0)),
                    "{:,.0f}".format(med("count-nocert", 0)),
                    "unmeasured" if noise is None
                    else "{:,.0f}".format(noise)),
                 nocert_calls == 0 and abs(own_gap) <= 16)
        r.target("cost per verified client certificate, learning on and "
                 "off", "%s and %s instructions (callback besides "
                 "X509_verify_cert), %.3f %% of a connection's %s"
                 % ("{:,.0f}".format(per_cert["learn"]),
                    "{:,.0f}".format(per_cert["count"]), share,
                    "{:,.0f}".format(med("learn", 0))), None)

        def ratio(a, b):
            return median([x / y for x, y in zip(rates[a], rates[b])])
        rows = [[self.learn_label(n), "%.0f" % median(rates[n]),
                 ", ".join("%.0f" % x for x in rates[n])] for n in rates]
        r.add("Handshakes per second (each a full TLS 1.3 handshake with "
              "the client certificate and one GET), %d rounds of %g s per "
              "vhost, the vhosts taking turns in a rotating order:\n\n    %s"
              % (rounds, seconds, shell_words(cmd)))
        r.table(["vhost", "handshakes/s (median)", "rounds"], rows)
        pairs = [("learn", "count"), ("learn", "handcut"),
                 ("learn", "untrimmed")]
        if "learn-nocert" in rates:
            pairs.append(("learn-nocert", "count-nocert"))
        r.table(["ratio", "median of the per-round ratios"],
                [["%s / %s" % p, "%.3f" % ratio(*p)] for p in pairs])
        r.add("The client and httpd share the two cores, so rounds of one "
              "vhost vary by several per cent; read a ratio within that as "
              "no difference measurable. The untrimmed vhost has no "
              "callback, but builds and sends a CertificateRequest of %d "
              "bytes instead of %d (section 3 shows what that costs)."
              % (certreq["untrimmed"].size, certreq["learn"].size))

    # -- RESULTS.md -----------------------------------------------------------

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


def median_profile(profiles):
    """Key by key, the median of callgrind_functions()-like dicts."""
    keys = set().union(*profiles)
    return {k: median([p.get(k, 0) for p in profiles]) for k in keys}


def function_label(name, library=None):
    """A function as the profile tables show it: a stripped library's
    static function by its address."""
    if name.startswith("0x"):
        name = "static %#x" % int(name, 16)
        return name + (" in " + library if library else "")
    return "`%s`" % name


def count(value):
    """Calls per request: whole numbers without decimals."""
    text = "%.1f" % value
    return text[:-2] if text.endswith(".0") else text


def calls_or_cost(calls, instructions):
    """A caller's change: its calls, or, where they are as many, what they
    cost (e.g. a longer header scanned)."""
    if abs(calls) >= 0.5:
        return "%s%s call%s" % ("+" if calls > 0 else "", count(calls),
                                "" if abs(calls) < 1.05 else "s")
    return "as many calls, %+.0f instructions" % instructions


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


def rss_kib(pid):
    """A running process's resident memory, KiB."""
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    """User and system CPU time a running process has used."""
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def flight_round_trips(flight):
    """Round trips slow start needs to deliver flight bytes."""
    window, sent, trips = INITCWND * MSS, 0, 0
    while sent < flight:
        sent += window
        window *= 2
        trips += 1
    return trips


def netem_available():
    """None if netem works in a network namespace, else the error."""
    ns = "tlsi-bench-%d" % os.getpid()
    try:
        run(["ip", "netns", "add", ns])
    except (RuntimeError, OSError) as e:
        return str(e).strip().splitlines()[-1]
    try:
        run(["ip", "-n", ns, "link", "add", "v0", "type", "veth", "peer",
             "name", "v1"])
        run(["ip", "-n", ns, "link", "set", "v0", "up"])
        run(["ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", "v0",
             "root", "netem", "delay", "25ms"])
        return None
    except RuntimeError as e:
        return str(e).strip().splitlines()[-1]
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def first_flight(port, version):
    """Bytes the server sends before the client's second flight, counted by
    a relay between openssl s_client and the server."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    counted = {}

    def relay():
        client, _ = listener.accept()
        upstream = socket.create_connection(("127.0.0.1", port))
        flights, total = 0, 0       # client writes seen; server bytes
        sides = [client, upstream]
        try:
            while flights < 2:
                ready, _, _ = select.select(sides, [], [], 10)
                if not ready:
                    break
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        flights = 2
                        break
                    if s is client:
                        # ClientHello, then the client's second flight
                        flights += 1 if flights == 0 or total else 0
                        upstream.sendall(data)
                    else:
                        total += len(data)
                        client.sendall(data)
            counted["bytes"] = total
        finally:
            client.close()
            upstream.close()

    thread = threading.Thread(target=relay)
    thread.start()
    subprocess.run(["openssl", "s_client", "-connect",
                    "127.0.0.1:%d" % listener.getsockname()[1], version],
                   input=b"", capture_output=True, timeout=30)
    thread.join(30)
    listener.close()
    return counted.get("bytes", 0)


def certificate_message(port):
    out = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d"
                          % port, "-tls1_3", "-msg"], input="",
                         capture_output=True, text=True, timeout=30).stdout
    return int(re.search(r"<<< TLS 1\.3, Handshake \[length ([0-9a-f]+)\], "
                         r"Certificate$", out, re.M).group(1), 16)


# latency uses the flight sizes that handshakes measures.
STEPS = ["requests", "instructions", "handshakes", "latency", "startup",
         "learning", "vhostmem", "classify"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=os.path.join(BENCH, "RESULTS.md"))
    parser.add_argument("--only", default=",".join(STEPS),
                        help="comma-separated steps: " + ", ".join(STEPS)
                        + "; an existing --out keeps its other sections")
    args = parser.parse_args()
    steps = args.only.split(",")
    for step in steps:
        if step not in STEPS:
            parser.error("unknown step %r" % step)
    bench = Bench(args.quick)
    started = time.monotonic()
    # The module as it is now, so that a rebuild during the run changes
    # nothing (valgrind aborts when a loaded library changes under it).
    snapshot = os.path.join(bench.root, "mod_tlsinterop.so")
    shutil.copy2(H.MODULE_SO, snapshot)
    H.MODULE_SO = snapshot
    try:
        bench.make_pki()
        for step in steps:
            getattr(bench, step)()
    finally:
        bench.stop_all()
    bench.write(args.out, time.monotonic() - started, steps)
    shutil.rmtree(bench.root, ignore_errors=True)
    print("wrote %s in %.0f s" % (args.out, time.monotonic() - started))


if __name__ == "__main__":
    main()
