"""4. Latency on a real path: the first flight and its round trips."""

import os
import subprocess

from benchlib.common import INITCWND, MSS, run


ONE_WAY_DELAY = 0.025


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

class Latency:
    """Section 4 of RESULTS.md; a mixin of bench.Bench (BenchBase
    provides self.report, self.httpd() and the rest)."""

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
