"""1. Requests: throughput and latency with wrk, the module loaded and not."""

import re

from harness import httpd as H, vhosts

from benchlib.common import IE6, MODERN, median, run, shell_words


class Requests:
    """Section 1 of RESULTS.md; a mixin of bench.Bench (BenchBase
    provides self.report, self.httpd() and the rest)."""

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
