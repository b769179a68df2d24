"""5. Start-up: many vhosts with large CA bundles, loaded and not."""

import re
import shutil
import time

from harness import http1, httpd as H, vhosts

from benchlib.common import median, run, shell_words, cpu_seconds


class Startup:
    """Section 5 of RESULTS.md; a mixin of bench.Bench (BenchBase
    provides self.report, self.httpd() and the rest)."""

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
