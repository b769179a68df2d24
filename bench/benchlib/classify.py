"""8. Recognising a client stack: parsing, JA4 and the look-ups per
ClientHello."""

import glob
import os
import re

from benchlib.common import REPO, BENCH_BIN, run


class Classify:
    """Section 8 of RESULTS.md; a mixin of bench.Bench (BenchBase
    provides self.report, self.httpd() and the rest)."""

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
