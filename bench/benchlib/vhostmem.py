"""7. Memory and start-up with many plain vhosts."""

import shutil
import time

from harness import httpd as H, vhosts

from benchlib.common import median, cpu_seconds



def rss_kib(pid):
    """A running process's resident memory, KiB."""
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0

class VhostMemory:
    """Section 7 of RESULTS.md; a mixin of bench.Bench (BenchBase
    provides self.report, self.httpd() and the rest)."""

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
